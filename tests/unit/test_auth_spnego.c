/* Unit tests for src/auth/asn1.c, src/auth/spnego.c and src/auth/auth.c:
 * DER framing, the NegTokenInit byte layout (checked against a Windows
 * client's SESSION_SETUP token), hints from Windows and Samba, NegTokenResp
 * round trips and real tokens, hostile DER (lengths past the end,
 * indefinite lengths, deep nesting, truncation), the whole SPNEGO/NTLM
 * exchange through the auth.h interface including both mechListMICs (run
 * twice: with no server name, and with Kerberos off and a server name),
 * the Kerberos parts of the codec (the NegTokenInit for krb5, both krb5
 * OIDs in hints and replies, the RFC 4121 4.1 framing check), and the
 * Kerberos choice in auth.c without a KDC (required: DFSC_E_NOTICKET with
 * GSSAPI's words; auto: NTLM). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <nettle/arcfour.h>

#include "auth/asn1.h"
#include "auth/auth.h"
#include "auth/ntlmssp.h"
#include "auth/spnego.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "dfsc/dfsc.h"
#include "dfsc/errors.h"
#include "golden.h"

/* Security buffers from the "SMB 3.1.1 pre-authentication integrity in
 * Windows 10" blog's capture. */
/* NEGOTIATE response hint: mechTypes NEGOEX, NTLMSSP + a NEGOEX mechToken. */
static const char *win_hint =
    "6082013C06062B0601050502A08201303082012CA01A3018060A2B06010401823702021E060A2B06"
    "010401823702020AA282010C048201084E45474F4558545301000000000000006000000070000000"
    "7C7CC0FD06D6362D02DDE1CF343BFE292900F49750B4AA97934D9C4296B26E51FD370471B235E15A"
    "50DAE15BD5489C870000000000000000600000000100000000000000000000005C33530DEAF90D4D"
    "B2EC4AE3786EC3084E45474F45585453030000000100000040000000980000007C7CC0FD06D6362D"
    "02DDE1CF343BFE295C33530DEAF90D4DB2EC4AE3786EC30840000000580000003056A05430523027"
    "802530233121301F06035504031318546F6B656E205369676E696E67205075626C6963204B657930"
    "27802530233121301F06035504031318546F6B656E205369676E696E67205075626C6963204B6579";
/* Client's first SESSION_SETUP token: NegTokenInit with an NTLM NEGOTIATE. */
static const char *win_init =
    "604806062B0601050502A03E303CA00E300C060A2B06010401823702020AA22A"
    "04284E544C4D5353500001000000978208E200000000000000000000000000000000060380250000"
    "000F";
/* Server's NegTokenResp: accept-incomplete, NTLMSSP, CHALLENGE. */
static const char *win_resp1 =
    "A181B03081ADA0030A0101A10C060A2B06010401823702020AA281970481944E544C4D5353500002"
    "0000000C000C003800000015828AE20D1D8BA31179D008000000000000000050005000440000000A"
    "0092270000000F53005500540033003100310002000C0053005500540033003100310001000C0053"
    "005500540033003100310004000C0053005500540033003100310003000C00530055005400330031"
    "00310007000800A1A1F5ADCBAED00100000000";
/* Client's NegTokenResp: negState, AUTHENTICATE, mechListMIC. */
static const char *win_resp2 =
    "A18201CB308201C7A0030A0101A28201AA048201A64E544C4D535350000300000018001800900000"
    "00EE00EE00A80000000C000C00580000001A001A0064000000120012007E00000010001000960100"
    "00158288E2060380250000000FECAC77A5F385A8BF9C38C706EEEDDCD35300550054003300310031"
    "00610064006D0069006E006900730074007200610074006F00720044005200490056004500520033"
    "003100310000000000000000000000000000000000000000000000000063078EB639FE03E20A231C"
    "3AE3BF23080101000000000000A1A1F5ADCBAED001BC4AD05F223CC90F0000000002000C00530055"
    "00540033003100310001000C0053005500540033003100310004000C005300550054003300310031"
    "0003000C0053005500540033003100310007000800A1A1F5ADCBAED0010600040002000000080030"
    "0030000000000000000000000000300000B61FEFCAA857EA57BF1EDCEBF8974B8E0EBA5A6DFD9D07"
    "A31D11B548F8C9D0CC0A001000000000000000000000000000000000000900160063006900660073"
    "002F005300550054003300310031000000000000000000000000003B9BDFF38F5EE8F9663F11A0F4"
    "C03A78A31204100100000063775A9A5FD97F0600000000";

/* A Samba-style NegTokenInit2 hint, assembled by hand: mechTypes (MS krb5,
 * krb5, NTLMSSP) and negHints { hintName "not_defined_in_RFC4178@please_ignore" }. */
static const char *samba_hint =
    "605e 06062b0601050502 a054 3052"
    " a024 3022 06092a864882f712010202 06092a864886f712010202 060a2b06010401823702020a"
    " a32a 3028 a026 1b24 6e6f745f646566696e65645f696e5f5246433431373840706c656173655f69"
    "676e6f7265";

/* ---- DER framing --------------------------------------------------------- */

static void test_der_header_sizes(void **state) {
  uint8_t buf[8];
  dfsc_wr w;
  (void)state;
  assert_int_equal(dfsc__der_hdr_size(0), 2);
  assert_int_equal(dfsc__der_hdr_size(0x7f), 2);
  assert_int_equal(dfsc__der_hdr_size(0x80), 3);
  assert_int_equal(dfsc__der_hdr_size(0xff), 3);
  assert_int_equal(dfsc__der_hdr_size(0x100), 4);
  assert_int_equal(dfsc__der_hdr_size(0x10000), 5);
  dfsc__wr_init(&w, buf, sizeof(buf));
  dfsc__der_put_hdr(&w, 0x04, 0x80);
  dfsc__der_put_hdr(&w, 0x30, 0x1ab);
  assert_int_equal(w.bad, 0);
  assert_int_equal(w.off, 7);
  assert_memory_equal(buf, "\x04\x81\x80\x30\x82\x01\xab", 7);
  /* Overflow is sticky, never a write past the end. */
  dfsc__wr_init(&w, buf, 2);
  dfsc__der_put_hdr(&w, 0x04, 0x80);
  assert_int_equal(w.bad, 1);
}

static void test_der_check_hostile(void **state) {
  uint8_t deep[64];
  size_t i;
  (void)state;
  /* Well-formed, nested. */
  assert_int_equal(dfsc__der_check((const uint8_t *)"\x30\x03\x04\x01\x00", 5, 8), 0);
  /* Length beyond the end, at the top and inside. */
  assert_int_equal(dfsc__der_check((const uint8_t *)"\x04\x05\x00", 3, 8), DFSC_E_PROTO);
  assert_int_equal(dfsc__der_check((const uint8_t *)"\x30\x03\x04\x05\x00", 5, 8),
                   DFSC_E_PROTO);
  /* Indefinite length, reserved 0xFF, five length bytes, high tag number. */
  assert_int_equal(dfsc__der_check((const uint8_t *)"\x30\x80\x04\x00\x00\x00", 6, 8),
                   DFSC_E_PROTO);
  assert_int_equal(dfsc__der_check((const uint8_t *)"\x04\xff\x00", 3, 8), DFSC_E_PROTO);
  assert_int_equal(
      dfsc__der_check((const uint8_t *)"\x04\x85\x00\x00\x00\x00\x01\x00", 8, 8),
      DFSC_E_PROTO);
  assert_int_equal(dfsc__der_check((const uint8_t *)"\x04\x84\xff\xff\xff\xff", 6, 8),
                   DFSC_E_PROTO);
  assert_int_equal(dfsc__der_check((const uint8_t *)"\x1f\x01\x00", 3, 8), DFSC_E_PROTO);
  /* Trailing half element. */
  assert_int_equal(dfsc__der_check((const uint8_t *)"\x04\x00\x04", 3, 8), DFSC_E_PROTO);
  assert_int_equal(dfsc__der_check(NULL, 0, 8), DFSC_E_PROTO);

  /* Nesting: 20 constructed levels are refused, 5 accepted. */
  for (i = 0; i < 20; i++) {
    deep[2 * i] = 0xA0;
    deep[2 * i + 1] = (uint8_t)(2 * (20 - i - 1) + 2);
  }
  deep[40] = 0x04;
  deep[41] = 0x00;
  assert_int_equal(dfsc__der_check(deep, 42, DFSC_DER_MAX_DEPTH), DFSC_E_PROTO);
  assert_int_equal(dfsc__der_check(deep + 30, 12, DFSC_DER_MAX_DEPTH), 0);
}

/* ---- NegTokenInit -------------------------------------------------------- */

static void test_init_encode_layout(void **state) {
  uint8_t want[128], out[128], big_tok[300], big[400];
  size_t wlen, size, i;
  dfsc_wr w;
  dfsc_spnego_hint h;
  (void)state;
  wlen = unhex(win_init, want, sizeof(want));
  /* The same NEGOTIATE token wrapped by our encoder must give the Windows
   * client's bytes exactly. */
  size = dfsc__spnego_init_size(40);
  assert_int_equal(size, wlen);
  dfsc__wr_init(&w, out, sizeof(out));
  assert_int_equal(dfsc__spnego_init_encode(&w, want + wlen - 40, 40), 0);
  assert_int_equal(w.off, wlen);
  assert_memory_equal(out, want, wlen);
  assert_int_equal(dfsc__spnego_hint_decode(out, w.off, &h), 0);
  assert_int_equal(h.n_mechs, 1);
  assert_int_equal(h.has_ntlmssp, 1);

  /* Long-form lengths. */
  for (i = 0; i < sizeof(big_tok); i++)
    big_tok[i] = (uint8_t)i;
  size = dfsc__spnego_init_size(sizeof(big_tok));
  dfsc__wr_init(&w, big, sizeof(big));
  assert_int_equal(dfsc__spnego_init_encode(&w, big_tok, sizeof(big_tok)), 0);
  assert_int_equal(w.off, size);
  assert_int_equal(big[0], 0x60);
  assert_int_equal(big[1], 0x82);
  assert_int_equal(dfsc__der_check(big, w.off, DFSC_DER_MAX_DEPTH), 0);
  assert_memory_equal(big + size - sizeof(big_tok), big_tok, sizeof(big_tok));
  /* Too small a buffer: an error, not an overrun. */
  dfsc__wr_init(&w, big, size - 1);
  assert_int_equal(dfsc__spnego_init_encode(&w, big_tok, sizeof(big_tok)), DFSC_E_NOSPACE);
}

static void test_hint_decode(void **state) {
  uint8_t buf[512];
  size_t n;
  dfsc_spnego_hint h;
  (void)state;
  n = unhex(win_hint, buf, sizeof(buf));
  assert_int_equal(n, 320);
  assert_int_equal(dfsc__spnego_hint_decode(buf, n, &h), 0);
  assert_int_equal(h.has_mechs, 1);
  assert_int_equal(h.n_mechs, 2);
  assert_int_equal(h.has_ntlmssp, 1);

  n = unhex(samba_hint, buf, sizeof(buf));
  assert_int_equal(n, 0x60);
  assert_int_equal(dfsc__spnego_hint_decode(buf, n, &h), 0);
  assert_int_equal(h.n_mechs, 3);
  assert_int_equal(h.has_ntlmssp, 1);

  /* Empty hint: nothing known, not an error. */
  assert_int_equal(dfsc__spnego_hint_decode(NULL, 0, &h), 0);
  assert_int_equal(h.has_mechs, 0);
  assert_int_equal(h.has_ntlmssp, 0);

  /* Bare NegTokenInit ([0] ...) with krb5 only. */
  n = unhex("a00f 300d a00b 3009 06072a864886f71201", buf, sizeof(buf));
  assert_int_equal(dfsc__spnego_hint_decode(buf, n, &h), 0);
  assert_int_equal(h.n_mechs, 1);
  assert_int_equal(h.has_ntlmssp, 0);
}

static void test_hint_hostile(void **state) {
  uint8_t buf[512];
  size_t n, i;
  dfsc_spnego_hint h;
  (void)state;
  n = unhex(samba_hint, buf, sizeof(buf));
  /* Every truncation fails. */
  for (i = 1; i < n; i++)
    assert_int_equal(dfsc__spnego_hint_decode(buf, i, &h), DFSC_E_PROTO);
  /* Wrong mechanism OID in the InitialContextToken. */
  buf[9] = 0x03;
  assert_int_equal(dfsc__spnego_hint_decode(buf, n, &h), DFSC_E_PROTO);
  /* A mech list entry that is not an OID. */
  n = unhex("a00d 300b a009 3007 0405 2a864886f7", buf, sizeof(buf));
  assert_int_equal(dfsc__spnego_hint_decode(buf, n, &h), DFSC_E_PROTO);
  /* Fields out of order, unknown field number. */
  n = unhex("a00b 3009 a303 0401 00 a002 3000", buf, sizeof(buf));
  assert_int_equal(dfsc__spnego_hint_decode(buf, n, &h), DFSC_E_PROTO);
  n = unhex("a006 3004 a502 0400", buf, sizeof(buf));
  assert_int_equal(dfsc__spnego_hint_decode(buf, n, &h), DFSC_E_PROTO);
  /* Something that is not a NegTokenInit at all (a NegTokenResp). */
  n = unhex(win_resp1, buf, sizeof(buf));
  assert_int_equal(dfsc__spnego_hint_decode(buf, n, &h), DFSC_E_PROTO);
  /* Garbage after the token. */
  n = unhex("a006 3004 a002 3000 00", buf, sizeof(buf));
  assert_int_equal(dfsc__spnego_hint_decode(buf, n, &h), DFSC_E_PROTO);
  assert_int_equal(dfsc__spnego_hint_decode(buf, n - 1, &h), 0);
}

/* ---- NegTokenResp -------------------------------------------------------- */

static void test_resp_decode_windows(void **state) {
  uint8_t buf[512];
  size_t n;
  dfsc_spnego_resp r;
  (void)state;
  n = unhex(win_resp1, buf, sizeof(buf));
  assert_int_equal(dfsc__spnego_resp_decode(buf, n, &r), 0);
  assert_int_equal(r.neg_state, DFSC_SPNEGO_ACCEPT_INCOMPLETE);
  assert_int_equal(r.mech_is_ntlmssp, 1);
  assert_int_equal(r.token_len, 0x94);
  assert_memory_equal(r.token, "NTLMSSP\0\x02", 9);
  assert_null(r.mic);

  n = unhex(win_resp2, buf, sizeof(buf));
  assert_int_equal(dfsc__spnego_resp_decode(buf, n, &r), 0);
  assert_int_equal(r.neg_state, DFSC_SPNEGO_ACCEPT_INCOMPLETE);
  assert_null(r.mech);
  assert_int_equal(r.token_len, 0x1a6);
  assert_memory_equal(r.token, "NTLMSSP\0\x03", 9);
  assert_int_equal(r.mic_len, 16);
  assert_memory_equal(r.mic, "\x01\x00\x00\x00\x63\x77\x5a\x9a", 8);
}

static void test_resp_encode_layout_and_roundtrip(void **state) {
  uint8_t out[64], mic[16], tok[300], big[400];
  dfsc_wr w;
  dfsc_spnego_resp r;
  size_t size;
  (void)state;
  memset(mic, 0x11, sizeof(mic));
  size = dfsc__spnego_resp_size(DFSC_SPNEGO_NO_STATE, 3, 16, 1, 1);
  assert_int_equal(size, 31);
  dfsc__wr_init(&w, out, sizeof(out));
  assert_int_equal(dfsc__spnego_resp_encode(&w, DFSC_SPNEGO_NO_STATE,
                                            (const uint8_t *)"ABC", 3, mic, 16),
                   0);
  assert_int_equal(w.off, 31);
  assert_memory_equal(out,
                      "\xa1\x1d\x30\x1b\xa2\x05\x04\x03"
                      "ABC"
                      "\xa3\x12\x04\x10",
                      15);
  assert_memory_equal(out + 15, mic, 16);
  assert_int_equal(dfsc__spnego_resp_decode(out, w.off, &r), 0);
  assert_int_equal(r.neg_state, DFSC_SPNEGO_NO_STATE);
  assert_int_equal(r.token_len, 3);
  assert_memory_equal(r.token, "ABC", 3);
  assert_int_equal(r.mic_len, 16);

  /* negState only (accept-completed), the acceptor's final shape. */
  dfsc__wr_init(&w, out, sizeof(out));
  assert_int_equal(
      dfsc__spnego_resp_encode(&w, DFSC_SPNEGO_ACCEPT_COMPLETED, NULL, 0, NULL, 0), 0);
  assert_int_equal(w.off, dfsc__spnego_resp_size(DFSC_SPNEGO_ACCEPT_COMPLETED, 0, 0, 0, 0));
  assert_memory_equal(out, "\xa1\x07\x30\x05\xa0\x03\x0a\x01\x00", 9);
  assert_int_equal(dfsc__spnego_resp_decode(out, w.off, &r), 0);
  assert_int_equal(r.neg_state, DFSC_SPNEGO_ACCEPT_COMPLETED);
  assert_null(r.token);
  assert_null(r.mic);

  /* Long token round trip. */
  memset(tok, 0x5c, sizeof(tok));
  size = dfsc__spnego_resp_size(DFSC_SPNEGO_NO_STATE, sizeof(tok), 16, 1, 1);
  dfsc__wr_init(&w, big, sizeof(big));
  assert_int_equal(
      dfsc__spnego_resp_encode(&w, DFSC_SPNEGO_NO_STATE, tok, sizeof(tok), mic, 16), 0);
  assert_int_equal(w.off, size);
  assert_int_equal(dfsc__spnego_resp_decode(big, w.off, &r), 0);
  assert_int_equal(r.token_len, sizeof(tok));
  assert_memory_equal(r.token, tok, sizeof(tok));

  dfsc__wr_init(&w, out, sizeof(out));
  assert_int_equal(dfsc__spnego_resp_encode(&w, 9, NULL, 0, NULL, 0), -EINVAL);
  dfsc__wr_init(&w, out, 10);
  assert_int_equal(dfsc__spnego_resp_encode(&w, DFSC_SPNEGO_NO_STATE,
                                            (const uint8_t *)"ABC", 3, mic, 16),
                   DFSC_E_NOSPACE);
}

static void expect_resp_bad(const char *hex) {
  uint8_t buf[128];
  size_t n = unhex(hex, buf, sizeof(buf));
  dfsc_spnego_resp r;
  assert_int_equal(dfsc__spnego_resp_decode(buf, n, &r), DFSC_E_PROTO);
}

static void test_resp_hostile(void **state) {
  uint8_t buf[512];
  size_t n, i;
  dfsc_spnego_resp r;
  (void)state;
  n = unhex(win_resp1, buf, sizeof(buf));
  for (i = 0; i < n; i++)
    assert_int_equal(dfsc__spnego_resp_decode(buf, i, &r), DFSC_E_PROTO);
  /* An inner length one past its parent's end. */
  buf[2]++;
  assert_int_equal(dfsc__spnego_resp_decode(buf, n, &r), DFSC_E_PROTO);

  expect_resp_bad("a105 3003 a001");                   /* length beyond end */
  expect_resp_bad("a180 3003 a0010a 0000");            /* indefinite length */
  expect_resp_bad("a107 3005 a0030a0207");             /* negState 2 bytes */
  expect_resp_bad("a107 3005 a0030a0107");             /* negState 7 */
  expect_resp_bad("a107 3005 a0030401 00");            /* negState not ENUMERATED */
  expect_resp_bad("a10c 300a a2030401 00 a0030a0101"); /* out of order */
  expect_resp_bad("a107 3005 a5030401 00");            /* unknown field [5] */
  expect_resp_bad("a108 3006 a0040a0101 00");          /* extra byte in a field */
  expect_resp_bad("a007 3005 a0030a0100");             /* [0]: a NegTokenInit */
  expect_resp_bad("a107 3005 a0030a0100 0400");        /* a second top element */
  expect_resp_bad("a107 3105 a0030a0100");             /* SET, not SEQUENCE */
  expect_resp_bad("a106 3004 a1020600");               /* empty supportedMech */
  /* Deep nesting inside an ignored-looking place. */
  n = unhex("a118 3016 a314 a012 a010 a00e a00c a00a a008 a006 a004 a002 0400", buf,
            sizeof(buf));
  assert_int_equal(dfsc__spnego_resp_decode(buf, n, &r), DFSC_E_PROTO);
}

/* ---- Kerberos in the codec ------------------------------------------------ */

/* An AP-REP in the RFC 4121 4.1 framing: [APPLICATION 0] { krb5 OID, TOK_ID
 * 02 00, the KRB_AP_REP } (its enc-part is junk: dfsc reads no further). */
static const char *krb5_ap_rep =
    "6022 06092a864886f712010202 0200 6f13 3011 a003020105 a10302010f a2053003 a00100";
/* The same framing with TOK_ID 01 00 (AP-REQ) and 03 00 (KRB-ERROR). */
static const char *krb5_ap_req = "6015 06092a864886f712010202 0100 6e06 3004 a0020105";
static const char *krb5_error =
    "6018 06092a864886f712010202 0300 7e09 3007 a003020105 a600";

static void test_krb5_init_encode(void **state) {
  uint8_t tok[64], out[128], want[128], big_tok[300], big[400];
  size_t toklen, wlen, mtlen, size, i;
  const uint8_t *mt;
  dfsc_spnego_hint h;
  dfsc_wr w;
  (void)state;
  /* MechTypeList [krb5] and [NTLMSSP]: what each mechListMIC covers. */
  mt = dfsc__spnego_mechtypes_of(DFSC_SPNEGO_MECH_KRB5, &mtlen);
  assert_int_equal(mtlen, 13);
  assert_memory_equal(mt, "\x30\x0b\x06\x09\x2a\x86\x48\x86\xf7\x12\x01\x02\x02", 13);
  mt = dfsc__spnego_mechtypes_of(DFSC_SPNEGO_MECH_NTLMSSP, &mtlen);
  assert_int_equal(mtlen, 14);
  assert_memory_equal(mt, "\x30\x0c\x06\x0a\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a", 14);

  /* The krb5 NegTokenInit byte for byte (RFC 2743 3.1, RFC 4178 4.2.1). */
  toklen = unhex(krb5_ap_req, tok, sizeof(tok));
  wlen = unhex("6036 06062b0601050502 a02c 302a a00d 300b 06092a864886f712010202"
               " a219 0417",
               want, sizeof(want));
  memcpy(want + wlen, tok, toklen);
  wlen += toklen;
  size = dfsc__spnego_init_size_of(DFSC_SPNEGO_MECH_KRB5, toklen);
  assert_int_equal(size, wlen);
  dfsc__wr_init(&w, out, sizeof(out));
  assert_int_equal(dfsc__spnego_init_encode_of(&w, DFSC_SPNEGO_MECH_KRB5, tok, toklen), 0);
  assert_int_equal(w.off, wlen);
  assert_memory_equal(out, want, wlen);
  /* Read back as a hint: Kerberos alone. */
  assert_int_equal(dfsc__spnego_hint_decode(out, w.off, &h), 0);
  assert_int_equal(h.has_mechs, 1);
  assert_int_equal(h.n_mechs, 1);
  assert_int_equal(h.has_krb5, 1);
  assert_int_equal(h.has_ntlmssp, 0);

  /* NTLMSSP through the _of form is the old encoder's token exactly. */
  size = dfsc__spnego_init_size_of(DFSC_SPNEGO_MECH_NTLMSSP, toklen);
  assert_int_equal(size, dfsc__spnego_init_size(toklen));
  dfsc__wr_init(&w, out, sizeof(out));
  assert_int_equal(dfsc__spnego_init_encode_of(&w, DFSC_SPNEGO_MECH_NTLMSSP, tok, toklen),
                   0);
  dfsc__wr_init(&w, want, sizeof(want));
  assert_int_equal(dfsc__spnego_init_encode(&w, tok, toklen), 0);
  assert_int_equal(w.off, size);
  assert_memory_equal(out, want, size);
  assert_int_equal(dfsc__spnego_hint_decode(out, size, &h), 0);
  assert_int_equal(h.has_krb5, 0);
  assert_int_equal(h.has_ntlmssp, 1);

  /* Long-form lengths (an AP-REQ is usually over a kilobyte); too small a
   * buffer is an error, not an overrun. */
  for (i = 0; i < sizeof(big_tok); i++)
    big_tok[i] = (uint8_t)(i * 7);
  size = dfsc__spnego_init_size_of(DFSC_SPNEGO_MECH_KRB5, sizeof(big_tok));
  dfsc__wr_init(&w, big, sizeof(big));
  assert_int_equal(
      dfsc__spnego_init_encode_of(&w, DFSC_SPNEGO_MECH_KRB5, big_tok, sizeof(big_tok)), 0);
  assert_int_equal(w.off, size);
  assert_int_equal(big[1], 0x82);
  assert_int_equal(dfsc__der_check(big, w.off, DFSC_DER_MAX_DEPTH), 0);
  assert_memory_equal(big + size - sizeof(big_tok), big_tok, sizeof(big_tok));
  assert_int_equal(dfsc__spnego_hint_decode(big, w.off, &h), 0);
  assert_int_equal(h.has_krb5, 1);
  dfsc__wr_init(&w, big, size - 1);
  assert_int_equal(
      dfsc__spnego_init_encode_of(&w, DFSC_SPNEGO_MECH_KRB5, big_tok, sizeof(big_tok)),
      DFSC_E_NOSPACE);
}

static void test_krb5_hints(void **state) {
  uint8_t buf[512];
  size_t n;
  dfsc_spnego_hint h;
  (void)state;
  /* Samba lists MS krb5, krb5, NTLMSSP. */
  n = unhex(samba_hint, buf, sizeof(buf));
  assert_int_equal(dfsc__spnego_hint_decode(buf, n, &h), 0);
  assert_int_equal(h.has_krb5, 1);
  assert_int_equal(h.has_ntlmssp, 1);
  /* The Windows capture offers NEGOEX and NTLMSSP, no Kerberos. */
  n = unhex(win_hint, buf, sizeof(buf));
  assert_int_equal(dfsc__spnego_hint_decode(buf, n, &h), 0);
  assert_int_equal(h.has_krb5, 0);
  /* krb5 + NTLMSSP. */
  n = unhex("6027 06062b0601050502 a01d 301b a019 3017 06092a864886f712010202"
            " 060a2b06010401823702020a",
            buf, sizeof(buf));
  assert_int_equal(dfsc__spnego_hint_decode(buf, n, &h), 0);
  assert_int_equal(h.n_mechs, 2);
  assert_int_equal(h.has_krb5, 1);
  assert_int_equal(h.has_ntlmssp, 1);
  /* The old Microsoft OID alone counts as Kerberos. */
  n = unhex("a011 300f a00d 300b 06092a864882f712010202", buf, sizeof(buf));
  assert_int_equal(dfsc__spnego_hint_decode(buf, n, &h), 0);
  assert_int_equal(h.has_krb5, 1);
  assert_int_equal(h.has_ntlmssp, 0);
  /* Near misses are not Kerberos: a prefix of the OID, one arc more, U2U
   * (1.2.840.113554.1.2.2.3). */
  n = unhex("a00f 300d a00b 3009 06072a864886f71201", buf, sizeof(buf));
  assert_int_equal(dfsc__spnego_hint_decode(buf, n, &h), 0);
  assert_int_equal(h.has_krb5, 0);
  n = unhex("a012 3010 a00e 300c 060a2a864886f71201020203", buf, sizeof(buf));
  assert_int_equal(dfsc__spnego_hint_decode(buf, n, &h), 0);
  assert_int_equal(h.n_mechs, 1);
  assert_int_equal(h.has_krb5, 0);
  n = unhex("a011 300f a00d 300b 06092a864886f712010203", buf, sizeof(buf));
  assert_int_equal(dfsc__spnego_hint_decode(buf, n, &h), 0);
  assert_int_equal(h.has_krb5, 0);
}

static void expect_tok_id(const char *hex, int want, size_t want_inner) {
  uint8_t buf[512];
  size_t n = unhex(hex, buf, sizeof(buf)), inner = 999;
  int id = dfsc__spnego_krb5_tok_id(buf, n, &inner);
  if (id != want || inner != want_inner)
    fail_msg("%s: TOK_ID %d (want %d), message %zu bytes (want %zu)", hex, id, want, inner,
             want_inner);
  /* The answer does not depend on asking for the length. */
  assert_int_equal(dfsc__spnego_krb5_tok_id(buf, n, NULL), want);
}

static void test_krb5_tok_id(void **state) {
  uint8_t buf[512];
  size_t n, i, inner;
  (void)state;
  expect_tok_id(krb5_ap_req, DFSC_KRB5_TOK_AP_REQ, 8);
  expect_tok_id(krb5_ap_rep, DFSC_KRB5_TOK_AP_REP, 21);
  expect_tok_id(krb5_error, DFSC_KRB5_TOK_ERROR, 11);
  /* The Microsoft OID in the framing, and the smallest framing (a one-byte
   * message). */
  expect_tok_id("600f 06092a864882f712010202 0200 6f00", DFSC_KRB5_TOK_AP_REP, 2);
  expect_tok_id("600e 06092a864886f712010202 0300 7e", DFSC_KRB5_TOK_ERROR, 1);
  /* Any other TOK_ID comes back as it is; the caller refuses it. */
  expect_tok_id("600e 06092a864886f712010202 0404 00", 0x0404, 1);
  /* Long-form outer length. */
  memcpy(buf, "\x60\x81\xd9\x06\x09\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x02\x00", 16);
  memset(buf + 16, 0x6f, 0xd9 - 13);
  inner = 0;
  assert_int_equal(dfsc__spnego_krb5_tok_id(buf, 3 + 0xd9, &inner), DFSC_KRB5_TOK_AP_REP);
  assert_int_equal(inner, 0xd9 - 13);

  /* Every truncation of a valid token is refused, and says 0 bytes. */
  n = unhex(krb5_ap_rep, buf, sizeof(buf));
  for (i = 0; i < n; i++) {
    inner = 999;
    assert_int_equal(dfsc__spnego_krb5_tok_id(buf, i, &inner), DFSC_E_PROTO);
    assert_int_equal(inner, 0);
  }
  assert_int_equal(dfsc__spnego_krb5_tok_id(NULL, 0, &inner), DFSC_E_PROTO);
  /* Too short: a TOK_ID and no message; half a TOK_ID; nothing after the
   * OID. */
  expect_tok_id("600d 06092a864886f712010202 0200", DFSC_E_PROTO, 0);
  expect_tok_id("600c 06092a864886f712010202 02", DFSC_E_PROTO, 0);
  expect_tok_id("600b 06092a864886f712010202", DFSC_E_PROTO, 0);
  /* Wrong OIDs: SPNEGO, NTLMSSP, krb5 with the last arc changed, a prefix. */
  expect_tok_id("600b 06062b0601050502 0200 00", DFSC_E_PROTO, 0);
  expect_tok_id("600f 060a2b06010401823702020a 0200 00", DFSC_E_PROTO, 0);
  expect_tok_id("600e 06092a864886f712010203 0200 00", DFSC_E_PROTO, 0);
  expect_tok_id("600c 06072a864886f71201 0200 00", DFSC_E_PROTO, 0);
  /* No OID first; not [APPLICATION 0]; bytes after it; a length past the
   * end; an indefinite length. */
  expect_tok_id("600e 04092a864886f712010202 0200 00", DFSC_E_PROTO, 0);
  expect_tok_id("300e 06092a864886f712010202 0200 00", DFSC_E_PROTO, 0);
  expect_tok_id("610e 06092a864886f712010202 0200 00", DFSC_E_PROTO, 0);
  expect_tok_id("600e 06092a864886f712010202 0200 00 00", DFSC_E_PROTO, 0);
  expect_tok_id("600f 06092a864886f712010202 0200 00", DFSC_E_PROTO, 0);
  expect_tok_id("6080 06092a864886f712010202 0200 00 0000", DFSC_E_PROTO, 0);
  /* A SPNEGO token is not a Kerberos one. */
  expect_tok_id(win_resp1, DFSC_E_PROTO, 0);
}

static void test_krb5_resp(void **state) {
  uint8_t buf[512], tok[128];
  size_t n, toklen, inner;
  dfsc_spnego_resp r;
  (void)state;
  /* NegTokenResp { accept-completed, krb5, AP-REP }. */
  n = unhex("a13c 303a a0030a0100 a10b06092a864886f712010202 a2260424", buf, sizeof(buf));
  toklen = unhex(krb5_ap_rep, tok, sizeof(tok));
  assert_int_equal(toklen, 0x24);
  memcpy(buf + n, tok, toklen);
  n += toklen;
  assert_int_equal(dfsc__spnego_resp_decode(buf, n, &r), 0);
  assert_int_equal(r.neg_state, DFSC_SPNEGO_ACCEPT_COMPLETED);
  assert_int_equal(r.mech_is_krb5, 1);
  assert_int_equal(r.mech_is_ntlmssp, 0);
  assert_int_equal(r.token_len, toklen);
  assert_int_equal(dfsc__spnego_krb5_tok_id(r.token, r.token_len, &inner),
                   DFSC_KRB5_TOK_AP_REP);
  /* The same with the old Microsoft OID as supportedMech. */
  buf[16] = 0x82;
  assert_int_equal(dfsc__spnego_resp_decode(buf, n, &r), 0);
  assert_int_equal(r.mech_is_krb5, 1);
  assert_int_equal(r.mech_is_ntlmssp, 0);
  /* One arc off: neither mechanism. */
  buf[16] = 0x86;
  buf[21] = 0x03;
  assert_int_equal(dfsc__spnego_resp_decode(buf, n, &r), 0);
  assert_int_equal(r.mech_is_krb5, 0);
  assert_int_equal(r.mech_is_ntlmssp, 0);
  assert_non_null(r.mech);
  /* NTLMSSP's reply is not Kerberos. */
  n = unhex(win_resp1, buf, sizeof(buf));
  assert_int_equal(dfsc__spnego_resp_decode(buf, n, &r), 0);
  assert_int_equal(r.mech_is_krb5, 0);
  assert_int_equal(r.mech_is_ntlmssp, 1);
  /* Without supportedMech, neither. */
  n = unhex("a107 3005 a0030a0100", buf, sizeof(buf));
  assert_int_equal(dfsc__spnego_resp_decode(buf, n, &r), 0);
  assert_int_equal(r.mech_is_krb5, 0);
  assert_int_equal(r.mech_is_ntlmssp, 0);
}

/* ---- the auth.h exchange -------------------------------------------------- */

static const dfsc_ntlmssp_fixed fixed = {
    .client_challenge = {1, 2, 3, 4, 5, 6, 7, 8},
    .exported_key = {0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
                     0x55, 0x55, 0x55, 0x55},
    .time = 0,
    .version = {10, 0, 0, 0, 0, 0, 0, 15},
};

/* The NTLM exchange runs once with no server name (Kerberos cannot apply,
 * whatever the mode) and once with Kerberos off and a server name: both
 * must be the NTLM-only behaviour these tests were written for. */
struct variant {
  int kerberos;
  const char *host;
};
static const struct variant no_host = {DFSC_KERBEROS_AUTO, NULL};
static const struct variant krb_off = {DFSC_KERBEROS_OFF, "fs1.dfs.test"};

static void with_variant(struct dfsc_auth_creds *cr, void **state) {
  const struct variant *v = *state;
  if (v == NULL)
    v = &no_host;
  cr->kerberos = v->kerberos;
  cr->host = v->host;
}

/* Runs NEGOTIATE and CHALLENGE; returns the context after step 2. */
static dfsc_auth *run_to_authenticate(const struct dfsc_auth_creds *cr,
                                      dfsc_spnego_resp *sent, uint8_t **sent_buf) {
  uint8_t hint[512], resp1[512], *out = NULL;
  size_t hlen, rlen, outlen = 0;
  dfsc_auth *a = NULL;
  dfsc_spnego_hint h;

  hlen = unhex(win_hint, hint, sizeof(hint));
  rlen = unhex(win_resp1, resp1, sizeof(resp1));
  assert_int_equal(dfsc__auth_new(cr, &a), 0);
  dfsc__ntlmssp_set_fixed(dfsc__auth_ntlmssp(a), &fixed);
  assert_int_equal(dfsc__auth_finish(a, NULL, 0), -EINVAL);
  /* No Kerberos: the first step stays on the loop thread. */
  assert_int_equal(dfsc__auth_lane(a), 0);
  assert_int_equal(dfsc__auth_prepare(a), 0);
  assert_int_equal(dfsc__auth_mech(a), DFSC_AUTH_NONE);

  assert_int_equal(dfsc__auth_step(a, hint, hlen, &out, &outlen), 1);
  assert_non_null(out);
  assert_int_equal(dfsc__auth_mech(a), DFSC_AUTH_NTLM);
  assert_int_equal(dfsc__spnego_hint_decode(out, outlen, &h), 0);
  assert_int_equal(h.n_mechs, 1);
  assert_int_equal(h.has_ntlmssp, 1);
  assert_int_equal(h.has_krb5, 0);
  assert_memory_equal(out + outlen - 40, "NTLMSSP\0\x01\0\0\0", 12);
  assert_int_equal(dfsc__auth_session_key(a, hint), -ENOKEY);
  dfsc__free(out);
  out = NULL;

  assert_int_equal(dfsc__auth_step(a, resp1, rlen, &out, &outlen), 0);
  assert_non_null(out);
  assert_int_equal(dfsc__spnego_resp_decode(out, outlen, sent), 0);
  assert_int_equal(sent->neg_state, DFSC_SPNEGO_NO_STATE);
  assert_memory_equal(sent->token, "NTLMSSP\0\x03\0\0\0", 12);
  *sent_buf = out;
  /* Nothing more to step. */
  assert_int_equal(dfsc__auth_step(a, resp1, rlen, &out, &outlen), -EINVAL);
  assert_null(out);
  return a;
}

static void server_mic(uint8_t mic[16]) {
  dfsc_ntlmssp_keys k;
  struct arcfour_ctx rc4;
  size_t mtlen;
  const uint8_t *mt = dfsc__spnego_mechtypes(&mtlen);
  dfsc__ntlmssp_derive_keys(fixed.exported_key, 0xe2888215u, &k);
  arcfour_set_key(&rc4, 16, k.server_seal);
  dfsc__ntlmssp_mac(k.server_sign, &rc4, 0, mt, mtlen, mic);
}

static size_t final_token(int state, const uint8_t *mic, uint8_t *buf, size_t cap) {
  dfsc_wr w;
  dfsc__wr_init(&w, buf, cap);
  assert_int_equal(dfsc__spnego_resp_encode(&w, state, NULL, 0, mic, mic ? 16 : 0), 0);
  return w.off;
}

static void test_auth_exchange_with_mech_list_mics(void **state) {
  struct dfsc_auth_creds cr = {"administrator", "SUT311", "Password01!", "DRIVER311"};
  dfsc_spnego_resp sent;
  uint8_t *sent_buf = NULL, want_mic[16], key[16], fin[64], smic[16], full[32];
  const uint8_t *mt;
  size_t mtlen, flen, full_len = 0;
  dfsc_ntlmssp_keys k;
  struct arcfour_ctx rc4;
  dfsc_auth *a;
  with_variant(&cr, state);
  a = run_to_authenticate(&cr, &sent, &sent_buf);
  assert_int_equal(dfsc__auth_is_anonymous(a), 0);

  /* The client's mechListMIC: NTLM MAC (client keys, seq 0) over the DER
   * MechTypeList, [MS-SPNG] 3.1.5.1 / [MS-NLMP] 3.4.4.2. */
  assert_non_null(sent.mic);
  assert_int_equal(sent.mic_len, 16);
  mt = dfsc__spnego_mechtypes(&mtlen);
  assert_memory_equal(mt, "\x30\x0c\x06\x0a\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a", 14);
  dfsc__ntlmssp_derive_keys(fixed.exported_key, 0xe2888215u, &k);
  arcfour_set_key(&rc4, 16, k.client_seal);
  dfsc__ntlmssp_mac(k.client_sign, &rc4, 0, mt, mtlen, want_mic);
  assert_memory_equal(sent.mic, want_mic, 16);
  dfsc__free(sent_buf);

  assert_int_equal(dfsc__auth_session_key(a, key), 0);
  assert_memory_equal(key, fixed.exported_key, 16);

  /* The server's accept-completed with its own MIC verifies. */
  server_mic(smic);
  flen = final_token(DFSC_SPNEGO_ACCEPT_COMPLETED, smic, fin, sizeof(fin));
  assert_int_equal(dfsc__auth_finish(a, fin, flen), 0);
  assert_int_equal(dfsc__auth_session_key(a, key), 0);
  /* NTLM: the full key is the 16-byte key; the server proved nothing. */
  assert_int_equal(dfsc__auth_full_key(a, full, &full_len), 0);
  assert_int_equal(full_len, 16);
  assert_memory_equal(full, fixed.exported_key, 16);
  assert_int_equal(dfsc__auth_mutual(a), 0);
  assert_string_equal(dfsc__auth_client(a), "");
  assert_int_equal(dfsc__auth_finish(a, fin, flen), -EINVAL);
  dfsc__auth_free(a);
}

static void test_auth_final_token_failures(void **state) {
  struct dfsc_auth_creds cr = {"administrator", "SUT311", "Password01!", "DRIVER311"};
  dfsc_spnego_resp sent;
  uint8_t *sent_buf = NULL, fin[64], smic[16], key[16];
  size_t flen;
  dfsc_auth *a;
  with_variant(&cr, state);

  /* A wrong server MIC fails the logon and withdraws the key. */
  a = run_to_authenticate(&cr, &sent, &sent_buf);
  dfsc__free(sent_buf);
  server_mic(smic);
  smic[7] ^= 0x40;
  flen = final_token(DFSC_SPNEGO_ACCEPT_COMPLETED, smic, fin, sizeof(fin));
  assert_int_equal(dfsc__auth_finish(a, fin, flen), DFSC_E_AUTH);
  assert_int_equal(dfsc__auth_session_key(a, key), -ENOKEY);
  dfsc__auth_free(a);

  /* Reject. */
  a = run_to_authenticate(&cr, &sent, &sent_buf);
  dfsc__free(sent_buf);
  flen = final_token(DFSC_SPNEGO_REJECT, NULL, fin, sizeof(fin));
  assert_int_equal(dfsc__auth_finish(a, fin, flen), DFSC_E_AUTH);
  dfsc__auth_free(a);

  /* accept-incomplete where the exchange must end. */
  a = run_to_authenticate(&cr, &sent, &sent_buf);
  dfsc__free(sent_buf);
  flen = final_token(DFSC_SPNEGO_ACCEPT_INCOMPLETE, NULL, fin, sizeof(fin));
  assert_int_equal(dfsc__auth_finish(a, fin, flen), DFSC_E_PROTO);
  dfsc__auth_free(a);

  /* Malformed final token. */
  a = run_to_authenticate(&cr, &sent, &sent_buf);
  dfsc__free(sent_buf);
  assert_int_equal(dfsc__auth_finish(a, (const uint8_t *)"\xa1\x05\x30", 3), DFSC_E_PROTO);
  dfsc__auth_free(a);

  /* We sent a mechListMIC and the final buffer is empty (a relay that
   * dropped the server's token, or a server that sends none): our list
   * held NTLM alone, so there was no choice to protect; what stays
   * unproven is the server's key, which the session layer then demands
   * as a signed final response (mic_absent says so). */
  a = run_to_authenticate(&cr, &sent, &sent_buf);
  dfsc__free(sent_buf);
  assert_non_null(sent.mic);
  assert_int_equal(dfsc__auth_mic_absent(a), 0);
  assert_int_equal(dfsc__auth_finish(a, NULL, 0), 0);
  assert_int_equal(dfsc__auth_mic_absent(a), 1);
  dfsc__auth_free(a);

  /* The same for accept-completed without the server's mechListMIC
   * (impacket 0.10). */
  a = run_to_authenticate(&cr, &sent, &sent_buf);
  dfsc__free(sent_buf);
  flen = final_token(DFSC_SPNEGO_ACCEPT_COMPLETED, NULL, fin, sizeof(fin));
  assert_int_equal(dfsc__auth_finish(a, fin, flen), 0);
  assert_int_equal(dfsc__auth_mic_absent(a), 1);
  dfsc__auth_free(a);
}

static void test_auth_server_rejects_or_switches(void **state) {
  struct dfsc_auth_creds cr = {"u", "d", "p", "w"};
  uint8_t resp1[512], *out = NULL, buf[64];
  size_t rlen, outlen = 0, n;
  dfsc_auth *a = NULL;
  with_variant(&cr, state);
  rlen = unhex(win_resp1, resp1, sizeof(resp1));

  /* supportedMech other than NTLMSSP. */
  assert_int_equal(dfsc__auth_new(&cr, &a), 0);
  assert_int_equal(dfsc__auth_step(a, NULL, 0, &out, &outlen), 1);
  dfsc__free(out);
  resp1[24] = 0x0b;
  assert_int_equal(dfsc__auth_step(a, resp1, rlen, &out, &outlen), DFSC_E_AUTH);
  assert_null(out);
  assert_int_equal(outlen, 0);
  /* A failed context stays failed. */
  assert_int_equal(dfsc__auth_step(a, resp1, rlen, &out, &outlen), -EINVAL);
  dfsc__auth_free(a);

  /* negState reject. */
  assert_int_equal(dfsc__auth_new(&cr, &a), 0);
  assert_int_equal(dfsc__auth_step(a, NULL, 0, &out, &outlen), 1);
  dfsc__free(out);
  n = final_token(DFSC_SPNEGO_REJECT, NULL, buf, sizeof(buf));
  assert_int_equal(dfsc__auth_step(a, buf, n, &out, &outlen), DFSC_E_AUTH);
  dfsc__auth_free(a);

  /* accept-incomplete without a token. */
  assert_int_equal(dfsc__auth_new(&cr, &a), 0);
  assert_int_equal(dfsc__auth_step(a, NULL, 0, &out, &outlen), 1);
  dfsc__free(out);
  n = final_token(DFSC_SPNEGO_ACCEPT_INCOMPLETE, NULL, buf, sizeof(buf));
  assert_int_equal(dfsc__auth_step(a, buf, n, &out, &outlen), DFSC_E_PROTO);
  dfsc__auth_free(a);

  /* A malformed hint. */
  assert_int_equal(dfsc__auth_new(&cr, &a), 0);
  assert_int_equal(dfsc__auth_step(a, (const uint8_t *)"\x60\x80", 2, &out, &outlen),
                   DFSC_E_PROTO);
  dfsc__auth_free(a);
}

static void test_auth_anonymous_and_default_workstation(void **state) {
  struct dfsc_auth_creds cr = {NULL, NULL, NULL, NULL};
  uint8_t resp1[512], *out = NULL, key[16];
  size_t rlen, outlen = 0;
  dfsc_auth *a = NULL;
  dfsc_spnego_resp r;
  size_t ws_len, i;
  const uint8_t *ws;
  with_variant(&cr, state);
  rlen = unhex(win_resp1, resp1, sizeof(resp1));
  assert_int_equal(dfsc__auth_new(&cr, &a), 0);
  assert_int_equal(dfsc__auth_is_anonymous(a), 1);
  assert_int_equal(dfsc__auth_step(a, NULL, 0, &out, &outlen), 1);
  dfsc__free(out);
  assert_int_equal(dfsc__auth_step(a, resp1, rlen, &out, &outlen), 0);
  assert_int_equal(dfsc__spnego_resp_decode(out, outlen, &r), 0);
  /* No key, so no mechListMIC. */
  assert_null(r.mic);
  assert_int_equal(dfsc__le16(r.token + 20), 0); /* empty NT response */
  /* The default workstation is the host's short name, upper-case, <= 15. */
  ws_len = dfsc__le16(r.token + 44);
  ws = r.token + dfsc__le32(r.token + 48);
  assert_true(ws_len <= 30);
  for (i = 0; i < ws_len; i += 2) {
    assert_false(ws[i] >= 'a' && ws[i] <= 'z');
    assert_int_not_equal(ws[i], '.');
  }
  dfsc__free(out);
  assert_int_equal(dfsc__auth_session_key(a, key), -ENOKEY);
  assert_int_equal(dfsc__auth_finish(a, NULL, 0), 0);
  assert_int_equal(dfsc__auth_session_key(a, key), -ENOKEY);
  dfsc__auth_free(a);
  dfsc__auth_free(NULL);
}

/* ---- Kerberos in auth.c, without a KDC ------------------------------------ */

/* A krb5.conf whose only KDC is 127.0.0.1:1 (nothing listens there) and a
 * credential cache that cannot exist: Kerberos has nothing to use. The
 * environment is the whole process's, so it is set for one test and put
 * back after it. */
struct krb_env {
  char conf[64];
  char *old_conf, *old_cc;
};

static char *dup_env(const char *name) {
  const char *v = getenv(name);
  return v != NULL ? strdup(v) : NULL;
}

static void put_env(const char *name, const char *v) {
  if (v != NULL)
    setenv(name, v, 1);
  else
    unsetenv(name);
}

static int krb_env_up(void **state) {
  static const char conf[] = "[libdefaults]\n"
                             "  default_realm = DFSC.TEST\n"
                             "  dns_lookup_kdc = false\n"
                             "  dns_lookup_realm = false\n"
                             "[realms]\n"
                             "  DFSC.TEST = {\n"
                             "    kdc = 127.0.0.1:1\n"
                             "  }\n";
  struct krb_env *e = calloc(1, sizeof(*e));
  int fd;
  if (e == NULL)
    return -1;
  snprintf(e->conf, sizeof(e->conf), "/tmp/dfsc-test-krb5-XXXXXX");
  fd = mkstemp(e->conf);
  if (fd < 0 || write(fd, conf, sizeof(conf) - 1) != (ssize_t)(sizeof(conf) - 1)) {
    if (fd >= 0)
      close(fd);
    free(e);
    return -1;
  }
  close(fd);
  e->old_conf = dup_env("KRB5_CONFIG");
  e->old_cc = dup_env("KRB5CCNAME");
  setenv("KRB5_CONFIG", e->conf, 1);
  setenv("KRB5CCNAME", "FILE:/nonexistent/cc", 1);
  *state = e;
  return 0;
}

static int krb_env_down(void **state) {
  struct krb_env *e = *state;
  put_env("KRB5_CONFIG", e->old_conf);
  put_env("KRB5CCNAME", e->old_cc);
  unlink(e->conf);
  free(e->old_conf);
  free(e->old_cc);
  free(e);
  return 0;
}

/* Steps a fresh context once; returns the step's result, the context kept
 * in *out_a for the caller's checks. */
static int first_step(const struct dfsc_auth_creds *cr, dfsc_auth **out_a, uint8_t **out,
                      size_t *outlen) {
  uint8_t hint[512];
  size_t hlen = unhex(samba_hint, hint, sizeof(hint));
  assert_int_equal(dfsc__auth_new(cr, out_a), 0);
  return dfsc__auth_step(*out_a, hint, hlen, out, outlen);
}

static void test_auth_krb5_required_no_ticket(void **state) {
  struct dfsc_auth_creds cr = {"u", "DFSC", NULL, "W"};
  uint8_t *out = NULL;
  size_t outlen = 0;
  dfsc_auth *a = NULL;
  (void)state;
  cr.kerberos = DFSC_KERBEROS_REQUIRED;
  cr.host = "h";

  /* Straight to the step (it prepares itself). */
  assert_int_equal(dfsc__auth_new(&cr, &a), 0);
  assert_int_equal(dfsc__auth_lane(a), 1);
  dfsc__auth_free(a);
  assert_int_equal(first_step(&cr, &a, &out, &outlen), DFSC_E_NOTICKET);
  assert_null(out);
  assert_int_equal(outlen, 0);
  if (dfsc__auth_why(a)[0] == '\0')
    fail_msg("no reason given for DFSC_E_NOTICKET");
  assert_int_equal(dfsc__auth_mech(a), DFSC_AUTH_NONE);
  assert_int_equal(dfsc__auth_mutual(a), 0);
  /* A failed context stays failed. */
  assert_int_equal(dfsc__auth_step(a, NULL, 0, &out, &outlen), -EINVAL);
  assert_null(out);
  dfsc__auth_free(a);

  /* Through the lane: prepare finds nothing (no KDC work to do), keeps the
   * failure, and the step returns it. */
  assert_int_equal(dfsc__auth_new(&cr, &a), 0);
  assert_int_equal(dfsc__auth_prepare(a), 0);
  if (dfsc__auth_why(a)[0] == '\0')
    fail_msg("prepare kept no reason");
  assert_int_equal(dfsc__auth_step(a, NULL, 0, &out, &outlen), DFSC_E_NOTICKET);
  assert_null(out);
  dfsc__auth_free(a);

  /* A cache named in the options instead of the environment. */
  cr.ccache = "FILE:/nonexistent/other-cc";
  assert_int_equal(first_step(&cr, &a, &out, &outlen), DFSC_E_NOTICKET);
  assert_null(out);
  assert_true(dfsc__auth_why(a)[0] != '\0');
  dfsc__auth_free(a);

  /* auto with NTLM off: no fallback, the Kerberos error. */
  cr.ccache = NULL;
  cr.kerberos = DFSC_KERBEROS_AUTO;
  cr.password = "p";
  cr.ntlm_off = 1;
  assert_int_equal(first_step(&cr, &a, &out, &outlen), DFSC_E_NOTICKET);
  assert_null(out);
  dfsc__auth_free(a);

  /* Kerberos off and NTLM off: nothing to log on with. */
  cr.kerberos = DFSC_KERBEROS_OFF;
  assert_int_equal(first_step(&cr, &a, &out, &outlen), DFSC_E_AUTH);
  assert_null(out);
  assert_true(dfsc__auth_why(a)[0] != '\0');
  dfsc__auth_free(a);
}

static void test_auth_krb5_auto_falls_back_to_ntlm(void **state) {
  struct dfsc_auth_creds cr = {"u", "DFSC", "p", "W"};
  uint8_t resp1[512], *out = NULL;
  size_t rlen, outlen = 0;
  dfsc_auth *a = NULL;
  dfsc_spnego_hint h;
  dfsc_spnego_resp r;
  (void)state;
  cr.kerberos = DFSC_KERBEROS_AUTO;
  cr.host = "h";
  rlen = unhex(win_resp1, resp1, sizeof(resp1));

  /* With a password and no ticket, auto never asks the KDC (prepare says
   * no KDC lane), and the first token is NTLMSSP's NegTokenInit. */
  assert_int_equal(dfsc__auth_new(&cr, &a), 0);
  assert_int_equal(dfsc__auth_lane(a), 1);
  assert_int_equal(dfsc__auth_prepare(a), 0);
  dfsc__auth_free(a);
  assert_int_equal(first_step(&cr, &a, &out, &outlen), 1);
  assert_non_null(out);
  assert_int_equal(dfsc__auth_mech(a), DFSC_AUTH_NTLM);
  assert_int_equal(dfsc__spnego_hint_decode(out, outlen, &h), 0);
  assert_int_equal(h.n_mechs, 1);
  assert_int_equal(h.has_ntlmssp, 1);
  assert_int_equal(h.has_krb5, 0);
  assert_memory_equal(out + outlen - 40, "NTLMSSP\0\x01\0\0\0", 12);
  /* Why Kerberos was passed over, for the log. */
  if (dfsc__auth_why(a)[0] == '\0')
    fail_msg("no reason kept for passing Kerberos over");
  dfsc__free(out);
  out = NULL;
  /* And the NTLM exchange goes on as usual. */
  assert_int_equal(dfsc__auth_step(a, resp1, rlen, &out, &outlen), 0);
  assert_int_equal(dfsc__spnego_resp_decode(out, outlen, &r), 0);
  assert_memory_equal(r.token, "NTLMSSP\0\x03\0\0\0", 12);
  assert_int_equal(dfsc__auth_mutual(a), 0);
  dfsc__free(out);
  out = NULL;
  dfsc__auth_free(a);

  /* Anonymous (no user, no password): NTLMSSP too. */
  cr.user = NULL;
  cr.password = NULL;
  assert_int_equal(first_step(&cr, &a, &out, &outlen), 1);
  assert_int_equal(dfsc__auth_mech(a), DFSC_AUTH_NTLM);
  assert_int_equal(dfsc__spnego_hint_decode(out, outlen, &h), 0);
  assert_int_equal(h.has_ntlmssp, 1);
  assert_int_equal(h.has_krb5, 0);
  dfsc__free(out);
  dfsc__auth_free(a);
}

static void test_auth_krb5_required_password_asks_kdc(void **state) {
  struct dfsc_auth_creds cr = {"u", "DFSC", "p", "W"};
  uint8_t *out = NULL;
  size_t outlen = 0;
  dfsc_auth *a = NULL;
  int rc;
  (void)state;
  cr.kerberos = DFSC_KERBEROS_REQUIRED;
  cr.host = "h";
  /* required + a password: a TGT from it, which is KDC work (its own
   * lane); the KDC at 127.0.0.1:1 refuses the connection at once. */
  assert_int_equal(dfsc__auth_new(&cr, &a), 0);
  assert_int_equal(dfsc__auth_prepare(a), 1);
  rc = dfsc__auth_step(a, NULL, 0, &out, &outlen);
  if (rc != DFSC_E_NOTICKET && rc != DFSC_E_KERBEROS)
    fail_msg("step: %d, want DFSC_E_NOTICKET or DFSC_E_KERBEROS", rc);
  assert_null(out);
  if (dfsc__auth_why(a)[0] == '\0')
    fail_msg("no reason given");
  dfsc__auth_free(a);
}

int main(void) {
/* An NTLM test again, with Kerberos off and a server name. */
#define KRB_OFF(f)                                                                         \
  { #f "_kerberos_off", f, NULL, NULL, (void *)&krb_off }
#define KRB_ENV(f) cmocka_unit_test_setup_teardown(f, krb_env_up, krb_env_down)
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_der_header_sizes),
      cmocka_unit_test(test_der_check_hostile),
      cmocka_unit_test(test_init_encode_layout),
      cmocka_unit_test(test_hint_decode),
      cmocka_unit_test(test_hint_hostile),
      cmocka_unit_test(test_resp_decode_windows),
      cmocka_unit_test(test_resp_encode_layout_and_roundtrip),
      cmocka_unit_test(test_resp_hostile),
      cmocka_unit_test(test_krb5_init_encode),
      cmocka_unit_test(test_krb5_hints),
      cmocka_unit_test(test_krb5_tok_id),
      cmocka_unit_test(test_krb5_resp),
      cmocka_unit_test(test_auth_exchange_with_mech_list_mics),
      cmocka_unit_test(test_auth_final_token_failures),
      cmocka_unit_test(test_auth_server_rejects_or_switches),
      cmocka_unit_test(test_auth_anonymous_and_default_workstation),
      KRB_OFF(test_auth_exchange_with_mech_list_mics),
      KRB_OFF(test_auth_final_token_failures),
      KRB_OFF(test_auth_server_rejects_or_switches),
      KRB_OFF(test_auth_anonymous_and_default_workstation),
      KRB_ENV(test_auth_krb5_required_no_ticket),
      KRB_ENV(test_auth_krb5_auto_falls_back_to_ntlm),
      KRB_ENV(test_auth_krb5_required_password_asks_kdc),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
