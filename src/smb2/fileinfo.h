/* File and file-system information classes ([MS-FSCC] 2.4 / 2.5) as carried
 * by QUERY_INFO and SET_INFO, plus the small helpers every handle-based SMB2
 * command codec shares (FileId, body StructureSize check, offset/length
 * spans).
 *
 * Parsers read a caller's buffer (the QUERY_INFO OutputBuffer) and return
 * pointers into it; builders append to a caller's dfsc_wr. No allocation, no
 * I/O. Does not: know about directory enumeration classes (see
 * query_directory.h) or send anything.
 */
#ifndef DFSC_SMB2_FILEINFO_H
#define DFSC_SMB2_FILEINFO_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "dfsc/errors.h"
#include "smb2/smb2.h"

/* File attributes, [MS-FSCC] 2.6 */
#define SMB2_FILE_ATTRIBUTE_READONLY 0x00000001u
#define SMB2_FILE_ATTRIBUTE_HIDDEN 0x00000002u
#define SMB2_FILE_ATTRIBUTE_SYSTEM 0x00000004u
#define SMB2_FILE_ATTRIBUTE_DIRECTORY 0x00000010u
#define SMB2_FILE_ATTRIBUTE_ARCHIVE 0x00000020u
#define SMB2_FILE_ATTRIBUTE_NORMAL 0x00000080u
#define SMB2_FILE_ATTRIBUTE_REPARSE_POINT 0x00000400u

/* Fixed sizes of the information classes handled here. */
#define SMB2_FI_BASIC_SIZE 40
#define SMB2_FI_STANDARD_SIZE 24
#define SMB2_FI_INTERNAL_SIZE 8
#define SMB2_FI_NETWORK_OPEN_SIZE 56
#define SMB2_FI_ALL_FIXED_SIZE 100 /* up to and including FileNameLength */
#define SMB2_FS_SIZE_SIZE 24
#define SMB2_FS_FULL_SIZE_SIZE 32
#define SMB2_FI_RENAME_FIXED_SIZE 20
#define SMB2_FI_RENAME_MIN_SIZE 24 /* sizeof(FILE_RENAME_INFORMATION_TYPE_2) */

/* The attribute set CREATE, CLOSE, FileNetworkOpenInformation and the
 * directory classes all return. Times are FILETIME (100 ns since 1601). */
typedef struct dfsc_smb2_netopen {
  uint64_t creation_time;
  uint64_t last_access_time;
  uint64_t last_write_time;
  uint64_t change_time;
  uint64_t allocation_size;
  uint64_t end_of_file;
  uint32_t attributes;
} dfsc_smb2_netopen;

/* FileBasicInformation, [MS-FSCC] 2.4.7. In SET_INFO a time of 0 means
 * "leave unchanged". */
typedef struct dfsc_smb2_fi_basic {
  uint64_t creation_time;
  uint64_t last_access_time;
  uint64_t last_write_time;
  uint64_t change_time;
  uint32_t attributes;
} dfsc_smb2_fi_basic;

/* FileStandardInformation, [MS-FSCC] 2.4.41 */
typedef struct dfsc_smb2_fi_standard {
  uint64_t allocation_size;
  uint64_t end_of_file;
  uint32_t number_of_links;
  uint8_t delete_pending;
  uint8_t directory;
} dfsc_smb2_fi_standard;

/* FileAllInformation, [MS-FSCC] 2.4.2. name points into the parsed buffer. */
typedef struct dfsc_smb2_fi_all {
  dfsc_smb2_fi_basic basic;
  dfsc_smb2_fi_standard standard;
  uint64_t index_number;
  uint32_t ea_size;
  uint32_t access_flags;
  uint64_t current_byte_offset;
  uint32_t mode;
  uint32_t alignment_requirement;
  const uint8_t *name; /* UTF-16LE, not terminated */
  size_t name_len;     /* bytes */
} dfsc_smb2_fi_all;

/* FileFsSizeInformation [MS-FSCC] 2.5.8 (caller_available == actual_available
 * there) and FileFsFullSizeInformation 2.5.4. */
typedef struct dfsc_smb2_fs_size {
  uint64_t total_units;
  uint64_t caller_available_units;
  uint64_t actual_available_units;
  uint32_t sectors_per_unit;
  uint32_t bytes_per_sector;
} dfsc_smb2_fs_size;

/* ---- helpers shared by the command codecs ---- */

static inline void dfsc__smb2_fid_wr(dfsc_wr *w, const dfsc_smb2_fid *fid) {
  dfsc__wr_u64(w, fid->persistent);
  dfsc__wr_u64(w, fid->volatile_);
}

static inline void dfsc__smb2_fid_rd(dfsc_rd *r, dfsc_smb2_fid *fid) {
  fid->persistent = dfsc__rd_u64(r);
  fid->volatile_ = dfsc__rd_u64(r);
}

static inline int dfsc__smb2_wr_status(const dfsc_wr *w) {
  return w->bad ? DFSC_E_NOSPACE : 0;
}

/* Opens r over pdu[0..len) positioned just after the body's StructureSize,
 * after checking that the header plus `fixed` body bytes are present and the
 * StructureSize equals `ssize`. Returns 0 or DFSC_E_PROTO. */
static inline int dfsc__smb2_body_open(dfsc_rd *r, const uint8_t *pdu, size_t len,
                                       uint16_t ssize, size_t fixed) {
  if (pdu == NULL || len < SMB2_HDR_SIZE || len - SMB2_HDR_SIZE < fixed)
    return DFSC_E_PROTO;
  dfsc__rd_init(r, pdu, len);
  dfsc__rd_seek(r, SMB2_HDR_SIZE);
  if (dfsc__rd_u16(r) != ssize)
    return DFSC_E_PROTO;
  return 0;
}

/* Resolves a peer-supplied (offset, length) against pdu[0..len): the span
 * must lie inside [min_off, len). A zero length yields NULL whatever the
 * offset says (servers send 0 or the buffer start). Returns 0 or
 * DFSC_E_PROTO. */
static inline int dfsc__smb2_span(const uint8_t *pdu, size_t len, size_t min_off,
                                  uint64_t off, uint64_t n, const uint8_t **p) {
  *p = NULL;
  if (n == 0)
    return 0;
  if (off < min_off || off > len || n > len - off)
    return DFSC_E_PROTO;
  *p = pdu + off;
  return 0;
}

/* ---- parsers: buf is the QUERY_INFO OutputBuffer; 0 or DFSC_E_PROTO ---- */

int dfsc__smb2_fi_basic_parse(const uint8_t *buf, size_t len, dfsc_smb2_fi_basic *out);
int dfsc__smb2_fi_standard_parse(const uint8_t *buf, size_t len,
                                 dfsc_smb2_fi_standard *out);
int dfsc__smb2_fi_internal_parse(const uint8_t *buf, size_t len, uint64_t *index_number);
int dfsc__smb2_fi_network_open_parse(const uint8_t *buf, size_t len,
                                     dfsc_smb2_netopen *out);
/* FileNameLength must be even and lie inside len. */
int dfsc__smb2_fi_all_parse(const uint8_t *buf, size_t len, dfsc_smb2_fi_all *out);
/* Fills caller_ and actual_available_units with the one AvailableAllocationUnits. */
int dfsc__smb2_fs_size_parse(const uint8_t *buf, size_t len, dfsc_smb2_fs_size *out);
int dfsc__smb2_fs_full_size_parse(const uint8_t *buf, size_t len, dfsc_smb2_fs_size *out);

/* SET_INFO payload parsers (the receiving side, for a fake server). */
int dfsc__smb2_fi_rename_parse(const uint8_t *buf, size_t len, int *replace_if_exists,
                               const uint8_t **name16, size_t *name16_len);
int dfsc__smb2_fi_disposition_parse(const uint8_t *buf, size_t len, int *delete_pending);
int dfsc__smb2_fi_eof_parse(const uint8_t *buf, size_t len, uint64_t *eof);

/* ---- builders: append to w; 0, DFSC_E_NOSPACE, -EILSEQ, -EINVAL ---- */

/* FILE_RENAME_INFORMATION_TYPE_2 ([MS-FSCC] 2.4.41.2): RootDirectory 0, the
 * UTF-8 name converted to UTF-16LE, zero padding up to 24 bytes in all. */
int dfsc__smb2_fi_rename_build(dfsc_wr *w, int replace_if_exists, const char *name,
                               size_t name_len);
int dfsc__smb2_fi_disposition_build(dfsc_wr *w, int delete_pending);
int dfsc__smb2_fi_eof_build(dfsc_wr *w, uint64_t eof);
int dfsc__smb2_fi_basic_build(dfsc_wr *w, const dfsc_smb2_fi_basic *in);
/* The reverse directions, for a fake server and round-trip tests. */
int dfsc__smb2_fi_standard_build(dfsc_wr *w, const dfsc_smb2_fi_standard *in);
int dfsc__smb2_fi_internal_build(dfsc_wr *w, uint64_t index_number);
int dfsc__smb2_fi_network_open_build(dfsc_wr *w, const dfsc_smb2_netopen *in);
/* in->name / name_len (UTF-16LE) are copied as they are. */
int dfsc__smb2_fi_all_build(dfsc_wr *w, const dfsc_smb2_fi_all *in);
int dfsc__smb2_fs_size_build(dfsc_wr *w, const dfsc_smb2_fs_size *in);
int dfsc__smb2_fs_full_size_build(dfsc_wr *w, const dfsc_smb2_fs_size *in);

#endif
