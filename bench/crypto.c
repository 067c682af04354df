/* bench/crypto: nettle, OpenSSL (libcrypto 3) and GnuTLS side by side, on the running
 * machine, for the primitives SMB2/3 signs and encrypts with.
 *
 * What SMB uses. Signing, [MS-SMB2] 3.1.4.1: HMAC-SHA256 for 2.0.2 and 2.1 (first 16 bytes
 * of the digest), AES-128-CMAC for 3.0 and 3.0.2, and for 3.1.1 whichever was negotiated,
 * AES-128-GMAC among them (GCM with the whole message as associated data and no plaintext,
 * a 12-byte nonce built from MessageId). Encryption, [MS-SMB2] 2.2.41 and 3.1.4.3: the
 * message after a TRANSFORM_HEADER under AES-128/256-CCM (11-byte nonce) or -GCM (12-byte
 * nonce), the 32 header bytes from Nonce through SessionId as associated data, the 16-byte
 * tag in Signature.
 *
 * One timed message is what the client does per PDU: set the key (key schedule included:
 * src/session/crypto.c keys a fresh context for every message), set the nonce, process
 * the associated data and the data, produce or check the tag. Before anything is timed,
 * every library's output is compared with the others' and with one published vector per
 * primitive family, and every decryption must accept every library's message and refuse
 * one with a flipped tag or ciphertext bit; any difference ends the run with status 1.
 * A probe also records whether each library can decrypt one message into two separate
 * buffers (a READ's header into one, its data straight into the caller's).
 *
 * Does not: time src/session/crypto.c itself, key derivation, the SHA-512 preauth hash,
 * in-place operation (every library reads one buffer and writes another), the wipe of a
 * context after each message, or more than one thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <nettle/ccm.h>
#include <nettle/cmac.h>
#include <nettle/gcm.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <nettle/version.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define NLIBS 3
#define NSIZES 4
#define ROUNDS 3
#define MAX_MSG (1u << 20)
#define TAG_LEN 16       /* TRANSFORM_HEADER Signature, [MS-SMB2] 2.2.41 */
#define AAD_LEN 32       /* TRANSFORM_HEADER from Nonce through SessionId */
#define CCM_NONCE_LEN 11 /* [MS-SMB2] 2.2.41: AES-CCM uses 11 of the 16 Nonce bytes */
#define GCM_NONCE_LEN 12 /* AES-GCM uses 12; GMAC signing's nonce is 12 too (3.1.4.1) */
#define HMAC_LEN 32      /* SMB keeps 16 bytes; the whole digest is computed anyway */
#define SIGN_KEY_LEN 16
#define SPLIT_HEAD 80 /* SMB2 header + READ response body: where a READ's data begins */
#define SPLIT_LEN 4096
#define BATCH_BYTES 65536     /* clock read every this many bytes (or every message) */
#define ITER_CAP (1ull << 26) /* per round, whatever --time says */
#define MAX_SECONDS 60.0
#define QUICK_SECONDS 0.003
#define DEFAULT_SECONDS 0.3
#define KAT_MAX 128
#define TIE 0.03 /* see print_fastest() */

enum alg { A_GCM128, A_GCM256, A_CCM128, A_CCM256, A_GMAC, A_CMAC, A_HMAC };

struct row {
  const char *name;
  enum alg alg;
  int encrypt; /* AEAD rows: 1 encrypt, 0 decrypt; MAC rows: 1 */
  int mac;
};

static const struct row rows[] = {
    {"AES-128-GCM encrypt", A_GCM128, 1, 0},
    {"AES-128-GCM decrypt", A_GCM128, 0, 0},
    {"AES-256-GCM encrypt", A_GCM256, 1, 0},
    {"AES-256-GCM decrypt", A_GCM256, 0, 0},
    {"AES-128-CCM encrypt", A_CCM128, 1, 0},
    {"AES-128-CCM decrypt", A_CCM128, 0, 0},
    {"AES-256-CCM encrypt", A_CCM256, 1, 0},
    {"AES-256-CCM decrypt", A_CCM256, 0, 0},
    {"AES-128-GMAC (3.1.1 signing)", A_GMAC, 1, 1},
    {"AES-128-CMAC (3.0 signing)", A_CMAC, 1, 1},
    {"HMAC-SHA256 (2.x signing)", A_HMAC, 1, 1},
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

static const size_t sizes[NSIZES] = {64, 4096, 65536, MAX_MSG};
static const char *const size_names[NSIZES] = {"64 B", "4 KiB", "64 KiB", "1 MiB"};
/* Odd lengths checked on top of the timed ones: partial blocks, several of them. */
static const size_t extra_check_sizes[] = {1, 17, 1000};

/* One AEAD message. ct holds the ciphertext followed by the tag, the layout
 * gnutls_aead_cipher_encrypt/decrypt want; nettle and OpenSSL read and write the tag at
 * ct + len. (SMB keeps the tag in the header instead; GnuTLS would then need its in-place
 * *v2 calls, which the split probe exercises.) */
struct aead_msg {
  enum alg alg;
  const uint8_t *key;
  const uint8_t *nonce;
  size_t nonce_len;
  const uint8_t *aad;
  size_t aad_len;
  size_t len;
  size_t tag_len;
  uint8_t *pt; /* len bytes: read by encrypt, written by decrypt */
  uint8_t *ct; /* len + tag_len bytes: written by encrypt, read by decrypt */
};

struct mac_msg {
  enum alg alg;
  const uint8_t *key;
  size_t key_len;
  const uint8_t *nonce; /* GMAC only: GCM_NONCE_LEN bytes */
  const uint8_t *data;
  size_t len;
  uint8_t *out; /* 16 bytes, HMAC_LEN for HMAC */
};

/* Split probe results. */
enum split { SPLIT_NA, SPLIT_YES, SPLIT_IN_PLACE, SPLIT_NO };

struct lib {
  const char *name;
  const char *json;
  int (*has)(enum alg a);
  /* 0 on success; nonzero when refused, and for decrypt when the tag does not verify. */
  int (*aead)(int encrypt, const struct aead_msg *m);
  int (*mac)(const struct mac_msg *m);
  /* Decrypts m->ct: its first head bytes into m->pt, the rest into rest. */
  enum split (*split)(const struct aead_msg *m, size_t head, uint8_t *rest);
};

static size_t key_len(enum alg a) { return a == A_GCM256 || a == A_CCM256 ? 32 : 16; }
static int is_ccm(enum alg a) { return a == A_CCM128 || a == A_CCM256; }
static size_t mac_len(enum alg a) { return a == A_HMAC ? HMAC_LEN : 16; }

/* ---- nettle ------------------------------------------------------------- */

/* A fresh stack context per message, as src/session/crypto.c does. */
union nettle_ctx {
  struct gcm_aes128_ctx g128;
  struct gcm_aes256_ctx g256;
  struct ccm_aes128_ctx c128;
  struct ccm_aes256_ctx c256;
};

static int nettle_has(enum alg a) {
  (void)a;
  return 1;
}

static void nettle_start(union nettle_ctx *x, const struct aead_msg *m) {
  switch (m->alg) {
  case A_GCM128:
    gcm_aes128_set_key(&x->g128, m->key);
    gcm_aes128_set_iv(&x->g128, m->nonce_len, m->nonce);
    gcm_aes128_update(&x->g128, m->aad_len, m->aad);
    break;
  case A_GCM256:
    gcm_aes256_set_key(&x->g256, m->key);
    gcm_aes256_set_iv(&x->g256, m->nonce_len, m->nonce);
    gcm_aes256_update(&x->g256, m->aad_len, m->aad);
    break;
  case A_CCM128:
    ccm_aes128_set_key(&x->c128, m->key);
    ccm_aes128_set_nonce(&x->c128, m->nonce_len, m->nonce, m->aad_len, m->len, m->tag_len);
    ccm_aes128_update(&x->c128, m->aad_len, m->aad);
    break;
  default:
    ccm_aes256_set_key(&x->c256, m->key);
    ccm_aes256_set_nonce(&x->c256, m->nonce_len, m->nonce, m->aad_len, m->len, m->tag_len);
    ccm_aes256_update(&x->c256, m->aad_len, m->aad);
    break;
  }
}

/* Every part but the last must be a multiple of 16 bytes. */
static void nettle_crypt(union nettle_ctx *x, enum alg a, int encrypt, size_t len,
                         uint8_t *dst, const uint8_t *src) {
  switch (a) {
  case A_GCM128:
    (encrypt ? gcm_aes128_encrypt : gcm_aes128_decrypt)(&x->g128, len, dst, src);
    break;
  case A_GCM256:
    (encrypt ? gcm_aes256_encrypt : gcm_aes256_decrypt)(&x->g256, len, dst, src);
    break;
  case A_CCM128:
    (encrypt ? ccm_aes128_encrypt : ccm_aes128_decrypt)(&x->c128, len, dst, src);
    break;
  default:
    (encrypt ? ccm_aes256_encrypt : ccm_aes256_decrypt)(&x->c256, len, dst, src);
    break;
  }
}

static void nettle_digest(union nettle_ctx *x, enum alg a, size_t len, uint8_t *tag) {
  switch (a) {
  case A_GCM128:
    gcm_aes128_digest(&x->g128, len, tag);
    break;
  case A_GCM256:
    gcm_aes256_digest(&x->g256, len, tag);
    break;
  case A_CCM128:
    ccm_aes128_digest(&x->c128, len, tag);
    break;
  default:
    ccm_aes256_digest(&x->c256, len, tag);
    break;
  }
}

static int nettle_aead(int encrypt, const struct aead_msg *m) {
  union nettle_ctx x;
  uint8_t tag[TAG_LEN];

  if (m->tag_len > TAG_LEN)
    return -1;
  nettle_start(&x, m);
  if (encrypt) {
    nettle_crypt(&x, m->alg, 1, m->len, m->ct, m->pt);
    nettle_digest(&x, m->alg, m->tag_len, m->ct + m->len);
    return 0;
  }
  nettle_crypt(&x, m->alg, 0, m->len, m->pt, m->ct);
  nettle_digest(&x, m->alg, m->tag_len, tag);
  return memeql_sec(tag, m->ct + m->len, m->tag_len) ? 0 : -1;
}

static int nettle_mac(const struct mac_msg *m) {
  switch (m->alg) {
  case A_GMAC: {
    struct gcm_aes128_ctx g;
    gcm_aes128_set_key(&g, m->key);
    gcm_aes128_set_iv(&g, GCM_NONCE_LEN, m->nonce);
    gcm_aes128_update(&g, m->len, m->data);
    gcm_aes128_digest(&g, GCM_DIGEST_SIZE, m->out);
    return 0;
  }
  case A_CMAC: {
    struct cmac_aes128_ctx c;
    cmac_aes128_set_key(&c, m->key);
    cmac_aes128_update(&c, m->len, m->data);
    cmac_aes128_digest(&c, CMAC128_DIGEST_SIZE, m->out);
    return 0;
  }
  case A_HMAC: {
    struct hmac_sha256_ctx h;
    hmac_sha256_set_key(&h, m->key_len, m->key);
    hmac_sha256_update(&h, m->len, m->data);
    hmac_sha256_digest(&h, SHA256_DIGEST_SIZE, m->out);
    return 0;
  }
  default:
    return -1;
  }
}

static enum split nettle_split(const struct aead_msg *m, size_t head, uint8_t *rest) {
  union nettle_ctx x;
  uint8_t tag[TAG_LEN];

  nettle_start(&x, m);
  nettle_crypt(&x, m->alg, 0, head, m->pt, m->ct);
  nettle_crypt(&x, m->alg, 0, m->len - head, rest, m->ct + head);
  nettle_digest(&x, m->alg, m->tag_len, tag);
  return memeql_sec(tag, m->ct + m->len, m->tag_len) ? SPLIT_YES : SPLIT_NO;
}

/* ---- OpenSSL ------------------------------------------------------------ */

/* Fetched once up front. Per message the one context of a cipher is reused and rekeyed
 * with EVP_CipherInit_ex2(ctx, NULL, key, nonce, ...), the cipher staying bound: the
 * fastest of the ways tried while writing this (passing the cipher again on every init,
 * or a new EVP_CIPHER_CTX per message, cost about 20% at 64 bytes and nothing measurable
 * at 64 KiB). The MACs likewise reuse one EVP_MAC_CTX, EVP_MAC_init() with the new key. */
static const char *const ossl_cipher_names[4] = {"AES-128-GCM", "AES-256-GCM",
                                                 "AES-128-CCM", "AES-256-CCM"};
static struct {
  EVP_CIPHER *cipher[4];
  EVP_CIPHER_CTX *ctx[4];
  size_t ccm_nonce_len[4], ccm_tag_len[4]; /* what a CCM context is shaped for */
  EVP_MAC *cmac, *hmac;
  EVP_MAC_CTX *cmac_ctx, *hmac_ctx;
} ossl;

static int ossl_open(void) {
  char cbc[] = "AES-128-CBC", sha[] = "SHA256";
  OSSL_PARAM p[2] = {OSSL_PARAM_END, OSSL_PARAM_END};
  int i;

  for (i = 0; i < 4; i++) {
    ossl.cipher[i] = EVP_CIPHER_fetch(NULL, ossl_cipher_names[i], NULL);
    if (ossl.cipher[i] == NULL)
      continue; /* n/a */
    ossl.ctx[i] = EVP_CIPHER_CTX_new();
    if (ossl.ctx[i] == NULL ||
        EVP_EncryptInit_ex2(ossl.ctx[i], ossl.cipher[i], NULL, NULL, NULL) != 1)
      return -1;
  }
  ossl.cmac = EVP_MAC_fetch(NULL, "CMAC", NULL);
  if (ossl.cmac != NULL) {
    ossl.cmac_ctx = EVP_MAC_CTX_new(ossl.cmac);
    p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cbc, 0);
    if (ossl.cmac_ctx == NULL || EVP_MAC_CTX_set_params(ossl.cmac_ctx, p) != 1)
      return -1;
  }
  ossl.hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  if (ossl.hmac != NULL) {
    ossl.hmac_ctx = EVP_MAC_CTX_new(ossl.hmac);
    p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, sha, 0);
    if (ossl.hmac_ctx == NULL || EVP_MAC_CTX_set_params(ossl.hmac_ctx, p) != 1)
      return -1;
  }
  return 0;
}

static void ossl_close(void) {
  int i;
  for (i = 0; i < 4; i++) {
    EVP_CIPHER_CTX_free(ossl.ctx[i]);
    EVP_CIPHER_free(ossl.cipher[i]);
  }
  EVP_MAC_CTX_free(ossl.cmac_ctx);
  EVP_MAC_CTX_free(ossl.hmac_ctx);
  EVP_MAC_free(ossl.cmac);
  EVP_MAC_free(ossl.hmac);
}

static int ossl_has(enum alg a) {
  switch (a) {
  case A_GMAC:
    return ossl.ctx[A_GCM128] != NULL;
  case A_CMAC:
    return ossl.cmac_ctx != NULL;
  case A_HMAC:
    return ossl.hmac_ctx != NULL;
  default:
    return ossl.ctx[a] != NULL;
  }
}

/* CCM's nonce and tag lengths are context state: set them only when they change (the
 * known-answer vectors use other lengths than SMB). */
static int ossl_ccm_shape(enum alg a, size_t nonce_len, size_t tag_len) {
  OSSL_PARAM p[3];

  if (ossl.ccm_nonce_len[a] == nonce_len && ossl.ccm_tag_len[a] == tag_len)
    return 0;
  p[0] = OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, &nonce_len);
  p[1] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, NULL, tag_len);
  p[2] = OSSL_PARAM_construct_end();
  if (EVP_EncryptInit_ex2(ossl.ctx[a], NULL, NULL, NULL, p) != 1)
    return -1;
  ossl.ccm_nonce_len[a] = nonce_len;
  ossl.ccm_tag_len[a] = tag_len;
  return 0;
}

/* Keys the context and feeds the associated data; for decryption the expected tag goes
 * in with the key (CCM checks it inside the one payload update, GCM in Final). */
static int ossl_start(const struct aead_msg *m, int encrypt) {
  EVP_CIPHER_CTX *x = ossl.ctx[m->alg];
  OSSL_PARAM p[2] = {OSSL_PARAM_END, OSSL_PARAM_END};
  int n;

  if (m->len > INT_MAX || m->aad_len > INT_MAX)
    return -1;
  if (is_ccm(m->alg) ? ossl_ccm_shape(m->alg, m->nonce_len, m->tag_len) != 0
                     : m->nonce_len != GCM_NONCE_LEN)
    return -1;
  if (!encrypt)
    p[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, m->ct + m->len,
                                             m->tag_len);
  if (EVP_CipherInit_ex2(x, NULL, m->key, m->nonce, encrypt, p) != 1)
    return -1;
  /* CCM must know the payload length before the associated data. */
  if (is_ccm(m->alg) && EVP_CipherUpdate(x, NULL, &n, NULL, (int)m->len) != 1)
    return -1;
  if (m->aad_len > 0 && EVP_CipherUpdate(x, NULL, &n, m->aad, (int)m->aad_len) != 1)
    return -1;
  return 0;
}

static int ossl_aead(int encrypt, const struct aead_msg *m) {
  EVP_CIPHER_CTX *x = ossl.ctx[m->alg];
  OSSL_PARAM p[2] = {OSSL_PARAM_END, OSSL_PARAM_END};
  uint8_t *out = encrypt ? m->ct : m->pt;
  int n, fin;

  if (ossl_start(m, encrypt) != 0)
    return -1;
  if (EVP_CipherUpdate(x, out, &n, encrypt ? m->pt : m->ct, (int)m->len) != 1 ||
      (size_t)n != m->len)
    return -1;
  if (EVP_CipherFinal_ex(x, out + n, &fin) != 1)
    return -1;
  if (!encrypt)
    return 0;
  p[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, m->ct + m->len,
                                           m->tag_len);
  return EVP_CIPHER_CTX_get_params(x, p) == 1 ? 0 : -1;
}

/* GMAC as GCM with only associated data through the cipher context: faster than
 * EVP_MAC "GMAC" at small sizes (that sets the nonce through parameters). */
static int ossl_gmac(const struct mac_msg *m) {
  EVP_CIPHER_CTX *x = ossl.ctx[A_GCM128];
  OSSL_PARAM p[2] = {OSSL_PARAM_END, OSSL_PARAM_END};
  uint8_t none[16];
  int n;

  if (m->len > INT_MAX || EVP_EncryptInit_ex2(x, NULL, m->key, m->nonce, NULL) != 1)
    return -1;
  if (m->len > 0 && EVP_EncryptUpdate(x, NULL, &n, m->data, (int)m->len) != 1)
    return -1;
  if (EVP_EncryptFinal_ex(x, none, &n) != 1)
    return -1;
  p[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, m->out, 16);
  return EVP_CIPHER_CTX_get_params(x, p) == 1 ? 0 : -1;
}

static int ossl_mac(const struct mac_msg *m) {
  EVP_MAC_CTX *c = m->alg == A_CMAC ? ossl.cmac_ctx : ossl.hmac_ctx;
  size_t n = 0;

  if (m->alg == A_GMAC)
    return ossl_gmac(m);
  if (EVP_MAC_init(c, m->key, m->key_len, NULL) != 1 ||
      EVP_MAC_update(c, m->data, m->len) != 1 ||
      EVP_MAC_final(c, m->out, &n, mac_len(m->alg)) != 1)
    return -1;
  return n == mac_len(m->alg) ? 0 : -1;
}

/* Two payload updates into two buffers. GCM takes them; CCM (CRYPTO_ccm128_*) wants the
 * whole payload in one update of the length announced up front, so the first fails. */
static enum split ossl_split(const struct aead_msg *m, size_t head, uint8_t *rest) {
  EVP_CIPHER_CTX *x = ossl.ctx[m->alg];
  int n, fin;

  if (ossl_start(m, 0) != 0)
    return SPLIT_NO;
  if (EVP_CipherUpdate(x, m->pt, &n, m->ct, (int)head) != 1 || (size_t)n != head)
    return SPLIT_NO;
  if (EVP_CipherUpdate(x, rest, &n, m->ct + head, (int)(m->len - head)) != 1 ||
      (size_t)n != m->len - head)
    return SPLIT_NO;
  return EVP_CipherFinal_ex(x, rest + n, &fin) == 1 ? SPLIT_YES : SPLIT_NO;
}

/* ---- GnuTLS ------------------------------------------------------------- */

/* One AEAD handle per cipher made up front and rekeyed per message with
 * gnutls_aead_cipher_set_key() (cheaper than init/deinit per message at small sizes)
 * where rekeying works. It does not for GCM in GnuTLS 3.7.9 on x86-64 with PCLMUL: its
 * setkey derives the GHASH key by encrypting the previous one instead of a zero block,
 * so every tag after a rekey is wrong. gtls_open() probes each cipher; one that fails
 * gets a fresh handle (init/deinit) per message.
 * GMAC goes through the AES-128-GCM AEAD with the data as associated data:
 * GNUTLS_MAC_AES_GMAC_128 through gnutls_hmac_* reaches nettle's GHASH instead of
 * GnuTLS's own accelerated GCM and ran at about half the speed on x86-64 while this was
 * written. CMAC and HMAC use gnutls_hmac_fast(). */
static const gnutls_cipher_algorithm_t gtls_ciphers[4] = {
    GNUTLS_CIPHER_AES_128_GCM, GNUTLS_CIPHER_AES_256_GCM, GNUTLS_CIPHER_AES_128_CCM,
    GNUTLS_CIPHER_AES_256_CCM};
static struct {
  gnutls_aead_cipher_hd_t h[4];
  int rekey_ok[4];
  int cmac, hmac;
} gtls;

/* Whether the handle, keyed at init and then rekeyed, encrypts as a fresh one does. */
static int gtls_rekey_works(int i) {
  uint8_t k1[32], nonce[GCM_NONCE_LEN] = {1}, pt[48] = {2}, a[64], b[64];
  gnutls_datum_t d1 = {k1, (unsigned)key_len((enum alg)i)};
  size_t na = sizeof(a), nb = sizeof(b);
  size_t nlen = is_ccm((enum alg)i) ? CCM_NONCE_LEN : GCM_NONCE_LEN;
  gnutls_aead_cipher_hd_t fresh;
  int ok;

  memset(k1, 0x5a, sizeof(k1));
  if (gnutls_aead_cipher_init(&fresh, gtls_ciphers[i], &d1) < 0)
    return 0;
  ok = gnutls_aead_cipher_set_key(gtls.h[i], &d1) == 0 &&
       gnutls_aead_cipher_encrypt(gtls.h[i], nonce, nlen, NULL, 0, TAG_LEN, pt, sizeof(pt),
                                  a, &na) == 0 &&
       gnutls_aead_cipher_encrypt(fresh, nonce, nlen, NULL, 0, TAG_LEN, pt, sizeof(pt), b,
                                  &nb) == 0 &&
       na == nb && memcmp(a, b, na) == 0;
  gnutls_aead_cipher_deinit(fresh);
  return ok;
}

static int gtls_open(void) {
  uint8_t zero[32] = {0}, out[HMAC_LEN];
  gnutls_datum_t k = {zero, 0};
  int i;

  for (i = 0; i < 4; i++) {
    k.size = (unsigned)key_len((enum alg)i);
    if (gnutls_aead_cipher_init(&gtls.h[i], gtls_ciphers[i], &k) < 0)
      gtls.h[i] = NULL; /* n/a */
    else
      gtls.rekey_ok[i] = gtls_rekey_works(i);
  }
  gtls.cmac = gnutls_hmac_fast(GNUTLS_MAC_AES_CMAC_128, zero, 16, zero, 16, out) == 0;
  gtls.hmac = gnutls_hmac_fast(GNUTLS_MAC_SHA256, zero, 16, zero, 16, out) == 0;
  return 0;
}

static void gtls_close(void) {
  int i;
  for (i = 0; i < 4; i++)
    if (gtls.h[i] != NULL)
      gnutls_aead_cipher_deinit(gtls.h[i]);
}

static int gtls_has(enum alg a) {
  switch (a) {
  case A_GMAC:
    return gtls.h[A_GCM128] != NULL;
  case A_CMAC:
    return gtls.cmac;
  case A_HMAC:
    return gtls.hmac;
  default:
    return gtls.h[a] != NULL;
  }
}

/* A handle keyed with key: the shared one rekeyed, or a fresh one that gtls_end() frees. */
static int gtls_begin(enum alg a, const uint8_t *key, gnutls_aead_cipher_hd_t *h) {
  gnutls_datum_t k = {(unsigned char *)key, (unsigned)key_len(a)};

  if (!gtls.rekey_ok[a])
    return gnutls_aead_cipher_init(h, gtls_ciphers[a], &k) < 0 ? -1 : 0;
  *h = gtls.h[a];
  return gnutls_aead_cipher_set_key(*h, &k) < 0 ? -1 : 0;
}

static void gtls_end(enum alg a, gnutls_aead_cipher_hd_t h) {
  if (!gtls.rekey_ok[a])
    gnutls_aead_cipher_deinit(h);
}

static int gtls_aead(int encrypt, const struct aead_msg *m) {
  gnutls_aead_cipher_hd_t h;
  size_t n;
  int rc;

  if (gtls_begin(m->alg, m->key, &h) != 0)
    return -1;
  if (encrypt) {
    n = m->len + m->tag_len;
    rc = gnutls_aead_cipher_encrypt(h, m->nonce, m->nonce_len, m->aad, m->aad_len,
                                    m->tag_len, m->pt, m->len, m->ct, &n);
    rc = rc < 0 || n != m->len + m->tag_len ? -1 : 0;
  } else {
    n = m->len;
    rc = gnutls_aead_cipher_decrypt(h, m->nonce, m->nonce_len, m->aad, m->aad_len,
                                    m->tag_len, m->ct, m->len + m->tag_len, m->pt, &n);
    rc = rc < 0 || n != m->len ? -1 : 0;
  }
  gtls_end(m->alg, h);
  return rc;
}

static int gtls_mac(const struct mac_msg *m) {
  gnutls_aead_cipher_hd_t h;
  size_t n = 16;
  int rc;

  switch (m->alg) {
  case A_GMAC:
    if (gtls_begin(A_GCM128, m->key, &h) != 0)
      return -1;
    rc = gnutls_aead_cipher_encrypt(h, m->nonce, GCM_NONCE_LEN, m->data, m->len, 16, NULL,
                                    0, m->out, &n);
    gtls_end(A_GCM128, h);
    return rc < 0 || n != 16 ? -1 : 0;
  case A_CMAC:
    rc = gnutls_hmac_fast(GNUTLS_MAC_AES_CMAC_128, m->key, m->key_len, m->data, m->len,
                          m->out);
    return rc == 0 ? 0 : -1;
  case A_HMAC:
    rc = gnutls_hmac_fast(GNUTLS_MAC_SHA256, m->key, m->key_len, m->data, m->len, m->out);
    return rc == 0 ? 0 : -1;
  default:
    return -1;
  }
}

/* gnutls_aead_cipher_decryptv2 decrypts scattered buffers in place only: the ciphertext
 * must first be where the plaintext is to end up. */
static enum split gtls_split(const struct aead_msg *m, size_t head, uint8_t *rest) {
  giovec_t aad = {(void *)m->aad, m->aad_len};
  giovec_t iov[2] = {{m->pt, head}, {rest, m->len - head}};
  gnutls_aead_cipher_hd_t h;
  int rc;

  memcpy(m->pt, m->ct, head);
  memcpy(rest, m->ct + head, m->len - head);
  if (gtls_begin(m->alg, m->key, &h) != 0)
    return SPLIT_NO;
  rc = gnutls_aead_cipher_decryptv2(h, m->nonce, m->nonce_len, &aad, 1, iov, 2,
                                    m->ct + m->len, m->tag_len);
  gtls_end(m->alg, h);
  return rc < 0 ? SPLIT_NO : SPLIT_IN_PLACE;
}

static const struct lib libs[NLIBS] = {
    {"nettle", "nettle", nettle_has, nettle_aead, nettle_mac, nettle_split},
    {"OpenSSL", "openssl", ossl_has, ossl_aead, ossl_mac, ossl_split},
    {"GnuTLS", "gnutls", gtls_has, gtls_aead, gtls_mac, gtls_split},
};

/* ---- correctness -------------------------------------------------------- */

static uint64_t rng = 0x5eed0fd5c0ffee01ull;

/* splitmix64: reproducible data, not keys anyone relies on. */
static void fill(uint8_t *p, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    uint64_t z;
    if (i % 8 == 0) {
      z = (rng += 0x9e3779b97f4a7c15ull);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      rng ^= z ^ (z >> 31);
    }
    p[i] = (uint8_t)(rng >> (8 * (i % 8)));
  }
}

static int fail(const char *fmt, ...) {
  va_list ap;
  fputs("crypto: CHECK FAILED: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return 1;
}

static size_t first_diff(const uint8_t *a, const uint8_t *b, size_t n) {
  size_t i;
  for (i = 0; i < n && a[i] == b[i]; i++)
    ;
  return i;
}

struct bufs {
  uint8_t *pt, *out, *ct[NLIBS];
};

static const char *alg_name(enum alg a) {
  size_t r;
  for (r = 0; r < NROWS; r++)
    if (rows[r].alg == a)
      return rows[r].name;
  return "?";
}

/* Every library decrypts every library's message, and refuses it with one bit of the
 * tag, then of the ciphertext, flipped. */
static int cross_decrypt(struct aead_msg *m, struct bufs *b, const int made[NLIBS]) {
  const char *an = alg_name(m->alg);
  int d, e, bad = 0;

  for (e = 0; e < NLIBS; e++) {
    if (!made[e])
      continue;
    for (d = 0; d < NLIBS; d++) {
      if (!libs[d].has(m->alg))
        continue;
      m->ct = b->ct[e];
      m->pt = b->out;
      memset(b->out, 0, m->len);
      if (libs[d].aead(0, m) != 0)
        bad += fail("%s, %zu B: %s rejects %s's message", an, m->len, libs[d].name,
                    libs[e].name);
      else if (memcmp(b->out, b->pt, m->len) != 0)
        bad += fail("%s, %zu B: %s decrypts %s's message wrongly at byte %zu", an, m->len,
                    libs[d].name, libs[e].name, first_diff(b->out, b->pt, m->len));
      b->ct[e][m->len + m->tag_len - 1] ^= 0x01;
      if (libs[d].aead(0, m) == 0)
        bad += fail("%s, %zu B: %s accepts %s's message with a flipped tag bit", an, m->len,
                    libs[d].name, libs[e].name);
      b->ct[e][m->len + m->tag_len - 1] ^= 0x01;
      b->ct[e][m->len / 2] ^= 0x80;
      if (libs[d].aead(0, m) == 0)
        bad += fail("%s, %zu B: %s accepts %s's message with a flipped ciphertext bit", an,
                    m->len, libs[d].name, libs[e].name);
      b->ct[e][m->len / 2] ^= 0x80;
    }
  }
  return bad;
}

static int check_aead(enum alg a, size_t len, struct bufs *b) {
  uint8_t key[32], nonce[GCM_NONCE_LEN], aad[AAD_LEN];
  struct aead_msg m = {a,    key,     nonce, is_ccm(a) ? CCM_NONCE_LEN : GCM_NONCE_LEN,
                       aad,  AAD_LEN, len,   TAG_LEN,
                       NULL, NULL};
  int made[NLIBS] = {0}, ref = -1, i, bad = 0;

  fill(key, sizeof(key));
  fill(nonce, sizeof(nonce));
  fill(aad, sizeof(aad));
  fill(b->pt, len);
  for (i = 0; i < NLIBS; i++) {
    if (!libs[i].has(a))
      continue;
    m.pt = b->pt;
    m.ct = b->ct[i];
    if (libs[i].aead(1, &m) != 0) {
      bad += fail("%s, %zu B: %s refuses to encrypt", alg_name(a), len, libs[i].name);
      continue;
    }
    made[i] = 1;
    if (ref < 0)
      ref = i;
    else if (memcmp(b->ct[i], b->ct[ref], len + TAG_LEN) != 0)
      bad += fail("%s, %zu B: %s's ciphertext||tag differs from %s's at byte %zu",
                  alg_name(a), len, libs[i].name, libs[ref].name,
                  first_diff(b->ct[i], b->ct[ref], len + TAG_LEN));
  }
  bad += cross_decrypt(&m, b, made);
  explicit_bzero(key, sizeof(key));
  return bad;
}

static int check_mac(enum alg a, size_t len, struct bufs *b) {
  uint8_t key[SIGN_KEY_LEN], nonce[GCM_NONCE_LEN], out[NLIBS][HMAC_LEN];
  struct mac_msg m = {a, key, sizeof(key), nonce, b->pt, len, NULL};
  int ref = -1, i, bad = 0;

  fill(key, sizeof(key));
  fill(nonce, sizeof(nonce));
  fill(b->pt, len);
  for (i = 0; i < NLIBS; i++) {
    if (!libs[i].has(a))
      continue;
    m.out = out[i];
    if (libs[i].mac(&m) != 0)
      bad += fail("%s, %zu B: %s refuses", alg_name(a), len, libs[i].name);
    else if (ref < 0)
      ref = i;
    else if (memcmp(out[i], out[ref], mac_len(a)) != 0)
      bad += fail("%s, %zu B: %s's tag differs from %s's", alg_name(a), len, libs[i].name,
                  libs[ref].name);
  }
  explicit_bzero(key, sizeof(key));
  return bad;
}

/* Published vectors (values copied from the documents named). */
struct kat {
  const char *what;
  enum alg alg;
  const char *key, *nonce, *aad, *data, *ct, *tag; /* hex; aad and ct unused by MACs */
};

static const struct kat kats[] = {
    {"GCM spec (McGrew-Viega) test case 4", A_GCM128, "feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
     "5bc94fbc3221a5db94fae95ae7121a47"},
    {"GCM spec (McGrew-Viega) test case 16", A_GCM256,
     "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
    {"RFC 3610 packet vector #1", A_CCM128, "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf",
     "00000003020100a0a1a2a3a4a5", "0001020304050607",
     "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
     "588c979a61c663d2f066d0c2c0f989806d5f6b61dac384", "17e8d12cfdf926e0"},
    {"NIST CAVP gcmEncryptExtIV128 (PTlen 0, AADlen 128) count 0", A_GMAC,
     "77be63708971c4e240d1cb79e8d77feb", "e0e00f19fed7ba0136a797f3", "",
     "7a43ec1d9c0a5a78a0b16533a6213cab", "", "209fcc8d3675ed938e9c7166709dd946"},
    {"RFC 4493 example 2", A_CMAC, "2b7e151628aed2a6abf7158809cf4f3c", "", "",
     "6bc1bee22e409f96e93d7e117393172a", "", "070a16b46b4d4144f79bdd9dd04a287c"},
    {"RFC 4231 test case 2", A_HMAC, "4a656665", "", "",
     "7768617420646f2079612077616e7420666f72206e6f7468696e673f", "",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
};

static size_t unhex(const char *s, uint8_t *out, size_t cap) {
  size_t n = 0;
  unsigned v;
  while (n < cap && s[0] != '\0' && s[1] != '\0' && sscanf(s, "%2x", &v) == 1) {
    out[n++] = (uint8_t)v;
    s += 2;
  }
  return n;
}

static int check_kat(const struct kat *k) {
  uint8_t key[KAT_MAX], nonce[KAT_MAX], aad[KAT_MAX], data[KAT_MAX], want[2 * KAT_MAX],
      got[2 * KAT_MAX], back[KAT_MAX];
  size_t klen = unhex(k->key, key, sizeof(key)),
         nlen = unhex(k->nonce, nonce, sizeof(nonce));
  size_t alen = unhex(k->aad, aad, sizeof(aad)), dlen = unhex(k->data, data, sizeof(data));
  size_t clen = unhex(k->ct, want, KAT_MAX), tlen = unhex(k->tag, want + clen, KAT_MAX);
  int i, bad = 0;

  for (i = 0; i < NLIBS; i++) {
    if (!libs[i].has(k->alg))
      continue;
    memset(got, 0, sizeof(got));
    if (k->alg == A_GMAC || k->alg == A_CMAC || k->alg == A_HMAC) {
      struct mac_msg m = {k->alg, key, klen, nonce, data, dlen, got};
      if (libs[i].mac(&m) != 0 || memcmp(got, want, tlen) != 0)
        bad += fail("%s: %s gives a wrong tag", k->what, libs[i].name);
      continue;
    }
    struct aead_msg m = {k->alg, key, nonce, nlen, aad, alen, dlen, tlen, data, got};
    if (libs[i].aead(1, &m) != 0 || memcmp(got, want, clen + tlen) != 0)
      bad += fail("%s: %s encrypts wrongly", k->what, libs[i].name);
    m.ct = want;
    m.pt = back;
    if (libs[i].aead(0, &m) != 0 || memcmp(back, data, dlen) != 0)
      bad += fail("%s: %s does not decrypt it", k->what, libs[i].name);
    want[clen] ^= 0x01;
    if (libs[i].aead(0, &m) == 0)
      bad += fail("%s: %s accepts a flipped tag bit", k->what, libs[i].name);
    want[clen] ^= 0x01;
  }
  explicit_bzero(key, sizeof(key));
  return bad;
}

/* The message dfsc__crypto_decrypt_split sees: a READ response whose header part ends on
 * a block boundary, decrypted into two buffers. */
static int probe_split(enum alg a, struct bufs *b, enum split out[NLIBS]) {
  uint8_t key[32], nonce[GCM_NONCE_LEN], aad[AAD_LEN], *rest = b->out + SPLIT_LEN;
  struct aead_msg m = {a,     key,     nonce,     is_ccm(a) ? CCM_NONCE_LEN : GCM_NONCE_LEN,
                       aad,   AAD_LEN, SPLIT_LEN, TAG_LEN,
                       b->pt, b->ct[0]};
  int i, bad = 0;

  fill(key, sizeof(key));
  fill(nonce, sizeof(nonce));
  fill(aad, sizeof(aad));
  fill(b->pt, SPLIT_LEN);
  if (nettle_aead(1, &m) != 0)
    bad += fail("split probe: nettle refuses to encrypt");
  for (i = 0; i < NLIBS && bad == 0; i++) {
    m.pt = b->out;
    out[i] = libs[i].has(a) ? libs[i].split(&m, SPLIT_HEAD, rest) : SPLIT_NA;
    if ((out[i] == SPLIT_YES || out[i] == SPLIT_IN_PLACE) &&
        (memcmp(b->out, b->pt, SPLIT_HEAD) != 0 ||
         memcmp(rest, b->pt + SPLIT_HEAD, SPLIT_LEN - SPLIT_HEAD) != 0))
      bad += fail("split probe, %s: %s decrypts wrongly", alg_name(a), libs[i].name);
  }
  explicit_bzero(key, sizeof(key));
  return bad;
}

static int check_all(struct bufs *b, enum split split[2][NLIBS], int *ncheck) {
  size_t r, s, nk = sizeof(kats) / sizeof(kats[0]);
  size_t nx = sizeof(extra_check_sizes) / sizeof(extra_check_sizes[0]);
  int bad = 0;

  for (r = 0; r < nk; r++)
    bad += check_kat(&kats[r]);
  for (r = 0; r < NROWS; r++) {
    if (!rows[r].encrypt) /* an AEAD's decrypt row is checked with its encrypt row */
      continue;
    for (s = 0; s < NSIZES + nx; s++) {
      size_t len = s < NSIZES ? sizes[s] : extra_check_sizes[s - NSIZES];
      bad += rows[r].mac ? check_mac(rows[r].alg, len, b) : check_aead(rows[r].alg, len, b);
      (*ncheck)++;
    }
  }
  bad += probe_split(A_GCM128, b, split[0]);
  bad += probe_split(A_CCM128, b, split[1]);
  return bad;
}

/* ---- timing ------------------------------------------------------------- */

struct job {
  const struct lib *lib;
  int mac, encrypt;
  struct aead_msg am;
  struct mac_msg mm;
};

static double since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* One round: whole batches of messages until secs have passed or ITER_CAP messages.
 * Returns MB/s (10^6 bytes of message data per second), or -1 if a message failed. */
static double time_round(const struct job *j, size_t len, double secs) {
  uint64_t n = 0, k, batch = len >= BATCH_BYTES ? 1 : BATCH_BYTES / len;
  struct timespec t0;
  double el = 0;

  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (n < ITER_CAP) {
    for (k = 0; k < batch; k++)
      if ((j->mac ? j->lib->mac(&j->mm) : j->lib->aead(j->encrypt, &j->am)) != 0)
        return -1;
    n += batch;
    el = since(&t0);
    if (el >= secs)
      break;
  }
  return el > 0 ? (double)n * (double)len / el / 1e6 : -1;
}

/* Best of ROUNDS rounds, the libraries taking turns within each round so that a slow
 * patch of the machine does not fall on one library alone. */
static int time_cell(const struct row *rw, size_t len, double secs, struct bufs *b,
                     const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
                     double best[NLIBS]) {
  struct job j;
  int i, r, ref = -1;

  memset(&j, 0, sizeof(j));
  j.mac = rw->mac;
  j.encrypt = rw->encrypt;
  j.am = (struct aead_msg){
      rw->alg, key,     nonce, is_ccm(rw->alg) ? CCM_NONCE_LEN : GCM_NONCE_LEN,
      aad,     AAD_LEN, len,   TAG_LEN,
      b->pt,   b->ct[0]};
  j.mm = (struct mac_msg){rw->alg, key, SIGN_KEY_LEN, nonce, b->pt, len, b->out};
  for (i = 0; i < NLIBS; i++)
    best[i] = libs[i].has(rw->alg) ? 0 : -1;
  if (!rw->mac && !rw->encrypt) {
    /* Decrypt rows read one valid message, made by the first library that can. */
    for (i = 0; i < NLIBS && ref < 0; i++)
      if (libs[i].has(rw->alg))
        ref = i;
    if (ref < 0)
      return 0;
    if (libs[ref].aead(1, &j.am) != 0)
      return fail("%s, %zu B: %s refuses to encrypt", rw->name, len, libs[ref].name);
    j.am.pt = b->out;
  }
  for (r = 0; r < ROUNDS; r++) {
    for (i = 0; i < NLIBS; i++) {
      double v;
      if (best[i] < 0)
        continue;
      j.lib = &libs[i];
      if (rw->encrypt && !rw->mac)
        j.am.ct = b->ct[i];
      v = time_round(&j, len, secs);
      if (v < 0)
        return fail("%s, %zu B: %s failed while timed", rw->name, len, libs[i].name);
      if (v > best[i])
        best[i] = v;
    }
  }
  return 0;
}

/* ---- output ------------------------------------------------------------- */

static void cpu_info(char *model, size_t cap, char *flags, size_t fcap) {
  static const char *const want[] = {"aes",  "pclmulqdq",  "avx",     "avx2",
                                     "vaes", "vpclmulqdq", "avx512f", "sha_ni"};
  enum { NWANT = sizeof(want) / sizeof(want[0]) };
  char line[8192], *v, *tok, *save;
  int have[NWANT] = {0}, got_model = 0, got_flags = 0;
  FILE *f = fopen("/proc/cpuinfo", "r");
  size_t i, used = 0;

  snprintf(model, cap, "unknown");
  flags[0] = '\0';
  while (f != NULL && (!got_model || !got_flags) && fgets(line, sizeof(line), f) != NULL) {
    v = strchr(line, ':');
    if (v == NULL)
      continue;
    v += v[1] == ' ' ? 2 : 1;
    v[strcspn(v, "\n")] = '\0';
    if (!got_model && strncmp(line, "model name", 10) == 0) {
      snprintf(model, cap, "%s", v);
      got_model = 1;
    } else if (!got_flags && strncmp(line, "flags", 5) == 0) {
      for (tok = strtok_r(v, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save))
        for (i = 0; i < NWANT; i++)
          if (strcmp(tok, want[i]) == 0)
            have[i] = 1;
      got_flags = 1;
    }
  }
  if (f != NULL)
    fclose(f);
  for (i = 0; i < NWANT; i++)
    if (have[i] && used + strlen(want[i]) + 2 < fcap)
      used += (size_t)snprintf(flags + used, fcap - used, "%s%s", used ? " " : "", want[i]);
  if (used == 0)
    snprintf(flags, fcap, got_flags ? "no AES-NI, PCLMUL, AVX or SHA-NI" : "flags unknown");
}

static void print_rate(double v) {
  if (v < 0)
    printf(" n/a |");
  else
    printf(v >= 100 ? " %.0f |" : " %.1f |", v);
}

/* Index of the fastest library, -1 if none ran. */
static int fastest(const double v[NLIBS]) {
  int i, f = -1;
  for (i = 0; i < NLIBS; i++)
    if (v[i] >= 0 && (f < 0 || v[i] > v[f]))
      f = i;
  return f;
}

/* Libraries within TIE of the fastest are named with it: closer than the run-to-run
 * spread of a busy two-core machine, so no real difference. */
static void print_fastest(const double v[NLIBS]) {
  int f = fastest(v), i;
  if (f < 0) {
    printf(" n/a");
    return;
  }
  printf(" %s", libs[f].name);
  if (f != 0 && v[0] > 0)
    printf(", %.2fx nettle", v[f] / v[0]);
  for (i = 0; i < NLIBS; i++)
    if (i != f && v[i] >= v[f] * (1 - TIE))
      printf(" (%s within %.0f%%)", libs[i].name, TIE * 100);
}

static void print_table(const struct row *rw, double res[NSIZES][NLIBS]) {
  int s, i;
  printf("\n### %s\n\n| size |", rw->name);
  for (i = 0; i < NLIBS; i++)
    printf(" %s MB/s |", libs[i].name);
  printf(" fastest |\n|---:|");
  for (i = 0; i < NLIBS; i++)
    printf("---:|");
  printf(":---|\n");
  for (s = 0; s < NSIZES; s++) {
    printf("| %s |", size_names[s]);
    for (i = 0; i < NLIBS; i++)
      print_rate(res[s][i]);
    print_fastest(res[s]);
    printf(" |\n");
  }
  fflush(stdout);
}

static void print_summary(double res[NROWS][NSIZES][NLIBS]) {
  static const int cols[] = {1, 2, 3}; /* 4 KiB, then the large sizes */
  size_t r, c;
  printf("\n## Summary\n\nFastest library per primitive, with its speed over nettle's "
         "(4 KiB: a small message; 64 KiB and 1 MiB: large READs and WRITEs).\n\n"
         "| primitive | 4 KiB | 64 KiB | 1 MiB |\n|:---|:---|:---|:---|\n");
  for (r = 0; r < NROWS; r++) {
    printf("| %s |", rows[r].name);
    for (c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
      print_fastest(res[r][cols[c]]);
      printf(" |");
    }
    printf("\n");
  }
}

static const char *split_text(enum split s) {
  switch (s) {
  case SPLIT_YES:
    return "yes";
  case SPLIT_IN_PLACE:
    return "in place only (decryptv2 iovecs)";
  case SPLIT_NO:
    return "no";
  default:
    return "n/a";
  }
}

static void print_notes(enum split split[2][NLIBS]) {
  int i;
  printf(
      "\n## Notes\n\n"
      "Decrypting one message into two buffers, as dfsc__crypto_decrypt_split does: a "
      "%d-byte\nmessage, its first %d bytes (SMB2 header + READ response) into one buffer "
      "and the rest\ninto another.\n\n"
      "| library | AES-128-GCM | AES-128-CCM |\n|:---|:---|:---|\n",
      SPLIT_LEN, SPLIT_HEAD);
  for (i = 0; i < NLIBS; i++)
    printf("| %s | %s | %s |\n", libs[i].name, split_text(split[0][i]),
           split_text(split[1][i]));
  printf("\nOpenSSL's CCM takes the whole payload in one EVP_DecryptUpdate (its length is "
         "announced\nbefore the associated data and the tag is checked inside that call), "
         "so a partial update\nfails. GnuTLS's gnutls_aead_cipher_decryptv2 decrypts "
         "scattered buffers in place: the\nciphertext must already sit where the plaintext "
         "is to go.\n");
  printf("\nGnuTLS gnutls_aead_cipher_set_key() rekeys correctly:");
  for (i = 0; i < 4; i++)
    printf("%s %s %s", i ? "," : "", ossl_cipher_names[i],
           gtls.h[i] == NULL  ? "n/a"
           : gtls.rekey_ok[i] ? "yes"
                              : "NO");
  printf(".\nWhere not, GnuTLS is timed with a fresh handle per message "
         "(gnutls_aead_cipher_init/deinit).\n");
}

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s != '\0'; s++) {
    if (*s == '"' || *s == '\\')
      fprintf(f, "\\%c", *s);
    else if ((unsigned char)*s < 0x20)
      fprintf(f, "\\u%04x", (unsigned char)*s);
    else
      fputc(*s, f);
  }
  fputc('"', f);
}

static int write_json(const char *path, const char *cpu, const char *nettle_v, double secs,
                      double res[NROWS][NSIZES][NLIBS], enum split split[2][NLIBS]) {
  FILE *f = fopen(path, "w");
  size_t r, s;
  int i, n, rc;

  if (f == NULL) {
    fprintf(stderr, "crypto: cannot write %s: %s\n", path, strerror(errno));
    return -1;
  }
  fprintf(f, "{\n  \"cpu\": ");
  json_string(f, cpu);
  fprintf(f, ",\n  \"versions\": {\"nettle\": ");
  json_string(f, nettle_v);
  fprintf(f, ", \"openssl\": ");
  json_string(f, OpenSSL_version(OPENSSL_VERSION));
  fprintf(f, ", \"gnutls\": ");
  json_string(f, gnutls_check_version(NULL));
  fprintf(f, "},\n  \"seconds_per_round\": %g,\n  \"rounds\": %d,\n  \"tie\": %g,\n", secs,
          ROUNDS, TIE);
  fprintf(f, "  \"unit\": \"MB/s (10^6 bytes of message per second, best round)\",\n");
  fprintf(f, "  \"results\": [\n");
  for (r = 0; r < NROWS; r++) {
    for (s = 0; s < NSIZES; s++) {
      int fa = fastest(res[r][s]);
      fprintf(f, "    {\"primitive\": \"%s\", \"size\": %zu", rows[r].name, sizes[s]);
      for (i = 0; i < NLIBS; i++) {
        if (res[r][s][i] < 0)
          fprintf(f, ", \"%s\": null", libs[i].json);
        else
          fprintf(f, ", \"%s\": %.1f", libs[i].json, res[r][s][i]);
      }
      fprintf(f, ", \"fastest\": \"%s\", \"within_tie\": [",
              fa < 0 ? "n/a" : libs[fa].json);
      for (i = 0, n = 0; i < NLIBS && fa >= 0; i++)
        if (i != fa && res[r][s][i] >= res[r][s][fa] * (1 - TIE))
          fprintf(f, "%s\"%s\"", n++ ? ", " : "", libs[i].json);
      fprintf(f, "]}%s\n", r + 1 == NROWS && s + 1 == NSIZES ? "" : ",");
    }
  }
  fprintf(f, "  ],\n  \"split_decrypt\": {");
  for (i = 0; i < NLIBS; i++)
    fprintf(f, "%s\"%s\": {\"gcm\": \"%s\", \"ccm\": \"%s\"}", i ? ", " : "", libs[i].json,
            split_text(split[0][i]), split_text(split[1][i]));
  fprintf(f, "},\n  \"gnutls_set_key_rekeys\": {");
  for (i = 0; i < 4; i++)
    fprintf(f, "%s\"%s\": %s", i ? ", " : "", ossl_cipher_names[i],
            gtls.h[i] == NULL  ? "null"
            : gtls.rekey_ok[i] ? "true"
                               : "false");
  fprintf(f, "}\n}\n");
  rc = ferror(f) ? -1 : 0;
  if (fclose(f) != 0 || rc != 0) {
    fprintf(stderr, "crypto: cannot write %s\n", path);
    return -1;
  }
  return 0;
}

/* ---- main --------------------------------------------------------------- */

static void usage(FILE *f) {
  fprintf(f,
          "usage: crypto [--quick] [--time SECONDS] [--json FILE]\n"
          "  --quick         CI smoke run: %g s per round, full correctness check\n"
          "  --time SECONDS  minimum length of each of a cell's %d rounds (default %g)\n"
          "  --json FILE     also write the numbers to FILE\n",
          QUICK_SECONDS, ROUNDS, DEFAULT_SECONDS);
}

int main(int argc, char **argv) {
  static double res[NROWS][NSIZES][NLIBS];
  enum split split[2][NLIBS];
  uint8_t key[32], nonce[GCM_NONCE_LEN], aad[AAD_LEN];
  struct bufs b = {NULL, NULL, {NULL}};
  char cpu[256], flags[256], nettle_v[32];
  const char *json = NULL;
  double secs = DEFAULT_SECONDS;
  struct timespec t0;
  int i, ncheck = 0, rc = 1;
  size_t r, s;

  for (i = 1; i < argc; i++) {
    char *end;
    if (strcmp(argv[i], "--quick") == 0) {
      secs = QUICK_SECONDS;
    } else if (strcmp(argv[i], "--time") == 0 && i + 1 < argc) {
      secs = strtod(argv[++i], &end);
      if (*end != '\0' || !(secs > 0 && secs <= MAX_SECONDS)) {
        fprintf(stderr, "crypto: --time wants seconds in (0, %g]\n", MAX_SECONDS);
        return 2;
      }
    } else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
      json = argv[++i];
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      usage(stdout);
      return 0;
    } else {
      usage(stderr);
      return 2;
    }
  }

  clock_gettime(CLOCK_MONOTONIC, &t0);
  b.pt = malloc(MAX_MSG + TAG_LEN);
  b.out = malloc(MAX_MSG + TAG_LEN);
  for (i = 0; i < NLIBS; i++)
    b.ct[i] = malloc(MAX_MSG + TAG_LEN);
  if (b.pt == NULL || b.out == NULL || b.ct[0] == NULL || b.ct[1] == NULL ||
      b.ct[2] == NULL) {
    fprintf(stderr, "crypto: out of memory\n");
    goto out;
  }
  for (i = 0; i < NLIBS; i++)
    memset(b.ct[i], 0, MAX_MSG + TAG_LEN);
  memset(b.out, 0, MAX_MSG + TAG_LEN);
  if (ossl_open() != 0 || gtls_open() != 0) {
    fprintf(stderr, "crypto: cannot set up OpenSSL or GnuTLS contexts\n");
    goto out;
  }

  cpu_info(cpu, sizeof(cpu), flags, sizeof(flags));
  snprintf(nettle_v, sizeof(nettle_v), "%d.%d", nettle_version_major(),
           nettle_version_minor());
  printf("# SMB2/3 crypto primitives: nettle, OpenSSL, GnuTLS\n\n");
  printf("- CPU: %s (%s)\n", cpu, flags);
  printf("- nettle %s; %s; GnuTLS %s\n", nettle_v, OpenSSL_version(OPENSSL_VERSION),
         gnutls_check_version(NULL));
  fflush(stdout);

  if (check_all(&b, split, &ncheck) != 0) {
    fprintf(stderr, "crypto: the libraries disagree (above); nothing was timed\n");
    goto out;
  }
  printf("- Checked: %zu published vectors and %d primitive/size cases, every library "
         "against every other (ciphertext, tag, decryption, flipped tag and ciphertext "
         "bits refused)\n",
         sizeof(kats) / sizeof(kats[0]), ncheck);
  printf(
      "- One message: key schedule + nonce + %d B associated data (AEAD) + data + tag; "
      "best of %d rounds of >= %g s each; MB/s = 10^6 bytes of data per second; a library "
      "within %.0f%% of the fastest is named beside it (too close to call)\n",
      AAD_LEN, ROUNDS, secs, TIE * 100);
  fflush(stdout);

  fill(key, sizeof(key));
  fill(nonce, sizeof(nonce));
  fill(aad, sizeof(aad));
  fill(b.pt, MAX_MSG);
  for (r = 0; r < NROWS; r++) {
    for (s = 0; s < NSIZES; s++)
      if (time_cell(&rows[r], sizes[s], secs, &b, key, nonce, aad, res[r][s]) != 0)
        goto out;
    print_table(&rows[r], res[r]);
  }
  print_summary(res);
  print_notes(split);
  printf("\n(%.1f s)\n", since(&t0));
  if (json != NULL && write_json(json, cpu, nettle_v, secs, res, split) != 0)
    goto out;
  rc = 0;
out:
  explicit_bzero(key, sizeof(key));
  explicit_bzero(nonce, sizeof(nonce));
  ossl_close();
  gtls_close();
  free(b.pt);
  free(b.out);
  for (i = 0; i < NLIBS; i++)
    free(b.ct[i]);
  return rc;
}
