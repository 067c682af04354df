/* SMB2 SESSION_SETUP request and response codec ([MS-SMB2] 2.2.5, 2.2.6).
 *
 * Does: encode/decode both directions; the security buffer is an opaque
 * GSS/SPNEGO blob passed by pointer. Does not: run authentication, derive
 * keys, or interpret STATUS_MORE_PROCESSING_REQUIRED (session layer).
 */
#ifndef DFSC_SMB2_SESSION_SETUP_H
#define DFSC_SMB2_SESSION_SETUP_H

#include "smb2/smb2.h"

typedef struct dfsc_smb2_session_setup_req {
  uint8_t flags;         /* SMB2_SESSION_FLAG_BINDING */
  uint8_t security_mode; /* SMB2_NEGOTIATE_SIGNING_* (1 byte here) */
  uint32_t capabilities;
  uint32_t channel; /* MUST be 0 */
  uint64_t previous_session_id;
  const uint8_t *security_buffer; /* not owned; decode: into the PDU */
  size_t security_buffer_len;
} dfsc_smb2_session_setup_req;

typedef struct dfsc_smb2_session_setup_rsp {
  uint16_t session_flags;         /* SMB2_SESSION_FLAG_IS_GUEST / IS_NULL / ENCRYPT_DATA */
  const uint8_t *security_buffer; /* not owned; decode: into the PDU, NULL if empty */
  size_t security_buffer_len;
} dfsc_smb2_session_setup_rsp;

/* Encoders (w->off == 64 on entry): 0, DFSC_E_NOSPACE, or -EINVAL for a
 * security buffer over 65535 bytes. Decoders: 0 or DFSC_E_PROTO. */
int dfsc__smb2_session_setup_req_encode(dfsc_wr *w, const dfsc_smb2_session_setup_req *req);
int dfsc__smb2_session_setup_req_decode(const uint8_t *pdu, size_t len,
                                        dfsc_smb2_session_setup_req *req);
int dfsc__smb2_session_setup_rsp_encode(dfsc_wr *w, const dfsc_smb2_session_setup_rsp *rsp);
int dfsc__smb2_session_setup_rsp_decode(const uint8_t *pdu, size_t len,
                                        dfsc_smb2_session_setup_rsp *rsp);

#endif
