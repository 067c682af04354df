/* One request/answer exchange over UDP on the loop: a datagram sent to a
 * peer, the first datagram back from it delivered, the request resent a
 * bounded number of times, the whole bounded by a deadline (P5). For the
 * CLDAP "LDAP ping" that names a domain controller ([MS-ADTS] 6.3.3).
 *
 * Does not: block, retry past `tries`, accept a datagram from another peer
 * (the socket is connected), or look inside the datagrams.
 */
#ifndef DFSC_TRANSPORT_UDP_H
#define DFSC_TRANSPORT_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/loop.h"

#define DFSC_UDP_REQ_MAX 1024
#define DFSC_UDP_RSP_MAX 4096

typedef struct dfsc_udp_xchg dfsc_udp_xchg;
/* err 0: data/len is the answer (valid during the call only); else
 * -ETIMEDOUT (no answer after every try) or a socket error. Loop thread,
 * exactly once per started exchange, never from inside dfsc__udp_exchange. */
typedef void (*dfsc_udp_cb)(dfsc_udp_xchg *x, int err, const uint8_t *data, size_t len);

struct dfsc_udp_xchg {
  dfsc_udp_cb cb;
  void *data;
  /* private */
  dfsc_loop *loop;
  dfsc_io io;
  dfsc_timer timer;
  int fd;
  int tries_left;
  unsigned try_ms;
  int active;
  size_t reqlen;
  uint8_t req[DFSC_UDP_REQ_MAX];
  uint8_t rsp[DFSC_UDP_RSP_MAX];
};

/* Sends req to `to` and waits up to try_ms for an answer, `tries` times in
 * all (1..8). x is the caller's and stays alive until cb. Returns 0 (cb will
 * run) or a negative code (nothing started). */
int dfsc__udp_exchange(dfsc_loop *l, dfsc_udp_xchg *x, const struct sockaddr *to,
                       socklen_t tolen, const uint8_t *req, size_t len, unsigned try_ms,
                       int tries);

/* Ends an exchange without calling cb; a no-op when none runs. */
void dfsc__udp_cancel(dfsc_udp_xchg *x);

#endif
