/* Name lookup (see lookup.h). */
#include "transport/lookup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/fault.h"
#include "dfsc/errors.h"

#define MAP_MAX 256

struct map_ent {
  char name[256];
  dfsc_addr addr;
  int has_port;
};

struct dfsc_resolve_map {
  size_t n;
  struct map_ent ent[];
};

static int parse_addr(const char *a, uint16_t port, dfsc_addr *out) {
  struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;
  memset(out, 0, sizeof(*out));
  if (inet_pton(AF_INET, a, &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    out->len = sizeof(*sin);
    return 0;
  }
  if (inet_pton(AF_INET6, a, &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    out->len = sizeof(*sin6);
    return 0;
  }
  return -EINVAL;
}

static void set_port(dfsc_addr *a, uint16_t port) {
  if (a->ss.ss_family == AF_INET)
    ((struct sockaddr_in *)&a->ss)->sin_port = htons(port);
  else
    ((struct sockaddr_in6 *)&a->ss)->sin6_port = htons(port);
}

static int parse_entry(const char *e, struct map_ent *me) {
  const char *c1 = strchr(e, ':');
  char addr[INET6_ADDRSTRLEN + 2];
  const char *a, *rest;
  size_t alen;
  unsigned long port = 0;

  if (c1 == NULL || c1 == e || (size_t)(c1 - e) >= sizeof(me->name))
    return -EINVAL;
  memcpy(me->name, e, (size_t)(c1 - e));
  me->name[c1 - e] = '\0';
  a = c1 + 1;
  if (*a == '[') {
    const char *rb = strchr(a, ']');
    if (rb == NULL)
      return -EINVAL;
    alen = (size_t)(rb - a - 1);
    a++;
    rest = rb + 1;
  } else {
    rest = strchr(a, ':');
    if (rest == NULL)
      rest = a + strlen(a);
    alen = (size_t)(rest - a);
  }
  if (alen == 0 || alen >= sizeof(addr))
    return -EINVAL;
  memcpy(addr, a, alen);
  addr[alen] = '\0';
  if (*rest == ':') {
    char *end;
    errno = 0;
    port = strtoul(rest + 1, &end, 10);
    if (*end != '\0' || port == 0 || port > 65535 || errno)
      return -EINVAL;
    me->has_port = 1;
  } else if (*rest != '\0') {
    return -EINVAL;
  }
  return parse_addr(addr, (uint16_t)port, &me->addr);
}

int dfsc__resolve_map_new(const char *const *entries, dfsc_resolve_map **out) {
  size_t n = 0, i;
  dfsc_resolve_map *m;
  while (entries && entries[n])
    n++;
  if (n > MAP_MAX)
    return -EINVAL;
  m = dfsc__calloc(1, sizeof(*m) + n * sizeof(struct map_ent));
  if (m == NULL)
    return -ENOMEM;
  for (i = 0; i < n; i++) {
    if (parse_entry(entries[i], &m->ent[i]) < 0) {
      dfsc__free(m);
      return -EINVAL;
    }
  }
  m->n = n;
  *out = m;
  return 0;
}

void dfsc__resolve_map_free(dfsc_resolve_map *m) { dfsc__free(m); }

static void finish_timer(dfsc_timer *t) {
  dfsc_lookup *lk = t->data;
  lk->active = 0;
  lk->cb(lk, lk->status, lk->status == 0 ? &lk->addr : NULL);
}

static void lookup_work(dfsc_lane_job *job) {
  dfsc_lookup *lk = job->data;
  struct addrinfo hints, *res = NULL, *ai;
  int rc;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  rc = getaddrinfo(lk->name, NULL, &hints, &res);
  if (rc != 0 || res == NULL) {
    /* AI_ADDRCONFIG hides loopback-only answers on a host with no other
     * address; ask again without it. */
    hints.ai_flags = 0;
    if (res)
      freeaddrinfo(res);
    res = NULL;
    rc = getaddrinfo(lk->name, NULL, &hints, &res);
  }
  lk->status = DFSC_E_LOOKUP;
  if (rc == 0) {
    /* Prefer IPv4: Samba test servers and most SMB hosts listen there. */
    for (ai = res; ai; ai = ai->ai_next)
      if (ai->ai_family == AF_INET)
        break;
    if (ai == NULL)
      ai = res;
    if (ai != NULL && ai->ai_addrlen <= sizeof(lk->addr.ss)) {
      memcpy(&lk->addr.ss, ai->ai_addr, ai->ai_addrlen);
      lk->addr.len = ai->ai_addrlen;
      set_port(&lk->addr, lk->port);
      lk->status = 0;
    }
  }
  if (res)
    freeaddrinfo(res);
}

static void lookup_done(dfsc_lane_job *job, int status) {
  dfsc_lookup *lk = job->data;
  if (status < 0)
    lk->status = status;
  lk->active = 0;
  lk->cb(lk, lk->status, lk->status == 0 ? &lk->addr : NULL);
}

int dfsc__lookup_start(dfsc_loop *l, dfsc_lane *lane, const dfsc_resolve_map *map,
                       const char *name, uint16_t port, dfsc_lookup *lk,
                       dfsc_lookup_cb cb) {
  size_t i, n = strlen(name);
  int rc;

  if (n == 0 || n >= sizeof(lk->name))
    return DFSC_E_LOOKUP;
  memcpy(lk->name, name, n + 1);
  lk->port = port;
  lk->cb = cb;
  lk->status = DFSC_E_LOOKUP;
  lk->active = 1;

  /* The fault hook (core/fault.h) makes a lookup that finds nothing,
   * reported from the loop like an answer from the map. */
  if (!DFSC_FAULT_HIT(DFSC_FAULT_SOCK)) {
    for (i = 0; map && i < map->n; i++) {
      if (strcasecmp(map->ent[i].name, name) == 0) {
        lk->addr = map->ent[i].addr;
        if (!map->ent[i].has_port)
          set_port(&lk->addr, port);
        lk->status = 0;
        break;
      }
    }
    if (lk->status != 0 && parse_addr(name, port, &lk->addr) == 0)
      lk->status = 0;
    if (lk->status != 0) {
      lk->job.work = lookup_work;
      lk->job.done = lookup_done;
      lk->job.data = lk;
      rc = dfsc__lane_submit(lane, &lk->job);
      if (rc < 0)
        lk->active = 0;
      return rc;
    }
  }
  lk->timer.data = lk;
  return dfsc__timer_start(l, &lk->timer, 0, finish_timer);
}
