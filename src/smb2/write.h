/* SMB2 WRITE request / response codec ([MS-SMB2] 2.2.21, 2.2.22).
 *
 * Two request encoders: one copies the data after the fixed part; the other
 * writes only the fixed part (DataOffset 0x70, Length = data_len) so the
 * session layer can send header + fixed part and then the caller's buffer as
 * a second iovec, without a copy.
 * Conventions as in smb2.h. Does not: split large writes or manage credits.
 */
#ifndef DFSC_SMB2_WRITE_H
#define DFSC_SMB2_WRITE_H

#include "smb2/fileinfo.h"
#include "smb2/smb2.h"

#define SMB2_WRITE_REQ_SSIZE 49
#define SMB2_WRITE_RSP_SSIZE 17
#define SMB2_WRITE_DATA_OFFSET 0x70 /* 64 + 48 */
#define SMB2_WRITEFLAG_WRITE_THROUGH 0x00000001u
#define SMB2_WRITEFLAG_WRITE_UNBUFFERED 0x00000002u

typedef struct dfsc_smb2_write_req {
  uint64_t offset;
  dfsc_smb2_fid fid;
  uint32_t channel; /* SMB2_CHANNEL_NONE (0); no RDMA channel info is sent */
  uint32_t remaining_bytes;
  uint32_t flags;      /* SMB2_WRITEFLAG_* */
  const uint8_t *data; /* decoder: points into the PDU */
  size_t data_len;
} dfsc_smb2_write_req;

typedef struct dfsc_smb2_write_rsp {
  uint32_t count;
  uint32_t remaining;
} dfsc_smb2_write_rsp;

/* Fixed part plus a copy of req->data (one zero byte when data_len is 0, so
 * the Buffer is never empty). Returns 0, DFSC_E_NOSPACE or -EINVAL. */
int dfsc__smb2_write_req_encode(dfsc_wr *w, const dfsc_smb2_write_req *req);
/* The 48-byte fixed part only; req->data is not read. The caller sends
 * exactly req->data_len bytes right after it (the PDU then ends with them).
 * Expects w->off == 64. Returns 0, DFSC_E_NOSPACE or -EINVAL. */
int dfsc__smb2_write_req_encode_hdr(dfsc_wr *w, const dfsc_smb2_write_req *req);
/* Returns 0 or DFSC_E_PROTO; data points into pdu. */
int dfsc__smb2_write_req_decode(const uint8_t *pdu, size_t len, dfsc_smb2_write_req *req);
int dfsc__smb2_write_rsp_encode(dfsc_wr *w, const dfsc_smb2_write_rsp *rsp);
int dfsc__smb2_write_rsp_decode(const uint8_t *pdu, size_t len, dfsc_smb2_write_rsp *rsp);

#endif
