/* Unit tests for the DCE/RPC PDUs and the srvsvc NetrShareEnum stub
 * (src/smb2/srvsvc.c): the BIND and REQUEST layouts written out by hand
 * from [C706] 12.6 and [MS-SRVS] 3.1.4.8, answers built here in NDR,
 * truncation at every length, and each refusal the header names (with the
 * field it names).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "dfsc/errors.h"
#include "smb2/srvsvc.h"

#define CAP 8192

/* ---- helpers: NDR written by hand ------------------------------------------ */

static void w_align4(dfsc_wr *w) {
  while (w->off & 3)
    dfsc__wr_u8(w, 0);
}

/* An ASCII string as a conformant varying wchar_t string (with its NUL). */
static void w_wstr(dfsc_wr *w, const char *s) {
  uint32_t n = (uint32_t)strlen(s) + 1, i;
  w_align4(w);
  dfsc__wr_u32(w, n);
  dfsc__wr_u32(w, 0);
  dfsc__wr_u32(w, n);
  for (i = 0; i < n; i++)
    dfsc__wr_u16(w, (uint16_t)(unsigned char)s[i]);
  w_align4(w);
}

struct share {
  const char *name, *remark; /* remark NULL: a NULL pointer */
  uint32_t type;
};

/* A NetrShareEnum answer stub at level 1. */
static size_t build_answer(uint8_t *buf, const struct share *sh, uint32_t n, uint32_t total,
                           uint32_t resume, uint32_t status) {
  dfsc_wr w;
  uint32_t i;
  dfsc__wr_init(&w, buf, CAP);
  dfsc__wr_u32(&w, 1);           /* Level */
  dfsc__wr_u32(&w, 1);           /* discriminant */
  dfsc__wr_u32(&w, 0x00020000u); /* container pointer */
  dfsc__wr_u32(&w, n);           /* EntriesRead */
  dfsc__wr_u32(&w, 0x00020004u); /* Buffer pointer */
  dfsc__wr_u32(&w, n);           /* MaxCount */
  for (i = 0; i < n; i++) {
    dfsc__wr_u32(&w, 0x00020008u + 8 * i);
    dfsc__wr_u32(&w, sh[i].type);
    dfsc__wr_u32(&w, sh[i].remark ? 0x0002000cu + 8 * i : 0);
  }
  for (i = 0; i < n; i++) {
    w_wstr(&w, sh[i].name);
    if (sh[i].remark)
      w_wstr(&w, sh[i].remark);
  }
  dfsc__wr_u32(&w, total);
  dfsc__wr_u32(&w, resume ? 0x00020100u : 0);
  if (resume)
    dfsc__wr_u32(&w, resume);
  dfsc__wr_u32(&w, status);
  assert_false(w.bad);
  return w.off;
}

static int ascii_eq(const uint8_t *u16, size_t n, const char *s) {
  size_t i;
  if (n != 2 * strlen(s))
    return 0;
  for (i = 0; i < n / 2; i++)
    if (u16[2 * i] != (uint8_t)s[i] || u16[2 * i + 1] != 0)
      return 0;
  return 1;
}

/* ---- BIND and REQUEST -------------------------------------------------------- */

static void test_bind_layout(void **state) {
  uint8_t buf[128];
  dfsc_wr w;
  dfsc_rpc_pdu p;
  const char *why = NULL;
  static const uint8_t srvsvc[16] = {0xc8, 0x4f, 0x32, 0x4b, 0x70, 0x16, 0xd3, 0x01,
                                     0x12, 0x78, 0x5a, 0x47, 0xbf, 0x6e, 0xe1, 0x88};
  (void)state;
  dfsc__wr_init(&w, buf, sizeof(buf));
  assert_int_equal(dfsc__rpc_bind_encode(&w, 7), 0);
  assert_int_equal(w.off, 72);
  assert_int_equal(buf[0], 5);
  assert_int_equal(buf[2], DFSC_RPC_BIND);
  assert_int_equal(buf[3], 3);
  assert_int_equal(dfsc__le32(buf + 4), 0x10);
  assert_int_equal(dfsc__le16(buf + 8), 72);
  assert_int_equal(dfsc__le32(buf + 12), 7);
  assert_int_equal(dfsc__le16(buf + 16), DFSC_RPC_MAX_FRAG);
  assert_int_equal(buf[24], 1); /* one context */
  assert_int_equal(buf[30], 1); /* one transfer syntax */
  assert_memory_equal(buf + 32, srvsvc, 16);
  assert_int_equal(dfsc__le16(buf + 48), 3); /* srvsvc 3.0 */
  assert_int_equal(dfsc__le32(buf + 68), 2); /* NDR 2 */
  assert_int_equal(dfsc__rpc_pdu_decode(buf, w.off, &p, &why), 0);
  assert_int_equal(p.frag_len, 72);
  /* Too small a buffer: NOSPACE, never a write past it. */
  dfsc__wr_init(&w, buf, 71);
  assert_int_equal(dfsc__rpc_bind_encode(&w, 7), DFSC_E_NOSPACE);
}

static void test_request_layout(void **state) {
  uint8_t buf[256];
  dfsc_wr w;
  dfsc_rd r;
  size_t stub;
  int i;
  (void)state;
  dfsc__wr_init(&w, buf, sizeof(buf));
  assert_int_equal(dfsc__srvsvc_share_enum_encode(&w, 9, "fs2", 0), 0);
  assert_int_equal(buf[2], DFSC_RPC_REQUEST);
  assert_int_equal(dfsc__le16(buf + 8), w.off);
  stub = w.off - 24;
  assert_int_equal(dfsc__le32(buf + 16), stub); /* alloc_hint */
  assert_int_equal(dfsc__le16(buf + 22), 15);   /* opnum */
  dfsc__rd_init(&r, buf + 24, stub);
  assert_int_not_equal(dfsc__rd_u32(&r), 0); /* ServerName referent */
  assert_int_equal(dfsc__rd_u32(&r), 6);     /* "\\fs2" and NUL */
  assert_int_equal(dfsc__rd_u32(&r), 0);
  assert_int_equal(dfsc__rd_u32(&r), 6);
  for (i = 0; i < 6; i++)
    assert_int_equal(dfsc__rd_u16(&r), (uint16_t) "\\\\fs2"[i]);
  assert_int_equal(r.off % 4, 0);
  assert_int_equal(dfsc__rd_u32(&r), 1); /* Level */
  assert_int_equal(dfsc__rd_u32(&r), 1); /* discriminant */
  assert_int_not_equal(dfsc__rd_u32(&r), 0);
  assert_int_equal(dfsc__rd_u32(&r), 0); /* EntriesRead */
  assert_int_equal(dfsc__rd_u32(&r), 0); /* Buffer NULL */
  assert_int_equal(dfsc__rd_u32(&r), 0xFFFFFFFFu);
  assert_int_not_equal(dfsc__rd_u32(&r), 0);
  assert_int_equal(dfsc__rd_u32(&r), 0); /* resume 0 */
  assert_false(r.bad);
  assert_int_equal(dfsc__rd_left(&r), 0);
  /* Names that cannot go. */
  dfsc__wr_init(&w, buf, sizeof(buf));
  assert_int_equal(dfsc__srvsvc_share_enum_encode(&w, 9, "", 0), -EINVAL);
  assert_int_equal(dfsc__srvsvc_share_enum_encode(&w, 9, "a\\b", 0), -EINVAL);
  assert_int_equal(dfsc__srvsvc_share_enum_encode(&w, 9, "\xff", 0), -EILSEQ);
  dfsc__wr_init(&w, buf, 40);
  assert_int_equal(dfsc__srvsvc_share_enum_encode(&w, 9, "fs2", 0), DFSC_E_NOSPACE);
}

/* ---- BIND_ACK ------------------------------------------------------------------ */

static size_t build_bind_ack(uint8_t *buf, uint8_t ptype, uint16_t result, int ndr) {
  dfsc_wr w;
  static const char sec[] = "\\PIPE\\srvsvc";
  static const uint8_t ndr_uuid[16] = {0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
                                       0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60};
  dfsc__wr_init(&w, buf, CAP);
  dfsc__wr_u8(&w, 5);
  dfsc__wr_u8(&w, 0);
  dfsc__wr_u8(&w, ptype);
  dfsc__wr_u8(&w, 3);
  dfsc__wr_u32(&w, 0x10);
  dfsc__wr_u16(&w, 0);
  dfsc__wr_u16(&w, 0);
  dfsc__wr_u32(&w, 1);
  if (ptype == DFSC_RPC_BIND_NAK) {
    dfsc__wr_u16(&w, 4);
  } else {
    dfsc__wr_u16(&w, 4280);
    dfsc__wr_u16(&w, 4280);
    dfsc__wr_u32(&w, 0x1234);
    dfsc__wr_u16(&w, sizeof(sec));
    dfsc__wr_bytes(&w, sec, sizeof(sec));
    w_align4(&w);
    dfsc__wr_u8(&w, 1);
    dfsc__wr_zero(&w, 3);
    dfsc__wr_u16(&w, result);
    dfsc__wr_u16(&w, result ? 2 : 0);
    dfsc__wr_bytes(&w, ndr_uuid, 16);
    dfsc__wr_u32(&w, ndr ? 2 : 1);
  }
  dfsc__wr_put_u16(&w, 8, (uint16_t)w.off);
  return w.off;
}

static void test_bind_ack(void **state) {
  uint8_t buf[CAP];
  dfsc_rpc_pdu p;
  uint16_t x, r;
  const char *why = NULL;
  size_t n, i;
  (void)state;
  n = build_bind_ack(buf, DFSC_RPC_BIND_ACK, 0, 1);
  assert_int_equal(dfsc__rpc_pdu_decode(buf, n, &p, &why), 0);
  assert_int_equal(dfsc__rpc_bind_ack_decode(&p, &x, &r, &why), 0);
  assert_int_equal(x, 4280);
  /* Every shorter frag_length: the result list is cut, PROTO. */
  for (i = DFSC_RPC_HDR_SIZE; i < n; i++) {
    uint8_t *cut = malloc(i);
    memcpy(cut, buf, i);
    dfsc__wr_put_u16(&(dfsc_wr){cut, i, i, 0}, 8, (uint16_t)i);
    assert_int_equal(dfsc__rpc_pdu_decode(cut, i, &p, &why), 0);
    assert_int_equal(dfsc__rpc_bind_ack_decode(&p, &x, &r, &why), DFSC_E_PROTO);
    free(cut);
  }
  /* A refused context: the reason ([C706] p_provider_reason_t, 2 bytes
   * before the 20-byte transfer syntax) says what the server refused. */
  n = build_bind_ack(buf, DFSC_RPC_BIND_ACK, 2, 1);
  assert_int_equal(dfsc__rpc_pdu_decode(buf, n, &p, &why), 0);
  assert_int_equal(dfsc__rpc_bind_ack_decode(&p, &x, &r, &why), DFSC_E_UNSUPPORTED);
  assert_non_null(strstr(why, "refused NDR 2.0"));
  dfsc__put_le16(buf + n - 22, 1);
  assert_int_equal(dfsc__rpc_bind_ack_decode(&p, &x, &r, &why), DFSC_E_UNSUPPORTED);
  assert_non_null(strstr(why, "refused the srvsvc interface"));
  dfsc__put_le16(buf + n - 22, 0);
  assert_int_equal(dfsc__rpc_bind_ack_decode(&p, &x, &r, &why), DFSC_E_UNSUPPORTED);
  assert_non_null(strstr(why, "did not accept"));
  n = build_bind_ack(buf, DFSC_RPC_BIND_ACK, 0, 0);
  assert_int_equal(dfsc__rpc_pdu_decode(buf, n, &p, &why), 0);
  assert_int_equal(dfsc__rpc_bind_ack_decode(&p, &x, &r, &why), DFSC_E_PROTO);
  assert_non_null(strstr(why, "transfer syntax"));
  n = build_bind_ack(buf, DFSC_RPC_BIND_NAK, 0, 1);
  assert_int_equal(dfsc__rpc_pdu_decode(buf, n, &p, &why), 0);
  assert_int_equal(dfsc__rpc_bind_ack_decode(&p, &x, &r, &why), DFSC_E_UNSUPPORTED);
  assert_non_null(strstr(why, "BIND_NAK"));
}

static void test_pdu_header_refusals(void **state) {
  uint8_t buf[CAP];
  dfsc_rpc_pdu p;
  const char *why = NULL;
  size_t n;
  (void)state;
  n = build_bind_ack(buf, DFSC_RPC_BIND_ACK, 0, 1);
  assert_int_equal(dfsc__rpc_pdu_decode(buf, 15, &p, &why), DFSC_E_PROTO);
  assert_non_null(strstr(why, "16-byte header"));
  buf[0] = 4;
  assert_int_equal(dfsc__rpc_pdu_decode(buf, n, &p, &why), DFSC_E_PROTO);
  assert_non_null(strstr(why, "rpc_vers"));
  buf[0] = 5;
  buf[4] = 0x00; /* big-endian */
  assert_int_equal(dfsc__rpc_pdu_decode(buf, n, &p, &why), DFSC_E_PROTO);
  assert_non_null(strstr(why, "data representation"));
  buf[4] = 0x10;
  assert_int_equal(dfsc__rpc_pdu_decode(buf, n - 1, &p, &why), DFSC_E_PROTO);
  assert_non_null(strstr(why, "frag_length"));
  buf[10] = 8; /* auth_length */
  assert_int_equal(dfsc__rpc_pdu_decode(buf, n, &p, &why), DFSC_E_PROTO);
  assert_non_null(strstr(why, "auth_length"));
}

/* ---- RESPONSE, FAULT and the NetrShareEnum answer ---------------------------- */

static void test_response_and_fault(void **state) {
  uint8_t buf[64] = {5,    0,    DFSC_RPC_RESPONSE,
                     3,    0x10, 0,
                     0,    0,    28,
                     0,    0,    0,
                     1,    0,    0,
                     0,    4,    0,
                     0,    0,    0,
                     0,    0,    0,
                     0xAA, 0xBB, 0xCC,
                     0xDD};
  dfsc_rpc_pdu p;
  const uint8_t *stub;
  size_t n;
  uint32_t fault;
  const char *why = NULL;
  (void)state;
  assert_int_equal(dfsc__rpc_pdu_decode(buf, 28, &p, &why), 0);
  assert_int_equal(dfsc__rpc_response_decode(&p, &stub, &n, &fault, &why), 0);
  assert_int_equal(n, 4);
  assert_int_equal(stub[0], 0xAA);
  buf[2] = DFSC_RPC_FAULT;
  buf[24] = 0x02;
  buf[25] = 0x00;
  buf[26] = 0x01;
  buf[27] = 0x1c; /* nca_s_op_rng_error */
  assert_int_equal(dfsc__rpc_pdu_decode(buf, 28, &p, &why), 0);
  assert_int_equal(dfsc__rpc_response_decode(&p, &stub, &n, &fault, &why), DFSC_E_NTSTATUS);
  assert_int_equal(fault, 0x1c010002u);
  buf[2] = DFSC_RPC_BIND_ACK;
  assert_int_equal(dfsc__rpc_pdu_decode(buf, 28, &p, &why), 0);
  assert_int_equal(dfsc__rpc_response_decode(&p, &stub, &n, &fault, &why), DFSC_E_PROTO);
  buf[2] = DFSC_RPC_RESPONSE;
  buf[8] = 20;
  assert_int_equal(dfsc__rpc_pdu_decode(buf, 28, &p, &why), 0);
  assert_int_equal(dfsc__rpc_response_decode(&p, &stub, &n, &fault, &why), DFSC_E_PROTO);
}

static const struct share SHARES[] = {
    {"data", "the data share", DFSC_STYPE_DISKTREE},
    {"IPC$", "IPC Service (Samba 4.17)", DFSC_STYPE_IPC | DFSC_STYPE_SPECIAL},
    {"scratch", NULL, DFSC_STYPE_DISKTREE},
    {"x", "", DFSC_STYPE_PRINTQ},
};

static void test_share_enum(void **state) {
  uint8_t buf[CAP];
  size_t n = build_answer(buf, SHARES, 4, 4, 0, 0);
  dfsc_srvsvc_enum e;
  dfsc_srvsvc_share s;
  const char *why = NULL;
  uint32_t i;
  (void)state;
  assert_int_equal(dfsc__srvsvc_share_enum_decode(buf, n, &e, &why), 0);
  assert_int_equal(e.count, 4);
  assert_int_equal(e.total, 4);
  assert_int_equal(e.status, 0);
  assert_int_equal(e.has_resume, 0);
  for (i = 0; i < 4; i++) {
    assert_int_equal(dfsc__srvsvc_share_next(&e, &s), 1);
    assert_true(ascii_eq(s.name, s.name_len, SHARES[i].name));
    assert_int_equal(s.type, SHARES[i].type);
    if (SHARES[i].remark == NULL)
      assert_null(s.remark);
    else
      assert_true(ascii_eq(s.remark, s.remark_len, SHARES[i].remark));
  }
  assert_int_equal(dfsc__srvsvc_share_next(&e, &s), 0);
  assert_int_equal(dfsc__srvsvc_share_next(&e, &s), 0);

  /* A partial answer: more data, a resume handle. */
  n = build_answer(buf, SHARES, 2, 4, 77, DFSC_WERR_MORE_DATA);
  assert_int_equal(dfsc__srvsvc_share_enum_decode(buf, n, &e, &why), 0);
  assert_int_equal(e.count, 2);
  assert_int_equal(e.total, 4);
  assert_int_equal(e.has_resume, 1);
  assert_int_equal(e.resume, 77);
  assert_int_equal(e.status, DFSC_WERR_MORE_DATA);

  /* Access denied: no entries, the status told. */
  n = build_answer(buf, SHARES, 0, 0, 0, DFSC_WERR_ACCESS_DENIED);
  assert_int_equal(dfsc__srvsvc_share_enum_decode(buf, n, &e, &why), 0);
  assert_int_equal(e.count, 0);
  assert_int_equal(e.status, DFSC_WERR_ACCESS_DENIED);
  assert_int_equal(dfsc__srvsvc_share_next(&e, &s), 0);
}

static void test_share_enum_truncated(void **state) {
  uint8_t buf[CAP];
  size_t n = build_answer(buf, SHARES, 4, 4, 9, 0), i;
  dfsc_srvsvc_enum e;
  const char *why = NULL;
  (void)state;
  for (i = 0; i < n; i++) {
    uint8_t *cut = malloc(i ? i : 1);
    memcpy(cut, buf, i);
    assert_int_equal(dfsc__srvsvc_share_enum_decode(cut, i, &e, &why), DFSC_E_PROTO);
    assert_non_null(why);
    free(cut);
  }
  /* A byte too many is refused too. */
  buf[n] = 0;
  assert_int_equal(dfsc__srvsvc_share_enum_decode(buf, n + 1, &e, &why), DFSC_E_PROTO);
  assert_non_null(strstr(why, "after the status"));
}

static void set32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static void expect_refusal(uint8_t *buf, size_t n, const char *field) {
  dfsc_srvsvc_enum e;
  const char *why = NULL;
  assert_int_equal(dfsc__srvsvc_share_enum_decode(buf, n, &e, &why), DFSC_E_PROTO);
  assert_non_null(why);
  if (strstr(why, field) == NULL)
    fail_msg("refusal names [%s], expected [%s]", why, field);
}

static void test_share_enum_refusals(void **state) {
  uint8_t buf[CAP];
  size_t n;
  /* Offsets in the answer built from SHARES: Level 0, discriminant 4,
   * container 8, EntriesRead 12, Buffer 16, MaxCount 20, the first entry
   * 24 (name pointer, type, remark pointer), its name string 72. */
  (void)state;
  n = build_answer(buf, SHARES, 4, 4, 0, 0);
  set32(buf, 2);
  expect_refusal(buf, n, "Level");
  n = build_answer(buf, SHARES, 4, 4, 0, 0);
  set32(buf + 20, 5);
  expect_refusal(buf, n, "MaxCount");
  n = build_answer(buf, SHARES, 4, 4, 0, 0);
  set32(buf + 12, 0x7fffffffu);
  set32(buf + 20, 0x7fffffffu);
  expect_refusal(buf, n, "EntriesRead");
  n = build_answer(buf, SHARES, 4, 4, 0, 0);
  set32(buf + 12, 1000);
  set32(buf + 20, 1000);
  expect_refusal(buf, n, "shorter than EntriesRead");
  n = build_answer(buf, SHARES, 4, 4, 0, 0);
  set32(buf + 16, 0);
  expect_refusal(buf, n, "Buffer is NULL");
  n = build_answer(buf, SHARES, 4, 4, 0, 0);
  set32(buf + 72 + 4, 1); /* the name's Offset */
  expect_refusal(buf, n, "shi1_netname");
  n = build_answer(buf, SHARES, 4, 4, 0, 0);
  set32(buf + 72 + 8, 6); /* ActualCount above MaxCount 5 */
  expect_refusal(buf, n, "shi1_netname");
  n = build_answer(buf, SHARES, 4, 4, 0, 0);
  set32(buf + 72, 100000); /* MaxCount and ActualCount past the bound */
  set32(buf + 72 + 8, 100000);
  expect_refusal(buf, n, "shi1_netname");
}

/* ---- captured from Samba ------------------------------------------------------- */

/* `smbclient -L //127.0.0.12` (smbclient and Samba 4.17.12-Debian, the
 * testbed's fs2, SMB 3.1.1 signed), 2026-12-04: the BIND_ACK and the
 * NetrShareEnum RESPONSE as they came out of FSCTL_PIPE_TRANSCEIVE. */
static const uint8_t CAP_BIND_ACK[68] = {
    0x05, 0x00, 0x0c, 0x03, 0x10, 0x00, 0x00, 0x00, 0x44, 0x00, 0x00, 0x00, 0x01, 0x00,
    0x00, 0x00, 0xb8, 0x10, 0xb8, 0x10, 0x44, 0xd3, 0x00, 0x00, 0x0d, 0x00, 0x5c, 0x70,
    0x69, 0x70, 0x65, 0x5c, 0x73, 0x72, 0x76, 0x73, 0x76, 0x63, 0x00, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
    0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x02, 0x00, 0x00, 0x00,
};
static const uint8_t CAP_SHARE_ENUM_RSP[348] = {
    0x05, 0x00, 0x02, 0x03, 0x10, 0x00, 0x00, 0x00, 0x5c, 0x01, 0x00, 0x00, 0x02, 0x00,
    0x00, 0x00, 0x44, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00, 0x00, 0x10, 0x00,
    0x02, 0x00, 0x04, 0x00, 0x00, 0x00, 0x14, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x18, 0x00, 0x02, 0x00, 0x1c, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00,
    0x02, 0x00, 0x24, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00, 0x02, 0x00,
    0x2c, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x80, 0x30, 0x00, 0x02, 0x00, 0x05, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x64, 0x00, 0x61, 0x00,
    0x74, 0x00, 0x61, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x73, 0x00, 0x69, 0x00, 0x67, 0x00,
    0x6e, 0x00, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x73, 0x00, 0x63, 0x00,
    0x72, 0x00, 0x61, 0x00, 0x74, 0x00, 0x63, 0x00, 0x68, 0x00, 0x00, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x49, 0x00,
    0x50, 0x00, 0x43, 0x00, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00, 0x23, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x23, 0x00, 0x00, 0x00, 0x49, 0x00, 0x50, 0x00, 0x43, 0x00,
    0x20, 0x00, 0x53, 0x00, 0x65, 0x00, 0x72, 0x00, 0x76, 0x00, 0x69, 0x00, 0x63, 0x00,
    0x65, 0x00, 0x20, 0x00, 0x28, 0x00, 0x53, 0x00, 0x61, 0x00, 0x6d, 0x00, 0x62, 0x00,
    0x61, 0x00, 0x20, 0x00, 0x34, 0x00, 0x2e, 0x00, 0x31, 0x00, 0x37, 0x00, 0x2e, 0x00,
    0x31, 0x00, 0x32, 0x00, 0x2d, 0x00, 0x44, 0x00, 0x65, 0x00, 0x62, 0x00, 0x69, 0x00,
    0x61, 0x00, 0x6e, 0x00, 0x29, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00,
    0x34, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t CAP_SHARE_ENUM_REQ[96] = {
    0x05, 0x00, 0x00, 0x03, 0x10, 0x00, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00,
    0x00, 0x00, 0x48, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x02, 0x00,
    0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x31, 0x00,
    0x32, 0x00, 0x37, 0x00, 0x2e, 0x00, 0x30, 0x00, 0x2e, 0x00, 0x30, 0x00, 0x2e, 0x00,
    0x31, 0x00, 0x32, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0xff, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* Our request against smbclient's (which names the server without the
 * leading backslashes): the same header fields, and after ServerName the
 * same InfoStruct, PreferedMaximumLength and ResumeHandle, referent ids
 * aside (any non-zero one will do). */
static void test_request_like_smbclient(void **state) {
  uint8_t buf[256];
  dfsc_wr w;
  const uint8_t *mine, *theirs;
  size_t i;
  (void)state;
  dfsc__wr_init(&w, buf, sizeof(buf));
  assert_int_equal(dfsc__srvsvc_share_enum_encode(&w, 2, "127.0.0.12", 0), 0);
  assert_memory_equal(buf, CAP_SHARE_ENUM_REQ, 8); /* version, type, flags, drep */
  assert_memory_equal(buf + 20, CAP_SHARE_ENUM_REQ + 20, 4); /* context id, opnum */
  mine = buf + w.off - 32;
  theirs = CAP_SHARE_ENUM_REQ + sizeof(CAP_SHARE_ENUM_REQ) - 32;
  for (i = 0; i < 32; i += 4)
    if (i != 8 && i != 24) /* the referent ids */
      assert_memory_equal(mine + i, theirs + i, 4);
  assert_int_not_equal(dfsc__le32(mine + 8), 0);
  assert_int_not_equal(dfsc__le32(mine + 24), 0);
  /* Two more UTF-16 units ("\\\\") than smbclient's name, so 4 bytes more. */
  assert_int_equal(w.off, sizeof(CAP_SHARE_ENUM_REQ) + 4);
}

static void test_captured_samba(void **state) {
  dfsc_rpc_pdu p;
  const uint8_t *stub;
  size_t n;
  uint32_t fault;
  uint16_t x, r;
  dfsc_srvsvc_enum e;
  dfsc_srvsvc_share s;
  const char *why = NULL;
  static const struct share want[] = {
      {"data", "", DFSC_STYPE_DISKTREE},
      {"signed", "", DFSC_STYPE_DISKTREE},
      {"scratch", "", DFSC_STYPE_DISKTREE},
      {"IPC$", "IPC Service (Samba 4.17.12-Debian)", DFSC_STYPE_IPC | DFSC_STYPE_SPECIAL},
  };
  uint32_t i;
  (void)state;
  assert_int_equal(dfsc__rpc_pdu_decode(CAP_BIND_ACK, sizeof(CAP_BIND_ACK), &p, &why), 0);
  assert_int_equal(dfsc__rpc_bind_ack_decode(&p, &x, &r, &why), 0);
  assert_int_equal(x, 4280);
  assert_int_equal(r, 4280);
  assert_int_equal(
      dfsc__rpc_pdu_decode(CAP_SHARE_ENUM_RSP, sizeof(CAP_SHARE_ENUM_RSP), &p, &why), 0);
  assert_int_equal(p.flags & 3, 3); /* one fragment */
  assert_int_equal(dfsc__rpc_response_decode(&p, &stub, &n, &fault, &why), 0);
  assert_int_equal(dfsc__srvsvc_share_enum_decode(stub, n, &e, &why), 0);
  assert_int_equal(e.count, 4);
  assert_int_equal(e.total, 4);
  assert_int_equal(e.status, 0);
  for (i = 0; i < 4; i++) {
    assert_int_equal(dfsc__srvsvc_share_next(&e, &s), 1);
    assert_true(ascii_eq(s.name, s.name_len, want[i].name));
    assert_non_null(s.remark);
    assert_true(ascii_eq(s.remark, s.remark_len, want[i].remark));
    assert_int_equal(s.type, want[i].type);
  }
  assert_int_equal(dfsc__srvsvc_share_next(&e, &s), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bind_layout),
      cmocka_unit_test(test_request_layout),
      cmocka_unit_test(test_bind_ack),
      cmocka_unit_test(test_pdu_header_refusals),
      cmocka_unit_test(test_response_and_fault),
      cmocka_unit_test(test_share_enum),
      cmocka_unit_test(test_share_enum_truncated),
      cmocka_unit_test(test_share_enum_refusals),
      cmocka_unit_test(test_captured_samba),
      cmocka_unit_test(test_request_like_smbclient),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
