/* SMB2 TREE_CONNECT and TREE_DISCONNECT codec ([MS-SMB2] 2.2.9 - 2.2.12).
 *
 * Does: encode/decode both directions; the share path goes out as UTF-16LE
 * `\\server\share`. Does not: the 3.1.1 tree connect request extension
 * (SMB2_TREE_CONNECT_FLAG_EXTENSION_PRESENT, remoted identity): the encoder
 * refuses the flag and the decoder rejects a request carrying it.
 */
#ifndef DFSC_SMB2_TREE_H
#define DFSC_SMB2_TREE_H

#include "smb2/smb2.h"

/* TREE_CONNECT request Flags, 3.1.1 only, [MS-SMB2] 2.2.9 */
#define SMB2_TREE_CONNECT_FLAG_CLUSTER_RECONNECT 0x0001
#define SMB2_TREE_CONNECT_FLAG_REDIRECT_TO_OWNER 0x0002
#define SMB2_TREE_CONNECT_FLAG_EXTENSION_PRESENT 0x0004

/* Encode: path (UTF-8, path_len bytes, e.g. "\\\\fs1\\data") when non-NULL,
 * else `\\` server `\` share built from the two NUL-terminated strings.
 * Decode: path/server/share stay NULL; the path comes back as path_u16. */
typedef struct dfsc_smb2_tree_connect_req {
  uint16_t flags; /* SMB2_TREE_CONNECT_FLAG_*; 0 before 3.1.1 */
  const char *path;
  size_t path_len;
  const char *server;
  const char *share;
  const uint8_t *path_u16; /* decode only: into the PDU */
  size_t path_u16_len;
} dfsc_smb2_tree_connect_req;

typedef struct dfsc_smb2_tree_connect_rsp {
  uint8_t share_type;    /* SMB2_SHARE_TYPE_* */
  uint32_t share_flags;  /* SMB2_SHAREFLAG_* (incl. caching bits 0x30) */
  uint32_t capabilities; /* SMB2_SHARE_CAP_* */
  uint32_t maximal_access;
} dfsc_smb2_tree_connect_rsp;

/* Encoders (w->off == 64 on entry): 0, DFSC_E_NOSPACE, or -EINVAL (no path,
 * bad UTF-8, path over 65535 bytes, EXTENSION_PRESENT).
 * Decoders (pdu at the header): 0 or DFSC_E_PROTO. */
int dfsc__smb2_tree_connect_req_encode(dfsc_wr *w, const dfsc_smb2_tree_connect_req *req);
int dfsc__smb2_tree_connect_req_decode(const uint8_t *pdu, size_t len,
                                       dfsc_smb2_tree_connect_req *req);
int dfsc__smb2_tree_connect_rsp_encode(dfsc_wr *w, const dfsc_smb2_tree_connect_rsp *rsp);
int dfsc__smb2_tree_connect_rsp_decode(const uint8_t *pdu, size_t len,
                                       dfsc_smb2_tree_connect_rsp *rsp);

int dfsc__smb2_tree_disconnect_req_encode(dfsc_wr *w);
int dfsc__smb2_tree_disconnect_req_decode(const uint8_t *pdu, size_t len);
int dfsc__smb2_tree_disconnect_rsp_encode(dfsc_wr *w);
int dfsc__smb2_tree_disconnect_rsp_decode(const uint8_t *pdu, size_t len);

#endif
