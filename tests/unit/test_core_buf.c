/* Unit tests for src/core/buf.h: the bounds-checked LE reader and writer,
 * their sticky `bad` flag, exact-end boundaries and late field patching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"

static const uint8_t seven[7] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};

static void test_rd_values_le(void **state) {
  static const uint8_t b[15] = {0xef, 0xbe, 0xad, 0xde, 0x34, 0x12, 0x7f, 0x08,
                                0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01};
  dfsc_rd r;
  dfsc__rd_init(&r, b, sizeof b);
  assert_int_equal(dfsc__rd_u32(&r), 0xdeadbeefu);
  assert_int_equal(dfsc__rd_u16(&r), 0x1234);
  assert_int_equal(dfsc__rd_u8(&r), 0x7f);
  assert_int_equal(dfsc__rd_u64(&r), 0x0102030405060708ull);
  assert_int_equal(r.off, 15);
  assert_int_equal(r.bad, 0);
  assert_int_equal(dfsc__rd_left(&r), 0);
  (void)state;
}

/* Reading exactly to the end is fine; one byte more is not. */
static void test_rd_exact_end(void **state) {
  dfsc_rd r;
  dfsc__rd_init(&r, seven, sizeof seven);
  assert_int_equal(dfsc__rd_u32(&r), 0x04030201u);
  assert_int_equal(dfsc__rd_u16(&r), 0x0605);
  assert_int_equal(dfsc__rd_left(&r), 1);
  assert_int_equal(dfsc__rd_u8(&r), 0x07);
  assert_int_equal(r.bad, 0);
  assert_int_equal(r.off, 7);
  assert_int_equal(dfsc__rd_left(&r), 0);
  assert_non_null(dfsc__rd_ptr(&r, 0)); /* zero bytes at the end: allowed */
  assert_int_equal(r.bad, 0);
  assert_int_equal(dfsc__rd_u8(&r), 0);
  assert_int_equal(r.bad, 1);
  assert_int_equal(r.off, 7);
  (void)state;
}

/* A failed read leaves the cursor alone and poisons every later read. */
static void test_rd_sticky_bad(void **state) {
  dfsc_rd r;
  uint8_t out[4] = {0xaa, 0xaa, 0xaa, 0xaa};
  dfsc__rd_init(&r, seven, sizeof seven);
  dfsc__rd_skip(&r, 5);
  assert_int_equal(r.off, 5);
  assert_int_equal(dfsc__rd_u32(&r), 0); /* 2 bytes left, 4 wanted */
  assert_int_equal(r.bad, 1);
  assert_int_equal(r.off, 5);
  assert_int_equal(dfsc__rd_left(&r), 0);
  assert_int_equal(dfsc__rd_u8(&r), 0); /* would fit, but bad is sticky */
  assert_int_equal(dfsc__rd_u16(&r), 0);
  assert_null(dfsc__rd_ptr(&r, 1));
  dfsc__rd_bytes(&r, out, sizeof out);
  assert_int_equal(out[0], 0);
  assert_int_equal(out[3], 0);
  dfsc__rd_seek(&r, 0); /* seeking does not clear it */
  assert_int_equal(dfsc__rd_u8(&r), 0);
  assert_int_equal(r.bad, 1);
  (void)state;
}

static void test_rd_huge_lengths(void **state) {
  dfsc_rd r;
  dfsc__rd_init(&r, seven, sizeof seven);
  dfsc__rd_u8(&r);
  /* off + n would wrap: must be caught without overflow. */
  assert_null(dfsc__rd_ptr(&r, SIZE_MAX));
  assert_int_equal(r.bad, 1);
  dfsc__rd_init(&r, seven, sizeof seven);
  dfsc__rd_seek(&r, 7);
  assert_int_equal(r.bad, 0);
  dfsc__rd_seek(&r, 8);
  assert_int_equal(r.bad, 1);
  (void)state;
}

static void test_rd_at(void **state) {
  dfsc_rd r;
  dfsc__rd_init(&r, seven, sizeof seven);
  assert_ptr_equal(dfsc__rd_at(&r, 0, 7), seven);
  assert_ptr_equal(dfsc__rd_at(&r, 6, 1), seven + 6);
  assert_ptr_equal(dfsc__rd_at(&r, 7, 0), seven + 7);
  assert_null(dfsc__rd_at(&r, 6, 2));
  assert_null(dfsc__rd_at(&r, 8, 0));
  assert_null(dfsc__rd_at(&r, 1, SIZE_MAX));
  assert_null(dfsc__rd_at(&r, SIZE_MAX, 1));
  assert_int_equal(r.bad, 0); /* rd_at never sets bad */
  assert_int_equal(r.off, 0);
  (void)state;
}

static void test_rd_bytes_ok(void **state) {
  dfsc_rd r;
  uint8_t out[3];
  dfsc__rd_init(&r, seven, sizeof seven);
  dfsc__rd_skip(&r, 4);
  dfsc__rd_bytes(&r, out, 3);
  assert_int_equal(r.bad, 0);
  assert_memory_equal(out, seven + 4, 3);
  (void)state;
}

/* Writing exactly to capacity is fine; one byte more is not. */
static void test_wr_exact_end(void **state) {
  static const uint8_t want[8] = {0x78, 0x56, 0x34, 0x12, 0xcd, 0xab, 0xee, 0xff};
  uint8_t buf[9];
  dfsc_wr w;
  memset(buf, 0x11, sizeof buf);
  dfsc__wr_init(&w, buf, 8);
  dfsc__wr_u32(&w, 0x12345678u);
  dfsc__wr_u16(&w, 0xabcd);
  dfsc__wr_u8(&w, 0xee);
  dfsc__wr_u8(&w, 0xff);
  assert_int_equal(w.bad, 0);
  assert_int_equal(w.off, 8);
  assert_memory_equal(buf, want, 8);
  dfsc__wr_u8(&w, 0x99);
  assert_int_equal(w.bad, 1);
  assert_int_equal(w.off, 8);
  assert_int_equal(buf[8], 0x11); /* nothing past cap */
  (void)state;
}

static void test_wr_sticky_bad(void **state) {
  uint8_t buf[8];
  dfsc_wr w;
  memset(buf, 0, sizeof buf);
  dfsc__wr_init(&w, buf, sizeof buf);
  dfsc__wr_zero(&w, 6);
  dfsc__wr_u32(&w, 0xffffffffu); /* 2 left, 4 wanted */
  assert_int_equal(w.bad, 1);
  assert_int_equal(w.off, 6);
  dfsc__wr_u8(&w, 0x55); /* would fit, but bad is sticky */
  assert_int_equal(w.off, 6);
  assert_int_equal(buf[6], 0);
  dfsc__wr_bytes(&w, "x", 1);
  assert_int_equal(w.off, 6);
  (void)state;
}

static void test_wr_u64_bytes_align(void **state) {
  static const uint8_t want[16] = {0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
                                   'a',  'b',  'c',  0,    0,    0,    0,    0};
  uint8_t buf[16];
  dfsc_wr w;
  memset(buf, 0xee, sizeof buf);
  dfsc__wr_init(&w, buf, sizeof buf);
  dfsc__wr_u64(&w, 0x0102030405060708ull);
  dfsc__wr_bytes(&w, "abc", 3);
  dfsc__wr_bytes(&w, NULL, 0); /* zero bytes is a no-op */
  dfsc__wr_align(&w, 8);
  assert_int_equal(w.off, 16);
  assert_int_equal(w.bad, 0);
  assert_memory_equal(buf, want, 16);
  dfsc__wr_align(&w, 8); /* already aligned: no padding, so no overflow */
  assert_int_equal(w.bad, 0);
  (void)state;
}

/* put_u16/put_u32 patch only bytes already written. */
static void test_wr_put(void **state) {
  uint8_t buf[8];
  dfsc_wr w;
  memset(buf, 0, sizeof buf);
  dfsc__wr_init(&w, buf, sizeof buf);
  dfsc__wr_zero(&w, 6);
  dfsc__wr_put_u16(&w, 4, 0xbeef); /* the last two written bytes */
  assert_int_equal(w.bad, 0);
  assert_int_equal(buf[4], 0xef);
  assert_int_equal(buf[5], 0xbe);
  dfsc__wr_put_u32(&w, 2, 0x11223344u);
  assert_int_equal(w.bad, 0);
  assert_int_equal(dfsc__le32(buf + 2), 0x11223344u);
  assert_int_equal(w.off, 6); /* patching does not move the cursor */
  dfsc__wr_put_u32(&w, 3, 0); /* would cover byte 6, not yet written */
  assert_int_equal(w.bad, 1);

  dfsc__wr_init(&w, buf, sizeof buf);
  dfsc__wr_zero(&w, 1);
  dfsc__wr_put_u16(&w, 0, 1); /* only one byte written */
  assert_int_equal(w.bad, 1);

  dfsc__wr_init(&w, buf, sizeof buf);
  dfsc__wr_zero(&w, 4);
  dfsc__wr_put_u16(&w, SIZE_MAX, 1);
  assert_int_equal(w.bad, 1);
  (void)state;
}

static void test_le_helpers(void **state) {
  uint8_t b[8];
  dfsc__put_le16(b, 0xa1b2);
  assert_int_equal(b[0], 0xb2);
  assert_int_equal(dfsc__le16(b), 0xa1b2);
  dfsc__put_le32(b, 0xa1b2c3d4u);
  assert_int_equal(b[0], 0xd4);
  assert_int_equal(b[3], 0xa1);
  assert_int_equal(dfsc__le32(b), 0xa1b2c3d4u);
  dfsc__put_le64(b, 0x8877665544332211ull);
  assert_int_equal(b[0], 0x11);
  assert_int_equal(b[7], 0x88);
  assert_int_equal(dfsc__le64(b), 0x8877665544332211ull);
  (void)state;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rd_values_le),
      cmocka_unit_test(test_rd_exact_end),
      cmocka_unit_test(test_rd_sticky_bad),
      cmocka_unit_test(test_rd_huge_lengths),
      cmocka_unit_test(test_rd_at),
      cmocka_unit_test(test_rd_bytes_ok),
      cmocka_unit_test(test_wr_exact_end),
      cmocka_unit_test(test_wr_sticky_bad),
      cmocka_unit_test(test_wr_u64_bytes_align),
      cmocka_unit_test(test_wr_put),
      cmocka_unit_test(test_le_helpers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
