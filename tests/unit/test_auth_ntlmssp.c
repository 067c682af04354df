/* Unit tests for src/auth/ntlmssp.c: the [MS-NLMP] 4.2.4 NTLMv2 known
 * answers (NTOWFv2, NTProofStr, LMv2, SessionBaseKey, EncryptedRandom-
 * SessionKey, the whole 4.2.4.3 AUTHENTICATE_MESSAGE, the 4.2.4.4 keys,
 * sealing and signature), a real Windows CHALLENGE with MsvAvTimestamp
 * (MIC, Z(24) LM response, MsvAvFlags), anonymous logon, and hostile
 * CHALLENGE messages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <nettle/arcfour.h>
#include <nettle/hmac.h>

#include "auth/ntlmssp.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "dfsc/errors.h"
#include "golden.h"

/* [MS-NLMP] 4.2.4.3 CHALLENGE_MESSAGE (server "Server", domain "Domain"). */
static const char *spec_challenge =
    "4e544c4d53535000 02000000 0c000c00 38000000 33828ae2 0123456789abcdef"
    " 0000000000000000 24002400 44000000 060070170000000f"
    " 530065007200760065007200"
    " 02000c00 44006f006d00610069006e00 01000c00 530065007200760065007200 00000000";

/* [MS-NLMP] 4.2.4.3 AUTHENTICATE_MESSAGE. */
static const char *spec_authenticate =
    "4e544c4d53535000 03000000 18001800 6c000000 54005400 84000000"
    " 0c000c00 48000000 08000800 54000000 10001000 5c000000 10001000 d8000000"
    " 358288e2 0501280a0000000f"
    " 44006f006d00610069006e00 5500730065007200 43004f004d0050005500540045005200"
    " 86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"
    " 68cd0ab851e51c96aabc927bebef6a1c"
    " 0101000000000000 0000000000000000 aaaaaaaaaaaaaaaa 00000000"
    " 02000c00 44006f006d00610069006e00 01000c00 530065007200760065007200 00000000"
    " 00000000"
    " c5dad2544fc9799094ce1ce90bc9d03e";

/* A Windows Server CHALLENGE from the "SMB 3.1.1 pre-authentication
 * integrity" blog: TargetInfo with MsvAvTimestamp. */
static const char *win_challenge =
    "4E544C4D53535000020000000C000C003800000015828AE20D1D8BA31179D008"
    "00000000000000005000500044000000 0A0092270000000F 530055005400330031003100"
    " 02000C00530055005400330031003100 01000C00530055005400330031003100"
    " 04000C00530055005400330031003100 03000C00530055005400330031003100"
    " 07000800A1A1F5ADCBAED001 00000000";

static const dfsc_ntlmssp_fixed spec_fixed = {
    .client_challenge = {0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa},
    .exported_key = {0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
                     0x55, 0x55, 0x55, 0x55},
    .time = 0,
    .version = {0x05, 0x01, 0x28, 0x0a, 0x00, 0x00, 0x00, 0x0f},
};

/* ---- known answers ----------------------------------------------------- */

static void test_ntowfv2_vector(void **state) {
  uint8_t got[16], want[16], other[16];
  (void)state;
  unhex("0c868a403bfd7a93a3001ef22ef02e3f", want, sizeof(want));
  assert_int_equal(dfsc__ntlmssp_ntowfv2("Password", "User", "Domain", got), 0);
  assert_memory_equal(got, want, 16);
  /* The user name is upper-cased, the domain is not. */
  assert_int_equal(dfsc__ntlmssp_ntowfv2("Password", "user", "Domain", other), 0);
  assert_memory_equal(other, want, 16);
  assert_int_equal(dfsc__ntlmssp_ntowfv2("Password", "User", "DOMAIN", other), 0);
  assert_memory_not_equal(other, want, 16);
  assert_int_equal(dfsc__ntlmssp_ntowfv2("Password", "User\xff", "Domain", other), -EILSEQ);
}

static void test_v2_response_vector(void **state) {
  uint8_t key[16], schal[8], cchal[8], av[64], nt[256], lm[24], sbk[16];
  uint8_t want_proof[16], want_lm[24], want_sbk[16], want_temp[128];
  size_t av_len, temp_len;
  (void)state;
  unhex("0c868a403bfd7a93a3001ef22ef02e3f", key, sizeof(key));
  unhex("0123456789abcdef", schal, sizeof(schal));
  memset(cchal, 0xaa, sizeof(cchal));
  av_len =
      unhex("02000c0044006f006d00610069006e00 01000c00530065007200760065007200 00000000",
            av, sizeof(av));
  unhex("68cd0ab851e51c96aabc927bebef6a1c", want_proof, sizeof(want_proof));
  unhex("86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa", want_lm, sizeof(want_lm));
  unhex("8de40ccadbc14a82f15cb0ad0de95ca3", want_sbk, sizeof(want_sbk));
  /* 4.2.4.1.3 temp */
  temp_len = unhex("0101000000000000 0000000000000000 aaaaaaaaaaaaaaaa 00000000"
                   " 02000c0044006f006d00610069006e00 01000c00530065007200760065007200"
                   " 00000000 00000000",
                   want_temp, sizeof(want_temp));
  dfsc__ntlmssp_v2_response(key, schal, cchal, 0, av, av_len, nt, lm, sbk);
  assert_memory_equal(nt, want_proof, 16);
  assert_int_equal(temp_len, 28 + av_len + 4);
  assert_memory_equal(nt + 16, want_temp, temp_len);
  assert_memory_equal(lm, want_lm, 24);
  assert_memory_equal(sbk, want_sbk, 16);
}

static void test_authenticate_matches_spec_message(void **state) {
  uint8_t chal[256], want[512], key[16];
  uint8_t *out = NULL;
  size_t chal_len, want_len, outlen = 0;
  const uint8_t *neg;
  size_t neglen;
  dfsc_ntlmssp *n = NULL;
  dfsc_ntlmssp_challenge c;
  (void)state;
  chal_len = unhex(spec_challenge, chal, sizeof(chal));
  want_len = unhex(spec_authenticate, want, sizeof(want));
  assert_int_equal(want_len, 0xe8);

  assert_int_equal(dfsc__ntlmssp_challenge_decode(chal, chal_len, &c), 0);
  assert_int_equal(c.flags, 0xe28a8233u);
  assert_int_equal(c.has_version, 1);
  assert_int_equal(c.target_name_len, 12);
  assert_int_equal(c.target_info_len, 0x24);
  assert_int_equal(c.has_timestamp, 0);
  assert_int_equal(c.nb_domain_len, 12);
  assert_memory_equal(c.nb_computer, "S\0e\0r\0v\0e\0r\0", 12);

  assert_int_equal(dfsc__ntlmssp_new("User", "Domain", "Password", "COMPUTER", &n), 0);
  dfsc__ntlmssp_set_fixed(n, &spec_fixed);
  assert_int_equal(dfsc__ntlmssp_negotiate(n, &neg, &neglen), 0);
  assert_int_equal(neglen, DFSC_NTLMSSP_NEGOTIATE_SIZE);
  assert_int_equal(dfsc__le32(neg + 12), DFSC_NTLMSSP_CLIENT_FLAGS);
  assert_int_equal(dfsc__ntlmssp_authenticate(n, chal, chal_len, &out, &outlen), 0);
  assert_int_equal(outlen, want_len);
  assert_memory_equal(out, want, want_len);
  /* No MsvAvTimestamp: no MIC, so SPNEGO needs no mechListMIC. */
  assert_int_equal(dfsc__ntlmssp_mic_sent(n), 0);
  assert_int_equal(dfsc__ntlmssp_session_key(n, key), 0);
  assert_memory_equal(key, spec_fixed.exported_key, 16);
  /* Out of sequence: a second AUTHENTICATE is refused. */
  dfsc__free(out);
  out = NULL;
  assert_int_equal(dfsc__ntlmssp_authenticate(n, chal, chal_len, &out, &outlen), -EINVAL);
  assert_null(out);
  dfsc__ntlmssp_free(n);
}

static void test_keys_seal_and_signature_vector(void **state) {
  uint8_t esk[16], want_seal[16], want_sign[16], plain[18], sealed[18], want_sealed[18];
  uint8_t sig[16], want_sig[16];
  dfsc_ntlmssp_keys k;
  struct arcfour_ctx rc4;
  (void)state;
  memset(esk, 0x55, sizeof(esk));
  unhex("59f600973cc4960a25480a7c196e4c58", want_seal, sizeof(want_seal));
  unhex("4788dc861b4782f35d43fd98fe1a2d39", want_sign, sizeof(want_sign));
  dfsc__ntlmssp_derive_keys(esk, 0xe2888235u, &k);
  assert_memory_equal(k.client_seal, want_seal, 16);
  assert_memory_equal(k.client_sign, want_sign, 16);
  assert_memory_not_equal(k.server_sign, k.client_sign, 16);
  assert_memory_not_equal(k.server_seal, k.client_seal, 16);

  /* 4.2.4.4 GSS_WrapEx: seal "Plaintext" (UTF-16LE), then the checksum
   * continues the same RC4 stream. */
  memcpy(plain, "P\0l\0a\0i\0n\0t\0e\0x\0t\0", 18);
  unhex("54e50165bf1936dc996020c1811b0f06fb5f", want_sealed, sizeof(want_sealed));
  unhex("010000007fb38ec5c55d497600000000", want_sig, sizeof(want_sig));
  arcfour_set_key(&rc4, 16, k.client_seal);
  arcfour_crypt(&rc4, sizeof(plain), sealed, plain);
  assert_memory_equal(sealed, want_sealed, sizeof(sealed));
  dfsc__ntlmssp_mac(k.client_sign, &rc4, 0, plain, sizeof(plain), sig);
  assert_memory_equal(sig, want_sig, 16);

  /* Without KEY_EXCH the checksum is the plain HMAC prefix 4.2.4.4 lists. */
  dfsc__ntlmssp_mac(k.client_sign, NULL, 0, plain, sizeof(plain), sig);
  unhex("01000000703528 51f256430900000000", want_sig, sizeof(want_sig));
  assert_memory_equal(sig, want_sig, 16);

  /* 56- and 40-bit SEALKEYs cut the key first, so they differ. */
  dfsc__ntlmssp_derive_keys(esk, DFSC_NTLMSSP_NEGOTIATE_56, &k);
  assert_memory_not_equal(k.client_seal, want_seal, 16);
  assert_memory_equal(k.client_sign, want_sign, 16);
}

/* ---- MIC path with a real Windows challenge ----------------------------- */

static void test_authenticate_with_timestamp_has_mic(void **state) {
  uint8_t chal[256], *out = NULL, copy[1024], mic[16], key[16], z24[24];
  size_t chal_len, outlen = 0, nt_off, nt_len, lm_len;
  const uint8_t *neg, *nt, *av;
  size_t neglen, av_len;
  dfsc_ntlmssp *n = NULL;
  dfsc_ntlmssp_challenge c;
  struct hmac_md5_ctx h;
  int saw_flags = 0, saw_ts = 0;
  dfsc_rd r;
  (void)state;
  chal_len = unhex(win_challenge, chal, sizeof(chal));
  assert_int_equal(chal_len, 0x94);
  assert_int_equal(dfsc__ntlmssp_challenge_decode(chal, chal_len, &c), 0);
  assert_int_equal(c.flags, 0xe28a8215u);
  assert_int_equal(c.has_timestamp, 1);
  assert_int_equal(c.timestamp, 0x01D0AECBADF5A1A1ull);
  assert_int_equal(c.has_av_flags, 0);
  assert_int_equal(c.dns_domain_len, 12);

  assert_int_equal(
      dfsc__ntlmssp_new("administrator", "SUT311", "Password01!", "DRIVER311", &n), 0);
  dfsc__ntlmssp_set_fixed(n, &spec_fixed);
  dfsc__ntlmssp_negotiate(n, &neg, &neglen);
  assert_int_equal(dfsc__ntlmssp_authenticate(n, chal, chal_len, &out, &outlen), 0);
  assert_int_equal(dfsc__ntlmssp_mic_sent(n), 1);
  assert_true(outlen > 88 && outlen <= sizeof(copy));
  /* Flags: what we asked for, limited to what the server offered. */
  assert_int_equal(dfsc__le32(out + 60), 0xe2888215u);
  /* The payload starts after the MIC, at 88. */
  assert_int_equal(dfsc__le32(out + 32), 88);
  /* LM response is Z(24) when the server sent MsvAvTimestamp. */
  lm_len = dfsc__le16(out + 12);
  assert_int_equal(lm_len, 24);
  memset(z24, 0, sizeof(z24));
  assert_memory_equal(out + dfsc__le32(out + 16), z24, 24);

  /* NTLMv2 client challenge: the server's timestamp, and the AV pairs with
   * MsvAvFlags = MIC present added. */
  nt_len = dfsc__le16(out + 20);
  nt_off = dfsc__le32(out + 24);
  assert_true(nt_off + nt_len <= outlen);
  nt = out + nt_off;
  assert_int_equal(dfsc__le64(nt + 16 + 8), 0x01D0AECBADF5A1A1ull);
  av = nt + 16 + 28;
  av_len = nt_len - 16 - 28 - 4;
  dfsc__rd_init(&r, av, av_len);
  for (;;) {
    uint16_t id = dfsc__rd_u16(&r), alen = dfsc__rd_u16(&r);
    const uint8_t *v = dfsc__rd_ptr(&r, alen);
    assert_false(r.bad);
    if (id == DFSC_MSV_AV_EOL)
      break;
    if (id == DFSC_MSV_AV_FLAGS) {
      assert_int_equal(dfsc__le32(v), DFSC_MSV_AV_FLAG_MIC_PRESENT);
      saw_flags = 1;
    }
    if (id == DFSC_MSV_AV_TIMESTAMP)
      saw_ts = 1;
  }
  assert_int_equal(dfsc__rd_left(&r), 0);
  assert_int_equal(saw_flags, 1);
  assert_int_equal(saw_ts, 1);

  /* MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE||CHALLENGE||AUTH with a
   * zero MIC field). */
  memcpy(copy, out, outlen);
  memset(copy + 72, 0, 16);
  hmac_md5_set_key(&h, 16, spec_fixed.exported_key);
  hmac_md5_update(&h, neglen, neg);
  hmac_md5_update(&h, chal_len, chal);
  hmac_md5_update(&h, outlen, copy);
  hmac_md5_digest(&h, 16, mic);
  assert_memory_equal(out + 72, mic, 16);

  /* The encrypted session key decrypts (under the KXKEY) to the exported
   * one; checked indirectly: the key the context reports is the fixed one. */
  assert_int_equal(dfsc__ntlmssp_session_key(n, key), 0);
  assert_memory_equal(key, spec_fixed.exported_key, 16);
  assert_int_equal(dfsc__le16(out + 52), 16);
  dfsc__free(out);
  dfsc__ntlmssp_free(n);
}

static void test_context_sign_verify(void **state) {
  uint8_t chal[256], *out = NULL, sig[16], sig2[16], want[16], srv[16];
  size_t chal_len, outlen;
  const uint8_t *neg;
  size_t neglen;
  dfsc_ntlmssp *n = NULL;
  dfsc_ntlmssp_keys k;
  struct arcfour_ctx cs, ss;
  static const uint8_t msg[] = "mechTypes";
  (void)state;
  chal_len = unhex(win_challenge, chal, sizeof(chal));
  assert_int_equal(dfsc__ntlmssp_new("u", "d", "p", "w", &n), 0);
  dfsc__ntlmssp_set_fixed(n, &spec_fixed);
  /* Signing before AUTHENTICATE has no key. */
  assert_int_equal(dfsc__ntlmssp_sign(n, msg, sizeof(msg), sig), -EINVAL);
  dfsc__ntlmssp_negotiate(n, &neg, &neglen);
  assert_int_equal(dfsc__ntlmssp_authenticate(n, chal, chal_len, &out, &outlen), 0);
  dfsc__free(out);

  /* Client side: seq 0 then 1 on one continuing RC4 handle. */
  dfsc__ntlmssp_derive_keys(spec_fixed.exported_key, 0xe2888215u, &k);
  arcfour_set_key(&cs, 16, k.client_seal);
  assert_int_equal(dfsc__ntlmssp_sign(n, msg, sizeof(msg), sig), 0);
  dfsc__ntlmssp_mac(k.client_sign, &cs, 0, msg, sizeof(msg), want);
  assert_memory_equal(sig, want, 16);
  assert_int_equal(dfsc__ntlmssp_sign(n, msg, sizeof(msg), sig2), 0);
  dfsc__ntlmssp_mac(k.client_sign, &cs, 1, msg, sizeof(msg), want);
  assert_memory_equal(sig2, want, 16);
  assert_int_equal(dfsc__le32(sig2 + 12), 1);

  /* Server side: what the server would send verifies; a wrong one not. */
  arcfour_set_key(&ss, 16, k.server_seal);
  dfsc__ntlmssp_mac(k.server_sign, &ss, 0, msg, sizeof(msg), srv);
  assert_int_equal(dfsc__ntlmssp_verify(n, msg, sizeof(msg), srv, 16), 0);
  dfsc__ntlmssp_mac(k.server_sign, &ss, 1, msg, sizeof(msg), srv);
  srv[5] ^= 1;
  assert_int_equal(dfsc__ntlmssp_verify(n, msg, sizeof(msg), srv, 16), DFSC_E_SIGNATURE);
  assert_int_equal(dfsc__ntlmssp_verify(n, msg, sizeof(msg), srv, 15), DFSC_E_SIGNATURE);
  dfsc__ntlmssp_free(n);
}

/* ---- anonymous, refusals, hostile input ---------------------------------- */

static void test_anonymous(void **state) {
  uint8_t chal[256], *out = NULL, key[16], sig[16];
  size_t chal_len, outlen = 0;
  const uint8_t *neg;
  size_t neglen;
  dfsc_ntlmssp *n = NULL;
  uint32_t flags;
  (void)state;
  chal_len = unhex(win_challenge, chal, sizeof(chal));
  assert_int_equal(dfsc__ntlmssp_new(NULL, "", NULL, "WS", &n), 0);
  assert_int_equal(dfsc__ntlmssp_is_anonymous(n), 1);
  dfsc__ntlmssp_negotiate(n, &neg, &neglen);
  assert_int_equal(dfsc__ntlmssp_authenticate(n, chal, chal_len, &out, &outlen), 0);
  /* [MS-NLMP] 3.3.2: LmChallengeResponse Z(1), empty NtChallengeResponse,
   * empty user, no session key, no MIC. */
  assert_int_equal(dfsc__le16(out + 12), 1);
  assert_int_equal(out[dfsc__le32(out + 16)], 0);
  assert_int_equal(dfsc__le16(out + 20), 0);
  assert_int_equal(dfsc__le16(out + 36), 0);
  assert_int_equal(dfsc__le16(out + 52), 0);
  assert_int_equal(dfsc__le16(out + 44), 4); /* "WS" */
  flags = dfsc__le32(out + 60);
  assert_int_equal(flags & DFSC_NTLMSSP_NEGOTIATE_ANONYMOUS,
                   DFSC_NTLMSSP_NEGOTIATE_ANONYMOUS);
  assert_int_equal(flags & DFSC_NTLMSSP_NEGOTIATE_KEY_EXCH, 0);
  assert_int_equal(outlen, 72 + 4 + 1);
  assert_int_equal(dfsc__ntlmssp_mic_sent(n), 0);
  assert_int_equal(dfsc__ntlmssp_session_key(n, key), -ENOKEY);
  assert_int_equal(dfsc__ntlmssp_sign(n, chal, 4, sig), -EINVAL);
  dfsc__free(out);
  dfsc__ntlmssp_free(n);

  /* A user with an empty password (guest) is not anonymous. */
  assert_int_equal(dfsc__ntlmssp_new("guest", NULL, NULL, NULL, &n), 0);
  assert_int_equal(dfsc__ntlmssp_is_anonymous(n), 0);
  dfsc__ntlmssp_negotiate(n, &neg, &neglen);
  assert_int_equal(dfsc__ntlmssp_authenticate(n, chal, chal_len, &out, &outlen), 0);
  assert_int_equal(dfsc__ntlmssp_session_key(n, key), 0);
  dfsc__free(out);
  dfsc__ntlmssp_free(n);
}

static void test_refuses_weak_server_and_misuse(void **state) {
  uint8_t chal[256], *out = NULL;
  size_t chal_len, outlen = 0;
  const uint8_t *neg;
  size_t neglen;
  dfsc_ntlmssp *n = NULL;
  (void)state;
  chal_len = unhex(spec_challenge, chal, sizeof(chal));
  assert_int_equal(dfsc__ntlmssp_new("User", "Domain", "Password", NULL, &n), 0);
  /* AUTHENTICATE before NEGOTIATE. */
  assert_int_equal(dfsc__ntlmssp_authenticate(n, chal, chal_len, &out, &outlen), -EINVAL);
  dfsc__ntlmssp_negotiate(n, &neg, &neglen);
  /* Without extended session security. */
  dfsc__put_le32(chal + 20, 0xe2828233u);
  assert_int_equal(dfsc__ntlmssp_authenticate(n, chal, chal_len, &out, &outlen),
                   DFSC_E_AUTH);
  assert_null(out);
  /* Without Unicode. */
  dfsc__put_le32(chal + 20, 0xe28a8232u);
  assert_int_equal(dfsc__ntlmssp_authenticate(n, chal, chal_len, &out, &outlen),
                   DFSC_E_AUTH);
  dfsc__ntlmssp_free(n);
  /* Invalid UTF-8 in a name. */
  assert_int_equal(dfsc__ntlmssp_new("\xc3", "D", "P", NULL, &n), -EILSEQ);
  assert_null(n);
}

static void expect_bad(const uint8_t *msg, size_t len) {
  dfsc_ntlmssp_challenge c;
  assert_int_equal(dfsc__ntlmssp_challenge_decode(msg, len, &c), DFSC_E_PROTO);
}

static void test_challenge_hostile(void **state) {
  uint8_t good[256], m[256];
  size_t len, i;
  dfsc_ntlmssp_challenge c;
  (void)state;
  len = unhex(win_challenge, good, sizeof(good));
  assert_int_equal(dfsc__ntlmssp_challenge_decode(good, len, &c), 0);

  /* Every truncation fails cleanly. */
  for (i = 0; i < len; i++)
    expect_bad(good, i);
  expect_bad(NULL, 0);

#define MUT(stmt)                                                                          \
  do {                                                                                     \
    memcpy(m, good, len);                                                                  \
    stmt;                                                                                  \
    expect_bad(m, len);                                                                    \
  } while (0)

  MUT(m[7] = 'X');                          /* signature */
  MUT(dfsc__put_le32(m + 8, 3));            /* message type */
  MUT(dfsc__put_le32(m + 16, 0xFFFFFFF0u)); /* TargetName offset past end */
  MUT(dfsc__put_le16(m + 12, 0xFFFF));      /* TargetName length past end */
  MUT(dfsc__put_le16(m + 12, 11));          /* odd UTF-16 length */
  MUT(dfsc__put_le32(m + 44, 0xFFFFFFFFu)); /* TargetInfo offset overflow */
  MUT(dfsc__put_le32(m + 44, 8));           /* TargetInfo inside the header */
  MUT(dfsc__put_le16(m + 40, (uint16_t)(len - 0x44 + 1))); /* TargetInfo past end */
  MUT(dfsc__put_le16(m + 0x44 + 2, 0x7FFF));               /* first AV pair runs off */
  MUT(dfsc__put_le16(m + len - 2, 4));                     /* EOL with a length */
  MUT(dfsc__put_le16(m + 40, 0x50 - 4));                   /* list cut before EOL */
  MUT(dfsc__put_le16(m + 0x44 + 4 * 16 + 2, 4));           /* MsvAvTimestamp of 4 bytes */
#undef MUT

  /* MsvAvFlags must be 4 bytes: turn the timestamp pair into flags. */
  memcpy(m, good, len);
  dfsc__put_le16(m + 0x44 + 4 * 16, DFSC_MSV_AV_FLAGS);
  expect_bad(m, len);
  /* ... and when it is, its value is read. */
  dfsc__put_le16(m + 0x44 + 4 * 16 + 2, 4);
  memmove(m + 0x44 + 4 * 16 + 8, m + 0x44 + 4 * 16 + 12, 4);
  dfsc__put_le16(m + 40, 0x50 - 4);
  dfsc__put_le32(m + 0x44 + 4 * 16 + 4, 0x10);
  assert_int_equal(dfsc__ntlmssp_challenge_decode(m, len - 4, &c), 0);
  assert_int_equal(c.has_av_flags, 1);
  assert_int_equal(c.av_flags, 0x10);
  assert_int_equal(c.has_timestamp, 0);

  /* No TargetInfo at all is acceptable (the client sends only EOL). */
  memcpy(m, good, len);
  dfsc__put_le16(m + 40, 0);
  assert_int_equal(dfsc__ntlmssp_challenge_decode(m, len, &c), 0);
  assert_null(c.target_info);
}

static void test_existing_av_flags_get_mic_bit(void **state) {
  /* A challenge whose TargetInfo already has MsvAvFlags = 0x1 and a
   * timestamp: the client ORs in 0x2 instead of adding a second pair. */
  uint8_t m[256], *out = NULL;
  size_t outlen, len;
  const uint8_t *neg, *av;
  size_t neglen, nt_len, av_len;
  dfsc_ntlmssp *n = NULL;
  dfsc_rd r;
  int flags_pairs = 0;
  (void)state;
  len = unhex("4e544c4d53535000 02000000 00000000 38000000 35828ae2 0123456789abcdef"
              " 0000000000000000 18001800 38000000 0a00000000000000"
              " 06000400 01000000 07000800 0102030405060708 00000000",
              m, sizeof(m));
  assert_int_equal(dfsc__ntlmssp_new("a", "b", "c", "d", &n), 0);
  dfsc__ntlmssp_negotiate(n, &neg, &neglen);
  assert_int_equal(dfsc__ntlmssp_authenticate(n, m, len, &out, &outlen), 0);
  assert_int_equal(dfsc__ntlmssp_mic_sent(n), 1);
  nt_len = dfsc__le16(out + 20);
  av = out + dfsc__le32(out + 24) + 16 + 28;
  av_len = nt_len - 16 - 28 - 4;
  dfsc__rd_init(&r, av, av_len);
  for (;;) {
    uint16_t id = dfsc__rd_u16(&r), alen = dfsc__rd_u16(&r);
    const uint8_t *v = dfsc__rd_ptr(&r, alen);
    assert_false(r.bad);
    if (id == DFSC_MSV_AV_EOL)
      break;
    if (id == DFSC_MSV_AV_FLAGS) {
      assert_int_equal(dfsc__le32(v), 0x3);
      flags_pairs++;
    }
  }
  assert_int_equal(flags_pairs, 1);
  dfsc__free(out);
  dfsc__ntlmssp_free(n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ntowfv2_vector),
      cmocka_unit_test(test_v2_response_vector),
      cmocka_unit_test(test_authenticate_matches_spec_message),
      cmocka_unit_test(test_keys_seal_and_signature_vector),
      cmocka_unit_test(test_authenticate_with_timestamp_has_mic),
      cmocka_unit_test(test_context_sign_verify),
      cmocka_unit_test(test_anonymous),
      cmocka_unit_test(test_refuses_weak_server_and_misuse),
      cmocka_unit_test(test_challenge_hostile),
      cmocka_unit_test(test_existing_av_flags_get_mic_bit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
