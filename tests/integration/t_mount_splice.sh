#!/usr/bin/env bash
# Reads spliced through the mount (docs/mount.md, Spliced reads): a read of
# a file is asked of the library into a pipe; a clear, unsigned READ answer
# goes from the socket into it and on to /dev/fuse without passing through
# the daemon; where that cannot be (signed or encrypted answers, several
# READs per read) the library declines and the read goes through memory.
#   - unsigned: the large file's sha256 on a plain share and through a DFS
#     link, the library's reads_spliced and the mount's mount_reads_spliced
#     both counted, no fallback;
#   - an encrypted share on the unsigned mount, signed (--sign=required),
#     and SMB 2.0.2 (64 KiB READs, several per read of the mount): the same
#     bytes, nothing spliced, the library declines the pipe
#     (mount_splice_declined) and the handle reads through memory;
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
# sum_of FILE: its sha256, empty when reading it takes over 300 s.
sum_of() { timeout 300 sha256sum "$1" | cut -d' ' -f1; }
# counted DIR KEY WHAT: the counter KEY in DIR's .dfsc/stats is above 0.
counted() {
  local n
  n=$(stat_of "$1" "$2")
  case $n in
  '' | 0 | *[!0-9]*) not_ok "$3: $2 is [$n], expected > 0" ;;
  *) ok "$3 ($2 $n)" ;;
  esac
}
# mounted DIR WHAT ARGS...: mounts at DIR with ARGS; the large file read
# through it has the server's sha256 (through the DFS link too when
# WHAT is "unsigned").
mounted() {
  local d=$1 what=$2
  shift 2
  mkdir -p "$d"
  check "mount, $what" mount_bg "$d" "$@"
  eq "sha256 of the large file, $what" "$DFSC_TB_BIG_SHA256" \
    "$(sum_of "$d/fs1/data/big.bin")"
  [ "$what" = unsigned ] || return 0
  eq "... and through a DFS link" "$DFSC_TB_BIG_SHA256" \
    "$(sum_of "$d/dfsroot/dfs/single/big.bin")"
}

head -c $((3 * 1048576 + 12345)) /dev/urandom >"$DFSC_TB_FS1_ENC_DIR/splice.bin"
head -c $((5 * 1048576 + 777)) /dev/urandom >"$DFSC_TB_FS1_SCRATCH_DIR/splice_odd.bin"
ENC_SHA=$(sha256sum <"$DFSC_TB_FS1_ENC_DIR/splice.bin" | cut -d' ' -f1)

# ---- unsigned ------------------------------------------------------------------
M=$TMP/plain
mounted "$M" unsigned --sign=off
counted "$M" reads_spliced "READ answers spliced from the socket"
counted "$M" mount_reads_spliced "reads answered from a pipe"
eq "no spliced read fell back to memory" 0 "$(stat_of "$M" mount_splice_fallbacks)"
echo "# reads_spilled $(stat_of "$M" reads_spilled) (READs finished in memory: the pipe filled)"
# max_read: present exactly when pipes here are below what a MiB read needs
# (its data, a page, and libfuse's reply: four pages in all).
pmax=$(cat /proc/sys/fs/pipe-max-size)
pg=$(getconf PAGESIZE)
mr=$(awk -v m="$M" '$2 == m {print $4}' /proc/mounts | tr ',' '\n' | sed -n 's/^max_read=//p')
if [ -n "$mr" ]; then
  if [ "$mr" -le $((pmax - 4 * pg)) ] && [ $((mr % pg)) -eq 0 ]; then
    ok "the kernel asks for reads a pipe here holds (max_read=$mr, pipe-max-size $pmax)"
  else not_ok "max_read=$mr does not fit pipe-max-size $pmax"; fi
elif python3 -c 'import fcntl, os, sys
n = 1048576 + 4 * int(sys.argv[1])
r, w = os.pipe()
sys.exit(0 if fcntl.fcntl(w, 1031, n) >= n else 1)' "$pg" 2>/dev/null; then
  ok "no max_read: pipes here hold a MiB read and its reply (pipe-max-size $pmax)"
else
  not_ok "no max_read, but a pipe of a MiB and four pages cannot be made here"
fi
# Odd offsets and lengths, through the page cache and past it.
odd_ok=1
for spec in "1 4095 0" "4096 4097 3" "65536 12289 7" "1048576 2 1" "1048575 1 5" "7 300001 11"; do
  read -r bs cnt skp <<<"$spec"
  b=$(dd if="$DFSC_TB_FS1_SCRATCH_DIR/splice_odd.bin" bs="$bs" skip="$skp" count="$cnt" \
    iflag=count_bytes 2>/dev/null | sha256sum | cut -d' ' -f1)
  for fl in count_bytes count_bytes,direct; do
    a=$(timeout 300 dd if="$M/fs1/scratch/splice_odd.bin" bs="$bs" skip="$skp" count="$cnt" iflag=$fl \
      2>/dev/null | sha256sum | cut -d' ' -f1)
    [ "$a" = "$b" ] || { odd_ok=0; echo "# iflag=$fl bs=$bs count=$cnt skip=$skp differs"; }
  done
done
[ $odd_ok = 1 ] && ok "reads at odd offsets and lengths match the server's file" ||
  not_ok "reads at odd offsets and lengths differ from the server's file"
eq "the whole odd-sized file, past its end" \
  "$(sum_of "$DFSC_TB_FS1_SCRATCH_DIR/splice_odd.bin")" \
  "$(timeout 300 dd if="$M/fs1/scratch/splice_odd.bin" bs=3M 2>/dev/null | sha256sum | cut -d' ' -f1)"

# An encrypted share on the same unsigned mount: checked in memory, so the
# library declines the pipe and the handle reads through memory.
n0=$(stat_of "$M" reads_spliced)
d0=$(stat_of "$M" mount_splice_declined)
eq "sha256 of a file on an encrypted share" "$ENC_SHA" \
  "$(sum_of "$M/fs1/enc/splice.bin")"
eq "... nothing spliced from the socket for it" "$n0" "$(stat_of "$M" reads_spliced)"
eq "... its handle declined once, then read through memory (64 reads)" "$((d0 + 1))" \
  "$(stat_of "$M" mount_splice_declined)"

# ---- signed, and SMB 2.0.2's 64 KiB READs ----------------------------------------------
# A signature needs the bytes here: the library declines every pipe read,
# and the reads go through memory. A read of the mount needs several READs
# over SMB 2.0.2, which cannot share one pipe in order: declined too (a read
# of one READ's size, tried again after 64, may still go through a pipe).
S=$TMP/signed
mounted "$S" signed --sign=required
eq "... nothing spliced, no pipe used" "0 0" \
  "$(stat_of "$S" reads_spliced) $(stat_of "$S" mount_reads_spliced)"
counted "$S" mount_splice_declined "... the library declined the pipe"
O=$TMP/smb202
mounted "$O" "SMB 2.0.2" --sign=off --max-protocol=SMB2_02
counted "$O" mount_splice_declined "... the library declined the pipe"

# ---- -o nosplice --------------------------------------------------------------------
N=$TMP/nosplice
mounted "$N" nosplice --sign=off -o nosplice
eq "... no pipe used, none declined" "0 0 0" "$(stat_of "$N" reads_spliced) \
$(stat_of "$N" mount_reads_spliced) $(stat_of "$N" mount_splice_declined)"
finish
