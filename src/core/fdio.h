/* Whole writes to a descriptor. Does not: block on a non-blocking one,
 * retry past a short count the descriptor will not take. */
#ifndef DFSC_CORE_FDIO_H
#define DFSC_CORE_FDIO_H

#include <stddef.h>

/* Writes all n bytes of p to fd (a pipe sized for them, typically),
 * again after EINTR: 0, or -1 when fd took fewer (errno says why, EAGAIN
 * for a full non-blocking one). */
int dfsc__write_full(int fd, const void *p, size_t n);

#endif
