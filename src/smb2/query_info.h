/* SMB2 QUERY_INFO request / response codec ([MS-SMB2] 2.2.37, 2.2.38).
 * The OutputBuffer is parsed with the fileinfo.h parsers.
 * Conventions as in smb2.h. Does not: retry on STATUS_BUFFER_OVERFLOW.
 */
#ifndef DFSC_SMB2_QUERY_INFO_H
#define DFSC_SMB2_QUERY_INFO_H

#include "smb2/fileinfo.h"
#include "smb2/smb2.h"

#define SMB2_QUERY_INFO_REQ_SSIZE 41
#define SMB2_QUERY_INFO_RSP_SSIZE 9
/* AdditionalInformation for SMB2_0_INFO_SECURITY, [MS-SMB2] 2.2.37 */
#define SMB2_OWNER_SECURITY_INFORMATION 0x00000001u
#define SMB2_GROUP_SECURITY_INFORMATION 0x00000002u
#define SMB2_DACL_SECURITY_INFORMATION 0x00000004u
#define SMB2_SACL_SECURITY_INFORMATION 0x00000008u
/* Flags, [MS-SMB2] 2.2.37 */
#define SMB2_SL_RESTART_SCAN 0x00000001u
#define SMB2_SL_RETURN_SINGLE_ENTRY 0x00000002u
#define SMB2_SL_INDEX_SPECIFIED 0x00000004u

typedef struct dfsc_smb2_query_info_req {
  uint8_t info_type;  /* SMB2_0_INFO_* */
  uint8_t info_class; /* FILE_*_INFORMATION / FILE_FS_* */
  uint32_t output_buffer_length;
  uint32_t additional_info;
  uint32_t flags;
  dfsc_smb2_fid fid;
  const uint8_t *input; /* decoder: into the PDU */
  size_t input_len;
} dfsc_smb2_query_info_req;

typedef struct dfsc_smb2_query_info_rsp {
  const uint8_t *buf; /* into the PDU; NULL when len is 0 */
  size_t len;
} dfsc_smb2_query_info_rsp;

/* Encoders: 0, DFSC_E_NOSPACE, -EINVAL. Decoders: 0 or DFSC_E_PROTO. */
int dfsc__smb2_query_info_req_encode(dfsc_wr *w, const dfsc_smb2_query_info_req *req);
int dfsc__smb2_query_info_req_decode(const uint8_t *pdu, size_t len,
                                     dfsc_smb2_query_info_req *req);
int dfsc__smb2_query_info_rsp_encode(dfsc_wr *w, const dfsc_smb2_query_info_rsp *rsp);
int dfsc__smb2_query_info_rsp_decode(const uint8_t *pdu, size_t len,
                                     dfsc_smb2_query_info_rsp *rsp);

#endif
