/* Minshall+French symlink files: see mfsymlink.h for the layout. */
#include "mfsymlink.h"

#include <errno.h>
#include <nettle/md5.h>
#include <stdio.h>
#include <string.h>

#define OFF_LEN 5     /* after "XSym\n" */
#define OFF_MD5 10    /* after the four digits and "\n" */
#define OFF_TARGET 43 /* after the 32 hex digits and "\n" */

static void md5_hex(const char *s, size_t n, char hex[33]) {
  static const char digits[] = "0123456789abcdef";
  struct md5_ctx c;
  uint8_t d[MD5_DIGEST_SIZE];
  size_t i;

  md5_init(&c);
  md5_update(&c, n, (const uint8_t *)s);
  md5_digest(&c, sizeof(d), d);
  for (i = 0; i < sizeof(d); i++) {
    hex[2 * i] = digits[d[i] >> 4];
    hex[2 * i + 1] = digits[d[i] & 15];
  }
  hex[32] = '\0';
}

int dfsc__mfsymlink_encode(const char *target, uint8_t out[DFSC_MFSYMLINK_SIZE]) {
  size_t n = strlen(target), off;
  char head[OFF_TARGET + 1], hex[33];

  if (n == 0)
    return -EINVAL;
  if (n > DFSC_MFSYMLINK_TARGET_MAX)
    return -ENAMETOOLONG;
  md5_hex(target, n, hex);
  snprintf(head, sizeof(head), "XSym\n%04u\n%s\n", (unsigned)n, hex);
  memcpy(out, head, OFF_TARGET);
  memcpy(out + OFF_TARGET, target, n);
  off = OFF_TARGET + n;
  if (off < DFSC_MFSYMLINK_SIZE)
    out[off++] = '\n';
  memset(out + off, ' ', DFSC_MFSYMLINK_SIZE - off);
  return 0;
}

int dfsc__mfsymlink_decode(const uint8_t *buf, size_t len, char *target, size_t cap) {
  unsigned n = 0;
  size_t i;
  char hex[33];

  if (len != DFSC_MFSYMLINK_SIZE || memcmp(buf, "XSym\n", OFF_LEN) != 0 ||
      buf[OFF_MD5 - 1] != '\n' || buf[OFF_TARGET - 1] != '\n')
    return -EINVAL;
  for (i = OFF_LEN; i < OFF_LEN + 4; i++) {
    if (buf[i] < '0' || buf[i] > '9')
      return -EINVAL;
    n = n * 10 + (unsigned)(buf[i] - '0');
  }
  if (n == 0 || n > DFSC_MFSYMLINK_TARGET_MAX)
    return -EINVAL;
  if (memchr(buf + OFF_TARGET, '\0', n) != NULL)
    return -EINVAL;
  md5_hex((const char *)buf + OFF_TARGET, n, hex);
  /* cifs.ko writes lowercase; a file from elsewhere may not. */
  for (i = 0; i < 32; i++) {
    uint8_t c = buf[OFF_MD5 + i];
    if (c >= 'A' && c <= 'F')
      c = (uint8_t)(c - 'A' + 'a');
    if (c != (uint8_t)hex[i])
      return -EINVAL;
  }
  if (cap <= n)
    return -ENOSPC;
  memcpy(target, buf + OFF_TARGET, n);
  target[n] = '\0';
  return (int)n;
}
