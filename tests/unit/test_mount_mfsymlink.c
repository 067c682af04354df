/* The Minshall+French symlink file codec (tools/mount/mfsymlink.c): a known
 * file checked byte for byte (the MD5 computed by Python's hashlib, not by
 * the code under test), round trips at the limits, and files that must
 * stay regular files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/mount/mfsymlink.c"

static void test_known(void **state) {
  static const char head[] =
      "XSym\n0014\n7ff4f013b3866dc8af11b4b54a74759a\n../some/target\n";
  uint8_t f[DFSC_MFSYMLINK_SIZE];
  char t[DFSC_MFSYMLINK_TARGET_MAX + 1];
  size_t i;
  (void)state;
  assert_int_equal(dfsc__mfsymlink_encode("../some/target", f), 0);
  assert_memory_equal(f, head, sizeof(head) - 1);
  for (i = sizeof(head) - 1; i < sizeof(f); i++)
    assert_int_equal(f[i], ' ');
  assert_int_equal(dfsc__mfsymlink_decode(f, sizeof(f), t, sizeof(t)), 14);
  assert_string_equal(t, "../some/target");
  /* Uppercase hex, as another writer may use, is accepted. */
  memcpy(f + 10, "7FF4F013B3866DC8AF11B4B54A74759A", 32);
  assert_int_equal(dfsc__mfsymlink_decode(f, sizeof(f), t, sizeof(t)), 14);
}

static void test_limits(void **state) {
  char target[DFSC_MFSYMLINK_TARGET_MAX + 2], t[DFSC_MFSYMLINK_TARGET_MAX + 1];
  uint8_t f[DFSC_MFSYMLINK_SIZE];
  (void)state;
  memset(target, 'x', sizeof(target));
  target[DFSC_MFSYMLINK_TARGET_MAX] = '\0';
  assert_int_equal(dfsc__mfsymlink_encode(target, f), 0);
  /* A target of the largest size fills the file: no newline after it. */
  assert_int_equal(f[DFSC_MFSYMLINK_SIZE - 1], 'x');
  assert_int_equal(dfsc__mfsymlink_decode(f, sizeof(f), t, sizeof(t)),
                   DFSC_MFSYMLINK_TARGET_MAX);
  assert_string_equal(t, target);
  assert_int_equal(dfsc__mfsymlink_decode(f, sizeof(f), t, 10), -ENOSPC);
  target[DFSC_MFSYMLINK_TARGET_MAX] = 'x';
  target[DFSC_MFSYMLINK_TARGET_MAX + 1] = '\0';
  assert_int_equal(dfsc__mfsymlink_encode(target, f), -ENAMETOOLONG);
  assert_int_equal(dfsc__mfsymlink_encode("", f), -EINVAL);
  assert_int_equal(dfsc__mfsymlink_encode("a", f), 0);
  assert_int_equal(dfsc__mfsymlink_decode(f, sizeof(f), t, sizeof(t)), 1);
}

static void test_not_links(void **state) {
  uint8_t f[DFSC_MFSYMLINK_SIZE], g[DFSC_MFSYMLINK_SIZE];
  char t[DFSC_MFSYMLINK_TARGET_MAX + 1];
  (void)state;
  assert_int_equal(dfsc__mfsymlink_encode("target", f), 0);
  /* One size off. */
  assert_int_equal(dfsc__mfsymlink_decode(f, sizeof(f) - 1, t, sizeof(t)), -EINVAL);
  /* The magic, a digit, the separators, the hash, the target. */
  memcpy(g, f, sizeof(f));
  g[0] = 'x';
  assert_int_equal(dfsc__mfsymlink_decode(g, sizeof(g), t, sizeof(t)), -EINVAL);
  memcpy(g, f, sizeof(f));
  g[6] = 'a';
  assert_int_equal(dfsc__mfsymlink_decode(g, sizeof(g), t, sizeof(t)), -EINVAL);
  memcpy(g, f, sizeof(f));
  g[9] = ' ';
  assert_int_equal(dfsc__mfsymlink_decode(g, sizeof(g), t, sizeof(t)), -EINVAL);
  memcpy(g, f, sizeof(f));
  g[12] ^= 1;
  assert_int_equal(dfsc__mfsymlink_decode(g, sizeof(g), t, sizeof(t)), -EINVAL);
  memcpy(g, f, sizeof(f));
  g[43] = 'T';
  assert_int_equal(dfsc__mfsymlink_decode(g, sizeof(g), t, sizeof(t)), -EINVAL);
  /* A length past the maximum, and 0. */
  memcpy(g, f, sizeof(f));
  memcpy(g + 5, "1025", 4);
  assert_int_equal(dfsc__mfsymlink_decode(g, sizeof(g), t, sizeof(t)), -EINVAL);
  memcpy(g + 5, "0000", 4);
  assert_int_equal(dfsc__mfsymlink_decode(g, sizeof(g), t, sizeof(t)), -EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_known),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_not_links),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
