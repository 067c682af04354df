#!/usr/bin/env python3
"""dfsc get vs smbclient get of the testbed's 256 MiB file, back to back.

Runs each client N times (alternating, so both see the same server state),
writing to /dev/null so the local disk does not bound either, and prints the
median wall time, throughput and peak RSS of each and the dfsc/smbclient
ratio. Needs a running testbed (tests/testbed/testbed start) and a built
dfsc (build/dfsc, or --dfsc PATH). Talks only to the testbed's 127.0.0.x
servers; every run is bounded by --timeout.
"""
import argparse, json, os, statistics, subprocess, sys, time

def run(cmd, timeout):
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = t0 + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            p.kill()
            os.wait4(p.pid, 0)
            raise SystemExit(f"timeout: {' '.join(cmd)}")
        time.sleep(0.002)
    dt = time.monotonic() - t0
    err = p.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed ({status}): {' '.join(cmd)}\n{err}")
    return dt, ru.ru_maxrss  # KiB

def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--dfsc", default=os.path.join(repo, "build", "dfsc"))
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("--host", default=None, help="server address (default: fs1)")
    ap.add_argument("--protocol", default="SMB3_11")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    env = {}
    envfile = os.environ.get("DFSC_TESTBED_ENV") or os.path.join(repo, ".testbed", "env")
    for line in open(envfile):
        if line.startswith("export "):
            k, _, v = line[7:].strip().partition("=")
            env[k] = v.strip("'\"")
    host = a.host or env["DFSC_TB_FS1"]
    size = int(env["DFSC_TB_BIG_SIZE"])
    cred = f'{env["DFSC_TB_USER"]}%{env["DFSC_TB_PASS"]}'
    cmds = {
        "dfsc": [a.dfsc, "-U", cred, "--max-protocol", a.protocol, "get",
                 f"//{host}/data/big.bin", "/dev/null"],
        "smbclient": ["smbclient", f"//{host}/data", "-U", cred,
                      "--max-protocol", a.protocol, "-c", "get big.bin /dev/null"],
    }
    res = {k: {"t": [], "rss": []} for k in cmds}
    for _ in range(a.n):
        for k, c in cmds.items():
            t, rss = run(c, a.timeout)
            res[k]["t"].append(t)
            res[k]["rss"].append(rss)
    out = {}
    for k, r in res.items():
        med = statistics.median(r["t"])
        out[k] = {"median_s": med, "MB_per_s": size / med / 1e6,
                  "peak_rss_kib": max(r["rss"]), "runs_s": r["t"]}
    out["ratio_throughput_dfsc_over_smbclient"] = out["smbclient"]["median_s"] / out["dfsc"]["median_s"]
    if a.json:
        json.dump(out, sys.stdout, indent=2)
        print()
        return
    print(f"get of {size >> 20} MiB from //{host}/data, {a.protocol}, medians of {a.n}")
    print(f"{'client':<10} {'median s':>9} {'MB/s':>8} {'peak RSS MiB':>13}")
    for k in cmds:
        o = out[k]
        print(f"{k:<10} {o['median_s']:9.3f} {o['MB_per_s']:8.0f} {o['peak_rss_kib'] / 1024:13.1f}")
    print(f"throughput ratio dfsc/smbclient: {out['ratio_throughput_dfsc_over_smbclient']:.2f}")

if __name__ == "__main__":
    main()
