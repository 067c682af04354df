/* Extended attribute lists ([MS-FSCC] 2.4.15 FILE_FULL_EA_INFORMATION), the
 * Buffer of QUERY_INFO / SET_INFO for FileFullEaInformation (class 15).
 *
 * Each entry: NextEntryOffset (4, 0 on the last, entries 4-byte aligned),
 * Flags (1, FILE_NEED_EA 0x80), EaNameLength (1, bytes, without the NUL),
 * EaValueLength (2), EaName (8-bit characters) and a NUL, EaValue.
 *
 * Pure: the parser reads a caller's buffer and returns pointers into it,
 * the builder appends to a caller's dfsc_wr. Does not: choose names, map
 * them to xattrs, or send anything.
 */
#ifndef DFSC_SMB2_EA_H
#define DFSC_SMB2_EA_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define FILE_FULL_EA_INFORMATION 15 /* [MS-FSCC] 2.4 */
#define SMB2_EA_FIXED_SIZE 8        /* up to EaValueLength */
#define SMB2_EA_NAME_MAX 255        /* EaNameLength is one byte */
#define SMB2_EA_VALUE_MAX 65535     /* EaValueLength is two bytes */
#define SMB2_FILE_NEED_EA 0x80u

typedef struct dfsc_smb2_ea {
  uint8_t flags;
  const char *name; /* not NUL-terminated by this struct: use name_len */
  size_t name_len;
  const uint8_t *value;
  size_t value_len;
} dfsc_smb2_ea;

/* Iterates a FILE_FULL_EA_INFORMATION list: *pos starts at 0; each call
 * fills *ea with the next entry and advances *pos. Returns 1 (an entry), 0
 * (the list ended: the previous entry's NextEntryOffset was 0, or len is
 * 0), or DFSC_E_PROTO: an entry past len, a NextEntryOffset that is not a
 * multiple of 4 or smaller than the entry, a name without its NUL, a name
 * that contains a NUL or is empty. After the last entry *pos is len (bytes
 * after the last entry are not looked at); a refusal leaves *pos as it
 * was, so calling again refuses again. value is NULL when value_len is 0. */
int dfsc__smb2_ea_next(const uint8_t *buf, size_t len, size_t *pos, dfsc_smb2_ea *ea);

/* Appends one entry (name: 1..255 bytes without NUL; value_len <= 65535;
 * value_len 0 asks the server to remove the EA, [MS-FSCC] 2.4.15). is_last
 * 0 pads to 4 bytes and sets NextEntryOffset to the entry's padded size,
 * is_last 1 writes 0 and no padding. Returns 0, DFSC_E_NOSPACE or -EINVAL. */
int dfsc__smb2_ea_build(dfsc_wr *w, const char *name, size_t name_len, const uint8_t *value,
                        size_t value_len, int is_last);

#endif
