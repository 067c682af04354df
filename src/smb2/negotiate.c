/* SMB2 NEGOTIATE codec, [MS-SMB2] 2.2.3 (request), 2.2.3.1 (negotiate
 * contexts), 2.2.4 (response).
 *
 * Does: encode and decode both directions with every offset, count and
 * length from the wire bounded by the PDU. Does not: pick a dialect, hash
 * the exchange for preauth integrity, or decide whether a server's choices
 * are acceptable (session layer).
 */
#include "smb2/negotiate.h"

#include <errno.h>

#include "core/utf16.h"
#include "dfsc/errors.h"

#define NEG_REQ_SIZE 36
#define NEG_RSP_SIZE 65
#define NEG_CTX_HDR 8
/* Header + fixed request body up to Dialects[]. */
#define NEG_REQ_DIALECTS_AT (SMB2_HDR_SIZE + NEG_REQ_SIZE)
/* Header + fixed response body up to Buffer. */
#define NEG_RSP_BUFFER_AT (SMB2_HDR_SIZE + DFSC_SMB2_NEG_RSP_FIXED)

static size_t align8(size_t v) { return (v + 7) & ~(size_t)7; }

static int has_dialect(const uint16_t *d, uint16_t n, uint16_t which) {
  uint16_t i;
  for (i = 0; i < n; i++)
    if (d[i] == which)
      return 1;
  return 0;
}

/* Starts a negotiate context at the next 8-byte boundary (2.2.3.1: every
 * context is 8-byte aligned relative to the header). Returns the offset of
 * its DataLength field so ctx_end can patch it. */
static size_t ctx_begin(dfsc_wr *w, uint16_t type) {
  size_t len_at;
  dfsc__wr_align(w, 8);
  dfsc__wr_u16(w, type);
  len_at = w->off;
  dfsc__wr_u16(w, 0);
  dfsc__wr_u32(w, 0);
  return len_at;
}

static void ctx_end(dfsc_wr *w, size_t len_at) {
  size_t n = w->off - (len_at + 6);
  if (n > UINT16_MAX) {
    w->bad = 1;
    return;
  }
  dfsc__wr_put_u16(w, len_at, (uint16_t)n);
}

static void wr_u16s(dfsc_wr *w, const uint16_t *v, uint16_t n) {
  uint16_t i;
  for (i = 0; i < n; i++)
    dfsc__wr_u16(w, v[i]);
}

int dfsc__smb2_negotiate_req_encode(dfsc_wr *w, const dfsc_smb2_negotiate_req *req) {
  static const uint16_t sha512 = SMB2_PREAUTH_HASH_SHA512;
  const uint16_t *hash_algs = req->hash_algs;
  uint16_t hash_count = req->hash_alg_count;
  size_t ctx_at, len_at;
  uint16_t nctx = 0;
  int rc;

  if (req->dialect_count == 0 || req->dialect_count > DFSC_SMB2_NEG_MAX_DIALECTS ||
      req->hash_alg_count > DFSC_SMB2_NEG_MAX_ALGS ||
      req->cipher_count > DFSC_SMB2_NEG_MAX_ALGS ||
      req->signing_alg_count > DFSC_SMB2_NEG_MAX_ALGS || req->salt_len > UINT16_MAX ||
      (req->salt_len > 0 && req->salt == NULL))
    return -EINVAL;
  if (hash_count == 0) {
    hash_algs = &sha512;
    hash_count = 1;
  }

  dfsc__wr_u16(w, NEG_REQ_SIZE);
  dfsc__wr_u16(w, req->dialect_count);
  dfsc__wr_u16(w, req->security_mode);
  dfsc__wr_u16(w, 0);
  dfsc__wr_u32(w, req->capabilities);
  dfsc__wr_bytes(w, req->client_guid, sizeof req->client_guid);
  /* NegotiateContextOffset/Count/Reserved2, or ClientStartTime (MUST be 0)
   * when 3.1.1 is not offered; patched below. */
  ctx_at = w->off;
  dfsc__wr_zero(w, 8);
  wr_u16s(w, req->dialects, req->dialect_count);

  if (has_dialect(req->dialects, req->dialect_count, SMB2_DIALECT_311)) {
    dfsc__wr_align(w, 8);
    if (!w->bad && w->off > UINT32_MAX)
      return -EINVAL;
    dfsc__wr_put_u32(w, ctx_at, (uint32_t)w->off);

    /* 2.2.3.1.1: the client MUST send exactly one, first by convention. */
    len_at = ctx_begin(w, SMB2_PREAUTH_INTEGRITY_CAPABILITIES);
    dfsc__wr_u16(w, hash_count);
    dfsc__wr_u16(w, (uint16_t)req->salt_len);
    wr_u16s(w, hash_algs, hash_count);
    dfsc__wr_bytes(w, req->salt, req->salt_len);
    ctx_end(w, len_at);
    nctx++;

    if (req->cipher_count > 0) {
      len_at = ctx_begin(w, SMB2_ENCRYPTION_CAPABILITIES);
      dfsc__wr_u16(w, req->cipher_count);
      wr_u16s(w, req->ciphers, req->cipher_count);
      ctx_end(w, len_at);
      nctx++;
    }
    if (req->signing_alg_count > 0) {
      len_at = ctx_begin(w, SMB2_SIGNING_CAPABILITIES);
      dfsc__wr_u16(w, req->signing_alg_count);
      wr_u16s(w, req->signing_algs, req->signing_alg_count);
      ctx_end(w, len_at);
      nctx++;
    }
    if (req->netname != NULL) {
      len_at = ctx_begin(w, SMB2_NETNAME_NEGOTIATE_CONTEXT_ID);
      rc = dfsc__utf8_to_utf16_wr(w, req->netname, strlen(req->netname));
      if (rc == -EILSEQ)
        return -EINVAL;
      ctx_end(w, len_at);
      nctx++;
    }
    dfsc__wr_put_u16(w, ctx_at + 4, nctx);
  }
  return w->bad ? DFSC_E_NOSPACE : 0;
}

int dfsc__smb2_negotiate_rsp_encode(dfsc_wr *w, const dfsc_smb2_negotiate_rsp *rsp) {
  size_t ctx_at, secbuf_at, len_at;
  uint16_t nctx = 0;
  int is311 = rsp->dialect == SMB2_DIALECT_311;

  if (rsp->security_buffer_len > UINT16_MAX || rsp->preauth_salt_len > UINT16_MAX ||
      (rsp->security_buffer_len > 0 && rsp->security_buffer == NULL) ||
      (rsp->preauth_salt_len > 0 && rsp->preauth_salt == NULL))
    return -EINVAL;

  dfsc__wr_u16(w, NEG_RSP_SIZE);
  dfsc__wr_u16(w, rsp->security_mode);
  dfsc__wr_u16(w, rsp->dialect);
  ctx_at = w->off;
  dfsc__wr_u16(w, 0);
  dfsc__wr_bytes(w, rsp->server_guid, sizeof rsp->server_guid);
  dfsc__wr_u32(w, rsp->capabilities);
  dfsc__wr_u32(w, rsp->max_transact_size);
  dfsc__wr_u32(w, rsp->max_read_size);
  dfsc__wr_u32(w, rsp->max_write_size);
  dfsc__wr_u64(w, rsp->system_time);
  dfsc__wr_u64(w, rsp->server_start_time);
  secbuf_at = w->off;
  dfsc__wr_u16(w, 0);
  dfsc__wr_u16(w, (uint16_t)rsp->security_buffer_len);
  dfsc__wr_u32(w, 0);
  if (!w->bad)
    dfsc__wr_put_u16(w, secbuf_at, (uint16_t)w->off);
  dfsc__wr_bytes(w, rsp->security_buffer, rsp->security_buffer_len);

  if (is311) {
    dfsc__wr_align(w, 8);
    if (!w->bad && w->off > UINT32_MAX)
      return -EINVAL;
    dfsc__wr_put_u32(w, secbuf_at + 4, (uint32_t)w->off);
    if (rsp->has_preauth) {
      len_at = ctx_begin(w, SMB2_PREAUTH_INTEGRITY_CAPABILITIES);
      dfsc__wr_u16(w, 1);
      dfsc__wr_u16(w, (uint16_t)rsp->preauth_salt_len);
      dfsc__wr_u16(w, rsp->preauth_hash_alg);
      dfsc__wr_bytes(w, rsp->preauth_salt, rsp->preauth_salt_len);
      ctx_end(w, len_at);
      nctx++;
    }
    if (rsp->has_cipher) {
      len_at = ctx_begin(w, SMB2_ENCRYPTION_CAPABILITIES);
      dfsc__wr_u16(w, 1);
      dfsc__wr_u16(w, rsp->cipher);
      ctx_end(w, len_at);
      nctx++;
    }
    if (rsp->has_signing) {
      len_at = ctx_begin(w, SMB2_SIGNING_CAPABILITIES);
      dfsc__wr_u16(w, 1);
      dfsc__wr_u16(w, rsp->signing_alg);
      ctx_end(w, len_at);
      nctx++;
    }
    dfsc__wr_put_u16(w, ctx_at, nctx);
  }
  /* StructureSize 65 counts one byte of Buffer; send it if nothing did. */
  if (!w->bad && w->off == SMB2_HDR_SIZE + DFSC_SMB2_NEG_RSP_FIXED)
    dfsc__wr_u8(w, 0);
  return w->bad ? DFSC_E_NOSPACE : 0;
}

/* One negotiate context as seen by a walker. */
typedef struct neg_ctx {
  uint16_t type;
  const uint8_t *data;
  size_t len;
} neg_ctx;

typedef int (*ctx_fn)(void *arg, const neg_ctx *c);

/* Walks `count` contexts starting at `off` (from the header). Each must start
 * on an 8-byte boundary and its DataLength must fit the PDU; the walk ends
 * after `count` contexts or at the first error, so a huge count on a short
 * PDU fails as soon as the bytes run out. */
static int ctx_walk(const uint8_t *pdu, size_t len, size_t off, uint16_t count, ctx_fn fn,
                    void *arg) {
  uint16_t i;
  neg_ctx c;
  int rc;

  for (i = 0; i < count; i++) {
    if ((off & 7) != 0 || off > len || len - off < NEG_CTX_HDR)
      return DFSC_E_PROTO;
    c.type = dfsc__le16(pdu + off);
    c.len = dfsc__le16(pdu + off + 2);
    if (c.len > len - off - NEG_CTX_HDR)
      return DFSC_E_PROTO;
    c.data = pdu + off + NEG_CTX_HDR;
    rc = fn(arg, &c);
    if (rc < 0)
      return rc;
    off = align8(off + NEG_CTX_HDR + c.len);
  }
  return 0;
}

/* Reads an algorithm list (count + ids) from the start of a context; the
 * ids go to out[] (cap entries). Returns the count, or DFSC_E_PROTO. */
static int rd_algs(dfsc_rd *r, uint16_t *out, size_t cap) {
  uint16_t n = dfsc__rd_u16(r), i;
  if (r->bad || n == 0 || n > cap)
    return DFSC_E_PROTO;
  for (i = 0; i < n; i++)
    out[i] = dfsc__rd_u16(r);
  return r->bad ? DFSC_E_PROTO : n;
}

typedef struct req_walk {
  dfsc_smb2_negotiate_req *req;
  unsigned seen;
} req_walk;

static int req_ctx(void *arg, const neg_ctx *c) {
  req_walk *st = arg;
  dfsc_smb2_negotiate_req *req = st->req;
  dfsc_rd r;
  uint16_t salt_len;
  int n;

  dfsc__rd_init(&r, c->data, c->len);
  switch (c->type) {
  case SMB2_PREAUTH_INTEGRITY_CAPABILITIES:
    if (st->seen & 1u)
      return DFSC_E_PROTO;
    st->seen |= 1u;
    n = dfsc__rd_u16(&r);
    salt_len = dfsc__rd_u16(&r);
    if (r.bad || n == 0 || n > DFSC_SMB2_NEG_MAX_ALGS)
      return DFSC_E_PROTO;
    req->hash_alg_count = (uint16_t)n;
    for (int i = 0; i < n; i++)
      req->hash_algs[i] = dfsc__rd_u16(&r);
    req->salt = dfsc__rd_ptr(&r, salt_len);
    req->salt_len = salt_len;
    if (r.bad)
      return DFSC_E_PROTO;
    if (salt_len == 0)
      req->salt = NULL;
    break;
  case SMB2_ENCRYPTION_CAPABILITIES:
    if (st->seen & 2u)
      return DFSC_E_PROTO;
    st->seen |= 2u;
    n = rd_algs(&r, req->ciphers, DFSC_SMB2_NEG_MAX_ALGS);
    if (n < 0)
      return n;
    req->cipher_count = (uint16_t)n;
    break;
  case SMB2_SIGNING_CAPABILITIES:
    if (st->seen & 4u)
      return DFSC_E_PROTO;
    st->seen |= 4u;
    n = rd_algs(&r, req->signing_algs, DFSC_SMB2_NEG_MAX_ALGS);
    if (n < 0)
      return n;
    req->signing_alg_count = (uint16_t)n;
    break;
  case SMB2_NETNAME_NEGOTIATE_CONTEXT_ID:
    if ((c->len & 1) != 0)
      return DFSC_E_PROTO;
    req->netname_u16 = c->len ? c->data : NULL;
    req->netname_u16_len = c->len;
    break;
  default:
    break;
  }
  return 0;
}

int dfsc__smb2_negotiate_req_decode(const uint8_t *pdu, size_t len,
                                    dfsc_smb2_negotiate_req *req) {
  dfsc_rd r;
  uint32_t ctx_off;
  uint16_t i, ctx_count;
  req_walk st;
  int rc;

  memset(req, 0, sizeof *req);
  if (pdu == NULL || len < SMB2_HDR_SIZE)
    return DFSC_E_PROTO;
  dfsc__rd_init(&r, pdu, len);
  dfsc__rd_seek(&r, SMB2_HDR_SIZE);
  if (dfsc__rd_u16(&r) != NEG_REQ_SIZE)
    return DFSC_E_PROTO;
  req->dialect_count = dfsc__rd_u16(&r);
  req->security_mode = dfsc__rd_u16(&r);
  dfsc__rd_skip(&r, 2);
  req->capabilities = dfsc__rd_u32(&r);
  dfsc__rd_bytes(&r, req->client_guid, sizeof req->client_guid);
  ctx_off = dfsc__rd_u32(&r);
  ctx_count = dfsc__rd_u16(&r);
  dfsc__rd_skip(&r, 2);
  if (r.bad || req->dialect_count == 0 || req->dialect_count > DFSC_SMB2_NEG_MAX_DIALECTS)
    return DFSC_E_PROTO;
  for (i = 0; i < req->dialect_count; i++)
    req->dialects[i] = dfsc__rd_u16(&r);
  if (r.bad)
    return DFSC_E_PROTO;
  if (!has_dialect(req->dialects, req->dialect_count, SMB2_DIALECT_311))
    return 0;

  /* Contexts follow the dialects; they may not overlap them. A 3.1.1
   * request MUST carry a PREAUTH context (2.2.3.1.1). */
  if (ctx_count == 0 || ctx_off < r.off || ctx_off > len)
    return DFSC_E_PROTO;
  req->context_count = ctx_count;
  st.req = req;
  st.seen = 0;
  rc = ctx_walk(pdu, len, ctx_off, ctx_count, req_ctx, &st);
  if (rc < 0)
    return rc;
  return (st.seen & 1u) ? 0 : DFSC_E_PROTO;
}

typedef struct rsp_walk {
  dfsc_smb2_negotiate_rsp *rsp;
} rsp_walk;

/* A response context carries exactly one algorithm (2.2.3.1.1/.2/.7) and
 * each known type at most once (3.2.5.2). */
static int rsp_ctx(void *arg, const neg_ctx *c) {
  dfsc_smb2_negotiate_rsp *rsp = ((rsp_walk *)arg)->rsp;
  dfsc_rd r;
  uint16_t n, salt_len;

  dfsc__rd_init(&r, c->data, c->len);
  switch (c->type) {
  case SMB2_PREAUTH_INTEGRITY_CAPABILITIES:
    if (rsp->has_preauth)
      return DFSC_E_PROTO;
    n = dfsc__rd_u16(&r);
    salt_len = dfsc__rd_u16(&r);
    rsp->preauth_hash_alg = dfsc__rd_u16(&r);
    rsp->preauth_salt = dfsc__rd_ptr(&r, salt_len);
    rsp->preauth_salt_len = salt_len;
    if (r.bad || n != 1)
      return DFSC_E_PROTO;
    if (salt_len == 0)
      rsp->preauth_salt = NULL;
    rsp->has_preauth = 1;
    break;
  case SMB2_ENCRYPTION_CAPABILITIES:
    if (rsp->has_cipher)
      return DFSC_E_PROTO;
    n = dfsc__rd_u16(&r);
    rsp->cipher = dfsc__rd_u16(&r);
    if (r.bad || n != 1)
      return DFSC_E_PROTO;
    rsp->has_cipher = 1;
    break;
  case SMB2_SIGNING_CAPABILITIES:
    if (rsp->has_signing)
      return DFSC_E_PROTO;
    n = dfsc__rd_u16(&r);
    rsp->signing_alg = dfsc__rd_u16(&r);
    if (r.bad || n != 1)
      return DFSC_E_PROTO;
    rsp->has_signing = 1;
    break;
  default:
    break;
  }
  return 0;
}

int dfsc__smb2_negotiate_rsp_decode(const uint8_t *pdu, size_t len,
                                    dfsc_smb2_negotiate_rsp *rsp) {
  dfsc_rd r;
  uint16_t sb_off, sb_len, ctx_count;
  uint32_t ctx_off;
  size_t sb_end = NEG_RSP_BUFFER_AT;
  rsp_walk st;
  int rc;

  memset(rsp, 0, sizeof *rsp);
  if (pdu == NULL || len < SMB2_HDR_SIZE)
    return DFSC_E_PROTO;
  dfsc__rd_init(&r, pdu, len);
  dfsc__rd_seek(&r, SMB2_HDR_SIZE);
  if (dfsc__rd_u16(&r) != NEG_RSP_SIZE)
    return DFSC_E_PROTO;
  rsp->security_mode = dfsc__rd_u16(&r);
  rsp->dialect = dfsc__rd_u16(&r);
  ctx_count = dfsc__rd_u16(&r);
  dfsc__rd_bytes(&r, rsp->server_guid, sizeof rsp->server_guid);
  rsp->capabilities = dfsc__rd_u32(&r);
  rsp->max_transact_size = dfsc__rd_u32(&r);
  rsp->max_read_size = dfsc__rd_u32(&r);
  rsp->max_write_size = dfsc__rd_u32(&r);
  rsp->system_time = dfsc__rd_u64(&r);
  rsp->server_start_time = dfsc__rd_u64(&r);
  sb_off = dfsc__rd_u16(&r);
  sb_len = dfsc__rd_u16(&r);
  ctx_off = dfsc__rd_u32(&r);
  if (r.bad)
    return DFSC_E_PROTO;

  if (sb_len > 0) {
    /* The buffer lives after the fixed part, never over the header. */
    if (sb_off < NEG_RSP_BUFFER_AT ||
        (rsp->security_buffer = dfsc__rd_at(&r, sb_off, sb_len)) == NULL)
      return DFSC_E_PROTO;
    rsp->security_buffer_len = sb_len;
    sb_end = (size_t)sb_off + sb_len;
  }

  if (rsp->dialect != SMB2_DIALECT_311)
    return 0;
  /* 3.2.5.2: a 3.1.1 response MUST carry the PREAUTH context. Contexts come
   * after the security buffer. */
  if (ctx_count == 0 || ctx_off < sb_end || ctx_off > len)
    return DFSC_E_PROTO;
  rsp->context_count = ctx_count;
  st.rsp = rsp;
  rc = ctx_walk(pdu, len, ctx_off, ctx_count, rsp_ctx, &st);
  if (rc < 0)
    return rc;
  return rsp->has_preauth ? 0 : DFSC_E_PROTO;
}
