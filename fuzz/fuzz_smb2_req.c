/* libFuzzer target: every SMB2 request decoder in src/smb2/ (the side a
 * fake server uses) and the payload parsers that run over what they
 * return.
 *
 * Input: a selector byte, then one request PDU from its 64-byte header.
 * The selector (modulo the number of cases) picks: NEGOTIATE (with 3.1.1
 * contexts), SESSION_SETUP, TREE_CONNECT / TREE_DISCONNECT, CREATE (+ the
 * create-context iterator), CLOSE, FLUSH, READ, WRITE, IOCTL (+ the
 * VALIDATE_NEGOTIATE_INFO and REQ_GET_DFS_REFERRAL parsers), QUERY_DIRECTORY,
 * QUERY_INFO, SET_INFO (+ rename / disposition / end-of-file parsers),
 * OPLOCK_BREAK acknowledgements, the bodiless ECHO / LOGOFF / CANCEL, and
 * LOCK.
 * Invariants checked (abort on violation): every returned pointer lies with
 * its length inside the PDU; counts stay within their arrays; a decoded
 * request re-encodes with the matching encoder and decodes back to the same
 * values (LOCK: to the same bytes but for the Reserved fields).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/utf16.h"
#include "dfsc/errors.h"
#include "fuzz_common.h"
#include "smb2/cancel.h"
#include "smb2/close.h"
#include "smb2/create.h"
#include "smb2/echo.h"
#include "smb2/fileinfo.h"
#include "smb2/flush.h"
#include "smb2/ioctl.h"
#include "smb2/lock.h"
#include "smb2/logoff.h"
#include "smb2/negotiate.h"
#include "smb2/oplock.h"
#include "smb2/query_directory.h"
#include "smb2/query_info.h"
#include "smb2/read.h"
#include "smb2/session_setup.h"
#include "smb2/set_info.h"
#include "smb2/smb2.h"
#include "smb2/tree.h"
#include "smb2/write.h"

#define IN(p, n) CHECK(inside((p), (n), pdu, len))
#define RC(rc) CHECK((rc) == 0 || (rc) == DFSC_E_PROTO)
#define SAME_BYTES(p1, n1, p2, n2)                                                         \
  CHECK((n1) == (n2) && ((n1) == 0 || memcmp((p1), (p2), (n1)) == 0))
#define SAME_FID(a, b)                                                                     \
  CHECK((a).persistent == (b).persistent && (a).volatile_ == (b).volatile_)

#define OUTCAP (1u << 17)
static uint8_t out[OUTCAP];

static void out_begin(dfsc_wr *w, const uint8_t *pdu) {
  dfsc__wr_init(w, out, OUTCAP);
  dfsc__wr_bytes(w, pdu, SMB2_HDR_SIZE);
}

static void c_negotiate(const uint8_t *pdu, size_t len) {
  dfsc_smb2_negotiate_req r, r2;
  dfsc_wr w;
  int i, has311 = 0;
  int rc = dfsc__smb2_negotiate_req_decode(pdu, len, &r);
  RC(rc);
  if (rc != 0)
    return;
  CHECK(r.dialect_count <= DFSC_SMB2_NEG_MAX_DIALECTS);
  CHECK(r.hash_alg_count <= DFSC_SMB2_NEG_MAX_ALGS);
  CHECK(r.cipher_count <= DFSC_SMB2_NEG_MAX_ALGS);
  CHECK(r.signing_alg_count <= DFSC_SMB2_NEG_MAX_ALGS);
  CHECK(r.netname == NULL);
  IN(r.salt, r.salt_len);
  IN(r.netname_u16, r.netname_u16_len);
  for (i = 0; i < r.dialect_count; i++)
    has311 |= r.dialects[i] == SMB2_DIALECT_311;
  out_begin(&w, pdu);
  if (dfsc__smb2_negotiate_req_encode(&w, &r) != 0)
    return;
  CHECK(dfsc__smb2_negotiate_req_decode(out, w.off, &r2) == 0);
  CHECK(r.security_mode == r2.security_mode && r.capabilities == r2.capabilities &&
        memcmp(r.client_guid, r2.client_guid, 16) == 0 &&
        r.dialect_count == r2.dialect_count &&
        memcmp(r.dialects, r2.dialects, r.dialect_count * sizeof r.dialects[0]) == 0);
  if (has311) {
    if (r.hash_alg_count > 0) {
      CHECK(r.hash_alg_count == r2.hash_alg_count &&
            memcmp(r.hash_algs, r2.hash_algs, r.hash_alg_count * 2) == 0);
      SAME_BYTES(r.salt, r.salt_len, r2.salt, r2.salt_len);
    }
    CHECK(r.cipher_count == r2.cipher_count &&
          memcmp(r.ciphers, r2.ciphers, r.cipher_count * 2) == 0);
    CHECK(r.signing_alg_count == r2.signing_alg_count &&
          memcmp(r.signing_algs, r2.signing_algs, r.signing_alg_count * 2) == 0);
  }
}

static void c_session_setup(const uint8_t *pdu, size_t len) {
  dfsc_smb2_session_setup_req r, r2;
  dfsc_wr w;
  int rc = dfsc__smb2_session_setup_req_decode(pdu, len, &r);
  RC(rc);
  if (rc != 0)
    return;
  IN(r.security_buffer, r.security_buffer_len);
  out_begin(&w, pdu);
  if (dfsc__smb2_session_setup_req_encode(&w, &r) != 0)
    return;
  CHECK(dfsc__smb2_session_setup_req_decode(out, w.off, &r2) == 0);
  CHECK(r.flags == r2.flags && r.security_mode == r2.security_mode &&
        r.capabilities == r2.capabilities && r.channel == r2.channel &&
        r.previous_session_id == r2.previous_session_id);
  SAME_BYTES(r.security_buffer, r.security_buffer_len, r2.security_buffer,
             r2.security_buffer_len);
}

static void c_tree(const uint8_t *pdu, size_t len) {
  dfsc_smb2_tree_connect_req r, r2;
  dfsc_wr w;
  char *path = NULL;
  int rc = dfsc__smb2_tree_connect_req_decode(pdu, len, &r);
  RC(rc);
  RC(dfsc__smb2_tree_disconnect_req_decode(pdu, len));
  if (rc != 0)
    return;
  CHECK(r.path == NULL && r.server == NULL && r.share == NULL);
  CHECK((r.flags & SMB2_TREE_CONNECT_FLAG_EXTENSION_PRESENT) == 0);
  IN(r.path_u16, r.path_u16_len);
  if (r.path_u16_len == 0 ||
      dfsc__utf16_to_utf8_alloc(r.path_u16, r.path_u16_len, &path) != 0)
    return;
  r.path = path;
  r.path_len = strlen(path);
  out_begin(&w, pdu);
  /* A name with an embedded NUL cannot round-trip through a C string. */
  if (r.path_len > 0 && dfsc__smb2_tree_connect_req_encode(&w, &r) == 0 &&
      dfsc__utf8_to_utf16_len(path, r.path_len) == (long)r.path_u16_len) {
    CHECK(dfsc__smb2_tree_connect_req_decode(out, w.off, &r2) == 0);
    CHECK(r.flags == r2.flags);
    SAME_BYTES(r.path_u16, r.path_u16_len, r2.path_u16, r2.path_u16_len);
  }
  dfsc__free(path);
}

static void cc_walk(const uint8_t *buf, size_t blen) {
  dfsc_smb2_cc_iter it;
  dfsc_smb2_cc cc;
  size_t steps = 0;
  int rc;
  dfsc__smb2_cc_iter_init(&it, buf, blen);
  while ((rc = dfsc__smb2_cc_next(&it, &cc)) == 1) {
    CHECK(++steps <= blen / 16 + 1);
    CHECK(inside(cc.name, cc.name_len, buf, blen) && cc.name_len > 0);
    CHECK(inside(cc.data, cc.data_len, buf, blen));
  }
  /* The decoder promises an already validated chain. */
  CHECK(rc == 0);
}

static void c_create(const uint8_t *pdu, size_t len) {
  dfsc_smb2_create_req r, r2;
  dfsc_wr w;
  int rc = dfsc__smb2_create_req_decode(pdu, len, &r);
  RC(rc);
  if (rc != 0)
    return;
  IN(r.name16, r.name16_len);
  IN(r.cc_buf, r.cc_len);
  cc_walk(r.cc_buf, r.cc_len);
  r.name = NULL;
  r.ccs = NULL;
  r.n_ccs = 0;
  out_begin(&w, pdu);
  if (dfsc__smb2_create_req_encode(&w, &r) != 0)
    return;
  CHECK(dfsc__smb2_create_req_decode(out, w.off, &r2) == 0);
  CHECK(r.oplock_level == r2.oplock_level && r.impersonation == r2.impersonation &&
        r.desired_access == r2.desired_access && r.file_attributes == r2.file_attributes &&
        r.share_access == r2.share_access && r.disposition == r2.disposition &&
        r.options == r2.options);
  SAME_BYTES(r.name16, r.name16_len, r2.name16, r2.name16_len);
  SAME_BYTES(r.cc_buf, r.cc_len, r2.cc_buf, r2.cc_len);
}

static void c_close(const uint8_t *pdu, size_t len) {
  dfsc_smb2_close_req r, r2;
  dfsc_wr w;
  int rc = dfsc__smb2_close_req_decode(pdu, len, &r);
  RC(rc);
  if (rc != 0)
    return;
  out_begin(&w, pdu);
  CHECK(dfsc__smb2_close_req_encode(&w, &r) == 0);
  CHECK(dfsc__smb2_close_req_decode(out, w.off, &r2) == 0);
  CHECK(r.flags == r2.flags);
  SAME_FID(r.fid, r2.fid);
}

static void c_flush(const uint8_t *pdu, size_t len) {
  dfsc_smb2_flush_req r, r2;
  dfsc_wr w;
  int rc = dfsc__smb2_flush_req_decode(pdu, len, &r);
  RC(rc);
  if (rc != 0)
    return;
  out_begin(&w, pdu);
  CHECK(dfsc__smb2_flush_req_encode(&w, &r) == 0);
  CHECK(dfsc__smb2_flush_req_decode(out, w.off, &r2) == 0);
  SAME_FID(r.fid, r2.fid);
}

static void c_read(const uint8_t *pdu, size_t len) {
  dfsc_smb2_read_req r, r2;
  dfsc_wr w;
  int rc = dfsc__smb2_read_req_decode(pdu, len, &r);
  RC(rc);
  if (rc != 0)
    return;
  out_begin(&w, pdu);
  if (dfsc__smb2_read_req_encode(&w, &r) != 0)
    return;
  CHECK(dfsc__smb2_read_req_decode(out, w.off, &r2) == 0);
  CHECK(r.padding == r2.padding && r.flags == r2.flags && r.length == r2.length &&
        r.offset == r2.offset && r.minimum_count == r2.minimum_count &&
        r.channel == r2.channel && r.remaining_bytes == r2.remaining_bytes);
  SAME_FID(r.fid, r2.fid);
}

static void c_write(const uint8_t *pdu, size_t len) {
  dfsc_smb2_write_req r, r2;
  dfsc_wr w;
  int rc = dfsc__smb2_write_req_decode(pdu, len, &r);
  RC(rc);
  if (rc != 0)
    return;
  IN(r.data, r.data_len);
  out_begin(&w, pdu);
  if (dfsc__smb2_write_req_encode(&w, &r) != 0)
    return;
  CHECK(dfsc__smb2_write_req_decode(out, w.off, &r2) == 0);
  CHECK(r.offset == r2.offset && r.channel == r2.channel &&
        r.remaining_bytes == r2.remaining_bytes && r.flags == r2.flags);
  SAME_FID(r.fid, r2.fid);
  SAME_BYTES(r.data, r.data_len, r2.data, r2.data_len);
}

static void c_ioctl(const uint8_t *pdu, size_t len) {
  dfsc_smb2_ioctl_req r, r2;
  dfsc_smb2_vni_req v;
  const uint8_t *nm;
  size_t nl;
  uint16_t lvl;
  dfsc_wr w;
  int rc = dfsc__smb2_ioctl_req_decode(pdu, len, &r);
  RC(rc);
  if (rc != 0)
    return;
  IN(r.input, r.input_len);
  IN(r.output, r.output_len);
  rc = dfsc__smb2_vni_req_parse(r.input, r.input_len, &v);
  RC(rc);
  if (rc == 0)
    CHECK(inside(v.dialects_le, v.n_dialects * 2, r.input, r.input_len));
  rc = dfsc__smb2_dfs_referral_req_parse(r.input, r.input_len, &lvl, &nm, &nl);
  RC(rc);
  if (rc == 0) {
    /* The terminator follows the name, inside the buffer. */
    CHECK((nl & 1) == 0 && inside(nm, nl + 2, r.input, r.input_len));
    CHECK(nm[nl] == 0 && nm[nl + 1] == 0);
  }
  out_begin(&w, pdu);
  if (dfsc__smb2_ioctl_req_encode(&w, &r) != 0)
    return;
  CHECK(dfsc__smb2_ioctl_req_decode(out, w.off, &r2) == 0);
  CHECK(r.ctl_code == r2.ctl_code && r.max_input_response == r2.max_input_response &&
        r.max_output_response == r2.max_output_response && r.flags == r2.flags);
  SAME_FID(r.fid, r2.fid);
  SAME_BYTES(r.input, r.input_len, r2.input, r2.input_len);
  SAME_BYTES(r.output, r.output_len, r2.output, r2.output_len);
}

static void c_query_dir(const uint8_t *pdu, size_t len) {
  dfsc_smb2_query_dir_req r, r2;
  dfsc_wr w;
  int rc = dfsc__smb2_query_dir_req_decode(pdu, len, &r);
  RC(rc);
  if (rc != 0)
    return;
  IN(r.pattern16, r.pattern16_len);
  r.pattern = NULL;
  out_begin(&w, pdu);
  if (dfsc__smb2_query_dir_req_encode(&w, &r) != 0)
    return;
  CHECK(dfsc__smb2_query_dir_req_decode(out, w.off, &r2) == 0);
  CHECK(r.info_class == r2.info_class && r.flags == r2.flags &&
        r.file_index == r2.file_index && r.output_buffer_length == r2.output_buffer_length);
  SAME_FID(r.fid, r2.fid);
  SAME_BYTES(r.pattern16, r.pattern16_len, r2.pattern16, r2.pattern16_len);
}

static void c_query_info(const uint8_t *pdu, size_t len) {
  dfsc_smb2_query_info_req r, r2;
  dfsc_wr w;
  int rc = dfsc__smb2_query_info_req_decode(pdu, len, &r);
  RC(rc);
  if (rc != 0)
    return;
  IN(r.input, r.input_len);
  out_begin(&w, pdu);
  if (dfsc__smb2_query_info_req_encode(&w, &r) != 0)
    return;
  CHECK(dfsc__smb2_query_info_req_decode(out, w.off, &r2) == 0);
  CHECK(r.info_type == r2.info_type && r.info_class == r2.info_class &&
        r.output_buffer_length == r2.output_buffer_length &&
        r.additional_info == r2.additional_info && r.flags == r2.flags);
  SAME_FID(r.fid, r2.fid);
  SAME_BYTES(r.input, r.input_len, r2.input, r2.input_len);
}

static void c_set_info(const uint8_t *pdu, size_t len) {
  dfsc_smb2_set_info_req r, r2;
  const uint8_t *nm;
  size_t nl;
  int ri;
  uint64_t eof;
  dfsc_wr w;
  int rc = dfsc__smb2_set_info_req_decode(pdu, len, &r);
  RC(rc);
  if (rc != 0)
    return;
  IN(r.buf, r.len);
  rc = dfsc__smb2_fi_rename_parse(r.buf, r.len, &ri, &nm, &nl);
  RC(rc);
  if (rc == 0)
    CHECK(inside(nm, nl, r.buf, r.len) && nl > 0 && (nl & 1) == 0);
  RC(dfsc__smb2_fi_disposition_parse(r.buf, r.len, &ri));
  RC(dfsc__smb2_fi_eof_parse(r.buf, r.len, &eof));
  out_begin(&w, pdu);
  if (dfsc__smb2_set_info_req_encode(&w, &r) != 0)
    return;
  CHECK(dfsc__smb2_set_info_req_decode(out, w.off, &r2) == 0);
  CHECK(r.info_type == r2.info_type && r.info_class == r2.info_class &&
        r.additional_info == r2.additional_info);
  SAME_FID(r.fid, r2.fid);
  SAME_BYTES(r.buf, r.len, r2.buf, r2.len);
}

static void c_oplock_ack(const uint8_t *pdu, size_t len) {
  dfsc_smb2_oplock_break o;
  dfsc_smb2_lease_ack a;
  int kind = dfsc__smb2_oplock_break_kind(pdu, len);
  int ro = dfsc__smb2_oplock_break_decode(pdu, len, &o);
  int ra = dfsc__smb2_lease_ack_decode(pdu, len, &a);
  RC(ro);
  RC(ra);
  CHECK(!(ro == 0 && ra == 0));
  if (ro == 0)
    CHECK(kind == DFSC_SMB2_BREAK_OPLOCK);
  if (ra == 0)
    CHECK(kind == DFSC_SMB2_BREAK_LEASE_ACK);
}

static void c_bodiless(const uint8_t *pdu, size_t len) {
  RC(dfsc__smb2_echo_req_decode(pdu, len));
  RC(dfsc__smb2_logoff_req_decode(pdu, len));
  RC(dfsc__smb2_cancel_req_decode(pdu, len));
  RC(dfsc__smb2_tree_disconnect_req_decode(pdu, len));
}

static void c_lock(const uint8_t *pdu, size_t len) {
  dfsc_smb2_lock_req r, r2;
  dfsc_wr w;
  size_t body, i;
  int rc = dfsc__smb2_lock_req_decode(pdu, len, &r);
  RC(rc);
  if (rc != 0)
    return;
  CHECK(r.count >= 1 && r.count <= SMB2_LOCK_MAX_ELEMENTS);
  /* Every element LockCount claims was inside the PDU. */
  body = 24 + (size_t)r.count * SMB2_LOCK_ELEMENT_SIZE;
  CHECK(len >= SMB2_HDR_SIZE && len - SMB2_HDR_SIZE >= body);
  out_begin(&w, pdu);
  CHECK(dfsc__smb2_lock_req_encode(&w, &r) == 0);
  CHECK(w.off == SMB2_HDR_SIZE + body);
  CHECK(dfsc__smb2_lock_req_decode(out, w.off, &r2) == 0);
  CHECK(r.lock_sequence == r2.lock_sequence && r.count == r2.count);
  SAME_FID(r.fid, r2.fid);
  /* The same bytes as received, but for each element's Reserved. */
  CHECK(memcmp(out + SMB2_HDR_SIZE, pdu + SMB2_HDR_SIZE, 24) == 0);
  for (i = 0; i < r.count; i++) {
    size_t at = SMB2_HDR_SIZE + 24 + i * SMB2_LOCK_ELEMENT_SIZE;
    CHECK(r.locks[i].offset == r2.locks[i].offset &&
          r.locks[i].length == r2.locks[i].length && r.locks[i].flags == r2.locks[i].flags);
    CHECK(memcmp(out + at, pdu + at, 20) == 0);
  }
}

typedef void (*case_fn)(const uint8_t *p, size_t n);

static const case_fn cases[] = {
    c_negotiate,                                                          /* 0 */
    c_session_setup, c_tree,       c_create,   c_close,     c_flush,      /* 5 */
    c_read,          c_write,      c_ioctl,    c_query_dir, c_query_info, /* 10 */
    c_set_info,      c_oplock_ack, c_bodiless, c_lock,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  cases[data[0] % (sizeof cases / sizeof cases[0])](data + 1, size - 1);
  return 0;
}
