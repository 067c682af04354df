#!/usr/bin/env bash
# bench/run --smoke --json: every scenario runs once at tiny sizes, both
# clients succeed (or a side is n/a with a reason), and the JSON document is
# complete and well-formed. With the AD DC running, the Kerberos burst's
# four sides all run.
. "$(dirname "$0")/lib.sh"
SRC=${DFSC_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
start=$(date +%s)
if /usr/bin/python3 "$SRC/bench/run" --smoke --json --dfsc "$DFSC" >"$TMP/bench.json" 2>"$TMP/bench.err"; then
  ok "bench/run --smoke --json exits 0"
else
  not_ok "bench/run --smoke --json exits 0 (exit $?)"
  sed 's/^/#   /' "$TMP/bench.err" | tail -20
fi
secs=$(($(date +%s) - start))
if [ "$secs" -le 120 ]; then ok "smoke run took ${secs}s"; else not_ok "smoke run took ${secs}s (> 120)"; fi

fuse=0
[ -c /dev/fuse ] && command -v fusermount3 >/dev/null && fuse=1
/usr/bin/python3 - "$TMP/bench.json" "${DFSC_TB_DC:-0}" "$fuse" >"$TMP/checks" 2>&1 <<'EOF'
import json, sys
# One line per check: "ok - ..." or "not ok - ...".
def check(cond, what):
    print(("ok - " if cond else "not ok - ") + what)
try:
    doc = json.load(open(sys.argv[1]))
except ValueError as e:
    check(False, "bench output is JSON: %s" % e)
    sys.exit()
check(True, "bench output is JSON")
m = doc.get("machine", {})
for k in ("cpu_model", "cores", "kernel", "samba", "dfsc_commit"):
    check(m.get(k) not in (None, ""), "machine.%s present" % k)
check(doc.get("config", {}).get("smoke") is True, "config.smoke is true")
rows = doc.get("scenarios", [])
want = ["read", "write", "ls", "stat", "get_many", "get_tree", "burst", "krb_burst", "mount",
        "stall"]
check(sorted(set(r.get("scenario") for r in rows)) == sorted(want),
      "all scenarios present: %s" % sorted(set(r.get("scenario") for r in rows)))
check(len([r for r in rows if r.get("scenario") == "read"]) == 6,
      "read: plain and DFS x unsigned, signed, encrypted")
check([r.get("variant") for r in rows if r.get("scenario") == "write"]
      == ["plain share, unsigned", "plain share, signed", "plain share, encrypted"],
      "write: unsigned, signed, encrypted")
for r in rows:
    if r.get("scenario") in ("read", "write") and r.get("dfsc", {}).get("status") == "ok":
        check(len(r["dfsc"].get("cpu_s", [])) == 1 and len(r["smbclient"].get("cpu_s", [])) == 1,
              "%s (%s): both clients' CPU recorded" % (r["scenario"], r.get("variant")))
stall = [r for r in rows if r.get("scenario") == "stall"]
check([r.get("variant") for r in stall] == ["plain", "encrypted", "signed"],
      "stall: a plain, an encrypted and a signed row")
for r in stall:
    d = r.get("dfsc", {})
    good = (d.get("status") == "ok" and d.get("stream_MB_s", 0) > 0
            and all(d.get(p, {}).get("n", 0) >= 10 and d[p].get("max_us", 0) > 0
                    for p in ("idle", "streaming")))
    check(good, "stall (%s): latencies idle and while streaming, and the stream's speed: %s"
          % (r.get("variant"), d.get("reason") or d.get("stream_MB_s")))
mnt = [r for r in rows if r.get("scenario") == "mount"]
want_mnt = ["read, plain share", "read, DFS link", "write", "untar", "rm -rf", "dbench"]
check(len(mnt) == 6 and all(r.get("variant", "").startswith(w) for r, w in zip(mnt, want_mnt)),
      "mount: rows %s" % [r.get("variant") for r in mnt])
fuse = sys.argv[3] == "1"
for r in mnt:
    # The mount's side runs in every row (dbench is in scripts/deps) where
    # this machine can mount at all.
    d = r.get("dfsc", {})
    check(d.get("status") == "ok" if fuse else d.get("status") in ("ok", "n/a"),
          "mount (%s): the mount's side ran: %s" % (r.get("variant"), d.get("reason", "ok")))
for r in mnt[:2]:
    check(r.get("cpu_per_gib_smbclient", 0) > 0, "mount (%s): smbclient's CPU" % r.get("variant"))
if fuse and len(mnt) == 6:
    # At smoke sizes a read may cost the mount less than a clock tick; the
    # untar, rm and dbench rows cost it more (and show the pid measured is
    # the dfsc process's).
    busy = sum(sum(r.get("dfsc", {}).get("cpu_s", [])) for r in mnt[3:])
    check(busy > 0, "mount: the mount process's CPU over untar, rm and dbench: %.2f s" % busy)
krb = [r for r in rows if r.get("scenario") == "krb_burst"]
check(sorted(r.get("variant", "").split(",")[0] for r in krb) == ["Kerberos", "NTLM"],
      "krb_burst: a Kerberos and an NTLM row")
if sys.argv[2] == "1":
    # With the AD DC up every side of krb_burst must run, not be n/a.
    for r in krb:
        for tool in ("dfsc", "smbclient"):
            check(r.get(tool, {}).get("status") == "ok", "krb_burst (%s): %s ran with the DC up"
                  % (r.get("variant"), tool))
        check(r.get("dfsc_krb_over_ntlm", 0) > 0,
              "krb_burst (%s): dfsc Kerberos / NTLM ratio present" % r.get("variant"))
for r in rows:
    if r.get("scenario") == "stall":
        continue  # checked above: no samples, no smbclient side
    name = "%s (%s)" % (r.get("scenario"), r.get("variant"))
    for tool in ("dfsc", "smbclient"):
        s = r.get(tool, {})
        st = s.get("status")
        if st == "ok":
            good = (len(s.get("samples_s", [])) == 1 and s.get("median_s", 0) > 0
                    and s.get("peak_rss_kib", 0) > 0)
            check(good, "%s: %s ok with one sample, a median and a peak RSS" % (name, tool))
        elif st == "n/a":
            check(bool(s.get("reason")), "%s: %s n/a: %s" % (name, tool, s.get("reason")))
        else:
            check(False, "%s: %s %s: %s" % (name, tool, st, s.get("reason")))
    if r.get("dfsc", {}).get("status") == "ok" and r.get("smbclient", {}).get("status") == "ok":
        check(r.get("speedup", 0) > 0, "%s: speedup present" % name)
EOF
take_checks "$TMP/checks"
finish
