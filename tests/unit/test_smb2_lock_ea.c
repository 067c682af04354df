/* Unit tests for the SMB2 LOCK codec ([MS-SMB2] 2.2.26, 2.2.27) and the
 * FILE_FULL_EA_INFORMATION list iterator and builder ([MS-FSCC] 2.4.15):
 * byte-exact layouts written out by hand from the specification, round
 * trips, truncation at every length, and each refusal the headers name.
 * Headers are 64 zero bytes written here, so these tests do not depend on
 * hdr.c.
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
#include "smb2/ea.h"
#include "smb2/lock.h"

#define BUFCAP 4096

static uint8_t pdu[BUFCAP];

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

/* ---------------- LOCK ---------------- */

static const uint8_t hdr0[SMB2_HDR_SIZE];

/* One element, [MS-SMB2] 2.2.26 / 2.2.26.1, after a zero header. */
static const uint8_t lock1_body[] = {
    0x30, 0x00,                                     /* StructureSize 48 */
    0x01, 0x00,                                     /* LockCount 1 */
    0x35, 0x00, 0x00, 0x00,                         /* number 5, index 3 */
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* FileId.Persistent */
    0x01, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, /* FileId.Volatile */
    0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* Offset 4096 */
    0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* Length 512 */
    0x12, 0x00, 0x00, 0x00,                         /* EXCLUSIVE | FAIL_IMMEDIATELY */
    0x00, 0x00, 0x00, 0x00,                         /* Reserved */
};

static void lock_fill(dfsc_smb2_lock_req *req, uint16_t count) {
  uint16_t i;
  memset(req, 0, sizeof(*req));
  req->lock_sequence = (3u << 4) | 5u;
  req->fid.persistent = 0x8877665544332211ull;
  req->fid.volatile_ = 0xFFFFFFFF00000001ull;
  req->count = count;
  for (i = 0; i < count; i++) {
    req->locks[i].offset = 4096u * (i + 1u);
    req->locks[i].length = 512u + i;
    req->locks[i].flags = SMB2_LOCKFLAG_EXCLUSIVE_LOCK | SMB2_LOCKFLAG_FAIL_IMMEDIATELY;
  }
}

static void lock_same(const dfsc_smb2_lock_req *a, const dfsc_smb2_lock_req *b) {
  uint16_t i;
  assert_int_equal(a->lock_sequence, b->lock_sequence);
  assert_int_equal(a->fid.persistent, b->fid.persistent);
  assert_int_equal(a->fid.volatile_, b->fid.volatile_);
  assert_int_equal(a->count, b->count);
  for (i = 0; i < a->count; i++) {
    assert_int_equal(a->locks[i].offset, b->locks[i].offset);
    assert_int_equal(a->locks[i].length, b->locks[i].length);
    assert_int_equal(a->locks[i].flags, b->locks[i].flags);
  }
}

static int dec_lock_req(const uint8_t *p, size_t n) {
  dfsc_smb2_lock_req r;
  return dfsc__smb2_lock_req_decode(p, n, &r);
}

static int dec_lock_rsp(const uint8_t *p, size_t n) {
  return dfsc__smb2_lock_rsp_decode(p, n);
}

static void test_lock_req_one(void **state) {
  dfsc_smb2_lock_req req, dec;
  dfsc_wr w;
  (void)state;

  lock_fill(&req, 1);
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_lock_req_encode(&w, &req), 0);
  assert_int_equal(w.off, SMB2_HDR_SIZE + sizeof lock1_body);
  assert_int_equal(w.off, 112);
  assert_memory_equal(pdu, hdr0, SMB2_HDR_SIZE);
  assert_memory_equal(pdu + SMB2_HDR_SIZE, lock1_body, sizeof lock1_body);

  assert_int_equal(dfsc__smb2_lock_req_decode(pdu, w.off, &dec), 0);
  lock_same(&req, &dec);
  /* LockSequence goes through as one value: number in the low 4 bits. */
  assert_int_equal(dec.lock_sequence & 0xF, 5);
  assert_int_equal(dec.lock_sequence >> 4, 3);
  check_truncations(pdu, w.off, dec_lock_req);
}

static void test_lock_req_three(void **state) {
  dfsc_smb2_lock_req req, dec;
  dfsc_wr w;
  size_t i;
  (void)state;

  lock_fill(&req, 3);
  req.locks[1].flags = SMB2_LOCKFLAG_SHARED_LOCK | SMB2_LOCKFLAG_FAIL_IMMEDIATELY;
  req.locks[2].offset = UINT64_MAX - 1;
  req.locks[2].length = UINT64_MAX;
  req.locks[2].flags = SMB2_LOCKFLAG_UNLOCK;
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_lock_req_encode(&w, &req), 0);
  /* 64 header + 24 fixed + 3 x 24; StructureSize still 48. */
  assert_int_equal(w.off, 160);
  assert_memory_equal(pdu, hdr0, SMB2_HDR_SIZE);
  /* Up to the first element's end the layout is the one-element one but
   * for LockCount. */
  assert_int_equal(dfsc__le16(pdu + 64), 48);
  assert_int_equal(dfsc__le16(pdu + 66), 3);
  assert_memory_equal(pdu + 68, lock1_body + 4, sizeof lock1_body - 4);
  for (i = 0; i < 3; i++) {
    const uint8_t *e = pdu + 64 + 24 + i * SMB2_LOCK_ELEMENT_SIZE;
    assert_int_equal(dfsc__le64(e), req.locks[i].offset);
    assert_int_equal(dfsc__le64(e + 8), req.locks[i].length);
    assert_int_equal(dfsc__le32(e + 16), req.locks[i].flags);
    assert_int_equal(dfsc__le32(e + 20), 0);
  }
  assert_int_equal(pdu[64 + 24 + 24 + 16], 0x11);
  assert_int_equal(dfsc__le64(pdu + 64 + 24 + 48), 0xFFFFFFFFFFFFFFFEull);
  assert_int_equal(dfsc__le32(pdu + 64 + 24 + 48 + 16), 0x04);

  assert_int_equal(dfsc__smb2_lock_req_decode(pdu, w.off, &dec), 0);
  lock_same(&req, &dec);
  /* Bytes after the last element (a compound's padding) are not looked at. */
  assert_int_equal(dfsc__smb2_lock_req_decode(pdu, w.off + 8, &dec), 0);
  lock_same(&req, &dec);
  check_truncations(pdu, w.off, dec_lock_req);
}

static void test_lock_req_max(void **state) {
  dfsc_smb2_lock_req req, dec;
  dfsc_wr w;
  (void)state;

  lock_fill(&req, SMB2_LOCK_MAX_ELEMENTS);
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_lock_req_encode(&w, &req), 0);
  assert_int_equal(w.off, 64 + 24 + 24 * SMB2_LOCK_MAX_ELEMENTS);
  assert_int_equal(dfsc__smb2_lock_req_decode(pdu, w.off, &dec), 0);
  lock_same(&req, &dec);
}

static void test_lock_req_refused(void **state) {
  dfsc_smb2_lock_req req, dec;
  dfsc_wr w;
  size_t len;
  (void)state;

  /* Encoder: count 0 and over the maximum, nothing written. */
  lock_fill(&req, 1);
  req.count = 0;
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_lock_req_encode(&w, &req), -EINVAL);
  assert_int_equal(w.off, SMB2_HDR_SIZE);
  req.count = SMB2_LOCK_MAX_ELEMENTS + 1;
  assert_int_equal(dfsc__smb2_lock_req_encode(&w, &req), -EINVAL);
  assert_int_equal(w.off, SMB2_HDR_SIZE);
  assert_int_equal(w.bad, 0);

  /* Decoder: LockCount 0 in an otherwise good one-element PDU. */
  lock_fill(&req, 1);
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_lock_req_encode(&w, &req), 0);
  len = w.off;
  dfsc__put_le16(pdu + 66, 0);
  assert_int_equal(dfsc__smb2_lock_req_decode(pdu, len, &dec), DFSC_E_PROTO);

  /* LockCount over the maximum, with every element it claims present. */
  lock_fill(&req, SMB2_LOCK_MAX_ELEMENTS);
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_lock_req_encode(&w, &req), 0);
  dfsc__wr_zero(&w, SMB2_LOCK_ELEMENT_SIZE);
  len = w.off;
  assert_int_equal(len, 64 + 24 + 24 * (SMB2_LOCK_MAX_ELEMENTS + 1));
  dfsc__put_le16(pdu + 66, SMB2_LOCK_MAX_ELEMENTS + 1);
  assert_int_equal(dfsc__smb2_lock_req_decode(pdu, len, &dec), DFSC_E_PROTO);
  dfsc__put_le16(pdu + 66, 0xFFFF);
  assert_int_equal(dfsc__smb2_lock_req_decode(pdu, len, &dec), DFSC_E_PROTO);

  /* Element array cut short: three claimed, two and a half present. */
  lock_fill(&req, 3);
  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_lock_req_encode(&w, &req), 0);
  len = w.off;
  assert_int_equal(dfsc__smb2_lock_req_decode(pdu, len - 12, &dec), DFSC_E_PROTO);
  assert_int_equal(dfsc__smb2_lock_req_decode(pdu, len - 24, &dec), DFSC_E_PROTO);
  assert_int_equal(dfsc__smb2_lock_req_decode(pdu, len - 1, &dec), DFSC_E_PROTO);
  /* Three claimed, only the one StructureSize counts present. */
  assert_int_equal(dfsc__smb2_lock_req_decode(pdu, 64 + 48, &dec), DFSC_E_PROTO);

  /* Wrong StructureSize, whatever follows. */
  dfsc__put_le16(pdu + 64, 24);
  assert_int_equal(dfsc__smb2_lock_req_decode(pdu, len, &dec), DFSC_E_PROTO);
  dfsc__put_le16(pdu + 64, 49);
  assert_int_equal(dfsc__smb2_lock_req_decode(pdu, len, &dec), DFSC_E_PROTO);
  dfsc__put_le16(pdu + 64, 4);
  assert_int_equal(dfsc__smb2_lock_req_decode(pdu, len, &dec), DFSC_E_PROTO);
  dfsc__put_le16(pdu + 64, 48);
  assert_int_equal(dfsc__smb2_lock_req_decode(pdu, len, &dec), 0);

  assert_int_equal(dfsc__smb2_lock_req_decode(NULL, 0, &dec), DFSC_E_PROTO);
}

static int enc_lock_req(dfsc_wr *w, const void *a) {
  return dfsc__smb2_lock_req_encode(w, a);
}

static void test_lock_nospace(void **state) {
  dfsc_smb2_lock_req req;
  size_t cap, needed = 64 + 24 + 3 * 24;
  (void)state;

  lock_fill(&req, 3);
  for (cap = SMB2_HDR_SIZE; cap < needed; cap++) {
    uint8_t *b = test_malloc(cap);
    dfsc_wr w;
    dfsc__wr_init(&w, b, cap);
    dfsc__wr_zero(&w, SMB2_HDR_SIZE);
    assert_int_equal(enc_lock_req(&w, &req), DFSC_E_NOSPACE);
    test_free(b);
  }
  for (cap = SMB2_HDR_SIZE; cap < SMB2_HDR_SIZE + 4; cap++) {
    uint8_t *b = test_malloc(cap);
    dfsc_wr w;
    dfsc__wr_init(&w, b, cap);
    dfsc__wr_zero(&w, SMB2_HDR_SIZE);
    assert_int_equal(dfsc__smb2_lock_rsp_encode(&w), DFSC_E_NOSPACE);
    test_free(b);
  }
}

static void test_lock_rsp(void **state) {
  static const uint8_t body[] = {0x04, 0x00, 0x00, 0x00};
  dfsc_wr w;
  (void)state;

  pdu_begin(&w, pdu);
  assert_int_equal(dfsc__smb2_lock_rsp_encode(&w), 0);
  assert_int_equal(w.off, 68);
  assert_memory_equal(pdu + SMB2_HDR_SIZE, body, sizeof body);
  check_truncations(pdu, w.off, dec_lock_rsp);
  /* Reserved is not looked at. */
  pdu[66] = 0xAB;
  assert_int_equal(dfsc__smb2_lock_rsp_decode(pdu, 68), 0);
  dfsc__put_le16(pdu + 64, 2);
  assert_int_equal(dfsc__smb2_lock_rsp_decode(pdu, 68), DFSC_E_PROTO);
  dfsc__put_le16(pdu + 64, 48);
  assert_int_equal(dfsc__smb2_lock_rsp_decode(pdu, 68), DFSC_E_PROTO);
}

/* ---------------- FILE_FULL_EA_INFORMATION ---------------- */

/* Two entries by hand, [MS-FSCC] 2.4.15: the first (8 + 6 + 1 + 3 = 18
 * bytes) padded to 20, the second (8 + 1 + 1 + 5 = 15) not padded. */
static const uint8_t ea2[] = {
    0x14, 0x00, 0x00, 0x00,                  /* NextEntryOffset 20 */
    0x00,                                    /* Flags */
    0x06,                                    /* EaNameLength */
    0x03, 0x00,                              /* EaValueLength */
    'u',  's',  'e',  'r',  '.',  'a', 0x00, /* EaName + NUL */
    'x',  'y',  'z',                         /* EaValue */
    0x00, 0x00,                              /* padding to 4 */
    0x00, 0x00, 0x00, 0x00,                  /* NextEntryOffset 0: the last */
    0x00,                                    /* Flags */
    0x01,                                    /* EaNameLength */
    0x05, 0x00,                              /* EaValueLength */
    'b',  0x00,                              /* EaName + NUL */
    0x01, 0x02, 0x03, 0x04, 0x05,            /* EaValue, no padding */
};

static const uint8_t val2[5] = {1, 2, 3, 4, 5};

static void build_ea2(dfsc_wr *w) {
  assert_int_equal(dfsc__smb2_ea_build(w, "user.a", 6, (const uint8_t *)"xyz", 3, 0), 0);
  assert_int_equal(dfsc__smb2_ea_build(w, "b", 1, val2, sizeof val2, 1), 0);
}

/* Walks buf[0..len) and returns the number of entries, or the error. */
static int ea_count(const uint8_t *buf, size_t len) {
  dfsc_smb2_ea ea;
  size_t pos = 0;
  int n = 0, rc;
  while ((rc = dfsc__smb2_ea_next(buf, len, &pos, &ea)) == 1) {
    assert_true(pos <= len);
    n++;
  }
  return rc < 0 ? rc : n;
}

/* The same walk over an exactly sized heap copy, so ASan sees any read
 * past len. */
static int ea_count_copy(const uint8_t *buf, size_t len) {
  uint8_t *c = test_malloc(len ? len : 1);
  int rc;
  memcpy(c, buf, len);
  rc = ea_count(c, len);
  test_free(c);
  return rc;
}

static void test_ea_build_layout(void **state) {
  uint8_t buf[64];
  dfsc_wr w;
  (void)state;

  memset(buf, 0xEE, sizeof buf);
  dfsc__wr_init(&w, buf, sizeof buf);
  build_ea2(&w);
  assert_int_equal(w.off, sizeof ea2);
  assert_int_equal(w.off, 35);
  assert_memory_equal(buf, ea2, sizeof ea2);

  /* Padding counts from the entry, not from the writer's offset 0. */
  memset(buf, 0xEE, sizeof buf);
  dfsc__wr_init(&w, buf, sizeof buf);
  dfsc__wr_zero(&w, 3);
  build_ea2(&w);
  assert_int_equal(w.off, 3 + sizeof ea2);
  assert_memory_equal(buf + 3, ea2, sizeof ea2);
}

static void test_ea_iterate(void **state) {
  dfsc_smb2_ea ea;
  size_t pos = 0;
  (void)state;

  assert_int_equal(dfsc__smb2_ea_next(ea2, sizeof ea2, &pos, &ea), 1);
  assert_int_equal(pos, 20);
  assert_int_equal(ea.flags, 0);
  assert_int_equal(ea.name_len, 6);
  assert_memory_equal(ea.name, "user.a", 6);
  assert_ptr_equal(ea.name, (const char *)ea2 + 8);
  assert_int_equal(ea.value_len, 3);
  assert_memory_equal(ea.value, "xyz", 3);
  assert_ptr_equal(ea.value, ea2 + 15);

  assert_int_equal(dfsc__smb2_ea_next(ea2, sizeof ea2, &pos, &ea), 1);
  assert_int_equal(pos, sizeof ea2);
  assert_int_equal(ea.name_len, 1);
  assert_memory_equal(ea.name, "b", 1);
  assert_int_equal(ea.value_len, 5);
  assert_memory_equal(ea.value, val2, 5);
  assert_ptr_equal(ea.value, ea2 + 30);

  /* Ended, and stays ended. */
  assert_int_equal(dfsc__smb2_ea_next(ea2, sizeof ea2, &pos, &ea), 0);
  assert_int_equal(dfsc__smb2_ea_next(ea2, sizeof ea2, &pos, &ea), 0);
  assert_int_equal(pos, sizeof ea2);

  /* An empty list. */
  pos = 0;
  assert_int_equal(dfsc__smb2_ea_next(NULL, 0, &pos, &ea), 0);
  assert_int_equal(dfsc__smb2_ea_next(ea2, 0, &pos, &ea), 0);

  /* Bytes after the last entry are not looked at. */
  {
    uint8_t b[sizeof ea2 + 5];
    memcpy(b, ea2, sizeof ea2);
    memset(b + sizeof ea2, 0xCC, 5);
    assert_int_equal(ea_count(b, sizeof b), 2);
  }

  /* Every prefix: the whole list, nothing, or a refusal; never a read
   * past the prefix. */
  for (pos = 0; pos <= sizeof ea2; pos++) {
    int n = ea_count_copy(ea2, pos);
    if (pos == 0)
      assert_int_equal(n, 0);
    else if (pos == sizeof ea2)
      assert_int_equal(n, 2);
    else
      assert_int_equal(n, DFSC_E_PROTO);
  }
}

static void test_ea_flags_and_empty_value(void **state) {
  static const uint8_t rm[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
                               0x00, 0x00, 'r',  'm',  0x00};
  uint8_t buf[32];
  dfsc_smb2_ea ea;
  dfsc_wr w;
  size_t pos = 0;
  (void)state;

  /* value_len 0 (remove the EA): no value bytes, NULL or not. */
  dfsc__wr_init(&w, buf, sizeof buf);
  assert_int_equal(dfsc__smb2_ea_build(&w, "rm", 2, NULL, 0, 1), 0);
  assert_int_equal(w.off, sizeof rm);
  assert_memory_equal(buf, rm, sizeof rm);
  dfsc__wr_init(&w, buf, sizeof buf);
  assert_int_equal(dfsc__smb2_ea_build(&w, "rm", 2, (const uint8_t *)"zz", 0, 1), 0);
  assert_memory_equal(buf, rm, sizeof rm);
  /* Not last: 11 bytes padded to 12. */
  dfsc__wr_init(&w, buf, sizeof buf);
  assert_int_equal(dfsc__smb2_ea_build(&w, "rm", 2, NULL, 0, 0), 0);
  assert_int_equal(w.off, 12);
  assert_int_equal(dfsc__le32(buf), 12);
  assert_int_equal(buf[11], 0);

  memcpy(buf, rm, sizeof rm);
  buf[4] = SMB2_FILE_NEED_EA;
  assert_int_equal(dfsc__smb2_ea_next(buf, sizeof rm, &pos, &ea), 1);
  assert_int_equal(ea.flags, SMB2_FILE_NEED_EA);
  assert_int_equal(ea.name_len, 2);
  assert_int_equal(ea.value_len, 0);
  assert_null(ea.value);
  assert_int_equal(dfsc__smb2_ea_next(buf, sizeof rm, &pos, &ea), 0);
}

/* Walks an exactly sized copy of buf[0..len) and expects DFSC_E_PROTO from
 * the entry at bad_at (the entries before it still come out), with *pos
 * left there. */
static void ea_expect_proto(const uint8_t *buf, size_t len, size_t bad_at) {
  uint8_t *c = test_malloc(len ? len : 1);
  dfsc_smb2_ea ea;
  size_t pos = 0;
  int rc;

  memcpy(c, buf, len);
  while ((rc = dfsc__smb2_ea_next(c, len, &pos, &ea)) == 1)
    ;
  assert_int_equal(rc, DFSC_E_PROTO);
  assert_int_equal(pos, bad_at);
  /* A refusal is repeated, not skipped over. */
  assert_int_equal(dfsc__smb2_ea_next(c, len, &pos, &ea), DFSC_E_PROTO);
  assert_int_equal(pos, bad_at);
  test_free(c);
}

static void test_ea_malformed(void **state) {
  uint8_t b[64];
  static const uint8_t empty_name[] = {0, 0, 0, 0, 0, 0x00, 0, 0, 0x00};
  static const uint8_t short_fixed[] = {0, 0, 0, 0, 0, 0x01, 0};
  (void)state;

  /* Entry past len: the second entry's value cut short, a fixed part cut
   * short, a value length past the end. */
  ea_expect_proto(ea2, sizeof ea2 - 1, 20);
  ea_expect_proto(ea2, 20 + 7, 20);
  ea_expect_proto(short_fixed, sizeof short_fixed, 0);
  memcpy(b, ea2, sizeof ea2);
  dfsc__put_le16(b + 20 + 6, 6);
  ea_expect_proto(b, sizeof ea2, 20);
  memcpy(b, ea2, sizeof ea2);
  b[20 + 5] = 0xFF; /* EaNameLength 255 */
  ea_expect_proto(b, sizeof ea2, 20);

  /* NextEntryOffset pointing at len or past it. */
  ea_expect_proto(ea2, 20, 0);
  memcpy(b, ea2, sizeof ea2);
  dfsc__put_le32(b, 36);
  ea_expect_proto(b, sizeof ea2, 0);
  dfsc__put_le32(b, 0xFFFFFFFC);
  ea_expect_proto(b, sizeof ea2, 0);

  /* NextEntryOffset not a multiple of 4 (18 is the entry's exact size). */
  memcpy(b, ea2, sizeof ea2);
  dfsc__put_le32(b, 18);
  ea_expect_proto(b, sizeof ea2, 0);
  dfsc__put_le32(b, 21);
  ea_expect_proto(b, sizeof ea2, 0);

  /* NextEntryOffset aligned but smaller than the entry (would overlap it
   * or, at 4, go nowhere useful). */
  dfsc__put_le32(b, 16);
  ea_expect_proto(b, sizeof ea2, 0);
  dfsc__put_le32(b, 4);
  ea_expect_proto(b, sizeof ea2, 0);

  /* Name without its NUL, in the first entry and in the second. */
  memcpy(b, ea2, sizeof ea2);
  b[8 + 6] = 'q';
  ea_expect_proto(b, sizeof ea2, 0);
  memcpy(b, ea2, sizeof ea2);
  b[20 + 8 + 1] = 'q';
  ea_expect_proto(b, sizeof ea2, 20);

  /* Empty name. */
  ea_expect_proto(empty_name, sizeof empty_name, 0);
  memcpy(b, ea2, sizeof ea2);
  b[20 + 5] = 0;
  ea_expect_proto(b, sizeof ea2, 20);

  /* Name containing a NUL (its terminator still in place). */
  memcpy(b, ea2, sizeof ea2);
  b[8 + 2] = 0;
  ea_expect_proto(b, sizeof ea2, 0);
  memcpy(b, ea2, sizeof ea2);
  b[8] = 0;
  ea_expect_proto(b, sizeof ea2, 0);

  /* A caller's *pos past len. */
  {
    dfsc_smb2_ea ea;
    size_t pos = sizeof ea2 + 1;
    assert_int_equal(dfsc__smb2_ea_next(ea2, sizeof ea2, &pos, &ea), DFSC_E_PROTO);
  }
}

static void test_ea_build_refused(void **state) {
  static char name[SMB2_EA_NAME_MAX + 2];
  uint8_t *big;
  size_t big_len = SMB2_EA_FIXED_SIZE + SMB2_EA_NAME_MAX + 1 + SMB2_EA_VALUE_MAX;
  uint8_t buf[32];
  dfsc_smb2_ea ea;
  dfsc_wr w;
  size_t pos = 0, cap;
  (void)state;

  memset(name, 'n', sizeof name);
  dfsc__wr_init(&w, buf, sizeof buf);
  assert_int_equal(dfsc__smb2_ea_build(&w, "x", 0, NULL, 0, 1), -EINVAL);
  assert_int_equal(dfsc__smb2_ea_build(&w, NULL, 1, NULL, 0, 1), -EINVAL);
  assert_int_equal(dfsc__smb2_ea_build(&w, name, SMB2_EA_NAME_MAX + 1, NULL, 0, 1),
                   -EINVAL);
  assert_int_equal(dfsc__smb2_ea_build(&w, "a\0b", 3, NULL, 0, 1), -EINVAL);
  assert_int_equal(dfsc__smb2_ea_build(&w, "a", 1, NULL, 1, 1), -EINVAL);
  assert_int_equal(dfsc__smb2_ea_build(&w, "a", 1, buf, SMB2_EA_VALUE_MAX + 1, 1), -EINVAL);
  assert_int_equal(w.off, 0);
  assert_int_equal(w.bad, 0);

  /* The largest entry: a 255-byte name and a 65535-byte value. */
  big = test_malloc(big_len + SMB2_EA_VALUE_MAX);
  memset(big, 0x5A, big_len + SMB2_EA_VALUE_MAX);
  dfsc__wr_init(&w, big, big_len);
  assert_int_equal(
      dfsc__smb2_ea_build(&w, name, SMB2_EA_NAME_MAX, big + big_len, SMB2_EA_VALUE_MAX, 1),
      0);
  assert_int_equal(w.off, big_len);
  assert_int_equal(dfsc__smb2_ea_next(big, big_len, &pos, &ea), 1);
  assert_int_equal(ea.name_len, SMB2_EA_NAME_MAX);
  assert_int_equal(ea.value_len, SMB2_EA_VALUE_MAX);
  assert_int_equal(dfsc__smb2_ea_next(big, big_len, &pos, &ea), 0);
  test_free(big);

  /* Every capacity short of the entry: DFSC_E_NOSPACE, nothing past it. */
  for (cap = 0; cap < 20; cap++) {
    uint8_t *b = test_malloc(cap ? cap : 1);
    dfsc__wr_init(&w, b, cap);
    assert_int_equal(dfsc__smb2_ea_build(&w, "user.a", 6, (const uint8_t *)"xyz", 3, 0),
                     DFSC_E_NOSPACE);
    test_free(b);
  }
}

/* Many smallest entries: each step advances by 12 (10 bytes padded). */
static void test_ea_many(void **state) {
  uint8_t buf[12 * 100];
  dfsc_wr w;
  int i;
  (void)state;

  dfsc__wr_init(&w, buf, sizeof buf);
  for (i = 0; i < 100; i++) {
    char c = (char)('A' + i % 26);
    assert_int_equal(dfsc__smb2_ea_build(&w, &c, 1, NULL, 0, i == 99), 0);
  }
  assert_int_equal(w.off, 12 * 99 + 10);
  assert_int_equal(ea_count(buf, w.off), 100);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lock_req_one),
      cmocka_unit_test(test_lock_req_three),
      cmocka_unit_test(test_lock_req_max),
      cmocka_unit_test(test_lock_req_refused),
      cmocka_unit_test(test_lock_nospace),
      cmocka_unit_test(test_lock_rsp),
      cmocka_unit_test(test_ea_build_layout),
      cmocka_unit_test(test_ea_iterate),
      cmocka_unit_test(test_ea_flags_and_empty_value),
      cmocka_unit_test(test_ea_malformed),
      cmocka_unit_test(test_ea_build_refused),
      cmocka_unit_test(test_ea_many),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
