/* dfsc CLI: parsers for option values (-U, --min/--max-protocol, --sign,
 * --resolve, --port, --timeout) and credential helpers.
 *
 * Pure functions: no I/O, no library calls, so unit tests include this
 * file directly. Does not: decide precedence between credential sources
 * (main.c does) or prompt for passwords (password.c).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dfsc/dfsc.h"

#include "cli.h"
#include "mup/unc.h"

void dfsc__cli_wipe_free(char *s) {
  if (s == NULL)
    return;
  explicit_bzero(s, strlen(s));
  free(s);
}

void dfsc__cli_cred_clear(struct dfsc__cli_cred *c) {
  dfsc__cli_wipe_free(c->password);
  free(c->user);
  free(c->domain);
  memset(c, 0, sizeof(*c));
}

static void set_err(char *err, size_t errcap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errcap, const char *fmt, ...) {
  va_list ap;

  if (err == NULL || errcap == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(err, errcap, fmt, ap);
  va_end(ap);
}

/* Replaces *slot with a copy of s[0..n); secret slots are wiped first. */
static int replace_str(char **slot, const char *s, size_t n, int secret) {
  char *copy = strndup(s, n);

  if (copy == NULL)
    return -ENOMEM;
  if (secret)
    dfsc__cli_wipe_free(*slot);
  else
    free(*slot);
  *slot = copy;
  return 0;
}

/* Splits "DOMAIN\USER" or "DOMAIN/USER" (first separator) into the struct.
 * A name with an '@' is a Kerberos principal (user@REALM, svc/host@REALM)
 * and stays whole, as smbclient takes it: its '/' separates principal
 * components, not a domain. */
static int set_user_domain(const char *s, size_t n, struct dfsc__cli_cred *out, char *err,
                           size_t errcap) {
  const char *sep = NULL;
  int principal = memchr(s, '@', n) != NULL;
  size_t i;
  int rc;

  for (i = 0; !principal && i < n; i++) {
    if (s[i] == '\\' || s[i] == '/') {
      sep = s + i;
      break;
    }
  }
  if (sep != NULL) {
    if (sep == s) {
      set_err(err, errcap, "empty domain in '%.*s'", (int)n, s);
      return -EINVAL;
    }
    if ((rc = replace_str(&out->domain, s, (size_t)(sep - s), 0)) != 0)
      return rc;
    n -= (size_t)(sep - s) + 1;
    s = sep + 1;
  }
  if (n == 0) {
    set_err(err, errcap, "empty user name");
    return -EINVAL;
  }
  return replace_str(&out->user, s, n, 0);
}

int dfsc__cli_parse_user(const char *arg, struct dfsc__cli_cred *out, char *err,
                         size_t errcap) {
  const char *pct;
  size_t ulen;
  int rc;

  if (arg == NULL) {
    set_err(err, errcap, "missing user name");
    return -EINVAL;
  }
  pct = strchr(arg, '%');
  ulen = pct != NULL ? (size_t)(pct - arg) : strlen(arg);
  if ((rc = set_user_domain(arg, ulen, out, err, errcap)) != 0)
    return rc;
  if (pct != NULL)
    return replace_str(&out->password, pct + 1, strlen(pct + 1), 1);
  return 0;
}

static const char *skip_ws(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  return p;
}

static const char *trim_end(const char *start, const char *end) {
  while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
    end--;
  return end;
}

int dfsc__cli_authfile_parse(const char *text, size_t len, const char *fname,
                             struct dfsc__cli_cred *out, char *err, size_t errcap) {
  const char *p = text;
  const char *end = text + len;
  unsigned lineno = 0;
  int seen_user = 0, seen_pass = 0, seen_dom = 0;
  char *user_domain = NULL; /* a DOMAIN\ prefix of username wins over domain = */
  int rc = 0;

  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *lend = nl != NULL ? nl : end;
    const char *k, *kend, *eq, *v, *vend;
    int *seen;

    lineno++;
    k = skip_ws(p, lend);
    p = nl != NULL ? nl + 1 : end;
    kend = trim_end(k, lend);
    if (k == kend || *k == '#' || *k == ';')
      continue;
    if (memchr(k, '\0', (size_t)(kend - k)) != NULL) {
      set_err(err, errcap, "%s:%u: NUL byte in line", fname, lineno);
      rc = -EINVAL;
      goto out;
    }
    eq = memchr(k, '=', (size_t)(kend - k));
    if (eq == NULL) {
      set_err(err, errcap, "%s:%u: expected 'key = value'", fname, lineno);
      rc = -EINVAL;
      goto out;
    }
    v = skip_ws(eq + 1, kend);
    vend = kend;
    kend = trim_end(k, eq);

#define KEY_IS(lit)                                                                        \
  ((size_t)(kend - k) == sizeof(lit) - 1 && strncasecmp(k, lit, sizeof(lit) - 1) == 0)
    if (KEY_IS("username"))
      seen = &seen_user;
    else if (KEY_IS("password"))
      seen = &seen_pass;
    else if (KEY_IS("domain"))
      seen = &seen_dom;
    else {
      set_err(err, errcap,
              "%s:%u: unknown key '%.*s' (expected username, password or domain)", fname,
              lineno, (int)(kend - k), k);
      rc = -EINVAL;
      goto out;
    }
    if (*seen) {
      set_err(err, errcap, "%s:%u: '%.*s' given twice", fname, lineno, (int)(kend - k), k);
      rc = -EINVAL;
      goto out;
    }
    *seen = 1;
    if (seen == &seen_pass) {
      rc = replace_str(&out->password, v, (size_t)(vend - v), 1);
    } else if (seen == &seen_dom) {
      rc = replace_str(&out->domain, v, (size_t)(vend - v), 0);
    } else {
      char *saved = out->domain;

      out->domain = NULL;
      rc = set_user_domain(v, (size_t)(vend - v), out, err, errcap);
      user_domain = out->domain;
      out->domain = saved;
      if (rc == -EINVAL) {
        char msg[128];

        snprintf(msg, sizeof(msg), "%s", err != NULL ? err : "");
        set_err(err, errcap, "%s:%u: %s", fname, lineno, msg);
      }
    }
#undef KEY_IS
    if (rc != 0)
      goto out;
  }
  if (user_domain != NULL) {
    free(out->domain);
    out->domain = user_domain;
    user_domain = NULL;
  }
out:
  free(user_domain);
  return rc;
}

/* ---- option values ---------------------------------------------------- */

static const struct {
  const char *name;
  uint16_t lo, hi;
} protocols[] = {
    {"SMB2_02", DFSC_SMB2_02, DFSC_SMB2_02}, {"SMB2_10", DFSC_SMB2_10, DFSC_SMB2_10},
    {"SMB3_00", DFSC_SMB3_00, DFSC_SMB3_00}, {"SMB3_02", DFSC_SMB3_02, DFSC_SMB3_02},
    {"SMB3_11", DFSC_SMB3_11, DFSC_SMB3_11}, {"SMB2", DFSC_SMB2_02, DFSC_SMB2_10},
    {"SMB3", DFSC_SMB3_00, DFSC_SMB3_11},
};

int dfsc__cli_parse_protocol(const char *name, int want_max, uint16_t *out) {
  size_t i;

  if (name == NULL)
    return -EINVAL;
  for (i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
    if (strcasecmp(name, protocols[i].name) == 0) {
      *out = want_max ? protocols[i].hi : protocols[i].lo;
      return 0;
    }
  }
  /* smbclient accepts these; SMB1 is out of scope, say so rather than
   * "unknown". */
  if (strcasecmp(name, "NT1") == 0 || strcasecmp(name, "CORE") == 0 ||
      strcasecmp(name, "COREPLUS") == 0 || strncasecmp(name, "LANMAN", 6) == 0)
    return -ENOTSUP;
  return -EINVAL;
}

const char *dfsc__cli_protocol_name(uint16_t dialect) {
  size_t i;

  for (i = 0; i < 5; i++)
    if (protocols[i].lo == dialect)
      return protocols[i].name;
  return NULL;
}

int dfsc__cli_parse_sign(const char *arg, int *mode) {
  if (arg == NULL || strcasecmp(arg, "required") == 0)
    *mode = DFSC_SIGN_REQUIRED;
  else if (strcasecmp(arg, "auto") == 0)
    *mode = DFSC_SIGN_AUTO;
  else if (strcasecmp(arg, "off") == 0)
    *mode = DFSC_SIGN_OFF;
  else
    return -EINVAL;
  return 0;
}

/* Strict decimal: digits only, no sign, no leading space, value <= max. */
static int parse_uint(const char *s, size_t n, unsigned long max, unsigned long *out) {
  unsigned long v = 0;
  size_t i;

  if (n == 0 || n > 10)
    return -EINVAL;
  for (i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -EINVAL;
    v = v * 10 + (unsigned long)(s[i] - '0');
  }
  if (v > max)
    return -EINVAL;
  *out = v;
  return 0;
}

int dfsc__cli_parse_port(const char *s, uint16_t *out) {
  unsigned long v;

  if (s == NULL || parse_uint(s, strlen(s), 65535, &v) != 0 || v == 0)
    return -EINVAL;
  *out = (uint16_t)v;
  return 0;
}

int dfsc__cli_parse_timeout(const char *s, unsigned *ms) {
  const char *dot;
  unsigned long whole = 0, frac_ms = 0;
  size_t wlen, flen, i;
  int rest = 0; /* digits beyond milliseconds: round up */

  if (s == NULL || *s == '\0')
    return -EINVAL;
  dot = strchr(s, '.');
  wlen = dot != NULL ? (size_t)(dot - s) : strlen(s);
  if (wlen > 0 && parse_uint(s, wlen, 86400, &whole) != 0)
    return -EINVAL;
  if (dot != NULL) {
    flen = strlen(dot + 1);
    if (flen == 0 && wlen == 0)
      return -EINVAL;
    for (i = 0; i < flen; i++) {
      char c = dot[1 + i];

      if (c < '0' || c > '9')
        return -EINVAL;
      if (i < 3)
        frac_ms = frac_ms * 10 + (unsigned long)(c - '0');
      else if (c != '0')
        rest = 1;
    }
    for (i = flen; i < 3; i++)
      frac_ms *= 10;
  }
  whole = whole * 1000 + frac_ms + (unsigned long)rest;
  if (whole == 0 || whole > 86400UL * 1000)
    return -EINVAL;
  *ms = (unsigned)whole;
  return 0;
}

static int valid_hostname(const char *s, size_t n) {
  size_t i;

  if (n == 0 || n > 253)
    return 0;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];

    if (!isalnum(c) && c != '-' && c != '.' && c != '_')
      return 0;
  }
  return 1;
}

int dfsc__cli_check_resolve(const char *arg, char *err, size_t errcap) {
  const char *colon, *addr, *aend, *port = NULL;
  char abuf[INET6_ADDRSTRLEN + 1];
  unsigned char bin[16];
  unsigned long pv;
  int v6 = 0;

  if (arg == NULL || (colon = strchr(arg, ':')) == NULL) {
    set_err(err, errcap, "--resolve '%s': expected NAME:ADDR[:PORT]",
            arg != NULL ? arg : "");
    return -EINVAL;
  }
  if (!valid_hostname(arg, (size_t)(colon - arg))) {
    set_err(err, errcap, "--resolve '%s': invalid host name", arg);
    return -EINVAL;
  }
  addr = colon + 1;
  if (*addr == '[') {
    v6 = 1;
    addr++;
    aend = strchr(addr, ']');
    if (aend == NULL) {
      set_err(err, errcap, "--resolve '%s': missing ']'", arg);
      return -EINVAL;
    }
    if (aend[1] == ':')
      port = aend + 2;
    else if (aend[1] != '\0')
      goto bad_addr;
  } else {
    aend = strchr(addr, ':');
    if (aend != NULL)
      port = aend + 1;
    else
      aend = addr + strlen(addr);
  }
  if (aend == addr || (size_t)(aend - addr) >= sizeof(abuf))
    goto bad_addr;
  memcpy(abuf, addr, (size_t)(aend - addr));
  abuf[aend - addr] = '\0';
  if (inet_pton(v6 ? AF_INET6 : AF_INET, abuf, bin) != 1)
    goto bad_addr;
  if (port != NULL && (parse_uint(port, strlen(port), 65535, &pv) != 0 || pv == 0)) {
    set_err(err, errcap, "--resolve '%s': invalid port '%s'", arg, port);
    return -EINVAL;
  }
  return 0;

bad_addr:
  set_err(err, errcap,
          "--resolve '%s': ADDR must be an IPv4 address or a [bracketed] IPv6 "
          "address",
          arg);
  return -EINVAL;
}

const char *dfsc__cli_basename(const char *path) {
  const char *b = path;
  const char *p;

  for (p = path; *p != '\0'; p++)
    if (*p == '/' || *p == '\\')
      b = p + 1;
  return b;
}

static int is_sep(char c) { return c == '/' || c == '\\'; }

static int is_url(const char *path) { return strncasecmp(path, "smb://", 6) == 0; }

char *dfsc__cli_leaf(const char *path) {
  const char *b = dfsc__cli_basename(path);
  size_t n = strlen(b);
  char *s = malloc(n + 1);

  if (s == NULL) {
    errno = ENOMEM;
    return NULL;
  }
  if (dfsc__unc_copy_part(s, n + 1, b, n, is_url(path)) < 0) {
    free(s);
    errno = EINVAL;
    return NULL;
  }
  return s;
}

char *dfsc__cli_join(const char *dir, const char *name) {
  static const char hex[] = "0123456789ABCDEF";
  size_t dn = strlen(dir), nn = strlen(name), o = 0, i;
  int url = is_url(dir);
  char *out;

  if (nn > (SIZE_MAX - dn - 2) / 3) /* every byte a '%' */
    return NULL;
  out = malloc(dn + 2 + (url ? 3 * nn : nn));
  if (out == NULL)
    return NULL;
  memcpy(out, dir, dn);
  o = dn;
  if (dn == 0 || !is_sep(dir[dn - 1]))
    out[o++] = strchr(dir, '/') != NULL ? '/' : '\\';
  for (i = 0; i < nn; i++) {
    unsigned char c = (unsigned char)name[i];
    /* The parser (dfsc__unc_copy_part) decodes '%XX' and takes every
     * other byte of a path component as it is: only '%' needs escaping,
     * which keeps UTF-8 names their length (name cuts, the path limit). */
    if (url && c == '%') {
      out[o++] = '%';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    } else {
      out[o++] = (char)c;
    }
  }
  out[o] = '\0';
  return out;
}

int dfsc__cli_is_host_path(const char *path) {
  const char *p;
  size_t n;

  if (strncasecmp(path, "smb://", 6) == 0) {
    p = path + 6;
    n = strcspn(p, "/\\");
  } else if (is_sep(path[0]) && is_sep(path[1])) {
    p = path + 2;
    n = strcspn(p, "/\\");
  } else {
    return 0;
  }
  if (n == 0)
    return 0;
  for (p += n; *p != '\0'; p++)
    if (!is_sep(*p))
      return 0;
  return 1;
}
