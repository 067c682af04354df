/* Unit tests for src/session/crypto.c: SMB 3.x key derivation, preauth
 * integrity, transform encryption against the Microsoft Open Specifications
 * test vectors (blogs "Encryption in SMB 3.0: a protocol perspective",
 * "SMB 3.1.1 encryption in Windows 10", "SMB 3.1.1 pre-authentication
 * integrity in Windows 10"), signing against RFC 4493 / RFC 4231 primitives
 * and the [MS-SMB2] 3.1.4.1 framing rules, and tamper rejection. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <nettle/cmac.h>
#include <nettle/gcm.h>
#include <nettle/hmac.h>

#include "core/buf.h"
#include "dfsc/errors.h"
#include "golden.h"
#include "session/crypto.h"
#include "smb2/smb2.h"

/* ---- key derivation ---------------------------------------------------- */

static void test_kdf_smb300_encryption_keys(void **state) {
  uint8_t sk[16], want_enc[16], want_dec[16];
  dfsc_smb3_keys k;
  (void)state;
  unhex("B4546771B515F766A86735532DD6C4F0", sk, sizeof(sk));
  unhex("261B72350558F2E9DCF613070383EDBF", want_enc, sizeof(want_enc));
  unhex("8FE2B57EC34D2DB5B1A9727F526BBDB5", want_dec, sizeof(want_dec));
  assert_int_equal(dfsc__crypto_derive_keys(SMB2_DIALECT_300, SMB2_ENCRYPTION_AES128_CCM,
                                            sk, sizeof(sk), NULL, &k),
                   0);
  assert_int_equal(k.cipher_key_len, 16);
  assert_memory_equal(k.encryption, want_enc, 16);
  assert_memory_equal(k.decryption, want_dec, 16);
  /* 3.0.2 uses the same labels. */
  assert_int_equal(dfsc__crypto_derive_keys(SMB2_DIALECT_302, SMB2_ENCRYPTION_AES128_CCM,
                                            sk, sizeof(sk), NULL, &k),
                   0);
  assert_memory_equal(k.encryption, want_enc, 16);
}

static const char *preauth_311_enc =
    "B23F3CBFD69487D9832B79B1594A367CDD950909B774C3A4C412B4FCEA9EDDDBA7DB256BA2EA30E9"
    "77F11F9B113247578E0E915C6D2A513B8F2FCA5707DC8770";

static void test_kdf_smb311_encryption_keys(void **state) {
  uint8_t sk[16], pa[64], want_enc[16], want_dec[16];
  dfsc_smb3_keys k;
  (void)state;
  unhex("419FDDF34C1E001909D362AE7FB6AF79", sk, sizeof(sk));
  assert_int_equal(unhex(preauth_311_enc, pa, sizeof(pa)), 64);
  unhex("A2F5E80E5D59103034F32E52F698E5EC", want_enc, sizeof(want_enc));
  unhex("748C50868C90F302962A5C35F5F9A8BF", want_dec, sizeof(want_dec));
  assert_int_equal(dfsc__crypto_derive_keys(SMB2_DIALECT_311, SMB2_ENCRYPTION_AES128_GCM,
                                            sk, sizeof(sk), pa, &k),
                   0);
  assert_memory_equal(k.encryption, want_enc, 16);
  assert_memory_equal(k.decryption, want_dec, 16);
}

/* The preauth blog: five messages of a 3.1.1 NTLM logon, the hash after each,
 * and the signing key derived from the last hash. */
static const char *pa_msgs[5] = {
    "FE534D4240000100000000000000800000000000000000000100000000000000FFFE000000000000"
    "00000000000000000000000000000000000000000000000024000500000000003F000000ECD86F32"
    "6276024F9F7752B89BB33F3A70000000020000000202100200030203110300000100260000000000"
    "010020000100FA49E6578F1F3A9F4CD3E9CC14A67AA884B3D05844E0E5A118225C15887F32FF0000"
    "0200060000000000020002000100",
    "FE534D4240000100000000000000010001000000000000000100000000000000FFFE000000000000"
    "000000000000000000000000000000000000000000000000410001001103020039CBCAF329714942"
    "BDCE5D60F09AB3FB2F000000000080000000800000008000D8DAE5ADCBAED00109094AB095AED001"
    "80004001C00100006082013C06062B0601050502A08201303082012CA01A3018060A2B0601040182"
    "3702021E060A2B06010401823702020AA282010C048201084E45474F455854530100000000000000"
    "60000000700000007C7CC0FD06D6362D02DDE1CF343BFE292900F49750B4AA97934D9C4296B26E51"
    "FD370471B235E15A50DAE15BD5489C87000000000000000060000000010000000000000000000000"
    "5C33530DEAF90D4DB2EC4AE3786EC3084E45474F4558545303000000010000004000000098000000"
    "7C7CC0FD06D6362D02DDE1CF343BFE295C33530DEAF90D4DB2EC4AE3786EC3084000000058000000"
    "3056A05430523027802530233121301F06035504031318546F6B656E205369676E696E6720507562"
    "6C6963204B65793027802530233121301F06035504031318546F6B656E205369676E696E67205075"
    "626C6963204B6579010026000000000001002000010060A3C3B95C3C7CCD51EC536648D9B3AC74C4"
    "83CA5B65385A251117BEB30712E50000020004000000000001000200",
    "FE534D4240000100000000000100800000000000000000000200000000000000FFFE000000000000"
    "00000000000000000000000000000000000000000000000019000001010000000000000058004A00"
    "0000000000000000604806062B0601050502A03E303CA00E300C060A2B06010401823702020AA22A"
    "04284E544C4D5353500001000000978208E200000000000000000000000000000000060380250000"
    "000F",
    "FE534D4240000100160000C00100010001000000000000000200000000000000FFFE000000000000"
    "190000000010000000000000000000000000000000000000090000004800B300A181B03081ADA003"
    "0A0101A10C060A2B06010401823702020AA281970481944E544C4D53535000020000000C000C0038"
    "00000015828AE20D1D8BA31179D008000000000000000050005000440000000A0092270000000F53"
    "005500540033003100310002000C0053005500540033003100310001000C00530055005400330031"
    "00310004000C0053005500540033003100310003000C0053005500540033003100310007000800A1"
    "A1F5ADCBAED00100000000",
    "FE534D4240000100000000000100800000000000000000000300000000000000FFFE000000000000"
    "1900000000100000000000000000000000000000000000001900000101000000000000005800CF01"
    "0000000000000000A18201CB308201C7A0030A0101A28201AA048201A64E544C4D53535000030000"
    "001800180090000000EE00EE00A80000000C000C00580000001A001A0064000000120012007E0000"
    "001000100096010000158288E2060380250000000FECAC77A5F385A8BF9C38C706EEEDDCD3530055"
    "005400330031003100610064006D0069006E006900730074007200610074006F0072004400520049"
    "0056004500520033003100310000000000000000000000000000000000000000000000000063078E"
    "B639FE03E20A231C3AE3BF23080101000000000000A1A1F5ADCBAED001BC4AD05F223CC90F000000"
    "0002000C0053005500540033003100310001000C0053005500540033003100310004000C00530055"
    "00540033003100310003000C0053005500540033003100310007000800A1A1F5ADCBAED001060004"
    "00020000000800300030000000000000000000000000300000B61FEFCAA857EA57BF1EDCEBF8974B"
    "8E0EBA5A6DFD9D07A31D11B548F8C9D0CC0A00100000000000000000000000000000000000090016"
    "0063006900660073002F005300550054003300310031000000000000000000000000003B9BDFF38F"
    "5EE8F9663F11A0F4C03A78A31204100100000063775A9A5FD97F0600000000"};
static const char *pa_hashes[5] = {
    "DD94EFC5321BB618A2E208BA8920D2F422992526947A409B5037DE1E0FE8C7362B8C47122594CDE0"
    "CE26AA9DFC8BCDBDE0621957672623351A7540F1E54A0426",
    "324BFA92A4F3A190E466EBEA08D9C110DC88BFED758D9846ECC6F541CC1D02AE3C94A79F36011E99"
    "7E13F841B91B50957AD07B19C8E2539C0B23FDAE09D2C513",
    "AC0B0F2B9986257700365E416D142A6EDC96DF03594A19E52A15F6BD0D041CD5D432F8ED42C55E33"
    "197A50C9EC00F1462B50C592211B1471A04B56088FDFD5F9",
    "2729E3440DFDDD839E37193F6E8F20C20CEFB3469E453A70CD980EEC06B8835740A7376008563336"
    "4C8989895ECE81BF102DEEB14D4B7D48AFA76901A7A38387",
    "0DD13628CC3ED218EF9DF9772D436D0887AB9814BFAE63A80AA845F36909DB7928622DDDAD522D97"
    "51640A459762C5A9D6BB084CBB3CE6BDADEF5D5BCE3C6C01"};

static void test_preauth_chain_and_311_signing_key(void **state) {
  uint8_t hash[64], want[64], msg[1024], sk[16], want_sign[16], sign[16];
  size_t i, n;
  dfsc_smb3_keys k;
  (void)state;
  memset(hash, 0, sizeof(hash));
  for (i = 0; i < 5; i++) {
    n = unhex(pa_msgs[i], msg, sizeof(msg));
    dfsc__crypto_preauth_update(hash, msg, n);
    unhex(pa_hashes[i], want, sizeof(want));
    assert_memory_equal(hash, want, 64);
  }
  unhex("270E1BA896585EEB7AF3472D3B4C75A7", sk, sizeof(sk));
  unhex("73FE7A9A77BEF0BDE49C650D8CCB5F76", want_sign, sizeof(want_sign));
  assert_int_equal(dfsc__crypto_derive_signing_key(SMB2_DIALECT_311, sk, hash, sign), 0);
  assert_memory_equal(sign, want_sign, 16);
  assert_int_equal(dfsc__crypto_derive_keys(SMB2_DIALECT_311, 0, sk, 16, hash, &k), 0);
  assert_memory_equal(k.signing, want_sign, 16);
}

/* SP800-108 structure for L = 256 (no published SMB vector): two PRF
 * blocks with counters 1 and 2 and L = 0x00000100. */
static void test_kdf_256_bit_layout(void **state) {
  static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  static const uint8_t label[] = "SMBC2SCipherKey";
  uint8_t ctx[64], out32[32], out16[16], want[64];
  struct hmac_sha256_ctx h;
  uint8_t i, sep = 0, l256[4] = {0, 0, 1, 0};
  (void)state;
  memset(ctx, 0x5A, sizeof(ctx));
  for (i = 1; i <= 2; i++) {
    uint8_t ctr[4] = {0, 0, 0, i};
    hmac_sha256_set_key(&h, sizeof(key), key);
    hmac_sha256_update(&h, 4, ctr);
    hmac_sha256_update(&h, sizeof(label), label);
    hmac_sha256_update(&h, 1, &sep);
    hmac_sha256_update(&h, sizeof(ctx), ctx);
    hmac_sha256_update(&h, 4, l256);
    hmac_sha256_digest(&h, 32, want + 32 * (i - 1));
  }
  assert_int_equal(
      dfsc__crypto_kdf(key, sizeof(key), label, sizeof(label), ctx, sizeof(ctx), out32, 32),
      0);
  assert_memory_equal(out32, want, 32);
  /* L is part of the input: a 128-bit key is not a prefix of a 256-bit one. */
  assert_int_equal(
      dfsc__crypto_kdf(key, sizeof(key), label, sizeof(label), ctx, sizeof(ctx), out16, 16),
      0);
  assert_memory_not_equal(out16, out32, 16);
  assert_int_equal(
      dfsc__crypto_kdf(key, sizeof(key), label, sizeof(label), ctx, sizeof(ctx), out16, 24),
      -EINVAL);
}

static void test_derive_keys_256_and_errors(void **state) {
  uint8_t sk[32], pa[64];
  dfsc_smb3_keys k, k128;
  (void)state;
  memset(sk, 0x11, sizeof(sk));
  memset(pa, 0x22, sizeof(pa));
  assert_int_equal(dfsc__crypto_derive_keys(SMB2_DIALECT_311, SMB2_ENCRYPTION_AES256_GCM,
                                            sk, sizeof(sk), pa, &k),
                   0);
  assert_int_equal(k.cipher_key_len, 32);
  assert_int_equal(dfsc__crypto_derive_keys(SMB2_DIALECT_311, SMB2_ENCRYPTION_AES128_GCM,
                                            sk, sizeof(sk), pa, &k128),
                   0);
  assert_int_equal(k128.cipher_key_len, 16);
  /* Signing keys never depend on the cipher; cipher keys do. */
  assert_memory_equal(k.signing, k128.signing, 16);
  assert_memory_not_equal(k.encryption, k128.encryption, 16);
  assert_memory_not_equal(k.encryption, k.decryption, 32);
  assert_int_equal(dfsc__crypto_derive_keys(SMB2_DIALECT_210, 0, sk, 16, NULL, &k),
                   -EINVAL);
  assert_int_equal(dfsc__crypto_derive_keys(SMB2_DIALECT_311, 9, sk, 16, pa, &k), -EINVAL);
  assert_int_equal(dfsc__crypto_derive_keys(SMB2_DIALECT_300, 0, sk, 8, NULL, &k), -EINVAL);
  assert_int_equal(dfsc__crypto_derive_signing_key(SMB2_DIALECT_311, sk, NULL, k.signing),
                   -EINVAL);
}

/* ---- signing ----------------------------------------------------------- */

/* A plausible 96-byte message: header with a garbage signature + body. */
static void make_pdu(uint8_t *pdu, size_t len, uint64_t mid, uint32_t flags, uint16_t cmd) {
  size_t i;
  for (i = 0; i < len; i++)
    pdu[i] = (uint8_t)(i * 7 + 3);
  dfsc__put_le32(pdu, SMB2_PROTOCOL_ID);
  dfsc__put_le16(pdu + 12, cmd);
  dfsc__put_le32(pdu + 16, flags);
  dfsc__put_le64(pdu + 24, mid);
}

static void test_primitives_match_rfc_vectors(void **state) {
  /* RFC 4493 example 2 and RFC 4231 test case 2, through nettle: the
   * primitives the signing code calls. */
  uint8_t k[16], m[16], want[32], got[32];
  struct cmac_aes128_ctx c;
  struct hmac_sha256_ctx h;
  (void)state;
  unhex("2b7e151628aed2a6abf7158809cf4f3c", k, sizeof(k));
  unhex("6bc1bee22e409f96e93d7e117393172a", m, sizeof(m));
  unhex("070a16b46b4d4144f79bdd9dd04a287c", want, sizeof(want));
  cmac_aes128_set_key(&c, k);
  cmac_aes128_update(&c, sizeof(m), m);
  cmac_aes128_digest(&c, 16, got);
  assert_memory_equal(got, want, 16);
  unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want,
        sizeof(want));
  hmac_sha256_set_key(&h, 4, (const uint8_t *)"Jefe");
  hmac_sha256_update(&h, 28, (const uint8_t *)"what do ya want for nothing?");
  hmac_sha256_digest(&h, 32, got);
  assert_memory_equal(got, want, 32);
}

static void test_sign_cmac_and_hmac_framing(void **state) {
  uint8_t key[16], pdu[96], copy[96], want[32];
  struct cmac_aes128_ctx c;
  struct hmac_sha256_ctx h;
  (void)state;
  unhex("2b7e151628aed2a6abf7158809cf4f3c", key, sizeof(key));

  /* 3.0: AES-128-CMAC over the message with a zero signature field. */
  make_pdu(pdu, sizeof(pdu), 5, 0, SMB2_READ);
  memcpy(copy, pdu, sizeof(pdu));
  memset(copy + 48, 0, 16);
  cmac_aes128_set_key(&c, key);
  cmac_aes128_update(&c, sizeof(copy), copy);
  cmac_aes128_digest(&c, 16, want);
  assert_int_equal(
      dfsc__crypto_sign(SMB2_DIALECT_300, SMB2_SIGNING_HMAC_SHA256, key, pdu, sizeof(pdu)),
      0);
  assert_memory_equal(pdu + 48, want, 16);
  assert_memory_equal(pdu, copy, 48); /* nothing but the signature changes */
  assert_memory_equal(pdu + 64, copy + 64, 32);
  assert_int_equal(dfsc__crypto_verify(SMB2_DIALECT_302, 0, key, pdu, sizeof(pdu)), 0);

  /* 2.1: the first 16 bytes of HMAC-SHA256. */
  make_pdu(pdu, sizeof(pdu), 6, 0, SMB2_WRITE);
  memcpy(copy, pdu, sizeof(pdu));
  memset(copy + 48, 0, 16);
  hmac_sha256_set_key(&h, 16, key);
  hmac_sha256_update(&h, sizeof(copy), copy);
  hmac_sha256_digest(&h, 32, want);
  assert_int_equal(
      dfsc__crypto_sign(SMB2_DIALECT_210, SMB2_SIGNING_AES_GMAC, key, pdu, sizeof(pdu)), 0);
  assert_memory_equal(pdu + 48, want, 16);
  assert_int_equal(dfsc__crypto_verify(SMB2_DIALECT_202, 0, key, pdu, sizeof(pdu)), 0);

  /* 3.1.1 follows the negotiated algorithm. */
  make_pdu(pdu, sizeof(pdu), 6, 0, SMB2_WRITE);
  assert_int_equal(
      dfsc__crypto_sign(SMB2_DIALECT_311, SMB2_SIGNING_HMAC_SHA256, key, pdu, sizeof(pdu)),
      0);
  assert_memory_equal(pdu + 48, want, 16);
}

static void gmac_ref(const uint8_t key[16], const uint8_t *pdu, size_t len, uint32_t role,
                     uint8_t out[16]) {
  uint8_t copy[128], nonce[12];
  struct gcm_aes128_ctx g;
  assert_true(len <= sizeof(copy));
  memcpy(copy, pdu, len);
  memset(copy + 48, 0, 16);
  memcpy(nonce, pdu + 24, 8);
  dfsc__put_le32(nonce + 8, role);
  gcm_aes128_set_key(&g, key);
  gcm_aes128_set_iv(&g, 12, nonce);
  gcm_aes128_update(&g, len, copy);
  gcm_aes128_digest(&g, 16, out);
}

/* A message signed and checked in two parts (a WRITE's data sent from
 * the caller's buffer, a READ's received into it) has the signature of
 * the same bytes in one buffer, for every algorithm. */
static void test_sign_verify_split(void **state) {
  static const struct {
    uint16_t dialect, alg;
  } cases[] = {{SMB2_DIALECT_210, 0},
               {SMB2_DIALECT_300, 0},
               {SMB2_DIALECT_311, SMB2_SIGNING_HMAC_SHA256},
               {SMB2_DIALECT_311, SMB2_SIGNING_AES_CMAC},
               {SMB2_DIALECT_311, SMB2_SIGNING_AES_GMAC}};
  uint8_t key[16], whole[112 + 5000], head[112], sig[16];
  size_t i, j;
  (void)state;
  for (j = 0; j < sizeof(key); j++)
    key[j] = (uint8_t)(0xA0 + j);
  for (j = 0; j < sizeof(whole); j++)
    whole[j] = (uint8_t)(j * 13 + 5);
  dfsc__put_le32(whole, 0x424D53FEu); /* a header-shaped start */
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    uint16_t d = cases[i].dialect, a = cases[i].alg;
    assert_int_equal(dfsc__crypto_sign(d, a, key, whole, sizeof(whole)), 0);
    memcpy(sig, whole + DFSC_SMB2_SIG_OFFSET, 16);
    memcpy(head, whole, sizeof(head));
    memset(head + DFSC_SMB2_SIG_OFFSET, 0x77, 16); /* overwritten */
    assert_int_equal(
        dfsc__crypto_sign_split(d, a, key, head, sizeof(head), whole + 112, 5000), 0);
    assert_memory_equal(head + DFSC_SMB2_SIG_OFFSET, sig, 16);
    assert_int_equal(
        dfsc__crypto_verify_split(d, a, key, head, sizeof(head), whole + 112, 5000), 0);
    assert_int_equal(dfsc__crypto_verify(d, a, key, whole, sizeof(whole)), 0);
    whole[112 + 4321] ^= 0x01;
    assert_int_equal(
        dfsc__crypto_verify_split(d, a, key, head, sizeof(head), whole + 112, 5000),
        DFSC_E_SIGNATURE);
    whole[112 + 4321] ^= 0x01;
    /* The first part must end on a 16-byte block after the header. */
    assert_int_equal(dfsc__crypto_sign_split(d, a, key, head, 100, whole + 100, 5012),
                     -EINVAL);
    assert_int_equal(dfsc__crypto_verify_split(d, a, key, head, 100, whole + 100, 5012),
                     -EINVAL);
  }
}

static void test_sign_gmac_nonce(void **state) {
  uint8_t key[16], pdu[100], want[16], sig_client[16];
  (void)state;
  memset(key, 0x42, sizeof(key));

  /* Client request: role bits 0. Length not a multiple of 16 on purpose. */
  make_pdu(pdu, sizeof(pdu), 0x1122334455667788ull, 0, SMB2_CREATE);
  gmac_ref(key, pdu, sizeof(pdu), 0, want);
  assert_int_equal(
      dfsc__crypto_sign(SMB2_DIALECT_311, SMB2_SIGNING_AES_GMAC, key, pdu, sizeof(pdu)), 0);
  assert_memory_equal(pdu + 48, want, 16);
  memcpy(sig_client, want, 16);
  assert_int_equal(
      dfsc__crypto_verify(SMB2_DIALECT_311, SMB2_SIGNING_AES_GMAC, key, pdu, sizeof(pdu)),
      0);

  /* Server response: bit 0 set. */
  make_pdu(pdu, sizeof(pdu), 0x1122334455667788ull, SMB2_FLAGS_SERVER_TO_REDIR,
           SMB2_CREATE);
  gmac_ref(key, pdu, sizeof(pdu), 1, want);
  assert_int_equal(
      dfsc__crypto_sign(SMB2_DIALECT_311, SMB2_SIGNING_AES_GMAC, key, pdu, sizeof(pdu)), 0);
  assert_memory_equal(pdu + 48, want, 16);
  assert_memory_not_equal(pdu + 48, sig_client, 16);

  /* CANCEL request: bit 1 set. */
  make_pdu(pdu, sizeof(pdu), 9, 0, SMB2_CANCEL);
  gmac_ref(key, pdu, sizeof(pdu), 2, want);
  assert_int_equal(
      dfsc__crypto_sign(SMB2_DIALECT_311, SMB2_SIGNING_AES_GMAC, key, pdu, sizeof(pdu)), 0);
  assert_memory_equal(pdu + 48, want, 16);
}

static void test_verify_const_and_tamper(void **state) {
  uint8_t key[16], pdu[80], before[80];
  const uint16_t algs[3] = {SMB2_SIGNING_HMAC_SHA256, SMB2_SIGNING_AES_CMAC,
                            SMB2_SIGNING_AES_GMAC};
  size_t i;
  (void)state;
  memset(key, 7, sizeof(key));
  for (i = 0; i < 3; i++) {
    make_pdu(pdu, sizeof(pdu), 3, SMB2_FLAGS_SERVER_TO_REDIR | SMB2_FLAGS_SIGNED,
             SMB2_TREE_CONNECT);
    assert_int_equal(dfsc__crypto_sign(SMB2_DIALECT_311, algs[i], key, pdu, sizeof(pdu)),
                     0);
    memcpy(before, pdu, sizeof(pdu));
    assert_int_equal(dfsc__crypto_verify(SMB2_DIALECT_311, algs[i], key, pdu, sizeof(pdu)),
                     0);
    /* Verification leaves the received bytes as they were. */
    assert_memory_equal(pdu, before, sizeof(pdu));
    pdu[70] ^= 1; /* body */
    assert_int_equal(dfsc__crypto_verify(SMB2_DIALECT_311, algs[i], key, pdu, sizeof(pdu)),
                     DFSC_E_SIGNATURE);
    pdu[70] ^= 1;
    pdu[50] ^= 0x80; /* signature */
    assert_int_equal(dfsc__crypto_verify(SMB2_DIALECT_311, algs[i], key, pdu, sizeof(pdu)),
                     DFSC_E_SIGNATURE);
    pdu[50] ^= 0x80;
    pdu[24] ^= 1; /* MessageId */
    assert_int_equal(dfsc__crypto_verify(SMB2_DIALECT_311, algs[i], key, pdu, sizeof(pdu)),
                     DFSC_E_SIGNATURE);
  }
  /* Short messages and unknown algorithms are refused outright. */
  assert_int_equal(dfsc__crypto_sign(SMB2_DIALECT_311, 1, key, pdu, 63), -EINVAL);
  assert_int_equal(dfsc__crypto_verify(SMB2_DIALECT_311, 1, key, pdu, 63), -EINVAL);
  assert_int_equal(dfsc__crypto_sign(SMB2_DIALECT_311, 7, key, pdu, sizeof(pdu)), -EINVAL);
  assert_int_equal(dfsc__crypto_sign(0x0999, 1, key, pdu, sizeof(pdu)), -EINVAL);
}

/* ---- encryption -------------------------------------------------------- */

static void test_encrypt_smb300_ccm_vector(void **state) {
  uint8_t key[16], nonce[16], plain[256], want[512], out[512];
  size_t plen, wlen;
  (void)state;
  unhex("261B72350558F2E9DCF613070383EDBF", key, sizeof(key));
  unhex("66E69A111892584FB5ED524A744DA3EE", nonce, sizeof(nonce));
  plen = unhex("FE534D4240000100000000000900400008000000000000000400000000000000"
               "FFFE0000010000001100001400E4080000000000000000000000000000000000"
               "3100700017000000000000000000000015010000390000020100000039020000"
               "00000000000000007000000000000000536D623320656E6372797074696F6E20"
               "74657374696E67",
               plain, sizeof(plain));
  wlen = unhex("FD534D4281A286535415445DAE393921E44FA42E66E69A111892584FB5ED524A"
               "744DA3EE87000000000001001100001400E4080025C8FEE16605A437832D1CD5"
               "2DA9F4645333482A175FE5384563F45FCDAFAEF38BC62BA4D5C62897996625A4"
               "4C29BE5658DE2E6117585779E7B59FFD971278D08580D7FA899E410E910EABF5"
               "AA1DB43050B33B49182637759AC15D84BFCDF5B6B238993C0F4CF4D6012023F6"
               "C627297075D84B7803912D0A9639634453595EF3E33FFE4E7AC2AB",
               want, sizeof(want));
  assert_int_equal(wlen, plen + DFSC_TRANSFORM_HDR_SIZE);
  assert_int_equal(dfsc__crypto_encrypt(SMB2_ENCRYPTION_AES128_CCM, key, nonce,
                                        0x8E40014000011ull, plain, plen, out, sizeof(out)),
                   0);
  assert_memory_equal(out, want, wlen);
  /* Too small an output buffer is refused, not overrun. */
  assert_int_equal(dfsc__crypto_encrypt(SMB2_ENCRYPTION_AES128_CCM, key, nonce, 1, plain,
                                        plen, out, wlen - 1),
                   DFSC_E_NOSPACE);
}

static void test_decrypt_smb300_ccm_vector(void **state) {
  uint8_t key[16], msg[256], want[128], out[256];
  size_t mlen, wlen, plen = 99;
  uint64_t sid = 0;
  uint32_t osz = 0;
  (void)state;
  unhex("8FE2B57EC34D2DB5B1A9727F526BBDB5", key, sizeof(key));
  mlen = unhex("FD534D42A6015530A18F6D9AFFE22AFAE8E66484860000000000000011000014"
               "00E4080050000000000001001100001400E40800DBF46435C5F14169293CE079"
               "E344479BF670227E49873F458672C3098DAC467DD5809F369D67409166515787"
               "1483E01F7BECD02064EAC3E235F913668BBC2F097980D4B378F1993EFF6E60D1"
               "77309E5B",
               msg, sizeof(msg));
  wlen = unhex("FE534D4240000100000000000900210009000000000000000400000000000000"
               "FFFE0000010000001100001400E4080000000000000000000000000000000000"
               "11000000170000000000000000000000",
               want, sizeof(want));
  assert_int_equal(dfsc__crypto_transform_peek(msg, mlen, &sid, &osz), 0);
  assert_int_equal(sid, 0x8E40014000011ull);
  assert_int_equal(osz, wlen);
  assert_int_equal(dfsc__crypto_decrypt(SMB2_ENCRYPTION_AES128_CCM, key, msg, mlen, out,
                                        sizeof(out), &plen),
                   0);
  assert_int_equal(plen, wlen);
  assert_memory_equal(out, want, wlen);
}

static void test_encrypt_smb311_gcm_vector(void **state) {
  uint8_t key[16], nonce[16], plain[256], want[512], out[512];
  size_t plen, wlen;
  (void)state;
  unhex("A2F5E80E5D59103034F32E52F698E5EC", key, sizeof(key));
  memset(nonce, 0, sizeof(nonce));
  unhex("C7D6822D269CAF48904C664C", nonce, sizeof(nonce));
  plen = unhex(
      "FE534D4240000100000000000900010008000000000000000500000000000000FFFE000001000000"
      "25000000001000000000000000000000000000000000000031007000170000000000000000000000"
      "0600000004000000010000000400000000000000000000007000000000000000536D623320656E63"
      "72797074696F6E2074657374696E67",
      plain, sizeof(plain));
  wlen = unhex(
      "FD534D42BD73D97D2BC9001BCAFAC0FDFF5FEEBCC7D6822D269CAF48904C664C0000000087000000"
      "0000010025000000001000006ECDD2A7AFC7B47763057A041B8FD4DAFFE990B70C9E09D36C084E02"
      "D14EF247F8BDE38ACF6256F8B1D3B56F77FBDEB312FEA5E92CBCC1ED8FB2EBBFAA75E49A4A394BB4"
      "4576545567C24D4C014D47C9FBDFDAFD2C4F9B72F8D256452620A299F48E29E53D6B61D1C13A19E9"
      "1AF013F00D17E3ABC2FC3D36C8C1B6B93973253852DBD442E46EE8",
      want, sizeof(want));
  assert_int_equal(wlen, plen + DFSC_TRANSFORM_HDR_SIZE);
  assert_int_equal(dfsc__crypto_encrypt(SMB2_ENCRYPTION_AES128_GCM, key, nonce,
                                        0x100000000025ull, plain, plen, out, sizeof(out)),
                   0);
  assert_memory_equal(out, want, wlen);
}

static void test_decrypt_smb311_gcm_vector(void **state) {
  uint8_t key[16], msg[256], want[128], out[256];
  size_t mlen, wlen, plen = 0;
  (void)state;
  unhex("748C50868C90F302962A5C35F5F9A8BF", key, sizeof(key));
  mlen = unhex(
      "FD534D42ACBE1CB7ED343ADF1725EF144D90D4B0E06831DD2E8EB7B4000000000000000050000000"
      "00000100250000000010000026BBBF949983A6C1C796559D0F2C510CB651D1F7B6AC8DED32A2A0B8"
      "F2D793A815C6F6B848D69767A215841A42D400AE6DDB5F0B44173A014973321FDD7950DA6179159B"
      "82E03C9E18A050FF0EA1C967",
      msg, sizeof(msg));
  wlen = unhex(
      "FE534D4240000100000000000900010001000000000000000500000000000000FFFE000001000000"
      "25000000001000000000000000000000000000000000000011000000170000000000000000000000",
      want, sizeof(want));
  assert_int_equal(dfsc__crypto_decrypt(SMB2_ENCRYPTION_AES128_GCM, key, msg, mlen, out,
                                        sizeof(out), &plen),
                   0);
  assert_int_equal(plen, wlen);
  assert_memory_equal(out, want, wlen);
}

static void test_roundtrip_all_ciphers_and_tamper(void **state) {
  const uint16_t ciphers[4] = {SMB2_ENCRYPTION_AES128_CCM, SMB2_ENCRYPTION_AES128_GCM,
                               SMB2_ENCRYPTION_AES256_CCM, SMB2_ENCRYPTION_AES256_GCM};
  uint8_t key[32], nonce[16], plain[200], msg[300], out[300];
  size_t i, plen, mlen = DFSC_TRANSFORM_HDR_SIZE + sizeof(plain);
  const size_t flip[4] = {DFSC_TRANSFORM_HDR_SIZE + 10, 4 + 3 /* tag */,
                          DFSC_TRANSFORM_NONCE_OFFSET + 2, 44 /* session id */};
  size_t f;
  (void)state;
  for (i = 0; i < sizeof(plain); i++)
    plain[i] = (uint8_t)(i ^ 0xA5);
  for (i = 0; i < sizeof(key); i++)
    key[i] = (uint8_t)(0x30 + i);
  for (i = 0; i < 4; i++) {
    assert_int_equal(dfsc__crypto_nonce(ciphers[i], nonce), 0);
    assert_int_equal(dfsc__crypto_encrypt(ciphers[i], key, nonce, 0xABCDEFull, plain,
                                          sizeof(plain), msg, sizeof(msg)),
                     0);
    assert_memory_not_equal(msg + DFSC_TRANSFORM_HDR_SIZE, plain, 32);
    plen = 0;
    assert_int_equal(
        dfsc__crypto_decrypt(ciphers[i], key, msg, mlen, out, sizeof(out), &plen), 0);
    assert_int_equal(plen, sizeof(plain));
    assert_memory_equal(out, plain, sizeof(plain));

    for (f = 0; f < 4; f++) {
      msg[flip[f]] ^= 0x01;
      memset(out, 0x77, sizeof(out));
      assert_int_equal(
          dfsc__crypto_decrypt(ciphers[i], key, msg, mlen, out, sizeof(out), &plen),
          DFSC_E_SIGNATURE);
      assert_int_equal(plen, 0);
      assert_int_equal(out[0], 0); /* failed plaintext is wiped */
      msg[flip[f]] ^= 0x01;
    }
    /* In place: decrypt over the ciphertext itself. */
    assert_int_equal(dfsc__crypto_decrypt(ciphers[i], key, msg, mlen,
                                          msg + DFSC_TRANSFORM_HDR_SIZE, sizeof(plain),
                                          &plen),
                     0);
    assert_memory_equal(msg + DFSC_TRANSFORM_HDR_SIZE, plain, sizeof(plain));
  }
  /* CCM uses 11 nonce bytes, GCM 12; the rest of the field stays zero. */
  assert_int_equal(dfsc__crypto_nonce(SMB2_ENCRYPTION_AES128_CCM, nonce), 0);
  for (i = 11; i < 16; i++)
    assert_int_equal(nonce[i], 0);
  assert_int_equal(dfsc__crypto_nonce(SMB2_ENCRYPTION_AES256_GCM, nonce), 0);
  for (i = 12; i < 16; i++)
    assert_int_equal(nonce[i], 0);
  assert_int_equal(dfsc__crypto_nonce(0, nonce), -EINVAL);
}

/* dfsc__crypto_decrypt_split's chooser for the test: records what it saw
 * and sends the rest to `dst` (or in place when dst is NULL). */
struct split_probe {
  uint8_t *dst;
  size_t head_len, rest_len;
  uint8_t head0;
  int calls;
};

static uint8_t *split_choose(void *arg, const uint8_t *head, size_t head_len,
                             size_t rest_len) {
  struct split_probe *p = arg;
  p->calls++;
  p->head_len = head_len;
  p->rest_len = rest_len;
  p->head0 = head[0];
  return p->dst;
}

static void test_decrypt_split_all_ciphers(void **state) {
  const uint16_t ciphers[4] = {SMB2_ENCRYPTION_AES128_CCM, SMB2_ENCRYPTION_AES128_GCM,
                               SMB2_ENCRYPTION_AES256_CCM, SMB2_ENCRYPTION_AES256_GCM};
  uint8_t key[32], nonce[16], plain[1000], msg[1100], rest[1000];
  size_t i, j, mlen = DFSC_TRANSFORM_HDR_SIZE + sizeof(plain);
  (void)state;
  for (j = 0; j < sizeof(plain); j++)
    plain[j] = (uint8_t)(j * 7 + 1);
  for (j = 0; j < sizeof(key); j++)
    key[j] = (uint8_t)(0x50 + j);
  for (i = 0; i < 4; i++) {
    struct split_probe p = {rest, 0, 0, 0, 0};
    assert_int_equal(dfsc__crypto_nonce(ciphers[i], nonce), 0);
    assert_int_equal(dfsc__crypto_encrypt(ciphers[i], key, nonce, 9, plain, sizeof(plain),
                                          msg, sizeof(msg)),
                     0);
    /* The head decrypts in place, the rest into another buffer. */
    memset(rest, 0, sizeof(rest));
    assert_int_equal(
        dfsc__crypto_decrypt_split(ciphers[i], key, msg, mlen, 80, split_choose, &p), 0);
    assert_int_equal(p.calls, 1);
    assert_int_equal(p.head_len, 80);
    assert_int_equal(p.rest_len, sizeof(plain) - 80);
    assert_int_equal(p.head0, plain[0]);
    assert_memory_equal(msg + DFSC_TRANSFORM_HDR_SIZE, plain, 80);
    assert_memory_equal(rest, plain + 80, sizeof(plain) - 80);

    /* A flipped ciphertext byte in the rest: the head comes back zeroed
     * and the rest's buffer holds no plaintext (zeroed where a streaming
     * backend wrote it, untouched where one pass in place left it). */
    assert_int_equal(dfsc__crypto_encrypt(ciphers[i], key, nonce, 9, plain, sizeof(plain),
                                          msg, sizeof(msg)),
                     0);
    msg[DFSC_TRANSFORM_HDR_SIZE + 500] ^= 0x10;
    memset(rest, 0x5A, sizeof(rest));
    assert_int_equal(
        dfsc__crypto_decrypt_split(ciphers[i], key, msg, mlen, 80, split_choose, &p),
        DFSC_E_SIGNATURE);
    for (j = 0; j < sizeof(plain) - 80; j++)
      assert_true(rest[j] == 0 || rest[j] == 0x5A);
    for (j = 0; j < 80; j++)
      assert_int_equal(msg[DFSC_TRANSFORM_HDR_SIZE + j], 0);
    assert_memory_not_equal(msg + DFSC_TRANSFORM_HDR_SIZE + 80, plain + 80, 16);

    /* No chooser (or NULL from it), an unaligned head, a short message:
     * all in place, as dfsc__crypto_decrypt does. */
    p.dst = NULL;
    assert_int_equal(dfsc__crypto_encrypt(ciphers[i], key, nonce, 9, plain, sizeof(plain),
                                          msg, sizeof(msg)),
                     0);
    assert_int_equal(
        dfsc__crypto_decrypt_split(ciphers[i], key, msg, mlen, 80, split_choose, &p), 0);
    assert_memory_equal(msg + DFSC_TRANSFORM_HDR_SIZE, plain, sizeof(plain));
    assert_int_equal(
        dfsc__crypto_encrypt(ciphers[i], key, nonce, 9, plain, 50, msg, sizeof(msg)), 0);
    assert_int_equal(dfsc__crypto_decrypt_split(ciphers[i], key, msg,
                                                DFSC_TRANSFORM_HDR_SIZE + 50, 80, NULL,
                                                NULL),
                     0);
    assert_memory_equal(msg + DFSC_TRANSFORM_HDR_SIZE, plain, 50);
  }
}

static void test_transform_header_checks(void **state) {
  uint8_t key[16], nonce[16], plain[40], msg[100], out[100];
  size_t mlen = DFSC_TRANSFORM_HDR_SIZE + sizeof(plain), plen;
  (void)state;
  memset(key, 1, sizeof(key));
  memset(nonce, 2, sizeof(nonce));
  memset(plain, 3, sizeof(plain));
  assert_int_equal(dfsc__crypto_encrypt(SMB2_ENCRYPTION_AES128_GCM, key, nonce, 5, plain,
                                        sizeof(plain), msg, sizeof(msg)),
                   0);
  /* Wrong length for OriginalMessageSize, short, bad id, bad flags. */
  assert_int_equal(dfsc__crypto_decrypt(SMB2_ENCRYPTION_AES128_GCM, key, msg, mlen - 1, out,
                                        sizeof(out), &plen),
                   DFSC_E_PROTO);
  assert_int_equal(dfsc__crypto_decrypt(SMB2_ENCRYPTION_AES128_GCM, key, msg, 51, out,
                                        sizeof(out), &plen),
                   DFSC_E_PROTO);
  msg[0] = 0xFE;
  assert_int_equal(dfsc__crypto_transform_peek(msg, mlen, NULL, NULL), DFSC_E_PROTO);
  msg[0] = 0xFD;
  msg[42] = 2;
  assert_int_equal(dfsc__crypto_transform_peek(msg, mlen, NULL, NULL), DFSC_E_PROTO);
  msg[42] = 1;
  assert_int_equal(dfsc__crypto_transform_peek(msg, mlen, NULL, NULL), 0);
  /* Output too small, unknown cipher. */
  assert_int_equal(dfsc__crypto_decrypt(SMB2_ENCRYPTION_AES128_GCM, key, msg, mlen, out,
                                        sizeof(plain) - 1, &plen),
                   DFSC_E_NOSPACE);
  assert_int_equal(dfsc__crypto_decrypt(7, key, msg, mlen, out, sizeof(out), &plen),
                   -EINVAL);
  assert_int_equal(
      dfsc__crypto_encrypt(7, key, nonce, 5, plain, sizeof(plain), out, sizeof(out)),
      -EINVAL);
  /* The right message with the wrong cipher fails authentication. */
  assert_int_equal(dfsc__crypto_decrypt(SMB2_ENCRYPTION_AES128_CCM, key, msg, mlen, out,
                                        sizeof(out), &plen),
                   DFSC_E_SIGNATURE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kdf_smb300_encryption_keys),
      cmocka_unit_test(test_kdf_smb311_encryption_keys),
      cmocka_unit_test(test_preauth_chain_and_311_signing_key),
      cmocka_unit_test(test_kdf_256_bit_layout),
      cmocka_unit_test(test_derive_keys_256_and_errors),
      cmocka_unit_test(test_primitives_match_rfc_vectors),
      cmocka_unit_test(test_sign_cmac_and_hmac_framing),
      cmocka_unit_test(test_sign_gmac_nonce),
      cmocka_unit_test(test_verify_const_and_tamper),
      cmocka_unit_test(test_encrypt_smb300_ccm_vector),
      cmocka_unit_test(test_decrypt_smb300_ccm_vector),
      cmocka_unit_test(test_encrypt_smb311_gcm_vector),
      cmocka_unit_test(test_decrypt_smb311_gcm_vector),
      cmocka_unit_test(test_roundtrip_all_ciphers_and_tamper),
      cmocka_unit_test(test_decrypt_split_all_ciphers),
      cmocka_unit_test(test_sign_verify_split),
      cmocka_unit_test(test_transform_header_checks),
  };
  printf("# SMB signing and encryption over %s\n", dfsc__crypto_backend());
  fflush(stdout);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
