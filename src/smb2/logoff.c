/* SMB2 LOGOFF codec, [MS-SMB2] 2.2.7 (request) and 2.2.8 (response).
 *
 * Does: encode/decode the 4-byte body, checking StructureSize. Does not:
 * anything with sessions or state.
 */
#include "smb2/logoff.h"

#include "dfsc/errors.h"

#define BODY_SIZE 4

static int encode_body(dfsc_wr *w) {
  dfsc__wr_u16(w, BODY_SIZE);
  dfsc__wr_u16(w, 0);
  return w->bad ? DFSC_E_NOSPACE : 0;
}

/* Reserved is ignored on receipt, as the spec asks of both sides. */
static int decode_body(const uint8_t *pdu, size_t len) {
  if (pdu == NULL || len < SMB2_HDR_SIZE + BODY_SIZE)
    return DFSC_E_PROTO;
  return dfsc__le16(pdu + SMB2_HDR_SIZE) == BODY_SIZE ? 0 : DFSC_E_PROTO;
}

int dfsc__smb2_logoff_req_encode(dfsc_wr *w) { return encode_body(w); }
int dfsc__smb2_logoff_req_decode(const uint8_t *pdu, size_t len) {
  return decode_body(pdu, len);
}
int dfsc__smb2_logoff_rsp_encode(dfsc_wr *w) { return encode_body(w); }
int dfsc__smb2_logoff_rsp_decode(const uint8_t *pdu, size_t len) {
  return decode_body(pdu, len);
}
