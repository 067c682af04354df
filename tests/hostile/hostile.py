#!/usr/bin/env python3
"""A small scriptable fake SMB2 server that misbehaves on purpose.

It speaks just enough SMB 2.1 for dfsc to reach the step a scenario names,
then answers that step wrongly: truncated or oversized frames, bad structure
sizes, offsets pointing outside the PDU, hostile credit grants, endless
STATUS_PENDING, answers to MessageIds never sent, a one-byte-per-100-ms
trickle, garbage after a valid PDU, bad directory listings and bad DFS
referrals. Content scenarios (not in --list: a client must succeed with
them) serve well-formed PDUs whose content is hostile, e.g. names in a
directory listing that hold NUL, separators or unpaired surrogates. Lease
scenarios (--list-lease; each has its own expected outcome) negotiate
3.0.2 with LEASING, grant the lease and durable handle a CREATE asks for
(RqLs, DH2Q or DHnQ, QFid response contexts) and then misbehave: break
notifications for keys never granted and oplock breaks, breaks for a
handle already closed, thousands of breaks, malformed breaks, and a
dropped connection whose durable reclaim is refused and whose reopen by
path finds another file (or the same one); a READ left unanswered on a
connection that answers ECHO, or on one that has gone mute; and READ data
sent in small pieces, one TCP segment each (read_pieces: not in
--list-lease, hostile_lease_test.c runs it). Layouts come from [MS-SMB2] 2.2
and [MS-DFSC] 2.2; sessions are anonymous NTLMSSP inside SPNEGO
([MS-SPNG], [MS-NLMP] 2.2.1.2).

Usage:
  hostile.py --addr 127.0.0.61 [--port 445] --pidfile FILE \
             --scenario MISBEHAVIOUR@STEP [--max-seconds 60]
  hostile.py --list            (every misbehaviour scenario, one per line)
  hostile.py --list-content    (the content scenarios)
  hostile.py --list-lease      (the lease and reconnect scenarios)

STEP is one of negotiate, session_setup, tree_connect, create, query_info,
read, close, query_directory, ioctl. Scenario "none" behaves. The server
serves connections until --max-seconds have passed, then exits by itself.
Does not: sign, encrypt, write files, or speak any dialect but 2.1 (3.0.2
for the lease scenarios, still without signing: the session is anonymous).
"""

import argparse
import hashlib
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
QUERY_DIRECTORY, CHANGE_NOTIFY, QUERY_INFO, SET_INFO, OPLOCK_BREAK = 14, 15, 16, 17, 18

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
ST_INVALID_PARAMETER = 0xC000000D
ST_INTERNAL_ERROR = 0xC00000E5

FSCTL_DFS_GET_REFERRALS = 0x00060194
FSCTL_DFS_GET_REFERRALS_EX = 0x000601B0

STEPS = {
    "negotiate": NEGOTIATE, "session_setup": SESSION_SETUP,
    "tree_connect": TREE_CONNECT, "create": CREATE, "query_info": QUERY_INFO,
    "read": READ, "close": CLOSE, "query_directory": QUERY_DIRECTORY,
    "ioctl": IOCTL, "echo": ECHO,
}

# Lease and durable handle wire values ([MS-SMB2] 2.2.13.2, 2.2.14.2, 2.2.23.2)
CAP_DFS, CAP_LEASING = 0x1, 0x2
OPLOCK_LEVEL_LEASE = 0xFF
LEASE_R, LEASE_H, LEASE_W = 0x1, 0x2, 0x4
BREAK_ACK_REQUIRED = 0x1
LEASE_V1_SIZE, LEASE_V2_SIZE = 32, 52
MID_BREAK = 0xFFFFFFFFFFFFFFFF

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
    # a QUERY_DIRECTORY that follows another in a related compound is
    # refused (STATUS_INVALID_PARAMETER); one sent alone is served
    "dir_second_refused": ["query_directory"],
    # the first QUERY_DIRECTORY of a compound is failed with
    # STATUS_INTERNAL_ERROR, as a server does with a request that would go
    # asynchronous while not the last of its compound; the next is served
    "dir_first_refused": ["query_directory"],
}


# Lease scenarios: each names the step it acts at and has its own expected
# outcome (t_hostile.sh, hostile_lease_test.c), so they stay out of --list.
LEASE = {
    # 20 lease breaks for keys never granted and 4 oplock breaks, then the
    # answer to the first READ: the client drops them and the read goes on
    "break_unknown": ["read"],
    # after the CLOSE of a leased file, breaks for its key (ACK_REQUIRED)
    "break_closed": ["close"],
    # --breaks (10000) breaks for the granted key, ACK_REQUIRED, sent as fast
    # as the socket takes them before the first READ is answered; the server
    # reads nothing meanwhile (so acknowledgements pile up on the client)
    "break_endless": ["read"],
    # the same from a second thread while the connection is served as usual
    "break_storm": ["read"],
    # a break with StructureSize 45 while the first READ is in flight
    "break_badsize": ["read"],
    # a lease break (StructureSize 44) cut after 20 bytes of its body
    "break_truncated": ["read"],
    # the connection closed on the first READ; the durable reclaim refused
    # (STATUS_OBJECT_NAME_NOT_FOUND); the reopen by path answers ...
    "reclaim_stale": ["read"],    # ... another disk file id
    "reclaim_changed": ["read"],  # ... the same id, a later change time
    "reclaim_same": ["read"],     # ... the same id and change time
    # the connection closed on the first READ; the reclaim succeeds
    "reclaim_ok": ["read"],
    # the first READ never answered; everything else (ECHO included) is:
    # the client fails that read alone at its deadline and keeps the
    # connection
    "read_silent": ["read"],
    # from the first READ on, the connection answers nothing (it stays open
    # and is read): the client's ECHO goes unanswered too, so it reconnects;
    # the reclaim succeeds and the next connection behaves
    "read_mute": ["read"],
    # the first READ never answered; the second answered 300 ms late, when
    # the first one's clock has started; from then on the connection
    # answers nothing: an answer just after a request went out does not
    # show the server alive at that request's deadline, so the client asks
    # with an ECHO, which goes unanswered, and reconnects as for read_mute
    "read_mute_late": ["read"],
    # few credits: 2 at NEGOTIATE, each answer then grants what its request
    # cost, and READ answers from the step on grant none; the first READ
    # gets an interim answer after 2 s and its final one 4 s later: a
    # request that waits for credits meanwhile fails alone at its deadline
    # (the connection stays), and the read completes
    "read_nocredit": ["read"],
    # every READ answer's data in pieces of about 1 KiB, each its own TCP
    # segment (send_pieces): a client splicing them into a pipe finds its
    # slots (one per piece) used up before its bytes and finishes the READ
    # in memory ("spills"); after a few such READs it stops splicing on
    # that connection. Everything else as the other lease scenarios.
    "read_pieces": ["read"],
}
# Lease scenarios left out of --list-lease: t_hostile.sh has an expectation
# for each listed one and fails on any other (dfsc cat gets the file's
# bytes with these). hostile_lease_test.c runs them by name.
LEASE_UNLISTED = {"read_pieces"}

# read_pieces: bytes of READ data per send(), cycling: under 2 KiB, so 64
# KiB of them need more than the 32 slots of a 128 KiB pipe (with 4 or 8
# KiB pieces no READ spilled, measured on loopback); and the pieces sent
# between pauses of PIECE_PAUSE s (see send_pieces).
PIECE_SIZES = (512, 1024, 1448, 768)
PIECE_RUN = 4
PIECE_PAUSE = 0.001
READ_RSP_HEAD = 64 + 16  # SMB2 header and READ response fixed part (2.2.20)


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


def lease_scenarios(listed_only=False):
    out = []
    for mb, steps in LEASE.items():
        if listed_only and mb in LEASE_UNLISTED:
            continue
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


def parse_ccs(pdu, off, ln):
    """A request's create contexts ([MS-SMB2] 2.2.13.2) as {name: data}."""
    out = {}
    pos, end = off, off + ln
    for _ in range(32):
        if off == 0 or pos + 16 > end or end > len(pdu):
            break
        nxt, noff, nlen, _, doff, dlen = struct.unpack_from("<IHHHHI", pdu, pos)
        name = pdu[pos + noff:pos + noff + nlen].decode("latin-1")
        out[name] = pdu[pos + doff:pos + doff + dlen] if dlen else b""
        if nxt == 0:
            break
        pos += nxt
    return out


def build_ccs(items):
    """Response create contexts from [(name, data)], each 8-aligned."""
    out = b""
    for i, (name, data) in enumerate(items):
        nm = name.encode("latin-1")
        e = struct.pack("<IHHHHI", 0, 16, len(nm), 0, 24 if data else 0, len(data))
        e += nm + b"\0" * (8 - len(nm)) + data
        if i < len(items) - 1:
            e += b"\0" * ((8 - len(e) % 8) % 8)
            e = struct.pack("<I", len(e)) + e[4:]
        out += e
    return out


def disk_id(name, changed=False):
    """QFid response ([MS-SMB2] 2.2.14.2.9): DiskFileId then VolumeId, stable
    per name; `changed` gives the name another file."""
    d = hashlib.sha256((name + ("#changed" if changed else "")).encode()).digest()
    return d[:16] + b"hostile-volume!!"


def break_hdr():
    """[MS-SMB2] 3.3.4.7: a break notification, MessageId all ones,
    SessionId and TreeId 0, unsigned."""
    return (b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ", 64, 0, 0, OPLOCK_BREAK, 0,
                                       FLAG_RESPONSE, 0, MID_BREAK, 0, 0, 0) + b"\0" * 16)


def lease_break(key, cur, new, epoch, flags=BREAK_ACK_REQUIRED):
    """2.2.23.2 Lease Break Notification (StructureSize 44)."""
    return break_hdr() + struct.pack("<HHI", 44, epoch, flags) + key + struct.pack(
        "<IIIII", cur, new, 0, 0, 0)


def oplock_break(fid):
    """2.2.23.1 Oplock Break Notification (StructureSize 24)."""
    return break_hdr() + struct.pack("<HBBIQQ", 24, 1, 0, 0, fid, fid)


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
        self.lease_keys = {}  # fid -> lease key granted on it (kept after CLOSE)
        self.granted_key = None  # the last lease key granted here
        self.dead = False
        self.mute = False  # read_mute: nothing is answered any more
        self.mute_next = False  # read_mute_late: mute after the next READ
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

    def send_pieces(self, pdu):
        """read_pieces: the frame's length and the READ answer's head in one
        send, then its data in PIECE_SIZES pieces, one send() each. The
        socket has TCP_NODELAY (Server.run), so each piece leaves as its own
        segment; the pause every PIECE_RUN pieces lets the receiver take
        them off its queue before the next arrive: segments that wait
        together in a receive queue are merged (tcp_try_coalesce), and
        contiguous bytes of one merged segment splice into one pipe slot.
        Without the pauses, measured on loopback, the first READ did not
        spill and 4 of the next 5 did; with them every READ spills."""
        if len(pdu) <= READ_RSP_HEAD:
            self.send_frame(pdu)
            return
        with self.wlock:
            try:
                self.sock.sendall(struct.pack(">I", len(pdu)) + pdu[:READ_RSP_HEAD])
                off, i = READ_RSP_HEAD, 0
                while off < len(pdu):
                    if self.srv.expired():
                        self.dead = True
                        return
                    n = PIECE_SIZES[i % len(PIECE_SIZES)]
                    self.sock.sendall(pdu[off:off + n])
                    off += n
                    i += 1
                    if i % PIECE_RUN == 0:
                        time.sleep(PIECE_PAUSE)
            except OSError:
                self.dead = True
        self.srv.count("pieces")

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
        if mb == "read_nocredit":
            if req.command == NEGOTIATE:
                return 2
            if self.triggered and req.command == READ:
                return 0
            return max(1, req.credit_charge)
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
        caps = CAP_DFS
        if smb1:
            dialect = 0x02FF
        else:
            count = struct.unpack_from("<H", req.body, 2)[0]
            offered = struct.unpack_from("<%dH" % count, req.body, 36) if count <= 16 else ()
            if 0x0210 not in offered:
                dialect = 0x0202
            if self.sc[0] in LEASE:
                # 3.0.2 (same response layout as 2.1, no negotiate contexts):
                # durable v2 and lease v2 contexts; leases in any case.
                caps |= CAP_LEASING
                if 0x0302 in offered:
                    dialect = 0x0302
        now = int((time.time() + 11644473600) * 10000000)
        body = struct.pack("<HHHH", 65, 0x01, dialect, 0) + b"hostile-guid-16b"
        body += struct.pack("<IIIIQQHHI", caps, 65536, 65536, 65536, now, 0,
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
        ccs = {}
        if self.sc[0] in LEASE and not is_dir:
            ccs = parse_ccs(req.pdu, *struct.unpack_from("<II", req.body, 48))
            if ("DH2C" in ccs or "DHnC" in ccs) and self.sc[0] not in (
                    "reclaim_ok", "read_mute", "read_mute_late"):
                # [MS-SMB2] 3.3.5.9.12: the server no longer has the open.
                self.srv.log("reclaim of %s refused" % name)
                return ST_OBJECT_NAME_NOT_FOUND, self.error_body()
        fid = self.next_fid
        self.next_fid += 1
        self.files[fid] = [name, is_dir, False]
        self.last_fid = fid
        size = 0 if is_dir else len(FILE_DATA)
        attrs = 0x10 if is_dir else 0x80
        ctime = FILE_TIME
        reopen = self.srv.dropped and "DH2C" not in ccs and "DHnC" not in ccs
        if reopen and self.sc[0] == "reclaim_changed":
            ctime = FILE_TIME + 10000000  # changed a second later
        level, out = 0, []
        if "RqLs" in ccs and len(ccs["RqLs"]) >= LEASE_V1_SIZE:
            # Grant what was asked, for the key asked ([MS-SMB2] 2.2.14.2.10).
            rq = ccs["RqLs"]
            key, want = rq[:16], struct.unpack_from("<I", rq, 16)[0]
            level = OPLOCK_LEVEL_LEASE
            data = key + struct.pack("<IIQ", want, 0, 0)
            if len(rq) >= LEASE_V2_SIZE:
                data += b"\0" * 16 + struct.pack("<HH", 1, 0)
            out.append(("RqLs", data))
            self.lease_keys[fid] = key
            self.granted_key = key
            self.srv.log("lease 0x%x granted on %s (fid %d)" % (want, name, fid))
        if "DH2Q" in ccs:
            out.append(("DH2Q", struct.pack("<II", 60000, 0)))  # 2.2.14.2.12
        elif "DHnQ" in ccs:
            out.append(("DHnQ", b"\0" * 8))  # 2.2.14.2.3
        if "QFid" in ccs:
            out.append(("QFid", disk_id(name, reopen and self.sc[0] == "reclaim_stale")))
        ctx = build_ccs(out)
        body = struct.pack("<HBBI", 89, level, 0, 1)
        body += struct.pack("<QQQQQQII", FILE_TIME, FILE_TIME, FILE_TIME, ctime,
                            (size + 4095) & ~4095, size, attrs, 0)
        body += struct.pack("<QQ", fid, fid)
        body += struct.pack("<II", 64 + 88 if ctx else 0, len(ctx)) + ctx
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
        if struct.unpack_from("<B", req.body, 3)[0] & 0x01:  # SMB2_RESTART_SCANS
            f[2] = False
        if (self.sc[0] == "dir_first_refused" and req.flags & FLAG_RELATED and not f[2]
                and not getattr(self, "first_refused", False)):
            self.first_refused = True
            sys.stderr.write("hostile: failing the first QUERY_DIRECTORY of a compound\n")
            return ST_INTERNAL_ERROR, self.error_body()
        if f[2] and self.sc[0] == "dir_second_refused" and req.flags & FLAG_RELATED:
            sys.stderr.write("hostile: refusing the second QUERY_DIRECTORY of a compound\n")
            return ST_INVALID_PARAMETER, self.error_body()
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

    def break_ack(self, req):
        """2.2.25.2 Lease Break Response: what the acknowledgement said."""
        if len(req.body) < 36 or struct.unpack_from("<H", req.body, 0)[0] != 36:
            return ST_NOT_SUPPORTED, self.error_body()
        self.srv.count("acks")
        return ST_OK, req.body[:36]

    def answer(self, req):
        c = req.command
        if c == OPLOCK_BREAK:
            return self.break_ack(req)
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

    def send_many(self, pdus):
        """Frames pdus, sent in batches: as fast as the socket takes them."""
        for i in range(0, len(pdus), 256):
            if self.dead or self.srv.expired():
                return
            self.send_raw(b"".join(struct.pack(">I", len(p)) + p
                                   for p in pdus[i:i + 256]))

    def break_flood(self, key):
        n = self.srv.breaks
        self.srv.log("sending %d breaks for the granted lease" % n)
        # Each says RH -> R and asks for an acknowledgement; the epoch moves.
        self.send_many([lease_break(key, LEASE_R | LEASE_H, LEASE_R, (i + 2) & 0xFFFF)
                        for i in range(n)])
        self.srv.log("%d breaks sent" % n)

    def late_answer(self, req, pdu):
        """read_nocredit: an interim answer granting nothing, then the final
        one granting 3 ([MS-SMB2] 3.3.4.2: both carry the AsyncId)."""
        aid = 0x4343
        time.sleep(2.0)
        if self.dead or self.srv.expired():
            return
        self.send_frame(self.header(req, ST_PENDING, 0, async_id=aid) + self.error_body())
        time.sleep(4.0)
        if self.dead or self.srv.expired():
            return
        status = struct.unpack_from("<I", pdu, 8)[0]
        self.send_frame(self.header(req, status, 3, async_id=aid) + pdu[64:])
        self.srv.log("READ mid %d answered" % req.mid)

    def misbehave_lease(self, req, pdu):
        """The lease scenarios: once per server at the step, then it behaves.
        Returns False when the connection should end."""
        mb = self.sc[0]
        if mb == "read_pieces":
            self.send_pieces(pdu)
            return True
        if mb == "read_mute_late" and self.mute_next:
            time.sleep(0.3)
            self.send_frame(pdu)
            self.srv.log("answered READ mid %d 300 ms late; mute from now on" % req.mid)
            self.mute_next = False
            self.mute = True
            return True
        if mb == "break_closed":
            fid = struct.unpack_from("<Q", req.body, 8)[0]
            key = self.lease_keys.get(fid)
            self.send_frame(pdu)
            if key is not None and self.srv.once(mb):
                self.srv.log("breaks for the lease of closed fid %d" % fid)
                self.send_many([lease_break(key, LEASE_R | LEASE_H, LEASE_R, 2 + i)
                                for i in range(3)])
            return True
        if not self.srv.once(mb):
            self.send_frame(pdu)
            return True
        key = self.granted_key
        if mb == "break_unknown":
            rnd = [os.urandom(16) for _ in range(20)]
            self.send_many([lease_break(k, LEASE_R | LEASE_H, LEASE_R, 2) for k in rnd] +
                           [oplock_break(self.last_fid or 1) for _ in range(4)])
            self.send_frame(pdu)
        elif mb == "break_endless":
            if key is not None:
                self.break_flood(key)
            self.send_frame(pdu)
        elif mb == "break_storm":
            if key is not None:
                threading.Thread(target=self.break_flood, args=(key,), daemon=True).start()
            self.send_frame(pdu)
        elif mb == "break_badsize":
            b = lease_break(key or b"\0" * 16, LEASE_R | LEASE_H, LEASE_R, 2)
            self.send_frame(b[:64] + struct.pack("<H", 45) + b[66:])
            # No answer: the client must give the connection up.
        elif mb == "break_truncated":
            b = lease_break(key or b"\0" * 16, LEASE_R | LEASE_H, LEASE_R, 2)
            self.send_frame(b[:64 + 20])
        elif mb == "read_silent":
            self.srv.log("leaving READ mid %d unanswered" % req.mid)
        elif mb == "read_nocredit":
            self.srv.log("READ mid %d: interim in 2 s, final 4 s later" % req.mid)
            threading.Thread(target=self.late_answer, args=(req, pdu), daemon=True).start()
        elif mb == "read_mute_late":
            self.srv.log("leaving READ mid %d unanswered; the next one late" % req.mid)
            self.mute_next = True
        elif mb == "read_mute":
            self.srv.log("mute from READ mid %d on" % req.mid)
            self.mute = True
        elif mb.startswith("reclaim_"):
            # The connection goes with the READ unanswered: its durable open
            # is then reclaimed (or not) on the next one.
            self.srv.dropped = True
            self.srv.log("dropping the connection on READ mid %d" % req.mid)
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return False
        return True

    def misbehave(self, req, status, body):
        """Sends the answer to req the scenario's way. Returns False when the
        connection should end."""
        mb = self.sc[0]
        pdu = self.header(req, status, self.grant(req)) + body
        if mb in LEASE:
            return self.misbehave_lease(req, pdu)
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
                if self.mute:
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
        # Callers that build their own arguments (idle_server.py) need
        # not know the lease scenarios' options.
        self.breaks = getattr(args, "breaks", 10000)
        self.dropped = False  # reclaim_*: the first connection was dropped
        self.done = set()     # lease misbehaviours already done (once each)
        self.counts = {}
        self.lock = threading.Lock()

    def once(self, what):
        with self.lock:
            if what in self.done:
                return False
            self.done.add(what)
            return True

    def count(self, what):
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1

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
            if self.counts:
                self.log("counts: %s" % " ".join(
                    "%s=%d" % kv for kv in sorted(self.counts.items())))
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
    ap.add_argument("--list-lease", action="store_true")
    ap.add_argument("--breaks", type=int, default=10000,
                    help="break notifications of break_endless / break_storm")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if args.list:
        print("\n".join(all_scenarios()))
        return 0
    if args.list_content:
        print("\n".join(content_scenarios()))
        return 0
    if args.list_lease:
        print("\n".join(lease_scenarios(listed_only=True)))
        return 0
    if not args.addr.startswith("127."):
        ap.error("only loopback addresses (127.0.0.0/8)")
    if args.pidfile is None:
        ap.error("--pidfile is required")
    if args.scenario not in all_scenarios() + content_scenarios() + lease_scenarios():
        ap.error("unknown scenario %s (see --list)" % args.scenario)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    Server(args).run(args.pidfile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
