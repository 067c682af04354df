/* The 64-byte SMB2 packet header ([MS-SMB2] 2.2.1.1 async, 2.2.1.2 sync)
 * and command names.
 *
 * Does: encode and decode the header in either form, checking ProtocolId and
 * StructureSize. Does not: validate NextCommand against a buffer (see
 * compound.c), check signatures (session layer), or handle the transform
 * header of encrypted messages.
 */
#include "smb2/smb2.h"

#include "dfsc/errors.h"

void dfsc__smb2_hdr_encode(dfsc_wr *w, const dfsc_smb2_hdr *h) {
  dfsc__wr_u32(w, SMB2_PROTOCOL_ID);
  dfsc__wr_u16(w, SMB2_HDR_SIZE);
  dfsc__wr_u16(w, h->credit_charge);
  dfsc__wr_u32(w, h->status);
  dfsc__wr_u16(w, h->command);
  dfsc__wr_u16(w, h->credits);
  dfsc__wr_u32(w, h->flags);
  dfsc__wr_u32(w, h->next_command);
  dfsc__wr_u64(w, h->message_id);
  if (h->flags & SMB2_FLAGS_ASYNC_COMMAND) {
    dfsc__wr_u64(w, h->async_id);
  } else {
    dfsc__wr_u32(w, h->process_id);
    dfsc__wr_u32(w, h->tree_id);
  }
  dfsc__wr_u64(w, h->session_id);
  dfsc__wr_bytes(w, h->signature, sizeof h->signature);
}

int dfsc__smb2_hdr_decode(const uint8_t *pdu, size_t len, dfsc_smb2_hdr *h) {
  dfsc_rd r;

  memset(h, 0, sizeof *h);
  if (pdu == NULL || len < SMB2_HDR_SIZE)
    return DFSC_E_PROTO;
  dfsc__rd_init(&r, pdu, len);
  if (dfsc__rd_u32(&r) != SMB2_PROTOCOL_ID)
    return DFSC_E_PROTO;
  if (dfsc__rd_u16(&r) != SMB2_HDR_SIZE)
    return DFSC_E_PROTO;
  h->credit_charge = dfsc__rd_u16(&r);
  h->status = dfsc__rd_u32(&r);
  h->command = dfsc__rd_u16(&r);
  h->credits = dfsc__rd_u16(&r);
  h->flags = dfsc__rd_u32(&r);
  h->next_command = dfsc__rd_u32(&r);
  h->message_id = dfsc__rd_u64(&r);
  if (h->flags & SMB2_FLAGS_ASYNC_COMMAND) {
    h->async_id = dfsc__rd_u64(&r);
  } else {
    h->process_id = dfsc__rd_u32(&r);
    h->tree_id = dfsc__rd_u32(&r);
  }
  h->session_id = dfsc__rd_u64(&r);
  dfsc__rd_bytes(&r, h->signature, sizeof h->signature);
  return r.bad ? DFSC_E_PROTO : 0;
}

static const char *const command_names[SMB2_COMMAND_MAX] = {
    [SMB2_NEGOTIATE] = "NEGOTIATE",
    [SMB2_SESSION_SETUP] = "SESSION_SETUP",
    [SMB2_LOGOFF] = "LOGOFF",
    [SMB2_TREE_CONNECT] = "TREE_CONNECT",
    [SMB2_TREE_DISCONNECT] = "TREE_DISCONNECT",
    [SMB2_CREATE] = "CREATE",
    [SMB2_CLOSE] = "CLOSE",
    [SMB2_FLUSH] = "FLUSH",
    [SMB2_READ] = "READ",
    [SMB2_WRITE] = "WRITE",
    [SMB2_LOCK] = "LOCK",
    [SMB2_IOCTL] = "IOCTL",
    [SMB2_CANCEL] = "CANCEL",
    [SMB2_ECHO] = "ECHO",
    [SMB2_QUERY_DIRECTORY] = "QUERY_DIRECTORY",
    [SMB2_CHANGE_NOTIFY] = "CHANGE_NOTIFY",
    [SMB2_QUERY_INFO] = "QUERY_INFO",
    [SMB2_SET_INFO] = "SET_INFO",
    [SMB2_OPLOCK_BREAK] = "OPLOCK_BREAK",
};

const char *dfsc__smb2_command_name(uint16_t cmd) {
  if (cmd >= SMB2_COMMAND_MAX || command_names[cmd] == NULL)
    return "UNKNOWN";
  return command_names[cmd];
}
