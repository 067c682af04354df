#!/usr/bin/env bash
# Reads spliced through the mount (docs/mount.md, Spliced reads): a read of
# a file is asked of the library into a pipe; a clear, unsigned READ answer
# goes from the socket into it and on to /dev/fuse without passing through
# the daemon, a signed or encrypted one is written there once checked.
#   - unsigned: the large file's sha256 on a plain share and through a DFS
#     link, the library's reads_spliced and the mount's mount_reads_spliced
#     both counted, no fallback;
#   - signed (--sign=required): the same bytes, nothing spliced from the
#     socket (a signature needs the bytes here), the pipe path still used;
#   - an encrypted share: a file's bytes, nothing spliced from the socket;
#   - -o nosplice: the same bytes, no pipe used;
#   - reads of sizes around the page and the pipe's limits (dd with odd
#     offsets and lengths, through the page cache and O_DIRECT) match the
#     server's file, and a file shorter than the read ends where it ends;
#   - the kernel is told the largest read a pipe here can hold (max_read in
#     /proc/mounts when pipes are below a MiB).
. "$(dirname "$0")/lib.sh"
need_fuse
# shellcheck disable=SC2206
R=($DFSC_TB_RESOLVE_ARGS)
PIDS=()
cleanup() {
  unmount_all
  rm -f "$DFSC_TB_FS1_ENC_DIR/splice.bin" "$DFSC_TB_FS1_SCRATCH_DIR/splice_odd.bin"
  rm -rf "$TMP"
}
trap cleanup EXIT
stat_of() { awk -v k="$2" '$1 == k {print $2}' "$1/.dfsc/stats"; }
positive() { case $1 in '' | 0 | *[!0-9]*) return 1 ;; esac; }

head -c $((3 * 1048576 + 12345)) /dev/urandom >"$DFSC_TB_FS1_ENC_DIR/splice.bin"
head -c $((5 * 1048576 + 777)) /dev/urandom >"$DFSC_TB_FS1_SCRATCH_DIR/splice_odd.bin"
ENC_SHA=$(sha256sum <"$DFSC_TB_FS1_ENC_DIR/splice.bin" | cut -d' ' -f1)

# ---- unsigned ------------------------------------------------------------------
M=$TMP/plain
mkdir -p "$M"
check "mount, unsigned" mount_bg "$M" --sign=off
eq "sha256 of the large file on a plain share" "$DFSC_TB_BIG_SHA256" \
  "$(sha256sum <"$M/fs1/data/big.bin" | cut -d' ' -f1)"
eq "sha256 of the large file through a DFS link" "$DFSC_TB_BIG_SHA256" \
  "$(sha256sum <"$M/dfsroot/dfs/single/big.bin" | cut -d' ' -f1)"
n=$(stat_of "$M" reads_spliced)
if positive "$n"; then ok "READ answers spliced from the socket (reads_spliced $n)"; else
  not_ok "reads_spliced is [$n], expected > 0"; fi
n=$(stat_of "$M" mount_reads_spliced)
if positive "$n"; then ok "reads answered from a pipe (mount_reads_spliced $n)"; else
  not_ok "mount_reads_spliced is [$n], expected > 0"; fi
eq "no spliced read fell back to memory" 0 "$(stat_of "$M" mount_splice_fallbacks)"
# max_read: present exactly when pipes here are below what a MiB read needs.
pmax=$(cat /proc/sys/fs/pipe-max-size)
mr=$(awk -v m="$M" '$2 == m {print $4}' /proc/mounts | tr ',' '\n' | sed -n 's/^max_read=//p')
if [ -n "$mr" ]; then
  if [ "$mr" -le $((pmax - 16384)) ] && [ $((mr % 4096)) -eq 0 ]; then
    ok "the kernel asks for reads a pipe here holds (max_read=$mr, pipe-max-size $pmax)"
  else not_ok "max_read=$mr does not fit pipe-max-size $pmax"; fi
else
  ok "no max_read: pipes here hold a MiB read (pipe-max-size $pmax)"
fi
# Odd offsets and lengths, through the page cache and past it.
odd_ok=1
for spec in "1 4095 0" "4096 4097 3" "65536 12289 7" "1048576 2 1" "1048575 1 5" "7 300001 11"; do
  read -r bs cnt skp <<<"$spec"
  set -- "$bs" "$cnt" "$skp"
  a=$(dd if="$M/fs1/scratch/splice_odd.bin" bs="$1" skip="$3" count="$2" iflag=count_bytes \
    2>/dev/null | sha256sum | cut -d' ' -f1)
  b=$(dd if="$DFSC_TB_FS1_SCRATCH_DIR/splice_odd.bin" bs="$1" skip="$3" count="$2" \
    iflag=count_bytes 2>/dev/null | sha256sum | cut -d' ' -f1)
  [ "$a" = "$b" ] || { odd_ok=0; echo "# bs=$1 count=$2 skip=$3 differs"; }
  a=$(dd if="$M/fs1/scratch/splice_odd.bin" bs="$1" skip="$3" count="$2" \
    iflag=count_bytes,direct 2>/dev/null | sha256sum | cut -d' ' -f1)
  [ "$a" = "$b" ] || { odd_ok=0; echo "# O_DIRECT bs=$1 count=$2 skip=$3 differs"; }
done
[ $odd_ok = 1 ] && ok "reads at odd offsets and lengths match the server's file" ||
  not_ok "reads at odd offsets and lengths differ from the server's file"
eq "the whole odd-sized file, past its end" \
  "$(sha256sum <"$DFSC_TB_FS1_SCRATCH_DIR/splice_odd.bin" | cut -d' ' -f1)" \
  "$(dd if="$M/fs1/scratch/splice_odd.bin" bs=3M 2>/dev/null | sha256sum | cut -d' ' -f1)"

# ---- signed ---------------------------------------------------------------------
S=$TMP/signed
mkdir -p "$S"
check "mount, signed" mount_bg "$S" --sign=required
eq "sha256 of the large file, signed" "$DFSC_TB_BIG_SHA256" \
  "$(sha256sum <"$S/fs1/data/big.bin" | cut -d' ' -f1)"
eq "... nothing spliced from the socket (the signature needs the bytes)" 0 \
  "$(stat_of "$S" reads_spliced)"
n=$(stat_of "$S" mount_reads_spliced)
if positive "$n"; then ok "... written into the pipe once checked (mount_reads_spliced $n)"
else not_ok "signed: mount_reads_spliced is [$n], expected > 0"; fi
eq "sha256 of a file on an encrypted share" "$ENC_SHA" \
  "$(sha256sum <"$S/fs1/enc/splice.bin" | cut -d' ' -f1)"
eq "... still nothing spliced from the socket" 0 "$(stat_of "$S" reads_spliced)"

# ---- -o nosplice --------------------------------------------------------------------
N=$TMP/nosplice
mkdir -p "$N"
check "mount, -o nosplice" mount_bg "$N" --sign=off -o nosplice
eq "sha256 of the large file, nosplice" "$DFSC_TB_BIG_SHA256" \
  "$(sha256sum <"$N/fs1/data/big.bin" | cut -d' ' -f1)"
eq "... no pipe used" "0 0" "$(stat_of "$N" reads_spliced) $(stat_of "$N" mount_reads_spliced)"
finish
