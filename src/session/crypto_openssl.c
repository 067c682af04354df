/* The signing and encryption primitives over OpenSSL 3's libcrypto
 * (crypto_prim.h): EVP ciphers for AES-GCM, AES-CCM and AES-GMAC, EVP_MAC
 * for HMAC-SHA256 and AES-CMAC.
 *
 * The algorithm objects are fetched once per process (pthread_once) and
 * shared: OpenSSL allows that from any thread. Each message then gets a
 * context of its own, released by its final call. A failed fetch (a
 * libcrypto without its default provider) fails every init with -ENOMEM,
 * which fails the message as a lack of memory would. */
#include "session/crypto.h"
#include "session/crypto_prim.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "dfsc/errors.h"
#include "smb2/smb2.h"

/* The fetched algorithms; MAC templates keyed with a zero key whose
 * copies get the message's key (keeps the cipher/digest lookup of
 * EVP_MAC_init's parameters out of the per-message path). */
static struct {
  EVP_CIPHER *gcm128, *gcm256, *ccm128, *ccm256;
  EVP_MAC_CTX *hmac, *cmac;
  int ok;
} algs;
static pthread_once_t algs_once = PTHREAD_ONCE_INIT;

static EVP_MAC_CTX *mac_template(const char *name, const char *param, const char *value) {
  static const unsigned char zero[16];
  EVP_MAC *mac = EVP_MAC_fetch(NULL, name, NULL);
  EVP_MAC_CTX *c = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
  OSSL_PARAM p[2];

  EVP_MAC_free(mac); /* the context keeps its own reference */
  if (c == NULL)
    return NULL;
  p[0] = OSSL_PARAM_construct_utf8_string(param, (char *)value, 0);
  p[1] = OSSL_PARAM_construct_end();
  if (EVP_MAC_init(c, zero, sizeof(zero), p) != 1) {
    EVP_MAC_CTX_free(c);
    return NULL;
  }
  return c;
}

static void algs_fetch(void) {
  algs.gcm128 = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
  algs.gcm256 = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
  algs.ccm128 = EVP_CIPHER_fetch(NULL, "AES-128-CCM", NULL);
  algs.ccm256 = EVP_CIPHER_fetch(NULL, "AES-256-CCM", NULL);
  algs.hmac = mac_template("HMAC", OSSL_MAC_PARAM_DIGEST, "SHA256");
  algs.cmac = mac_template("CMAC", OSSL_MAC_PARAM_CIPHER, "AES-128-CBC");
  algs.ok =
      algs.gcm128 && algs.gcm256 && algs.ccm128 && algs.ccm256 && algs.hmac && algs.cmac;
}

static int algs_ready(void) { return pthread_once(&algs_once, algs_fetch) == 0 && algs.ok; }

/* The library running, not the headers built against. */
const char *dfsc__crypto_backend(void) { return OpenSSL_version(OPENSSL_VERSION); }

/* ---- MACs ------------------------------------------------------------- */

int dfsc__mac_init(dfsc__mac *m, int alg, const uint8_t key[16], const uint8_t *nonce) {
  memset(m, 0, sizeof(*m));
  m->alg = alg;
  if (alg != SMB2_SIGNING_HMAC_SHA256 && alg != SMB2_SIGNING_AES_CMAC &&
      alg != SMB2_SIGNING_AES_GMAC)
    return -EINVAL;
  if (!algs_ready())
    return -ENOMEM;
  if (alg == SMB2_SIGNING_AES_GMAC) {
    /* GMAC is GCM whose whole input is associated data (RFC 4543). */
    m->g = EVP_CIPHER_CTX_new();
    if (m->g == NULL || EVP_EncryptInit_ex2(m->g, algs.gcm128, key, nonce, NULL) != 1) {
      EVP_CIPHER_CTX_free(m->g);
      m->g = NULL;
      return -ENOMEM;
    }
    return 0;
  }
  m->m = EVP_MAC_CTX_dup(alg == SMB2_SIGNING_HMAC_SHA256 ? algs.hmac : algs.cmac);
  if (m->m == NULL || EVP_MAC_init(m->m, key, 16, NULL) != 1) {
    EVP_MAC_CTX_free(m->m);
    m->m = NULL;
    return -ENOMEM;
  }
  return 0;
}

void dfsc__mac_update(dfsc__mac *m, const uint8_t *p, size_t n) {
  int outl;
  if (n == 0)
    return;
  /* A failed update leaves the context so that final fails. */
  if (m->g != NULL) {
    while (n > 0) { /* EVP takes int lengths */
      int k = n > (1u << 30) ? (1 << 30) : (int)n;
      if (EVP_EncryptUpdate(m->g, NULL, &outl, p, k) != 1) {
        m->alg = -1;
        return;
      }
      p += k;
      n -= (size_t)k;
    }
  } else if (m->m != NULL && EVP_MAC_update(m->m, p, n) != 1) {
    m->alg = -1;
  }
}

int dfsc__mac_final(dfsc__mac *m, uint8_t *out, size_t out_len) {
  unsigned char full[EVP_MAX_MD_SIZE];
  size_t got = 0;
  int outl, rc = -EINVAL;

  if (m->alg == SMB2_SIGNING_AES_GMAC && m->g != NULL && out_len <= 16) {
    if (EVP_EncryptFinal_ex(m->g, full, &outl) == 1 &&
        EVP_CIPHER_CTX_ctrl(m->g, EVP_CTRL_AEAD_GET_TAG, 16, full) == 1) {
      memcpy(out, full, out_len);
      rc = 0;
    }
  } else if (m->alg >= 0 && m->m != NULL &&
             EVP_MAC_final(m->m, full, &got, sizeof(full)) == 1 && out_len <= got) {
    memcpy(out, full, out_len);
    rc = 0;
  }
  OPENSSL_cleanse(full, sizeof(full));
  EVP_CIPHER_CTX_free(m->g); /* frees wipe the key schedule */
  EVP_MAC_CTX_free(m->m);
  OPENSSL_cleanse(m, sizeof(*m));
  return rc;
}

/* ---- AEAD ------------------------------------------------------------- */

int dfsc__aead_init(dfsc__aead *x, uint16_t cipher, int encrypt, const uint8_t *key,
                    const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                    size_t msg_len, const uint8_t tag[16]) {
  const EVP_CIPHER *c;
  int outl, ok;

  memset(x, 0, sizeof(*x));
  switch (cipher) {
  case SMB2_ENCRYPTION_AES128_GCM:
    c = algs_ready() ? algs.gcm128 : NULL;
    break;
  case SMB2_ENCRYPTION_AES256_GCM:
    c = algs_ready() ? algs.gcm256 : NULL;
    break;
  case SMB2_ENCRYPTION_AES128_CCM:
    c = algs_ready() ? algs.ccm128 : NULL;
    x->ccm = 1;
    break;
  case SMB2_ENCRYPTION_AES256_CCM:
    c = algs_ready() ? algs.ccm256 : NULL;
    x->ccm = 1;
    break;
  default:
    return -EINVAL;
  }
  if (c == NULL || msg_len > INT32_MAX || aad_len > INT32_MAX)
    return c == NULL ? -ENOMEM : -EINVAL;
  x->encrypt = encrypt;
  x->c = EVP_CIPHER_CTX_new();
  if (x->c == NULL)
    return -ENOMEM;
  if (x->ccm) {
    /* CCM: nonce and tag lengths before the key, the message length before
     * the associated data ([MS-SMB2] 3.1.4.3: 11-byte nonce, 16-byte tag). */
    ok = EVP_CipherInit_ex2(x->c, c, NULL, NULL, encrypt, NULL) == 1 &&
         EVP_CIPHER_CTX_ctrl(x->c, EVP_CTRL_AEAD_SET_IVLEN, 11, NULL) == 1 &&
         EVP_CIPHER_CTX_ctrl(x->c, EVP_CTRL_AEAD_SET_TAG, 16,
                             encrypt ? NULL : (void *)(uintptr_t)tag) == 1 &&
         EVP_CipherInit_ex2(x->c, NULL, key, nonce, encrypt, NULL) == 1 &&
         EVP_CipherUpdate(x->c, NULL, &outl, NULL, (int)msg_len) == 1;
  } else {
    ok = EVP_CipherInit_ex2(x->c, c, key, nonce, encrypt, NULL) == 1 &&
         (encrypt || EVP_CIPHER_CTX_ctrl(x->c, EVP_CTRL_AEAD_SET_TAG, 16,
                                         (void *)(uintptr_t)tag) == 1);
  }
  if (ok && aad_len > 0)
    ok = EVP_CipherUpdate(x->c, NULL, &outl, aad, (int)aad_len) == 1;
  if (!ok) {
    EVP_CIPHER_CTX_free(x->c);
    x->c = NULL;
    return -ENOMEM;
  }
  return 0;
}

int dfsc__aead_streams(const dfsc__aead *x) { return !x->ccm; }

int dfsc__aead_update(dfsc__aead *x, uint8_t *dst, const uint8_t *src, size_t n) {
  int outl;
  if (x->ccm) {
    /* One payload call, which when decrypting also checks the tag (and
     * clears dst when it does not match). */
    if (x->ccm_done)
      return -EINVAL;
    x->ccm_done = 1;
    x->ccm_ok = EVP_CipherUpdate(x->c, dst, &outl, src, (int)n) == 1;
    return 0;
  }
  if (n > 0 && EVP_CipherUpdate(x->c, dst, &outl, src, (int)n) != 1)
    x->failed = 1;
  return 0;
}

int dfsc__aead_final(dfsc__aead *x, uint8_t tag[16]) {
  unsigned char tail[16] = {0};
  int outl, rc = 0;

  if (x->ccm && !x->ccm_done) /* an empty message: the one call still comes */
    (void)dfsc__aead_update(x, tail, tail, 0);
  if (x->ccm && !x->ccm_ok)
    rc = x->encrypt ? -EINVAL : DFSC_E_SIGNATURE;
  else if (x->failed)
    rc = -EINVAL;
  else if (EVP_CipherFinal_ex(x->c, tail, &outl) != 1)
    rc = x->encrypt ? -EINVAL : DFSC_E_SIGNATURE; /* GCM: the tag did not match */
  if (rc == 0 && x->encrypt &&
      EVP_CIPHER_CTX_ctrl(x->c, EVP_CTRL_AEAD_GET_TAG, 16, tag) != 1)
    rc = -EINVAL;
  EVP_CIPHER_CTX_free(x->c);
  OPENSSL_cleanse(x, sizeof(*x));
  return rc;
}
