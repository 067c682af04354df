/* The primitives SMB signing and encryption run on, from one library
 * chosen at build time (CMake DFSC_CRYPTO): nettle (crypto_nettle.c) or
 * OpenSSL's libcrypto (crypto_openssl.c). bench/crypto measured which is
 * faster on the machine at hand; docs/performance.md has the table.
 *
 * Each context lives on the caller's stack for one message and is wiped
 * (and its library state released) by its final call, whatever happened;
 * a context whose init failed needs no final. Key derivation, the preauth
 * hash and the NTLM primitives stay on nettle in every build: they run once
 * per session, not per message.
 *
 * Does not: allocate per byte, keep keys past a message, or compare tags
 * in variable time. */
#ifndef DFSC_SESSION_CRYPTO_PRIM_H
#define DFSC_SESSION_CRYPTO_PRIM_H

#include <stddef.h>
#include <stdint.h>

#if defined(DFSC_CRYPTO_OPENSSL)
typedef struct evp_cipher_ctx_st dfsc__evp_cipher_ctx;
typedef struct evp_mac_ctx_st dfsc__evp_mac_ctx;
typedef struct dfsc__mac {
  int alg;
  dfsc__evp_mac_ctx *m;    /* HMAC-SHA256, AES-CMAC */
  dfsc__evp_cipher_ctx *g; /* AES-GMAC: GCM with associated data only */
} dfsc__mac;
typedef struct dfsc__aead {
  dfsc__evp_cipher_ctx *c;
  int encrypt, ccm;
  int ccm_done; /* CCM: the one payload call was made (and, decrypting,
                   checked the tag) */
  int ccm_ok;   /* ... and succeeded */
  int failed;   /* GCM: an update failed */
} dfsc__aead;
#else
#include <nettle/ccm.h>
#include <nettle/cmac.h>
#include <nettle/gcm.h>
#include <nettle/hmac.h>
typedef struct dfsc__mac {
  int alg;
  union {
    struct hmac_sha256_ctx h;
    struct cmac_aes128_ctx c;
    struct gcm_aes128_ctx g;
  } u;
} dfsc__mac;
typedef struct dfsc__aead {
  uint16_t cipher;
  int encrypt;
  uint8_t expect[16]; /* decrypting: the tag the message carries */
  union {
    struct ccm_aes128_ctx c128;
    struct ccm_aes256_ctx c256;
    struct gcm_aes128_ctx g128;
    struct gcm_aes256_ctx g256;
  } u;
} dfsc__aead;
#endif

/* A message signature: alg is SMB2_SIGNING_HMAC_SHA256 (16-byte key,
 * HMAC-SHA256 truncated by the caller), SMB2_SIGNING_AES_CMAC or
 * SMB2_SIGNING_AES_GMAC (nonce: 12 bytes, GMAC only). Every update but the
 * last must be a multiple of 16 bytes for GMAC. final writes out_len (at
 * most 32 for HMAC, 16 otherwise) bytes. 0, -EINVAL or -ENOMEM. */
int dfsc__mac_init(dfsc__mac *m, int alg, const uint8_t key[16], const uint8_t *nonce);
void dfsc__mac_update(dfsc__mac *m, const uint8_t *p, size_t n);
int dfsc__mac_final(dfsc__mac *m, uint8_t *out, size_t out_len);

/* One AEAD message of msg_len bytes with SMB2_ENCRYPTION_* `cipher`, nonce
 * of 11 (CCM) or 12 (GCM) bytes, aad of aad_len bytes. Decrypting, tag is
 * the tag the message carries, needed up front (OpenSSL's CCM checks it
 * in its single payload call). 0, -EINVAL or -ENOMEM. */
int dfsc__aead_init(dfsc__aead *x, uint16_t cipher, int encrypt, const uint8_t *key,
                    const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                    size_t msg_len, const uint8_t tag[16]);
/* Whether the payload may come in several updates (each but the last a
 * multiple of 16 bytes): nettle always; OpenSSL for GCM, not CCM. */
int dfsc__aead_streams(const dfsc__aead *x);
/* Encrypts or decrypts n bytes (dst may equal src). 0, or -EINVAL for a
 * second update where dfsc__aead_streams says no. */
int dfsc__aead_update(dfsc__aead *x, uint8_t *dst, const uint8_t *src, size_t n);
/* Encrypting: writes the tag into tag (16 bytes), returns 0. Decrypting:
 * returns 0 when the tag matched (constant time), DFSC_E_SIGNATURE when
 * not. Wipes and releases x either way. */
int dfsc__aead_final(dfsc__aead *x, uint8_t tag[16]);

#endif
