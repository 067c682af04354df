#!/usr/bin/env python3
"""A small scriptable fake SMB2 server that misbehaves on purpose.

It speaks just enough SMB 2.1 for dfsc to reach the step a scenario names,
then answers that step wrongly: truncated or oversized frames, bad structure
sizes, offsets pointing outside the PDU, hostile credit grants, endless
STATUS_PENDING, answers to MessageIds never sent, a one-byte-per-100-ms
trickle, garbage after a valid PDU, bad directory listings and bad DFS
referrals. Content scenarios (not in --list: a client must succeed with
them) serve well-formed PDUs whose content is hostile, e.g. names in a
directory listing that hold NUL, separators or unpaired surrogates. Layouts come from [MS-SMB2] 2.2 and [MS-DFSC] 2.2; sessions are
anonymous NTLMSSP inside SPNEGO ([MS-SPNG], [MS-NLMP] 2.2.1.2).

Usage:
  hostile.py --addr 127.0.0.61 [--port 445] --pidfile FILE \
             --scenario MISBEHAVIOUR@STEP [--max-seconds 60]
  hostile.py --list            (every misbehaviour scenario, one per line)
  hostile.py --list-content    (the content scenarios)

STEP is one of negotiate, session_setup, tree_connect, create, query_info,
read, close, query_directory, ioctl. Scenario "none" behaves. The server
serves connections until --max-seconds have passed, then exits by itself.
Does not: sign, encrypt, write files, or speak any dialect but 2.1.
"""

import argparse
import os
import signal
import socket
import struct
import sys
import threading
import time

# ---- wire constants ([MS-SMB2] 2.2.1, 2.2.3; [MS-ERREF] 2.3) ---------------
NEGOTIATE, SESSION_SETUP, LOGOFF, TREE_CONNECT, TREE_DISCONNECT = 0, 1, 2, 3, 4
CREATE, CLOSE, FLUSH, READ, WRITE, LOCK, IOCTL, CANCEL, ECHO = 5, 6, 7, 8, 9, 10, 11, 12, 13
QUERY_DIRECTORY, CHANGE_NOTIFY, QUERY_INFO, SET_INFO = 14, 15, 16, 17

FLAG_RESPONSE = 0x1
FLAG_ASYNC = 0x2
FLAG_RELATED = 0x4

ST_OK = 0
ST_PENDING = 0x00000103
ST_NO_MORE_FILES = 0x80000006
ST_MORE_PROCESSING = 0xC0000016
ST_END_OF_FILE = 0xC0000011
ST_NOT_SUPPORTED = 0xC00000BB
ST_BAD_NETWORK_NAME = 0xC00000CC
ST_OBJECT_NAME_NOT_FOUND = 0xC0000034
ST_OBJECT_PATH_NOT_FOUND = 0xC000003A
ST_PATH_NOT_COVERED = 0xC0000257
ST_ACCESS_DENIED = 0xC0000022

FSCTL_DFS_GET_REFERRALS = 0x00060194
FSCTL_DFS_GET_REFERRALS_EX = 0x000601B0

STEPS = {
    "negotiate": NEGOTIATE, "session_setup": SESSION_SETUP,
    "tree_connect": TREE_CONNECT, "create": CREATE, "query_info": QUERY_INFO,
    "read": READ, "close": CLOSE, "query_directory": QUERY_DIRECTORY,
    "ioctl": IOCTL, "echo": ECHO,
}

# Misbehaviours and the steps each makes sense at.
ALL = ["negotiate", "session_setup", "tree_connect", "create", "read",
       "query_directory", "ioctl"]
WITH_BUFFER = ["negotiate", "session_setup", "create", "read",
               "query_directory", "ioctl"]
MISBEHAVIOURS = {
    "truncated": ALL,        # the PDU cut short, framed at its cut length
    "nblong": ALL,           # NetBIOS length larger than the data, then close
    "structsize": ALL,       # wrong StructureSize in the body
    "badoffset": WITH_BUFFER,  # buffer offset/length outside the PDU
    "credits_huge": ALL,     # 65535 credits on every response from the step on
    "credits_zero": ALL,     # 0 credits on every response from the step on
    "pending": ALL,          # STATUS_PENDING interims forever, never a final
    "wrongmid": ALL,         # the answer carries a MessageId never sent
    "trickle": ALL,          # the answer one byte per 100 ms
    "garbage": ALL,          # a valid PDU, then bytes that are no frame
    "huge": ALL,             # a 16 MiB NetBIOS length, a little data, silence
    "read_overlong": ["read"],          # DataLength larger than asked
    "dir_oor": ["query_directory"],     # NextEntryOffset past the buffer
    "dir_overlap": ["query_directory"],  # NextEntryOffset inside the entry
    "dir_namelen": ["query_directory"],  # FileNameLength past the entry
    "dir_endless": ["query_directory"],  # full pages forever, no NO_MORE_FILES
    "ref_consumed": ["ioctl"],  # PathConsumed beyond the request path
    "ref_offsets": ["ioctl"],   # string offsets outside the buffer
    "ref_count": ["ioctl"],     # NumberOfReferrals 65535, one entry present
    "ref_self": ["ioctl"],      # a root referral naming itself (a loop)
}

# Content scenarios: every PDU well formed, what it says hostile. A client
# is expected to succeed with these, so they stay out of --list (which
# t_hostile.sh expects to fail).
CONTENT = {
    "badnames": ["query_directory"],  # hostile names in every listing
    # the same without the invalid UTF-16, which a client that fails a whole
    # listing on it would never get past
    "badnames_utf16ok": ["query_directory"],
}


def name16(s):
    """UTF-16LE of s, lone surrogates kept as they are."""
    return s.encode("utf-16-le", "surrogatepass")


# badnames: what every directory lists. No name in BAD_NAMES or BAD_UTF16
# may reach a client's caller (NUL, separators, empty, "." and "..",
# invalid UTF-16);
# the controls are legal on many servers and must be listed but printed
# escaped; the good names must be listed.
BAD_NAMES = [
    "..\0",                     # ".." once cut at the NUL
    "x\0/../../tmp/pwn",        # "x" once cut at the NUL
    "",                         # empty
    "a/b",
    "a\\b",
    ".",
    "..",
]
BAD_UTF16 = [
    "lone\ud800x",              # an unpaired surrogate
]
CTRL_NAMES = [
    "\x1b[31mred",              # ESC: a terminal colour sequence
    "line1\nline2",             # a newline: a second line in any listing
    "c1\u009bname",             # U+009B, the C1 CSI
]
GOOD_NAMES = ["good1.txt", "good2.txt"]

FILE_DATA = bytes((i * 7 + 3) & 0xFF for i in range(100000))
FILE_TIME = 133000000000000000  # a FILETIME in 2022


def all_scenarios():
    out = ["none"]
    for mb, steps in MISBEHAVIOURS.items():
        out.extend("%s@%s" % (mb, st) for st in steps)
    return out


def content_scenarios():
    out = []
    for mb, steps in CONTENT.items():
        out.extend("%s@%s" % (mb, st) for st in steps)
    return out


def utf16(s):
    return s.encode("utf-16-le")


def der(tag, body):
    n = len(body)
    if n < 0x80:
        ln = bytes([n])
    elif n < 0x100:
        ln = bytes([0x81, n])
    else:
        ln = bytes([0x82, n >> 8, n & 0xFF])
    return bytes([tag]) + ln + body


NTLMSSP_OID = bytes([0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a])


def ntlm_challenge():
    """[MS-NLMP] 2.2.1.2 CHALLENGE_MESSAGE without Version; TargetInfo holds
    only MsvAvEOL."""
    flags = 0x00000001 | 0x00000200 | 0x00080000 | 0x00800000
    target_info = struct.pack("<HH", 0, 0)
    return (b"NTLMSSP\0" + struct.pack("<I", 2) +
            struct.pack("<HHI", 0, 0, 48) + struct.pack("<I", flags) +
            b"\x11\x22\x33\x44\x55\x66\x77\x88" + b"\0" * 8 +
            struct.pack("<HHI", len(target_info), len(target_info), 48) +
            target_info)


def spnego_challenge():
    """NegTokenResp: accept-incomplete, NTLMSSP, the challenge (RFC 4178)."""
    inner = (der(0xa0, der(0x0a, b"\x01")) + der(0xa1, der(0x06, NTLMSSP_OID)) +
             der(0xa2, der(0x04, ntlm_challenge())))
    return der(0xa1, der(0x30, inner))


class Req:
    """One request PDU of a (possibly compound) frame."""

    def __init__(self, pdu):
        self.pdu = pdu
        (self.credit_charge, self.status, self.command, self.credits, self.flags,
         self.next_cmd, self.mid) = struct.unpack_from("<HIHHIIQ", pdu, 6)
        self.tree_id = struct.unpack_from("<I", pdu, 36)[0]
        self.session_id = struct.unpack_from("<Q", pdu, 40)[0]
        self.body = pdu[64:]


def split_compound(frame):
    out = []
    off = 0
    while off + 64 <= len(frame):
        nxt = struct.unpack_from("<I", frame, off + 20)[0]
        end = off + nxt if nxt else len(frame)
        if end > len(frame) or (nxt and nxt < 64):
            break
        out.append(Req(frame[off:end]))
        if not nxt:
            break
        off = end
    return out


class Conn:
    def __init__(self, srv, sock):
        self.srv = srv
        self.sock = sock
        self.sc = srv.scenario
        self.trees = {}  # tree id -> share name
        self.next_tree = 1
        self.files = {}  # fid -> (name, is_dir, listed)
        self.next_fid = 1
        self.last_fid = None
        self.ss_round = 0
        self.triggered = False
        self.dead = False
        self.wlock = threading.Lock()

    # ---- framing -------------------------------------------------------
    def send_raw(self, data):
        with self.wlock:
            try:
                self.sock.sendall(data)
            except OSError:
                self.dead = True

    def send_frame(self, pdu):
        self.send_raw(struct.pack(">I", len(pdu)) + pdu)

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    # ---- header --------------------------------------------------------
    def header(self, req, status, credits, mid=None, async_id=None):
        flags = FLAG_RESPONSE | (req.flags & FLAG_RELATED)
        if mid is None:
            mid = req.mid
        tree = req.tree_id
        if req.command == TREE_CONNECT and status == 0:
            tree = self.cur_tree
        sess = self.srv.session_id if req.command != NEGOTIATE else 0
        if async_id is not None:
            flags |= FLAG_ASYNC
            return (b"\xfeSMB" + struct.pack("<HHIHHIIQQQ", 64, 0, status, req.command,
                                             credits, flags, 0, mid, async_id, sess) +
                    b"\0" * 16)
        return (b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ", 64, 0, status, req.command,
                                         credits, flags, 0, mid, 0, tree, sess) +
                b"\0" * 16)

    def grant(self, req):
        mb, step = self.sc
        if self.triggered and mb == "credits_huge":
            return 65535
        if self.triggered and mb == "credits_zero":
            return 0
        return max(1, min(req.credits, 512))

    # ---- bodies: [MS-SMB2] 2.2.x ---------------------------------------
    def error_body(self):
        return struct.pack("<HBBI", 9, 0, 0, 0) + b"\0"  # 2.2.2 ERROR Response

    def negotiate(self, req, smb1=False):
        """2.1 when offered, else 2.0.2; the wildcard 0x02FF to an SMB1
        negotiate ([MS-SMB2] 3.3.5.3.1)."""
        dialect = 0x0210
        if smb1:
            dialect = 0x02FF
        else:
            count = struct.unpack_from("<H", req.body, 2)[0]
            offered = struct.unpack_from("<%dH" % count, req.body, 36) if count <= 16 else ()
            if 0x0210 not in offered:
                dialect = 0x0202
        now = int((time.time() + 11644473600) * 10000000)
        body = struct.pack("<HHHH", 65, 0x01, dialect, 0) + b"hostile-guid-16b"
        body += struct.pack("<IIIIQQHHI", 0x1, 65536, 65536, 65536, now, 0,
                            128, 0, 0)
        return ST_OK, body

    def session_setup(self, req):
        self.ss_round += 1
        if self.ss_round == 1:
            blob = spnego_challenge()
            return ST_MORE_PROCESSING, struct.pack("<HHHH", 9, 0, 72, len(blob)) + blob
        # Anonymous: SMB2_SESSION_FLAG_IS_NULL, no token.
        return ST_OK, struct.pack("<HHHH", 9, 0x0002, 72, 0)

    def tree_connect(self, req):
        off, ln = struct.unpack_from("<HH", req.body, 4)
        path = req.pdu[off:off + ln].decode("utf-16-le", "replace")
        share = path.rsplit("\\", 1)[-1].lower()
        if share not in ("ipc$", "data", "dfs"):
            return ST_BAD_NETWORK_NAME, self.error_body()
        self.cur_tree = self.next_tree
        self.next_tree += 1
        self.trees[self.cur_tree] = share
        if share == "ipc$":
            stype, sflags, caps = 0x02, 0, 0
        elif share == "dfs":
            stype, sflags, caps = 0x01, 0x3, 0x8  # SHAREFLAG_DFS|DFS_ROOT, CAP_DFS
        else:
            stype, sflags, caps = 0x01, 0, 0
        return ST_OK, struct.pack("<HBBIII", 16, stype, 0, sflags, caps, 0x001F01FF)

    def create(self, req):
        off, ln = struct.unpack_from("<HH", req.body, 44)
        name = req.pdu[off:off + ln].decode("utf-16-le", "replace").lower()
        share = self.trees.get(req.tree_id, "")
        if share == "dfs" and self.sc[1] == "ioctl":
            # Only a referral could route this path: the broken one must be used.
            return ST_PATH_NOT_COVERED, self.error_body()
        if share == "dfs" and name.startswith("\\"):
            name = name.split("\\", 3)[3] if name.count("\\") >= 3 else ""
        leaf = name.rsplit("\\", 1)[-1]
        if "nosuch" in leaf:
            return ST_OBJECT_NAME_NOT_FOUND, self.error_body()
        if self.sc[0].startswith("badnames"):
            # Every name listed in a directory is a file: a path through
            # one of them (dir\a\b) names nothing, as on a real server.
            parts = name.split("\\")
            for i, p in enumerate(parts[:-1]):
                if "dir" not in p and p != "":
                    return ST_OBJECT_PATH_NOT_FOUND, self.error_body()
        is_dir = leaf == "" or "dir" in leaf
        fid = self.next_fid
        self.next_fid += 1
        self.files[fid] = [name, is_dir, False]
        self.last_fid = fid
        size = 0 if is_dir else len(FILE_DATA)
        attrs = 0x10 if is_dir else 0x80
        body = struct.pack("<HBBI", 89, 0, 0, 1)
        body += struct.pack("<QQQQQQII", FILE_TIME, FILE_TIME, FILE_TIME, FILE_TIME,
                            (size + 4095) & ~4095, size, attrs, 0)
        body += struct.pack("<QQ", fid, fid) + struct.pack("<II", 0, 0)
        return ST_OK, body

    def fid_of(self, req, at):
        fid = struct.unpack_from("<Q", req.body, at)[0]
        if fid == 0xFFFFFFFFFFFFFFFF and self.last_fid is not None:
            fid = self.last_fid
        return fid

    def query_info(self, req):
        fid = self.fid_of(req, 24)
        f = self.files.get(fid)
        if f is None:
            return ST_OBJECT_NAME_NOT_FOUND, self.error_body()
        is_dir = f[1]
        size = 0 if is_dir else len(FILE_DATA)
        cls = req.body[3]
        if req.body[2] == 2:  # SMB2_0_INFO_FILESYSTEM: FileFsFullSizeInformation
            info = struct.pack("<QQQII", 1000000, 500000, 500000, 8, 512)
        elif cls == 18:  # [MS-FSCC] 2.4.2 FileAllInformation
            nm = utf16("\\" + f[0])
            info = struct.pack("<QQQQII", FILE_TIME, FILE_TIME, FILE_TIME, FILE_TIME,
                               0x10 if is_dir else 0x80, 0)
            info += struct.pack("<QQIBBH", (size + 4095) & ~4095, size, 1, 0,
                                1 if is_dir else 0, 0)
            info += struct.pack("<QIIQII", fid, 0, 0x001F01FF, 0, 0, 0)
            info += struct.pack("<I", len(nm)) + nm
        else:
            return ST_NOT_SUPPORTED, self.error_body()
        return ST_OK, struct.pack("<HHI", 9, 72, len(info)) + info

    def read(self, req):
        length, offset = struct.unpack_from("<IQ", req.body, 4)
        if offset >= len(FILE_DATA):
            return ST_END_OF_FILE, self.error_body()
        data = FILE_DATA[offset:offset + length]
        if self.sc == ("read_overlong", "read"):
            data = data + b"\xAA" * (length + 65536)
        return ST_OK, struct.pack("<HBBIII", 17, 80, 0, len(data), 0, 0) + data

    def write(self, req):
        length = struct.unpack_from("<I", req.body, 4)[0]
        return ST_OK, struct.pack("<HHIIHH", 17, 0, length, 0, 0, 0)

    def close(self, req):
        fid = self.fid_of(req, 8)
        self.files.pop(fid, None)
        return ST_OK, struct.pack("<HHI", 60, 0, 0) + b"\0" * 56

    def dir_entry(self, name, next_off=None, name_len=None, index=0):
        """[MS-FSCC] 2.4.17 FileIdBothDirectoryInformation, padded to 8."""
        nm = name16(name)
        # Content scenarios list the size a CREATE of the name reports.
        size = len(FILE_DATA) if self.sc[0] in CONTENT else 100
        e = struct.pack("<IIQQQQQQII", 0, index, FILE_TIME, FILE_TIME, FILE_TIME,
                        FILE_TIME, size, (size + 4095) & ~4095, 0x80,
                        len(nm) if name_len is None else name_len)
        e += struct.pack("<IBB", 0, 0, 0) + b"\0" * 24 + struct.pack("<HQ", 0, 1000 + index)
        e += nm
        e += b"\0" * ((8 - len(e) % 8) % 8)
        if next_off is not None:
            e = struct.pack("<I", next_off) + e[4:]
        return e

    def listing(self, names):
        out = b""
        for i, n in enumerate(names):
            e = self.dir_entry(n, index=i)
            last = i == len(names) - 1
            if last:
                e = struct.pack("<I", 0) + e[4:]
                # The last entry carries no padding past its name.
                e = e[:104 + len(name16(n))]
            else:
                e = struct.pack("<I", len(e)) + e[4:]
            out += e
        return out

    def query_directory(self, req):
        fid = self.fid_of(req, 8)
        f = self.files.get(fid)
        outlen = struct.unpack_from("<I", req.body, 28)[0]
        mb = self.sc[0] if self.sc[1] == "query_directory" else None
        if f is None:
            return ST_OBJECT_NAME_NOT_FOUND, self.error_body()
        if mb == "dir_endless":
            # Endless as far as a client can tell; the server stops after
            # ~64 MiB of listing so a client that keeps it all stays testable.
            self.pages = getattr(self, "pages", 0) + 1
            if self.pages > 1500:
                self.dead = True
                return ST_NO_MORE_FILES, self.error_body()
            names = ["endless-%05d-%s" % (i, "x" * 40) for i in range(400)]
            buf = self.listing(names)
            while len(buf) > outlen and len(names) > 1:
                names = names[: len(names) // 2]
                buf = self.listing(names)
            return ST_OK, struct.pack("<HHI", 9, 72, len(buf)) + buf
        if f[2]:
            return ST_NO_MORE_FILES, self.error_body()
        f[2] = True
        names = ["file%d.txt" % i for i in range(5)] + ["subdir"]
        if self.sc[0] == "badnames":
            names = BAD_NAMES + BAD_UTF16 + CTRL_NAMES + GOOD_NAMES
        elif self.sc[0] == "badnames_utf16ok":
            names = BAD_NAMES + CTRL_NAMES + GOOD_NAMES
        buf = self.listing(names)
        if mb == "dir_oor":
            buf = struct.pack("<I", len(buf) + 4096) + buf[4:]
        elif mb == "dir_overlap":
            buf = struct.pack("<I", 8) + buf[4:]
        elif mb == "dir_namelen":
            buf = buf[:60] + struct.pack("<I", 0x7FFFFFF0) + buf[64:]
        return ST_OK, struct.pack("<HHI", 9, 72, len(buf)) + buf

    def referral(self, req):
        """[MS-DFSC] 2.2.4 RESP_GET_DFS_REFERRAL with one V3 root entry
        (2.2.5.3) pointing at this server's data share."""
        in_off, in_cnt = struct.unpack_from("<II", req.body, 24)
        inp = req.pdu[in_off:in_off + in_cnt]
        ctl = struct.unpack_from("<I", req.body, 4)[0]
        if ctl == FSCTL_DFS_GET_REFERRALS_EX:
            return ST_NOT_SUPPORTED, self.error_body()
        path = inp[2:].decode("utf-16-le", "replace").split("\0", 1)[0]
        parts = [p for p in path.split("\\") if p]
        if len(parts) < 2:
            return ST_NOT_SUPPORTED, self.error_body()
        root = "\\" + parts[0] + "\\" + parts[1]
        target = "\\" + parts[0] + "\\data"
        mb = self.sc[0] if self.sc[1] == "ioctl" else None
        if mb == "ref_self":
            target = root
        consumed = len(utf16(root))
        count = 1
        s_dfs = utf16(root) + b"\0\0"
        s_net = utf16(target) + b"\0\0"
        entry_size = 34
        dfs_off = entry_size
        net_off = entry_size + len(s_dfs)
        if mb == "ref_consumed":
            consumed = 0xFFF0
        elif mb == "ref_offsets":
            dfs_off, net_off = 0x7000, 0xFFFE
        elif mb == "ref_count":
            count = 65535
        entry = struct.pack("<HHHHIHHH", 3, entry_size, 1, 0, 300, dfs_off, dfs_off,
                            net_off) + b"\0" * 16
        out = struct.pack("<HHI", consumed, count, 0x3) + entry + s_dfs + s_net
        body = struct.pack("<HHI", 49, 0, ctl) + b"\xff" * 16
        body += struct.pack("<IIIIII", 112, 0, 112, len(out), 0, 0)
        return ST_OK, body + out

    def ioctl(self, req):
        ctl = struct.unpack_from("<I", req.body, 4)[0]
        if ctl in (FSCTL_DFS_GET_REFERRALS, FSCTL_DFS_GET_REFERRALS_EX):
            return self.referral(req)
        return ST_NOT_SUPPORTED, self.error_body()

    def answer(self, req):
        c = req.command
        if c == NEGOTIATE:
            return self.negotiate(req)
        if c == SESSION_SETUP:
            return self.session_setup(req)
        if c == TREE_CONNECT:
            return self.tree_connect(req)
        if c == CREATE:
            return self.create(req)
        if c == QUERY_INFO:
            return self.query_info(req)
        if c == READ:
            return self.read(req)
        if c == WRITE:
            return self.write(req)
        if c == CLOSE:
            return self.close(req)
        if c == QUERY_DIRECTORY:
            return self.query_directory(req)
        if c == IOCTL:
            return self.ioctl(req)
        if c in (ECHO, TREE_DISCONNECT, LOGOFF, FLUSH):
            return ST_OK, struct.pack("<HH", 4, 0)
        return ST_NOT_SUPPORTED, self.error_body()

    # ---- misbehaviour ----------------------------------------------------
    def corrupt_offset(self, cmd, pdu):
        """Points the command's buffer outside the PDU."""
        b = bytearray(pdu)
        far = len(pdu) + 4096
        if cmd == NEGOTIATE:
            struct.pack_into("<HH", b, 64 + 56, 0xFF00, 0x00FF)
        elif cmd == SESSION_SETUP:
            struct.pack_into("<HH", b, 64 + 4, 72, 0xFFF0)
        elif cmd == CREATE:
            struct.pack_into("<II", b, 64 + 80, far, 64)
        elif cmd == READ:
            b[64 + 2] = 0xF0
            struct.pack_into("<I", b, 64 + 4, 0x00FFFFFF)
        elif cmd in (QUERY_DIRECTORY, QUERY_INFO):
            struct.pack_into("<HI", b, 64 + 2, 72, far)
        elif cmd == IOCTL:
            struct.pack_into("<II", b, 64 + 32, 112, far)
        return bytes(b)

    def misbehave(self, req, status, body):
        """Sends the answer to req the scenario's way. Returns False when the
        connection should end."""
        mb = self.sc[0]
        pdu = self.header(req, status, self.grant(req)) + body
        if mb == "truncated":
            self.send_frame(pdu[:max(32, len(pdu) // 2)] if len(pdu) > 72 else pdu[:40])
        elif mb == "nblong":
            self.send_raw(struct.pack(">I", len(pdu) + 1000) + pdu)
            return False
        elif mb == "structsize":
            b = bytearray(pdu)
            struct.pack_into("<H", b, 64, struct.unpack_from("<H", b, 64)[0] + 2)
            self.send_frame(bytes(b))
        elif mb == "badoffset":
            self.send_frame(self.corrupt_offset(req.command, pdu))
        elif mb == "pending":
            aid = 0x4242
            while not self.dead and not self.srv.expired():
                self.send_frame(self.header(req, ST_PENDING, 1, async_id=aid) +
                                self.error_body())
                time.sleep(0.2)
            return False
        elif mb == "wrongmid":
            self.send_frame(self.header(req, status, self.grant(req),
                                        mid=req.mid + 1000) + body)
        elif mb == "trickle":
            data = struct.pack(">I", len(pdu)) + pdu
            for i in range(len(data)):
                if self.dead or self.srv.expired():
                    break
                self.send_raw(data[i:i + 1])
                time.sleep(0.1)
        elif mb == "garbage":
            self.send_raw(struct.pack(">I", len(pdu)) + pdu +
                          b"\xde\xad\xbe\xef garbage that frames nothing " * 8)
        elif mb == "huge":
            self.send_raw(struct.pack(">I", 0xFFFFFF) + pdu + b"\0" * 65536)
            while not self.dead and not self.srv.expired():
                time.sleep(0.2)
            return False
        else:
            self.send_frame(pdu)
        return True

    def serve(self):
        try:
            while not self.dead and not self.srv.expired():
                hdr = self.recv_exact(4)
                if hdr is None:
                    break
                ln = struct.unpack(">I", hdr)[0] & 0xFFFFFF
                frame = self.recv_exact(ln)
                if frame is None:
                    break
                if frame[:4] == b"\xffSMB":
                    # An SMB1 negotiate: answer with the SMB2 wildcard dialect.
                    fake = Req(b"\xfeSMB" + struct.pack("<HHIHHIIQ", 64, 0, 0, 0, 1, 0, 0, 0) +
                               b"\0" * 40)
                    st, body = self.negotiate(fake, smb1=True)
                    self.send_frame(self.header(fake, st, 1) + body)
                    continue
                for req in split_compound(frame):
                    status, body = self.answer(req)
                    if self.dead:
                        return
                    mb, step = self.sc
                    # Every answer of the step's command misbehaves, on every
                    # connection, so a client that retries meets it again.
                    hit = mb != "none" and STEPS.get(step) == req.command
                    if hit:
                        self.triggered = True
                        self.srv.log("%s: misbehaving on %s (mid %d)" % (mb, step, req.mid))
                        if not self.misbehave(req, status, body):
                            return
                    else:
                        self.send_frame(self.header(req, status, self.grant(req)) + body)
        except (OSError, struct.error) as e:
            self.srv.log("connection ended: %s" % e)
        finally:
            try:
                self.sock.close()
            except OSError:
                pass


class Server:
    def __init__(self, args):
        self.addr = args.addr
        self.port = args.port
        self.deadline = time.monotonic() + args.max_seconds
        mb, _, step = args.scenario.partition("@")
        self.scenario = (mb, step)
        self.session_id = 0x0000100000000041
        self.verbose = args.verbose

    def expired(self):
        return time.monotonic() >= self.deadline

    def log(self, msg):
        if self.verbose:
            sys.stderr.write("hostile[%d]: %s\n" % (os.getpid(), msg))
            sys.stderr.flush()

    def run(self, pidfile):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((self.addr, self.port))
        ls.listen(16)
        ls.settimeout(0.2)
        with open(pidfile + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(pidfile + ".tmp", pidfile)
        try:
            while not self.expired():
                try:
                    s, _ = ls.accept()
                except socket.timeout:
                    continue
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                s.settimeout(max(1.0, self.deadline - time.monotonic()))
                threading.Thread(target=Conn(self, s).serve, daemon=True).start()
        finally:
            ls.close()
            try:
                os.unlink(pidfile)
            except OSError:
                pass


def main():
    ap = argparse.ArgumentParser(description="hostile fake SMB2 server")
    ap.add_argument("--addr", default="127.0.0.61")
    ap.add_argument("--port", type=int, default=445)
    ap.add_argument("--pidfile")
    ap.add_argument("--scenario", default="none")
    ap.add_argument("--max-seconds", type=float, default=60.0)
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--list-content", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.list:
        print("\n".join(all_scenarios()))
        return 0
    if args.list_content:
        print("\n".join(content_scenarios()))
        return 0
    if not args.addr.startswith("127."):
        ap.error("only loopback addresses (127.0.0.0/8)")
    if args.pidfile is None:
        ap.error("--pidfile is required")
    if args.scenario not in all_scenarios() + content_scenarios():
        ap.error("unknown scenario %s (see --list)" % args.scenario)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    Server(args).run(args.pidfile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
