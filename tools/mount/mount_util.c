/* The pure pieces of `dfsc mount`: the -o option parser, results to errno,
 * dfsc_stat_t to struct stat, the names the top two levels accept and which
 * servers a local user may reach.
 * Does not: touch libfuse or the library's state (unit tests include this
 * file directly).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/glob.h"
#include "dfsc/errors.h"
#include "mount.h"

/* NTSTATUS values ([MS-ERREF] 2.3.1) that have a closer errno than EIO. */
static const struct {
  uint32_t status;
  int err;
} status_errno[] = {
    {0xC0000034u, ENOENT},       /* OBJECT_NAME_NOT_FOUND */
    {0xC000003Au, ENOENT},       /* OBJECT_PATH_NOT_FOUND */
    {0xC0000033u, ENOENT},       /* OBJECT_NAME_INVALID */
    {0xC00000CCu, ENOENT},       /* BAD_NETWORK_NAME */
    {0xC0000056u, ENOENT},       /* DELETE_PENDING */
    {0xC000000Fu, ENOENT},       /* NO_SUCH_FILE */
    {0xC0000035u, EEXIST},       /* OBJECT_NAME_COLLISION */
    {0xC0000022u, EACCES},       /* ACCESS_DENIED */
    {0xC000006Du, EACCES},       /* LOGON_FAILURE */
    {0xC0000121u, EACCES},       /* CANNOT_DELETE */
    {0xC0000061u, EPERM},        /* PRIVILEGE_NOT_HELD */
    {0xC0000101u, ENOTEMPTY},    /* DIRECTORY_NOT_EMPTY */
    {0xC0000103u, ENOTDIR},      /* NOT_A_DIRECTORY */
    {0xC00000BAu, EISDIR},       /* FILE_IS_A_DIRECTORY */
    {0xC0000043u, EBUSY},        /* SHARING_VIOLATION */
    {0xC0000054u, EAGAIN},       /* FILE_LOCK_CONFLICT */
    {0xC0000055u, EAGAIN},       /* LOCK_NOT_GRANTED */
    {0xC000007Fu, ENOSPC},       /* DISK_FULL */
    {0xC0000044u, EDQUOT},       /* QUOTA_EXCEEDED */
    {0xC00000A2u, EROFS},        /* MEDIA_WRITE_PROTECTED */
    {0xC00000D4u, EXDEV},        /* NOT_SAME_DEVICE */
    {0xC0000106u, ENAMETOOLONG}, /* NAME_TOO_LONG */
    {0xC00000BBu, EOPNOTSUPP},   /* NOT_SUPPORTED */
    {0xC0000010u, EOPNOTSUPP},   /* INVALID_DEVICE_REQUEST */
    {0xC000000Du, EINVAL},       /* INVALID_PARAMETER */
    {0xC0000120u, EINTR},        /* CANCELLED */
    {0xC000009Au, ENOMEM},       /* INSUFFICIENT_RESOURCES */
    {0xC00000B5u, ETIMEDOUT},    /* IO_TIMEOUT */
    {0xC00000CAu, EACCES},       /* NETWORK_ACCESS_DENIED */
    {0xC00000BEu, ENOENT},       /* BAD_NETWORK_PATH */
    {0xC000003Bu, ENOENT},       /* OBJECT_PATH_SYNTAX_BAD */
    {0xC0000128u, EBADF},        /* FILE_CLOSED */
    {0xC00000C9u, ESTALE},       /* NETWORK_NAME_DELETED */
    {0xC0000203u, ESTALE},       /* USER_SESSION_DELETED */
};

int dfsc__mount_errno(int err, uint32_t ntstatus, int io) {
  size_t i;

  if (err == 0)
    return 0;
  if (err == DFSC_E_NTSTATUS) {
    for (i = 0; i < sizeof(status_errno) / sizeof(status_errno[0]); i++)
      if (status_errno[i].status == ntstatus)
        return status_errno[i].err;
    return EIO;
  }
  if (err == -ENOMEM)
    return ENOMEM;
  if (err == DFSC_E_BUSY)
    return EAGAIN; /* a queue bound: try again, not an I/O error */
  /* The program was interrupted (the mount canceled the operation on
   * FUSE_INTERRUPT, or stopped before starting it): EINTR, reads and
   * writes included, so that it sees its signal and not an I/O error. */
  if (err == DFSC_E_CANCELED || err == -EINTR)
    return EINTR;
  /* The whole operation's deadline (dfsc_set_op_timeout) passed, not a
   * failure on the wire: ETIMEDOUT for reads and writes too, as NFS's
   * softerr mounts answer. */
  if (err == DFSC_E_TIMEDOUT)
    return ETIMEDOUT;
  /* The server lost the open handle and it could not be opened again as
   * the same, unchanged file (docs/mount.md, Reconnect): ESTALE as NFS
   * answers, for reads and writes too, so that the program can tell it
   * from a passing failure and open the file again. */
  if (err == -ESTALE)
    return ESTALE;
  /* A read or write that fails on the wire is an I/O error to the
   * program, whatever the transport said. */
  if (io)
    return EIO;
  /* The connection failed or did not come back within reconnect_timeout:
   * the transport's words (ECONNREFUSED, ETIMEDOUT, ECONNRESET, ...) mean
   * something else to a program that called stat(2) or open(2), and
   * ETIMEDOUT is kept for the operation's own deadline above. */
  switch (err) {
  case DFSC_E_CLOSED:
  case -ECONNREFUSED:
  case -ECONNRESET:
  case -ECONNABORTED:
  case -ETIMEDOUT:
  case -EPIPE:
  case -ENOTCONN:
  case -EHOSTDOWN:
    return EHOSTDOWN;
  default:
    break;
  }
  switch (err) {
  case DFSC_E_BADPATH:
    return ENOENT;
  case DFSC_E_BUSY:
    return EAGAIN;
  case DFSC_E_AUTH:
  case DFSC_E_GUEST:
  case DFSC_E_KERBEROS:
  case DFSC_E_HARDENED:
    return EACCES;
  case DFSC_E_NOTICKET:
    return ENOKEY; /* as cifs.ko: "Required key not available" */
  case DFSC_E_LOOP:
    return ELOOP;
  case DFSC_E_LOOKUP:
    return EHOSTUNREACH;
  case DFSC_E_SHUTDOWN:
    return ESHUTDOWN;
  case DFSC_E_UNSUPPORTED:
  case DFSC_E_DIALECT:
    return EOPNOTSUPP;
  default:
    break;
  }
  /* Plain -errno values from the transport pass through. */
  if (err < 0 && err > -4096)
    return -err;
  return EIO;
}

void dfsc__mount_net_opts(const struct dfsc__mount_opts *o, dfsc_opts *opts) {
  if (o->has_reconnect_timeout)
    opts->reconnect_timeout_ms = o->reconnect_timeout_ms;
  if (o->has_echo_interval)
    opts->echo_interval_ms = o->echo_interval_ms;
  if (o->has_durable)
    opts->durable = o->durable;
  if (o->has_durable_timeout)
    opts->durable_timeout_ms = o->durable_timeout_ms;
}

void dfsc__mount_opts_init(struct dfsc__mount_opts *o) {
  memset(o, 0, sizeof(*o));
  o->max_threads = 10;
  o->read_ahead_kb = 1024;
  o->file_mode = 0644;
  o->dir_mode = 0755;
  o->attr_timeout = 1.0;
  o->entry_timeout = 1.0;
  o->negative_timeout = 1.0;
  o->lease_attr_timeout = 60.0;
  o->listing_mem = 256u << 20;
  o->listing_mem_uid = 64u << 20;
  o->dir_handles_uid = 1024;
  o->listings_inflight_uid = 2;
  o->listings_inflight = 0; /* from listing_mem: dfsc__mount_listings_inflight */
  o->listings_queue_uid = 64;
  o->listings_queue = 1024;
}

void dfsc__mount_opts_free(struct dfsc__mount_opts *o) {
  free(o->credentials);
  free(o->user);
  free(o->domain);
  free(o->config);
  free(o->fuse_opts);
  free(o->credentials_dir);
  for (size_t i = 0; i < o->nhosts; i++)
    free(o->hosts[i]);
  free(o->hosts);
  memset(o, 0, sizeof(*o));
}

struct dfsc__mount_opts *dfsc__mount_opts_new(void) {
  struct dfsc__mount_opts *o = malloc(sizeof(*o));

  if (o != NULL)
    dfsc__mount_opts_init(o);
  return o;
}

void dfsc__mount_opts_delete(struct dfsc__mount_opts *o) {
  if (o == NULL)
    return;
  dfsc__mount_opts_free(o);
  free(o);
}

int dfsc__mount_opt(struct dfsc__mount_opts *o, int opt, const char *arg,
                    int (*is_config_key)(const char *key, size_t len), char *err,
                    size_t errcap) {
  switch (opt) {
  case 'o':
    return dfsc__mount_parse_opts(o, arg, is_config_key, err, errcap);
  case 'd':
    o->debug = 1;
    o->foreground = 1;
    return 0;
  case 'f':
    o->foreground = 1;
    return 0;
  case 's':
    o->single_thread = 1;
    return 0;
  default:
    snprintf(err, errcap, "unknown mount option '-%c'", opt);
    return -EINVAL;
  }
}

void dfsc__mount_overrides(const struct dfsc__mount_opts *o,
                           struct dfsc__mount_overrides *out) {
  out->credentials = o->credentials;
  out->user = o->user;
  out->domain = o->domain;
  out->config = o->config;
  out->config_len = o->config_len;
}

static int opt_fail(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int opt_fail(char *err, size_t cap, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(err, cap, fmt, ap);
  va_end(ap);
  return -EINVAL;
}

/* Appends `s` (n bytes) and then `sep` to the growing string *dst. */
static int append(char **dst, size_t *len, const char *s, size_t n, const char *sep) {
  size_t old = *dst ? *len : 0, add = n + strlen(sep);
  char *p = realloc(*dst, old + add + 1);

  if (p == NULL)
    return -ENOMEM;
  memcpy(p + old, s, n);
  memcpy(p + old + n, sep, strlen(sep));
  p[old + add] = '\0';
  *dst = p;
  *len = old + add;
  return 0;
}

static int parse_seconds(const char *v, double *out) {
  char *end;
  double d;

  errno = 0;
  d = strtod(v, &end);
  if (*v == '\0' || *end != '\0' || errno != 0 || !(d >= 0.0) || d > 86400.0)
    return -1;
  *out = d;
  return 0;
}

static int parse_uint(const char *v, int base, unsigned long max, unsigned long *out) {
  char *end;
  unsigned long u;

  if (*v == '\0' || *v == '-' || *v == '+')
    return -1;
  errno = 0;
  u = strtoul(v, &end, base);
  if (*end != '\0' || errno != 0 || u > max)
    return -1;
  *out = u;
  return 0;
}

/* SIZE: a number of bytes with an optional K, M or G (binary) suffix. */
static int parse_size(const char *v, uint64_t min, uint64_t max, uint64_t *out) {
  char *end;
  unsigned long long u;
  unsigned shift = 0;

  if (*v < '0' || *v > '9')
    return -1;
  errno = 0;
  u = strtoull(v, &end, 10);
  if (errno != 0)
    return -1;
  if (*end == 'K' || *end == 'k')
    shift = 10;
  else if (*end == 'M' || *end == 'm')
    shift = 20;
  else if (*end == 'G' || *end == 'g')
    shift = 30;
  if (shift != 0)
    end++;
  if (*end != '\0' || u > (max >> shift) || (u << shift) < min)
    return -1;
  *out = (uint64_t)u << shift;
  return 0;
}

/* -o hosts=A:B/S:...: adds each entry; ':' and ',' (written "\,") separate.
 * An entry is HOST or HOST/SHARE, each a glob. */
static int add_hosts(struct dfsc__mount_opts *o, const char *v, char *err, size_t errcap) {
  const char *p = v;

  if (*v == '\0')
    return opt_fail(err, errcap,
                    "-o hosts needs a value (HOST or HOST/SHARE, ':' between)");
  while (*p != '\0') {
    size_t n = strcspn(p, ":,"), i, slashes = 0;
    char *e, **h;

    if (n == 0 || n > 512)
      return opt_fail(err, errcap, "-o hosts: an entry is empty or too long");
    for (i = 0; i < n; i++) {
      unsigned char c = (unsigned char)p[i];
      if (c == '/')
        slashes++;
      if (c < 0x20 || c == 0x7f || c == '\\' || slashes > 1 ||
          (c == '/' && (i == 0 || i + 1 == n)))
        return opt_fail(err, errcap, "-o hosts: '%.*s' is not HOST or HOST/SHARE",
                        (int)(n < 64 ? n : 64), p);
    }
    if (o->nhosts == DFSC_MOUNT_HOSTS_MAX)
      return opt_fail(err, errcap, "-o hosts: more than %d entries", DFSC_MOUNT_HOSTS_MAX);
    h = realloc(o->hosts, (o->nhosts + 2) * sizeof(*h));
    if (h == NULL)
      return -ENOMEM;
    o->hosts = h;
    if ((e = strndup(p, n)) == NULL)
      return -ENOMEM;
    o->hosts[o->nhosts++] = e;
    o->hosts[o->nhosts] = NULL;
    p += n;
    if (*p != '\0')
      p++;
  }
  return 0;
}

static int set_str(char **dst, const char *v) {
  char *s = strdup(v);

  if (s == NULL)
    return -ENOMEM;
  free(*dst);
  *dst = s;
  return 0;
}

/* Appends "KEY = VALUE\n" for the configuration-file parser, which checks
 * the value (dfsc__mount_overrides). */
static int config_line(struct dfsc__mount_opts *o, const char *k, size_t klen,
                       const char *v, char *err, size_t errcap) {
  const char *c;
  int rc;

  if (*v == '\0')
    return opt_fail(err, errcap, "-o %.*s needs a value", (int)klen, k);
  /* The file's comment characters and line ends would cut the value. */
  for (c = v; *c; c++)
    if ((unsigned char)*c < 0x20 || *c == '#' || *c == ';' || *c == 0x7f)
      return opt_fail(err, errcap, "-o %.*s: invalid character in the value", (int)klen, k);
  rc = append(&o->config, &o->config_len, k, klen, " = ");
  return rc < 0 ? rc : append(&o->config, &o->config_len, v, strlen(v), "\n");
}

/* cifs.ko's sec= as a kerberos mode: krb5 (and krb5i, signed: every
 * authenticated session is signed here anyway) is required; the NTLM ones
 * keep Kerberos off. NULL for any other value (ntlm and ntlmi are NTLMv1,
 * none is anonymous: both mean something dfsc does not do this way). */
static const char *sec_to_kerberos(const char *v) {
  static const char *const ntlm[] = {"ntlmv2", "ntlmv2i", "ntlmssp", "ntlmsspi"};
  size_t i;

  if (strcmp(v, "krb5") == 0 || strcmp(v, "krb5i") == 0)
    return "required";
  for (i = 0; i < sizeof(ntlm) / sizeof(ntlm[0]); i++)
    if (strcmp(v, ntlm[i]) == 0)
      return "off";
  return NULL;
}

static int one_opt(struct dfsc__mount_opts *o, char *kv,
                   int (*is_config_key)(const char *, size_t), size_t *fuse_len, char *err,
                   size_t errcap) {
  static const char *const ignored[] = {"defaults", "auto",  "noauto", "_netdev", "nofail",
                                        "user",     "users", "nouser", "rw",      NULL};
  char *eq = strchr(kv, '=');
  const char *v = eq ? eq + 1 : NULL;
  size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);
  unsigned long u;
  double d;
  int i;

  if (klen == 0)
    return kv[0] == '\0' ? 0 : opt_fail(err, errcap, "-o: empty option name in '%s'", kv);
#define KEY(name) (klen == strlen(name) && strncmp(kv, name, klen) == 0)
  for (i = 0; ignored[i] != NULL; i++)
    if (v == NULL && KEY(ignored[i]))
      return 0;
  if (KEY("password") || KEY("pass")) {
    /* mount.cifs takes it; here it would sit in ps and in error messages. */
    return opt_fail(err, errcap,
                    "-o %.*s is not accepted (it shows in ps): use "
                    "credentials=FILE or DFSC_PASSWORD",
                    (int)klen, kv);
  }
  if (KEY("credentials") || KEY("user") || KEY("username") || KEY("domain") ||
      KEY("workgroup")) {
    char **dst = KEY("credentials")                    ? &o->credentials
                 : (KEY("domain") || KEY("workgroup")) ? &o->domain
                                                       : &o->user;
    if (v == NULL || *v == '\0')
      return opt_fail(err, errcap, "-o %.*s needs a value", (int)klen, kv);
    return set_str(dst, v);
  }
  if (KEY("uid") || KEY("gid")) {
    if (v == NULL || parse_uint(v, 10, 0xFFFFFFFEul, &u) != 0)
      return opt_fail(err, errcap, "-o %.*s: expected a number", (int)klen, kv);
    if (KEY("uid")) {
      o->uid = (uid_t)u;
      o->has_uid = 1;
    } else {
      o->gid = (gid_t)u;
      o->has_gid = 1;
    }
    return 0;
  }
  if (KEY("file_mode") || KEY("dir_mode")) {
    if (v == NULL || parse_uint(v, 8, 07777, &u) != 0)
      return opt_fail(err, errcap, "-o %.*s: expected an octal mode", (int)klen, kv);
    if (KEY("file_mode"))
      o->file_mode = (mode_t)u;
    else
      o->dir_mode = (mode_t)u;
    return 0;
  }
  if (KEY("attr_timeout") || KEY("entry_timeout") || KEY("negative_timeout") ||
      KEY("lease_attr_timeout")) {
    if (v == NULL || parse_seconds(v, &d) != 0)
      return opt_fail(err, errcap, "-o %.*s: expected seconds (0 to 86400)", (int)klen, kv);
    if (KEY("attr_timeout"))
      o->attr_timeout = d;
    else if (KEY("entry_timeout"))
      o->entry_timeout = d;
    else if (KEY("lease_attr_timeout"))
      o->lease_attr_timeout = d;
    else
      o->negative_timeout = d;
    return 0;
  }
  if (KEY("read_ahead_kb")) {
    if (v == NULL || parse_uint(v, 10, 65536, &u) != 0)
      return opt_fail(err, errcap, "-o read_ahead_kb: expected 0 to 65536");
    o->read_ahead_kb = (unsigned)u;
    return 0;
  }
  if (KEY("max_threads")) {
    if (v == NULL || parse_uint(v, 10, 1024, &u) != 0 || u == 0)
      return opt_fail(err, errcap, "-o max_threads: expected 1 to 1024");
    o->max_threads = (unsigned)u;
    return 0;
  }
  if (KEY("hosts")) {
    if (v == NULL)
      return opt_fail(err, errcap,
                      "-o hosts needs a value (HOST or HOST/SHARE, ':' between)");
    return add_hosts(o, v, err, errcap);
  }
  if (KEY("credentials_dir")) {
    if (v == NULL || v[0] != '/')
      return opt_fail(err, errcap, "-o credentials_dir needs an absolute directory");
    free(o->credentials_dir);
    if ((o->credentials_dir = strdup(v)) == NULL)
      return -ENOMEM;
    return 0;
  }
  if (v == NULL &&
      (KEY("open_hosts") || KEY("dumpable") || KEY("nobrl") || KEY("multiuser") ||
       KEY("nowritebehind") || KEY("nodirectwrites") || KEY("nosplice"))) {
    if (KEY("open_hosts"))
      o->open_hosts = 1;
    else if (KEY("nobrl"))
      o->nobrl = 1;
    else if (KEY("nowritebehind"))
      o->no_writebehind = 1;
    else if (KEY("nodirectwrites"))
      o->no_directwrites = 1;
    else if (KEY("nosplice"))
      o->no_splice = 1;
    else if (KEY("multiuser"))
      o->multiuser = 1;
    else
      o->dumpable = 1;
    return 0;
  }
  if (KEY("listing_mem") || KEY("listing_mem_uid")) {
    uint64_t sz;
    if (v == NULL || parse_size(v, 4096, (uint64_t)1 << 40, &sz) != 0)
      return opt_fail(err, errcap, "-o %.*s: expected a size from 4K to 1024G", (int)klen,
                      kv);
    if (KEY("listing_mem"))
      o->listing_mem = sz;
    else
      o->listing_mem_uid = sz;
    return 0;
  }
  if (KEY("dir_handles_uid")) {
    if (v == NULL || parse_uint(v, 10, 1u << 20, &u) != 0 || u == 0)
      return opt_fail(err, errcap, "-o dir_handles_uid: expected 1 to 1048576");
    o->dir_handles_uid = (unsigned)u;
    return 0;
  }
  if (KEY("listings_inflight") || KEY("listings_inflight_uid")) {
    if (v == NULL || parse_uint(v, 10, 1024, &u) != 0 || u == 0)
      return opt_fail(err, errcap, "-o %.*s: expected 1 to 1024", (int)klen, kv);
    if (KEY("listings_inflight"))
      o->listings_inflight = (unsigned)u;
    else
      o->listings_inflight_uid = (unsigned)u;
    return 0;
  }
  if (KEY("listings_queue") || KEY("listings_queue_uid")) {
    if (v == NULL || parse_uint(v, 10, 65536, &u) != 0)
      return opt_fail(err, errcap, "-o %.*s: expected 0 to 65536", (int)klen, kv);
    if (KEY("listings_queue"))
      o->listings_queue = (unsigned)u;
    else
      o->listings_queue_uid = (unsigned)u;
    return 0;
  }
  if (KEY("reconnect_timeout") || KEY("durable_timeout")) {
    /* 0 leaves the library's default; more than a day is no bound. */
    if (v == NULL || parse_uint(v, 10, 86400000ul, &u) != 0)
      return opt_fail(err, errcap, "-o %.*s: expected milliseconds (0 to 86400000)",
                      (int)klen, kv);
    if (KEY("reconnect_timeout")) {
      o->reconnect_timeout_ms = (unsigned)u;
      o->has_reconnect_timeout = 1;
    } else {
      o->durable_timeout_ms = (unsigned)u;
      o->has_durable_timeout = 1;
    }
    return 0;
  }
  if (KEY("echo_interval")) {
    if (v != NULL && strcmp(v, "off") == 0)
      u = UINT32_MAX;
    else if (v == NULL || parse_uint(v, 10, 86400000ul, &u) != 0)
      return opt_fail(err, errcap,
                      "-o echo_interval: expected milliseconds (0 to 86400000) or off");
    o->echo_interval_ms = (unsigned)u;
    o->has_echo_interval = 1;
    return 0;
  }
  if (KEY("durable")) {
    if (v != NULL && (strcmp(v, "on") == 0 || strcmp(v, "yes") == 0))
      o->durable = DFSC_DURABLE_AUTO;
    else if (v != NULL && (strcmp(v, "off") == 0 || strcmp(v, "no") == 0))
      o->durable = DFSC_DURABLE_OFF;
    else
      return opt_fail(err, errcap, "-o durable: expected on or off");
    o->has_durable = 1;
    return 0;
  }
  /* Kerberos as cifs.ko users write it: krb5 alone, or sec=. */
  if (v == NULL && KEY("krb5"))
    return config_line(o, "kerberos", 8, "required", err, errcap);
  if (KEY("sec")) {
    const char *mode = v != NULL ? sec_to_kerberos(v) : NULL;
    if (mode == NULL)
      return opt_fail(err, errcap,
                      "-o sec: expected krb5, krb5i, ntlmv2, ntlmv2i, ntlmssp or "
                      "ntlmsspi");
    return config_line(o, "kerberos", 8, mode, err, errcap);
  }
  if (KEY("hardened_paths")) {
    char *list;
    int rc;
    size_t j;
    if (v == NULL)
      return opt_fail(err, errcap,
                      "-o hardened_paths needs a value (//HOST/SHARE, ':' between, or "
                      "none)");
    /* ':' separates patterns as in hosts= (a ',' must be written "\,"
     * here); the file's list is comma-separated. No host or share name
     * holds a ':'. */
    if ((list = strdup(v)) == NULL)
      return -ENOMEM;
    for (j = 0; list[j] != '\0'; j++)
      if (list[j] == ':')
        list[j] = ',';
    rc = config_line(o, kv, klen, list, err, errcap);
    free(list);
    return rc;
  }
  if (v != NULL && is_config_key != NULL && is_config_key(kv, klen))
    return config_line(o, kv, klen, v, err, errcap);
  /* Kernel and libfuse options. Those the mount also needs to know about are
   * noted and passed on. */
  if (v == NULL && KEY("ro"))
    o->ro = 1;
  if (v == NULL && KEY("allow_other"))
    o->allow_other = 1;
  if (o->fuse_opts != NULL && append(&o->fuse_opts, fuse_len, ",", 1, "") < 0)
    return -ENOMEM;
  /* libfuse splits its -o list on commas too: escape them again. */
  for (i = 0; kv[i] != '\0'; i++) {
    int rc =
        (kv[i] == ',' || kv[i] == '\\') ? append(&o->fuse_opts, fuse_len, "\\", 1, "") : 0;
    if (rc == 0)
      rc = append(&o->fuse_opts, fuse_len, kv + i, 1, "");
    if (rc < 0)
      return rc;
  }
  if (v == NULL && KEY("allow_other"))
    return append(&o->fuse_opts, fuse_len, ",default_permissions", 20, "");
  return 0;
#undef KEY
}

void dfsc__mount_drop_fuse_opt(char *opts, const char *name) {
  size_t nl = strlen(name);
  char *p = opts;

  while (p != NULL && *p != '\0') {
    char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (len == nl && strncmp(p, name, nl) == 0) {
      /* The entry and one comma go: the one after it, else the one before. */
      if (end != NULL) {
        memmove(p, end + 1, strlen(end + 1) + 1);
        continue;
      }
      if (p > opts)
        p[-1] = '\0';
      *p = '\0';
      return;
    }
    p = end ? end + 1 : NULL;
  }
}

int dfsc__mount_parse_opts(struct dfsc__mount_opts *o, const char *arg,
                           int (*is_config_key)(const char *, size_t), char *err,
                           size_t errcap) {
  size_t n = strlen(arg), i, k = 0;
  size_t fuse_len = o->fuse_opts ? strlen(o->fuse_opts) : 0;
  char *buf = malloc(n + 1);
  int rc = 0;

  if (buf == NULL)
    return -ENOMEM;
  for (i = 0; i <= n && rc == 0; i++) {
    if (i < n && arg[i] == '\\' && i + 1 < n && (arg[i + 1] == ',' || arg[i + 1] == '\\')) {
      buf[k++] = arg[i + 1];
      i++;
    } else if (i == n || arg[i] == ',') {
      buf[k] = '\0';
      rc = one_opt(o, buf, is_config_key, &fuse_len, err, errcap);
      k = 0;
    } else {
      buf[k++] = arg[i];
    }
  }
  free(buf);
  return rc;
}

void dfsc__mount_fill_stat(const struct dfsc__mount_opts *o, const dfsc_stat_t *st,
                           uint64_t ino, struct stat *out) {
  int64_t s;
  long ns;

  memset(out, 0, sizeof(*out));
  out->st_ino = (ino_t)ino;
  if (st->is_dir) {
    out->st_mode = S_IFDIR | o->dir_mode;
  } else {
    out->st_mode = S_IFREG | o->file_mode;
    if (st->attributes & DFSC_ATTR_READONLY)
      out->st_mode &= ~(mode_t)0222;
  }
  if (o->ro)
    out->st_mode &= ~(mode_t)0222;
  /* One link for directories too: find(1) reads nlink 2 as "no
   * subdirectories" and would skip them. */
  out->st_nlink = 1;
  out->st_uid = o->has_uid ? o->uid : getuid();
  out->st_gid = o->has_gid ? o->gid : getgid();
  out->st_size = (off_t)st->size;
  out->st_blksize = 1 << 20;
  out->st_blocks = (blkcnt_t)((st->alloc_size + 511) / 512);
  dfsc_filetime_to_unix(st->access_time, &s, &ns);
  out->st_atim.tv_sec = (time_t)s;
  out->st_atim.tv_nsec = ns;
  dfsc_filetime_to_unix(st->write_time, &s, &ns);
  out->st_mtim.tv_sec = (time_t)s;
  out->st_mtim.tv_nsec = ns;
  dfsc_filetime_to_unix(st->change_time ? st->change_time : st->write_time, &s, &ns);
  out->st_ctim.tv_sec = (time_t)s;
  out->st_ctim.tv_nsec = ns;
}

int dfsc__mount_valid_server_name(const char *name) {
  size_t n = strlen(name), i;

  if (n == 0 || n > 255 || name[0] == '.')
    return 0;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c < 0x20 || c == 0x7f || c == '\\' || c == '/' || c == ':')
      return 0;
  }
  return 1;
}

int dfsc__mount_name_too_long(const char *name) {
  size_t units = 0;
  const unsigned char *p;

  for (p = (const unsigned char *)name; *p != 0; p++) {
    if ((*p & 0xC0) == 0x80)
      continue; /* a continuation byte: counted with its lead */
    units += (*p & 0xF8) == 0xF0 ? 2 : 1;
    if (units > DFSC_MOUNT_NAME_MAX)
      return 1;
  }
  return 0;
}

int dfsc__mount_host_allowed(const struct dfsc__mount_opts *o,
                             const char *const *cred_servers, uid_t owner, uid_t uid,
                             const char *host, const char *share) {
  size_t i;

  /* Without allow_other the kernel lets no other user in. With multiuser
   * every user reaches servers as themselves, never with the mount's
   * credentials, which hosts= protects. */
  if (!o->allow_other || o->open_hosts || o->multiuser || uid == owner)
    return 1;
  for (i = 0; cred_servers != NULL && cred_servers[i] != NULL; i++)
    if (dfsc__glob_match(cred_servers[i], host))
      return 1;
  for (i = 0; i < o->nhosts; i++) {
    const char *e = o->hosts[i], *slash = strchr(e, '/');
    size_t hl = slash ? (size_t)(slash - e) : strlen(e);
    char hp[513];

    memcpy(hp, e, hl);
    hp[hl] = '\0';
    if (!dfsc__glob_match(hp, host))
      continue;
    /* The host's own directory shows only names: any entry for the host
     * lets it be looked up. */
    if (slash == NULL || share == NULL || dfsc__glob_match(slash + 1, share))
      return 1;
  }
  return 0;
}

uint64_t dfsc__mount_listing_max(const struct dfsc__mount_opts *o) {
  return o->listing_mem_uid < o->listing_mem ? o->listing_mem_uid : o->listing_mem;
}

unsigned dfsc__mount_listings_inflight(const struct dfsc__mount_opts *o) {
  uint64_t n;

  if (o->listings_inflight != 0)
    return o->listings_inflight;
  n = o->listing_mem / dfsc__mount_listing_max(o);
  return n < 1 ? 1 : n > 1024 ? 1024 : (unsigned)n;
}

int dfsc__mount_ratelimit(struct dfsc__mount_ratelimit *rl, int64_t now_sec,
                          unsigned per_sec, uint64_t *skipped) {
  *skipped = 0;
  if (now_sec != rl->sec) {
    *skipped = rl->skipped;
    rl->sec = now_sec;
    rl->n = 0;
    rl->skipped = 0;
  }
  if (rl->n >= per_sec) {
    rl->skipped++;
    return 0;
  }
  rl->n++;
  return 1;
}
