/* libFuzzer target: the SMB2 header decoder and the compound split walk
 * ([MS-SMB2] 2.2.1, 3.2.5.1.x), src/smb2/hdr.c and src/smb2/compound.c.
 *
 * Input: one received SMB2 message (a transport frame's payload).
 * Invariants checked (abort on violation):
 *  - a decoded header re-encodes to the same 64 bytes;
 *  - every PDU the split walk yields lies inside the input, starts where
 *    the previous one ended, is 8-byte aligned and at least 64 bytes, and
 *    its header equals a direct decode of the same bytes;
 *  - the walk ends within len/64 + 1 steps, and a walk that ends cleanly
 *    covers the whole input;
 *  - rebuilding the chain with dfsc__smb2_chain_* from the split PDUs
 *    reproduces the input byte for byte, and dfsc__smb2_chain_pdu_at finds
 *    each PDU where the split found it.
 * Does not: decode bodies (fuzz_smb2_rsp / fuzz_smb2_req do).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "dfsc/errors.h"
#include "fuzz_common.h"
#include "smb2/compound.h"
#include "smb2/smb2.h"

#define NEXT_COMMAND_AT 20

static void check_hdr_roundtrip(const uint8_t *pdu, size_t len) {
  dfsc_smb2_hdr h;
  uint8_t out[SMB2_HDR_SIZE];
  dfsc_wr w;
  int rc = dfsc__smb2_hdr_decode(pdu, len, &h);

  CHECK(rc == 0 || rc == DFSC_E_PROTO);
  if (rc != 0)
    return;
  CHECK(len >= SMB2_HDR_SIZE);
  dfsc__wr_init(&w, out, sizeof out);
  dfsc__smb2_hdr_encode(&w, &h);
  CHECK(!w.bad && w.off == SMB2_HDR_SIZE);
  CHECK(memcmp(out, pdu, SMB2_HDR_SIZE) == 0);
  (void)dfsc__smb2_is_interim(&h);
  CHECK(dfsc__smb2_command_name(h.command) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dfsc_smb2_split s;
  const uint8_t *pdu;
  size_t pdu_len, expect_off = 0, steps = 0, max_steps = size / SMB2_HDR_SIZE + 1;
  size_t offs[64], lens[64];
  unsigned n = 0, i;
  int rc, clean = 0;
  dfsc_smb2_hdr h, h2;

  check_hdr_roundtrip(data, size);

  dfsc__smb2_split_init(&s, data, size);
  for (;;) {
    rc = dfsc__smb2_split_next(&s, &pdu, &pdu_len, &h);
    CHECK(rc == 1 || rc == 0 || rc == DFSC_E_PROTO);
    if (rc == 0) {
      clean = 1;
      break;
    }
    if (rc < 0) {
      /* The error is sticky. */
      CHECK(dfsc__smb2_split_next(&s, &pdu, &pdu_len, &h) == DFSC_E_PROTO);
      break;
    }
    CHECK(++steps <= max_steps);
    CHECK(pdu == data + expect_off);
    CHECK(pdu_len >= SMB2_HDR_SIZE && pdu_len <= size - expect_off);
    CHECK((expect_off & 7) == 0);
    CHECK(dfsc__smb2_hdr_decode(pdu, pdu_len, &h2) == 0);
    CHECK(memcmp(&h, &h2, sizeof h) == 0);
    check_hdr_roundtrip(pdu, pdu_len);
    if (n < 64) {
      offs[n] = expect_off;
      lens[n] = pdu_len;
    }
    n++;
    expect_off += pdu_len;
  }
  if (clean)
    CHECK(expect_off == size && (n > 0) == (size > 0));
  if (!clean || n == 0 || n > 64)
    return 0;

  /* Rebuild the chain from the slices: every PDU but the last is a
   * multiple of 8 long, so no padding is added and NextCommand comes back
   * as it was. */
  {
    uint8_t *buf = dfsc__malloc(size);
    dfsc_wr w, sub;
    dfsc_smb2_chain c;
    size_t at, l;

    CHECK(buf != NULL);
    dfsc__wr_init(&w, buf, size);
    dfsc__smb2_chain_init(&c, &w);
    for (i = 0; i < n; i++) {
      CHECK(dfsc__smb2_chain_next(&c, &sub) == 0);
      dfsc__wr_bytes(&sub, data + offs[i], lens[i]);
      dfsc__put_le32(sub.p + NEXT_COMMAND_AT, 0);
      CHECK(dfsc__smb2_chain_commit(&c, &sub) == 0);
    }
    CHECK(!w.bad && w.off == size);
    CHECK(memcmp(buf, data, size) == 0);
    for (i = 0; i < n; i++) {
      at = dfsc__smb2_chain_pdu_at(&c, i, &l);
      CHECK(at == offs[i] && l == lens[i]);
    }
    CHECK(dfsc__smb2_chain_pdu_at(&c, n, &l) == (size_t)-1);
    dfsc__free(buf);
  }
  return 0;
}
