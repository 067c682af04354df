/* SMB2 ERROR response codec ([MS-SMB2] 2.2.2), its 3.1.1 error contexts
 * (2.2.2.1) and the ErrorData formats of 2.2.2.2: symbolic link (2.2.2.2.1),
 * share redirect (2.2.2.2.2) and STATUS_BUFFER_TOO_SMALL.
 *
 * Does: bound every length, return pointers into the PDU. Does not: follow
 * the link or redirect (mup/session), or know which status carries which
 * format beyond the helpers named for it.
 */
#ifndef DFSC_SMB2_ERROR_H
#define DFSC_SMB2_ERROR_H

#include "smb2/smb2.h"

#define SMB2_ERROR_ID_DEFAULT 0x00000000u
#define SMB2_ERROR_ID_SHARE_REDIRECT 0x72645253u
#define SMB2_SYMLINK_ERROR_TAG 0x4C4D5953u
#ifndef SMB2_IO_REPARSE_TAG_SYMLINK
#define SMB2_IO_REPARSE_TAG_SYMLINK 0xA000000Cu
#endif
#ifndef SMB2_SYMLINK_FLAG_RELATIVE
#define SMB2_SYMLINK_FLAG_RELATIVE 0x00000001u
#endif
#define SMB2_MOVE_DST_IPADDR_V4 0x00000001u
#define SMB2_MOVE_DST_IPADDR_V6 0x00000002u
#define SMB2_MOVE_DST_IPADDR_SIZE 24

typedef struct dfsc_smb2_error_rsp {
  uint8_t context_count; /* 0 before 3.1.1 */
  const uint8_t *data;   /* ErrorData (ByteCount bytes) into the PDU; NULL if 0 */
  size_t data_len;
} dfsc_smb2_error_rsp;

typedef struct dfsc_smb2_error_ctx {
  uint32_t id; /* SMB2_ERROR_ID_* */
  const uint8_t *data;
  size_t len;
} dfsc_smb2_error_ctx;

/* Iterator over error contexts; zero-initialise, then call _next. */
typedef struct dfsc_smb2_error_iter {
  size_t pos;
  unsigned idx;
} dfsc_smb2_error_iter;

typedef struct dfsc_smb2_symlink_error {
  uint32_t reparse_tag;
  uint16_t reparse_data_length;
  uint16_t unparsed_path_length;  /* bytes of the original path not yet parsed */
  uint32_t flags;                 /* SMB2_SYMLINK_FLAG_RELATIVE */
  const uint8_t *substitute_name; /* UTF-16LE, into the PDU */
  size_t substitute_name_len;
  const uint8_t *print_name;
  size_t print_name_len;
} dfsc_smb2_symlink_error;

typedef struct dfsc_smb2_share_redirect {
  uint32_t notification_type; /* 3 = SHARE_MOVE_NOTIFICATION */
  uint16_t target_type;
  uint32_t ip_count;
  const uint8_t *ip_list;       /* ip_count MOVE_DST_IPADDR entries of 24 bytes */
  const uint8_t *resource_name; /* UTF-16LE */
  size_t resource_name_len;
} dfsc_smb2_share_redirect;

/* Decodes the ERROR body of pdu (header first). ByteCount must fit the PDU;
 * a body of 8 bytes without the nominal ErrorData byte is accepted.
 * Returns 0 or DFSC_E_PROTO. */
int dfsc__smb2_error_rsp_decode(const uint8_t *pdu, size_t len, dfsc_smb2_error_rsp *e);

/* Next error context of e (context_count > 0). Contexts start 8-byte aligned
 * within ErrorData. Returns 1 with *ctx filled, 0 after the last one, or
 * DFSC_E_PROTO. */
int dfsc__smb2_error_ctx_next(const dfsc_smb2_error_rsp *e, dfsc_smb2_error_iter *it,
                              dfsc_smb2_error_ctx *ctx);

/* The ErrorData for `error_id`: the first context with that id, or, when
 * context_count is 0 and error_id is SMB2_ERROR_ID_DEFAULT, the whole
 * ErrorData. Returns 1 found, 0 absent, DFSC_E_PROTO malformed. */
int dfsc__smb2_error_find(const dfsc_smb2_error_rsp *e, uint32_t error_id,
                          const uint8_t **data, size_t *len);

/* Decodes a Symbolic Link Error Response from ErrorData (p, n). Name offsets
 * are relative to PathBuffer. Returns 0 or DFSC_E_PROTO. */
int dfsc__smb2_symlink_error_decode(const uint8_t *p, size_t n, dfsc_smb2_symlink_error *s);

/* Convenience for a STATUS_STOPPED_ON_SYMLINK PDU: ERROR body, DEFAULT
 * context (or plain ErrorData), symlink structure. Returns 0 or DFSC_E_PROTO. */
int dfsc__smb2_stopped_on_symlink_decode(const uint8_t *pdu, size_t len,
                                         dfsc_smb2_symlink_error *s);

/* Decodes a Share Redirect error context's data. Returns 0 or DFSC_E_PROTO. */
int dfsc__smb2_share_redirect_decode(const uint8_t *p, size_t n,
                                     dfsc_smb2_share_redirect *r);

/* STATUS_BUFFER_TOO_SMALL: the 4-byte required length. 0 or DFSC_E_PROTO. */
int dfsc__smb2_error_buffer_too_small(const dfsc_smb2_error_rsp *e, uint32_t *needed);

/* Encoders, for tests and the fake server. error_rsp writes the body
 * (w->off == 64 on entry) with ErrorData copied from data; symlink_error
 * writes a Symbolic Link Error Response at w's current offset from UTF-8
 * names (substitute name first in PathBuffer). Return 0, DFSC_E_NOSPACE, or
 * -EINVAL for bad UTF-8 / oversized names. */
int dfsc__smb2_error_rsp_encode(dfsc_wr *w, uint8_t context_count, const uint8_t *data,
                                size_t n);
int dfsc__smb2_symlink_error_encode(dfsc_wr *w, uint16_t unparsed_path_length,
                                    uint32_t flags, const char *substitute,
                                    const char *print);

#endif
