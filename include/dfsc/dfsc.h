/* libdfsc: a user-space SMB2/3 and DFS client.
 *
 * The asynchronous API is the primary form. A context owns one loop thread
 * that runs all protocol work; the *_async functions may be called from any
 * thread: they queue the operation and wake the loop. Each successful start
 * leads to exactly one callback, called on the loop thread, never from inside
 * the starting call. An error return means the callback is never called.
 *
 * Callbacks run on the loop thread: they may start more async operations but
 * must not call the blocking wrappers of dfsc-sync.h (those return
 * DFSC_E_DEADLK there) nor block for long.
 *
 * Paths are UNC in any of three forms:
 *   \\host\share\path     //host/share/path
 *   smb://[domain;]user[:password]@host[:port]/share/path
 *
 * Growth rule (how these structs change across releases without breaking
 * programs built against older headers; docs/api.md):
 *  - Structs the CALLER allocates and the library reads or fills carry
 *    their size: dfsc_opts (a leading `size`, set from the caller's sizeof
 *    by the dfsc_opts_init macro) and dfsc_stats (the dfsc_stats_get macro
 *    passes the caller's sizeof). New fields are only ever added at the
 *    end. The library reads only the fields the caller's size covers
 *    (defaults for the rest) and never writes past the caller's size.
 *  - dfsc_result never changes size: it ends in reserved words that new
 *    fields take over (zero where a library does not fill them), so the
 *    sync wrappers, which copy a whole result into the caller's, stay
 *    within it.
 *  - Everything else the library hands out (contexts, files, listings,
 *    resolutions, cache snapshots, their hops) is opaque and read through
 *    functions; dfsc_stat_t, dfsc_fsinfo and dfsc_dirent keep their layout
 *    (a new attribute comes with a new call).
 *  - Every symbol is under the version node DFSC_0 (src/libdfsc.map); a
 *    call whose meaning changes keeps its old version there.
 *
 * Ownership and threads are stated on every call: "Thread-safety" says
 * from which threads it may be called, "Ownership" who frees what.
 */
#ifndef DFSC_DFSC_H
#define DFSC_DFSC_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dfsc/errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The version of these headers (CMakeLists.txt's project version; the
 * configure step fails if they differ). DFSC_VERSION_NUMBER orders
 * releases: 0.1.0 is 100. */
#define DFSC_VERSION_MAJOR 0
#define DFSC_VERSION_MINOR 1
#define DFSC_VERSION_PATCH 0
#define DFSC_VERSION_STRING "0.1.0"
#define DFSC_VERSION_NUMBER                                                                \
  (DFSC_VERSION_MAJOR * 10000 + DFSC_VERSION_MINOR * 100 + DFSC_VERSION_PATCH)

/* The version of the library running, as DFSC_VERSION_NUMBER and as a
 * string; a program built against other headers compares them. Static
 * storage. Thread-safety: any thread. */
unsigned dfsc_version(void);
const char *dfsc_version_string(void);

typedef struct dfsc_ctx dfsc_ctx;               /* library context: loop thread, caches */
typedef struct dfsc_file dfsc_file;             /* an open file or directory */
typedef struct dfsc_dir dfsc_dir;               /* a directory listing held in memory */
typedef struct dfsc_resolution dfsc_resolution; /* a DFS resolution chain */
typedef struct dfsc_cache_info dfsc_cache_info; /* a snapshot of the DFS caches */
typedef struct dfsc_share_list dfsc_share_list; /* a server's shares */

/* ---- allocation ------------------------------------------------------- */
typedef void *(*dfsc_malloc_fn)(size_t);
typedef void *(*dfsc_realloc_fn)(void *, size_t);
typedef void *(*dfsc_calloc_fn)(size_t, size_t);
typedef void (*dfsc_free_fn)(void *);

/* Replaces the allocator used by the whole library (every allocation of
 * the library, and every free of what it hands out, goes through it). Call
 * before creating any context. Returns 0 or -EINVAL. Thread-safety: not
 * thread-safe: no other library call may run. */
int dfsc_replace_allocator(dfsc_malloc_fn, dfsc_realloc_fn, dfsc_calloc_fn, dfsc_free_fn);

/* ---- logging ---------------------------------------------------------- */
enum dfsc_log_level {
  DFSC_LOG_ERROR = 0,
  DFSC_LOG_WARN,
  DFSC_LOG_INFO,
  DFSC_LOG_DEBUG,
  DFSC_LOG_TRACE
};
enum dfsc_log_cat {
  DFSC_CAT_CORE = 0,
  DFSC_CAT_CONN,
  DFSC_CAT_SMB2,
  DFSC_CAT_AUTH,
  DFSC_CAT_DFS,
  DFSC_CAT_MUP
};
/* Called on the thread that logs (usually the loop thread, sometimes a
 * lookup worker or the caller's). `msg` is valid only during the call.
 * Must not call into the library. */
typedef void (*dfsc_log_cb)(void *arg, int level, int category, const char *msg);
/* "core", "conn", ... for a DFSC_CAT_*; static storage ("?" for another
 * value). Thread-safety: any thread. */
const char *dfsc_log_cat_name(int category);

/* ---- options ---------------------------------------------------------- */
/* Dialect values are the wire values of [MS-SMB2] 2.2.3. */
#define DFSC_SMB2_02 0x0202
#define DFSC_SMB2_10 0x0210
#define DFSC_SMB3_00 0x0300
#define DFSC_SMB3_02 0x0302
#define DFSC_SMB3_11 0x0311

enum dfsc_sign_mode {
  DFSC_SIGN_AUTO = 0, /* sign every authenticated session; guest and anonymous
                         sessions cannot sign and stay unsigned */
  DFSC_SIGN_REQUIRED, /* sign every session; refuse one that cannot sign */
  DFSC_SIGN_OFF       /* sign only when the server requires it */
};

typedef struct dfsc_opts {
  /* sizeof the caller's dfsc_opts, set by dfsc_opts_init: the library reads
   * only the fields it covers (growth rule, above). */
  size_t size;
  /* Credentials. user NULL or "" means anonymous. Copied by dfsc_ctx_new;
   * the context wipes its copy of the password when freed. */
  const char *user;
  const char *domain;
  const char *password;
  const char *workstation; /* NULL: the local host name */
  int guest_ok;            /* accept a guest session when credentials were given */

  uint16_t min_dialect; /* 0: DFSC_SMB2_02 */
  uint16_t max_dialect; /* 0: DFSC_SMB3_11 */
  int sign;             /* enum dfsc_sign_mode; an encrypted session counts
                           as signed (docs/security.md) */
  /* SMB 3.x encryption. Shares and sessions the server marks as encrypted
   * are always encrypted; encrypt != 0 encrypts every session and refuses
   * servers that cannot (dialects below 3.0, no common cipher). */
  int encrypt;
  /* The 3.1.1 cipher offer, in order: a comma list of aes-128-gcm,
   * aes-128-ccm, aes-256-gcm, aes-256-ccm (case-insensitive). NULL: all
   * four in that order. Copied; an unknown name fails dfsc_ctx_new with
   * -EINVAL. */
  const char *ciphers;
  /* Servers the credentials may be sent to: NULL-terminated glob patterns
   * ('*', '?', case-insensitive) matched against the server name as the
   * path or referral gives it. NULL: any server. A session to a server
   * that matches none fails before anything is sent to it. Copied. */
  const char *const *cred_servers;

  /* Name overrides like curl's --resolve: "NAME:ADDR[:PORT]" strings, NULL
   * terminated; copied. NAME is matched case-insensitively. */
  const char *const *resolve;
  uint16_t port; /* 0: 445 */

  /* Deadlines in milliseconds; 0 picks the default. */
  unsigned connect_timeout_ms; /* TCP connect (default 10000) */
  unsigned setup_timeout_ms;   /* a connection's lookup, connect, negotiate and every
                                * round of session setup; and each tree connect
                                * with its validate-negotiate (20000) */
  unsigned request_timeout_ms; /* one request without an interim reply (60000);
                                * past it an ECHO asks whether the server is
                                * there: answered, the request alone fails
                                * (DFSC_E_NOANSWER); unanswered, the connection
                                * is lost (docs/reconnect.md) */

  unsigned lookup_workers; /* threads of the name-lookup lane (default 2) */
  unsigned max_connects;   /* connection setups in flight at once (default 32);
                              more wait in a queue that holds no thread */

  /* DFS. referral_ex: send REQ_GET_DFS_REFERRAL_EX (with site) first, falling
   * back per server to the plain form when refused (Samba refuses it). */
  int referral_ex;
  const char *site;                  /* copied */
  unsigned max_referrals;            /* referral requests in flight (default 8) */
  unsigned max_referrals_per_server; /* default 4 */
  /* Queue bounds: past them a new operation fails with DFSC_E_BUSY. */
  unsigned submit_queue_max;   /* operations waiting for the loop (65536) */
  unsigned referral_queue_max; /* referral requests waiting (65536) */
  unsigned lookup_queue_max;   /* name lookups waiting for a worker (1024) */
  unsigned max_io_window;      /* max bytes in flight per file transfer (default 8 MiB) */

  dfsc_log_cb log_cb;
  void *log_arg;
  int log_level; /* enum dfsc_log_level, default DFSC_LOG_WARN */

  /* ---- added after the first layout (read only when size covers them) */
  /* Trees, sessions and connections unused for idle_timeout_ms are closed
   * (TREE_DISCONNECT, LOGOFF, then the socket) and freed (0: the default,
   * 600 s). Counted in dfsc_stats trees_closed, sessions_closed,
   * conns_closed. */
  unsigned idle_timeout_ms;
  /* Past max_conns open connections a new one first closes the least
   * recently used one unused for at least min(idle_timeout_ms, 5 s); when
   * none is, the cap is exceeded (connections in use are bounded by the
   * live-operation budget and the open handles). 0: the default, 1024. */
  unsigned max_conns;

  /* Kerberos through GSSAPI (MIT krb5), SPNEGO's first mechanism; NTLMv2
   * the second. kerberos: enum dfsc_kerberos_mode. auto (the default) uses
   * Kerberos when a ticket is in the credential cache or a keytab is given,
   * NTLM otherwise; required fails with DFSC_E_NOTICKET when there is no
   * ticket; off never uses it. The service principal is cifs/<host> with
   * the host as the path or the referral names it (never reverse DNS). */
  int kerberos;
  int ntlm_off;       /* never authenticate with NTLM (Kerberos or anonymous) */
  const char *ccache; /* credential cache; NULL: $KRB5CCNAME, else the default. Copied */
  /* A client keytab: tickets for `user` (user@REALM, or user and domain)
   * are obtained from its keys, for services and cron jobs. Copied. */
  const char *keytab;
  unsigned auth_workers;   /* threads of the Kerberos lane (default 2) */
  unsigned auth_queue_max; /* Kerberos jobs waiting for a worker (default 1024) */
  /* Hardened UNC paths, as Windows' HardenedPaths: a share matching one of
   * these NULL-terminated patterns ("\\\\HOST\\SHARE", '*' and '?', case-
   * insensitive; '/' works as '\\') is connected to only over a session with
   * mutual authentication (Kerberos) and integrity (signing or encryption);
   * otherwise DFSC_E_HARDENED. NULL: the default list, \\*\SYSVOL and
   * \\*\NETLOGON; a list whose first element is NULL turns hardening off.
   * Copied. */
  const char *const *hardened_paths;

  /* ---- added after: surviving the network (read only when size covers
   * them). A handle whose connection dropped waits for it to come back:
   * the connection, session and tree are set up again, retried with a
   * growing pause (100 ms doubling to 2 s) for at most
   * reconnect_timeout_ms (0: the default, 30000; like cifs's `soft`, the
   * operation then fails; a large value is `hard`, up to the operation's
   * own deadline, dfsc_set_op_timeout). Reads, writes, flushes and
   * closes are then done again on the reclaimed handle. Path operations
   * that change nothing (stat, listing, open without create or
   * truncate, read_file) are retried once the same way when their
   * connection drops; ones that may have taken effect are not. */
  unsigned reconnect_timeout_ms;
  /* Keepalive: an ECHO on a connection silent for echo_interval_ms, and
   * the connection declared dead when that goes unanswered as long (0:
   * the default, 60000, cifs's echo_interval; UINT32_MAX: none). */
  unsigned echo_interval_ms;
  /* Durable handles with leases for files opened with dfsc_open (not
   * directories): 3.x DH2Q with a create GUID, 2.1 DHnQ; reclaimed after a
   * reconnect ([MS-SMB2] 3.2.4.4). enum dfsc_durable_mode. When the server
   * refuses the reclaim (it restarted, the handle expired) the file is
   * opened by path again if that is safe: the same file (its on-disk id)
   * and, for a handle opened read-only, the same change time; for a
   * writer, the same size as dfsc last knew. Otherwise the handle's
   * operations fail with -ESTALE. */
  int durable;
  unsigned durable_timeout_ms; /* asked of a 3.x server (0: its default, 60 s for Samba) */
} dfsc_opts;

enum dfsc_durable_mode {
  DFSC_DURABLE_AUTO = 0, /* ask for durable handles and leases where the server has them */
  DFSC_DURABLE_OFF = 1   /* plain opens: a reconnect reopens by path (same checks) */
};

enum dfsc_kerberos_mode {
  DFSC_KERBEROS_AUTO = 0,
  DFSC_KERBEROS_REQUIRED = 1,
  DFSC_KERBEROS_OFF = 2
};

/* Fills the first `size` bytes of *o with defaults (all zero / NULL) and
 * sets o->size = size; never writes past `size`. Call it through the
 * dfsc_opts_init macro, which passes the caller's sizeof. A size below
 * sizeof(size_t) writes nothing. Thread-safety: any thread. */
void dfsc_opts_init_sized(dfsc_opts *o, size_t size);
#define dfsc_opts_init(o) dfsc_opts_init_sized((o), sizeof *(o))

/* Creates a context and starts its loop thread. opts NULL: every default.
 * opts->size says which fields the caller has (growth rule, above): a size
 * smaller than the first layout, or above 64 KiB, is -EINVAL; fields past
 * the caller's size take their defaults; a size larger than this
 * library's dfsc_opts is accepted when the bytes this library does not
 * know are all zero (defaults), else -E2BIG (the caller asks for an option
 * this library lacks). opts and the strings it points to may be freed once
 * this returns (they are copied).
 * Returns 0 or a negative code. Ownership: *out is freed with dfsc_ctx_free.
 * Thread-safety: any thread. */
int dfsc_ctx_new(const dfsc_opts *opts, dfsc_ctx **out);

/* A context for another identity (a local user of a multiuser mount, a
 * service acting for its clients) on the connections of parent: it shares
 * parent's loop thread, connections, referral cache, name overrides,
 * security settings and limits, and its operations reach each server
 * through a session of its own, one per server, set up at its first use
 * there ([MS-SMB2] 3.2.4.2.3: several sessions on one connection). Of
 * identity only these fields are read: user, domain, password, kerberos and
 * ccache (a ticket cache of that user's: Kerberos from it; the keytab of
 * parent is not used); NULL: anonymous. Sessions are never shared between
 * two contexts made here, even with the same credentials, nor with
 * parent's. Per-context settings (dfsc_set_op_timeout, dfsc_set_max_ops,
 * dfsc_set_dir_max_bytes, dfsc_set_lease_break_cb) start as parent's and
 * are its own from then on; dfsc_stats_get reports the shared counters.
 * Kerberos needs parent made with Kerberos not off (-EINVAL otherwise).
 * Returns 0 or a negative code. Ownership: *out is freed with
 * dfsc_ctx_free, before parent's. Thread-safety: any thread but the loop's. */
int dfsc_ctx_new_user(dfsc_ctx *parent, const dfsc_opts *identity, dfsc_ctx **out);

/* Fails what is in flight (their callbacks run with DFSC_E_SHUTDOWN), closes
 * connections, stops and joins the loop thread, frees the context. For a
 * context of dfsc_ctx_new_user: ends its operations (DFSC_E_SHUTDOWN for
 * those not yet answered; it waits for the requests out, within their
 * deadlines), closes the handles it left open, and leaves the connections
 * and their other sessions to parent (its sessions are logged off once
 * unused, like any idle session). Must not be
 * called from a callback (the loop thread). dfsc_file handles still open are
 * freed with it (the server drops them with the session): they must not be
 * used after; nor may listings, resolutions and cache snapshots be, which
 * the caller still frees (they do not point into the context).
 * Thread-safety: any thread but the loop's, once, with no call on ctx
 * running or starting on another thread. NULL is ignored. */
void dfsc_ctx_free(dfsc_ctx *ctx);

/* ---- results ---------------------------------------------------------- */
/* File attributes ([MS-FSCC] 2.6). */
#define DFSC_ATTR_READONLY 0x0001
#define DFSC_ATTR_HIDDEN 0x0002
#define DFSC_ATTR_SYSTEM 0x0004
#define DFSC_ATTR_DIRECTORY 0x0010
#define DFSC_ATTR_ARCHIVE 0x0020
#define DFSC_ATTR_NORMAL 0x0080
#define DFSC_ATTR_REPARSE_POINT 0x0400

typedef struct dfsc_stat_t {
  uint64_t size;
  uint64_t alloc_size;
  uint32_t attributes; /* DFSC_ATTR_* */
  int is_dir;
  /* Times as Windows FILETIME (100 ns since 1601-01-01 UTC). */
  uint64_t create_time;
  uint64_t access_time;
  uint64_t write_time;
  uint64_t change_time;
  uint64_t file_id;
} dfsc_stat_t;

/* Converts a FILETIME to Unix seconds and nanoseconds (either pointer may
 * be NULL). Thread-safety: any thread (pure). */
void dfsc_filetime_to_unix(uint64_t ft, int64_t *sec, long *nsec);

/* Converts Unix seconds and nanoseconds (0 <= nsec < 1e9) to a FILETIME in
 * whole 100 ns ticks (truncated). Returns 0, which on the wire means
 * "leave the time as it is", for a time a FILETIME cannot hold or a
 * negative nsec. Thread-safety: any thread (pure). */
uint64_t dfsc_filetime_from_unix(int64_t sec, long nsec);

/* A share's volume sizes ([MS-FSCC] 2.5.4 FileFsFullSizeInformation). */
typedef struct dfsc_fsinfo {
  uint64_t block_size;   /* bytes per allocation unit */
  uint64_t blocks;       /* total allocation units */
  uint64_t blocks_free;  /* free units */
  uint64_t blocks_avail; /* free units available to this user */
} dfsc_fsinfo;

typedef struct dfsc_result {
  int err;                     /* 0 or a negative code */
  uint32_t ntstatus;           /* the server's status when err == DFSC_E_NTSTATUS */
  const char *path;            /* the path the operation was started on (NULL for
                                  handle operations); valid during the callback */
  dfsc_file *file;             /* open: the new handle; ownership passes to the callee */
  dfsc_dir *dir;               /* opendir: the listing; ownership passes to the callee */
  dfsc_resolution *resolution; /* resolve: ownership passes to the callee */
  dfsc_cache_info *cache;      /* cache_info: ownership passes to the callee */
  size_t nbytes;               /* read / write: bytes transferred */
  dfsc_stat_t st;              /* stat, open: attributes of the object */
  dfsc_fsinfo fs;              /* statfs: the share's volume */
  /* ---- added after the first layout, in place of a reserved word */
  uint64_t nlink; /* stat: the file's names (hard links); 0 when not known */
  union {
    dfsc_share_list *shares; /* share_list: ownership passes to the callee */
    uint64_t shares_room_;   /* keeps the word whatever a pointer's size */
  };
  /* When err is DFSC_E_PROTO: which structure or field of the server's
   * answer was wrong ("READ response: DataOffset/DataLength outside the
   * PDU"), NULL when not known; NULL for every other error. Static
   * storage: valid for the life of the program. */
  union {
    const char *detail;
    uint64_t detail_room_;
  };
  /* Room to grow without changing the size (growth rule, above): a later
   * field takes the place of reserved words; 0 where not filled. */
  uint64_t reserved[5];
} dfsc_result;

/* A completion callback. Runs on the loop thread, exactly once per
 * successful start. res and the strings it points to are valid only during
 * the call; the objects it hands over (file, dir, resolution, cache) belong
 * to the callee from then on (ownership notes above). May start more
 * *_async operations; must not call dfsc-sync.h, dfsc_ctx_free or block. */
typedef void (*dfsc_cb)(const dfsc_result *res, void *arg);

/* Formats "PATH: STATUS_NAME", "PATH: message" or, with a detail,
 * "PATH: message: detail" for a failed result into buf (cap bytes, NUL-terminated). Returns
 * buf. Thread-safety: any thread. */
char *dfsc_result_str(const dfsc_result *res, char *buf, size_t cap);

/* ---- asynchronous operations ----------------------------------------- */
/* Open flags. */
#define DFSC_O_RDONLY 0x0000
#define DFSC_O_WRONLY 0x0001
#define DFSC_O_RDWR 0x0002
#define DFSC_O_ACCMODE 0x0003
#define DFSC_O_CREAT 0x0100
#define DFSC_O_EXCL 0x0200
#define DFSC_O_TRUNC 0x0400
#define DFSC_O_DIRECTORY 0x1000
/* Only to read and change attributes and times (set_times), of a file or a
 * directory alike; the access mode is ignored. */
#define DFSC_O_ATTRIBUTES 0x2000
/* While this handle is open, no other open may delete or rename the file
 * (it is opened without FILE_SHARE_DELETE): such an open fails with
 * STATUS_SHARING_VIOLATION. dfsc put -r writes its temporary files so,
 * which lets a later run remove the ones an interrupted run left without
 * touching one still being written. */
#define DFSC_O_DENY_DELETE 0x4000

/* Rules for every *_async function below (and those of the DFS and
 * diagnostics sections):
 *  - Returns 0 (the callback will run exactly once, on the loop thread,
 *    never inside this call) or a negative code (it will not): -EINVAL
 *    for bad arguments, DFSC_E_BUSY past the queue or the live-operation
 *    budget (dfsc_set_max_ops), DFSC_E_SHUTDOWN once dfsc_ctx_free began.
 *  - Thread-safety: any thread, callbacks (the loop thread) included, any
 *    number at once, on one context or one handle alike; not after
 *    dfsc_ctx_free began on that context.
 *  - Ownership: strings (`path`, `newpath`) are copied before the call
 *    returns; buffers (`buf`) stay the caller's and must stay valid until
 *    the callback; what the result hands over (res->file, res->dir,
 *    res->resolution, res->cache) belongs to the callee from the callback
 *    on, to be freed with dfsc_close_async / dfsc_dir_free /
 *    dfsc_resolution_free / dfsc_cache_info_free (also when the callback
 *    ignores it).
 *  - Operations on one handle may be in flight together; they start in
 *    submission order and complete in any order. */

/* Opens (or with DFSC_O_CREAT creates) path; res->file is the handle and
 * res->st its attributes. */
int dfsc_open_async(dfsc_ctx *ctx, const char *path, int flags, dfsc_cb cb, void *arg);

/* Reads up to len bytes at off into buf, which must stay valid until the
 * callback. Large reads are split into pipelined requests. res->nbytes is
 * short only at end of file. */
int dfsc_read_async(dfsc_file *f, void *buf, size_t len, uint64_t off, dfsc_cb cb,
                    void *arg);
/* Reads up to len bytes at off into a pipe: pipefd[0] and pipefd[1] are
 * its read and write ends (pipe2(2), the write end O_NONBLOCK), which stay
 * open and unused by the caller until the callback (a pipe without a
 * reader raises SIGPIPE in the loop thread where it is not ignored); the
 * pipe must be empty and able to take len bytes plus a page
 * (F_SETPIPE_SZ), else -EINVAL.
 * res->nbytes bytes are then in it, short only at end of file. The data is
 * spliced from the socket into the pipe (splice(2)) and never passes
 * through this process (a FUSE daemon hands it on to /dev/fuse the same
 * way). DFSC_E_UNSUPPORTED, before anything is sent, where that cannot
 * be: the read needs more than one READ (the server's MaxReadSize or its
 * credits), the share's answers are signed or encrypted (they are checked
 * in memory), or the connection stopped splicing (reads_spilled); read
 * into memory then (dfsc_read_async). On failure the pipe holds an
 * unknown part of the data: drain or close it. A dropped connection is not
 * resumed under a pipe read: its error comes back (a read into memory is
 * resumed). */
int dfsc_read_pipe_async(dfsc_file *f, const int pipefd[2], size_t len, uint64_t off,
                         dfsc_cb cb, void *arg);
/* Writes len bytes of buf (valid until the callback) at off; res->nbytes
 * is the count written. */
int dfsc_write_async(dfsc_file *f, const void *buf, size_t len, uint64_t off, dfsc_cb cb,
                     void *arg);
/* Copies len bytes at src_off of src to dst_off of dst on the server
 * itself, with no data through the client ([MS-SMB2] 3.2.4.20.2:
 * FSCTL_SRV_REQUEST_RESUME_KEY on src, then FSCTL_SRV_COPYCHUNK_WRITE on
 * dst, at most 16 MiB a request or the server's limits). dst needs write
 * access, src read access. res->nbytes is the count copied: once some
 * bytes are, the result is a success, short when something stopped the
 * copy (ask again for the rest, which then reports the error). -EXDEV
 * when src and dst are not open through one connection and session (other
 * servers, another identity) or src's connection dropped since its open;
 * a server without server-side copy answers DFSC_E_NTSTATUS
 * (STATUS_NOT_SUPPORTED or STATUS_INVALID_DEVICE_REQUEST). In those cases
 * the caller copies through itself (read and write). len 0 completes with
 * 0. Both handles of one context; neither a directory. */
int dfsc_copy_range_async(dfsc_file *src, uint64_t src_off, dfsc_file *dst,
                          uint64_t dst_off, uint64_t len, dfsc_cb cb, void *arg);
/* Renames the open file f, opened with DFSC_O_DENY_DELETE (which gives
 * the handle delete access), to newname in the same directory: one path
 * component. flags: DFSC_RENAME_REPLACE replaces an existing file of that
 * name. Through the handle, so no one else can delete or rename the file
 * between the last write and the rename (dfsc put -r and cp write a
 * hidden temporary file and rename it so). */
int dfsc_rename_open_async(dfsc_file *f, const char *newname, int flags, dfsc_cb cb,
                           void *arg);
/* Asks the server to make what was written durable ([MS-SMB2] FLUSH). */
int dfsc_flush_async(dfsc_file *f, dfsc_cb cb, void *arg);
/* Sets the end of file. */
int dfsc_truncate_async(dfsc_file *f, uint64_t size, dfsc_cb cb, void *arg);
/* Sets the access and last-write times (FILETIME; 0 leaves one as it is). */
int dfsc_set_times_async(dfsc_file *f, uint64_t access_time, uint64_t write_time,
                         dfsc_cb cb, void *arg);
/* Sets the DOS attributes (DFSC_ATTR_*, FileBasicInformation [MS-FSCC]
 * 2.4.7) to exactly `attributes`; DFSC_ATTR_NORMAL alone clears them all.
 * 0 is -EINVAL (on the wire it means "leave them"). The handle needs
 * attribute access (DFSC_O_ATTRIBUTES or a write open). */
int dfsc_set_attributes_async(dfsc_file *f, uint32_t attributes, dfsc_cb cb, void *arg);
/* The same by path, without a handle of the caller's: DOS attributes (0:
 * unchanged) and FILETIME times (0: unchanged) of path, in one compounded
 * CREATE + SET_INFO + QUERY_INFO + CLOSE; res->st (and res->nlink) the
 * attributes after. All three 0: -EINVAL. */
int dfsc_setattr_async(dfsc_ctx *ctx, const char *path, uint32_t attributes,
                       uint64_t access_time, uint64_t write_time, dfsc_cb cb, void *arg);
/* Closes and frees f. f is invalid to the caller once this returns,
 * whatever it returns (on failure the callback does not run; the server
 * drops the handle with the session). Operations submitted on f before
 * still run: each holds f until it ends. */
int dfsc_close_async(dfsc_file *f, dfsc_cb cb, void *arg);

/* The attributes of path into res->st: one compounded CREATE + QUERY_INFO
 * + CLOSE. */
int dfsc_stat_async(dfsc_ctx *ctx, const char *path, dfsc_cb cb, void *arg);
/* Reads the start of a whole file in one compounded CREATE + READ + CLOSE
 * ([MS-SMB2] 3.2.4.1.4): one round trip for a small file. Reads at most cap
 * bytes from offset 0 into buf, which must stay valid until the callback;
 * fewer when one READ cannot carry cap bytes (the server's MaxReadSize, the
 * credits it grants). res->nbytes is the count read; res->st holds the
 * attributes the CREATE returned (file_id 0), so res->st.size > res->nbytes
 * tells the caller the file is larger than what arrived and the rest is
 * read through dfsc_open / dfsc_read as usual. An empty file gives err 0
 * and nbytes 0. A directory fails with STATUS_FILE_IS_A_DIRECTORY.
 * Returns -EINVAL for a NULL buf or cap 0 (the callback then never runs). */
int dfsc_read_file_async(dfsc_ctx *ctx, const char *path, void *buf, size_t cap, dfsc_cb cb,
                         void *arg);
/* The sizes of the volume behind path's share, into res->fs. */
int dfsc_statfs_async(dfsc_ctx *ctx, const char *path, dfsc_cb cb, void *arg);
/* Lists a directory completely (bounded by DFSC_DIR_MAX_ENTRIES entries and
 * 256 MiB; a server repeating a page is a protocol error). */
int dfsc_opendir_async(dfsc_ctx *ctx, const char *path, dfsc_cb cb, void *arg);
/* Reads the next page of the directory f (opened with DFSC_O_DIRECTORY)
 * into res->dir: a listing like dfsc_opendir's, holding what one answer
 * of the server carried (at most 1 MiB on the wire, and sized so that a
 * page always fits the listing cap of dfsc_set_dir_max_bytes), its names
 * checked
 * the same way. res->dir is NULL (err 0) at the end of the directory; a
 * page can be empty while more follow (every name in it withheld). So a
 * directory of any size is read in the memory of one page. The first call
 * on a handle starts from the first entry; at most 100,000 pages per
 * handle (then DFSC_E_TOOBIG); a server repeating a page is a protocol
 * error. One call at a time per handle. res->dir belongs to the callee
 * (dfsc_dir_free). */
int dfsc_readdir_async(dfsc_file *f, dfsc_cb cb, void *arg);
/* Sets the most a listing of ctx may hold (its entries and names, as
 * counted for the 256 MiB above): a listing that passes it fails with
 * DFSC_E_TOOBIG, as one past 256 MiB does. 0 restores the default
 * (256 MiB); a value above 256 MiB is taken as 256 MiB. A caller that
 * budgets memory (the mount) bounds each listing it starts this way.
 * Returns 0, or -EINVAL for a NULL ctx. Thread-safety: any thread; takes
 * effect for listings started after it returns (one already under way may
 * see it from its next page on). */
int dfsc_set_dir_max_bytes(dfsc_ctx *ctx, size_t max_bytes);

/* The budget of live operations of ctx: every operation from its submit
 * to the end of its callback counts, and every wait of the library (a
 * waiter for a connection, a session, a tree or a referral) belongs to
 * one, so the budget bounds them all. Past it, a submitting call returns
 * DFSC_E_BUSY at once (the callback never runs), counted in
 * dfsc_stats.ops_rejected. 0 restores the default, 65,536 (an operation
 * counts from its submit, so the ones waiting for the loop are in it).
 * Returns 0, or -EINVAL for a NULL ctx. Thread-safety: any thread;
 * applies to operations submitted after it returns. */
int dfsc_set_max_ops(dfsc_ctx *ctx, unsigned max_ops);

/* The whole-operation deadline of ctx, from the submitting call to the
 * callback, through name lookups, referrals, connects, authentication,
 * tree connects and failover (0 restores the default, 300,000 ms). When
 * it passes, the callback runs at once with DFSC_E_TIMEDOUT while the
 * operation is still finding its server, or during a verb that only reads
 * into the library's memory (stat, statfs, resolve, opendir, an open
 * without create or truncate). Requests that change the server or fill the
 * caller's buffer (reads, writes, creates, deletes, renames, set info,
 * flush, close) are not abandoned: no further one is sent and the
 * operation ends when those out answer, within request_timeout_ms, with
 * DFSC_E_TIMEDOUT for an unfinished read or write, else with what the
 * server did (an operation that took effect is never reported as failed).
 * Counted in dfsc_stats.ops_timed_out. Returns 0, or -EINVAL for a NULL
 * ctx. Thread-safety: any thread; applies to operations the loop takes up
 * after it returns. */
int dfsc_set_op_timeout(dfsc_ctx *ctx, unsigned timeout_ms);

/* Cancels the operations of ctx submitted with this cb and arg that have
 * not completed, as the deadline above does, with DFSC_E_CANCELED (the
 * FUSE mount passes each request's interrupt here). Asynchronous: returns
 * 0 once the cancel is queued for the loop (operations submitted before
 * it are reached; one that completes meanwhile completes normally),
 * -EINVAL, -ENOMEM, DFSC_E_BUSY or DFSC_E_SHUTDOWN. Counted in
 * dfsc_stats.ops_canceled. Thread-safety: any thread, callbacks
 * included. */
int dfsc_cancel(dfsc_ctx *ctx, dfsc_cb cb, void *arg);
/* Creates a directory; deletes a file; deletes an empty directory. */
int dfsc_mkdir_async(dfsc_ctx *ctx, const char *path, dfsc_cb cb, void *arg);
int dfsc_unlink_async(dfsc_ctx *ctx, const char *path, dfsc_cb cb, void *arg);
int dfsc_rmdir_async(dfsc_ctx *ctx, const char *path, dfsc_cb cb, void *arg);
/* Renames within one share; newpath may be a full UNC path on the same share
 * or a path relative to the share. */
int dfsc_rename_async(dfsc_ctx *ctx, const char *path, const char *newpath, dfsc_cb cb,
                      void *arg);
/* With DFSC_RENAME_REPLACE an existing newpath (not a directory) is
 * replaced, as rename(2) does; without it, that fails with
 * STATUS_OBJECT_NAME_COLLISION. */
#define DFSC_RENAME_REPLACE 0x1
int dfsc_rename2_async(dfsc_ctx *ctx, const char *path, const char *newpath, int flags,
                       dfsc_cb cb, void *arg);
/* Makes newpath (on the same share, full or share-relative as for rename)
 * another name of the file at path: a hard link, SMB2 SET_INFO with
 * FileLinkInformation ([MS-FSCC] 2.4.27.2). flags: DFSC_RENAME_REPLACE
 * replaces an existing newpath; without it that fails with
 * STATUS_OBJECT_NAME_COLLISION. A directory cannot be linked. */
int dfsc_link_async(dfsc_ctx *ctx, const char *path, const char *newpath, int flags,
                    dfsc_cb cb, void *arg);

/* ---- byte-range locks and extended attributes -------------------------- */
/* SMB2 LOCK ([MS-SMB2] 2.2.26) of len bytes at off on the open file f.
 * flags: DFSC_LOCK_SHARED or DFSC_LOCK_EXCLUSIVE to lock, DFSC_LOCK_UNLOCK
 * to release a range locked before through f (the same off and len).
 * SMB locks are mandatory and belong to the handle: another handle's reads
 * and writes in an exclusively locked range fail with
 * STATUS_FILE_LOCK_CONFLICT, and an exclusive lock overlapping any lock
 * (this handle's included) is not granted. A lock that is not granted
 * fails with STATUS_LOCK_NOT_GRANTED at once; with DFSC_LOCK_WAIT the
 * library asks again, after 10 ms, doubling up to 0.5 s between tries, until
 * it is granted, the operation's deadline (dfsc_set_op_timeout: then
 * DFSC_E_TIMEDOUT) or dfsc_cancel (DFSC_E_CANCELED). Unlocking a range
 * the server does not hold as locked succeeds (STATUS_RANGE_NOT_LOCKED is
 * taken as done). A handle that held locks when its connection dropped
 * and could not be reclaimed with them goes stale (-ESTALE) rather than
 * carry on unlocked. len 0 or off + len past 2^64: -EINVAL. */
#define DFSC_LOCK_SHARED 0x1
#define DFSC_LOCK_EXCLUSIVE 0x2
#define DFSC_LOCK_UNLOCK 0x4
#define DFSC_LOCK_WAIT 0x8
int dfsc_lock_async(dfsc_file *f, uint64_t off, uint64_t len, int flags, dfsc_cb cb,
                    void *arg);
/* Extended attributes of the file or directory at path ([MS-FSCC] 2.4.15,
 * SMB2 QUERY_INFO / SET_INFO FileFullEaInformation). Names are 1 to 255
 * bytes of printable ASCII, compared without regard to case, as the
 * server keeps them; values are 1 to 65535 bytes (SMB has no empty EA).
 *
 * dfsc_get_ea_async: name NULL lists the names, each followed by a NUL, into
 * buf; otherwise the value of that EA. res->nbytes is the length of the
 * answer; with cap 0 (buf may be NULL) only that is asked; an answer
 * longer than cap fails with -ERANGE (nbytes still set). An EA that does
 * not exist: -ENODATA. A server without EAs on that share:
 * STATUS_EAS_NOT_SUPPORTED. buf must stay valid until the callback.
 * dfsc_set_ea_async: sets name to value (len 1..65535) or, with len 0,
 * removes it (removing one that does not exist is not an error). */
#define DFSC_EA_NAME_MAX 255
#define DFSC_EA_VALUE_MAX 65535
int dfsc_get_ea_async(dfsc_ctx *ctx, const char *path, const char *name, void *buf,
                      size_t cap, dfsc_cb cb, void *arg);
int dfsc_set_ea_async(dfsc_ctx *ctx, const char *path, const char *name, const void *value,
                      size_t len, dfsc_cb cb, void *arg);

/* ---- directory listings ---------------------------------------------- */
#define DFSC_DIR_MAX_ENTRIES 4000000

/* Names in a listing come from the server and are checked before they
 * reach the caller. Every name returned is one path component: non-empty
 * valid UTF-8 converted from valid UTF-16, without NUL, '/' or '\', and
 * never "." or "..". A name the server sends that is not (one holding
 * U+0000, '/' or '\', an empty one, an odd byte count or an unpaired
 * surrogate) is dropped: left out of the listing, counted in
 * dfsc_dir_dropped and logged at DFSC_LOG_WARN (category DFSC_CAT_MUP) as
 * "PATH: listing: dropped a name that REASON: "ESCAPED"", with the name in
 * pure ASCII (\xHH, \uXXXX), the first 8 per listing and then a total.
 * The rest of the directory lists as usual: one hostile entry does not
 * fail the listing. Invalid UTF-16 is dropped, not replaced with U+FFFD:
 * a replaced name would not open the file it came from and could collide
 * with another. Dropped entries count against DFSC_DIR_MAX_ENTRIES.
 * C0 and C1 control characters (ESC, newline, U+009B ...) are legal in
 * server names and ARE returned: a caller that prints names or writes
 * them to a terminal must escape them.
 *
 * Paths a caller gives are parsed with both '/' and '\' as separators
 * (dfsc_open_async and the others): "//h/s/dir/a\b" names b in the
 * directory a, so a server name holding '\' cannot be named, as on the
 * wire. */
typedef struct dfsc_dirent {
  const char *name; /* UTF-8, one component (see above) */
  dfsc_stat_t st;
} dfsc_dirent;

/* A listing is the caller's (from res->dir or dfsc_opendir) and holds no
 * reference to the context: it may outlive it.
 * Returns the next entry or NULL at the end. Pointers stay valid until
 * dfsc_dir_free. Thread-safety: one thread at a time per dir. */
const dfsc_dirent *dfsc_dir_next(dfsc_dir *d);
/* The number of entries (those dfsc_dir_next returns in all). */
size_t dfsc_dir_count(const dfsc_dir *d);
/* The number of entries the server sent that were withheld for their
 * names (see above; "." and ".." are not counted). 0 for NULL. */
size_t dfsc_dir_dropped(const dfsc_dir *d);
/* Frees d, its entries and their names. NULL is ignored. Thread-safety:
 * any thread, once no other uses d. */
void dfsc_dir_free(dfsc_dir *d);

/* A handle whose connection dropped is recovered by its next operation
 * (dfsc_opts.reconnect_timeout_ms): a zero-length dfsc_read_async or
 * dfsc_write_async on it completes once the handle is usable again (0) or
 * with the error its reads would meet, and so is a way to wait for that.
 * New path operations do not wait: they fail at the first refused
 * connection, so that a DFS path goes to the link's next target. */

/* Handle queries: the attributes the open returned and the path it was
 * opened with. Pointers into f, valid until dfsc_close_async (or
 * dfsc_ctx_free). Thread-safety: any thread (the values are fixed at
 * open). */
const dfsc_stat_t *dfsc_file_stat(const dfsc_file *f);
const char *dfsc_file_path(const dfsc_file *f);

/* ---- leases ([MS-SMB2] 2.2.13.2.8) ----------------------------------- */
/* What the server lets the holder of a handle cache: READ (file data and
 * attributes stay valid), HANDLE (the open may be kept), WRITE (writes may
 * be held back). */
#define DFSC_LEASE_READ 0x1u
#define DFSC_LEASE_HANDLE 0x2u
#define DFSC_LEASE_WRITE 0x4u
/* The lease f holds now (DFSC_LEASE_* bits; 0 without one: directories,
 * durable = off, SMB 2.0.2, servers without leasing). A snapshot: a break
 * may lower it right after. Thread-safety: any thread. */
unsigned dfsc_file_lease(const dfsc_file *f);

typedef struct dfsc_lease_break {
  dfsc_file *file;               /* the handle; valid during the callback only */
  const char *path;              /* its path, as opened */
  unsigned old_state, new_state; /* DFSC_LEASE_* */
  uint64_t token;                /* for dfsc_lease_break_done */
  int ack_required;              /* the server waits for the acknowledgement (a break of
                                    WRITE or HANDLE caching); otherwise it went on already
                                    and returning 1 changes nothing */
} dfsc_lease_break;
/* Called on the library's loop thread when the server breaks the lease of
 * an open handle (another client wants the file), before the library
 * acknowledges the break. Return 0 and the library acknowledges at once;
 * return 1 to drop what you cached first (on another thread: the callback
 * must not block or call into the library) and then call
 * dfsc_lease_break_done(ctx, b->token). The library acknowledges by
 * itself 5 s after the break if you have not (counted in
 * lease_acks_late). */
typedef int (*dfsc_lease_break_cb)(void *arg, const dfsc_lease_break *b);
/* Sets the callback for the handles opened from now on (NULL: none).
 * Returns 0 or -EINVAL. Thread-safety: any thread; set it before opening
 * files. */
int dfsc_set_lease_break_cb(dfsc_ctx *ctx, dfsc_lease_break_cb cb, void *arg);
/* Lets the library acknowledge the break of token. Returns 0 (queued to
 * the loop), -EINVAL or a negative code when the context stops; a token
 * whose break was acknowledged already (by the bound, or a newer break)
 * is ignored. Thread-safety: any thread, the callback's included. */
int dfsc_lease_break_done(dfsc_ctx *ctx, uint64_t token);

/* ---- share listing ---------------------------------------------------- */
/* Share types ([MS-SRVS] 2.2.2.4): dfsc_share.type & DFSC_SHARE_TYPE_MASK
 * is one of the first four, and the flags may be set besides. */
#define DFSC_SHARE_DISK 0u
#define DFSC_SHARE_PRINTER 1u
#define DFSC_SHARE_DEVICE 2u
#define DFSC_SHARE_IPC 3u
#define DFSC_SHARE_TYPE_MASK 0xFFu
#define DFSC_SHARE_TEMPORARY 0x40000000u
#define DFSC_SHARE_SPECIAL 0x80000000u /* administrative: IPC$, ADMIN$, C$ */

typedef struct dfsc_share {
  const char *name;    /* UTF-8, checked as listing names are (above) */
  const char *comment; /* UTF-8, "" when the server gave none */
  uint32_t type;       /* DFSC_SHARE_* */
} dfsc_share;

/* Lists the shares of a server: path names the host alone ("//host",
 * "\\host", "smb://[user@]host[:port]"; a share in it is -EINVAL), and a
 * DNS domain name lists the shares of the domain controller it resolves
 * to. Asks srvsvc NetrShareEnum ([MS-SRVS] 3.1.4.8) over the server's
 * IPC$ pipe, as `smbclient -L` does, following its resume handle. On
 * success res->shares is the listing, in the server's order (ownership
 * passes to the callee: dfsc_share_list_free). A server without the
 * srvsvc pipe answers DFSC_E_NTSTATUS (STATUS_OBJECT_NAME_NOT_FOUND); one
 * that refuses the listing, -EACCES; a malformed answer DFSC_E_PROTO, with
 * a WARN log line naming the field. Names that are not one valid path
 * component are withheld and counted (dfsc_share_list_dropped); a comment
 * that is not valid UTF-16 reads as "". Thread-safety: any thread. */
int dfsc_list_shares_async(dfsc_ctx *ctx, const char *path, dfsc_cb cb, void *arg);
/* The number of shares, and share i (NULL past the end). Pointers stay
 * valid until dfsc_share_list_free. Any thread, several at once. */
size_t dfsc_share_list_count(const dfsc_share_list *l);
const dfsc_share *dfsc_share_list_get(const dfsc_share_list *l, size_t i);
/* Shares the server sent whose names were withheld. 0 for NULL. */
size_t dfsc_share_list_dropped(const dfsc_share_list *l);
/* Frees l and its strings. NULL is ignored. Any thread, once no other
 * uses l. */
void dfsc_share_list_free(dfsc_share_list *l);

/* ---- DFS ------------------------------------------------------------- */
/* Resolutions and cache snapshots are opaque heap copies the caller owns
 * (dfsc_resolution_free, dfsc_cache_info_free); what their accessors
 * return points into them and lives until that free. They hold no
 * reference to the context. The accessors read only: any thread, several
 * at once on one object. Paths are in "\\server\share\rest" form.
 *
 * One hop (dfsc_resolve_hop) is one referral cache entry and the target
 * chosen from it. Out-of-range indexes and NULL objects give NULL or 0. */
typedef struct dfsc_resolve_hop dfsc_resolve_hop;

/* The DFS path prefix the entry covers. */
const char *dfsc_hop_prefix(const dfsc_resolve_hop *h);
/* The target chosen (NULL when the entry has none). */
const char *dfsc_hop_target(const dfsc_resolve_hop *h);
/* 1 for a root referral, 0 for a link. */
int dfsc_hop_is_root(const dfsc_resolve_hop *h);
/* 1 for a link whose targets are DFS roots (an interlink). */
int dfsc_hop_is_interlink(const dfsc_resolve_hop *h);
/* The referral version the server answered with. */
unsigned dfsc_hop_version(const dfsc_resolve_hop *h);
/* Seconds, as the server gave it. */
unsigned dfsc_hop_ttl(const dfsc_resolve_hop *h);
/* Milliseconds left when the snapshot was taken; negative once expired. */
long long dfsc_hop_expires_in_ms(const dfsc_resolve_hop *h);
/* UTF-16 bytes of the prefix (the server's PathConsumed). */
unsigned dfsc_hop_path_consumed(const dfsc_resolve_hop *h);
/* The targets in referral order; dfsc_hop_chosen is the index of the one
 * used. */
size_t dfsc_hop_ntargets(const dfsc_resolve_hop *h);
const char *dfsc_hop_target_at(const dfsc_resolve_hop *h, size_t i);
size_t dfsc_hop_chosen(const dfsc_resolve_hop *h);
/* The server that gave the referral (NULL if unknown). */
const char *dfsc_hop_source(const dfsc_resolve_hop *h);

/* The path resolved (as a DFS path), where operations on it go, whether
 * that target share is itself a DFS root, and the hops in walk order. */
const char *dfsc_resolution_path(const dfsc_resolution *r);
const char *dfsc_resolution_target(const dfsc_resolution *r);
int dfsc_resolution_target_is_dfs(const dfsc_resolution *r);
size_t dfsc_resolution_nhops(const dfsc_resolution *r);
const dfsc_resolve_hop *dfsc_resolution_hop(const dfsc_resolution *r, size_t i);

/* The referral cache (one hop per entry) and the domain cache (each domain
 * with its domain controllers) as the context held them. */
size_t dfsc_cache_info_nentries(const dfsc_cache_info *c);
const dfsc_resolve_hop *dfsc_cache_info_entry(const dfsc_cache_info *c, size_t i);
size_t dfsc_cache_info_ndomains(const dfsc_cache_info *c);
const char *dfsc_cache_info_domain(const dfsc_cache_info *c, size_t i);
size_t dfsc_cache_info_ndcs(const dfsc_cache_info *c, size_t domain);
const char *dfsc_cache_info_dc(const dfsc_cache_info *c, size_t domain, size_t i);

/* Resolves path through DFS (connecting and asking for referrals as
 * needed; the target is probed with a stat). res->resolution receives the
 * chain; ownership passes to the callee (dfsc_resolution_free). A path that
 * resolves but names nothing still resolves (err 0). Thread-safety: any
 * thread. */
int dfsc_resolve_async(dfsc_ctx *ctx, const char *path, dfsc_cb cb, void *arg);
/* Frees r and everything its accessors returned. NULL is ignored.
 * Thread-safety: any thread, once no other thread reads r. */
void dfsc_resolution_free(dfsc_resolution *r);

/* Snapshots both caches into res->cache (ownership passes to the callee:
 * dfsc_cache_info_free). Thread-safety: any thread. */
int dfsc_cache_snapshot_async(dfsc_ctx *ctx, dfsc_cb cb, void *arg);
/* Frees c and everything its accessors returned. NULL is ignored.
 * Thread-safety: any thread, once no other thread reads c. */
void dfsc_cache_info_free(dfsc_cache_info *c);
/* Empties both caches. Thread-safety: any thread. */
int dfsc_cache_flush_async(dfsc_ctx *ctx, dfsc_cb cb, void *arg);

/* ---- counters ---------------------------------------------------------- */
/* What the context has done since it was created: the evidence for the
 * progress contract (docs/progress.md). */
typedef struct dfsc_stats {
  /* Set by dfsc_stats_get: the bytes it filled, the smaller of the
   * caller's sizeof and this library's; later fields are 0 (growth rule,
   * above). New counters are only ever added at the end. */
  size_t size;
  /* DFS referral requests */
  uint64_t referrals_sent;
  uint64_t referrals_coalesced; /* misses that rode on a request in flight */
  uint64_t referrals_queued;    /* requests that waited for the throttle */
  uint64_t referrals_failed;
  uint64_t referral_queue_hwm;
  uint64_t failovers;      /* moves to the next target of an entry */
  uint64_t referral_loops; /* walks ended by the hop limit */
  /* connection establishment (lookup, connect, negotiate) */
  uint64_t conn_setups_started;
  uint64_t conn_setups_coalesced; /* users that joined a setup in progress */
  uint64_t conn_setups_failed;
  uint64_t conn_setups_queued; /* setups that waited for a slot */
  uint64_t sessions_started;
  uint64_t trees_started;
  /* requests */
  uint64_t requests_sent;
  uint64_t credit_waits;
  uint64_t deadlines_hit; /* requests and setups ended by their deadline */
  /* queues and lanes */
  uint64_t submit_queue_hwm; /* caller -> loop submission queue */
  uint64_t lookup_queue_hwm;
  uint64_t lookup_busy_hwm; /* lookup workers busy at once, at most */
  uint64_t lookup_rejected; /* lookups refused: lane queue full */
  uint64_t loop_iterations;
  /* names */
  uint64_t names_dropped; /* listing entries withheld for their names
                           * (NUL, '/', '\\', empty, bad UTF-16; see
                           * dfsc_dir_dropped) */
  /* the live-operation budget (dfsc_set_max_ops) */
  uint64_t ops_live_hwm; /* operations alive at once, at most */
  uint64_t ops_rejected; /* submits refused with DFSC_E_BUSY */
  /* ---- added after the first layout: idle close (idle_timeout_ms,
   * max_conns) */
  uint64_t trees_closed;    /* trees disconnected and freed when idle */
  uint64_t sessions_closed; /* sessions logged off when idle or evicted */
  uint64_t conns_closed;    /* connections closed and freed, idle or evicted */
  uint64_t conns_open;      /* connections alive now (each one socket at most) */
  /* ---- added after: whole-operation deadlines and cancel */
  uint64_t ops_timed_out; /* operations past their deadline (dfsc_set_op_timeout) */
  uint64_t ops_canceled;  /* operations reached by dfsc_cancel */
  /* ---- added after: Kerberos */
  uint64_t sessions_krb5;    /* sessions set up with Kerberos */
  uint64_t sessions_ntlm;    /* sessions set up with NTLM (anonymous included) */
  uint64_t auth_jobs;        /* Kerberos steps run on the auth lane */
  uint64_t auth_kdc_jobs;    /* of them, steps that had to ask the KDC (KDC lane) */
  uint64_t auth_orphaned;    /* steps whose session gave up first (deadline, reset) */
  uint64_t hardened_refused; /* tree connects refused by a hardened path */
  /* ---- added after: reconnect, durable handles, leases */
  uint64_t conns_lost;           /* established connections lost (reset, EOF, dead peer) */
  uint64_t reconnects;           /* connections established again after a loss */
  uint64_t reconnect_waits;      /* operations that waited for a connection to return */
  uint64_t reconnect_tries;      /* connection attempts those waits made */
  uint64_t reconnect_failed;     /* waits that ended without a connection */
  uint64_t echoes_sent;          /* keepalive ECHOs */
  uint64_t echo_dead;            /* connections found dead by an unanswered ECHO */
  uint64_t durable_opens;        /* opens the server made durable */
  uint64_t durable_reclaimed;    /* handles reclaimed after a reconnect */
  uint64_t reopened_by_path;     /* handles whose reclaim was refused, opened again */
  uint64_t handles_stale;        /* handles lost for good (ESTALE) */
  uint64_t ops_resumed;          /* operations cut by a loss and done again (one that
                                    found the connection down before it started
                                    counts in reconnect_waits only) */
  uint64_t lease_breaks;         /* lease breaks for leases held */
  uint64_t lease_acks;           /* lease break acknowledgements sent */
  uint64_t lease_breaks_dropped; /* breaks for unknown keys or oplocks, ignored */
  uint64_t lease_acks_late;      /* deferred acknowledgements the 5 s bound sent */
  uint64_t read_bytes;           /* asked for by READ requests */
  uint64_t write_bytes;          /* sent by WRITE requests */
  uint64_t requests_unanswered;  /* requests past their deadline failed alone
                                    (DFSC_E_NOANSWER): the server answered the
                                    ECHO asked then, so the connection stayed */
  /* ---- added after: settling lost answers, waiting locks */
  uint64_t ops_settled; /* mkdir / unlink / rmdir / rename / link whose answer was
                           lost with the connection and which the server then
                           showed done (answered as done) */
  uint64_t lock_waits;  /* tries a DFSC_LOCK_WAIT lock waited for again */
  /* ---- added after: READ data received in place */
  uint64_t reads_direct; /* clear READ answers whose data the transport read
                            straight into the caller's buffer (no copy) */
  /* ---- added after: sessions of several identities on one connection */
  uint64_t sessions_open; /* session objects alive now: one per identity that
                             used each open connection (dfsc_ctx_new_user) */
  /* ---- added after: servers that sign compounded replies wrongly */
  uint64_t compound_fallbacks; /* connections that send one request at a time since
                                  their server signed a compounded reply as a lone
                                  one (impacket); see docs/security.md */
  /* ---- added after: READ data spliced into a pipe */
  uint64_t reads_spliced; /* clear, unsigned READ answers whose data went from
                             the socket into the caller's pipe
                             (dfsc_read_pipe_async) */
  uint64_t reads_spilled; /* READ answers bound for a pipe finished in memory
                             because its slots filled first (data in small
                             pieces); a connection stops splicing once 4 of
                             its spliced READs and one in 8 spilled */
} dfsc_stats;

/* Fills the first `size` bytes of *out (the caller's sizeof, which the
 * dfsc_stats_get macro passes) and never writes past them: the counters
 * this library knows, zero for those it does not, and out->size. A size
 * below sizeof(size_t) is -EINVAL. Returns 0 or a negative code
 * (DFSC_E_SHUTDOWN once dfsc_ctx_free began). Thread-safety: any thread,
 * the loop's included (the counters are read on the loop thread). */
int dfsc_stats_get_sized(dfsc_ctx *ctx, dfsc_stats *out, size_t size);
#define dfsc_stats_get(ctx, out) dfsc_stats_get_sized((ctx), (out), sizeof *(out))

/* ---- diagnostics ------------------------------------------------------ */
/* The dialect negotiated with the server serving `path` (connecting if
 * needed), in res->nbytes (e.g. 0x0311), for tests and -v output. */
int dfsc_dialect_async(dfsc_ctx *ctx, const char *path, dfsc_cb cb, void *arg);

#ifdef __cplusplus
}
#endif
#endif
