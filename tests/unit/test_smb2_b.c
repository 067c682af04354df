/* Unit tests for the SMB2 codec, part B: CREATE (+ create contexts), CLOSE,
 * FLUSH, READ, WRITE, QUERY_DIRECTORY (+ directory iterator), QUERY_INFO,
 * SET_INFO (+ fileinfo classes), IOCTL (+ validate negotiate, DFS referral
 * request). Round trips, byte-exact layouts, truncation at every length and
 * hostile offsets. Headers are 64 zero bytes written here, so these tests do
 * not depend on hdr.c.
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
#include "core/utf16.h"
#include "dfsc/errors.h"
#include "smb2/close.h"
#include "smb2/create.h"
#include "smb2/fileinfo.h"
#include "smb2/flush.h"
#include "smb2/ioctl.h"
#include "smb2/query_directory.h"
#include "smb2/query_info.h"
#include "smb2/read.h"
#include "smb2/set_info.h"
#include "smb2/write.h"

#define BUFCAP 4096

static uint8_t pdu[BUFCAP];
static uint8_t pdu2[BUFCAP];

/* A writer positioned after a zeroed 64-byte header. */
static void pdu_begin(dfsc_wr *w, uint8_t *buf) {
  memset(buf, 0xEE, BUFCAP);
  dfsc__wr_init(w, buf, BUFCAP);
  dfsc__wr_zero(w, SMB2_HDR_SIZE);
}

typedef int (*dec_fn)(const uint8_t *p, size_t n);

/* Full length decodes; every shorter prefix, copied into an exactly sized
 * heap block so ASan sees any over-read, is rejected with DFSC_E_PROTO. */
static void check_truncations(const uint8_t *p, size_t len, dec_fn dec) {
  size_t i;
  assert_int_equal(dec(p, len), 0);
  for (i = 0; i < len; i++) {
    uint8_t *c = test_malloc(i ? i : 1);
    memcpy(c, p, i);
    assert_int_equal(dec(c, i), DFSC_E_PROTO);
    test_free(c);
  }
}

/* Every writer capacity below the needed size gives DFSC_E_NOSPACE and never
 * writes past it. */
typedef int (*enc_fn)(dfsc_wr *w, const void *arg);
static void check_nospace(enc_fn enc, const void *arg, size_t needed) {
  size_t cap;
  for (cap = SMB2_HDR_SIZE; cap < needed; cap++) {
    uint8_t *b = test_malloc(cap);
    dfsc_wr w;
    dfsc__wr_init(&w, b, cap);
    dfsc__wr_zero(&w, SMB2_HDR_SIZE);
    assert_int_equal(enc(&w, arg), DFSC_E_NOSPACE);
    test_free(b);
  }
}

static size_t u16_of(const char *s, uint8_t *out, size_t cap) {
  dfsc_wr w;
  dfsc__wr_init(&w, out, cap);
  assert_int_equal(dfsc__utf8_to_utf16_wr(&w, s, strlen(s)), 0);
  return w.off;
}

/* ---------------- CREATE ---------------- */

static const uint8_t lease_key[16] = {1, 2,  3,  4,  5,  6,  7,  8,
                                      9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t parent_key[16] = {0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
                                       0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF};

static void two_ccs(dfsc_smb2_cc ccs[2], uint8_t lease_buf[SMB2_LEASE_V2_SIZE]) {
  dfsc_smb2_lease l;
  memset(&l, 0, sizeof(l));
  memcpy(l.key, lease_key, 16);
  memcpy(l.parent_key, parent_key, 16);
  l.state = SMB2_LEASE_READ_CACHING | SMB2_LEASE_HANDLE_CACHING;
  l.flags = SMB2_LEASE_FLAG_PARENT_LEASE_KEY_SET;
  l.epoch = 7;
  l.version = 2;
  dfsc__smb2_cc_mxac(&ccs[0]);
  assert_int_equal(dfsc__smb2_cc_lease(&ccs[1], lease_buf, &l), 0);
}

static void create_req_fill(dfsc_smb2_create_req *req, const char *name,
                            const dfsc_smb2_cc *ccs, size_t n) {
  memset(req, 0, sizeof(*req));
  req->oplock_level = SMB2_OPLOCK_LEVEL_LEASE;
  req->impersonation = SMB2_IMPERSONATION_IMPERSONATION;
  req->desired_access = SMB2_GENERIC_READ | SMB2_SYNCHRONIZE;
  req->file_attributes = SMB2_FILE_ATTRIBUTE_NORMAL;
  req->share_access = SMB2_FILE_SHARE_READ | SMB2_FILE_SHARE_WRITE;
  req->disposition = SMB2_FILE_OPEN_IF;
  req->options = SMB2_FILE_NON_DIRECTORY_FILE;
  req->name = name;
  req->name_len = strlen(name);
  req->ccs = ccs;
  req->n_ccs = n;
}

static void test_create_req_layout(void **state) {
  dfsc_smb2_cc ccs[2];
  uint8_t lease_buf[SMB2_LEASE_V2_SIZE];
  dfsc_smb2_create_req req;
  dfsc_wr w;
  const uint8_t *c1, *c2;
  size_t i;
  (void)state;

  two_ccs(ccs, lease_buf);
  create_req_fill(&req, "a\\b", ccs, 2);
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_create_req_encode(&w, &req), 0);
  /* 64 header + 56 fixed + 6 name + 2 pad + 24 (MxAc) + 76 (RqLs v2) */
  assert_int_equal(w.off, 228);
  assert_int_equal(dfsc__le16(pdu + 64), 57);
  assert_int_equal(pdu[67], SMB2_OPLOCK_LEVEL_LEASE);
  assert_int_equal(dfsc__le32(pdu + 68), 2);
  assert_int_equal(dfsc__le32(pdu + 88), SMB2_GENERIC_READ | SMB2_SYNCHRONIZE);
  assert_int_equal(dfsc__le32(pdu + 100), SMB2_FILE_OPEN_IF);
  assert_int_equal(dfsc__le32(pdu + 104), SMB2_FILE_NON_DIRECTORY_FILE);
  assert_int_equal(dfsc__le16(pdu + 108), 0x78);
  assert_int_equal(dfsc__le16(pdu + 110), 6);
  assert_int_equal(dfsc__le32(pdu + 112), 128);
  assert_int_equal(dfsc__le32(pdu + 116), 100);
  assert_memory_equal(pdu + 120, "a\0\\\0b\0", 6);
  assert_int_equal(pdu[126], 0);
  assert_int_equal(pdu[127], 0);
  c1 = pdu + 128;
  assert_int_equal(dfsc__le32(c1), 24);     /* Next */
  assert_int_equal(dfsc__le16(c1 + 4), 16); /* NameOffset */
  assert_int_equal(dfsc__le16(c1 + 6), 4);  /* NameLength */
  assert_int_equal(dfsc__le16(c1 + 8), 0);  /* Reserved */
  assert_int_equal(dfsc__le16(c1 + 10), 0); /* DataOffset */
  assert_int_equal(dfsc__le32(c1 + 12), 0); /* DataLength */
  assert_memory_equal(c1 + 16, "MxAc", 4);
  for (i = 20; i < 24; i++)
    assert_int_equal(c1[i], 0);
  c2 = pdu + 152;
  assert_int_equal(dfsc__le32(c2), 0);
  assert_int_equal(dfsc__le16(c2 + 4), 16);
  assert_int_equal(dfsc__le16(c2 + 6), 4);
  assert_int_equal(dfsc__le16(c2 + 10), 24);
  assert_int_equal(dfsc__le32(c2 + 12), 52);
  assert_memory_equal(c2 + 16, "RqLs", 4);
  for (i = 20; i < 24; i++)
    assert_int_equal(c2[i], 0);
  assert_memory_equal(c2 + 24, lease_key, 16);
  assert_int_equal(dfsc__le32(c2 + 40),
                   SMB2_LEASE_READ_CACHING | SMB2_LEASE_HANDLE_CACHING);
  assert_int_equal(dfsc__le32(c2 + 44), SMB2_LEASE_FLAG_PARENT_LEASE_KEY_SET);
  assert_int_equal(dfsc__le64(c2 + 48), 0);
  assert_memory_equal(c2 + 56, parent_key, 16);
  assert_int_equal(dfsc__le16(c2 + 72), 7);
  assert_int_equal(dfsc__le16(c2 + 74), 0);
}

static void test_create_req_empty_name(void **state) {
  dfsc_smb2_cc cc;
  dfsc_smb2_create_req req, dec;
  dfsc_wr w;
  (void)state;

  create_req_fill(&req, "", NULL, 0);
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_create_req_encode(&w, &req), 0);
  /* [MS-SMB2] 2.2.13: Buffer at least one byte. */
  assert_int_equal(w.off, 121);
  assert_int_equal(pdu[120], 0);
  assert_int_equal(dfsc__le16(pdu + 108), 0x78);
  assert_int_equal(dfsc__le16(pdu + 110), 0);
  assert_int_equal(dfsc__le32(pdu + 112), 0);
  assert_int_equal(dfsc__le32(pdu + 116), 0);
  assert_int_equal(dfsc__smb2_create_req_decode(pdu, w.off, &dec), 0);
  assert_int_equal(dec.name16_len, 0);
  assert_null(dec.name16);

  /* Empty name with a context: the contexts start right at the Buffer. */
  dfsc__smb2_cc_qfid(&cc);
  create_req_fill(&req, "", &cc, 1);
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_create_req_encode(&w, &req), 0);
  assert_int_equal(w.off, 120 + 20);
  assert_int_equal(dfsc__le32(pdu + 112), 120);
  assert_int_equal(dfsc__le32(pdu + 116), 20);
}

static void test_create_req_roundtrip(void **state) {
  dfsc_smb2_cc ccs[4], got;
  uint8_t lease_buf[SMB2_LEASE_V2_SIZE], dh2q_buf[SMB2_DH2Q_SIZE], guid[16];
  uint8_t want16[64];
  size_t want16_len;
  dfsc_smb2_create_req req, dec;
  dfsc_smb2_cc_iter it;
  dfsc_wr w, w2;
  const char *name = "dir\\f\xc3\xafle \xf0\x9d\x84\x9e.txt"; /* ï and U+1D11E */
  int n = 0;
  (void)state;

  two_ccs(ccs, lease_buf);
  memset(guid, 0x5A, 16);
  dfsc__smb2_cc_dh2q(&ccs[2], dh2q_buf, 60000, SMB2_DHANDLE_FLAG_PERSISTENT, guid);
  dfsc__smb2_cc_qfid(&ccs[3]);
  create_req_fill(&req, name, ccs, 4);
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_create_req_encode(&w, &req), 0);
  assert_int_equal(dfsc__smb2_create_req_decode(pdu, w.off, &dec), 0);
  assert_int_equal(dec.oplock_level, req.oplock_level);
  assert_int_equal(dec.impersonation, req.impersonation);
  assert_int_equal(dec.desired_access, req.desired_access);
  assert_int_equal(dec.file_attributes, req.file_attributes);
  assert_int_equal(dec.share_access, req.share_access);
  assert_int_equal(dec.disposition, req.disposition);
  assert_int_equal(dec.options, req.options);
  want16_len = u16_of(name, want16, sizeof(want16));
  assert_int_equal(dec.name16_len, want16_len);
  assert_memory_equal(dec.name16, want16, want16_len);

  dfsc__smb2_cc_iter_init(&it, dec.cc_buf, dec.cc_len);
  while (dfsc__smb2_cc_next(&it, &got) == 1) {
    assert_int_equal(got.name_len, ccs[n].name_len);
    assert_memory_equal(got.name, ccs[n].name, 4);
    assert_int_equal(got.data_len, ccs[n].data_len);
    if (got.data_len)
      assert_memory_equal(got.data, ccs[n].data, got.data_len);
    n++;
  }
  assert_int_equal(n, 4);
  assert_int_equal(dfsc__smb2_cc_find(dec.cc_buf, dec.cc_len, SMB2_CC_DH2Q, &got), 1);
  assert_int_equal(got.data_len, SMB2_DH2Q_SIZE);
  assert_int_equal(dfsc__le32(got.data), 60000);
  assert_int_equal(dfsc__smb2_cc_find(dec.cc_buf, dec.cc_len, "XXXX", &got), 0);

  /* Re-encoding the decoded form (raw UTF-16 name, raw chain) is identical. */
  pdu_begin(&w2, pdu2);
  assert_int_equal(dfsc__smb2_create_req_encode(&w2, &dec), 0);
  assert_int_equal(w2.off, w.off);
  assert_memory_equal(pdu2, pdu, w.off);

  /* Bad UTF-8 in the name. */
  create_req_fill(&req, "bad\xff", NULL, 0);
  pdu_begin(&w, pdu);
  assert_true(dfsc__smb2_create_req_encode(&w, &req) < 0);
}

static int dec_create_rsp(const uint8_t *p, size_t n) {
  dfsc_smb2_create_rsp r;
  return dfsc__smb2_create_rsp_decode(p, n, &r);
}

static int enc_create_req(dfsc_wr *w, const void *arg) {
  return dfsc__smb2_create_req_encode(w, arg);
}

static void test_create_rsp_roundtrip(void **state) {
  uint8_t mx[8], qf[32], ls[SMB2_LEASE_V1_SIZE], dh[8];
  dfsc_smb2_cc ccs[4], got;
  dfsc_smb2_create_rsp rsp, dec;
  dfsc_smb2_lease lease;
  uint32_t qs, ma, to, fl;
  uint8_t disk_id[32];
  dfsc_wr w;
  (void)state;

  dfsc__put_le32(mx, 0);
  dfsc__put_le32(mx + 4, 0x001F01FF);
  memset(qf, 0x33, sizeof(qf));
  memset(ls, 0, sizeof(ls));
  memcpy(ls, lease_key, 16);
  dfsc__put_le32(ls + 16, SMB2_LEASE_READ_CACHING);
  dfsc__put_le32(dh, 180000);
  dfsc__put_le32(dh + 4, 0);
  ccs[0] = (dfsc_smb2_cc){(const uint8_t *)"MxAc", 4, mx, 8};
  ccs[1] = (dfsc_smb2_cc){(const uint8_t *)"QFid", 4, qf, 32};
  ccs[2] = (dfsc_smb2_cc){(const uint8_t *)"RqLs", 4, ls, sizeof(ls)};
  ccs[3] = (dfsc_smb2_cc){(const uint8_t *)"DH2Q", 4, dh, 8};

  memset(&rsp, 0, sizeof(rsp));
  rsp.oplock_level = SMB2_OPLOCK_LEVEL_LEASE;
  rsp.flags = SMB2_CREATE_FLAG_REPARSEPOINT;
  rsp.create_action = SMB2_FILE_CREATED;
  rsp.info.creation_time = 0x01D0000000000001ull;
  rsp.info.last_access_time = 0x01D0000000000002ull;
  rsp.info.last_write_time = 0x01D0000000000003ull;
  rsp.info.change_time = 0x01D0000000000004ull;
  rsp.info.allocation_size = 1048576;
  rsp.info.end_of_file = 1000001;
  rsp.info.attributes = SMB2_FILE_ATTRIBUTE_ARCHIVE;
  rsp.fid.persistent = 0x1122334455667788ull;
  rsp.fid.volatile_ = 0x99AABBCCDDEEFF00ull;
  rsp.ccs = ccs;
  rsp.n_ccs = 4;
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_create_rsp_encode(&w, &rsp), 0);
  assert_int_equal(dfsc__le32(pdu + 64 + 80), SMB2_CREATE_RSP_BUFFER_OFF);
  assert_int_equal(dfsc__smb2_create_rsp_decode(pdu, w.off, &dec), 0);
  assert_int_equal(dec.oplock_level, rsp.oplock_level);
  assert_int_equal(dec.flags, rsp.flags);
  assert_int_equal(dec.create_action, rsp.create_action);
  assert_int_equal(dec.info.creation_time, rsp.info.creation_time);
  assert_int_equal(dec.info.last_access_time, rsp.info.last_access_time);
  assert_int_equal(dec.info.last_write_time, rsp.info.last_write_time);
  assert_int_equal(dec.info.change_time, rsp.info.change_time);
  assert_int_equal(dec.info.allocation_size, rsp.info.allocation_size);
  assert_int_equal(dec.info.end_of_file, rsp.info.end_of_file);
  assert_int_equal(dec.info.attributes, rsp.info.attributes);
  assert_int_equal(dec.fid.persistent, rsp.fid.persistent);
  assert_int_equal(dec.fid.volatile_, rsp.fid.volatile_);

  assert_int_equal(dfsc__smb2_cc_find(dec.cc_buf, dec.cc_len, SMB2_CC_MXAC, &got), 1);
  assert_int_equal(dfsc__smb2_cc_mxac_parse(&got, &qs, &ma), 0);
  assert_int_equal(qs, 0);
  assert_int_equal(ma, 0x001F01FF);
  assert_int_equal(dfsc__smb2_cc_find(dec.cc_buf, dec.cc_len, SMB2_CC_QFID, &got), 1);
  assert_int_equal(dfsc__smb2_cc_qfid_parse(&got, disk_id), 0);
  assert_memory_equal(disk_id, qf, 32);
  assert_int_equal(dfsc__smb2_cc_find(dec.cc_buf, dec.cc_len, SMB2_CC_RQLS, &got), 1);
  assert_int_equal(dfsc__smb2_cc_lease_parse(&got, &lease), 0);
  assert_int_equal(lease.version, 1);
  assert_memory_equal(lease.key, lease_key, 16);
  assert_int_equal(lease.state, SMB2_LEASE_READ_CACHING);
  assert_int_equal(dfsc__smb2_cc_find(dec.cc_buf, dec.cc_len, SMB2_CC_DH2Q, &got), 1);
  assert_int_equal(dfsc__smb2_cc_dh2q_parse(&got, &to, &fl), 0);
  assert_int_equal(to, 180000);
  assert_int_equal(fl, 0);
  /* Short context data is rejected by the parsers. */
  got.data_len = 7;
  assert_int_equal(dfsc__smb2_cc_dh2q_parse(&got, &to, &fl), DFSC_E_PROTO);
  assert_int_equal(dfsc__smb2_cc_mxac_parse(&got, &qs, &ma), DFSC_E_PROTO);
  assert_int_equal(dfsc__smb2_cc_lease_parse(&got, &lease), DFSC_E_PROTO);

  check_truncations(pdu, w.off, dec_create_rsp);

  /* Without contexts: exactly the 88 fixed bytes, offsets 0. */
  rsp.ccs = NULL;
  rsp.n_ccs = 0;
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_create_rsp_encode(&w, &rsp), 0);
  assert_int_equal(w.off, 152);
  assert_int_equal(dfsc__smb2_create_rsp_decode(pdu, w.off, &dec), 0);
  assert_int_equal(dec.cc_len, 0);
  assert_null(dec.cc_buf);
  check_truncations(pdu, w.off, dec_create_rsp);

  /* Context offset inside the fixed part, or the chain past the end. */
  pdu_begin(&w, pdu);
  rsp.ccs = ccs;
  rsp.n_ccs = 1;
  assert_int_equal(dfsc__smb2_create_rsp_encode(&w, &rsp), 0);
  dfsc__put_le32(pdu + 64 + 80, 144);
  assert_int_equal(dfsc__smb2_create_rsp_decode(pdu, w.off, &dec), DFSC_E_PROTO);
  dfsc__put_le32(pdu + 64 + 80, 152);
  dfsc__put_le32(pdu + 64 + 84, 0xFFFFFFF0u);
  assert_int_equal(dfsc__smb2_create_rsp_decode(pdu, w.off, &dec), DFSC_E_PROTO);
  /* Wrong StructureSize. */
  dfsc__put_le32(pdu + 64 + 84, 32);
  assert_int_equal(dfsc__smb2_create_rsp_decode(pdu, w.off, &dec), 0);
  dfsc__put_le16(pdu + 64, 88);
  assert_int_equal(dfsc__smb2_create_rsp_decode(pdu, w.off, &dec), DFSC_E_PROTO);
}

static void test_create_nospace(void **state) {
  dfsc_smb2_cc ccs[2];
  uint8_t lease_buf[SMB2_LEASE_V2_SIZE];
  dfsc_smb2_create_req req;
  (void)state;

  two_ccs(ccs, lease_buf);
  create_req_fill(&req, "a\\b", ccs, 2);
  check_nospace(enc_create_req, &req, 228);
}

/* Writes a context header at p. */
static void put_cc(uint8_t *p, uint32_t next, uint16_t name_off, uint16_t name_len,
                   uint16_t data_off, uint32_t data_len) {
  dfsc__put_le32(p, next);
  dfsc__put_le16(p + 4, name_off);
  dfsc__put_le16(p + 6, name_len);
  dfsc__put_le16(p + 8, 0);
  dfsc__put_le16(p + 10, data_off);
  dfsc__put_le32(p + 12, data_len);
}

/* Returns the number of contexts yielded before the end (rc 0) or an error
 * (rc DFSC_E_PROTO); *rc_out gets the final code. */
static int walk_cc(const uint8_t *b, size_t len, int *rc_out) {
  dfsc_smb2_cc_iter it;
  dfsc_smb2_cc cc;
  int rc, n = 0;
  dfsc__smb2_cc_iter_init(&it, b, len);
  while ((rc = dfsc__smb2_cc_next(&it, &cc)) == 1) {
    assert_true(cc.name >= b && cc.name + cc.name_len <= b + len);
    if (cc.data_len)
      assert_true(cc.data >= b && cc.data + cc.data_len <= b + len);
    n++;
    assert_true(n < 100);
  }
  *rc_out = rc;
  /* Once finished, the iterator stays finished. */
  assert_int_equal(dfsc__smb2_cc_next(&it, &cc), 0);
  return n;
}

static void test_cc_iter_hostile(void **state) {
  uint8_t b[64];
  int rc;
  (void)state;

  /* Baseline: two valid contexts. */
  memset(b, 0, sizeof(b));
  put_cc(b, 24, 16, 4, 0, 0);
  memcpy(b + 16, "MxAc", 4);
  put_cc(b + 24, 0, 16, 4, 24, 8);
  memcpy(b + 40, "DH2Q", 4);
  assert_int_equal(walk_cc(b, 56, &rc), 2);
  assert_int_equal(rc, 0);
  /* Empty chain. */
  assert_int_equal(walk_cc(b, 0, &rc), 0);
  assert_int_equal(rc, 0);
  /* Header truncated. */
  assert_int_equal(walk_cc(b, 10, &rc), 0);
  assert_int_equal(rc, DFSC_E_PROTO);
  /* Next into its own header (would loop or go back). */
  put_cc(b, 8, 16, 4, 0, 0);
  assert_int_equal(walk_cc(b, 56, &rc), 0);
  assert_int_equal(rc, DFSC_E_PROTO);
  /* Next not 8-aligned. */
  put_cc(b, 20, 16, 4, 0, 0);
  assert_int_equal(walk_cc(b, 56, &rc), 0);
  assert_int_equal(rc, DFSC_E_PROTO);
  /* Next beyond the end, exactly at the end, and wrapping values. */
  put_cc(b, 64, 16, 4, 0, 0);
  assert_int_equal(walk_cc(b, 56, &rc), 0);
  assert_int_equal(rc, DFSC_E_PROTO);
  put_cc(b, 56, 16, 4, 0, 0);
  assert_int_equal(walk_cc(b, 56, &rc), 0);
  assert_int_equal(rc, DFSC_E_PROTO);
  put_cc(b, 0xFFFFFFF8u, 16, 4, 0, 0);
  assert_int_equal(walk_cc(b, 56, &rc), 0);
  assert_int_equal(rc, DFSC_E_PROTO);
  /* Next too small for the name it carries. */
  put_cc(b, 16, 16, 4, 0, 0);
  assert_int_equal(walk_cc(b, 56, &rc), 0);
  assert_int_equal(rc, DFSC_E_PROTO);
  put_cc(b, 24, 16, 4, 0, 0);
  /* Second context: NameOffset beyond, inside the header, NameLength 0. */
  put_cc(b + 24, 0, 40, 4, 0, 0);
  assert_int_equal(walk_cc(b, 56, &rc), 1);
  assert_int_equal(rc, DFSC_E_PROTO);
  put_cc(b + 24, 0, 4, 4, 0, 0);
  assert_int_equal(walk_cc(b, 56, &rc), 1);
  assert_int_equal(rc, DFSC_E_PROTO);
  put_cc(b + 24, 0, 16, 0, 0, 0);
  assert_int_equal(walk_cc(b, 56, &rc), 1);
  assert_int_equal(rc, DFSC_E_PROTO);
  put_cc(b + 24, 0, 16, 0xFFFF, 0, 0);
  assert_int_equal(walk_cc(b, 56, &rc), 1);
  assert_int_equal(rc, DFSC_E_PROTO);
  /* DataOffset beyond, DataLength beyond, data overlapping the name. */
  put_cc(b + 24, 0, 16, 4, 40, 8);
  assert_int_equal(walk_cc(b, 56, &rc), 1);
  assert_int_equal(rc, DFSC_E_PROTO);
  put_cc(b + 24, 0, 16, 4, 24, 9);
  assert_int_equal(walk_cc(b, 56, &rc), 1);
  assert_int_equal(rc, DFSC_E_PROTO);
  put_cc(b + 24, 0, 16, 4, 24, 0xFFFFFFFFu);
  assert_int_equal(walk_cc(b, 56, &rc), 1);
  assert_int_equal(rc, DFSC_E_PROTO);
  put_cc(b + 24, 0, 16, 4, 18, 8);
  assert_int_equal(walk_cc(b, 56, &rc), 1);
  assert_int_equal(rc, DFSC_E_PROTO);
  /* First context's data reaching into the second. */
  put_cc(b + 24, 0, 16, 4, 24, 8);
  put_cc(b, 24, 16, 4, 16, 12);
  assert_int_equal(walk_cc(b, 56, &rc), 0);
  assert_int_equal(rc, DFSC_E_PROTO);
  /* The PDU decoder rejects a bad chain too. */
  {
    dfsc_smb2_create_rsp rsp, dec;
    dfsc_wr w;
    memset(&rsp, 0, sizeof(rsp));
    put_cc(b, 24, 16, 4, 0, 0);
    rsp.cc_buf = b;
    rsp.cc_len = 56;
    pdu_begin(&w, pdu);
    assert_int_equal(dfsc__smb2_create_rsp_encode(&w, &rsp), 0);
    assert_int_equal(dfsc__smb2_create_rsp_decode(pdu, w.off, &dec), 0);
    dfsc__put_le32(pdu + 152, 8);
    assert_int_equal(dfsc__smb2_create_rsp_decode(pdu, w.off, &dec), DFSC_E_PROTO);
  }
}

/* ---------------- CLOSE / FLUSH ---------------- */

static int dec_close_rsp(const uint8_t *p, size_t n) {
  dfsc_smb2_close_rsp r;
  return dfsc__smb2_close_rsp_decode(p, n, &r);
}

static int dec_flush_rsp(const uint8_t *p, size_t n) {
  return dfsc__smb2_flush_rsp_decode(p, n);
}

/* The durable reconnect contexts, byte for byte ([MS-SMB2] 2.2.13.2.3,
 * 2.2.13.2.4, 2.2.13.2.12), and a chain of them read back. */
static void test_cc_durable(void **state) {
  static const uint8_t guid[16] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                   0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
  dfsc_smb2_fid fid = {0x0102030405060708ull, 0x1112131415161718ull};
  uint8_t c2[SMB2_DH2C_SIZE], q1[SMB2_DHNQ_SIZE], c1[SMB2_DHNC_SIZE], zero[16];
  uint8_t chain[256];
  dfsc_smb2_cc ccs[3], got;
  dfsc_wr w;
  (void)state;
  memset(zero, 0, sizeof(zero));
  memset(q1, 0xEE, sizeof(q1));
  dfsc__smb2_cc_dh2c(&ccs[0], c2, &fid, guid, 0x2);
  assert_int_equal(ccs[0].data_len, 36);
  assert_memory_equal(ccs[0].name, "DH2C", 4);
  assert_int_equal(dfsc__le64(c2), fid.persistent);
  assert_int_equal(dfsc__le64(c2 + 8), fid.volatile_);
  assert_memory_equal(c2 + 16, guid, 16);
  assert_int_equal(dfsc__le32(c2 + 32), 0x2);
  dfsc__smb2_cc_dhnq(&ccs[1], q1);
  assert_int_equal(ccs[1].data_len, 16);
  assert_memory_equal(ccs[1].name, "DHnQ", 4);
  assert_memory_equal(q1, zero, 16); /* reserved: all zero */
  dfsc__smb2_cc_dhnc(&ccs[2], c1, &fid);
  assert_int_equal(ccs[2].data_len, 16);
  assert_memory_equal(ccs[2].name, "DHnC", 4);
  assert_int_equal(dfsc__le64(c1), fid.persistent);
  assert_int_equal(dfsc__le64(c1 + 8), fid.volatile_);
  dfsc__wr_init(&w, chain, sizeof(chain));
  assert_int_equal(dfsc__smb2_cc_encode(&w, ccs, 3), 0);
  assert_int_equal(dfsc__smb2_cc_find(chain, w.off, SMB2_CC_DH2C, &got), 1);
  assert_int_equal(got.data_len, 36);
  assert_memory_equal(got.data, c2, 36);
  assert_int_equal(dfsc__smb2_cc_find(chain, w.off, SMB2_CC_DHNC, &got), 1);
  assert_memory_equal(got.data, c1, 16);
  assert_int_equal(dfsc__smb2_cc_find(chain, w.off, SMB2_CC_DHNQ, &got), 1);
  assert_int_equal(got.data_len, 16);
}

static void test_close_flush(void **state) {
  dfsc_smb2_close_req creq, cdec;
  dfsc_smb2_close_rsp crsp, crdec;
  dfsc_smb2_flush_req freq, fdec;
  dfsc_wr w;
  (void)state;

  creq.flags = SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB;
  creq.fid.persistent = 5;
  creq.fid.volatile_ = 0xFFFFFFFF00000001ull;
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_close_req_encode(&w, &creq), 0);
  assert_int_equal(w.off, 88);
  assert_int_equal(dfsc__le16(pdu + 64), 24);
  assert_int_equal(dfsc__le16(pdu + 66), 1);
  assert_int_equal(dfsc__le64(pdu + 72), 5);
  assert_int_equal(dfsc__smb2_close_req_decode(pdu, w.off, &cdec), 0);
  assert_int_equal(cdec.flags, creq.flags);
  assert_int_equal(cdec.fid.persistent, creq.fid.persistent);
  assert_int_equal(cdec.fid.volatile_, creq.fid.volatile_);
  assert_int_equal(dfsc__smb2_close_req_decode(pdu, w.off - 1, &cdec), DFSC_E_PROTO);

  memset(&crsp, 0, sizeof(crsp));
  crsp.flags = SMB2_CLOSE_FLAG_POSTQUERY_ATTRIB;
  crsp.info.creation_time = 11;
  crsp.info.last_access_time = 12;
  crsp.info.last_write_time = 13;
  crsp.info.change_time = 14;
  crsp.info.allocation_size = 4096;
  crsp.info.end_of_file = 17;
  crsp.info.attributes = SMB2_FILE_ATTRIBUTE_DIRECTORY;
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_close_rsp_encode(&w, &crsp), 0);
  assert_int_equal(w.off, 124);
  assert_int_equal(dfsc__smb2_close_rsp_decode(pdu, w.off, &crdec), 0);
  assert_int_equal(crdec.flags, crsp.flags);
  assert_int_equal(crdec.info.creation_time, 11);
  assert_int_equal(crdec.info.last_access_time, 12);
  assert_int_equal(crdec.info.last_write_time, 13);
  assert_int_equal(crdec.info.change_time, 14);
  assert_int_equal(crdec.info.allocation_size, 4096);
  assert_int_equal(crdec.info.end_of_file, 17);
  assert_int_equal(crdec.info.attributes, SMB2_FILE_ATTRIBUTE_DIRECTORY);
  check_truncations(pdu, w.off, dec_close_rsp);

  freq.fid.persistent = 77;
  freq.fid.volatile_ = 78;
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_flush_req_encode(&w, &freq), 0);
  assert_int_equal(w.off, 88);
  assert_int_equal(dfsc__smb2_flush_req_decode(pdu, w.off, &fdec), 0);
  assert_int_equal(fdec.fid.persistent, 77);
  assert_int_equal(fdec.fid.volatile_, 78);
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_flush_rsp_encode(&w), 0);
  assert_int_equal(w.off, 68);
  check_truncations(pdu, w.off, dec_flush_rsp);
}

/* ---------------- READ ---------------- */

static int dec_read_rsp(const uint8_t *p, size_t n) {
  dfsc_smb2_read_rsp r;
  return dfsc__smb2_read_rsp_decode(p, n, &r);
}

static void test_read(void **state) {
  dfsc_smb2_read_req req, dec;
  dfsc_smb2_read_rsp rsp, rdec;
  uint8_t data[300];
  size_t off, len, i;
  dfsc_wr w;
  (void)state;

  memset(&req, 0, sizeof(req));
  req.padding = SMB2_READ_DATA_OFFSET;
  req.flags = SMB2_READFLAG_READ_UNBUFFERED;
  req.length = 65536;
  req.offset = 0x100000000ull;
  req.fid.persistent = 0x0102030405060708ull;
  req.fid.volatile_ = 0x1112131415161718ull;
  req.minimum_count = 1;
  req.remaining_bytes = 3;
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_read_req_encode(&w, &req), 0);
  assert_int_equal(w.off, 64 + 49);
  {
    static const uint8_t want[49] = {
        49,   0,    0x50, 0x01, 0x00, 0x00, 0x01, 0x00, /* ssize pad flags len */
        0,    0,    0,    0,    1,    0,    0,    0,    /* offset */
        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* persistent */
        0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11, /* volatile */
        1,    0,    0,    0,    0,    0,    0,    0,    /* min count, channel */
        3,    0,    0,    0,    0,    0,    0,    0,    /* remaining, chinfo */
        0};
    assert_memory_equal(pdu + 64, want, sizeof(want));
  }
  assert_int_equal(dfsc__smb2_read_req_decode(pdu, w.off, &dec), 0);
  assert_int_equal(dec.padding, req.padding);
  assert_int_equal(dec.flags, req.flags);
  assert_int_equal(dec.length, req.length);
  assert_int_equal(dec.offset, req.offset);
  assert_int_equal(dec.fid.persistent, req.fid.persistent);
  assert_int_equal(dec.fid.volatile_, req.fid.volatile_);
  assert_int_equal(dec.minimum_count, req.minimum_count);
  assert_int_equal(dec.remaining_bytes, req.remaining_bytes);

  for (i = 0; i < sizeof(data); i++)
    data[i] = (uint8_t)(i * 7);
  memset(&rsp, 0, sizeof(rsp));
  rsp.data = data;
  rsp.data_len = sizeof(data);
  rsp.data_remaining = 9;
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_read_rsp_encode(&w, &rsp), 0);
  assert_int_equal(w.off, 80 + sizeof(data));
  {
    static const uint8_t want[16] = {17, 0, 0x50, 0, 0x2C, 0x01, 0, 0,
                                     9,  0, 0,    0, 0,    0,    0, 0};
    assert_memory_equal(pdu + 64, want, sizeof(want));
  }
  assert_int_equal(dfsc__smb2_read_rsp_peek(pdu, 80, &off, &len), 0);
  assert_int_equal(off, 80);
  assert_int_equal(len, sizeof(data));
  assert_int_equal(dfsc__smb2_read_rsp_peek(pdu, 79, &off, &len), DFSC_E_PROTO);
  assert_int_equal(dfsc__smb2_read_rsp_decode(pdu, w.off, &rdec), 0);
  assert_int_equal(rdec.data_offset, 0x50);
  assert_int_equal(rdec.data_remaining, 9);
  assert_int_equal(rdec.data_len, sizeof(data));
  assert_ptr_equal(rdec.data, pdu + 80);
  assert_memory_equal(rdec.data, data, sizeof(data));
  check_truncations(pdu, w.off, dec_read_rsp);

  /* DataOffset inside the fixed part, or pointing past the end. */
  pdu[66] = 0x48;
  assert_int_equal(dfsc__smb2_read_rsp_peek(pdu, 80, &off, &len), DFSC_E_PROTO);
  assert_int_equal(dfsc__smb2_read_rsp_decode(pdu, w.off, &rdec), DFSC_E_PROTO);
  pdu[66] = 0x58;
  assert_int_equal(dfsc__smb2_read_rsp_peek(pdu, 80, &off, &len), 0);
  assert_int_equal(dfsc__smb2_read_rsp_decode(pdu, w.off, &rdec), DFSC_E_PROTO);
  pdu[66] = 0x50;
  pdu[64] = 16;
  assert_int_equal(dfsc__smb2_read_rsp_peek(pdu, 80, &off, &len), DFSC_E_PROTO);

  /* No data: 80 bytes exactly. */
  rsp.data = NULL;
  rsp.data_len = 0;
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_read_rsp_encode(&w, &rsp), 0);
  assert_int_equal(w.off, 80);
  assert_int_equal(dfsc__smb2_read_rsp_decode(pdu, w.off, &rdec), 0);
  assert_int_equal(rdec.data_len, 0);
  assert_null(rdec.data);
  check_truncations(pdu, w.off, dec_read_rsp);
}

/* ---------------- WRITE ---------------- */

static int dec_write_rsp(const uint8_t *p, size_t n) {
  dfsc_smb2_write_rsp r;
  return dfsc__smb2_write_rsp_decode(p, n, &r);
}

static void test_write(void **state) {
  static const uint8_t want_fixed[48] = {
      49,   0,    0x70, 0, 0x05, 0, 0, 0,  /* ssize, DataOffset, Length */
      0x00, 0x10, 0,    0, 0,    0, 0, 0,  /* Offset 4096 */
      0xAA, 0,    0,    0, 0,    0, 0, 0,  /* persistent */
      0xBB, 0,    0,    0, 0,    0, 0, 0,  /* volatile */
      0,    0,    0,    0, 0,    0, 0, 0,  /* Channel, RemainingBytes */
      0,    0,    0,    0, 0x01, 0, 0, 0}; /* chinfo, Flags */
  dfsc_smb2_write_req req, dec;
  dfsc_smb2_write_rsp rsp, rdec;
  dfsc_wr w;
  (void)state;

  memset(&req, 0, sizeof(req));
  req.offset = 4096;
  req.fid.persistent = 0xAA;
  req.fid.volatile_ = 0xBB;
  req.flags = SMB2_WRITEFLAG_WRITE_THROUGH;
  req.data = (const uint8_t *)"hello";
  req.data_len = 5;

  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_write_req_encode_hdr(&w, &req), 0);
  assert_int_equal(w.off, SMB2_WRITE_DATA_OFFSET);
  assert_memory_equal(pdu + 64, want_fixed, 48);
  assert_int_equal(pdu[SMB2_WRITE_DATA_OFFSET], 0xEE); /* nothing written past */

  pdu_begin(&w, pdu2);
  assert_int_equal(dfsc__smb2_write_req_encode(&w, &req), 0);
  assert_int_equal(w.off, SMB2_WRITE_DATA_OFFSET + 5);
  assert_memory_equal(pdu2 + 64, want_fixed, 48);
  assert_memory_equal(pdu2 + SMB2_WRITE_DATA_OFFSET, "hello", 5);
  assert_int_equal(dfsc__smb2_write_req_decode(pdu2, w.off, &dec), 0);
  assert_int_equal(dec.offset, 4096);
  assert_int_equal(dec.fid.persistent, 0xAA);
  assert_int_equal(dec.fid.volatile_, 0xBB);
  assert_int_equal(dec.flags, SMB2_WRITEFLAG_WRITE_THROUGH);
  assert_int_equal(dec.data_len, 5);
  assert_memory_equal(dec.data, "hello", 5);
  /* Data running past the PDU, or starting inside the fixed part. */
  assert_int_equal(dfsc__smb2_write_req_decode(pdu2, w.off - 1, &dec), DFSC_E_PROTO);
  dfsc__put_le16(pdu2 + 66, 0x68);
  assert_int_equal(dfsc__smb2_write_req_decode(pdu2, w.off, &dec), DFSC_E_PROTO);

  /* Zero-length write still has a one-byte Buffer. */
  req.data = NULL;
  req.data_len = 0;
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_write_req_encode(&w, &req), 0);
  assert_int_equal(w.off, SMB2_WRITE_DATA_OFFSET + 1);
  assert_int_equal(dfsc__le32(pdu + 68), 0);
  assert_int_equal(dfsc__smb2_write_req_decode(pdu, w.off, &dec), 0);
  assert_int_equal(dec.data_len, 0);

  rsp.count = 5;
  rsp.remaining = 0;
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_write_rsp_encode(&w, &rsp), 0);
  assert_int_equal(w.off, 80);
  assert_int_equal(dfsc__le16(pdu + 64), 17);
  assert_int_equal(dfsc__le32(pdu + 68), 5);
  assert_int_equal(dfsc__smb2_write_rsp_decode(pdu, w.off, &rdec), 0);
  assert_int_equal(rdec.count, 5);
  assert_int_equal(rdec.remaining, 0);
  check_truncations(pdu, w.off, dec_write_rsp);
}

/* ---------------- QUERY_DIRECTORY ---------------- */

/* Hand-built FILE_ID_BOTH_DIR_INFORMATION entry at b+off ([MS-FSCC] 2.4.17);
 * returns its unpadded size. */
static size_t put_idboth(uint8_t *b, size_t off, uint32_t next, uint64_t eof,
                         uint32_t attrs, uint64_t file_id, const char *name,
                         const char *short_name) {
  uint8_t *e = b + off;
  size_t n, sn = 0;
  memset(e, 0, 104);
  dfsc__put_le32(e, next);
  dfsc__put_le32(e + 4, 0);
  dfsc__put_le64(e + 8, 100 + eof);
  dfsc__put_le64(e + 16, 200 + eof);
  dfsc__put_le64(e + 24, 300 + eof);
  dfsc__put_le64(e + 32, 400 + eof);
  dfsc__put_le64(e + 40, eof);
  dfsc__put_le64(e + 48, (eof + 4095) & ~4095ull);
  dfsc__put_le32(e + 56, attrs);
  dfsc__put_le32(e + 64, 0);
  if (short_name)
    sn = u16_of(short_name, e + 70, 24);
  e[68] = (uint8_t)sn;
  dfsc__put_le64(e + 96, file_id);
  n = u16_of(name, e + 104, 256);
  dfsc__put_le32(e + 60, (uint32_t)n);
  return 104 + n;
}

static const char *const dir_names[3] = {
    ".", "r\xc3\xa9sum\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac.doc", "LONGFILENAME.TXT"};

/* Three entries, 8-aligned, the last with NextEntryOffset 0. Returns len. */
static size_t build_dir3(uint8_t *b) {
  size_t off = 0, n;
  memset(b, 0, 1024);
  n = put_idboth(b, off, 0, 0, SMB2_FILE_ATTRIBUTE_DIRECTORY, 1, dir_names[0], NULL);
  dfsc__put_le32(b + off, (uint32_t)((n + 7) & ~(size_t)7));
  off += (n + 7) & ~(size_t)7;
  n = put_idboth(b, off, 0, 12345, SMB2_FILE_ATTRIBUTE_ARCHIVE, 2, dir_names[1],
                 "RSUM~1.DOC");
  dfsc__put_le32(b + off, (uint32_t)((n + 7) & ~(size_t)7));
  off += (n + 7) & ~(size_t)7;
  n = put_idboth(b, off, 0, 1ull << 40, SMB2_FILE_ATTRIBUTE_READONLY, 3, dir_names[2],
                 NULL);
  return off + n;
}

static int walk_dir(uint8_t cls, const uint8_t *b, size_t len, int *rc_out) {
  dfsc_smb2_dir_iter it;
  dfsc_smb2_dirent e;
  int rc, n = 0;
  assert_int_equal(dfsc__smb2_dir_iter_init(&it, cls, b, len), 0);
  while ((rc = dfsc__smb2_dir_next(&it, &e)) == 1) {
    if (e.name_len)
      assert_true(e.name >= b && e.name + e.name_len <= b + len);
    n++;
    assert_true(n < 1000);
  }
  *rc_out = rc;
  assert_int_equal(dfsc__smb2_dir_next(&it, &e), 0);
  return n;
}

static void test_dir_iter(void **state) {
  uint8_t b[1024], enc[1024];
  uint8_t want[256];
  char name8[256];
  dfsc_smb2_dir_iter it;
  dfsc_smb2_dirent e[3];
  size_t len, wl, prev = SIZE_MAX;
  dfsc_wr w;
  int i, rc;
  (void)state;

  len = build_dir3(b);
  assert_int_equal(
      dfsc__smb2_dir_iter_init(&it, FILE_ID_BOTH_DIRECTORY_INFORMATION, b, len), 0);
  for (i = 0; i < 3; i++)
    assert_int_equal(dfsc__smb2_dir_next(&it, &e[i]), 1);
  assert_int_equal(dfsc__smb2_dir_next(&it, &e[0]), 0);
  it.off = 0;
  it.done = 0;
  for (i = 0; i < 3; i++) {
    assert_int_equal(dfsc__smb2_dir_next(&it, &e[i]), 1);
    wl = u16_of(dir_names[i], want, sizeof(want));
    assert_int_equal(e[i].name_len, wl);
    assert_memory_equal(e[i].name, want, wl);
    assert_int_equal(dfsc__utf16_to_utf8(e[i].name, e[i].name_len, name8, sizeof(name8)),
                     (long)strlen(dir_names[i]));
    assert_string_equal(name8, dir_names[i]);
    assert_int_equal(e[i].has_file_id, 1);
    assert_int_equal(e[i].file_id, (uint64_t)(i + 1));
  }
  assert_int_equal(e[0].info.attributes, SMB2_FILE_ATTRIBUTE_DIRECTORY);
  assert_int_equal(e[1].info.end_of_file, 12345);
  assert_int_equal(e[1].info.allocation_size, 16384);
  assert_int_equal(e[1].info.creation_time, 12445);
  assert_int_equal(e[1].info.change_time, 12745);
  assert_int_equal(e[1].short_name_len, 20);
  wl = u16_of("RSUM~1.DOC", want, sizeof(want));
  assert_memory_equal(e[1].short_name, want, wl);
  assert_null(e[0].short_name);
  assert_int_equal(e[2].info.end_of_file, 1ull << 40);
  assert_int_equal(e[2].info.attributes, SMB2_FILE_ATTRIBUTE_READONLY);

  /* The encoder produces the same bytes as the hand-built buffer. */
  dfsc__wr_init(&w, enc, sizeof(enc));
  for (i = 0; i < 3; i++)
    assert_int_equal(
        dfsc__smb2_dirent_encode(&w, FILE_ID_BOTH_DIRECTORY_INFORMATION, &e[i], &prev), 0);
  assert_int_equal(w.off, len);
  assert_memory_equal(enc, b, len);

  /* Every other class round-trips through the encoder and iterator. */
  {
    static const uint8_t classes[4] = {
        FILE_DIRECTORY_INFORMATION, FILE_FULL_DIRECTORY_INFORMATION,
        FILE_BOTH_DIRECTORY_INFORMATION, FILE_ID_FULL_DIRECTORY_INFORMATION};
    size_t k;
    for (k = 0; k < 4; k++) {
      dfsc_smb2_dirent g;
      prev = SIZE_MAX;
      dfsc__wr_init(&w, enc, sizeof(enc));
      for (i = 0; i < 3; i++)
        assert_int_equal(dfsc__smb2_dirent_encode(&w, classes[k], &e[i], &prev), 0);
      assert_int_equal(dfsc__smb2_dir_iter_init(&it, classes[k], enc, w.off), 0);
      for (i = 0; i < 3; i++) {
        assert_int_equal(dfsc__smb2_dir_next(&it, &g), 1);
        assert_int_equal(g.name_len, e[i].name_len);
        assert_memory_equal(g.name, e[i].name, g.name_len);
        assert_int_equal(g.info.end_of_file, e[i].info.end_of_file);
        assert_int_equal(g.info.allocation_size, e[i].info.allocation_size);
        assert_int_equal(g.info.last_write_time, e[i].info.last_write_time);
        assert_int_equal(g.has_file_id, classes[k] == FILE_ID_FULL_DIRECTORY_INFORMATION);
        assert_int_equal(
            g.file_id, classes[k] == FILE_ID_FULL_DIRECTORY_INFORMATION ? e[i].file_id : 0);
        assert_int_equal(g.short_name_len, classes[k] == FILE_BOTH_DIRECTORY_INFORMATION
                                               ? e[i].short_name_len
                                               : 0);
      }
      assert_int_equal(dfsc__smb2_dir_next(&it, &g), 0);
    }
  }
  assert_int_equal(dfsc__smb2_dir_iter_init(&it, FILE_NAMES_INFORMATION, b, len), -EINVAL);
  assert_int_equal(walk_dir(FILE_ID_BOTH_DIRECTORY_INFORMATION, b, 0, &rc), 0);
  assert_int_equal(rc, 0);
  /* Trailing alignment padding after the last entry is accepted. */
  assert_int_equal(
      walk_dir(FILE_ID_BOTH_DIRECTORY_INFORMATION, b, (len + 7) & ~(size_t)7, &rc), 3);
  assert_int_equal(rc, 0);
}

static void test_dir_iter_hostile(void **state) {
  uint8_t b[1024];
  size_t len;
  uint32_t next0, next1;
  int rc;
  (void)state;

  len = build_dir3(b);
  next0 = dfsc__le32(b);
  next1 = dfsc__le32(b + next0);
  assert_int_equal(walk_dir(FILE_ID_BOTH_DIRECTORY_INFORMATION, b, len, &rc), 3);
  assert_int_equal(rc, 0);

  /* A shorter buffer never yields three entries, and fails unless it ends
   * where an entry's next one would start (its NextEntryOffset then points
   * at the end, as impacket's last entries do: taken as the last). */
  {
    size_t i;
    for (i = 0; i < len; i++) {
      uint8_t *c = test_malloc(i ? i : 1);
      int n;
      memcpy(c, b, i);
      n = walk_dir(FILE_ID_BOTH_DIRECTORY_INFORMATION, c, i, &rc);
      assert_true(n < 3);
      if (i > 0 && rc == 0)
        assert_true((i <= next0 && i + 8 > next0) ||
                    (i <= next0 + next1 && i + 8 > next0 + next1));
      else if (i > 0)
        assert_int_equal(rc, DFSC_E_PROTO);
      test_free(c);
    }
  }
  /* NextEntryOffset pointing backwards into the same entry. */
  dfsc__put_le32(b + next0, 8);
  assert_int_equal(walk_dir(FILE_ID_BOTH_DIRECTORY_INFORMATION, b, len, &rc), 1);
  assert_int_equal(rc, DFSC_E_PROTO);
  /* Backwards by wrap-around (a 32-bit -next0). */
  dfsc__put_le32(b + next0, (uint32_t)(0u - next0));
  assert_int_equal(walk_dir(FILE_ID_BOTH_DIRECTORY_INFORMATION, b, len, &rc), 1);
  assert_int_equal(rc, DFSC_E_PROTO);
  /* Beyond the end; exactly at the end; unaligned. */
  dfsc__put_le32(b + next0, 4096);
  assert_int_equal(walk_dir(FILE_ID_BOTH_DIRECTORY_INFORMATION, b, len, &rc), 1);
  assert_int_equal(rc, DFSC_E_PROTO);
  dfsc__put_le32(b + next0, (uint32_t)(len - next0));
  assert_int_equal(walk_dir(FILE_ID_BOTH_DIRECTORY_INFORMATION, b, len, &rc), 1);
  assert_int_equal(rc, DFSC_E_PROTO);
  dfsc__put_le32(b + next0, next1 + 4);
  assert_int_equal(walk_dir(FILE_ID_BOTH_DIRECTORY_INFORMATION, b, len, &rc), 1);
  assert_int_equal(rc, DFSC_E_PROTO);
  dfsc__put_le32(b + next0, next1);
  /* The last entry's NextEntryOffset at the end of the buffer, or within
   * its alignment padding (impacket 0.10), instead of 0: it is the last,
   * and all three come out. */
  {
    size_t last = next0 + next1;
    dfsc__put_le32(b + last, (uint32_t)(len - last));
    assert_int_equal(walk_dir(FILE_ID_BOTH_DIRECTORY_INFORMATION, b, len, &rc), 3);
    assert_int_equal(rc, 0);
    dfsc__put_le32(b + last, (uint32_t)(((len - last) + 7) & ~(size_t)7));
    assert_int_equal(walk_dir(FILE_ID_BOTH_DIRECTORY_INFORMATION, b, len, &rc), 3);
    assert_int_equal(rc, 0);
    dfsc__put_le32(b + last, (uint32_t)(len - last + 8)); /* past the padding */
    assert_int_equal(walk_dir(FILE_ID_BOTH_DIRECTORY_INFORMATION, b, len, &rc), 2);
    assert_int_equal(rc, DFSC_E_PROTO);
    dfsc__put_le32(b + last, 0);
  }
  /* Zero with more data following: entries would be lost silently. */
  dfsc__put_le32(b, 0);
  assert_int_equal(walk_dir(FILE_ID_BOTH_DIRECTORY_INFORMATION, b, len, &rc), 0);
  assert_int_equal(rc, DFSC_E_PROTO);
  dfsc__put_le32(b, next0);
  /* FileNameLength beyond the end of the last entry, beyond its own entry,
   * odd, or huge. */
  len = build_dir3(b);
  dfsc__put_le32(b + next0 + next1 + 60, dfsc__le32(b + next0 + next1 + 60) + 2);
  assert_int_equal(walk_dir(FILE_ID_BOTH_DIRECTORY_INFORMATION, b, len, &rc), 2);
  assert_int_equal(rc, DFSC_E_PROTO);
  len = build_dir3(b);
  dfsc__put_le32(b + 60, next0 - 104 + 2);
  assert_int_equal(walk_dir(FILE_ID_BOTH_DIRECTORY_INFORMATION, b, len, &rc), 0);
  assert_int_equal(rc, DFSC_E_PROTO);
  dfsc__put_le32(b + 60, 1);
  assert_int_equal(walk_dir(FILE_ID_BOTH_DIRECTORY_INFORMATION, b, len, &rc), 0);
  assert_int_equal(rc, DFSC_E_PROTO);
  dfsc__put_le32(b + 60, 0xFFFFFFFEu);
  assert_int_equal(walk_dir(FILE_ID_BOTH_DIRECTORY_INFORMATION, b, len, &rc), 0);
  assert_int_equal(rc, DFSC_E_PROTO);
  /* ShortNameLength past its 24-byte field. */
  len = build_dir3(b);
  b[next0 + 68] = 26;
  assert_int_equal(walk_dir(FILE_ID_BOTH_DIRECTORY_INFORMATION, b, len, &rc), 1);
  assert_int_equal(rc, DFSC_E_PROTO);
  /* An entry shorter than the class's fixed part. */
  assert_int_equal(walk_dir(FILE_ID_BOTH_DIRECTORY_INFORMATION, b, 103, &rc), 0);
  assert_int_equal(rc, DFSC_E_PROTO);
}

static int dec_qdir_rsp(const uint8_t *p, size_t n) {
  dfsc_smb2_query_dir_rsp r;
  return dfsc__smb2_query_dir_rsp_decode(p, n, &r);
}

static void test_query_dir(void **state) {
  dfsc_smb2_query_dir_req req, dec;
  dfsc_smb2_query_dir_rsp rsp, rdec;
  uint8_t b[1024];
  dfsc_wr w, w2;
  size_t len;
  (void)state;

  memset(&req, 0, sizeof(req));
  req.info_class = FILE_ID_BOTH_DIRECTORY_INFORMATION;
  req.flags = SMB2_RESTART_SCANS | SMB2_REOPEN;
  req.file_index = 0;
  req.fid.persistent = 3;
  req.fid.volatile_ = 4;
  req.pattern = "*";
  req.pattern_len = 1;
  req.output_buffer_length = 65536;
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_query_dir_req_encode(&w, &req), 0);
  assert_int_equal(w.off, 98);
  assert_int_equal(dfsc__le16(pdu + 64), 33);
  assert_int_equal(pdu[66], FILE_ID_BOTH_DIRECTORY_INFORMATION);
  assert_int_equal(pdu[67], SMB2_RESTART_SCANS | SMB2_REOPEN);
  assert_int_equal(dfsc__le16(pdu + 88), 96);
  assert_int_equal(dfsc__le16(pdu + 90), 2);
  assert_int_equal(dfsc__le32(pdu + 92), 65536);
  assert_memory_equal(pdu + 96, "*\0", 2);
  assert_int_equal(dfsc__smb2_query_dir_req_decode(pdu, w.off, &dec), 0);
  assert_int_equal(dec.info_class, req.info_class);
  assert_int_equal(dec.flags, req.flags);
  assert_int_equal(dec.fid.persistent, 3);
  assert_int_equal(dec.fid.volatile_, 4);
  assert_int_equal(dec.output_buffer_length, 65536);
  assert_int_equal(dec.pattern16_len, 2);
  pdu_begin(&w2, pdu2);
  assert_int_equal(dfsc__smb2_query_dir_req_encode(&w2, &dec), 0);
  assert_int_equal(w2.off, w.off);
  assert_memory_equal(pdu2, pdu, w.off);
  /* Pattern outside the PDU. */
  dfsc__put_le16(pdu + 90, 4);
  assert_int_equal(dfsc__smb2_query_dir_req_decode(pdu, w.off, &dec), DFSC_E_PROTO);

  len = build_dir3(b);
  rsp.buf = b;
  rsp.len = len;
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_query_dir_rsp_encode(&w, &rsp), 0);
  assert_int_equal(w.off, 72 + len);
  assert_int_equal(dfsc__le16(pdu + 66), 72);
  assert_int_equal(dfsc__smb2_query_dir_rsp_decode(pdu, w.off, &rdec), 0);
  assert_int_equal(rdec.len, len);
  assert_ptr_equal(rdec.buf, pdu + 72);
  check_truncations(pdu, w.off, dec_qdir_rsp);
  /* OutputBufferOffset into the fixed part. */
  dfsc__put_le16(pdu + 66, 70);
  assert_int_equal(dfsc__smb2_query_dir_rsp_decode(pdu, w.off, &rdec), DFSC_E_PROTO);
}

/* ---------------- QUERY_INFO / fileinfo ---------------- */

static int dec_qinfo_rsp(const uint8_t *p, size_t n) {
  dfsc_smb2_query_info_rsp r;
  return dfsc__smb2_query_info_rsp_decode(p, n, &r);
}

static void test_query_info(void **state) {
  dfsc_smb2_query_info_req req, dec;
  dfsc_smb2_query_info_rsp rsp, rdec;
  uint8_t b[512];
  dfsc_wr w, bw;
  (void)state;

  memset(&req, 0, sizeof(req));
  req.info_type = SMB2_0_INFO_FILE;
  req.info_class = FILE_ALL_INFORMATION;
  req.output_buffer_length = 4096;
  req.additional_info = 0;
  req.flags = 0;
  req.fid.persistent = 9;
  req.fid.volatile_ = 10;
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_query_info_req_encode(&w, &req), 0);
  assert_int_equal(w.off, 64 + 41);
  assert_int_equal(dfsc__le16(pdu + 64), 41);
  assert_int_equal(pdu[66], SMB2_0_INFO_FILE);
  assert_int_equal(pdu[67], FILE_ALL_INFORMATION);
  assert_int_equal(dfsc__le32(pdu + 68), 4096);
  assert_int_equal(dfsc__le64(pdu + 88), 9);
  assert_int_equal(dfsc__smb2_query_info_req_decode(pdu, w.off, &dec), 0);
  assert_int_equal(dec.info_type, req.info_type);
  assert_int_equal(dec.info_class, req.info_class);
  assert_int_equal(dec.output_buffer_length, 4096);
  assert_int_equal(dec.fid.persistent, 9);
  assert_int_equal(dec.fid.volatile_, 10);
  assert_int_equal(dec.input_len, 0);

  req.info_type = SMB2_0_INFO_SECURITY;
  req.additional_info = SMB2_OWNER_SECURITY_INFORMATION | SMB2_DACL_SECURITY_INFORMATION;
  req.input = (const uint8_t *)"abc";
  req.input_len = 3;
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_query_info_req_encode(&w, &req), 0);
  assert_int_equal(dfsc__le16(pdu + 72), 104);
  assert_int_equal(dfsc__smb2_query_info_req_decode(pdu, w.off, &dec), 0);
  assert_int_equal(dec.additional_info, req.additional_info);
  assert_int_equal(dec.input_len, 3);
  assert_memory_equal(dec.input, "abc", 3);

  /* A FileAllInformation answer, round-tripped through the PDU. */
  {
    dfsc_smb2_fi_all all, got;
    uint8_t name16[64];
    memset(&all, 0, sizeof(all));
    all.basic.creation_time = 1;
    all.basic.last_access_time = 2;
    all.basic.last_write_time = 3;
    all.basic.change_time = 4;
    all.basic.attributes = SMB2_FILE_ATTRIBUTE_ARCHIVE;
    all.standard.allocation_size = 8192;
    all.standard.end_of_file = 5000;
    all.standard.number_of_links = 1;
    all.standard.delete_pending = 0;
    all.standard.directory = 0;
    all.index_number = 0xABCDEF;
    all.ea_size = 0;
    all.access_flags = 0x0012019F;
    all.current_byte_offset = 0;
    all.mode = 0;
    all.alignment_requirement = 0;
    all.name_len = u16_of("\\dir\\f\xc3\xbc.txt", name16, sizeof(name16));
    all.name = name16;
    dfsc__wr_init(&bw, b, sizeof(b));
    assert_int_equal(dfsc__smb2_fi_all_build(&bw, &all), 0);
    assert_int_equal(bw.off, SMB2_FI_ALL_FIXED_SIZE + all.name_len);
    rsp.buf = b;
    rsp.len = bw.off;
    pdu_begin(&w, pdu);
    assert_int_equal(dfsc__smb2_query_info_rsp_encode(&w, &rsp), 0);
    assert_int_equal(dfsc__smb2_query_info_rsp_decode(pdu, w.off, &rdec), 0);
    assert_int_equal(rdec.len, bw.off);
    check_truncations(pdu, w.off, dec_qinfo_rsp);
    assert_int_equal(dfsc__smb2_fi_all_parse(rdec.buf, rdec.len, &got), 0);
    assert_int_equal(got.basic.creation_time, 1);
    assert_int_equal(got.basic.change_time, 4);
    assert_int_equal(got.basic.attributes, SMB2_FILE_ATTRIBUTE_ARCHIVE);
    assert_int_equal(got.standard.allocation_size, 8192);
    assert_int_equal(got.standard.end_of_file, 5000);
    assert_int_equal(got.standard.number_of_links, 1);
    assert_int_equal(got.index_number, 0xABCDEF);
    assert_int_equal(got.access_flags, 0x0012019F);
    assert_int_equal(got.name_len, all.name_len);
    assert_memory_equal(got.name, name16, all.name_len);
    /* Every truncation of the fixed part (100 bytes) fails; one inside
     * the name, which dfsc never reads, leaves the name out and keeps the
     * attributes. */
    {
      size_t i;
      for (i = 0; i < rdec.len; i++) {
        uint8_t *c = test_malloc(i ? i : 1);
        memcpy(c, rdec.buf, i);
        if (i < 100) {
          assert_int_equal(dfsc__smb2_fi_all_parse(c, i, &got), DFSC_E_PROTO);
        } else {
          assert_int_equal(dfsc__smb2_fi_all_parse(c, i, &got), 0);
          assert_int_equal(got.name_len, 0);
          assert_null(got.name);
          assert_int_equal(got.standard.end_of_file, 5000);
        }
        test_free(c);
      }
    }
    /* A FileNameLength too big, or odd (impacket 0.10): the name is left
     * out, the attributes stay. */
    dfsc__put_le32(b + 96, 0xFFFFFFF0u);
    assert_int_equal(dfsc__smb2_fi_all_parse(b, bw.off, &got), 0);
    assert_int_equal(got.name_len, 0);
    assert_int_equal(got.standard.end_of_file, 5000);
    dfsc__put_le32(b + 96, 3);
    assert_int_equal(dfsc__smb2_fi_all_parse(b, bw.off, &got), 0);
    assert_int_equal(got.name_len, 0);
    assert_int_equal(got.index_number, 0xABCDEF);
  }
  /* Empty output buffer answer. */
  rsp.buf = NULL;
  rsp.len = 0;
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_query_info_rsp_encode(&w, &rsp), 0);
  assert_int_equal(w.off, 72);
  check_truncations(pdu, w.off, dec_qinfo_rsp);
}

static void test_fileinfo_classes(void **state) {
  uint8_t b[128];
  dfsc_wr w;
  size_t i;
  (void)state;

  {
    dfsc_smb2_fi_basic in = {10, 20, 30, 40, SMB2_FILE_ATTRIBUTE_HIDDEN}, out;
    dfsc__wr_init(&w, b, sizeof(b));
    assert_int_equal(dfsc__smb2_fi_basic_build(&w, &in), 0);
    assert_int_equal(w.off, SMB2_FI_BASIC_SIZE);
    assert_int_equal(dfsc__smb2_fi_basic_parse(b, w.off, &out), 0);
    assert_int_equal(out.creation_time, 10);
    assert_int_equal(out.last_access_time, 20);
    assert_int_equal(out.last_write_time, 30);
    assert_int_equal(out.change_time, 40);
    assert_int_equal(out.attributes, SMB2_FILE_ATTRIBUTE_HIDDEN);
    for (i = 0; i < w.off; i++)
      assert_int_equal(dfsc__smb2_fi_basic_parse(b, i, &out), DFSC_E_PROTO);
  }
  {
    dfsc_smb2_fi_standard in = {4096, 100, 2, 1, 1}, out;
    dfsc__wr_init(&w, b, sizeof(b));
    assert_int_equal(dfsc__smb2_fi_standard_build(&w, &in), 0);
    assert_int_equal(w.off, SMB2_FI_STANDARD_SIZE);
    assert_int_equal(dfsc__smb2_fi_standard_parse(b, w.off, &out), 0);
    assert_int_equal(out.allocation_size, 4096);
    assert_int_equal(out.end_of_file, 100);
    assert_int_equal(out.number_of_links, 2);
    assert_int_equal(out.delete_pending, 1);
    assert_int_equal(out.directory, 1);
    assert_int_equal(b[20], 1);
    assert_int_equal(b[21], 1);
    for (i = 0; i < w.off; i++)
      assert_int_equal(dfsc__smb2_fi_standard_parse(b, i, &out), DFSC_E_PROTO);
  }
  {
    uint64_t idx = 0;
    dfsc__wr_init(&w, b, sizeof(b));
    assert_int_equal(dfsc__smb2_fi_internal_build(&w, 0x123456789ull), 0);
    assert_int_equal(dfsc__smb2_fi_internal_parse(b, 8, &idx), 0);
    assert_int_equal(idx, 0x123456789ull);
    assert_int_equal(dfsc__smb2_fi_internal_parse(b, 7, &idx), DFSC_E_PROTO);
  }
  {
    dfsc_smb2_netopen in = {1, 2, 3, 4, 8192, 8000, SMB2_FILE_ATTRIBUTE_ARCHIVE}, out;
    dfsc__wr_init(&w, b, sizeof(b));
    assert_int_equal(dfsc__smb2_fi_network_open_build(&w, &in), 0);
    assert_int_equal(w.off, SMB2_FI_NETWORK_OPEN_SIZE);
    /* [MS-FSCC] 2.4.34: AllocationSize precedes EndOfFile. */
    assert_int_equal(dfsc__le64(b + 32), 8192);
    assert_int_equal(dfsc__le64(b + 40), 8000);
    assert_int_equal(dfsc__smb2_fi_network_open_parse(b, w.off, &out), 0);
    assert_int_equal(out.creation_time, 1);
    assert_int_equal(out.change_time, 4);
    assert_int_equal(out.allocation_size, 8192);
    assert_int_equal(out.end_of_file, 8000);
    assert_int_equal(out.attributes, SMB2_FILE_ATTRIBUTE_ARCHIVE);
    for (i = 0; i < w.off; i++)
      assert_int_equal(dfsc__smb2_fi_network_open_parse(b, i, &out), DFSC_E_PROTO);
  }
  {
    dfsc_smb2_fs_size in = {1000000, 250000, 999, 8, 512}, out;
    dfsc__wr_init(&w, b, sizeof(b));
    assert_int_equal(dfsc__smb2_fs_size_build(&w, &in), 0);
    assert_int_equal(w.off, SMB2_FS_SIZE_SIZE);
    assert_int_equal(dfsc__smb2_fs_size_parse(b, w.off, &out), 0);
    assert_int_equal(out.total_units, 1000000);
    assert_int_equal(out.caller_available_units, 250000);
    assert_int_equal(out.actual_available_units, 250000);
    assert_int_equal(out.sectors_per_unit, 8);
    assert_int_equal(out.bytes_per_sector, 512);
    for (i = 0; i < w.off; i++)
      assert_int_equal(dfsc__smb2_fs_size_parse(b, i, &out), DFSC_E_PROTO);
    dfsc__wr_init(&w, b, sizeof(b));
    assert_int_equal(dfsc__smb2_fs_full_size_build(&w, &in), 0);
    assert_int_equal(w.off, SMB2_FS_FULL_SIZE_SIZE);
    assert_int_equal(dfsc__smb2_fs_full_size_parse(b, w.off, &out), 0);
    assert_int_equal(out.total_units, 1000000);
    assert_int_equal(out.caller_available_units, 250000);
    assert_int_equal(out.actual_available_units, 999);
    assert_int_equal(out.sectors_per_unit, 8);
    assert_int_equal(out.bytes_per_sector, 512);
    for (i = 0; i < w.off; i++)
      assert_int_equal(dfsc__smb2_fs_full_size_parse(b, i, &out), DFSC_E_PROTO);
  }
}

/* ---------------- SET_INFO ---------------- */

static int dec_set_info_rsp(const uint8_t *p, size_t n) {
  return dfsc__smb2_set_info_rsp_decode(p, n);
}

static void test_set_info(void **state) {
  uint8_t b[256];
  dfsc_smb2_set_info_req req, dec;
  const uint8_t *n16;
  size_t n16_len;
  int flag;
  uint64_t eof;
  dfsc_wr w, bw;
  (void)state;

  /* Rename: byte-exact FILE_RENAME_INFORMATION_TYPE_2. */
  dfsc__wr_init(&bw, b, sizeof(b));
  assert_int_equal(dfsc__smb2_fi_rename_build(&bw, 1, "d\\n\xc3\xa9w", 6), 0);
  {
    static const uint8_t want[30] = {1,   0, 0,    0, 0,   0, 0,    0, 0,   0,
                                     0,   0, 0,    0, 0,   0, 10,   0, 0,   0,
                                     'd', 0, '\\', 0, 'n', 0, 0xE9, 0, 'w', 0};
    assert_int_equal(bw.off, sizeof(want));
    assert_memory_equal(b, want, sizeof(want));
  }
  assert_int_equal(dfsc__smb2_fi_rename_parse(b, bw.off, &flag, &n16, &n16_len), 0);
  assert_int_equal(flag, 1);
  assert_int_equal(n16_len, 10);
  assert_ptr_equal(n16, b + 20);
  assert_int_equal(dfsc__smb2_fi_rename_parse(b, bw.off - 1, &flag, &n16, &n16_len),
                   DFSC_E_PROTO);
  /* A one-character name is padded to the 24-byte structure size. */
  dfsc__wr_init(&bw, b, sizeof(b));
  assert_int_equal(dfsc__smb2_fi_rename_build(&bw, 0, "x", 1), 0);
  assert_int_equal(bw.off, SMB2_FI_RENAME_MIN_SIZE);
  assert_int_equal(dfsc__le32(b + 16), 2);
  assert_int_equal(b[0], 0);
  dfsc__wr_init(&bw, b, sizeof(b));
  assert_int_equal(dfsc__smb2_fi_rename_build(&bw, 0, "", 0), -EINVAL);
  assert_int_equal(dfsc__smb2_fi_rename_build(&bw, 0, "\xc3", 1), -EILSEQ);

  dfsc__wr_init(&bw, b, sizeof(b));
  assert_int_equal(dfsc__smb2_fi_disposition_build(&bw, 1), 0);
  assert_int_equal(bw.off, 1);
  assert_int_equal(dfsc__smb2_fi_disposition_parse(b, 1, &flag), 0);
  assert_int_equal(flag, 1);
  assert_int_equal(dfsc__smb2_fi_disposition_parse(b, 0, &flag), DFSC_E_PROTO);
  dfsc__wr_init(&bw, b, sizeof(b));
  assert_int_equal(dfsc__smb2_fi_eof_build(&bw, 1ull << 33), 0);
  assert_int_equal(bw.off, 8);
  assert_int_equal(dfsc__smb2_fi_eof_parse(b, 8, &eof), 0);
  assert_int_equal(eof, 1ull << 33);
  assert_int_equal(dfsc__smb2_fi_eof_parse(b, 7, &eof), DFSC_E_PROTO);

  memset(&req, 0, sizeof(req));
  req.info_type = SMB2_0_INFO_FILE;
  req.info_class = FILE_END_OF_FILE_INFORMATION;
  req.fid.persistent = 1;
  req.fid.volatile_ = 2;
  req.buf = b;
  req.len = 8;
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_set_info_req_encode(&w, &req), 0);
  assert_int_equal(w.off, 96 + 8);
  assert_int_equal(dfsc__le16(pdu + 64), 33);
  assert_int_equal(pdu[66], SMB2_0_INFO_FILE);
  assert_int_equal(pdu[67], FILE_END_OF_FILE_INFORMATION);
  assert_int_equal(dfsc__le32(pdu + 68), 8);
  assert_int_equal(dfsc__le16(pdu + 72), 96);
  assert_int_equal(dfsc__smb2_set_info_req_decode(pdu, w.off, &dec), 0);
  assert_int_equal(dec.info_type, req.info_type);
  assert_int_equal(dec.info_class, req.info_class);
  assert_int_equal(dec.fid.persistent, 1);
  assert_int_equal(dec.fid.volatile_, 2);
  assert_int_equal(dec.len, 8);
  assert_memory_equal(dec.buf, b, 8);
  assert_int_equal(dfsc__smb2_set_info_req_decode(pdu, w.off - 1, &dec), DFSC_E_PROTO);
  dfsc__put_le16(pdu + 72, 90);
  assert_int_equal(dfsc__smb2_set_info_req_decode(pdu, w.off, &dec), DFSC_E_PROTO);

  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_set_info_rsp_encode(&w), 0);
  assert_int_equal(w.off, 66);
  check_truncations(pdu, w.off, dec_set_info_rsp);
}

/* ---------------- IOCTL ---------------- */

static int dec_ioctl_rsp(const uint8_t *p, size_t n) {
  dfsc_smb2_ioctl_rsp r;
  return dfsc__smb2_ioctl_rsp_decode(p, n, &r);
}

static void test_ioctl(void **state) {
  static const uint16_t dialects[4] = {SMB2_DIALECT_202, SMB2_DIALECT_210, SMB2_DIALECT_300,
                                       SMB2_DIALECT_302};
  uint8_t guid[16], in[128], out[64];
  dfsc_smb2_ioctl_req req, dec;
  dfsc_smb2_ioctl_rsp rsp, rdec;
  dfsc_smb2_vni_req vreq;
  dfsc_smb2_vni_rsp vrsp, vgot;
  dfsc_wr w, bw;
  size_t i;
  (void)state;

  memset(guid, 0x42, sizeof(guid));
  dfsc__wr_init(&bw, in, sizeof(in));
  assert_int_equal(dfsc__smb2_vni_req_build(&bw, SMB2_GLOBAL_CAP_DFS, guid,
                                            SMB2_NEGOTIATE_SIGNING_ENABLED, dialects, 4),
                   0);
  assert_int_equal(bw.off, 24 + 8);
  assert_int_equal(dfsc__smb2_vni_req_parse(in, bw.off, &vreq), 0);
  assert_int_equal(vreq.capabilities, SMB2_GLOBAL_CAP_DFS);
  assert_memory_equal(vreq.guid, guid, 16);
  assert_int_equal(vreq.security_mode, SMB2_NEGOTIATE_SIGNING_ENABLED);
  assert_int_equal(vreq.n_dialects, 4);
  for (i = 0; i < 4; i++)
    assert_int_equal(dfsc__le16(vreq.dialects_le + 2 * i), dialects[i]);
  assert_int_equal(dfsc__smb2_vni_req_parse(in, bw.off - 1, &vreq), DFSC_E_PROTO);

  memset(&req, 0, sizeof(req));
  req.ctl_code = SMB2_FSCTL_VALIDATE_NEGOTIATE_INFO;
  req.fid.persistent = UINT64_MAX;
  req.fid.volatile_ = UINT64_MAX;
  req.input = in;
  req.input_len = bw.off;
  req.max_output_response = 24;
  req.flags = SMB2_0_IOCTL_IS_FSCTL;
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_ioctl_req_encode(&w, &req), 0);
  assert_int_equal(w.off, 0x78 + 32);
  assert_int_equal(dfsc__le16(pdu + 64), 57);
  assert_int_equal(dfsc__le32(pdu + 68), SMB2_FSCTL_VALIDATE_NEGOTIATE_INFO);
  assert_int_equal(dfsc__le32(pdu + 88), 0x78);
  assert_int_equal(dfsc__le32(pdu + 92), 32);
  assert_int_equal(dfsc__le32(pdu + 96), 0);
  assert_int_equal(dfsc__le32(pdu + 100), 0);
  assert_int_equal(dfsc__le32(pdu + 104), 0);
  assert_int_equal(dfsc__le32(pdu + 108), 24);
  assert_int_equal(dfsc__le32(pdu + 112), SMB2_0_IOCTL_IS_FSCTL);
  assert_int_equal(dfsc__smb2_ioctl_req_decode(pdu, w.off, &dec), 0);
  assert_int_equal(dec.ctl_code, req.ctl_code);
  assert_int_equal(dec.fid.persistent, UINT64_MAX);
  assert_int_equal(dec.fid.volatile_, UINT64_MAX);
  assert_int_equal(dec.input_len, 32);
  assert_memory_equal(dec.input, in, 32);
  assert_int_equal(dec.output_len, 0);
  assert_int_equal(dec.max_output_response, 24);
  assert_int_equal(dec.flags, SMB2_0_IOCTL_IS_FSCTL);

  /* Request with both buffers; output lands 8-aligned after input. */
  req.output = (const uint8_t *)"OUT";
  req.output_len = 3;
  req.input_len = 5;
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_ioctl_req_encode(&w, &req), 0);
  assert_int_equal(dfsc__le32(pdu + 100), 0x80);
  assert_int_equal(dfsc__smb2_ioctl_req_decode(pdu, w.off, &dec), 0);
  assert_int_equal(dec.output_len, 3);
  assert_memory_equal(dec.output, "OUT", 3);
  assert_int_equal(dec.input_len, 5);

  /* Response: VALIDATE_NEGOTIATE_INFO output. */
  vrsp.capabilities = SMB2_GLOBAL_CAP_DFS | SMB2_GLOBAL_CAP_LARGE_MTU;
  memcpy(vrsp.guid, guid, 16);
  vrsp.security_mode = SMB2_NEGOTIATE_SIGNING_REQUIRED;
  vrsp.dialect = SMB2_DIALECT_302;
  dfsc__wr_init(&bw, out, sizeof(out));
  assert_int_equal(dfsc__smb2_vni_rsp_build(&bw, &vrsp), 0);
  assert_int_equal(bw.off, SMB2_VNI_RSP_SIZE);
  memset(&rsp, 0, sizeof(rsp));
  rsp.ctl_code = SMB2_FSCTL_VALIDATE_NEGOTIATE_INFO;
  rsp.fid = req.fid;
  rsp.output = out;
  rsp.output_len = bw.off;
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_ioctl_rsp_encode(&w, &rsp), 0);
  assert_int_equal(w.off, 0x70 + 24);
  assert_int_equal(dfsc__le32(pdu + 88), 0x70);
  assert_int_equal(dfsc__le32(pdu + 96), 0x70);
  assert_int_equal(dfsc__smb2_ioctl_rsp_decode(pdu, w.off, &rdec), 0);
  assert_int_equal(rdec.ctl_code, SMB2_FSCTL_VALIDATE_NEGOTIATE_INFO);
  assert_int_equal(rdec.input_len, 0);
  assert_null(rdec.input);
  assert_int_equal(rdec.output_len, 24);
  assert_int_equal(dfsc__smb2_vni_rsp_parse(rdec.output, rdec.output_len, &vgot), 0);
  assert_int_equal(vgot.capabilities, vrsp.capabilities);
  assert_memory_equal(vgot.guid, guid, 16);
  assert_int_equal(vgot.security_mode, vrsp.security_mode);
  assert_int_equal(vgot.dialect, SMB2_DIALECT_302);
  assert_int_equal(dfsc__smb2_vni_rsp_parse(rdec.output, 23, &vgot), DFSC_E_PROTO);
  check_truncations(pdu, w.off, dec_ioctl_rsp);

  /* Response with both buffers. */
  rsp.input = in;
  rsp.input_len = 5;
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_ioctl_rsp_encode(&w, &rsp), 0);
  assert_int_equal(dfsc__le32(pdu + 96), 0x78);
  assert_int_equal(dfsc__smb2_ioctl_rsp_decode(pdu, w.off, &rdec), 0);
  assert_int_equal(rdec.input_len, 5);
  assert_memory_equal(rdec.input, in, 5);
  assert_int_equal(rdec.output_len, 24);
  assert_memory_equal(rdec.output, out, 24);
  check_truncations(pdu, w.off, dec_ioctl_rsp);
  /* Hostile offsets: into the fixed part, past the end, huge counts. */
  dfsc__put_le32(pdu + 96, 0x68);
  assert_int_equal(dfsc__smb2_ioctl_rsp_decode(pdu, w.off, &rdec), DFSC_E_PROTO);
  dfsc__put_le32(pdu + 96, 0xFFFFFFF0u);
  assert_int_equal(dfsc__smb2_ioctl_rsp_decode(pdu, w.off, &rdec), DFSC_E_PROTO);
  dfsc__put_le32(pdu + 96, 0x78);
  dfsc__put_le32(pdu + 92, 0xFFFFFFFFu);
  assert_int_equal(dfsc__smb2_ioctl_rsp_decode(pdu, w.off, &rdec), DFSC_E_PROTO);
  dfsc__put_le32(pdu + 92, 5);
  assert_int_equal(dfsc__smb2_ioctl_rsp_decode(pdu, w.off, &rdec), 0);
  dfsc__put_le32(pdu + 100, 0xFFFFFFFFu);
  assert_int_equal(dfsc__smb2_ioctl_rsp_decode(pdu, w.off, &rdec), DFSC_E_PROTO);
}

static void test_dfs_referral_req(void **state) {
  uint8_t b[256];
  const uint8_t *n16;
  size_t n16_len, wl;
  uint16_t level;
  uint8_t want[128];
  dfsc_wr w;
  const char *path = "\\dom.example\\dfs\\l\xc3\xa4nk";
  (void)state;

  dfsc__wr_init(&w, b, sizeof(b));
  assert_int_equal(dfsc__smb2_dfs_referral_req_build(&w, 4, path, strlen(path)), 0);
  wl = u16_of(path, want, sizeof(want));
  assert_int_equal(w.off, 2 + wl + 2);
  assert_int_equal(dfsc__le16(b), 4);
  assert_memory_equal(b + 2, want, wl);
  assert_int_equal(dfsc__le16(b + 2 + wl), 0);
  assert_int_equal(dfsc__smb2_dfs_referral_req_parse(b, w.off, &level, &n16, &n16_len), 0);
  assert_int_equal(level, 4);
  assert_int_equal(n16_len, wl);
  assert_ptr_equal(n16, b + 2);
  /* Missing terminator. */
  assert_int_equal(dfsc__smb2_dfs_referral_req_parse(b, w.off - 2, &level, &n16, &n16_len),
                   DFSC_E_PROTO);
  assert_int_equal(dfsc__smb2_dfs_referral_req_parse(b, 3, &level, &n16, &n16_len),
                   DFSC_E_PROTO);
  dfsc__wr_init(&w, b, 10);
  assert_int_equal(dfsc__smb2_dfs_referral_req_build(&w, 4, path, strlen(path)),
                   DFSC_E_NOSPACE);
}

/* ---------------- writer overflow for the other encoders ---------------- */

static int enc_read_req(dfsc_wr *w, const void *a) {
  return dfsc__smb2_read_req_encode(w, a);
}
static int enc_write_req(dfsc_wr *w, const void *a) {
  return dfsc__smb2_write_req_encode(w, a);
}
static int enc_close_rsp(dfsc_wr *w, const void *a) {
  return dfsc__smb2_close_rsp_encode(w, a);
}
static int enc_qdir_req(dfsc_wr *w, const void *a) {
  return dfsc__smb2_query_dir_req_encode(w, a);
}
static int enc_ioctl_req(dfsc_wr *w, const void *a) {
  return dfsc__smb2_ioctl_req_encode(w, a);
}
static int enc_ioctl_rsp(dfsc_wr *w, const void *a) {
  return dfsc__smb2_ioctl_rsp_encode(w, a);
}
static int enc_read_rsp(dfsc_wr *w, const void *a) {
  return dfsc__smb2_read_rsp_encode(w, a);
}

static void test_nospace(void **state) {
  dfsc_smb2_read_req rreq;
  dfsc_smb2_write_req wreq;
  dfsc_smb2_close_rsp crsp;
  dfsc_smb2_query_dir_req qreq;
  dfsc_smb2_ioctl_req ireq;
  dfsc_smb2_ioctl_rsp irsp;
  dfsc_smb2_read_rsp rrsp;
  (void)state;

  memset(&rreq, 0, sizeof(rreq));
  check_nospace(enc_read_req, &rreq, 64 + 49);
  memset(&wreq, 0, sizeof(wreq));
  wreq.data = (const uint8_t *)"0123456789";
  wreq.data_len = 10;
  check_nospace(enc_write_req, &wreq, 0x70 + 10);
  memset(&crsp, 0, sizeof(crsp));
  check_nospace(enc_close_rsp, &crsp, 124);
  memset(&qreq, 0, sizeof(qreq));
  qreq.info_class = FILE_DIRECTORY_INFORMATION;
  qreq.pattern = "*.txt";
  qreq.pattern_len = 5;
  check_nospace(enc_qdir_req, &qreq, 96 + 10);
  memset(&ireq, 0, sizeof(ireq));
  ireq.input = (const uint8_t *)"abcdefgh";
  ireq.input_len = 8;
  ireq.output = (const uint8_t *)"xy";
  ireq.output_len = 2;
  check_nospace(enc_ioctl_req, &ireq, 0x78 + 8 + 2);
  memset(&irsp, 0, sizeof(irsp));
  irsp.input = (const uint8_t *)"abc";
  irsp.input_len = 3;
  irsp.output = (const uint8_t *)"xy";
  irsp.output_len = 2;
  check_nospace(enc_ioctl_rsp, &irsp, 0x70 + 8 + 2);
  memset(&rrsp, 0, sizeof(rrsp));
  rrsp.data = (const uint8_t *)"data";
  rrsp.data_len = 4;
  check_nospace(enc_read_rsp, &rrsp, 84);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_create_req_layout),
      cmocka_unit_test(test_create_req_empty_name),
      cmocka_unit_test(test_create_req_roundtrip),
      cmocka_unit_test(test_create_rsp_roundtrip),
      cmocka_unit_test(test_create_nospace),
      cmocka_unit_test(test_cc_iter_hostile),
      cmocka_unit_test(test_cc_durable),
      cmocka_unit_test(test_close_flush),
      cmocka_unit_test(test_read),
      cmocka_unit_test(test_write),
      cmocka_unit_test(test_dir_iter),
      cmocka_unit_test(test_dir_iter_hostile),
      cmocka_unit_test(test_query_dir),
      cmocka_unit_test(test_query_info),
      cmocka_unit_test(test_fileinfo_classes),
      cmocka_unit_test(test_set_info),
      cmocka_unit_test(test_ioctl),
      cmocka_unit_test(test_dfs_referral_req),
      cmocka_unit_test(test_nospace),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
