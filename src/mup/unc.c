/* UNC path parsing (see unc.h). */
#include "mup/unc.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dfsc/errors.h"

static int hexval(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int dfsc__unc_copy_part(char *dst, size_t cap, const char *s, size_t n, int url) {
  size_t i, o = 0;
  for (i = 0; i < n; i++) {
    int c = (unsigned char)s[i];
    if (url && c == '%') {
      int hi, lo;
      if (i + 2 >= n)
        return -1;
      hi = hexval((unsigned char)s[i + 1]);
      lo = hexval((unsigned char)s[i + 2]);
      if (hi < 0 || lo < 0)
        return -1;
      c = hi * 16 + lo;
      if (c == 0)
        return -1;
      i += 2;
    }
    if (o + 1 >= cap)
      return -1;
    dst[o++] = (char)c;
  }
  dst[o] = '\0';
  return 0;
}

static int is_sep(char c) { return c == '\\' || c == '/'; }

/* Appends the components of rest to u->path, normalised. */
static int parse_rel(dfsc_unc *u, const char *rest, int url) {
  size_t o = 0;
  const char *p = rest;
  while (*p) {
    const char *start;
    char comp[1024];
    size_t n;
    while (is_sep(*p))
      p++;
    if (*p == '\0')
      break;
    start = p;
    while (*p && !is_sep(*p))
      p++;
    n = (size_t)(p - start);
    if (dfsc__unc_copy_part(comp, sizeof(comp), start, n, url) < 0)
      return -1;
    if (strcmp(comp, ".") == 0)
      continue;
    if (strcmp(comp, "..") == 0)
      return -1;
    if (strpbrk(comp, "\\/") != NULL) /* a decoded %2F / %5C */
      return -1;
    n = strlen(comp);
    if (o + n + 2 >= sizeof(u->path))
      return -1;
    if (o > 0)
      u->path[o++] = '\\';
    memcpy(u->path + o, comp, n);
    o += n;
  }
  u->path[o] = '\0';
  return 0;
}

/* A bracketed IPv6 literal as host (\\[::1]\share, as in the URL form,
 * RFC 3986 3.2.2): the address without its brackets; -1 unless the whole
 * host is one bracketed name with a ':' in it. */
static int unbracket(char *host) {
  size_t n = strlen(host);
  if (n < 4 || host[n - 1] != ']' || memchr(host + 1, '[', n - 2) != NULL ||
      memchr(host + 1, ']', n - 2) != NULL || memchr(host + 1, ':', n - 2) == NULL)
    return -1;
  memmove(host, host + 1, n - 2);
  host[n - 2] = '\0';
  return 0;
}

static int parse_url(const char *s, int need_share, dfsc_unc *u) {
  const char *auth = s + 6; /* past "smb://" */
  const char *slash = strchr(auth, '/');
  const char *at, *hostpart, *hend, *colon;
  size_t alen = slash ? (size_t)(slash - auth) : strlen(auth);

  at = memrchr(auth, '@', alen);
  hostpart = auth;
  if (at != NULL) {
    const char *ui = auth, *semi = memchr(auth, ';', (size_t)(at - auth));
    const char *pc;
    if (semi != NULL) {
      if (dfsc__unc_copy_part(u->domain, sizeof(u->domain), auth, (size_t)(semi - auth),
                              1) < 0)
        return -1;
      ui = semi + 1;
    }
    pc = memchr(ui, ':', (size_t)(at - ui));
    if (pc != NULL) {
      if (dfsc__unc_copy_part(u->password, sizeof(u->password), pc + 1,
                              (size_t)(at - pc - 1), 1) < 0)
        return -1;
      u->has_password = 1;
    } else {
      pc = at;
    }
    if (dfsc__unc_copy_part(u->user, sizeof(u->user), ui, (size_t)(pc - ui), 1) < 0)
      return -1;
    u->has_user = 1;
    hostpart = at + 1;
  }
  hend = auth + alen;
  if (*hostpart == '[') {
    const char *rb = memchr(hostpart, ']', (size_t)(hend - hostpart));
    if (rb == NULL)
      return -1;
    /* Whole, brackets included, then judged as the \\[::1] form is, so
     * that a host taken here formats to a path that parses back. */
    if (dfsc__unc_copy_part(u->host, sizeof(u->host), hostpart, (size_t)(rb - hostpart + 1),
                            0) < 0 ||
        unbracket(u->host) < 0)
      return -1;
    colon = rb + 1 < hend && rb[1] == ':' ? rb + 1 : NULL;
  } else {
    colon = memchr(hostpart, ':', (size_t)(hend - hostpart));
    if (dfsc__unc_copy_part(u->host, sizeof(u->host), hostpart,
                            (size_t)((colon ? colon : hend) - hostpart), 1) < 0)
      return -1;
    /* Brackets only around an IPv6 literal (RFC 3986 3.2.2), never
     * percent-encoded into a name: "%5b..." would format to a \[ path
     * that means something else (found by fuzz_unc). */
    if (strpbrk(u->host, "[]") != NULL)
      return -1;
  }
  if (colon != NULL) {
    unsigned long port = 0;
    const char *q;
    for (q = colon + 1; q < hend; q++) {
      if (!isdigit((unsigned char)*q))
        return -1;
      port = port * 10 + (unsigned long)(*q - '0');
      if (port > 65535)
        return -1;
    }
    if (port == 0)
      return -1;
    u->port = (uint16_t)port;
  }
  if (u->host[0] == '\0')
    return -1;
  if (slash != NULL) {
    const char *sh = slash + 1, *send;
    /* Repeated separators collapse here as in the \\host\share form. */
    while (*sh == '/')
      sh++;
    send = sh;
    while (*send && *send != '/')
      send++;
    if (dfsc__unc_copy_part(u->share, sizeof(u->share), sh, (size_t)(send - sh), 1) < 0)
      return -1;
    if (parse_rel(u, send, 1) < 0)
      return -1;
  }
  if (need_share && u->share[0] == '\0')
    return -1;
  return 0;
}

/* Host and share names may not hold separators (a decoded %5C would point
 * the rewritten \\host\share path elsewhere) nor be "." or "..". */
static int name_ok(const char *n) {
  return strpbrk(n, "\\/") == NULL && strcmp(n, ".") != 0 && strcmp(n, "..") != 0;
}

int dfsc__unc_parse(const char *s, int need_share, dfsc_unc *u) {
  const char *p, *h, *sh;
  memset(u, 0, sizeof(*u));
  if (s == NULL)
    return DFSC_E_BADPATH;
  /* The client's limit, Linux's PATH_MAX (a share-relative path on the
   * wire may be up to 32767 UTF-16 units, [MS-SMB2] 2.2.13): a longer one
   * is ENAMETOOLONG, as a local file system says, not a malformed path. */
  if (strnlen(s, DFSC_UNC_MAX) >= DFSC_UNC_MAX)
    return -ENAMETOOLONG;
  if (strncasecmp(s, "smb://", 6) == 0) {
    if (parse_url(s, need_share, u) < 0 || !name_ok(u->host) || !name_ok(u->share))
      return DFSC_E_BADPATH;
    return 0;
  }
  if (!(is_sep(s[0]) && is_sep(s[1])))
    return DFSC_E_BADPATH;
  h = s + 2;
  for (p = h; *p && !is_sep(*p); p++)
    ;
  if (p == h || dfsc__unc_copy_part(u->host, sizeof(u->host), h, (size_t)(p - h), 0) < 0)
    return DFSC_E_BADPATH;
  if (u->host[0] == '[' && unbracket(u->host) < 0)
    return DFSC_E_BADPATH;
  while (is_sep(*p))
    p++;
  sh = p;
  for (; *p && !is_sep(*p); p++)
    ;
  if (dfsc__unc_copy_part(u->share, sizeof(u->share), sh, (size_t)(p - sh), 0) < 0)
    return DFSC_E_BADPATH;
  if (need_share && u->share[0] == '\0')
    return DFSC_E_BADPATH;
  if (!name_ok(u->host) || !name_ok(u->share))
    return DFSC_E_BADPATH;
  if (parse_rel(u, p, 0) < 0)
    return DFSC_E_BADPATH;
  return 0;
}

void dfsc__unc_format(const dfsc_unc *u, char *buf, size_t cap) {
  size_t i, n;
  snprintf(buf, cap, "//%s/%s%s%s", u->host, u->share, u->path[0] ? "/" : "", u->path);
  n = strlen(buf);
  for (i = 0; i < n; i++)
    if (buf[i] == '\\')
      buf[i] = '/';
}
