/* SMB2 ECHO request and response codec ([MS-SMB2] 2.2.28, 2.2.29).
 *
 * Does: the 4-byte body (StructureSize 4, Reserved) both ways. Does not:
 * decide when to send it or what the answer means (session layer).
 */
#ifndef DFSC_SMB2_ECHO_H
#define DFSC_SMB2_ECHO_H

#include "smb2/smb2.h"

/* Encoders (w->off == 64 on entry): 0 or DFSC_E_NOSPACE.
 * Decoders (pdu at the header): 0 or DFSC_E_PROTO. */
int dfsc__smb2_echo_req_encode(dfsc_wr *w);
int dfsc__smb2_echo_req_decode(const uint8_t *pdu, size_t len);
int dfsc__smb2_echo_rsp_encode(dfsc_wr *w);
int dfsc__smb2_echo_rsp_decode(const uint8_t *pdu, size_t len);

#endif
