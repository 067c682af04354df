/* The DFS referral cache and domain cache ([MS-DFSC] 3.1.1).
 *
 * Referral cache: entries keyed by a DFS path prefix ("\dfsroot\dfs" for a
 * root, "\dfsroot\dfs\link" for a link), matched longest-prefix on path
 * component boundaries, case-insensitively (ASCII folding, as Windows does for
 * the names Samba serves). Each entry holds its type, interlink flag,
 * absolute expiry, the target list in referral order with each target's
 * target set ([MS-DFSC] 3.1.1 TargetList), the target hint, and
 * TargetFailback. Domain cache: domain name -> DC list with a hint.
 *
 * Both caches are bounded: when full, the least recently used entry goes.
 * An expired entry is still returned (soft expiry) so the resolver can use
 * it while a refresh fails, up to its hard expiry, after which it is gone.
 * Times are in the loop clock's milliseconds, passed in by the caller, so
 * tests can move time.
 *
 * Loop thread only. Does not: send referrals (resolver.c), decide failover.
 */
#ifndef DFSC_DFS_CACHE_H
#define DFSC_DFS_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define DFSC_DFS_CACHE_MAX_DEFAULT 4096
#define DFSC_DFS_TARGETS_MAX 64

typedef struct dfsc_dfs_target {
  char *path; /* "\server\share[\rest]" as the referral gave it */
  /* Its target set, counted from 0 in referral order: a V4 entry flagged
   * TargetSetBoundary starts the next one ([MS-DFSC] 2.2.5.4). Sets are
   * contiguous and never decrease along targets[]; below V4 all are 0. */
  unsigned set;
} dfsc_dfs_target;

typedef struct dfsc_dfs_entry {
  char *prefix;  /* "\server\share[\link...]", no trailing separator */
  int root;      /* a root referral (the targets are root targets) */
  int interlink; /* a link whose targets are themselves DFS roots */
  int target_failback;
  uint16_t version;      /* referral version the server used */
  uint32_t ttl;          /* seconds, from the referral */
  uint64_t expires;      /* now + ttl */
  uint64_t hard_expires; /* expires + the soft-expiry grace */
  size_t n;
  dfsc_dfs_target *targets;
  size_t hint;       /* index of the target in use ([MS-DFSC] TargetHint) */
  char *source;      /* the server that gave the referral (refreshes go there) */
  uint64_t retry_at; /* a failed refresh is not retried before this */
  /* private */
  struct dfsc_dfs_entry *lru_prev, *lru_next;
  uint64_t hits;
} dfsc_dfs_entry;

typedef struct dfsc_dfs_cache dfsc_dfs_cache;

/* max_entries 0: DFSC_DFS_CACHE_MAX_DEFAULT; grace_ms: how long past its TTL
 * an entry may serve while refreshes fail. */
int dfsc__dfs_cache_new(size_t max_entries, uint64_t grace_ms, dfsc_dfs_cache **out);
void dfsc__dfs_cache_free(dfsc_dfs_cache *c);

/* Longest-prefix match of path ("\a\b\c...") at component boundaries.
 * Entries past their hard expiry are dropped first. Returns NULL or an entry
 * owned by the cache, valid until the next insert/flush. */
dfsc_dfs_entry *dfsc__dfs_cache_lookup(dfsc_dfs_cache *c, const char *path, uint64_t now);

/* Exact-prefix lookup (no expiry handling). */
dfsc_dfs_entry *dfsc__dfs_cache_find(dfsc_dfs_cache *c, const char *prefix);

/* Inserts or replaces the entry for e->prefix. Ownership of e (and its
 * strings) passes to the cache; e must come from dfsc__dfs_entry_new.
 * A replaced entry keeps its hint when the same target is still listed.
 * Returns the entry as stored. */
dfsc_dfs_entry *dfsc__dfs_cache_insert(dfsc_dfs_cache *c, dfsc_dfs_entry *e, uint64_t now);

/* Allocates an empty entry with room for n targets. */
dfsc_dfs_entry *dfsc__dfs_entry_new(const char *prefix, size_t n);
void dfsc__dfs_entry_free(dfsc_dfs_entry *e);

void dfsc__dfs_cache_flush(dfsc_dfs_cache *c);
size_t dfsc__dfs_cache_count(const dfsc_dfs_cache *c);

/* Iterates entries in most-recently-used order: pass NULL to start. */
const dfsc_dfs_entry *dfsc__dfs_cache_next(const dfsc_dfs_cache *c,
                                           const dfsc_dfs_entry *e);

/* ---- domain cache ----------------------------------------------------- */
typedef struct dfsc_dfs_domain {
  char *name; /* NetBIOS or DNS domain name */
  size_t n;
  char **dcs; /* DC names */
  size_t hint;
  uint64_t expires;
  struct dfsc_dfs_domain *next;
} dfsc_dfs_domain;

/* Sets (replaces) the DC list of a domain; names are copied. A domain with
 * n == 0 is recorded as a known domain without DCs yet. Returns 0 or -ENOMEM. */
int dfsc__dfs_domain_set(dfsc_dfs_cache *c, const char *name, const char *const *dcs,
                         size_t n, uint64_t expires);
/* Case-insensitive lookup; NULL when unknown. */
dfsc_dfs_domain *dfsc__dfs_domain_find(dfsc_dfs_cache *c, const char *name);
const dfsc_dfs_domain *dfsc__dfs_domain_next(const dfsc_dfs_cache *c,
                                             const dfsc_dfs_domain *d);

/* Compares prefix with the start of path at a component boundary
 * (case-insensitive). Returns the length of the match in bytes, or 0. */
size_t dfsc__dfs_prefix_match(const char *prefix, const char *path);

#endif
