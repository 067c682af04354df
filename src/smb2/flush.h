/* SMB2 FLUSH request / response codec ([MS-SMB2] 2.2.17, 2.2.18).
 * Conventions as in smb2.h. Does not: know about write-behind.
 */
#ifndef DFSC_SMB2_FLUSH_H
#define DFSC_SMB2_FLUSH_H

#include "smb2/fileinfo.h"
#include "smb2/smb2.h"

#define SMB2_FLUSH_REQ_SSIZE 24
#define SMB2_FLUSH_RSP_SSIZE 4

typedef struct dfsc_smb2_flush_req {
  dfsc_smb2_fid fid;
} dfsc_smb2_flush_req;

/* Encoders: 0 or DFSC_E_NOSPACE. Decoders: 0 or DFSC_E_PROTO. The response
 * carries nothing but its StructureSize. */
int dfsc__smb2_flush_req_encode(dfsc_wr *w, const dfsc_smb2_flush_req *req);
int dfsc__smb2_flush_req_decode(const uint8_t *pdu, size_t len, dfsc_smb2_flush_req *req);
int dfsc__smb2_flush_rsp_encode(dfsc_wr *w);
int dfsc__smb2_flush_rsp_decode(const uint8_t *pdu, size_t len);

#endif
