/* SMB2 CLOSE request / response codec ([MS-SMB2] 2.2.15, 2.2.16).
 * Conventions as in smb2.h. Does not: track open handles.
 */
#ifndef DFSC_SMB2_CLOSE_H
#define DFSC_SMB2_CLOSE_H

#include "smb2/fileinfo.h"
#include "smb2/smb2.h"

#define SMB2_CLOSE_REQ_SSIZE 24
#define SMB2_CLOSE_RSP_SSIZE 60
#define SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB 0x0001

typedef struct dfsc_smb2_close_req {
  uint16_t flags; /* SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB */
  dfsc_smb2_fid fid;
} dfsc_smb2_close_req;

/* info is meaningful only when flags has POSTQUERY_ATTRIB; otherwise the
 * server sends zeros. */
typedef struct dfsc_smb2_close_rsp {
  uint16_t flags;
  dfsc_smb2_netopen info;
} dfsc_smb2_close_rsp;

/* Encoders: 0 or DFSC_E_NOSPACE. Decoders: 0 or DFSC_E_PROTO. */
int dfsc__smb2_close_req_encode(dfsc_wr *w, const dfsc_smb2_close_req *req);
int dfsc__smb2_close_req_decode(const uint8_t *pdu, size_t len, dfsc_smb2_close_req *req);
int dfsc__smb2_close_rsp_encode(dfsc_wr *w, const dfsc_smb2_close_rsp *rsp);
int dfsc__smb2_close_rsp_decode(const uint8_t *pdu, size_t len, dfsc_smb2_close_rsp *rsp);

#endif
