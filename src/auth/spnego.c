/* SPNEGO NegTokenInit / NegTokenResp codec for NTLMSSP and Kerberos V5
 * ([MS-SPNG] 2.2, RFC 4178 4.2), and the framing of a Kerberos GSS token
 * (RFC 4121 4.1). Does not: allocate, or look inside a Kerberos message
 * (GSSAPI does). */
#include "auth/spnego.h"

#include <errno.h>
#include <string.h>

#include "auth/asn1.h"
#include "dfsc/errors.h"

/* 1.3.6.1.5.5.2, the SPNEGO mechanism OID (RFC 4178 3). */
static const uint8_t spnego_oid[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
/* 1.3.6.1.4.1.311.2.2.10, NTLMSSP ([MS-SPNG] 1.9 / [MS-NLMP] 1.9). */
static const uint8_t ntlmssp_oid[] = {0x2b, 0x06, 0x01, 0x04, 0x01,
                                      0x82, 0x37, 0x02, 0x02, 0x0a};
/* MechTypeList ::= SEQUENCE OF MechType, holding only NTLMSSP. */
static const uint8_t mechtypes_der[] = {0x30, 0x0c, 0x06, 0x0a, 0x2b, 0x06, 0x01,
                                        0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a};

/* 1.2.840.113554.1.2.2, Kerberos V5 (RFC 1964 / RFC 4121), and the OID
 * Windows once used for it by mistake, 1.2.840.48018.1.2.2 ([MS-SPNG]
 * 3.3.5.1 has servers answer with it when a client listed it first). */
static const uint8_t krb5_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
static const uint8_t mskrb5_oid[] = {0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02};
/* MechTypeList holding only Kerberos V5. */
static const uint8_t krb5_mechtypes_der[] = {0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48,
                                             0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};

const uint8_t *dfsc__spnego_mechtypes(size_t *len) {
  *len = sizeof(mechtypes_der);
  return mechtypes_der;
}

const uint8_t *dfsc__spnego_mechtypes_of(int mech, size_t *len) {
  if (mech == DFSC_SPNEGO_MECH_KRB5) {
    *len = sizeof(krb5_mechtypes_der);
    return krb5_mechtypes_der;
  }
  return dfsc__spnego_mechtypes(len);
}

static int is_ntlmssp(const uint8_t *oid, size_t len) {
  return len == sizeof(ntlmssp_oid) && memcmp(oid, ntlmssp_oid, len) == 0;
}

static int is_krb5(const uint8_t *oid, size_t len) {
  return len == sizeof(krb5_oid) &&
         (memcmp(oid, krb5_oid, len) == 0 || memcmp(oid, mskrb5_oid, len) == 0);
}

/* Reads the mechTypes SEQUENCE OF OID. */
static int read_mechtypes(const dfsc_der_tlv *field, dfsc_spnego_hint *h) {
  dfsc_rd r, sr;
  dfsc_der_tlv seq, oid;

  dfsc__rd_init(&r, field->val, field->len);
  if (dfsc__der_expect(&r, DFSC_DER_SEQUENCE, &seq) != 0 || dfsc__rd_left(&r))
    return DFSC_E_PROTO;
  h->has_mechs = 1;
  dfsc__rd_init(&sr, seq.val, seq.len);
  while (dfsc__rd_left(&sr) > 0) {
    if (dfsc__der_expect(&sr, DFSC_DER_OID, &oid) != 0)
      return DFSC_E_PROTO;
    h->n_mechs++;
    if (is_ntlmssp(oid.val, oid.len))
      h->has_ntlmssp = 1;
    if (is_krb5(oid.val, oid.len))
      h->has_krb5 = 1;
  }
  return 0;
}

int dfsc__spnego_hint_decode(const uint8_t *p, size_t len, dfsc_spnego_hint *h) {
  dfsc_rd r;
  dfsc_der_tlv top, t, seq, field;
  int last_tag = -1;

  memset(h, 0, sizeof(*h));
  if (len == 0)
    return 0;
  if (p == NULL || dfsc__der_check(p, len, DFSC_DER_MAX_DEPTH) != 0)
    return DFSC_E_PROTO;

  dfsc__rd_init(&r, p, len);
  if (dfsc__der_next(&r, &top) != 0 || dfsc__rd_left(&r) != 0)
    return DFSC_E_PROTO;
  if (top.tag == DFSC_DER_APPLICATION0) {
    /* InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE {
     *   thisMech MechType, innerContextToken ANY } (RFC 2743 3.1) */
    dfsc__rd_init(&r, top.val, top.len);
    if (dfsc__der_expect(&r, DFSC_DER_OID, &t) != 0 || t.len != sizeof(spnego_oid) ||
        memcmp(t.val, spnego_oid, t.len) != 0)
      return DFSC_E_PROTO;
    if (dfsc__der_expect(&r, DFSC_DER_CTX(0), &top) != 0 || dfsc__rd_left(&r))
      return DFSC_E_PROTO;
  } else if (top.tag != DFSC_DER_CTX(0)) {
    return DFSC_E_PROTO;
  }

  /* top is NegotiationToken's negTokenInit [0]; its content a SEQUENCE. */
  dfsc__rd_init(&r, top.val, top.len);
  if (dfsc__der_expect(&r, DFSC_DER_SEQUENCE, &seq) != 0 || dfsc__rd_left(&r))
    return DFSC_E_PROTO;
  dfsc__rd_init(&r, seq.val, seq.len);
  while (dfsc__rd_left(&r) > 0) {
    if (dfsc__der_next(&r, &field) != 0)
      return DFSC_E_PROTO;
    /* NegTokenInit2 ([MS-SPNG] 2.2.1) fields are [0]..[4], in order. */
    if ((field.tag & 0xE0) != 0xA0 || (field.tag & 0x1F) > 4 ||
        (int)(field.tag & 0x1F) <= last_tag)
      return DFSC_E_PROTO;
    last_tag = field.tag & 0x1F;
    if (last_tag == 0 && read_mechtypes(&field, h) != 0)
      return DFSC_E_PROTO;
  }
  return 0;
}

size_t dfsc__spnego_init_size(size_t toklen) {
  return dfsc__spnego_init_size_of(DFSC_SPNEGO_MECH_NTLMSSP, toklen);
}

int dfsc__spnego_init_encode(dfsc_wr *w, const uint8_t *tok, size_t toklen) {
  return dfsc__spnego_init_encode_of(w, DFSC_SPNEGO_MECH_NTLMSSP, tok, toklen);
}

size_t dfsc__spnego_init_size_of(int mech, size_t toklen) {
  size_t mtlen;
  size_t f0 = (dfsc__spnego_mechtypes_of(mech, &mtlen), dfsc__der_tlv_size(mtlen));
  size_t f2 = dfsc__der_tlv_size(dfsc__der_tlv_size(toklen));
  size_t seq = dfsc__der_tlv_size(f0 + f2);
  size_t ctx0 = dfsc__der_tlv_size(seq);
  size_t app = dfsc__der_tlv_size(sizeof(spnego_oid)) + ctx0;
  return dfsc__der_tlv_size(app);
}

int dfsc__spnego_init_encode_of(dfsc_wr *w, int mech, const uint8_t *tok, size_t toklen) {
  size_t f0_in;
  const uint8_t *mt = dfsc__spnego_mechtypes_of(mech, &f0_in);
  size_t f0 = dfsc__der_tlv_size(f0_in);
  size_t oct = dfsc__der_tlv_size(toklen);
  size_t f2 = dfsc__der_tlv_size(oct);
  size_t seq_in = f0 + f2;
  size_t seq = dfsc__der_tlv_size(seq_in);
  size_t app_in = dfsc__der_tlv_size(sizeof(spnego_oid)) + dfsc__der_tlv_size(seq);

  dfsc__der_put_hdr(w, DFSC_DER_APPLICATION0, app_in);
  dfsc__der_put_hdr(w, DFSC_DER_OID, sizeof(spnego_oid));
  dfsc__wr_bytes(w, spnego_oid, sizeof(spnego_oid));
  dfsc__der_put_hdr(w, DFSC_DER_CTX(0), seq);
  dfsc__der_put_hdr(w, DFSC_DER_SEQUENCE, seq_in);
  dfsc__der_put_hdr(w, DFSC_DER_CTX(0), f0_in);
  dfsc__wr_bytes(w, mt, f0_in);
  dfsc__der_put_hdr(w, DFSC_DER_CTX(2), oct);
  dfsc__der_put_hdr(w, DFSC_DER_OCTET_STRING, toklen);
  dfsc__wr_bytes(w, tok, toklen);
  return w->bad ? DFSC_E_NOSPACE : 0;
}

/* Reads the single element a context-tagged field wraps. */
static int field_inner(const dfsc_der_tlv *field, uint8_t tag, dfsc_der_tlv *in) {
  dfsc_rd r;
  dfsc__rd_init(&r, field->val, field->len);
  if (dfsc__der_expect(&r, tag, in) != 0 || dfsc__rd_left(&r) != 0)
    return DFSC_E_PROTO;
  return 0;
}

int dfsc__spnego_resp_decode(const uint8_t *p, size_t len, dfsc_spnego_resp *out) {
  dfsc_rd r;
  dfsc_der_tlv top, seq, field, in;
  int last_tag = -1, n;

  memset(out, 0, sizeof(*out));
  out->neg_state = DFSC_SPNEGO_NO_STATE;
  if (p == NULL || dfsc__der_check(p, len, DFSC_DER_MAX_DEPTH) != 0)
    return DFSC_E_PROTO;
  dfsc__rd_init(&r, p, len);
  if (dfsc__der_expect(&r, DFSC_DER_CTX(1), &top) != 0 || dfsc__rd_left(&r))
    return DFSC_E_PROTO;
  if (field_inner(&top, DFSC_DER_SEQUENCE, &seq) != 0)
    return DFSC_E_PROTO;

  dfsc__rd_init(&r, seq.val, seq.len);
  while (dfsc__rd_left(&r) > 0) {
    if (dfsc__der_next(&r, &field) != 0)
      return DFSC_E_PROTO;
    if ((field.tag & 0xE0) != 0xA0)
      return DFSC_E_PROTO;
    n = field.tag & 0x1F;
    if (n <= last_tag)
      return DFSC_E_PROTO;
    last_tag = n;
    switch (n) {
    case 0:
      if (field_inner(&field, DFSC_DER_ENUMERATED, &in) != 0 || in.len != 1 ||
          in.val[0] > DFSC_SPNEGO_REQUEST_MIC)
        return DFSC_E_PROTO;
      out->neg_state = in.val[0];
      break;
    case 1:
      if (field_inner(&field, DFSC_DER_OID, &in) != 0 || in.len == 0)
        return DFSC_E_PROTO;
      out->mech = in.val;
      out->mech_len = in.len;
      out->mech_is_ntlmssp = is_ntlmssp(in.val, in.len);
      out->mech_is_krb5 = is_krb5(in.val, in.len);
      break;
    case 2:
      if (field_inner(&field, DFSC_DER_OCTET_STRING, &in) != 0)
        return DFSC_E_PROTO;
      out->token = in.val;
      out->token_len = in.len;
      break;
    case 3:
      if (field_inner(&field, DFSC_DER_OCTET_STRING, &in) != 0)
        return DFSC_E_PROTO;
      out->mic = in.val;
      out->mic_len = in.len;
      break;
    default:
      return DFSC_E_PROTO;
    }
  }
  return 0;
}

static size_t resp_inner_size(int neg_state, size_t toklen, size_t miclen, int has_tok,
                              int has_mic) {
  size_t n = 0;
  if (neg_state != DFSC_SPNEGO_NO_STATE)
    n += dfsc__der_tlv_size(dfsc__der_tlv_size(1));
  if (has_tok)
    n += dfsc__der_tlv_size(dfsc__der_tlv_size(toklen));
  if (has_mic)
    n += dfsc__der_tlv_size(dfsc__der_tlv_size(miclen));
  return n;
}

size_t dfsc__spnego_resp_size(int neg_state, size_t toklen, size_t miclen, int has_tok,
                              int has_mic) {
  size_t in = resp_inner_size(neg_state, toklen, miclen, has_tok, has_mic);
  return dfsc__der_tlv_size(dfsc__der_tlv_size(in));
}

int dfsc__spnego_resp_encode(dfsc_wr *w, int neg_state, const uint8_t *tok, size_t toklen,
                             const uint8_t *mic, size_t miclen) {
  size_t in;

  if (neg_state != DFSC_SPNEGO_NO_STATE &&
      (neg_state < 0 || neg_state > DFSC_SPNEGO_REQUEST_MIC))
    return -EINVAL;
  in = resp_inner_size(neg_state, toklen, miclen, tok != NULL, mic != NULL);
  dfsc__der_put_hdr(w, DFSC_DER_CTX(1), dfsc__der_tlv_size(in));
  dfsc__der_put_hdr(w, DFSC_DER_SEQUENCE, in);
  if (neg_state != DFSC_SPNEGO_NO_STATE) {
    dfsc__der_put_hdr(w, DFSC_DER_CTX(0), 3);
    dfsc__der_put_hdr(w, DFSC_DER_ENUMERATED, 1);
    dfsc__wr_u8(w, (uint8_t)neg_state);
  }
  if (tok != NULL) {
    dfsc__der_put_hdr(w, DFSC_DER_CTX(2), dfsc__der_tlv_size(toklen));
    dfsc__der_put_hdr(w, DFSC_DER_OCTET_STRING, toklen);
    dfsc__wr_bytes(w, tok, toklen);
  }
  if (mic != NULL) {
    dfsc__der_put_hdr(w, DFSC_DER_CTX(3), dfsc__der_tlv_size(miclen));
    dfsc__der_put_hdr(w, DFSC_DER_OCTET_STRING, miclen);
    dfsc__wr_bytes(w, mic, miclen);
  }
  return w->bad ? DFSC_E_NOSPACE : 0;
}

int dfsc__spnego_krb5_tok_id(const uint8_t *p, size_t len, size_t *inner_len) {
  dfsc_rd r;
  dfsc_der_tlv top, oid;
  size_t left;
  const uint8_t *id;
  if (inner_len != NULL)
    *inner_len = 0;
  if (p == NULL || len == 0)
    return DFSC_E_PROTO;
  /* Only the outer header and the OID are DER; the rest is the mechanism's.
   * InitialContextToken ::= [APPLICATION 0] IMPLICIT SEQUENCE { thisMech
   * OID, innerToken } where a Kerberos innerToken is TOK_ID (2 bytes) and
   * the message (RFC 4121 4.1; 1964 1.1). */
  dfsc__rd_init(&r, p, len);
  if (dfsc__der_expect(&r, DFSC_DER_APPLICATION0, &top) != 0 || dfsc__rd_left(&r) != 0)
    return DFSC_E_PROTO;
  dfsc__rd_init(&r, top.val, top.len);
  if (dfsc__der_expect(&r, DFSC_DER_OID, &oid) != 0 || !is_krb5(oid.val, oid.len))
    return DFSC_E_PROTO;
  left = dfsc__rd_left(&r);
  if (left < 3)
    return DFSC_E_PROTO; /* a TOK_ID and at least one byte of message */
  id = top.val + (top.len - left);
  if (inner_len != NULL)
    *inner_len = left - 2;
  return (int)((uint32_t)id[0] << 8 | id[1]);
}
