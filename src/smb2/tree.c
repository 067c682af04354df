/* SMB2 TREE_CONNECT ([MS-SMB2] 2.2.9, 2.2.10) and TREE_DISCONNECT (2.2.11,
 * 2.2.12) codec.
 *
 * Does: build the UTF-16LE share path, encode/decode both directions with
 * the path offset and length bounded by the PDU. Does not: parse UNC paths
 * (mup) or the 3.1.1 request extension.
 */
#include "smb2/tree.h"

#include <errno.h>

#include "core/utf16.h"
#include "dfsc/errors.h"

#define TC_REQ_SIZE 9
#define TC_RSP_SIZE 16
#define TD_SIZE 4
#define TC_REQ_BUFFER_AT (SMB2_HDR_SIZE + 8)

/* Appends UTF-8 s[0..n) as UTF-16LE; maps bad UTF-8 to -EINVAL. */
static int put_u16str(dfsc_wr *w, const char *s, size_t n) {
  int rc = dfsc__utf8_to_utf16_wr(w, s, n);
  if (rc == -EILSEQ)
    return -EINVAL;
  return 0; /* overflow is sticky in w->bad */
}

int dfsc__smb2_tree_connect_req_encode(dfsc_wr *w, const dfsc_smb2_tree_connect_req *req) {
  size_t field_at, start, n;
  int rc = 0;

  if (req->flags & SMB2_TREE_CONNECT_FLAG_EXTENSION_PRESENT)
    return -EINVAL;
  if (req->path == NULL && (req->server == NULL || req->share == NULL))
    return -EINVAL;
  dfsc__wr_u16(w, TC_REQ_SIZE);
  dfsc__wr_u16(w, req->flags);
  field_at = w->off;
  dfsc__wr_u16(w, 0);
  dfsc__wr_u16(w, 0);
  start = w->off;
  if (req->path != NULL) {
    rc = put_u16str(w, req->path, req->path_len);
  } else {
    rc = put_u16str(w, "\\\\", 2);
    if (rc == 0)
      rc = put_u16str(w, req->server, strlen(req->server));
    if (rc == 0)
      rc = put_u16str(w, "\\", 1);
    if (rc == 0)
      rc = put_u16str(w, req->share, strlen(req->share));
  }
  if (rc < 0)
    return rc;
  if (w->bad)
    return DFSC_E_NOSPACE;
  n = w->off - start;
  if (n == 0 || n > UINT16_MAX)
    return -EINVAL;
  dfsc__wr_put_u16(w, field_at, (uint16_t)start);
  dfsc__wr_put_u16(w, field_at + 2, (uint16_t)n);
  return w->bad ? DFSC_E_NOSPACE : 0;
}

int dfsc__smb2_tree_connect_req_decode(const uint8_t *pdu, size_t len,
                                       dfsc_smb2_tree_connect_req *req) {
  dfsc_rd r;
  uint16_t off, n;

  memset(req, 0, sizeof *req);
  if (pdu == NULL)
    return DFSC_E_PROTO;
  dfsc__rd_init(&r, pdu, len);
  dfsc__rd_seek(&r, SMB2_HDR_SIZE);
  if (dfsc__rd_u16(&r) != TC_REQ_SIZE)
    return DFSC_E_PROTO;
  req->flags = dfsc__rd_u16(&r);
  off = dfsc__rd_u16(&r);
  n = dfsc__rd_u16(&r);
  if (r.bad || (req->flags & SMB2_TREE_CONNECT_FLAG_EXTENSION_PRESENT))
    return DFSC_E_PROTO;
  /* A share path is never empty and UTF-16 has even length. */
  if (n == 0 || (n & 1) != 0 || off < TC_REQ_BUFFER_AT)
    return DFSC_E_PROTO;
  req->path_u16 = dfsc__rd_at(&r, off, n);
  if (req->path_u16 == NULL)
    return DFSC_E_PROTO;
  req->path_u16_len = n;
  return 0;
}

int dfsc__smb2_tree_connect_rsp_encode(dfsc_wr *w, const dfsc_smb2_tree_connect_rsp *rsp) {
  dfsc__wr_u16(w, TC_RSP_SIZE);
  dfsc__wr_u8(w, rsp->share_type);
  dfsc__wr_u8(w, 0);
  dfsc__wr_u32(w, rsp->share_flags);
  dfsc__wr_u32(w, rsp->capabilities);
  dfsc__wr_u32(w, rsp->maximal_access);
  return w->bad ? DFSC_E_NOSPACE : 0;
}

int dfsc__smb2_tree_connect_rsp_decode(const uint8_t *pdu, size_t len,
                                       dfsc_smb2_tree_connect_rsp *rsp) {
  dfsc_rd r;

  memset(rsp, 0, sizeof *rsp);
  if (pdu == NULL)
    return DFSC_E_PROTO;
  dfsc__rd_init(&r, pdu, len);
  dfsc__rd_seek(&r, SMB2_HDR_SIZE);
  if (dfsc__rd_u16(&r) != TC_RSP_SIZE)
    return DFSC_E_PROTO;
  rsp->share_type = dfsc__rd_u8(&r);
  dfsc__rd_skip(&r, 1);
  rsp->share_flags = dfsc__rd_u32(&r);
  rsp->capabilities = dfsc__rd_u32(&r);
  rsp->maximal_access = dfsc__rd_u32(&r);
  return r.bad ? DFSC_E_PROTO : 0;
}

static int td_encode(dfsc_wr *w) {
  dfsc__wr_u16(w, TD_SIZE);
  dfsc__wr_u16(w, 0);
  return w->bad ? DFSC_E_NOSPACE : 0;
}

static int td_decode(const uint8_t *pdu, size_t len) {
  if (pdu == NULL || len < SMB2_HDR_SIZE + TD_SIZE)
    return DFSC_E_PROTO;
  return dfsc__le16(pdu + SMB2_HDR_SIZE) == TD_SIZE ? 0 : DFSC_E_PROTO;
}

int dfsc__smb2_tree_disconnect_req_encode(dfsc_wr *w) { return td_encode(w); }
int dfsc__smb2_tree_disconnect_req_decode(const uint8_t *pdu, size_t len) {
  return td_decode(pdu, len);
}
int dfsc__smb2_tree_disconnect_rsp_encode(dfsc_wr *w) { return td_encode(w); }
int dfsc__smb2_tree_disconnect_rsp_decode(const uint8_t *pdu, size_t len) {
  return td_decode(pdu, len);
}
