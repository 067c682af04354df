/* DFS referral and domain caches (see cache.h). */
#include "dfs/cache.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"

#define DOMAINS_MAX 256
#define DCS_MAX 64

struct dfsc_dfs_cache {
  size_t max;
  uint64_t grace;
  size_t count;
  /* Most recently used first. A linear scan serves the sizes in use (a few
   * thousand entries at most, bounded by max); the scan is per lookup and
   * bounded by max. */
  dfsc_dfs_entry *head, *tail;
  dfsc_dfs_domain *domains;
  size_t ndomains;
};

static int fold(int ch) { return ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch; }

size_t dfsc__dfs_prefix_match(const char *prefix, const char *path) {
  size_t i = 0;
  while (prefix[i] != '\0') {
    if (path[i] == '\0' || fold((unsigned char)prefix[i]) != fold((unsigned char)path[i]))
      return 0;
    i++;
  }
  /* A match must end at a component boundary: "\a\bc" does not cover "\a\b". */
  if (path[i] != '\0' && path[i] != '\\')
    return 0;
  return i;
}

static void lru_unlink(dfsc_dfs_cache *c, dfsc_dfs_entry *e) {
  if (e->lru_prev)
    e->lru_prev->lru_next = e->lru_next;
  else
    c->head = e->lru_next;
  if (e->lru_next)
    e->lru_next->lru_prev = e->lru_prev;
  else
    c->tail = e->lru_prev;
  e->lru_prev = e->lru_next = NULL;
}

static void lru_push_front(dfsc_dfs_cache *c, dfsc_dfs_entry *e) {
  e->lru_prev = NULL;
  e->lru_next = c->head;
  if (c->head)
    c->head->lru_prev = e;
  c->head = e;
  if (c->tail == NULL)
    c->tail = e;
}

dfsc_dfs_entry *dfsc__dfs_entry_new(const char *prefix, size_t n) {
  dfsc_dfs_entry *e;
  if (n > DFSC_DFS_TARGETS_MAX)
    return NULL;
  e = dfsc__calloc(1, sizeof(*e));
  if (e == NULL)
    return NULL;
  e->prefix = dfsc__strdup(prefix);
  e->targets = dfsc__calloc(n ? n : 1, sizeof(*e->targets));
  if (e->prefix == NULL || e->targets == NULL) {
    dfsc__free(e->prefix);
    dfsc__free(e->targets);
    dfsc__free(e);
    return NULL;
  }
  e->n = n;
  return e;
}

void dfsc__dfs_entry_free(dfsc_dfs_entry *e) {
  size_t i;
  if (e == NULL)
    return;
  for (i = 0; i < e->n; i++)
    dfsc__free(e->targets[i].path);
  dfsc__free(e->targets);
  dfsc__free(e->prefix);
  dfsc__free(e->source);
  dfsc__free(e);
}

int dfsc__dfs_cache_new(size_t max_entries, uint64_t grace_ms, dfsc_dfs_cache **out) {
  dfsc_dfs_cache *c = dfsc__calloc(1, sizeof(*c));
  if (c == NULL)
    return -ENOMEM;
  c->max = max_entries ? max_entries : DFSC_DFS_CACHE_MAX_DEFAULT;
  c->grace = grace_ms;
  *out = c;
  return 0;
}

static void domain_free(dfsc_dfs_domain *d) {
  size_t i;
  for (i = 0; i < d->n; i++)
    dfsc__free(d->dcs[i]);
  dfsc__free(d->dcs);
  dfsc__free(d->name);
  dfsc__free(d);
}

void dfsc__dfs_cache_flush(dfsc_dfs_cache *c) {
  dfsc_dfs_entry *e, *n;
  dfsc_dfs_domain *d, *dn;
  for (e = c->head; e != NULL; e = n) {
    n = e->lru_next;
    dfsc__dfs_entry_free(e);
  }
  c->head = c->tail = NULL;
  c->count = 0;
  for (d = c->domains; d != NULL; d = dn) {
    dn = d->next;
    domain_free(d);
  }
  c->domains = NULL;
  c->ndomains = 0;
}

void dfsc__dfs_cache_free(dfsc_dfs_cache *c) {
  if (c == NULL)
    return;
  dfsc__dfs_cache_flush(c);
  dfsc__free(c);
}

static void drop(dfsc_dfs_cache *c, dfsc_dfs_entry *e) {
  lru_unlink(c, e);
  c->count--;
  dfsc__dfs_entry_free(e);
}

dfsc_dfs_entry *dfsc__dfs_cache_find(dfsc_dfs_cache *c, const char *prefix) {
  dfsc_dfs_entry *e;
  for (e = c->head; e != NULL; e = e->lru_next)
    if (strcasecmp(e->prefix, prefix) == 0)
      return e;
  return NULL;
}

dfsc_dfs_entry *dfsc__dfs_cache_lookup(dfsc_dfs_cache *c, const char *path, uint64_t now) {
  dfsc_dfs_entry *e, *next, *best = NULL;
  size_t best_len = 0;
  for (e = c->head; e != NULL; e = next) {
    size_t m;
    next = e->lru_next;
    if (now >= e->hard_expires) {
      drop(c, e);
      continue;
    }
    m = dfsc__dfs_prefix_match(e->prefix, path);
    if (m > best_len) {
      best = e;
      best_len = m;
    }
  }
  if (best != NULL) {
    best->hits++;
    lru_unlink(c, best);
    lru_push_front(c, best);
  }
  return best;
}

dfsc_dfs_entry *dfsc__dfs_cache_insert(dfsc_dfs_cache *c, dfsc_dfs_entry *e, uint64_t now) {
  dfsc_dfs_entry *old = dfsc__dfs_cache_find(c, e->prefix);
  e->expires = now + (uint64_t)e->ttl * 1000;
  e->hard_expires = e->expires + c->grace;
  if (old != NULL) {
    /* Keep the target in use when the new list still has it: a refresh
     * must not bounce a client off a working target. */
    const char *cur = old->hint < old->n ? old->targets[old->hint].path : NULL;
    size_t i;
    for (i = 0; cur && i < e->n; i++)
      if (strcasecmp(e->targets[i].path, cur) == 0 && !e->target_failback)
        e->hint = i;
    e->hits = old->hits;
    drop(c, old);
  }
  while (c->count >= c->max && c->tail != NULL)
    drop(c, c->tail);
  lru_push_front(c, e);
  c->count++;
  return e;
}

size_t dfsc__dfs_cache_count(const dfsc_dfs_cache *c) { return c->count; }

const dfsc_dfs_entry *dfsc__dfs_cache_next(const dfsc_dfs_cache *c,
                                           const dfsc_dfs_entry *e) {
  return e == NULL ? c->head : e->lru_next;
}

dfsc_dfs_domain *dfsc__dfs_domain_find(dfsc_dfs_cache *c, const char *name) {
  dfsc_dfs_domain *d;
  for (d = c->domains; d != NULL; d = d->next)
    if (strcasecmp(d->name, name) == 0)
      return d;
  return NULL;
}

int dfsc__dfs_domain_set(dfsc_dfs_cache *c, const char *name, const char *const *dcs,
                         size_t n, uint64_t expires) {
  dfsc_dfs_domain *d = dfsc__dfs_domain_find(c, name);
  char **list;
  size_t i;
  if (n > DCS_MAX)
    n = DCS_MAX;
  list = dfsc__calloc(n ? n : 1, sizeof(*list));
  if (list == NULL)
    return -ENOMEM;
  for (i = 0; i < n; i++) {
    list[i] = dfsc__strdup(dcs[i]);
    if (list[i] == NULL) {
      while (i-- > 0)
        dfsc__free(list[i]);
      dfsc__free(list);
      return -ENOMEM;
    }
  }
  if (d == NULL) {
    if (c->ndomains >= DOMAINS_MAX) {
      for (i = 0; i < n; i++)
        dfsc__free(list[i]);
      dfsc__free(list);
      return -ENOSPC;
    }
    d = dfsc__calloc(1, sizeof(*d));
    if (d == NULL || (d->name = dfsc__strdup(name)) == NULL) {
      dfsc__free(d);
      for (i = 0; i < n; i++)
        dfsc__free(list[i]);
      dfsc__free(list);
      return -ENOMEM;
    }
    d->next = c->domains;
    c->domains = d;
    c->ndomains++;
  } else {
    /* A DC list that only confirms the domain keeps the known DCs. */
    if (n == 0) {
      dfsc__free(list);
      return 0;
    }
    for (i = 0; i < d->n; i++)
      dfsc__free(d->dcs[i]);
    dfsc__free(d->dcs);
  }
  d->dcs = list;
  d->n = n;
  d->hint = 0;
  d->expires = expires;
  return 0;
}

const dfsc_dfs_domain *dfsc__dfs_domain_next(const dfsc_dfs_cache *c,
                                             const dfsc_dfs_domain *d) {
  return d == NULL ? c->domains : d->next;
}
