/* Bounded DER reader/writer used by SPNEGO: tag-length-value framing only.
 * Does not: allocate, decode universal types, or accept indefinite lengths. */
#include "auth/asn1.h"

#include "dfsc/errors.h"

/* Four length bytes already allow 4 GiB; a security buffer is at most 64 KiB
 * on the wire, so anything longer is hostile. */
#define DER_MAX_LEN_BYTES 4

int dfsc__der_next(dfsc_rd *r, dfsc_der_tlv *t) {
  uint8_t tag, first;
  size_t len = 0;
  unsigned i, nbytes;
  const uint8_t *val;

  tag = dfsc__rd_u8(r);
  first = dfsc__rd_u8(r);
  if (r->bad)
    goto bad;
  /* High-number tag form: SPNEGO never uses it. */
  if ((tag & 0x1F) == 0x1F)
    goto bad;
  if (first < 0x80) {
    len = first;
  } else {
    nbytes = first & 0x7F;
    /* 0x80 is the BER indefinite form, 0xFF is reserved. */
    if (nbytes == 0 || nbytes > DER_MAX_LEN_BYTES)
      goto bad;
    for (i = 0; i < nbytes; i++)
      len = (len << 8) | dfsc__rd_u8(r);
    if (r->bad)
      goto bad;
  }
  val = dfsc__rd_ptr(r, len);
  if (val == NULL)
    goto bad;
  t->tag = tag;
  t->val = val;
  t->len = len;
  return 0;
bad:
  r->bad = 1;
  t->tag = 0;
  t->val = NULL;
  t->len = 0;
  return DFSC_E_PROTO;
}

int dfsc__der_expect(dfsc_rd *r, uint8_t tag, dfsc_der_tlv *t) {
  if (dfsc__der_next(r, t) != 0)
    return DFSC_E_PROTO;
  if (t->tag != tag) {
    r->bad = 1;
    return DFSC_E_PROTO;
  }
  return 0;
}

static int check_level(const uint8_t *buf, size_t len, int depth_left) {
  dfsc_rd r;
  dfsc_der_tlv t;

  if (depth_left < 0)
    return DFSC_E_PROTO;
  dfsc__rd_init(&r, buf, len);
  while (dfsc__rd_left(&r) > 0) {
    if (dfsc__der_next(&r, &t) != 0)
      return DFSC_E_PROTO;
    /* Bit 0x20 marks a constructed encoding: its content is more TLVs. */
    if ((t.tag & 0x20) != 0 && check_level(t.val, t.len, depth_left - 1) != 0)
      return DFSC_E_PROTO;
  }
  return r.bad ? DFSC_E_PROTO : 0;
}

int dfsc__der_check(const uint8_t *buf, size_t len, int max_depth) {
  if (buf == NULL || len == 0)
    return DFSC_E_PROTO;
  /* The outermost elements are depth 1; their contents must fit in what is
   * left, so a chain of max_depth constructed elements is the limit. */
  return check_level(buf, len, max_depth - 1);
}

size_t dfsc__der_hdr_size(size_t len) {
  size_t n = 2;
  if (len < 0x80)
    return n;
  while (len > 0) {
    n++;
    len >>= 8;
  }
  return n;
}

void dfsc__der_put_hdr(dfsc_wr *w, uint8_t tag, size_t len) {
  size_t nbytes = dfsc__der_hdr_size(len) - 2;
  size_t i;

  dfsc__wr_u8(w, tag);
  if (nbytes == 0) {
    dfsc__wr_u8(w, (uint8_t)len);
    return;
  }
  if (nbytes > DER_MAX_LEN_BYTES) {
    w->bad = 1;
    return;
  }
  dfsc__wr_u8(w, (uint8_t)(0x80 | nbytes));
  for (i = nbytes; i > 0; i--)
    dfsc__wr_u8(w, (uint8_t)(len >> (8 * (i - 1))));
}
