/* A tiny bounded DER reader and writer for the SPNEGO tokens.
 *
 * Reads single-byte tags and definite lengths (short form, or long form of
 * one to four length bytes) only; the indefinite form (0x80), high tag
 * numbers (low five bits 0x1F) and any length running past its enclosing
 * element are errors. dfsc__der_check() walks a whole buffer and bounds the
 * nesting depth, so a decoder that runs it first can then read the fixed
 * SPNEGO structure without further structural surprises.
 *
 * Does not: interpret ASN.1 types beyond tag/length/value, allocate, or
 * accept BER features beyond non-minimal definite lengths.
 */
#ifndef DFSC_AUTH_ASN1_H
#define DFSC_AUTH_ASN1_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Deepest nesting of constructed elements accepted by dfsc__der_check().
 * SPNEGO needs five (application, [n], SEQUENCE, [n], SEQUENCE). */
#define DFSC_DER_MAX_DEPTH 8

/* Universal and SPNEGO-relevant tags. */
#define DFSC_DER_ENUMERATED 0x0A
#define DFSC_DER_OCTET_STRING 0x04
#define DFSC_DER_OID 0x06
#define DFSC_DER_SEQUENCE 0x30
#define DFSC_DER_APPLICATION0 0x60              /* [APPLICATION 0] constructed */
#define DFSC_DER_CTX(n) ((uint8_t)(0xA0 | (n))) /* [n] constructed */

typedef struct dfsc_der_tlv {
  uint8_t tag;
  const uint8_t *val; /* points into the reader's buffer */
  size_t len;
} dfsc_der_tlv;

/* Reads the TLV at r's cursor and moves past it. Returns 0, or DFSC_E_PROTO
 * for a truncated element, an indefinite or oversized length, or a
 * high-number tag (r->bad is then set). */
int dfsc__der_next(dfsc_rd *r, dfsc_der_tlv *t);

/* Reads the next TLV and requires its tag to be `tag`. Returns 0 or
 * DFSC_E_PROTO. */
int dfsc__der_expect(dfsc_rd *r, uint8_t tag, dfsc_der_tlv *t);

/* Checks that buf[0..len) is exactly a sequence of well-formed TLVs, that
 * every constructed element's content is too, recursively, and that no
 * element nests deeper than max_depth. Returns 0 or DFSC_E_PROTO. */
int dfsc__der_check(const uint8_t *buf, size_t len, int max_depth);

/* Number of bytes a tag plus the length field for a value of `len` take. */
size_t dfsc__der_hdr_size(size_t len);

/* Total size of a TLV whose value is `len` bytes. */
static inline size_t dfsc__der_tlv_size(size_t len) {
  return dfsc__der_hdr_size(len) + len;
}

/* Writes tag and minimal definite length (sticky w->bad on overflow). */
void dfsc__der_put_hdr(dfsc_wr *w, uint8_t tag, size_t len);

#endif
