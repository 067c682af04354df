#!/usr/bin/env bash
# SMB 3.x encryption and the secure defaults: fs1's `enc` share (server
# smb encrypt = required) with every cipher and 3.x dialect, --encrypt on a
# plain share (capture: transform headers only) and against SMB 2 servers,
# tampered encrypted and signed responses, signing by default, and
# --cred-servers.
. "$(dirname "$0")/lib.sh"
fs1=$DFSC_TB_FS1
encdir=$DFSC_TB_FS1_ENC_DIR
command -v dumpcap >/dev/null || { not_ok "dumpcap not installed"; finish; exit 1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

# cap_start NAME: capture the relay's port into $TMP/NAME.pcapng.
cap_start() {
  cap="$TMP/$1.pcapng"
  dumpcap -q -i lo -f "tcp port $rport" -w "$cap" -a duration:300 \
    2>"$TMP/dumpcap.err" &
  cap_pid=$!
  for _ in $(seq 1 100); do [ -s "$cap" ] && break; sleep 0.05; done
  sleep 0.3
}
cap_stop() { sleep 0.5; kill -INT "$cap_pid" 2>/dev/null; wait "$cap_pid" 2>/dev/null; }
# count FILTER: packets of the last capture matching a display filter.
count() { tshark -r "$cap" -d "tcp.port==$rport,nbss" -Y "$1" 2>/dev/null | wc -l; }
# A relay on 127.0.0.1 in front of fs1: it isolates this test's traffic
# from other users of the testbed for captures (mode none) and flips one
# byte of the first server frame that is encrypted (enc), or signed and not
# a SESSION_SETUP (sign).
rport=0 # set by relay_start
cat >"$TMP/flip.py" <<'PY'
import asyncio, struct, sys
mode, port, up = sys.argv[1], int(sys.argv[2]), sys.argv[3]
async def pipe(r, w, s2c, state):
    try:
        while True:
            hdr = await r.readexactly(4)
            n = struct.unpack(">I", hdr)[0] & 0xFFFFFF
            body = bytearray(await r.readexactly(n))
            if s2c and mode in ("splitread", "splitflip") and len(body) > 65536 + 80 \
                    and body[:4] == b"\xfeSMB" and body[12] == 8 and (body[16] & 0x08):
                # A large signed READ answer in two parts, 50 ms apart: the
                # client has the head well before the data (its split
                # receive); splitflip also flips the last data byte of the
                # first one.
                if mode == "splitflip" and not state["done"]:
                    body[-1] ^= 0x01
                    state["done"] = True
                w.write(hdr + bytes(body[:80]))
                await w.drain()
                await asyncio.sleep(0.05)
                w.write(bytes(body[80:]))
                await w.drain()
                continue
            if s2c and not state["done"] and len(body) > 80 and mode in ("enc", "sign"):
                enc = body[:4] == b"\xfdSMB"
                signed = body[:4] == b"\xfeSMB" and (body[16] & 0x08) and body[12] != 1
                if (mode == "enc" and enc) or (mode == "sign" and signed):
                    body[-1] ^= 0x01
                    state["done"] = True
            w.write(hdr + bytes(body))
            await w.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    w.close()
async def handle(cr, cw):
    ur, uw = await asyncio.open_connection(up, 445)
    st = {"done": False}
    await asyncio.gather(pipe(cr, uw, False, st), pipe(ur, cw, True, st))
async def main():
    # Port 0: the kernel picks a free one (a fixed guess can collide with
    # an ephemeral port another test holds at that moment).
    srv = await asyncio.start_server(handle, "127.0.0.1", port)
    print("ready %d" % srv.sockets[0].getsockname()[1], flush=True)
    async with srv:
        await srv.serve_forever()
asyncio.run(main())
PY
# relay_start MODE: a relay on a port the kernel picks ($rport); dfsc reaches it as
# "fs1" through $VIA.
relay_start() {
  python3 "$TMP/flip.py" "$1" 0 "$fs1" >"$TMP/flip.out" 2>&1 &
  relay_pid=$!
  # 30 s: under ThreadSanitizer both cores are busy and python starts slowly.
  for _ in $(seq 1 600); do grep -q ready "$TMP/flip.out" && break; sleep 0.05; done
  rport=$(awk '/^ready/ {print $2}' "$TMP/flip.out")
  if [ -z "$rport" ] || ! kill -0 "$relay_pid" 2>/dev/null; then
    # Said plainly: the checks through it then fail as "refused" (seen once
    # in CI under TSan, the relay's state unknown).
    not_ok "relay $1 ready (port [$rport], process $(kill -0 "$relay_pid" 2>/dev/null && echo alive || echo gone))"
    sed 's/^/#   /' "$TMP/flip.out"
  fi
  VIA="--resolve fs1:127.0.0.1:${rport:-1}"
}
relay_stop() { kill "$relay_pid" 2>/dev/null; wait "$relay_pid" 2>/dev/null; }


# ---- the encryption-required share, no option -------------------------
check "ls on the encrypted share without options" dfsc -v ls "//$fs1/enc"
grep -q "share encrypted with AES-128-GCM" "$TMP/err" &&
  ok "default 3.1.1 cipher is AES-128-GCM" || not_ok "default 3.1.1 cipher is AES-128-GCM"

head -c 3000017 /dev/urandom >"$TMP/src.bin"
want=$(sha "$TMP/src.bin")
declare -A NAME=([aes-128-gcm]=AES-128-GCM [aes-128-ccm]=AES-128-CCM
                 [aes-256-gcm]=AES-256-GCM [aes-256-ccm]=AES-256-CCM)
for c in aes-128-gcm aes-128-ccm aes-256-gcm aes-256-ccm; do
  f="$RUN-$c.bin"
  check "$c: put" dfsc --ciphers "$c" -v put "$TMP/src.bin" "//$fs1/enc/$f"
  grep -q "cipher ${NAME[$c]}" "$TMP/err" && grep -q "share encrypted with ${NAME[$c]}" "$TMP/err" &&
    ok "$c: negotiated ${NAME[$c]}" || not_ok "$c: negotiated ${NAME[$c]}"
  eq "$c: the server's file is what was put" "$want" "$(sha "$encdir/$f" 2>/dev/null)"
  rm -f "$TMP/got.bin"
  check "$c: get" dfsc --ciphers "$c" get "//$fs1/enc/$f" "$TMP/got.bin"
  eq "$c: get matches the server's file" "$(sha "$encdir/$f" 2>/dev/null)" "$(sha "$TMP/got.bin" 2>/dev/null)"
done
# 3.0 and 3.0.2 always use AES-128-CCM.
for p in SMB3_00 SMB3_02; do
  rm -f "$TMP/got.bin"
  check "$p: get from the encrypted share" dfsc --max-protocol $p -v get "//$fs1/enc/$RUN-aes-128-gcm.bin" "$TMP/got.bin"
  grep -q "share encrypted with AES-128-CCM" "$TMP/err" &&
    ok "$p: AES-128-CCM" || not_ok "$p: AES-128-CCM"
  eq "$p: content" "$want" "$(sha "$TMP/got.bin" 2>/dev/null)"
done
check "stat -j over the encrypted share (compounds)" dfsc -j 4 stat "//$fs1/enc/$RUN-aes-128-gcm.bin" "//$fs1/enc/$RUN-aes-256-ccm.bin" "//$fs1/enc" "//$fs1/enc/$RUN-aes-128-ccm.bin"
for c in aes-128-gcm aes-128-ccm aes-256-gcm aes-256-ccm; do
  check "$c: rm" dfsc rm "//$fs1/enc/$RUN-$c.bin"
done
check_fail "SMB 2.1 against the encrypted share refused" "STATUS_ACCESS_DENIED" \
  dfsc --max-protocol SMB2_10 ls "//$fs1/enc"

# ---- --encrypt on a plain share: the wire shows transform frames only ----
relay_start none
cap_start plain
check "--encrypt get from a plain share" dfsc $VIA --encrypt -v get "//fs1/data/odd.bin" "$TMP/odd.bin"
cap_stop
relay_stop
grep -q "established, encrypted with AES-128-GCM" "$TMP/err" &&
  ok "--encrypt: session encrypted" || not_ok "--encrypt: session encrypted"
eq "--encrypt get content" "$DFSC_TB_ODD_SHA256" "$(sha "$TMP/odd.bin" 2>/dev/null)"
n=$(count 'smb2.header.transform.nonce')
[ "$n" -gt 4 ] && ok "capture has transform frames ($n)" || not_ok "capture has transform frames ($n)"
eq "no plaintext READ in the capture" 0 "$(count 'smb2.cmd == 8')"
eq "no plaintext CREATE in the capture" 0 "$(count 'smb2.cmd == 5')"
eq "no plaintext TREE_CONNECT in the capture" 0 "$(count 'smb2.cmd == 3')"
eq "client offered the ENCRYPTION capability" 1 \
  "$(count 'smb2.cmd == 0 && smb2.flags.response == 0 && smb2.capabilities.encryption == 1')"
head -c 300000 /dev/urandom >"$TMP/p.bin"
check "--encrypt put to a plain share" dfsc --encrypt put "$TMP/p.bin" "//$fs1/scratch/$RUN-p.bin"
eq "--encrypt put content" "$(sha "$TMP/p.bin")" "$(sha "$DFSC_TB_FS1_SCRATCH_DIR/$RUN-p.bin" 2>/dev/null)"
check "--encrypt rm" dfsc --encrypt rm "//$fs1/scratch/$RUN-p.bin"
check "encrypt = yes from --set" dfsc --set encrypt=yes -v stat "//$fs1/data/hello.txt"
grep -q "encrypted with" "$TMP/err" && ok "--set encrypt=yes encrypts" || not_ok "--set encrypt=yes encrypts"

# ---- --encrypt refuses what cannot encrypt ------------------------------
check_fail "--encrypt against the SMB 2.0.2 server" "STATUS_NOT_SUPPORTED|dialect" \
  dfsc --encrypt ls "//$DFSC_TB_D202/data"
check_fail "--encrypt against the SMB 2.1 server" "STATUS_NOT_SUPPORTED|dialect" \
  dfsc --encrypt -v ls "//$DFSC_TB_D210/data"
grep -q "encryption needs SMB 3.0" "$TMP/err" && ok "the log says why" || not_ok "the log says why"
check_fail "--encrypt with --max-protocol SMB2_10" "no common SMB dialect" \
  dfsc --encrypt --max-protocol SMB2_10 ls "//$fs1/data"
check_fail "--encrypt on a guest session" "not supported" "$DFSC" -N --encrypt ls "//$fs1/pub"
check_fail "--ciphers with an unknown name" "unknown cipher 'aes-512-gcm'" \
  dfsc --ciphers aes-512-gcm ls "//$fs1/data"

# ---- tampered responses are fatal ---------------------------------------
check "put a file on the encrypted share" dfsc put "$TMP/p.bin" "//$fs1/enc/$RUN-t.bin"
for mode in enc sign; do
  relay_start $mode
  if [ "$mode" = enc ]; then
    check_fail "a tampered encrypted response fails the command" "dfsc: " \
      dfsc -v $VIA get "//fs1/enc/$RUN-t.bin" "$TMP/t.txt"
    grep -q "failed to decrypt" "$TMP/err" && ok "the log names the decryption failure" ||
      { not_ok "the log names the decryption failure"; sed 's/^/#   /' "$TMP/err" | tail -n 20; }
  else
    check_fail "a tampered signed response fails the command" "dfsc: " \
      dfsc -v $VIA get "//fs1/data/hello.txt" "$TMP/t.txt"
    grep -q "bad signature" "$TMP/err" && ok "the log names the bad signature" ||
      not_ok "the log names the bad signature"
  fi
  relay_stop
done
check "rm the file" dfsc rm "//$fs1/enc/$RUN-t.bin"

# ---- a signed READ received in two parts ------------------------------------
# The data of a large READ answer goes straight into the caller's buffer as
# it arrives; the signature is checked over head and data once complete.
relay_start splitread
check "a signed get whose READ answers come in two parts" \
  dfsc --sign=required --stats $VIA get "//fs1/data/big.bin" "$TMP/big.bin"
eq "it arrives whole" "$DFSC_TB_BIG_SHA256" "$(sha "$TMP/big.bin" 2>/dev/null)"
n=$(awk '$1 == "reads_direct" { print $2 }' "$TMP/err")
case $n in '' | 0 | *[!0-9]*) not_ok "its data went straight to the buffer (reads_direct: [$n])" ;;
  *) ok "its data went straight to the buffer (reads_direct $n)" ;; esac
relay_stop
rm -f "$TMP/big.bin"
relay_start splitflip
check_fail "a flipped byte in such a READ's data fails the command" "dfsc: " \
  dfsc -v --sign=required $VIA get "//fs1/data/big.bin" "$TMP/big.bin"
grep -q "bad signature" "$TMP/err" && ok "the log names the bad signature" ||
  not_ok "the log names the bad signature"
check "and leaves no file behind" test ! -e "$TMP/big.bin"
relay_stop

# ---- signing by default --------------------------------------------------
relay_start none
cap_start signdef
check "authenticated get, default signing" dfsc $VIA -v get "//fs1/data/hello.txt" -
cap_stop
grep -q "established, signed" "$TMP/err" && ok "default session signed" || not_ok "default session signed"
n=$(count 'smb2.cmd == 8 && smb2.flags.response == 1 && smb2.flags.signature == 1')
[ "$n" -gt 0 ] && ok "capture: READ responses signed ($n)" || not_ok "capture: READ responses signed"
n=$(count 'smb2.cmd == 8 && smb2.flags.response == 0 && smb2.flags.signature == 1')
[ "$n" -gt 0 ] && ok "capture: READ requests signed ($n)" || not_ok "capture: READ requests signed"
cap_start signoff
check "authenticated get, --sign=off" dfsc $VIA -v --sign=off get "//fs1/data/hello.txt" -
cap_stop
relay_stop
grep -q "established, signed" "$TMP/err" && not_ok "--sign=off session unsigned" || ok "--sign=off session unsigned"
n=$(count 'smb2.cmd == 8')
[ "$n" -gt 0 ] && ok "capture: READ present ($n)" || not_ok "capture: READ present"
eq "capture: no signed READ with --sign=off" 0 "$(count 'smb2.cmd == 8 && smb2.flags.signature == 1')"

# ---- credentials only where allowed -------------------------------------
check "--cred-servers allowing the server" dfsc --cred-servers "fs*,127.0.0.1?" stat "//$fs1/data/hello.txt"
relay_start none
cap_start cred
check_fail "--cred-servers refusing the server" "authentication failed" \
  dfsc -v $VIA --cred-servers "fs2,127.0.0.11" stat "//fs1/data/hello.txt"
cap_stop
relay_stop
grep -q "fs1: credentials may not be sent" "$TMP/err" && ok "the log names the server" ||
  not_ok "the log names the server"
eq "nothing was sent to the refused server, not even a SYN" 0 "$(count 'tcp')"
check "--cred-servers does not stop anonymous access" "$DFSC" -N --cred-servers "none" ls "//$fs1/pub"
check_fail "cred_servers from --set, through DFS" "dfsc: " \
  dfsc --set "cred_servers=dfsroot,$DFSC_TB_DFSROOT" $DFSC_TB_RESOLVE_ARGS stat "//dfsroot/dfs/single/hello.txt"
finish
