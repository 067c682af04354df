/* FILE_FULL_EA_INFORMATION lists ([MS-FSCC] 2.4.15). See ea.h.
 * Does not: look at Flags beyond handing them back, interpret names or
 * values, or write FILE_GET_EA_INFORMATION lists (2.4.15.1).
 */
#include "smb2/ea.h"

#include <errno.h>
#include <string.h>

#include "dfsc/errors.h"

/* Bytes of one entry without padding: the fixed part, the name, its NUL and
 * the value ([MS-FSCC] 2.4.15: EaValue follows EaName's terminator). */
static size_t entry_size(size_t name_len, size_t value_len) {
  return SMB2_EA_FIXED_SIZE + name_len + 1 + value_len;
}

int dfsc__smb2_ea_next(const uint8_t *buf, size_t len, size_t *pos, dfsc_smb2_ea *ea) {
  const uint8_t *p;
  size_t at = *pos, rem, size;
  uint32_t next;
  uint8_t name_len;
  uint16_t value_len;

  memset(ea, 0, sizeof(*ea));
  /* *pos == len only at the start of an empty list or after the entry
   * whose NextEntryOffset was 0: a nonzero one never reaches len below. */
  if (at == len)
    return 0;
  if (buf == NULL || at > len)
    return DFSC_E_PROTO;
  rem = len - at;
  if (rem < SMB2_EA_FIXED_SIZE)
    return DFSC_E_PROTO;
  p = buf + at;
  next = dfsc__le32(p);
  name_len = p[5];
  value_len = dfsc__le16(p + 6);
  /* All three lengths are the peer's; the entry must lie inside len
   * before any of its bytes are read. */
  size = entry_size(name_len, value_len);
  if (size > rem)
    return DFSC_E_PROTO;
  if (name_len == 0 || p[SMB2_EA_FIXED_SIZE + name_len] != 0 ||
      memchr(p + SMB2_EA_FIXED_SIZE, 0, name_len) != NULL)
    return DFSC_E_PROTO;
  /* Progress bound: a following entry starts at least one whole entry
   * further on (so every step advances by >= 10 bytes), on a 4-byte
   * boundary ([MS-FSCC] 2.4.15), and inside len. */
  if (next != 0 && ((next & 3) != 0 || next < size || next >= rem))
    return DFSC_E_PROTO;
  ea->flags = p[4];
  ea->name = (const char *)(p + SMB2_EA_FIXED_SIZE);
  ea->name_len = name_len;
  ea->value = value_len ? p + SMB2_EA_FIXED_SIZE + name_len + 1 : NULL;
  ea->value_len = value_len;
  /* Bytes after the last entry are not looked at. */
  *pos = next ? at + next : len;
  return 1;
}

int dfsc__smb2_ea_build(dfsc_wr *w, const char *name, size_t name_len, const uint8_t *value,
                        size_t value_len, int is_last) {
  size_t size, pad;

  /* A name the iterator would refuse is never written: empty, longer than
   * EaNameLength can say, or with a NUL inside. */
  if (name == NULL || name_len == 0 || name_len > SMB2_EA_NAME_MAX ||
      memchr(name, 0, name_len) != NULL)
    return -EINVAL;
  if (value_len > SMB2_EA_VALUE_MAX || (value == NULL && value_len != 0))
    return -EINVAL;
  size = entry_size(name_len, value_len);
  /* Padding counts from the entry's start, not the writer's: the list may
   * begin anywhere in w. */
  pad = is_last ? 0 : (4 - (size & 3)) & 3;
  if (!dfsc__wr_need(w, size + pad))
    return DFSC_E_NOSPACE;
  dfsc__wr_u32(w, is_last ? 0 : (uint32_t)(size + pad)); /* NextEntryOffset */
  dfsc__wr_u8(w, 0);                                     /* Flags */
  dfsc__wr_u8(w, (uint8_t)name_len);
  dfsc__wr_u16(w, (uint16_t)value_len);
  dfsc__wr_bytes(w, name, name_len);
  dfsc__wr_u8(w, 0); /* EaName's terminator */
  dfsc__wr_bytes(w, value, value_len);
  dfsc__wr_zero(w, pad);
  return w->bad ? DFSC_E_NOSPACE : 0;
}
