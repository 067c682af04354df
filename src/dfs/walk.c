/* The DFS walk of one operation: see walk.h. */
#include "dfs/walk.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "dfsc/dfsc.h"

#define ST_PATH_NOT_COVERED 0xC0000257u
#define ST_BAD_NETWORK_NAME 0xC00000CCu

static const char *const state_names[] = {
    "idle",    "resolve", "domain-referral", "dc-referral",   "sysvol-referral",
    "refresh", "connect", "root-probe",      "root-referral", "link-referral",
    "ready",   "failed"};

const char *dfsc__walk_state_name(enum dfsc_walk_state s) {
  return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

static void set_state(dfsc_walk *w, enum dfsc_walk_state s) {
  DFSC_DBG(w->log, DFSC_CAT_DFS, "walk %s: %s -> %s", w->path, state_names[w->state],
           state_names[s]);
  w->state = s;
}

static void resolve(dfsc_walk *w);
static int retry(dfsc_walk *w, int err, uint32_t st);

static void fail(dfsc_walk *w, int err, uint32_t st) {
  set_state(w, DFSC_WALK_FAILED);
  w->cb(w, err, err == DFSC_E_NTSTATUS ? st : 0);
}

/* A referral answered DFSC_E_SHUTDOWN: the resolver is being freed and
 * must not be walked again. Returns 1 when the walk ended so. */
static int shut(dfsc_walk *w, int err) {
  if (err != DFSC_E_SHUTDOWN)
    return 0;
  fail(w, err, 0);
  return 1;
}

static void fail_or_retry(dfsc_walk *w, int err, uint32_t st) {
  if (!retry(w, err, st))
    fail(w, err, st);
}

/* Splits "\host\share\rest" into its parts (pointers into buf, which is
 * modified). Returns 0 or DFSC_E_BADPATH. */
static int split_target(char *buf, char **host, char **share, char **rest) {
  char *p;
  if (buf[0] != '\\')
    return DFSC_E_BADPATH;
  *host = buf + 1;
  p = strchr(*host, '\\');
  if (p == NULL || p == *host)
    return DFSC_E_BADPATH;
  *p = '\0';
  *share = p + 1;
  p = strchr(*share, '\\');
  if (p != NULL) {
    *p = '\0';
    *rest = p + 1;
  } else {
    *rest = *share + strlen(*share);
  }
  return **share ? 0 : DFSC_E_BADPATH;
}

/* "\host\share" of the walk's target into out (cap bytes), and the host
 * into host (hcap bytes). Returns 0 or DFSC_E_BADPATH. */
static int target_root(const dfsc_walk *w, char *out, size_t cap, char *hostbuf,
                       size_t hcap) {
  char *buf = dfsc__strdup(w->target), *host, *share, *rest;
  int rc;
  if (buf == NULL)
    return -ENOMEM;
  rc = split_target(buf, &host, &share, &rest);
  if (rc == 0 && ((size_t)snprintf(out, cap, "\\%s\\%s", host, share) >= cap ||
                  (size_t)snprintf(hostbuf, hcap, "%s", host) >= hcap))
    rc = DFSC_E_BADPATH;
  dfsc__free(buf);
  return rc;
}

/* ---- referral answers ------------------------------------------------- */

/* Failures after which another target of the same DFS entry (or another DC)
 * is worth a try ([MS-DFSC] 3.1.5.2): the target is unreachable, its
 * session or tree failed, or the connection dropped. */
static int failover_worthy(int err, uint32_t st) {
  if (err == DFSC_E_NTSTATUS)
    return st == ST_BAD_NETWORK_NAME || st == 0xC00000BEu /* BAD_NETWORK_PATH */ ||
           st == 0xC000006Du /* LOGON_FAILURE */ ||
           st == 0xC0000203u /* USER_SESSION_DELETED */ ||
           st == 0xC00000C9u /* NETWORK_NAME_DELETED */ ||
           st == 0xC0000120u /* CANCELLED */;
  return err == -ECONNREFUSED || err == -ETIMEDOUT || err == -EHOSTUNREACH ||
         err == -ENETUNREACH || err == -ECONNRESET || err == -EPIPE ||
         err == DFSC_E_CLOSED || err == DFSC_E_LOOKUP || err == DFSC_E_CREDITS ||
         err == DFSC_E_PROTO || err == DFSC_E_SIGNATURE;
}

/* The port for a referral asked of server: the one the user named, when
 * server is the host the user named. */
static uint16_t port_of(const dfsc_walk *w, const char *server) {
  size_t n = strlen(server);
  return w->port && strncasecmp(w->path + 1, server, n) == 0 && w->path[1 + n] == '\\'
             ? w->port
             : 0;
}

static int domain_step(dfsc_walk *w);

/* A domain step's answer. A SYSVOL referral that could not reach its DC
 * goes to the next DC of the domain; otherwise, whatever the answer, walk
 * again (a failed DC or SYSVOL referral leaves the path to a plain tree
 * connect). */
static void domain_cb(dfsc_dfs_req *q, int err, uint32_t st) {
  dfsc_walk *w = q->data;
  if (shut(w, err))
    return;
  if (err == DFSC_E_KERBEROS || err == DFSC_E_NOTICKET) {
    /* Kerberos failed for this identity (no ticket, a KDC that does not
     * answer): the next step would ask it again and wait the same. */
    fail(w, err, st);
    return;
  }
  if (w->state == DFSC_WALK_SYSVOL && err < 0 && err != DFSC_E_NTSTATUS &&
      failover_worthy(err, st)) {
    DFSC_DBG(w->log, DFSC_CAT_DFS, "walk %s: DC %zu of the domain failed (%s)", w->path,
             w->dcs_tried, dfsc_err_name(err));
    w->dstep = 2; /* the next DC, if any */
    if (domain_step(w))
      return;
  }
  resolve(w);
}

/* For \X\SYSVOL and \X\NETLOGON ([MS-DFSC] 3.1.4.1 steps 3-7) with nothing
 * cached: a domain referral (empty path, sent to X, which a DNS domain name
 * resolves to) names the domains when none is known yet; a DC referral for
 * \X fills the domain's DC list; then a SYSVOL referral goes to the DCs it
 * listed, in order from the hint, until one answers. Returns 1 when a
 * referral is under way. */
static int domain_step(dfsc_walk *w) {
  dfsc_dfs_cache *cache = dfsc__dfs_cache(w->dfs);
  const char *x = w->path + 1, *y = strchr(x, '\\');
  char dom[256], req[512];
  const dfsc_dfs_domain *dm;
  const char *server;
  size_t xl, yl;

  if (y == NULL || w->dstep >= 3)
    return 0;
  xl = (size_t)(y - x);
  y++;
  yl = strcspn(y, "\\");
  if (xl == 0 || xl >= sizeof(dom) ||
      !((yl == 6 && strncasecmp(y, "SYSVOL", 6) == 0) ||
        (yl == 8 && strncasecmp(y, "NETLOGON", 8) == 0)))
    return 0;
  memcpy(dom, x, xl);
  dom[xl] = '\0';
  w->q.data = w;
  w->q.cb = domain_cb;
  if (w->dstep == 0 && dfsc__dfs_domain_next(cache, NULL) == NULL) {
    w->dstep = 1;
    set_state(w, DFSC_WALK_DOMAIN);
    w->q.port = port_of(w, dom);
    return dfsc__dfs_refer(w->dfs, dom, "", w->cr, &w->q) == 0;
  }
  dm = dfsc__dfs_domain_find(cache, dom);
  if ((dm == NULL || dm->n == 0) && w->dstep < 2) {
    w->dstep = 2;
    snprintf(req, sizeof(req), "\\%s", dom);
    set_state(w, DFSC_WALK_DC);
    w->q.port = port_of(w, dom);
    return dfsc__dfs_refer(w->dfs, dom, req, w->cr, &w->q) == 0;
  }
  if (w->dcs_tried >= (dm != NULL && dm->n > 0 ? dm->n : 1))
    return 0; /* every DC tried (the domain name itself when none is known) */
  w->dstep = 3;
  server = dm != NULL && dm->n > 0
               ? dm->dcs[((dm->hint < dm->n ? dm->hint : 0) + w->dcs_tried) % dm->n]
               : dom;
  w->dcs_tried++;
  snprintf(req, sizeof(req), "\\%s\\%.*s", dom, (int)yl, y);
  set_state(w, DFSC_WALK_SYSVOL);
  w->q.port = port_of(w, server);
  return dfsc__dfs_refer(w->dfs, server, req, w->cr, &w->q) == 0;
}

static void refresh_cb(dfsc_dfs_req *q, int err, uint32_t st) {
  /* A failed refresh leaves the old entry serving (soft expiry). */
  (void)st;
  if (!shut(q->data, err))
    resolve(q->data);
}

/* A referral that makes the walk start over from the cache: the link
 * referral after PATH_NOT_COVERED, the root probe, the root referral. */
static void again(dfsc_walk *w) {
  w->tree = NULL;
  resolve(w);
}

static void tree_ready(dfsc_tree_waiter *tw, dfsc_tree *t, int err, uint32_t ntstatus);

static void link_cb(dfsc_dfs_req *q, int err, uint32_t st) {
  dfsc_walk *w = q->data;
  if (err < 0) {
    /* The root target would not refer us on: its answer is the walk's. */
    fail(w, err, st);
    return;
  }
  again(w);
}

static void rootprobe_cb(dfsc_dfs_req *q, int err, uint32_t st) {
  dfsc_walk *w = q->data;
  (void)st;
  /* Held while the probe ran; still valid for a while after the release
   * (sl.h), which is all the synchronous use below needs. */
  dfsc__tree_release(w->tree);
  if (shut(w, err))
    return;
  /* With the root's entry cached the walk goes through it (the root's
   * targets, failover among them); without, the share itself serves. */
  if (err == 0)
    again(w);
  else if (err != DFSC_E_NTSTATUS && err != DFSC_E_PROTO)
    /* The connection itself failed (a deadline, a reset): that is the
     * answer, not the tree that went down with it. */
    fail_or_retry(w, err, 0);
  else
    tree_ready(&w->tw, w->tree, 0, 0);
}

static void rootref_cb(dfsc_dfs_req *q, int err, uint32_t st) {
  dfsc_walk *w = q->data;
  (void)st;
  if (shut(w, err))
    return;
  if (err < 0) {
    /* No namespace there either: the tree connect's answer stands. */
    fail(w, DFSC_E_NTSTATUS, w->saved_status);
    return;
  }
  again(w);
}

/* One root referral for \host\share of the target ([MS-DFSC] 3.1.4.1 step
 * 6), shared with every walk that asks at the same time. Returns 1 when
 * under way. */
static int root_referral(dfsc_walk *w, enum dfsc_walk_state s,
                         void (*cb)(dfsc_dfs_req *, int, uint32_t)) {
  char req[600], host[300];
  w->rootref = 1;
  if (target_root(w, req, sizeof(req), host, sizeof(host)) < 0)
    return 0;
  w->q.cb = cb;
  w->q.data = w;
  set_state(w, s);
  w->q.port = port_of(w, host);
  return dfsc__dfs_refer(w->dfs, host, req, w->cr, &w->q) == 0;
}

/* ---- retry: PATH_NOT_COVERED, root referral, failover --------------------- */

static int retry(dfsc_walk *w, int err, uint32_t st) {
  int rc;
  if (w->target == NULL)
    return 0;
  if (err == DFSC_E_NTSTATUS && st == ST_PATH_NOT_COVERED) {
    char req[600], host[300];
    /* [MS-DFSC] 3.1.5.1: only a DFS root target may say this; from a link
     * target (a plain share) it is the operation's error. */
    if (w->tree == NULL || !dfsc__tree_is_dfs(w->tree))
      return 0;
    if (++w->hops > DFSC_DFS_HOPS_MAX) {
      fail(w, DFSC_E_LOOP, 0);
      return 1;
    }
    if (target_root(w, req, sizeof(req), host, sizeof(host)) < 0)
      return 0;
    /* Ask the root target that answered for a link referral covering the
     * path as sent to it. */
    w->q.cb = link_cb;
    w->q.data = w;
    set_state(w, DFSC_WALK_LINK_REFERRAL);
    w->q.port = port_of(w, host);
    rc = dfsc__dfs_refer(w->dfs, host, w->target, w->cr, &w->q);
    if (rc < 0)
      fail(w, rc, 0);
    return 1;
  }
  if (err == DFSC_E_NTSTATUS && st == ST_BAD_NETWORK_NAME && !w->rootref &&
      w->tprefix != NULL && w->tprefix[0] == '\0') {
    /* The server has no such share: it may still know the namespace (a
     * domain-based root hosted elsewhere, [MS-DFSC] 3.1.4.1 step 6). */
    w->saved_status = st;
    if (root_referral(w, DFSC_WALK_ROOT_REFERRAL, rootref_cb))
      return 1;
    return 0;
  }
  if (w->tprefix != NULL && w->tprefix[0] != '\0' && failover_worthy(err, st) &&
      w->failovers < DFSC_DFS_TARGETS_MAX &&
      dfsc__dfs_failover(w->dfs, w->tprefix, w->tidx, &w->tried) == 0) {
    DFSC_DBG(w->log, DFSC_CAT_DFS, "walk %s: target %zu of %s failed (%s): failover",
             w->path, w->tidx, w->tprefix, dfsc_err_name(err));
    w->failovers++;
    again(w);
    return 1;
  }
  return 0;
}

int dfsc__walk_retry(dfsc_walk *w, int err, uint32_t ntstatus) {
  if (w->state != DFSC_WALK_READY)
    return 0;
  return retry(w, err, ntstatus);
}

/* ---- connect ----------------------------------------------------------- */

/* What to send on a tree for a DFS path that resolved to target: the whole
 * DFS path below a root ([MS-SMB2] 3.2.4.3, SMB2_FLAGS_DFS_OPERATIONS),
 * share-relative elsewhere. */
static int name_on_tree(const char *target, int dfs, char **out) {
  char *buf = dfsc__strdup(target), *host, *share, *rest;
  int rc;
  *out = NULL;
  if (buf == NULL)
    return -ENOMEM;
  rc = split_target(buf, &host, &share, &rest);
  if (rc == 0) {
    *out = dfsc__strdup(dfs ? target + 1 : rest);
    if (*out == NULL)
      rc = -ENOMEM;
  }
  dfsc__free(buf);
  return rc;
}

/* A rename's target resolves through the cache too, and must land on the
 * share the source did ([MS-FSCC] 2.4.42). */
static int new_name(dfsc_walk *w, int dfs) {
  char *out = dfsc__malloc(DFSC_DFS_PATH_MAX), *b1 = NULL, *b2 = NULL;
  char *h1, *s1, *r1, *h2, *s2, *r2;
  int rc = -ENOMEM;
  if (out == NULL)
    goto out;
  rc = dfsc__dfs_rewrite(w->dfs, w->newpath, out, NULL, NULL, NULL);
  if (rc < 0)
    goto out;
  b1 = dfsc__strdup(w->target);
  b2 = dfsc__strdup(out);
  rc = -ENOMEM;
  if (b1 == NULL || b2 == NULL)
    goto out;
  rc = DFSC_E_BADPATH;
  if (split_target(b1, &h1, &s1, &r1) < 0 || split_target(b2, &h2, &s2, &r2) < 0)
    goto out;
  rc = -EXDEV;
  if (strcasecmp(h1, h2) != 0 || strcasecmp(s1, s2) != 0)
    goto out;
  dfsc__free(w->newname);
  w->newname = dfsc__strdup(dfs ? out + 1 : r2);
  rc = w->newname == NULL ? -ENOMEM : w->newname[0] == '\0' ? DFSC_E_BADPATH : 0;
out:
  dfsc__free(out);
  dfsc__free(b1);
  dfsc__free(b2);
  return rc;
}

static void tree_ready(dfsc_tree_waiter *tw, dfsc_tree *t, int err, uint32_t ntstatus) {
  dfsc_walk *w = tw->data;
  int dfs, rc;
  if (err < 0) {
    fail_or_retry(w, err, ntstatus);
    return;
  }
  w->tree = t;
  dfs = dfsc__tree_is_dfs(t);
  /* A DFS root reached with nothing cached for it ([MS-DFSC] 3.1.4.1 step
   * 6): one root referral for \X\Y, so that its targets (and failover
   * among them) serve next time. */
  if (dfs && !w->rootref && w->tprefix != NULL && w->tprefix[0] == '\0') {
    dfsc__tree_hold(t); /* kept across the probe (rootprobe_cb) */
    if (root_referral(w, DFSC_WALK_ROOT_PROBE, rootprobe_cb))
      return;
    dfsc__tree_release(t);
  }
  dfsc__free(w->name);
  rc = name_on_tree(w->target, dfs, &w->name);
  if (rc == 0 && w->newpath != NULL)
    rc = new_name(w, dfs);
  if (rc < 0) {
    fail(w, rc, 0);
    return;
  }
  set_state(w, DFSC_WALK_READY);
  w->cb(w, 0, 0);
}

/* Rewrites the path through the cache and connects to the target. */
static void resolve(dfsc_walk *w) {
  char *out = NULL, *pfx = NULL, *buf = NULL, *host, *share, *rest;
  char src[256];
  uint16_t port;
  int rc;

  set_state(w, DFSC_WALK_RESOLVE);
  out = dfsc__malloc(DFSC_DFS_PATH_MAX);
  pfx = dfsc__malloc(DFSC_DFS_PATH_MAX);
  rc = -ENOMEM;
  if (out == NULL || pfx == NULL)
    goto fail;
  {
    /* A walk that failed over avoids the targets it tried on that entry,
     * whatever the shared hint says now. */
    dfsc_dfs_avoid av = {w->tprefix, w->tried};
    rc = dfsc__dfs_rewrite_avoid(w->dfs, w->path, out, NULL, NULL, pfx, &w->tidx, &av);
  }
  if (rc < 0)
    goto fail;
  if (w->tprefix == NULL || strcasecmp(w->tprefix, pfx) != 0)
    w->tried = 0; /* another entry now: what was tried was on the old one */
  if (pfx[0] == '\0' && domain_step(w))
    goto out;
  if (!w->refreshed && pfx[0] != '\0' &&
      dfsc__dfs_needs_refresh(w->dfs, pfx, src, sizeof(src))) {
    /* An expired entry: refresh it once; concurrent walks share the
     * request, and the old targets serve if it fails. */
    w->refreshed = 1;
    w->q.cb = refresh_cb;
    w->q.data = w;
    set_state(w, DFSC_WALK_REFRESH);
    w->q.port = port_of(w, src);
    if (dfsc__dfs_refer(w->dfs, src, pfx, w->cr, &w->q) == 0)
      goto out;
    set_state(w, DFSC_WALK_RESOLVE);
  }
  dfsc__free(w->target);
  dfsc__free(w->tprefix);
  w->target = dfsc__strdup(out);
  w->tprefix = dfsc__strdup(pfx);
  buf = dfsc__strdup(out);
  rc = -ENOMEM;
  if (w->target == NULL || w->tprefix == NULL || buf == NULL)
    goto fail;
  rc = split_target(buf, &host, &share, &rest);
  if (rc < 0)
    goto fail;
  /* A port the user named applies to the server the user named. */
  port = port_of(w, host);
  w->tw.cb = tree_ready;
  w->tw.data = w;
  set_state(w, DFSC_WALK_CONNECT);
  rc = dfsc__tree_get(w->sl, host, port, share, w->cr, &w->tw);
  if (rc < 0)
    goto fail;
  goto out;
fail:
  fail(w, rc, 0);
out:
  dfsc__free(out);
  dfsc__free(pfx);
  dfsc__free(buf);
}

int dfsc__walk_start(dfsc_walk *w) {
  if (w == NULL || w->dfs == NULL || w->sl == NULL || w->path == NULL || w->cb == NULL)
    return -EINVAL;
  w->state = DFSC_WALK_IDLE;
  resolve(w);
  return 0;
}

void dfsc__walk_clear(dfsc_walk *w) {
  dfsc__free(w->name);
  dfsc__free(w->newname);
  dfsc__free(w->target);
  dfsc__free(w->tprefix);
  w->name = w->newname = w->target = w->tprefix = NULL;
}
