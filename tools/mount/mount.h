/* Internal interface of `dfsc mount`, the FUSE front end, private to
 * tools/mount (the dispatcher reaches the mount through
 * tools/common/frontends.h; what the mount shares with the CLI is in
 * tools/common/fe.h).
 *
 * mount_util.c holds the pure pieces (the -o option parser, the mapping of
 * results to errno values and of dfsc_stat_t to struct stat, the check of
 * which servers a local user may reach) so that unit tests can include it
 * without libfuse; mount.c holds the FUSE
 * low-level operations, the inode table, the listing budget and the
 * control files.
 * Does not: include anything from src/ (front ends use the public API only).
 */
#ifndef DFSC_TOOLS_MOUNT_H
#define DFSC_TOOLS_MOUNT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "../common/frontends.h"
#include "dfsc/dfsc.h"

#define DFSC_MOUNT_FUSE_ARGS_MAX 64
#define DFSC_MOUNT_HOSTS_MAX 1024 /* entries of -o hosts= */

struct dfsc__mount_opts {
  int foreground;       /* -f */
  int single_thread;    /* -s */
  int debug;            /* -d: libfuse's request trace */
  unsigned max_threads; /* FUSE worker threads (-o max_threads=N, default 10) */
  int ro;
  int allow_other;
  uid_t uid; /* owner shown for every file (default: the mounting user) */
  gid_t gid;
  int has_uid, has_gid;
  mode_t file_mode;        /* permission bits of files (default 0644) */
  mode_t dir_mode;         /* of directories (default 0755) */
  double attr_timeout;     /* seconds attributes are cached (default 1) */
  double entry_timeout;    /* seconds names are cached (default 1) */
  double negative_timeout; /* seconds a missing name is cached (default 1) */
  /* seconds the attributes of a file are cached while a read lease on it
   * is held (default 60; at most attr_timeout when smaller): the break
   * and the last close drop them from the kernel */
  double lease_attr_timeout;
  unsigned read_ahead_kb; /* the kernel's readahead for the mount (default 1024) */
  /* Who may reach which server on an allow_other mount (docs/mount.md,
   * "What another local user can do"): "HOST" or "HOST/SHARE" glob
   * patterns from -o hosts=, NULL-terminated (NULL: none). */
  char **hosts;
  size_t nhosts;
  int open_hosts; /* -o open_hosts: every local user may name any host */
  int dumpable;   /* -o dumpable: keep core dumps and ptrace (they hold secrets) */
  /* -o nobrl: fcntl and flock locks stay in this machine's kernel (as
   * cifs' nobrl), no SMB2 LOCK is sent */
  int nobrl;
  /* -o nowritebehind: every write is answered once the server has it
   * (default: answered at once, up to 32 MiB in flight per handle, errors
   * reported by the next write, fsync or close of the handle) */
  int no_writebehind;
  /* -o nodirectwrites: a file opened for writing only is written through
   * the kernel's page cache, as one opened to read and write (default:
   * past it, dio_choose in mount.c) */
  int no_directwrites;
  /* -o nosplice: reads go through the daemon's memory (default: spliced
   * from the socket to /dev/fuse where the answer is clear and unsigned
   * and a pipe can hold a whole read; docs/mount.md) */
  int no_splice;
  /* -o multiuser (with allow_other): each local user reaches the servers
   * as themselves, with the credentials of credentials_dir/UID (or
   * /USERNAME), else their Kerberos ticket cache /tmp/krb5cc_UID; a user
   * with neither gets EACCES. The mounting user keeps the mount's own. */
  int multiuser;
  char *credentials_dir; /* -o credentials_dir=DIR (default /etc/dfsc/users) */
  /* The budget of directory listings held for open handles. */
  uint64_t listing_mem;     /* bytes in total (-o listing_mem, 256 MiB) */
  uint64_t listing_mem_uid; /* bytes per uid (-o listing_mem_uid, 64 MiB) */
  unsigned dir_handles_uid; /* open directory handles per uid (1024) */
  /* Listings in flight (being built by the library and copied): per uid
   * (-o listings_inflight_uid, 2) and in total (-o listings_inflight; 0:
   * dfsc__mount_listings_inflight's default). */
  unsigned listings_inflight_uid;
  unsigned listings_inflight;
  /* Opendirs past those caps wait in a FIFO: at most this many per uid
   * (-o listings_queue_uid, 64) and in total (-o listings_queue, 1024);
   * past them EAGAIN. 0: none wait. */
  unsigned listings_queue_uid;
  unsigned listings_queue;
  /* Surviving the network (dfsc_opts, applied by dfsc__mount_net_opts over
   * what the command line and dfsc.conf gave): -o reconnect_timeout=MS,
   * echo_interval=MS|off, durable=on|off, durable_timeout=MS. Each has_*
   * says the option was given. */
  unsigned reconnect_timeout_ms;
  unsigned echo_interval_ms; /* UINT32_MAX: off */
  int durable;               /* enum dfsc_durable_mode */
  unsigned durable_timeout_ms;
  int has_reconnect_timeout, has_echo_interval, has_durable, has_durable_timeout;
  char *credentials; /* an authfile (-o credentials=FILE) */
  char *user;        /* -o user=NAME / username=NAME */
  char *domain;      /* -o domain=NAME */
  /* "KEY = VALUE" lines for the configuration-file parser: every key of
   * dfsc.conf is also a mount option (-o max_connects=4). */
  char *config;
  size_t config_len;
  /* What goes to libfuse as "-o LIST": kernel and libfuse options. */
  char *fuse_opts;
};

void dfsc__mount_opts_init(struct dfsc__mount_opts *o);
void dfsc__mount_opts_free(struct dfsc__mount_opts *o);

/* Parses one -o argument (a comma-separated list; "\," is a literal comma)
 * into o. Options of mount(8) with no meaning here (defaults, auto, noauto,
 * _netdev, nofail, user, users, nouser, rw) are accepted and ignored.
 * is_config_key says whether a key belongs to the configuration file; such
 * KEY=VALUE pairs are collected into o->config. Everything else is passed
 * to libfuse, which rejects what it does not know.
 * Returns 0, -EINVAL (message in err) or -ENOMEM. */
/* Removes every entry `name` of the comma-separated list opts, in place. */
void dfsc__mount_drop_fuse_opt(char *opts, const char *name);

int dfsc__mount_parse_opts(struct dfsc__mount_opts *o, const char *arg,
                           int (*is_config_key)(const char *key, size_t len), char *err,
                           size_t errcap);

/* The errno a FUSE reply gives for a failed result. io: the failure of a
 * read or write, where every transport failure is EIO. A canceled
 * operation (DFSC_E_CANCELED, or -EINTR: not started) is EINTR and one past
 * its whole-operation deadline (DFSC_E_TIMEDOUT) ETIMEDOUT, io or not. A
 * handle the server lost for good (-ESTALE) is ESTALE, io or not. A
 * connection that failed, or did not come back within reconnect_timeout
 * (reset, refused, timed out, closed), is EHOSTDOWN for the other
 * requests, as cifs.ko answers: ECONNREFUSED or ETIMEDOUT would be read
 * as a local socket's or the operation's own deadline. */
int dfsc__mount_errno(int err, uint32_t ntstatus, int io);

/* Sets in *opts the options of the network survival given with -o (the
 * has_* fields); leaves the others as the command line and dfsc.conf set
 * them. */
void dfsc__mount_net_opts(const struct dfsc__mount_opts *o, dfsc_opts *opts);

/* Fills *out from a dfsc_stat_t with the mount's owner and modes. */
void dfsc__mount_fill_stat(const struct dfsc__mount_opts *o, const dfsc_stat_t *st,
                           uint64_t ino, struct stat *out);

/* Whether `name` can be a host or share component: not empty, no '\',
 * '/', ':' or control characters, not "." or "..", at most 255 bytes, and
 * not starting with '.' (desktop programs probe .Trash, .hidden, ...). */
int dfsc__mount_valid_server_name(const char *name);

/* The longest name of one path component, in UTF-16 code units: what
 * NTFS and SMB allow ([MS-FSCC] 2.1.5.2, 255 characters), and what statfs
 * reports as f_namemax. */
#define DFSC_MOUNT_NAME_MAX 255

/* Whether UTF-8 `name` takes more than DFSC_MOUNT_NAME_MAX UTF-16 code
 * units (a character past U+FFFF takes two): creating it must fail with
 * ENAMETOOLONG, as on a local file system, rather than reach the server. */
int dfsc__mount_name_too_long(const char *name);

/* Whether a request by `uid` may reach \\host (share NULL: the host
 * directory itself) or \\host\share and what is below it. Without
 * allow_other, with open_hosts, or for the mounting user (`owner`) every
 * host is allowed; otherwise only those matching an entry of o->hosts
 * (an entry HOST allows every share of it, HOST/SHARE that share) or a
 * pattern of cred_servers (NULL-terminated, may be NULL). Patterns are
 * globs with '*' and '?', matched case-insensitively. */
int dfsc__mount_host_allowed(const struct dfsc__mount_opts *o,
                             const char *const *cred_servers, uid_t owner, uid_t uid,
                             const char *host, const char *share);

/* The most one listing may hold in the library before the mount sees it:
 * min(listing_mem_uid, listing_mem), given to dfsc_set_dir_max_bytes (a
 * larger one could never be copied within the budget anyway). */
uint64_t dfsc__mount_listing_max(const struct dfsc__mount_opts *o);

/* How many listings may be in flight at once, all users together: -o
 * listings_inflight, or else listing_mem / dfsc__mount_listing_max (4 with
 * the defaults), at least 1 and at most 1024, so that the listings being
 * built hold no more than listing_mem on top of the listings held for open
 * handles. */
unsigned dfsc__mount_listings_inflight(const struct dfsc__mount_opts *o);

/* A rate limit on log lines: at most `per_sec` lines in each second of
 * CLOCK_MONOTONIC. dfsc__mount_ratelimit says whether a line may go out at
 * `now_sec`; when it opens a new second after lines were held back, it
 * puts their number in *skipped (else 0), for a line that says so. Not
 * thread-safe: the caller holds a lock. */
struct dfsc__mount_ratelimit {
  int64_t sec;
  unsigned n;
  uint64_t skipped;
};
int dfsc__mount_ratelimit(struct dfsc__mount_ratelimit *rl, int64_t now_sec,
                          unsigned per_sec, uint64_t *skipped);

#endif
