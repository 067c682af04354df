/* DCE/RPC over an SMB2 named pipe, for the one call dfsc makes: srvsvc
 * NetrShareEnum at information level 1 ([MS-SRVS] 3.1.4.8), the share
 * listing of `smbclient -L` and of Explorer.
 *
 * Connection-oriented RPC PDUs ([C706] 12.6, [MS-RPCE] 2.2.2): BIND and
 * REQUEST encoded, BIND_ACK / BIND_NAK, RESPONSE and FAULT decoded; the
 * call's stub in NDR ([C706] 14: little-endian, 4-byte alignment counted
 * from the start of the stub, [unique] pointers as non-zero referent ids
 * whose pointees follow the structure that holds them, conformant varying
 * strings as MaxCount, Offset, ActualCount and the UTF-16 units).
 *
 * Conventions as in smb2.h (pure, no I/O, no allocation; decoders return
 * pointers into the caller's buffer), except that a decoder also names the
 * field that was wrong in *why (a static string) when it returns
 * DFSC_E_PROTO. Does not: open the pipe or carry the PDUs (the session
 * layer's IOCTL FSCTL_PIPE_TRANSCEIVE and READ), authenticate at the RPC
 * level (the SMB2 session carries the identity), or split a request into
 * fragments (ours fit in one).
 */
#ifndef DFSC_SMB2_SRVSVC_H
#define DFSC_SMB2_SRVSVC_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define DFSC_RPC_HDR_SIZE 16
#define DFSC_RPC_MAX_FRAG 4280          /* what dfsc offers and accepts per fragment */
#define DFSC_SRVSVC_OPNUM_SHARE_ENUM 15 /* NetrShareEnum */
#define DFSC_SRVSVC_MAX_SHARES 65536    /* entries one answer may carry */
#define DFSC_SRVSVC_MAX_UNITS 4096      /* UTF-16 units of one name or remark */

/* PDU types, [C706] 12.6.4 */
enum {
  DFSC_RPC_REQUEST = 0,
  DFSC_RPC_RESPONSE = 2,
  DFSC_RPC_FAULT = 3,
  DFSC_RPC_BIND = 11,
  DFSC_RPC_BIND_ACK = 12,
  DFSC_RPC_BIND_NAK = 13
};

#define DFSC_RPC_PFC_FIRST_FRAG 0x01
#define DFSC_RPC_PFC_LAST_FRAG 0x02

/* Share types, [MS-SRVS] 2.2.2.4: the low byte, plus flags. */
#define DFSC_STYPE_DISKTREE 0x00u
#define DFSC_STYPE_PRINTQ 0x01u
#define DFSC_STYPE_DEVICE 0x02u
#define DFSC_STYPE_IPC 0x03u
#define DFSC_STYPE_MASK 0xFFu
#define DFSC_STYPE_TEMPORARY 0x40000000u
#define DFSC_STYPE_SPECIAL 0x80000000u

/* NET_API_STATUS values a caller tells apart, [MS-ERREF] 2.2 */
#define DFSC_WERR_ACCESS_DENIED 5u
#define DFSC_WERR_MORE_DATA 234u

typedef struct dfsc_rpc_pdu {
  uint8_t ptype;
  uint8_t flags; /* DFSC_RPC_PFC_* */
  uint16_t frag_len;
  uint16_t auth_len;
  uint32_t call_id;
  const uint8_t *body; /* after the common header, frag_len - 16 bytes */
  size_t body_len;
} dfsc_rpc_pdu;

/* One PDU at the start of p[0..len): version 5.0, little-endian NDR data
 * representation, frag_len within len and no auth trailer (dfsc binds
 * without RPC-level authentication). 0 or DFSC_E_PROTO. The next PDU, if
 * any, starts at p + out->frag_len. */
int dfsc__rpc_pdu_decode(const uint8_t *p, size_t len, dfsc_rpc_pdu *out, const char **why);

/* BIND for srvsvc 3.0 over NDR 2.0, one presentation context (id 0),
 * fragments of DFSC_RPC_MAX_FRAG. 0 or DFSC_E_NOSPACE. */
int dfsc__rpc_bind_encode(dfsc_wr *w, uint32_t call_id);

/* A BIND_ACK that accepts context 0 (0, with the server's fragment sizes),
 * a BIND_NAK or a refusal of the context (DFSC_E_UNSUPPORTED, *why says
 * which), or DFSC_E_PROTO. */
int dfsc__rpc_bind_ack_decode(const dfsc_rpc_pdu *p, uint16_t *max_xmit, uint16_t *max_recv,
                              const char **why);

/* REQUEST for NetrShareEnum at level 1 with ServerName "\\server"
 * (server: UTF-8, 1 to 255 bytes), MAX_PREFERRED_LENGTH and a resume
 * handle of `resume` (0 for the first call). 0, DFSC_E_NOSPACE or
 * -EINVAL / -EILSEQ for a bad name. */
int dfsc__srvsvc_share_enum_encode(dfsc_wr *w, uint32_t call_id, const char *server,
                                   uint32_t resume);

/* The stub of a RESPONSE (0) or the status of a FAULT (DFSC_E_NTSTATUS,
 * *fault set); DFSC_E_PROTO for any other PDU or a malformed one. */
int dfsc__rpc_response_decode(const dfsc_rpc_pdu *p, const uint8_t **stub, size_t *stub_len,
                              uint32_t *fault, const char **why);

/* One share of a NetrShareEnum answer: pointers into the stub. */
typedef struct dfsc_srvsvc_share {
  const uint8_t *name;   /* UTF-16LE without its terminating NUL */
  size_t name_len;       /* bytes */
  const uint8_t *remark; /* NULL when the server sent none */
  size_t remark_len;
  uint32_t type; /* DFSC_STYPE_* */
} dfsc_srvsvc_share;

/* A decoded answer and the state of a walk over its shares. */
typedef struct dfsc_srvsvc_enum {
  uint32_t count;      /* shares in this answer (EntriesRead) */
  uint32_t total;      /* TotalEntries: all the server has */
  uint32_t resume;     /* ResumeHandle for the next call */
  int has_resume;      /* the server returned one */
  uint32_t status;     /* NET_API_STATUS: 0, DFSC_WERR_MORE_DATA, or an error */
  const uint8_t *stub; /* internal: where the walk is */
  size_t len, fixed_off, str_off;
  uint32_t next;
} dfsc_srvsvc_enum;

/* Checks the whole NetrShareEnum answer in stub[0..len) (every entry and
 * every string inside it, at most DFSC_SRVSVC_MAX_SHARES entries and
 * DFSC_SRVSVC_MAX_UNITS units per string) and readies the walk. 0 or
 * DFSC_E_PROTO. A non-zero status is not an error here: e->status holds
 * it and e->count is what came with it. */
int dfsc__srvsvc_share_enum_decode(const uint8_t *stub, size_t len, dfsc_srvsvc_enum *e,
                                   const char **why);

/* The next share of a decoded answer: 1, or 0 after the last. */
int dfsc__srvsvc_share_next(dfsc_srvsvc_enum *e, dfsc_srvsvc_share *s);

#endif
