/* SMB2 FLUSH codec ([MS-SMB2] 2.2.17, 2.2.18). See flush.h.
 * Does not: anything beyond the wire layout.
 */
#include "smb2/flush.h"

#include <string.h>

int dfsc__smb2_flush_req_encode(dfsc_wr *w, const dfsc_smb2_flush_req *req) {
  dfsc__wr_u16(w, SMB2_FLUSH_REQ_SSIZE);
  dfsc__wr_u16(w, 0); /* Reserved1 */
  dfsc__wr_u32(w, 0); /* Reserved2 */
  dfsc__smb2_fid_wr(w, &req->fid);
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_flush_req_decode(const uint8_t *pdu, size_t len, dfsc_smb2_flush_req *req) {
  dfsc_rd r;

  memset(req, 0, sizeof(*req));
  if (dfsc__smb2_body_open(&r, pdu, len, SMB2_FLUSH_REQ_SSIZE, 24) < 0)
    return DFSC_E_PROTO;
  dfsc__rd_skip(&r, 6);
  dfsc__smb2_fid_rd(&r, &req->fid);
  return r.bad ? DFSC_E_PROTO : 0;
}

int dfsc__smb2_flush_rsp_encode(dfsc_wr *w) {
  dfsc__wr_u16(w, SMB2_FLUSH_RSP_SSIZE);
  dfsc__wr_u16(w, 0);
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_flush_rsp_decode(const uint8_t *pdu, size_t len) {
  dfsc_rd r;

  if (dfsc__smb2_body_open(&r, pdu, len, SMB2_FLUSH_RSP_SSIZE, 4) < 0)
    return DFSC_E_PROTO;
  return 0;
}
