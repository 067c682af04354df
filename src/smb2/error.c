/* SMB2 ERROR response codec, [MS-SMB2] 2.2.2 and 2.2.2.1 - 2.2.2.2.
 *
 * Does: decode the ERROR body, walk 3.1.1 error contexts, decode the
 * symbolic link and share redirect formats, all as pointers into the PDU.
 * Does not: map status codes (status.c) or act on a redirect.
 */
#include "smb2/error.h"

#include <errno.h>

#include "core/utf16.h"
#include "dfsc/errors.h"

#define ERR_SIZE 9
#define ERR_FIXED 8 /* body bytes before ErrorData */
#define ERR_CTX_HDR 8
#define SYMLINK_FIXED 28 /* SymLinkLength .. Flags */
#define SHARE_REDIRECT_FIXED 24
#define SHARE_REDIRECT_SIZE 48

int dfsc__smb2_error_rsp_decode(const uint8_t *pdu, size_t len, dfsc_smb2_error_rsp *e) {
  dfsc_rd r;
  uint32_t n;

  memset(e, 0, sizeof *e);
  if (pdu == NULL)
    return DFSC_E_PROTO;
  dfsc__rd_init(&r, pdu, len);
  dfsc__rd_seek(&r, SMB2_HDR_SIZE);
  if (dfsc__rd_u16(&r) != ERR_SIZE)
    return DFSC_E_PROTO;
  e->context_count = dfsc__rd_u8(&r);
  dfsc__rd_skip(&r, 1);
  n = dfsc__rd_u32(&r);
  if (r.bad)
    return DFSC_E_PROTO;
  if (n > 0) {
    e->data = dfsc__rd_ptr(&r, n);
    if (e->data == NULL)
      return DFSC_E_PROTO;
    e->data_len = n;
  }
  /* Contexts need at least their 8-byte headers. */
  if (e->context_count > 0 && e->data_len < ERR_CTX_HDR)
    return DFSC_E_PROTO;
  return 0;
}

int dfsc__smb2_error_ctx_next(const dfsc_smb2_error_rsp *e, dfsc_smb2_error_iter *it,
                              dfsc_smb2_error_ctx *ctx) {
  size_t pos = it->pos, dl;

  if (it->idx >= e->context_count)
    return 0;
  if (e->data == NULL || pos > e->data_len || e->data_len - pos < ERR_CTX_HDR)
    return DFSC_E_PROTO;
  dl = dfsc__le32(e->data + pos);
  if (dl > e->data_len - pos - ERR_CTX_HDR)
    return DFSC_E_PROTO;
  ctx->id = dfsc__le32(e->data + pos + 4);
  ctx->data = dl ? e->data + pos + ERR_CTX_HDR : NULL;
  ctx->len = dl;
  /* dl <= data_len, which fits a u32, so this cannot wrap. The padding
   * after the last context may be missing; the bound check above catches
   * a following context that is not there. */
  pos += ERR_CTX_HDR + dl;
  it->pos = (pos + 7) & ~(size_t)7;
  it->idx++;
  return 1;
}

int dfsc__smb2_error_find(const dfsc_smb2_error_rsp *e, uint32_t error_id,
                          const uint8_t **data, size_t *len) {
  dfsc_smb2_error_iter it = {0, 0};
  dfsc_smb2_error_ctx c;
  int rc;

  *data = NULL;
  *len = 0;
  if (e->context_count == 0) {
    if (error_id != SMB2_ERROR_ID_DEFAULT || e->data_len == 0)
      return 0;
    *data = e->data;
    *len = e->data_len;
    return 1;
  }
  while ((rc = dfsc__smb2_error_ctx_next(e, &it, &c)) == 1) {
    if (c.id == error_id) {
      *data = c.data;
      *len = c.len;
      return 1;
    }
  }
  return rc;
}

int dfsc__smb2_symlink_error_decode(const uint8_t *p, size_t n,
                                    dfsc_smb2_symlink_error *s) {
  dfsc_rd r;
  uint32_t sl_len;
  uint16_t sub_off, sub_len, pr_off, pr_len;
  const uint8_t *pb;
  size_t pb_len;

  memset(s, 0, sizeof *s);
  if (p == NULL)
    return DFSC_E_PROTO;
  dfsc__rd_init(&r, p, n);
  sl_len = dfsc__rd_u32(&r);
  if (dfsc__rd_u32(&r) != SMB2_SYMLINK_ERROR_TAG)
    return DFSC_E_PROTO;
  s->reparse_tag = dfsc__rd_u32(&r);
  s->reparse_data_length = dfsc__rd_u16(&r);
  s->unparsed_path_length = dfsc__rd_u16(&r);
  sub_off = dfsc__rd_u16(&r);
  sub_len = dfsc__rd_u16(&r);
  pr_off = dfsc__rd_u16(&r);
  pr_len = dfsc__rd_u16(&r);
  s->flags = dfsc__rd_u32(&r);
  if (r.bad || s->reparse_tag != SMB2_IO_REPARSE_TAG_SYMLINK)
    return DFSC_E_PROTO;
  /* SymLinkLength excludes itself and must cover the fixed part. */
  if (sl_len < SYMLINK_FIXED - 4 || sl_len > n - 4)
    return DFSC_E_PROTO;
  pb = p + SYMLINK_FIXED;
  pb_len = (size_t)sl_len + 4 - SYMLINK_FIXED;
  if ((sub_len & 1) || (pr_len & 1) || sub_off > pb_len || sub_len > pb_len - sub_off ||
      pr_off > pb_len || pr_len > pb_len - pr_off)
    return DFSC_E_PROTO;
  s->substitute_name = pb + sub_off;
  s->substitute_name_len = sub_len;
  s->print_name = pb + pr_off;
  s->print_name_len = pr_len;
  return 0;
}

int dfsc__smb2_stopped_on_symlink_decode(const uint8_t *pdu, size_t len,
                                         dfsc_smb2_symlink_error *s) {
  dfsc_smb2_error_rsp e;
  const uint8_t *d;
  size_t n;
  int rc;

  memset(s, 0, sizeof *s);
  rc = dfsc__smb2_error_rsp_decode(pdu, len, &e);
  if (rc < 0)
    return rc;
  rc = dfsc__smb2_error_find(&e, SMB2_ERROR_ID_DEFAULT, &d, &n);
  if (rc <= 0)
    return DFSC_E_PROTO;
  return dfsc__smb2_symlink_error_decode(d, n, s);
}

int dfsc__smb2_share_redirect_decode(const uint8_t *p, size_t n,
                                     dfsc_smb2_share_redirect *sr) {
  dfsc_rd r;
  uint32_t name_off, name_len;

  memset(sr, 0, sizeof *sr);
  if (p == NULL)
    return DFSC_E_PROTO;
  dfsc__rd_init(&r, p, n);
  if (dfsc__rd_u32(&r) != SHARE_REDIRECT_SIZE)
    return DFSC_E_PROTO;
  sr->notification_type = dfsc__rd_u32(&r);
  name_off = dfsc__rd_u32(&r);
  name_len = dfsc__rd_u32(&r);
  dfsc__rd_skip(&r, 2);
  sr->target_type = dfsc__rd_u16(&r);
  sr->ip_count = dfsc__rd_u32(&r);
  if (r.bad)
    return DFSC_E_PROTO;
  /* Divide rather than multiply: a peer's count must not overflow. */
  if (sr->ip_count > (n - SHARE_REDIRECT_FIXED) / SMB2_MOVE_DST_IPADDR_SIZE)
    return DFSC_E_PROTO;
  sr->ip_list = sr->ip_count ? p + SHARE_REDIRECT_FIXED : NULL;
  if ((name_len & 1) || name_off < SHARE_REDIRECT_FIXED || name_off > n ||
      name_len > n - name_off)
    return DFSC_E_PROTO;
  sr->resource_name = name_len ? p + name_off : NULL;
  sr->resource_name_len = name_len;
  return 0;
}

int dfsc__smb2_error_buffer_too_small(const dfsc_smb2_error_rsp *e, uint32_t *needed) {
  const uint8_t *d;
  size_t n;

  *needed = 0;
  if (dfsc__smb2_error_find(e, SMB2_ERROR_ID_DEFAULT, &d, &n) != 1 || n < 4)
    return DFSC_E_PROTO;
  *needed = dfsc__le32(d);
  return 0;
}

int dfsc__smb2_error_rsp_encode(dfsc_wr *w, uint8_t context_count, const uint8_t *data,
                                size_t n) {
  if (n > UINT32_MAX || (n > 0 && data == NULL))
    return -EINVAL;
  dfsc__wr_u16(w, ERR_SIZE);
  dfsc__wr_u8(w, context_count);
  dfsc__wr_u8(w, 0);
  dfsc__wr_u32(w, (uint32_t)n);
  /* StructureSize 9 counts one ErrorData byte even when ByteCount is 0. */
  if (n > 0)
    dfsc__wr_bytes(w, data, n);
  else
    dfsc__wr_u8(w, 0);
  return w->bad ? DFSC_E_NOSPACE : 0;
}

int dfsc__smb2_symlink_error_encode(dfsc_wr *w, uint16_t unparsed_path_length,
                                    uint32_t flags, const char *substitute,
                                    const char *print) {
  size_t start = w->off, pb, sub_len, pr_len, total;

  dfsc__wr_zero(w, SYMLINK_FIXED);
  pb = w->off;
  if (dfsc__utf8_to_utf16_wr(w, substitute, strlen(substitute)) == -EILSEQ)
    return -EINVAL;
  sub_len = w->off - pb;
  if (dfsc__utf8_to_utf16_wr(w, print, strlen(print)) == -EILSEQ)
    return -EINVAL;
  if (w->bad)
    return DFSC_E_NOSPACE;
  pr_len = w->off - pb - sub_len;
  total = w->off - start;
  /* ReparseDataLength counts from SubstituteNameOffset to the end. */
  if (total - 16 > UINT16_MAX || sub_len > UINT16_MAX || pr_len > UINT16_MAX)
    return -EINVAL;
  dfsc__wr_put_u32(w, start, (uint32_t)(total - 4));
  dfsc__wr_put_u32(w, start + 4, SMB2_SYMLINK_ERROR_TAG);
  dfsc__wr_put_u32(w, start + 8, SMB2_IO_REPARSE_TAG_SYMLINK);
  dfsc__wr_put_u16(w, start + 12, (uint16_t)(total - 16));
  dfsc__wr_put_u16(w, start + 14, unparsed_path_length);
  dfsc__wr_put_u16(w, start + 16, 0);
  dfsc__wr_put_u16(w, start + 18, (uint16_t)sub_len);
  dfsc__wr_put_u16(w, start + 20, (uint16_t)sub_len);
  dfsc__wr_put_u16(w, start + 22, (uint16_t)pr_len);
  dfsc__wr_put_u32(w, start + 24, flags);
  return w->bad ? DFSC_E_NOSPACE : 0;
}
