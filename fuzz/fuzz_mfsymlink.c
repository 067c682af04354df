/* libFuzzer target: the mount's Minshall+French symlink file decoder
 * (dfsc__mfsymlink_decode, tools/mount/mfsymlink.c), included directly as
 * the mount is not part of the library archive.
 *
 * Input: a file's bytes (any length; 1067 is the only one that can decode).
 * Invariants checked (abort on violation): the result is -EINVAL, -ENOSPC
 * or a length of 1 to 1024; on success the target is NUL-terminated at that
 * length with no NUL before it, and encoding it again gives a file that
 * decodes to the same target; a small buffer gets -ENOSPC, never an
 * overrun.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/mount/mfsymlink.c"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char t[DFSC_MFSYMLINK_TARGET_MAX + 1], t2[DFSC_MFSYMLINK_TARGET_MAX + 1], small[8];
  uint8_t f[DFSC_MFSYMLINK_SIZE];
  int n = dfsc__mfsymlink_decode(data, size, t, sizeof(t)), m;

  if (n == -EINVAL || n == -ENOSPC)
    return 0;
  CHECK(n >= 1 && n <= DFSC_MFSYMLINK_TARGET_MAX);
  CHECK(t[n] == '\0' && strlen(t) == (size_t)n);
  CHECK(dfsc__mfsymlink_encode(t, f) == 0);
  m = dfsc__mfsymlink_decode(f, sizeof(f), t2, sizeof(t2));
  CHECK(m == n && strcmp(t, t2) == 0);
  m = dfsc__mfsymlink_decode(data, size, small, sizeof(small));
  CHECK((size_t)n < sizeof(small) ? m == n : m == -ENOSPC);
  return 0;
}
