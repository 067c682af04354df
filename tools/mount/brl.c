/* POSIX and flock locks planned as SMB2 byte-range locks: see brl.h. */
#include "brl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int overlaps(const struct dfsc__brl *e, uint64_t start, uint64_t end) {
  return e->start <= end && start <= e->end;
}

const struct dfsc__brl *dfsc__brl_conflict(const struct dfsc__brl *table,
                                           const struct dfsc__brl_req *req) {
  const struct dfsc__brl *e;

  if (req->type == 0)
    return NULL;
  for (e = table; e != NULL; e = e->next) {
    if (e->owner == req->owner || e->flock != req->flock)
      continue;
    if (overlaps(e, req->start, req->end) && (e->excl || req->type == 2))
      return e;
  }
  return NULL;
}

int dfsc__brl_plan(const struct dfsc__brl *table, size_t n, const struct dfsc__brl_req *req,
                   struct dfsc__brl_plan *p) {
  const struct dfsc__brl *e;
  size_t i;

  memset(p, 0, sizeof(*p));
  if (req->end < req->start || req->type < 0 || req->type > 2)
    return -EINVAL;
  for (e = table; e != NULL; e = e->next) {
    if (e->owner != req->owner || e->fh != req->fh || e->flock != req->flock ||
        !overlaps(e, req->start, req->end))
      continue;
    if (req->type != 0 && e->start == req->start && e->end == req->end &&
        e->excl == (req->type == 2)) {
      p->noop = 1; /* already held as asked */
      p->nold = 0;
      return 0;
    }
    if (p->nold == DFSC_BRL_PLAN_OLD_MAX)
      return -ENOLCK;
    p->old[p->nold] = *e;
    p->old[p->nold].next = NULL;
    p->nold++;
  }
  if (req->type != 0) {
    p->has_want = 1;
    p->want.owner = req->owner;
    p->want.fh = req->fh;
    p->want.start = req->start;
    p->want.end = req->end;
    p->want.excl = req->type == 2;
    p->want.flock = req->flock;
    p->want.pid = req->pid;
  }
  /* The parts of the old ranges outside the request stay locked as they
   * were: before it (at most one old range starts before) and after it. */
  for (i = 0; i < p->nold; i++) {
    const struct dfsc__brl *o = &p->old[i];
    if (o->start < req->start) {
      p->rem[p->nrem] = *o;
      p->rem[p->nrem].end = req->start - 1;
      p->nrem++;
    }
    if (o->end > req->end) {
      p->rem[p->nrem] = *o;
      p->rem[p->nrem].start = req->end + 1;
      p->nrem++;
    }
  }
  if (n - p->nold + (size_t)p->has_want + p->nrem > DFSC_BRL_MAX)
    return -ENOLCK;
  return 0;
}

static int same(const struct dfsc__brl *a, const struct dfsc__brl *b) {
  return a->owner == b->owner && a->fh == b->fh && a->start == b->start &&
         a->end == b->end && a->excl == b->excl && a->flock == b->flock;
}

static int add(struct dfsc__brl **table, size_t *n, const struct dfsc__brl *e) {
  struct dfsc__brl *c = malloc(sizeof(*c));

  if (c == NULL)
    return -ENOMEM;
  *c = *e;
  c->next = *table;
  *table = c;
  (*n)++;
  return 0;
}

int dfsc__brl_apply(struct dfsc__brl **table, size_t *n, const struct dfsc__brl_plan *p,
                    int want_ok, unsigned rem_ok, uint64_t old_back) {
  struct dfsc__brl **pp;
  size_t i;
  int rc = 0;

  if (p->noop)
    return 0;
  for (i = 0; i < p->nold; i++) {
    /* Kept: the want lock failed and this one was locked again. */
    if (p->has_want && !want_ok && (old_back & ((uint64_t)1 << i)))
      continue;
    for (pp = table; *pp != NULL; pp = &(*pp)->next) {
      if (same(*pp, &p->old[i])) {
        struct dfsc__brl *gone = *pp;
        *pp = gone->next;
        free(gone);
        (*n)--;
        break;
      }
    }
  }
  if (p->has_want && !want_ok)
    return 0; /* the remainders were not locked either */
  if (p->has_want && rc == 0)
    rc = add(table, n, &p->want);
  for (i = 0; i < p->nrem && rc == 0; i++)
    if (rem_ok & (1u << i))
      rc = add(table, n, &p->rem[i]);
  return rc;
}

size_t dfsc__brl_drop_fh(struct dfsc__brl **table, size_t *n, uintptr_t fh) {
  struct dfsc__brl **pp = table;
  size_t k = 0;

  while (*pp != NULL) {
    if ((*pp)->fh == fh) {
      struct dfsc__brl *gone = *pp;
      *pp = gone->next;
      free(gone);
      (*n)--;
      k++;
    } else {
      pp = &(*pp)->next;
    }
  }
  return k;
}

void dfsc__brl_free(struct dfsc__brl **table, size_t *n) {
  while (*table != NULL) {
    struct dfsc__brl *gone = *table;
    *table = gone->next;
    free(gone);
  }
  *n = 0;
}
