/* SMB2 CREATE request / response codec ([MS-SMB2] 2.2.13, 2.2.14) and the
 * create context chain ([MS-SMB2] 2.2.13.2, 2.2.14.2): a generic encoder, a
 * validating iterator, and helpers for the contexts dfsc uses (MxAc, QFid,
 * RqLs v1/v2, DH2Q).
 *
 * Follows the conventions in smb2.h (writer offset 0 = header, w->off == 64
 * on entry; decoders take the PDU from its header; pointers into the PDU).
 * Does not: interpret oplock/lease state, choose access masks or retry.
 */
#ifndef DFSC_SMB2_CREATE_H
#define DFSC_SMB2_CREATE_H

#include <stddef.h>
#include <stdint.h>

#include "smb2/fileinfo.h"
#include "smb2/smb2.h"

#define SMB2_CREATE_REQ_SSIZE 57
#define SMB2_CREATE_RSP_SSIZE 89
#define SMB2_CREATE_REQ_BUFFER_OFF 0x78 /* 64 + 56 */
#define SMB2_CREATE_RSP_BUFFER_OFF 0x98 /* 64 + 88 */

/* ImpersonationLevel, [MS-SMB2] 2.2.13 */
#define SMB2_IMPERSONATION_ANONYMOUS 0
#define SMB2_IMPERSONATION_IDENTIFICATION 1
#define SMB2_IMPERSONATION_DELEGATE 3

/* CreateAction and response Flags, [MS-SMB2] 2.2.14 */
#define SMB2_FILE_SUPERSEDED 0
#define SMB2_FILE_OPENED 1
#define SMB2_FILE_CREATED 2
#define SMB2_FILE_OVERWRITTEN 3
#define SMB2_CREATE_FLAG_REPARSEPOINT 0x01

/* Create context names, [MS-SMB2] 2.2.13.2 (4 ASCII bytes on the wire) */
#define SMB2_CC_MXAC "MxAc"
#define SMB2_CC_QFID "QFid"
#define SMB2_CC_RQLS "RqLs"
#define SMB2_CC_DH2Q "DH2Q"
#define SMB2_CC_DH2C "DH2C"
#define SMB2_CC_DHNQ "DHnQ"
#define SMB2_CC_DHNC "DHnC"

/* Lease states and flags, [MS-SMB2] 2.2.13.2.8 (the states spelled as in
 * oplock.h so the two may be included together) */
#ifndef SMB2_LEASE_NONE
#define SMB2_LEASE_NONE 0x00u
#endif
#define SMB2_LEASE_READ_CACHING 0x01u
#define SMB2_LEASE_HANDLE_CACHING 0x02u
#define SMB2_LEASE_WRITE_CACHING 0x04u
#define SMB2_LEASE_FLAG_BREAK_IN_PROGRESS 0x02u
#define SMB2_LEASE_FLAG_PARENT_LEASE_KEY_SET 0x04u
#define SMB2_LEASE_V1_SIZE 32
#define SMB2_LEASE_V2_SIZE 52

/* DH2Q flags, [MS-SMB2] 2.2.13.2.11 */
#define SMB2_DHANDLE_FLAG_PERSISTENT 0x00000002u
#define SMB2_DH2Q_SIZE 32
#define SMB2_DH2C_SIZE 36 /* 2.2.13.2.12: FileId, CreateGuid, Flags */
#define SMB2_DHNQ_SIZE 16 /* 2.2.13.2.3: reserved */
#define SMB2_DHNC_SIZE 16 /* 2.2.13.2.4: the FileId */

/* One create context: name and data as raw bytes. In encoder input the
 * pointers are the caller's; from the iterator they point into the PDU. */
typedef struct dfsc_smb2_cc {
  const uint8_t *name;
  size_t name_len; /* 1..0xFFFF */
  const uint8_t *data;
  size_t data_len;
} dfsc_smb2_cc;

typedef struct dfsc_smb2_create_req {
  uint8_t oplock_level;   /* SMB2_OPLOCK_LEVEL_* */
  uint32_t impersonation; /* SMB2_IMPERSONATION_*; 2 is the usual value */
  uint32_t desired_access;
  uint32_t file_attributes;
  uint32_t share_access;
  uint32_t disposition;
  uint32_t options;
  /* Encoder: UTF-8 name relative to the share, backslash-separated, no
   * leading backslash; may be empty. When name is NULL, name16/name16_len are
   * sent as they are. Decoder: fills name16/name16_len only. */
  const char *name;
  size_t name_len;
  const uint8_t *name16;
  size_t name16_len;
  /* Encoder: contexts to send. When n_ccs is 0, cc_buf/cc_len (an already
   * encoded chain) are copied instead. Decoder: fills cc_buf/cc_len only,
   * validated with dfsc__smb2_cc_next. */
  const dfsc_smb2_cc *ccs;
  size_t n_ccs;
  const uint8_t *cc_buf;
  size_t cc_len;
} dfsc_smb2_create_req;

typedef struct dfsc_smb2_create_rsp {
  uint8_t oplock_level;
  uint8_t flags;
  uint32_t create_action;
  dfsc_smb2_netopen info;
  dfsc_smb2_fid fid;
  /* Same rule as in the request: encoder uses ccs when n_ccs > 0, else
   * copies cc_buf; decoder fills cc_buf/cc_len (chain already validated). */
  const dfsc_smb2_cc *ccs;
  size_t n_ccs;
  const uint8_t *cc_buf;
  size_t cc_len;
} dfsc_smb2_create_rsp;

/* Encoders return 0, DFSC_E_NOSPACE (writer full), -EILSEQ (bad UTF-8) or
 * -EINVAL (a length that does not fit its field). */
int dfsc__smb2_create_req_encode(dfsc_wr *w, const dfsc_smb2_create_req *req);
int dfsc__smb2_create_rsp_encode(dfsc_wr *w, const dfsc_smb2_create_rsp *rsp);
/* Decoders return 0 or DFSC_E_PROTO; pointer fields point into pdu. */
int dfsc__smb2_create_req_decode(const uint8_t *pdu, size_t len, dfsc_smb2_create_req *req);
int dfsc__smb2_create_rsp_decode(const uint8_t *pdu, size_t len, dfsc_smb2_create_rsp *rsp);

/* Appends a create context chain at w's offset, which must be 8-aligned:
 * each context 8-aligned, Next chaining them, the last Next 0. Returns 0,
 * DFSC_E_NOSPACE or -EINVAL. */
int dfsc__smb2_cc_encode(dfsc_wr *w, const dfsc_smb2_cc *ccs, size_t n);

/* Iterator over an encoded chain (the cc_buf/cc_len of a decoded PDU). */
typedef struct dfsc_smb2_cc_iter {
  const uint8_t *p;
  size_t len;
  size_t off;
  int done;
} dfsc_smb2_cc_iter;

void dfsc__smb2_cc_iter_init(dfsc_smb2_cc_iter *it, const uint8_t *buf, size_t len);
/* Yields the next context. Checks that the 16-byte context header, the name
 * and the data lie inside this context (up to Next, or the buffer end for
 * the last), that NameLength > 0, that Next is 0 or a multiple of 8 that
 * covers the context and stays inside the buffer. Returns 1 with *cc
 * filled, 0 at the end, DFSC_E_PROTO (and stops) on a malformed chain. */
int dfsc__smb2_cc_next(dfsc_smb2_cc_iter *it, dfsc_smb2_cc *cc);
/* Finds the first context whose name is the 4-byte `name`. Returns 1 with
 * *cc filled, 0 if absent, DFSC_E_PROTO on a malformed chain. */
int dfsc__smb2_cc_find(const uint8_t *buf, size_t len, const char *name, dfsc_smb2_cc *cc);

/* ---- helpers for common contexts (request side) ---- */

/* MxAc with no timestamp: ask for the maximal access ([MS-SMB2] 2.2.13.2.5). */
void dfsc__smb2_cc_mxac(dfsc_smb2_cc *cc);
/* QFid: ask for the on-disk file id ([MS-SMB2] 2.2.13.2.9). */
void dfsc__smb2_cc_qfid(dfsc_smb2_cc *cc);

typedef struct dfsc_smb2_lease {
  uint8_t key[16];
  uint32_t state; /* SMB2_LEASE_*_CACHING */
  uint32_t flags;
  uint64_t duration;
  uint8_t parent_key[16]; /* v2 only */
  uint16_t epoch;         /* v2 only */
  int version;            /* 1 or 2 */
} dfsc_smb2_lease;

/* RqLs v1 ([MS-SMB2] 2.2.13.2.8) or v2 (2.2.13.2.10) by lease->version;
 * data is written into buf (SMB2_LEASE_V2_SIZE bytes) which *cc points to.
 * Returns 0 or -EINVAL for another version. */
int dfsc__smb2_cc_lease(dfsc_smb2_cc *cc, uint8_t buf[SMB2_LEASE_V2_SIZE],
                        const dfsc_smb2_lease *lease);
/* DH2Q ([MS-SMB2] 2.2.13.2.11) into buf, which *cc points to. */
void dfsc__smb2_cc_dh2q(dfsc_smb2_cc *cc, uint8_t buf[SMB2_DH2Q_SIZE], uint32_t timeout_ms,
                        uint32_t flags, const uint8_t create_guid[16]);

/* DH2C ([MS-SMB2] 2.2.13.2.12): reconnect the durable v2 open fid. */
void dfsc__smb2_cc_dh2c(dfsc_smb2_cc *cc, uint8_t buf[SMB2_DH2C_SIZE],
                        const dfsc_smb2_fid *fid, const uint8_t create_guid[16],
                        uint32_t flags);
/* DHnQ (2.2.13.2.3): ask for a durable v1 open. */
void dfsc__smb2_cc_dhnq(dfsc_smb2_cc *cc, uint8_t buf[SMB2_DHNQ_SIZE]);
/* DHnC (2.2.13.2.4): reconnect the durable v1 open fid. */
void dfsc__smb2_cc_dhnc(dfsc_smb2_cc *cc, uint8_t buf[SMB2_DHNC_SIZE],
                        const dfsc_smb2_fid *fid);

/* ---- parsers for the response contexts (0 or DFSC_E_PROTO) ---- */

/* MxAc response: QueryStatus, MaximalAccess ([MS-SMB2] 2.2.14.2.5). */
int dfsc__smb2_cc_mxac_parse(const dfsc_smb2_cc *cc, uint32_t *query_status,
                             uint32_t *maximal_access);
/* QFid response: DiskFileId (32 bytes: file id + volume id + reserved). */
int dfsc__smb2_cc_qfid_parse(const dfsc_smb2_cc *cc, uint8_t disk_file_id[32]);
/* RqLs response, v1 (32 bytes) or v2 (52 bytes); sets lease->version. */
int dfsc__smb2_cc_lease_parse(const dfsc_smb2_cc *cc, dfsc_smb2_lease *lease);
/* DH2Q response: Timeout, Flags ([MS-SMB2] 2.2.14.2.12). */
int dfsc__smb2_cc_dh2q_parse(const dfsc_smb2_cc *cc, uint32_t *timeout_ms, uint32_t *flags);

#endif
