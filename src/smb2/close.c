/* SMB2 CLOSE codec ([MS-SMB2] 2.2.15, 2.2.16). See close.h.
 * Does not: decide whether to ask for the post-query attributes.
 */
#include "smb2/close.h"

#include <string.h>

int dfsc__smb2_close_req_encode(dfsc_wr *w, const dfsc_smb2_close_req *req) {
  dfsc__wr_u16(w, SMB2_CLOSE_REQ_SSIZE);
  dfsc__wr_u16(w, req->flags);
  dfsc__wr_u32(w, 0); /* Reserved */
  dfsc__smb2_fid_wr(w, &req->fid);
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_close_req_decode(const uint8_t *pdu, size_t len, dfsc_smb2_close_req *req) {
  dfsc_rd r;

  memset(req, 0, sizeof(*req));
  if (dfsc__smb2_body_open(&r, pdu, len, SMB2_CLOSE_REQ_SSIZE, 24) < 0)
    return DFSC_E_PROTO;
  req->flags = dfsc__rd_u16(&r);
  dfsc__rd_skip(&r, 4);
  dfsc__smb2_fid_rd(&r, &req->fid);
  return r.bad ? DFSC_E_PROTO : 0;
}

int dfsc__smb2_close_rsp_encode(dfsc_wr *w, const dfsc_smb2_close_rsp *rsp) {
  dfsc__wr_u16(w, SMB2_CLOSE_RSP_SSIZE);
  dfsc__wr_u16(w, rsp->flags);
  dfsc__wr_u32(w, 0); /* Reserved */
  dfsc__wr_u64(w, rsp->info.creation_time);
  dfsc__wr_u64(w, rsp->info.last_access_time);
  dfsc__wr_u64(w, rsp->info.last_write_time);
  dfsc__wr_u64(w, rsp->info.change_time);
  dfsc__wr_u64(w, rsp->info.allocation_size);
  dfsc__wr_u64(w, rsp->info.end_of_file);
  dfsc__wr_u32(w, rsp->info.attributes);
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_close_rsp_decode(const uint8_t *pdu, size_t len, dfsc_smb2_close_rsp *rsp) {
  dfsc_rd r;

  memset(rsp, 0, sizeof(*rsp));
  if (dfsc__smb2_body_open(&r, pdu, len, SMB2_CLOSE_RSP_SSIZE, 60) < 0)
    return DFSC_E_PROTO;
  rsp->flags = dfsc__rd_u16(&r);
  dfsc__rd_skip(&r, 4);
  rsp->info.creation_time = dfsc__rd_u64(&r);
  rsp->info.last_access_time = dfsc__rd_u64(&r);
  rsp->info.last_write_time = dfsc__rd_u64(&r);
  rsp->info.change_time = dfsc__rd_u64(&r);
  rsp->info.allocation_size = dfsc__rd_u64(&r);
  rsp->info.end_of_file = dfsc__rd_u64(&r);
  rsp->info.attributes = dfsc__rd_u32(&r);
  return r.bad ? DFSC_E_PROTO : 0;
}
