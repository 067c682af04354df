/* SMB2 CANCEL codec, [MS-SMB2] 2.2.30, and the header rules of 3.2.4.24.
 *
 * Does: encode/decode the 4-byte body; build the CANCEL header from the
 * cancelled request's header. Does not: send it or match it to an operation.
 */
#include "smb2/cancel.h"

#include "dfsc/errors.h"

#define BODY_SIZE 4

void dfsc__smb2_cancel_hdr(const dfsc_smb2_hdr *orig, uint64_t async_id,
                           dfsc_smb2_hdr *out) {
  memset(out, 0, sizeof *out);
  out->command = SMB2_CANCEL;
  out->message_id = orig->message_id;
  out->session_id = orig->session_id;
  /* Keep only flags that describe the message, not the cancelled request's
   * compound or signing state. */
  out->flags = orig->flags & (SMB2_FLAGS_DFS_OPERATIONS | SMB2_FLAGS_PRIORITY_MASK);
  if (async_id != 0) {
    out->flags |= SMB2_FLAGS_ASYNC_COMMAND;
    out->async_id = async_id;
  } else {
    out->process_id = orig->process_id;
    out->tree_id = orig->tree_id;
  }
}

int dfsc__smb2_cancel_req_encode(dfsc_wr *w) {
  dfsc__wr_u16(w, BODY_SIZE);
  dfsc__wr_u16(w, 0);
  return w->bad ? DFSC_E_NOSPACE : 0;
}

int dfsc__smb2_cancel_req_decode(const uint8_t *pdu, size_t len) {
  if (pdu == NULL || len < SMB2_HDR_SIZE + BODY_SIZE)
    return DFSC_E_PROTO;
  return dfsc__le16(pdu + SMB2_HDR_SIZE) == BODY_SIZE ? 0 : DFSC_E_PROTO;
}
