/* SMB2 SESSION_SETUP codec, [MS-SMB2] 2.2.5 (request) and 2.2.6 (response).
 *
 * Does: fixed fields plus the security buffer, whose offset and length are
 * checked against the PDU and may not point into the header or fixed part.
 * Does not: look inside the security blob.
 */
#include "smb2/session_setup.h"

#include <errno.h>

#include "dfsc/errors.h"

#define SS_REQ_SIZE 25
#define SS_RSP_SIZE 9
#define SS_REQ_BUFFER_AT (SMB2_HDR_SIZE + 24)
#define SS_RSP_BUFFER_AT (SMB2_HDR_SIZE + 8)

/* Resolves a (offset, length) pair from the wire: an empty buffer gives NULL
 * whatever the offset says; otherwise [off, off+n) must lie in the PDU at or
 * after min_off. Returns 0 or DFSC_E_PROTO. */
static int buf_at(const uint8_t *pdu, size_t len, size_t off, size_t n, size_t min_off,
                  const uint8_t **out) {
  *out = NULL;
  if (n == 0)
    return 0;
  if (off < min_off || off > len || n > len - off)
    return DFSC_E_PROTO;
  *out = pdu + off;
  return 0;
}

/* Writes the buffer at the current offset (already past the fixed part) and
 * patches its offset/length fields at `field_at`. StructureSize counts one
 * byte of Buffer, so an empty buffer still sends a zero byte. */
static void wr_secbuf(dfsc_wr *w, size_t field_at, const uint8_t *p, size_t n) {
  if (!w->bad && n > 0) {
    dfsc__wr_put_u16(w, field_at, (uint16_t)w->off);
    dfsc__wr_put_u16(w, field_at + 2, (uint16_t)n);
  }
  if (n > 0)
    dfsc__wr_bytes(w, p, n);
  else
    dfsc__wr_u8(w, 0);
}

int dfsc__smb2_session_setup_req_encode(dfsc_wr *w,
                                        const dfsc_smb2_session_setup_req *req) {
  size_t field_at;

  if (req->security_buffer_len > UINT16_MAX ||
      (req->security_buffer_len > 0 && req->security_buffer == NULL))
    return -EINVAL;
  dfsc__wr_u16(w, SS_REQ_SIZE);
  dfsc__wr_u8(w, req->flags);
  dfsc__wr_u8(w, req->security_mode);
  dfsc__wr_u32(w, req->capabilities);
  dfsc__wr_u32(w, req->channel);
  field_at = w->off;
  dfsc__wr_u16(w, 0);
  dfsc__wr_u16(w, 0);
  dfsc__wr_u64(w, req->previous_session_id);
  wr_secbuf(w, field_at, req->security_buffer, req->security_buffer_len);
  return w->bad ? DFSC_E_NOSPACE : 0;
}

int dfsc__smb2_session_setup_req_decode(const uint8_t *pdu, size_t len,
                                        dfsc_smb2_session_setup_req *req) {
  dfsc_rd r;
  uint16_t off, n;

  memset(req, 0, sizeof *req);
  if (pdu == NULL)
    return DFSC_E_PROTO;
  dfsc__rd_init(&r, pdu, len);
  dfsc__rd_seek(&r, SMB2_HDR_SIZE);
  if (dfsc__rd_u16(&r) != SS_REQ_SIZE)
    return DFSC_E_PROTO;
  req->flags = dfsc__rd_u8(&r);
  req->security_mode = dfsc__rd_u8(&r);
  req->capabilities = dfsc__rd_u32(&r);
  req->channel = dfsc__rd_u32(&r);
  off = dfsc__rd_u16(&r);
  n = dfsc__rd_u16(&r);
  req->previous_session_id = dfsc__rd_u64(&r);
  if (r.bad || buf_at(pdu, len, off, n, SS_REQ_BUFFER_AT, &req->security_buffer) < 0)
    return DFSC_E_PROTO;
  req->security_buffer_len = n;
  return 0;
}

int dfsc__smb2_session_setup_rsp_encode(dfsc_wr *w,
                                        const dfsc_smb2_session_setup_rsp *rsp) {
  size_t field_at;

  if (rsp->security_buffer_len > UINT16_MAX ||
      (rsp->security_buffer_len > 0 && rsp->security_buffer == NULL))
    return -EINVAL;
  dfsc__wr_u16(w, SS_RSP_SIZE);
  dfsc__wr_u16(w, rsp->session_flags);
  field_at = w->off;
  dfsc__wr_u16(w, 0);
  dfsc__wr_u16(w, 0);
  wr_secbuf(w, field_at, rsp->security_buffer, rsp->security_buffer_len);
  return w->bad ? DFSC_E_NOSPACE : 0;
}

int dfsc__smb2_session_setup_rsp_decode(const uint8_t *pdu, size_t len,
                                        dfsc_smb2_session_setup_rsp *rsp) {
  dfsc_rd r;
  uint16_t off, n;

  memset(rsp, 0, sizeof *rsp);
  if (pdu == NULL)
    return DFSC_E_PROTO;
  dfsc__rd_init(&r, pdu, len);
  dfsc__rd_seek(&r, SMB2_HDR_SIZE);
  if (dfsc__rd_u16(&r) != SS_RSP_SIZE)
    return DFSC_E_PROTO;
  rsp->session_flags = dfsc__rd_u16(&r);
  off = dfsc__rd_u16(&r);
  n = dfsc__rd_u16(&r);
  if (r.bad || buf_at(pdu, len, off, n, SS_RSP_BUFFER_AT, &rsp->security_buffer) < 0)
    return DFSC_E_PROTO;
  rsp->security_buffer_len = n;
  return 0;
}
