/* NTLMSSP client, NTLMv2 only ([MS-NLMP]).
 *
 * Builds the NEGOTIATE_MESSAGE, decodes and checks the server's
 * CHALLENGE_MESSAGE, and builds the AUTHENTICATE_MESSAGE with an NTLMv2
 * response, key exchange (RC4 of a random ExportedSessionKey under the
 * KeyExchangeKey) and, when the challenge carries MsvAvTimestamp, the MIC
 * over all three messages. Anonymous (empty user and password: the NULL
 * session of [MS-NLMP] 3.2.5.1.2 / 3.3.2) is supported; a guest logon is an
 * ordinary logon with whatever name and password the caller gives.
 * After AUTHENTICATE the context holds the ExportedSessionKey (the SMB2
 * session key) and the signing/sealing keys for the GSS MIC that SPNEGO's
 * mechListMIC needs ([MS-NLMP] 3.4.4.2, extended session security).
 *
 * Does not: send LM, NTLMv1 or NTLM2-session responses (never), support OEM
 * strings, seal messages, channel bindings, or MsvAvTargetName. The user
 * name is upper-cased for NTOWFv2 with ASCII, Latin-1, Greek and Cyrillic
 * case mappings only (Windows uses the full Unicode upcase table).
 *
 * Randomness comes from getrandom(2). Secrets (response key, session keys,
 * password copies) are wiped with dfsc__wipe when no longer needed.
 */
#ifndef DFSC_AUTH_NTLMSSP_H
#define DFSC_AUTH_NTLMSSP_H

#include <stddef.h>
#include <stdint.h>

#include <nettle/arcfour.h>

/* NegotiateFlags, [MS-NLMP] 2.2.2.5 */
#define DFSC_NTLMSSP_NEGOTIATE_UNICODE 0x00000001u
#define DFSC_NTLMSSP_NEGOTIATE_OEM 0x00000002u
#define DFSC_NTLMSSP_REQUEST_TARGET 0x00000004u
#define DFSC_NTLMSSP_NEGOTIATE_SIGN 0x00000010u
#define DFSC_NTLMSSP_NEGOTIATE_SEAL 0x00000020u
#define DFSC_NTLMSSP_NEGOTIATE_LM_KEY 0x00000080u
#define DFSC_NTLMSSP_NEGOTIATE_NTLM 0x00000200u
#define DFSC_NTLMSSP_NEGOTIATE_ANONYMOUS 0x00000800u
#define DFSC_NTLMSSP_NEGOTIATE_ALWAYS_SIGN 0x00008000u
#define DFSC_NTLMSSP_TARGET_TYPE_DOMAIN 0x00010000u
#define DFSC_NTLMSSP_TARGET_TYPE_SERVER 0x00020000u
#define DFSC_NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY 0x00080000u
#define DFSC_NTLMSSP_NEGOTIATE_TARGET_INFO 0x00800000u
#define DFSC_NTLMSSP_NEGOTIATE_VERSION 0x02000000u
#define DFSC_NTLMSSP_NEGOTIATE_128 0x20000000u
#define DFSC_NTLMSSP_NEGOTIATE_KEY_EXCH 0x40000000u
#define DFSC_NTLMSSP_NEGOTIATE_56 0x80000000u

/* The flags the client asks for in NEGOTIATE: Unicode, NTLM, extended
 * session security, 128/56-bit, key exchange, sign/seal/always-sign (so a
 * session key is produced), target info and version. */
#define DFSC_NTLMSSP_CLIENT_FLAGS                                                          \
  (DFSC_NTLMSSP_NEGOTIATE_UNICODE | DFSC_NTLMSSP_REQUEST_TARGET |                          \
   DFSC_NTLMSSP_NEGOTIATE_SIGN | DFSC_NTLMSSP_NEGOTIATE_SEAL |                             \
   DFSC_NTLMSSP_NEGOTIATE_NTLM | DFSC_NTLMSSP_NEGOTIATE_ALWAYS_SIGN |                      \
   DFSC_NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY | DFSC_NTLMSSP_NEGOTIATE_TARGET_INFO |  \
   DFSC_NTLMSSP_NEGOTIATE_VERSION | DFSC_NTLMSSP_NEGOTIATE_128 |                           \
   DFSC_NTLMSSP_NEGOTIATE_KEY_EXCH | DFSC_NTLMSSP_NEGOTIATE_56)

/* AV_PAIR AvId values, [MS-NLMP] 2.2.2.1 */
#define DFSC_MSV_AV_EOL 0
#define DFSC_MSV_AV_NB_COMPUTER_NAME 1
#define DFSC_MSV_AV_NB_DOMAIN_NAME 2
#define DFSC_MSV_AV_DNS_COMPUTER_NAME 3
#define DFSC_MSV_AV_DNS_DOMAIN_NAME 4
#define DFSC_MSV_AV_DNS_TREE_NAME 5
#define DFSC_MSV_AV_FLAGS 6
#define DFSC_MSV_AV_TIMESTAMP 7
#define DFSC_MSV_AV_SINGLE_HOST 8
#define DFSC_MSV_AV_TARGET_NAME 9
#define DFSC_MSV_AV_CHANNEL_BINDINGS 10
/* MsvAvFlags bit: the AUTHENTICATE message carries a MIC. */
#define DFSC_MSV_AV_FLAG_MIC_PRESENT 0x00000002u

#define DFSC_NTLMSSP_NEGOTIATE_SIZE 40
#define DFSC_NTLMSSP_CHALLENGE_MIN 48
#define DFSC_NTLMSSP_SIGNATURE_SIZE 16

/* A decoded CHALLENGE_MESSAGE ([MS-NLMP] 2.2.1.2). Pointers point into the
 * decoded buffer; strings are UTF-16LE with byte lengths. */
typedef struct dfsc_ntlmssp_challenge {
  uint32_t flags;
  uint8_t server_challenge[8];
  const uint8_t *target_name; /* NULL when absent */
  size_t target_name_len;
  const uint8_t *target_info; /* AV pairs up to and including MsvAvEOL */
  size_t target_info_len;
  int has_version;
  uint8_t version[8];
  int has_timestamp; /* MsvAvTimestamp present */
  uint64_t timestamp;
  int has_av_flags; /* MsvAvFlags present */
  uint32_t av_flags;
  const uint8_t *nb_computer, *nb_domain, *dns_computer, *dns_domain;
  size_t nb_computer_len, nb_domain_len, dns_computer_len, dns_domain_len;
} dfsc_ntlmssp_challenge;

/* Decodes and checks a CHALLENGE_MESSAGE: signature and type, every
 * offset/length pair inside the message and clear of the fixed header, AV
 * pairs well-formed and ended by MsvAvEOL, MsvAvTimestamp exactly 8 bytes,
 * MsvAvFlags exactly 4. Returns 0 or DFSC_E_PROTO. */
int dfsc__ntlmssp_challenge_decode(const uint8_t *msg, size_t len,
                                   dfsc_ntlmssp_challenge *c);

/* NTOWFv2 ([MS-NLMP] 3.3.2): HMAC_MD5(MD4(UTF16(password)),
 * UTF16(Upper(user) || domain)). Strings are UTF-8; NULL means "". Returns
 * 0, -EILSEQ for invalid UTF-8, or -ENOMEM. */
int dfsc__ntlmssp_ntowfv2(const char *password, const char *user, const char *domain,
                          uint8_t out[16]);

/* The NTLMv2 responses of [MS-NLMP] 3.3.2 for the given inputs. `av` is the
 * AV pair list that goes into the client challenge (including MsvAvEOL).
 * nt_resp receives NTProofStr || temp: 16 + 28 + av_len + 4 bytes (the
 * caller's buffer must hold that many); lm_resp receives the LMv2 response
 * (24 bytes); session_base_key the SessionBaseKey. */
void dfsc__ntlmssp_v2_response(const uint8_t response_key[16],
                               const uint8_t server_challenge[8],
                               const uint8_t client_challenge[8], uint64_t time,
                               const uint8_t *av, size_t av_len, uint8_t *nt_resp,
                               uint8_t lm_resp[24], uint8_t session_base_key[16]);

/* Signing and sealing keys derived from the ExportedSessionKey with
 * extended session security ([MS-NLMP] 3.4.5.2, 3.4.5.3). */
typedef struct dfsc_ntlmssp_keys {
  uint8_t client_sign[16];
  uint8_t server_sign[16];
  uint8_t client_seal[16];
  uint8_t server_seal[16];
} dfsc_ntlmssp_keys;

void dfsc__ntlmssp_derive_keys(const uint8_t exported_key[16], uint32_t flags,
                               dfsc_ntlmssp_keys *k);

/* MAC with extended session security ([MS-NLMP] 3.4.4.2): Version(1) ||
 * first 8 bytes of HMAC_MD5(sign_key, seq || msg), RC4-encrypted with the
 * `seal` handle when it is not NULL (KEY_EXCH negotiated) || seq. */
void dfsc__ntlmssp_mac(const uint8_t sign_key[16], struct arcfour_ctx *seal, uint32_t seq,
                       const uint8_t *msg, size_t len,
                       uint8_t sig[DFSC_NTLMSSP_SIGNATURE_SIZE]);

/* ---- The client context ------------------------------------------------ */

typedef struct dfsc_ntlmssp dfsc_ntlmssp;

/* 1 when user and password select an anonymous logon (both NULL or
 * empty), else 0: the one rule dfsc__ntlmssp_new and the session layer
 * (through dfsc__auth_creds_anonymous) apply. */
int dfsc__ntlmssp_creds_anonymous(const char *user, const char *password);

/* Creates a context. user/domain/password/workstation are UTF-8, NULL
 * meaning "". Empty user and password select anonymous. The password is
 * reduced to NTOWFv2 at once and not kept. Ownership: free with
 * dfsc__ntlmssp_free. Returns 0, -EILSEQ, -EINVAL (a name too long for the
 * 16-bit length fields) or -ENOMEM. */
int dfsc__ntlmssp_new(const char *user, const char *domain, const char *password,
                      const char *workstation, dfsc_ntlmssp **out);

/* Wipes and frees; NULL is a no-op. */
void dfsc__ntlmssp_free(dfsc_ntlmssp *n);

/* Known-answer tests only: replaces the random client challenge, the random
 * ExportedSessionKey, the clock (used only when the server sends no
 * MsvAvTimestamp) and the Version field the client sends. */
typedef struct dfsc_ntlmssp_fixed {
  uint8_t client_challenge[8];
  uint8_t exported_key[16];
  uint64_t time; /* FILETIME */
  uint8_t version[8];
} dfsc_ntlmssp_fixed;
void dfsc__ntlmssp_set_fixed(dfsc_ntlmssp *n, const dfsc_ntlmssp_fixed *f);

/* Builds the NEGOTIATE_MESSAGE (kept inside n for the MIC). *msg points into
 * n and stays valid until n is freed. Returns 0. */
int dfsc__ntlmssp_negotiate(dfsc_ntlmssp *n, const uint8_t **msg, size_t *len);

/* Processes the CHALLENGE_MESSAGE and builds the AUTHENTICATE_MESSAGE.
 * Must follow dfsc__ntlmssp_negotiate, once. Ownership: *out is allocated
 * with dfsc__malloc; the caller frees it with dfsc__free. Returns 0,
 * DFSC_E_PROTO (malformed challenge), DFSC_E_AUTH (the server refuses
 * Unicode or extended session security), -EINVAL (out of sequence), -ENOMEM,
 * or -errno from getrandom. */
int dfsc__ntlmssp_authenticate(dfsc_ntlmssp *n, const uint8_t *chal, size_t chal_len,
                               uint8_t **out, size_t *outlen);

/* 1 when the context is anonymous. */
int dfsc__ntlmssp_is_anonymous(const dfsc_ntlmssp *n);

/* 1 when the AUTHENTICATE message carried a MIC (so SPNEGO must carry a
 * mechListMIC, [MS-SPNG] 3.1.5.1). */
int dfsc__ntlmssp_mic_sent(const dfsc_ntlmssp *n);

/* Copies the ExportedSessionKey. Returns 0, or -ENOKEY before AUTHENTICATE
 * or for an anonymous logon (which has no session key). */
int dfsc__ntlmssp_session_key(const dfsc_ntlmssp *n, uint8_t key[16]);

/* GSS_GetMIC with the client signing key and the next client sequence
 * number (the first call uses 0). Returns 0 or -EINVAL before
 * AUTHENTICATE / when anonymous. */
int dfsc__ntlmssp_sign(dfsc_ntlmssp *n, const uint8_t *msg, size_t len,
                       uint8_t sig[DFSC_NTLMSSP_SIGNATURE_SIZE]);

/* GSS_VerifyMIC with the server signing key and the next server sequence
 * number (constant-time compare). Returns 0, DFSC_E_SIGNATURE, or -EINVAL
 * before AUTHENTICATE / when anonymous. */
int dfsc__ntlmssp_verify(dfsc_ntlmssp *n, const uint8_t *msg, size_t len,
                         const uint8_t *sig, size_t sig_len);

#endif
