/* Name lookup: --resolve style overrides, numeric addresses, and
 * getaddrinfo on a worker lane (so /etc/hosts and DNS work without blocking
 * the loop). Loop thread only. Does not: cache results (the connection
 * cache above keeps connections, not addresses).
 */
#ifndef DFSC_TRANSPORT_LOOKUP_H
#define DFSC_TRANSPORT_LOOKUP_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/lane.h"
#include "core/loop.h"

typedef struct dfsc_resolve_map dfsc_resolve_map;

/* Parses "NAME:ADDR[:PORT]" entries (IPv6 ADDR in brackets). Returns 0 or
 * -EINVAL naming nothing (the caller reports the entry). */
int dfsc__resolve_map_new(const char *const *entries, dfsc_resolve_map **out);
void dfsc__resolve_map_free(dfsc_resolve_map *m);

typedef struct dfsc_addr {
  struct sockaddr_storage ss;
  socklen_t len;
} dfsc_addr;

typedef struct dfsc_lookup dfsc_lookup;
/* status 0 with addr filled, or a negative code (DFSC_E_LOOKUP). */
typedef void (*dfsc_lookup_cb)(dfsc_lookup *lk, int status, const dfsc_addr *addr);

struct dfsc_lookup {
  dfsc_lookup_cb cb;
  void *data;
  /* private */
  dfsc_lane_job job;
  dfsc_timer timer; /* completes a map or numeric answer on the loop */
  char name[256];
  uint16_t port;
  int status;
  dfsc_addr addr;
  int active;
};

/* Starts a lookup of name:port. An override or a numeric address completes
 * on a later loop iteration, through a 0 ms timer: never through the
 * callers' submission queue, so callers filling it cannot fail a
 * connection setup (P2). Other names go to the lane. Returns 0 (cb runs
 * exactly once) or a negative code (DFSC_E_BUSY when the lane queue is
 * full). lk is embedded by the caller and must stay alive until cb. */
int dfsc__lookup_start(dfsc_loop *l, dfsc_lane *lane, const dfsc_resolve_map *map,
                       const char *name, uint16_t port, dfsc_lookup *lk, dfsc_lookup_cb cb);

#endif
