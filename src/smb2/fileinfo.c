/* File and file-system information classes ([MS-FSCC] 2.4 / 2.5): parsers
 * for QUERY_INFO output buffers and builders for SET_INFO input buffers (and
 * the reverse of each, for a fake server). See fileinfo.h.
 * Does not: build the QUERY_INFO / SET_INFO PDUs around them.
 */
#include "smb2/fileinfo.h"

#include <errno.h>

#include "core/utf16.h"

static int rd_status(const dfsc_rd *r) { return r->bad ? DFSC_E_PROTO : 0; }

static void basic_rd(dfsc_rd *r, dfsc_smb2_fi_basic *out) {
  out->creation_time = dfsc__rd_u64(r);
  out->last_access_time = dfsc__rd_u64(r);
  out->last_write_time = dfsc__rd_u64(r);
  out->change_time = dfsc__rd_u64(r);
  out->attributes = dfsc__rd_u32(r);
  dfsc__rd_skip(r, 4); /* Reserved */
}

static void standard_rd(dfsc_rd *r, dfsc_smb2_fi_standard *out) {
  out->allocation_size = dfsc__rd_u64(r);
  out->end_of_file = dfsc__rd_u64(r);
  out->number_of_links = dfsc__rd_u32(r);
  out->delete_pending = dfsc__rd_u8(r);
  out->directory = dfsc__rd_u8(r);
  dfsc__rd_skip(r, 2); /* Reserved */
}

int dfsc__smb2_fi_basic_parse(const uint8_t *buf, size_t len, dfsc_smb2_fi_basic *out) {
  dfsc_rd r;
  dfsc__rd_init(&r, buf, len);
  basic_rd(&r, out);
  return rd_status(&r);
}

int dfsc__smb2_fi_standard_parse(const uint8_t *buf, size_t len,
                                 dfsc_smb2_fi_standard *out) {
  dfsc_rd r;
  dfsc__rd_init(&r, buf, len);
  standard_rd(&r, out);
  return rd_status(&r);
}

int dfsc__smb2_fi_internal_parse(const uint8_t *buf, size_t len, uint64_t *index_number) {
  dfsc_rd r;
  dfsc__rd_init(&r, buf, len);
  *index_number = dfsc__rd_u64(&r);
  return rd_status(&r);
}

int dfsc__smb2_fi_network_open_parse(const uint8_t *buf, size_t len,
                                     dfsc_smb2_netopen *out) {
  dfsc_rd r;
  dfsc__rd_init(&r, buf, len);
  out->creation_time = dfsc__rd_u64(&r);
  out->last_access_time = dfsc__rd_u64(&r);
  out->last_write_time = dfsc__rd_u64(&r);
  out->change_time = dfsc__rd_u64(&r);
  out->allocation_size = dfsc__rd_u64(&r);
  out->end_of_file = dfsc__rd_u64(&r);
  out->attributes = dfsc__rd_u32(&r);
  dfsc__rd_skip(&r, 4); /* Reserved */
  return rd_status(&r);
}

int dfsc__smb2_fi_all_parse(const uint8_t *buf, size_t len, dfsc_smb2_fi_all *out) {
  dfsc_rd r;
  uint32_t name_len;

  dfsc__rd_init(&r, buf, len);
  basic_rd(&r, &out->basic);
  standard_rd(&r, &out->standard);
  out->index_number = dfsc__rd_u64(&r);
  out->ea_size = dfsc__rd_u32(&r);
  out->access_flags = dfsc__rd_u32(&r);
  out->current_byte_offset = dfsc__rd_u64(&r);
  out->mode = dfsc__rd_u32(&r);
  out->alignment_requirement = dfsc__rd_u32(&r);
  name_len = dfsc__rd_u32(&r);
  if (r.bad)
    return DFSC_E_PROTO;
  /* FileName is read by no one here (the path is known): a name of an odd
   * length (impacket 0.10 sends one) or past the buffer is left out rather
   * than failing the attributes before it. */
  out->name = NULL;
  out->name_len = 0;
  if (name_len != 0 && (name_len & 1) == 0 && name_len <= dfsc__rd_left(&r)) {
    out->name = dfsc__rd_ptr(&r, name_len);
    out->name_len = name_len;
  }
  return rd_status(&r);
}

int dfsc__smb2_fs_size_parse(const uint8_t *buf, size_t len, dfsc_smb2_fs_size *out) {
  dfsc_rd r;
  dfsc__rd_init(&r, buf, len);
  out->total_units = dfsc__rd_u64(&r);
  out->caller_available_units = dfsc__rd_u64(&r);
  out->actual_available_units = out->caller_available_units;
  out->sectors_per_unit = dfsc__rd_u32(&r);
  out->bytes_per_sector = dfsc__rd_u32(&r);
  return rd_status(&r);
}

int dfsc__smb2_fs_full_size_parse(const uint8_t *buf, size_t len, dfsc_smb2_fs_size *out) {
  dfsc_rd r;
  dfsc__rd_init(&r, buf, len);
  out->total_units = dfsc__rd_u64(&r);
  out->caller_available_units = dfsc__rd_u64(&r);
  out->actual_available_units = dfsc__rd_u64(&r);
  out->sectors_per_unit = dfsc__rd_u32(&r);
  out->bytes_per_sector = dfsc__rd_u32(&r);
  return rd_status(&r);
}

int dfsc__smb2_fi_rename_parse(const uint8_t *buf, size_t len, int *replace_if_exists,
                               const uint8_t **name16, size_t *name16_len) {
  dfsc_rd r;
  uint32_t n;

  dfsc__rd_init(&r, buf, len);
  *replace_if_exists = dfsc__rd_u8(&r) != 0;
  dfsc__rd_skip(&r, 7);
  if (dfsc__rd_u64(&r) != 0) /* RootDirectory MUST be 0 on the network */
    return DFSC_E_PROTO;
  n = dfsc__rd_u32(&r);
  if (n == 0 || (n & 1))
    return DFSC_E_PROTO;
  *name16 = dfsc__rd_ptr(&r, n);
  *name16_len = n;
  return rd_status(&r);
}

int dfsc__smb2_fi_disposition_parse(const uint8_t *buf, size_t len, int *delete_pending) {
  dfsc_rd r;
  dfsc__rd_init(&r, buf, len);
  *delete_pending = dfsc__rd_u8(&r) != 0;
  return rd_status(&r);
}

int dfsc__smb2_fi_eof_parse(const uint8_t *buf, size_t len, uint64_t *eof) {
  dfsc_rd r;
  dfsc__rd_init(&r, buf, len);
  *eof = dfsc__rd_u64(&r);
  return rd_status(&r);
}

int dfsc__smb2_fi_rename_build(dfsc_wr *w, int replace_if_exists, const char *name,
                               size_t name_len) {
  long n16 = dfsc__utf8_to_utf16_len(name, name_len);
  size_t start = w->off;
  int rc;

  if (n16 < 0)
    return (int)n16;
  if (n16 == 0 || (unsigned long)n16 > UINT32_MAX)
    return -EINVAL;
  dfsc__wr_u8(w, replace_if_exists ? 1 : 0);
  dfsc__wr_zero(w, 7);
  dfsc__wr_u64(w, 0); /* RootDirectory */
  dfsc__wr_u32(w, (uint32_t)n16);
  rc = dfsc__utf8_to_utf16_wr(w, name, name_len);
  if (rc < 0)
    return rc;
  /* Windows rejects a buffer shorter than the C structure (a 1-char name). */
  if (!w->bad && w->off - start < SMB2_FI_RENAME_MIN_SIZE)
    dfsc__wr_zero(w, SMB2_FI_RENAME_MIN_SIZE - (w->off - start));
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_fi_disposition_build(dfsc_wr *w, int delete_pending) {
  dfsc__wr_u8(w, delete_pending ? 1 : 0);
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_fi_eof_build(dfsc_wr *w, uint64_t eof) {
  dfsc__wr_u64(w, eof);
  return dfsc__smb2_wr_status(w);
}

static void basic_wr(dfsc_wr *w, const dfsc_smb2_fi_basic *in) {
  dfsc__wr_u64(w, in->creation_time);
  dfsc__wr_u64(w, in->last_access_time);
  dfsc__wr_u64(w, in->last_write_time);
  dfsc__wr_u64(w, in->change_time);
  dfsc__wr_u32(w, in->attributes);
  dfsc__wr_u32(w, 0);
}

static void standard_wr(dfsc_wr *w, const dfsc_smb2_fi_standard *in) {
  dfsc__wr_u64(w, in->allocation_size);
  dfsc__wr_u64(w, in->end_of_file);
  dfsc__wr_u32(w, in->number_of_links);
  dfsc__wr_u8(w, in->delete_pending);
  dfsc__wr_u8(w, in->directory);
  dfsc__wr_u16(w, 0);
}

int dfsc__smb2_fi_basic_build(dfsc_wr *w, const dfsc_smb2_fi_basic *in) {
  basic_wr(w, in);
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_fi_standard_build(dfsc_wr *w, const dfsc_smb2_fi_standard *in) {
  standard_wr(w, in);
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_fi_internal_build(dfsc_wr *w, uint64_t index_number) {
  dfsc__wr_u64(w, index_number);
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_fi_network_open_build(dfsc_wr *w, const dfsc_smb2_netopen *in) {
  dfsc__wr_u64(w, in->creation_time);
  dfsc__wr_u64(w, in->last_access_time);
  dfsc__wr_u64(w, in->last_write_time);
  dfsc__wr_u64(w, in->change_time);
  dfsc__wr_u64(w, in->allocation_size);
  dfsc__wr_u64(w, in->end_of_file);
  dfsc__wr_u32(w, in->attributes);
  dfsc__wr_u32(w, 0);
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_fi_all_build(dfsc_wr *w, const dfsc_smb2_fi_all *in) {
  if (in->name_len > UINT32_MAX || (in->name_len & 1))
    return -EINVAL;
  basic_wr(w, &in->basic);
  standard_wr(w, &in->standard);
  dfsc__wr_u64(w, in->index_number);
  dfsc__wr_u32(w, in->ea_size);
  dfsc__wr_u32(w, in->access_flags);
  dfsc__wr_u64(w, in->current_byte_offset);
  dfsc__wr_u32(w, in->mode);
  dfsc__wr_u32(w, in->alignment_requirement);
  dfsc__wr_u32(w, (uint32_t)in->name_len);
  dfsc__wr_bytes(w, in->name, in->name_len);
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_fs_size_build(dfsc_wr *w, const dfsc_smb2_fs_size *in) {
  dfsc__wr_u64(w, in->total_units);
  dfsc__wr_u64(w, in->caller_available_units);
  dfsc__wr_u32(w, in->sectors_per_unit);
  dfsc__wr_u32(w, in->bytes_per_sector);
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_fs_full_size_build(dfsc_wr *w, const dfsc_smb2_fs_size *in) {
  dfsc__wr_u64(w, in->total_units);
  dfsc__wr_u64(w, in->caller_available_units);
  dfsc__wr_u64(w, in->actual_available_units);
  dfsc__wr_u32(w, in->sectors_per_unit);
  dfsc__wr_u32(w, in->bytes_per_sector);
  return dfsc__smb2_wr_status(w);
}
