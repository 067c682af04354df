/* SMB2 SET_INFO codec ([MS-SMB2] 2.2.39, 2.2.40). See set_info.h.
 * Does not: build the information payloads (fileinfo.c does).
 */
#include "smb2/set_info.h"

#include <errno.h>
#include <string.h>

#define SI_REQ_BUFFER_OFF (SMB2_HDR_SIZE + 32)

int dfsc__smb2_set_info_req_encode(dfsc_wr *w, const dfsc_smb2_set_info_req *req) {
  size_t buf_off = w->off + 32;

  if (buf_off > UINT16_MAX || req->len > UINT32_MAX)
    return -EINVAL;
  dfsc__wr_u16(w, SMB2_SET_INFO_REQ_SSIZE);
  dfsc__wr_u8(w, req->info_type);
  dfsc__wr_u8(w, req->info_class);
  dfsc__wr_u32(w, (uint32_t)req->len);
  dfsc__wr_u16(w, (uint16_t)buf_off);
  dfsc__wr_u16(w, 0); /* Reserved */
  dfsc__wr_u32(w, req->additional_info);
  dfsc__smb2_fid_wr(w, &req->fid);
  if (req->len)
    dfsc__wr_bytes(w, req->buf, req->len);
  else
    dfsc__wr_u8(w, 0); /* keep the Buffer non-empty, as StructureSize 33 implies */
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_set_info_req_decode(const uint8_t *pdu, size_t len,
                                   dfsc_smb2_set_info_req *req) {
  dfsc_rd r;
  uint16_t off;
  uint32_t n;

  memset(req, 0, sizeof(*req));
  if (dfsc__smb2_body_open(&r, pdu, len, SMB2_SET_INFO_REQ_SSIZE, 32) < 0)
    return DFSC_E_PROTO;
  req->info_type = dfsc__rd_u8(&r);
  req->info_class = dfsc__rd_u8(&r);
  n = dfsc__rd_u32(&r);
  off = dfsc__rd_u16(&r);
  dfsc__rd_skip(&r, 2);
  req->additional_info = dfsc__rd_u32(&r);
  dfsc__smb2_fid_rd(&r, &req->fid);
  if (r.bad || dfsc__smb2_span(pdu, len, SI_REQ_BUFFER_OFF, off, n, &req->buf) < 0)
    return DFSC_E_PROTO;
  req->len = n;
  return 0;
}

int dfsc__smb2_set_info_rsp_encode(dfsc_wr *w) {
  dfsc__wr_u16(w, SMB2_SET_INFO_RSP_SSIZE);
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_set_info_rsp_decode(const uint8_t *pdu, size_t len) {
  dfsc_rd r;

  return dfsc__smb2_body_open(&r, pdu, len, SMB2_SET_INFO_RSP_SSIZE, 2);
}
