/* SMB2 IOCTL request / response codec ([MS-SMB2] 2.2.31, 2.2.32), plus the
 * FSCTL payloads dfsc sends: FSCTL_VALIDATE_NEGOTIATE_INFO ([MS-SMB2]
 * 2.2.31.4, 2.2.32.6) and the REQ_GET_DFS_REFERRAL input of
 * FSCTL_DFS_GET_REFERRALS ([MS-DFSC] 2.2.2).
 *
 * Conventions as in smb2.h. Does not: decode referral responses (src/dfs)
 * or compare the validate-negotiate answer with the connection state.
 */
#ifndef DFSC_SMB2_IOCTL_H
#define DFSC_SMB2_IOCTL_H

#include "smb2/fileinfo.h"
#include "smb2/smb2.h"

#define SMB2_IOCTL_REQ_SSIZE 57
#define SMB2_IOCTL_RSP_SSIZE 49
#define SMB2_IOCTL_REQ_BUFFER_OFF 0x78 /* 64 + 56 */
#define SMB2_IOCTL_RSP_BUFFER_OFF 0x70 /* 64 + 48 */
#define SMB2_VNI_RSP_SIZE 24

typedef struct dfsc_smb2_ioctl_req {
  uint32_t ctl_code;
  dfsc_smb2_fid fid;    /* all-ones for FSCTLs not tied to an open */
  const uint8_t *input; /* decoder: into the PDU */
  size_t input_len;
  const uint8_t *output; /* rarely sent; decoder: into the PDU */
  size_t output_len;
  uint32_t max_input_response;
  uint32_t max_output_response;
  uint32_t flags; /* SMB2_0_IOCTL_IS_FSCTL */
} dfsc_smb2_ioctl_req;

typedef struct dfsc_smb2_ioctl_rsp {
  uint32_t ctl_code;
  dfsc_smb2_fid fid;
  const uint8_t *input; /* into the PDU; NULL when the count is 0 */
  size_t input_len;
  const uint8_t *output;
  size_t output_len;
  uint32_t flags;
} dfsc_smb2_ioctl_rsp;

/* Input at 0x78, output (if any) after it 8-aligned. Encoders: 0,
 * DFSC_E_NOSPACE, -EINVAL. Decoders: 0 or DFSC_E_PROTO (each non-empty
 * buffer must lie after the fixed part and inside the PDU). */
int dfsc__smb2_ioctl_req_encode(dfsc_wr *w, const dfsc_smb2_ioctl_req *req);
int dfsc__smb2_ioctl_req_decode(const uint8_t *pdu, size_t len, dfsc_smb2_ioctl_req *req);
int dfsc__smb2_ioctl_rsp_encode(dfsc_wr *w, const dfsc_smb2_ioctl_rsp *rsp);
int dfsc__smb2_ioctl_rsp_decode(const uint8_t *pdu, size_t len, dfsc_smb2_ioctl_rsp *rsp);

/* VALIDATE_NEGOTIATE_INFO request ([MS-SMB2] 2.2.31.4). */
typedef struct dfsc_smb2_vni_req {
  uint32_t capabilities;
  uint8_t guid[16];
  uint16_t security_mode;
  size_t n_dialects;
  const uint8_t *dialects_le; /* parse: n_dialects LE u16s inside buf */
} dfsc_smb2_vni_req;

/* VALIDATE_NEGOTIATE_INFO response ([MS-SMB2] 2.2.32.6). */
typedef struct dfsc_smb2_vni_rsp {
  uint32_t capabilities;
  uint8_t guid[16];
  uint16_t security_mode;
  uint16_t dialect;
} dfsc_smb2_vni_rsp;

/* Builders append to w: 0, DFSC_E_NOSPACE or -EINVAL. Parsers read an IOCTL
 * input/output buffer: 0 or DFSC_E_PROTO. */
int dfsc__smb2_vni_req_build(dfsc_wr *w, uint32_t capabilities, const uint8_t guid[16],
                             uint16_t security_mode, const uint16_t *dialects,
                             size_t n_dialects);
int dfsc__smb2_vni_req_parse(const uint8_t *buf, size_t len, dfsc_smb2_vni_req *out);
int dfsc__smb2_vni_rsp_build(dfsc_wr *w, const dfsc_smb2_vni_rsp *in);
int dfsc__smb2_vni_rsp_parse(const uint8_t *buf, size_t len, dfsc_smb2_vni_rsp *out);

/* Server-side copy ([MS-SMB2] 2.2.31.1, 2.2.32.1, 2.2.32.3). */
#define SMB2_RESUME_KEY_SIZE 24
#define SMB2_COPYCHUNK_HDR_SIZE 32 /* SourceKey, ChunkCount, Reserved */
#define SMB2_COPYCHUNK_SIZE 24     /* one SRV_COPYCHUNK */
#define SMB2_COPYCHUNK_RSP_SIZE 12

typedef struct dfsc_smb2_chunk {
  uint64_t src_off, dst_off;
  uint32_t len;
} dfsc_smb2_chunk;

/* SRV_COPYCHUNK_RESPONSE. After STATUS_INVALID_PARAMETER the three fields
 * are the server's limits instead: chunks a request may carry, bytes a
 * chunk may hold, bytes a request may copy ([MS-SMB2] 3.3.5.15.6). */
typedef struct dfsc_smb2_copychunk_rsp {
  uint32_t chunks_written;
  uint32_t chunk_bytes_written;
  uint32_t total_bytes_written;
} dfsc_smb2_copychunk_rsp;

/* SRV_COPYCHUNK_COPY with key and n (1..65535) chunks. 0, DFSC_E_NOSPACE
 * or -EINVAL. */
int dfsc__smb2_copychunk_build(dfsc_wr *w, const uint8_t key[SMB2_RESUME_KEY_SIZE],
                               const dfsc_smb2_chunk *c, size_t n);
int dfsc__smb2_copychunk_parse(const uint8_t *buf, size_t len,
                               uint8_t key[SMB2_RESUME_KEY_SIZE], size_t *n);
int dfsc__smb2_copychunk_rsp_parse(const uint8_t *buf, size_t len,
                                   dfsc_smb2_copychunk_rsp *out);
/* SRV_REQUEST_RESUME_KEY: the 24-byte key (ContextLength and Context are
 * not used). 0 or DFSC_E_PROTO. */
int dfsc__smb2_resume_key_parse(const uint8_t *buf, size_t len,
                                uint8_t key[SMB2_RESUME_KEY_SIZE]);

/* REQ_GET_DFS_REFERRAL: MaxReferralLevel, then the UTF-8 path as UTF-16LE
 * with a NUL terminator. Returns 0, DFSC_E_NOSPACE, -EILSEQ. */
int dfsc__smb2_dfs_referral_req_build(dfsc_wr *w, uint16_t max_level, const char *path,
                                      size_t path_len);
/* The reverse: *name16_len excludes the terminator, which must be present.
 * Returns 0 or DFSC_E_PROTO. */
int dfsc__smb2_dfs_referral_req_parse(const uint8_t *buf, size_t len, uint16_t *max_level,
                                      const uint8_t **name16, size_t *name16_len);

#endif
