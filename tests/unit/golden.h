/* Fixture loader for the unit tests on captured bytes (test_smb2_golden.c,
 * test_auth_golden.c, test_dfs_referral.c).
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
static uint8_t *fixture_load(const char *dir, const char *name, size_t *len) {
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

/* The golden SMB2 PDUs: smb2/<name>.bin. */
__attribute__((unused)) static uint8_t *golden_load(const char *name, size_t *len) {
  return fixture_load("smb2", name, len);
}

#endif
