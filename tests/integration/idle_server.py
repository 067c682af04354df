#!/usr/bin/env python3
"""Many cheap SMB2 servers on one loopback address, for idle_many_test.

The well-behaved scenario of tests/hostile/hostile.py (SMB 2.1, anonymous
sessions, shares data and ipc$; it answers TREE_DISCONNECT and LOGOFF),
listening on --ports ephemeral ports of --addr: a client reaching it under
many names and ports sees that many distinct servers, at a thread per
connection instead of Samba's process per connection.

Usage:
  idle_server.py --addr 127.0.0.1 --ports 40 --portfile FILE --pidfile FILE \
                 [--max-seconds 300] [--mute-teardown]

--mute-teardown: never answer TREE_DISCONNECT or LOGOFF (the client's
teardown requests must then end by their deadline).

Writes the ports, one per line, to --portfile, then its pid to --pidfile
(so the pidfile appearing means the ports are ready). Stops on SIGTERM or by
itself after --max-seconds. Does not: sign, encrypt, or write files.
"""

import argparse
import os
import selectors
import signal
import socket
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hostile"))
import hostile  # noqa: E402


class MuteTeardownConn(hostile.Conn):
    """Drops the answers to TREE_DISCONNECT and LOGOFF."""

    def send_frame(self, pdu):
        if len(pdu) >= 64 and hostile.struct.unpack_from("<H", pdu, 12)[0] in (
                hostile.TREE_DISCONNECT, hostile.LOGOFF):
            return
        hostile.Conn.send_frame(self, pdu)


def main():
    ap = argparse.ArgumentParser(description="many fake SMB2 servers")
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--ports", type=int, default=40)
    ap.add_argument("--portfile", required=True)
    ap.add_argument("--pidfile", required=True)
    ap.add_argument("--max-seconds", type=float, default=300.0)
    ap.add_argument("--mute-teardown", action="store_true")
    args = ap.parse_args()
    conn_class = MuteTeardownConn if args.mute_teardown else hostile.Conn
    if not args.addr.startswith("127."):
        ap.error("only loopback addresses (127.0.0.0/8)")
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    threading.stack_size(256 * 1024)
    srv = hostile.Server(argparse.Namespace(addr=args.addr, port=0, max_seconds=args.max_seconds,
                                            scenario="none", verbose=False))
    sel = selectors.DefaultSelector()
    ports = []
    for _ in range(args.ports):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.bind((args.addr, 0))
        ls.listen(256)
        ls.setblocking(False)
        sel.register(ls, selectors.EVENT_READ)
        ports.append(ls.getsockname()[1])
    with open(args.portfile + ".tmp", "w") as f:
        f.write("".join("%d\n" % p for p in ports))
    os.rename(args.portfile + ".tmp", args.portfile)
    with open(args.pidfile + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(args.pidfile + ".tmp", args.pidfile)
    try:
        while not srv.expired():
            for key, _ in sel.select(timeout=0.2):
                try:
                    s, _ = key.fileobj.accept()
                except BlockingIOError:
                    continue
                s.setblocking(True)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                s.settimeout(max(1.0, srv.deadline - hostile.time.monotonic()))
                threading.Thread(target=conn_class(srv, s).serve, daemon=True).start()
    finally:
        for p in (args.pidfile, args.portfile):
            try:
                os.unlink(p)
            except OSError:
                pass
    os._exit(0)


if __name__ == "__main__":
    main()
