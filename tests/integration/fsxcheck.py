#!/usr/bin/env python3
"""A seeded random file-operation exerciser with an in-memory model.

    fsxcheck.py FILE [--ops N] [--seed S] [--max-len BYTES] [--max-op BYTES]
                [--server-copy PATH]

Runs N operations on FILE (created, or truncated to empty): pwrite, pread,
ftruncate (growing and shrinking), mmap reads, mmap writes with msync,
fsync, close and reopen. A bytearray models what the file must hold; every
read (pread, mmap, the full reads every 25 operations and at the end)
is compared with it, and the file's size (fstat, and stat of the path after
a reopen) after every operation. At the end, with --server-copy, the file
as the server stores it (its own directory, not through the mount) must
equal the model too. As with fsx, a byte that is wrong only until an
operation overwrites or truncates it away before any read covers it goes
unseen: the full reads are there to make that window short.

On a mismatch it prints the seed, the operation, the first differing
offset with the bytes on both sides, and the last 40 operations, then
exits 1; replaying is `--seed S` with the same --ops, --max-len and
--max-op. On success the last line is `fsxcheck: N operations ok ...`.

FSXCHECK_FLIP=K (a self-test of the checker, never set for a real run):
after operation K, or the first one after it that leaves the file
non-empty, one byte of the model is flipped and the whole file read at
once, so the run must fail there.

Only the standard library; nothing here depends on dfsc.
"""
import argparse
import collections
import mmap
import os
import random
import sys
import time

HISTORY = 40
FULL_EVERY = 25


class Mismatch(Exception):
    pass


class Exerciser:
    def __init__(self, path, seed, max_len, max_op):
        self.path = path
        self.rng = random.Random(seed)
        self.max_len = max_len
        self.max_op = max_op
        self.model = bytearray()
        self.log = collections.deque(maxlen=HISTORY)
        self.counts = collections.Counter()
        self.opnum = 0
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)

    # ---- helpers -------------------------------------------------------------
    def note(self, text):
        self.log.append("%7d %s" % (self.opnum, text))

    def data(self, n):
        return self.rng.randbytes(n)

    def range_in(self, limit):
        """An offset below limit and a length of 1..max_op."""
        off = self.rng.randrange(max(limit, 1))
        n = self.rng.randint(1, self.max_op)
        return off, n

    def compare(self, what, off, n, got):
        want = bytes(self.model[off:off + n])
        if got != want:
            self.fail_diff(what, off, want, got)

    def fail_diff(self, what, off, want, got):
        i = next((k for k in range(min(len(want), len(got))) if want[k] != got[k]),
                 min(len(want), len(got)))
        lo = max(i - 8, 0)
        raise Mismatch(
            "%s at offset %d (0x%x), %d bytes: first difference at file offset %d (0x%x)\n"
            "  expected [%d..]: %s%s\n"
            "  got      [%d..]: %s%s" % (
                what, off, off, len(want), off + i, off + i,
                off + lo, want[lo:i + 16].hex(" "), " (short)" if len(want) < len(got) else "",
                off + lo, got[lo:i + 16].hex(" "), " (short)" if len(got) < len(want) else ""))

    def check_size(self, what):
        st = os.fstat(self.fd).st_size
        if st != len(self.model):
            raise Mismatch("%s: fstat size %d, expected %d" % (what, st, len(self.model)))

    def set_len(self, n):
        if n < len(self.model):
            del self.model[n:]
        else:
            self.model.extend(bytes(n - len(self.model)))

    def read_all(self, what):
        got = bytearray()
        while True:
            chunk = os.pread(self.fd, 1 << 20, len(got))
            if not chunk:
                break
            got += chunk
        if bytes(got) != bytes(self.model):
            self.fail_diff(what, 0, bytes(self.model), bytes(got))

    # ---- operations ----------------------------------------------------------
    def op_write(self):
        off, n = self.range_in(self.max_len)
        n = min(n, self.max_len - off)
        buf = self.data(n)
        self.note("pwrite   0x%06x +%6d  (size 0x%x)" % (off, n, len(self.model)))
        done = os.pwrite(self.fd, buf, off)
        if done != n:
            raise Mismatch("pwrite of %d bytes at %d wrote %d" % (n, off, done))
        if off > len(self.model):
            self.set_len(off)
        self.model[off:off + n] = buf

    def op_read(self):
        # Reads may start or reach past the end: a short read is checked too.
        off, n = self.range_in(max(len(self.model) + self.max_op // 4, 1))
        self.note("pread    0x%06x +%6d  (size 0x%x)" % (off, n, len(self.model)))
        self.compare("pread", off, n, os.pread(self.fd, n, off))

    def op_truncate(self):
        # Half grow; of the shrinks most cut less than one operation's
        # length (fsx's -s 1), so a wrong byte seldom vanishes unread.
        grow = self.rng.random() < 0.5
        if grow:
            n = self.rng.randint(len(self.model), self.max_len)
        elif self.rng.random() < 0.75:
            n = max(len(self.model) - self.rng.randint(0, self.max_op), 0)
        else:
            n = self.rng.randint(0, len(self.model))
        self.note("truncate 0x%06x -> 0x%06x (%s)" % (len(self.model), n,
                                                      "grow" if grow else "shrink"))
        os.ftruncate(self.fd, n)
        self.set_len(n)

    def op_map_read(self):
        size = len(self.model)
        if size == 0:
            self.note("mapread  skipped (empty file)")
            return
        off, n = self.range_in(size)
        n = min(n, size - off)
        self.note("mapread  0x%06x +%6d  (size 0x%x)" % (off, n, size))
        with mmap.mmap(self.fd, size, mmap.MAP_SHARED, mmap.PROT_READ) as m:
            got = m[off:off + n]
        self.compare("mmap read", off, n, got)

    def op_map_write(self):
        # A mapping cannot extend a file: grow it first, as fsx does.
        off, n = self.range_in(self.max_len)
        n = min(n, self.max_len - off)
        end = off + n
        self.note("mapwrite 0x%06x +%6d  (size 0x%x%s)" % (
            off, n, len(self.model), ", grown first" if end > len(self.model) else ""))
        if end > len(self.model):
            os.ftruncate(self.fd, end)
            self.set_len(end)
        buf = self.data(n)
        with mmap.mmap(self.fd, len(self.model), mmap.MAP_SHARED,
                       mmap.PROT_READ | mmap.PROT_WRITE) as m:
            m[off:end] = buf
            m.flush()  # msync(MS_SYNC)
        self.model[off:end] = buf

    def op_fsync(self):
        self.note("fsync")
        os.fsync(self.fd)

    def op_reopen(self):
        self.note("close+open")
        os.close(self.fd)
        self.fd = os.open(self.path, os.O_RDWR)
        st = os.stat(self.path).st_size
        if st != len(self.model):
            raise Mismatch("stat of the path after a reopen: size %d, expected %d"
                           % (st, len(self.model)))

    OPS = [(op_write, 25), (op_read, 25), (op_truncate, 8), (op_map_read, 12),
           (op_map_write, 12), (op_fsync, 6), (op_reopen, 6)]

    def run(self, nops, flip_at):
        funcs = [f for f, _ in self.OPS]
        weights = [w for _, w in self.OPS]
        flipped = False
        for self.opnum in range(1, nops + 1):
            f = self.rng.choices(funcs, weights)[0]
            self.counts[f.__name__[3:]] += 1
            f(self)
            self.check_size(f.__name__[3:])
            if flip_at and not flipped and self.opnum >= flip_at and self.model:
                i = self.rng.randrange(len(self.model))
                self.model[i] ^= 0x01
                self.note("FSXCHECK_FLIP: model byte 0x%x flipped" % i)
                flipped = True
                self.read_all("full read after FSXCHECK_FLIP")
            if self.opnum % FULL_EVERY == 0:
                self.note("full read")
                self.read_all("full read")
        self.note("final full read")
        self.read_all("final full read")
        os.fsync(self.fd)
        os.close(self.fd)
        self.fd = -1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--ops", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--max-len", type=int, default=256 * 1024)
    ap.add_argument("--max-op", type=int, default=64 * 1024)
    ap.add_argument("--server-copy", default=None)
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else int.from_bytes(os.urandom(4), "little")
    flip_at = int(os.environ.get("FSXCHECK_FLIP", "0") or 0)
    print("fsxcheck: seed %d, %d operations on %s (max length %d, max op %d)%s"
          % (seed, a.ops, a.file, a.max_len, a.max_op,
             ", FSXCHECK_FLIP=%d" % flip_at if flip_at else ""), flush=True)
    x = Exerciser(a.file, seed, a.max_len, a.max_op)
    t0 = time.monotonic()
    try:
        x.run(a.ops, flip_at)
        if a.server_copy:
            with open(a.server_copy, "rb") as f:
                got = f.read()
            if got != bytes(x.model):
                x.opnum = a.ops
                x.fail_diff("the server's copy " + a.server_copy, 0, bytes(x.model), got)
    except (Mismatch, OSError) as e:
        print("fsxcheck: FAILED at operation %d of %d, seed %d: %s"
              % (x.opnum, a.ops, seed, e))
        print("fsxcheck: the last %d operations (number, operation, offset, length):"
              % len(x.log))
        for line in x.log:
            print("  " + line)
        print("fsxcheck: replay with --seed %d --ops %d --max-len %d --max-op %d"
              % (seed, a.ops, a.max_len, a.max_op))
        return 1
    dt = time.monotonic() - t0
    print("fsxcheck: %d operations ok in %.1f s, seed %d, final size %d; %s"
          % (a.ops, dt, seed, len(x.model),
             " ".join("%s=%d" % kv for kv in sorted(x.counts.items()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
