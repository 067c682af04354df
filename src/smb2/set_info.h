/* SMB2 SET_INFO request / response codec ([MS-SMB2] 2.2.39, 2.2.40).
 * The Buffer is built with the fileinfo.h builders (rename, disposition,
 * end of file, basic).
 * Conventions as in smb2.h. Does not: choose what to set.
 */
#ifndef DFSC_SMB2_SET_INFO_H
#define DFSC_SMB2_SET_INFO_H

#include "smb2/fileinfo.h"
#include "smb2/smb2.h"

#define SMB2_SET_INFO_REQ_SSIZE 33
#define SMB2_SET_INFO_RSP_SSIZE 2

typedef struct dfsc_smb2_set_info_req {
  uint8_t info_type;  /* SMB2_0_INFO_* */
  uint8_t info_class; /* FILE_*_INFORMATION */
  uint32_t additional_info;
  dfsc_smb2_fid fid;
  const uint8_t *buf; /* decoder: into the PDU */
  size_t len;
} dfsc_smb2_set_info_req;

/* Encoders: 0, DFSC_E_NOSPACE, -EINVAL. Decoders: 0 or DFSC_E_PROTO. The
 * response carries nothing but its StructureSize. */
int dfsc__smb2_set_info_req_encode(dfsc_wr *w, const dfsc_smb2_set_info_req *req);
int dfsc__smb2_set_info_req_decode(const uint8_t *pdu, size_t len,
                                   dfsc_smb2_set_info_req *req);
int dfsc__smb2_set_info_rsp_encode(dfsc_wr *w);
int dfsc__smb2_set_info_rsp_decode(const uint8_t *pdu, size_t len);

#endif
