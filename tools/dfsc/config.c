/* dfsc CLI: the configuration file of the progress bounds and deadlines.
 *
 * Lines of `key = value`; `#` and `;` start comments; keys are
 * case-insensitive and may use '-' or '_'. Values are whole numbers, or
 * seconds with fractions for the timeouts. Read from --config FILE, else
 * $DFSC_CONFIG, else $XDG_CONFIG_HOME/dfsc/dfsc.conf (~/.config/...) when it
 * exists. Command-line options override it. Does not: hold credentials (use
 * -A for those).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dfsc/dfsc.h"

#include "cli.h"

#define CONFIG_MAX_BYTES (64 * 1024)

struct key {
  const char *name;
  size_t off;       /* into dfsc_opts, an unsigned */
  unsigned long max;
  int seconds;      /* value in seconds, stored as milliseconds */
};

static const struct key keys[] = {
    {"workers", offsetof(dfsc_opts, lookup_workers), 64, 0},
    {"max_referrals", offsetof(dfsc_opts, max_referrals), 4096, 0},
    {"max_referrals_per_server", offsetof(dfsc_opts, max_referrals_per_server), 4096, 0},
    {"max_connects", offsetof(dfsc_opts, max_connects), 4096, 0},
    {"submit_queue_max", offsetof(dfsc_opts, submit_queue_max), 1u << 20, 0},
    {"referral_queue_max", offsetof(dfsc_opts, referral_queue_max), 1u << 20, 0},
    {"lookup_queue_max", offsetof(dfsc_opts, lookup_queue_max), 1u << 20, 0},
    {"connect_timeout", offsetof(dfsc_opts, connect_timeout_ms), 86400, 1},
    {"setup_timeout", offsetof(dfsc_opts, setup_timeout_ms), 86400, 1},
    {"request_timeout", offsetof(dfsc_opts, request_timeout_ms), 86400, 1},
};

static void trim(char **s, char **e)
{
  while (*s < *e && isspace((unsigned char)**s))
    (*s)++;
  while (*e > *s && isspace((unsigned char)(*e)[-1]))
    (*e)--;
}

int dfsc__cli_config_parse(const char *text, size_t len, const char *fname, dfsc_opts *o,
                           char *err, size_t errcap)
{
  const char *p = text, *end = text + len;
  int lineno = 0;

  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    char *ks, *ke, *vs, *ve, *eq, line[512], key[64];
    const struct key *k = NULL;
    size_t n = (size_t)((nl ? nl : end) - p), i;

    lineno++;
    if (n >= sizeof(line)) {
      snprintf(err, errcap, "%s:%d: line too long", fname, lineno);
      return -EINVAL;
    }
    memcpy(line, p, n);
    line[n] = '\0';
    p = nl ? nl + 1 : end;
    ks = line;
    ke = line + strcspn(line, "#;");
    trim(&ks, &ke);
    if (ks == ke)
      continue;
    *ke = '\0';
    eq = strchr(ks, '=');
    if (eq == NULL) {
      snprintf(err, errcap, "%s:%d: expected key = value", fname, lineno);
      return -EINVAL;
    }
    vs = eq + 1;
    ve = ke;
    ke = eq;
    trim(&ks, &ke);
    trim(&vs, &ve);
    *ve = '\0';
    if ((size_t)(ke - ks) >= sizeof(key) || ke == ks || vs == ve) {
      snprintf(err, errcap, "%s:%d: expected key = value", fname, lineno);
      return -EINVAL;
    }
    for (i = 0; ks + i < ke; i++)
      key[i] = ks[i] == '-' ? '_' : (char)tolower((unsigned char)ks[i]);
    key[i] = '\0';
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
      if (strcmp(keys[i].name, key) == 0)
        k = &keys[i];
    if (k == NULL) {
      snprintf(err, errcap, "%s:%d: unknown key '%s'", fname, lineno, key);
      return -EINVAL;
    }
    {
      unsigned *dst = (unsigned *)((char *)o + k->off);
      char *tail;
      double v;
      errno = 0;
      v = strtod(vs, &tail);
      if (errno || *tail != '\0' || v < (k->seconds ? 0.001 : 1) || v > (double)k->max ||
          (!k->seconds && v != (double)(unsigned long)v)) {
        snprintf(err, errcap, "%s:%d: %s: invalid value '%s'", fname, lineno, k->name, vs);
        return -EINVAL;
      }
      *dst = k->seconds ? (unsigned)(v * 1000.0 + 0.5) : (unsigned)v;
    }
  }
  return 0;
}

int dfsc__cli_config_load(const char *path, int must_exist, dfsc_opts *o, char *err,
                          size_t errcap)
{
  FILE *f = fopen(path, "r");
  char *buf;
  size_t n;
  int rc;

  if (f == NULL) {
    if (!must_exist && errno == ENOENT)
      return 0;
    snprintf(err, errcap, "%s: %s", path, strerror(errno));
    return -errno;
  }
  buf = malloc(CONFIG_MAX_BYTES + 1);
  if (buf == NULL) {
    fclose(f);
    snprintf(err, errcap, "%s: %s", path, strerror(ENOMEM));
    return -ENOMEM;
  }
  n = fread(buf, 1, CONFIG_MAX_BYTES + 1, f);
  fclose(f);
  if (n > CONFIG_MAX_BYTES) {
    free(buf);
    snprintf(err, errcap, "%s: larger than %d bytes", path, CONFIG_MAX_BYTES);
    return -EFBIG;
  }
  rc = dfsc__cli_config_parse(buf, n, path, o, err, errcap);
  free(buf);
  return rc;
}
