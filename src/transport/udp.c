/* A UDP request/answer exchange on the loop (see udp.h). */
#include "transport/udp.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static void finish(dfsc_udp_xchg *x, int err, const uint8_t *data, size_t len) {
  dfsc__udp_cancel(x);
  x->cb(x, err, data, len);
}

static void on_timer(dfsc_timer *t);

static int send_req(dfsc_udp_xchg *x) {
  ssize_t n;
  do
    n = send(x->fd, x->req, x->reqlen, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    return -errno;
  x->tries_left--;
  x->timer.data = x;
  return dfsc__timer_start(x->loop, &x->timer, x->try_ms, on_timer);
}

static void on_timer(dfsc_timer *t) {
  dfsc_udp_xchg *x = t->data;
  int rc;
  if (x->tries_left <= 0) {
    finish(x, -ETIMEDOUT, NULL, 0);
    return;
  }
  rc = send_req(x);
  if (rc < 0)
    finish(x, rc, NULL, 0);
}

static void on_io(dfsc_io *io, uint32_t events) {
  dfsc_udp_xchg *x = io->data;
  ssize_t n;
  (void)events;
  do
    n = recv(x->fd, x->rsp, sizeof(x->rsp), 0);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return;
    /* ECONNREFUSED: an ICMP port unreachable, nothing listens there. */
    finish(x, -errno, NULL, 0);
    return;
  }
  finish(x, 0, x->rsp, (size_t)n);
}

int dfsc__udp_exchange(dfsc_loop *l, dfsc_udp_xchg *x, const struct sockaddr *to,
                       socklen_t tolen, const uint8_t *req, size_t len, unsigned try_ms,
                       int tries) {
  int rc;
  if (l == NULL || x == NULL || to == NULL || req == NULL || len == 0 ||
      len > sizeof(x->req) || tries < 1 || tries > 8 || try_ms == 0 || x->active)
    return -EINVAL;
  x->loop = l;
  x->fd = socket(to->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (x->fd < 0)
    return -errno;
  if (connect(x->fd, to, tolen) != 0) {
    rc = -errno;
    close(x->fd);
    x->fd = -1;
    return rc;
  }
  memcpy(x->req, req, len);
  x->reqlen = len;
  x->try_ms = try_ms;
  x->tries_left = tries;
  x->io.data = x;
  rc = dfsc__io_start(l, &x->io, x->fd, EPOLLIN, on_io);
  if (rc < 0) {
    close(x->fd);
    x->fd = -1;
    return rc;
  }
  x->active = 1;
  rc = send_req(x);
  if (rc < 0) {
    dfsc__udp_cancel(x);
    return rc;
  }
  return 0;
}

void dfsc__udp_cancel(dfsc_udp_xchg *x) {
  if (x == NULL || !x->active)
    return;
  x->active = 0;
  dfsc__timer_stop(x->loop, &x->timer);
  if (x->io.active)
    dfsc__io_stop(x->loop, &x->io);
  close(x->fd);
  x->fd = -1;
}
