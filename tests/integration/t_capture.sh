#!/usr/bin/env bash
# A capture of dfsc's traffic with every dialect (plain, signed, compound
# stat, pipelined large reads and writes) decodes in tshark with no
# malformed packets.
. "$(dirname "$0")/lib.sh"
command -v dumpcap >/dev/null || { not_ok "dumpcap not installed"; finish; exit 1; }
cap="$TMP/dfsc.pcapng"
hosts="$DFSC_TB_FS1 $DFSC_TB_FS2 $DFSC_TB_D202 $DFSC_TB_D210 $DFSC_TB_D300 $DFSC_TB_D302 $DFSC_TB_D311"
filter="tcp port 445 and ($(printf 'host %s or ' $hosts | sed 's/ or $//'))"
dumpcap -q -i lo -f "$filter" -w "$cap" -a duration:600 2>"$TMP/dumpcap.err" &
cap_pid=$!
# Wait for the capture to be ready (the file appears once it runs).
for _ in $(seq 1 100); do [ -s "$cap" ] && break; sleep 0.05; done
sleep 0.3
head -c 5000000 /dev/urandom >"$TMP/c.bin"
for d in D202 D210 D300 D302 D311; do
  var=DFSC_TB_$d; h=${!var}
  dfsc ls "//$h/data" >/dev/null
  dfsc stat "//$h/data/hello.txt" >/dev/null
  dfsc get "//$h/data/odd.bin" "$TMP/o" && rm -f "$TMP/o"
  dfsc put "$TMP/c.bin" "//$h/scratch/$RUN.bin"
  dfsc rm "//$h/scratch/$RUN.bin"
  dfsc stat "//$h/data/missing" >/dev/null 2>&1
done
dfsc get "//$DFSC_TB_FS2/signed/../data/hello.txt" - >/dev/null 2>&1
dfsc ls "//$DFSC_TB_FS2/signed" >/dev/null
dfsc --max-protocol SMB3_00 ls "//$DFSC_TB_FS2/signed" >/dev/null
sleep 0.5
kill -INT $cap_pid 2>/dev/null
wait $cap_pid 2>/dev/null
n=$(tshark -r "$cap" -Y smb2 2>/dev/null | wc -l)
[ "$n" -gt 200 ] && ok "capture holds SMB2 traffic ($n packets)" || not_ok "capture holds SMB2 traffic ($n packets)"
m=$(tshark -r "$cap" -Y '_ws.malformed' 2>/dev/null | wc -l)
eq "no malformed packets" 0 "$m"
[ "$m" -eq 0 ] || tshark -r "$cap" -Y '_ws.malformed' 2>/dev/null | head -20 | sed 's/^/#   /'
for d in 0x0202 0x0210 0x0300 0x0302 0x0311; do
  c=$(tshark -r "$cap" -Y "smb2.dialect == $d && smb2.flags.response == 1 && smb2.cmd == 0" 2>/dev/null | wc -l)
  [ "$c" -gt 0 ] && ok "capture has a negotiate of $d" || not_ok "capture has a negotiate of $d"
done
s=$(tshark -r "$cap" -Y 'smb2.flags.signature == 1' 2>/dev/null | wc -l)
[ "$s" -gt 0 ] && ok "capture has signed packets ($s)" || not_ok "capture has signed packets"
finish
