/* SMB2 LOGOFF request and response codec ([MS-SMB2] 2.2.7, 2.2.8).
 *
 * Does: the 4-byte body (StructureSize 4, Reserved) both ways. Does not:
 * decide when to send it or what the answer means (session layer).
 */
#ifndef DFSC_SMB2_LOGOFF_H
#define DFSC_SMB2_LOGOFF_H

#include "smb2/smb2.h"

/* Encoders (w->off == 64 on entry): 0 or DFSC_E_NOSPACE.
 * Decoders (pdu at the header): 0 or DFSC_E_PROTO. */
int dfsc__smb2_logoff_req_encode(dfsc_wr *w);
int dfsc__smb2_logoff_req_decode(const uint8_t *pdu, size_t len);
int dfsc__smb2_logoff_rsp_encode(dfsc_wr *w);
int dfsc__smb2_logoff_rsp_decode(const uint8_t *pdu, size_t len);

#endif
