/* SMB2 READ codec ([MS-SMB2] 2.2.19, 2.2.20). See read.h.
 * Does not: read from the socket or place data in a caller's buffer.
 */
#include "smb2/read.h"

#include <errno.h>
#include <string.h>

int dfsc__smb2_read_req_encode(dfsc_wr *w, const dfsc_smb2_read_req *req) {
  dfsc__wr_u16(w, SMB2_READ_REQ_SSIZE);
  dfsc__wr_u8(w, req->padding);
  dfsc__wr_u8(w, req->flags);
  dfsc__wr_u32(w, req->length);
  dfsc__wr_u64(w, req->offset);
  dfsc__smb2_fid_wr(w, &req->fid);
  dfsc__wr_u32(w, req->minimum_count);
  dfsc__wr_u32(w, req->channel);
  dfsc__wr_u32(w, req->remaining_bytes);
  dfsc__wr_u16(w, 0); /* ReadChannelInfoOffset */
  dfsc__wr_u16(w, 0); /* ReadChannelInfoLength */
  dfsc__wr_u8(w, 0);  /* Buffer: at least one byte */
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_read_req_decode(const uint8_t *pdu, size_t len, dfsc_smb2_read_req *req) {
  dfsc_rd r;
  uint16_t ci_off, ci_len;
  const uint8_t *ci;

  memset(req, 0, sizeof(*req));
  if (dfsc__smb2_body_open(&r, pdu, len, SMB2_READ_REQ_SSIZE, 48) < 0)
    return DFSC_E_PROTO;
  req->padding = dfsc__rd_u8(&r);
  req->flags = dfsc__rd_u8(&r);
  req->length = dfsc__rd_u32(&r);
  req->offset = dfsc__rd_u64(&r);
  dfsc__smb2_fid_rd(&r, &req->fid);
  req->minimum_count = dfsc__rd_u32(&r);
  req->channel = dfsc__rd_u32(&r);
  req->remaining_bytes = dfsc__rd_u32(&r);
  ci_off = dfsc__rd_u16(&r);
  ci_len = dfsc__rd_u16(&r);
  if (r.bad)
    return DFSC_E_PROTO;
  return dfsc__smb2_span(pdu, len, SMB2_HDR_SIZE + 48, ci_off, ci_len, &ci);
}

int dfsc__smb2_read_rsp_encode(dfsc_wr *w, const dfsc_smb2_read_rsp *rsp) {
  size_t data_off = w->off + 16;

  if (data_off > UINT8_MAX || rsp->data_len > UINT32_MAX)
    return -EINVAL;
  dfsc__wr_u16(w, SMB2_READ_RSP_SSIZE);
  dfsc__wr_u8(w, (uint8_t)data_off);
  dfsc__wr_u8(w, 0);
  dfsc__wr_u32(w, (uint32_t)rsp->data_len);
  dfsc__wr_u32(w, rsp->data_remaining);
  dfsc__wr_u32(w, rsp->flags);
  dfsc__wr_bytes(w, rsp->data, rsp->data_len);
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_read_rsp_peek(const uint8_t *hdr_and_fixed, size_t n, size_t *data_off,
                             size_t *data_len) {
  const uint8_t *b;
  uint32_t dl;
  uint8_t doff;

  if (hdr_and_fixed == NULL || n < SMB2_READ_RSP_FIXED)
    return DFSC_E_PROTO;
  b = hdr_and_fixed + SMB2_HDR_SIZE;
  if (dfsc__le16(b) != SMB2_READ_RSP_SSIZE)
    return DFSC_E_PROTO;
  doff = b[2];
  dl = dfsc__le32(b + 4);
  /* The payload may not overlap the header or the fixed part. */
  if (dl != 0 && doff < SMB2_READ_RSP_FIXED)
    return DFSC_E_PROTO;
  *data_off = dl ? doff : SMB2_READ_RSP_FIXED;
  *data_len = dl;
  return 0;
}

int dfsc__smb2_read_rsp_decode(const uint8_t *pdu, size_t len, dfsc_smb2_read_rsp *rsp) {
  size_t off, n;

  memset(rsp, 0, sizeof(*rsp));
  if (dfsc__smb2_read_rsp_peek(pdu, len, &off, &n) < 0)
    return DFSC_E_PROTO;
  rsp->data_offset = pdu[SMB2_HDR_SIZE + 2];
  rsp->data_remaining = dfsc__le32(pdu + SMB2_HDR_SIZE + 8);
  rsp->flags = dfsc__le32(pdu + SMB2_HDR_SIZE + 12);
  if (dfsc__smb2_span(pdu, len, SMB2_READ_RSP_FIXED, off, n, &rsp->data) < 0)
    return DFSC_E_PROTO;
  rsp->data_len = n;
  return 0;
}
