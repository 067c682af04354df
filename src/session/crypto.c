/* SMB2/3 signing, key derivation, preauth hash and transform encryption
 * ([MS-SMB2] 3.1.4): the SMB rules here, the per-message primitives from
 * the build's backend (crypto_prim.h), key derivation and the preauth hash
 * from nettle. Does not: keep state, or set header flags. */
#include "session/crypto.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <nettle/hmac.h>
#include <nettle/memops.h> /* memeql_sec: constant-time compare */
#include <nettle/sha2.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "dfsc/errors.h"
#include "session/crypto_prim.h"
#include "smb2/smb2.h"

#define CCM_NONCE_LEN 11
#define GCM_NONCE_LEN 12
#define AEAD_TAG_LEN 16
#define TRANSFORM_AAD_LEN (DFSC_TRANSFORM_HDR_SIZE - DFSC_TRANSFORM_NONCE_OFFSET)
#define TRANSFORM_FLAG_ENCRYPTED 0x0001

static const uint8_t zero_sig[DFSC_SMB2_SIG_SIZE];

/* ---- key derivation ---------------------------------------------------- */

int dfsc__crypto_kdf(const uint8_t *key, size_t key_len, const uint8_t *label,
                     size_t label_len, const uint8_t *context, size_t context_len,
                     uint8_t *out, size_t out_len) {
  struct hmac_sha256_ctx h;
  uint8_t i_be[4], l_be[4], sep = 0, block[SHA256_DIGEST_SIZE];
  uint32_t i, bits;
  size_t done = 0, n;

  if ((out_len != 16 && out_len != 32) || key == NULL || key_len == 0)
    return -EINVAL;
  bits = (uint32_t)out_len * 8;
  l_be[0] = (uint8_t)(bits >> 24);
  l_be[1] = (uint8_t)(bits >> 16);
  l_be[2] = (uint8_t)(bits >> 8);
  l_be[3] = (uint8_t)bits;
  /* Counter and L are 32-bit big-endian (SP800-108 5.1, r = 32). */
  for (i = 1; done < out_len; i++) {
    i_be[0] = (uint8_t)(i >> 24);
    i_be[1] = (uint8_t)(i >> 16);
    i_be[2] = (uint8_t)(i >> 8);
    i_be[3] = (uint8_t)i;
    hmac_sha256_set_key(&h, key_len, key);
    hmac_sha256_update(&h, 4, i_be);
    hmac_sha256_update(&h, label_len, label);
    hmac_sha256_update(&h, 1, &sep);
    hmac_sha256_update(&h, context_len, context);
    hmac_sha256_update(&h, 4, l_be);
    hmac_sha256_digest(&h, SHA256_DIGEST_SIZE, block);
    n = out_len - done < SHA256_DIGEST_SIZE ? out_len - done : SHA256_DIGEST_SIZE;
    memcpy(out + done, block, n);
    done += n;
  }
  dfsc__wipe(&h, sizeof(h));
  dfsc__wipe(block, sizeof(block));
  return 0;
}

/* Labels and contexts keep their NUL: sizeof() of the literal. */
#define KDF(key, klen, label, ctx, ctxlen, out, outlen)                                    \
  dfsc__crypto_kdf((key), (klen), (const uint8_t *)(label), sizeof(label),                 \
                   (const uint8_t *)(ctx), (ctxlen), (out), (outlen))

int dfsc__crypto_derive_signing_key(uint16_t dialect, const uint8_t session_key[16],
                                    const uint8_t *preauth, uint8_t out[16]) {
  switch (dialect) {
  case SMB2_DIALECT_202:
  case SMB2_DIALECT_210:
    memcpy(out, session_key, 16);
    return 0;
  case SMB2_DIALECT_300:
  case SMB2_DIALECT_302:
    return KDF(session_key, 16, "SMB2AESCMAC", "SmbSign", sizeof("SmbSign"), out, 16);
  case SMB2_DIALECT_311:
    if (preauth == NULL)
      return -EINVAL;
    return KDF(session_key, 16, "SMBSigningKey", preauth, DFSC_PREAUTH_HASH_SIZE, out, 16);
  default:
    return -EINVAL;
  }
}

size_t dfsc__crypto_cipher_key_len(uint16_t cipher) {
  switch (cipher) {
  case SMB2_ENCRYPTION_AES128_CCM:
  case SMB2_ENCRYPTION_AES128_GCM:
    return 16;
  case SMB2_ENCRYPTION_AES256_CCM:
  case SMB2_ENCRYPTION_AES256_GCM:
    return 32;
  default:
    return 0;
  }
}

int dfsc__crypto_derive_keys(uint16_t dialect, uint16_t cipher, const uint8_t *session_key,
                             size_t session_key_len, const uint8_t *preauth,
                             dfsc_smb3_keys *k) {
  size_t klen = cipher == 0 ? 16 : dfsc__crypto_cipher_key_len(cipher);
  /* AES-256 keys come from the full session key, the others from its first
   * 16 bytes (Session.SessionKey), [MS-SMB2] 3.2.5.3.1. */
  size_t ek_len = klen == 32 ? session_key_len : 16;
  int rc;

  memset(k, 0, sizeof(*k));
  if (klen == 0 || session_key == NULL || session_key_len < 16)
    return -EINVAL;
  k->cipher_key_len = klen;
  rc = dfsc__crypto_derive_signing_key(dialect, session_key, preauth, k->signing);
  if (rc != 0)
    goto out;
  if (dialect == SMB2_DIALECT_300 || dialect == SMB2_DIALECT_302) {
    rc = KDF(session_key, 16, "SMB2APP", "SmbRpc", sizeof("SmbRpc"), k->application, 16);
    if (rc == 0)
      rc = KDF(session_key, ek_len, "SMB2AESCCM", "ServerIn ", sizeof("ServerIn "),
               k->encryption, klen);
    if (rc == 0)
      rc = KDF(session_key, ek_len, "SMB2AESCCM", "ServerOut", sizeof("ServerOut"),
               k->decryption, klen);
  } else if (dialect == SMB2_DIALECT_311) {
    /* The 3.1.1 cipher-key labels are "SMBC2SCipherKey" / "SMBS2CCipherKey"
     * ([MS-SMB2] 3.2.5.3.1); the published 3.1.1 encryption test vectors
     * (tests/unit/test_session_crypto.c) confirm them. */
    rc = KDF(session_key, 16, "SMBAppKey", preauth, DFSC_PREAUTH_HASH_SIZE, k->application,
             16);
    if (rc == 0)
      rc = KDF(session_key, ek_len, "SMBC2SCipherKey", preauth, DFSC_PREAUTH_HASH_SIZE,
               k->encryption, klen);
    if (rc == 0)
      rc = KDF(session_key, ek_len, "SMBS2CCipherKey", preauth, DFSC_PREAUTH_HASH_SIZE,
               k->decryption, klen);
  } else {
    rc = -EINVAL;
  }
out:
  if (rc != 0)
    dfsc__wipe(k, sizeof(*k));
  return rc;
}

void dfsc__crypto_preauth_update(uint8_t hash[DFSC_PREAUTH_HASH_SIZE], const uint8_t *msg,
                                 size_t len) {
  struct sha512_ctx ctx;
  sha512_init(&ctx);
  sha512_update(&ctx, DFSC_PREAUTH_HASH_SIZE, hash);
  sha512_update(&ctx, len, msg);
  sha512_digest(&ctx, SHA512_DIGEST_SIZE, hash);
}

/* ---- signing ----------------------------------------------------------- */

/* Chooses the algorithm per [MS-SMB2] 3.1.4.1; -1 when unusable. */
static int sign_alg(uint16_t dialect, uint16_t alg) {
  switch (dialect) {
  case SMB2_DIALECT_202:
  case SMB2_DIALECT_210:
    return SMB2_SIGNING_HMAC_SHA256;
  case SMB2_DIALECT_300:
  case SMB2_DIALECT_302:
    return SMB2_SIGNING_AES_CMAC;
  case SMB2_DIALECT_311:
    if (alg == SMB2_SIGNING_HMAC_SHA256 || alg == SMB2_SIGNING_AES_CMAC ||
        alg == SMB2_SIGNING_AES_GMAC)
      return alg;
    return -1;
  default:
    return -1;
  }
}

/* The pieces a signature covers: the header up to the Signature field, 16
 * zero bytes in its place, the rest of pdu[0..len), then rest[0..rest_len)
 * (a READ's data received elsewhere, else NULL and 0). Feeding them
 * separately keeps a received buffer untouched. Every piece but the last
 * must be a multiple of 16 bytes long, as GCM's AAD updates require: with
 * rest, len - 64 too. */
static int compute_sig(int alg, const uint8_t key[16], const uint8_t *pdu, size_t len,
                       const uint8_t *rest, size_t rest_len,
                       uint8_t sig[DFSC_SMB2_SIG_SIZE]) {
  const uint8_t *tail = pdu + DFSC_SMB2_SIG_OFFSET + DFSC_SMB2_SIG_SIZE;
  size_t tail_len = len - DFSC_SMB2_SIG_OFFSET - DFSC_SMB2_SIG_SIZE;
  uint8_t nonce[GCM_NONCE_LEN] = {0};
  dfsc__mac m;
  int rc;

  if (alg == SMB2_SIGNING_AES_GMAC) {
    /* AES-GMAC = GCM with the whole message as AAD and no plaintext
     * (RFC 4543). Nonce: MessageId (8 bytes LE), then a 32-bit field
     * whose bit 0 marks a server's message and bit 1 a CANCEL request. */
    uint32_t role = 0;
    memcpy(nonce, pdu + 24, 8);
    if (dfsc__le32(pdu + 16) & SMB2_FLAGS_SERVER_TO_REDIR)
      role |= 1u;
    if (dfsc__le16(pdu + 12) == SMB2_CANCEL)
      role |= 2u;
    dfsc__put_le32(nonce + 8, role);
  }
  rc = dfsc__mac_init(&m, alg, key, nonce);
  if (rc != 0)
    return rc;
  dfsc__mac_update(&m, pdu, DFSC_SMB2_SIG_OFFSET);
  dfsc__mac_update(&m, zero_sig, DFSC_SMB2_SIG_SIZE);
  dfsc__mac_update(&m, tail, tail_len);
  if (rest_len > 0)
    dfsc__mac_update(&m, rest, rest_len);
  /* HMAC-SHA256's first 16 bytes are the signature ([MS-SMB2] 3.1.4.1). */
  return dfsc__mac_final(&m, sig, DFSC_SMB2_SIG_SIZE);
}

/* Whether head[0..head_len) then rest[0..rest_len) can be signed: a
 * known algorithm, a whole header, and a first part that ends on a 16-byte
 * block when a second follows. */
static int parts_ok(int alg, const uint8_t *head, size_t head_len, const uint8_t *rest,
                    size_t rest_len) {
  return alg >= 0 && head != NULL && head_len >= SMB2_HDR_SIZE &&
         (rest_len == 0 || (rest != NULL && (head_len - SMB2_HDR_SIZE) % 16 == 0));
}

int dfsc__crypto_sign_split(uint16_t dialect, uint16_t alg, const uint8_t key[16],
                            uint8_t *head, size_t head_len, const uint8_t *rest,
                            size_t rest_len) {
  int a = sign_alg(dialect, alg);
  uint8_t sig[DFSC_SMB2_SIG_SIZE];
  int rc;

  if (!parts_ok(a, head, head_len, rest, rest_len))
    return -EINVAL;
  rc = compute_sig(a, key, head, head_len, rest, rest_len, sig);
  if (rc != 0)
    return rc;
  memcpy(head + DFSC_SMB2_SIG_OFFSET, sig, sizeof(sig));
  return 0;
}

int dfsc__crypto_sign(uint16_t dialect, uint16_t alg, const uint8_t key[16], uint8_t *pdu,
                      size_t len) {
  return dfsc__crypto_sign_split(dialect, alg, key, pdu, len, NULL, 0);
}

int dfsc__crypto_verify_split(uint16_t dialect, uint16_t alg, const uint8_t key[16],
                              const uint8_t *head, size_t head_len, const uint8_t *rest,
                              size_t rest_len) {
  int a = sign_alg(dialect, alg);
  uint8_t sig[DFSC_SMB2_SIG_SIZE];
  int rc;

  if (!parts_ok(a, head, head_len, rest, rest_len))
    return -EINVAL;
  rc = compute_sig(a, key, head, head_len, rest, rest_len, sig);
  if (rc != 0)
    return rc;
  return memeql_sec(sig, head + DFSC_SMB2_SIG_OFFSET, sizeof(sig)) ? 0 : DFSC_E_SIGNATURE;
}

int dfsc__crypto_verify(uint16_t dialect, uint16_t alg, const uint8_t key[16],
                        const uint8_t *pdu, size_t len) {
  return dfsc__crypto_verify_split(dialect, alg, key, pdu, len, NULL, 0);
}

/* ---- encryption -------------------------------------------------------- */

static int is_gcm(uint16_t cipher) {
  return cipher == SMB2_ENCRYPTION_AES128_GCM || cipher == SMB2_ENCRYPTION_AES256_GCM;
}

int dfsc__crypto_nonce(uint16_t cipher, uint8_t nonce[16]) {
  size_t n = is_gcm(cipher) ? GCM_NONCE_LEN : CCM_NONCE_LEN;
  uint8_t *p = nonce;

  if (dfsc__crypto_cipher_key_len(cipher) == 0)
    return -EINVAL;
  memset(nonce, 0, 16);
  while (n > 0) {
    ssize_t r = getrandom(p, n, 0);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

int dfsc__crypto_encrypt(uint16_t cipher, const uint8_t *key, const uint8_t nonce[16],
                         uint64_t session_id, const uint8_t *plain, size_t plen,
                         uint8_t *out, size_t outcap) {
  uint8_t *hdr = out;
  dfsc__aead x;
  int rc;

  if (dfsc__crypto_cipher_key_len(cipher) == 0 || plen > UINT32_MAX)
    return -EINVAL;
  if (outcap < DFSC_TRANSFORM_HDR_SIZE || outcap - DFSC_TRANSFORM_HDR_SIZE < plen)
    return DFSC_E_NOSPACE;
  /* TRANSFORM_HEADER, [MS-SMB2] 2.2.41. Written before encrypting so an
   * in-place plain at out + 52 is not disturbed. */
  dfsc__put_le32(hdr, SMB2_TRANSFORM_ID);
  memset(hdr + 4, 0, DFSC_SMB2_SIG_SIZE);
  memcpy(hdr + DFSC_TRANSFORM_NONCE_OFFSET, nonce, 16);
  dfsc__put_le32(hdr + 36, (uint32_t)plen);
  dfsc__put_le16(hdr + 40, 0);
  dfsc__put_le16(hdr + 42, TRANSFORM_FLAG_ENCRYPTED);
  dfsc__put_le64(hdr + 44, session_id);
  rc = dfsc__aead_init(&x, cipher, 1, key, hdr + DFSC_TRANSFORM_NONCE_OFFSET,
                       hdr + DFSC_TRANSFORM_NONCE_OFFSET, TRANSFORM_AAD_LEN, plen, NULL);
  if (rc != 0)
    return rc;
  rc = dfsc__aead_update(&x, out + DFSC_TRANSFORM_HDR_SIZE, plain, plen);
  if (rc != 0) {
    (void)dfsc__aead_final(&x, hdr + 4);
    return rc;
  }
  return dfsc__aead_final(&x, hdr + 4);
}

int dfsc__crypto_transform_peek(const uint8_t *msg, size_t len, uint64_t *session_id,
                                uint32_t *orig_size) {
  uint32_t size;

  if (msg == NULL || len < DFSC_TRANSFORM_HDR_SIZE || dfsc__le32(msg) != SMB2_TRANSFORM_ID)
    return DFSC_E_PROTO;
  size = dfsc__le32(msg + 36);
  /* 3.0's EncryptionAlgorithm and 3.1.1's Flags both must be 0x0001. */
  if (dfsc__le16(msg + 42) != TRANSFORM_FLAG_ENCRYPTED ||
      size != len - DFSC_TRANSFORM_HDR_SIZE)
    return DFSC_E_PROTO;
  if (session_id != NULL)
    *session_id = dfsc__le64(msg + 44);
  if (orig_size != NULL)
    *orig_size = size;
  return 0;
}

int dfsc__crypto_decrypt_split(uint16_t cipher, const uint8_t *key, uint8_t *msg,
                               size_t len, size_t head, dfsc__crypto_dst_fn choose,
                               void *arg) {
  uint8_t hdr[DFSC_TRANSFORM_HDR_SIZE];
  uint8_t *plain = msg + DFSC_TRANSFORM_HDR_SIZE, *rest = NULL;
  size_t clen;
  dfsc__aead x;
  int rc;

  rc = dfsc__crypto_transform_peek(msg, len, NULL, NULL);
  if (rc != 0)
    return rc;
  clen = len - DFSC_TRANSFORM_HDR_SIZE;
  /* The head must end on a block boundary for the parts to chain. */
  if (head > clen || head % 16 != 0)
    head = clen;
  memcpy(hdr, msg, sizeof(hdr));
  rc = dfsc__aead_init(&x, cipher, 0, key, hdr + DFSC_TRANSFORM_NONCE_OFFSET,
                       hdr + DFSC_TRANSFORM_NONCE_OFFSET, TRANSFORM_AAD_LEN, clen, hdr + 4);
  if (rc != 0)
    return rc;
  if (!dfsc__aead_streams(&x)) {
    /* One pass over the whole message in place (OpenSSL's CCM), then the
     * rest, authenticated, is copied to where choose() says. */
    (void)dfsc__aead_update(&x, plain, plain, clen);
    rc = dfsc__aead_final(&x, NULL);
    if (rc != 0) {
      dfsc__wipe(plain, clen); /* never plaintext that failed authentication */
      return rc;
    }
    if (head < clen && choose != NULL)
      rest = choose(arg, plain, head, clen - head);
    if (rest != NULL)
      memcpy(rest, plain + head, clen - head);
    return 0;
  }
  (void)dfsc__aead_update(&x, plain, plain, head);
  if (head < clen && choose != NULL)
    rest = choose(arg, plain, head, clen - head);
  if (rest == NULL)
    rest = plain + head;
  (void)dfsc__aead_update(&x, rest, plain + head, clen - head);
  rc = dfsc__aead_final(&x, NULL);
  if (rc != 0) {
    /* Never hand out plaintext that failed authentication. */
    dfsc__wipe(plain, head);
    dfsc__wipe(rest, clen - head);
  }
  return rc;
}

int dfsc__crypto_decrypt(uint16_t cipher, const uint8_t *key, const uint8_t *msg,
                         size_t len, uint8_t *plain, size_t cap, size_t *plen) {
  uint8_t hdr[DFSC_TRANSFORM_HDR_SIZE];
  size_t clen;
  dfsc__aead x;
  int rc;

  *plen = 0;
  rc = dfsc__crypto_transform_peek(msg, len, NULL, NULL);
  if (rc != 0)
    return rc;
  if (dfsc__crypto_cipher_key_len(cipher) == 0)
    return -EINVAL;
  clen = len - DFSC_TRANSFORM_HDR_SIZE;
  if (cap < clen)
    return DFSC_E_NOSPACE;
  /* Decrypting in place overwrites nothing in the header, but keep a copy
   * anyway so the tag and AAD stay readable whatever the caller aliases. */
  memcpy(hdr, msg, sizeof(hdr));
  rc = dfsc__aead_init(&x, cipher, 0, key, hdr + DFSC_TRANSFORM_NONCE_OFFSET,
                       hdr + DFSC_TRANSFORM_NONCE_OFFSET, TRANSFORM_AAD_LEN, clen, hdr + 4);
  if (rc != 0)
    return rc;
  (void)dfsc__aead_update(&x, plain, msg + DFSC_TRANSFORM_HDR_SIZE, clen);
  rc = dfsc__aead_final(&x, NULL);
  if (rc != 0) {
    /* Never hand out plaintext that failed authentication. */
    dfsc__wipe(plain, clen);
    return rc;
  }
  *plen = clen;
  return 0;
}
