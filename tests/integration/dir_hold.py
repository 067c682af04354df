#!/usr/bin/env python3
"""Opens directory handles and holds them, for the listing budget checks of
t_mount_shared.sh. Each os.open(O_DIRECTORY) on a FUSE mount is one
opendir, for which the dfsc daemon lists the directory and keeps the
listing until the handle is closed (releasedir).

usage: dir_hold.py DIR N [STOPFILE SECONDS]
Opens DIR up to N times and prints "opened K" and, when an open failed,
"error NAME" (e.g. EMFILE, ENOMEM). With STOPFILE it then prints "holding"
and keeps the handles open until STOPFILE exists or SECONDS pass.
"""
import errno
import os
import sys
import time


def main():
    d, n = sys.argv[1], int(sys.argv[2])
    fds, err = [], None
    for _ in range(n):
        try:
            fds.append(os.open(d, os.O_RDONLY | os.O_DIRECTORY))
        except OSError as e:
            err = errno.errorcode.get(e.errno, str(e.errno))
            break
    print("opened %d" % len(fds))
    if err:
        print("error %s" % err)
    if len(sys.argv) > 3:
        stop, end = sys.argv[3], time.monotonic() + float(sys.argv[4])
        print("holding", flush=True)
        while not os.path.exists(stop) and time.monotonic() < end:
            time.sleep(0.05)
    for fd in fds:
        os.close(fd)


if __name__ == "__main__":
    main()
