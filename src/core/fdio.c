/* Whole writes to a descriptor (see fdio.h). */
#include "core/fdio.h"

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

int dfsc__write_full(int fd, const void *p, size_t n) {
  const uint8_t *b = p;
  while (n > 0) {
    ssize_t w = write(fd, b, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      if (w == 0)
        errno = EAGAIN;
      return -1;
    }
    b += w;
    n -= (size_t)w;
  }
  return 0;
}
