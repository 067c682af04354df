/* SMB2 READ request / response codec ([MS-SMB2] 2.2.19, 2.2.20).
 *
 * Besides the whole-PDU decoder, dfsc__smb2_read_rsp_peek decodes only the
 * header-plus-fixed part (the first 80 bytes) so a receiver can learn where
 * the payload starts and read it straight into the caller's buffer.
 * Conventions as in smb2.h. Does not: split large reads or manage credits.
 */
#ifndef DFSC_SMB2_READ_H
#define DFSC_SMB2_READ_H

#include "smb2/fileinfo.h"
#include "smb2/smb2.h"

#define SMB2_READ_REQ_SSIZE 49
#define SMB2_READ_RSP_SSIZE 17
#define SMB2_READ_RSP_FIXED 80 /* header + fixed response body */
#define SMB2_READ_DATA_OFFSET 0x50
#define SMB2_READFLAG_READ_UNBUFFERED 0x01
#define SMB2_READFLAG_REQUEST_COMPRESSED 0x02
#define SMB2_CHANNEL_NONE 0

typedef struct dfsc_smb2_read_req {
  uint8_t padding; /* where the server should put the data; usually 0x50 */
  uint8_t flags;   /* SMB2_READFLAG_* */
  uint32_t length;
  uint64_t offset;
  dfsc_smb2_fid fid;
  uint32_t minimum_count;
  uint32_t channel; /* SMB2_CHANNEL_NONE; no RDMA channel info is sent */
  uint32_t remaining_bytes;
} dfsc_smb2_read_req;

typedef struct dfsc_smb2_read_rsp {
  uint8_t data_offset;
  uint32_t data_remaining;
  uint32_t flags;
  const uint8_t *data; /* into the PDU; NULL when data_len is 0 */
  size_t data_len;
} dfsc_smb2_read_rsp;

/* Writes the 49-byte body (the Buffer is one zero byte, [MS-SMB2] 2.2.19).
 * Returns 0 or DFSC_E_NOSPACE. */
int dfsc__smb2_read_req_encode(dfsc_wr *w, const dfsc_smb2_read_req *req);
int dfsc__smb2_read_req_decode(const uint8_t *pdu, size_t len, dfsc_smb2_read_req *req);
/* Writes the fixed part with DataOffset 0x50 and copies rsp->data. Returns
 * 0, DFSC_E_NOSPACE or -EINVAL (more than 4 GiB). */
int dfsc__smb2_read_rsp_encode(dfsc_wr *w, const dfsc_smb2_read_rsp *rsp);
/* Returns 0 or DFSC_E_PROTO; data points into pdu. */
int dfsc__smb2_read_rsp_decode(const uint8_t *pdu, size_t len, dfsc_smb2_read_rsp *rsp);
/* Decodes the fixed part of a READ response from its first n bytes
 * (n >= SMB2_READ_RSP_FIXED; the header is not examined). On success sets
 * *data_off (from the header start, >= 80 when *data_len > 0; 80 when it is
 * 0) and *data_len. The caller must still check data_off + data_len against
 * the PDU length from the transport framing. Returns 0 or DFSC_E_PROTO. */
int dfsc__smb2_read_rsp_peek(const uint8_t *hdr_and_fixed, size_t n, size_t *data_off,
                             size_t *data_len);

#endif
