/* SMB2 LOCK codec ([MS-SMB2] 2.2.26, 2.2.26.1, 2.2.27). See lock.h.
 * Does not: check flag combinations or ranges (the server's job,
 * [MS-SMB2] 3.3.5.14.1 / 3.3.5.14.2); anything beyond the wire layout.
 */
#include "smb2/lock.h"

#include <errno.h>
#include <string.h>

static int count_ok(size_t count) { return count >= 1 && count <= SMB2_LOCK_MAX_ELEMENTS; }

int dfsc__smb2_lock_req_encode(dfsc_wr *w, const dfsc_smb2_lock_req *req) {
  size_t i;

  /* [MS-SMB2] 2.2.26: LockCount MUST be at least 1. */
  if (!count_ok(req->count))
    return -EINVAL;
  /* StructureSize is 48 whatever the count: the fixed part plus one
   * element ([MS-SMB2] 2.2.26). */
  dfsc__wr_u16(w, SMB2_LOCK_REQ_SSIZE);
  dfsc__wr_u16(w, req->count);
  dfsc__wr_u32(w, req->lock_sequence);
  dfsc__smb2_fid_wr(w, &req->fid);
  for (i = 0; i < req->count; i++) {
    /* SMB2_LOCK_ELEMENT, [MS-SMB2] 2.2.26.1 */
    dfsc__wr_u64(w, req->locks[i].offset);
    dfsc__wr_u64(w, req->locks[i].length);
    dfsc__wr_u32(w, req->locks[i].flags);
    dfsc__wr_u32(w, 0); /* Reserved */
  }
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_lock_req_decode(const uint8_t *pdu, size_t len, dfsc_smb2_lock_req *req) {
  dfsc_rd r;
  size_t i;
  uint16_t count;

  memset(req, 0, sizeof(*req));
  /* The StructureSize promises one element, so the body is at least 48. */
  if (dfsc__smb2_body_open(&r, pdu, len, SMB2_LOCK_REQ_SSIZE, SMB2_LOCK_REQ_SSIZE) < 0)
    return DFSC_E_PROTO;
  count = dfsc__rd_u16(&r);
  req->lock_sequence = dfsc__rd_u32(&r);
  dfsc__smb2_fid_rd(&r, &req->fid);
  /* LockCount is the peer's: refuse 0 and anything past the array before
   * reading, then require every element inside len. */
  if (r.bad || !count_ok(count))
    return DFSC_E_PROTO;
  if ((size_t)count * SMB2_LOCK_ELEMENT_SIZE > dfsc__rd_left(&r))
    return DFSC_E_PROTO;
  for (i = 0; i < count; i++) {
    req->locks[i].offset = dfsc__rd_u64(&r);
    req->locks[i].length = dfsc__rd_u64(&r);
    req->locks[i].flags = dfsc__rd_u32(&r);
    dfsc__rd_skip(&r, 4); /* Reserved */
  }
  if (r.bad)
    return DFSC_E_PROTO;
  req->count = count;
  return 0;
}

int dfsc__smb2_lock_rsp_encode(dfsc_wr *w) {
  dfsc__wr_u16(w, SMB2_LOCK_RSP_SSIZE);
  dfsc__wr_u16(w, 0); /* Reserved, [MS-SMB2] 2.2.27 */
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_lock_rsp_decode(const uint8_t *pdu, size_t len) {
  dfsc_rd r;

  return dfsc__smb2_body_open(&r, pdu, len, SMB2_LOCK_RSP_SSIZE, SMB2_LOCK_RSP_SSIZE);
}
