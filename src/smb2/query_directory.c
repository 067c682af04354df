/* SMB2 QUERY_DIRECTORY codec and directory information iterator
 * ([MS-SMB2] 2.2.33, 2.2.34; [MS-FSCC] 2.4.8, 2.4.10, 2.4.14, 2.4.17,
 * 2.4.18). See query_directory.h.
 * Does not: convert names to UTF-8.
 */
#include "smb2/query_directory.h"

#include <errno.h>
#include <string.h>

#include "core/utf16.h"

#define QD_REQ_BUFFER_OFF (SMB2_HDR_SIZE + 32)
#define QD_RSP_BUFFER_OFF (SMB2_HDR_SIZE + 8)
#define SHORT_NAME_MAX 24

int dfsc__smb2_query_dir_req_encode(dfsc_wr *w, const dfsc_smb2_query_dir_req *req) {
  size_t name_field, buf_start;
  long n16;
  int rc;

  n16 = req->pattern ? dfsc__utf8_to_utf16_len(req->pattern, req->pattern_len)
                     : (long)req->pattern16_len;
  if (n16 < 0)
    return (int)n16;
  if (n16 > UINT16_MAX || (n16 & 1))
    return -EINVAL;
  dfsc__wr_u16(w, SMB2_QUERY_DIRECTORY_REQ_SSIZE);
  dfsc__wr_u8(w, req->info_class);
  dfsc__wr_u8(w, req->flags);
  dfsc__wr_u32(w, req->file_index);
  dfsc__smb2_fid_wr(w, &req->fid);
  name_field = w->off;
  dfsc__wr_u16(w, 0);
  dfsc__wr_u16(w, (uint16_t)n16);
  dfsc__wr_u32(w, req->output_buffer_length);
  buf_start = w->off;
  if (w->bad)
    return DFSC_E_NOSPACE;
  dfsc__wr_put_u16(w, name_field, n16 ? (uint16_t)buf_start : 0);
  if (req->pattern) {
    rc = dfsc__utf8_to_utf16_wr(w, req->pattern, req->pattern_len);
    if (rc < 0)
      return rc;
  } else {
    dfsc__wr_bytes(w, req->pattern16, req->pattern16_len);
  }
  if (w->off == buf_start)
    dfsc__wr_u8(w, 0); /* keep the Buffer non-empty, as StructureSize 33 implies */
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_query_dir_req_decode(const uint8_t *pdu, size_t len,
                                    dfsc_smb2_query_dir_req *req) {
  dfsc_rd r;
  uint16_t name_off, name_len;

  memset(req, 0, sizeof(*req));
  if (dfsc__smb2_body_open(&r, pdu, len, SMB2_QUERY_DIRECTORY_REQ_SSIZE, 32) < 0)
    return DFSC_E_PROTO;
  req->info_class = dfsc__rd_u8(&r);
  req->flags = dfsc__rd_u8(&r);
  req->file_index = dfsc__rd_u32(&r);
  dfsc__smb2_fid_rd(&r, &req->fid);
  name_off = dfsc__rd_u16(&r);
  name_len = dfsc__rd_u16(&r);
  req->output_buffer_length = dfsc__rd_u32(&r);
  if (r.bad || (name_len & 1))
    return DFSC_E_PROTO;
  if (dfsc__smb2_span(pdu, len, QD_REQ_BUFFER_OFF, name_off, name_len, &req->pattern16) < 0)
    return DFSC_E_PROTO;
  req->pattern16_len = name_len;
  return 0;
}

int dfsc__smb2_query_dir_rsp_encode(dfsc_wr *w, const dfsc_smb2_query_dir_rsp *rsp) {
  size_t buf_off = w->off + 8;

  if (buf_off > UINT16_MAX || rsp->len > UINT32_MAX)
    return -EINVAL;
  dfsc__wr_u16(w, SMB2_QUERY_DIRECTORY_RSP_SSIZE);
  dfsc__wr_u16(w, rsp->len ? (uint16_t)buf_off : 0);
  dfsc__wr_u32(w, (uint32_t)rsp->len);
  dfsc__wr_bytes(w, rsp->buf, rsp->len);
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_query_dir_rsp_decode(const uint8_t *pdu, size_t len,
                                    dfsc_smb2_query_dir_rsp *rsp) {
  dfsc_rd r;
  uint16_t off;
  uint32_t n;

  memset(rsp, 0, sizeof(*rsp));
  if (dfsc__smb2_body_open(&r, pdu, len, SMB2_QUERY_DIRECTORY_RSP_SSIZE, 8) < 0)
    return DFSC_E_PROTO;
  off = dfsc__rd_u16(&r);
  n = dfsc__rd_u32(&r);
  if (r.bad || dfsc__smb2_span(pdu, len, QD_RSP_BUFFER_OFF, off, n, &rsp->buf) < 0)
    return DFSC_E_PROTO;
  rsp->len = n;
  return 0;
}

/* Size of the fixed part (everything before FileName) of each class. */
static size_t class_fixed(uint8_t info_class) {
  switch (info_class) {
  case FILE_DIRECTORY_INFORMATION:
    return 64;
  case FILE_FULL_DIRECTORY_INFORMATION:
    return 68;
  case FILE_BOTH_DIRECTORY_INFORMATION:
    return 94;
  case FILE_ID_FULL_DIRECTORY_INFORMATION:
    return 80;
  case FILE_ID_BOTH_DIRECTORY_INFORMATION:
    return 104;
  default:
    return 0;
  }
}

static int class_has_short(uint8_t c) {
  return c == FILE_BOTH_DIRECTORY_INFORMATION || c == FILE_ID_BOTH_DIRECTORY_INFORMATION;
}

int dfsc__smb2_dir_iter_init(dfsc_smb2_dir_iter *it, uint8_t info_class, const uint8_t *buf,
                             size_t len) {
  memset(it, 0, sizeof(*it));
  it->fixed = class_fixed(info_class);
  if (it->fixed == 0) {
    it->done = 1;
    return -EINVAL;
  }
  it->p = buf;
  it->len = buf ? len : 0;
  it->info_class = info_class;
  it->done = it->len == 0;
  return 0;
}

int dfsc__smb2_dir_next(dfsc_smb2_dir_iter *it, dfsc_smb2_dirent *ent) {
  const uint8_t *e;
  size_t rem, fixed = it->fixed;
  uint32_t next, name_len;
  uint8_t c = it->info_class;

  if (it->done)
    return 0;
  rem = it->len - it->off;
  if (rem < fixed)
    goto bad;
  e = it->p + it->off;
  next = dfsc__le32(e);
  name_len = dfsc__le32(e + 60);
  if (name_len & 1)
    goto bad;
  if (next >= rem && next - rem < 8)
    next = 0; /* the last entry pointing at the end of the buffer, or into
                 the padding after it (impacket 0.10): it is the last */
  if (next != 0) {
    if ((next & 7) || next >= rem || next < fixed || name_len > next - fixed)
      goto bad;
  } else if (name_len > rem - fixed || rem - fixed - name_len > 7) {
    /* More than alignment padding after the last entry means entries
     * would be silently lost. */
    goto bad;
  }
  memset(ent, 0, sizeof(*ent));
  ent->file_index = dfsc__le32(e + 4);
  ent->info.creation_time = dfsc__le64(e + 8);
  ent->info.last_access_time = dfsc__le64(e + 16);
  ent->info.last_write_time = dfsc__le64(e + 24);
  ent->info.change_time = dfsc__le64(e + 32);
  ent->info.end_of_file = dfsc__le64(e + 40);
  ent->info.allocation_size = dfsc__le64(e + 48);
  ent->info.attributes = dfsc__le32(e + 56);
  if (c != FILE_DIRECTORY_INFORMATION)
    ent->ea_size = dfsc__le32(e + 64);
  if (class_has_short(c)) {
    uint8_t sn = e[68];
    if (sn > SHORT_NAME_MAX || (sn & 1))
      goto bad;
    ent->short_name = sn ? e + 70 : NULL;
    ent->short_name_len = sn;
  }
  if (c == FILE_ID_FULL_DIRECTORY_INFORMATION) {
    ent->has_file_id = 1;
    ent->file_id = dfsc__le64(e + 72);
  } else if (c == FILE_ID_BOTH_DIRECTORY_INFORMATION) {
    ent->has_file_id = 1;
    ent->file_id = dfsc__le64(e + 96);
  }
  ent->name = name_len ? e + fixed : NULL;
  ent->name_len = name_len;
  if (next)
    it->off += next;
  else
    it->done = 1;
  return 1;
bad:
  it->done = 1;
  return DFSC_E_PROTO;
}

int dfsc__smb2_dirent_encode(dfsc_wr *w, uint8_t info_class, const dfsc_smb2_dirent *ent,
                             size_t *prev_off) {
  size_t fixed = class_fixed(info_class), start;
  uint8_t sn[SHORT_NAME_MAX];

  if (fixed == 0 || ent->name_len > UINT32_MAX || (ent->name_len & 1) ||
      ent->short_name_len > SHORT_NAME_MAX)
    return -EINVAL;
  if (*prev_off != SIZE_MAX) {
    dfsc__wr_align(w, 8);
    if (w->bad)
      return DFSC_E_NOSPACE;
    if (w->off - *prev_off > UINT32_MAX)
      return -EINVAL;
    dfsc__wr_put_u32(w, *prev_off, (uint32_t)(w->off - *prev_off));
  }
  start = w->off;
  dfsc__wr_u32(w, 0); /* NextEntryOffset, patched by the following entry */
  dfsc__wr_u32(w, ent->file_index);
  dfsc__wr_u64(w, ent->info.creation_time);
  dfsc__wr_u64(w, ent->info.last_access_time);
  dfsc__wr_u64(w, ent->info.last_write_time);
  dfsc__wr_u64(w, ent->info.change_time);
  dfsc__wr_u64(w, ent->info.end_of_file);
  dfsc__wr_u64(w, ent->info.allocation_size);
  dfsc__wr_u32(w, ent->info.attributes);
  dfsc__wr_u32(w, (uint32_t)ent->name_len);
  if (info_class != FILE_DIRECTORY_INFORMATION)
    dfsc__wr_u32(w, ent->ea_size);
  if (class_has_short(info_class)) {
    memset(sn, 0, sizeof(sn));
    if (ent->short_name_len)
      memcpy(sn, ent->short_name, ent->short_name_len);
    dfsc__wr_u8(w, (uint8_t)ent->short_name_len);
    dfsc__wr_u8(w, 0);
    dfsc__wr_bytes(w, sn, sizeof(sn));
  }
  if (info_class == FILE_ID_FULL_DIRECTORY_INFORMATION) {
    dfsc__wr_u32(w, 0);
    dfsc__wr_u64(w, ent->file_id);
  } else if (info_class == FILE_ID_BOTH_DIRECTORY_INFORMATION) {
    dfsc__wr_u16(w, 0);
    dfsc__wr_u64(w, ent->file_id);
  }
  dfsc__wr_bytes(w, ent->name, ent->name_len);
  if (w->bad)
    return DFSC_E_NOSPACE;
  *prev_off = start;
  return 0;
}
