/* SMB2/3 message cryptography: signing, key derivation, preauth integrity
 * hash and the TRANSFORM_HEADER encryption ([MS-SMB2] 3.1.4.1 - 3.1.4.3,
 * 2.2.41, 3.2.5.3.1).
 *
 * Pure functions over caller buffers; the per-message primitives from
 * nettle or OpenSSL's libcrypto, chosen at build time (crypto_prim.h):
 *  - signing: HMAC-SHA256 (2.0.2 / 2.1), AES-128-CMAC (3.x), AES-128-GMAC
 *    (3.1.1 when negotiated), always over the message with the signature
 *    field taken as zero, without modifying a const input;
 *  - SP800-108 counter-mode KDF with HMAC-SHA256 and the 3.0 / 3.1.1
 *    labels and contexts, 128- or 256-bit output;
 *  - SHA-512 preauth integrity hash chaining;
 *  - AES-128/256-CCM and -GCM encrypt/decrypt of one message behind a
 *    52-byte TRANSFORM_HEADER.
 *
 * Does not: allocate, keep state, pick nonces deterministically (the
 * caller owns nonce uniqueness per key), set the SMB2_FLAGS_SIGNED bit, or
 * handle compression transforms.
 */
#ifndef DFSC_SESSION_CRYPTO_H
#define DFSC_SESSION_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define DFSC_SMB2_SIG_OFFSET 48 /* Signature field in the SMB2 header */
#define DFSC_SMB2_SIG_SIZE 16
#define DFSC_TRANSFORM_HDR_SIZE 52
#define DFSC_TRANSFORM_NONCE_OFFSET 20
#define DFSC_PREAUTH_HASH_SIZE 64

/* SP800-108 counter-mode KDF, PRF = HMAC-SHA256, r = 32, one or two
 * iterations: out = PRF(key, i || label || 0x00 || context || L), L =
 * 8 * out_len ([MS-SMB2] 3.1.4.2). label and context are passed with the
 * terminating NUL that the SMB labels include. out_len is 16 or 32.
 * Returns 0 or -EINVAL. */
int dfsc__crypto_kdf(const uint8_t *key, size_t key_len, const uint8_t *label,
                     size_t label_len, const uint8_t *context, size_t context_len,
                     uint8_t *out, size_t out_len);

/* Session.SigningKey for `dialect` ([MS-SMB2] 3.2.5.3.1): the session key
 * itself for 2.0.2 / 2.1, KDF("SMB2AESCMAC", "SmbSign") for 3.0 / 3.0.2,
 * KDF("SMBSigningKey", preauth hash) for 3.1.1 (preauth may be NULL for
 * other dialects). Returns 0 or -EINVAL for an unknown dialect. */
int dfsc__crypto_derive_signing_key(uint16_t dialect, const uint8_t session_key[16],
                                    const uint8_t *preauth, uint8_t out[16]);

/* All four SMB 3.x session keys. encryption is the client's
 * Session.EncryptionKey (client-to-server), decryption the server-to-client
 * key. cipher_key_len is 16, or 32 for AES-256-CCM/GCM. */
typedef struct dfsc_smb3_keys {
  uint8_t signing[16];
  uint8_t application[16];
  uint8_t encryption[32];
  uint8_t decryption[32];
  size_t cipher_key_len;
} dfsc_smb3_keys;

/* Derives dfsc_smb3_keys for a 3.x dialect and cipher (SMB2_ENCRYPTION_*,
 * 0 when none was negotiated: 128-bit keys). session_key is the full
 * session key (Session.FullSessionKey, at least 16 bytes): its first 16
 * bytes are Session.SessionKey; the whole key feeds the encryption and
 * decryption keys of the AES-256 ciphers. preauth is the 3.1.1 session's
 * preauth integrity hash (ignored for 3.0 / 3.0.2). Returns 0 or -EINVAL
 * (2.x dialect, short key, unknown cipher). */
int dfsc__crypto_derive_keys(uint16_t dialect, uint16_t cipher, const uint8_t *session_key,
                             size_t session_key_len, const uint8_t *preauth,
                             dfsc_smb3_keys *k);

/* hash = SHA-512(hash || msg): one step of the 3.1.1 preauth integrity
 * chain ([MS-SMB2] 3.2.5.2, 3.2.5.3.1); hash starts as 64 zero bytes. */
void dfsc__crypto_preauth_update(uint8_t hash[DFSC_PREAUTH_HASH_SIZE], const uint8_t *msg,
                                 size_t len);

/* Computes the signature of the message pdu[0..len) (header first, a
 * compound member including its padding) and writes it into the header's
 * Signature field. The algorithm: HMAC-SHA256 for dialects below 3.0,
 * AES-128-CMAC for 3.0 / 3.0.2, `alg` (SMB2_SIGNING_*) for 3.1.1. The
 * signature field's old contents are ignored. For AES-GMAC the nonce comes
 * from the header: MessageId, the SERVER_TO_REDIR flag and the CANCEL
 * command. Returns 0, or -EINVAL (len < 64, unknown alg). */
int dfsc__crypto_sign(uint16_t dialect, uint16_t alg, const uint8_t key[16], uint8_t *pdu,
                      size_t len);

/* The same over a message sent in two parts: head (head_len bytes, its
 * Signature field written; head_len - 64 a multiple of 16 when rest_len is
 * not 0) then rest, as a
 * WRITE goes out with its data sent from the caller's buffer. Returns 0 or
 * -EINVAL. */
int dfsc__crypto_sign_split(uint16_t dialect, uint16_t alg, const uint8_t key[16],
                            uint8_t *head, size_t head_len, const uint8_t *rest,
                            size_t rest_len);

/* Checks the Signature field of a received message without modifying it
 * (constant-time compare). Returns 0, DFSC_E_SIGNATURE, or -EINVAL. */
int dfsc__crypto_verify(uint16_t dialect, uint16_t alg, const uint8_t key[16],
                        const uint8_t *pdu, size_t len);

/* The same over a message received in two parts: head (head_len bytes,
 * head_len - 64 a multiple of 16 when rest_len is not 0) then rest
 * (rest_len bytes), as the
 * transport hands a READ whose data went straight to the caller's buffer.
 * Returns 0, DFSC_E_SIGNATURE, or -EINVAL. */
int dfsc__crypto_verify_split(uint16_t dialect, uint16_t alg, const uint8_t key[16],
                              const uint8_t *head, size_t head_len, const uint8_t *rest,
                              size_t rest_len);

/* "nettle 3.8" or "OpenSSL 3.0.19 ...": the library that signs and
 * encrypts messages in this build (CMake DFSC_CRYPTO, crypto_prim.h), for
 * the log line that says which. Static storage. */
const char *dfsc__crypto_backend(void);

/* Key length of an SMB2_ENCRYPTION_* cipher: 16, 32, or 0 if unknown. */
size_t dfsc__crypto_cipher_key_len(uint16_t cipher);

/* Fills a fresh random nonce field for `cipher` from getrandom(2): 11 bytes
 * (CCM) or 12 (GCM), the rest of the 16-byte field zero ([MS-SMB2] 2.2.41).
 * Returns 0, -EINVAL, or -errno. */
int dfsc__crypto_nonce(uint16_t cipher, uint8_t nonce[16]);

/* Encrypts plain[0..plen) into out: a TRANSFORM_HEADER (protocol id,
 * signature = AEAD tag, the 16-byte `nonce` field as given, original size,
 * flags 0x0001, session_id) followed by the ciphertext; out must hold
 * DFSC_TRANSFORM_HDR_SIZE + plen bytes. The cipher uses the first 11 (CCM)
 * or 12 (GCM) nonce bytes and authenticates header bytes 20..51. plain may
 * be out + DFSC_TRANSFORM_HDR_SIZE (in place). Returns 0, -EINVAL (unknown
 * cipher, plen over 4 GiB - 1) or DFSC_E_NOSPACE. */
int dfsc__crypto_encrypt(uint16_t cipher, const uint8_t *key, const uint8_t nonce[16],
                         uint64_t session_id, const uint8_t *plain, size_t plen,
                         uint8_t *out, size_t outcap);

/* Reads the TRANSFORM_HEADER of msg[0..len): the SessionId (to find the
 * key) and OriginalMessageSize. Returns 0 or DFSC_E_PROTO (short message,
 * wrong protocol id, flags not 0x0001, size not len - 52). */
int dfsc__crypto_transform_peek(const uint8_t *msg, size_t len, uint64_t *session_id,
                                uint32_t *orig_size);

/* Verifies and decrypts msg[0..len) (TRANSFORM_HEADER + ciphertext) into
 * plain (cap >= len - 52; plain may be msg + 52, in place) and sets *plen.
 * On a bad tag the output is zeroed. Returns 0, DFSC_E_PROTO (header as in
 * dfsc__crypto_transform_peek), DFSC_E_SIGNATURE (authentication failed),
 * DFSC_E_NOSPACE or -EINVAL (unknown cipher). */
int dfsc__crypto_decrypt(uint16_t cipher, const uint8_t *key, const uint8_t *msg,
                         size_t len, uint8_t *plain, size_t cap, size_t *plen);

/* Where the rest of a message goes, chosen once its first head_len bytes
 * are decrypted (and not yet authenticated): a buffer of rest_len bytes, or
 * NULL for in place. */
typedef uint8_t *(*dfsc__crypto_dst_fn)(void *arg, const uint8_t *head, size_t head_len,
                                        size_t rest_len);

/* Decrypts msg[0..len) in place like dfsc__crypto_decrypt, except that the
 * plaintext after its first `head` bytes (a multiple of 16; else the whole
 * message is the head) goes where choose() says: a READ's data straight
 * into the caller's buffer. On a bad tag both parts are zeroed and
 * DFSC_E_SIGNATURE returned; the caller must then not use either. */
int dfsc__crypto_decrypt_split(uint16_t cipher, const uint8_t *key, uint8_t *msg,
                               size_t len, size_t head, dfsc__crypto_dst_fn choose,
                               void *arg);

#endif
