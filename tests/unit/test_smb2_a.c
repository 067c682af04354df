/* Unit tests for the SMB2 codec, part A: header, NEGOTIATE, SESSION_SETUP,
 * LOGOFF, TREE_CONNECT/DISCONNECT, ECHO, CANCEL, OPLOCK_BREAK, ERROR,
 * compounding and the NTSTATUS table.
 *
 * Round trips for every PDU, byte-exact layout checks against [MS-SMB2],
 * every truncation of every PDU (each decoded from an exact-size heap copy
 * so ASan sees any over-read), and hostile offsets/lengths/counts.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dfsc/errors.h"
#include "smb2/cancel.h"
#include "smb2/compound.h"
#include "smb2/echo.h"
#include "smb2/error.h"
#include "smb2/logoff.h"
#include "smb2/negotiate.h"
#include "smb2/oplock.h"
#include "smb2/session_setup.h"
#include "smb2/smb2.h"
#include "smb2/status.h"
#include "smb2/tree.h"

#define BUF 2048

/* ---- helpers ---------------------------------------------------------- */

static void hdr_for(dfsc_smb2_hdr *h, uint16_t cmd, int response) {
  memset(h, 0, sizeof *h);
  h->command = cmd;
  h->credits = 1;
  h->message_id = 7;
  h->session_id = 0x1122334455667788ull;
  h->tree_id = 5;
  if (response)
    h->flags = SMB2_FLAGS_SERVER_TO_REDIR;
}

static void start(dfsc_wr *w, uint8_t *buf, size_t cap, uint16_t cmd, int response) {
  dfsc_smb2_hdr h;
  memset(buf, 0xEE, cap); /* so stray unwritten bytes show up */
  dfsc__wr_init(w, buf, cap);
  hdr_for(&h, cmd, response);
  dfsc__smb2_hdr_encode(w, &h);
  assert_int_equal(w->off, SMB2_HDR_SIZE);
}

/* A decoder under test, wrapped to a common shape. */
typedef int (*dec_fn)(const uint8_t *pdu, size_t len, void *out);

/* Decodes every strict prefix of pdu from an exact-size heap copy and
 * expects DFSC_E_PROTO each time; then the full length must decode. */
static void all_truncations_fail(const uint8_t *pdu, size_t len, dec_fn fn, void *out) {
  size_t n;
  for (n = 0; n < len; n++) {
    uint8_t *copy = malloc(n ? n : 1);
    int rc;
    assert_non_null(copy);
    memcpy(copy, pdu, n);
    rc = fn(n ? copy : NULL, n, out);
    if (rc != DFSC_E_PROTO)
      fail_msg("truncated at %zu of %zu: rc %d", n, len, rc);
    free(copy);
  }
  {
    uint8_t *copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, pdu, len);
    assert_int_equal(fn(copy, len, out), 0);
    free(copy);
  }
  /* Leave out's pointers in the caller's buffer, not in freed memory. */
  assert_int_equal(fn(pdu, len, out), 0);
}

static int dec_neg_req(const uint8_t *p, size_t n, void *o) {
  return dfsc__smb2_negotiate_req_decode(p, n, o);
}
static int dec_neg_rsp(const uint8_t *p, size_t n, void *o) {
  return dfsc__smb2_negotiate_rsp_decode(p, n, o);
}
static int dec_ss_req(const uint8_t *p, size_t n, void *o) {
  return dfsc__smb2_session_setup_req_decode(p, n, o);
}
static int dec_ss_rsp(const uint8_t *p, size_t n, void *o) {
  return dfsc__smb2_session_setup_rsp_decode(p, n, o);
}
static int dec_tc_req(const uint8_t *p, size_t n, void *o) {
  return dfsc__smb2_tree_connect_req_decode(p, n, o);
}
static int dec_tc_rsp(const uint8_t *p, size_t n, void *o) {
  return dfsc__smb2_tree_connect_rsp_decode(p, n, o);
}
static int dec_hdr(const uint8_t *p, size_t n, void *o) {
  return dfsc__smb2_hdr_decode(p, n, o);
}
static int dec_oplock(const uint8_t *p, size_t n, void *o) {
  return dfsc__smb2_oplock_break_decode(p, n, o);
}
static int dec_lease_break(const uint8_t *p, size_t n, void *o) {
  return dfsc__smb2_lease_break_decode(p, n, o);
}
static int dec_lease_ack(const uint8_t *p, size_t n, void *o) {
  return dfsc__smb2_lease_ack_decode(p, n, o);
}
static int dec_err(const uint8_t *p, size_t n, void *o) {
  return dfsc__smb2_error_rsp_decode(p, n, o);
}
static int dec_symlink_pdu(const uint8_t *p, size_t n, void *o) {
  return dfsc__smb2_stopped_on_symlink_decode(p, n, o);
}
static int dec_symlink(const uint8_t *p, size_t n, void *o) {
  return dfsc__smb2_symlink_error_decode(p, n, o);
}
static int dec_redirect(const uint8_t *p, size_t n, void *o) {
  return dfsc__smb2_share_redirect_decode(p, n, o);
}
static int dec_logoff_req(const uint8_t *p, size_t n, void *o) {
  (void)o;
  return dfsc__smb2_logoff_req_decode(p, n);
}
static int dec_logoff_rsp(const uint8_t *p, size_t n, void *o) {
  (void)o;
  return dfsc__smb2_logoff_rsp_decode(p, n);
}
static int dec_td_req(const uint8_t *p, size_t n, void *o) {
  (void)o;
  return dfsc__smb2_tree_disconnect_req_decode(p, n);
}
static int dec_td_rsp(const uint8_t *p, size_t n, void *o) {
  (void)o;
  return dfsc__smb2_tree_disconnect_rsp_decode(p, n);
}
static int dec_echo_req(const uint8_t *p, size_t n, void *o) {
  (void)o;
  return dfsc__smb2_echo_req_decode(p, n);
}
static int dec_echo_rsp(const uint8_t *p, size_t n, void *o) {
  (void)o;
  return dfsc__smb2_echo_rsp_decode(p, n);
}
static int dec_cancel(const uint8_t *p, size_t n, void *o) {
  (void)o;
  return dfsc__smb2_cancel_req_decode(p, n);
}

static const uint8_t salt32[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                   12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                   23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

/* ---- header ----------------------------------------------------------- */

static void test_hdr_roundtrip(void **state) {
  uint8_t buf[128];
  dfsc_wr w;
  dfsc_smb2_hdr h, d;
  (void)state;

  memset(&h, 0, sizeof h);
  h.credit_charge = 3;
  h.status = STATUS_ACCESS_DENIED;
  h.command = SMB2_CREATE;
  h.credits = 31;
  h.flags = SMB2_FLAGS_SERVER_TO_REDIR | SMB2_FLAGS_SIGNED;
  h.next_command = 0x68;
  h.message_id = 0x0102030405060708ull;
  h.process_id = 0xFEFF;
  h.tree_id = 0xAABBCCDD;
  h.session_id = 0x1122334455667788ull;
  memset(h.signature, 0x5A, 16);
  dfsc__wr_init(&w, buf, sizeof buf);
  dfsc__smb2_hdr_encode(&w, &h);
  assert_int_equal(w.off, 64);
  assert_int_equal(w.bad, 0);
  /* [MS-SMB2] 2.2.1.2 byte positions. */
  assert_memory_equal(buf, "\xFESMB", 4);
  assert_int_equal(dfsc__le16(buf + 4), 64);
  assert_int_equal(dfsc__le16(buf + 6), 3);
  assert_int_equal(dfsc__le32(buf + 8), STATUS_ACCESS_DENIED);
  assert_int_equal(dfsc__le16(buf + 12), SMB2_CREATE);
  assert_int_equal(dfsc__le16(buf + 14), 31);
  assert_int_equal(dfsc__le32(buf + 16), h.flags);
  assert_int_equal(dfsc__le32(buf + 20), 0x68);
  assert_int_equal(dfsc__le64(buf + 24), h.message_id);
  assert_int_equal(dfsc__le32(buf + 32), 0xFEFF);
  assert_int_equal(dfsc__le32(buf + 36), 0xAABBCCDD);
  assert_int_equal(dfsc__le64(buf + 40), h.session_id);
  assert_int_equal(buf[48], 0x5A);
  assert_int_equal(buf[63], 0x5A);

  all_truncations_fail(buf, 64, dec_hdr, &d);
  assert_int_equal(dfsc__smb2_hdr_decode(buf, 64, &d), 0);
  assert_memory_equal(&d, &h, sizeof h);

  /* Async form: AsyncId replaces Reserved + TreeId (2.2.1.1). */
  h.flags |= SMB2_FLAGS_ASYNC_COMMAND;
  h.async_id = 0xDEADBEEFCAFEF00Dull;
  h.process_id = 0;
  h.tree_id = 0;
  dfsc__wr_init(&w, buf, sizeof buf);
  dfsc__smb2_hdr_encode(&w, &h);
  assert_int_equal(dfsc__le64(buf + 32), h.async_id);
  assert_int_equal(dfsc__smb2_hdr_decode(buf, 64, &d), 0);
  assert_memory_equal(&d, &h, sizeof h);

  /* Bad ProtocolId and StructureSize. */
  buf[0] = 0xFD;
  assert_int_equal(dfsc__smb2_hdr_decode(buf, 64, &d), DFSC_E_PROTO);
  buf[0] = 0xFE;
  buf[4] = 65;
  assert_int_equal(dfsc__smb2_hdr_decode(buf, 64, &d), DFSC_E_PROTO);

  /* Writer overflow is sticky. */
  dfsc__wr_init(&w, buf, 63);
  dfsc__smb2_hdr_encode(&w, &h);
  assert_int_equal(w.bad, 1);
}

static void test_command_names(void **state) {
  (void)state;
  assert_string_equal(dfsc__smb2_command_name(SMB2_NEGOTIATE), "NEGOTIATE");
  assert_string_equal(dfsc__smb2_command_name(SMB2_READ), "READ");
  assert_string_equal(dfsc__smb2_command_name(SMB2_OPLOCK_BREAK), "OPLOCK_BREAK");
  assert_string_equal(dfsc__smb2_command_name(SMB2_COMMAND_MAX), "UNKNOWN");
  assert_string_equal(dfsc__smb2_command_name(0xFFFF), "UNKNOWN");
  for (uint16_t c = 0; c < SMB2_COMMAND_MAX; c++)
    assert_string_not_equal(dfsc__smb2_command_name(c), "UNKNOWN");
}

/* ---- negotiate -------------------------------------------------------- */

static void neg_req_full(dfsc_smb2_negotiate_req *r) {
  static const uint16_t d[] = {0x0202, 0x0210, 0x0300, 0x0302, 0x0311};
  memset(r, 0, sizeof *r);
  r->security_mode = SMB2_NEGOTIATE_SIGNING_ENABLED;
  r->capabilities = SMB2_GLOBAL_CAP_DFS | SMB2_GLOBAL_CAP_LEASING |
                    SMB2_GLOBAL_CAP_LARGE_MTU | SMB2_GLOBAL_CAP_ENCRYPTION;
  for (int i = 0; i < 16; i++)
    r->client_guid[i] = (uint8_t)(0xA0 + i);
  r->dialect_count = 5;
  memcpy(r->dialects, d, sizeof d);
  r->hash_alg_count = 1;
  r->hash_algs[0] = SMB2_PREAUTH_HASH_SHA512;
  r->salt = salt32;
  r->salt_len = 32;
  r->cipher_count = 2;
  r->ciphers[0] = SMB2_ENCRYPTION_AES128_GCM;
  r->ciphers[1] = SMB2_ENCRYPTION_AES128_CCM;
  r->signing_alg_count = 2;
  r->signing_algs[0] = SMB2_SIGNING_AES_CMAC;
  r->signing_algs[1] = SMB2_SIGNING_HMAC_SHA256;
  r->netname = "srv";
}

/* The expected bytes, laid out by hand from [MS-SMB2] 2.2.3 / 2.2.3.1. */
static size_t neg_req_expected(uint8_t *e) {
  size_t o = 64;
  memset(e, 0, 256);
#define P16(v) (dfsc__put_le16(e + o, (uint16_t)(v)), o += 2)
#define P32(v) (dfsc__put_le32(e + o, (uint32_t)(v)), o += 4)
  P16(36);                     /* 64 StructureSize */
  P16(5);                      /* 66 DialectCount */
  P16(1);                      /* 68 SecurityMode */
  P16(0);                      /* 70 Reserved */
  P32(0x47);                   /* 72 Capabilities */
  for (int i = 0; i < 16; i++) /* 76 ClientGuid */
    e[o++] = (uint8_t)(0xA0 + i);
  P32(112);    /* 92 NegotiateContextOffset */
  P16(4);      /* 96 NegotiateContextCount */
  P16(0);      /* 98 Reserved2 */
  P16(0x0202); /* 100 Dialects */
  P16(0x0210);
  P16(0x0300);
  P16(0x0302);
  P16(0x0311); /* ends at 110 */
  o = 112;     /* padding to 8 */
  P16(1);      /* 112 PREAUTH_INTEGRITY ContextType */
  P16(38);     /* DataLength: 2 + 2 + 2 + 32 */
  P32(0);
  P16(1);  /* 120 HashAlgorithmCount */
  P16(32); /* SaltLength */
  P16(1);  /* SHA-512 */
  memcpy(e + o, salt32, 32);
  o += 32; /* 158 */
  o = 160;
  P16(2); /* 160 ENCRYPTION */
  P16(6);
  P32(0);
  P16(2); /* 168 CipherCount */
  P16(2); /* AES-128-GCM */
  P16(1); /* AES-128-CCM; ends 174 */
  o = 176;
  P16(8); /* 176 SIGNING */
  P16(6);
  P32(0);
  P16(2); /* 184 SigningAlgorithmCount */
  P16(1); /* AES-CMAC */
  P16(0); /* HMAC-SHA256; ends 190 */
  o = 192;
  P16(5); /* 192 NETNAME */
  P16(6);
  P32(0);
  P16('s'); /* 200 NetName, UTF-16LE, no terminator */
  P16('r');
  P16('v');
#undef P16
#undef P32
  return o; /* 206 */
}

static void test_negotiate_req_bytes(void **state) {
  uint8_t buf[BUF], exp[256];
  dfsc_wr w;
  dfsc_smb2_negotiate_req r;
  size_t n;
  (void)state;

  neg_req_full(&r);
  start(&w, buf, sizeof buf, SMB2_NEGOTIATE, 0);
  assert_int_equal(dfsc__smb2_negotiate_req_encode(&w, &r), 0);
  n = neg_req_expected(exp);
  assert_int_equal(n, 206);
  assert_int_equal(w.off, n);
  /* Field by field first, so a failure names the field. */
  assert_int_equal(dfsc__le32(buf + 92), 112);
  assert_int_equal(dfsc__le32(buf + 92) % 8, 0);
  assert_int_equal(dfsc__le16(buf + 96), 4);
  assert_int_equal(dfsc__le16(buf + 112), SMB2_PREAUTH_INTEGRITY_CAPABILITIES);
  assert_int_equal(dfsc__le16(buf + 114), 38);
  assert_int_equal(dfsc__le16(buf + 160), SMB2_ENCRYPTION_CAPABILITIES);
  assert_int_equal(dfsc__le16(buf + 176), SMB2_SIGNING_CAPABILITIES);
  assert_int_equal(dfsc__le16(buf + 192), SMB2_NETNAME_NEGOTIATE_CONTEXT_ID);
  assert_int_equal(dfsc__le16(buf + 194), 6);
  /* Padding bytes are zero, not left over. */
  for (size_t i = 110; i < 112; i++)
    assert_int_equal(buf[i], 0);
  for (size_t i = 158; i < 160; i++)
    assert_int_equal(buf[i], 0);
  assert_memory_equal(buf + 64, exp + 64, n - 64);
}

static void test_negotiate_req_roundtrip(void **state) {
  uint8_t buf[BUF];
  dfsc_wr w;
  dfsc_smb2_negotiate_req r, d;
  (void)state;

  neg_req_full(&r);
  start(&w, buf, sizeof buf, SMB2_NEGOTIATE, 0);
  assert_int_equal(dfsc__smb2_negotiate_req_encode(&w, &r), 0);
  all_truncations_fail(buf, w.off, dec_neg_req, &d);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(buf, w.off, &d), 0);
  assert_int_equal(d.security_mode, r.security_mode);
  assert_int_equal(d.capabilities, r.capabilities);
  assert_memory_equal(d.client_guid, r.client_guid, 16);
  assert_int_equal(d.dialect_count, 5);
  assert_memory_equal(d.dialects, r.dialects, 10);
  assert_int_equal(d.context_count, 4);
  assert_int_equal(d.hash_alg_count, 1);
  assert_int_equal(d.hash_algs[0], SMB2_PREAUTH_HASH_SHA512);
  assert_int_equal(d.salt_len, 32);
  assert_ptr_equal(d.salt, buf + 126);
  assert_memory_equal(d.salt, salt32, 32);
  assert_int_equal(d.cipher_count, 2);
  assert_int_equal(d.ciphers[0], SMB2_ENCRYPTION_AES128_GCM);
  assert_int_equal(d.ciphers[1], SMB2_ENCRYPTION_AES128_CCM);
  assert_int_equal(d.signing_alg_count, 2);
  assert_int_equal(d.signing_algs[0], SMB2_SIGNING_AES_CMAC);
  assert_int_equal(d.netname_u16_len, 6);
  assert_memory_equal(d.netname_u16, "s\0r\0v\0", 6);

  /* Without 3.1.1: no contexts, the 8 bytes are a zero ClientStartTime. */
  r.dialect_count = 2;
  r.netname = NULL;
  start(&w, buf, sizeof buf, SMB2_NEGOTIATE, 0);
  assert_int_equal(dfsc__smb2_negotiate_req_encode(&w, &r), 0);
  assert_int_equal(w.off, 64 + 36 + 4);
  assert_int_equal(dfsc__le64(buf + 92), 0);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(buf, w.off, &d), 0);
  assert_int_equal(d.dialect_count, 2);
  assert_int_equal(d.context_count, 0);
  assert_int_equal(d.cipher_count, 0);

  /* Default preauth algorithm, no optional contexts. */
  neg_req_full(&r);
  r.hash_alg_count = 0;
  r.cipher_count = 0;
  r.signing_alg_count = 0;
  r.netname = NULL;
  start(&w, buf, sizeof buf, SMB2_NEGOTIATE, 0);
  assert_int_equal(dfsc__smb2_negotiate_req_encode(&w, &r), 0);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(buf, w.off, &d), 0);
  assert_int_equal(d.context_count, 1);
  assert_int_equal(d.hash_algs[0], SMB2_PREAUTH_HASH_SHA512);
  /* Last context ends the PDU: no trailing padding. */
  assert_int_equal(w.off, 112 + 8 + 38);

  /* Encoder input checks and overflow. */
  neg_req_full(&r);
  r.dialect_count = 0;
  start(&w, buf, sizeof buf, SMB2_NEGOTIATE, 0);
  assert_int_equal(dfsc__smb2_negotiate_req_encode(&w, &r), -EINVAL);
  neg_req_full(&r);
  r.netname = "\xff";
  start(&w, buf, sizeof buf, SMB2_NEGOTIATE, 0);
  assert_int_equal(dfsc__smb2_negotiate_req_encode(&w, &r), -EINVAL);
  neg_req_full(&r);
  for (size_t cap = 64; cap < 206; cap++) {
    start(&w, buf, cap, SMB2_NEGOTIATE, 0);
    assert_int_equal(dfsc__smb2_negotiate_req_encode(&w, &r), DFSC_E_NOSPACE);
  }
}

static void test_negotiate_req_hostile(void **state) {
  uint8_t buf[BUF], copy[BUF];
  dfsc_wr w;
  dfsc_smb2_negotiate_req r, d;
  size_t n;
  (void)state;

  neg_req_full(&r);
  start(&w, buf, sizeof buf, SMB2_NEGOTIATE, 0);
  assert_int_equal(dfsc__smb2_negotiate_req_encode(&w, &r), 0);
  n = w.off;

  /* DialectCount beyond the PDU / beyond our array / zero. */
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 66, 0xFFFF);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(copy, n, &d), DFSC_E_PROTO);
  dfsc__put_le16(copy + 66, 0);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(copy, n, &d), DFSC_E_PROTO);
  /* Context offset inside the dialect list, misaligned, beyond the end. */
  memcpy(copy, buf, n);
  dfsc__put_le32(copy + 92, 104);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(copy, n, &d), DFSC_E_PROTO);
  dfsc__put_le32(copy + 92, 113);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(copy, n, &d), DFSC_E_PROTO);
  dfsc__put_le32(copy + 92, 0xFFFFFFF8u);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(copy, n, &d), DFSC_E_PROTO);
  /* Huge context count runs out of bytes. */
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 96, 0xFFFF);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(copy, n, &d), DFSC_E_PROTO);
  /* DataLength beyond the end. */
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 194, 7);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(copy, n, &d), DFSC_E_PROTO);
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 114, 0xFFFF);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(copy, n, &d), DFSC_E_PROTO);
  /* SaltLength beyond its context. */
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 122, 33);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(copy, n, &d), DFSC_E_PROTO);
  /* HashAlgorithmCount zero or beyond the context. */
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 120, 0);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(copy, n, &d), DFSC_E_PROTO);
  dfsc__put_le16(copy + 120, 200);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(copy, n, &d), DFSC_E_PROTO);
  /* CipherCount beyond its context. */
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 168, 3);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(copy, n, &d), DFSC_E_PROTO);
  /* Unknown context type is skipped; but a 3.1.1 request needs PREAUTH. */
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 160, 0x7777);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(copy, n, &d), 0);
  assert_int_equal(d.cipher_count, 0);
  dfsc__put_le16(copy + 112, 0x7777);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(copy, n, &d), DFSC_E_PROTO);
  /* Duplicate PREAUTH: the 6-byte cipher context rewritten as a valid
   * PREAUTH (1 algorithm, no salt). */
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 160, SMB2_PREAUTH_INTEGRITY_CAPABILITIES);
  dfsc__put_le16(copy + 168, 1);
  dfsc__put_le16(copy + 170, 0);
  dfsc__put_le16(copy + 172, SMB2_PREAUTH_HASH_SHA512);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(copy, n, &d), DFSC_E_PROTO);
  /* The same bytes as the only context after the first are fine when the
   * first is something else. */
  dfsc__put_le16(copy + 112, 0x7777);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(copy, n, &d), 0);
  assert_int_equal(d.salt_len, 0);
  assert_null(d.salt);
  /* Wrong StructureSize. */
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 64, 37);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(copy, n, &d), DFSC_E_PROTO);
  /* A dialect list running over the contexts. */
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 66, 8);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(copy, n, &d), DFSC_E_PROTO);

  /* A well-formed context at a misaligned offset (shifted by 4) is
   * rejected: contexts are 8-byte aligned (2.2.3.1). */
  neg_req_full(&r);
  r.cipher_count = 0;
  r.signing_alg_count = 0;
  r.netname = NULL;
  start(&w, buf, sizeof buf, SMB2_NEGOTIATE, 0);
  assert_int_equal(dfsc__smb2_negotiate_req_encode(&w, &r), 0);
  n = w.off;
  memcpy(copy, buf, 112);
  memset(copy + 112, 0, 4);
  memcpy(copy + 116, buf + 112, n - 112);
  dfsc__put_le32(copy + 92, 116);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(copy, n + 4, &d), DFSC_E_PROTO);
  dfsc__put_le32(copy + 92, 112);
  memcpy(copy + 112, buf + 112, n - 112);
  assert_int_equal(dfsc__smb2_negotiate_req_decode(copy, n, &d), 0);
}

static void neg_rsp_full(dfsc_smb2_negotiate_rsp *r) {
  static const uint8_t blob[] = {0x60, 0x28, 0x06, 0x06, 0x2b, 0x06,
                                 0x01, 0x05, 0x05, 0x02, 0xa0};
  memset(r, 0, sizeof *r);
  r->security_mode = SMB2_NEGOTIATE_SIGNING_ENABLED | SMB2_NEGOTIATE_SIGNING_REQUIRED;
  r->dialect = SMB2_DIALECT_311;
  for (int i = 0; i < 16; i++)
    r->server_guid[i] = (uint8_t)i;
  r->capabilities = SMB2_GLOBAL_CAP_DFS | SMB2_GLOBAL_CAP_LARGE_MTU;
  r->max_transact_size = 8388608;
  r->max_read_size = 8388608;
  r->max_write_size = 1048576;
  r->system_time = 0x01DA000000000000ull;
  r->server_start_time = 0;
  r->security_buffer = blob;
  r->security_buffer_len = sizeof blob;
  r->has_preauth = 1;
  r->preauth_hash_alg = SMB2_PREAUTH_HASH_SHA512;
  r->preauth_salt = salt32;
  r->preauth_salt_len = 32;
  r->has_cipher = 1;
  r->cipher = SMB2_ENCRYPTION_AES128_GCM;
  r->has_signing = 1;
  r->signing_alg = SMB2_SIGNING_AES_CMAC;
}

static void test_negotiate_rsp_roundtrip(void **state) {
  uint8_t buf[BUF];
  dfsc_wr w;
  dfsc_smb2_negotiate_rsp r, d;
  uint32_t ctx_off;
  (void)state;

  neg_rsp_full(&r);
  start(&w, buf, sizeof buf, SMB2_NEGOTIATE, 1);
  assert_int_equal(dfsc__smb2_negotiate_rsp_encode(&w, &r), 0);
  /* 2.2.4 layout: SecurityBufferOffset at 120, NegotiateContextOffset at
   * 124, Buffer from 128, contexts 8-aligned after it. */
  assert_int_equal(dfsc__le16(buf + 64), 65);
  assert_int_equal(dfsc__le16(buf + 68), 0x0311);
  assert_int_equal(dfsc__le16(buf + 70), 3);
  assert_int_equal(dfsc__le16(buf + 120), 128);
  assert_int_equal(dfsc__le16(buf + 122), 11);
  ctx_off = dfsc__le32(buf + 124);
  assert_int_equal(ctx_off, 144);
  assert_int_equal(dfsc__le16(buf + 144), SMB2_PREAUTH_INTEGRITY_CAPABILITIES);

  all_truncations_fail(buf, w.off, dec_neg_rsp, &d);
  assert_int_equal(dfsc__smb2_negotiate_rsp_decode(buf, w.off, &d), 0);
  assert_int_equal(d.security_mode, r.security_mode);
  assert_int_equal(d.dialect, 0x0311);
  assert_memory_equal(d.server_guid, r.server_guid, 16);
  assert_int_equal(d.capabilities, r.capabilities);
  assert_int_equal(d.max_transact_size, r.max_transact_size);
  assert_int_equal(d.max_read_size, r.max_read_size);
  assert_int_equal(d.max_write_size, r.max_write_size);
  assert_int_equal(d.system_time, r.system_time);
  assert_int_equal(d.security_buffer_len, 11);
  assert_ptr_equal(d.security_buffer, buf + 128);
  assert_memory_equal(d.security_buffer, r.security_buffer, 11);
  assert_int_equal(d.context_count, 3);
  assert_int_equal(d.has_preauth, 1);
  assert_int_equal(d.preauth_hash_alg, SMB2_PREAUTH_HASH_SHA512);
  assert_int_equal(d.preauth_salt_len, 32);
  assert_memory_equal(d.preauth_salt, salt32, 32);
  assert_int_equal(d.has_cipher, 1);
  assert_int_equal(d.cipher, SMB2_ENCRYPTION_AES128_GCM);
  assert_int_equal(d.has_signing, 1);
  assert_int_equal(d.signing_alg, SMB2_SIGNING_AES_CMAC);

  /* SMB 2.1: no contexts; NegotiateContextCount/Offset are reserved. */
  r.dialect = SMB2_DIALECT_210;
  start(&w, buf, sizeof buf, SMB2_NEGOTIATE, 1);
  assert_int_equal(dfsc__smb2_negotiate_rsp_encode(&w, &r), 0);
  assert_int_equal(w.off, 128 + 11);
  assert_int_equal(dfsc__smb2_negotiate_rsp_decode(buf, w.off, &d), 0);
  assert_int_equal(d.dialect, SMB2_DIALECT_210);
  assert_int_equal(d.has_preauth, 0);
  assert_int_equal(d.context_count, 0);
  all_truncations_fail(buf, w.off, dec_neg_rsp, &d);

  /* Empty security buffer decodes as NULL. */
  r.security_buffer = NULL;
  r.security_buffer_len = 0;
  start(&w, buf, sizeof buf, SMB2_NEGOTIATE, 1);
  assert_int_equal(dfsc__smb2_negotiate_rsp_encode(&w, &r), 0);
  assert_int_equal(w.off, 129);
  assert_int_equal(dfsc__smb2_negotiate_rsp_decode(buf, w.off, &d), 0);
  assert_null(d.security_buffer);
  assert_int_equal(d.security_buffer_len, 0);
  /* The nominal Buffer byte may be absent. */
  assert_int_equal(dfsc__smb2_negotiate_rsp_decode(buf, 128, &d), 0);
}

static void test_negotiate_rsp_hostile(void **state) {
  uint8_t buf[BUF], copy[BUF];
  dfsc_wr w;
  dfsc_smb2_negotiate_rsp r, d;
  size_t n;
  (void)state;

  neg_rsp_full(&r);
  start(&w, buf, sizeof buf, SMB2_NEGOTIATE, 1);
  assert_int_equal(dfsc__smb2_negotiate_rsp_encode(&w, &r), 0);
  n = w.off;
#define RESET() memcpy(copy, buf, n)
#define BAD() assert_int_equal(dfsc__smb2_negotiate_rsp_decode(copy, n, &d), DFSC_E_PROTO)

  RESET();
  assert_int_equal(dfsc__smb2_negotiate_rsp_decode(copy, n, &d), 0);
  /* Security buffer offset beyond the end, over the header, over the fixed
   * part, length beyond the end. */
  RESET();
  dfsc__put_le16(copy + 120, (uint16_t)n);
  BAD();
  RESET();
  dfsc__put_le16(copy + 120, 0xFFFF);
  BAD();
  RESET();
  dfsc__put_le16(copy + 120, 0);
  BAD();
  RESET();
  dfsc__put_le16(copy + 120, 10);
  BAD();
  RESET();
  dfsc__put_le16(copy + 120, 127);
  BAD();
  RESET();
  dfsc__put_le16(copy + 122, 0xFFFF);
  BAD();
  /* Context offset misaligned, beyond the end, overlapping the security
   * buffer or header. */
  RESET();
  dfsc__put_le32(copy + 124, 145);
  BAD();
  RESET();
  dfsc__put_le32(copy + 124, 0xFFFFFFF8u);
  BAD();
  RESET();
  dfsc__put_le32(copy + 124, (uint32_t)((n + 8) & ~7u));
  BAD();
  RESET();
  dfsc__put_le32(copy + 124, 136);
  BAD();
  RESET();
  dfsc__put_le32(copy + 124, 0);
  BAD();
  /* Security buffer running over the contexts. */
  RESET();
  dfsc__put_le16(copy + 122, (uint16_t)(n - 128));
  BAD();
  /* Two ciphers in the response's ENCRYPTION context (at 192). */
  assert_int_equal(dfsc__le16(buf + 192), SMB2_ENCRYPTION_CAPABILITIES);
  RESET();
  dfsc__put_le16(copy + 200, 2);
  BAD();
  /* Context count huge, or zero for 3.1.1. */
  RESET();
  dfsc__put_le16(copy + 70, 0xFFFF);
  BAD();
  RESET();
  dfsc__put_le16(copy + 70, 4);
  BAD();
  RESET();
  dfsc__put_le16(copy + 70, 0);
  BAD();
  /* DataLength beyond the end (first and last contexts). */
  RESET();
  dfsc__put_le16(copy + 146, 0xFFFF);
  BAD();
  {
    size_t last = 144 + 8 + 38;
    last = (last + 7) & ~(size_t)7;         /* cipher */
    last = (last + 8 + 4 + 7) & ~(size_t)7; /* signing */
    assert_int_equal(dfsc__le16(buf + last), SMB2_SIGNING_CAPABILITIES);
    RESET();
    dfsc__put_le16(copy + last + 2, 5);
    BAD();
    /* Two algorithms in a response context. */
    RESET();
    dfsc__put_le16(copy + last + 8, 2);
    BAD();
    /* Unknown type is skipped. */
    RESET();
    dfsc__put_le16(copy + last, 0x0099);
    assert_int_equal(dfsc__smb2_negotiate_rsp_decode(copy, n, &d), 0);
    assert_int_equal(d.has_signing, 0);
    assert_int_equal(d.has_cipher, 1);
    /* Duplicate cipher context. */
    RESET();
    dfsc__put_le16(copy + last, SMB2_ENCRYPTION_CAPABILITIES);
    BAD();
  }
  /* Salt beyond its context. */
  RESET();
  dfsc__put_le16(copy + 154, 40);
  BAD();
  /* Missing PREAUTH. */
  RESET();
  dfsc__put_le16(copy + 144, 0x0099);
  BAD();
  /* Wrong StructureSize. */
  RESET();
  dfsc__put_le16(copy + 64, 64);
  BAD();
#undef RESET
#undef BAD
}

/* ---- session setup ---------------------------------------------------- */

static void test_session_setup(void **state) {
  static const uint8_t blob[] = "NTLMSSP\0\x01\0\0\0\x97\x82\x08\xe2";
  uint8_t buf[BUF], copy[BUF];
  dfsc_wr w;
  dfsc_smb2_session_setup_req q, dq;
  dfsc_smb2_session_setup_rsp s, ds;
  size_t n;
  (void)state;

  memset(&q, 0, sizeof q);
  q.flags = SMB2_SESSION_FLAG_BINDING;
  q.security_mode = SMB2_NEGOTIATE_SIGNING_ENABLED;
  q.capabilities = SMB2_GLOBAL_CAP_DFS;
  q.previous_session_id = 0x99;
  q.security_buffer = blob;
  q.security_buffer_len = sizeof blob;
  start(&w, buf, sizeof buf, SMB2_SESSION_SETUP, 0);
  assert_int_equal(dfsc__smb2_session_setup_req_encode(&w, &q), 0);
  n = w.off;
  assert_int_equal(n, 88 + sizeof blob);
  assert_int_equal(dfsc__le16(buf + 64), 25);
  assert_int_equal(buf[66], 1);
  assert_int_equal(buf[67], 1);
  assert_int_equal(dfsc__le16(buf + 76), 88);
  assert_int_equal(dfsc__le16(buf + 78), sizeof blob);
  assert_int_equal(dfsc__le64(buf + 80), 0x99);
  all_truncations_fail(buf, n, dec_ss_req, &dq);
  assert_int_equal(dfsc__smb2_session_setup_req_decode(buf, n, &dq), 0);
  assert_int_equal(dq.flags, q.flags);
  assert_int_equal(dq.security_mode, q.security_mode);
  assert_int_equal(dq.capabilities, q.capabilities);
  assert_int_equal(dq.channel, 0);
  assert_int_equal(dq.previous_session_id, 0x99);
  assert_int_equal(dq.security_buffer_len, sizeof blob);
  assert_memory_equal(dq.security_buffer, blob, sizeof blob);
  /* Hostile offsets. */
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 76, 0);
  assert_int_equal(dfsc__smb2_session_setup_req_decode(copy, n, &dq), DFSC_E_PROTO);
  dfsc__put_le16(copy + 76, 87);
  assert_int_equal(dfsc__smb2_session_setup_req_decode(copy, n, &dq), DFSC_E_PROTO);
  dfsc__put_le16(copy + 76, (uint16_t)(n - sizeof blob + 1));
  assert_int_equal(dfsc__smb2_session_setup_req_decode(copy, n, &dq), DFSC_E_PROTO);
  dfsc__put_le16(copy + 76, 0xFFFF);
  assert_int_equal(dfsc__smb2_session_setup_req_decode(copy, n, &dq), DFSC_E_PROTO);

  memset(&s, 0, sizeof s);
  s.session_flags = SMB2_SESSION_FLAG_IS_GUEST;
  s.security_buffer = blob;
  s.security_buffer_len = sizeof blob;
  start(&w, buf, sizeof buf, SMB2_SESSION_SETUP, 1);
  assert_int_equal(dfsc__smb2_session_setup_rsp_encode(&w, &s), 0);
  n = w.off;
  assert_int_equal(dfsc__le16(buf + 64), 9);
  assert_int_equal(dfsc__le16(buf + 68), 72);
  assert_int_equal(dfsc__le16(buf + 70), sizeof blob);
  all_truncations_fail(buf, n, dec_ss_rsp, &ds);
  assert_int_equal(ds.session_flags, SMB2_SESSION_FLAG_IS_GUEST);
  assert_ptr_equal(ds.security_buffer, buf + 72);
  assert_int_equal(ds.security_buffer_len, sizeof blob);
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 68, 8); /* into the header */
  assert_int_equal(dfsc__smb2_session_setup_rsp_decode(copy, n, &ds), DFSC_E_PROTO);
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 70, (uint16_t)(sizeof blob + 1));
  assert_int_equal(dfsc__smb2_session_setup_rsp_decode(copy, n, &ds), DFSC_E_PROTO);

  /* Empty security buffer: offset ignored, pointer NULL, one pad byte. */
  s.security_buffer = NULL;
  s.security_buffer_len = 0;
  start(&w, buf, sizeof buf, SMB2_SESSION_SETUP, 1);
  assert_int_equal(dfsc__smb2_session_setup_rsp_encode(&w, &s), 0);
  assert_int_equal(w.off, 73);
  assert_int_equal(dfsc__smb2_session_setup_rsp_decode(buf, w.off, &ds), 0);
  assert_null(ds.security_buffer);
  assert_int_equal(ds.security_buffer_len, 0);
  dfsc__put_le16(buf + 68, 0xFFFF);
  assert_int_equal(dfsc__smb2_session_setup_rsp_decode(buf, w.off, &ds), 0);
  /* Overflow. */
  q.security_buffer_len = 70000;
  start(&w, buf, sizeof buf, SMB2_SESSION_SETUP, 0);
  assert_int_equal(dfsc__smb2_session_setup_req_encode(&w, &q), -EINVAL);
  q.security_buffer_len = sizeof blob;
  start(&w, buf, 90, SMB2_SESSION_SETUP, 0);
  assert_int_equal(dfsc__smb2_session_setup_req_encode(&w, &q), DFSC_E_NOSPACE);
}

/* ---- small bodies ----------------------------------------------------- */

typedef int (*enc0_fn)(dfsc_wr *w);

static void small_body(uint16_t cmd, int response, enc0_fn enc, dec_fn dec) {
  uint8_t buf[128];
  dfsc_wr w;

  start(&w, buf, sizeof buf, cmd, response);
  assert_int_equal(enc(&w), 0);
  assert_int_equal(w.off, 68);
  assert_int_equal(dfsc__le16(buf + 64), 4);
  assert_int_equal(dfsc__le16(buf + 66), 0);
  all_truncations_fail(buf, w.off, dec, NULL);
  buf[64] = 5;
  assert_int_equal(dec(buf, 68, NULL), DFSC_E_PROTO);
  start(&w, buf, 66, cmd, response);
  assert_int_equal(enc(&w), DFSC_E_NOSPACE);
}

static void test_small_bodies(void **state) {
  (void)state;
  small_body(SMB2_LOGOFF, 0, dfsc__smb2_logoff_req_encode, dec_logoff_req);
  small_body(SMB2_LOGOFF, 1, dfsc__smb2_logoff_rsp_encode, dec_logoff_rsp);
  small_body(SMB2_TREE_DISCONNECT, 0, dfsc__smb2_tree_disconnect_req_encode, dec_td_req);
  small_body(SMB2_TREE_DISCONNECT, 1, dfsc__smb2_tree_disconnect_rsp_encode, dec_td_rsp);
  small_body(SMB2_ECHO, 0, dfsc__smb2_echo_req_encode, dec_echo_req);
  small_body(SMB2_ECHO, 1, dfsc__smb2_echo_rsp_encode, dec_echo_rsp);
  small_body(SMB2_CANCEL, 0, dfsc__smb2_cancel_req_encode, dec_cancel);
}

static void test_cancel_hdr(void **state) {
  dfsc_smb2_hdr orig, c;
  (void)state;

  hdr_for(&orig, SMB2_CREATE, 0);
  orig.flags =
      SMB2_FLAGS_SIGNED | SMB2_FLAGS_RELATED_OPERATIONS | SMB2_FLAGS_DFS_OPERATIONS;
  orig.message_id = 42;
  orig.credit_charge = 4;
  orig.credits = 10;
  dfsc__smb2_cancel_hdr(&orig, 0, &c);
  assert_int_equal(c.command, SMB2_CANCEL);
  assert_int_equal(c.message_id, 42);
  assert_int_equal(c.session_id, orig.session_id);
  assert_int_equal(c.tree_id, orig.tree_id);
  assert_int_equal(c.flags, SMB2_FLAGS_DFS_OPERATIONS);
  assert_int_equal(c.credit_charge, 0);
  assert_int_equal(c.credits, 0);
  dfsc__smb2_cancel_hdr(&orig, 0x77, &c);
  assert_int_equal(c.flags, SMB2_FLAGS_DFS_OPERATIONS | SMB2_FLAGS_ASYNC_COMMAND);
  assert_int_equal(c.async_id, 0x77);
  assert_int_equal(c.tree_id, 0);
}

/* ---- tree connect ----------------------------------------------------- */

static void test_tree_connect(void **state) {
  static const uint8_t want[] = "\\\0\\\0s\0r\0v\0\\\0d\0a\0t\0a\0";
  uint8_t buf[BUF], copy[BUF];
  dfsc_wr w;
  dfsc_smb2_tree_connect_req q, dq;
  dfsc_smb2_tree_connect_rsp s, ds;
  size_t n;
  (void)state;

  memset(&q, 0, sizeof q);
  q.server = "srv";
  q.share = "data";
  q.flags = SMB2_TREE_CONNECT_FLAG_REDIRECT_TO_OWNER;
  start(&w, buf, sizeof buf, SMB2_TREE_CONNECT, 0);
  assert_int_equal(dfsc__smb2_tree_connect_req_encode(&w, &q), 0);
  n = w.off;
  assert_int_equal(dfsc__le16(buf + 64), 9);
  assert_int_equal(dfsc__le16(buf + 66), SMB2_TREE_CONNECT_FLAG_REDIRECT_TO_OWNER);
  assert_int_equal(dfsc__le16(buf + 68), 72);
  assert_int_equal(dfsc__le16(buf + 70), sizeof want - 1);
  assert_int_equal(n, 72 + sizeof want - 1);
  assert_memory_equal(buf + 72, want, sizeof want - 1);
  all_truncations_fail(buf, n, dec_tc_req, &dq);
  assert_int_equal(dq.flags, SMB2_TREE_CONNECT_FLAG_REDIRECT_TO_OWNER);
  assert_ptr_equal(dq.path_u16, buf + 72);
  assert_int_equal(dq.path_u16_len, sizeof want - 1);
  assert_null(dq.path);

  /* From a full UTF-8 path, with a non-ASCII character. */
  memset(&q, 0, sizeof q);
  q.path = "\\\\h\\\xc3\xa9";
  q.path_len = strlen(q.path);
  start(&w, buf, sizeof buf, SMB2_TREE_CONNECT, 0);
  assert_int_equal(dfsc__smb2_tree_connect_req_encode(&w, &q), 0);
  assert_int_equal(dfsc__le16(buf + 70), 10);
  assert_memory_equal(buf + 72, "\\\0\\\0h\0\\\0\xe9\0", 10);

  /* Hostile. */
  memset(&q, 0, sizeof q);
  q.server = "srv";
  q.share = "data";
  start(&w, buf, sizeof buf, SMB2_TREE_CONNECT, 0);
  assert_int_equal(dfsc__smb2_tree_connect_req_encode(&w, &q), 0);
  n = w.off;
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 68, 0xFFF0);
  assert_int_equal(dfsc__smb2_tree_connect_req_decode(copy, n, &dq), DFSC_E_PROTO);
  dfsc__put_le16(copy + 68, 60);
  assert_int_equal(dfsc__smb2_tree_connect_req_decode(copy, n, &dq), DFSC_E_PROTO);
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 70, (uint16_t)(n - 72 + 2));
  assert_int_equal(dfsc__smb2_tree_connect_req_decode(copy, n, &dq), DFSC_E_PROTO);
  dfsc__put_le16(copy + 70, 3);
  assert_int_equal(dfsc__smb2_tree_connect_req_decode(copy, n, &dq), DFSC_E_PROTO);
  dfsc__put_le16(copy + 70, 0);
  assert_int_equal(dfsc__smb2_tree_connect_req_decode(copy, n, &dq), DFSC_E_PROTO);
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 66, SMB2_TREE_CONNECT_FLAG_EXTENSION_PRESENT);
  assert_int_equal(dfsc__smb2_tree_connect_req_decode(copy, n, &dq), DFSC_E_PROTO);

  /* Encoder refusals. */
  q.flags = SMB2_TREE_CONNECT_FLAG_EXTENSION_PRESENT;
  start(&w, buf, sizeof buf, SMB2_TREE_CONNECT, 0);
  assert_int_equal(dfsc__smb2_tree_connect_req_encode(&w, &q), -EINVAL);
  q.flags = 0;
  q.share = NULL;
  start(&w, buf, sizeof buf, SMB2_TREE_CONNECT, 0);
  assert_int_equal(dfsc__smb2_tree_connect_req_encode(&w, &q), -EINVAL);
  q.share = "\xc3";
  start(&w, buf, sizeof buf, SMB2_TREE_CONNECT, 0);
  assert_int_equal(dfsc__smb2_tree_connect_req_encode(&w, &q), -EINVAL);
  q.share = "data";
  start(&w, buf, 80, SMB2_TREE_CONNECT, 0);
  assert_int_equal(dfsc__smb2_tree_connect_req_encode(&w, &q), DFSC_E_NOSPACE);

  memset(&s, 0, sizeof s);
  s.share_type = SMB2_SHARE_TYPE_DISK;
  s.share_flags = SMB2_SHAREFLAG_DFS | SMB2_SHAREFLAG_DFS_ROOT;
  s.capabilities = SMB2_SHARE_CAP_DFS;
  s.maximal_access = 0x001F01FF;
  start(&w, buf, sizeof buf, SMB2_TREE_CONNECT, 1);
  assert_int_equal(dfsc__smb2_tree_connect_rsp_encode(&w, &s), 0);
  assert_int_equal(w.off, 80);
  assert_int_equal(dfsc__le16(buf + 64), 16);
  assert_int_equal(buf[66], 1);
  assert_int_equal(dfsc__le32(buf + 68), 3);
  assert_int_equal(dfsc__le32(buf + 72), 8);
  assert_int_equal(dfsc__le32(buf + 76), 0x001F01FF);
  all_truncations_fail(buf, w.off, dec_tc_rsp, &ds);
  assert_memory_equal(&ds, &s, sizeof s);
}

/* ---- oplock / lease break ---------------------------------------------- */

static void test_oplock_lease(void **state) {
  uint8_t buf[BUF];
  dfsc_wr w;
  dfsc_smb2_oplock_break o, od;
  dfsc_smb2_lease_break l, ld;
  dfsc_smb2_lease_ack a, ad;
  (void)state;

  memset(&o, 0, sizeof o);
  o.oplock_level = SMB2_OPLOCK_LEVEL_II;
  o.fid.persistent = 0x1111;
  o.fid.volatile_ = 0x2222;
  start(&w, buf, sizeof buf, SMB2_OPLOCK_BREAK, 1);
  assert_int_equal(dfsc__smb2_oplock_break_encode(&w, &o), 0);
  assert_int_equal(w.off, 64 + 24);
  assert_int_equal(buf[66], SMB2_OPLOCK_LEVEL_II);
  assert_int_equal(dfsc__le64(buf + 72), 0x1111);
  assert_int_equal(dfsc__le64(buf + 80), 0x2222);
  assert_int_equal(dfsc__smb2_oplock_break_kind(buf, w.off), DFSC_SMB2_BREAK_OPLOCK);
  all_truncations_fail(buf, w.off, dec_oplock, &od);
  assert_memory_equal(&od, &o, sizeof o);
  assert_int_equal(dfsc__smb2_lease_break_decode(buf, w.off, &ld), DFSC_E_PROTO);

  memset(&l, 0, sizeof l);
  l.new_epoch = 3;
  l.flags = SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED;
  memset(l.lease_key, 0x4B, 16);
  l.current_lease_state = SMB2_LEASE_READ_CACHING | SMB2_LEASE_HANDLE_CACHING;
  l.new_lease_state = SMB2_LEASE_READ_CACHING;
  l.break_reason = 0;
  start(&w, buf, sizeof buf, SMB2_OPLOCK_BREAK, 1);
  assert_int_equal(dfsc__smb2_lease_break_encode(&w, &l), 0);
  assert_int_equal(w.off, 64 + 44);
  assert_int_equal(dfsc__le32(buf + 68), 1);
  assert_int_equal(dfsc__le32(buf + 88), 3);
  assert_int_equal(dfsc__le32(buf + 92), 1);
  assert_int_equal(dfsc__smb2_oplock_break_kind(buf, w.off), DFSC_SMB2_BREAK_LEASE);
  all_truncations_fail(buf, w.off, dec_lease_break, &ld);
  assert_memory_equal(&ld, &l, sizeof l);

  memset(&a, 0, sizeof a);
  memset(a.lease_key, 0x4B, 16);
  a.lease_state = SMB2_LEASE_READ_CACHING;
  start(&w, buf, sizeof buf, SMB2_OPLOCK_BREAK, 0);
  assert_int_equal(dfsc__smb2_lease_ack_encode(&w, &a), 0);
  assert_int_equal(w.off, 64 + 36);
  assert_int_equal(dfsc__le32(buf + 88), 1);
  assert_int_equal(dfsc__smb2_oplock_break_kind(buf, w.off), DFSC_SMB2_BREAK_LEASE_ACK);
  all_truncations_fail(buf, w.off, dec_lease_ack, &ad);
  assert_memory_equal(&ad, &a, sizeof a);

  dfsc__put_le16(buf + 64, 25);
  assert_int_equal(dfsc__smb2_oplock_break_kind(buf, w.off), DFSC_E_PROTO);
  assert_int_equal(dfsc__smb2_oplock_break_kind(buf, 65), DFSC_E_PROTO);
}

/* ---- error responses --------------------------------------------------- */

static void test_error_plain(void **state) {
  uint8_t buf[BUF];
  dfsc_wr w;
  dfsc_smb2_error_rsp e;
  const uint8_t *p;
  size_t n;
  uint32_t need;
  static const uint8_t four[4] = {0x00, 0x10, 0x00, 0x00};
  (void)state;

  start(&w, buf, sizeof buf, SMB2_CREATE, 1);
  assert_int_equal(dfsc__smb2_error_rsp_encode(&w, 0, NULL, 0), 0);
  assert_int_equal(w.off, 73);
  assert_int_equal(dfsc__le16(buf + 64), 9);
  assert_int_equal(dfsc__smb2_error_rsp_decode(buf, 73, &e), 0);
  assert_int_equal(e.context_count, 0);
  assert_null(e.data);
  /* 8-byte body (no ErrorData byte) is accepted. */
  assert_int_equal(dfsc__smb2_error_rsp_decode(buf, 72, &e), 0);
  assert_int_equal(dfsc__smb2_error_rsp_decode(buf, 71, &e), DFSC_E_PROTO);
  assert_int_equal(dfsc__smb2_error_find(&e, SMB2_ERROR_ID_DEFAULT, &p, &n), 0);

  /* STATUS_BUFFER_TOO_SMALL carries the needed length. */
  start(&w, buf, sizeof buf, SMB2_QUERY_INFO, 1);
  assert_int_equal(dfsc__smb2_error_rsp_encode(&w, 0, four, 4), 0);
  all_truncations_fail(buf, w.off, dec_err, &e);
  assert_int_equal(dfsc__smb2_error_buffer_too_small(&e, &need), 0);
  assert_int_equal(need, 4096);
  /* Without contexts only the DEFAULT id names the plain ErrorData. */
  assert_int_equal(dfsc__smb2_error_find(&e, SMB2_ERROR_ID_DEFAULT, &p, &n), 1);
  assert_ptr_equal(p, buf + 72);
  assert_int_equal(n, 4);
  assert_int_equal(dfsc__smb2_error_find(&e, SMB2_ERROR_ID_SHARE_REDIRECT, &p, &n), 0);
  assert_null(p);
  /* ByteCount beyond the PDU. */
  dfsc__put_le32(buf + 68, 5);
  assert_int_equal(dfsc__smb2_error_rsp_decode(buf, w.off, &e), DFSC_E_PROTO);
  dfsc__put_le32(buf + 68, 0xFFFFFFFFu);
  assert_int_equal(dfsc__smb2_error_rsp_decode(buf, w.off, &e), DFSC_E_PROTO);
  dfsc__put_le32(buf + 68, 3);
  assert_int_equal(dfsc__smb2_error_rsp_decode(buf, w.off, &e), 0);
  assert_int_equal(dfsc__smb2_error_buffer_too_small(&e, &need), DFSC_E_PROTO);
}

/* Builds a STATUS_STOPPED_ON_SYMLINK PDU; with_ctx wraps the symlink data
 * in a 3.1.1 DEFAULT error context preceded by an unknown one. */
static size_t build_symlink_pdu(uint8_t *buf, size_t cap, int with_ctx) {
  uint8_t data[512];
  dfsc_wr w, dw;
  size_t sl;

  dfsc__wr_init(&dw, data, sizeof data);
  if (with_ctx) {
    dfsc__wr_u32(&dw, 3);          /* ErrorDataLength */
    dfsc__wr_u32(&dw, 0x12345678); /* unknown ErrorId */
    dfsc__wr_bytes(&dw, "abc", 3);
    dfsc__wr_align(&dw, 8);
    dfsc__wr_u32(&dw, 0); /* patched below */
    dfsc__wr_u32(&dw, SMB2_ERROR_ID_DEFAULT);
  }
  sl = dw.off;
  assert_int_equal(
      dfsc__smb2_symlink_error_encode(&dw, 8, SMB2_SYMLINK_FLAG_RELATIVE, "..\\tgt", "tgt"),
      0);
  if (with_ctx)
    dfsc__wr_put_u32(&dw, sl - 8, (uint32_t)(dw.off - sl));
  start(&w, buf, cap, SMB2_CREATE, 1);
  assert_int_equal(dfsc__smb2_error_rsp_encode(&w, with_ctx ? 2 : 0, data, dw.off), 0);
  return w.off;
}

static void check_symlink(const dfsc_smb2_symlink_error *s) {
  assert_int_equal(s->reparse_tag, SMB2_IO_REPARSE_TAG_SYMLINK);
  assert_int_equal(s->unparsed_path_length, 8);
  assert_int_equal(s->flags, SMB2_SYMLINK_FLAG_RELATIVE);
  assert_int_equal(s->substitute_name_len, 12);
  assert_memory_equal(s->substitute_name, ".\0.\0\\\0t\0g\0t\0", 12);
  assert_int_equal(s->print_name_len, 6);
  assert_memory_equal(s->print_name, "t\0g\0t\0", 6);
  assert_int_equal(s->reparse_data_length, 12 + 18);
}

static void test_error_symlink(void **state) {
  uint8_t buf[BUF], copy[BUF];
  dfsc_smb2_symlink_error s;
  dfsc_smb2_error_rsp e;
  dfsc_smb2_error_iter it = {0, 0};
  dfsc_smb2_error_ctx c;
  size_t n;
  const uint8_t *sym;
  (void)state;

  /* Pre-3.1.1: ErrorData is the symlink structure itself. */
  n = build_symlink_pdu(buf, sizeof buf, 0);
  assert_int_equal(n, 72 + 28 + 18);
  sym = buf + 72;
  assert_int_equal(dfsc__le32(sym), 28 + 18 - 4);
  assert_int_equal(dfsc__le32(sym + 4), 0x4C4D5953);
  assert_int_equal(dfsc__le32(sym + 8), 0xA000000C);
  assert_int_equal(dfsc__le16(sym + 16), 0);  /* SubstituteNameOffset */
  assert_int_equal(dfsc__le16(sym + 18), 12); /* SubstituteNameLength */
  assert_int_equal(dfsc__le16(sym + 20), 12); /* PrintNameOffset */
  assert_int_equal(dfsc__le16(sym + 22), 6);
  all_truncations_fail(buf, n, dec_symlink_pdu, &s);
  check_symlink(&s);
  all_truncations_fail(sym, n - 72, dec_symlink, &s);

  /* Hostile symlink fields. */
#define SYMBAD()                                                                           \
  assert_int_equal(dfsc__smb2_stopped_on_symlink_decode(copy, n, &s), DFSC_E_PROTO)
  memcpy(copy, buf, n);
  dfsc__put_le32(copy + 72, 0xFFFFFFFFu);
  SYMBAD();
  memcpy(copy, buf, n);
  dfsc__put_le32(copy + 72, 23);
  SYMBAD();
  memcpy(copy, buf, n);
  dfsc__put_le32(copy + 76, 0);
  SYMBAD();
  memcpy(copy, buf, n);
  dfsc__put_le32(copy + 80, 0xA0000003u);
  SYMBAD();
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 88, 7);
  SYMBAD(); /* sub off */
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 88, 0xFFFF);
  SYMBAD();
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 88, 20);
  dfsc__put_le16(copy + 90, 0);
  SYMBAD();
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 90, 20);
  SYMBAD(); /* sub len */
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 90, 11);
  SYMBAD(); /* odd */
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 92, 0xFFFF);
  SYMBAD(); /* print off */
  memcpy(copy, buf, n);
  dfsc__put_le16(copy + 94, 8);
  SYMBAD(); /* print len */
#undef SYMBAD

  /* 3.1.1: inside a DEFAULT context after an unknown one. */
  n = build_symlink_pdu(buf, sizeof buf, 1);
  all_truncations_fail(buf, n, dec_symlink_pdu, &s);
  check_symlink(&s);
  assert_int_equal(dfsc__smb2_error_rsp_decode(buf, n, &e), 0);
  assert_int_equal(e.context_count, 2);
  assert_int_equal(dfsc__smb2_error_ctx_next(&e, &it, &c), 1);
  assert_int_equal(c.id, 0x12345678);
  assert_int_equal(c.len, 3);
  assert_int_equal(dfsc__smb2_error_ctx_next(&e, &it, &c), 1);
  assert_int_equal(c.id, SMB2_ERROR_ID_DEFAULT);
  assert_int_equal(it.pos % 8, 0);
  assert_int_equal(dfsc__smb2_error_ctx_next(&e, &it, &c), 0);

  /* Context DataLength beyond the end; count beyond the data. */
  memcpy(copy, buf, n);
  dfsc__put_le32(copy + 72, 0x7FFFFFFF);
  assert_int_equal(dfsc__smb2_stopped_on_symlink_decode(copy, n, &s), DFSC_E_PROTO);
  memcpy(copy, buf, n);
  dfsc__put_le32(copy + 72 + 16, (uint32_t)(n - 72 - 16 - 8 + 1));
  assert_int_equal(dfsc__smb2_stopped_on_symlink_decode(copy, n, &s), DFSC_E_PROTO);
  memcpy(copy, buf, n);
  copy[66] = 200;
  assert_int_equal(dfsc__smb2_error_rsp_decode(copy, n, &e), 0);
  it.pos = 0;
  it.idx = 0;
  assert_int_equal(dfsc__smb2_error_ctx_next(&e, &it, &c), 1);
  assert_int_equal(dfsc__smb2_error_ctx_next(&e, &it, &c), 1);
  assert_int_equal(dfsc__smb2_error_ctx_next(&e, &it, &c), DFSC_E_PROTO);
  /* No DEFAULT context at all. */
  memcpy(copy, buf, n);
  dfsc__put_le32(copy + 72 + 16 + 4, SMB2_ERROR_ID_SHARE_REDIRECT);
  assert_int_equal(dfsc__smb2_stopped_on_symlink_decode(copy, n, &s), DFSC_E_PROTO);
  /* Contexts claimed but less than one header of data. */
  memcpy(copy, buf, n);
  dfsc__put_le32(copy + 68, 4);
  assert_int_equal(dfsc__smb2_error_rsp_decode(copy, n, &e), DFSC_E_PROTO);
}

static void test_error_share_redirect(void **state) {
  uint8_t d[256], copy[256];
  dfsc_wr w;
  dfsc_smb2_share_redirect r;
  size_t n;
  (void)state;

  dfsc__wr_init(&w, d, sizeof d);
  dfsc__wr_u32(&w, 48);          /* StructureSize */
  dfsc__wr_u32(&w, 3);           /* SHARE_MOVE_NOTIFICATION */
  dfsc__wr_u32(&w, 24 + 2 * 24); /* ResourceNameOffset */
  dfsc__wr_u32(&w, 8);           /* ResourceNameLength */
  dfsc__wr_u16(&w, 0);
  dfsc__wr_u16(&w, 0); /* TargetType */
  dfsc__wr_u32(&w, 2); /* IPAddrCount */
  dfsc__wr_u32(&w, SMB2_MOVE_DST_IPADDR_V4);
  dfsc__wr_u32(&w, 0);
  dfsc__wr_bytes(&w, "\x7f\x00\x00\x02", 4);
  dfsc__wr_zero(&w, 12);
  dfsc__wr_u32(&w, SMB2_MOVE_DST_IPADDR_V6);
  dfsc__wr_u32(&w, 0);
  dfsc__wr_zero(&w, 15);
  dfsc__wr_u8(&w, 1);
  dfsc__wr_bytes(&w, "s\0h\0r\0e\0", 8);
  n = w.off;
  assert_int_equal(n, 24 + 48 + 8);
  all_truncations_fail(d, n, dec_redirect, &r);
  assert_int_equal(r.notification_type, 3);
  assert_int_equal(r.ip_count, 2);
  assert_ptr_equal(r.ip_list, d + 24);
  assert_int_equal(r.resource_name_len, 8);
  assert_memory_equal(r.resource_name, "s\0h\0r\0e\0", 8);
  memcpy(copy, d, n);
  dfsc__put_le32(copy + 20, 0x0AAAAAAB); /* count * 24 wraps in 32 bits */
  assert_int_equal(dfsc__smb2_share_redirect_decode(copy, n, &r), DFSC_E_PROTO);
  memcpy(copy, d, n);
  dfsc__put_le32(copy + 8, 0xFFFFFFF0u);
  assert_int_equal(dfsc__smb2_share_redirect_decode(copy, n, &r), DFSC_E_PROTO);
  memcpy(copy, d, n);
  dfsc__put_le32(copy + 8, 4);
  assert_int_equal(dfsc__smb2_share_redirect_decode(copy, n, &r), DFSC_E_PROTO);
  memcpy(copy, d, n);
  dfsc__put_le32(copy + 12, 0xFFFFFFFEu);
  assert_int_equal(dfsc__smb2_share_redirect_decode(copy, n, &r), DFSC_E_PROTO);
  memcpy(copy, d, n);
  dfsc__put_le32(copy, 47);
  assert_int_equal(dfsc__smb2_share_redirect_decode(copy, n, &r), DFSC_E_PROTO);
}

/* ---- compound --------------------------------------------------------- */

static void test_compound_build_split(void **state) {
  uint8_t buf[BUF];
  dfsc_wr w, sub;
  dfsc_smb2_chain c;
  dfsc_smb2_split sp;
  dfsc_smb2_hdr h;
  dfsc_smb2_tree_connect_req q;
  const uint8_t *pdu;
  size_t len, plen;
  uint16_t cmds[3] = {SMB2_TREE_CONNECT, SMB2_ECHO, SMB2_TREE_CONNECT};
  size_t offs[3];
  int k = 0, rc;
  (void)state;

  memset(&q, 0, sizeof q);
  q.server = "s";
  q.share = "abc"; /* 72 + 14 = 86 bytes: needs 2 bytes of padding */
  dfsc__wr_init(&w, buf, sizeof buf);
  dfsc__smb2_chain_init(&c, &w);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(dfsc__smb2_chain_next(&c, &sub), 0);
    offs[i] = w.off;
    hdr_for(&h, cmds[i], 0);
    h.message_id = (uint64_t)i;
    if (i > 0)
      h.flags |= SMB2_FLAGS_RELATED_OPERATIONS;
    dfsc__smb2_hdr_encode(&sub, &h);
    if (cmds[i] == SMB2_ECHO)
      assert_int_equal(dfsc__smb2_echo_req_encode(&sub), 0);
    else
      assert_int_equal(dfsc__smb2_tree_connect_req_encode(&sub, &q), 0);
    assert_int_equal(dfsc__smb2_chain_commit(&c, &sub), 0);
  }
  assert_int_equal(offs[0], 0);
  assert_int_equal(offs[1], 88);
  assert_int_equal(offs[2], 88 + 72);
  assert_int_equal(w.off, 88 + 72 + 86); /* no padding after the last */
  assert_int_equal(dfsc__le32(buf + 20), 88);
  assert_int_equal(dfsc__le32(buf + 88 + 20), 72);
  assert_int_equal(dfsc__le32(buf + 160 + 20), 0);
  assert_int_equal(buf[86], 0);
  assert_int_equal(buf[87], 0);
  /* The path offset inside PDU 3 is relative to its own header. */
  assert_int_equal(dfsc__le16(buf + 160 + 68), 72);
  for (unsigned i = 0; i < 3; i++) {
    assert_int_equal(dfsc__smb2_chain_pdu_at(&c, i, &plen), offs[i]);
    assert_int_equal(plen, i < 2 ? offs[i + 1] - offs[i] : 86);
  }
  assert_int_equal(dfsc__smb2_chain_pdu_at(&c, 3, &plen), (size_t)-1);

  len = w.off;
  dfsc__smb2_split_init(&sp, buf, len);
  while ((rc = dfsc__smb2_split_next(&sp, &pdu, &plen, &h)) == 1) {
    assert_true(k < 3);
    assert_ptr_equal(pdu, buf + offs[k]);
    assert_int_equal(h.command, cmds[k]);
    assert_int_equal(h.message_id, (uint64_t)k);
    if (cmds[k] == SMB2_TREE_CONNECT) {
      dfsc_smb2_tree_connect_req d;
      assert_int_equal(dfsc__smb2_tree_connect_req_decode(pdu, plen, &d), 0);
      assert_int_equal(d.path_u16_len, 14);
    }
    k++;
  }
  assert_int_equal(rc, 0);
  assert_int_equal(k, 3);
  assert_int_equal(dfsc__smb2_split_next(&sp, &pdu, &plen, &h), 0);

  /* Overflow while chaining. */
  {
    uint8_t small[100];
    dfsc__wr_init(&w, small, sizeof small);
    dfsc__smb2_chain_init(&c, &w);
    assert_int_equal(dfsc__smb2_chain_next(&c, &sub), 0);
    hdr_for(&h, SMB2_ECHO, 0);
    dfsc__smb2_hdr_encode(&sub, &h);
    assert_int_equal(dfsc__smb2_echo_req_encode(&sub), 0);
    assert_int_equal(dfsc__smb2_chain_commit(&c, &sub), 0);
    assert_int_equal(dfsc__smb2_chain_next(&c, &sub), 0);
    dfsc__smb2_hdr_encode(&sub, &h);
    assert_int_equal(dfsc__smb2_echo_req_encode(&sub), DFSC_E_NOSPACE);
    assert_int_equal(dfsc__smb2_chain_commit(&c, &sub), DFSC_E_NOSPACE);
    assert_int_equal(w.bad, 1);
  }
}

static size_t two_echos(uint8_t *buf) {
  dfsc_wr w;
  dfsc_smb2_hdr h;
  dfsc__wr_init(&w, buf, 256);
  hdr_for(&h, SMB2_ECHO, 1);
  h.next_command = 72;
  dfsc__smb2_hdr_encode(&w, &h);
  dfsc__smb2_echo_rsp_encode(&w);
  dfsc__wr_zero(&w, 4);
  h.next_command = 0;
  dfsc__smb2_hdr_encode(&w, &h);
  dfsc__smb2_echo_rsp_encode(&w);
  return w.off;
}

static int split_count(const uint8_t *buf, size_t len, int *rc_out) {
  dfsc_smb2_split sp;
  dfsc_smb2_hdr h;
  const uint8_t *pdu;
  size_t plen;
  int k = 0, rc;

  dfsc__smb2_split_init(&sp, buf, len);
  while ((rc = dfsc__smb2_split_next(&sp, &pdu, &plen, &h)) == 1) {
    assert_true(pdu >= buf && plen <= len && (size_t)(pdu - buf) <= len - plen);
    k++;
    assert_true(k <= (int)(len / 64) + 1);
  }
  *rc_out = rc;
  return k;
}

static void test_compound_split_hostile(void **state) {
  uint8_t buf[256], *heap;
  size_t n;
  int rc, k;
  (void)state;

  n = two_echos(buf);
  assert_int_equal(n, 72 + 68);
  k = split_count(buf, n, &rc);
  assert_int_equal(rc, 0);
  assert_int_equal(k, 2);

  /* Every truncation: either a clean error or (cut inside the last PDU's
   * body) a split whose slices stay inside the buffer. */
  for (size_t cut = 0; cut < n; cut++) {
    heap = malloc(cut ? cut : 1);
    memcpy(heap, buf, cut);
    k = split_count(cut ? heap : NULL, cut, &rc);
    if (cut < 72 + 64)
      assert_true(rc == DFSC_E_PROTO || (cut == 0 && rc == 0 && k == 0));
    free(heap);
  }

  /* NextCommand not 8-aligned. */
  dfsc__put_le32(buf + 20, 70);
  k = split_count(buf, n, &rc);
  assert_int_equal(rc, DFSC_E_PROTO);
  assert_int_equal(k, 0);
  /* Smaller than a header (would loop or overlap). */
  dfsc__put_le32(buf + 20, 8);
  split_count(buf, n, &rc);
  assert_int_equal(rc, DFSC_E_PROTO);
  /* Beyond the end, and exactly at the end. */
  dfsc__put_le32(buf + 20, 0xFFFFFFF8u);
  split_count(buf, n, &rc);
  assert_int_equal(rc, DFSC_E_PROTO);
  dfsc__put_le32(buf + 20, (uint32_t)(n + 4) & ~7u);
  split_count(buf, n, &rc);
  assert_int_equal(rc, DFSC_E_PROTO);
  /* NextCommand pointing exactly at the end: a promised PDU is missing. */
  {
    uint8_t one[72];
    dfsc_wr w;
    dfsc_smb2_hdr h;
    dfsc__wr_init(&w, one, sizeof one);
    hdr_for(&h, SMB2_ECHO, 1);
    h.next_command = 72;
    dfsc__smb2_hdr_encode(&w, &h);
    dfsc__smb2_echo_rsp_encode(&w);
    dfsc__wr_zero(&w, 4);
    k = split_count(one, sizeof one, &rc);
    assert_int_equal(rc, DFSC_E_PROTO);
    assert_int_equal(k, 0); /* refused before yielding anything */
    dfsc__put_le32(one + 20, 0);
    k = split_count(one, sizeof one, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(k, 1);
  }
  /* NextCommand 8 pointing at a header nested inside the first one (Status
   * spells the ProtocolId, Command the StructureSize): overlapping slices
   * must be refused even when the bytes there parse. */
  {
    uint8_t nest[72];
    dfsc_wr w;
    dfsc_smb2_hdr h, h2;
    dfsc__wr_init(&w, nest, sizeof nest);
    memset(&h, 0, sizeof h);
    h.status = SMB2_PROTOCOL_ID;
    h.command = SMB2_HDR_SIZE;
    h.next_command = 8;
    dfsc__smb2_hdr_encode(&w, &h);
    dfsc__wr_zero(&w, 8);
    assert_int_equal(dfsc__smb2_hdr_decode(nest + 8, 64, &h2), 0);
    split_count(nest, sizeof nest, &rc);
    assert_int_equal(rc, DFSC_E_PROTO);
  }
  /* Second PDU with a bad ProtocolId. */
  n = two_echos(buf);
  buf[72] = 0xFD;
  k = split_count(buf, n, &rc);
  assert_int_equal(rc, DFSC_E_PROTO);
  assert_int_equal(k, 1);
  /* Errors are sticky. */
  {
    dfsc_smb2_split sp;
    dfsc_smb2_hdr h;
    const uint8_t *pdu;
    size_t plen;
    dfsc__smb2_split_init(&sp, buf, n);
    assert_int_equal(dfsc__smb2_split_next(&sp, &pdu, &plen, &h), 1);
    assert_int_equal(dfsc__smb2_split_next(&sp, &pdu, &plen, &h), DFSC_E_PROTO);
    assert_int_equal(dfsc__smb2_split_next(&sp, &pdu, &plen, &h), DFSC_E_PROTO);
  }
  /* Many minimal PDUs chained: terminates with the right count. */
  {
    uint8_t big[64 * 40];
    dfsc_wr w;
    dfsc_smb2_hdr h;
    dfsc__wr_init(&w, big, sizeof big);
    for (int i = 0; i < 40; i++) {
      hdr_for(&h, SMB2_ECHO, 1);
      h.next_command = i < 39 ? 64 : 0;
      dfsc__smb2_hdr_encode(&w, &h);
    }
    k = split_count(big, sizeof big, &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(k, 40);
  }
}

static void test_interim(void **state) {
  dfsc_smb2_hdr h;
  (void)state;
  hdr_for(&h, SMB2_CHANGE_NOTIFY, 1);
  h.status = STATUS_PENDING;
  h.flags |= SMB2_FLAGS_ASYNC_COMMAND;
  h.async_id = 9;
  assert_int_equal(dfsc__smb2_is_interim(&h), 1);
  h.flags &= ~SMB2_FLAGS_ASYNC_COMMAND;
  assert_int_equal(dfsc__smb2_is_interim(&h), 0);
  h.flags |= SMB2_FLAGS_ASYNC_COMMAND;
  h.status = STATUS_SUCCESS;
  assert_int_equal(dfsc__smb2_is_interim(&h), 0);
  h.status = STATUS_PENDING;
  h.flags &= ~SMB2_FLAGS_SERVER_TO_REDIR;
  assert_int_equal(dfsc__smb2_is_interim(&h), 0);
}

/* ---- NTSTATUS --------------------------------------------------------- */

static void test_status_table(void **state) {
  size_t n = dfsc__smb2_status_count(), i;
  const char *name, *prev_name;
  uint32_t prev;
  (void)state;

  assert_true(n >= 150);
  prev = dfsc__smb2_status_at(0, &prev_name);
  assert_int_equal(prev, 0);
  assert_string_equal(prev_name, "STATUS_SUCCESS");
  for (i = 1; i < n; i++) {
    uint32_t code = dfsc__smb2_status_at(i, &name);
    if (code <= prev)
      fail_msg("table not sorted at %zu: %s 0x%08X after %s 0x%08X", i, name, code,
               prev_name, prev);
    assert_int_equal(strncmp(name, "STATUS_", 7), 0);
    assert_string_equal(dfsc_ntstatus_name(code), name);
    prev = code;
    prev_name = name;
  }
  assert_null((dfsc__smb2_status_at(n, &name), name));
}

static void test_status_names(void **state) {
  (void)state;
#define N(s) assert_string_equal(dfsc_ntstatus_name(s), #s)
  N(STATUS_SUCCESS);
  N(STATUS_PENDING);
  N(STATUS_MORE_PROCESSING_REQUIRED);
  N(STATUS_BUFFER_OVERFLOW);
  N(STATUS_NO_MORE_FILES);
  N(STATUS_END_OF_FILE);
  N(STATUS_LOGON_FAILURE);
  N(STATUS_ACCESS_DENIED);
  N(STATUS_OBJECT_NAME_NOT_FOUND);
  N(STATUS_OBJECT_PATH_NOT_FOUND);
  N(STATUS_OBJECT_NAME_COLLISION);
  N(STATUS_BAD_NETWORK_NAME);
  N(STATUS_PATH_NOT_COVERED);
  N(STATUS_NOT_FOUND);
  N(STATUS_FS_DRIVER_REQUIRED);
  N(STATUS_DIRECTORY_NOT_EMPTY);
  N(STATUS_NOT_A_DIRECTORY);
  N(STATUS_FILE_IS_A_DIRECTORY);
  N(STATUS_USER_SESSION_DELETED);
  N(STATUS_NETWORK_SESSION_EXPIRED);
  N(STATUS_NETWORK_NAME_DELETED);
  N(STATUS_INVALID_PARAMETER);
  N(STATUS_NOT_SUPPORTED);
  N(STATUS_SHARING_VIOLATION);
  N(STATUS_DELETE_PENDING);
  N(STATUS_CANCELLED);
  N(STATUS_INSUFFICIENT_RESOURCES);
  N(STATUS_IO_TIMEOUT);
  N(STATUS_NOTIFY_ENUM_DIR);
  N(STATUS_STOPPED_ON_SYMLINK);
  N(STATUS_INVALID_DEVICE_REQUEST);
  N(STATUS_ACCOUNT_DISABLED);
  N(STATUS_WRONG_PASSWORD);
  N(STATUS_PASSWORD_EXPIRED);
  N(STATUS_NO_SUCH_USER);
  N(STATUS_INVALID_HANDLE);
  N(STATUS_FILE_CLOSED);
  N(STATUS_DISK_FULL);
  N(STATUS_OBJECT_NAME_INVALID);
  N(STATUS_NETWORK_ACCESS_DENIED);
  N(STATUS_BAD_NETWORK_PATH);
  N(STATUS_REQUEST_NOT_ACCEPTED);
  N(STATUS_INVALID_SIGNATURE);
  N(STATUS_ACCESS_VIOLATION);
#undef N
  /* Spot values from [MS-ERREF] 2.3.1. */
  assert_int_equal(STATUS_PATH_NOT_COVERED, 0xC0000257u);
  assert_int_equal(STATUS_INVALID_SIGNATURE, 0xC000A000u);
  assert_int_equal(STATUS_MORE_PROCESSING_REQUIRED, 0xC0000016u);
  assert_int_equal(STATUS_NETWORK_SESSION_EXPIRED, 0xC000035Cu);
  assert_int_equal(STATUS_STOPPED_ON_SYMLINK, 0x8000002Du);
  assert_string_equal(dfsc_ntstatus_name(0xC0DE0001u), "0xC0DE0001");
  assert_string_equal(dfsc_ntstatus_name(0x00000042u), "0x00000042");
}

static void *name_in_thread(void *arg) {
  return (void *)dfsc_ntstatus_name(*(unsigned *)arg);
}

static void test_status_name_thread_local(void **state) {
  pthread_t t;
  unsigned other = 0xC0DE0002u;
  const char *mine, *theirs;
  void *ret;
  (void)state;

  mine = dfsc_ntstatus_name(0xC0DE0001u);
  assert_int_equal(pthread_create(&t, NULL, name_in_thread, &other), 0);
  assert_int_equal(pthread_join(t, &ret), 0);
  theirs = ret;
  assert_ptr_not_equal(mine, theirs);
  assert_string_equal(mine, "0xC0DE0001");
}

static void test_status_errno(void **state) {
  (void)state;
#define E(s, e) assert_int_equal(dfsc__smb2_status_to_errno(s), e)
  E(STATUS_SUCCESS, 0);
  E(STATUS_NOTIFY_ENUM_DIR, 0);
  E(STATUS_PENDING, -EINPROGRESS);
  E(STATUS_OBJECT_NAME_NOT_FOUND, -ENOENT);
  E(STATUS_OBJECT_PATH_NOT_FOUND, -ENOENT);
  E(STATUS_NO_SUCH_FILE, -ENOENT);
  E(STATUS_OBJECT_NAME_COLLISION, -EEXIST);
  E(STATUS_ACCESS_DENIED, -EACCES);
  E(STATUS_LOGON_FAILURE, -EACCES);
  E(STATUS_DIRECTORY_NOT_EMPTY, -ENOTEMPTY);
  E(STATUS_NOT_A_DIRECTORY, -ENOTDIR);
  E(STATUS_FILE_IS_A_DIRECTORY, -EISDIR);
  E(STATUS_SHARING_VIOLATION, -EBUSY);
  E(STATUS_DISK_FULL, -ENOSPC);
  E(STATUS_INVALID_PARAMETER, -EINVAL);
  E(STATUS_NOT_SUPPORTED, -EOPNOTSUPP);
  E(STATUS_CANCELLED, -ECANCELED);
  E(STATUS_IO_TIMEOUT, -ETIMEDOUT);
  E(STATUS_NAME_TOO_LONG, -ENAMETOOLONG);
  E(STATUS_PATH_NOT_COVERED, -EREMOTE);
  E(STATUS_USER_SESSION_DELETED, -ECONNRESET);
  E(STATUS_BUFFER_OVERFLOW, -EOVERFLOW);
  E(STATUS_UNSUCCESSFUL, -EIO);
  E(0xC0DE0001u, -EIO);
  E(0x80DE0001u, -EIO);
  E(0x40DE0001u, 0);
#undef E
  assert_int_equal(dfsc__nt_success(STATUS_SUCCESS), 1);
  assert_int_equal(dfsc__nt_success(STATUS_PENDING), 1);
  assert_int_equal(dfsc__nt_success(STATUS_OBJECT_NAME_EXISTS), 1);
  assert_int_equal(dfsc__nt_success(STATUS_BUFFER_OVERFLOW), 0);
  assert_int_equal(dfsc__nt_success(STATUS_ACCESS_DENIED), 0);
  assert_int_equal(dfsc__nt_severity(STATUS_OBJECT_NAME_EXISTS), DFSC_NT_SEV_INFORMATIONAL);
  assert_int_equal(dfsc__nt_warning(STATUS_NO_MORE_FILES), 1);
  assert_int_equal(dfsc__nt_error(STATUS_NO_MORE_FILES), 0);
  assert_int_equal(dfsc__nt_error(STATUS_LOGON_FAILURE), 1);
  assert_int_equal(dfsc__nt_information(STATUS_OBJECT_NAME_EXISTS), 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hdr_roundtrip),
      cmocka_unit_test(test_command_names),
      cmocka_unit_test(test_negotiate_req_bytes),
      cmocka_unit_test(test_negotiate_req_roundtrip),
      cmocka_unit_test(test_negotiate_req_hostile),
      cmocka_unit_test(test_negotiate_rsp_roundtrip),
      cmocka_unit_test(test_negotiate_rsp_hostile),
      cmocka_unit_test(test_session_setup),
      cmocka_unit_test(test_small_bodies),
      cmocka_unit_test(test_cancel_hdr),
      cmocka_unit_test(test_tree_connect),
      cmocka_unit_test(test_oplock_lease),
      cmocka_unit_test(test_error_plain),
      cmocka_unit_test(test_error_symlink),
      cmocka_unit_test(test_error_share_redirect),
      cmocka_unit_test(test_compound_build_split),
      cmocka_unit_test(test_compound_split_hostile),
      cmocka_unit_test(test_interim),
      cmocka_unit_test(test_status_table),
      cmocka_unit_test(test_status_names),
      cmocka_unit_test(test_status_name_thread_local),
      cmocka_unit_test(test_status_errno),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
