/* Snapshots of DFS state for the front ends: the chain a path resolves
 * through, and the referral and domain caches. Runs on the loop thread; the
 * results are plain heap copies the caller owns. Does not: fetch anything. */
#include <errno.h>
#include <string.h>

#include "core/alloc.h"
#include "core/utf16.h"
#include "mup/dfsinfo.h"

static void hop_clear(dfsc_resolve_hop *h) {
  size_t i;
  dfsc__free((char *)h->prefix);
  dfsc__free((char *)h->target);
  dfsc__free((char *)h->source);
  for (i = 0; h->targets && i < h->n_targets; i++)
    dfsc__free((char *)h->targets[i]);
  dfsc__free((void *)h->targets);
}

/* Copies a cache entry into a hop. Returns 0 or -ENOMEM. */
static int hop_fill(dfsc_resolve_hop *h, const dfsc_dfs_entry *e, uint64_t now) {
  const char **t;
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
    hop_clear((dfsc_resolve_hop *)&r->hops[i]);
  dfsc__free((void *)r->hops);
  dfsc__free((char *)r->path);
  dfsc__free((char *)r->target);
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
    hop_clear((dfsc_resolve_hop *)&c->entries[i]);
  dfsc__free((void *)c->entries);
  for (i = 0; i < c->n_domains; i++) {
    const dfsc_cache_domain *dm = &c->domains[i];
    for (j = 0; j < dm->n_dcs; j++)
      dfsc__free((char *)dm->dcs[j]);
    dfsc__free((void *)dm->dcs);
    dfsc__free((char *)dm->name);
  }
  dfsc__free((void *)c->domains);
  dfsc__free(c);
}

int dfsc__mup_cache_info(dfsc_dfs *d, dfsc_cache_info **out) {
  dfsc_dfs_cache *cache = dfsc__dfs_cache(d);
  uint64_t now = dfsc__loop_now(dfsc__dfs_loop(d));
  dfsc_cache_info *c = dfsc__calloc(1, sizeof(*c));
  const dfsc_dfs_entry *e;
  const dfsc_dfs_domain *dm;
  dfsc_resolve_hop *ents;
  dfsc_cache_domain *doms;
  size_t n = dfsc__dfs_cache_count(cache), nd = 0, i = 0;
  int rc = -ENOMEM;

  for (dm = dfsc__dfs_domain_next(cache, NULL); dm != NULL; dm = dfsc__dfs_domain_next(cache, dm))
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
    const char **dcs = dfsc__calloc(dm->n ? dm->n : 1, sizeof(*dcs));
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
