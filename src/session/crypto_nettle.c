/* The signing and encryption primitives over nettle (crypto_prim.h). */
#include "session/crypto.h"
#include "session/crypto_prim.h"

#include <errno.h>
#include <string.h>

#include <nettle/memops.h>
#include <nettle/version.h>

#include "core/alloc.h"
#include "dfsc/errors.h"
#include "smb2/smb2.h"

#define STR_(x) #x
#define STR(x) STR_(x)

const char *dfsc__crypto_backend(void) {
  return "nettle " STR(NETTLE_VERSION_MAJOR) "." STR(NETTLE_VERSION_MINOR);
}

int dfsc__mac_init(dfsc__mac *m, int alg, const uint8_t key[16], const uint8_t *nonce) {
  m->alg = alg;
  switch (alg) {
  case SMB2_SIGNING_HMAC_SHA256:
    hmac_sha256_set_key(&m->u.h, 16, key);
    return 0;
  case SMB2_SIGNING_AES_CMAC:
    cmac_aes128_set_key(&m->u.c, key);
    return 0;
  case SMB2_SIGNING_AES_GMAC:
    gcm_aes128_set_key(&m->u.g, key);
    gcm_aes128_set_iv(&m->u.g, 12, nonce);
    return 0;
  default:
    return -EINVAL;
  }
}

void dfsc__mac_update(dfsc__mac *m, const uint8_t *p, size_t n) {
  if (m->alg == SMB2_SIGNING_HMAC_SHA256)
    hmac_sha256_update(&m->u.h, n, p);
  else if (m->alg == SMB2_SIGNING_AES_CMAC)
    cmac_aes128_update(&m->u.c, n, p);
  else
    gcm_aes128_update(&m->u.g, n, p);
}

int dfsc__mac_final(dfsc__mac *m, uint8_t *out, size_t out_len) {
  int rc = 0;
  if (m->alg == SMB2_SIGNING_HMAC_SHA256 && out_len <= SHA256_DIGEST_SIZE)
    hmac_sha256_digest(&m->u.h, out_len, out);
  else if (m->alg == SMB2_SIGNING_AES_CMAC && out_len <= CMAC128_DIGEST_SIZE)
    cmac_aes128_digest(&m->u.c, out_len, out);
  else if (m->alg == SMB2_SIGNING_AES_GMAC && out_len <= GCM_DIGEST_SIZE)
    gcm_aes128_digest(&m->u.g, out_len, out);
  else
    rc = -EINVAL;
  dfsc__wipe(m, sizeof(*m));
  return rc;
}

int dfsc__aead_init(dfsc__aead *x, uint16_t cipher, int encrypt, const uint8_t *key,
                    const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                    size_t msg_len, const uint8_t tag[16]) {
  x->cipher = cipher;
  x->encrypt = encrypt;
  if (!encrypt)
    memcpy(x->expect, tag, 16);
  switch (cipher) {
  case SMB2_ENCRYPTION_AES128_CCM:
    ccm_aes128_set_key(&x->u.c128, key);
    ccm_aes128_set_nonce(&x->u.c128, 11, nonce, aad_len, msg_len, 16);
    ccm_aes128_update(&x->u.c128, aad_len, aad);
    return 0;
  case SMB2_ENCRYPTION_AES256_CCM:
    ccm_aes256_set_key(&x->u.c256, key);
    ccm_aes256_set_nonce(&x->u.c256, 11, nonce, aad_len, msg_len, 16);
    ccm_aes256_update(&x->u.c256, aad_len, aad);
    return 0;
  case SMB2_ENCRYPTION_AES128_GCM:
    gcm_aes128_set_key(&x->u.g128, key);
    gcm_aes128_set_iv(&x->u.g128, 12, nonce);
    gcm_aes128_update(&x->u.g128, aad_len, aad);
    return 0;
  case SMB2_ENCRYPTION_AES256_GCM:
    gcm_aes256_set_key(&x->u.g256, key);
    gcm_aes256_set_iv(&x->u.g256, 12, nonce);
    gcm_aes256_update(&x->u.g256, aad_len, aad);
    return 0;
  default:
    dfsc__wipe(x, sizeof(*x));
    return -EINVAL;
  }
}

int dfsc__aead_streams(const dfsc__aead *x) {
  (void)x;
  return 1;
}

int dfsc__aead_update(dfsc__aead *x, uint8_t *dst, const uint8_t *src, size_t n) {
  int e = x->encrypt;
  if (n == 0) /* nettle wants no empty part after an unaligned one */
    return 0;
  switch (x->cipher) {
  case SMB2_ENCRYPTION_AES128_CCM:
    (e ? ccm_aes128_encrypt : ccm_aes128_decrypt)(&x->u.c128, n, dst, src);
    break;
  case SMB2_ENCRYPTION_AES256_CCM:
    (e ? ccm_aes256_encrypt : ccm_aes256_decrypt)(&x->u.c256, n, dst, src);
    break;
  case SMB2_ENCRYPTION_AES128_GCM:
    (e ? gcm_aes128_encrypt : gcm_aes128_decrypt)(&x->u.g128, n, dst, src);
    break;
  default:
    (e ? gcm_aes256_encrypt : gcm_aes256_decrypt)(&x->u.g256, n, dst, src);
    break;
  }
  return 0;
}

int dfsc__aead_final(dfsc__aead *x, uint8_t tag[16]) {
  uint8_t t[16];
  int rc = 0;
  switch (x->cipher) {
  case SMB2_ENCRYPTION_AES128_CCM:
    ccm_aes128_digest(&x->u.c128, 16, t);
    break;
  case SMB2_ENCRYPTION_AES256_CCM:
    ccm_aes256_digest(&x->u.c256, 16, t);
    break;
  case SMB2_ENCRYPTION_AES128_GCM:
    gcm_aes128_digest(&x->u.g128, 16, t);
    break;
  default:
    gcm_aes256_digest(&x->u.g256, 16, t);
    break;
  }
  if (x->encrypt)
    memcpy(tag, t, 16);
  else if (!memeql_sec(t, x->expect, 16))
    rc = DFSC_E_SIGNATURE;
  dfsc__wipe(t, sizeof(t));
  dfsc__wipe(x, sizeof(*x));
  return rc;
}
