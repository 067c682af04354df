/* SMB2 WRITE codec ([MS-SMB2] 2.2.21, 2.2.22). See write.h.
 * Does not: send the payload iovec itself.
 */
#include "smb2/write.h"

#include <errno.h>
#include <string.h>

int dfsc__smb2_write_req_encode_hdr(dfsc_wr *w, const dfsc_smb2_write_req *req) {
  size_t data_off = w->off + 48;

  if (data_off > UINT16_MAX || req->data_len > UINT32_MAX)
    return -EINVAL;
  dfsc__wr_u16(w, SMB2_WRITE_REQ_SSIZE);
  dfsc__wr_u16(w, (uint16_t)data_off);
  dfsc__wr_u32(w, (uint32_t)req->data_len);
  dfsc__wr_u64(w, req->offset);
  dfsc__smb2_fid_wr(w, &req->fid);
  dfsc__wr_u32(w, req->channel);
  dfsc__wr_u32(w, req->remaining_bytes);
  dfsc__wr_u16(w, 0); /* WriteChannelInfoOffset */
  dfsc__wr_u16(w, 0); /* WriteChannelInfoLength */
  dfsc__wr_u32(w, req->flags);
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_write_req_encode(dfsc_wr *w, const dfsc_smb2_write_req *req) {
  int rc = dfsc__smb2_write_req_encode_hdr(w, req);

  if (rc < 0)
    return rc;
  if (req->data_len)
    dfsc__wr_bytes(w, req->data, req->data_len);
  else
    dfsc__wr_u8(w, 0);
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_write_req_decode(const uint8_t *pdu, size_t len, dfsc_smb2_write_req *req) {
  dfsc_rd r;
  uint16_t data_off, ci_off, ci_len;
  uint32_t data_len;
  const uint8_t *ci;

  memset(req, 0, sizeof(*req));
  if (dfsc__smb2_body_open(&r, pdu, len, SMB2_WRITE_REQ_SSIZE, 48) < 0)
    return DFSC_E_PROTO;
  data_off = dfsc__rd_u16(&r);
  data_len = dfsc__rd_u32(&r);
  req->offset = dfsc__rd_u64(&r);
  dfsc__smb2_fid_rd(&r, &req->fid);
  req->channel = dfsc__rd_u32(&r);
  req->remaining_bytes = dfsc__rd_u32(&r);
  ci_off = dfsc__rd_u16(&r);
  ci_len = dfsc__rd_u16(&r);
  req->flags = dfsc__rd_u32(&r);
  if (r.bad)
    return DFSC_E_PROTO;
  if (dfsc__smb2_span(pdu, len, SMB2_WRITE_DATA_OFFSET, data_off, data_len, &req->data) <
          0 ||
      dfsc__smb2_span(pdu, len, SMB2_WRITE_DATA_OFFSET, ci_off, ci_len, &ci) < 0)
    return DFSC_E_PROTO;
  req->data_len = data_len;
  return 0;
}

int dfsc__smb2_write_rsp_encode(dfsc_wr *w, const dfsc_smb2_write_rsp *rsp) {
  dfsc__wr_u16(w, SMB2_WRITE_RSP_SSIZE);
  dfsc__wr_u16(w, 0); /* Reserved */
  dfsc__wr_u32(w, rsp->count);
  dfsc__wr_u32(w, rsp->remaining);
  dfsc__wr_u16(w, 0); /* WriteChannelInfoOffset */
  dfsc__wr_u16(w, 0); /* WriteChannelInfoLength */
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_write_rsp_decode(const uint8_t *pdu, size_t len, dfsc_smb2_write_rsp *rsp) {
  dfsc_rd r;

  memset(rsp, 0, sizeof(*rsp));
  if (dfsc__smb2_body_open(&r, pdu, len, SMB2_WRITE_RSP_SSIZE, 16) < 0)
    return DFSC_E_PROTO;
  dfsc__rd_skip(&r, 2);
  rsp->count = dfsc__rd_u32(&r);
  rsp->remaining = dfsc__rd_u32(&r);
  return r.bad ? DFSC_E_PROTO : 0;
}
