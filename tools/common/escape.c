/* Front ends (CLI and mount): the one escaping of text that reaches a
 * terminal or a log.
 *
 * Names come from servers and paths from users; either may hold control
 * characters that would move the cursor, retitle the window or forge a
 * line when printed raw (ESC, CSI, newline; U+009B is a one-character CSI
 * on terminals that take 8-bit controls). Everything the CLI prints as
 * text, on standard output and standard error, TTY or not, and every line
 * the mount logs, goes through
 * dfsc__fe_escape:
 *   TAB LF CR          \t \n \r
 *   other C0, DEL      \xHH          (0x00-0x1F, 0x7F; lower-case hex)
 *   C1 (U+0080-U+009F) \u0080 .. \u009f
 *   invalid UTF-8      \xHH per byte (0x80-0xFF, so never confused with C0)
 * Everything else, valid UTF-8 included, passes unchanged. A backslash is
 * not doubled: it is the separator of UNC paths (\\host\share, referral
 * prefixes), and names from servers never hold one (SMB forbids it and
 * the library refuses such names), so only a path typed with backslashes
 * can make "\x1b" ambiguous, and the user typed it. --json output is exact
 * (output.c). Pure functions, so unit tests include this file directly.
 * Does not: decide what is printed, or quote for a shell.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fe.h"

size_t dfsc__fe_utf8_len(const unsigned char *s) {
  unsigned char c = s[0];
  unsigned char lo = 0x80, hi = 0xBF;
  size_t n, i;

  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF)
    n = 2;
  else if (c >= 0xE0 && c <= 0xEF)
    n = 3;
  else if (c >= 0xF0 && c <= 0xF4)
    n = 4;
  else
    return 0;
  if (c == 0xE0)
    lo = 0xA0;
  else if (c == 0xED)
    hi = 0x9F;
  else if (c == 0xF0)
    lo = 0x90;
  else if (c == 0xF4)
    hi = 0x8F;
  /* The terminating NUL fails the range test, so this never reads past it. */
  if (s[1] < lo || s[1] > hi)
    return 0;
  for (i = 2; i < n; i++)
    if (s[i] < 0x80 || s[i] > 0xBF)
      return 0;
  return n;
}

/* The escape of the character at p into out (at most 6 bytes, not
 * terminated): returns its length and sets *used to the input bytes it
 * stands for; 0 when the character passes unchanged (*used bytes). */
static size_t escape_at(const unsigned char *p, char out[6], size_t *used) {
  static const char hex[] = "0123456789abcdef";
  unsigned char c = p[0];
  size_t n;

  *used = 1;
  if (c < 0x20 || c == 0x7F) {
    switch (c) {
    case '\t':
      memcpy(out, "\\t", 2);
      return 2;
    case '\n':
      memcpy(out, "\\n", 2);
      return 2;
    case '\r':
      memcpy(out, "\\r", 2);
      return 2;
    default:
      break;
    }
    goto byte;
  }
  n = dfsc__fe_utf8_len(p);
  if (n == 0)
    goto byte;
  *used = n;
  /* C1 controls: U+0080-U+009F, UTF-8 C2 80 .. C2 9F. */
  if (n == 2 && c == 0xC2 && p[1] <= 0x9F) {
    memcpy(out, "\\u00", 4);
    out[4] = hex[p[1] >> 4];
    out[5] = hex[p[1] & 15];
    return 6;
  }
  return 0;

byte:
  out[0] = '\\';
  out[1] = 'x';
  out[2] = hex[c >> 4];
  out[3] = hex[c & 15];
  return 4;
}

size_t dfsc__fe_escape(char *dst, size_t cap, const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  size_t total = 0, at = 0;
  int cut = 0; /* dst is full: never cut inside an escape */

  while (*p != '\0') {
    char e[6];
    size_t used, n = escape_at(p, e, &used);
    const char *src = n > 0 ? e : (const char *)p;

    if (n == 0)
      n = used;
    if (!cut && at + n < cap) {
      memcpy(dst + at, src, n);
      at += n;
    } else {
      cut = 1;
    }
    total += n;
    p += used;
  }
  if (cap > 0)
    dst[at] = '\0';
  return total;
}

char *dfsc__fe_escaped(const char *s) {
  size_t n = dfsc__fe_escape(NULL, 0, s);
  char *out = malloc(n + 1);

  if (out != NULL)
    dfsc__fe_escape(out, n + 1, s);
  return out;
}

void dfsc__fe_put_escaped(FILE *f, const char *s) {
  const unsigned char *p = (const unsigned char *)s;

  while (*p != '\0') {
    const unsigned char *run = p;
    char e[6];
    size_t used = 0, n = 0;

    /* Plain runs in one write. */
    while (*p != '\0' && (n = escape_at(p, e, &used)) == 0)
      p += used;
    if (p > run)
      fwrite(run, 1, (size_t)(p - run), f);
    if (*p == '\0')
      break;
    fwrite(e, 1, n, f);
    p += used;
  }
}

void dfsc__fe_errf(const char *fmt, ...) {
  char small[512], *msg = small, *line;
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(small, sizeof(small), fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n >= sizeof(small)) {
    msg = malloc((size_t)n + 1);
    if (msg == NULL) {
      msg = small; /* cut, but still escaped */
    } else {
      va_start(ap, fmt);
      vsnprintf(msg, (size_t)n + 1, fmt, ap);
      va_end(ap);
    }
  }
  line = dfsc__fe_escaped(msg);
  /* One write per line: -j workers report at the same time. */
  if (line != NULL)
    fprintf(stderr, "dfsc: %s\n", line);
  else
    fputs("dfsc: out of memory\n", stderr);
  free(line);
  if (msg != small)
    free(msg);
}
