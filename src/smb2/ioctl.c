/* SMB2 IOCTL codec and the FSCTL payloads dfsc sends ([MS-SMB2] 2.2.31,
 * 2.2.32, 2.2.31.4, 2.2.32.6; [MS-DFSC] 2.2.2). See ioctl.h.
 * Does not: interpret FSCTL outputs other than VALIDATE_NEGOTIATE_INFO.
 */
#include "smb2/ioctl.h"

#include <errno.h>
#include <string.h>

#include "core/utf16.h"

int dfsc__smb2_ioctl_req_encode(dfsc_wr *w, const dfsc_smb2_ioctl_req *req) {
  size_t fields, buf_start, out_off = 0;

  if (req->input_len > UINT32_MAX || req->output_len > UINT32_MAX)
    return -EINVAL;
  dfsc__wr_u16(w, SMB2_IOCTL_REQ_SSIZE);
  dfsc__wr_u16(w, 0); /* Reserved */
  dfsc__wr_u32(w, req->ctl_code);
  dfsc__smb2_fid_wr(w, &req->fid);
  fields = w->off;
  dfsc__wr_u32(w, 0); /* InputOffset */
  dfsc__wr_u32(w, (uint32_t)req->input_len);
  dfsc__wr_u32(w, req->max_input_response);
  dfsc__wr_u32(w, 0); /* OutputOffset */
  dfsc__wr_u32(w, (uint32_t)req->output_len);
  dfsc__wr_u32(w, req->max_output_response);
  dfsc__wr_u32(w, req->flags);
  dfsc__wr_u32(w, 0); /* Reserved2 */
  buf_start = w->off;
  if (w->bad)
    return DFSC_E_NOSPACE;
  if (req->input_len) {
    dfsc__wr_put_u32(w, fields, (uint32_t)buf_start);
    dfsc__wr_bytes(w, req->input, req->input_len);
  }
  if (req->output_len) {
    dfsc__wr_align(w, 8);
    out_off = w->off;
    dfsc__wr_bytes(w, req->output, req->output_len);
    if (out_off > UINT32_MAX)
      return -EINVAL;
    dfsc__wr_put_u32(w, fields + 12, (uint32_t)out_off);
  }
  if (w->off == buf_start)
    dfsc__wr_u8(w, 0); /* keep the Buffer non-empty, as StructureSize 57 implies */
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_ioctl_req_decode(const uint8_t *pdu, size_t len, dfsc_smb2_ioctl_req *req) {
  dfsc_rd r;
  uint32_t in_off, in_len, out_off, out_len;

  memset(req, 0, sizeof(*req));
  if (dfsc__smb2_body_open(&r, pdu, len, SMB2_IOCTL_REQ_SSIZE, 56) < 0)
    return DFSC_E_PROTO;
  dfsc__rd_skip(&r, 2);
  req->ctl_code = dfsc__rd_u32(&r);
  dfsc__smb2_fid_rd(&r, &req->fid);
  in_off = dfsc__rd_u32(&r);
  in_len = dfsc__rd_u32(&r);
  req->max_input_response = dfsc__rd_u32(&r);
  out_off = dfsc__rd_u32(&r);
  out_len = dfsc__rd_u32(&r);
  req->max_output_response = dfsc__rd_u32(&r);
  req->flags = dfsc__rd_u32(&r);
  dfsc__rd_skip(&r, 4);
  if (r.bad ||
      dfsc__smb2_span(pdu, len, SMB2_IOCTL_REQ_BUFFER_OFF, in_off, in_len, &req->input) <
          0 ||
      dfsc__smb2_span(pdu, len, SMB2_IOCTL_REQ_BUFFER_OFF, out_off, out_len, &req->output) <
          0)
    return DFSC_E_PROTO;
  req->input_len = in_len;
  req->output_len = out_len;
  return 0;
}

int dfsc__smb2_ioctl_rsp_encode(dfsc_wr *w, const dfsc_smb2_ioctl_rsp *rsp) {
  size_t fields, out_off;

  if (rsp->input_len > UINT32_MAX || rsp->output_len > UINT32_MAX)
    return -EINVAL;
  dfsc__wr_u16(w, SMB2_IOCTL_RSP_SSIZE);
  dfsc__wr_u16(w, 0); /* Reserved */
  dfsc__wr_u32(w, rsp->ctl_code);
  dfsc__smb2_fid_wr(w, &rsp->fid);
  fields = w->off;
  dfsc__wr_u32(w, 0); /* InputOffset */
  dfsc__wr_u32(w, (uint32_t)rsp->input_len);
  dfsc__wr_u32(w, 0); /* OutputOffset */
  dfsc__wr_u32(w, (uint32_t)rsp->output_len);
  dfsc__wr_u32(w, rsp->flags);
  dfsc__wr_u32(w, 0); /* Reserved2 */
  if (w->bad)
    return DFSC_E_NOSPACE;
  /* Like Windows, both offsets point into the Buffer even when empty. */
  dfsc__wr_put_u32(w, fields, (uint32_t)w->off);
  dfsc__wr_bytes(w, rsp->input, rsp->input_len);
  if (rsp->input_len)
    dfsc__wr_align(w, 8);
  out_off = w->off;
  if (out_off > UINT32_MAX)
    return -EINVAL;
  dfsc__wr_put_u32(w, fields + 8, (uint32_t)out_off);
  dfsc__wr_bytes(w, rsp->output, rsp->output_len);
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_ioctl_rsp_decode(const uint8_t *pdu, size_t len, dfsc_smb2_ioctl_rsp *rsp) {
  dfsc_rd r;
  uint32_t in_off, in_len, out_off, out_len;

  memset(rsp, 0, sizeof(*rsp));
  if (dfsc__smb2_body_open(&r, pdu, len, SMB2_IOCTL_RSP_SSIZE, 48) < 0)
    return DFSC_E_PROTO;
  dfsc__rd_skip(&r, 2);
  rsp->ctl_code = dfsc__rd_u32(&r);
  dfsc__smb2_fid_rd(&r, &rsp->fid);
  in_off = dfsc__rd_u32(&r);
  in_len = dfsc__rd_u32(&r);
  out_off = dfsc__rd_u32(&r);
  out_len = dfsc__rd_u32(&r);
  rsp->flags = dfsc__rd_u32(&r);
  dfsc__rd_skip(&r, 4);
  if (r.bad ||
      dfsc__smb2_span(pdu, len, SMB2_IOCTL_RSP_BUFFER_OFF, in_off, in_len, &rsp->input) <
          0 ||
      dfsc__smb2_span(pdu, len, SMB2_IOCTL_RSP_BUFFER_OFF, out_off, out_len, &rsp->output) <
          0)
    return DFSC_E_PROTO;
  rsp->input_len = in_len;
  rsp->output_len = out_len;
  return 0;
}

int dfsc__smb2_vni_req_build(dfsc_wr *w, uint32_t capabilities, const uint8_t guid[16],
                             uint16_t security_mode, const uint16_t *dialects,
                             size_t n_dialects) {
  size_t i;

  if (n_dialects == 0 || n_dialects > UINT16_MAX)
    return -EINVAL;
  dfsc__wr_u32(w, capabilities);
  dfsc__wr_bytes(w, guid, 16);
  dfsc__wr_u16(w, security_mode);
  dfsc__wr_u16(w, (uint16_t)n_dialects);
  for (i = 0; i < n_dialects; i++)
    dfsc__wr_u16(w, dialects[i]);
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_vni_req_parse(const uint8_t *buf, size_t len, dfsc_smb2_vni_req *out) {
  dfsc_rd r;

  memset(out, 0, sizeof(*out));
  dfsc__rd_init(&r, buf, len);
  out->capabilities = dfsc__rd_u32(&r);
  dfsc__rd_bytes(&r, out->guid, 16);
  out->security_mode = dfsc__rd_u16(&r);
  out->n_dialects = dfsc__rd_u16(&r);
  if (out->n_dialects == 0)
    return DFSC_E_PROTO;
  out->dialects_le = dfsc__rd_ptr(&r, out->n_dialects * 2);
  return r.bad ? DFSC_E_PROTO : 0;
}

int dfsc__smb2_vni_rsp_build(dfsc_wr *w, const dfsc_smb2_vni_rsp *in) {
  dfsc__wr_u32(w, in->capabilities);
  dfsc__wr_bytes(w, in->guid, 16);
  dfsc__wr_u16(w, in->security_mode);
  dfsc__wr_u16(w, in->dialect);
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_vni_rsp_parse(const uint8_t *buf, size_t len, dfsc_smb2_vni_rsp *out) {
  dfsc_rd r;

  memset(out, 0, sizeof(*out));
  dfsc__rd_init(&r, buf, len);
  out->capabilities = dfsc__rd_u32(&r);
  dfsc__rd_bytes(&r, out->guid, 16);
  out->security_mode = dfsc__rd_u16(&r);
  out->dialect = dfsc__rd_u16(&r);
  return r.bad ? DFSC_E_PROTO : 0;
}

int dfsc__smb2_dfs_referral_req_build(dfsc_wr *w, uint16_t max_level, const char *path,
                                      size_t path_len) {
  int rc;

  dfsc__wr_u16(w, max_level);
  rc = dfsc__utf8_to_utf16_wr(w, path, path_len);
  if (rc < 0)
    return rc;
  dfsc__wr_u16(w, 0); /* [MS-DFSC] 2.2.2: RequestFileName is NUL-terminated */
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_dfs_referral_req_parse(const uint8_t *buf, size_t len, uint16_t *max_level,
                                      const uint8_t **name16, size_t *name16_len) {
  size_t i;

  if (buf == NULL || len < 4)
    return DFSC_E_PROTO;
  *max_level = dfsc__le16(buf);
  for (i = 2; i + 2 <= len; i += 2) {
    if (dfsc__le16(buf + i) == 0) {
      *name16 = buf + 2;
      *name16_len = i - 2;
      return 0;
    }
  }
  return DFSC_E_PROTO;
}

int dfsc__smb2_copychunk_build(dfsc_wr *w, const uint8_t key[SMB2_RESUME_KEY_SIZE],
                               const dfsc_smb2_chunk *c, size_t n) {
  size_t i;

  if (n == 0 || n > UINT16_MAX)
    return -EINVAL;
  dfsc__wr_bytes(w, key, SMB2_RESUME_KEY_SIZE);
  dfsc__wr_u32(w, (uint32_t)n);
  dfsc__wr_u32(w, 0); /* Reserved */
  for (i = 0; i < n; i++) {
    dfsc__wr_u64(w, c[i].src_off);
    dfsc__wr_u64(w, c[i].dst_off);
    dfsc__wr_u32(w, c[i].len);
    dfsc__wr_u32(w, 0); /* Reserved */
  }
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_copychunk_parse(const uint8_t *buf, size_t len,
                               uint8_t key[SMB2_RESUME_KEY_SIZE], size_t *n) {
  dfsc_rd r;
  uint32_t count;

  dfsc__rd_init(&r, buf, len);
  dfsc__rd_bytes(&r, key, SMB2_RESUME_KEY_SIZE);
  count = dfsc__rd_u32(&r);
  dfsc__rd_skip(&r, 4);
  if (r.bad || count > (len - SMB2_COPYCHUNK_HDR_SIZE) / SMB2_COPYCHUNK_SIZE ||
      len != SMB2_COPYCHUNK_HDR_SIZE + (size_t)count * SMB2_COPYCHUNK_SIZE)
    return DFSC_E_PROTO;
  *n = count;
  return 0;
}

int dfsc__smb2_copychunk_rsp_parse(const uint8_t *buf, size_t len,
                                   dfsc_smb2_copychunk_rsp *out) {
  dfsc_rd r;

  memset(out, 0, sizeof(*out));
  dfsc__rd_init(&r, buf, len);
  out->chunks_written = dfsc__rd_u32(&r);
  out->chunk_bytes_written = dfsc__rd_u32(&r);
  out->total_bytes_written = dfsc__rd_u32(&r);
  return r.bad ? DFSC_E_PROTO : 0;
}

int dfsc__smb2_resume_key_parse(const uint8_t *buf, size_t len,
                                uint8_t key[SMB2_RESUME_KEY_SIZE]) {
  dfsc_rd r;

  dfsc__rd_init(&r, buf, len);
  dfsc__rd_bytes(&r, key, SMB2_RESUME_KEY_SIZE);
  (void)dfsc__rd_u32(&r); /* ContextLength: unused ([MS-SMB2] 2.2.32.3) */
  return r.bad ? DFSC_E_PROTO : 0;
}
