/* dfsc CLI: the configuration file of the progress bounds, deadlines,
 * security and Kerberos settings.
 *
 * Lines of `key = value`; `#` and `;` start comments; keys are
 * case-insensitive and may use '-' or '_'. Values are whole numbers, or
 * seconds with fractions for the timeouts (idle_timeout, reconnect_timeout,
 * echo_interval, durable_timeout: milliseconds, 0 the library's default;
 * echo_interval = off: no keepalive); `encrypt`, `ntlm` and `durable` are yes/no (also
 * true/false, on/off, 1/0); `kerberos` is required, auto or off;
 * `keytab` and `ccache` are names passed on as written; `ciphers`, `cred_servers` and
 * `hardened_paths` are comma lists (`hardened_paths = none` turns hardening off);
 * `max_files` and `max_bytes` bound get -r (the CLI's own, not the library's: they live
 * here, not in dfsc_opts). Read from --config FILE, else $DFSC_CONFIG, else
 * $XDG_CONFIG_HOME/dfsc/dfsc.conf (~/.config/...) when it exists. Command-line options
 * override it. Does not: hold credentials (use -A for those; a keytab is named, never
 * read here).
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dfsc/dfsc.h"

#include "cli.h"

#define CONFIG_MAX_BYTES (64 * 1024)

int dfsc__cli_split_list(const char *list, char *store, size_t storecap, const char **items,
                         size_t maxitems) {
  size_t len = strlen(list), n = 0;
  char *p;

  if (len == 0 || len >= storecap || maxitems < 2)
    return -EINVAL;
  memcpy(store, list, len + 1);
  p = store;
  for (;;) {
    char *s = p, *e = p + strcspn(p, ","), *next = *e ? e + 1 : NULL;
    *e = '\0';
    while (*s == ' ' || *s == '\t')
      s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
      *--e = '\0';
    /* One slot stays for the terminating NULL. */
    if (*s == '\0' || n + 1 >= maxitems)
      return -EINVAL;
    items[n++] = s;
    if (next == NULL)
      break;
    p = next;
  }
  items[n] = NULL;
  return (int)n;
}

int dfsc__cli_check_ciphers(const char *list, char *err, size_t errcap) {
  static const char *const known[] = {"aes-128-gcm", "aes-128-ccm", "aes-256-gcm",
                                      "aes-256-ccm"};
  char store[128];
  const char *items[8];
  int n = dfsc__cli_split_list(list, store, sizeof(store), items, 8), i, j;
  size_t k;

  if (n < 0) {
    snprintf(err, errcap,
             "ciphers: expected a comma list of aes-128-gcm, aes-128-ccm, "
             "aes-256-gcm, aes-256-ccm");
    return -EINVAL;
  }
  for (i = 0; i < n; i++) {
    int found = 0;
    for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
      found |= strcasecmp(items[i], known[k]) == 0;
    if (!found) {
      snprintf(err, errcap,
               "ciphers: unknown cipher '%s' (aes-128-gcm, aes-128-ccm, "
               "aes-256-gcm, aes-256-ccm)",
               items[i]);
      return -EINVAL;
    }
    for (j = 0; j < i; j++)
      if (strcasecmp(items[i], items[j]) == 0) {
        snprintf(err, errcap, "ciphers: '%s' given twice", items[i]);
        return -EINVAL;
      }
  }
  return 0;
}

int dfsc__cli_parse_kerberos(const char *arg, int *mode) {
  /* "desired" is smbclient's --use-kerberos word for what dfsc calls auto. */
  if (arg == NULL || strcasecmp(arg, "required") == 0)
    *mode = DFSC_KERBEROS_REQUIRED;
  else if (strcasecmp(arg, "auto") == 0 || strcasecmp(arg, "desired") == 0)
    *mode = DFSC_KERBEROS_AUTO;
  else if (strcasecmp(arg, "off") == 0)
    *mode = DFSC_KERBEROS_OFF;
  else
    return -EINVAL;
  return 0;
}

/* A host or share part of a hardened-path pattern: not empty, no
 * separator, no control character, at most 255 bytes. */
static int unc_part_ok(const char *s, size_t n) {
  size_t i;

  if (n == 0 || n > 255)
    return 0;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];

    if (c < 0x20 || c == 0x7f || c == '\\' || c == '/')
      return 0;
  }
  return 1;
}

int dfsc__cli_check_unc_pattern(const char *p) {
  const char *host, *sep;

  /* \\HOST\SHARE with either separator anywhere: the library treats '/'
   * as '\\', and a shell user types //HOST/SHARE more easily. */
  if (p == NULL || (p[0] != '\\' && p[0] != '/') || (p[1] != '\\' && p[1] != '/'))
    return -EINVAL;
  host = p + 2;
  sep = host + strcspn(host, "\\/");
  if (*sep == '\0' || !unc_part_ok(host, (size_t)(sep - host)) ||
      !unc_part_ok(sep + 1, strlen(sep + 1)))
    return -EINVAL;
  return 0;
}

int dfsc__cli_parse_size(const char *s, uint64_t *out) {
  static const char units[] = "kmgt";
  const char *u;
  uint64_t v = 0;
  int shift = 0;

  if (*s < '0' || *s > '9')
    return -EINVAL;
  for (; *s >= '0' && *s <= '9'; s++) {
    uint64_t d = (uint64_t)(*s - '0');
    if (v > UINT64_MAX / 10 || (v == UINT64_MAX / 10 && d > UINT64_MAX % 10))
      return -EINVAL;
    v = v * 10 + d;
  }
  if (*s != '\0') {
    u = strchr(units, tolower((unsigned char)*s));
    if (u == NULL || s[1] != '\0')
      return -EINVAL;
    shift = 10 * (int)(u - units + 1);
    if (v > (UINT64_MAX >> shift))
      return -EINVAL;
    v <<= shift;
  }
  *out = v;
  return 0;
}

/* The get -r bounds: the defaults stop a server that fans out without
 * end (31,222 directories in 20 s were seen) long before the local disk
 * runs out of inodes, and are far above a real tree copied in one run. */
static struct dfsc__cli_limits limits = {DFSC_CLI_MAX_FILES_DEFAULT, 0};

const struct dfsc__cli_limits *dfsc__cli_config_limits(void) { return &limits; }

enum key_type { K_NUMBER, K_BOOL, K_CIPHERS, K_PATTERNS, K_LIMIT_COUNT, K_LIMIT_SIZE };

struct key {
  const char *name;
  size_t off; /* into dfsc_opts: an unsigned (K_NUMBER), int (K_BOOL),
                 const char * (K_CIPHERS), const char *const *
                 (K_PATTERNS); into `limits` a uint64_t (K_LIMIT_*) */
  unsigned long max;
  int seconds; /* value in seconds, stored as milliseconds */
  enum key_type type;
  int zero_ok; /* K_NUMBER: 0 is a value (the library's default), not below the minimum */
};

#define CRED_SERVERS_MAX 64
#define HARDENED_MAX 64
#define NAME_MAX_BYTES 4096 /* a keytab or ccache name: PATH_MAX */

/* Storage of the string values (see cli.h). */
static char ciphers_store[128];
static char patterns_store[2048];
static const char *patterns[CRED_SERVERS_MAX + 1];
static char keytab_store[NAME_MAX_BYTES];
static char ccache_store[NAME_MAX_BYTES];
static char hardened_store[2048];
static const char *hardened[HARDENED_MAX + 1];
/* A list whose first element is NULL: hardening off (dfsc_opts). */
static const char *const hardened_none[1] = {NULL};

static const struct key keys[] = {
    {"workers", offsetof(dfsc_opts, lookup_workers), 64, 0, K_NUMBER, 0},
    {"max_referrals", offsetof(dfsc_opts, max_referrals), 4096, 0, K_NUMBER, 0},
    {"max_referrals_per_server", offsetof(dfsc_opts, max_referrals_per_server), 4096, 0,
     K_NUMBER, 0},
    {"max_connects", offsetof(dfsc_opts, max_connects), 4096, 0, K_NUMBER, 0},
    /* Milliseconds, as --idle-timeout and -o idle_timeout take them. */
    {"idle_timeout", offsetof(dfsc_opts, idle_timeout_ms), 86400000, 0, K_NUMBER, 0},
    {"max_conns", offsetof(dfsc_opts, max_conns), 65536, 0, K_NUMBER, 0},
    {"submit_queue_max", offsetof(dfsc_opts, submit_queue_max), 1u << 20, 0, K_NUMBER, 0},
    {"referral_queue_max", offsetof(dfsc_opts, referral_queue_max), 1u << 20, 0, K_NUMBER,
     0},
    {"lookup_queue_max", offsetof(dfsc_opts, lookup_queue_max), 1u << 20, 0, K_NUMBER, 0},
    {"connect_timeout", offsetof(dfsc_opts, connect_timeout_ms), 86400, 1, K_NUMBER, 0},
    {"setup_timeout", offsetof(dfsc_opts, setup_timeout_ms), 86400, 1, K_NUMBER, 0},
    {"request_timeout", offsetof(dfsc_opts, request_timeout_ms), 86400, 1, K_NUMBER, 0},
    {"encrypt", offsetof(dfsc_opts, encrypt), 1, 0, K_BOOL, 0},
    {"ciphers", offsetof(dfsc_opts, ciphers), 0, 0, K_CIPHERS, 0},
    {"cred_servers", offsetof(dfsc_opts, cred_servers), 0, 0, K_PATTERNS, 0},
    /* As workers and lookup_queue_max bound the lookup lane. */
    {"auth_workers", offsetof(dfsc_opts, auth_workers), 64, 0, K_NUMBER, 0},
    {"auth_queue_max", offsetof(dfsc_opts, auth_queue_max), 1u << 20, 0, K_NUMBER, 0},
    /* Milliseconds, 0 the library's default (30 s; cifs's `soft`). A day
     * waits out any outage a person would sit through: cifs's `hard`. */
    {"reconnect_timeout", offsetof(dfsc_opts, reconnect_timeout_ms), 86400000, 0, K_NUMBER,
     1},
    /* Milliseconds asked of a 3.x server, 0 its default. */
    {"durable_timeout", offsetof(dfsc_opts, durable_timeout_ms), 86400000, 0, K_NUMBER, 1},
    {"max_files", offsetof(struct dfsc__cli_limits, max_files), 0, 0, K_LIMIT_COUNT, 0},
    {"max_bytes", offsetof(struct dfsc__cli_limits, max_bytes), 0, 0, K_LIMIT_SIZE, 0},
};

/* The Kerberos keys, echo_interval and durable take words and names, not the
 * numbers, flags and lists of `keys`: a table of their own, so that what
 * reads `keys` field by type (fuzz/fuzz_config.c checks every field it names)
 * stays exact. */
enum krb_key_type {
  KK_MODE,     /* kerberos: enum dfsc_kerberos_mode */
  KK_NTLM,     /* ntlm: on/off, stored inverted in ntlm_off */
  KK_NAME,     /* keytab, ccache: a name, passed on as written */
  KK_HARDENED, /* hardened_paths: UNC patterns, none or default */
  KK_ECHO,     /* echo_interval: milliseconds (0 the default) or off (UINT32_MAX) */
  KK_DURABLE   /* durable: on/off, as enum dfsc_durable_mode */
};

static const struct {
  const char *name;
  enum krb_key_type type;
} krb_keys[] = {
    {"kerberos", KK_MODE},
    {"ntlm", KK_NTLM},
    {"keytab", KK_NAME},
    {"ccache", KK_NAME},
    {"hardened_paths", KK_HARDENED},
    {"echo_interval", KK_ECHO},
    {"durable", KK_DURABLE},
};

/* The words of the flags: *on set to 1 or 0. Returns 0 or -EINVAL. */
static int parse_flag(const char *vs, int *on) {
  static const char *const yes[] = {"yes", "true", "on", "1"};
  static const char *const no[] = {"no", "false", "off", "0"};
  size_t i;
  for (i = 0; i < 4; i++) {
    if (strcasecmp(vs, yes[i]) == 0 || strcasecmp(vs, no[i]) == 0) {
      *on = strcasecmp(vs, yes[i]) == 0;
      return 0;
    }
  }
  return -EINVAL;
}

static int set_value(const struct key *k, const char *vs, dfsc_opts *o, const char *where,
                     char *err, size_t errcap) {
  char msg[200];

  switch (k->type) {
  case K_BOOL:
    if (parse_flag(vs, (int *)((char *)o + k->off)) == 0)
      return 0;
    snprintf(err, errcap, "%s%s: expected yes or no, not '%s'", where, k->name, vs);
    return -EINVAL;
  case K_CIPHERS:
    if (dfsc__cli_check_ciphers(vs, msg, sizeof(msg)) != 0 ||
        strlen(vs) >= sizeof(ciphers_store)) {
      snprintf(err, errcap, "%s%s", where, msg);
      return -EINVAL;
    }
    memcpy(ciphers_store, vs, strlen(vs) + 1);
    o->ciphers = ciphers_store;
    return 0;
  case K_PATTERNS:
    if (dfsc__cli_split_list(vs, patterns_store, sizeof(patterns_store), patterns,
                             CRED_SERVERS_MAX + 1) < 0) {
      o->cred_servers = NULL;
      snprintf(err, errcap, "%s%s: expected a comma list of at most %d server patterns",
               where, k->name, CRED_SERVERS_MAX);
      return -EINVAL;
    }
    o->cred_servers = patterns;
    return 0;
  case K_LIMIT_COUNT:
  case K_LIMIT_SIZE: {
    uint64_t v;
    /* A count is plain digits; a size may carry K, M, G or T. */
    if ((k->type == K_LIMIT_COUNT && vs[strspn(vs, "0123456789")] != '\0') ||
        dfsc__cli_parse_size(vs, &v) != 0) {
      snprintf(err, errcap, "%s%s: invalid value '%s' (%s, 0 for no limit)", where, k->name,
               vs, k->type == K_LIMIT_COUNT ? "a count" : "bytes, or with K, M, G, T");
      return -EINVAL;
    }
    *(uint64_t *)((char *)&limits + k->off) = v;
    return 0;
  }
  case K_NUMBER:
    break;
  }
  {
    unsigned *dst = (unsigned *)((char *)o + k->off);
    char *tail;
    double v, min = k->zero_ok ? 0 : k->seconds ? 0.001 : 1;
    errno = 0;
    v = strtod(vs, &tail);
    if (errno || *tail != '\0' || !(v >= min && v <= (double)k->max) ||
        (!k->seconds && v != (double)(unsigned long)v)) {
      snprintf(err, errcap, "%s%s: invalid value '%s'", where, k->name, vs);
      return -EINVAL;
    }
    *dst = k->seconds ? (unsigned)(v * 1000.0 + 0.5) : (unsigned)v;
  }
  return 0;
}

/* Sets one of krb_keys (index i) from its value. */
static int set_krb_value(size_t i, const char *vs, dfsc_opts *o, const char *where,
                         char *err, size_t errcap) {
  const char *name = krb_keys[i].name;

  switch (krb_keys[i].type) {
  case KK_MODE:
    if (dfsc__cli_parse_kerberos(vs, &o->kerberos) != 0) {
      snprintf(err, errcap, "%s%s: expected required, auto or off, not '%s'", where, name,
               vs);
      return -EINVAL;
    }
    return 0;
  case KK_NTLM: {
    /* The words of the other flags (encrypt). */
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    size_t j;
    for (j = 0; j < 4; j++) {
      if (strcasecmp(vs, yes[j]) == 0 || strcasecmp(vs, no[j]) == 0) {
        o->ntlm_off = strcasecmp(vs, no[j]) == 0;
        return 0;
      }
    }
    snprintf(err, errcap, "%s%s: expected on or off, not '%s'", where, name, vs);
    return -EINVAL;
  }
  case KK_NAME: {
    int keytab = strcmp(name, "keytab") == 0;
    char *store = keytab ? keytab_store : ccache_store;
    size_t n = strlen(vs);
    if (n >= NAME_MAX_BYTES) {
      snprintf(err, errcap, "%s%s: longer than %d bytes", where, name, NAME_MAX_BYTES - 1);
      return -EINVAL;
    }
    memcpy(store, vs, n + 1);
    if (keytab)
      o->keytab = store;
    else
      o->ccache = store;
    return 0;
  }
  case KK_HARDENED: {
    int n, j;
    /* "none" and "default" are words, not patterns: a pattern starts with
     * two separators. */
    if (strcasecmp(vs, "none") == 0) {
      o->hardened_paths = hardened_none;
      return 0;
    }
    if (strcasecmp(vs, "default") == 0) {
      o->hardened_paths = NULL;
      return 0;
    }
    n = dfsc__cli_split_list(vs, hardened_store, sizeof(hardened_store), hardened,
                             HARDENED_MAX + 1);
    for (j = 0; j < n; j++)
      if (dfsc__cli_check_unc_pattern(hardened[j]) != 0)
        break;
    if (n < 0 || j < n) {
      /* The defaults stay rather than a half-read list. */
      o->hardened_paths = NULL;
      if (n < 0)
        snprintf(err, errcap,
                 "%s%s: expected none, default or a comma list of at most %d "
                 "\\\\HOST\\SHARE patterns",
                 where, name, HARDENED_MAX);
      else
        snprintf(err, errcap, "%s%s: '%s' is not a \\\\HOST\\SHARE or //HOST/SHARE pattern",
                 where, name, hardened[j]);
      return -EINVAL;
    }
    o->hardened_paths = hardened;
    return 0;
  }
  case KK_ECHO: {
    unsigned long v = 0;
    size_t n = strlen(vs), j;
    /* "off" and "none": no keepalive at all, the library's UINT32_MAX. */
    if (strcasecmp(vs, "off") == 0 || strcasecmp(vs, "none") == 0) {
      o->echo_interval_ms = UINT32_MAX;
      return 0;
    }
    for (j = 0; j < n && n <= 9; j++) {
      if (vs[j] < '0' || vs[j] > '9')
        break;
      v = v * 10 + (unsigned long)(vs[j] - '0');
    }
    if (n == 0 || n > 9 || j < n || v > 86400000) {
      snprintf(err, errcap, "%s%s: expected milliseconds (0 to 86400000) or off, not '%s'",
               where, name, vs);
      return -EINVAL;
    }
    o->echo_interval_ms = (unsigned)v;
    return 0;
  }
  case KK_DURABLE: {
    int on;
    if (parse_flag(vs, &on) != 0) {
      snprintf(err, errcap, "%s%s: expected on or off, not '%s'", where, name, vs);
      return -EINVAL;
    }
    o->durable = on ? DFSC_DURABLE_AUTO : DFSC_DURABLE_OFF;
    return 0;
  }
  }
  return -EINVAL;
}

/* The key named by key[0..len), written as in the file: case and '-' for
 * '_' do not matter. Sets *k (one of keys) or *kk (an index of krb_keys,
 * else -1); returns 0 when there is none. */
static int find_key(const char *key, size_t len, const struct key **k, int *kk) {
  char name[64];
  size_t i;

  *k = NULL;
  *kk = -1;
  if (len == 0 || len >= sizeof(name))
    return 0;
  for (i = 0; i < len; i++)
    name[i] = key[i] == '-' ? '_' : (char)tolower((unsigned char)key[i]);
  name[len] = '\0';
  for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
    if (strcmp(keys[i].name, name) == 0) {
      *k = &keys[i];
      return 1;
    }
  for (i = 0; i < sizeof(krb_keys) / sizeof(krb_keys[0]); i++)
    if (strcmp(krb_keys[i].name, name) == 0) {
      *kk = (int)i;
      return 1;
    }
  return 0;
}

/* Sets the key find_key found. */
static int set_found(const struct key *k, int kk, const char *vs, dfsc_opts *o,
                     const char *where, char *err, size_t errcap) {
  return k != NULL ? set_value(k, vs, o, where, err, errcap)
                   : set_krb_value((size_t)kk, vs, o, where, err, errcap);
}

int dfsc__cli_config_has_key(const char *key, size_t len) {
  const struct key *k;
  int kk;
  return find_key(key, len, &k, &kk);
}

int dfsc__cli_config_set(const char *key, const char *value, dfsc_opts *o, char *err,
                         size_t errcap) {
  const struct key *k;
  int kk;
  if (find_key(key, strlen(key), &k, &kk))
    return set_found(k, kk, value, o, "", err, errcap);
  snprintf(err, errcap, "unknown key '%s'", key);
  return -EINVAL;
}

static void trim(char **s, char **e) {
  while (*s < *e && isspace((unsigned char)**s))
    (*s)++;
  while (*e > *s && isspace((unsigned char)(*e)[-1]))
    (*e)--;
}

int dfsc__cli_config_parse(const char *text, size_t len, const char *fname, dfsc_opts *o,
                           char *err, size_t errcap) {
  const char *p = text, *end = text + len;
  int lineno = 0;

  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    char *ks, *ke, *vs, *ve, *eq, line[512], key[64];
    const struct key *k = NULL;
    int kk = -1;
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
    if (!find_key(key, i, &k, &kk)) {
      snprintf(err, errcap, "%s:%d: unknown key '%s'", fname, lineno, key);
      return -EINVAL;
    }
    {
      char where[300];
      snprintf(where, sizeof(where), "%s:%d: ", fname, lineno);
      if (set_found(k, kk, vs, o, where, err, errcap) != 0)
        return -EINVAL;
    }
  }
  return 0;
}

int dfsc__cli_config_load(const char *path, int must_exist, dfsc_opts *o, char *err,
                          size_t errcap) {
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
