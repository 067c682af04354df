/* libFuzzer target: the SMB 3.x TRANSFORM_HEADER reader and the AEAD
 * decryption behind it ([MS-SMB2] 2.2.41, 3.2.5.1.1.1),
 * dfsc__crypto_transform_peek and dfsc__crypto_decrypt (src/session/crypto.c),
 * then the SMB2 header and compound walk over what comes out, as the
 * receive path does after decrypting.
 *
 * Input: a selector byte (modulo 4), then:
 *   0  a received message, decrypted with the server-to-client AES-128-GCM
 *      key of the captured smb311enc session (tests/fixtures/smb2), so the
 *      captured smb311enc_transform_rsp* seeds authenticate;
 *   1  the same with that session's client-to-server key (the _req seeds);
 *   2  a cipher byte (modulo 4: AES-128-CCM, -128-GCM, -256-CCM, -256-GCM)
 *      and a received message, decrypted with a fixed key: nearly every
 *      input fails authentication, which exercises the header checks and
 *      the reject path;
 *   3  a cipher byte, then a plaintext: encrypted with the fixed key and a
 *      nonce built from the cipher byte, then read back, decrypted (to a
 *      separate buffer and in place), and once more with one bit flipped.
 * Invariants checked (abort on violation):
 *  - peek and decrypt return only their documented codes; a header that
 *    peek refuses is refused by decrypt with the same code; a message that
 *    decrypts has OriginalMessageSize == its length - 52 and gives that
 *    many bytes;
 *  - a message that fails authentication leaves the output all zero;
 *  - decrypting in place gives the same result as into another buffer;
 *  - encrypt -> peek gives back the session id and size, encrypt ->
 *    decrypt gives back the plaintext, and any single flipped bit of the
 *    encrypted message makes decryption fail;
 *  - over a decrypted message the SMB2 split walk yields PDUs inside it and
 *    ends within len/64 + 1 steps.
 * Does not: fuzz key derivation or signing (no peer-controlled input
 * reaches them beyond what the header decoders check).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfsc/errors.h"
#include "fuzz_common.h"
#include "session/crypto.h"
#include "smb2/compound.h"
#include "smb2/smb2.h"

#define MAXMSG (1u << 16)
static uint8_t msg[DFSC_TRANSFORM_HDR_SIZE + MAXMSG];
static uint8_t plain[MAXMSG];
static uint8_t inplace[DFSC_TRANSFORM_HDR_SIZE + MAXMSG];

/* The smb311enc capture's session keys (derived from its NTLMSSP exchange,
 * as tests/unit/test_auth_golden.c does); the session uses AES-128-GCM. */
static const uint8_t cap_s2c[16] = {0x63, 0x68, 0x13, 0xf3, 0x94, 0x55, 0x61, 0xc7,
                                    0x4e, 0xe1, 0x4e, 0x13, 0x99, 0xd6, 0x5a, 0x92};
static const uint8_t cap_c2s[16] = {0x97, 0xab, 0xd5, 0xc2, 0xb0, 0xd0, 0x30, 0x7b,
                                    0x42, 0x23, 0x88, 0x85, 0x4c, 0xfb, 0x2d, 0x18};
static const uint8_t fixed_key[32] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                      0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
                                      0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78,
                                      0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0};
static const uint16_t ciphers[4] = {SMB2_ENCRYPTION_AES128_CCM, SMB2_ENCRYPTION_AES128_GCM,
                                    SMB2_ENCRYPTION_AES256_CCM, SMB2_ENCRYPTION_AES256_GCM};

static int all_byte(const uint8_t *p, size_t n, uint8_t b) {
  size_t i;
  for (i = 0; i < n; i++)
    if (p[i] != b)
      return 0;
  return 1;
}

static int all_zero(const uint8_t *p, size_t n) { return all_byte(p, n, 0); }

/* What the receive path does with a decrypted message. */
static void inner(const uint8_t *p, size_t len) {
  dfsc_smb2_split s;
  const uint8_t *pdu;
  size_t pdu_len, steps = 0;
  dfsc_smb2_hdr h;
  int rc;

  rc = dfsc__smb2_hdr_decode(p, len, &h);
  CHECK(rc == 0 || rc == DFSC_E_PROTO);
  dfsc__smb2_split_init(&s, p, len);
  while ((rc = dfsc__smb2_split_next(&s, &pdu, &pdu_len, &h)) == 1) {
    CHECK(++steps <= len / SMB2_HDR_SIZE + 1);
    CHECK(inside(pdu, pdu_len, p, len) && pdu_len >= SMB2_HDR_SIZE);
  }
  CHECK(rc == 0 || rc == DFSC_E_PROTO);
}

static uint8_t split_rest[MAXMSG];

static uint8_t *split_dst(void *arg, const uint8_t *head, size_t head_len,
                          size_t rest_len) {
  (void)arg;
  CHECK(head != NULL && head_len == 80);
  return rest_len <= sizeof split_rest ? split_rest : NULL;
}

/* Peek and decrypt one received message, both ways. */
static void received(uint16_t cipher, const uint8_t *key, const uint8_t *m, size_t len) {
  uint64_t sid = 0;
  uint32_t orig = 0;
  size_t plen = 1, plen2 = 1,
         clen = len > DFSC_TRANSFORM_HDR_SIZE ? len - DFSC_TRANSFORM_HDR_SIZE : 0;
  int prc, rc, rc2;

  if (len > sizeof inplace)
    return;
  prc = dfsc__crypto_transform_peek(m, len, &sid, &orig);
  CHECK(prc == 0 || prc == DFSC_E_PROTO);
  if (prc == 0)
    CHECK(len >= DFSC_TRANSFORM_HDR_SIZE && orig == len - DFSC_TRANSFORM_HDR_SIZE);

  memset(plain, 0xa5, clen);
  rc = dfsc__crypto_decrypt(cipher, key, m, len, plain, sizeof plain, &plen);
  CHECK(rc == 0 || rc == DFSC_E_PROTO || rc == DFSC_E_SIGNATURE);
  if (prc != 0)
    CHECK(rc == prc);
  if (rc != 0)
    CHECK(plen == 0);
  if (rc == DFSC_E_SIGNATURE)
    CHECK(all_zero(plain, clen));

  memcpy(inplace, m, len);
  rc2 = dfsc__crypto_decrypt(cipher, key, inplace, len, inplace + DFSC_TRANSFORM_HDR_SIZE,
                             sizeof inplace - DFSC_TRANSFORM_HDR_SIZE, &plen2);
  CHECK(rc2 == rc && plen2 == plen);
  if (rc == 0) {
    CHECK(plen == orig);
    CHECK(memcmp(plain, inplace + DFSC_TRANSFORM_HDR_SIZE, plen) == 0);
    inner(plain, plen);
  }

  /* In two parts, the second into another buffer (the zero-copy READ
   * path): the same verdict and, joined, the same plaintext. */
  memcpy(inplace, m, len);
  memset(split_rest, 0xa5, sizeof split_rest);
  rc2 = dfsc__crypto_decrypt_split(cipher, key, inplace, len, 80, split_dst, NULL);
  CHECK(rc2 == rc);
  if (rc == 0 && clen > 80) {
    CHECK(memcmp(plain, inplace + DFSC_TRANSFORM_HDR_SIZE, 80) == 0);
    CHECK(memcmp(plain + 80, split_rest, clen - 80) == 0);
  } else if (rc == 0) {
    CHECK(memcmp(plain, inplace + DFSC_TRANSFORM_HDR_SIZE, clen) == 0);
  }
  /* A bad tag leaves no plaintext in the second buffer: wiped where a
   * streaming backend decrypted into it, untouched where the message was
   * decrypted in one pass in place (OpenSSL's CCM), which also wipes the
   * first part. */
  if (rc == DFSC_E_SIGNATURE && clen > 80) {
    CHECK(all_zero(split_rest, clen - 80) || all_byte(split_rest, clen - 80, 0xa5));
    CHECK(all_zero(inplace + DFSC_TRANSFORM_HDR_SIZE, 80));
  }
}

static void roundtrip(uint8_t sel, const uint8_t *p, size_t len) {
  uint16_t cipher = ciphers[sel % 4];
  uint8_t nonce[16];
  uint64_t sid = 0, want_sid = 0x0000a5a5deadbeefull ^ sel;
  uint32_t orig = 0;
  size_t plen = 0, mlen = DFSC_TRANSFORM_HDR_SIZE + len, bit;
  unsigned i;
  int rc;

  if (len > MAXMSG)
    return;
  for (i = 0; i < sizeof nonce; i++)
    nonce[i] = (uint8_t)(sel * 31u + i);
  rc = dfsc__crypto_encrypt(cipher, fixed_key, nonce, want_sid, p, len, msg, sizeof msg);
  CHECK(rc == 0);
  CHECK(dfsc__crypto_transform_peek(msg, mlen, &sid, &orig) == 0);
  CHECK(sid == want_sid && orig == len);
  CHECK(dfsc__crypto_decrypt(cipher, fixed_key, msg, mlen, plain, sizeof plain, &plen) ==
        0);
  CHECK(plen == len && (len == 0 || memcmp(plain, p, len) == 0));
  received(cipher, fixed_key, msg, mlen);

  /* Any one flipped bit: protocol id, flags or size fail the header
   * check, anything else the tag (bytes 20..51 are the AAD). */
  bit = ((size_t)sel * 2654435761u + len) % (mlen * 8);
  msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  rc = dfsc__crypto_decrypt(cipher, fixed_key, msg, mlen, plain, sizeof plain, &plen);
  CHECK(rc == DFSC_E_PROTO || rc == DFSC_E_SIGNATURE);
  received(cipher, fixed_key, msg, mlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  switch (data[0] % 4) {
  case 0:
    received(SMB2_ENCRYPTION_AES128_GCM, cap_s2c, data + 1, size - 1);
    break;
  case 1:
    received(SMB2_ENCRYPTION_AES128_GCM, cap_c2s, data + 1, size - 1);
    break;
  case 2:
    if (size >= 2)
      received(ciphers[data[1] % 4], fixed_key, data + 2, size - 2);
    break;
  default:
    if (size >= 2)
      roundtrip(data[1], data + 2, size - 2);
    break;
  }
  return 0;
}
