/* libFuzzer target: the SPNEGO token codec (src/auth/spnego.c): the server's
 * NegTokenInit / NegTokenInit2 hint, its NegTokenResp, the Kerberos GSS
 * framing check (RFC 4121 4.1) and the client's NegTokenInit for both
 * mechanisms.
 *
 * Input: one token; both decoders and dfsc__spnego_krb5_tok_id see it, the
 * framing check sees a decoded NegTokenResp's responseToken too (where the
 * server's AP-REP or KRB-ERROR travels; dfsc reads no further, GSSAPI does),
 * and the NegTokenInit encoder wraps it (or that responseToken) as a
 * mechToken.
 * Invariants checked (abort on violation): returned pointers lie with their
 * lengths inside the token; n_mechs is non-negative and present only with
 * has_mechs; has_ntlmssp and has_krb5 only with a mechanism listed;
 * neg_state is one of the four values or NO_STATE; mech_is_ntlmssp and
 * mech_is_krb5 only with a supportedMech of the right OID, never both; a
 * TOK_ID is returned only for a token that starts [APPLICATION 0], fits in
 * 16 bits, equals the two bytes in front of the message, and the message
 * (at least one byte) ends the token; the framing answer does not depend on
 * whether inner_len is asked for; a decoded NegTokenResp re-encodes
 * (without supportedMech, which only an acceptor sends) to a token that
 * decodes to the same state, responseToken and mechListMIC, with the size
 * dfsc__spnego_resp_size predicts; a NegTokenInit for either mechanism has
 * the predicted size, reads back (by a walk of its own here) with the SPNEGO
 * OID, exactly that mechanism's MechTypeList and the same mechToken, and
 * its hint decodes to one mechanism, the right one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/asn1.h"
#include "auth/spnego.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "dfsc/errors.h"
#include "fuzz_common.h"

/* 1.3.6.1.5.5.2, SPNEGO, and the two Kerberos V5 OIDs spnego.c accepts. */
static const uint8_t spnego_oid[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
static const uint8_t krb5_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
static const uint8_t mskrb5_oid[] = {0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02};
static const uint8_t ntlmssp_oid[] = {0x2b, 0x06, 0x01, 0x04, 0x01,
                                      0x82, 0x37, 0x02, 0x02, 0x0a};

static int oid_is(const uint8_t *p, size_t n, const uint8_t *oid, size_t olen) {
  return p != NULL && n == olen && memcmp(p, oid, olen) == 0;
}

/* The framing check on tok[0..len): its answer and, for a Kerberos token,
 * where it says the TOK_ID and the message are. */
static void check_tok_id(const uint8_t *tok, size_t len) {
  size_t inner = 12345;
  int id = dfsc__spnego_krb5_tok_id(tok, len, &inner);
  int id2 = dfsc__spnego_krb5_tok_id(tok, len, NULL);

  CHECK(id == id2);
  if (id < 0) {
    CHECK(id == DFSC_E_PROTO);
    CHECK(inner == 0);
    return;
  }
  CHECK(id <= 0xffff);
  CHECK(tok[0] == 0x60);
  /* The smallest framing: 60 LL 06 09 <9-byte OID> TT TT <1 byte>. */
  CHECK(len >= 2 + 11 + 3);
  CHECK(inner >= 1 && inner <= len - 2 - 11 - 2);
  CHECK(((int)tok[len - inner - 2] << 8 | tok[len - inner - 1]) == id);
}

/* Encodes a NegTokenInit for mech around tok and reads it back. */
static void check_init(int mech, const uint8_t *tok, size_t toklen) {
  size_t need = dfsc__spnego_init_size_of(mech, toklen), mtlen;
  const uint8_t *mt = dfsc__spnego_mechtypes_of(mech, &mtlen);
  uint8_t *buf = dfsc__malloc(need);
  dfsc_spnego_hint h;
  dfsc_der_tlv t, oid, seq, f;
  dfsc_rd r;
  dfsc_wr w;

  CHECK(buf != NULL);
  dfsc__wr_init(&w, buf, need);
  CHECK(dfsc__spnego_init_encode_of(&w, mech, tok, toklen) == 0);
  CHECK(!w.bad && w.off == need);
  CHECK(dfsc__der_check(buf, need, DFSC_DER_MAX_DEPTH) == 0);

  /* InitialContextToken { SPNEGO OID, [0] NegTokenInit SEQUENCE {
   * [0] mechTypes, [2] OCTET STRING mechToken } } and nothing else. */
  dfsc__rd_init(&r, buf, need);
  CHECK(dfsc__der_expect(&r, DFSC_DER_APPLICATION0, &t) == 0 && dfsc__rd_left(&r) == 0);
  dfsc__rd_init(&r, t.val, t.len);
  CHECK(dfsc__der_expect(&r, DFSC_DER_OID, &oid) == 0);
  CHECK(oid_is(oid.val, oid.len, spnego_oid, sizeof(spnego_oid)));
  CHECK(dfsc__der_expect(&r, DFSC_DER_CTX(0), &t) == 0 && dfsc__rd_left(&r) == 0);
  dfsc__rd_init(&r, t.val, t.len);
  CHECK(dfsc__der_expect(&r, DFSC_DER_SEQUENCE, &seq) == 0 && dfsc__rd_left(&r) == 0);
  dfsc__rd_init(&r, seq.val, seq.len);
  CHECK(dfsc__der_expect(&r, DFSC_DER_CTX(0), &f) == 0);
  CHECK(f.len == mtlen && memcmp(f.val, mt, mtlen) == 0);
  CHECK(dfsc__der_expect(&r, DFSC_DER_CTX(2), &f) == 0 && dfsc__rd_left(&r) == 0);
  dfsc__rd_init(&r, f.val, f.len);
  CHECK(dfsc__der_expect(&r, DFSC_DER_OCTET_STRING, &t) == 0 && dfsc__rd_left(&r) == 0);
  CHECK(t.len == toklen && (toklen == 0 || memcmp(t.val, tok, toklen) == 0));

  /* The mechanism list holds exactly the one mechanism. */
  dfsc__rd_init(&r, mt, mtlen);
  CHECK(dfsc__der_expect(&r, DFSC_DER_SEQUENCE, &seq) == 0 && dfsc__rd_left(&r) == 0);
  dfsc__rd_init(&r, seq.val, seq.len);
  CHECK(dfsc__der_expect(&r, DFSC_DER_OID, &oid) == 0 && dfsc__rd_left(&r) == 0);
  if (mech == DFSC_SPNEGO_MECH_KRB5)
    CHECK(oid_is(oid.val, oid.len, krb5_oid, sizeof(krb5_oid)));
  else
    CHECK(oid_is(oid.val, oid.len, ntlmssp_oid, sizeof(ntlmssp_oid)));

  /* Our own token read as a hint names that mechanism alone. */
  CHECK(dfsc__spnego_hint_decode(buf, need, &h) == 0);
  CHECK(h.has_mechs && h.n_mechs == 1);
  CHECK(h.has_krb5 == (mech == DFSC_SPNEGO_MECH_KRB5));
  CHECK(h.has_ntlmssp == (mech == DFSC_SPNEGO_MECH_NTLMSSP));

  /* One byte short is an error, never a write past the end. */
  dfsc__wr_init(&w, buf, need - 1);
  CHECK(dfsc__spnego_init_encode_of(&w, mech, tok, toklen) == DFSC_E_NOSPACE);
  dfsc__free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dfsc_spnego_hint h;
  dfsc_spnego_resp r, r2;
  const uint8_t *wrap = data;
  size_t wrap_len = size;
  int rc;

  rc = dfsc__spnego_hint_decode(data, size, &h);
  CHECK(rc == 0 || rc == DFSC_E_PROTO);
  if (rc == 0) {
    CHECK(h.n_mechs >= 0);
    if (!h.has_mechs)
      CHECK(h.n_mechs == 0 && !h.has_ntlmssp && !h.has_krb5);
    if (h.has_ntlmssp)
      CHECK(h.n_mechs > 0);
    if (h.has_krb5)
      CHECK(h.n_mechs > 0);
    if (h.has_ntlmssp && h.has_krb5)
      CHECK(h.n_mechs > 1);
  }

  check_tok_id(data, size);

  rc = dfsc__spnego_resp_decode(data, size, &r);
  CHECK(rc == 0 || rc == DFSC_E_PROTO);
  if (rc == 0) {
    CHECK(r.neg_state == DFSC_SPNEGO_NO_STATE ||
          (r.neg_state >= DFSC_SPNEGO_ACCEPT_COMPLETED &&
           r.neg_state <= DFSC_SPNEGO_REQUEST_MIC));
    CHECK(inside(r.mech, r.mech_len, data, size));
    CHECK(inside(r.token, r.token_len, data, size));
    CHECK(inside(r.mic, r.mic_len, data, size));
    CHECK(r.mech_is_ntlmssp ==
          oid_is(r.mech, r.mech_len, ntlmssp_oid, sizeof(ntlmssp_oid)));
    CHECK(r.mech_is_krb5 == (oid_is(r.mech, r.mech_len, krb5_oid, sizeof(krb5_oid)) ||
                             oid_is(r.mech, r.mech_len, mskrb5_oid, sizeof(mskrb5_oid))));
    CHECK(!(r.mech_is_ntlmssp && r.mech_is_krb5));
    if (r.token != NULL) {
      /* The acceptor's AP-REP / KRB-ERROR, as far as dfsc reads it. */
      check_tok_id(r.token, r.token_len);
      wrap = r.token;
      wrap_len = r.token_len;
    }

    {
      int has_tok = r.token != NULL, has_mic = r.mic != NULL;
      size_t need =
          dfsc__spnego_resp_size(r.neg_state, r.token_len, r.mic_len, has_tok, has_mic);
      uint8_t *buf = dfsc__malloc(need ? need : 1);
      dfsc_wr w;

      CHECK(buf != NULL);
      dfsc__wr_init(&w, buf, need);
      rc =
          dfsc__spnego_resp_encode(&w, r.neg_state, r.token, r.token_len, r.mic, r.mic_len);
      CHECK(rc == 0);
      CHECK(!w.bad && w.off == need);
      CHECK(dfsc__spnego_resp_decode(buf, w.off, &r2) == 0);
      CHECK(r2.neg_state == r.neg_state && r2.mech == NULL);
      CHECK(!r2.mech_is_ntlmssp && !r2.mech_is_krb5);
      CHECK((r2.token != NULL) == has_tok && r2.token_len == r.token_len &&
            (r.token_len == 0 || memcmp(r.token, r2.token, r.token_len) == 0));
      CHECK((r2.mic != NULL) == has_mic && r2.mic_len == r.mic_len &&
            (r.mic_len == 0 || memcmp(r.mic, r2.mic, r.mic_len) == 0));
      dfsc__free(buf);
    }
  }

  check_init(DFSC_SPNEGO_MECH_KRB5, wrap, wrap_len);
  check_init(DFSC_SPNEGO_MECH_NTLMSSP, wrap, wrap_len);
  return 0;
}
