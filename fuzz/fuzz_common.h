/* Shared by the fuzz targets: the invariant check that aborts (so libFuzzer
 * keeps the input) and the bounds test for pointers a decoder returns. */
#ifndef DFSC_FUZZ_COMMON_H
#define DFSC_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(c)                                                                           \
  do {                                                                                     \
    if (!(c)) {                                                                            \
      fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);            \
      abort();                                                                             \
    }                                                                                      \
  } while (0)

/* p[0..n) lies inside base[0..len); a NULL p only with n == 0. */
__attribute__((unused)) static int inside(const uint8_t *p, size_t n, const uint8_t *base,
                                          size_t len) {
  if (p == NULL)
    return n == 0;
  return p >= base && (size_t)(p - base) <= len && n <= len - (size_t)(p - base);
}

#endif
