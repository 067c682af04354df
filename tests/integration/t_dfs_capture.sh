#!/usr/bin/env bash
# The referral counters agree with the wire: a capture taken while
# dfs_test runs (a file in the root, 1,000 first-time stats under 100 links,
# the same again cached, then 300 users of one expired link, then 64
# threads under the [dead, dead, live] link on a fresh context) holds one
# root referral, one referral per link and the one refresh (102), and the
# fresh context's root and link referrals: 104 FSCTL_DFS_GET_REFERRALS.
# Runs alone (RUN_SERIAL): other tests' referrals would be counted too.
. "$(dirname "$0")/lib.sh"
: "${DFSC_BUILD:?}"
prog="$DFSC_BUILD/dfs_test"
[ -x "$prog" ] || { not_ok "dfs_test not built"; finish; exit 1; }
cap="$TMP/ref.pcapng"
dumpcap -q -i lo -f "tcp port 445 and host $DFSC_TB_DFSROOT" -w "$cap" -a duration:300 2>/dev/null &
cap_pid=$!
for _ in $(seq 1 100); do [ -s "$cap" ] && break; sleep 0.05; done
sleep 0.3
check "dfs_test passes" "$prog"
grep -E "referrals sent|exactly one" "$TMP/out" | sed 's/^/# /'
sleep 0.5
kill -INT $cap_pid 2>/dev/null
wait $cap_pid 2>/dev/null
# Count PDUs, not frames: one TCP segment can carry several requests. Every
# IOCTL to the root on 3.1.1 is a referral (no validate-negotiate there).
n=$(tshark -r "$cap" -V -Y 'smb2.ioctl.function == 0x00060194' 2>/dev/null |
  grep -c 'Ioctl Request (0x0b)')
eq "referral requests on the wire" 104 "$n"
m=$(tshark -r "$cap" -Y '_ws.malformed' 2>/dev/null | wc -l)
eq "no malformed packets in the referral traffic" 0 "$m"
finish
