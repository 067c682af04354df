/* libFuzzer target: the DCE/RPC PDU decoders and the srvsvc NetrShareEnum
 * answer (src/smb2/srvsvc.c).
 *
 * Input: the first byte picks what the rest is: even, one or more RPC PDUs
 * back to back (each decoded as a BIND_ACK and as a RESPONSE or FAULT, and
 * a RESPONSE's stub as a NetrShareEnum answer); odd, a NetrShareEnum stub.
 * Invariants checked (abort on violation): every decoder returns 0 or one
 * of the codes its header names, with a reason for DFSC_E_PROTO; a PDU lies
 * inside the input and is at least its header; every pointer returned lies
 * inside the input; a decoded answer has at most DFSC_SRVSVC_MAX_SHARES
 * entries, the walk yields exactly that many, each name and remark is
 * whole UTF-16 units without a NUL and at most DFSC_SRVSVC_MAX_UNITS long,
 * and the walk then stays at its end.
 */
#include <stdint.h>
#include <string.h>

#include "dfsc/errors.h"
#include "fuzz_common.h"
#include "smb2/srvsvc.h"

static void check_string(const uint8_t *s, size_t n, const uint8_t *base, size_t len) {
  size_t i;
  CHECK(inside(s, n, base, len));
  CHECK(n % 2 == 0 && n / 2 <= DFSC_SRVSVC_MAX_UNITS);
  for (i = 0; i + 1 < n; i += 2)
    CHECK((s[i] | s[i + 1]) != 0);
}

static void answer(const uint8_t *stub, size_t len) {
  dfsc_srvsvc_enum e;
  dfsc_srvsvc_share s;
  const char *why = NULL;
  uint32_t seen = 0;
  int rc = dfsc__srvsvc_share_enum_decode(stub, len, &e, &why);
  if (rc != 0) {
    CHECK(rc == DFSC_E_PROTO && why != NULL);
    return;
  }
  CHECK(e.count <= DFSC_SRVSVC_MAX_SHARES);
  while (dfsc__srvsvc_share_next(&e, &s) == 1) {
    CHECK(seen < e.count);
    check_string(s.name, s.name_len, stub, len);
    if (s.remark != NULL)
      check_string(s.remark, s.remark_len, stub, len);
    seen++;
  }
  CHECK(seen == e.count);
  CHECK(dfsc__srvsvc_share_next(&e, &s) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *p;
  size_t left;
  int n;

  if (size < 1)
    return 0;
  if (data[0] & 1) {
    answer(data + 1, size - 1);
    return 0;
  }
  p = data + 1;
  left = size - 1;
  for (n = 0; n < 16 && left > 0; n++) {
    dfsc_rpc_pdu pdu;
    const char *why = NULL;
    const uint8_t *stub;
    size_t stub_len;
    uint32_t fault;
    uint16_t x, r;
    int rc = dfsc__rpc_pdu_decode(p, left, &pdu, &why);
    if (rc != 0) {
      CHECK(rc == DFSC_E_PROTO && why != NULL);
      break;
    }
    CHECK(pdu.frag_len >= DFSC_RPC_HDR_SIZE && pdu.frag_len <= left);
    CHECK(inside(pdu.body, pdu.body_len, p, pdu.frag_len));
    rc = dfsc__rpc_bind_ack_decode(&pdu, &x, &r, &why);
    CHECK(rc == 0 || rc == DFSC_E_PROTO || rc == DFSC_E_UNSUPPORTED);
    CHECK(rc == 0 || why != NULL);
    rc = dfsc__rpc_response_decode(&pdu, &stub, &stub_len, &fault, &why);
    CHECK(rc == 0 || rc == DFSC_E_PROTO || rc == DFSC_E_NTSTATUS);
    if (rc == 0) {
      CHECK(inside(stub, stub_len, pdu.body, pdu.body_len));
      answer(stub, stub_len);
    }
    p += pdu.frag_len;
    left -= pdu.frag_len;
  }
  return 0;
}
