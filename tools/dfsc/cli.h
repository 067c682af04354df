/* Internal interface of the dfsc command-line tool (tools/dfsc), private
 * to it: no other front end includes it.
 *
 * The pure pieces (argument parsers, authfile parser, progress formatting)
 * have no library dependency so that unit tests can include their .c
 * files directly. The command runners (commands.c) use only the public
 * API of include/dfsc/. What the CLI shares with the mount (escaping,
 * output, the DFS and counter reports) is in tools/common/fe.h; how it
 * hands the mount command over, in tools/common/frontends.h.
 * Does not: include anything from src/ (front ends never touch protocol
 * state).
 */
#ifndef DFSC_TOOLS_CLI_H
#define DFSC_TOOLS_CLI_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "../common/fe.h"

/* ---- credentials (cli_args.c, authfile.c) ----------------------------- */
/* Every string is heap-owned by the struct; password buffers are wiped by
 * dfsc__cli_cred_clear. NULL means "not given". */
struct dfsc__cli_cred {
  char *user;
  char *domain;
  char *password; /* may be "" (given, empty) */
};

/* Wipes the password, frees every field and zeroes the struct. */
void dfsc__cli_cred_clear(struct dfsc__cli_cred *c);

/* Wipes and frees a heap string (strlen bytes); NULL is ignored. */
void dfsc__cli_wipe_free(char *s);

/* Parses the argument of -U: [DOMAIN\]USER[%PASS], DOMAIN/USER[%PASS] or
 * PRINCIPAL@REALM[%PASS]. The first '%' splits off the password (later '%'
 * belong to it); the first '\' or '/' before it splits off the domain,
 * unless an '@' is there: a principal stays whole in user. Fills only the fields
 * present in `arg` (fields already set are replaced).
 * Returns 0, -EINVAL (message in err) or -ENOMEM. */
int dfsc__cli_parse_user(const char *arg, struct dfsc__cli_cred *out, char *err,
                         size_t errcap);

/* Parses smbclient-style authfile text: lines `username = X`,
 * `password = Y`, `domain = Z`; blank lines and lines starting with '#' or
 * ';' are ignored; CRLF accepted; keys case-insensitive; values trimmed.
 * `username` may carry DOMAIN\ or DOMAIN/ (that domain wins over a domain
 * line). Unknown keys, lines without '=' and repeated keys are errors.
 * `fname` names the file in messages. Returns 0, -EINVAL (message in err,
 * "FILE:LINE: ...") or -ENOMEM. */
int dfsc__cli_authfile_parse(const char *text, size_t len, const char *fname,
                             struct dfsc__cli_cred *out, char *err, size_t errcap);

/* Reads and parses an authfile (at most 64 KiB, regular file). Sets
 * *insecure to 1 when the file is readable by group or others. The read
 * buffer is wiped. Returns 0 or a negative errno (message in err). */
int dfsc__cli_authfile_load(const char *path, struct dfsc__cli_cred *out, int *insecure,
                            char *err, size_t errcap);

/* ---- option values (cli_args.c) --------------------------------------- */
/* SMB2_02 SMB2_10 SMB3_00 SMB3_02 SMB3_11 (case-insensitive) give their
 * dialect; SMB2 and SMB3 name a range (SMB2_02..SMB2_10, SMB3_00..SMB3_11)
 * of which --min-protocol takes the low end and --max-protocol the high
 * end (want_max != 0). Returns 0 or -EINVAL (NT1/CORE/LANMAN*: -ENOTSUP). */
int dfsc__cli_parse_protocol(const char *name, int want_max, uint16_t *out);

/* Name of a dialect value ("SMB3_11"), or NULL. */
const char *dfsc__cli_protocol_name(uint16_t dialect);

/* --sign (arg NULL) means required; --sign=off|auto|required, the words
 * case-insensitive. Sets *mode to an enum dfsc_sign_mode value.
 * Returns 0 or -EINVAL. */
int dfsc__cli_parse_sign(const char *arg, int *mode);

/* (config.c) --kerberos / -k (arg NULL means required): required, auto, off; also
 * smbclient's --use-kerberos word desired (= auto). Case-insensitive. Sets
 * *mode to an enum dfsc_kerberos_mode value. Returns 0 or -EINVAL. */
int dfsc__cli_parse_kerberos(const char *arg, int *mode);

/* (config.c) One hardened-path pattern: \\HOST\SHARE, '/' accepted for either
 * separator (//HOST/SHARE); HOST and SHARE not empty (globs with '*' and
 * '?' allowed), no further separator, no control characters.
 * Returns 0 or -EINVAL. */
int dfsc__cli_check_unc_pattern(const char *p);

/* Validates NAME:ADDR[:PORT]: NAME a host name (letters, digits, '-', '.',
 * '_'; 1..253 chars), ADDR a dotted IPv4 address or a bracketed IPv6
 * address, PORT 1..65535. Returns 0 or -EINVAL with a message in err. */
int dfsc__cli_check_resolve(const char *arg, char *err, size_t errcap);

/* (config.c) Splits a comma list into items (blanks around items trimmed), copying
 * it into store; items[] gets at most maxitems - 1 pointers into store and
 * a terminating NULL. Returns the number of items, or -EINVAL (empty list
 * or item, too long for store, too many items). */
int dfsc__cli_split_list(const char *list, char *store, size_t storecap, const char **items,
                         size_t maxitems);

/* (config.c) Validates a --ciphers list: aes-128-gcm, aes-128-ccm, aes-256-gcm,
 * aes-256-ccm, comma separated, case-insensitive, each at most once.
 * Returns 0 or -EINVAL with a message in err. */
int dfsc__cli_check_ciphers(const char *list, char *err, size_t errcap);

/* Decimal 1..65535. Returns 0 or -EINVAL. */
int dfsc__cli_parse_port(const char *s, uint16_t *out);

/* SECONDS, decimal with an optional fraction (".5", "2.25"), > 0 and at most
 * 86400; result in milliseconds rounded up, at least 1. Returns 0 or -EINVAL. */
int dfsc__cli_parse_timeout(const char *s, unsigned *ms);

/* Last component of a UNC path or URL (after the last '/' or '\'); ""
 * when the path ends with a separator. Points into `path`. */
const char *dfsc__cli_basename(const char *path);

/* The last component of path as the server names it: percent-decoded when
 * path is an smb:// URL, as is otherwise. A heap string ("" when path ends
 * with a separator), or NULL with errno EINVAL (a bad escape in the URL)
 * or ENOMEM. */
char *dfsc__cli_leaf(const char *path);

/* dir, a separator ('/' when dir holds one, else '\\') unless dir
 * ends with one, then name, its '%' written %25 when dir is an smb:// URL
 * (the parser decodes %XX and takes every other byte as it is), so that
 * the name means itself there. A heap string or NULL (ENOMEM). */
char *dfsc__cli_join(const char *dir, const char *name);

/* 1 when path names a server and no share: "//host", "\\host" (either
 * separator, trailing separators allowed) or "smb://[user@]host[:port][/]";
 * 0 otherwise. What `ls` lists the shares of. */
int dfsc__cli_is_host_path(const char *path);

/* Bytes of `name` to keep so that at most `max` remain and the cut falls
 * between two UTF-8 characters (namecut.c): strlen(name) when it fits. */
size_t dfsc__cli_name_cut(const char *name, size_t max);

/* ---- progress (progress.c) -------------------------------------------- */
struct dfsc__cli_progress {
  int enabled; /* draw at all (stderr is a terminal) */
  int drawn;   /* something is on the line */
  uint64_t total;
  int total_known;
  uint64_t done;
  struct timespec start;
  struct timespec last;
};

/* Formats one progress line without '\r': bytes, percent, rate, ETA (the
 * last two when elapsed > 0 and something moved; percent and ETA only when
 * the total is known). Returns the length (truncated to cap - 1). */
int dfsc__cli_progress_format(char *buf, size_t cap, uint64_t done, uint64_t total,
                              int total_known, double elapsed_s);

void dfsc__cli_progress_start(struct dfsc__cli_progress *p, int enabled, uint64_t total,
                              int total_known);
/* Redraws at most ten times a second. */
void dfsc__cli_progress_update(struct dfsc__cli_progress *p, uint64_t done);
/* ok: draws the final state and ends the line; else clears the line. */
void dfsc__cli_progress_end(struct dfsc__cli_progress *p, int ok);

/* ---- password prompt (password.c) ------------------------------------- */
/* Prompts "Password for [DOMAIN\USER]:" on stderr and reads a line from
 * stdin with echo off. Returns a heap string (caller wipes) or NULL with
 * errno set (EINTR when interrupted, ENOTTY when stdin is no terminal). */
char *dfsc__cli_read_password(const char *domain, const char *user);

/* ---- commands (commands.c, main.c) ------------------------------------ */
struct dfsc_ctx;

#define DFSC_CLI_JOBS_MAX 256

struct dfsc_opts;

/* The configuration file (config.c): the progress bounds and deadlines,
 * the security keys encrypt, ciphers, cred_servers, the Kerberos keys
 * kerberos, keytab, ccache, ntlm, hardened_paths, auth_workers,
 * auth_queue_max, and the reconnect keys reconnect_timeout, echo_interval,
 * durable, durable_timeout.
 * Fields it names are set in *o; others are left alone. String values
 * live in storage of config.c that the next setting of the same key
 * replaces (one process, one configuration). Returns 0 or a negative code
 * with a message (file:line) in err. */
int dfsc__cli_config_parse(const char *text, size_t len, const char *fname,
                           struct dfsc_opts *o, char *err, size_t errcap);
/* Sets one key (as in the file) to value, e.g. for --ciphers. Returns 0
 * or -EINVAL with a message in err. */
int dfsc__cli_config_set(const char *key, const char *value, struct dfsc_opts *o, char *err,
                         size_t errcap);
/* Whether key[0..len) names a key of the file (as written there: case and
 * '-' for '_' do not matter). */
int dfsc__cli_config_has_key(const char *key, size_t len);
/* (config.c) The bounds of get -r, from the keys max_files and max_bytes
 * (0: no limit). Default: DFSC_CLI_MAX_FILES_DEFAULT files and directories,
 * bytes unlimited. */
#define DFSC_CLI_MAX_FILES_DEFAULT 1000000
struct dfsc__cli_limits {
  uint64_t max_files;
  uint64_t max_bytes;
};
const struct dfsc__cli_limits *dfsc__cli_config_limits(void);

/* (config.c) A size: decimal digits with an optional K, M, G or T
 * (case-insensitive, powers of 1024). Returns 0 or -EINVAL (also on
 * overflow). */
int dfsc__cli_parse_size(const char *s, uint64_t *out);

/* Reads path; a missing file is fine unless must_exist. */
int dfsc__cli_config_load(const char *path, int must_exist, struct dfsc_opts *o, char *err,
                          size_t errcap);

struct dfsc__cli_cfg {
  int json;           /* --json */
  int jobs;           /* -j N: paths handled at once (ls, stat, get) */
  int progress;       /* stderr is a terminal: draw progress bars */
  int recursive;      /* get -r: a directory tree */
  int fsync;          /* get --fsync: file and directory entry durable before exit */
  int update;         /* get -r / put -r --update: skip files already the same */
  uint64_t max_files; /* get -r: local files and directories at most (0: no limit) */
  uint64_t max_bytes; /* get -r: bytes of file data at most (0: no limit) */
};

/* (commands.c) The identity the command runs as, for messages: what a
 * refused guest logon names. NULLs: none. Copies. */
void dfsc__cli_set_user_shown(const char *domain, const char *user);
/* (commands.c) "PATH: REASON" on standard error, as every failed path is
 * reported (a guest logon says which user and how to accept it; a
 * malformed answer what was wrong, from the result dfsc__cli_res_rc last
 * took on this thread). */
void dfsc__cli_report(const char *path, int rc, uint32_t ntstatus);
/* (commands.c) The code of a failed call: res->err when the library filled
 * it, else rc. Keeps res->detail for the next dfsc__cli_report on this
 * thread. */
int dfsc__cli_res_rc(long long rc, const dfsc_result *res);

/* Set by the SIGINT/SIGTERM/SIGHUP handler (the signal number). */
extern _Atomic int dfsc__cli_signal; /* lock-free: read by every thread */

/* Records the temporary file a signal must remove (NULL: none). The
 * handler unlinks it on a second signal before exiting. */
void dfsc__cli_set_tmpfile(const char *path);

typedef int (*dfsc__cli_cmd_fn)(struct dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg,
                                int argc, char **argv);

/* Each runs one command over its arguments (already checked for count)
 * and returns the exit status: 0 when every path succeeded, else 1. */
int dfsc__cli_cmd_ls(struct dfsc_ctx *, const struct dfsc__cli_cfg *, int, char **);
int dfsc__cli_cmd_stat(struct dfsc_ctx *, const struct dfsc__cli_cfg *, int, char **);
int dfsc__cli_cmd_cat(struct dfsc_ctx *, const struct dfsc__cli_cfg *, int, char **);
int dfsc__cli_cmd_get(struct dfsc_ctx *, const struct dfsc__cli_cfg *, int, char **);
int dfsc__cli_cmd_put(struct dfsc_ctx *, const struct dfsc__cli_cfg *, int, char **);
/* (workq.c) The bounded queue the workers of get -r and put -r share.
 * Items are the walk's own structs whose first member is their next
 * pointer. mu is the walk's lock (it guards the walk's counters too). */
struct dfsc__cli_wq {
  pthread_mutex_t *mu;
  pthread_cond_t cv;
  void *head, *tail;
  size_t queued, max;
  int busy; /* workers holding an item */
};
/* Queues item (1), or returns 0 when the queue holds max already: the
 * caller handles the item itself, which bounds the queue whatever the
 * tree. Takes mu. */
int dfsc__cli_wq_offer(struct dfsc__cli_wq *q, void *item);
/* A worker: takes items and calls fn(arg, item) for each (without mu)
 * until the queue is empty and no worker holds one (one may still queue
 * more), or a signal came. */
void dfsc__cli_wq_work(struct dfsc__cli_wq *q, void (*fn)(void *arg, void *item),
                       void *arg);
/* Queues root and runs `jobs` threads of worker(arg) (the caller alone
 * when none starts) until they end. q->cv is the caller's to init and
 * destroy; mu guards q. */
void dfsc__cli_wq_run(struct dfsc__cli_wq *q, pthread_mutex_t *mu, size_t max, void *root,
                      int jobs, void *(*worker)(void *), void *arg);
/* Takes the next item (NULL: none) once no worker runs: what an
 * interruption left. */
void *dfsc__cli_wq_pop(struct dfsc__cli_wq *q);

/* (commands.c) Reads up to n bytes, fewer only at the end of the input;
 * EINTR retried unless a signal asked to stop. Bytes read or -errno. */
long long dfsc__cli_read_full(int fd, char *buf, size_t n);

/* (rput.c) put -r LOCAL PATH: the tree under the local directory LOCAL
 * into the remote directory PATH. Returns the exit status. */
int dfsc__cli_put_tree(struct dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg,
                       const char *local, const char *path);
/* (rput.c) A hidden temporary name beside the remote path `remote`:
 * ".NAME.dfsc-XXXXXX" in its directory, NAME cut to keep within 255
 * characters. Heap string, or NULL (memory, or a path ending in a
 * separator). */
char *dfsc__cli_temp_path(const char *remote);
/* Six random letters and digits (and a NUL): the XXXXXX of a temporary
 * name. */
void dfsc__cli_temp_suffix(char sfx[7]);
int dfsc__cli_cmd_cp(struct dfsc_ctx *, const struct dfsc__cli_cfg *, int, char **);
int dfsc__cli_cmd_mkdir(struct dfsc_ctx *, const struct dfsc__cli_cfg *, int, char **);
int dfsc__cli_cmd_rm(struct dfsc_ctx *, const struct dfsc__cli_cfg *, int, char **);
int dfsc__cli_cmd_rmdir(struct dfsc_ctx *, const struct dfsc__cli_cfg *, int, char **);
int dfsc__cli_cmd_mv(struct dfsc_ctx *, const struct dfsc__cli_cfg *, int, char **);
int dfsc__cli_cmd_resolve(struct dfsc_ctx *, const struct dfsc__cli_cfg *, int, char **);
int dfsc__cli_cmd_cache(struct dfsc_ctx *, const struct dfsc__cli_cfg *, int, char **);

#endif
