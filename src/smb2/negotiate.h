/* SMB2 NEGOTIATE request and response codec ([MS-SMB2] 2.2.3, 2.2.4),
 * including the SMB 3.1.1 negotiate contexts (2.2.3.1).
 *
 * Does: encode/decode both directions; the 3.1.1 contexts PREAUTH_INTEGRITY,
 * ENCRYPTION, SIGNING and NETNAME. Unknown context types are skipped on
 * decode. Does not: choose a dialect, compute the preauth hash, generate the
 * salt or client GUID (the caller passes them), or speak SMB1 negotiate.
 */
#ifndef DFSC_SMB2_NEGOTIATE_H
#define DFSC_SMB2_NEGOTIATE_H

#include "smb2/smb2.h"

#define DFSC_SMB2_NEG_MAX_DIALECTS 16
#define DFSC_SMB2_NEG_MAX_ALGS 8
#define DFSC_SMB2_NEG_REQ_FIXED 36 /* body bytes before Dialects[] */
#define DFSC_SMB2_NEG_RSP_FIXED 64 /* body bytes before Buffer */

/* NEGOTIATE request. Encode: every field is input; contexts are sent iff the
 * dialect list contains SMB2_DIALECT_311 (a PREAUTH context always, SHA-512
 * when hash_alg_count is 0; ENCRYPTION / SIGNING when their counts are
 * non-zero; NETNAME when netname is non-NULL).
 * Decode: pointers point into the PDU; netname is left NULL and the NETNAME
 * context comes back as netname_u16. */
typedef struct dfsc_smb2_negotiate_req {
  uint16_t security_mode;
  uint32_t capabilities;
  uint8_t client_guid[16];
  uint16_t dialect_count;
  uint16_t dialects[DFSC_SMB2_NEG_MAX_DIALECTS];

  uint16_t hash_alg_count;
  uint16_t hash_algs[DFSC_SMB2_NEG_MAX_ALGS];
  const uint8_t *salt; /* not owned */
  size_t salt_len;
  uint16_t cipher_count;
  uint16_t ciphers[DFSC_SMB2_NEG_MAX_ALGS];
  uint16_t signing_alg_count;
  uint16_t signing_algs[DFSC_SMB2_NEG_MAX_ALGS];
  const char *netname;        /* encode only: UTF-8, NUL-terminated, or NULL */
  const uint8_t *netname_u16; /* decode only */
  size_t netname_u16_len;

  uint16_t context_count; /* decode only: contexts on the wire, known or not */
} dfsc_smb2_negotiate_req;

/* NEGOTIATE response. For dialect 0x0311 the has_* flags say which contexts
 * were present; a response may carry each of the three at most once, with
 * exactly one algorithm ([MS-SMB2] 2.2.3.1.1 / .2 / .7). */
typedef struct dfsc_smb2_negotiate_rsp {
  uint16_t security_mode;
  uint16_t dialect;
  uint8_t server_guid[16];
  uint32_t capabilities;
  uint32_t max_transact_size;
  uint32_t max_read_size;
  uint32_t max_write_size;
  uint64_t system_time;           /* FILETIME */
  uint64_t server_start_time;     /* FILETIME */
  const uint8_t *security_buffer; /* into the PDU (decode) / not owned (encode) */
  size_t security_buffer_len;

  uint16_t context_count; /* decode only */
  int has_preauth;
  uint16_t preauth_hash_alg;
  const uint8_t *preauth_salt;
  size_t preauth_salt_len;
  int has_cipher;
  uint16_t cipher; /* 0 = the server supports none of ours */
  int has_signing;
  uint16_t signing_alg;
} dfsc_smb2_negotiate_rsp;

/* Encoders: w->off == 64 on entry (header written). Return 0,
 * DFSC_E_NOSPACE when w overflowed, -EINVAL for input the wire cannot carry
 * (no dialects, too many algorithms, a salt or buffer over 65535 bytes, bad
 * UTF-8 in netname). */
int dfsc__smb2_negotiate_req_encode(dfsc_wr *w, const dfsc_smb2_negotiate_req *req);
int dfsc__smb2_negotiate_rsp_encode(dfsc_wr *w, const dfsc_smb2_negotiate_rsp *rsp);

/* Decoders: pdu starts at the header. Return 0 or DFSC_E_PROTO. */
int dfsc__smb2_negotiate_req_decode(const uint8_t *pdu, size_t len,
                                    dfsc_smb2_negotiate_req *req);
int dfsc__smb2_negotiate_rsp_decode(const uint8_t *pdu, size_t len,
                                    dfsc_smb2_negotiate_rsp *rsp);

#endif
