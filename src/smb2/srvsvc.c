/* DCE/RPC PDUs and the srvsvc NetrShareEnum stub: see srvsvc.h. */
#include "smb2/srvsvc.h"

#include <errno.h>
#include <string.h>

#include "core/utf16.h"
#include "dfsc/errors.h"

#define RPC_HDR_REQ 24 /* common header + alloc_hint, p_cont_id, opnum */
#define RPC_HDR_RSP 24 /* common header + alloc_hint, p_cont_id, cancel_count, reserved */
#define NDR_REF_BASE 0x00020000u /* referent ids dfsc sends (any non-zero will do) */

/* srvsvc 4b324fc8-1670-01d3-1278-5a47bf6ee188 version 3.0 ([MS-SRVS] 2.1)
 * and NDR 8a885d04-1ceb-11c9-9fe8-08002b104860 version 2 ([C706] 14), as
 * on the wire: the first three fields little-endian, the rest as is. */
static const uint8_t SRVSVC_UUID[16] = {0xc8, 0x4f, 0x32, 0x4b, 0x70, 0x16, 0xd3, 0x01,
                                        0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88};
static const uint8_t NDR_UUID[16] = {0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
                                     0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60};

static int proto(const char **why, const char *what) {
  if (why != NULL)
    *why = what;
  return DFSC_E_PROTO;
}

/* The common header ([C706] 12.6.3.1), frag_len patched by the caller. */
static void hdr(dfsc_wr *w, uint8_t ptype, uint32_t call_id) {
  dfsc__wr_u8(w, 5); /* rpc_vers */
  dfsc__wr_u8(w, 0); /* rpc_vers_minor */
  dfsc__wr_u8(w, ptype);
  dfsc__wr_u8(w, DFSC_RPC_PFC_FIRST_FRAG | DFSC_RPC_PFC_LAST_FRAG);
  dfsc__wr_u32(w, 0x00000010u); /* drep: little-endian, ASCII, IEEE float */
  dfsc__wr_u16(w, 0);           /* frag_length, patched */
  dfsc__wr_u16(w, 0);           /* auth_length */
  dfsc__wr_u32(w, call_id);
}

static int finish(dfsc_wr *w, size_t start) {
  size_t n = w->off - start;
  if (!w->bad && n > UINT16_MAX)
    return DFSC_E_NOSPACE;
  dfsc__wr_put_u16(w, start + 8, (uint16_t)n);
  return w->bad ? DFSC_E_NOSPACE : 0;
}

/* Zero bytes up to a multiple of 4 counted from `start` (the PDU's first
 * byte; its stub starts 24 bytes in, so this is the stub's alignment too). */
static void pad4(dfsc_wr *w, size_t start) {
  dfsc__wr_zero(w, (4 - ((w->off - start) & 3)) & 3);
}

int dfsc__rpc_pdu_decode(const uint8_t *p, size_t len, dfsc_rpc_pdu *out,
                         const char **why) {
  dfsc_rd r;
  uint8_t vers, minor;
  uint32_t drep;

  memset(out, 0, sizeof(*out));
  if (len < DFSC_RPC_HDR_SIZE)
    return proto(why, "RPC PDU shorter than its 16-byte header");
  dfsc__rd_init(&r, p, len);
  vers = dfsc__rd_u8(&r);
  minor = dfsc__rd_u8(&r);
  out->ptype = dfsc__rd_u8(&r);
  out->flags = dfsc__rd_u8(&r);
  drep = dfsc__rd_u32(&r);
  out->frag_len = dfsc__rd_u16(&r);
  out->auth_len = dfsc__rd_u16(&r);
  out->call_id = dfsc__rd_u32(&r);
  if (vers != 5 || minor != 0)
    return proto(why, "RPC header: rpc_vers is not 5.0");
  if ((drep & 0xF0u) != 0x10u || (drep & 0x0Fu) != 0)
    return proto(why, "RPC header: data representation is not little-endian ASCII");
  if (out->frag_len < DFSC_RPC_HDR_SIZE || out->frag_len > len)
    return proto(why, "RPC header: frag_length outside the data received");
  if (out->auth_len != 0)
    return proto(why,
                 "RPC header: auth_length on a connection bound without authentication");
  out->body = p + DFSC_RPC_HDR_SIZE;
  out->body_len = (size_t)out->frag_len - DFSC_RPC_HDR_SIZE;
  return 0;
}

int dfsc__rpc_bind_encode(dfsc_wr *w, uint32_t call_id) {
  size_t start = w->off;
  hdr(w, DFSC_RPC_BIND, call_id);
  dfsc__wr_u16(w, DFSC_RPC_MAX_FRAG); /* max_xmit_frag */
  dfsc__wr_u16(w, DFSC_RPC_MAX_FRAG); /* max_recv_frag */
  dfsc__wr_u32(w, 0);                 /* assoc_group_id: a new one */
  dfsc__wr_u8(w, 1);                  /* n_context_elem */
  dfsc__wr_zero(w, 3);
  dfsc__wr_u16(w, 0); /* p_cont_id */
  dfsc__wr_u8(w, 1);  /* n_transfer_syn */
  dfsc__wr_u8(w, 0);
  dfsc__wr_bytes(w, SRVSVC_UUID, sizeof(SRVSVC_UUID));
  dfsc__wr_u16(w, 3); /* if_version major */
  dfsc__wr_u16(w, 0); /* minor */
  dfsc__wr_bytes(w, NDR_UUID, sizeof(NDR_UUID));
  dfsc__wr_u32(w, 2);
  return finish(w, start);
}

int dfsc__rpc_bind_ack_decode(const dfsc_rpc_pdu *p, uint16_t *max_xmit, uint16_t *max_recv,
                              const char **why) {
  dfsc_rd r;
  uint16_t sec_len, result, reason;
  uint8_t n;
  const uint8_t *ts;

  dfsc__rd_init(&r, p->body, p->body_len);
  if (p->ptype == DFSC_RPC_BIND_NAK) {
    if (why != NULL)
      *why = "the server refused the RPC bind (BIND_NAK)";
    return DFSC_E_UNSUPPORTED;
  }
  if (p->ptype != DFSC_RPC_BIND_ACK)
    return proto(why, "RPC: answer to BIND is neither BIND_ACK nor BIND_NAK");
  *max_xmit = dfsc__rd_u16(&r);
  *max_recv = dfsc__rd_u16(&r);
  (void)dfsc__rd_u32(&r); /* assoc_group_id */
  sec_len = dfsc__rd_u16(&r);
  dfsc__rd_skip(&r, sec_len);
  /* The result list is 4-aligned from the PDU's start (16 bytes before
   * the body). */
  dfsc__rd_skip(&r, (4 - ((DFSC_RPC_HDR_SIZE + r.off) & 3)) & 3);
  n = dfsc__rd_u8(&r);
  dfsc__rd_skip(&r, 3);
  result = dfsc__rd_u16(&r);
  reason = dfsc__rd_u16(&r);
  ts = dfsc__rd_ptr(&r, 20);
  if (r.bad)
    return proto(why, "BIND_ACK shorter than its result list");
  if (n < 1)
    return proto(why, "BIND_ACK: n_results is 0 for one presentation context");
  if (*max_xmit < DFSC_RPC_HDR_SIZE + 8 || *max_recv < DFSC_RPC_HDR_SIZE + 8)
    return proto(why, "BIND_ACK: max_xmit_frag or max_recv_frag too small for any PDU");
  if (result != 0) {
    /* [C706] 12.6.3.1 p_provider_reason_t: 1 abstract syntax (srvsvc),
     * 2 transfer syntaxes (NDR) not supported. */
    if (why != NULL)
      *why = reason == 1   ? "the server refused the srvsvc interface (BIND_ACK result, "
                             "abstract syntax not supported)"
             : reason == 2 ? "the server refused NDR 2.0 (BIND_ACK result, transfer "
                             "syntaxes not supported)"
                           : "the server did not accept srvsvc over NDR (BIND_ACK result)";
    return DFSC_E_UNSUPPORTED;
  }
  if (memcmp(ts, NDR_UUID, 16) != 0 || dfsc__le32(ts + 16) != 2)
    return proto(why, "BIND_ACK: accepted transfer syntax is not NDR 2.0");
  return 0;
}

/* A conformant varying string, [string] wchar_t*: MaxCount, Offset,
 * ActualCount (units, with the terminating NUL), the units, padding. */
static int ndr_wstring(dfsc_wr *w, size_t start, const char *prefix, const char *s) {
  long a = dfsc__utf8_to_utf16_len(prefix, strlen(prefix));
  long b = dfsc__utf8_to_utf16_len(s, strlen(s));
  uint32_t units;
  int rc;
  if (a < 0 || b < 0)
    return -EILSEQ;
  units = (uint32_t)((a + b) / 2 + 1);
  dfsc__wr_u32(w, units);
  dfsc__wr_u32(w, 0);
  dfsc__wr_u32(w, units);
  if ((rc = dfsc__utf8_to_utf16_wr(w, prefix, strlen(prefix))) < 0 ||
      (rc = dfsc__utf8_to_utf16_wr(w, s, strlen(s))) < 0)
    return rc == -EILSEQ ? rc : DFSC_E_NOSPACE;
  dfsc__wr_u16(w, 0);
  pad4(w, start);
  return 0;
}

int dfsc__srvsvc_share_enum_encode(dfsc_wr *w, uint32_t call_id, const char *server,
                                   uint32_t resume) {
  size_t start = w->off, n = server != NULL ? strlen(server) : 0;
  int rc;

  if (n == 0 || n > 255 || memchr(server, '\\', n) != NULL)
    return -EINVAL;
  hdr(w, DFSC_RPC_REQUEST, call_id);
  dfsc__wr_u32(w, 0); /* alloc_hint: the stub's size, patched */
  dfsc__wr_u16(w, 0); /* p_cont_id */
  dfsc__wr_u16(w, DFSC_SRVSVC_OPNUM_SHARE_ENUM);
  /* ServerName: [in, string, unique] */
  dfsc__wr_u32(w, NDR_REF_BASE);
  if ((rc = ndr_wstring(w, start, "\\\\", server)) < 0)
    return rc;
  /* InfoStruct: Level 1, the union's discriminant, its arm (a pointer to
   * an empty SHARE_INFO_1_CONTAINER: EntriesRead 0, Buffer NULL). */
  dfsc__wr_u32(w, 1);
  dfsc__wr_u32(w, 1);
  dfsc__wr_u32(w, NDR_REF_BASE + 4);
  dfsc__wr_u32(w, 0);
  dfsc__wr_u32(w, 0);
  dfsc__wr_u32(w, 0xFFFFFFFFu);      /* PreferedMaximumLength: MAX_PREFERRED_LENGTH */
  dfsc__wr_u32(w, NDR_REF_BASE + 8); /* ResumeHandle: [in, out, unique] */
  dfsc__wr_u32(w, resume);
  if (!w->bad)
    dfsc__wr_put_u32(w, start + 16, (uint32_t)(w->off - start - RPC_HDR_REQ));
  return finish(w, start);
}

int dfsc__rpc_response_decode(const dfsc_rpc_pdu *p, const uint8_t **stub, size_t *stub_len,
                              uint32_t *fault, const char **why) {
  dfsc_rd r;

  *stub = NULL;
  *stub_len = 0;
  *fault = 0;
  dfsc__rd_init(&r, p->body, p->body_len);
  if (p->ptype == DFSC_RPC_FAULT) {
    dfsc__rd_skip(&r, 8); /* alloc_hint, p_cont_id, cancel_count, reserved */
    *fault = dfsc__rd_u32(&r);
    if (r.bad)
      return proto(why, "RPC FAULT shorter than its status");
    return DFSC_E_NTSTATUS;
  }
  if (p->ptype != DFSC_RPC_RESPONSE)
    return proto(why, "RPC: answer to REQUEST is neither RESPONSE nor FAULT");
  if (p->body_len < RPC_HDR_RSP - DFSC_RPC_HDR_SIZE)
    return proto(why, "RPC RESPONSE shorter than its header");
  *stub = p->body + (RPC_HDR_RSP - DFSC_RPC_HDR_SIZE);
  *stub_len = p->body_len - (RPC_HDR_RSP - DFSC_RPC_HDR_SIZE);
  return 0;
}

/* Skips to the next multiple of 4 from the stub's start. */
static void rd_align4(dfsc_rd *r) { dfsc__rd_skip(r, (4 - (r->off & 3)) & 3); }

/* A conformant varying string at r: its units without a terminating NUL
 * (the string ends at the first NUL; units after it are ignored). */
static int rd_wstring(dfsc_rd *r, const uint8_t **s, size_t *nbytes, const char **why,
                      const char *field) {
  uint32_t max, off, actual;
  const uint8_t *u;
  size_t i;

  rd_align4(r);
  max = dfsc__rd_u32(r);
  off = dfsc__rd_u32(r);
  actual = dfsc__rd_u32(r);
  if (r->bad)
    return proto(why, field);
  if (off != 0 || actual > max || actual > DFSC_SRVSVC_MAX_UNITS)
    return proto(why, field);
  if ((u = dfsc__rd_ptr(r, (size_t)actual * 2)) == NULL)
    return proto(why, field);
  for (i = 0; i < actual && (u[2 * i] | u[2 * i + 1]) != 0; i++)
    ;
  *s = u;
  *nbytes = i * 2;
  return 0;
}

/* One entry: its fixed part at fixed, its strings at strs (both moved
 * past it). 0 or DFSC_E_PROTO. */
static int entry(dfsc_rd *fixed, dfsc_rd *strs, dfsc_srvsvc_share *s, const char **why) {
  uint32_t pname = dfsc__rd_u32(fixed), premark;
  s->type = dfsc__rd_u32(fixed);
  premark = dfsc__rd_u32(fixed);
  if (fixed->bad)
    return proto(why, "NetrShareEnum: SHARE_INFO_1 array shorter than EntriesRead");
  s->name = s->remark = NULL;
  s->name_len = s->remark_len = 0;
  if (pname != 0 && rd_wstring(strs, &s->name, &s->name_len, why,
                               "NetrShareEnum: shi1_netname string out of bounds") < 0)
    return DFSC_E_PROTO;
  if (premark != 0 && rd_wstring(strs, &s->remark, &s->remark_len, why,
                                 "NetrShareEnum: shi1_remark string out of bounds") < 0)
    return DFSC_E_PROTO;
  return 0;
}

int dfsc__srvsvc_share_enum_decode(const uint8_t *stub, size_t len, dfsc_srvsvc_enum *e,
                                   const char **why) {
  dfsc_rd r, fixed;
  uint32_t level, disc, pctr, count = 0, pbuf = 0, pres;
  size_t fixed_off = 0, str_off = 0;
  uint32_t i;
  int rc;

  memset(e, 0, sizeof(*e));
  dfsc__rd_init(&r, stub, len);
  level = dfsc__rd_u32(&r);
  disc = dfsc__rd_u32(&r);
  pctr = dfsc__rd_u32(&r);
  if (r.bad)
    return proto(why, "NetrShareEnum: answer shorter than InfoStruct");
  if (level != 1 || disc != 1)
    return proto(why, "NetrShareEnum: InfoStruct Level or union discriminant is not 1");
  if (pctr != 0) {
    count = dfsc__rd_u32(&r);
    pbuf = dfsc__rd_u32(&r);
    if (r.bad)
      return proto(why, "NetrShareEnum: answer shorter than SHARE_INFO_1_CONTAINER");
    if (pbuf == 0 && count != 0)
      return proto(why, "NetrShareEnum: Buffer is NULL with EntriesRead above 0");
    if (pbuf != 0) {
      uint32_t max = dfsc__rd_u32(&r);
      if (r.bad)
        return proto(why, "NetrShareEnum: answer shorter than the array's MaxCount");
      if (max != count)
        return proto(why, "NetrShareEnum: the array's MaxCount differs from EntriesRead");
      if (count > DFSC_SRVSVC_MAX_SHARES)
        return proto(why, "NetrShareEnum: EntriesRead above the 65,536 dfsc takes");
      if ((size_t)count * 12 > dfsc__rd_left(&r))
        return proto(why, "NetrShareEnum: SHARE_INFO_1 array shorter than EntriesRead");
      fixed_off = r.off;
      dfsc__rd_skip(&r, (size_t)count * 12);
      str_off = r.off;
    }
  }
  e->stub = stub;
  e->len = len;
  e->count = pbuf != 0 ? count : 0;
  e->fixed_off = fixed_off;
  e->str_off = str_off;
  /* Every entry and string checked now, so that the walk cannot fail. */
  dfsc__rd_init(&fixed, stub, len);
  dfsc__rd_seek(&fixed, fixed_off);
  for (i = 0; i < e->count; i++) {
    dfsc_srvsvc_share sh;
    if ((rc = entry(&fixed, &r, &sh, why)) < 0)
      return rc;
  }
  rd_align4(&r);
  e->total = dfsc__rd_u32(&r);
  pres = dfsc__rd_u32(&r);
  if (pres != 0) {
    e->resume = dfsc__rd_u32(&r);
    e->has_resume = 1;
  }
  e->status = dfsc__rd_u32(&r);
  if (r.bad)
    return proto(why,
                 "NetrShareEnum: answer ends before TotalEntries, ResumeHandle or status");
  if (dfsc__rd_left(&r) != 0)
    return proto(why, "NetrShareEnum: bytes after the status");
  return 0;
}

int dfsc__srvsvc_share_next(dfsc_srvsvc_enum *e, dfsc_srvsvc_share *s) {
  dfsc_rd fixed, strs;
  if (e->next >= e->count)
    return 0;
  dfsc__rd_init(&fixed, e->stub, e->len);
  dfsc__rd_seek(&fixed, e->fixed_off);
  dfsc__rd_init(&strs, e->stub, e->len);
  dfsc__rd_seek(&strs, e->str_off);
  if (entry(&fixed, &strs, s, NULL) < 0)
    return 0; /* cannot happen after the decode's check */
  e->fixed_off = fixed.off;
  e->str_off = strs.off;
  e->next++;
  return 1;
}
