/* SMB2 QUERY_INFO codec ([MS-SMB2] 2.2.37, 2.2.38). See query_info.h.
 * Does not: interpret the returned information (fileinfo.c does).
 */
#include "smb2/query_info.h"

#include <errno.h>
#include <string.h>

#define QI_REQ_BUFFER_OFF (SMB2_HDR_SIZE + 40)
#define QI_RSP_BUFFER_OFF (SMB2_HDR_SIZE + 8)

int dfsc__smb2_query_info_req_encode(dfsc_wr *w, const dfsc_smb2_query_info_req *req) {
  size_t in_off = w->off + 40;

  if (in_off > UINT16_MAX || req->input_len > UINT32_MAX)
    return -EINVAL;
  dfsc__wr_u16(w, SMB2_QUERY_INFO_REQ_SSIZE);
  dfsc__wr_u8(w, req->info_type);
  dfsc__wr_u8(w, req->info_class);
  dfsc__wr_u32(w, req->output_buffer_length);
  dfsc__wr_u16(w, req->input_len ? (uint16_t)in_off : 0);
  dfsc__wr_u16(w, 0); /* Reserved */
  dfsc__wr_u32(w, (uint32_t)req->input_len);
  dfsc__wr_u32(w, req->additional_info);
  dfsc__wr_u32(w, req->flags);
  dfsc__smb2_fid_wr(w, &req->fid);
  if (req->input_len)
    dfsc__wr_bytes(w, req->input, req->input_len);
  else
    dfsc__wr_u8(w, 0); /* keep the Buffer non-empty, as StructureSize 41 implies */
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_query_info_req_decode(const uint8_t *pdu, size_t len,
                                     dfsc_smb2_query_info_req *req) {
  dfsc_rd r;
  uint16_t in_off;
  uint32_t in_len;

  memset(req, 0, sizeof(*req));
  if (dfsc__smb2_body_open(&r, pdu, len, SMB2_QUERY_INFO_REQ_SSIZE, 40) < 0)
    return DFSC_E_PROTO;
  req->info_type = dfsc__rd_u8(&r);
  req->info_class = dfsc__rd_u8(&r);
  req->output_buffer_length = dfsc__rd_u32(&r);
  in_off = dfsc__rd_u16(&r);
  dfsc__rd_skip(&r, 2);
  in_len = dfsc__rd_u32(&r);
  req->additional_info = dfsc__rd_u32(&r);
  req->flags = dfsc__rd_u32(&r);
  dfsc__smb2_fid_rd(&r, &req->fid);
  if (r.bad ||
      dfsc__smb2_span(pdu, len, QI_REQ_BUFFER_OFF, in_off, in_len, &req->input) < 0)
    return DFSC_E_PROTO;
  req->input_len = in_len;
  return 0;
}

int dfsc__smb2_query_info_rsp_encode(dfsc_wr *w, const dfsc_smb2_query_info_rsp *rsp) {
  size_t buf_off = w->off + 8;

  if (buf_off > UINT16_MAX || rsp->len > UINT32_MAX)
    return -EINVAL;
  dfsc__wr_u16(w, SMB2_QUERY_INFO_RSP_SSIZE);
  dfsc__wr_u16(w, (uint16_t)buf_off);
  dfsc__wr_u32(w, (uint32_t)rsp->len);
  dfsc__wr_bytes(w, rsp->buf, rsp->len);
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_query_info_rsp_decode(const uint8_t *pdu, size_t len,
                                     dfsc_smb2_query_info_rsp *rsp) {
  dfsc_rd r;
  uint16_t off;
  uint32_t n;

  memset(rsp, 0, sizeof(*rsp));
  if (dfsc__smb2_body_open(&r, pdu, len, SMB2_QUERY_INFO_RSP_SSIZE, 8) < 0)
    return DFSC_E_PROTO;
  off = dfsc__rd_u16(&r);
  n = dfsc__rd_u32(&r);
  if (r.bad || dfsc__smb2_span(pdu, len, QI_RSP_BUFFER_OFF, off, n, &rsp->buf) < 0)
    return DFSC_E_PROTO;
  rsp->len = n;
  return 0;
}
