/* Snapshots of DFS state for the front ends: the chain a path resolves
 * through, and the referral and domain caches. Runs on the loop thread; the
 * results are plain heap copies the caller owns. Does not: fetch anything. */
#include <errno.h>
#include <string.h>

#include "core/alloc.h"
#include "core/utf16.h"
#include "mup/dfsinfo.h"

/* The public types are opaque (dfsc.h): their layout may change in any
 * release; callers reach the fields through the accessors below. */
struct dfsc_resolve_hop {
  char *prefix; /* the DFS path prefix the entry covers */
  char *target; /* the target chosen; NULL when the entry has none */
  int root;
  int interlink;
  unsigned version;
  unsigned ttl;
  long long expires_in_ms;
  unsigned path_consumed;
  size_t n_targets;
  size_t chosen; /* index in targets */
  char **targets;
  char *source;
};

struct dfsc_resolution {
  char *path;
  char *target;
  int target_dfs;
  size_t nhops;
  dfsc_resolve_hop *hops;
};

typedef struct cache_domain {
  char *name;
  size_t n_dcs;
  char **dcs;
} cache_domain;

struct dfsc_cache_info {
  size_t n;
  dfsc_resolve_hop *entries;
  size_t n_domains;
  cache_domain *domains;
};

static void hop_clear(dfsc_resolve_hop *h) {
  size_t i;
  dfsc__free(h->prefix);
  dfsc__free(h->target);
  dfsc__free(h->source);
  for (i = 0; h->targets && i < h->n_targets; i++)
    dfsc__free(h->targets[i]);
  dfsc__free(h->targets);
}

/* Copies a cache entry into a hop. Returns 0 or -ENOMEM. */
static int hop_fill(dfsc_resolve_hop *h, const dfsc_dfs_entry *e, uint64_t now) {
  char **t;
  long plen;
  size_t i;
  memset(h, 0, sizeof(*h));
  h->prefix = dfsc__strdup(e->prefix);
  h->source = e->source ? dfsc__strdup(e->source) : NULL;
  t = dfsc__calloc(e->n ? e->n : 1, sizeof(*t));
  h->targets = t;
  if (h->prefix == NULL || t == NULL || (e->source && h->source == NULL))
    return -ENOMEM;
  for (i = 0; i < e->n; i++) {
    t[i] = dfsc__strdup(e->targets[i].path);
    if (t[i] == NULL)
      return -ENOMEM;
    h->n_targets = i + 1;
  }
  h->chosen = e->hint < e->n ? e->hint : 0;
  h->target = e->n ? dfsc__strdup(e->targets[h->chosen].path) : NULL;
  if (e->n && h->target == NULL)
    return -ENOMEM;
  h->root = e->root;
  h->interlink = e->interlink;
  h->version = e->version;
  h->ttl = e->ttl;
  h->expires_in_ms = (long long)e->expires - (long long)now;
  plen = dfsc__utf8_to_utf16_len(e->prefix, strlen(e->prefix));
  h->path_consumed = plen > 0 ? (unsigned)plen : 0;
  return 0;
}

void dfsc_resolution_free(dfsc_resolution *r) {
  size_t i;
  if (r == NULL)
    return;
  for (i = 0; i < r->nhops; i++)
    hop_clear(&r->hops[i]);
  dfsc__free(r->hops);
  dfsc__free(r->path);
  dfsc__free(r->target);
  dfsc__free(r);
}

int dfsc__mup_resolution(dfsc_dfs *d, const char *dfs_path, int target_dfs,
                         dfsc_resolution **out) {
  dfsc_dfs_hop *hops = dfsc__calloc(DFSC_DFS_HOPS_MAX, sizeof(*hops));
  char *final = dfsc__malloc(DFSC_DFS_PATH_MAX);
  dfsc_resolution *r = dfsc__calloc(1, sizeof(*r));
  dfsc_resolve_hop *rh = NULL;
  uint64_t now = dfsc__loop_now(dfsc__dfs_loop(d));
  size_t n = 0, i;
  int rc;

  if (hops == NULL || final == NULL || r == NULL) {
    rc = -ENOMEM;
    goto fail;
  }
  rc = dfsc__dfs_rewrite(d, dfs_path, final, hops, &n, NULL);
  if (rc < 0)
    goto fail;
  r->path = dfsc__strdup(dfs_path);
  r->target = dfsc__strdup(final);
  rh = dfsc__calloc(n ? n : 1, sizeof(*rh));
  r->hops = rh;
  if (r->path == NULL || r->target == NULL || rh == NULL) {
    rc = -ENOMEM;
    goto fail;
  }
  r->target_dfs = target_dfs;
  for (i = 0; i < n; i++) {
    const dfsc_dfs_entry *e = dfsc__dfs_cache_find(dfsc__dfs_cache(d), hops[i].prefix);
    r->nhops = i + 1;
    if (e == NULL) {
      rc = -ENOENT;
      goto fail;
    }
    rc = hop_fill(&rh[i], e, now);
    if (rc < 0)
      goto fail;
    /* The rewrite may have chosen a target other than the current hint
     * only if the cache changed since; report what the walk used. */
    if (hops[i].chosen < rh[i].n_targets)
      rh[i].chosen = hops[i].chosen;
  }
  dfsc__free(hops);
  dfsc__free(final);
  *out = r;
  return 0;
fail:
  dfsc__free(hops);
  dfsc__free(final);
  dfsc_resolution_free(r);
  return rc;
}

void dfsc_cache_info_free(dfsc_cache_info *c) {
  size_t i, j;
  if (c == NULL)
    return;
  for (i = 0; i < c->n; i++)
    hop_clear(&c->entries[i]);
  dfsc__free(c->entries);
  for (i = 0; i < c->n_domains; i++) {
    cache_domain *dm = &c->domains[i];
    for (j = 0; j < dm->n_dcs; j++)
      dfsc__free(dm->dcs[j]);
    dfsc__free(dm->dcs);
    dfsc__free(dm->name);
  }
  dfsc__free(c->domains);
  dfsc__free(c);
}

int dfsc__mup_cache_info(dfsc_dfs *d, dfsc_cache_info **out) {
  dfsc_dfs_cache *cache = dfsc__dfs_cache(d);
  uint64_t now = dfsc__loop_now(dfsc__dfs_loop(d));
  dfsc_cache_info *c = dfsc__calloc(1, sizeof(*c));
  const dfsc_dfs_entry *e;
  const dfsc_dfs_domain *dm;
  dfsc_resolve_hop *ents;
  cache_domain *doms;
  size_t n = dfsc__dfs_cache_count(cache), nd = 0, i = 0;
  int rc = -ENOMEM;

  for (dm = dfsc__dfs_domain_next(cache, NULL); dm != NULL;
       dm = dfsc__dfs_domain_next(cache, dm))
    nd++;
  if (c == NULL)
    return -ENOMEM;
  ents = dfsc__calloc(n ? n : 1, sizeof(*ents));
  doms = dfsc__calloc(nd ? nd : 1, sizeof(*doms));
  c->entries = ents;
  c->domains = doms;
  if (ents == NULL || doms == NULL)
    goto fail;
  for (e = dfsc__dfs_cache_next(cache, NULL); e != NULL && i < n;
       e = dfsc__dfs_cache_next(cache, e)) {
    c->n = i + 1;
    rc = hop_fill(&ents[i++], e, now);
    if (rc < 0)
      goto fail;
  }
  i = 0;
  for (dm = dfsc__dfs_domain_next(cache, NULL); dm != NULL && i < nd;
       dm = dfsc__dfs_domain_next(cache, dm)) {
    char **dcs = dfsc__calloc(dm->n ? dm->n : 1, sizeof(*dcs));
    size_t j;
    c->n_domains = i + 1;
    doms[i].name = dfsc__strdup(dm->name);
    doms[i].dcs = dcs;
    if (dcs == NULL || doms[i].name == NULL) {
      rc = -ENOMEM;
      goto fail;
    }
    for (j = 0; j < dm->n; j++) {
      dcs[j] = dfsc__strdup(dm->dcs[j]);
      if (dcs[j] == NULL) {
        rc = -ENOMEM;
        goto fail;
      }
      doms[i].n_dcs = j + 1;
    }
    i++;
  }
  *out = c;
  return 0;
fail:
  dfsc_cache_info_free(c);
  return rc;
}

/* ---- accessors (dfsc.h): read-only, NULL / 0 for NULL or out of range -- */
const char *dfsc_hop_prefix(const dfsc_resolve_hop *h) { return h ? h->prefix : NULL; }
const char *dfsc_hop_target(const dfsc_resolve_hop *h) { return h ? h->target : NULL; }
int dfsc_hop_is_root(const dfsc_resolve_hop *h) { return h ? h->root : 0; }
int dfsc_hop_is_interlink(const dfsc_resolve_hop *h) { return h ? h->interlink : 0; }
unsigned dfsc_hop_version(const dfsc_resolve_hop *h) { return h ? h->version : 0; }
unsigned dfsc_hop_ttl(const dfsc_resolve_hop *h) { return h ? h->ttl : 0; }
long long dfsc_hop_expires_in_ms(const dfsc_resolve_hop *h) {
  return h ? h->expires_in_ms : 0;
}
unsigned dfsc_hop_path_consumed(const dfsc_resolve_hop *h) {
  return h ? h->path_consumed : 0;
}
size_t dfsc_hop_ntargets(const dfsc_resolve_hop *h) { return h ? h->n_targets : 0; }
size_t dfsc_hop_chosen(const dfsc_resolve_hop *h) { return h ? h->chosen : 0; }
const char *dfsc_hop_source(const dfsc_resolve_hop *h) { return h ? h->source : NULL; }

const char *dfsc_hop_target_at(const dfsc_resolve_hop *h, size_t i) {
  return h && i < h->n_targets ? h->targets[i] : NULL;
}

const char *dfsc_resolution_path(const dfsc_resolution *r) { return r ? r->path : NULL; }
const char *dfsc_resolution_target(const dfsc_resolution *r) {
  return r ? r->target : NULL;
}
int dfsc_resolution_target_is_dfs(const dfsc_resolution *r) {
  return r ? r->target_dfs : 0;
}
size_t dfsc_resolution_nhops(const dfsc_resolution *r) { return r ? r->nhops : 0; }

const dfsc_resolve_hop *dfsc_resolution_hop(const dfsc_resolution *r, size_t i) {
  return r && i < r->nhops ? &r->hops[i] : NULL;
}

size_t dfsc_cache_info_nentries(const dfsc_cache_info *c) { return c ? c->n : 0; }
size_t dfsc_cache_info_ndomains(const dfsc_cache_info *c) { return c ? c->n_domains : 0; }

const dfsc_resolve_hop *dfsc_cache_info_entry(const dfsc_cache_info *c, size_t i) {
  return c && i < c->n ? &c->entries[i] : NULL;
}

const char *dfsc_cache_info_domain(const dfsc_cache_info *c, size_t i) {
  return c && i < c->n_domains ? c->domains[i].name : NULL;
}

size_t dfsc_cache_info_ndcs(const dfsc_cache_info *c, size_t domain) {
  return c && domain < c->n_domains ? c->domains[domain].n_dcs : 0;
}

const char *dfsc_cache_info_dc(const dfsc_cache_info *c, size_t domain, size_t i) {
  return c && domain < c->n_domains && i < c->domains[domain].n_dcs
             ? c->domains[domain].dcs[i]
             : NULL;
}
