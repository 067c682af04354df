/* The DFS resolver: cache walks and throttled, single-flight referral
 * requests (see resolver.h).
 *
 * A referral request ("fetch") moves QUEUED -> TREE (waiting for the IPC$
 * tree of its server) -> SENT (IOCTL FSCTL_DFS_GET_REFERRALS in flight) ->
 * done, and is freed after its waiters have been called. At most
 * max_inflight fetches are past QUEUED, at most max_per_server of them for
 * one server; the rest wait.
 *
 * Waiting is per server: each server has a FIFO of its queued fetches, and
 * a server with queued fetches and room under max_per_server sits once in
 * the ready FIFO. Starting a fetch takes the first ready server, starts the
 * head of its FIFO and, if it still has room and work, puts it back at the
 * tail: servers with room take turns, each server's fetches start in
 * arrival order, and a server at its limit costs nothing until one of its
 * fetches ends. Every step is O(1); finding a fetch to join (single
 * flight) and a server by name are hash lookups. The old single queue,
 * walked from its head on every completion past the fetches of saturated
 * servers, cost O(queue x fetches) per completion.
 */
#include "dfs/resolver.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "dfs/referral.h"
#include "dfsc/dfsc.h"
#include "session/verbs.h"
#include "smb2/ioctl.h"

#define REFERRAL_MAX_LEVEL 4
#define REFERRAL_OUT_MAX 65536
#define REFRESH_RETRY_MS 30000
#define NOEX_MAX 64
/* Hash tables start at BUCKETS_MIN and double while they hold more items
 * than buckets, up to BUCKETS_MAX (then chains grow: slower, still right). */
#define BUCKETS_MIN 64u
#define BUCKETS_MAX (1u << 20)

enum fetch_state { F_QUEUED, F_TREE, F_SENT };
static const char *const fetch_state_names[] = {"QUEUED", "TREE", "SENT"};

struct server;

struct fetch {
  dfsc_dfs *d;
  enum fetch_state state;
  char server[256];
  uint16_t port;                /* 0: the configured one */
  char key[DFSC_DFS_PATH_MAX];  /* coalescing key: the path up to its link level */
  char path[DFSC_DFS_PATH_MAX]; /* what is asked */
  dfsc_sl_creds cr;             /* the identity asking (copied), when has_creds */
  int has_creds;
  int ex;          /* this request is REQ_GET_DFS_REFERRAL_EX */
  dfsc_tree *tree; /* the IPC$ tree, for a resend in the plain form */
  dfsc_tree_waiter tw;
  dfsc_verb verb; /* the FSCTL in flight */
  dfsc_dfs_req *waiters;
  struct server *srv;          /* its server (counts, queue) */
  uint32_t hash;               /* of (server, key) */
  struct fetch *hnext;         /* single-flight hash chain */
  struct fetch *prev, *next;   /* all fetches */
  struct fetch *qprev, *qnext; /* its server's waiting FIFO */
  int in_q;
};

/* A server that has fetches (queued or past QUEUED); freed with its last. */
struct server {
  char name[256];
  uint32_t hash;
  struct server *hnext;  /* hash chain */
  struct fetch *qh, *qt; /* its queued fetches, FIFO */
  struct server *rnext;  /* the ready FIFO */
  int ready;             /* in the ready FIFO */
  unsigned inflight;     /* its fetches past QUEUED */
  size_t nfetch;         /* all its fetches */
};

struct dfsc_dfs {
  dfsc_sl *sl;
  dfsc_loop *loop;
  const dfsc_logger *log;
  dfsc_dfs_cfg cfg;
  dfsc_dfs_cache *cache;
  dfsc_dfs_tree_get_fn tree_get;
  struct fetch *fetches; /* all, for shutdown and rehashing */
  struct fetch **fh;     /* fetches by (server, key) */
  size_t fh_n, nfetches;
  struct server **sh; /* servers by name */
  size_t sh_n, nservers;
  struct server *r_head, *r_tail; /* servers with queued fetches and room */
  size_t queued;
  unsigned inflight;
  int pumping; /* pump() is running: nested calls leave the work to it */
  dfsc_dfs_stats stats;
  int shutting_down;
  /* Servers that refused REQ_GET_DFS_REFERRAL_EX (bounded list). */
  char noex[NOEX_MAX][256];
  size_t n_noex;
};

static void fetch_start(struct fetch *f);
static void fetch_done(struct fetch *f, int err, uint32_t ntstatus);
static void send_referral(struct fetch *f, dfsc_tree *t);

static void fetch_set_state(struct fetch *f, enum fetch_state s) {
  DFSC_DBG(f->d->log, DFSC_CAT_DFS, "referral %s via %s: %s -> %s", f->path, f->server,
           fetch_state_names[f->state], fetch_state_names[s]);
  f->state = s;
}

int dfsc__dfs_new(dfsc_sl *sl, dfsc_loop *loop, const dfsc_logger *log,
                  const dfsc_dfs_cfg *cfg, dfsc_dfs **out) {
  dfsc_dfs *d = dfsc__calloc(1, sizeof(*d));
  int rc;
  if (d == NULL)
    return -ENOMEM;
  d->sl = sl;
  d->loop = loop;
  d->log = log;
  d->tree_get = dfsc__tree_get;
  if (cfg)
    d->cfg = *cfg;
  if (d->cfg.max_inflight == 0)
    d->cfg.max_inflight = 8;
  if (d->cfg.max_per_server == 0)
    d->cfg.max_per_server = 4;
  if (d->cfg.max_per_server > d->cfg.max_inflight)
    d->cfg.max_per_server = d->cfg.max_inflight;
  if (d->cfg.queue_max == 0)
    d->cfg.queue_max = 65536;
  if (d->cfg.grace_ms == 0)
    d->cfg.grace_ms = 3600 * 1000;
  d->fh_n = d->sh_n = BUCKETS_MIN;
  d->fh = dfsc__calloc(d->fh_n, sizeof(*d->fh));
  d->sh = dfsc__calloc(d->sh_n, sizeof(*d->sh));
  rc = d->fh == NULL || d->sh == NULL
           ? -ENOMEM
           : dfsc__dfs_cache_new(d->cfg.cache_max, d->cfg.grace_ms, &d->cache);
  if (rc < 0) {
    dfsc__free(d->fh);
    dfsc__free(d->sh);
    dfsc__free(d);
    return rc;
  }
  *out = d;
  return 0;
}

void dfsc__dfs_set_tree_get(dfsc_dfs *d, dfsc_dfs_tree_get_fn fn) {
  d->tree_get = fn != NULL ? fn : dfsc__tree_get;
}

dfsc_dfs_cache *dfsc__dfs_cache(dfsc_dfs *d) { return d->cache; }
dfsc_loop *dfsc__dfs_loop(const dfsc_dfs *d) { return d->loop; }

void dfsc__dfs_stats(const dfsc_dfs *d, dfsc_dfs_stats *out) { *out = d->stats; }

/* ---- cache walks ------------------------------------------------------ */

static int join(char *out, size_t cap, const char *target, const char *rest) {
  size_t tl = strlen(target);
  while (tl > 0 && target[tl - 1] == '\\')
    tl--;
  if (tl + strlen(rest) + 1 > cap)
    return DFSC_E_BADPATH;
  memcpy(out, target, tl);
  strcpy(out + tl, rest);
  return 0;
}

/* A walk's tried set is one bit per target of an entry. */
_Static_assert(DFSC_DFS_TARGETS_MAX <= 64, "dfsc_dfs_avoid.tried holds 64 targets");

/* Failover order from target `from` ([MS-DFSC] 3.1.5.2 "the next target",
 * 2.2.5.4 target sets): from itself, the rest of its target set (wrapping
 * inside the set: the server put the set's targets in random order, so
 * they are equals), then the later sets in referral order (the server
 * sorted them by site and cost, 3.2.1.1, 3.2.1.2), then the earlier ones
 * (tried last: a walk starts from the hint, which a failover may have moved
 * past them). Writes a permutation of 0..n-1 to out; returns n. */
static size_t failover_order(const dfsc_dfs_entry *e, size_t from,
                             size_t out[DFSC_DFS_TARGETS_MAX]) {
  size_t a = from, b = from + 1, k = 0, i;
  unsigned set = e->targets[from].set;
  while (a > 0 && e->targets[a - 1].set == set)
    a--;
  while (b < e->n && e->targets[b].set == set)
    b++;
  for (i = from; i < b; i++)
    out[k++] = i;
  for (i = a; i < from; i++)
    out[k++] = i;
  for (i = b; i < e->n; i++)
    out[k++] = i;
  for (i = 0; i < a; i++)
    out[k++] = i;
  return k;
}

/* The target an entry gives this walk: its hint, unless the walk already
 * tried that one on this entry; then the first untried one in failover
 * order from the hint. With every target tried, the hint (the caller stops
 * first). */
static size_t pick(const dfsc_dfs_entry *e, const dfsc_dfs_avoid *av) {
  size_t order[DFSC_DFS_TARGETS_MAX], k, i;
  if (av == NULL || av->tried == 0 || av->prefix == NULL ||
      strcasecmp(av->prefix, e->prefix) != 0)
    return e->hint;
  k = failover_order(e, e->hint, order);
  for (i = 0; i < k; i++)
    if (!(av->tried & ((uint64_t)1 << order[i])))
      return order[i];
  return e->hint;
}

int dfsc__dfs_rewrite(dfsc_dfs *d, const char *path, char *out, dfsc_dfs_hop *hops,
                      size_t *nhops, char *last_entry_prefix) {
  return dfsc__dfs_rewrite_avoid(d, path, out, hops, nhops, last_entry_prefix, NULL, NULL);
}

int dfsc__dfs_rewrite_avoid(dfsc_dfs *d, const char *path, char *out, dfsc_dfs_hop *hops,
                            size_t *nhops, char *last_entry_prefix,
                            size_t *last_entry_target, const dfsc_dfs_avoid *avoid) {
  char cur[DFSC_DFS_PATH_MAX], next[DFSC_DFS_PATH_MAX];
  uint64_t now = dfsc__loop_now(d->loop);
  size_t n = 0;
  int i;

  if (strlen(path) >= sizeof(cur))
    return DFSC_E_BADPATH;
  strcpy(cur, path);
  if (last_entry_prefix)
    last_entry_prefix[0] = '\0';
  for (i = 0; i < DFSC_DFS_HOPS_MAX; i++) {
    dfsc_dfs_entry *e = dfsc__dfs_cache_lookup(d->cache, cur, now);
    const char *rest;
    size_t t;
    int rc;
    if (e == NULL || e->n == 0)
      break;
    rest = cur + strlen(e->prefix);
    if (e->hint >= e->n)
      e->hint = 0;
    t = pick(e, avoid);
    rc = join(next, sizeof(next), e->targets[t].path, rest);
    if (rc < 0)
      return rc;
    if (hops != NULL) {
      dfsc_dfs_hop *h = &hops[n];
      snprintf(h->prefix, sizeof(h->prefix), "%s", e->prefix);
      snprintf(h->target, sizeof(h->target), "%s", e->targets[t].path);
      h->root = e->root;
      h->interlink = e->interlink;
      h->version = e->version;
      h->ttl = e->ttl;
      h->n_targets = e->n;
      h->chosen = t;
      h->set = e->targets[t].set;
      h->n_sets = e->targets[e->n - 1].set + 1;
    }
    n++;
    if (last_entry_prefix)
      snprintf(last_entry_prefix, DFSC_DFS_PATH_MAX, "%s", e->prefix);
    if (last_entry_target)
      *last_entry_target = t;
    strcpy(cur, next);
    if (e->root)
      break; /* a root target hosts the root share itself: no further rewrite */
  }
  if (nhops)
    *nhops = n;
  if (i == DFSC_DFS_HOPS_MAX) {
    d->stats.loops++;
    DFSC_WARN(d->log, DFSC_CAT_DFS, "%s: more than %d referral hops: a cycle", path,
              DFSC_DFS_HOPS_MAX);
    return DFSC_E_LOOP;
  }
  strcpy(out, cur);
  return 0;
}

int dfsc__dfs_failover(dfsc_dfs *d, const char *prefix, size_t failed, uint64_t *tried) {
  dfsc_dfs_entry *e = dfsc__dfs_cache_find(d->cache, prefix);
  size_t order[DFSC_DFS_TARGETS_MAX], k, i, next;
  uint64_t all;
  if (e == NULL)
    return -ENOENT;
  /* Each walk records what it tried; one it tried twice, or a target
   * index the entry no longer has (refreshed meanwhile), ends it: at most
   * n failovers per walk and entry. */
  if (failed >= e->n || (*tried & ((uint64_t)1 << failed)))
    return -EHOSTUNREACH;
  *tried |= (uint64_t)1 << failed;
  all = e->n >= 64 ? UINT64_MAX : (((uint64_t)1 << e->n) - 1);
  if ((*tried & all) == all)
    return -EHOSTUNREACH;
  /* [MS-DFSC] 3.1.5.2: the next target becomes the hint (in failover
   * order, skipping the ones this walk saw fail: there is one, not all are
   * tried), but only if the hint still names the one that failed: walks
   * that failed on the same target together must not move it on twice,
   * back onto a dead one. */
  if (e->hint == failed) {
    k = failover_order(e, failed, order);
    next = failed;
    for (i = 1; i < k && next == failed; i++)
      if (!(*tried & ((uint64_t)1 << order[i])))
        next = order[i];
    DFSC_INFO(d->log, DFSC_CAT_DFS, "%s: target %s failed, trying %s", prefix,
              e->targets[failed].path, e->targets[next].path);
    e->hint = next;
    d->stats.failovers++;
  } else {
    DFSC_DBG(d->log, DFSC_CAT_DFS, "%s: target %s failed; the hint already moved to %s",
             prefix, e->targets[failed].path, e->targets[e->hint].path);
  }
  return 0;
}

int dfsc__dfs_needs_refresh(dfsc_dfs *d, const char *prefix, char *server, size_t cap) {
  dfsc_dfs_entry *e = dfsc__dfs_cache_find(d->cache, prefix);
  uint64_t now = dfsc__loop_now(d->loop);
  if (e == NULL || e->source == NULL || now < e->expires || now < e->retry_at)
    return 0;
  snprintf(server, cap, "%s", e->source);
  return 1;
}

/* ---- referral requests -------------------------------------------------- */

/* The key that concurrent misses share: the path without its last
 * component (the files of one directory below a link share one request),
 * but never shorter than \root\share\first. The link itself is not known
 * until the answer comes; queued requests it turns out to cover are then
 * answered without being sent when their turn comes (see answered). */
static void make_key(const char *path, char *key, size_t cap) {
  size_t i, comps = 0, last = 0, min_end = 0;
  for (i = 0; path[i] != '\0' && i + 1 < cap; i++) {
    if (path[i] == '\\' && i > 0) {
      comps++;
      last = i;
      if (comps == 3)
        min_end = i;
    }
    key[i] = path[i];
  }
  key[i] = '\0';
  if (comps >= 3 && last > min_end)
    key[last] = '\0';
}

/* ---- queues and indexes ------------------------------------------------ */

/* Names compare with ASCII case folding (as the cache does), so equal names
 * hash equal. */
static int fold(int ch) { return ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch; }

static uint32_t hash_str(uint32_t h, const char *s) {
  for (; *s != '\0'; s++) {
    h ^= (uint32_t)fold((unsigned char)*s);
    h *= 16777619u; /* FNV-1a */
  }
  return h;
}

static int same(const char *a, const char *b) {
  for (; *a != '\0' && fold((unsigned char)*a) == fold((unsigned char)*b); a++, b++)
    ;
  return *a == *b;
}

static uint32_t fetch_hash(const char *server, const char *key) {
  /* The separator keeps ("ab", "c") and ("a", "bc") apart. */
  return hash_str(hash_str(2166136261u, server) * 16777619u ^ '\\', key);
}

/* Doubles the fetch table once it holds more fetches than buckets. Failing
 * to allocate keeps the old one: longer chains, same answers. */
static void fetch_index_grow(dfsc_dfs *d) {
  struct fetch **nb, *f;
  size_t n = d->fh_n * 2;
  if (d->nfetches <= d->fh_n || n > BUCKETS_MAX)
    return;
  nb = dfsc__calloc(n, sizeof(*nb));
  if (nb == NULL)
    return;
  for (f = d->fetches; f != NULL; f = f->next) {
    f->hnext = nb[f->hash & (n - 1)];
    nb[f->hash & (n - 1)] = f;
  }
  dfsc__free(d->fh);
  d->fh = nb;
  d->fh_n = n;
}

static void fetch_index(dfsc_dfs *d, struct fetch *f) {
  struct fetch **b = &d->fh[f->hash & (d->fh_n - 1)];
  f->hnext = *b;
  *b = f;
  f->prev = NULL;
  f->next = d->fetches;
  if (d->fetches != NULL)
    d->fetches->prev = f;
  d->fetches = f;
  d->nfetches++;
  fetch_index_grow(d);
}

static void fetch_unindex(dfsc_dfs *d, struct fetch *f) {
  struct fetch **pp = &d->fh[f->hash & (d->fh_n - 1)];
  while (*pp != NULL && *pp != f)
    pp = &(*pp)->hnext;
  if (*pp != NULL)
    *pp = f->hnext;
  if (f->prev != NULL)
    f->prev->next = f->next;
  else
    d->fetches = f->next;
  if (f->next != NULL)
    f->next->prev = f->prev;
  f->prev = f->next = f->hnext = NULL;
  d->nfetches--;
}

/* The fetch in progress for (server, key), queued or past QUEUED. */
static struct fetch *fetch_find(dfsc_dfs *d, const char *server, const char *key,
                                uint32_t h) {
  struct fetch *f;
  for (f = d->fh[h & (d->fh_n - 1)]; f != NULL; f = f->hnext) {
    d->stats.queue_steps++;
    if (f->hash == h && same(f->server, server) && same(f->key, key))
      return f;
  }
  return NULL;
}

static void server_index_grow(dfsc_dfs *d) {
  struct server **nb, *s, *next;
  size_t n = d->sh_n * 2, i;
  if (d->nservers <= d->sh_n || n > BUCKETS_MAX)
    return;
  nb = dfsc__calloc(n, sizeof(*nb));
  if (nb == NULL)
    return;
  for (i = 0; i < d->sh_n; i++) {
    for (s = d->sh[i]; s != NULL; s = next) {
      next = s->hnext;
      s->hnext = nb[s->hash & (n - 1)];
      nb[s->hash & (n - 1)] = s;
    }
  }
  dfsc__free(d->sh);
  d->sh = nb;
  d->sh_n = n;
}

/* The server record for name, created (with no fetches) when missing.
 * NULL: out of memory. */
static struct server *server_get(dfsc_dfs *d, const char *name) {
  uint32_t h = hash_str(2166136261u, name);
  struct server *s, **b = &d->sh[h & (d->sh_n - 1)];
  for (s = *b; s != NULL; s = s->hnext) {
    d->stats.queue_steps++;
    if (s->hash == h && same(s->name, name))
      return s;
  }
  s = dfsc__calloc(1, sizeof(*s));
  if (s == NULL)
    return NULL;
  snprintf(s->name, sizeof(s->name), "%s", name);
  s->hash = h;
  s->hnext = *b;
  *b = s;
  d->nservers++;
  server_index_grow(d);
  return s;
}

/* Frees s once it has no fetch left (it is then in no queue). */
static void server_put(dfsc_dfs *d, struct server *s) {
  struct server **pp;
  if (s->nfetch > 0)
    return;
  pp = &d->sh[s->hash & (d->sh_n - 1)];
  while (*pp != NULL && *pp != s)
    pp = &(*pp)->hnext;
  if (*pp != NULL)
    *pp = s->hnext;
  d->nservers--;
  dfsc__free(s);
}

/* Puts s at the tail of the ready FIFO when it has queued fetches and room.
 * A server leaves the FIFO only through pump(), and nothing but pump()
 * takes its fetches or its room meanwhile (shutdown empties the FIFO
 * first), so a server in the FIFO is ready when its turn comes. */
static void server_ready(dfsc_dfs *d, struct server *s) {
  if (s->ready || s->qh == NULL || s->inflight >= d->cfg.max_per_server || d->shutting_down)
    return;
  s->ready = 1;
  s->rnext = NULL;
  if (d->r_tail != NULL)
    d->r_tail->rnext = s;
  else
    d->r_head = s;
  d->r_tail = s;
}

static void q_push(dfsc_dfs *d, struct server *s, struct fetch *f) {
  f->qnext = NULL;
  f->qprev = s->qt;
  if (s->qt != NULL)
    s->qt->qnext = f;
  else
    s->qh = f;
  s->qt = f;
  f->in_q = 1;
  d->queued++;
}

static void q_remove(dfsc_dfs *d, struct fetch *f) {
  struct server *s = f->srv;
  if (!f->in_q)
    return;
  if (f->qprev != NULL)
    f->qprev->qnext = f->qnext;
  else
    s->qh = f->qnext;
  if (f->qnext != NULL)
    f->qnext->qprev = f->qprev;
  else
    s->qt = f->qprev;
  f->qprev = f->qnext = NULL;
  f->in_q = 0;
  d->queued--;
}

/* A request for path that the cache now answers: another request answered
 * for its link since it was made (an expired entry is what a refresh asks
 * about, and a root entry does not answer for links below it, so neither
 * counts). */
static int answered(dfsc_dfs *d, const char *path) {
  uint64_t now = dfsc__loop_now(d->loop);
  dfsc_dfs_entry *e = dfsc__dfs_cache_lookup(d->cache, path, now);
  return e != NULL && e->n > 0 && !e->root && now < e->expires &&
         strcasecmp(e->prefix, path) != 0;
}

static void fetch_free(struct fetch *f) {
  dfsc__sl_creds_clear(&f->cr);
  dfsc__free(f);
}

/* Starts queued fetches while the throttle allows: each turn takes the
 * first ready server and the head of its FIFO. A queued fetch that the
 * cache answers by now (a request for its link came back while it waited)
 * is answered without being sent and takes no slot. O(1) per fetch taken,
 * besides the cache lookup every request also makes on arrival. Nested
 * calls (from callbacks run inside) return at once: the running loop sees
 * what they added. */
static void pump(dfsc_dfs *d) {
  if (d->pumping)
    return;
  d->pumping = 1;
  while (!d->shutting_down && d->inflight < d->cfg.max_inflight && d->r_head != NULL) {
    struct server *s = d->r_head;
    struct fetch *f;
    d->stats.queue_steps++;
    d->r_head = s->rnext;
    if (d->r_head == NULL)
      d->r_tail = NULL;
    s->rnext = NULL;
    s->ready = 0;
    f = s->qh;
    if (f == NULL || s->inflight >= d->cfg.max_per_server)
      continue; /* not reached: see server_ready */
    q_remove(d, f);
    if (answered(d, f->path)) {
      d->stats.referrals_coalesced++;
      server_ready(d, s);
      fetch_done(f, 0, 0);
      continue;
    }
    fetch_start(f); /* puts s back in turn if it still has work and room */
  }
  d->pumping = 0;
}

/* Completes every waiter of f, frees it, and lets the queues move. */
static void fetch_done(struct fetch *f, int err, uint32_t ntstatus) {
  dfsc_dfs *d = f->d;
  struct server *s = f->srv;
  dfsc_dfs_req *q = f->waiters, *next;
  q_remove(d, f);
  if (f->state != F_QUEUED) {
    d->inflight--;
    s->inflight--;
  }
  if (err < 0) {
    dfsc_dfs_entry *e = dfsc__dfs_cache_find(d->cache, f->path);
    d->stats.referrals_failed++;
    /* A refresh that failed: keep serving the old targets, ask again later. */
    if (e != NULL)
      e->retry_at = dfsc__loop_now(d->loop) + REFRESH_RETRY_MS;
  }
  fetch_unindex(d, f);
  s->nfetch--;
  f->srv = NULL;
  server_ready(d, s);
  server_put(d, s);
  f->waiters = NULL;
  for (; q != NULL; q = next) {
    next = q->next;
    q->f = NULL;
    q->cb(q, err, ntstatus);
  }
  fetch_free(f);
  pump(d);
}

/* Turns a decoded referral into a cache entry for the consumed prefix. */
/* A domain or DC referral ([MS-DFSC] 3.1.5.4.1/3.1.5.4.2): NameList entries
 * name domains (SpecialName, with or without the leading backslash) and,
 * for a DC referral, their DCs (ExpandedNames). They feed the domain cache. */
static int store_names(dfsc_dfs *d, const dfsc_referral *ref) {
  uint64_t now = dfsc__loop_now(d->loop);
  size_t i;
  for (i = 0; i < ref->n; i++) {
    const dfsc_referral_entry *re = &ref->e[i];
    const char *name = re->special_name;
    const char *dcs[64];
    size_t k, n = 0;
    int rc;
    if (!re->name_list || name == NULL)
      continue;
    while (*name == '\\')
      name++;
    if (*name == '\0')
      continue;
    for (k = 0; k < re->n_expanded && n < 64; k++) {
      const char *dc = re->expanded[k];
      while (*dc == '\\')
        dc++;
      if (*dc)
        dcs[n++] = dc;
    }
    rc = dfsc__dfs_domain_set(d->cache, name, dcs, n, now + (uint64_t)re->ttl * 1000);
    if (rc < 0)
      return rc;
    DFSC_INFO(d->log, DFSC_CAT_DFS, "domain %s: %zu DC(s)%s%s", name, n,
              n ? ", first " : "", n ? dcs[0] : "");
  }
  return 0;
}

/* A referral target is \\server\\share[\\path]: the server's word, so it
 * is checked before it names a server the client connects to or a path it
 * opens. Empty, "." and ".." components are refused: the server decides
 * what they would mean, and a path that climbs out of the share it names
 * is never what a namespace meant ([MS-DFSC] 2.2.5: a target is a UNC
 * path). A trailing separator is tolerated. */
int dfsc__dfs_target_ok(const char *t) {
  const char *p, *q;
  int comps = 0;
  if (t == NULL || t[0] != '\\')
    return 0;
  for (p = t + 1; *p != '\0'; p = *q ? q + 1 : q) {
    size_t len;
    q = strchr(p, '\\');
    if (q == NULL)
      q = p + strlen(p);
    len = (size_t)(q - p);
    if ((len == 0 && *q != '\0') || (len == 1 && p[0] == '.') ||
        (len == 2 && p[0] == '.' && p[1] == '.'))
      return 0;
    if (len > 0)
      comps++;
  }
  return comps >= 2;
}

static int store(dfsc_dfs *d, const char *server, const char *path,
                 const dfsc_referral *ref, char *prefix, size_t cap) {
  dfsc_dfs_entry *e;
  size_t consumed, i, n = 0;
  unsigned set = 0;
  int rc, boundary = 0;

  if (ref->n == 0)
    return DFSC_E_NTSTATUS; /* [MS-DFSC] 3.1.5.4.3: no targets */
  prefix[0] = '\0';
  if (ref->e[0].name_list)
    return store_names(d, ref);
  rc = dfsc__dfs_referral_consumed_utf8(path, strlen(path), ref->path_consumed, &consumed);
  if (rc < 0)
    return rc;
  if (consumed >= cap)
    return DFSC_E_PROTO;
  memcpy(prefix, path, consumed);
  prefix[consumed] = '\0';
  while (consumed > 0 && prefix[consumed - 1] == '\\')
    prefix[--consumed] = '\0';
  if (consumed == 0)
    return DFSC_E_PROTO;
  for (i = 0; i < ref->n; i++)
    if (!ref->e[i].name_list && dfsc__dfs_target_ok(ref->e[i].target))
      n++;
  if (n == 0)
    return DFSC_E_PROTO;
  if (n > DFSC_DFS_TARGETS_MAX)
    n = DFSC_DFS_TARGETS_MAX;
  e = dfsc__dfs_entry_new(prefix, n);
  if (e == NULL)
    return -ENOMEM;
  /* The targets in the server's order, each with its target set
   * ([MS-DFSC] 2.2.5.4: TargetSetBoundary marks the first target of a set;
   * only V4 has it). A skipped target that began a set hands the boundary
   * to the next one kept, so set order survives; the first target kept is
   * in set 0 even when the server did not flag it. */
  e->n = 0;
  for (i = 0; i < ref->n && e->n < n; i++) {
    const dfsc_referral_entry *re = &ref->e[i];
    boundary |= re->target_set_boundary;
    if (re->name_list || !dfsc__dfs_target_ok(re->target)) {
      if (!re->name_list)
        DFSC_WARN(d->log, DFSC_CAT_DFS,
                  "%s: referral from %s: target skipped: not "
                  "\\server\\share[\\path] with plain components",
                  prefix, server);
      continue;
    }
    if (boundary && e->n > 0)
      set++;
    boundary = 0;
    e->targets[e->n].set = set;
    e->targets[e->n].path = dfsc__strdup(re->target);
    if (e->targets[e->n].path == NULL) {
      dfsc__dfs_entry_free(e);
      return -ENOMEM;
    }
    e->n++;
  }
  /* [MS-DFSC] 2.2.4: ReferralServers with StorageServers clear means the
   * targets are themselves DFS roots; ServerType 1 marks a root referral. */
  e->root = ref->e[0].server_type == DFSC_REF_SERVER_ROOT;
  e->interlink = !e->root && (ref->header_flags & DFSC_REF_HDR_REFERRAL_SERVERS) &&
                 !(ref->header_flags & DFSC_REF_HDR_STORAGE_SERVERS);
  e->target_failback = (ref->header_flags & DFSC_REF_HDR_TARGET_FAILBACK) != 0;
  e->version = ref->version;
  e->ttl = ref->ttl;
  e->source = dfsc__strdup(server);
  if (e->source == NULL) {
    dfsc__dfs_entry_free(e);
    return -ENOMEM;
  }
  dfsc__dfs_cache_insert(d->cache, e, dfsc__loop_now(d->loop));
  DFSC_INFO(d->log, DFSC_CAT_DFS,
            "%s: %s referral v%u from %s, ttl %u, %zu target(s) in %u set(s), first %s",
            prefix,
            e->root        ? "root"
            : e->interlink ? "interlink"
                           : "link",
            e->version, server, e->ttl, e->n, set + 1, e->targets[0].path);
  return 0;
}

int dfsc__dfs_referral_store(dfsc_dfs *d, const char *server, const char *path,
                             const uint8_t *buf, size_t len, char *prefix, size_t cap) {
  dfsc_referral *ref = NULL;
  int rc;
  if (cap == 0)
    return -EINVAL;
  prefix[0] = '\0';
  rc = dfsc__dfs_referral_decode(buf, len, &ref);
  if (rc == 0)
    rc = store(d, server, path, ref, prefix, cap);
  dfsc__dfs_referral_free(ref);
  return rc;
}

static void ioctl_cb(dfsc_verb *v, int err, uint32_t status) {
  struct fetch *f = v->data;
  dfsc_dfs *d = f->d;
  char prefix[DFSC_DFS_PATH_MAX];
  int rc;

  if (err < 0 && err != DFSC_E_NTSTATUS) {
    fetch_done(f, err, 0);
    return;
  }
  if (status != 0 && f->ex &&
      (status == 0xC000019Cu /* FS_DRIVER_REQUIRED */ ||
       status == 0xC00000BBu /* NOT_SUPPORTED */ ||
       status == 0xC0000010u /* INVALID_DEVICE_REQUEST */)) {
    /* [MS-DFSC] 3.1.4.2: the server does not take the _EX form; remember
     * that and ask again in the plain one. */
    if (d->n_noex < NOEX_MAX)
      snprintf(d->noex[d->n_noex++], sizeof(d->noex[0]), "%s", f->server);
    d->stats.referrals_ex_refused++;
    f->ex = 0;
    send_referral(f, f->tree);
    return;
  }
  if (status != 0) {
    DFSC_DBG(d->log, DFSC_CAT_DFS, "referral %s via %s: %s", f->path, f->server,
             dfsc_ntstatus_name(status));
    /* Keep a refreshed entry usable a while longer (soft expiry). */
    fetch_done(f, DFSC_E_NTSTATUS, status);
    return;
  }
  rc = dfsc__dfs_referral_store(d, f->server, f->path, v->out, v->out_len, prefix,
                                sizeof(prefix));
  /* Queued requests this answer covers are answered, unsent, when their
   * turn comes (pump). */
  if (rc == DFSC_E_PROTO)
    dfsc__complain(d->log, DFSC_LOG_WARN, DFSC_CAT_DFS, f->server,
                   "RESP_GET_DFS_REFERRAL: PathConsumed, NumberOfReferrals, an entry's "
                   "size or a string offset outside the answer, or no usable target");
  else if (rc < 0)
    DFSC_WARN(d->log, DFSC_CAT_DFS, "referral %s via %s: unusable response: %s", f->path,
              f->server, dfsc_strerror(rc));
  /* [MS-DFSC] 3.1.5.4.3: a referral with no targets fails the operation
   * with STATUS_OBJECT_PATH_NOT_FOUND. */
  fetch_done(f, rc, rc == DFSC_E_NTSTATUS ? 0xC000003Au : 0);
}

static int ex_refused(const dfsc_dfs *d, const char *server) {
  size_t i;
  for (i = 0; i < d->n_noex; i++)
    if (strcasecmp(d->noex[i], server) == 0)
      return 1;
  return 0;
}

/* Sends the referral request on the server's IPC$ tree: the _EX form when
 * configured and not known to be refused by this server, else the plain one. */
static void send_referral(struct fetch *f, dfsc_tree *t) {
  dfsc_dfs *d = f->d;
  uint8_t in[2 * DFSC_DFS_PATH_MAX + 600];
  dfsc_wr iw;
  int rc;

  f->tree = t;
  dfsc__wr_init(&iw, in, sizeof(in));
  if (f->ex)
    rc = dfsc__dfs_referral_ex_req_build(&iw, REFERRAL_MAX_LEVEL, f->path, d->cfg.site);
  else
    rc = dfsc__smb2_dfs_referral_req_build(&iw, REFERRAL_MAX_LEVEL, f->path,
                                           strlen(f->path));
  if (rc == 0) {
    f->verb.cb = ioctl_cb;
    f->verb.data = f;
    rc = dfsc__verb_fsctl(&f->verb, t, NULL,
                          f->ex ? SMB2_FSCTL_DFS_GET_REFERRALS_EX
                                : SMB2_FSCTL_DFS_GET_REFERRALS,
                          in, iw.off, REFERRAL_OUT_MAX - 1024);
  }
  if (rc < 0) {
    fetch_done(f, rc, 0);
    return;
  }
  if (f->state != F_SENT)
    fetch_set_state(f, F_SENT);
  d->stats.referrals_sent++;
}

static void ipc_ready(dfsc_tree_waiter *w, dfsc_tree *t, int err, uint32_t ntstatus) {
  struct fetch *f = w->data;
  if (err < 0) {
    fetch_done(f, err, ntstatus);
    return;
  }
  f->ex = f->d->cfg.referral_ex && !ex_refused(f->d, f->server);
  send_referral(f, t);
}

static void fetch_start(struct fetch *f) {
  dfsc_dfs *d = f->d;
  int rc;
  d->inflight++;
  f->srv->inflight++;
  fetch_set_state(f, F_TREE);
  /* Its server's next turn, if it has more waiting and room left. Before
   * the tree request: that may fail at once and free the server. */
  server_ready(d, f->srv);
  f->tw.cb = ipc_ready;
  f->tw.data = f;
  rc = d->tree_get(d->sl, f->server, f->port, "IPC$", f->has_creds ? &f->cr : NULL, &f->tw);
  if (rc < 0)
    fetch_done(f, rc, 0);
}

int dfsc__dfs_refer(dfsc_dfs *d, const char *server, const char *dfs_path,
                    const dfsc_sl_creds *cr, dfsc_dfs_req *q) {
  char key[DFSC_DFS_PATH_MAX];
  struct server *s;
  struct fetch *f;
  uint32_t h;

  if (d->shutting_down)
    return DFSC_E_SHUTDOWN;
  if (strlen(dfs_path) >= DFSC_DFS_PATH_MAX || strlen(server) >= sizeof(f->server))
    return DFSC_E_BADPATH;
  make_key(dfs_path, key, sizeof(key));
  q->next = NULL;
  if (answered(d, dfs_path)) {
    /* Another request answered for this link since the caller's miss: no
     * need to ask again. */
    d->stats.referrals_coalesced++;
    q->f = NULL;
    q->cb(q, 0, 0);
    return 0;
  }
  h = fetch_hash(server, key);
  f = fetch_find(d, server, key, h);
  if (f != NULL && f->port == q->port) {
    /* Single flight (P4): ride on the request in progress. */
    q->next = f->waiters;
    f->waiters = q;
    q->f = f;
    d->stats.referrals_coalesced++;
    return 0;
  }
  if (d->queued >= d->cfg.queue_max)
    return DFSC_E_BUSY;
  s = server_get(d, server);
  if (s == NULL)
    return -ENOMEM;
  f = dfsc__calloc(1, sizeof(*f));
  if (f == NULL) {
    server_put(d, s);
    return -ENOMEM;
  }
  f->d = d;
  snprintf(f->server, sizeof(f->server), "%s", server);
  f->port = q->port;
  snprintf(f->key, sizeof(f->key), "%s", key);
  snprintf(f->path, sizeof(f->path), "%s", dfs_path);
  if (cr != NULL) {
    f->has_creds = 1;
    if (dfsc__sl_creds_dup(cr, &f->cr) < 0) {
      fetch_free(f);
      server_put(d, s);
      return -ENOMEM;
    }
  }
  f->waiters = q;
  q->f = f;
  f->state = F_QUEUED;
  f->hash = h;
  f->srv = s;
  s->nfetch++;
  fetch_index(d, f);
  /* Always through the queue, so the throttle sees every request in order. */
  q_push(d, s, f);
  if (d->queued > d->stats.queue_hwm)
    d->stats.queue_hwm = d->queued;
  if (d->inflight >= d->cfg.max_inflight || s->inflight >= d->cfg.max_per_server)
    d->stats.referrals_queued++;
  server_ready(d, s);
  pump(d);
  return 0;
}

void dfsc__dfs_free(dfsc_dfs *d) {
  if (d == NULL)
    return;
  d->shutting_down = 1;
  /* No more turns: the ready FIFO is dropped before servers go. */
  while (d->r_head != NULL) {
    struct server *s = d->r_head;
    d->r_head = s->rnext;
    s->rnext = NULL;
    s->ready = 0;
  }
  d->r_tail = NULL;
  /* Queued fetches never started; fetches past QUEUED are failed by the
   * session layer's shutdown (their tree waiter or request callback). */
  while (d->fetches != NULL)
    fetch_done(d->fetches, DFSC_E_SHUTDOWN, 0);
  dfsc__dfs_cache_free(d->cache);
  dfsc__free(d->fh);
  dfsc__free(d->sh);
  dfsc__free(d);
}
