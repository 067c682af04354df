/* SMB2 CANCEL request codec ([MS-SMB2] 2.2.30); CANCEL has no response.
 *
 * Does: the 4-byte body, and the header a CANCEL must carry to name the
 * request it cancels (3.2.4.24). Does not: track pending requests or credits.
 */
#ifndef DFSC_SMB2_CANCEL_H
#define DFSC_SMB2_CANCEL_H

#include "smb2/smb2.h"

/* Fills *out with the header for cancelling the request whose header was
 * `orig`: same MessageId, SessionId and TreeId (sync), or ASYNC flag plus
 * `async_id` when async_id != 0 (the id from the interim response).
 * CreditCharge and CreditRequest are 0: CANCEL consumes no credit. Signature
 * and the SIGNED flag are left to the session layer. */
void dfsc__smb2_cancel_hdr(const dfsc_smb2_hdr *orig, uint64_t async_id,
                           dfsc_smb2_hdr *out);

/* Encoder (w->off == 64): 0 or DFSC_E_NOSPACE. Decoder: 0 or DFSC_E_PROTO. */
int dfsc__smb2_cancel_req_encode(dfsc_wr *w);
int dfsc__smb2_cancel_req_decode(const uint8_t *pdu, size_t len);

#endif
