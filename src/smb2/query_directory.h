/* SMB2 QUERY_DIRECTORY request / response codec ([MS-SMB2] 2.2.33, 2.2.34)
 * and an iterator over the returned directory information buffer for
 * FileDirectoryInformation, FileFullDirectoryInformation,
 * FileBothDirectoryInformation, FileIdFullDirectoryInformation and
 * FileIdBothDirectoryInformation ([MS-FSCC] 2.4).
 *
 * Conventions as in smb2.h. Does not: loop over STATUS_NO_MORE_FILES,
 * convert names or filter "." and "..".
 */
#ifndef DFSC_SMB2_QUERY_DIRECTORY_H
#define DFSC_SMB2_QUERY_DIRECTORY_H

#include "smb2/fileinfo.h"
#include "smb2/smb2.h"

#define SMB2_QUERY_DIRECTORY_REQ_SSIZE 33
#define SMB2_QUERY_DIRECTORY_RSP_SSIZE 9
#define SMB2_RESTART_SCANS 0x01
#define SMB2_RETURN_SINGLE_ENTRY 0x02
#define SMB2_INDEX_SPECIFIED 0x04
#define SMB2_REOPEN 0x10

typedef struct dfsc_smb2_query_dir_req {
  uint8_t info_class; /* FILE_*_DIRECTORY_INFORMATION */
  uint8_t flags;      /* SMB2_RESTART_SCANS ... */
  uint32_t file_index;
  dfsc_smb2_fid fid;
  /* Encoder: UTF-8 pattern ("*" lists everything); when pattern is NULL,
   * pattern16 is sent as it is. Decoder: fills pattern16 only. */
  const char *pattern;
  size_t pattern_len;
  const uint8_t *pattern16;
  size_t pattern16_len;
  uint32_t output_buffer_length;
} dfsc_smb2_query_dir_req;

typedef struct dfsc_smb2_query_dir_rsp {
  const uint8_t *buf; /* into the PDU; NULL when len is 0 */
  size_t len;
} dfsc_smb2_query_dir_rsp;

/* Encoders: 0, DFSC_E_NOSPACE, -EILSEQ, -EINVAL. Decoders: 0 or DFSC_E_PROTO. */
int dfsc__smb2_query_dir_req_encode(dfsc_wr *w, const dfsc_smb2_query_dir_req *req);
int dfsc__smb2_query_dir_req_decode(const uint8_t *pdu, size_t len,
                                    dfsc_smb2_query_dir_req *req);
int dfsc__smb2_query_dir_rsp_encode(dfsc_wr *w, const dfsc_smb2_query_dir_rsp *rsp);
int dfsc__smb2_query_dir_rsp_decode(const uint8_t *pdu, size_t len,
                                    dfsc_smb2_query_dir_rsp *rsp);

/* One directory entry; pointers into the iterated buffer. */
typedef struct dfsc_smb2_dirent {
  uint32_t file_index;
  dfsc_smb2_netopen info;
  uint32_t ea_size; /* 0 for FileDirectoryInformation */
  int has_file_id;  /* the FileId* classes */
  uint64_t file_id;
  const uint8_t *name;       /* UTF-16LE, not terminated */
  size_t name_len;           /* bytes, even */
  const uint8_t *short_name; /* the *Both* classes; NULL otherwise */
  size_t short_name_len;     /* bytes, <= 24 */
} dfsc_smb2_dirent;

typedef struct dfsc_smb2_dir_iter {
  const uint8_t *p;
  size_t len;
  size_t off;
  size_t fixed;
  uint8_t info_class;
  int done;
} dfsc_smb2_dir_iter;

/* Returns 0, or -EINVAL for an information class the iterator does not know. */
int dfsc__smb2_dir_iter_init(dfsc_smb2_dir_iter *it, uint8_t info_class, const uint8_t *buf,
                             size_t len);
/* Yields the next entry. Checks: the fixed part and FileNameLength (even)
 * inside the entry; ShortNameLength <= 24; a non-zero NextEntryOffset is a
 * multiple of 8 ([MS-FSCC] 2.4: entries are 8-aligned), covers the whole
 * entry and leaves the next one inside the buffer; after the last entry
 * (NextEntryOffset 0) at most 7 bytes of alignment padding. Each step moves
 * forward, so a hostile buffer cannot make it loop. Returns 1 with *ent
 * filled, 0 at the end, DFSC_E_PROTO (and stops) on a malformed buffer. */
int dfsc__smb2_dir_next(dfsc_smb2_dir_iter *it, dfsc_smb2_dirent *ent);

/* Appends one entry of the iterator's class (for a fake server and tests):
 * 8-aligns w first, patches the previous entry's NextEntryOffset when
 * *prev_off != SIZE_MAX, and stores this entry's offset in *prev_off.
 * Start with *prev_off = SIZE_MAX and w->off 8-aligned at the buffer start.
 * Returns 0, DFSC_E_NOSPACE or -EINVAL. */
int dfsc__smb2_dirent_encode(dfsc_wr *w, uint8_t info_class, const dfsc_smb2_dirent *ent,
                             size_t *prev_off);

#endif
