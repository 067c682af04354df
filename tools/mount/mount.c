/* `dfsc mount`: the UNC namespace as a FUSE file system.
 *
 * MOUNTPOINT/<host-or-domain>/<share>/<path> is \\host\share\path. Host
 * names appear when they are looked up (automount); a share is checked with
 * a stat of its root, which goes through DFS like every other path, so DFS
 * roots and links are plain directories here. MOUNTPOINT/.dfsc/cache and
 * MOUNTPOINT/.dfsc/stats show the library's caches and counters; writing
 * "flush" to the cache file empties the caches.
 *
 * Every FUSE request becomes an asynchronous library operation and is
 * answered from its callback on the library's loop thread, so a FUSE thread
 * never waits on the network: one FUSE thread serves any burst (P6 of
 * docs/progress.md). The inode table is shared by FUSE threads and the loop
 * thread under one mutex that is never held across a call into the library
 * that can wait (it is held across submits and dfsc_cancel, which only
 * queue for the loop thread: see "requests in flight and interrupts").
 * A request whose program gets a signal is answered EINTR: its library
 * operation is canceled (dfsc_cancel), a listing waiting for its turn
 * leaves its FIFO.
 * On an allow_other mount other local users act with the mount's
 * credentials, so what they can reach is bounded here: every request that
 * could go to a server passes the host check (dfsc__mount_host_allowed with
 * the request's uid) before a path is even built, or before an answer
 * from fresh attributes; the listings held for open directory handles have
 * a budget in total and per uid (EMFILE past the handle count, ENOMEM past
 * the bytes), and so do the listings in flight: an opendir past their caps
 * waits, unanswered and holding no thread, in a bounded FIFO per uid
 * (EAGAIN past it), and starts when a listing ends. docs/mount.md,
 * "What another local user can do". Log lines are written after the mutex
 * is released, refusals rate-limited.
 * Does not: list a server's shares (that needs the srvsvc RPC), keep file
 * data in its own cache (the kernel's page cache does), map Windows ACLs to
 * modes (owner and modes come from the mount options, as with cifs' noperm).
 */
#define FUSE_USE_VERSION 312
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "../common/fe.h"
#include "../dfsc/cli.h"
#include "brl.h"
#include "dfsc/dfsc.h"
#include "dfsc/errors.h"
#include "mfsymlink.h"
#include "mount.h"

#define INO_CTL 2
#define INO_CTL_CACHE 3
#define INO_CTL_STATS 4
#define INO_CTL_WHOAMI 5
#define INO_FIRST 16
#define KNOWN_MAX 4096         /* host and share names remembered for listings */
#define PATH_MAX_BYTES 32768   /* a UNC path, as UTF-8 */
#define DEPTH_MAX 2048         /* components of a path */
#define IO_MAX (1u << 20)      /* max_write and the largest read */
#define IOBUF_MIN (IO_MAX / 2) /* reads and writes from this size use kept buffers */
#define IOBUF_KEEP 8u          /* of IO_MAX bytes, kept for the next ones */
#define SPLICE_PIPES 16u       /* pipes of spliced reads, at most (spipe_get) */
#define SPLICE_SKIP 64         /* reads into memory after a declined pipe read */
#define CTL_TEXT_MAX (16u << 20)
#define CHARGE_STEP 4096       /* listing bytes charged to the budget at a time */
#define NAME_OVERHEAD 16       /* malloc's bookkeeping per name, as counted */
#define REFUSAL_LINES_PER_S 10 /* refusal lines logged per second, then a count */
#define MLINE_MAX 512          /* one deferred log line */
#define LIVE_BUCKETS 1024      /* the table of requests by fuse_req_t */
#define LEASE_BUCKETS 256      /* open file handles by dfsc_file, for lease breaks */
#define INVAL_QUEUE_MAX 4096   /* lease breaks waiting for the invalidation thread */

enum nkind { N_ROOT, N_HOST, N_SHARE, N_FS, N_CTL, N_CTL_CACHE, N_CTL_STATS, N_CTL_WHOAMI };

struct node {
  uint64_t ino;
  struct node *parent;
  char *name;
  enum nkind kind;
  int pinned; /* root and control nodes: never freed */
  int hashed; /* reachable by (parent, name) */
  uint64_t nlookup;
  unsigned nchild; /* nodes whose parent this is */
  int have_st;
  dfsc_stat_t st;
  struct timespec st_at; /* when st was fetched, or dropped */
  unsigned dirgen;       /* changes made through the mount to its entries */
  unsigned nopen;        /* handles open on it */
  /* The kernel's page cache of the file was filled under a read lease, from
   * the file as it was at change time cache_ct; cache_ok until a break. */
  int cache_ok;
  uint64_t cache_ct;
  /* A handle writes it past the page cache (fh direct) while others are
   * open: an invalidation of their pages is queued (one at a time). */
  int dio_inval;
  /* Handles open on it that hold a read lease not yet broken (under mu
   * and lease_mu): while there are any, its attributes are answered
   * without the server and cached by the kernel for lease_attr_timeout;
   * attr_long says the kernel holds such a long-lived copy, to be dropped
   * when the last lease goes. */
  unsigned nleased;
  int attr_long;
  unsigned nlink;       /* hard links, from the last stat (0: not known, shown as 1) */
  unsigned lookups_now; /* lookups of its children at the server now (under mu) */
  /* A file of DFSC_MFSYMLINK_SIZE bytes may be a symlink (mfsymlink.h):
   * link_ct is the change time at which it was read to tell (0: not yet),
   * link its target when it is one (NULL otherwise). */
  uint64_t link_ct;
  char *link;
  int silly; /* unlinked while open: renamed away, removed at last close */
  /* Times set by path while the file was open here (tar: close, then
   * utimensat, before the kernel's RELEASE has closed the writer's
   * handle): set again once the last handle is closed, since the server
   * moves the write time at the close of a handle that wrote (re_*: the
   * times, 0 unchanged; re_ctx whose identity). */
  int re_times;
  uint64_t re_atime, re_mtime;
  dfsc_ctx *re_ctx;
  /* re_local: those times were not sent at all (op_setattr, while the
   * file is open here): the node's attributes carry them, and any the
   * server tells meanwhile are shown with them (set_st_at) until the
   * last close sends them; a write through the mount drops them (its own
   * write time is the newer). */
  int re_local;
  int st_local; /* st's times were moved here (a write), not told by the server */
  /* Write-behind (op_write): writes answered before the server has them,
   * in flight now, and the end of the furthest one since the file was
   * opened here: the size shown is at least that while it is open, so an
   * attribute answer fetched meanwhile never shrinks the file. */
  unsigned wb_pending;
  uint64_t wb_end;
  struct rq *wb_head; /* those writes (their ranges: no overlapping one goes early) */
  /* Writes issued here, counted; re_seq: the count when times were set
   * (only a write issued after them drops them). */
  uint64_t wr_seq, re_seq;
  int wrote; /* written through the mount since its handles here opened */
  /* A directory this mount made (mkdir), when: empty then, so for
   * negative_timeout a name not among its nodes is answered missing
   * without the server (untar: each new file's lookup). */
  int made_here;
  struct timespec made_at;
  /* Byte-range and flock locks held on the server through this mount
   * (brl.h), and the lock requests on it: one at a time (lk_busy), the
   * others waiting in order (at most LK_QUEUE_MAX). Under mu. */
  struct dfsc__brl *locks;
  size_t nlocks;
  int lk_busy;
  struct rq *lk_head, *lk_tail;
  unsigned lk_nq;
  struct node *ino_next, *name_next;
};

/* One local user's identity on a multiuser mount: its own library
 * context (connections, sessions, caches), or none (ctx NULL: refused,
 * asked again after UCTX_RETRY_S). The mounting user's is m->base. */
struct uctx {
  uid_t uid;
  dfsc_ctx *ctx;
  struct mnt *m;
  char who[PATH_MAX + 256]; /* what .dfsc/whoami says */
  time_t refused_at;        /* monotonic seconds of the refusal */
  struct uctx *next;
};

struct mnt {
  dfsc_ctx *ctx;
  struct dfsc__mount_opts *o;
  pthread_mutex_t mu;
  struct node **by_ino, **by_name;
  size_t nbuckets, nnodes;
  uint64_t next_ino;
  struct node root, ctl, ctl_cache, ctl_stats, ctl_whoami;
  char **known; /* "host" and "host\share" */
  size_t nknown;
  dfsc_stat_t vdir;                /* attributes of the synthetic directories */
  uid_t owner;                     /* the mounting user: no host check for it */
  const char *const *cred_servers; /* the context's, for the host check */
  int log_level;                   /* the mount's own lines go out at this level or below */
  /* The listing budget, under mu: one entry per uid with handles open. */
  struct ubudget *ub;
  size_t nub, ubcap;
  uint64_t listing_bytes, listing_hwm, dir_handles;
  uint64_t refused_handles, refused_bytes, refused_hosts;
  /* Listings in flight (submitted to the library, not yet copied and
   * freed), under mu; at most inflight_max, inflight_uid_max per uid. */
  uint64_t inflight, refused_inflight;
  unsigned inflight_max, inflight_uid_max;
  /* Listings waiting for a place in flight, under mu: one FIFO per uid
   * with requests waiting, in a ring served round-robin from uq_next
   * (NULL: none waits); at most queue_uid_max per uid, queue_max in all.
   * `ready` holds those taken off the FIFOs and already counted in
   * flight, for ready_run to start once mu is released. */
  struct uqueue *uq_next;
  struct rq *ready, *ready_tail;
  uint64_t parked, waits, waits_interrupted;
  unsigned queue_max, queue_uid_max;
  int stopping;                            /* unmounting: nothing waits any more */
  struct dfsc__mount_ratelimit refusal_rl; /* under mu */
  /* Every struct rq from rq_new until its reply, under mu, so that an
   * interrupt finds it by its fuse_req_t (rq_interrupt). Chained, newest
   * first, in LIVE_BUCKETS buckets. */
  struct rq **live;
  uint64_t interrupts, cancels; /* interrupts seen; of them, dfsc_cancel posted */
  uint64_t held_waits;          /* getattrs of open files that waited for their handle */
  /* FUSE_PARALLEL_DIROPS (pdo_*, lock-free: the FUSE threads' reads and
   * writes of /dev/fuse): the INIT request that offered it, and whether the
   * reply granted it. Lookups sent to the server at once, most per parent
   * directory (under mu): above 1 only when the kernel sends them in
   * parallel. */
  uint64_t pdo_init_unique;
  int pdo_granted;
  /* The mount's read-ahead (-o read_ahead_kb): the bdi file it is written
   * to, and whether that was done (ra_apply; lock-free, once). */
  char ra_path[64];
  int ra_done;
  uint64_t lookups_dir_hwm;
  uint64_t lookups_local_neg; /* missing names answered from a directory made here */
  uint64_t writes_behind;     /* writes answered before the server had them */
  size_t wb_total;            /* bytes of them in flight, all handles (under mu) */
  /* Buffers of IO_MAX bytes kept for the next reads and writes (iobuf_get). */
  pthread_mutex_t iobuf_mu;
  char *iobufs[IOBUF_KEEP];
  unsigned niobufs;
  /* Reads spliced from the socket to /dev/fuse (spipe_get), under
   * iobuf_mu: on (op_init: not -o nosplice, the kernel and libfuse take
   * spliced replies, and a pipe can hold a whole read), the pipes made
   * (at most SPLICE_PIPES) and the idle ones. */
  int splice_on;
  size_t splice_max;   /* the largest read spliced (splice_probe; 0: none) */
  size_t page;         /* the page size */
  size_t user_maxread; /* -o max_read= of the FUSE options, when set */
  int user_maxread_set;
  unsigned spipes_made, nspipes, spipes_cap;
  int spipes[SPLICE_PIPES][2];
  uint64_t reads_spliced, splice_fallbacks, splice_declined;
  uint64_t writes_behind_err;   /* of them, refused later (reported at close or fsync) */
  uint64_t times_at_close;      /* times set while open, sent by the last handle */
  uint64_t direct_opens;        /* handles writing past the page cache (dio_choose) */
  uint64_t copies_server_bytes; /* copy_file_range bytes the server copied itself */
  /* Coherent caching from leases (docs/mount.md): the open file handles
   * by dfsc_file (for the break callback, which runs on the library's
   * loop thread) and the breaks waiting for the invalidation thread, all
   * under lease_mu, a lock held around no library call and no FUSE
   * notification. */
  struct fuse_session *se;
  pthread_mutex_t lease_mu;
  pthread_cond_t lease_cv;
  pthread_cond_t wb_cv; /* with mu: a node's write-behind drained */
  struct fref *frefs[LEASE_BUCKETS];
  struct inval *iq; /* a ring of INVAL_QUEUE_MAX */
  size_t iq_head, iq_n;
  int inval_stop, inval_started;
  pthread_t inval_thr;
  uint64_t lease_invals, lease_inval_dropped; /* under lease_mu */
  /* Multiuser (-o multiuser): the contexts of the other local users, under
   * uctx_mu, a lock taken after mu and never before it; uopts is what
   * each is made from (the mount's options without its identity). */
  struct uctx base;
  pthread_mutex_t uctx_mu;
  struct uctx *uctxs;
  unsigned nuctx;
  dfsc_opts uopts;
};

static void ra_apply(struct mnt *m);

/* An open file handle the lease callback can name. */
struct fref {
  dfsc_file *f;
  uint64_t ino;
  int counted; /* in its node's nleased */
  int broken;  /* its read caching was broken */
  struct fref *next;
};

/* A lease break whose inode the invalidation thread drops from the kernel's
 * cache, then lets the library acknowledge (token, 0: none to send). */
struct inval {
  dfsc_ctx *ctx; /* whose lease broke (the token is its) */
  uint64_t ino;
  uint64_t token;
  int attr_only; /* the last lease closed: drop the kernel's attributes only */
};

/* The listings one uid has waiting, oldest first. */
struct uqueue {
  uid_t uid;
  unsigned n;
  struct rq *head, *tail;
  struct uqueue *next, *prev; /* the ring of m->uq_next */
};

/* What one uid holds: directory handles, bytes of listings, listings in
 * flight. */
struct ubudget {
  uid_t uid;
  unsigned handles;
  unsigned inflight;
  uint64_t bytes;
};

enum fhkind { FH_FILE, FH_DIR, FH_CTL };

struct dent {
  char *name;
  enum nkind kind;
  dfsc_stat_t st;
};

struct fh {
  enum fhkind kind;
  uint64_t ino;
  uid_t uid;        /* whose budget it counts in */
  int counted;      /* a directory handle counted in the budget */
  int inflight;     /* its listing counted as in flight */
  uint64_t charged; /* bytes charged to the budget */
  dfsc_file *f;
  struct dent *ents; /* FH_DIR */
  size_t n, cap;
  struct timespec listed_at; /* when the server listed it */
  unsigned dirgen;           /* the directory's dirgen then */
  char *text;                /* FH_CTL */
  size_t len;
  /* FH_FILE write-behind: allowed (a write open without O_SYNC/O_DSYNC),
   * bytes in flight through it, the first error one of them met (for the
   * next write, flush or fsync of the handle: close(2) reports it). */
  int wb_ok;
  size_t wb_bytes;
  unsigned wb_count; /* writes in flight through it */
  int wb_err;
  int direct; /* open for writing only, past the kernel's page cache (dio_choose) */
  /* FH_FILE: reads into memory before the next pipe read is tried, after
   * the library declined one (atomic): a share that signs declines all, a
   * window of credits briefly small only some. */
  int splice_skip;
  /* FH_FILE: open for writing (its handle may set times), and by whom */
  int writable;
  dfsc_ctx *ctx;
  int shares; /* FH_DIR of a host: listed from the server's share listing */
};

static int fref_add(struct mnt *m, dfsc_file *f, uint64_t ino, struct node *n);
static int wb_drain(struct mnt *m, uint64_t ino, fuse_req_t req);

/* One FUSE request in flight in the library. */
struct rq {
  struct mnt *m;
  dfsc_ctx *ctx; /* the caller's identity (multiuser), else the mount's; NULL: none */
  fuse_req_t req;
  uid_t uid;          /* of the process that made the request */
  uint64_t ino;       /* the node the request is about */
  uint64_t parent;    /* lookup, create, mkdir: the parent; `name` the child */
  uint64_t newparent; /* rename: the new parent; `buf` the new name */
  /* rename over a target open here: the target's path, and the hidden
   * path it was set aside to (NULL otherwise) */
  char *target, *aside;
  uint64_t nlink; /* a stat's NumberOfLinks, for reply_new_entry (0: not known) */
  /* A possible symlink file read (link_checked): its target or NULL, and
   * the attributes it was read with. */
  int link_checked;
  char *link;
  dfsc_stat_t st;
  char *name;
  char *path;
  struct fh *fh;
  char *buf;
  int buf_kept;     /* buf is one of IO_MAX bytes, back to m->iobufs after */
  int sp[2];        /* read: the pipe it is spliced through (read_pipe_cb) */
  dfsc_file *rf;    /* read: the handle */
  struct fh *fh_rd; /* read: its handle's record (alive: the kernel waits) */
  size_t len;
  int flags;
  /* setattr */
  int to_set;
  uint64_t size, atime, mtime;
  uint64_t io_off;              /* write: where its bytes go */
  struct fh *wb_fh;             /* a write-behind write: its handle (alive until drained) */
  struct rq *wb_next, *wb_prev; /* its node's write-behind writes */
  uint64_t wr_seq;              /* write: its node's wr_seq when issued */
  int dio;                      /* write: through a direct handle */
  int opened;                   /* the setattr opened its own handle */
  int changed;                  /* the setattr sent a truncate or new times */
  int ro;             /* chmod of a file: 1 no write bits (DOS read-only), 0 some */
  int attrs_unknown;  /* chmod: attrs_now not known before the open */
  uint32_t attrs_now; /* the file's DOS attributes before (0: not known) */
  dfsc_file *f;
  /* getattr of an open file (the kernel's fstat, or its check of the size
   * before a read): the handle, waited on once when the stat finds the
   * server down (getattr_cb). */
  dfsc_file *held;
  struct rq *qnext; /* a waiting listing: its uqueue or m->ready */
  /* A lock request (setlk, getlk, flock, the unlock of a close): what it
   * asks, its plan and where the plan's steps are. */
  int lk_op; /* LK_SET, LK_GET, LK_CLOSE */
  int lk_sleep;
  struct dfsc__brl_req lreq;
  struct dfsc__brl_plan *plan;
  int lk_phase;
  size_t lk_i;
  int lk_want_ok, lk_err;
  unsigned lk_rem_ok;
  uint64_t lk_back;
  struct flock lk_out;
  struct rq *lknext;
  /* Under m->mu: */
  int parked;               /* waiting in its uid's FIFO */
  int linked;               /* in m->live */
  int interrupted;          /* the kernel interrupted the request */
  dfsc_cb cb;               /* the library operation an interrupt cancels (NULL: none) */
  struct rq *lnext, *lprev; /* m->live */
};

static fuse_req_t rq_out(struct rq *r);

static double now_s(const struct timespec *a) {
  return (double)a->tv_sec + (double)a->tv_nsec / 1e9;
}

static double age(const struct timespec *t) {
  struct timespec n;

  clock_gettime(CLOCK_MONOTONIC, &n);
  return now_s(&n) - now_s(t);
}

/* ---- log lines ------------------------------------------------------------ */

/* Names in a line come from servers and from local users: everything goes
 * out escaped as the CLI's lines do (dfsc__fe_escape), so that neither can
 * drive the terminal that reads the daemon's stderr. The library's lines
 * go through the CLI's log callback, which escapes them already. */

/* libfuse's own messages (-d traces names too). */
static void fuse_log_escaped(enum fuse_log_level level, const char *fmt, va_list ap) {
  char *line = NULL;
  size_t n;

  (void)level;
  if (vasprintf(&line, fmt, ap) < 0)
    return;
  n = strlen(line);
  if (n > 0 && line[n - 1] == '\n')
    line[n - 1] = '\0'; /* its own line end, not an escaped one */
  dfsc__fe_put_escaped(stderr, line);
  fputc('\n', stderr);
  free(line);
}

/* One line of the mount's own at `level` (enum dfsc_log_level). */
static void mlog(struct mnt *m, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void mlog(struct mnt *m, int level, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  static const char *const levels[] = {"error", "warn", "info", "debug", "trace"};

  if (level > m->log_level)
    return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  dfsc__fe_errf("[mount] %s: %s",
                level >= 0 && level <= DFSC_LOG_TRACE ? levels[level] : "?", msg);
}

/* A line decided under m->mu and written once it is released: writing to
 * stderr can block (a full pipe, a stopped terminal), and no lock is held
 * across I/O (P6). Refusals are what any local user can cause at will, so
 * their lines are rate-limited (REFUSAL_LINES_PER_S, then a count); the
 * counters in .dfsc/stats count every one. */
struct mline {
  int level;
  int have;
  uint64_t skipped; /* refusal lines held back before this one */
  char msg[MLINE_MAX];
};

static void mline_set(struct mnt *m, struct mline *l, int level, int refusal,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Under m->mu. One line per mline: a later one replaces an earlier one. */
static void mline_set(struct mnt *m, struct mline *l, int level, int refusal,
                      const char *fmt, ...) {
  va_list ap;

  if (l == NULL || level > m->log_level)
    return;
  if (refusal) {
    struct timespec now;
    uint64_t skipped;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!dfsc__mount_ratelimit(&m->refusal_rl, (int64_t)now.tv_sec, REFUSAL_LINES_PER_S,
                               &skipped))
      return;
    l->skipped += skipped;
  }
  va_start(ap, fmt);
  vsnprintf(l->msg, sizeof(l->msg), fmt, ap);
  va_end(ap);
  l->level = level;
  l->have = 1;
}

/* Without m->mu: writes what mline_set recorded. */
static void mline_put(struct mnt *m, struct mline *l) {
  if (l->skipped > 0)
    mlog(m, DFSC_LOG_INFO, "%llu refusal lines not shown (more than %d a second)",
         (unsigned long long)l->skipped, REFUSAL_LINES_PER_S);
  if (l->have)
    mlog(m, l->level, "%s", l->msg);
  l->have = 0;
  l->skipped = 0;
}

/* ---- the inode table ----------------------------------------------------- */

static size_t h_ino(uint64_t ino, size_t nb) {
  return (size_t)((ino * 0x9E3779B97F4A7C15ull) >> 20) & (nb - 1);
}

/* By the name with ASCII letters folded: names that differ only in case
 * share a bucket, so that one a case-insensitive server would take for
 * another is found (find_child_ci). */
static size_t h_name(uint64_t parent, const char *name, size_t nb) {
  uint64_t h = 1469598103934665603ull ^ parent;

  for (; *name; name++) {
    unsigned char ch = (unsigned char)*name;
    if (ch >= 'A' && ch <= 'Z')
      ch = (unsigned char)(ch - 'A' + 'a');
    h = (h ^ ch) * 1099511628211ull;
  }
  return (size_t)(h ^ (h >> 29)) & (nb - 1);
}

static void hash_name(struct mnt *m, struct node *n) {
  size_t i = h_name(n->parent->ino, n->name, m->nbuckets);

  n->name_next = m->by_name[i];
  m->by_name[i] = n;
  n->hashed = 1;
}

static void link_node(struct mnt *m, struct node *n) {
  size_t i = h_ino(n->ino, m->nbuckets);

  n->ino_next = m->by_ino[i];
  m->by_ino[i] = n;
  if (n->parent != NULL)
    hash_name(m, n);
}

static void unhash_name(struct mnt *m, struct node *n) {
  struct node **pp;

  if (!n->hashed)
    return;
  for (pp = &m->by_name[h_name(n->parent->ino, n->name, m->nbuckets)]; *pp;
       pp = &(*pp)->name_next) {
    if (*pp == n) {
      *pp = n->name_next;
      break;
    }
  }
  n->hashed = 0;
}

static void unlink_ino(struct mnt *m, struct node *n) {
  struct node **pp;

  for (pp = &m->by_ino[h_ino(n->ino, m->nbuckets)]; *pp; pp = &(*pp)->ino_next) {
    if (*pp == n) {
      *pp = n->ino_next;
      break;
    }
  }
}

/* Doubles the buckets once the table holds as many nodes as buckets. */
static void grow(struct mnt *m) {
  size_t nb = m->nbuckets * 2, i;
  struct node **bi = calloc(nb, sizeof(*bi)), **bn = calloc(nb, sizeof(*bn));
  struct node *n, *next;

  if (bi == NULL || bn == NULL) {
    free(bi);
    free(bn);
    return; /* longer chains, still correct */
  }
  for (i = 0; i < m->nbuckets; i++) {
    for (n = m->by_ino[i]; n; n = next) {
      size_t k = h_ino(n->ino, nb);
      next = n->ino_next;
      n->ino_next = bi[k];
      bi[k] = n;
    }
    /* Names unhashed by unlink or rename stay out. */
    for (n = m->by_name[i]; n; n = next) {
      size_t k = h_name(n->parent->ino, n->name, nb);
      next = n->name_next;
      n->name_next = bn[k];
      bn[k] = n;
    }
  }
  free(m->by_ino);
  free(m->by_name);
  m->by_ino = bi;
  m->by_name = bn;
  m->nbuckets = nb;
}

static struct node *find_ino(struct mnt *m, uint64_t ino) {
  struct node *n;

  for (n = m->by_ino[h_ino(ino, m->nbuckets)]; n; n = n->ino_next)
    if (n->ino == ino)
      return n;
  return NULL;
}

static struct node *find_child(struct mnt *m, struct node *p, const char *name) {
  struct node *n;

  for (n = m->by_name[h_name(p->ino, name, m->nbuckets)]; n; n = n->name_next)
    if (n->parent == p && strcmp(n->name, name) == 0)
      return n;
  return NULL;
}

/* Whether p has a child named `name` up to ASCII case (what a
 * case-insensitive server, Samba's default, takes for the same name).
 * Under mu. */
static int find_child_ci(struct mnt *m, struct node *p, const char *name) {
  struct node *n;

  for (n = m->by_name[h_name(p->ino, name, m->nbuckets)]; n; n = n->name_next)
    if (n->parent == p && strcasecmp(n->name, name) == 0)
      return 1;
  return 0;
}

/* Whether name is printable ASCII only (its case folding is plain). */
static int ascii_name(const char *name) {
  for (; *name; name++)
    if ((unsigned char)*name >= 0x80)
      return 0;
  return 1;
}

static enum nkind child_kind(const struct node *p) {
  switch (p->kind) {
  case N_ROOT:
    return N_HOST;
  case N_HOST:
    return N_SHARE;
  default:
    return N_FS;
  }
}

/* The child `name` of p, created (with no lookup count) if new. */
static struct node *get_child(struct mnt *m, struct node *p, const char *name) {
  struct node *n = find_child(m, p, name);

  if (n != NULL)
    return n;
  n = calloc(1, sizeof(*n));
  if (n == NULL || (n->name = strdup(name)) == NULL) {
    free(n);
    return NULL;
  }
  if (m->nnodes >= m->nbuckets)
    grow(m);
  n->ino = m->next_ino++;
  n->parent = p;
  n->kind = child_kind(p);
  p->nchild++;
  m->nnodes++;
  link_node(m, n);
  return n;
}

/* Frees n and then every ancestor it was the last reason to keep. */
static void maybe_free(struct mnt *m, struct node *n) {
  while (n != NULL && !n->pinned && n->nlookup == 0 && n->nchild == 0) {
    struct node *p = n->parent;
    unhash_name(m, n);
    unlink_ino(m, n);
    m->nnodes--;
    free(n->name);
    free(n->link);
    dfsc__brl_free(&n->locks, &n->nlocks);
    free(n);
    if (p != NULL) {
      p->nchild--;
      p->made_here = 0; /* a name of it is no longer known here */
    }
    n = p;
  }
}

static void forget_locked(struct mnt *m, uint64_t ino, uint64_t count) {
  struct node *n = find_ino(m, ino);

  if (n == NULL)
    return;
  n->nlookup = count > n->nlookup ? 0 : n->nlookup - count;
  maybe_free(m, n);
}

/* "\\host\share\a\b" for node ino plus an optional child, for a request by
 * uid; NULL with *err (EACCES: uid may not reach that host or share, said
 * in ml). */
static char *path_locked(struct mnt *m, uint64_t ino, const char *child, uid_t uid,
                         int *err, struct mline *ml) {
  const char *parts[DEPTH_MAX];
  size_t np = 0, len = 1, i;
  struct node *n = find_ino(m, ino);
  char *out, *p;

  if (n == NULL || n->kind == N_ROOT || n->kind >= N_CTL) {
    *err = n == NULL ? ESTALE : EPERM;
    return NULL;
  }
  if (child != NULL)
    parts[np++] = child;
  for (; n != NULL && n->kind != N_ROOT; n = n->parent) {
    if (np == DEPTH_MAX) {
      *err = ENAMETOOLONG;
      return NULL;
    }
    parts[np++] = n->name;
  }
  /* parts[np - 1] is the host, parts[np - 2] the share. Checked before any
   * library call: a refused request sends nothing and looks nothing up. */
  if (!dfsc__mount_host_allowed(m->o, m->cred_servers, m->owner, uid, parts[np - 1],
                                np >= 2 ? parts[np - 2] : NULL)) {
    m->refused_hosts++;
    mline_set(m, ml, DFSC_LOG_INFO, 1, "uid %u may not reach \\\\%s\\%s (not in hosts=)",
              (unsigned)uid, parts[np - 1], np >= 2 ? parts[np - 2] : "");
    *err = EACCES;
    return NULL;
  }
  for (i = 0; i < np; i++)
    len += strlen(parts[i]) + 1;
  if (len + 1 > PATH_MAX_BYTES) {
    *err = ENAMETOOLONG;
    return NULL;
  }
  p = out = malloc(len + 1);
  if (out == NULL) {
    *err = ENOMEM;
    return NULL;
  }
  *p++ = '\\';
  for (i = np; i-- > 0;) {
    size_t l = strlen(parts[i]);
    *p++ = '\\';
    memcpy(p, parts[i], l);
    p += l;
  }
  *p = '\0';
  return out;
}

static char *node_path(struct mnt *m, uint64_t ino, const char *child, uid_t uid,
                       int *err) {
  struct mline ml = {0};
  char *p;

  pthread_mutex_lock(&m->mu);
  p = path_locked(m, ino, child, uid, err, &ml);
  pthread_mutex_unlock(&m->mu);
  mline_put(m, &ml);
  return p;
}

static enum nkind kind_of(struct mnt *m, uint64_t ino, int *found) {
  struct node *n;
  enum nkind k = N_FS;

  pthread_mutex_lock(&m->mu);
  n = find_ino(m, ino);
  *found = n != NULL;
  if (n != NULL)
    k = n->kind;
  pthread_mutex_unlock(&m->mu);
  return k;
}

/* Remembers "host" or "host\share" for listings of the top two levels. */
static void known_add(struct mnt *m, const char *host, const char *share) {
  size_t i, l = strlen(host) + (share ? strlen(share) + 1 : 0);
  char *s;
  char **k;

  for (i = 0; i < m->nknown; i++) {
    const char *e = m->known[i];
    size_t hl = strlen(host);
    if (share == NULL ? strcasecmp(e, host) == 0
                      : (strncasecmp(e, host, hl) == 0 && e[hl] == '\\' &&
                         strcasecmp(e + hl + 1, share) == 0))
      return;
  }
  if (m->nknown == KNOWN_MAX || (s = malloc(l + 1)) == NULL)
    return;
  if (share)
    snprintf(s, l + 1, "%s\\%s", host, share);
  else
    snprintf(s, l + 1, "%s", host);
  k = realloc(m->known, (m->nknown + 1) * sizeof(*k));
  if (k == NULL) {
    free(s);
    return;
  }
  m->known = k;
  m->known[m->nknown++] = s;
}

/* ---- the listing budget ---------------------------------------------------- */

/* An open directory handle holds its whole listing until releasedir, and
 * any local user of an allow_other mount can open handles: without a bound
 * the daemon's memory is the sum of what they open (six handles on a
 * 1M-entry directory were 690 MB). Each uid may hold dir_handles_uid
 * handles and listing_mem_uid bytes, everybody together listing_mem bytes.
 * Everything here runs under m->mu. */

static struct ubudget *ub_get(struct mnt *m, uid_t uid) {
  size_t i;

  for (i = 0; i < m->nub; i++)
    if (m->ub[i].uid == uid)
      return &m->ub[i];
  if (m->nub == m->ubcap) {
    size_t cap = m->ubcap ? m->ubcap * 2 : 8;
    struct ubudget *u = realloc(m->ub, cap * sizeof(*u));
    if (u == NULL)
      return NULL;
    m->ub = u;
    m->ubcap = cap;
  }
  memset(&m->ub[m->nub], 0, sizeof(m->ub[m->nub]));
  m->ub[m->nub].uid = uid;
  return &m->ub[m->nub++];
}

/* An entry lives only while its uid holds something, so the table is no
 * longer than the number of open handles. */
static void ub_put(struct mnt *m, struct ubudget *u) {
  if (u->handles == 0 && u->bytes == 0 && u->inflight == 0)
    *u = m->ub[--m->nub];
}

/* Counts one more directory handle of fh->uid: 0, EMFILE or ENOMEM. */
static int budget_open_locked(struct mnt *m, struct fh *fh, struct mline *ml) {
  struct ubudget *u = ub_get(m, fh->uid);

  if (u == NULL)
    return ENOMEM;
  if (u->handles >= m->o->dir_handles_uid) {
    m->refused_handles++;
    mline_set(m, ml, DFSC_LOG_INFO, 1,
              "uid %u holds %u directory handles (dir_handles_uid): EMFILE",
              (unsigned)fh->uid, u->handles);
    ub_put(m, u);
    return EMFILE;
  }
  u->handles++;
  m->dir_handles++;
  fh->counted = 1;
  return 0;
}

/* The library builds a whole listing (up to dfsc__mount_listing_max, its
 * dfsc_set_dir_max_bytes) before opendir_cb sees any of it and can charge
 * the budget: what the bytes budget cannot see is bounded by how many
 * listings may be in flight. Counts fh's listing as in flight for its uid:
 * 0, or EAGAIN past listings_inflight_uid for the uid or listings_inflight
 * in all, or while listings of the uid wait (they go first); the caller
 * then parks it (park_locked). The mounting user is counted but never
 * held back: the caps bound what other users can make the daemon hold,
 * and without allow_other nobody else can use the mount. */
static struct uqueue *uq_find(struct mnt *m, uid_t uid);

static int budget_inflight_locked(struct mnt *m, struct fh *fh) {
  struct ubudget *u = ub_get(m, fh->uid);

  if (u == NULL)
    return ENOMEM;
  if (fh->uid != m->owner &&
      (u->inflight >= m->inflight_uid_max || m->inflight >= m->inflight_max ||
       uq_find(m, fh->uid) != NULL)) {
    ub_put(m, u);
    return EAGAIN;
  }
  u->inflight++;
  m->inflight++;
  fh->inflight = 1;
  return 0;
}

/* ---- listings that wait ------------------------------------------------- */

/* Most programs do not retry an opendir that fails with EAGAIN (`ls` says
 * "Resource temporarily unavailable"), so a listing past the caps above
 * waits instead: its FUSE request stays unanswered, holding no thread, in
 * a FIFO of its uid, until a listing ends and it fits (unpark_locked).
 * Each listing in flight ends by the library's deadlines, so the wait is
 * bounded too. The FIFOs are bounded (listings_queue_uid per uid,
 * listings_queue in all; EAGAIN past them) and served round-robin, so one
 * uid's burst cannot starve another uid. All of it under m->mu. */

static struct uqueue *uq_find(struct mnt *m, uid_t uid) {
  struct uqueue *q = m->uq_next;

  if (q == NULL)
    return NULL;
  do {
    if (q->uid == uid)
      return q;
    q = q->next;
  } while (q != m->uq_next);
  return NULL;
}

static void uq_unlink(struct mnt *m, struct uqueue *q) {
  if (q->next == q) {
    m->uq_next = NULL;
  } else {
    q->prev->next = q->next;
    q->next->prev = q->prev;
    if (m->uq_next == q)
      m->uq_next = q->next;
  }
  free(q);
}

/* Puts r (whose handle is counted, not yet in flight) at the end of its
 * uid's FIFO: 0, or EAGAIN past the bounds, EINTR when the kernel already
 * interrupted the request, ESHUTDOWN while unmounting, ENOMEM. An
 * interrupt that comes later finds r parked (rq_interrupt). */
static int park_locked(struct mnt *m, struct rq *r, struct mline *ml) {
  struct uqueue *q = uq_find(m, r->fh->uid);
  unsigned n = q != NULL ? q->n : 0;

  if (m->stopping)
    return ESHUTDOWN;
  if (r->interrupted) {
    m->waits_interrupted++;
    return EINTR;
  }
  if (n >= m->queue_uid_max || m->parked >= m->queue_max) {
    m->refused_inflight++;
    mline_set(m, ml, DFSC_LOG_INFO, 1,
              "uid %u: %llu listings in flight in all, %u of this uid waiting, %llu in all "
              "(listings_queue_uid %u, listings_queue %u): EAGAIN",
              (unsigned)r->fh->uid, (unsigned long long)m->inflight, n,
              (unsigned long long)m->parked, m->queue_uid_max, m->queue_max);
    return EAGAIN;
  }
  if (q == NULL) {
    if ((q = calloc(1, sizeof(*q))) == NULL)
      return ENOMEM;
    q->uid = r->fh->uid;
    if (m->uq_next == NULL) {
      q->next = q->prev = q;
      m->uq_next = q;
    } else { /* last in the round: before the one served next */
      q->next = m->uq_next;
      q->prev = m->uq_next->prev;
      q->prev->next = q;
      q->next->prev = q;
    }
  }
  r->qnext = NULL;
  if (q->tail != NULL)
    q->tail->qnext = r;
  else
    q->head = r;
  q->tail = r;
  q->n++;
  r->parked = 1;
  m->parked++;
  m->waits++;
  return 0;
}

/* Takes the parked r out of its uid's FIFO. Bounded by the FIFO's length. */
static void park_remove_locked(struct mnt *m, struct rq *r) {
  struct uqueue *q = uq_find(m, r->fh->uid);
  struct rq *prev = NULL, **pp;

  for (pp = q != NULL ? &q->head : NULL; pp != NULL && *pp != NULL;
       prev = *pp, pp = &(*pp)->qnext) {
    if (*pp != r)
      continue;
    *pp = r->qnext;
    if (q->tail == r)
      q->tail = prev;
    r->qnext = NULL;
    r->parked = 0;
    q->n--;
    m->parked--;
    if (q->n == 0)
      uq_unlink(m, q);
    return;
  }
}

/* Moves the waiting listings that now fit to m->ready, counted in flight:
 * round-robin over the uids, each uid's oldest first. Stops when the total
 * is full or no waiting uid is below its own cap. */
static void unpark_locked(struct mnt *m) {
  while (m->uq_next != NULL && !m->stopping && m->inflight < m->inflight_max) {
    struct uqueue *q = m->uq_next, *found = NULL;
    struct ubudget *u = NULL;
    struct rq *r;
    do {
      u = ub_get(m, q->uid); /* NULL only for memory: that uid waits on */
      if (u != NULL && u->inflight < m->inflight_uid_max) {
        found = q;
        break;
      }
      q = q->next;
    } while (q != m->uq_next);
    if (found == NULL)
      return;
    r = q->head;
    q->head = r->qnext;
    if (q->head == NULL)
      q->tail = NULL;
    q->n--;
    m->parked--;
    m->uq_next = q->next; /* the next uid goes first next time */
    if (q->n == 0)
      uq_unlink(m, q);
    r->parked = 0;
    u->inflight++;
    m->inflight++;
    r->fh->inflight = 1;
    r->qnext = NULL;
    if (m->ready_tail != NULL)
      m->ready_tail->qnext = r;
    else
      m->ready = r;
    m->ready_tail = r;
  }
}

/* fh's listing is no longer in flight (copied and freed, or failed): a
 * waiting one may take its place (the caller runs ready_run once mu is
 * released). */
static void budget_inflight_end_locked(struct mnt *m, struct fh *fh) {
  struct ubudget *u;

  if (!fh->inflight)
    return;
  fh->inflight = 0;
  m->inflight--;
  if ((u = ub_get(m, fh->uid)) != NULL) { /* found: it holds the count */
    u->inflight--;
    ub_put(m, u);
  }
  unpark_locked(m);
}

/* Charges `bytes` more of fh's memory to its uid and the total: 0 or ENOMEM. */
static int budget_charge_locked(struct mnt *m, struct fh *fh, uint64_t bytes,
                                struct mline *ml) {
  struct ubudget *u = ub_get(m, fh->uid);

  if (u == NULL)
    return ENOMEM;
  /* Both sums never pass their limits, so the subtractions cannot wrap. */
  if (bytes > m->o->listing_mem - m->listing_bytes ||
      bytes > m->o->listing_mem_uid - u->bytes) {
    m->refused_bytes++;
    mline_set(
        m, ml, DFSC_LOG_INFO, 1,
        "uid %u: listings would pass the budget (%llu bytes held, %llu in total): ENOMEM",
        (unsigned)fh->uid, (unsigned long long)u->bytes,
        (unsigned long long)m->listing_bytes);
    ub_put(m, u);
    return ENOMEM;
  }
  u->bytes += bytes;
  m->listing_bytes += bytes;
  if (m->listing_bytes > m->listing_hwm)
    m->listing_hwm = m->listing_bytes;
  fh->charged += bytes;
  return 0;
}

/* Gives back `bytes` of fh's charge (all of it, and its handle, when
 * `all`). */
static void budget_release_locked(struct mnt *m, struct fh *fh, uint64_t bytes, int all) {
  struct ubudget *u = ub_get(m, fh->uid);

  if (all)
    bytes = fh->charged;
  if (bytes > fh->charged)
    bytes = fh->charged;
  fh->charged -= bytes;
  m->listing_bytes -= bytes;
  if (all && fh->counted)
    m->dir_handles--;
  if (u == NULL)
    return; /* cannot be: it holds the charge (ub_get only finds it) */
  u->bytes -= bytes;
  if (all && fh->counted) {
    u->handles--;
    fh->counted = 0;
  }
  ub_put(m, u);
  if (all)
    budget_inflight_end_locked(m, fh);
}

static int budget_charge(struct mnt *m, struct fh *fh, uint64_t bytes) {
  struct mline ml = {0};
  int rc;

  pthread_mutex_lock(&m->mu);
  rc = budget_charge_locked(m, fh, bytes, &ml);
  pthread_mutex_unlock(&m->mu);
  mline_put(m, &ml);
  return rc;
}

/* ---- replies -------------------------------------------------------------- */

static void virtual_stat(struct mnt *m, const struct node *n, struct stat *out) {
  dfsc_stat_t st = m->vdir;

  st.is_dir = n->kind == N_ROOT || n->kind == N_HOST || n->kind == N_CTL;
  st.attributes = st.is_dir ? DFSC_ATTR_DIRECTORY : DFSC_ATTR_NORMAL;
  dfsc__mount_fill_stat(m->o, &st, n->ino, out);
  if (n->kind == N_CTL) {
    out->st_mode = S_IFDIR | 0555;
  } else if (n->kind == N_CTL_STATS || n->kind == N_CTL_WHOAMI) {
    out->st_mode = S_IFREG | 0444;
  } else if (n->kind == N_CTL_CACHE) {
    out->st_mode = S_IFREG | 0644;
  }
}

/* Attributes of n for a reply: its cached ones or the synthetic ones. */
/* Whether attributes st may belong to a symlink file (mfsymlink.h), which
 * only its bytes tell. */
static int link_maybe(const dfsc_stat_t *st) {
  return !st->is_dir && st->size == DFSC_MFSYMLINK_SIZE;
}

/* Whether n's bytes were read for that at its present version. */
static int link_known(const struct node *n) {
  return !link_maybe(&n->st) || (n->link_ct != 0 && n->link_ct == n->st.change_time);
}

/* Under mu: what a read of r's file told (r->link_checked) goes to n. */
static void link_apply(struct node *n, struct rq *r) {
  if (!r->link_checked)
    return;
  free(n->link);
  n->link = r->link;
  r->link = NULL;
  n->link_ct = r->st.change_time ? r->st.change_time : 1;
}

static void node_stat(struct mnt *m, const struct node *n, struct stat *out) {
  if (n->kind == N_FS || (n->kind == N_SHARE && n->have_st))
    dfsc__mount_fill_stat(m->o, &n->st, n->ino, out);
  else
    virtual_stat(m, n, out); /* a share known only by name is a directory */
  if (n->kind == N_FS && !n->st.is_dir && n->nlink > 1)
    out->st_nlink = n->nlink;
  /* Written here and answered, perhaps not yet on the server: the kernel
   * took that size from the answer, and a smaller one would cut its copy. */
  if (n->kind == N_FS && !n->st.is_dir && n->wb_end > (uint64_t)out->st_size) {
    out->st_size = (off_t)n->wb_end;
    out->st_blocks = (blkcnt_t)((n->wb_end + 511) / 512);
  }
  /* Unlinked while open (set aside under a hidden name): no name left, as
   * fstat(2) of an unlinked file says (pjdfstest unlink/14). */
  if (n->kind == N_FS && n->silly)
    out->st_nlink = 0;
  if (n->kind == N_FS && n->link != NULL && link_known(n)) {
    out->st_mode = S_IFLNK | 0777;
    out->st_size = (off_t)strlen(n->link);
  }
}

static int ts_after(const struct timespec *a, const struct timespec *b) {
  return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* Attributes fetched at `at` (NULL: now); older than what the node has,
 * they are dropped. */
static void set_st_at(struct node *n, const dfsc_stat_t *st, const struct timespec *at) {
  struct timespec now;

  if (at == NULL) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    at = &now;
  }
  if (ts_after(&n->st_at, at))
    return;
  n->st = *st;
  n->st_local = 0;
  if (!n->st.is_dir && n->wb_end > n->st.size)
    n->st.size = n->wb_end; /* written here, perhaps not yet there */
  if (n->re_local) {
    if (n->re_atime != 0)
      n->st.access_time = n->re_atime;
    if (n->re_mtime != 0)
      n->st.write_time = n->re_mtime;
  }
  n->have_st = 1;
  n->st_at = *at;
}

static void set_st(struct node *n, const dfsc_stat_t *st) { set_st_at(n, st, NULL); }

/* Under mu: n's attributes are stale; the next getattr asks the server,
 * and listings fetched before now must not refill them (set_st_at). */
static void st_drop_locked(struct node *n) {
  n->have_st = 0;
  clock_gettime(CLOCK_MONOTONIC, &n->st_at);
}

/* Something changed among the entries of directory ino. */
/* Under mu: a change made through the mount to directory n's entries. Its
 * listings are stale, and so are its attributes (the server moved its
 * mtime and ctime): the kernel drops its own copy of them after a create,
 * mkdir, unlink, rmdir or rename in it (fuse_dir_changed), so the daemon
 * must not answer the next getattr from what it held before. */
static void dir_changed_locked(struct node *n) {
  n->dirgen++;
  st_drop_locked(n);
}

static void bump_dir(struct mnt *m, uint64_t ino) {
  struct node *n;

  pthread_mutex_lock(&m->mu);
  if ((n = find_ino(m, ino)) != NULL)
    dir_changed_locked(n);
  pthread_mutex_unlock(&m->mu);
}

/* Under mu: whether n's attributes may be answered without the server,
 * and for how long the kernel may keep them. A read lease held through one
 * of its handles ([MS-SMB2] 3.3.4.7: the server breaks it before another
 * client changes the file's data or size) stands for the server. */
static int st_fresh(struct mnt *m, const struct node *n) {
  return n->have_st && link_known(n) &&
         (age(&n->st_at) < m->o->attr_timeout || n->nleased > 0 || n->re_local);
}

/* multiuser: the kernel caches names and attributes for every local user
 * alike, so it keeps none and asks the daemon each time, which answers
 * from its own cache only the users it lets in (node_allowed_locked). */
static double attr_ttl(struct mnt *m, struct node *n) {
  if (m->o->multiuser)
    return 0;
  if (n->nleased > 0 && m->o->lease_attr_timeout > m->o->attr_timeout) {
    n->attr_long = 1;
    return m->o->lease_attr_timeout;
  }
  return m->o->attr_timeout;
}

static void fill_entry(struct mnt *m, struct node *n, struct fuse_entry_param *e) {
  memset(e, 0, sizeof(*e));
  e->ino = n->ino;
  e->generation = 1;
  node_stat(m, n, &e->attr);
  e->attr_timeout = attr_ttl(m, n);
  e->entry_timeout = m->o->multiuser ? 0 : m->o->entry_timeout;
}

static void reply_negative(struct mnt *m, fuse_req_t req) {
  struct fuse_entry_param e;

  /* ino 0 with a timeout: the kernel caches the absence. */
  memset(&e, 0, sizeof(e));
  e.entry_timeout = m->o->multiuser ? 0 : m->o->negative_timeout;
  if (e.entry_timeout > 0)
    fuse_reply_entry(req, &e);
  else
    fuse_reply_err(req, ENOENT);
}

/* A file opened for writing only (dd of=, cp, tar -x) can be neither read
 * nor mapped through that handle, so its writes need not go through the
 * kernel's page cache: with FOPEN_DIRECT_IO the kernel hands the daemon
 * the writer's own pages, one copy fewer, and a 1 GiB write allocates no
 * 1 GiB of cache pages (dd into the mount on the testbed: 0.2 s of dd's
 * system time per GiB against 0.4-1.5 s). Chosen only when no other handle
 * of the node is open here, whose pages would go stale (theirs is the
 * kernel's coherent page cache, as before). Pages left by handles closed
 * before are not kept at the next open (cache_ok); a handle opened while
 * this one writes has its pages dropped after each such write
 * (write_done_locked; kernels from 6.6 also drop the range before the
 * write). Under mu, before the handle counts in n->nopen. */
static void dio_choose(struct mnt *m, struct node *n, struct fh *fh,
                       struct fuse_file_info *fi) {
  if (n == NULL || n->nopen != 0 || m->o->no_directwrites ||
      (fi->flags & O_ACCMODE) != O_WRONLY)
    return;
  fi->direct_io = 1;
  fi->keep_cache = 0; /* what it writes makes them stale */
  fh->direct = 1;
  n->cache_ok = 0;
  m->direct_opens++;
}

/* Adds (or finds) child `name` of `parent` with attributes st, counts one
 * lookup and replies with the entry (or the open handle for create, which
 * counts as open on the node). Returns the node's ino, or 0 when the kernel
 * did not take the entry. */
static uint64_t reply_new_entry(struct rq *r, const dfsc_stat_t *st,
                                struct fuse_file_info *fi) {
  struct mnt *m = r->m;
  struct fuse_entry_param e;
  struct node *p, *n = NULL;
  int rc;

  pthread_mutex_lock(&m->mu);
  p = find_ino(m, r->parent);
  if (p != NULL)
    n = get_child(m, p, r->name);
  if (n == NULL) {
    pthread_mutex_unlock(&m->mu);
    fuse_reply_err(rq_out(r), p == NULL ? ESTALE : ENOMEM);
    return 0;
  }
  if (st != NULL)
    set_st(n, st);
  if (r->nlink != 0)
    n->nlink = (unsigned)r->nlink;
  link_apply(n, r);
  n->nlookup++;
  if (fi != NULL) {
    dio_choose(m, n, (struct fh *)(uintptr_t)fi->fh, fi);
    n->nopen++;
    /* Before the reply: from then on a release may free the handle. */
    ((struct fh *)(uintptr_t)fi->fh)->ino = n->ino;
  }
  fill_entry(m, n, &e);
  if (n->kind == N_SHARE)
    known_add(m, p->name, n->name);
  pthread_mutex_unlock(&m->mu);
  rc = fi ? fuse_reply_create(rq_out(r), &e, fi) : fuse_reply_entry(rq_out(r), &e);
  if (rc != 0) {
    /* The kernel never saw the entry (the request was interrupted). */
    pthread_mutex_lock(&m->mu);
    if (fi != NULL && (n = find_ino(m, e.ino)) != NULL && n->nopen > 0)
      n->nopen--;
    forget_locked(m, e.ino, 1);
    pthread_mutex_unlock(&m->mu);
    return 0;
  }
  return e.ino;
}

/* ---- requests in flight and interrupts ------------------------------------ */

/* A program that gets a signal while it waits on the mount (Ctrl-C on a
 * stat of a server that never answers) makes the kernel send
 * FUSE_INTERRUPT; once the signal is fatal the program then sleeps
 * uninterruptibly until the request is answered, so without an answer it
 * cannot even die before the library's deadlines (setup_timeout: 20 s).
 * Every request with a struct rq is therefore interruptible: a waiting
 * listing leaves its FIFO and is answered EINTR at once; a request whose
 * library operation is under way has it canceled with dfsc_cancel(ctx,
 * r->cb, r), which answers it DFSC_E_CANCELED (EINTR) at once while it is
 * still finding its server or reading into the library's memory, and else
 * lets what is on the wire finish and reports what the server did (an
 * operation that took effect is not reported as failed). A request
 * interrupted between two library operations starts no further one that
 * could wait (rq_arm).
 *
 * Why a cancel can only reach the operation it is meant for. dfsc_cancel
 * matches operations by (cb, arg), and arg is the rq's address, which a
 * later request may get again once r is freed; libfuse may call the
 * interrupt function after r was answered and freed, since it reads the
 * function under its session lock and calls it after dropping that lock
 * (lowlevel.c, find_interrupted). So:
 * - the interrupt function's data is the mount, never r: it looks r up in
 *   m->live by its fuse_req_t under m->mu. libfuse holds a reference on
 *   the fuse_req_t for the call, so no newer request has that address
 *   meanwhile; a request that is no longer in m->live was answered, and is
 *   left alone.
 * - r leaves m->live under m->mu before its reply (rq_out) and before it is
 *   freed (rq_free), and dfsc_cancel is called with m->mu held and r in
 *   m->live: r is alive then, so no other request owns its address yet.
 * - dfsc_cancel only queues a post for the loop thread, on the same FIFO
 *   as every submit (src/core/loop.c, dfsc__loop_post; the loop takes an
 *   operation up into its live list in the submit's post): the cancel is
 *   taken up after every operation submitted before it, r's own included,
 *   and before any submitted after it, so before any operation of a later
 *   request that reuses r's address (submitted only after r is freed,
 *   thus after this post). One of r's operations that completes first
 *   completes normally and the cancel finds nothing.
 * - a cancel must not be lost between rq_arm and the submit: rq_arm
 *   records r->cb and checks r->interrupted under m->mu, and m->mu is
 *   held across the submitting call (rq_armed releases it). Either the
 *   interrupt came first (r->interrupted: nothing is submitted, EINTR) or
 *   its cancel is queued after the submit and reaches the operation.
 *   A submit and dfsc_cancel only queue and return (they never wait for
 *   the loop thread, which takes m->mu in callbacks), so m->mu is held
 *   across them only: it is still never held across a wait.
 * Lock order: libfuse calls the interrupt function holding the request's
 * own lock, which then takes m->mu; fuse_req_interrupt_func takes that
 * request lock, so it is never called with m->mu held (rq_new), and
 * fuse_req_interrupted is not used under m->mu either. The function is
 * registered once r is in m->live, so that one libfuse calls at once (the
 * request was interrupted before it was read) finds r. */

static size_t h_req(fuse_req_t req) {
  return (size_t)(((uint64_t)(uintptr_t)req * 0x9E3779B97F4A7C15ull) >> 32) &
         (LIVE_BUCKETS - 1);
}

static void live_link_locked(struct mnt *m, struct rq *r) {
  struct rq **head = &m->live[h_req(r->req)];

  r->lprev = NULL;
  r->lnext = *head;
  if (*head != NULL)
    (*head)->lprev = r;
  *head = r;
  r->linked = 1;
}

static void live_unlink_locked(struct mnt *m, struct rq *r) {
  if (!r->linked)
    return;
  if (r->lprev != NULL)
    r->lprev->lnext = r->lnext;
  else
    m->live[h_req(r->req)] = r->lnext;
  if (r->lnext != NULL)
    r->lnext->lprev = r->lprev;
  r->lnext = r->lprev = NULL;
  r->linked = 0;
}

/* The newest request with this fuse_req_t still unanswered, or NULL.
 * Bounded by the requests in flight. */
static struct rq *live_find_locked(struct mnt *m, fuse_req_t req) {
  struct rq *r;

  for (r = m->live[h_req(req)]; r != NULL; r = r->lnext)
    if (r->req == req)
      return r;
  return NULL;
}

/* r leaves m->live: from now on an interrupt leaves it alone. Returns the
 * request to answer. Every reply to a request with an rq goes through
 * here first. */
static fuse_req_t rq_out(struct rq *r) {
  if (r->linked) {
    pthread_mutex_lock(&r->m->mu);
    live_unlink_locked(r->m, r);
    pthread_mutex_unlock(&r->m->mu);
  }
  return r->req;
}

static int lease_break_cb(void *arg, const dfsc_lease_break *b);

/* ---- multiuser ---------------------------------------------------------------
 *
 * With -o multiuser every local user other than the mounting one reaches
 * the servers as themselves: a library context of their own
 * (dfsc_ctx_new_user: a session of theirs on the mount's connections),
 * made at their first request from the credentials file DIR/UID (or
 * DIR/USERNAME) of credentials_dir, else their Kerberos ticket cache
 * /tmp/krb5cc_UID. A user with neither gets EACCES and one log line, never
 * the mount's identity. */

#define UCTX_MAX 256    /* local users with a context of their own */
#define UCTX_RETRY_S 10 /* a refused user is looked at again after this */
#define CREDENTIALS_DIR_DEFAULT "/etc/dfsc/users"

static time_t mono_s(void) {
  struct timespec t;

  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec;
}

/* Whether st is safe to take secrets of uid from: owned by root or uid,
 * and (a file) readable and writable by its owner only, (a directory)
 * writable by its owner only. */
static int secret_safe(const struct stat *st, uid_t uid, int dir) {
  if (st->st_uid != 0 && st->st_uid != uid)
    return 0;
  if (dir)
    return S_ISDIR(st->st_mode) && (st->st_mode & (S_IWGRP | S_IWOTH)) == 0;
  return S_ISREG(st->st_mode) && (st->st_mode & 077) == 0;
}

/* The credentials file of uid into path: 0, -ENOENT (none) or -EPERM
 * (there, but unsafe: *why says how). */
static int cred_file(struct mnt *m, uid_t uid, char *path, size_t cap, const char **why) {
  const char *dir = m->o->credentials_dir ? m->o->credentials_dir : CREDENTIALS_DIR_DEFAULT;
  struct stat st;
  struct passwd pw, *pp = NULL;
  char pwbuf[1024];
  int i;

  if (stat(dir, &st) != 0)
    return -ENOENT;
  if (st.st_uid != 0 || !secret_safe(&st, 0, 1)) {
    *why = "its directory is not root's alone";
    return -EPERM;
  }
  for (i = 0; i < 2; i++) {
    if (i == 0) {
      snprintf(path, cap, "%s/%u", dir, (unsigned)uid);
    } else {
      if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &pp) != 0 || pp == NULL ||
          strchr(pp->pw_name, '/') != NULL || pp->pw_name[0] == '.')
        return -ENOENT;
      snprintf(path, cap, "%s/%s", dir, pp->pw_name);
    }
    if (lstat(path, &st) != 0)
      continue;
    if (!secret_safe(&st, uid, 0)) {
      *why = "it is not a regular file of root or the user, closed to others";
      return -EPERM;
    }
    return 0;
  }
  return -ENOENT;
}

/* dfsc_ctx_new with the signals meant for the FUSE loop blocked, so that
 * the library's threads (which inherit the mask) never take them: a
 * SIGTERM could otherwise go unnoticed until the next request. */
static int ctx_new_quiet(const dfsc_opts *o, dfsc_ctx **out) {
  sigset_t block, old;
  int rc;

  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGHUP);
  sigaddset(&block, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  rc = dfsc_ctx_new(o, out);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return rc;
}

/* Makes u's context (u->ctx stays NULL when refused). Under uctx_mu, which
 * is held across no I/O but this: the line to log goes to line (level in
 * *lvl), written by the caller once the lock is released. */
static void uctx_make(struct mnt *m, struct uctx *u, char *line, size_t cap, int *lvl) {
  dfsc_opts o = m->uopts;
  struct dfsc__cli_cred cr;
  char path[PATH_MAX], err[256], cc[64];
  const char *why = NULL;
  struct stat st;
  int rc, insecure = 0;

  memset(&cr, 0, sizeof(cr));
  u->refused_at = 0;
  o.user = o.domain = o.password = NULL;
  rc = cred_file(m, u->uid, path, sizeof(path), &why);
  if (rc == 0) {
    rc = dfsc__cli_authfile_load(path, &cr, &insecure, err, sizeof(err));
    if (rc < 0 || cr.user == NULL) {
      *lvl = DFSC_LOG_WARN;
      snprintf(line, cap, "multiuser: uid %u: %s: EACCES for this user", (unsigned)u->uid,
               rc < 0 ? err : "no username in the credentials file");
      goto refused;
    }
    o.user = cr.user;
    o.domain = cr.domain ? cr.domain : m->uopts.domain;
    o.password = cr.password;
    snprintf(u->who, sizeof(u->who), "%s%s%s (credentials file %s)",
             o.domain ? o.domain : "", o.domain ? "\\" : "", o.user, path);
  } else if (rc == -EPERM) {
    *lvl = DFSC_LOG_WARN;
    snprintf(line, cap, "multiuser: uid %u: %s is refused: %s; EACCES for this user",
             (unsigned)u->uid, path, why);
    goto refused;
  } else {
    snprintf(cc, sizeof(cc), "/tmp/krb5cc_%u", (unsigned)u->uid);
    if (lstat(cc, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != u->uid) {
      *lvl = DFSC_LOG_WARN;
      snprintf(
          line, cap,
          "multiuser: uid %u has no credentials (no file in %s, no Kerberos ticket cache "
          "%s): EACCES for this user",
          (unsigned)u->uid,
          m->o->credentials_dir ? m->o->credentials_dir : CREDENTIALS_DIR_DEFAULT, cc);
      goto refused;
    }
    snprintf(path, sizeof(path), "FILE:%s", cc);
    o.ccache = path;
    o.kerberos = DFSC_KERBEROS_REQUIRED;
    snprintf(u->who, sizeof(u->who), "the Kerberos principal of ticket cache %s", path);
  }
  rc = dfsc_ctx_new_user(m->ctx, &o, &u->ctx);
  dfsc__cli_cred_clear(&cr);
  if (rc != 0) {
    u->ctx = NULL;
    *lvl = DFSC_LOG_WARN;
    snprintf(line, cap, "multiuser: uid %u: cannot start: %s", (unsigned)u->uid,
             dfsc_strerror(rc));
    goto refused;
  }
  (void)dfsc_set_dir_max_bytes(u->ctx, (size_t)dfsc__mount_listing_max(m->o));
  (void)dfsc_set_lease_break_cb(u->ctx, lease_break_cb, u);
  *lvl = DFSC_LOG_INFO;
  snprintf(line, cap, "multiuser: uid %u acts as %s", (unsigned)u->uid, u->who);
  return;
refused:
  dfsc__cli_cred_clear(&cr);
  snprintf(u->who, sizeof(u->who), "nobody: no usable credentials (EACCES)");
  u->refused_at = mono_s();
}

/* The context uid's requests use: the mount's (not multiuser, or the
 * mounting user), the user's own, or NULL (refused). Made at the first
 * call for uid: never called with m->mu held. */
static dfsc_ctx *user_ctx(struct mnt *m, uid_t uid) {
  struct uctx *u;
  dfsc_ctx *ctx = NULL;
  char line[PATH_MAX + 512];
  int lvl = -1;

  if (!m->o->multiuser || uid == m->owner)
    return m->ctx;
  pthread_mutex_lock(&m->uctx_mu);
  for (u = m->uctxs; u != NULL && u->uid != uid; u = u->next)
    ;
  if (u == NULL && m->nuctx < UCTX_MAX && (u = calloc(1, sizeof(*u))) != NULL) {
    u->uid = uid;
    u->m = m;
    u->next = m->uctxs;
    m->uctxs = u;
    m->nuctx++;
    uctx_make(m, u, line, sizeof(line), &lvl);
  } else if (u != NULL && u->ctx == NULL && mono_s() - u->refused_at >= UCTX_RETRY_S) {
    uctx_make(m, u, line, sizeof(line), &lvl);
  }
  if (u != NULL)
    ctx = u->ctx;
  pthread_mutex_unlock(&m->uctx_mu);
  if (lvl >= 0)
    mlog(m, lvl, "%s", line);
  if (u == NULL)
    mlog(m, DFSC_LOG_WARN, "multiuser: uid %u: more than %d users: EACCES", (unsigned)uid,
         UCTX_MAX);
  return ctx;
}

/* Whether uid has a context already (not made here, so that it may be
 * asked under m->mu). */
static int user_known(struct mnt *m, uid_t uid) {
  struct uctx *u;
  int ok;

  if (!m->o->multiuser || uid == m->owner)
    return 1;
  pthread_mutex_lock(&m->uctx_mu);
  for (u = m->uctxs; u != NULL && u->uid != uid; u = u->next)
    ;
  ok = u != NULL && u->ctx != NULL;
  pthread_mutex_unlock(&m->uctx_mu);
  return ok;
}

/* For the control files: the caller's context, else the mount's. */
static dfsc_ctx *ctl_ctx(struct mnt *m, uid_t uid) {
  dfsc_ctx *ctx = user_ctx(m, uid);
  return ctx != NULL ? ctx : m->ctx;
}

/* What .dfsc/whoami says to uid. */
static void whoami_text(struct mnt *m, uid_t uid, char *out, size_t cap) {
  struct uctx *u;

  if (!m->o->multiuser || uid == m->owner) {
    snprintf(out, cap, "uid %u: %s\n", (unsigned)uid, m->base.who);
    return;
  }
  (void)user_ctx(m, uid);
  pthread_mutex_lock(&m->uctx_mu);
  for (u = m->uctxs; u != NULL && u->uid != uid; u = u->next)
    ;
  snprintf(out, cap, "uid %u: %s\n", (unsigned)uid,
           u != NULL ? u->who : "nobody: too many users (EACCES)");
  pthread_mutex_unlock(&m->uctx_mu);
}

/* Frees the users' contexts (the FUSE loop has ended). */
static void uctx_free_all(struct mnt *m) {
  struct uctx *u, *next;

  for (u = m->uctxs; u != NULL; u = next) {
    next = u->next;
    if (u->ctx != NULL)
      dfsc_ctx_free(u->ctx);
    free(u);
  }
  m->uctxs = NULL;
  m->nuctx = 0;
}

static void rq_interrupt(fuse_req_t req, void *data);

static struct rq *rq_new(struct mnt *m, fuse_req_t req, uint64_t ino) {
  struct rq *r = calloc(1, sizeof(*r));

  if (r == NULL) {
    fuse_reply_err(req, ENOMEM);
    return NULL;
  }
  r->m = m;
  r->req = req;
  r->ino = ino;
  r->uid = fuse_req_ctx(req)->uid;
  r->ctx = user_ctx(m, r->uid);
  pthread_mutex_lock(&m->mu);
  live_link_locked(m, r);
  pthread_mutex_unlock(&m->mu);
  /* Not under m->mu (lock order above); may call rq_interrupt at once. */
  fuse_req_interrupt_func(req, rq_interrupt, m);
  return r;
}

/* The buffer of a read, or the one a write's bytes are copied to (FUSE's
 * is valid only during op_write; the library sends from this one until
 * its callback); NULL without memory. A large one comes from the kept
 * buffers: malloc gives blocks of this size back to the kernel when
 * freed, and each 1 MiB write then faulted in fresh zeroed pages (about a
 * sixth of the daemon's CPU for a stream of writes). At most IOBUF_KEEP
 * are kept while none is in use; only requests of at least half of
 * IO_MAX take one, so write-behind's byte bounds hold within twice. */
static char *iobuf_get(struct mnt *m, size_t size, int *kept) {
  char *b = NULL;
  *kept = 0;
  if (size < IOBUF_MIN || size > IO_MAX)
    return malloc(size ? size : 1);
  pthread_mutex_lock(&m->iobuf_mu);
  if (m->niobufs > 0)
    b = m->iobufs[--m->niobufs];
  pthread_mutex_unlock(&m->iobuf_mu);
  if (b == NULL)
    b = malloc(IO_MAX);
  *kept = b != NULL;
  return b;
}

static void iobuf_put(struct mnt *m, char *b) {
  pthread_mutex_lock(&m->iobuf_mu);
  if (m->niobufs < IOBUF_KEEP) {
    m->iobufs[m->niobufs++] = b;
    b = NULL;
  }
  pthread_mutex_unlock(&m->iobuf_mu);
  free(b);
}

static void rq_free(struct rq *r) {
  (void)rq_out(r); /* an rq answered without rq_out, or never */
  free(r->name);
  free(r->path);
  if (r->buf_kept)
    iobuf_put(r->m, r->buf);
  else
    free(r->buf);
  free(r->target);
  free(r->aside);
  free(r->link);
  free(r->plan);
  free(r);
}

/* Before the library call that starts r's next operation, with callback
 * cb: 0 with m->mu HELD, cb recorded as what an interrupt cancels; the
 * caller makes the call and then calls rq_armed. -EINTR (m->mu released)
 * when the kernel interrupted r already: nothing must start. */
static int rq_arm(struct rq *r, dfsc_cb cb) {
  pthread_mutex_lock(&r->m->mu);
  if (r->interrupted) {
    pthread_mutex_unlock(&r->m->mu);
    return -EINTR;
  }
  r->cb = cb;
  return 0;
}

/* After the call rq_arm allowed, which returned rc: releases m->mu.
 * Returns rc. */
static int rq_armed(struct rq *r, int rc) {
  if (rc < 0)
    r->cb = NULL; /* no operation: nothing to cancel */
  pthread_mutex_unlock(&r->m->mu);
  return rc;
}

/* r's next operation is one an interrupt must not stop (the stat after a
 * mkdir that took effect, a close): nothing to cancel. */
static void rq_disarm(struct rq *r) {
  pthread_mutex_lock(&r->m->mu);
  r->cb = NULL;
  pthread_mutex_unlock(&r->m->mu);
}

static void park_remove_locked(struct mnt *m, struct rq *r);
static void fh_free(struct mnt *m, struct fh *fh);

/* The kernel interrupted req (its program got a signal). libfuse calls
 * this from the thread that read the interrupt, or from
 * fuse_req_interrupt_func when the interrupt came first, holding a
 * reference on req, so req can be answered here. `data` is the mount. */
static void rq_interrupt(fuse_req_t req, void *data) {
  struct mnt *m = data;
  struct rq *r;
  int parked = 0, rc = 0;

  pthread_mutex_lock(&m->mu);
  r = live_find_locked(m, req);
  if (r != NULL && r->parked) {
    /* A waiting listing holds nothing in the library: answered now. */
    park_remove_locked(m, r);
    live_unlink_locked(m, r);
    m->waits_interrupted++;
    parked = 1;
  } else if (r != NULL && !r->interrupted) {
    r->interrupted = 1;
    m->interrupts++;
    /* Under m->mu, with r in m->live: see above. A cancel that cannot be
     * queued (no memory, the loop's queue full, the context stopping)
     * leaves the operation to its deadlines. */
    if (r->cb != NULL && (rc = dfsc_cancel(r->ctx ? r->ctx : m->ctx, r->cb, r)) == 0)
      m->cancels++;
  }
  pthread_mutex_unlock(&m->mu);
  if (rc < 0)
    mlog(m, DFSC_LOG_DEBUG, "interrupt: cannot cancel: %s", dfsc_strerror(rc));
  if (!parked)
    return;
  fuse_reply_err(req, EINTR);
  fh_free(m, r->fh);
  rq_free(r);
}

static int res_errno(const dfsc_result *res, int io) {
  return dfsc__mount_errno(res->err, res->ntstatus, io);
}

/* Submission failed: the callback will not run. */
static void rq_fail(struct rq *r, int rc) {
  fuse_reply_err(rq_out(r), dfsc__mount_errno(rc, 0, 0));
  rq_free(r);
}

/* Sets r->path to node ino's path; on failure answers, frees r and
 * returns -1. */
static int rq_path(struct rq *r, uint64_t ino) {
  int err = 0;

  if (r->ctx == NULL) {
    fuse_reply_err(rq_out(r), EACCES); /* multiuser: no identity for this user */
    rq_free(r);
    return -1;
  }
  if ((r->path = node_path(r->m, ino, NULL, r->uid, &err)) != NULL)
    return 0;
  fuse_reply_err(rq_out(r), err);
  rq_free(r);
  return -1;
}

/* Whether a name a program gives can go on the wire: 0, EINVAL for a '\'
 * (a separator there, it cannot be part of a name) or ENAMETOOLONG. */
static int name_errno(const char *name) {
  if (strchr(name, '\\') != NULL)
    return EINVAL;
  return dfsc__mount_name_too_long(name) ? ENAMETOOLONG : 0;
}

/* A request about child `name` of `parent`, with its path; NULL once
 * answered. */
static struct rq *named_rq(struct mnt *m, fuse_req_t req, fuse_ino_t parent,
                           const char *name) {
  struct rq *r;
  int err = name_errno(name);

  if (err != 0) {
    fuse_reply_err(req, err);
    return NULL;
  }
  if ((r = rq_new(m, req, parent)) == NULL)
    return NULL;
  if (r->ctx == NULL) {
    fuse_reply_err(rq_out(r), EACCES); /* multiuser: no identity for this user */
    rq_free(r);
    return NULL;
  }
  r->parent = parent;
  r->name = strdup(name);
  r->path = node_path(m, parent, name, r->uid, &err);
  if (r->name == NULL || r->path == NULL) {
    fuse_reply_err(rq_out(r), r->path == NULL ? err : ENOMEM);
    rq_free(r);
    return NULL;
  }
  return r;
}

/* ---- lookup and attributes ------------------------------------------------ */

/* Whether uid may reach node n, which is answered without the server (its
 * attributes are fresh): the host check of path_locked, for the host and
 * share among n's ancestors. Under m->mu. Synthetic nodes are everyone's. */
static int node_allowed_locked(struct mnt *m, const struct node *n, uid_t uid,
                               struct mline *ml) {
  const struct node *share = NULL;
  size_t depth = 0;

  if (n->kind == N_ROOT || n->kind >= N_CTL)
    return 1;
  /* multiuser: a user without an identity reaches nothing of a server's,
   * not even what the cache holds (lock order: mu, then uctx_mu; the
   * context is made before, in op_lookup and op_getattr). */
  if (!user_known(m, uid))
    return 0;
  /* Bounded: parents are never cycles and paths are at most DEPTH_MAX deep. */
  for (; n != NULL && n->kind == N_FS && depth < DEPTH_MAX; n = n->parent, depth++)
    ;
  if (n == NULL || n->kind == N_FS)
    return 0;
  if (n->kind == N_SHARE) {
    share = n;
    n = n->parent;
  }
  if (n == NULL || n->kind != N_HOST)
    return 0;
  if (dfsc__mount_host_allowed(m->o, m->cred_servers, m->owner, uid, n->name,
                               share ? share->name : NULL))
    return 1;
  m->refused_hosts++;
  mline_set(m, ml, DFSC_LOG_INFO, 1, "uid %u may not reach \\\\%s\\%s (not in hosts=)",
            (unsigned)uid, n->name, share ? share->name : "");
  return 0;
}

/* The bytes of a possible symlink file arrived (res->st: the attributes
 * its CREATE gave): r->link_checked, r->link and r->st say what it is.
 * 0, or the errno of a failed read. */
static int link_read(struct rq *r, const dfsc_result *res) {
  char target[DFSC_MFSYMLINK_TARGET_MAX + 1];
  int e = res_errno(res, 0);

  if (e != 0)
    return e;
  r->st = res->st;
  r->link_checked = 1;
  free(r->link);
  r->link = NULL;
  if (dfsc__mfsymlink_decode((const uint8_t *)r->buf, res->nbytes, target, sizeof(target)) >
      0)
    r->link = strdup(target); /* NULL on ENOMEM: shown as the file it is */
  return 0;
}

/* Reads r->path's first DFSC_MFSYMLINK_SIZE bytes into r->buf, then cb. */
static int link_fetch(struct rq *r, dfsc_cb cb) {
  int rc;

  if (r->buf == NULL && (r->buf = malloc(DFSC_MFSYMLINK_SIZE)) == NULL)
    return -ENOMEM;
  if ((rc = rq_arm(r, cb)) == 0)
    rc = rq_armed(
        r, dfsc_read_file_async(r->ctx, r->path, r->buf, DFSC_MFSYMLINK_SIZE, cb, r));
  return rc;
}

static void lookup_link_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  int e = link_read(r, res);

  if (e == ENOENT)
    reply_negative(r->m, rq_out(r));
  else if (e != 0)
    fuse_reply_err(rq_out(r), e);
  else
    reply_new_entry(r, &r->st, NULL);
  rq_free(r);
}

/* Lookups of dir's children at the server: one more (+1) or done (-1). */
static void lookups_count(struct mnt *m, uint64_t dir, int d) {
  struct node *p;

  pthread_mutex_lock(&m->mu);
  if ((p = find_ino(m, dir)) != NULL) {
    if (d > 0 && ++p->lookups_now > m->lookups_dir_hwm)
      m->lookups_dir_hwm = p->lookups_now;
    else if (d < 0 && p->lookups_now > 0)
      p->lookups_now--;
  }
  pthread_mutex_unlock(&m->mu);
}

static void lookup_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  int e = res_errno(res, 0), rc;

  lookups_count(r->m, r->parent, -1);
  if (e == 0 && link_maybe(&res->st)) {
    /* The size of a symlink file: its bytes tell (one more round trip,
     * for files of exactly this size only). */
    r->nlink = res->nlink;
    if ((rc = link_fetch(r, lookup_link_cb)) < 0)
      rq_fail(r, rc);
    return;
  }
  if (e == ENOENT)
    reply_negative(r->m, rq_out(r));
  else if (e != 0)
    fuse_reply_err(rq_out(r), e);
  else {
    r->nlink = res->nlink;
    reply_new_entry(r, &res->st, NULL);
  }
  rq_free(r);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
  struct mnt *m = fuse_req_userdata(req);
  struct fuse_entry_param e;
  struct node *p, *n = NULL;
  struct mline ml = {0};
  struct rq *r;
  uid_t uid = fuse_req_ctx(req)->uid;
  int err = 0, rc;

  ra_apply(m);
  (void)user_ctx(m, uid); /* multiuser: made before m->mu (node_allowed_locked) */
  pthread_mutex_lock(&m->mu);
  p = find_ino(m, parent);
  if (p == NULL) {
    err = ESTALE;
  } else if (p->kind == N_ROOT || p->kind == N_CTL) {
    /* Synthetic levels answer at once. */
    if (p->kind == N_ROOT && strcmp(name, ".dfsc") == 0)
      n = &m->ctl;
    else if (p->kind == N_CTL && strcmp(name, "cache") == 0)
      n = &m->ctl_cache;
    else if (p->kind == N_CTL && strcmp(name, "stats") == 0)
      n = &m->ctl_stats;
    else if (p->kind == N_CTL && strcmp(name, "whoami") == 0)
      n = &m->ctl_whoami;
    else if (p->kind == N_ROOT && dfsc__mount_valid_server_name(name) &&
             !dfsc__mount_host_allowed(m->o, m->cred_servers, m->owner, uid, name, NULL)) {
      /* Not ENOENT: the kernel would cache the absence for every user,
       * the mounting one included. */
      err = EACCES;
      m->refused_hosts++;
      mline_set(m, &ml, DFSC_LOG_INFO, 1, "uid %u may not name host %s (not in hosts=)",
                (unsigned)uid, name);
    } else if (p->kind == N_ROOT && dfsc__mount_valid_server_name(name)) {
      n = get_child(m, p, name);
      if (n == NULL)
        err = ENOMEM;
      else
        known_add(m, name, NULL);
    }
    if (n != NULL) {
      n->nlookup++;
      fill_entry(m, n, &e);
    } else if (err == 0) {
      err = ENOENT;
    }
  } else if (p->kind == N_CTL_CACHE || p->kind == N_CTL_STATS || p->kind == N_CTL_WHOAMI) {
    err = ENOTDIR;
  } else if (p->kind == N_HOST && !dfsc__mount_valid_server_name(name)) {
    err = ENOENT;
  } else if ((n = find_child(m, p, name)) == NULL && p->kind == N_FS && p->made_here &&
             !m->o->multiuser && age(&p->made_at) < m->o->negative_timeout &&
             ascii_name(name) && !find_child_ci(m, p, name)) {
    /* A directory made here moments ago holds only what was made in it
     * here, all of it known: the name is missing (within the negative
     * cache's time, as the kernel would answer it), unless one of them
     * differs from it only in case (the server may not tell them apart;
     * names beyond ASCII go to the server). */
    err = ENOENT;
    m->lookups_local_neg++;
  } else if (n != NULL && !st_fresh(m, n)) {
    n = NULL; /* known, but its attributes are stale: ask the server */
  } else if (n != NULL && !node_allowed_locked(m, n, uid, &ml)) {
    /* Known from the mounting user's requests, but not this uid's to
     * reach: the same answer as when it needs the server. */
    n = NULL;
    err = EACCES;
  } else if (n != NULL) {
    /* Attributes from a listing or a stat within attr_timeout. */
    n->nlookup++;
    fill_entry(m, n, &e);
  }
  pthread_mutex_unlock(&m->mu);
  mline_put(m, &ml);
  if (n != NULL) {
    if (fuse_reply_entry(req, &e) != 0) {
      pthread_mutex_lock(&m->mu);
      forget_locked(m, e.ino, 1);
      pthread_mutex_unlock(&m->mu);
    }
    return;
  }
  if (err == ENOENT) {
    reply_negative(m, req);
    return;
  }
  if (err != 0) {
    fuse_reply_err(req, err);
    return;
  }
  if ((r = named_rq(m, req, parent, name)) == NULL)
    return;
  lookups_count(m, parent, 1);
  if ((rc = rq_arm(r, lookup_cb)) == 0)
    rc = rq_armed(r, dfsc_stat_async(r->ctx, r->path, lookup_cb, r));
  if (rc < 0) {
    lookups_count(m, parent, -1);
    rq_fail(r, rc);
  }
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  struct mnt *m = fuse_req_userdata(req);

  pthread_mutex_lock(&m->mu);
  forget_locked(m, ino, nlookup);
  pthread_mutex_unlock(&m->mu);
  fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count,
                            struct fuse_forget_data *forgets) {
  struct mnt *m = fuse_req_userdata(req);
  size_t i;

  pthread_mutex_lock(&m->mu);
  for (i = 0; i < count; i++)
    forget_locked(m, forgets[i].ino, forgets[i].nlookup);
  pthread_mutex_unlock(&m->mu);
  fuse_reply_none(req);
}

static void reply_attr_of(struct rq *r) {
  struct mnt *m = r->m;
  struct stat st;
  struct node *n;
  double ttl = 0;

  pthread_mutex_lock(&m->mu);
  n = find_ino(m, r->ino);
  if (n != NULL) {
    node_stat(m, n, &st);
    ttl = attr_ttl(m, n);
  }
  pthread_mutex_unlock(&m->mu);
  if (n == NULL)
    fuse_reply_err(rq_out(r), ESTALE);
  else
    fuse_reply_attr(rq_out(r), &st, ttl);
}

static void getattr_cb(const dfsc_result *res, void *arg);
static void getattr_link_cb(const dfsc_result *res, void *arg);

/* The held handle is usable again (or lost): the stat once more. */
static void getattr_held_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  int rc;

  if (res->err != 0) {
    fuse_reply_err(rq_out(r), res_errno(res, 0));
    rq_free(r);
    return;
  }
  if ((rc = rq_arm(r, getattr_cb)) == 0)
    rc = rq_armed(r, dfsc_stat_async(r->ctx, r->path, getattr_cb, r));
  if (rc < 0)
    rq_fail(r, rc);
}

static void getattr_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  struct node *n;
  int e = res_errno(res, 0), rc;

  if ((e == EHOSTDOWN || e == EHOSTUNREACH || e == ENETUNREACH) && r->held != NULL) {
    /* A new path operation fails at the first refused connect, while the
     * open handle waits up to reconnect_timeout for its connection and
     * reclaims itself. The kernel asks for the size before a read through
     * a held descriptor (auto_inval_data), so without this wait the read
     * would fail at once through a 5 s server restart. An empty read on
     * the handle is that wait: it completes once the handle is usable
     * again, or fails as the handle's reads would (then the answer). */
    static char none;
    dfsc_file *f = r->held;

    r->held = NULL; /* once per request */
    if ((rc = rq_arm(r, getattr_held_cb)) == 0)
      rc = rq_armed(r, dfsc_read_async(f, &none, 0, 0, getattr_held_cb, r));
    if (rc == 0) {
      pthread_mutex_lock(&r->m->mu);
      r->m->held_waits++;
      pthread_mutex_unlock(&r->m->mu);
      return;
    }
  }
  if (e == 0 && link_maybe(&res->st) && !r->link_checked) {
    struct node *k;
    int known;
    pthread_mutex_lock(&r->m->mu);
    k = find_ino(r->m, r->ino);
    known = k != NULL && k->link_ct != 0 && k->link_ct == res->st.change_time;
    pthread_mutex_unlock(&r->m->mu);
    if (!known) {
      r->nlink = res->nlink;
      if ((rc = link_fetch(r, getattr_link_cb)) < 0)
        rq_fail(r, rc);
      return;
    }
  }
  if (e != 0) {
    fuse_reply_err(rq_out(r), e);
  } else {
    pthread_mutex_lock(&r->m->mu);
    if ((n = find_ino(r->m, r->ino)) != NULL) {
      set_st(n, r->link_checked ? &r->st : &res->st);
      if (r->nlink != 0 || res->nlink != 0)
        n->nlink = (unsigned)(res->nlink != 0 ? res->nlink : r->nlink);
      link_apply(n, r);
    }
    pthread_mutex_unlock(&r->m->mu);
    reply_attr_of(r);
  }
  rq_free(r);
}

/* The bytes of a possible symlink file, for getattr_cb. */
static void getattr_link_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  int e = link_read(r, res);
  dfsc_result ok;

  if (e != 0) {
    fuse_reply_err(rq_out(r), e);
    rq_free(r);
    return;
  }
  memset(&ok, 0, sizeof(ok));
  ok.st = r->st;
  getattr_cb(&ok, r);
}

/* Attributes from the node when fresh, else from a stat. */
static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  struct mnt *m = fuse_req_userdata(req);
  struct node *n;
  struct stat st;
  struct mline ml = {0};
  struct rq *r;
  int fresh = 0, allowed = 1, rc;
  double ttl = 0;
  struct fh *fh = fi != NULL ? (struct fh *)(uintptr_t)fi->fh : NULL;

  ra_apply(m);
  (void)user_ctx(m, fuse_req_ctx(req)->uid); /* multiuser: made before m->mu */
  pthread_mutex_lock(&m->mu);
  n = find_ino(m, ino);
  if (n != NULL) {
    fresh = !(n->kind == N_SHARE || n->kind == N_FS) || st_fresh(m, n);
    /* As in op_lookup: what the node knows is not every uid's (a stale
     * node meets the check in rq_path). */
    if (fresh)
      allowed = node_allowed_locked(m, n, fuse_req_ctx(req)->uid, &ml);
    if (fresh && allowed) {
      node_stat(m, n, &st);
      ttl = attr_ttl(m, n);
    }
  }
  pthread_mutex_unlock(&m->mu);
  mline_put(m, &ml);
  if (n == NULL || !allowed) {
    fuse_reply_err(req, n == NULL ? ESTALE : EACCES);
    return;
  }
  if (fresh) {
    fuse_reply_attr(req, &st, ttl);
    return;
  }
  if ((r = rq_new(m, req, ino)) == NULL || rq_path(r, ino) < 0)
    return;
  /* The kernel holds the file until answered, so the handle outlives r. */
  if (fh != NULL && fh->kind == FH_FILE)
    r->held = fh->f;
  if ((rc = rq_arm(r, getattr_cb)) == 0)
    rc = rq_armed(r, dfsc_stat_async(r->ctx, r->path, getattr_cb, r));
  if (rc < 0)
    rq_fail(r, rc);
}

static void invalidate(struct mnt *m, uint64_t ino) {
  struct node *n;

  pthread_mutex_lock(&m->mu);
  if ((n = find_ino(m, ino)) != NULL)
    st_drop_locked(n);
  pthread_mutex_unlock(&m->mu);
}

/* setattr: [open] -> [truncate] -> [set times] -> [close] -> stat -> reply. */
static void setattr_step(struct rq *r, int err);

static void setattr_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;

  if (res->file != NULL) {
    r->f = res->file;
    r->opened = 1;
    r->attrs_now = res->st.attributes;
    r->attrs_unknown = 0;
  }
  setattr_step(r, res_errno(res, 0));
}

/* A truncate the server refused with STATUS_DISK_FULL: Samba answers so
 * when its own ftruncate(2) fails with EFBIG (a size past what the file
 * system can hold) as well as when space runs out. A size larger than the
 * whole volume cannot be a matter of free space: EFBIG, as a local file
 * system answers (pjdfstest truncate/12); otherwise ENOSPC. */
static void truncate_statfs_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  uint64_t bs = res->fs.block_size ? res->fs.block_size : 4096;
  int big = res->err == 0 && res->fs.blocks != 0 && r->size / bs >= res->fs.blocks;

  setattr_step(r, big ? EFBIG : ENOSPC);
}

static void truncate_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  int rc;

  if (res->err == DFSC_E_NTSTATUS && res->ntstatus == 0xC000007Fu /* DISK_FULL */) {
    if ((rc = rq_arm(r, truncate_statfs_cb)) == 0)
      rc = rq_armed(r, dfsc_statfs_async(r->ctx, r->path, truncate_statfs_cb, r));
    if (rc < 0)
      setattr_step(r, ENOSPC);
    return;
  }
  setattr_step(r, res_errno(res, 0));
}

static void setattr_close_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;

  (void)res;
  r->f = NULL;
  r->opened = 0;
  setattr_step(r, r->flags);
}

/* chmod: the DOS attributes the write bits ask for; 0 when nothing is to
 * change (a directory, or already so). The write bits are the read-only
 * attribute, the one permission SMB keeps per file (cifs.ko maps them so
 * too); the rest of the mode comes from the mount options. */
static uint32_t mode_attrs(const struct rq *r) {
  uint32_t now = r->attrs_now & ~(uint32_t)DFSC_ATTR_NORMAL;
  uint32_t want = now & ~(uint32_t)DFSC_ATTR_READONLY;
  if (r->ro)
    want |= DFSC_ATTR_READONLY;
  if (want == 0)
    want = DFSC_ATTR_NORMAL; /* "none": 0 would leave them as they are */
  if ((r->attrs_now & DFSC_ATTR_DIRECTORY) ||
      (!r->attrs_unknown && want == (now ? now : DFSC_ATTR_NORMAL)))
    return 0;
  return want;
}

/* Times and the read-only attribute by path in one round trip: the
 * answer's attributes are the reply. */
static void setattr_path_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;

  if (res->err != 0) {
    setattr_step(r, res_errno(res, 0));
    return;
  }
  invalidate(r->m, r->ino);
  rq_disarm(r); /* it took effect: the answer is due */
  getattr_cb(res, r);
}

static void setattr_step(struct rq *r, int err) {
  struct mnt *m = r->m;
  int rc = 0;

  if (err != 0 && r->flags == 0)
    r->flags = err; /* the first error is the answer */
  if (r->flags != 0 || r->to_set == 0) {
    if (r->opened) {
      rq_disarm(r); /* the handle is closed, interrupted or not */
      rc = dfsc_close_async(r->f, setattr_close_cb, r);
      if (rc == 0)
        return;
      r->opened = 0;
    }
    if (r->flags != 0) {
      fuse_reply_err(rq_out(r), r->flags);
      rq_free(r);
      return;
    }
    if (!r->changed) {
      /* Nothing was sent (an owner, or a mode that keeps the read-only
       * state): what the daemon holds answers while fresh. */
      struct node *n;
      int fresh;
      pthread_mutex_lock(&m->mu);
      fresh = (n = find_ino(m, r->ino)) != NULL && st_fresh(m, n);
      pthread_mutex_unlock(&m->mu);
      if (fresh) {
        reply_attr_of(r);
        rq_free(r);
        return;
      }
    }
    invalidate(m, r->ino);
    /* The attributes to answer with: once something changed on the
     * server an interrupt no longer stops the request (it took effect). */
    if (r->changed) {
      rq_disarm(r);
      rc = dfsc_stat_async(r->ctx, r->path, getattr_cb, r);
    } else if ((rc = rq_arm(r, getattr_cb)) == 0) {
      rc = rq_armed(r, dfsc_stat_async(r->ctx, r->path, getattr_cb, r));
    }
    if (rc < 0)
      rq_fail(r, rc);
    return;
  }
  /* Each step is interruptible; one not started once the kernel
   * interrupted r answers EINTR (after the close). r is not touched once
   * a step is submitted: its callback may already run. */
  if (r->f == NULL && !(r->to_set & FUSE_SET_ATTR_SIZE) &&
      !((r->to_set & FUSE_SET_ATTR_MODE) && r->attrs_unknown)) {
    /* Times and a known read-only change: one compound by path
     * (dfsc_setattr_async), no handle of our own. */
    uint32_t want = (r->to_set & FUSE_SET_ATTR_MODE) ? mode_attrs(r) : 0;
    r->to_set = 0;
    if (want == 0 && r->atime == 0 && r->mtime == 0) {
      setattr_step(r, 0); /* nothing to change: the attributes */
      return;
    }
    r->changed = 1;
    if ((rc = rq_arm(r, setattr_path_cb)) == 0)
      rc = rq_armed(r, dfsc_setattr_async(r->ctx, r->path, want, r->atime, r->mtime,
                                          setattr_path_cb, r));
  } else if (r->f == NULL) {
    /* Times alone need only attribute access, which directories give too. */
    if ((rc = rq_arm(r, setattr_cb)) == 0)
      rc = rq_armed(r, dfsc_open_async(r->ctx, r->path,
                                       (r->to_set & FUSE_SET_ATTR_SIZE) ? DFSC_O_WRONLY
                                                                        : DFSC_O_ATTRIBUTES,
                                       setattr_cb, r));
  } else if (r->to_set & FUSE_SET_ATTR_SIZE) {
    r->to_set &= ~FUSE_SET_ATTR_SIZE;
    r->changed = 1;
    if ((rc = rq_arm(r, truncate_cb)) == 0)
      rc = rq_armed(r, dfsc_truncate_async(r->f, r->size, truncate_cb, r));
  } else if (r->to_set & FUSE_SET_ATTR_MODE) {
    /* The write bits are the DOS read-only attribute, the one permission
     * SMB keeps per file (cifs.ko maps them so too); the rest of the mode
     * comes from the mount options and does not change. */
    uint32_t want = mode_attrs(r);
    r->to_set &= ~FUSE_SET_ATTR_MODE;
    if (want == 0) {
      setattr_step(r, 0); /* nothing to change: the next step */
      return;
    }
    r->changed = 1;
    if ((rc = rq_arm(r, setattr_cb)) == 0)
      rc = rq_armed(r, dfsc_set_attributes_async(r->f, want, setattr_cb, r));
  } else {
    r->to_set = 0;
    r->changed = 1;
    if ((rc = rq_arm(r, setattr_cb)) == 0)
      rc = rq_armed(r, dfsc_set_times_async(r->f, r->atime, r->mtime, setattr_cb, r));
  }
  if (rc < 0)
    setattr_step(r, dfsc__mount_errno(rc, 0, 0));
}

static uint64_t time_arg(const struct timespec *t, int now) {
  struct timespec n;

  if (now) {
    clock_gettime(CLOCK_REALTIME, &n);
    t = &n;
  }
  return dfsc_filetime_from_unix((int64_t)t->tv_sec, t->tv_nsec);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                       struct fuse_file_info *fi) {
  struct mnt *m = fuse_req_userdata(req);
  struct fh *fh = fi ? (struct fh *)(uintptr_t)fi->fh : NULL;
  struct rq *r;
  int found;
  enum nkind k = kind_of(m, ino, &found);

  if (!found) {
    fuse_reply_err(req, ESTALE);
    return;
  }
  if (to_set & FUSE_SET_ATTR_SIZE) {
    struct node *n;
    (void)wb_drain(m, ino, NULL); /* a new size comes after the bytes written */
    pthread_mutex_lock(&m->mu);
    if ((n = find_ino(m, ino)) != NULL)
      n->wb_end = 0; /* the server has every byte: its size is the size */
    pthread_mutex_unlock(&m->mu);
  }
  if (m->o->ro &&
      (to_set & (FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
                 FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_MODE))) {
    fuse_reply_err(req, EROFS);
    return;
  }
  if ((r = rq_new(m, req, ino)) == NULL)
    return;
  if (k != N_SHARE && k != N_FS) {
    /* Synthetic nodes and control files: truncating the cache file before
     * writing "flush" to it is part of `echo flush >`. */
    reply_attr_of(r);
    rq_free(r);
    return;
  }
  /* Owner and mode come from the mount options (cifs' noperm): changing
   * them succeeds, so that cp -p and rsync -a work, and changes nothing but
   * the write bits of a file (the DOS read-only attribute, setattr_step). */
  r->to_set = to_set & (FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
                        FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW);
  if (to_set & FUSE_SET_ATTR_MODE) {
    struct node *n;
    int file = 0, ro_now = 0, unknown = 0;
    pthread_mutex_lock(&m->mu);
    if ((n = find_ino(m, ino)) != NULL && n->have_st && !n->st.is_dir && n->link == NULL) {
      file = 1;
      r->attrs_now = n->st.attributes;
      ro_now = (n->st.attributes & DFSC_ATTR_READONLY) != 0;
    } else if (n != NULL && !n->have_st && n->link == NULL) {
      /* Attributes dropped (a close, a change): the open below tells
       * (setattr_cb), and a directory is left alone there. */
      unknown = 1;
    }
    pthread_mutex_unlock(&m->mu);
    r->ro = (attr->st_mode & 0222) == 0;
    /* Only a change of the read-only state costs a request. */
    if ((file && r->ro != ro_now) || unknown) {
      r->to_set |= FUSE_SET_ATTR_MODE;
      r->attrs_unknown = unknown;
    }
  }
  r->size = (uint64_t)attr->st_size;
  if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW))
    r->atime = time_arg(&attr->st_atim, (to_set & FUSE_SET_ATTR_ATIME_NOW) != 0);
  if (to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW))
    r->mtime = time_arg(&attr->st_mtim, (to_set & FUSE_SET_ATTR_MTIME_NOW) != 0);
  if (r->atime == 0 && r->mtime == 0)
    r->to_set &= ~(FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW |
                   FUSE_SET_ATTR_MTIME_NOW);
  if (fh != NULL && fh->kind == FH_FILE)
    r->f = fh->f; /* not ours to close */
  if (rq_path(r, ino) < 0)
    return;
  if (r->f == NULL && (r->atime != 0 || r->mtime != 0) && r->ctx != NULL) {
    struct node *n;
    int local = 0;
    pthread_mutex_lock(&m->mu);
    if ((n = find_ino(m, ino)) != NULL && n->nopen > 0) {
      if (!n->re_times)
        n->re_atime = n->re_mtime = 0;
      n->re_times = 1;
      n->re_seq = n->wr_seq;
      if (r->atime != 0)
        n->re_atime = r->atime;
      if (r->mtime != 0)
        n->re_mtime = r->mtime;
      n->re_ctx = r->ctx;
      /* Times alone on a file written through a handle still open here,
       * whose attributes the daemon holds: they go to the server with the
       * last close (which moves the write time of a file written anyway),
       * and are the node's until then; like its bytes, the server shows
       * them from the close on (close-to-open). An untar's futimens of each
       * file so costs no round trip. A file not written here (touch after
       * truncate, while the kernel's RELEASE is on its way) gets them at
       * once, as before. */
      if ((r->to_set & ~(FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
                         FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW)) == 0 &&
          n->wrote && st_fresh(m, n) && !n->st.is_dir && n->link == NULL) {
        n->re_local = 1;
        if (r->atime != 0)
          n->st.access_time = r->atime;
        if (r->mtime != 0)
          n->st.write_time = r->mtime;
        n->st.change_time = time_arg(NULL, 1);
        n->st_local = 1;
        local = 1;
      }
    }
    pthread_mutex_unlock(&m->mu);
    if (local) {
      reply_attr_of(r);
      rq_free(r);
      return;
    }
  }
  setattr_step(r, 0);
}

/* ---- files ---------------------------------------------------------------- */

static int dfsc_flags(int flags) {
  int f;

  switch (flags & O_ACCMODE) {
  case O_WRONLY:
    f = DFSC_O_WRONLY;
    break;
  case O_RDWR:
    f = DFSC_O_RDWR;
    break;
  default:
    f = DFSC_O_RDONLY;
  }
  if (flags & O_CREAT)
    f |= DFSC_O_CREAT;
  if (flags & O_EXCL)
    f |= DFSC_O_EXCL;
  if (flags & O_TRUNC)
    f |= DFSC_O_TRUNC;
  return f;
}

static void ignore_cb(const dfsc_result *res, void *arg) {
  (void)res;
  (void)arg;
}

/* Times sent after the last close (release_node): a failure is logged
 * with the path, since the setattr that asked for them was answered. */
struct times_late {
  struct mnt *m;
  uint64_t ino;
  char *path;
  dfsc_ctx *ctx;
  uint64_t at, mt;
  int tries;
};

/* The times are on the server (or failed): the node asks it again. */
static void times_sent(struct mnt *m, uint64_t ino) {
  struct node *n;
  pthread_mutex_lock(&m->mu);
  if ((n = find_ino(m, ino)) != NULL && n->re_local && !n->re_times) {
    n->re_local = 0;
    st_drop_locked(n);
  }
  pthread_mutex_unlock(&m->mu);
}

static void times_late_cb(const dfsc_result *res, void *arg) {
  struct times_late *tl = arg;
  char buf[PATH_MAX + 256];
  if (res->err == DFSC_E_NTSTATUS && res->ntstatus == 0xC0000034u /* NAME_NOT_FOUND */ &&
      ++tl->tries <= 2) {
    /* Renamed meanwhile (rsync renames its temporary file right after
     * setting its times, while the kernel's RELEASE was on its way): once
     * more by the name the node has now. */
    struct node *n;
    char *np = NULL;
    int err = 0;
    pthread_mutex_lock(&tl->m->mu);
    if ((n = find_ino(tl->m, tl->ino)) != NULL)
      np = path_locked(tl->m, tl->ino, NULL, tl->m->owner, &err, NULL);
    pthread_mutex_unlock(&tl->m->mu);
    if (np != NULL && strcmp(np, tl->path) != 0) {
      free(tl->path);
      tl->path = np;
      if (dfsc_setattr_async(tl->ctx, tl->path, 0, tl->at, tl->mt, times_late_cb, tl) == 0)
        return;
    } else {
      free(np);
    }
  }
  if (res->err != 0)
    mlog(tl->m, DFSC_LOG_WARN, "%s: setting its times after the last close failed (%s)",
         tl->path, dfsc_result_str(res, buf, sizeof(buf)));
  times_sent(tl->m, tl->ino);
  free(tl->path);
  free(tl);
}

/* One handle on node ino closed. The last close of a file unlinked while
 * open removes it from the server (see op_unlink). */
static void release_node(struct mnt *m, uint64_t ino) {
  struct node *n;
  char *path = NULL, *tpath = NULL;
  int err = 0;
  uint64_t at = 0, mt = 0;
  dfsc_ctx *tctx = NULL;
  int re = 0;

  pthread_mutex_lock(&m->mu);
  n = find_ino(m, ino);
  if (n != NULL && n->nopen > 0 && n->nopen - 1 == 0) {
    n->wb_end = 0; /* every write of it is on the server now (drained) */
    n->wrote = 0;
  }
  if (n != NULL && n->nopen > 0 && --n->nopen == 0 && n->silly) {
    n->silly = 0;
    path = path_locked(m, ino, NULL, m->owner, &err, NULL); /* the file was opened */
  } else if (n != NULL && n->nopen == 0 && n->re_times) {
    n->re_times = 0;
    re = 1;
    at = n->re_atime;
    mt = n->re_mtime;
    tctx = n->re_ctx;
    tpath = path_locked(m, ino, NULL, m->owner, &err, NULL);
    /* The times change once more; times never sent stay the node's until
     * they are (times_late_cb), so a stat meanwhile still shows them. */
    if (!n->re_local)
      n->have_st = 0;
  }
  pthread_mutex_unlock(&m->mu);
  if (path != NULL)
    (void)dfsc_unlink_async(m->ctx, path, ignore_cb, NULL);
  if (re) {
    struct times_late *tl =
        tpath != NULL && tctx != NULL && (at != 0 || mt != 0) ? malloc(sizeof(*tl)) : NULL;
    if (tl != NULL) {
      tl->m = m;
      tl->ino = ino;
      tl->ctx = tctx;
      tl->at = at;
      tl->mt = mt;
      tl->tries = 0;
      tl->path = tpath;
      tpath = NULL;
      if (dfsc_setattr_async(tctx, tl->path, 0, at, mt, times_late_cb, tl) < 0) {
        mlog(m, DFSC_LOG_WARN, "%s: the times set while it was open could not be sent",
             tl->path);
        free(tl->path);
        free(tl);
        tl = NULL;
      }
    }
    if (tl == NULL)
      times_sent(m, ino);
  }
  free(path);
  free(tpath);
}

/* Closes a handle nobody will use, without waiting for the answer. */
static void close_quietly(dfsc_file *f) { (void)dfsc_close_async(f, ignore_cb, NULL); }

static void open_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  struct fuse_file_info fi;
  struct fh *fh;
  int e = res_errno(res, 0);

  if (e != 0) {
    fuse_reply_err(rq_out(r), e);
    rq_free(r);
    return;
  }
  fh = calloc(1, sizeof(*fh));
  if (fh == NULL) {
    close_quietly(res->file);
    fuse_reply_err(rq_out(r), ENOMEM);
    rq_free(r);
    return;
  }
  fh->kind = FH_FILE;
  fh->f = res->file;
  fh->writable = (r->flags & O_ACCMODE) != O_RDONLY;
  fh->ctx = r->ctx;
  fh->wb_ok = (r->flags & O_ACCMODE) != O_RDONLY && !(r->flags & O_DSYNC) &&
              !r->m->o->no_writebehind;
  memset(&fi, 0, sizeof(fi));
  fi.flags = r->flags;
  fi.fh = (uintptr_t)fh;
  if (r->parent != 0) {
    bump_dir(r->m, r->parent);
    if (reply_new_entry(r, &res->st, &fi) == 0) {
      /* The kernel never got the handle: no release will come for it. */
      close_quietly(fh->f);
      free(fh);
    }
  } else {
    struct node *n;
    int leased = (dfsc_file_lease(fh->f) & DFSC_LEASE_READ) != 0, moved = 0;
    fh->ino = r->ino;
    pthread_mutex_lock(&r->m->mu);
    n = find_ino(r->m, r->ino);
    if (leased && fref_add(r->m, fh->f, r->ino, n) != 0)
      leased = 0;
    if (n != NULL) {
      /* Close-to-open, as NFS clients keep it: the CREATE's answer is the
       * file now. When it differs from what the daemon held, the kernel's
       * copy (size included, which bounds its reads) is as old: dropped
       * below, before the open is answered. Another client's write, or
       * one through another name of a hard-linked file, shows so. */
      moved = n->have_st && !n->st_local &&
              (n->st.size != res->st.size || n->st.change_time != res->st.change_time);
      set_st(n, &res->st);
      /* This runs on the library's loop thread, where breaks are taken
       * too: none can come between the open and fref_add. The pages are
       * kept when they were filled under a lease from this same version
       * of the file (its change time); otherwise the kernel drops them at
       * this open and fills them again. */
      if (leased) {
        fi.keep_cache = n->cache_ok && n->cache_ct == res->st.change_time;
        n->cache_ok = 1;
        n->cache_ct = res->st.change_time;
      } else {
        n->cache_ok = 0;
      }
      dio_choose(r->m, n, fh, &fi);
      n->nopen++;
    }
    pthread_mutex_unlock(&r->m->mu);
    /* Attributes only (a negative offset): the kernel takes no lock for
     * that, so this cannot wait on requests the loop thread serves. */
    if (moved && r->m->se != NULL && !__atomic_load_n(&r->m->inval_stop, __ATOMIC_ACQUIRE))
      (void)fuse_lowlevel_notify_inval_inode(r->m->se, (fuse_ino_t)r->ino, -1, 0);
    if (fuse_reply_open(rq_out(r), &fi) != 0) {
      close_quietly(fh->f);
      free(fh);
      release_node(r->m, r->ino);
    }
  }
  rq_free(r);
}

static int ctl_render_stats(struct mnt *m, struct fh *fh);
static int ctl_render_whoami(struct mnt *m, struct fh *fh);
static void fh_free(struct mnt *m, struct fh *fh);

/* ---- coherent caching from leases --------------------------------------------
 *
 * A file opened with a read lease ([MS-SMB2] 2.2.13.2.8) keeps the kernel's
 * page cache across opens (keep_cache) as long as the server's change time
 * is the one the cache was filled at. When the server breaks the lease
 * (another client opens the file to write), the break callback, on the
 * library's loop thread, queues the inode; the invalidation thread drops it
 * from the kernel (fuse_lowlevel_notify_inval_inode, which may wait for
 * reads in flight on that inode, so never on the loop thread that serves
 * them) and only then lets the library acknowledge the break. The other
 * client's open completes after that, so the next read here returns its
 * bytes. Bounded: INVAL_QUEUE_MAX breaks wait at most (past it a break is
 * acknowledged at once and counted), and the library acknowledges by itself
 * after 5 s. */

static size_t fref_bucket(const dfsc_file *f) {
  return (size_t)(((uintptr_t)f >> 4) % LEASE_BUCKETS);
}

/* Under mu and lease_mu: queues an invalidation of ino for the
 * invalidation thread; 0, or -EAGAIN when the queue is full or stopping
 * (counted in lease_inval_dropped). */
static int inval_push(struct mnt *m, dfsc_ctx *ctx, uint64_t ino, uint64_t token,
                      int attr_only) {
  struct inval *q;
  if (!m->inval_started || m->inval_stop || m->iq_n >= INVAL_QUEUE_MAX) {
    m->lease_inval_dropped++;
    return -EAGAIN;
  }
  q = &m->iq[(m->iq_head + m->iq_n) % INVAL_QUEUE_MAX];
  q->ctx = ctx;
  q->ino = ino;
  q->token = token;
  q->attr_only = attr_only;
  m->iq_n++;
  pthread_cond_signal(&m->lease_cv);
  return 0;
}

/* Under mu: names f's inode for the break callback and counts its lease in
 * n (NULL when the node is gone); 0, or -ENOMEM (then the file's pages
 * must not be kept: no break would reach them). */
static int fref_add(struct mnt *m, dfsc_file *f, uint64_t ino, struct node *n) {
  struct fref *r = malloc(sizeof(*r));
  size_t b = fref_bucket(f);
  if (r == NULL)
    return -ENOMEM;
  r->f = f;
  r->ino = ino;
  r->counted = n != NULL;
  r->broken = 0;
  pthread_mutex_lock(&m->lease_mu);
  r->next = m->frefs[b];
  m->frefs[b] = r;
  if (n != NULL)
    n->nleased++;
  pthread_mutex_unlock(&m->lease_mu);
  return 0;
}

/* At release: the handle's lease ends with it. When it was the last lease
 * on a node whose attributes the kernel holds for lease_attr_timeout,
 * they are dropped from the kernel (nothing would tell of a change now). */
static void fref_del(struct mnt *m, dfsc_file *f) {
  struct fref **pp, *r = NULL;
  struct node *n;
  pthread_mutex_lock(&m->mu);
  pthread_mutex_lock(&m->lease_mu);
  for (pp = &m->frefs[fref_bucket(f)]; *pp != NULL; pp = &(*pp)->next)
    if ((*pp)->f == f) {
      r = *pp;
      *pp = r->next;
      break;
    }
  if (r != NULL && (n = find_ino(m, r->ino)) != NULL) {
    if (r->counted && !r->broken && n->nleased > 0)
      n->nleased--;
    if (n->nleased == 0 && n->attr_long && inval_push(m, NULL, n->ino, 0, 1) == 0)
      n->attr_long = 0;
  }
  pthread_mutex_unlock(&m->lease_mu);
  pthread_mutex_unlock(&m->mu);
  free(r);
}

/* The library's loop thread: only the loss of read caching matters (the
 * mount holds no written data back). Returns 1 when the acknowledgement
 * waits for the invalidation thread. */
static int lease_break_cb(void *arg, const dfsc_lease_break *b) {
  struct uctx *u = arg;
  struct mnt *m = u->m;
  struct fref *r;
  struct node *n = NULL;
  int queued = 0;
  if (!(b->old_state & DFSC_LEASE_READ) || (b->new_state & DFSC_LEASE_READ))
    return 0;
  pthread_mutex_lock(&m->mu);
  pthread_mutex_lock(&m->lease_mu);
  for (r = m->frefs[fref_bucket(b->file)]; r != NULL; r = r->next)
    if (r->f == b->file)
      break;
  if (r != NULL && (n = find_ino(m, r->ino)) != NULL) {
    if (r->counted && !r->broken && n->nleased > 0)
      n->nleased--;
    st_drop_locked(n); /* the next getattr asks the server */
  }
  if (r != NULL) {
    r->broken = 1;
    /* Pages and attributes both go (inval_main). */
    queued = inval_push(m, u->ctx, r->ino, b->ack_required ? b->token : 0, 0) == 0;
    if (queued && n != NULL && n->nleased == 0)
      n->attr_long = 0;
  }
  pthread_mutex_unlock(&m->lease_mu);
  pthread_mutex_unlock(&m->mu);
  return queued && b->ack_required;
}

static void *inval_main(void *arg) {
  struct mnt *m = arg;
  pthread_mutex_lock(&m->lease_mu);
  for (;;) {
    struct inval q;
    struct node *n;
    while (m->iq_n == 0 && !m->inval_stop)
      pthread_cond_wait(&m->lease_cv, &m->lease_mu);
    if (m->iq_n == 0)
      break;
    q = m->iq[m->iq_head];
    m->iq_head = (m->iq_head + 1) % INVAL_QUEUE_MAX;
    m->iq_n--;
    m->lease_invals++;
    pthread_mutex_unlock(&m->lease_mu);
    if (!q.attr_only) {
      pthread_mutex_lock(&m->mu);
      if ((n = find_ino(m, q.ino)) != NULL) {
        n->cache_ok = 0;
        n->dio_inval = 0; /* a write after this point queues another */
      }
      pthread_mutex_unlock(&m->mu);
    }
    /* A negative offset drops the attributes only; 0, 0 the pages too. */
    if (!__atomic_load_n(&m->inval_stop, __ATOMIC_ACQUIRE))
      (void)fuse_lowlevel_notify_inval_inode(m->se, (fuse_ino_t)q.ino, q.attr_only ? -1 : 0,
                                             0);
    if (q.token != 0)
      (void)dfsc_lease_break_done(q.ctx, q.token);
    pthread_mutex_lock(&m->lease_mu);
  }
  pthread_mutex_unlock(&m->lease_mu);
  return NULL;
}

static int inval_start(struct mnt *m) {
  m->iq = calloc(INVAL_QUEUE_MAX, sizeof(*m->iq));
  if (m->iq == NULL || pthread_create(&m->inval_thr, NULL, inval_main, m) != 0)
    return -ENOMEM;
  m->inval_started = 1;
  m->base.m = m;
  m->base.ctx = m->ctx;
  return dfsc_set_lease_break_cb(m->ctx, lease_break_cb, &m->base);
}

/* Before the context goes: no more breaks are taken; those queued are
 * acknowledged by the library (its bound) or die with the context. */
static void inval_stop(struct mnt *m) {
  size_t b;
  struct uctx *u;
  if (m->ctx != NULL)
    (void)dfsc_set_lease_break_cb(m->ctx, NULL, NULL);
  for (u = m->uctxs; u != NULL; u = u->next)
    if (u->ctx != NULL)
      (void)dfsc_set_lease_break_cb(u->ctx, NULL, NULL);
  if (m->inval_started) {
    pthread_mutex_lock(&m->lease_mu);
    __atomic_store_n(&m->inval_stop, 1, __ATOMIC_RELEASE);
    m->iq_n = 0;
    pthread_cond_signal(&m->lease_cv);
    pthread_mutex_unlock(&m->lease_mu);
    pthread_join(m->inval_thr, NULL);
    m->inval_started = 0;
  }
  for (b = 0; b < LEASE_BUCKETS; b++) {
    struct fref *r, *next;
    for (r = m->frefs[b]; r != NULL; r = next) {
      next = r->next;
      free(r);
    }
    m->frefs[b] = NULL;
  }
  free(m->iq);
  m->iq = NULL;
}

static void ctl_snapshot_cb(const dfsc_result *res, void *arg);
static void listing_submit(struct mnt *m, struct rq *r);

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  struct mnt *m = fuse_req_userdata(req);
  struct rq *r;
  int found, rc;
  enum nkind k = kind_of(m, ino, &found);

  ra_apply(m);
  if (!found) {
    fuse_reply_err(req, ESTALE);
    return;
  }
  if (k == N_ROOT || k == N_HOST || k == N_CTL) {
    fuse_reply_err(req, EISDIR);
    return;
  }
  if (m->o->ro && (fi->flags & O_ACCMODE) != O_RDONLY) {
    fuse_reply_err(req, EROFS);
    return;
  }
  if ((r = rq_new(m, req, ino)) == NULL)
    return;
  r->flags = fi->flags;
  if (k == N_CTL_STATS || k == N_CTL_CACHE || k == N_CTL_WHOAMI) {
    if (k != N_CTL_CACHE && (fi->flags & O_ACCMODE) != O_RDONLY) {
      fuse_reply_err(rq_out(r), EACCES);
      rq_free(r);
      return;
    }
    r->fh = calloc(1, sizeof(*r->fh));
    if (r->fh == NULL) {
      rq_fail(r, -ENOMEM);
      return;
    }
    r->fh->kind = FH_CTL;
    r->fh->ino = ino;
    r->fh->uid = r->uid;
    if (k == N_CTL_CACHE) {
      /* Its text (up to CTL_TEXT_MAX) is built before it is charged: it
       * counts as a listing in flight until then, and waits like one. */
      listing_submit(m, r);
      return;
    }
    rc = k == N_CTL_WHOAMI ? ctl_render_whoami(m, r->fh) : ctl_render_stats(m, r->fh);
    ctl_snapshot_cb(&(dfsc_result){.err = rc}, r);
    return;
  }
  if (rq_path(r, ino) < 0)
    return;
  if ((rc = rq_arm(r, open_cb)) == 0)
    rc = rq_armed(r,
                  dfsc_open_async(r->ctx, r->path,
                                  dfsc_flags(fi->flags & ~(O_CREAT | O_EXCL)), open_cb, r));
  if (rc < 0)
    rq_fail(r, rc);
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                      struct fuse_file_info *fi) {
  struct mnt *m = fuse_req_userdata(req);
  struct rq *r;
  int found, rc;
  enum nkind k = kind_of(m, parent, &found);

  (void)mode;
  if (!found) {
    fuse_reply_err(req, ESTALE);
    return;
  }
  if (k != N_SHARE && k != N_FS) {
    fuse_reply_err(req, EACCES);
    return;
  }
  if (m->o->ro) {
    fuse_reply_err(req, EROFS);
    return;
  }
  if ((r = named_rq(m, req, parent, name)) == NULL)
    return;
  r->flags = fi->flags;
  if ((rc = rq_arm(r, open_cb)) == 0)
    rc = rq_armed(r, dfsc_open_async(r->ctx, r->path, dfsc_flags(fi->flags) | DFSC_O_CREAT,
                                     open_cb, r));
  if (rc < 0)
    rq_fail(r, rc);
}

/* ---- spliced reads ----------------------------------------------------------
 *
 * A read of a file asks the library for its data in a pipe
 * (dfsc_read_pipe_async): a clear, unsigned answer is spliced from the
 * socket into it, and libfuse splices it on to /dev/fuse (fuse_reply_data
 * with the pipe as its buffer), so the bytes never pass through this
 * process; the kernel copies them once, into the page cache. Where the
 * library declines (signed or encrypted answers, several READs per read)
 * the handle reads into memory for a while (SPLICE_SKIP); a pipe read that
 * fails (a dropped connection is not resumed under it) is done again into
 * memory (read_mem), which is. Pipes must hold a whole read and libfuse's
 * reply: where they may not be a MiB (no CAP_SYS_RESOURCE) the kernel is
 * asked for no more than they hold (splice_probe, max_read); with -o
 * nosplice reads go through memory as before. */

/* The pipe a spliced read of n bytes needs: its data and a page (ours),
 * and libfuse's for the reply (the header and three pages more). */
static size_t spipe_size(size_t n, size_t page) { return n + 4 * page; }

/* A pipe for reads of up to max bytes; -1 when none can be made. */
static int spipe_make(int fd[2], size_t max, size_t page) {
  int want = (int)spipe_size(max, page);

  if (pipe2(fd, O_NONBLOCK | O_CLOEXEC) < 0)
    return -1;
  if (fcntl(fd[1], F_SETPIPE_SZ, want) < want) {
    int e = errno;
    close(fd[0]);
    close(fd[1]);
    errno = e; /* spipe_get tells a refused size from a lack of descriptors */
    return -1;
  }
  return 0;
}

/* The value of the last max_read= among the FUSE options (as libfuse
 * takes it; a comma escaped with a backslash is no separator), bounded by
 * what the kernel's field holds: 1 when there is one. */
static int user_max_read(const char *opts, size_t *out) {
  const char *p = opts;
  int found = 0;

  while (p != NULL && *p != '\0') {
    const char *e = p;
    while (*e != '\0' && *e != ',') {
      if (*e == '\\' && e[1] != '\0')
        e++;
      e++;
    }
    if (strncmp(p, "max_read=", 9) == 0 && p + 9 <= e) {
      unsigned long long v = strtoull(p + 9, NULL, 10);
      *out = v > UINT_MAX ? UINT_MAX : (size_t)v;
      found = 1;
    }
    p = *e == ',' ? e + 1 : e;
  }
  return found;
}

/* The largest read that can be spliced here: IO_MAX where pipes may be
 * that large (CAP_SYS_RESOURCE, or a raised /proc/sys/fs/pipe-max-size),
 * else what the pipe-max-size allows (the kernel is then told to ask for
 * no more: max_read); 0 when not even 64 KiB. */
static size_t splice_probe(size_t page) {
  unsigned long pmax = 0;
  FILE *f;
  size_t n;
  int fd[2];

  if (spipe_make(fd, IO_MAX, page) == 0) {
    close(fd[0]);
    close(fd[1]);
    return IO_MAX;
  }
  if ((f = fopen("/proc/sys/fs/pipe-max-size", "r")) != NULL) {
    if (fscanf(f, "%lu", &pmax) != 1)
      pmax = 0;
    fclose(f);
  }
  if (pmax < spipe_size(64u * 1024, page))
    return 0;
  n = ((size_t)pmax - spipe_size(0, page)) / page * page;
  if (n > IO_MAX)
    n = IO_MAX;
  if (spipe_make(fd, n, page) < 0)
    return 0;
  close(fd[0]);
  close(fd[1]);
  return n;
}

/* An empty pipe for a spliced read into fd; -1 when splicing is off or no
 * pipe is free and no more can be made (the read then goes through
 * memory). A pipe that cannot be made (the user's pipe pages used up)
 * caps the pool at those there are. */
static int spipe_get(struct mnt *m, int fd[2]) {
  pthread_mutex_lock(&m->iobuf_mu);
  if (__atomic_load_n(&m->splice_on, __ATOMIC_ACQUIRE) <= 0 ||
      (m->nspipes == 0 && m->spipes_made >= m->spipes_cap)) {
    pthread_mutex_unlock(&m->iobuf_mu);
    return -1;
  }
  if (m->nspipes > 0) {
    m->nspipes--;
    fd[0] = m->spipes[m->nspipes][0];
    fd[1] = m->spipes[m->nspipes][1];
    pthread_mutex_unlock(&m->iobuf_mu);
    return 0;
  }
  m->spipes_made++;
  pthread_mutex_unlock(&m->iobuf_mu);
  if (spipe_make(fd, m->splice_max, m->page) == 0)
    return 0;
  pthread_mutex_lock(&m->iobuf_mu);
  m->spipes_made--;
  /* Refused a pipe of this size (the user's pipe pages used up): no more
   * are asked for. Out of descriptors for a moment: tried again. */
  if (errno == EPERM) {
    if (m->spipes_cap > m->spipes_made)
      mlog(m, DFSC_LOG_INFO,
           "reads: no pipe of %zu bytes more (pipe-user-pages); %u kept for splicing",
           spipe_size(m->splice_max, m->page), m->spipes_made);
    m->spipes_cap = m->spipes_made;
  }
  pthread_mutex_unlock(&m->iobuf_mu);
  return -1;
}

/* A pipe back from a read: kept when empty, closed when anything is left
 * in it (a read that failed part way, a reply the kernel refused). */
static void spipe_put(struct mnt *m, int fd[2]) {
  int left = 1;

  if (ioctl(fd[0], FIONREAD, &left) == 0 && left == 0) {
    pthread_mutex_lock(&m->iobuf_mu);
    m->spipes[m->nspipes][0] = fd[0];
    m->spipes[m->nspipes][1] = fd[1];
    m->nspipes++;
    pthread_mutex_unlock(&m->iobuf_mu);
  } else {
    close(fd[0]);
    close(fd[1]);
    pthread_mutex_lock(&m->iobuf_mu);
    m->spipes_made--;
    pthread_mutex_unlock(&m->iobuf_mu);
  }
  fd[0] = fd[1] = -1;
}

static void read_cb(const dfsc_result *res, void *arg);

/* Reads r->len bytes at r->io_off of r->rf into memory; answers on failure. */
static void read_mem(struct rq *r) {
  int rc;

  if ((r->buf = iobuf_get(r->m, r->len, &r->buf_kept)) == NULL) {
    rq_fail(r, -ENOMEM);
    return;
  }
  if ((rc = rq_arm(r, read_cb)) == 0)
    rc = rq_armed(r, dfsc_read_async(r->rf, r->buf, r->len, r->io_off, read_cb, r));
  if (rc < 0) {
    fuse_reply_err(rq_out(r), dfsc__mount_errno(rc, 0, 1));
    rq_free(r);
  }
}

/* A failed pipe read worth doing again into memory: the library could not
 * splice it, the pipe failed, or the connection dropped (a read into
 * memory is resumed across it). Anything else is the read's answer. */
static int pipe_redo(int err) {
  switch (err) {
  case DFSC_E_UNSUPPORTED:
  case -EIO:
  case DFSC_E_CLOSED:
  case DFSC_E_LOOKUP:
  case -ECONNRESET:
  case -EPIPE:
  case -ETIMEDOUT:
  case -ECONNABORTED:
  case -ENOTCONN:
  case -ECONNREFUSED:
  case -EHOSTUNREACH:
  case -ENETUNREACH:
  case -EHOSTDOWN:
    return 1;
  default:
    return 0;
  }
}

static void read_pipe_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  struct mnt *m = r->m;

  if (res->err == 0) {
    if (res->nbytes == 0) {
      fuse_reply_buf(rq_out(r), NULL, 0);
    } else {
      struct fuse_bufvec bv = FUSE_BUFVEC_INIT(res->nbytes);
      bv.buf[0].flags = FUSE_BUF_IS_FD;
      bv.buf[0].fd = r->sp[0];
      fuse_reply_data(rq_out(r), &bv, 0);
      __atomic_add_fetch(&m->reads_spliced, 1, __ATOMIC_RELAXED);
    }
    spipe_put(m, r->sp);
    rq_free(r);
    return;
  }
  spipe_put(m, r->sp);
  if (!pipe_redo(res->err)) {
    fuse_reply_err(rq_out(r), res_errno(res, 1));
    rq_free(r);
    return;
  }
  if (res->err == DFSC_E_UNSUPPORTED) {
    /* Signed or encrypted answers, reads larger than one READ, or a
     * connection that stopped splicing: this handle's next SPLICE_SKIP
     * reads go into memory. */
    __atomic_store_n(&r->fh_rd->splice_skip, SPLICE_SKIP, __ATOMIC_RELAXED);
    __atomic_add_fetch(&m->splice_declined, 1, __ATOMIC_RELAXED);
  } else {
    __atomic_add_fetch(&m->splice_fallbacks, 1, __ATOMIC_RELAXED);
  }
  /* Done again into memory; an interrupted read stops in rq_arm. */
  read_mem(r);
}

static void read_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  int e = res_errno(res, 1);

  if (e != 0)
    fuse_reply_err(rq_out(r), e);
  else
    fuse_reply_buf(rq_out(r), r->buf, res->nbytes);
  rq_free(r);
}

/* The start of read and write: a request for a valid offset, or NULL once
 * answered. */
static struct rq *io_rq(struct mnt *m, fuse_req_t req, fuse_ino_t ino, off_t off) {
  if (off < 0) {
    fuse_reply_err(req, EINVAL);
    return NULL;
  }
  return rq_new(m, req, ino);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi) {
  struct mnt *m = fuse_req_userdata(req);
  struct fh *fh = (struct fh *)(uintptr_t)fi->fh;
  struct rq *r;
  int rc;

  if (off >= 0 && fh->kind == FH_CTL) {
    size_t o = (size_t)off < fh->len ? (size_t)off : fh->len;
    size_t n = size < fh->len - o ? size : fh->len - o;
    /* The reply goes out of a copy: once the kernel has taken the data
     * (inside the writev, before it returns) the reader may close, and the
     * RELEASE on another FUSE thread frees fh->text while this writev has
     * not yet returned; sanitizers see that as a read after free. */
    char *copy = malloc(n ? n : 1);
    if (copy == NULL) {
      fuse_reply_err(req, ENOMEM);
      return;
    }
    memcpy(copy, fh->text + o, n);
    fuse_reply_buf(req, copy, n);
    free(copy);
    return;
  }
  if (size > IO_MAX)
    size = IO_MAX;
  (void)wb_drain(m, ino, NULL); /* bytes written here, read back from the server */
  if ((r = io_rq(m, req, ino, off)) == NULL)
    return;
  r->rf = fh->f;
  r->fh_rd = fh;
  r->len = size;
  r->io_off = (uint64_t)off;
  /* libfuse sends less than two pages from memory anyway. */
  if (size < 2 * m->page || size > m->splice_max ||
      (__atomic_load_n(&fh->splice_skip, __ATOMIC_RELAXED) > 0 &&
       __atomic_sub_fetch(&fh->splice_skip, 1, __ATOMIC_RELAXED) >= 0) ||
      spipe_get(m, r->sp) < 0) {
    read_mem(r);
    return;
  }
  if ((rc = rq_arm(r, read_pipe_cb)) == 0)
    rc = rq_armed(r,
                  dfsc_read_pipe_async(fh->f, r->sp, size, (uint64_t)off, read_pipe_cb, r));
  if (rc < 0) {
    spipe_put(m, r->sp);
    if (rc == -EINTR) {
      fuse_reply_err(rq_out(r), EINTR);
      rq_free(r);
    } else {
      __atomic_add_fetch(&m->splice_fallbacks, 1, __ATOMIC_RELAXED);
      read_mem(r);
    }
  }
}

/* Under mu: a write of r's to node n ended (e: its errno). */
static void write_done_locked(struct mnt *m, struct node *n, const struct rq *r, int e,
                              uint64_t nbytes) {
  /* Times set while open and not yet sent are older than a write issued
   * after them, whose own write time stands (POSIX): dropped. */
  if (r->wr_seq > n->re_seq) {
    n->re_times = 0;
    n->re_local = 0;
  }
  if (r->dio) {
    n->cache_ok = 0; /* a handle opened since may have filled pages: not kept */
    if (n->nopen > 1 && !n->dio_inval) {
      /* Written past the page cache while another handle is open here
       * (dio_choose): its pages of the file are dropped, by the
       * invalidation thread (it may wait for reads in flight, which this
       * loop thread serves). One queued at a time covers every write
       * before it is taken; a full queue is counted in
       * lease_inval_dropped. */
      pthread_mutex_lock(&m->lease_mu);
      n->dio_inval = inval_push(m, NULL, n->ino, 0, 0) == 0;
      pthread_mutex_unlock(&m->lease_mu);
    }
  }
  if (e == 0 && n->have_st && st_fresh(m, n)) {
    /* The size is known (the server took these bytes) and the times
     * moved by about now: kept without asking, as the kernel's own copy
     * would be (cifs.ko likewise sets them locally). */
    uint64_t end = r->io_off + nbytes;
    if (end > n->st.size)
      n->st.size = end;
    n->st.write_time = n->st.change_time = time_arg(NULL, 1);
    n->st_local = 1;
    if (n->re_local) {
      /* Times set after this write was issued (answered early) stand. */
      if (n->re_atime != 0)
        n->st.access_time = n->re_atime;
      if (n->re_mtime != 0)
        n->st.write_time = n->re_mtime;
    }
  } else {
    st_drop_locked(n);
  }
}

/* ---- write-behind ----------------------------------------------------------
 *
 * A write to a handle open for writing (without O_SYNC or O_DSYNC, and not
 * -o nowritebehind) that holds a write-caching lease ([MS-SMB2] 2.2.13.2.8:
 * no other client has the file open, so none holds a byte-range lock that
 * would refuse it) and through which this mount holds no lock either, is
 * answered as soon as the library has it, with up to WB_MAX bytes in
 * flight per handle (past it, or without the lease, a write waits for the
 * server as before), so a writer's next write and tar's next file do not
 * wait for the server's answer: NFS and cifs.ko answer writes from their
 * caches likewise. What must see those bytes waits for them first (wb_drain): a
 * read, a flush (close(2)), fsync, release, setattr and locks of the file.
 * A write the server refuses is reported by the handle's next write, its
 * fsync or its close, as theirs are; the size shown is never below what
 * was written here (node wb_end). The wait runs on the FUSE thread, for
 * callbacks of the library's loop, which needs no FUSE thread (P1). */

/* Bytes in flight per handle: 32 MiB lets a 1 MiB writer run ahead of a
 * server that takes a few ms per MiB (dd of 1 GiB on the testbed: 1.5-2.2 s
 * with 8 MiB, 0.8-1.1 s with 32); at most WB_WRITES writes (each write
 * scans those of its file for an overlap) and WB_TOTAL bytes for the whole
 * mount, past which a write waits for the server as before. */
#define WB_MAX (32u << 20)
#define WB_WRITES 64u
#define WB_TOTAL (256u << 20)

static void wb_write_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  struct mnt *m = r->m;
  struct fh *fh = r->wb_fh;
  int e = res_errno(res, 1);
  struct node *n;

  if (e == 0 && res->nbytes != r->len)
    e = EIO; /* the writer was told all of it went */
  pthread_mutex_lock(&m->mu);
  fh->wb_bytes -= r->len;
  fh->wb_count--;
  m->wb_total -= r->len;
  if (e != 0) {
    m->writes_behind_err++;
    if (fh->wb_err == 0)
      fh->wb_err = e;
  }
  if ((n = find_ino(m, r->ino)) != NULL) {
    if (r->wb_prev != NULL)
      r->wb_prev->wb_next = r->wb_next;
    else if (n->wb_head == r)
      n->wb_head = r->wb_next;
    if (r->wb_next != NULL)
      r->wb_next->wb_prev = r->wb_prev;
    write_done_locked(m, n, r, e, res->nbytes);
    if (n->wb_pending > 0 && --n->wb_pending == 0)
      pthread_cond_broadcast(&m->wb_cv);
  }
  pthread_mutex_unlock(&m->mu);
  if (e != 0) {
    char buf[PATH_MAX + 256];
    mlog(m, DFSC_LOG_WARN,
         "a write answered early failed (%s): reported by the next write, "
         "fsync or close of the handle",
         dfsc_result_str(res, buf, sizeof(buf)));
  }
  rq_free(r);
}

/* op_write's choice for r (its bytes copied to r->buf): 1 sent and
 * answered now; 0 to be sent and answered as before; -1 answered with the
 * handle's error from an earlier write (which it clears). */
static int wb_write(struct mnt *m, struct rq *r, struct fh *fh, size_t size) {
  struct node *n;
  struct rq *x;
  int e = 0, go = 0, overlap = 0, rc;

  pthread_mutex_lock(&m->mu);
  n = find_ino(m, r->ino);
  /* The server may carry out writes in flight in any order (Samba's are
   * asynchronous): one overlapping a write in flight waits for it, and
   * goes as before. */
  for (x = n != NULL ? n->wb_head : NULL; x != NULL && !overlap; x = x->wb_next)
    overlap = r->io_off < x->io_off + x->len && x->io_off < r->io_off + size;
  if (fh->wb_err != 0) {
    e = fh->wb_err;
    fh->wb_err = 0;
  } else if (!overlap && fh->wb_ok && fh->wb_bytes + size <= WB_MAX &&
             fh->wb_count < WB_WRITES && m->wb_total + size <= WB_TOTAL &&
             (dfsc_file_lease(fh->f) & DFSC_LEASE_WRITE) && n != NULL && n->nlocks == 0) {
    r->wb_prev = NULL;
    r->wb_next = n->wb_head;
    if (n->wb_head != NULL)
      n->wb_head->wb_prev = r;
    n->wb_head = r;
    n->wb_pending++;
    m->writes_behind++;
    if (r->io_off + size > n->wb_end)
      n->wb_end = r->io_off + size;
    if (n->have_st && n->wb_end > n->st.size)
      n->st.size = n->wb_end;
    fh->wb_bytes += size;
    fh->wb_count++;
    m->wb_total += size;
    go = 1;
  }
  pthread_mutex_unlock(&m->mu);
  if (e != 0) {
    fuse_reply_err(rq_out(r), e);
    rq_free(r);
    return -1;
  }
  if (overlap)
    (void)wb_drain(m, r->ino, NULL);
  if (!go)
    return 0;
  r->wb_fh = fh;
  fuse_reply_write(rq_out(r), size); /* r lives on for the answer */
  rc = dfsc_write_async(fh->f, r->buf, size, r->io_off, wb_write_cb, r);
  if (rc < 0) {
    dfsc_result res;
    memset(&res, 0, sizeof(res));
    res.err = rc;
    wb_write_cb(&res, r);
  }
  return 1;
}

/* Waits until no write-behind write of node ino is in flight: 0, or
 * EINTR once the kernel interrupted req (NULL: not interruptible). Each
 * write ends within the library's deadlines. FUSE threads only (never a
 * library callback). */
static int wb_drain(struct mnt *m, uint64_t ino, fuse_req_t req) {
  struct node *n;
  struct timespec until;
  int e = 0;

  pthread_mutex_lock(&m->mu);
  while ((n = find_ino(m, ino)) != NULL && n->wb_pending > 0) {
    if (req != NULL && fuse_req_interrupted(req)) {
      e = EINTR;
      break;
    }
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 100000000; /* 100 ms: a look at the interrupt */
    if (until.tv_nsec >= 1000000000) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000;
    }
    (void)pthread_cond_timedwait(&m->wb_cv, &m->mu, &until);
  }
  pthread_mutex_unlock(&m->mu);
  return e;
}

/* The handle's error from a write answered early, taken (0: none). */
static int wb_take_err(struct mnt *m, struct fh *fh) {
  int e;
  pthread_mutex_lock(&m->mu);
  e = fh->wb_err;
  fh->wb_err = 0;
  pthread_mutex_unlock(&m->mu);
  return e;
}

static void write_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  int e = res_errno(res, 1);
  struct node *n;

  pthread_mutex_lock(&r->m->mu);
  if ((n = find_ino(r->m, r->ino)) != NULL)
    write_done_locked(r->m, n, r, e, res->nbytes);
  pthread_mutex_unlock(&r->m->mu);
  if (e != 0)
    fuse_reply_err(rq_out(r), e);
  else
    fuse_reply_write(rq_out(r), res->nbytes);
  rq_free(r);
}

static void ctl_flush_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  int e = res_errno(res, 0);

  if (e != 0)
    fuse_reply_err(rq_out(r), e);
  else
    fuse_reply_write(rq_out(r), r->len);
  rq_free(r);
}

/* copy_file_range(2) between two files of the mount: the server copies
 * (dfsc_copy_range) when both are on one server and session. Otherwise,
 * or when the server has no server-side copy, EXDEV: the kernel (or the
 * program, as cp does) copies through read and write. The destination's
 * attributes are asked again; the kernel drops its cached pages of the
 * range itself. */
static void copy_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  int e = res_errno(res, 1);
  struct node *n;

  if (res->err == -EXDEV || (res->err == DFSC_E_NTSTATUS && (res->ntstatus == 0xC00000BBu ||
                                                             res->ntstatus == 0xC0000010u)))
    e = EXDEV; /* STATUS_NOT_SUPPORTED, STATUS_INVALID_DEVICE_REQUEST */
  pthread_mutex_lock(&r->m->mu);
  if ((n = find_ino(r->m, r->ino)) != NULL) {
    n->wrote = 1;
    n->cache_ok = 0;
    st_drop_locked(n);
  }
  if (e == 0)
    r->m->copies_server_bytes += res->nbytes;
  pthread_mutex_unlock(&r->m->mu);
  if (e != 0)
    fuse_reply_err(rq_out(r), e);
  else
    fuse_reply_write(rq_out(r), res->nbytes);
  rq_free(r);
}

static void op_copy_file_range(fuse_req_t req, fuse_ino_t ino_in, off_t off_in,
                               struct fuse_file_info *fi_in, fuse_ino_t ino_out,
                               off_t off_out, struct fuse_file_info *fi_out, size_t len,
                               int flags) {
  struct mnt *m = fuse_req_userdata(req);
  struct fh *in = (struct fh *)(uintptr_t)fi_in->fh;
  struct fh *out = (struct fh *)(uintptr_t)fi_out->fh;
  struct rq *r;
  int rc;

  if (flags != 0 || off_in < 0 || off_out < 0) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  if (in->kind != FH_FILE || out->kind != FH_FILE || in->f == NULL || out->f == NULL) {
    fuse_reply_err(req, EXDEV);
    return;
  }
  /* Writes answered early must be on the server before it copies them,
   * or over them. */
  if ((rc = wb_drain(m, ino_in, req)) != 0 || (rc = wb_drain(m, ino_out, req)) != 0) {
    fuse_reply_err(req, rc);
    return;
  }
  if ((r = rq_new(m, req, ino_out)) == NULL)
    return;
  if ((rc = rq_arm(r, copy_cb)) == 0)
    rc = rq_armed(r, dfsc_copy_range_async(in->f, (uint64_t)off_in, out->f,
                                           (uint64_t)off_out, len, copy_cb, r));
  if (rc < 0) {
    fuse_reply_err(rq_out(r), rc == -EXDEV ? EXDEV : dfsc__mount_errno(rc, 0, 1));
    rq_free(r);
  }
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
                     off_t off, struct fuse_file_info *fi) {
  struct mnt *m = fuse_req_userdata(req);
  struct fh *fh = (struct fh *)(uintptr_t)fi->fh;
  struct rq *r;
  int rc;

  if ((r = io_rq(m, req, ino, off)) == NULL)
    return;
  r->len = size;
  r->io_off = (uint64_t)off;
  if (fh->kind == FH_CTL) {
    /* "flush" (with any surrounding white space) empties both caches. */
    size_t a = 0, b = size;
    while (a < b && (buf[a] == ' ' || buf[a] == '\t' || buf[a] == '\n' || buf[a] == '\r'))
      a++;
    while (b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\t' || buf[b - 1] == '\n' ||
                     buf[b - 1] == '\r'))
      b--;
    if (b - a != 5 || memcmp(buf + a, "flush", 5) != 0) {
      fuse_reply_err(rq_out(r), EINVAL);
      rq_free(r);
      return;
    }
    rc = dfsc_cache_flush_async(r->ctx, ctl_flush_cb, r);
    if (rc < 0)
      rq_fail(r, rc);
    return;
  }
  if ((r->buf = iobuf_get(m, size, &r->buf_kept)) == NULL) {
    rq_fail(r, -ENOMEM);
    return;
  }
  memcpy(r->buf, buf, size);
  r->dio = fh->direct;
  {
    struct node *n;
    pthread_mutex_lock(&m->mu);
    if ((n = find_ino(m, ino)) != NULL) {
      r->wr_seq = ++n->wr_seq;
      n->wrote = 1;
      if (r->dio)
        n->cache_ok = 0; /* and again once the server has it */
    }
    pthread_mutex_unlock(&m->mu);
  }
  switch (wb_write(m, r, fh, size)) {
  case 1:
    return; /* answered; the server has it later */
  case 0:
    break; /* answered once the server has it */
  default:
    return; /* answered with the handle's earlier error */
  }
  if ((rc = rq_arm(r, write_cb)) == 0)
    rc = rq_armed(r, dfsc_write_async(fh->f, r->buf, size, (uint64_t)off, write_cb, r));
  if (rc < 0) {
    fuse_reply_err(rq_out(r), dfsc__mount_errno(rc, 0, 1));
    rq_free(r);
  }
}

/* fsync(2) reports lost writes as EIO, like a read or write. */
static void fsync_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;

  fuse_reply_err(rq_out(r), res_errno(res, 1));
  rq_free(r);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
                     struct fuse_file_info *fi) {
  struct mnt *m = fuse_req_userdata(req);
  struct fh *fh = (struct fh *)(uintptr_t)fi->fh;
  struct rq *r;
  int rc;

  (void)datasync;
  if (fh->kind != FH_FILE) {
    fuse_reply_err(req, 0);
    return;
  }
  if ((rc = wb_drain(m, ino, req)) != 0 || (rc = wb_take_err(m, fh)) != 0) {
    fuse_reply_err(req, rc);
    return;
  }
  if ((r = rq_new(m, req, ino)) == NULL)
    return;
  if ((rc = rq_arm(r, fsync_cb)) == 0)
    rc = rq_armed(r, dfsc_flush_async(fh->f, fsync_cb, r));
  if (rc < 0)
    rq_fail(r, rc);
}

/* Frees fh and gives back what it holds in the budget, without starting
 * the listings that may now fit (fh_free does). */
static void fh_drop(struct mnt *m, struct fh *fh) {
  size_t i;

  if (fh->counted || fh->charged != 0 || fh->inflight) {
    pthread_mutex_lock(&m->mu);
    budget_release_locked(m, fh, 0, 1);
    pthread_mutex_unlock(&m->mu);
  }
  for (i = 0; i < fh->n; i++)
    free(fh->ents[i].name);
  free(fh->ents);
  free(fh->text);
  free(fh);
}

static void ready_run(struct mnt *m);

static void fh_free(struct mnt *m, struct fh *fh) {
  fh_drop(m, fh);
  ready_run(m);
}

static void release_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;

  (void)res;
  invalidate(r->m, r->ino);
  /* Before release_node: times set meanwhile (re_times again) are then
   * still the node's, and the drop skips them; release_node sends them. */
  if (r->changed)
    times_sent(r->m, r->ino); /* set through the handle (release_times_cb) */
  release_node(r->m, r->ino);
  fuse_reply_err(rq_out(r), 0);
  rq_free(r);
}

/* The times set while the file was open went through its last handle,
 * just before that handle's CLOSE: the server keeps a write time its
 * handle set through later writes and the close ([MS-FSA] 2.1.5.15.2
 * sets UserSetModificationTime, and 2.1.4.17 then leaves the time alone;
 * Samba does so too, checked on its disk). Failed, they go by path after
 * the close, as before (release_node). */
static void release_times_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  struct mnt *m = r->m;
  struct node *n;

  if (res->err == 0) {
    r->changed = 1;
    pthread_mutex_lock(&m->mu);
    m->times_at_close++;
    pthread_mutex_unlock(&m->mu);
  } else {
    pthread_mutex_lock(&m->mu);
    if ((n = find_ino(m, r->ino)) != NULL) {
      /* Times set meanwhile win; what they left out is still ours. */
      if (!n->re_times)
        n->re_atime = n->re_mtime = 0;
      n->re_times = 1; /* re_ctx kept its value */
      if (n->re_atime == 0)
        n->re_atime = r->atime;
      if (n->re_mtime == 0)
        n->re_mtime = r->mtime;
    }
    pthread_mutex_unlock(&m->mu);
  }
  if (dfsc_close_async(r->f, release_cb, r) < 0) {
    if (r->changed)
      times_sent(m, r->ino);
    release_node(m, r->ino);
    fuse_reply_err(rq_out(r), 0);
    rq_free(r);
  }
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  struct mnt *m = fuse_req_userdata(req);
  struct fh *fh = (struct fh *)(uintptr_t)fi->fh;
  struct rq *r;
  dfsc_file *f = fh->f;
  int rc, writable = fh->kind == FH_FILE && fh->writable;
  dfsc_ctx *fctx = fh->ctx;
  struct node *n;

  if (fh->kind == FH_FILE) {
    /* Its writes answered early end first: they need the handle. An
     * error none reported (no flush came) is logged by their callback. */
    (void)wb_drain(m, ino, NULL);
    /* Its CLOSE releases every lock held through it on the server. */
    pthread_mutex_lock(&m->mu);
    if ((n = find_ino(m, ino)) != NULL)
      (void)dfsc__brl_drop_fh(&n->locks, &n->nlocks, (uintptr_t)fh);
    pthread_mutex_unlock(&m->mu);
  }
  fh_free(m, fh);
  if (f == NULL) {
    fuse_reply_err(req, 0);
    return;
  }
  fref_del(m, f);
  /* Answered once the server has closed it, so that the next open by
   * another program does not meet this one's handle. */
  if ((r = rq_new(m, req, ino)) == NULL) {
    close_quietly(f);
    release_node(m, ino);
    return;
  }
  /* The last handle of a file whose times were set while it was open
   * (op_setattr): open for writing by the same identity, it sets them
   * itself before its CLOSE, in place of an open, set, stat and close by
   * path after it -- two server operations per file instead of five for
   * an untar's futimens. */
  r->f = NULL;
  pthread_mutex_lock(&m->mu);
  if (writable && (n = find_ino(m, ino)) != NULL && n->nopen == 1 && n->re_times &&
      !n->silly && n->re_ctx == fctx && (n->re_atime != 0 || n->re_mtime != 0)) {
    n->re_times = 0;
    r->atime = n->re_atime;
    r->mtime = n->re_mtime;
    r->f = f;
    if (!n->re_local)
      n->have_st = 0; /* the times change once more */
  }
  pthread_mutex_unlock(&m->mu);
  if (r->f != NULL) {
    if (dfsc_set_times_async(f, r->atime, r->mtime, release_times_cb, r) == 0)
      return;
    release_times_cb(&(dfsc_result){.err = -EIO}, r);
    return;
  }
  rc = dfsc_close_async(f, release_cb, r);
  if (rc < 0) {
    release_node(m, ino);
    fuse_reply_err(rq_out(r), 0);
    rq_free(r);
  }
}

/* ---- locks ---------------------------------------------------------------- */

/* fcntl(2) record locks and flock(2) through SMB2 LOCK (brl.h says how a
 * POSIX request becomes SMB steps). The requests on one file go one at a
 * time, in order, each answered once its steps are done; a lock that
 * waits (F_SETLKW, flock without LOCK_NB) is asked again by the library
 * until granted, interrupted (EINTR) or past the operation deadline
 * (ENOLCK), so no FUSE thread waits. */

#define LK_QUEUE_MAX 256 /* lock requests waiting on one file */

enum { LK_SET, LK_GET, LK_CLOSE };
enum { LKP_UNLOCK_OLD, LKP_WANT, LKP_REM, LKP_BACK, LKP_DONE, LKG_PROBE, LKG_UNPROBE };

static void lk_begin(struct rq *r);
static void lk_next(struct rq *r);

static dfsc_file *lk_file(const struct rq *r) { return ((struct fh *)r->lreq.fh)->f; }

/* r is done with errno err (0: done): the table takes what its steps did,
 * r is answered, and the next request waiting on the file starts. */
static void lk_finish(struct rq *r, int err) {
  struct mnt *m = r->m;
  struct node *n;
  struct rq *next = NULL;
  int lost = 0;

  pthread_mutex_lock(&m->mu);
  if ((n = find_ino(m, r->ino)) != NULL) {
    if (r->plan != NULL && dfsc__brl_apply(&n->locks, &n->nlocks, r->plan, r->lk_want_ok,
                                           r->lk_rem_ok, r->lk_back) < 0)
      lost = 1;
    if ((next = n->lk_head) != NULL) {
      n->lk_head = next->lknext;
      if (n->lk_head == NULL)
        n->lk_tail = NULL;
      n->lk_nq--;
    } else {
      n->lk_busy = 0;
    }
  }
  pthread_mutex_unlock(&m->mu);
  if (lost)
    mlog(m, DFSC_LOG_WARN, "%s: out of memory: a lock held on the server is not tracked",
         r->path ? r->path : "lock");
  if (r->lk_op == LK_GET && err == 0)
    fuse_reply_lock(rq_out(r), &r->lk_out);
  else
    fuse_reply_err(rq_out(r), err);
  rq_free(r);
  if (next != NULL)
    lk_begin(next);
}

/* The errno of a lock step that failed. */
static int lk_errno(const dfsc_result *res) {
  int e = res_errno(res, 0);
  /* Waited until the operation's deadline: fcntl(2) has no ETIMEDOUT. */
  return e == ETIMEDOUT ? ENOLCK : e;
}

static void lk_step_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  int e = res->err == 0 ? 0 : lk_errno(res);

  switch (r->lk_phase) {
  case LKP_UNLOCK_OLD:
    if (e != 0)
      mlog(r->m, DFSC_LOG_DEBUG, "%s: unlock: %s", r->path, strerror(e));
    break;
  case LKP_WANT:
    if (e == 0)
      r->lk_want_ok = 1;
    else
      r->lk_err = e;
    break;
  case LKP_REM:
    if (e == 0)
      r->lk_rem_ok |= 1u << r->lk_i;
    else
      mlog(r->m, DFSC_LOG_WARN, "%s: part of a lock could not be kept: %s", r->path,
           strerror(e));
    break;
  case LKP_BACK:
    if (e == 0)
      r->lk_back |= (uint64_t)1 << r->lk_i;
    else
      mlog(r->m, DFSC_LOG_WARN,
           "%s: a lock given up for a change could not be taken back: %s", r->path,
           strerror(e));
    break;
  case LKG_PROBE:
    /* F_GETLK: the range could be locked (no conflict: unlock it again),
     * or another holder has it. lk_want_ok marks the second probe. */
    if (e == 0) {
      r->lk_phase = LKG_UNPROBE;
      lk_next(r);
      return;
    }
    if (e != EAGAIN) {
      lk_finish(r, e);
      return;
    }
    if (r->lreq.type == 2 && !r->lk_want_ok) {
      /* An exclusive probe refused: a shared one tells a reader from a
       * writer holding it. */
      r->lk_want_ok = 1;
      r->lreq.type = 1;
      lk_next(r);
      return;
    }
    r->lk_out.l_type = F_WRLCK;
    lk_finish(r, 0);
    return;
  case LKG_UNPROBE:
    /* The probe was granted: nobody holds the range, or (the second,
     * shared probe) readers do. */
    r->lk_out.l_type = r->lk_want_ok ? F_RDLCK : F_UNLCK;
    lk_finish(r, 0);
    return;
  default:
    break;
  }
  r->lk_i++;
  lk_next(r);
}

/* Starts r's next step, or ends r. */
static void lk_next(struct rq *r) {
  struct dfsc__brl_plan *p = r->plan;

  for (;;) {
    const struct dfsc__brl *e = NULL;
    uint64_t start = 0, end = 0;
    int flags = 0, rc;

    if (r->lk_phase == LKG_PROBE || r->lk_phase == LKG_UNPROBE) {
      start = r->lreq.start;
      end = r->lreq.end;
      flags = r->lk_phase == LKG_UNPROBE ? DFSC_LOCK_UNLOCK
              : r->lreq.type == 2        ? DFSC_LOCK_EXCLUSIVE
                                         : DFSC_LOCK_SHARED;
    } else {
      switch (r->lk_phase) {
      case LKP_UNLOCK_OLD:
        if (r->lk_i < p->nold)
          e = &p->old[r->lk_i];
        break;
      case LKP_WANT:
        if (p->has_want && r->lk_i == 0)
          e = &p->want;
        break;
      case LKP_REM:
        if (r->lk_i < p->nrem)
          e = &p->rem[r->lk_i];
        break;
      case LKP_BACK:
        if (r->lk_i < p->nold)
          e = &p->old[r->lk_i];
        break;
      default:
        lk_finish(r, r->lk_err);
        return;
      }
      if (e == NULL) {
        /* This phase is over: the next. */
        r->lk_i = 0;
        if (r->lk_phase == LKP_UNLOCK_OLD)
          r->lk_phase = LKP_WANT;
        else if (r->lk_phase == LKP_WANT)
          r->lk_phase = (!p->has_want || r->lk_want_ok) ? LKP_REM : LKP_BACK;
        else
          r->lk_phase = LKP_DONE;
        continue;
      }
      start = e->start;
      end = e->end;
      flags = r->lk_phase == LKP_UNLOCK_OLD ? DFSC_LOCK_UNLOCK
              : e->excl                     ? DFSC_LOCK_EXCLUSIVE
                                            : DFSC_LOCK_SHARED;
    }
    if (r->lk_phase == LKP_WANT) {
      /* The one step that may wait, and the one an interrupt stops. */
      if (r->lk_sleep)
        flags |= DFSC_LOCK_WAIT;
      if ((rc = rq_arm(r, lk_step_cb)) == 0)
        rc = rq_armed(
            r, dfsc_lock_async(lk_file(r), start, end - start + 1, flags, lk_step_cb, r));
    } else {
      rq_disarm(r);
      rc = dfsc_lock_async(lk_file(r), start, end - start + 1, flags, lk_step_cb, r);
    }
    if (rc == 0)
      return;
    /* Not started: as a step that failed at once. */
    {
      dfsc_result res;
      memset(&res, 0, sizeof(res));
      res.err = rc;
      lk_step_cb(&res, r);
      return;
    }
  }
}

/* r's turn on its file: the local answer (a conflict with another owner
 * of this mount, nothing to do), or the plan's first step. */
static void lk_begin(struct rq *r) {
  struct mnt *m = r->m;
  struct node *n;
  struct dfsc__brl_plan *p = NULL;
  const struct dfsc__brl *c;
  int err = 0, done = 0, rc;

  if (r->lk_op != LK_GET && (p = malloc(sizeof(*p))) == NULL) {
    lk_finish(r, ENOLCK);
    return;
  }
  pthread_mutex_lock(&m->mu);
  if ((n = find_ino(m, r->ino)) == NULL) {
    err = ESTALE;
  } else if (r->lk_op == LK_GET) {
    if ((c = dfsc__brl_conflict(n->locks, &r->lreq)) != NULL) {
      r->lk_out.l_type = c->excl ? F_WRLCK : F_RDLCK;
      r->lk_out.l_whence = SEEK_SET;
      r->lk_out.l_start = (off_t)c->start;
      r->lk_out.l_len = c->end == DFSC_BRL_EOF ? 0 : (off_t)(c->end - c->start + 1);
      r->lk_out.l_pid = (pid_t)c->pid;
      done = 1;
    } else {
      const struct dfsc__brl *e;
      /* The owner's own locks through this handle would refuse the probe:
       * there, only other owners of this mount are known. */
      for (e = n->locks; e != NULL && !done; e = e->next)
        if (e->owner == r->lreq.owner && e->fh == r->lreq.fh && e->start <= r->lreq.end &&
            r->lreq.start <= e->end)
          done = 1;
      if (done)
        r->lk_out.l_type = F_UNLCK;
    }
  } else {
    c = dfsc__brl_conflict(n->locks, &r->lreq);
    /* A holder on another handle: the server refuses (and the library
     * waits). On the same handle (a process that shares the open file
     * with another) the server would grant it: answered here. */
    if (c != NULL && (!r->lk_sleep || c->fh == r->lreq.fh))
      err = r->lk_sleep ? EDEADLK : EAGAIN;
    else if ((rc = dfsc__brl_plan(n->locks, n->nlocks, &r->lreq, p)) < 0)
      err = -rc;
    else if (p->noop)
      done = 1;
  }
  pthread_mutex_unlock(&m->mu);
  if (err != 0 || done) {
    free(p);
    lk_finish(r, err);
    return;
  }
  if (r->lk_op == LK_GET) {
    r->lk_phase = LKG_PROBE;
    r->lk_out.l_whence = SEEK_SET;
    r->lk_out.l_start = (off_t)r->lreq.start;
    r->lk_out.l_len =
        r->lreq.end == DFSC_BRL_EOF ? 0 : (off_t)(r->lreq.end - r->lreq.start + 1);
    r->lk_out.l_pid = 0; /* a holder elsewhere: its pid is not known */
  } else {
    r->plan = p;
    r->lk_phase = LKP_UNLOCK_OLD;
  }
  r->lk_i = 0;
  lk_next(r);
}

/* Queues r behind the lock requests on its file, or starts it. */
static void lk_enqueue(struct rq *r) {
  struct mnt *m = r->m;
  struct node *n;
  int go = 0, err = 0;

  pthread_mutex_lock(&m->mu);
  if ((n = find_ino(m, r->ino)) == NULL) {
    err = ESTALE;
  } else if (!n->lk_busy) {
    n->lk_busy = 1;
    go = 1;
  } else if (n->lk_nq >= LK_QUEUE_MAX) {
    err = ENOLCK;
  } else {
    r->lknext = NULL;
    if (n->lk_tail != NULL)
      n->lk_tail->lknext = r;
    else
      n->lk_head = r;
    n->lk_tail = r;
    n->lk_nq++;
  }
  pthread_mutex_unlock(&m->mu);
  if (err != 0) {
    fuse_reply_err(rq_out(r), err);
    rq_free(r);
  } else if (go) {
    lk_begin(r);
  }
}

/* A lock request on the open file fi: type 0 unlock, 1 shared, 2
 * exclusive, over [start, end]. */
static void lk_request(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op,
                       int type, uint64_t start, uint64_t end, int sleep, int flock,
                       uint32_t pid) {
  struct mnt *m = fuse_req_userdata(req);
  struct fh *fh = (struct fh *)(uintptr_t)fi->fh;
  struct rq *r;

  (void)wb_drain(m, ino, NULL); /* the file's bytes reach the server before a lock */

  if (fh == NULL || fh->kind != FH_FILE || fh->f == NULL) {
    fuse_reply_err(req, ENOLCK); /* directories and control files: no SMB handle */
    return;
  }
  if (end > DFSC_BRL_EOF)
    end = DFSC_BRL_EOF;
  if (start > end) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  if ((r = rq_new(m, req, ino)) == NULL)
    return;
  r->lk_op = op;
  r->lk_sleep = sleep;
  r->lreq.owner = fi->lock_owner;
  r->lreq.fh = (uintptr_t)fh;
  r->lreq.start = start;
  r->lreq.end = end;
  r->lreq.type = type;
  r->lreq.flock = flock;
  r->lreq.pid = pid;
  r->path = strdup(dfsc_file_path(fh->f));
  lk_enqueue(r);
}

static int lk_type(short l_type) {
  return l_type == F_UNLCK ? 0 : l_type == F_RDLCK ? 1 : l_type == F_WRLCK ? 2 : -1;
}

/* libfuse gives l_start and l_len (0: to the end) of the kernel's range. */
static uint64_t lk_end(const struct flock *lock) {
  if (lock->l_len <= 0 || (uint64_t)lock->l_start > DFSC_BRL_EOF - (uint64_t)lock->l_len)
    return DFSC_BRL_EOF;
  return (uint64_t)lock->l_start + (uint64_t)lock->l_len - 1;
}

static void op_getlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
                     struct flock *lock) {
  int type = lk_type(lock->l_type);

  if (type <= 0 || lock->l_start < 0) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  lk_request(req, ino, fi, LK_GET, type, (uint64_t)lock->l_start, lk_end(lock), 0, 0,
             (uint32_t)lock->l_pid);
}

static void op_setlk(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
                     struct flock *lock, int sleep) {
  int type = lk_type(lock->l_type);

  if (type < 0 || lock->l_start < 0) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  lk_request(req, ino, fi, LK_SET, type, (uint64_t)lock->l_start, lk_end(lock), sleep, 0,
             (uint32_t)lock->l_pid);
}

/* flock(2): a lock of the whole file owned by the open file. */
static void op_flock(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, int op) {
  int type = (op & LOCK_UN) ? 0 : (op & LOCK_EX) ? 2 : (op & LOCK_SH) ? 1 : -1;

  if (type < 0) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  lk_request(req, ino, fi, LK_SET, type, 0, DFSC_BRL_EOF, (op & LOCK_NB) == 0, 1, 0);
}

static int lk_held(struct mnt *m, uint64_t ino, uint64_t owner, uintptr_t fh);

/* close(2) of a descriptor: writes were answered only once the server had
 * them; the POSIX locks its process held through this open file go
 * (fcntl(2): closing any descriptor of a file releases them). */
static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  struct mnt *m = fuse_req_userdata(req);
  struct fh *fh = (struct fh *)(uintptr_t)fi->fh;
  int e;

  if (fh != NULL && fh->kind == FH_FILE) {
    /* close(2): the writes answered early are on the server, or their
     * error is this answer. */
    if ((e = wb_drain(m, ino, req)) != 0 || (e = wb_take_err(m, fh)) != 0) {
      fuse_reply_err(req, e);
      return;
    }
  }
  if (fh != NULL && fh->kind == FH_FILE && fh->f != NULL &&
      lk_held(m, ino, fi->lock_owner, (uintptr_t)fh)) {
    lk_request(req, ino, fi, LK_CLOSE, 0, 0, DFSC_BRL_EOF, 0, 0, 0);
    return;
  }
  fuse_reply_err(req, 0);
}

/* Whether owner holds POSIX locks through fh on node ino. */
static int lk_held(struct mnt *m, uint64_t ino, uint64_t owner, uintptr_t fh) {
  struct node *n;
  const struct dfsc__brl *e;
  int held = 0;

  pthread_mutex_lock(&m->mu);
  if ((n = find_ino(m, ino)) != NULL)
    for (e = n->locks; e != NULL && !held; e = e->next)
      held = e->owner == owner && e->fh == fh && !e->flock;
  pthread_mutex_unlock(&m->mu);
  return held;
}

/* ---- extended attributes ---------------------------------------------------- */

/* user.NAME is the SMB extended attribute NAME ([MS-FSCC] 2.4.15), as
 * cifs.ko maps it; Samba keeps it as the xattr user.NAME on its disk.
 * Other namespaces (security., system., trusted.) have no SMB
 * counterpart: reads find nothing without asking the server (ls and cp
 * ask for security.selinux and ACLs on every file), writes are refused. */
#define XATTR_USER "user."
#define XATTR_USER_LEN 5
#define XATTR_LIST_CAP 65536 /* one answer of the server's names, at most */

enum { XA_GET, XA_LIST, XA_SET_CHECK, XA_SET, XA_REMOVE_CHECK, XA_REMOVE };

/* The EA behind an xattr name: NULL for other namespaces. */
static const char *xattr_ea(const char *name) {
  if (strncmp(name, XATTR_USER, XATTR_USER_LEN) != 0)
    return NULL;
  return name + XATTR_USER_LEN;
}

static int xattr_errno(const dfsc_result *res) {
  if (res->err == DFSC_E_NTSTATUS) {
    switch (res->ntstatus) {
    case 0xC000004Fu: /* EAS_NOT_SUPPORTED: the share's file system keeps none */
      return EOPNOTSUPP;
    case 0xC0000051u: /* NONEXISTENT_EA_ENTRY */
      return ENODATA;
    case 0x80000013u: /* INVALID_EA_NAME */
      return EINVAL;
    case 0xC0000050u: /* EA_TOO_LARGE */
      return E2BIG;
    default:
      break;
    }
  }
  if (res->err == DFSC_E_TOOBIG)
    return E2BIG;
  return res_errno(res, 0);
}

/* A node whose xattrs are the server's: 0, or the errno to answer. */
static int xattr_node(struct mnt *m, fuse_ino_t ino) {
  int found;
  enum nkind k = kind_of(m, ino, &found);

  if (!found)
    return ESTALE;
  return (k == N_SHARE || k == N_FS) ? 0 : ENODATA;
}

static void xattr_cb(const dfsc_result *res, void *arg);

/* Starts r's library call for step r->flags. */
static void xattr_go(struct rq *r) {
  const char *ea = r->name;
  int rc;

  if ((rc = rq_arm(r, xattr_cb)) != 0) {
    rq_fail(r, rc);
    return;
  }
  switch (r->flags) {
  case XA_GET:
    rc = dfsc_get_ea_async(r->ctx, r->path, ea, r->buf, r->len, xattr_cb, r);
    break;
  case XA_LIST:
    rc = dfsc_get_ea_async(r->ctx, r->path, NULL, r->buf, XATTR_LIST_CAP, xattr_cb, r);
    break;
  case XA_SET_CHECK:
  case XA_REMOVE_CHECK:
    rc = dfsc_get_ea_async(r->ctx, r->path, ea, NULL, 0, xattr_cb, r);
    break;
  case XA_SET:
    rc = dfsc_set_ea_async(r->ctx, r->path, ea, r->link, r->size, xattr_cb, r);
    break;
  default:
    rc = dfsc_set_ea_async(r->ctx, r->path, ea, NULL, 0, xattr_cb, r);
    break;
  }
  if ((rc = rq_armed(r, rc)) < 0)
    rq_fail(r, rc);
}

static void xattr_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  int e = res->err == 0          ? 0
          : res->err == -ENODATA ? ENODATA
          : res->err == -ERANGE  ? ERANGE
                                 : xattr_errno(res);
  fuse_req_t req;

  switch (r->flags) {
  case XA_SET_CHECK:
    /* XATTR_CREATE wants none, XATTR_REPLACE one (r->to_set: the flags). */
    if (e == 0 && (r->to_set & XATTR_CREATE))
      e = EEXIST;
    else if (e == ENODATA && !(r->to_set & XATTR_REPLACE))
      e = 0;
    if (e == 0) {
      r->flags = XA_SET;
      xattr_go(r);
      return;
    }
    break;
  case XA_REMOVE_CHECK:
    if (e == 0) {
      r->flags = XA_REMOVE;
      xattr_go(r);
      return;
    }
    break;
  case XA_SET:
  case XA_REMOVE:
    if (e == 0)
      invalidate(r->m, r->ino); /* its change time moved */
    break;
  default:
    break;
  }
  req = rq_out(r);
  if (e != 0) {
    fuse_reply_err(req, e);
  } else if (r->flags == XA_GET) {
    if (r->len == 0)
      fuse_reply_xattr(req, res->nbytes);
    else
      fuse_reply_buf(req, r->buf, res->nbytes);
  } else if (r->flags == XA_LIST) {
    /* "NAME\0..." from the library becomes "user.NAME\0...". */
    size_t need = 0, i = 0, o = 0;
    char *out;
    while (i < res->nbytes) {
      size_t l = strnlen(r->buf + i, res->nbytes - i);
      need += XATTR_USER_LEN + l + 1;
      i += l + 1;
    }
    if (r->size == 0) {
      fuse_reply_xattr(req, need);
    } else if (need > r->size) {
      fuse_reply_err(req, ERANGE);
    } else if ((out = malloc(need ? need : 1)) == NULL) {
      fuse_reply_err(req, ENOMEM);
    } else {
      for (i = 0; i < res->nbytes;) {
        size_t l = strnlen(r->buf + i, res->nbytes - i);
        memcpy(out + o, XATTR_USER, XATTR_USER_LEN);
        memcpy(out + o + XATTR_USER_LEN, r->buf + i, l);
        out[o + XATTR_USER_LEN + l] = 0;
        o += XATTR_USER_LEN + l + 1;
        i += l + 1;
      }
      fuse_reply_buf(req, out, need);
      free(out);
    }
  } else {
    fuse_reply_err(req, 0);
  }
  rq_free(r);
}

/* A request about xattr `name` of ino: NULL once answered. */
static struct rq *xattr_rq(fuse_req_t req, fuse_ino_t ino, const char *name, int step) {
  struct mnt *m = fuse_req_userdata(req);
  struct rq *r;
  const char *ea = name != NULL ? xattr_ea(name) : "";
  int err = xattr_node(m, ino);

  if (err == 0 && ea == NULL)
    err = (step == XA_GET || step == XA_REMOVE_CHECK) ? ENODATA : EOPNOTSUPP;
  if (err == 0 && name != NULL && (ea[0] == 0 || strlen(ea) > DFSC_EA_NAME_MAX))
    err = ea[0] == 0 ? EINVAL : ERANGE;
  if (err != 0) {
    fuse_reply_err(req, err);
    return NULL;
  }
  if ((r = rq_new(m, req, ino)) == NULL)
    return NULL;
  r->flags = step;
  if (name != NULL && (r->name = strdup(ea)) == NULL) {
    rq_fail(r, -ENOMEM);
    return NULL;
  }
  if (rq_path(r, ino) < 0)
    return NULL;
  return r;
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size) {
  struct rq *r = xattr_rq(req, ino, name, XA_GET);

  if (r == NULL)
    return;
  if (size > DFSC_EA_VALUE_MAX)
    size = DFSC_EA_VALUE_MAX;
  r->len = size;
  if (size > 0 && (r->buf = malloc(size)) == NULL) {
    rq_fail(r, -ENOMEM);
    return;
  }
  xattr_go(r);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  struct mnt *m = fuse_req_userdata(req);
  struct rq *r;
  int err = xattr_node(m, ino);

  if (err != 0) {
    /* Synthetic nodes have none. */
    if (err == ENODATA && size == 0)
      fuse_reply_xattr(req, 0);
    else if (err == ENODATA)
      fuse_reply_buf(req, NULL, 0);
    else
      fuse_reply_err(req, err);
    return;
  }
  if ((r = xattr_rq(req, ino, NULL, XA_LIST)) == NULL)
    return;
  r->size = size;
  if ((r->buf = malloc(XATTR_LIST_CAP)) == NULL) {
    rq_fail(r, -ENOMEM);
    return;
  }
  xattr_go(r);
}

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
                        size_t size, int flags) {
  struct mnt *m = fuse_req_userdata(req);
  struct rq *r;

  if (m->o->ro) {
    fuse_reply_err(req, EROFS);
    return;
  }
  if (size > DFSC_EA_VALUE_MAX) {
    fuse_reply_err(req, E2BIG);
    return;
  }
  if ((r = xattr_rq(req, ino, name, XA_SET_CHECK)) == NULL)
    return;
  /* SMB has no empty EA: an empty value removes it, as with cifs.ko. */
  r->size = size;
  r->to_set = flags;
  if (size > 0 && (r->link = malloc(size)) == NULL) {
    rq_fail(r, -ENOMEM);
    return;
  }
  if (size > 0)
    memcpy(r->link, value, size);
  if (!(flags & (XATTR_CREATE | XATTR_REPLACE)))
    r->flags = XA_SET;
  xattr_go(r);
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name) {
  struct mnt *m = fuse_req_userdata(req);
  struct rq *r;

  if (m->o->ro) {
    fuse_reply_err(req, EROFS);
    return;
  }
  if ((r = xattr_rq(req, ino, name, XA_REMOVE_CHECK)) != NULL)
    xattr_go(r);
}

/* ---- directories ---------------------------------------------------------- */

/* The entry array's capacity after the next dents_add. */
static size_t dents_next_cap(const struct fh *fh) {
  return fh->n < fh->cap ? fh->cap : fh->cap ? fh->cap * 2 : 64;
}

static int dents_add(struct fh *fh, const char *name, enum nkind kind,
                     const dfsc_stat_t *st) {
  struct dent *d;

  if (fh->n == fh->cap) {
    size_t cap = dents_next_cap(fh);
    d = realloc(fh->ents, cap * sizeof(*d));
    if (d == NULL)
      return -ENOMEM;
    fh->ents = d;
    fh->cap = cap;
  }
  d = &fh->ents[fh->n];
  if ((d->name = strdup(name)) == NULL)
    return -ENOMEM;
  d->kind = kind;
  d->st = *st;
  fh->n++;
  return 0;
}

/* What fh's listing costs the budget: the entry array and the names. */
static uint64_t dents_cost(const struct fh *fh) {
  uint64_t c = (uint64_t)fh->cap * sizeof(struct dent);
  size_t i;

  for (i = 0; i < fh->n; i++)
    c += strlen(fh->ents[i].name) + 1 + NAME_OVERHEAD;
  return c;
}

static void opendir_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  struct fh *fh = r->fh;
  struct fuse_file_info fi;
  const dfsc_dirent *de;
  uint64_t credit = 0; /* charged ahead and not yet used */
  int e = res_errno(res, 0);

  if (res->err == DFSC_E_TOOBIG) {
    /* Past dfsc_set_dir_max_bytes, the most the budget lets one listing
     * hold (or the library's entry bounds): as past the budget. */
    e = ENOMEM;
    pthread_mutex_lock(&r->m->mu);
    r->m->refused_bytes++;
    pthread_mutex_unlock(&r->m->mu);
  }
  if (e == 0) {
    /* Charged before it grows (an entry's name, a doubling of the array),
     * so that a listing past the budget stops there: the copy never holds
     * more than its charge. */
    while (e == 0 && (de = dfsc_dir_next(res->dir)) != NULL) {
      uint64_t need = strlen(de->name) + 1 + NAME_OVERHEAD +
                      (uint64_t)(dents_next_cap(fh) - fh->cap) * sizeof(struct dent);
      if (need > credit) {
        uint64_t more = (need - credit + CHARGE_STEP - 1) / CHARGE_STEP * CHARGE_STEP;
        if ((e = budget_charge(r->m, fh, more)) != 0)
          break;
        credit += more;
      }
      credit -= need;
      if (dents_add(fh, de->name, N_FS, &de->st) < 0)
        e = ENOMEM;
    }
    pthread_mutex_lock(&r->m->mu);
    budget_release_locked(r->m, fh, credit, 0);
    pthread_mutex_unlock(&r->m->mu);
    if (e == 0 && fh->cap > fh->n && fh->n > 0) {
      /* The doubling's slack is given back for as long as the handle lives. */
      struct dent *d = realloc(fh->ents, fh->n * sizeof(*d));
      if (d != NULL) {
        pthread_mutex_lock(&r->m->mu);
        budget_release_locked(r->m, fh, (uint64_t)(fh->cap - fh->n) * sizeof(*d), 0);
        pthread_mutex_unlock(&r->m->mu);
        fh->ents = d;
        fh->cap = fh->n;
      }
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &r->fh->listed_at);
  dfsc_dir_free(res->dir);
  /* The library's listing is gone: the next one may start. */
  pthread_mutex_lock(&r->m->mu);
  budget_inflight_end_locked(r->m, fh);
  pthread_mutex_unlock(&r->m->mu);
  if (e != 0) {
    fuse_reply_err(rq_out(r), e);
    fh_drop(r->m, r->fh);
  } else {
    memset(&fi, 0, sizeof(fi));
    fi.fh = (uintptr_t)r->fh;
    if (fuse_reply_open(rq_out(r), &fi) != 0)
      fh_drop(r->m, r->fh);
  }
  ready_run(r->m);
  rq_free(r);
}

/* Whether fh already lists `name` (case-insensitively, as share names
 * compare). */
static int dents_has(const struct fh *fh, const char *name) {
  size_t i;
  for (i = 0; i < fh->n; i++)
    if (strcasecmp(fh->ents[i].name, name) == 0)
      return 1;
  return 0;
}

/* A host's directory: the disk shares of the server's listing that uid
 * may reach (hosts=), then the shares used through the mount that it did
 * not list. Administrative shares (C$, IPC$) and printers are left out, as
 * Explorer and cifs leave them. A server that cannot list (no srvsvc, access
 * denied, unreachable) leaves the shares used so far, as before listings,
 * with a log line. Charged to the budget before it is built. */
static void shares_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  struct mnt *m = r->m;
  struct fh *fh = r->fh;
  struct fuse_file_info fi;
  const char *host = r->path + 2; /* "\\host" */
  size_t hl = strlen(host), i, n = dfsc_share_list_count(res->shares);
  dfsc_stat_t st = m->vdir;
  uint64_t need = 0;
  int e = 0;

  if (res->err != 0)
    mlog(m, DFSC_LOG_INFO, "%s: share listing: %s; listing the shares used so far", r->path,
         res->err == DFSC_E_NTSTATUS ? dfsc_ntstatus_name(res->ntstatus)
                                     : dfsc_strerror(res->err));
  pthread_mutex_lock(&m->mu);
  /* What the entries and a doubling array for all of them may take. */
  for (i = 0; i < n; i++)
    need += strlen(dfsc_share_list_get(res->shares, i)->name) + 1 + NAME_OVERHEAD;
  for (i = 0; i < m->nknown; i++)
    need += strlen(m->known[i]) + 1 + NAME_OVERHEAD;
  need += (uint64_t)2 * (n + m->nknown + 64) * sizeof(struct dent);
  pthread_mutex_unlock(&m->mu);
  if ((e = budget_charge(m, fh, need)) == 0) {
    for (i = 0; i < n && e == 0; i++) {
      const dfsc_share *sh = dfsc_share_list_get(res->shares, i);
      int ok;
      if ((sh->type & DFSC_SHARE_TYPE_MASK) != DFSC_SHARE_DISK ||
          (sh->type & DFSC_SHARE_SPECIAL))
        continue;
      pthread_mutex_lock(&m->mu);
      ok = dfsc__mount_host_allowed(m->o, m->cred_servers, m->owner, fh->uid, host,
                                    sh->name);
      pthread_mutex_unlock(&m->mu);
      if (ok && dents_add(fh, sh->name, N_SHARE, &st) < 0)
        e = ENOMEM;
    }
    pthread_mutex_lock(&m->mu);
    for (i = 0; i < m->nknown && e == 0; i++)
      if (strncasecmp(m->known[i], host, hl) == 0 && m->known[i][hl] == '\\' &&
          !dents_has(fh, m->known[i] + hl + 1) &&
          dents_add(fh, m->known[i] + hl + 1, N_SHARE, &st) < 0)
        e = ENOMEM;
    /* What the charge covered and the entries do not use goes back;
     * shares made known since the charge are charged now. */
    if (e == 0 && need > dents_cost(fh))
      budget_release_locked(m, fh, need - dents_cost(fh), 0);
    pthread_mutex_unlock(&m->mu);
    if (e == 0 && dents_cost(fh) > need)
      e = budget_charge(m, fh, dents_cost(fh) - need);
  }
  clock_gettime(CLOCK_MONOTONIC, &fh->listed_at);
  dfsc_share_list_free(res->shares);
  pthread_mutex_lock(&m->mu);
  budget_inflight_end_locked(m, fh);
  pthread_mutex_unlock(&m->mu);
  if (e != 0) {
    fuse_reply_err(rq_out(r), e);
    fh_drop(m, fh);
  } else {
    memset(&fi, 0, sizeof(fi));
    fi.fh = (uintptr_t)fh;
    if (fuse_reply_open(rq_out(r), &fi) != 0)
      fh_drop(m, fh);
  }
  ready_run(m);
  rq_free(r);
}

/* Starts r's listing, counted in flight: an opendir, a host's shares, or
 * the text of .dfsc/cache. Without m->mu. */
static void listing_start(struct rq *r) {
  struct mnt *m = r->m;
  int rc;

  if (r->fh->kind == FH_CTL) {
    if ((rc = rq_arm(r, ctl_snapshot_cb)) == 0)
      rc = rq_armed(r, dfsc_cache_snapshot_async(r->ctx, ctl_snapshot_cb, r));
  } else if (r->fh->shares) {
    if ((rc = rq_arm(r, shares_cb)) == 0)
      rc = rq_armed(r, dfsc_list_shares_async(r->ctx, r->path, shares_cb, r));
  } else if ((rc = rq_arm(r, opendir_cb)) == 0) {
    rc = rq_armed(r, dfsc_opendir_async(r->ctx, r->path, opendir_cb, r));
  }
  if (rc < 0) {
    fh_drop(m, r->fh); /* may move more to m->ready: the caller's loop runs them */
    rq_fail(r, rc);
  }
}

/* Starts the listings unpark_locked moved to m->ready. Any thread, without
 * m->mu; bounded by listings_queue. */
static void ready_run(struct mnt *m) {
  for (;;) {
    struct rq *r;
    pthread_mutex_lock(&m->mu);
    r = m->ready;
    if (r != NULL) {
      m->ready = r->qnext;
      if (m->ready == NULL)
        m->ready_tail = NULL;
      r->qnext = NULL;
    }
    pthread_mutex_unlock(&m->mu);
    if (r == NULL)
      return;
    listing_start(r);
  }
}

/* Counts r's listing in flight and starts it, or has it wait, or answers
 * it (EAGAIN past the FIFO's bounds). Without m->mu. */
static void listing_submit(struct mnt *m, struct rq *r) {
  struct mline ml = {0};
  int err;

  pthread_mutex_lock(&m->mu);
  err = budget_inflight_locked(m, r->fh);
  if (err == EAGAIN && (err = park_locked(m, r, &ml)) == 0) {
    /* Waiting: another thread may start, answer and free r from now on. */
    pthread_mutex_unlock(&m->mu);
    mline_put(m, &ml);
    return;
  }
  pthread_mutex_unlock(&m->mu);
  mline_put(m, &ml);
  if (err != 0) {
    fuse_reply_err(rq_out(r), err);
    fh_free(m, r->fh);
    rq_free(r);
    return;
  }
  listing_start(r);
}

/* At unmount, once no FUSE request starts any more: every listing still
 * waiting (or moved to m->ready and not yet started) is answered
 * ESHUTDOWN, so that none is left unanswered when the session ends. */
static void park_drain(struct mnt *m) {
  struct rq *list = NULL, *r;

  pthread_mutex_lock(&m->mu);
  m->stopping = 1;
  while (m->uq_next != NULL) {
    struct uqueue *q = m->uq_next;
    while ((r = q->head) != NULL) {
      q->head = r->qnext;
      r->parked = 0;
      r->qnext = list;
      list = r;
    }
    m->parked -= q->n;
    uq_unlink(m, q);
  }
  while ((r = m->ready) != NULL) {
    m->ready = r->qnext;
    r->qnext = list;
    list = r;
  }
  m->ready_tail = NULL;
  pthread_mutex_unlock(&m->mu);
  while ((r = list) != NULL) {
    list = r->qnext;
    fuse_reply_err(rq_out(r), ESHUTDOWN);
    fh_drop(m, r->fh);
    rq_free(r);
  }
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  struct mnt *m = fuse_req_userdata(req);
  struct node *n;
  struct fh *fh = calloc(1, sizeof(*fh));
  struct mline ml = {0};
  struct rq *r;
  int err = 0;
  size_t i;

  if (fh == NULL) {
    fuse_reply_err(req, ENOMEM);
    return;
  }
  fh->kind = FH_DIR;
  fh->ino = ino;
  fh->uid = fuse_req_ctx(req)->uid;
  clock_gettime(CLOCK_MONOTONIC, &fh->listed_at);
  pthread_mutex_lock(&m->mu);
  n = find_ino(m, ino);
  if (n != NULL)
    fh->dirgen = n->dirgen; /* the listing below must be newer than this */
  if (n == NULL) {
    err = ESTALE;
  } else if ((err = budget_open_locked(m, fh, &ml)) != 0) {
    /* EMFILE before anything is listed or sent. */
  } else if (n->kind == N_ROOT) {
    dfsc_stat_t st = m->vdir;
    err = -dents_add(fh, ".dfsc", N_CTL, &st);
    for (i = 0; i < m->nknown && err == 0; i++)
      if (strchr(m->known[i], '\\') == NULL)
        err = -dents_add(fh, m->known[i], N_HOST, &st);
  } else if (n->kind == N_HOST) {
    /* The server's share listing, with the shares used so far (below). */
    fh->shares = 1;
    err = -1;
  } else if (n->kind == N_CTL) {
    dfsc_stat_t st = m->vdir;
    st.is_dir = 0;
    err = -dents_add(fh, "cache", N_CTL_CACHE, &st);
    if (err == 0)
      err = -dents_add(fh, "stats", N_CTL_STATS, &st);
    if (err == 0)
      err = -dents_add(fh, "whoami", N_CTL_WHOAMI, &st);
  } else if (n->kind == N_CTL_CACHE || n->kind == N_CTL_STATS || n->kind == N_CTL_WHOAMI) {
    err = ENOTDIR;
  } else {
    err = -1; /* a real directory: listed below */
  }
  if (err == 0)
    err = budget_charge_locked(m, fh, dents_cost(fh), &ml);
  pthread_mutex_unlock(&m->mu);
  mline_put(m, &ml);
  if (err > 0) {
    fh_free(m, fh);
    fuse_reply_err(req, err);
    return;
  }
  if (err == 0) {
    fi->fh = (uintptr_t)fh;
    if (fuse_reply_open(req, fi) != 0)
      fh_free(m, fh);
    return;
  }
  if ((r = rq_new(m, req, ino)) == NULL) {
    fh_free(m, fh);
    return;
  }
  r->fh = fh;
  if (rq_path(r, ino) < 0) {
    fh_free(m, fh);
    return;
  }
  listing_submit(m, r);
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi, int plus) {
  struct mnt *m = fuse_req_userdata(req);
  struct fh *fh = (struct fh *)(uintptr_t)fi->fh;
  char *buf;
  size_t used = 0, i, ncounted = 0;
  uint64_t *counted; /* nodes whose lookup this reply counts */
  struct node *dir;
  int stale;

  if (off < 0) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  if (size > IO_MAX)
    size = IO_MAX;
  buf = malloc(size ? size : 1);
  if (buf == NULL) {
    fuse_reply_err(req, ENOMEM);
    return;
  }
  counted = plus ? calloc(size / 32 + 2, sizeof(*counted)) : NULL;
  if (plus && counted == NULL) {
    free(buf);
    fuse_reply_err(req, ENOMEM);
    return;
  }
  pthread_mutex_lock(&m->mu);
  dir = find_ino(m, ino);
  /* A snapshot older than entry_timeout, or one that changes made through
   * the mount have overtaken, must not bring back entries or attributes:
   * its entries then go out without a lookup (ino 0). */
  stale =
      dir == NULL || dir->dirgen != fh->dirgen || age(&fh->listed_at) > m->o->entry_timeout;
  /* Offsets: 0 ".", 1 "..", 2 + i the i-th entry. */
  for (i = (size_t)off; dir != NULL && i < fh->n + 2; i++) {
    struct fuse_entry_param e;
    const char *name;
    struct node *c = NULL;
    int created = 0;
    size_t need;

    memset(&e, 0, sizeof(e));
    if (i < 2) {
      name = i == 0 ? "." : "..";
      e.attr.st_mode = S_IFDIR;
      e.attr.st_ino = i == 0 ? ino : dir->parent ? dir->parent->ino : ino;
    } else {
      struct dent *d = &fh->ents[i - 2];
      name = d->name;
      if (d->kind == N_CTL) {
        c = &m->ctl;
      } else if (d->kind == N_CTL_CACHE) {
        c = &m->ctl_cache;
      } else if (d->kind == N_CTL_STATS) {
        c = &m->ctl_stats;
      } else if (d->kind == N_CTL_WHOAMI) {
        c = &m->ctl_whoami;
      } else if (plus && !stale) {
        created = find_child(m, dir, name) == NULL;
        c = get_child(m, dir, name);
        if (c != NULL && d->kind == N_FS)
          set_st_at(c, &d->st, &fh->listed_at);
        if (c != NULL && ((c->kind == N_FS && (!c->have_st || !link_known(c))) ||
                          (c->kind == N_SHARE && !c->have_st))) {
          /* Dropped since the listing (a write), a possible symlink file
           * not read yet, or a share from the server's share listing never
           * looked up: no attributes to give. */
          if (created)
            maybe_free(m, c);
          c = NULL;
        }
      }
      if (c != NULL) {
        fill_entry(m, c, &e);
      } else {
        struct node *k = find_child(m, dir, name);
        if (d->kind == N_FS)
          dfsc__mount_fill_stat(m->o, &d->st, 0, &e.attr);
        else
          virtual_stat(m, dir, &e.attr);
        if (d->kind == N_FS && link_maybe(&d->st) &&
            (k == NULL || !link_known(k) || k->link_ct != d->st.change_time))
          e.attr.st_mode = 0; /* DT_UNKNOWN: a lookup tells file from symlink */
        else if (k != NULL && k->link != NULL && link_known(k))
          e.attr.st_mode = S_IFLNK | 0777;
        e.attr.st_ino = k ? (ino_t)k->ino : (ino_t)-1; /* -1: not looked up yet */
      }
    }
    need =
        plus ? fuse_add_direntry_plus(req, buf + used, size - used, name, &e, (off_t)i + 1)
             : fuse_add_direntry(req, buf + used, size - used, name, &e.attr, (off_t)i + 1);
    if (need > size - used) {
      if (c != NULL && created)
        maybe_free(m, c); /* created for an entry that did not fit */
      break;
    }
    used += need;
    if (plus && c != NULL) {
      c->nlookup++;
      counted[ncounted++] = c->ino;
    }
  }
  pthread_mutex_unlock(&m->mu);
  if (dir == NULL) {
    fuse_reply_err(req, ESTALE);
  } else if (fuse_reply_buf(req, buf, used) != 0 && ncounted > 0) {
    /* The kernel dropped the reply: it will never forget these. */
    pthread_mutex_lock(&m->mu);
    for (i = 0; i < ncounted; i++)
      forget_locked(m, counted[i], 1);
    pthread_mutex_unlock(&m->mu);
  }
  free(counted);
  free(buf);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi) {
  do_readdir(req, ino, size, off, fi, 0);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                           struct fuse_file_info *fi) {
  do_readdir(req, ino, size, off, fi, 1);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
  (void)ino;
  fh_free(fuse_req_userdata(req), (struct fh *)(uintptr_t)fi->fh);
  fuse_reply_err(req, 0);
}

static void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
                        struct fuse_file_info *fi) {
  (void)ino;
  (void)datasync;
  (void)fi;
  fuse_reply_err(req, 0);
}

/* ---- namespace changes ------------------------------------------------------ */

/* A request on child `name` of `parent`, which must be inside a share. */
static struct rq *child_rq(fuse_req_t req, fuse_ino_t parent, const char *name) {
  struct mnt *m = fuse_req_userdata(req);
  int found;
  enum nkind k = kind_of(m, parent, &found);

  if (!found) {
    fuse_reply_err(req, ESTALE);
    return NULL;
  }
  if (k != N_SHARE && k != N_FS) {
    fuse_reply_err(req, k == N_CTL_CACHE || k == N_CTL_STATS || k == N_CTL_WHOAMI ? ENOTDIR
                                                                                  : EPERM);
    return NULL;
  }
  if (m->o->ro) {
    fuse_reply_err(req, EROFS);
    return NULL;
  }
  return named_rq(m, req, parent, name);
}

/* The directory (or link) exists now: a failed stat is an error, not an
 * absence. */
static void mkdir_stat_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  int e = res_errno(res, 0);

  if (e != 0) {
    fuse_reply_err(rq_out(r), e == ENOENT ? EIO : e);
  } else {
    uint64_t ino;
    struct node *n;
    r->nlink = res->nlink;
    ino = reply_new_entry(r, &res->st, NULL);
    if (res->st.is_dir && ino != 0) {
      pthread_mutex_lock(&r->m->mu);
      if ((n = find_ino(r->m, ino)) != NULL && n->nchild == 0) {
        n->made_here = 1;
        clock_gettime(CLOCK_MONOTONIC, &n->made_at);
      }
      pthread_mutex_unlock(&r->m->mu);
    }
  }
  rq_free(r);
}

static void mkdir_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  int e = res_errno(res, 0), rc;

  if (e != 0) {
    fuse_reply_err(rq_out(r), e);
    rq_free(r);
    return;
  }
  bump_dir(r->m, r->parent);
  /* The directory (or link) exists: the request is answered with it,
   * interrupted or not (the server that just answered answers this too). */
  rq_disarm(r);
  rc = dfsc_stat_async(r->ctx, r->path, mkdir_stat_cb, r);
  if (rc < 0)
    rq_fail(r, rc);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode) {
  struct rq *r = child_rq(req, parent, name);
  int rc;

  (void)mode;
  if (r == NULL)
    return;
  if ((rc = rq_arm(r, mkdir_cb)) == 0)
    rc = rq_armed(r, dfsc_mkdir_async(r->ctx, r->path, mkdir_cb, r));
  if (rc < 0)
    rq_fail(r, rc);
}

/* The length of the "\\host\share" part of a path. */
static size_t share_prefix(const char *p) {
  const char *s = strchr(p + 2, '\\');

  if (s == NULL)
    return strlen(p);
  s = strchr(s + 1, '\\');
  return s ? (size_t)(s - p) : strlen(p);
}

/* Whether paths a and b are on one share (rename and link cannot cross). */
static int same_share(const char *a, const char *b) {
  return share_prefix(a) == share_prefix(b) && strncasecmp(a, b, share_prefix(a)) == 0;
}

/* The new name exists: answered with its entry (a node of its own; the
 * kernel keeps one inode per name, as for any FUSE file system without
 * stable inode numbers). The source's link count and ctime moved too. */
static void link_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;

  if (res->err == 0) {
    /* Each name is its own inode here, so the kernel (6.3 on) leaves the
     * source's attributes as they were. They are dropped before link(2)
     * returns, so a stat right after it sees st_nlink 2: attributes only
     * (a negative offset), for which the kernel takes no lock (it holds
     * the source's inode lock during link(2)), as in open_cb. */
    invalidate(r->m, r->ino);
    if (r->m->se != NULL && !__atomic_load_n(&r->m->inval_stop, __ATOMIC_ACQUIRE))
      (void)fuse_lowlevel_notify_inval_inode(r->m->se, (fuse_ino_t)r->ino, -1, 0);
  }
  mkdir_cb(res, arg); /* then as a new directory: its entry from a stat */
}

/* link(2): SMB2 FileLinkInformation on the same share ([MS-FSCC] 2.4.27.2).
 * Directories cannot be linked (EPERM, as on Linux). */
static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
                    const char *newname) {
  struct mnt *m = fuse_req_userdata(req);
  struct rq *r;
  struct node *n;
  char *src;
  int err = 0, rc, dir = 0, found;
  enum nkind k = kind_of(m, ino, &found);

  if (!found || k != N_FS) {
    fuse_reply_err(req, !found ? ESTALE : EPERM);
    return;
  }
  pthread_mutex_lock(&m->mu);
  if ((n = find_ino(m, ino)) != NULL)
    dir = n->have_st && n->st.is_dir;
  pthread_mutex_unlock(&m->mu);
  if (dir) {
    fuse_reply_err(req, EPERM);
    return;
  }
  if ((r = child_rq(req, newparent, newname)) == NULL)
    return;
  r->ino = ino;
  src = node_path(m, ino, NULL, r->uid, &err);
  if (src == NULL) {
    fuse_reply_err(rq_out(r), err);
    rq_free(r);
    return;
  }
  if (!same_share(src, r->path)) {
    fuse_reply_err(rq_out(r), EXDEV);
    free(src);
    rq_free(r);
    return;
  }
  if ((rc = rq_arm(r, link_cb)) == 0)
    rc = rq_armed(r, dfsc_link_async(r->ctx, src, r->path, 0, link_cb, r));
  free(src);
  if (rc < 0)
    rq_fail(r, rc);
}

/* ---- symlinks (Minshall+French files, mfsymlink.h) ----------------------- */

static void readlink_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  int e = link_read(r, res);
  struct node *n;

  if (e == 0) {
    pthread_mutex_lock(&r->m->mu);
    if ((n = find_ino(r->m, r->ino)) != NULL) {
      set_st(n, &r->st);
      link_apply(n, r); /* moves r->link */
      if (n->link != NULL)
        r->link = strdup(n->link);
    }
    pthread_mutex_unlock(&r->m->mu);
  }
  if (e != 0)
    fuse_reply_err(rq_out(r), e);
  else if (r->link == NULL)
    fuse_reply_err(rq_out(r), EINVAL); /* not (or no longer) a symlink */
  else
    fuse_reply_readlink(rq_out(r), r->link);
  rq_free(r);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino) {
  struct mnt *m = fuse_req_userdata(req);
  struct node *n;
  struct rq *r;
  char *known = NULL;
  int rc, found = 0;

  pthread_mutex_lock(&m->mu);
  if ((n = find_ino(m, ino)) != NULL) {
    found = 1;
    if (n->link != NULL && link_known(n))
      known = strdup(n->link);
  }
  pthread_mutex_unlock(&m->mu);
  if (!found) {
    fuse_reply_err(req, ESTALE);
    return;
  }
  if (known != NULL) {
    fuse_reply_readlink(req, known);
    free(known);
    return;
  }
  if ((r = rq_new(m, req, ino)) == NULL || rq_path(r, ino) < 0)
    return;
  if ((rc = link_fetch(r, readlink_cb)) < 0)
    rq_fail(r, rc);
}

/* symlink: [open, create only] -> write the link file -> close -> stat. */
static void symlink_stat_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  int e = res_errno(res, 0);

  if (e != 0) {
    fuse_reply_err(rq_out(r), e == ENOENT ? EIO : e);
  } else {
    r->nlink = res->nlink;
    r->st = res->st;
    r->link_checked = 1; /* r->link: the target written */
    reply_new_entry(r, &r->st, NULL);
  }
  rq_free(r);
}

static void symlink_close_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  int rc;

  if (r->flags == 0 && res->err != 0)
    r->flags = res_errno(res, 1);
  if (r->flags != 0) {
    /* Half a link file must not stay behind as a regular file. */
    (void)dfsc_unlink_async(r->ctx, r->path, ignore_cb, NULL);
    fuse_reply_err(rq_out(r), r->flags);
    rq_free(r);
    return;
  }
  bump_dir(r->m, r->parent);
  rc = dfsc_stat_async(r->ctx, r->path, symlink_stat_cb, r);
  if (rc < 0)
    rq_fail(r, rc);
}

static void symlink_write_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;

  if (res->err != 0 || res->nbytes != DFSC_MFSYMLINK_SIZE)
    r->flags = res->err != 0 ? res_errno(res, 1) : EIO;
  if (dfsc_close_async(r->f, symlink_close_cb, r) < 0) {
    dfsc_result fake;
    memset(&fake, 0, sizeof(fake));
    fake.err = -EIO;
    symlink_close_cb(&fake, r);
  }
}

static void symlink_open_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  int rc;

  if (res->err != 0) {
    fuse_reply_err(rq_out(r), res_errno(res, 0));
    rq_free(r);
    return;
  }
  /* The file exists from here: the link is finished (or removed) whatever
   * the program does meanwhile. */
  rq_disarm(r);
  r->f = res->file;
  rc = dfsc_write_async(r->f, r->buf, DFSC_MFSYMLINK_SIZE, 0, symlink_write_cb, r);
  if (rc < 0) {
    dfsc_result fake;
    memset(&fake, 0, sizeof(fake));
    fake.err = rc;
    symlink_write_cb(&fake, r);
  }
}

/* symlink(2): a Minshall+French link file, as cifs.ko writes with
 * -o mfsymlinks, so both clients see the same link. */
static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
                       const char *name) {
  struct rq *r = child_rq(req, parent, name);
  int rc;

  if (r == NULL)
    return;
  if ((r->buf = malloc(DFSC_MFSYMLINK_SIZE)) == NULL || (r->link = strdup(link)) == NULL) {
    rq_fail(r, -ENOMEM);
    return;
  }
  rc = dfsc__mfsymlink_encode(link, (uint8_t *)r->buf);
  if (rc < 0) {
    fuse_reply_err(rq_out(r), -rc);
    rq_free(r);
    return;
  }
  if ((rc = rq_arm(r, symlink_open_cb)) == 0)
    rc = rq_armed(r, dfsc_open_async(r->ctx, r->path,
                                     DFSC_O_WRONLY | DFSC_O_CREAT | DFSC_O_EXCL,
                                     symlink_open_cb, r));
  if (rc < 0)
    rq_fail(r, rc);
}

/* Under mu: the file of n (a hard-linked file, each name its own inode
 * here) changed its link count: every other name of it known by its
 * server file id drops its attributes, here and in the kernel (through the
 * invalidation thread). Walks the whole table: only for files with more
 * than one name. */
static void other_names_changed_locked(struct mnt *m, const struct node *n) {
  size_t b;
  struct node *x;

  if (!n->have_st || n->st.file_id == 0)
    return;
  pthread_mutex_lock(&m->lease_mu);
  for (b = 0; b < m->nbuckets; b++)
    for (x = m->by_ino[b]; x != NULL; x = x->ino_next)
      if (x != n && x->kind == N_FS && x->have_st && x->st.file_id == n->st.file_id) {
        x->have_st = 0;
        clock_gettime(CLOCK_MONOTONIC, &x->st_at);
        (void)inval_push(m, NULL, x->ino, 0, 1);
      }
  pthread_mutex_unlock(&m->lease_mu);
}

/* ---- unlink of a read-only file ----------------------------------------------
 * SMB refuses to delete a file with the DOS read-only attribute
 * (STATUS_CANNOT_DELETE); POSIX asks only for the directory's permission.
 * As cifs.ko does, the attribute is cleared and the delete asked again,
 * once; if that fails too, the attribute is put back (ro_restore). */

#define RO_UNLINK 1 /* r->to_set of an unlink: a CANNOT_DELETE may be retried */

struct ro_restore {
  dfsc_ctx *ctx;
  char *path;
  uint32_t attrs;
};

static void ro_restore_closed_cb(const dfsc_result *res, void *arg) {
  struct ro_restore *x = arg;
  (void)res;
  free(x->path);
  free(x);
}

struct ro_restore_set {
  struct ro_restore *x;
  dfsc_file *f;
};

static void ro_restore_set_cb(const dfsc_result *res, void *arg) {
  struct ro_restore_set *y = arg;
  (void)res;
  if (dfsc_close_async(y->f, ro_restore_closed_cb, y->x) < 0)
    ro_restore_closed_cb(res, y->x);
  free(y);
}

static void ro_restore_open_cb(const dfsc_result *res, void *arg) {
  struct ro_restore *x = arg;
  struct ro_restore_set *y;

  if (res->err != 0 || res->file == NULL) {
    ro_restore_closed_cb(res, x);
    return;
  }
  if ((y = malloc(sizeof(*y))) == NULL) {
    close_quietly(res->file);
    ro_restore_closed_cb(res, x);
    return;
  }
  y->x = x;
  y->f = res->file;
  if (dfsc_set_attributes_async(y->f, x->attrs, ro_restore_set_cb, y) < 0) {
    close_quietly(y->f);
    free(y);
    ro_restore_closed_cb(res, x);
  }
}

static void removed_cb(const dfsc_result *res, void *arg);

static void ro_retry_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  int rc;

  (void)res;
  r->f = NULL;
  rq_disarm(r); /* the attribute changed: the delete is asked whatever comes */
  rc = dfsc_unlink_async(r->ctx, r->path, removed_cb, r);
  if (rc < 0)
    removed_cb(&(dfsc_result){.err = rc}, r);
}

static void ro_cleared_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;

  if (res->err != 0) {
    r->changed = 0; /* nothing to put back */
    close_quietly(r->f);
    r->f = NULL;
    fuse_reply_err(rq_out(r), EACCES);
    rq_free(r);
    return;
  }
  if (dfsc_close_async(r->f, ro_retry_cb, r) < 0)
    ro_retry_cb(res, r);
}

static void ro_open_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  uint32_t want;

  if (res->err != 0 || res->file == NULL) {
    fuse_reply_err(rq_out(r), EACCES);
    rq_free(r);
    return;
  }
  r->f = res->file;
  r->attrs_now = res->st.attributes;
  want = res->st.attributes & ~(uint32_t)(DFSC_ATTR_READONLY | DFSC_ATTR_NORMAL);
  if (want == 0)
    want = DFSC_ATTR_NORMAL;
  r->changed = 2;
  if (dfsc_set_attributes_async(r->f, want, ro_cleared_cb, r) < 0)
    ro_cleared_cb(&(dfsc_result){.err = -EIO}, r);
}

static void removed_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  struct node *p, *n;
  int e = res_errno(res, 0);

  if (r->to_set == RO_UNLINK && r->changed == 0 && res->err == DFSC_E_NTSTATUS &&
      res->ntstatus == 0xC0000121u /* CANNOT_DELETE */) {
    int rc;
    r->changed = 1;
    if ((rc = rq_arm(r, ro_open_cb)) == 0)
      rc = rq_armed(r, dfsc_open_async(r->ctx, r->path, DFSC_O_ATTRIBUTES, ro_open_cb, r));
    if (rc == 0)
      return;
  }
  if (r->changed == 2 && e != 0) {
    /* Cleared for nothing: the read-only attribute goes back. */
    struct ro_restore *x = calloc(1, sizeof(*x));
    if (x != NULL && (x->path = strdup(r->path)) != NULL) {
      x->ctx = r->ctx;
      x->attrs = r->attrs_now;
      if (dfsc_open_async(r->ctx, r->path, DFSC_O_ATTRIBUTES, ro_restore_open_cb, x) == 0)
        x = NULL;
    }
    if (x != NULL) {
      free(x->path);
      free(x);
    }
  }
  if (e == 0) {
    /* The name is free: a later create must not find this node. */
    pthread_mutex_lock(&r->m->mu);
    if ((p = find_ino(r->m, r->parent)) != NULL) {
      dir_changed_locked(p);
      if ((n = find_child(r->m, p, r->name)) != NULL) {
        if (n->nlink > 1)
          other_names_changed_locked(r->m, n);
        unhash_name(r->m, n);
      }
    }
    pthread_mutex_unlock(&r->m->mu);
  }
  fuse_reply_err(rq_out(r), e);
  rq_free(r);
}

/* The file was open: it now lives on under the hidden path r->buf until its
 * last close. */
static void silly_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  struct node *p, *n;
  char *nm;
  int e = res_errno(res, 0), closed = 0;

  if (e == 0) {
    pthread_mutex_lock(&r->m->mu);
    if ((p = find_ino(r->m, r->parent)) != NULL) {
      dir_changed_locked(p);
      n = find_child(r->m, p, r->name);
      if (n != NULL && (nm = strdup(strrchr(r->buf, '\\') + 1)) != NULL) {
        unhash_name(r->m, n);
        free(n->name);
        n->name = nm;
        n->silly = 1;
        closed = n->nopen == 0; /* closed meanwhile: nobody else will remove it */
        if (closed)
          n->silly = 0;
      }
    }
    pthread_mutex_unlock(&r->m->mu);
    if (closed)
      (void)dfsc_unlink_async(r->ctx, r->buf, ignore_cb, NULL);
  }
  fuse_reply_err(rq_out(r), e);
  rq_free(r);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name) {
  struct rq *r = child_rq(req, parent, name);
  struct node *p, *n;
  int rc, open = 0;

  if (r == NULL)
    return;
  pthread_mutex_lock(&r->m->mu);
  if ((p = find_ino(r->m, parent)) != NULL && (n = find_child(r->m, p, name)) != NULL)
    open = n->nopen > 0;
  pthread_mutex_unlock(&r->m->mu);
  if (open) {
    /* POSIX lets an unlinked file be used until its last close; on SMB it
     * would be delete-pending and every path operation on it would fail.
     * As NFS clients do, rename it to a hidden name and remove it at the
     * last close (release_node). */
    const char *slash = strrchr(r->path, '\\');
    static atomic_uint seq;
    if (asprintf(&r->buf, "%.*s\\.dfsc-deleted-%llx-%u", (int)(slash - r->path), r->path,
                 (unsigned long long)time(NULL), atomic_fetch_add(&seq, 1)) < 0) {
      r->buf = NULL;
      rq_fail(r, -ENOMEM);
      return;
    }
    if ((rc = rq_arm(r, silly_cb)) == 0)
      rc = rq_armed(r, dfsc_rename2_async(r->ctx, r->path, r->buf, 0, silly_cb, r));
    if (rc < 0)
      rq_fail(r, rc);
    return;
  }
  r->to_set = RO_UNLINK;
  if ((rc = rq_arm(r, removed_cb)) == 0)
    rc = rq_armed(r, dfsc_unlink_async(r->ctx, r->path, removed_cb, r));
  if (rc < 0)
    rq_fail(r, rc);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name) {
  struct rq *r = child_rq(req, parent, name);
  int rc;

  if (r == NULL)
    return;
  if ((rc = rq_arm(r, removed_cb)) == 0)
    rc = rq_armed(r, dfsc_rmdir_async(r->ctx, r->path, removed_cb, r));
  if (rc < 0)
    rq_fail(r, rc);
}

static void rename_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  struct mnt *m = r->m;
  struct node *p, *np, *n, *old;
  const char *gone = NULL; /* a set-aside target closed meanwhile: removed now */
  int e = res_errno(res, 0);

  if (e == 0) {
    /* Move the node, so that its descendants' paths follow. */
    pthread_mutex_lock(&m->mu);
    p = find_ino(m, r->parent);
    np = find_ino(m, r->newparent);
    if (p != NULL)
      dir_changed_locked(p);
    if (np != NULL)
      dir_changed_locked(np);
    n = p ? find_child(m, p, r->name) : NULL;
    if (np != NULL && (old = find_child(m, np, r->buf)) != NULL && old != n) {
      unhash_name(m, old);
      if (r->aside != NULL) {
        /* The open target lives on under its hidden name until its last
         * close, as after unlink (silly_cb). */
        char *nm = strdup(strrchr(r->aside, '\\') + 1);
        if (nm != NULL) {
          free(old->name);
          old->name = nm;
          old->silly = old->nopen > 0;
          if (!old->silly)
            gone = r->aside;
        }
      }
    }
    if (n != NULL && np != NULL) {
      char *nm = strdup(r->buf);
      unhash_name(m, n);
      if (nm != NULL) {
        free(n->name);
        n->name = nm;
        n->parent->nchild--;
        n->parent = np;
        np->nchild++;
        hash_name(m, n);
      } else {
        n->hashed = 0; /* renamed away: no name to be found under */
      }
      maybe_free(m, p);
    }
    pthread_mutex_unlock(&m->mu);
    if (gone != NULL)
      (void)dfsc_unlink_async(r->ctx, gone, ignore_cb, NULL);
  } else if (r->aside != NULL) {
    /* The target was set aside for nothing: it goes back (once; a failure
     * leaves it under the hidden name, which its last close removes). */
    (void)dfsc_rename2_async(r->ctx, r->aside, r->target, 0, ignore_cb, NULL);
  }
  fuse_reply_err(rq_out(r), e);
  rq_free(r);
}

/* Step one of a rename over a target that is open here: the target was set
 * aside under a hidden name; now the rename proper. */
static void aside_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  int e = res_errno(res, 0), rc;

  if (e != 0) {
    free(r->aside);
    r->aside = NULL;
    fuse_reply_err(rq_out(r), e);
    rq_free(r);
    return;
  }
  /* From here the server has changed: the rename goes through even if
   * the program is interrupted, and rename_cb puts the target back if it
   * fails. */
  rq_disarm(r);
  rc = dfsc_rename2_async(r->ctx, r->path, r->target, DFSC_RENAME_REPLACE, rename_cb, r);
  if (rc < 0) {
    dfsc_result fake;
    memset(&fake, 0, sizeof(fake));
    fake.err = rc;
    rename_cb(&fake, r);
  }
}

/* Under mu: whether the rename's target (newparent, newname) is a file
 * open here, other than the source: SMB refuses to replace an open file
 * (STATUS_ACCESS_DENIED), where POSIX replaces the name and leaves the
 * open file to its holders. */
static int target_open_locked(struct mnt *m, fuse_ino_t parent, const char *name,
                              fuse_ino_t newparent, const char *newname) {
  struct node *p = find_ino(m, parent), *np = find_ino(m, newparent), *s, *t;

  if (np == NULL || (t = find_child(m, np, newname)) == NULL || t->nopen == 0 ||
      t->kind != N_FS || (t->have_st && t->st.is_dir))
    return 0;
  s = p != NULL ? find_child(m, p, name) : NULL;
  return s != t;
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
                      fuse_ino_t newparent, const char *newname, unsigned int flags) {
  struct mnt *m = fuse_req_userdata(req);
  struct rq *r;
  char *np;
  int err = 0, rc, open;

  if (flags & ~(unsigned)RENAME_NOREPLACE) {
    fuse_reply_err(req, EINVAL); /* RENAME_EXCHANGE, RENAME_WHITEOUT */
    return;
  }
  if ((err = name_errno(newname)) != 0) {
    fuse_reply_err(req, err);
    return;
  }
  if ((r = child_rq(req, parent, name)) == NULL)
    return;
  np = node_path(m, newparent, newname, r->uid, &err);
  if (np == NULL) {
    fuse_reply_err(rq_out(r), err == EPERM ? EXDEV : err);
    rq_free(r);
    return;
  }
  if (!same_share(np, r->path)) {
    fuse_reply_err(rq_out(r), EXDEV);
    free(np);
    rq_free(r);
    return;
  }
  r->newparent = newparent;
  r->buf = strdup(newname);
  if (r->buf == NULL) {
    free(np);
    rq_fail(r, -ENOMEM);
    return;
  }
  pthread_mutex_lock(&m->mu);
  open = !(flags & RENAME_NOREPLACE) &&
         target_open_locked(m, parent, name, newparent, newname);
  pthread_mutex_unlock(&m->mu);
  if (open) {
    /* Set the open target aside as unlink does (op_unlink), then rename. */
    const char *slash = strrchr(np, '\\');
    static atomic_uint seq;
    r->target = np;
    if (asprintf(&r->aside, "%.*s\\.dfsc-deleted-%llx-%u", (int)(slash - np), np,
                 (unsigned long long)time(NULL), atomic_fetch_add(&seq, 1)) < 0) {
      r->aside = NULL;
      rq_fail(r, -ENOMEM);
      return;
    }
    if ((rc = rq_arm(r, aside_cb)) == 0)
      rc = rq_armed(r, dfsc_rename2_async(r->ctx, np, r->aside, 0, aside_cb, r));
    if (rc < 0) {
      free(r->aside);
      r->aside = NULL;
      rq_fail(r, rc);
    }
    return;
  }
  if ((rc = rq_arm(r, rename_cb)) == 0)
    rc =
        rq_armed(r, dfsc_rename2_async(r->ctx, r->path, np,
                                       (flags & RENAME_NOREPLACE) ? 0 : DFSC_RENAME_REPLACE,
                                       rename_cb, r));
  free(np);
  if (rc < 0)
    rq_fail(r, rc);
}

static void statfs_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  struct statvfs sv;
  int e = res_errno(res, 0);

  if (e != 0) {
    fuse_reply_err(rq_out(r), e);
  } else {
    memset(&sv, 0, sizeof(sv));
    sv.f_bsize = sv.f_frsize =
        res->fs.block_size ? (unsigned long)res->fs.block_size : 4096;
    sv.f_blocks = (fsblkcnt_t)res->fs.blocks;
    sv.f_bfree = (fsblkcnt_t)res->fs.blocks_free;
    sv.f_bavail = (fsblkcnt_t)res->fs.blocks_avail;
    sv.f_namemax = DFSC_MOUNT_NAME_MAX;
    fuse_reply_statfs(rq_out(r), &sv);
  }
  rq_free(r);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino) {
  struct mnt *m = fuse_req_userdata(req);
  struct statvfs sv;
  struct rq *r;
  int found, rc;
  enum nkind k = kind_of(m, ino, &found);

  if (!found || (k != N_SHARE && k != N_FS)) {
    memset(&sv, 0, sizeof(sv));
    sv.f_bsize = sv.f_frsize = 4096;
    sv.f_namemax = DFSC_MOUNT_NAME_MAX;
    fuse_reply_statfs(req, &sv);
    return;
  }
  if ((r = rq_new(m, req, ino)) == NULL || rq_path(r, ino) < 0)
    return;
  r->path[share_prefix(r->path)] = '\0';
  if ((rc = rq_arm(r, statfs_cb)) == 0)
    rc = rq_armed(r, dfsc_statfs_async(r->ctx, r->path, statfs_cb, r));
  if (rc < 0)
    rq_fail(r, rc);
}

/* ---- the control files ---------------------------------------------------- */

/* Renders .dfsc/stats into fh. */
static int ctl_render_stats(struct mnt *m, struct fh *fh) {
  dfsc_stats st;
  FILE *f;
  int rc;

  rc = dfsc_stats_get(ctl_ctx(m, fh->uid), &st);
  if (rc < 0)
    return rc;
  f = open_memstream(&fh->text, &fh->len);
  if (f == NULL)
    return -ENOMEM;
  dfsc__fe_stats_print(f, &st, 0);
  /* The mount's own counters, in the same form. */
  pthread_mutex_lock(&m->mu);
  fprintf(
      f,
      "%-22s %llu\n%-22s %llu\n%-22s %llu\n%-22s %llu\n%-22s %llu\n%-22s %llu\n"
      "%-22s %llu\n%-22s %llu\n%-22s %llu\n%-22s %llu\n%-22s %llu\n%-22s %llu\n"
      "%-22s %llu\n%-22s %llu\n%-22s %llu\n%-22s %llu\n%-22s %llu\n%-22s %llu\n"
      "%-22s %llu\n%-22s %llu\n%-22s %llu\n%-22s %llu\n%-22s %llu\n%-22s %llu\n"
      "%-22s %llu\n",
      "mount_listing_bytes", (unsigned long long)m->listing_bytes, "mount_listing_hwm",
      (unsigned long long)m->listing_hwm, "mount_dir_handles",
      (unsigned long long)m->dir_handles, "mount_emfile",
      (unsigned long long)m->refused_handles, "mount_enomem",
      (unsigned long long)m->refused_bytes, "mount_hosts_refused",
      (unsigned long long)m->refused_hosts, "mount_listings",
      (unsigned long long)m->inflight, "mount_eagain",
      (unsigned long long)m->refused_inflight, "mount_listings_parked",
      (unsigned long long)m->parked, "mount_listing_waits", (unsigned long long)m->waits,
      "mount_listing_eintr", (unsigned long long)m->waits_interrupted, "mount_interrupts",
      (unsigned long long)m->interrupts, "mount_cancels", (unsigned long long)m->cancels,
      "mount_held_waits", (unsigned long long)m->held_waits, "mount_parallel_dirops",
      (unsigned long long)__atomic_load_n(&m->pdo_granted, __ATOMIC_RELAXED),
      "mount_lookups_dir_hwm", (unsigned long long)m->lookups_dir_hwm,
      "mount_lookups_local_neg", (unsigned long long)m->lookups_local_neg,
      "mount_writes_behind", (unsigned long long)m->writes_behind,
      "mount_writes_behind_err", (unsigned long long)m->writes_behind_err,
      "mount_direct_writers", (unsigned long long)m->direct_opens,
      "mount_copy_server_bytes", (unsigned long long)m->copies_server_bytes,
      "mount_times_at_close", (unsigned long long)m->times_at_close, "mount_reads_spliced",
      (unsigned long long)__atomic_load_n(&m->reads_spliced, __ATOMIC_RELAXED),
      "mount_splice_fallbacks",
      (unsigned long long)__atomic_load_n(&m->splice_fallbacks, __ATOMIC_RELAXED),
      "mount_splice_declined",
      (unsigned long long)__atomic_load_n(&m->splice_declined, __ATOMIC_RELAXED));
  pthread_mutex_unlock(&m->mu);
  return fclose(f) == 0 ? 0 : -ENOMEM;
}

/* Renders .dfsc/whoami into fh: the identity the caller appears as. */
static int ctl_render_whoami(struct mnt *m, struct fh *fh) {
  char text[PATH_MAX + 300];

  whoami_text(m, fh->uid, text, sizeof(text));
  if ((fh->text = strdup(text)) == NULL)
    return -ENOMEM;
  fh->len = strlen(text);
  return 0;
}

static void ctl_snapshot_cb(const dfsc_result *res, void *arg) {
  struct rq *r = arg;
  struct fuse_file_info fi;
  int rc = res->err;

  if (rc == 0 && res->cache != NULL) {
    FILE *f = open_memstream(&r->fh->text, &r->fh->len);
    if (f == NULL) {
      rc = -ENOMEM;
    } else {
      dfsc__fe_cache_print(f, res->cache, 0);
      if (fclose(f) != 0 || r->fh->len > CTL_TEXT_MAX)
        rc = -ENOMEM;
    }
  }
  dfsc_cache_info_free(res->cache);
  /* The text is held until release: it counts like a listing. */
  if (rc == 0 && budget_charge(r->m, r->fh, (uint64_t)r->fh->len + 1) != 0)
    rc = -ENOMEM;
  pthread_mutex_lock(&r->m->mu);
  budget_inflight_end_locked(r->m, r->fh);
  pthread_mutex_unlock(&r->m->mu);
  if (rc != 0) {
    fuse_reply_err(rq_out(r), dfsc__mount_errno(rc, res->ntstatus, 0));
    fh_drop(r->m, r->fh);
  } else {
    memset(&fi, 0, sizeof(fi));
    fi.fh = (uintptr_t)r->fh;
    fi.direct_io = 1; /* the size is not known before the open */
    fi.nonseekable = 0;
    if (fuse_reply_open(rq_out(r), &fi) != 0)
      fh_drop(r->m, r->fh);
  }
  ready_run(r->m);
  rq_free(r);
}

/* ---- the session ----------------------------------------------------------- */

static void op_init(void *userdata, struct fuse_conn_info *conn) {
  struct mnt *m = userdata;

  /* fcntl and flock locks go to the server (op_setlk, op_flock), or with
   * -o nobrl stay in the kernel, which then keeps them among this
   * machine's processes only. */
  if (m->o->nobrl)
    conn->want &= ~(unsigned)(FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS);
  else
    conn->want |= conn->capable & (FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS);
  /* Large requests: one FUSE read becomes one pipelined library read. */
  conn->max_write = IO_MAX;
  if (m->user_maxread_set)
    conn->max_read = (unsigned)m->user_maxread; /* as given in the FUSE options */
  else if (m->splice_max > 0 && m->splice_max < IO_MAX)
    conn->max_read = (unsigned)m->splice_max; /* as the max_read mount option */
  /* Lookups in one directory at once. libfuse 3.14 (Debian 12) records
   * this but never sends it to the kernel, which then serialises the
   * lookups of one directory; fresh attributes from a listing (below, in
   * op_lookup) answer most of them without the network. */
  if (conn->capable & FUSE_CAP_PARALLEL_DIROPS)
    conn->want |= FUSE_CAP_PARALLEL_DIROPS;
  /* Spliced reads (spipe_get): when the kernel and libfuse take spliced
   * replies and pipes hold a whole read (splice_probe, before the mount). */
  if (m->splice_max > 0 && (conn->capable & FUSE_CAP_SPLICE_WRITE)) {
    conn->want |= FUSE_CAP_SPLICE_WRITE;
    __atomic_store_n(&m->splice_on, 1, __ATOMIC_RELEASE);
  }
}

static const struct fuse_lowlevel_ops ops = {
    .init = op_init,
    .lookup = op_lookup,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .mkdir = op_mkdir,
    .unlink = op_unlink,
    .rmdir = op_rmdir,
    .rename = op_rename,
    .link = op_link,
    .symlink = op_symlink,
    .readlink = op_readlink,
    .open = op_open,
    .create = op_create,
    .read = op_read,
    .write = op_write,
    .copy_file_range = op_copy_file_range,
    .flush = op_flush,
    .getlk = op_getlk,
    .setlk = op_setlk,
    .flock = op_flock,
    .getxattr = op_getxattr,
    .listxattr = op_listxattr,
    .setxattr = op_setxattr,
    .removexattr = op_removexattr,
    .release = op_release,
    .fsync = op_fsync,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .readdirplus = op_readdirplus,
    .releasedir = op_releasedir,
    .fsyncdir = op_fsyncdir,
    .statfs = op_statfs,
};

static void fixed_node(struct mnt *m, struct node *n, uint64_t ino, struct node *parent,
                       const char *name, enum nkind kind) {
  n->ino = ino;
  n->parent = parent;
  n->name = (char *)name;
  n->kind = kind;
  n->pinned = 1;
  link_node(m, n);
  if (parent != NULL)
    parent->nchild++;
}

static int mnt_init(struct mnt *m, struct dfsc__mount_opts *o) {
  struct timespec now;

  memset(m, 0, sizeof(*m));
  m->o = o;
  m->nbuckets = 1024;
  m->by_ino = calloc(m->nbuckets, sizeof(*m->by_ino));
  m->by_name = calloc(m->nbuckets, sizeof(*m->by_name));
  m->live = calloc(LIVE_BUCKETS, sizeof(*m->live));
  if (m->by_ino == NULL || m->by_name == NULL || m->live == NULL)
    return -ENOMEM;
  pthread_mutex_init(&m->mu, NULL);
  pthread_mutex_init(&m->lease_mu, NULL);
  pthread_mutex_init(&m->uctx_mu, NULL);
  pthread_mutex_init(&m->iobuf_mu, NULL);
  pthread_cond_init(&m->lease_cv, NULL);
  pthread_cond_init(&m->wb_cv, NULL);
  m->next_ino = INO_FIRST;
  fixed_node(m, &m->root, FUSE_ROOT_ID, NULL, "", N_ROOT);
  fixed_node(m, &m->ctl, INO_CTL, &m->root, ".dfsc", N_CTL);
  fixed_node(m, &m->ctl_cache, INO_CTL_CACHE, &m->ctl, "cache", N_CTL_CACHE);
  fixed_node(m, &m->ctl_stats, INO_CTL_STATS, &m->ctl, "stats", N_CTL_STATS);
  fixed_node(m, &m->ctl_whoami, INO_CTL_WHOAMI, &m->ctl, "whoami", N_CTL_WHOAMI);
  clock_gettime(CLOCK_REALTIME, &now);
  m->vdir.is_dir = 1;
  m->vdir.write_time = m->vdir.access_time = m->vdir.change_time = m->vdir.create_time =
      dfsc_filetime_from_unix((int64_t)now.tv_sec, now.tv_nsec);
  return 0;
}

static void mnt_free(struct mnt *m) {
  size_t i;
  struct node *n, *next;

  for (i = 0; m->by_ino && i < m->nbuckets; i++) {
    for (n = m->by_ino[i]; n; n = next) {
      next = n->ino_next;
      if (!n->pinned) {
        free(n->name);
        free(n->link);
        free(n);
      }
    }
  }
  for (i = 0; i < m->nknown; i++)
    free(m->known[i]);
  free(m->known);
  free(m->ub);
  free(m->by_ino);
  free(m->by_name);
  free(m->live);
  while (m->niobufs > 0)
    free(m->iobufs[--m->niobufs]);
  while (m->nspipes > 0) {
    m->nspipes--;
    close(m->spipes[m->nspipes][0]);
    close(m->spipes[m->nspipes][1]);
  }
  pthread_mutex_destroy(&m->iobuf_mu);
  pthread_mutex_destroy(&m->mu);
  pthread_mutex_destroy(&m->lease_mu);
  pthread_cond_destroy(&m->lease_cv);
}

/* The kernel reads ahead 128 KiB on a FUSE mount by default, one FUSE read
 * at a time in flight per stream: far too little to fill a pipelined SMB
 * connection (a 256 MiB cat took 3.05 s at 128 KiB and 0.60 s at 1 MiB
 * here). The mount's backing device is found in mountinfo, not by a stat of
 * the mount point, which would wait for this very process to answer. Best
 * effort: only root may write the setting. */
/* mountinfo writes space, tab, newline and backslash as \\ooo. */
static void mountinfo_unescape(char *s) {
  char *w = s;

  for (; *s; s++) {
    if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
        s[3] >= '0' && s[3] <= '7') {
      *w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
      s += 3;
    } else {
      *w++ = *s;
    }
  }
  *w = '\0';
}

/* ---- parallel lookups ----------------------------------------------------
 *
 * The kernel runs lookups and readdir of one directory in parallel only
 * when the INIT reply carries FUSE_PARALLEL_DIROPS (linux/fuse.h, since
 * protocol 7.25). libfuse records the kernel's offer but sends the flag back
 * only from 3.17; with Debian 12's 3.14 every lookup in a directory waited
 * for the one before (the 512-link burst took 28 s). libfuse 3.13 gave
 * daemons their own reads and writes of /dev/fuse (fuse_session_custom_io):
 * through them the daemon sees the INIT request and sets the flag in its
 * reply when the kernel offered it. A newer libfuse is used as it is. The
 * daemon serves lookups of one directory in parallel already: each is an
 * asynchronous library operation, the node table is under one mutex. */
#if FUSE_MAJOR_VERSION == 3 && FUSE_MINOR_VERSION >= 13 && FUSE_MINOR_VERSION < 17
static ssize_t pdo_read(int fd, void *buf, size_t len, void *userdata) {
  struct mnt *m = userdata;
  ssize_t n = read(fd, buf, len);
  const struct fuse_in_header *h = buf;

  if (n >= (ssize_t)(sizeof(*h) + sizeof(struct fuse_init_in)) && h->opcode == FUSE_INIT) {
    const struct fuse_init_in *in = (const void *)(h + 1);
    if (in->major == 7 && in->minor >= 25 && (in->flags & FUSE_PARALLEL_DIROPS))
      __atomic_store_n(&m->pdo_init_unique, h->unique, __ATOMIC_RELEASE);
  }
  return n;
}

static ssize_t pdo_writev(int fd, struct iovec *iov, int count, void *userdata) {
  struct mnt *m = userdata;
  uint64_t u = __atomic_load_n(&m->pdo_init_unique, __ATOMIC_ACQUIRE);

  if (u != 0 && count >= 2 && iov[0].iov_len >= sizeof(struct fuse_out_header) &&
      iov[1].iov_len >= offsetof(struct fuse_init_out, flags) + sizeof(uint32_t)) {
    const struct fuse_out_header *oh = iov[0].iov_base;
    if (oh->unique == u && oh->error == 0) {
      struct fuse_init_out *out = iov[1].iov_base;
      out->flags |= FUSE_PARALLEL_DIROPS;
      __atomic_store_n(&m->pdo_init_unique, 0, __ATOMIC_RELEASE);
      __atomic_store_n(&m->pdo_granted, 1, __ATOMIC_RELEASE);
    }
  }
  return writev(fd, iov, count);
}

/* libfuse splices a reply through this only when given it. */
static ssize_t pdo_splice_send(int fdin, off_t *offin, int fdout, off_t *offout, size_t len,
                               unsigned int flags, void *userdata) {
  (void)userdata;
  return splice(fdin, offin, fdout, offout, len, flags);
}

static void pdo_install(struct fuse_session *se) {
  static const struct fuse_custom_io io = {
      .read = pdo_read, .writev = pdo_writev, .splice_send = pdo_splice_send};

  /* The same descriptor fuse_session_mount opened. Spliced replies (reads,
   * spipe_get) go out through pdo_splice_send; no request is spliced in. */
  if (fuse_session_custom_io(se, &io, fuse_session_fd(se)) != 0)
    dfsc__fe_errf("mount: lookups in one directory stay one at a time "
                  "(fuse_session_custom_io failed)");
}
#else
static void pdo_install(struct fuse_session *se) { (void)se; }
#endif

/* The file that sets this mount's read-ahead, /sys/class/bdi/MAJ:MIN/
 * read_ahead_kb, found in mountinfo by the mount point's real path (taken
 * before the mount: a stat of the new mount's root would wait for INIT). */
static void read_ahead_find(struct mnt *m, const char *abs) {
  char line[4096];
  FILE *f = abs ? fopen("/proc/self/mountinfo", "r") : NULL;
  unsigned maj = 0, min = 0;
  int found = 0;

  while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
    char mp[4096];
    unsigned a, b;
    /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT ..."; the last match is the newest
     * (this one, when it is mounted over an older mount). */
    if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &a, &b, mp) == 3 &&
        strstr(line, " - fuse") != NULL) {
      mountinfo_unescape(mp);
      if (strcmp(mp, abs) == 0) {
        maj = a;
        min = b;
        found = 1;
      }
    }
  }
  if (f != NULL)
    fclose(f);
  if (found && m->o->read_ahead_kb > 0)
    snprintf(m->ra_path, sizeof(m->ra_path), "/sys/class/bdi/%u:%u/read_ahead_kb", maj,
             min);
}

/* The kernel caps the read-ahead by the max_readahead of the INIT reply,
 * which it offered as the bdi's value at mount time (128 KiB); a value
 * written before the INIT is undone by it. So it is written by the first
 * request after INIT (lookup, getattr, open: the kernel sends nothing before
 * INIT is answered). Reads of a file then reach the daemon as requests of up
 * to a MiB, several in flight, instead of 128 KiB one after the other: dd of
 * 1 GiB out of the mount 1.3 s -> 0.7 s here. */
static void ra_apply(struct mnt *m) {
  FILE *f;
  int ok = 0;

  if (__atomic_load_n(&m->ra_done, __ATOMIC_ACQUIRE) ||
      __atomic_exchange_n(&m->ra_done, 1, __ATOMIC_ACQ_REL) || m->ra_path[0] == '\0')
    return;
  f = fopen(m->ra_path, "w");
  if (f != NULL) {
    ok = fprintf(f, "%u\n", m->o->read_ahead_kb) > 0;
    ok = fclose(f) == 0 && ok;
  }
  /* Only root may write it: a user's mount keeps the kernel's quietly. */
  if (!ok && geteuid() == 0)
    dfsc__fe_errf("mount: warning: read-ahead stays the kernel's (%s: %s)", m->ra_path,
                  strerror(errno));
}

/* The environment variables the password may have come from, which
 * /proc/PID/environ would show for the life of the daemon. Called before
 * dfsc_ctx_new starts the library's threads: unsetenv is not thread-safe
 * (glibc: MT-Unsafe const:env), and nothing reads them after main() took
 * its copy (opts->password). */
static void wipe_password_env(void) {
  static const char *const vars[] = {"DFSC_PASSWORD", "PASSWD"};
  size_t i;

  for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
    char *v = getenv(vars[i]);
    if (v != NULL) {
      explicit_bzero(v, strlen(v));
      unsetenv(vars[i]);
    }
  }
}

/* The caller's copy of the password (opts->password, a writable copy; see
 * mount.h), once the library holds its own. */
static void wipe_password_copy(dfsc_opts *opts) {
  if (opts->password != NULL) {
    explicit_bzero((char *)(uintptr_t)opts->password, strlen(opts->password));
    opts->password = NULL;
  }
}

int dfsc__mount_main(dfsc_opts *opts, struct dfsc__mount_opts *mo, const char *mountpoint,
                     int verbose) {
  struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
  struct fuse_session *se = NULL;
  struct fuse_loop_config *lc = NULL;
  struct mnt m;
  char *fopts = NULL, *mp_abs = NULL;
  char maxread[32] = "";
  int status = 1, rc, mounted = 0, handlers = 0;

  (void)verbose;
  /* A core dump or a ptrace by the same user would read the password and
   * the session keys. main() made the process non-dumpable before reading
   * any option; said again here, before the fork into the daemon (which
   * inherits it), so that the daemon never depends on the caller for it.
   * -o dumpable is the way back for debugging (cores then hold the
   * secrets); root can attach with gdb in any case. */
  if (prctl(PR_SET_DUMPABLE, mo->dumpable ? 1 : 0, 0, 0, 0) != 0)
    dfsc__fe_errf("mount: warning: PR_SET_DUMPABLE: %s", strerror(errno));
  if (mnt_init(&m, mo) != 0) {
    fprintf(stderr, "dfsc: mount: %s\n", strerror(ENOMEM));
    mnt_free(&m);
    return 1;
  }
  m.owner = getuid();
  m.cred_servers = opts->cred_servers;
  if (mo->multiuser && !mo->allow_other) {
    dfsc__fe_errf("mount: -o multiuser needs allow_other (other users cannot reach the "
                  "mount without it)");
    mnt_free(&m);
    return 2;
  }
  /* multiuser: every user reaches the server as themselves and the server
   * judges what they may do; the kernel's check against the modes shown
   * (default_permissions, which allow_other brings) would refuse what the
   * server allows them. */
  if (mo->multiuser && mo->fuse_opts != NULL)
    dfsc__mount_drop_fuse_opt(mo->fuse_opts, "default_permissions");
  /* Other users' contexts: the mount's options without its identity. */
  m.uopts = *opts;
  m.uopts.user = m.uopts.password = NULL;
  snprintf(m.base.who, sizeof(m.base.who), "the mount's own credentials (%s%s%s)",
           opts->domain ? opts->domain : "", opts->domain ? "\\" : "",
           opts->user                                 ? opts->user
           : opts->kerberos == DFSC_KERBEROS_REQUIRED ? "Kerberos"
                                                      : "anonymous");
  m.inflight_max = dfsc__mount_listings_inflight(mo);
  m.inflight_uid_max = mo->listings_inflight_uid;
  m.queue_max = mo->listings_queue;
  m.queue_uid_max = mo->listings_queue_uid;
  m.log_level = opts->log_cb != NULL ? opts->log_level : DFSC_LOG_WARN;
  fuse_set_log_func(fuse_log_escaped);
  if (mo->allow_other && !mo->open_hosts && mo->nhosts == 0 && opts->cred_servers == NULL)
    dfsc__fe_errf("mount: allow_other: users other than uid %u can reach no server; name "
                  "them with -o hosts=HOST[/SHARE]:... (docs/mount.md)",
                  (unsigned)m.owner);
  /* Reads spliced when pipes can hold them: as large as IO_MAX where they
   * may be, else the kernel asks for no more than they hold (max_read). */
  m.page = (size_t)sysconf(_SC_PAGESIZE);
  if (m.page < 4096)
    m.page = 4096;
  m.spipes_cap = SPLICE_PIPES;
  m.splice_max = mo->no_splice ? 0 : splice_probe(m.page);
  /* A max_read of the user's own (FUSE options) stands, and bounds what is
   * spliced. */
  m.user_maxread_set = user_max_read(mo->fuse_opts, &m.user_maxread);
  if (m.user_maxread_set && m.splice_max > m.user_maxread)
    m.splice_max = m.user_maxread;
  if (!mo->no_splice && m.splice_max == 0)
    mlog(&m, DFSC_LOG_INFO,
         "reads go through memory: /proc/sys/fs/pipe-max-size is too "
         "small to splice them");
  if (m.splice_max > 0 && m.splice_max < IO_MAX && !m.user_maxread_set)
    snprintf(maxread, sizeof(maxread), ",max_read=%zu", m.splice_max);
  if (asprintf(&fopts, "fsname=dfsc,subtype=dfsc%s%s%s", maxread, mo->fuse_opts ? "," : "",
               mo->fuse_opts ? mo->fuse_opts : "") < 0) {
    fopts = NULL;
    goto out;
  }
  if (fuse_opt_add_arg(&args, "dfsc") != 0 || fuse_opt_add_arg(&args, "-o") != 0 ||
      fuse_opt_add_arg(&args, fopts) != 0 ||
      (mo->debug && fuse_opt_add_arg(&args, "-d") != 0))
    goto out;
  se = fuse_session_new(&args, &ops, sizeof(ops), &m);
  m.se = se;
  if (se == NULL) {
    dfsc__fe_errf("mount: libfuse refused the options '%s'", fopts);
    status = 2;
    goto out;
  }
  if (fuse_set_signal_handlers(se) != 0)
    goto out;
  handlers = 1;
  mp_abs = realpath(mountpoint, NULL); /* before the mount: see read_ahead_find */
  if (fuse_session_mount(se, mountpoint) != 0) {
    dfsc__fe_errf("mount: cannot mount on %s", mountpoint);
    goto out;
  }
  mounted = 1;
  pdo_install(se);
  read_ahead_find(&m, mp_abs);
  if (fuse_daemonize(mo->foreground) != 0)
    goto out;
  dfsc__mount_net_opts(mo, opts);
  wipe_password_env(); /* while this is the only thread */
  rc = ctx_new_quiet(opts, &m.ctx);
  wipe_password_copy(opts); /* the context has its own */
  if (rc != 0) {
    dfsc__fe_errf("mount: cannot start: %s", dfsc_strerror(rc));
    goto out;
  }
  /* One listing never holds more than one uid may (or all may) hold once
   * copied: a larger one could not be kept, and the library would build it
   * whole (up to 256 MiB) before the budget sees it. */
  rc = dfsc_set_dir_max_bytes(m.ctx, (size_t)dfsc__mount_listing_max(mo));
  if (rc == 0)
    rc = inval_start(&m);
  if (rc != 0) {
    dfsc__fe_errf("mount: cannot start: %s", dfsc_strerror(rc));
    goto out;
  }
  if (mo->single_thread) {
    rc = fuse_session_loop(se);
  } else {
    lc = fuse_loop_cfg_create();
    if (lc == NULL)
      goto out;
    fuse_loop_cfg_set_max_threads(lc, mo->max_threads);
    fuse_loop_cfg_set_clone_fd(lc, 0);
    rc = fuse_session_loop_mt(se, lc);
  }
  status = rc == 0 || rc == SIGTERM || rc == SIGINT || rc == SIGHUP ? 0 : 1;

out:
  /* The loop has ended: no request starts any more. What waits and what is
   * in flight is failed and answered first, while the device is still open
   * (after the unmount its descriptor number could already belong to a
   * socket). */
  inval_stop(&m);
  park_drain(&m);
  uctx_free_all(&m);
  if (m.ctx != NULL)
    dfsc_ctx_free(m.ctx);
  if (mounted)
    fuse_session_unmount(se);
  if (handlers)
    fuse_remove_signal_handlers(se);
  if (se != NULL)
    fuse_session_destroy(se);
  if (lc != NULL)
    fuse_loop_cfg_destroy(lc);
  fuse_opt_free_args(&args);
  free(mp_abs);
  free(fopts);
  mnt_free(&m);
  return status;
}
