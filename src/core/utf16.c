/* UTF-8 <-> UTF-16LE conversion (see utf16.h). */
#include "core/utf16.h"

#include <errno.h>
#include <string.h>

#include "core/alloc.h"
#include "dfsc/errors.h"

/* Decodes one code point from s[*i..n); returns it or -1 on invalid input. */
static long next_cp(const unsigned char *s, size_t n, size_t *i) {
  unsigned char c = s[*i];
  long cp;
  size_t len, k;

  if (c < 0x80) {
    (*i)++;
    return c;
  }
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    cp = c & 0x07;
  } else {
    return -1;
  }
  if (n - *i < len)
    return -1;
  for (k = 1; k < len; k++) {
    if ((s[*i + k] & 0xC0) != 0x80)
      return -1;
    cp = (cp << 6) | (s[*i + k] & 0x3F);
  }
  /* Reject overlong forms, surrogates and values past U+10FFFF. */
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
      cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return -1;
  *i += len;
  return cp;
}

long dfsc__utf8_to_utf16_len(const char *s, size_t n) {
  size_t i = 0;
  long total = 0;
  while (i < n) {
    long cp = next_cp((const unsigned char *)s, n, &i);
    if (cp < 0)
      return -EILSEQ;
    total += cp >= 0x10000 ? 4 : 2;
  }
  return total;
}

int dfsc__utf8_to_utf16_wr(dfsc_wr *w, const char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    long cp = next_cp((const unsigned char *)s, n, &i);
    if (cp < 0)
      return -EILSEQ;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      dfsc__wr_u16(w, (uint16_t)(0xD800 | (cp >> 10)));
      dfsc__wr_u16(w, (uint16_t)(0xDC00 | (cp & 0x3FF)));
    } else {
      dfsc__wr_u16(w, (uint16_t)cp);
    }
  }
  return w->bad ? DFSC_E_NOSPACE : 0;
}

long dfsc__utf16_to_utf8(const uint8_t *u16, size_t nbytes, char *dst, size_t cap) {
  size_t i, o = 0;
  if (nbytes & 1)
    return -EILSEQ;
  for (i = 0; i < nbytes; i += 2) {
    unsigned long cp = dfsc__le16(u16 + i);
    unsigned char tmp[4];
    size_t len, k;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      unsigned long lo;
      if (i + 4 > nbytes)
        return -EILSEQ;
      lo = dfsc__le16(u16 + i + 2);
      if (lo < 0xDC00 || lo > 0xDFFF)
        return -EILSEQ;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      i += 2;
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return -EILSEQ;
    }
    if (cp < 0x80) {
      tmp[0] = (unsigned char)cp;
      len = 1;
    } else if (cp < 0x800) {
      tmp[0] = (unsigned char)(0xC0 | (cp >> 6));
      tmp[1] = (unsigned char)(0x80 | (cp & 0x3F));
      len = 2;
    } else if (cp < 0x10000) {
      tmp[0] = (unsigned char)(0xE0 | (cp >> 12));
      tmp[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
      tmp[2] = (unsigned char)(0x80 | (cp & 0x3F));
      len = 3;
    } else {
      tmp[0] = (unsigned char)(0xF0 | (cp >> 18));
      tmp[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
      tmp[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
      tmp[3] = (unsigned char)(0x80 | (cp & 0x3F));
      len = 4;
    }
    if (cap - o <= len) /* keep room for the NUL */
      return DFSC_E_NOSPACE;
    for (k = 0; k < len; k++)
      dst[o++] = (char)tmp[k];
  }
  if (cap == 0)
    return DFSC_E_NOSPACE;
  dst[o] = '\0';
  return (long)o;
}

int dfsc__utf16_to_utf8_alloc(const uint8_t *u16, size_t nbytes, char **out) {
  /* Each UTF-16 unit yields at most 3 UTF-8 bytes (a surrogate pair: 4 for 2). */
  size_t cap = (nbytes / 2) * 3 + 1;
  char *s = dfsc__malloc(cap);
  long n;
  if (s == NULL)
    return -ENOMEM;
  n = dfsc__utf16_to_utf8(u16, nbytes, s, cap);
  if (n < 0) {
    dfsc__free(s);
    return (int)n;
  }
  *out = s;
  return 0;
}

dfsc_name_verdict dfsc__utf16_name_check(const uint8_t *u16, size_t nbytes) {
  size_t i;
  if (nbytes & 1)
    return DFSC_NAME_BADUTF16;
  if (nbytes == 0)
    return DFSC_NAME_EMPTY;
  for (i = 0; i < nbytes; i += 2) {
    uint16_t u = dfsc__le16(u16 + i);
    if (u == 0)
      return DFSC_NAME_NUL;
    if (u == '/' || u == '\\')
      return DFSC_NAME_SEP;
    if (u >= 0xD800 && u <= 0xDBFF) {
      uint16_t lo = i + 4 <= nbytes ? dfsc__le16(u16 + i + 2) : 0;
      if (lo < 0xDC00 || lo > 0xDFFF)
        return DFSC_NAME_BADUTF16;
      i += 2;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      return DFSC_NAME_BADUTF16;
    }
  }
  if (dfsc__le16(u16) == '.' &&
      (nbytes == 2 || (nbytes == 4 && dfsc__le16(u16 + 2) == '.')))
    return DFSC_NAME_DOT;
  return DFSC_NAME_OK;
}

const char *dfsc__name_verdict_str(dfsc_name_verdict v) {
  switch (v) {
  case DFSC_NAME_OK:
    return "valid";
  case DFSC_NAME_DOT:
    return "is . or ..";
  case DFSC_NAME_EMPTY:
    return "is empty";
  case DFSC_NAME_NUL:
    return "holds U+0000";
  case DFSC_NAME_SEP:
    return "holds a path separator";
  case DFSC_NAME_BADUTF16:
    return "is not valid UTF-16";
  }
  return "?";
}

size_t dfsc__utf16_escape(const uint8_t *u16, size_t nbytes, char *dst, size_t cap) {
  static const char hex[] = "0123456789abcdef";
  size_t i, o = 0;
  if (cap == 0)
    return 0;
  for (i = 0; i + 1 < nbytes; i += 2) {
    uint16_t u = dfsc__le16(u16 + i);
    char tmp[7];
    size_t len = 0, k;
    if (u >= 0x20 && u < 0x7F && u != '\\' && u != '"') {
      tmp[len++] = (char)u;
    } else if (u == '\\' || u == '"') {
      tmp[len++] = '\\';
      tmp[len++] = (char)u;
    } else if (u < 0x80) {
      tmp[len++] = '\\';
      tmp[len++] = 'x';
      tmp[len++] = hex[u >> 4];
      tmp[len++] = hex[u & 0xF];
    } else {
      tmp[len++] = '\\';
      tmp[len++] = 'u';
      tmp[len++] = hex[u >> 12];
      tmp[len++] = hex[(u >> 8) & 0xF];
      tmp[len++] = hex[(u >> 4) & 0xF];
      tmp[len++] = hex[u & 0xF];
    }
    /* Room for this unit, "..." and the NUL, unless it is the last. */
    if (o + len + (i + 2 < nbytes ? 4 : 1) > cap) {
      if (o + 4 <= cap) {
        memcpy(dst + o, "...", 3);
        o += 3;
      }
      break;
    }
    for (k = 0; k < len; k++)
      dst[o++] = tmp[k];
  }
  dst[o] = '\0';
  return o;
}

char *dfsc__ascii_upper(char *s) {
  char *p;
  for (p = s; *p; p++)
    if (*p >= 'a' && *p <= 'z')
      *p = (char)(*p - 'a' + 'A');
  return s;
}
