#!/usr/bin/env python3
"""A fake server that only watches: it listens on ADDR:PORT, accepts every
connection, appends one line per connection to LOG, closes it at once, and
exits by itself after SECONDS. Used by t_mount_shared.sh to show whether the
mount daemon tried to reach a server.

usage: conn_watch.py ADDR PORT LOG SECONDS
Prints "ready" on stdout once it listens.
"""
import socket
import sys
import time


def main():
    addr, port, log, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    end = time.monotonic() + seconds
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    open(log, "a").close()
    print("ready", flush=True)
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(min(left, 1.0))
        try:
            c, peer = s.accept()
        except socket.timeout:
            continue
        with open(log, "a") as f:
            f.write("%s:%d\n" % peer)
        c.close()
    s.close()


if __name__ == "__main__":
    main()
