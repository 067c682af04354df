/* The DFS resolver ([MS-DFSC] 3.1.4.1, 3.1.5): turns a DFS path into the
 * target to send an operation to, using the referral cache and, on a miss,
 * link referrals fetched from the DFS root target that answered
 * STATUS_PATH_NOT_COVERED.
 *
 * How a path resolves:
 *   - longest-prefix match in the referral cache; a link entry rewrites its
 *     prefix to the hinted target and the walk continues on the new path (so
 *     interlinks and links to other namespaces resolve the same way);
 *   - no entry: the path is used as it is; whether its share is a DFS root is
 *     learnt from the tree connect (SMB2_SHAREFLAG_DFS), and an operation there
 *     that gets STATUS_PATH_NOT_COVERED asks that server for a link referral
 *     (dfsc__dfs_refer), which fills the cache;
 *   - every walk is bounded by DFSC_DFS_HOPS_MAX rewrites, so a cyclic
 *     namespace ends with DFSC_E_LOOP.
 * Referral requests are single-flight per link (concurrent misses under one
 * link share one request, P4) and throttled: at most max_inflight in flight
 * globally and max_per_server per server; further ones wait in a bounded FIFO
 * that holds no thread (P3). The queue work of starting, joining or ending
 * one is O(1) amortized whatever the queue holds (one FIFO per server, the
 * servers with waiting requests and room take turns, single flight is a hash
 * lookup); besides it, each request and each start looks its path up in the
 * cache (bounded by cache_max).
 *
 * Bounds: at most queue_max requests wait (past it dfsc__dfs_refer returns
 * DFSC_E_BUSY). The waiters that join a request (dfsc_dfs_req, embedded in
 * the caller) are not counted here: each belongs to one live operation of
 * the context, so the context's budget of live operations (dfsc_set_max_ops)
 * bounds every waiter list, and a waiter list never outlives its request.
 *
 * Targets ([MS-DFSC] 2.2.5.4, 3.2.1.1, 3.2.1.2): a V4 referral groups its
 * targets into target sets (in-site first, then by site cost; random order
 * inside a set, chosen by the server), the first target of each set marked
 * TargetSetBoundary. The cache keeps the server's order and each target's
 * set; a walk that fails on a target tries the rest of its set first, then
 * the later sets in order, then the earlier ones ([MS-DFSC] 3.1.5.2: "the
 * next target"). Below V4 all targets form one set.
 *
 * Loop thread only. Does not: open files, decide when an operation is done.
 */
#ifndef DFSC_DFS_RESOLVER_H
#define DFSC_DFS_RESOLVER_H

#include <stddef.h>
#include <stdint.h>

#include "core/log.h"
#include "core/loop.h"
#include "dfs/cache.h"
#include "session/sl.h"

#define DFSC_DFS_HOPS_MAX 16
#define DFSC_DFS_PATH_MAX 4096

typedef struct dfsc_dfs dfsc_dfs;
typedef struct dfsc_dfs_req dfsc_dfs_req;

typedef struct dfsc_dfs_cfg {
  unsigned max_inflight;   /* referral requests in flight, globally (default 8) */
  unsigned max_per_server; /* ... per server (default 4) */
  size_t queue_max;        /* waiting referral requests (default 65536) */
  size_t cache_max;        /* referral cache entries (default 4096) */
  uint64_t grace_ms;       /* soft-expiry grace past the TTL (default 1 h) */
  int referral_ex;         /* try REQ_GET_DFS_REFERRAL_EX first (per server, with
                              fallback to the plain form when refused) */
  const char *site;        /* SiteName for the _EX form (NULL: none); not copied */
} dfsc_dfs_cfg;

typedef struct dfsc_dfs_stats {
  uint64_t referrals_sent;
  uint64_t referrals_coalesced; /* misses that joined a request in flight */
  uint64_t referrals_queued;    /* requests that waited for the throttle */
  uint64_t referrals_failed;
  uint64_t queue_hwm;
  uint64_t failovers;
  uint64_t loops;                /* walks ended by the hop limit */
  uint64_t referrals_ex_refused; /* _EX requests a server refused (then resent plain) */
  /* Queue entries, servers and hash chain links examined to start, join or
   * answer referral requests: the loop work of the throttle (tests check it
   * grows linearly with the requests). */
  uint64_t queue_steps;
} dfsc_dfs_stats;

/* One hop of a resolution, for `dfsc resolve`. */
typedef struct dfsc_dfs_hop {
  char prefix[DFSC_DFS_PATH_MAX]; /* the cache entry's prefix */
  char target[DFSC_DFS_PATH_MAX]; /* the target chosen */
  int root, interlink;
  uint16_t version;
  uint32_t ttl;
  size_t n_targets, chosen;
  unsigned set, n_sets; /* the chosen target's target set, and how many sets */
} dfsc_dfs_hop;

int dfsc__dfs_new(dfsc_sl *sl, dfsc_loop *loop, const dfsc_logger *log,
                  const dfsc_dfs_cfg *cfg, dfsc_dfs **out);
/* Fails queued and in-flight referral requests (their waiters get
 * DFSC_E_SHUTDOWN) and frees everything. */
void dfsc__dfs_free(dfsc_dfs *d);

dfsc_dfs_cache *dfsc__dfs_cache(dfsc_dfs *d);
dfsc_loop *dfsc__dfs_loop(const dfsc_dfs *d);
void dfsc__dfs_stats(const dfsc_dfs *d, dfsc_dfs_stats *out);

/* Rewrites path ("\host\share\rest", UTF-8) through the cache into out
 * (same form), following links up to DFSC_DFS_HOPS_MAX times. Records the
 * hops taken in hops[0..*nhops) when hops is not NULL. Returns 0,
 * DFSC_E_LOOP, or DFSC_E_BADPATH (a rewritten path too long). Never does
 * I/O. The entry whose target was chosen last (for failover) goes to
 * *last_entry_prefix when not NULL (cap DFSC_DFS_PATH_MAX). */
int dfsc__dfs_rewrite(dfsc_dfs *d, const char *path, char *out, dfsc_dfs_hop *hops,
                      size_t *nhops, char *last_entry_prefix);

/* What one walk has tried: bit i of `tried` is target i of the entry
 * `prefix` (DFSC_DFS_TARGETS_MAX is 64). */
typedef struct dfsc_dfs_avoid {
  const char *prefix;
  uint64_t tried;
} dfsc_dfs_avoid;

/* dfsc__dfs_rewrite for a walk that already tried targets: on the entry
 * avoid->prefix it takes the hint unless the walk tried it, else the next
 * untried target in referral order. The index of the target chosen on the
 * last entry goes to *last_entry_target when not NULL. avoid may be NULL. */
int dfsc__dfs_rewrite_avoid(dfsc_dfs *d, const char *path, char *out, dfsc_dfs_hop *hops,
                            size_t *nhops, char *last_entry_prefix,
                            size_t *last_entry_target, const dfsc_dfs_avoid *avoid);

/* ---- link referrals ----------------------------------------------------- */
struct dfsc_dfs_req {
  /* err 0: the cache now has an entry covering the path (or the server said
   * there is none: then err is DFSC_E_NTSTATUS with its status). */
  void (*cb)(dfsc_dfs_req *q, int err, uint32_t ntstatus);
  void *data;
  /* The server's port (0: the configured one): the port a user named in an
   * smb:// URL applies to the referrals asked of that same host. */
  uint16_t port;
  /* private */
  dfsc_dfs_req *next;
  struct fetch *f;
};

/* Asks server (a DFS root target, "\server\share" form not needed: the
 * host name) for a referral covering dfs_path ("\root\share\link\rest"), with
 * identity cr (NULL: default). Joins a request in flight for the same link
 * when there is one. q is embedded by the caller, alive until its cb. The cb
 * may run inside this call when the request fails at once (the caller must
 * not touch q's owner after a 0 return). Returns 0 or a negative code
 * (DFSC_E_BUSY when the waiting queue is full; cb then never runs). */
int dfsc__dfs_refer(dfsc_dfs *d, const char *server, const char *dfs_path,
                    const dfsc_sl_creds *cr, dfsc_dfs_req *q);

/* Target `failed` (its index, as dfsc__dfs_rewrite_avoid chose it) of the
 * entry `prefix` failed for a walk (unreachable, session or tree failure,
 * connection lost). Records it in the walk's *tried and moves the entry's
 * hint to the next target ([MS-DFSC] 3.1.5.2) that this walk has not tried,
 * in failover order (the rest of the failed target's set, then the later
 * sets, then the earlier ones), only if the hint still names the failed
 * one: concurrent walks failing on one target move it once. Returns 0 (try
 * again, with *tried as the walk's avoid set), -ENOENT (no such entry) or
 * -EHOSTUNREACH (every target tried by this walk, or the same one twice). */
int dfsc__dfs_failover(dfsc_dfs *d, const char *prefix, size_t failed, uint64_t *tried);

/* The entry `prefix` has expired: returns 1 and the server to refresh it
 * from (the one that gave it) when a refresh should be sent now, else 0.
 * A refresh that fails is retried no sooner than 30 s later; meanwhile the
 * old targets serve (soft expiry, until the hard bound drops the entry). */
int dfsc__dfs_needs_refresh(dfsc_dfs *d, const char *prefix, char *server, size_t cap);

/* Decodes RESP_GET_DFS_REFERRAL (buf, len) that `server` sent for `path`
 * and stores it: a root or link referral as a referral cache entry for the
 * prefix it consumed (copied to prefix, cap bytes), keeping the server's
 * target order and target sets; a domain or DC referral in the domain cache
 * (prefix ""). Returns 0, DFSC_E_NTSTATUS (no targets: [MS-DFSC] 3.1.5.4.3),
 * DFSC_E_PROTO (unusable), or another negative code. The resolver calls it
 * on every answer; tests feed it PDUs. */
int dfsc__dfs_referral_store(dfsc_dfs *d, const char *server, const char *path,
                             const uint8_t *buf, size_t len, char *prefix, size_t cap);

/* Tests only: replaces dfsc__tree_get, how a started referral request gets
 * the IPC$ tree of its server (NULL: back to dfsc__tree_get). */
typedef int (*dfsc_dfs_tree_get_fn)(dfsc_sl *sl, const char *host, uint16_t port,
                                    const char *share, const dfsc_sl_creds *cr,
                                    dfsc_tree_waiter *w);
void dfsc__dfs_set_tree_get(dfsc_dfs *d, dfsc_dfs_tree_get_fn fn);

/* 1 when a referral target is \\server\\share[\\path] with no empty, "."
 * or ".." component (a trailing separator allowed), else 0. Targets that
 * fail are left out of the cache entry (and logged). */
int dfsc__dfs_target_ok(const char *t);

#endif
