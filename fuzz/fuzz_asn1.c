/* libFuzzer target: the bounded DER reader of src/auth/asn1.c.
 *
 * Input: the first byte picks a nesting limit (0..DFSC_DER_MAX_DEPTH), the
 * rest is the DER buffer.
 * Invariants checked (abort on violation): dfsc__der_next yields values
 * inside the buffer, always moves forward, and a failing read leaves r.bad
 * set; dfsc__der_check at a limit implies success at every higher limit;
 * when dfsc__der_check accepts the buffer, the top-level walk consumes it
 * exactly, and each element's header re-encoded with dfsc__der_put_hdr
 * (minimal form) reads back to the same tag and length with the size
 * dfsc__der_hdr_size predicts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/asn1.h"
#include "dfsc/errors.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *buf;
  size_t len, prev;
  int depth, d, ok, rc;
  dfsc_rd r;
  dfsc_der_tlv t, t2;

  if (size < 1)
    return 0;
  depth = data[0] % (DFSC_DER_MAX_DEPTH + 1);
  buf = data + 1;
  len = size - 1;

  rc = dfsc__der_check(buf, len, depth);
  CHECK(rc == 0 || rc == DFSC_E_PROTO);
  ok = rc == 0;
  if (ok)
    for (d = depth + 1; d <= DFSC_DER_MAX_DEPTH; d++)
      CHECK(dfsc__der_check(buf, len, d) == 0);

  dfsc__rd_init(&r, buf, len);
  while (dfsc__rd_left(&r) > 0) {
    prev = r.off;
    rc = dfsc__der_next(&r, &t);
    CHECK(rc == 0 || rc == DFSC_E_PROTO);
    if (rc != 0) {
      CHECK(r.bad);
      CHECK(!ok);
      break;
    }
    CHECK(r.off > prev && r.off <= len);
    CHECK(t.val >= buf + prev && t.len <= len && t.val + t.len == buf + r.off);
    CHECK((t.tag & 0x1F) != 0x1F);
    {
      uint8_t hdr[16];
      dfsc_wr w;
      dfsc_rd r2;
      dfsc__wr_init(&w, hdr, sizeof hdr);
      dfsc__der_put_hdr(&w, t.tag, t.len);
      CHECK(!w.bad && w.off == dfsc__der_hdr_size(t.len));
      CHECK(w.off <= (size_t)(t.val - (buf + prev)));
      dfsc__rd_init(&r2, hdr, w.off);
      /* The value is not there, so only the header can be read back: use
       * a reader over header + original value when it fits. */
      if (t.len <= 4096) {
        static uint8_t tmp[16 + 4096];
        memcpy(tmp, hdr, w.off);
        memcpy(tmp + w.off, t.val, t.len);
        dfsc__rd_init(&r2, tmp, w.off + t.len);
        CHECK(dfsc__der_next(&r2, &t2) == 0);
        CHECK(t2.tag == t.tag && t2.len == t.len && r2.off == w.off + t.len);
        CHECK(t.len == 0 || memcmp(t2.val, t.val, t.len) == 0);
        dfsc__rd_init(&r2, tmp, w.off + t.len);
        CHECK(dfsc__der_expect(&r2, t.tag, &t2) == 0);
        dfsc__rd_init(&r2, tmp, w.off + t.len);
        CHECK(dfsc__der_expect(&r2, (uint8_t)(t.tag ^ 1), &t2) == DFSC_E_PROTO);
      }
    }
  }
  if (ok)
    CHECK(!r.bad && r.off == len);
  return 0;
}
