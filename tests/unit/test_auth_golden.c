/* Golden tests for the auth decoders and the SMB key schedule, on the
 * SESSION_SETUP exchanges smbclient ran against Samba 4.17 (captured in
 * tests/fixtures/smb2, user dfsctest / password dfsc-Pass1 / domain
 * TESTBED, NTLMv2 in SPNEGO).
 *
 * Decodes the server's SPNEGO hint from the NEGOTIATE response, the
 * client's NegTokenInit with the NTLMSSP NEGOTIATE, the NegTokenResp with
 * the CHALLENGE (flags, target name, AV pairs as tshark shows them) and the
 * one with the AUTHENTICATE. Then, from the password alone, recomputes the
 * client's NTLMv2 response byte for byte, the ExportedSessionKey (RC4 of
 * EncryptedRandomSessionKey under the SessionBaseKey), the AUTHENTICATE
 * MIC, both mechListMICs, and checks Samba's SMB2 signatures: HMAC-SHA256
 * for 2.0.2, AES-GMAC with the preauth-hash-derived key for 3.1.1. For the
 * encrypted connection it decrypts the first transform PDUs of each
 * direction. Together that proves the key derivation end to end.
 * Does not: test the NTLMSSP client context (test_auth_ntlmssp.c does).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <nettle/arcfour.h>
#include <nettle/hmac.h>

#include "auth/asn1.h"
#include "auth/ntlmssp.h"
#include "auth/spnego.h"
#include "core/buf.h"
#include "core/utf16.h"
#include "dfsc/errors.h"
#include "session/crypto.h"
#include "smb2/create.h"
#include "smb2/negotiate.h"
#include "smb2/query_directory.h"
#include "smb2/session_setup.h"
#include "smb2/smb2.h"

#include "golden.h"

#define PASSWORD "dfsc-Pass1"
#define USER "dfsctest"
#define DOMAIN "TESTBED"

/* AUTHENTICATE_MESSAGE field offsets, [MS-NLMP] 2.2.1.3 */
#define AUTH_NT_FIELDS 20
#define AUTH_DOMAIN_FIELDS 28
#define AUTH_USER_FIELDS 36
#define AUTH_WS_FIELDS 44
#define AUTH_KEY_FIELDS 52
#define AUTH_FLAGS 60
#define AUTH_MIC 72

static const char *u8(const uint8_t *u16, size_t n, char *out, size_t cap) {
  assert_true(dfsc__utf16_to_utf8(u16, n, out, cap) >= 0);
  return out;
}

/* A SESSION_SETUP PDU and the security buffer inside it. */
typedef struct blob {
  uint8_t *pdu;
  size_t len;
  const uint8_t *sec;
  size_t sec_len;
} blob;

static void load_ss(const char *name, blob *b) {
  dfsc_smb2_hdr h;
  b->pdu = golden_load(name, &b->len);
  assert_int_equal(dfsc__smb2_hdr_decode(b->pdu, b->len, &h), 0);
  assert_int_equal(h.command, SMB2_SESSION_SETUP);
  if (h.flags & SMB2_FLAGS_SERVER_TO_REDIR) {
    dfsc_smb2_session_setup_rsp rsp;
    assert_int_equal(dfsc__smb2_session_setup_rsp_decode(b->pdu, b->len, &rsp), 0);
    b->sec = rsp.security_buffer;
    b->sec_len = rsp.security_buffer_len;
  } else {
    dfsc_smb2_session_setup_req req;
    assert_int_equal(dfsc__smb2_session_setup_req_decode(b->pdu, b->len, &req), 0);
    b->sec = req.security_buffer;
    b->sec_len = req.security_buffer_len;
  }
}

/* The client's InitialContextToken: 0x60 { OID spnego, [0] NegTokenInit
 * { SEQUENCE { [0] mechTypes, [2] mechToken } } } ([RFC4178] 4.2.1).
 * Returns the MechTypeList element (tag and length included) and the
 * mechToken contents. */
static void split_init(const uint8_t *p, size_t len, const uint8_t **mt, size_t *mt_len,
                       const uint8_t **tok, size_t *tok_len) {
  static const uint8_t spnego_oid[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
  dfsc_der_tlv t, u;
  dfsc_rd r;

  assert_int_equal(dfsc__der_check(p, len, DFSC_DER_MAX_DEPTH), 0);
  dfsc__rd_init(&r, p, len);
  assert_int_equal(dfsc__der_expect(&r, DFSC_DER_APPLICATION0, &t), 0);
  assert_int_equal(r.off, len);
  dfsc__rd_init(&r, t.val, t.len);
  assert_int_equal(dfsc__der_expect(&r, DFSC_DER_OID, &u), 0);
  assert_int_equal(u.len, sizeof spnego_oid);
  assert_memory_equal(u.val, spnego_oid, sizeof spnego_oid);
  assert_int_equal(dfsc__der_expect(&r, DFSC_DER_CTX(0), &t), 0);
  dfsc__rd_init(&r, t.val, t.len);
  assert_int_equal(dfsc__der_expect(&r, DFSC_DER_SEQUENCE, &t), 0);
  dfsc__rd_init(&r, t.val, t.len);
  assert_int_equal(dfsc__der_expect(&r, DFSC_DER_CTX(0), &u), 0);
  *mt = u.val;
  *mt_len = u.len;
  assert_int_equal(dfsc__der_expect(&r, DFSC_DER_CTX(2), &u), 0);
  assert_int_equal(dfsc__rd_left(&r), 0);
  dfsc__rd_init(&r, u.val, u.len);
  assert_int_equal(dfsc__der_expect(&r, DFSC_DER_OCTET_STRING, &t), 0);
  *tok = t.val;
  *tok_len = t.len;
}

/* (Len, MaxLen, Offset) at msg+at, checked against the message. */
static const uint8_t *field(const uint8_t *msg, size_t len, size_t at, size_t *n) {
  size_t l = dfsc__le16(msg + at), off = dfsc__le32(msg + at + 4);
  assert_int_equal(dfsc__le16(msg + at + 2), l);
  assert_true(off <= len && l <= len - off);
  *n = l;
  return msg + off;
}

/* ---- SPNEGO and NTLMSSP decoding -------------------------------------- */

static void test_hint(void **state) {
  static const char *const names[] = {"smb311_negotiate_rsp", "smb202_negotiate_rsp",
                                      "smb311enc_negotiate_rsp"};
  size_t i;

  (void)state;
  for (i = 0; i < 3; i++) {
    dfsc_smb2_negotiate_rsp rsp;
    dfsc_spnego_hint hint;
    size_t len;
    uint8_t *pdu = golden_load(names[i], &len);
    assert_int_equal(dfsc__smb2_negotiate_rsp_decode(pdu, len, &rsp), 0);
    assert_int_equal(rsp.security_buffer_len, 74);
    /* tshark: negTokenInit, mechTypes: 1 item (NTLMSSP), negHints */
    assert_int_equal(
        dfsc__spnego_hint_decode(rsp.security_buffer, rsp.security_buffer_len, &hint), 0);
    assert_int_equal(hint.has_mechs, 1);
    assert_int_equal(hint.n_mechs, 1);
    assert_int_equal(hint.has_ntlmssp, 1);
    free(pdu);
  }
}

static void test_client_init(void **state) {
  static const uint8_t ntlmssp_sig[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
  const uint8_t *mt, *tok;
  size_t mt_len, tok_len, ours_len;
  const uint8_t *ours = dfsc__spnego_mechtypes(&ours_len);
  dfsc_spnego_hint hint;
  blob b;

  (void)state;
  load_ss("smb311_session_setup_req", &b);
  assert_int_equal(b.sec_len, 74);
  assert_int_equal(dfsc__spnego_hint_decode(b.sec, b.sec_len, &hint), 0);
  assert_int_equal(hint.n_mechs, 1);
  assert_int_equal(hint.has_ntlmssp, 1);
  split_init(b.sec, b.sec_len, &mt, &mt_len, &tok, &tok_len);
  /* smbclient offers NTLMSSP alone: the same MechTypeList dfsc sends. */
  assert_int_equal(mt_len, ours_len);
  assert_memory_equal(mt, ours, ours_len);
  assert_int_equal(tok_len, DFSC_NTLMSSP_NEGOTIATE_SIZE);
  assert_memory_equal(tok, ntlmssp_sig, 8);
  assert_int_equal(dfsc__le32(tok + 8), 1);
  assert_int_equal(dfsc__le32(tok + 12), 0x62088215);
  free(b.pdu);
}

typedef struct chal_case {
  const char *rsp;
  size_t sec_len, tok_len;
  const char *target, *server_challenge;
  size_t ti_len;
  uint64_t timestamp;
} chal_case;

static void check_challenge(const chal_case *c) {
  static const uint8_t version[8] = {6, 1, 0, 0, 0, 0, 0, 15};
  dfsc_spnego_resp r;
  dfsc_ntlmssp_challenge ch;
  uint8_t sc[8];
  char s[64];
  blob b;

  load_ss(c->rsp, &b);
  assert_int_equal(b.sec_len, c->sec_len);
  assert_int_equal(dfsc__spnego_resp_decode(b.sec, b.sec_len, &r), 0);
  assert_int_equal(r.neg_state, DFSC_SPNEGO_ACCEPT_INCOMPLETE);
  assert_non_null(r.mech);
  assert_int_equal(r.mech_is_ntlmssp, 1);
  assert_null(r.mic);
  assert_int_equal(r.token_len, c->tok_len);
  assert_int_equal(dfsc__ntlmssp_challenge_decode(r.token, r.token_len, &ch), 0);
  /* Negotiate Flags: 0x628a8215 (KEY_EXCH, 128, VERSION, TARGET_INFO,
   * EXTENDED_SESSIONSECURITY, TARGET_TYPE_SERVER, ALWAYS_SIGN, NTLM, SIGN,
   * REQUEST_TARGET, UNICODE) */
  assert_int_equal(ch.flags, 0x628a8215);
  assert_int_equal(ch.flags & DFSC_NTLMSSP_TARGET_TYPE_SERVER,
                   DFSC_NTLMSSP_TARGET_TYPE_SERVER);
  unhex(c->server_challenge, sc, sizeof sc);
  assert_memory_equal(ch.server_challenge, sc, 8);
  assert_int_equal(ch.target_name - r.token, 56);
  assert_string_equal(u8(ch.target_name, ch.target_name_len, s, sizeof s), c->target);
  assert_int_equal(ch.target_info_len, c->ti_len);
  assert_int_equal(ch.target_info - r.token, 56 + ch.target_name_len);
  assert_int_equal(ch.has_version, 1);
  assert_memory_equal(ch.version, version, 8);
  assert_int_equal(ch.has_timestamp, 1);
  assert_int_equal(ch.timestamp, c->timestamp);
  assert_int_equal(ch.has_av_flags, 0);
  assert_string_equal(u8(ch.nb_domain, ch.nb_domain_len, s, sizeof s), c->target);
  assert_string_equal(u8(ch.nb_computer, ch.nb_computer_len, s, sizeof s), c->target);
  assert_int_equal(ch.dns_domain_len, 0);
  assert_string_equal(u8(ch.dns_computer, ch.dns_computer_len, s, sizeof s), "vm");
  free(b.pdu);
}

static void test_challenge(void **state) {
  /* Timestamps: Nov 25, 2026 19:55:26.207390000 / 19:55:27.504245000 UTC */
  static const chal_case cases[] = {
      {"smb311_session_setup_rsp", 139, 110, "FS1", "a0063b9c252ac0fc", 48,
       0x1dd7d16ea25b02cull},
      {"smb202_session_setup_rsp", 145, 116, "D202", "57990472f6745b42", 52,
       0x1dd7d16eaeb9292ull},
  };
  (void)state;
  check_challenge(&cases[0]);
  check_challenge(&cases[1]);
}

/* ---- the whole exchange, from the password ---------------------------- */

typedef struct exchange {
  const char *prefix; /* "smb311", "smb202", "smb311enc" */
  const char *ntproofstr, *enc_key, *mic, *client_mlmic, *server_mlmic;
  uint16_t dialect;
} exchange;

typedef struct exchange_out {
  uint8_t exported[16];
  uint8_t preauth[DFSC_PREAUTH_HASH_SIZE];
} exchange_out;

static void run_exchange(const exchange *x, exchange_out *out) {
  char name[64];
  blob neg_req, neg_rsp, ss1, sr1, ss2, sr2;
  dfsc_spnego_resp chal_r, auth_r, fin_r;
  dfsc_ntlmssp_challenge ch;
  dfsc_ntlmssp_keys keys;
  struct arcfour_ctx rc4;
  struct hmac_md5_ctx hm;
  const uint8_t *mt, *neg_tok, *auth, *nt, *p;
  size_t mt_len, neg_len, auth_len, nt_len, n, av_len;
  uint8_t ntowf[16], proof[16], want[64], sbk[16], lm[24], mic[16], sig[16];
  uint8_t *resp, *auth0;
  char s[64];

  snprintf(name, sizeof name, "%s_negotiate_req", x->prefix);
  neg_req.pdu = golden_load(name, &neg_req.len);
  snprintf(name, sizeof name, "%s_negotiate_rsp", x->prefix);
  neg_rsp.pdu = golden_load(name, &neg_rsp.len);
  snprintf(name, sizeof name, "%s_session_setup_req", x->prefix);
  load_ss(name, &ss1);
  snprintf(name, sizeof name, "%s_session_setup_rsp", x->prefix);
  load_ss(name, &sr1);
  snprintf(name, sizeof name, "%s_session_setup_req_2", x->prefix);
  load_ss(name, &ss2);
  snprintf(name, sizeof name, "%s_session_setup_rsp_2", x->prefix);
  load_ss(name, &sr2);

  split_init(ss1.sec, ss1.sec_len, &mt, &mt_len, &neg_tok, &neg_len);
  assert_int_equal(dfsc__spnego_resp_decode(sr1.sec, sr1.sec_len, &chal_r), 0);
  assert_int_equal(dfsc__ntlmssp_challenge_decode(chal_r.token, chal_r.token_len, &ch), 0);

  /* The AUTHENTICATE, in a NegTokenResp with only responseToken and
   * mechListMIC (tshark: negTokenTarg without negResult). */
  assert_int_equal(dfsc__spnego_resp_decode(ss2.sec, ss2.sec_len, &auth_r), 0);
  assert_int_equal(auth_r.neg_state, DFSC_SPNEGO_NO_STATE);
  assert_null(auth_r.mech);
  assert_non_null(auth_r.mic);
  assert_int_equal(auth_r.mic_len, 16);
  auth = auth_r.token;
  auth_len = auth_r.token_len;
  assert_int_equal(dfsc__le32(auth + 8), 3);
  assert_int_equal(dfsc__le32(auth + AUTH_FLAGS), 0x62088215);
  p = field(auth, auth_len, AUTH_DOMAIN_FIELDS, &n);
  assert_string_equal(u8(p, n, s, sizeof s), DOMAIN);
  p = field(auth, auth_len, AUTH_USER_FIELDS, &n);
  assert_string_equal(u8(p, n, s, sizeof s), USER);
  p = field(auth, auth_len, AUTH_WS_FIELDS, &n);
  assert_string_equal(u8(p, n, s, sizeof s), "VM");
  nt = field(auth, auth_len, AUTH_NT_FIELDS, &nt_len);
  assert_true(nt_len > 16 + 28);
  unhex(x->ntproofstr, want, sizeof want);
  assert_memory_equal(nt, want, 16);

  /* NTProofStr = HMAC_MD5(NTOWFv2, ServerChallenge || temp), [MS-NLMP]
   * 3.3.2, with temp exactly as the client sent it. */
  assert_int_equal(dfsc__ntlmssp_ntowfv2(PASSWORD, USER, DOMAIN, ntowf), 0);
  hmac_md5_set_key(&hm, 16, ntowf);
  hmac_md5_update(&hm, 8, ch.server_challenge);
  hmac_md5_update(&hm, nt_len - 16, nt + 16);
  hmac_md5_digest(&hm, 16, proof);
  assert_memory_equal(proof, nt, 16);

  /* The library's NTLMv2 routine must rebuild the whole NtChallengeResponse
   * from its parts: temp is RespType, HiRespType, Z(6), Time, client
   * challenge, Z(4), then the AV pairs (ending in MsvAvEOL), then Z(4). The
   * MsvAvEOL and the trailing Z(4) are both four zero bytes on the wire, so
   * pass the AV list without its last four bytes. */
  assert_int_equal(nt[16], 1);
  assert_int_equal(nt[17], 1);
  assert_int_equal(dfsc__le32(nt + nt_len - 4), 0);
  av_len = nt_len - 16 - 28 - 4;
  resp = malloc(nt_len);
  assert_non_null(resp);
  dfsc__ntlmssp_v2_response(ntowf, ch.server_challenge, nt + 16 + 16,
                            dfsc__le64(nt + 16 + 8), nt + 16 + 28, av_len, resp, lm, sbk);
  assert_memory_equal(resp, nt, nt_len);
  free(resp);
  /* The client's timestamp is the server's MsvAvTimestamp. */
  assert_int_equal(dfsc__le64(nt + 16 + 8), ch.timestamp);

  /* ExportedSessionKey = RC4(KeyExchangeKey = SessionBaseKey,
   * EncryptedRandomSessionKey), [MS-NLMP] 3.1.5.1.2 / 3.4.5.1. */
  p = field(auth, auth_len, AUTH_KEY_FIELDS, &n);
  assert_int_equal(n, 16);
  unhex(x->enc_key, want, sizeof want);
  assert_memory_equal(p, want, 16);
  arcfour_set_key(&rc4, 16, sbk);
  arcfour_crypt(&rc4, 16, out->exported, p);

  /* MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE ||
   * AUTHENTICATE with the MIC zeroed), [MS-NLMP] 3.2.5.1.2. */
  unhex(x->mic, want, sizeof want);
  assert_memory_equal(auth + AUTH_MIC, want, 16);
  auth0 = malloc(auth_len);
  assert_non_null(auth0);
  memcpy(auth0, auth, auth_len);
  memset(auth0 + AUTH_MIC, 0, 16);
  hmac_md5_set_key(&hm, 16, out->exported);
  hmac_md5_update(&hm, neg_len, neg_tok);
  hmac_md5_update(&hm, chal_r.token_len, chal_r.token);
  hmac_md5_update(&hm, auth_len, auth0);
  hmac_md5_digest(&hm, 16, mic);
  assert_memory_equal(mic, auth + AUTH_MIC, 16);
  free(auth0);

  /* Both mechListMICs: GSS_GetMIC over the MechTypeList, sequence 0, with
   * the NTLMSSP signing/sealing keys ([MS-SPNG] 3.1.5.1, [MS-NLMP] 3.4.4.2). */
  dfsc__ntlmssp_derive_keys(out->exported, ch.flags & dfsc__le32(auth + AUTH_FLAGS), &keys);
  arcfour_set_key(&rc4, 16, keys.client_seal);
  dfsc__ntlmssp_mac(keys.client_sign, &rc4, 0, mt, mt_len, sig);
  unhex(x->client_mlmic, want, sizeof want);
  assert_memory_equal(auth_r.mic, want, 16);
  assert_memory_equal(sig, auth_r.mic, 16);
  assert_int_equal(dfsc__spnego_resp_decode(sr2.sec, sr2.sec_len, &fin_r), 0);
  assert_int_equal(fin_r.neg_state, DFSC_SPNEGO_ACCEPT_COMPLETED);
  assert_null(fin_r.token);
  assert_int_equal(fin_r.mic_len, 16);
  unhex(x->server_mlmic, want, sizeof want);
  assert_memory_equal(fin_r.mic, want, 16);
  arcfour_set_key(&rc4, 16, keys.server_seal);
  dfsc__ntlmssp_mac(keys.server_sign, &rc4, 0, mt, mt_len, sig);
  assert_memory_equal(sig, fin_r.mic, 16);

  /* 3.1.1 preauth integrity: NEGOTIATE request and response, then every
   * SESSION_SETUP message up to the last request ([MS-SMB2] 3.2.5.3.1). */
  memset(out->preauth, 0, sizeof out->preauth);
  dfsc__crypto_preauth_update(out->preauth, neg_req.pdu, neg_req.len);
  dfsc__crypto_preauth_update(out->preauth, neg_rsp.pdu, neg_rsp.len);
  dfsc__crypto_preauth_update(out->preauth, ss1.pdu, ss1.len);
  dfsc__crypto_preauth_update(out->preauth, sr1.pdu, sr1.len);
  dfsc__crypto_preauth_update(out->preauth, ss2.pdu, ss2.len);

  free(neg_req.pdu);
  free(neg_rsp.pdu);
  free(ss1.pdu);
  free(sr1.pdu);
  free(ss2.pdu);
  free(sr2.pdu);
}

/* Every signed fixture of the connection verifies; a flipped bit does not. */
static void check_signed(uint16_t dialect, uint16_t alg, const uint8_t key[16],
                         const char *const *names, size_t n) {
  size_t i, len;
  for (i = 0; i < n; i++) {
    dfsc_smb2_hdr h;
    uint8_t *pdu = golden_load(names[i], &len);
    assert_int_equal(dfsc__smb2_hdr_decode(pdu, len, &h), 0);
    assert_int_equal(h.flags & SMB2_FLAGS_SIGNED, SMB2_FLAGS_SIGNED);
    assert_int_equal(dfsc__crypto_verify(dialect, alg, key, pdu, len), 0);
    pdu[len - 1] ^= 1;
    assert_int_equal(dfsc__crypto_verify(dialect, alg, key, pdu, len), DFSC_E_SIGNATURE);
    free(pdu);
  }
}

static void test_smb311_keys(void **state) {
  static const exchange x = {"smb311",
                             "24c83cec79fe4d7ddb0be6d0137d119f",
                             "76e762ae161ed00c1ba51e6c498811ad",
                             "52b3bd12ec28e0eb7f0062ef2fe0a14e",
                             "01000000a1187977b156694700000000",
                             "0100000063f040e8c934789800000000",
                             SMB2_DIALECT_311};
  static const char *const signed_pdus[] = {
      "smb311_session_setup_rsp_2", "smb311_tree_connect_req", "smb311_tree_connect_rsp",
      "smb311_tree_connect_req_2", "smb311_tree_connect_rsp_2"};
  exchange_out o;
  uint8_t key[16];

  (void)state;
  run_exchange(&x, &o);
  assert_int_equal(
      dfsc__crypto_derive_signing_key(SMB2_DIALECT_311, o.exported, o.preauth, key), 0);
  /* negotiated: SigningAlgorithmId AES-GMAC */
  check_signed(SMB2_DIALECT_311, SMB2_SIGNING_AES_GMAC, key, signed_pdus, 5);
}

static void test_smb202_keys(void **state) {
  static const exchange x = {"smb202",
                             "2e1399984262fd537d27d788c4d18b29",
                             "081f880dce01773eeb5eeb1d232a8871",
                             "6df2f234d987f3e10089ff3672ed6024",
                             "010000007eb0c25a73297c3f00000000",
                             "0100000098df17e3682cd86800000000",
                             SMB2_DIALECT_202};
  static const char *const signed_pdus[] = {
      "smb202_session_setup_rsp_2", "smb202_tree_connect_req", "smb202_tree_connect_rsp",
      "smb202_ioctl_req",           "smb202_ioctl_rsp",        "smb202_tree_connect_req_2",
      "smb202_tree_connect_rsp_2"};
  exchange_out o;
  uint8_t key[16];

  (void)state;
  run_exchange(&x, &o);
  assert_int_equal(dfsc__crypto_derive_signing_key(SMB2_DIALECT_202, o.exported, NULL, key),
                   0);
  assert_memory_equal(key, o.exported, 16);
  check_signed(SMB2_DIALECT_202, 0, key, signed_pdus, 7);
}

/* Decrypts one transform PDU and checks the SMB2 header inside. */
static void check_transform(const uint8_t *key, const char *name, uint16_t cmd,
                            uint64_t mid, size_t plain_len) {
  size_t len, plen = 0;
  uint64_t sid = 0;
  uint32_t orig = 0;
  uint8_t *msg = golden_load(name, &len);
  uint8_t *plain = malloc(len);
  dfsc_smb2_hdr h;

  assert_non_null(plain);
  assert_int_equal(dfsc__crypto_transform_peek(msg, len, &sid, &orig), 0);
  assert_int_equal(sid, 0x4ba3ff7dull);
  assert_int_equal(orig, plain_len);
  assert_int_equal(
      dfsc__crypto_decrypt(SMB2_ENCRYPTION_AES128_GCM, key, msg, len, plain, len, &plen),
      0);
  assert_int_equal(plen, plain_len);
  assert_int_equal(dfsc__smb2_hdr_decode(plain, plen, &h), 0);
  assert_int_equal(h.command, cmd);
  assert_int_equal(h.message_id, mid);
  assert_int_equal(h.session_id, 0x4ba3ff7dull);
  if (cmd == SMB2_CREATE && (h.flags & SMB2_FLAGS_SERVER_TO_REDIR)) {
    dfsc_smb2_create_rsp rsp;
    assert_int_equal(dfsc__smb2_create_rsp_decode(plain, plen, &rsp), 0);
    assert_int_equal(rsp.create_action, SMB2_FILE_OPENED);
    assert_int_equal(rsp.info.attributes & 0x10, 0x10);
  }
  if (cmd == SMB2_QUERY_DIRECTORY && (h.flags & SMB2_FLAGS_SERVER_TO_REDIR) &&
      h.status == 0) {
    dfsc_smb2_query_dir_rsp rsp;
    assert_int_equal(dfsc__smb2_query_dir_rsp_decode(plain, plen, &rsp), 0);
    assert_true(rsp.len > 0);
  }
  /* One flipped ciphertext bit fails the GCM tag. */
  msg[len - 1] ^= 1;
  assert_int_equal(
      dfsc__crypto_decrypt(SMB2_ENCRYPTION_AES128_GCM, key, msg, len, plain, len, &plen),
      DFSC_E_SIGNATURE);
  free(plain);
  free(msg);
}

static void test_smb311enc_keys(void **state) {
  static const char *const signed_pdus[] = {
      "smb311enc_session_setup_rsp_2", "smb311enc_tree_connect_req",
      "smb311enc_tree_connect_rsp", "smb311enc_tree_connect_req_2",
      "smb311enc_tree_connect_rsp_2"};
  static const exchange x = {"smb311enc",
                             "1910808b18de6d1529dd59f28331ebe0",
                             "bd236c19e03c21cfbec6e36a8246d435",
                             "cc0da971d315622b6ee6579b6a82794f",
                             "01000000a2e63e478ff3e36300000000",
                             "01000000d77bf12e1d042e3c00000000",
                             SMB2_DIALECT_311};
  dfsc_smb3_keys k;
  exchange_out o;

  (void)state;
  run_exchange(&x, &o);
  assert_int_equal(dfsc__crypto_derive_keys(SMB2_DIALECT_311, SMB2_ENCRYPTION_AES128_GCM,
                                            o.exported, 16, o.preauth, &k),
                   0);
  assert_int_equal(k.cipher_key_len, 16);
  check_signed(SMB2_DIALECT_311, SMB2_SIGNING_AES_GMAC, k.signing, signed_pdus, 5);
  /* The first PDUs after the tree connect to \\127.0.0.11\enc: CREATE of
   * the share root and its response, then QUERY_DIRECTORY and so on. */
  check_transform(k.encryption, "smb311enc_transform_req", SMB2_CREATE, 7, 121);
  check_transform(k.decryption, "smb311enc_transform_rsp", SMB2_CREATE, 7, 152);
  check_transform(k.encryption, "smb311enc_transform_req_2", SMB2_QUERY_DIRECTORY, 8, 98);
  check_transform(k.decryption, "smb311enc_transform_rsp_2", SMB2_QUERY_DIRECTORY, 8, 292);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hint),        cmocka_unit_test(test_client_init),
      cmocka_unit_test(test_challenge),   cmocka_unit_test(test_smb311_keys),
      cmocka_unit_test(test_smb202_keys), cmocka_unit_test(test_smb311enc_keys),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
