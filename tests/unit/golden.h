/* Test bytes for the unit tests: the fixture loader for captured PDUs
 * (test_smb2_golden.c, test_auth_golden.c, test_dfs_referral.c) and the hex
 * parser for bytes written into tests (spec vectors, blobs).
 *
 * Reads tests/fixtures/<dir>/<name>.bin (DFSC_FIXTURES is the absolute
 * tests/fixtures path, set by the CMake unit-test rule) into a heap buffer of
 * exactly the file's size, so that AddressSanitizer reports any decoder that
 * reads one byte past the PDU. Include after <cmocka.h>.
 * Does not: parse anything, or cache files between tests.
 */
#ifndef DFSC_TESTS_GOLDEN_H
#define DFSC_TESTS_GOLDEN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef DFSC_FIXTURES
#error "DFSC_FIXTURES must name the tests/fixtures directory"
#endif

/* Returns the bytes of <dir>/<name>.bin under the fixtures (free with
 * free()) and sets *len; fails the running test when the file is missing or
 * unreadable. */
__attribute__((unused)) static uint8_t *fixture_load(const char *dir, const char *name,
                                                     size_t *len) {
  char path[512];
  FILE *f;
  long n = 0;
  uint8_t *p = NULL;

  snprintf(path, sizeof path, "%s/%s/%s.bin", DFSC_FIXTURES, dir, name);
  f = fopen(path, "rb");
  if (f == NULL)
    fail_msg("cannot open fixture %s", path);
  if (fseek(f, 0, SEEK_END) == 0)
    n = ftell(f);
  if (n <= 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    fail_msg("cannot size fixture %s", path);
  }
  p = malloc((size_t)n);
  if (p == NULL || fread(p, 1, (size_t)n, f) != (size_t)n) {
    free(p);
    fclose(f);
    fail_msg("cannot read fixture %s", path);
  }
  fclose(f);
  *len = (size_t)n;
  return p;
}

/* Parses pairs of hex digits ("4e544c4d", spaces between bytes ignored)
 * into out; fails the running test on a pair that is not hex or on more
 * than cap bytes. Returns the byte count. */
__attribute__((unused)) static size_t unhex(const char *s, uint8_t *out, size_t cap) {
  size_t n = 0;
  while (s[0] != '\0' && s[1] != '\0') {
    unsigned v;
    char b[3] = {s[0], s[1], 0};
    if (s[0] == ' ') {
      s++;
      continue;
    }
    assert_true(n < cap);
    assert_int_equal(sscanf(b, "%2x", &v), 1);
    out[n++] = (uint8_t)v;
    s += 2;
  }
  return n;
}

/* The golden SMB2 PDUs: smb2/<name>.bin. */
__attribute__((unused)) static uint8_t *golden_load(const char *name, size_t *len) {
  return fixture_load("smb2", name, len);
}

#endif
