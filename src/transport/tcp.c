/* TCP transport with direct-TCP framing (see tcp.h). */
#include "transport/tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/fault.h"
#include "core/fdio.h"
#include "dfsc/errors.h"

/* The staging buffer starts small and doubles, up to STAGE_SIZE, each time
 * a read fills it: a connection that only idles (one per server and
 * identity, up to max_conns) keeps STAGE_MIN, one that moves data batches
 * up to STAGE_SIZE per read(). */
#define STAGE_MIN (16 * 1024)
#define STAGE_SIZE (256 * 1024)

enum tcp_state { TCP_CONNECTING, TCP_OPEN, TCP_DEAD };

struct dfsc_tcp {
  dfsc_loop *loop;
  dfsc_io io;
  dfsc_timer timer;
  enum tcp_state state;
  dfsc_tcp_cbs cbs;
  void *arg;
  size_t max_frame;
  int depth; /* callbacks in progress: free is deferred until 0 */
  int freed;
  char peer[64];
  uint64_t rx_at; /* loop ms of the last byte read (0: none yet) */

  dfsc_tcp_msg *sq_head, *sq_tail;
  size_t queued;

  /* Receive: a staging buffer for small frames and headers; a large frame
   * gets its own buffer and is read into it directly. */
  uint8_t *stage;
  size_t stage_len; /* valid bytes in stage */
  size_t stage_cap; /* its size, STAGE_MIN .. STAGE_SIZE */
  uint8_t *frame;   /* frame being filled directly */
  size_t frame_len, frame_have;
  /* A split frame (frame_dst): its head here, the rest at split_dst (or
   * dropped once aborted); frame_len / frame_have count the whole frame. */
  size_t split_head, split_min; /* dfsc__tcp_set_split; 0: off */
  uint8_t *split_headbuf;       /* non-NULL while a split frame is received */
  uint8_t *split_dst;
  int split_aborted;
  /* Or spliced into a pipe (dfsc_tcp_dst): its ends, -1 when not. Once it
   * filled early, its bytes and the rest are kept in split_spill (then
   * split_dst) and written into it at the end. */
  int split_pipe[2];
  uint8_t *split_spill;
  uint64_t spills;
  /* After a split frame the next is likely one too (a stream of READs):
   * the stage then reads no further than that frame's head, so its data
   * goes to its destination once rather than through the stage (0: read
   * as much as the stage holds). */
  size_t stage_want;
};

static void io_cb(dfsc_io *w, uint32_t events);

static void fail_queue(dfsc_tcp *t, int err) {
  dfsc_tcp_msg *m;
  while ((m = t->sq_head) != NULL) {
    t->sq_head = m->next;
    if (t->sq_head == NULL)
      t->sq_tail = NULL;
    t->queued -= m->total - m->sent;
    if (m->done)
      m->done(m, err);
  }
}

static void shut(dfsc_tcp *t) {
  if (t->io.active)
    dfsc__io_stop(t->loop, &t->io);
  dfsc__timer_stop(t->loop, &t->timer);
  if (t->io.fd >= 0) {
    close(t->io.fd);
    t->io.fd = -1;
  }
  t->state = TCP_DEAD;
}

static void really_free(dfsc_tcp *t) {
  dfsc__free(t->stage);
  dfsc__free(t->frame);
  dfsc__free(t->split_headbuf);
  dfsc__free(t->split_spill);
  dfsc__free(t);
}

void dfsc__tcp_free(dfsc_tcp *t) {
  if (t == NULL || t->freed)
    return;
  t->freed = 1;
  shut(t);
  t->depth++;
  fail_queue(t, DFSC_E_CLOSED);
  t->depth--;
  if (t->depth == 0)
    really_free(t);
}

/* Reports a fatal error once, then goes quiet. */
static void die(dfsc_tcp *t, int err) {
  int was_connecting = t->state == TCP_CONNECTING;
  if (t->state == TCP_DEAD)
    return;
  shut(t);
  t->depth++;
  fail_queue(t, err);
  if (!t->freed) {
    if (was_connecting) {
      if (t->cbs.on_connect)
        t->cbs.on_connect(t->arg, err);
    } else if (t->cbs.on_error) {
      t->cbs.on_error(t->arg, err);
    }
  }
  t->depth--;
}

static void timeout_cb(dfsc_timer *tm) {
  dfsc_tcp *t = tm->data;
  t->depth++;
  die(t, -ETIMEDOUT);
  t->depth--;
  if (t->freed && t->depth == 0)
    really_free(t);
}

int dfsc__tcp_connect(dfsc_loop *l, const struct sockaddr *addr, socklen_t alen,
                      unsigned timeout_ms, size_t max_frame, const dfsc_tcp_cbs *cbs,
                      void *arg, dfsc_tcp **out) {
  dfsc_tcp *t;
  int fd, rc, one = 1;

  t = dfsc__calloc(1, sizeof(*t));
  if (t == NULL)
    return -ENOMEM;
  t->stage = dfsc__malloc(STAGE_MIN);
  if (t->stage == NULL) {
    dfsc__free(t);
    return -ENOMEM;
  }
  t->stage_cap = STAGE_MIN;
  t->loop = l;
  t->cbs = *cbs;
  t->arg = arg;
  t->max_frame = max_frame > DFSC_TCP_FRAME_MAX ? DFSC_TCP_FRAME_MAX : max_frame;
  t->io.fd = -1;
  t->split_pipe[0] = t->split_pipe[1] = -1;
  t->state = TCP_CONNECTING;

  if (addr->sa_family == AF_INET) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
    char a[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
    snprintf(t->peer, sizeof(t->peer), "%s:%u", a, ntohs(sin->sin_port));
  } else if (addr->sa_family == AF_INET6) {
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)addr;
    char a[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
    snprintf(t->peer, sizeof(t->peer), "[%s]:%u", a, ntohs(sin6->sin6_port));
  }

  /* Fault hooks (core/fault.h): each fails like the call it stands for. */
  if (DFSC_FAULT_HIT(DFSC_FAULT_SOCK)) {
    fd = -1;
    errno = ENOBUFS;
  } else {
    fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  }
  if (fd < 0) {
    rc = -errno;
    goto fail;
  }
  t->io.fd = fd;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (DFSC_FAULT_HIT(DFSC_FAULT_SOCK)) {
    rc = -ECONNREFUSED;
    goto fail;
  }
  if (connect(fd, addr, alen) < 0 && errno != EINPROGRESS) {
    rc = -errno;
    goto fail;
  }
  t->timer.data = t;
  rc = dfsc__timer_start(l, &t->timer, timeout_ms, timeout_cb);
  if (rc < 0)
    goto fail;
  t->io.data = t;
  rc = dfsc__io_start(l, &t->io, fd, EPOLLOUT, io_cb);
  if (rc < 0)
    goto fail;
  *out = t;
  return 0;

fail:
  dfsc__timer_stop(l, &t->timer);
  if (t->io.fd >= 0)
    close(t->io.fd);
  really_free(t);
  return rc;
}

const char *dfsc__tcp_peer(const dfsc_tcp *t) { return t->peer; }

void dfsc__tcp_set_split(dfsc_tcp *t, size_t head_len, size_t min_len) {
  t->split_head = head_len;
  t->split_min = min_len;
}

/* The split frame's destination is done with (its end, or an abort). */
static void split_release(dfsc_tcp *t) {
  t->split_dst = NULL;
  t->split_pipe[0] = t->split_pipe[1] = -1;
  dfsc__free(t->split_spill);
  t->split_spill = NULL;
}

void dfsc__tcp_split_abort(dfsc_tcp *t) {
  if (t != NULL && t->split_headbuf != NULL) {
    t->split_aborted = 1;
    split_release(t);
  }
}

uint64_t dfsc__tcp_pipe_spills(const dfsc_tcp *t) { return t->spills; }

/* The pipe of the split frame under way stopped taking bytes (small pieces
 * off the socket used its slots up): what it holds is read back into a
 * buffer for the whole rest, which takes the rest of the frame; the end
 * writes it all into the pipe (page-packed, within its size). 0 or a
 * negative code. */
static int pipe_spill(dfsc_tcp *t) {
  size_t total = t->frame_len - t->split_head, in = t->frame_have - t->split_head, got = 0;
  uint8_t *b = dfsc__malloc(total);
  if (b == NULL)
    return -ENOMEM;
  while (got < in) {
    ssize_t r = read(t->split_pipe[0], b + got, in - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0) {
      dfsc__free(b);
      return r == 0 ? -EPIPE : -errno;
    }
    got += (size_t)r;
  }
  t->split_spill = b;
  t->split_dst = b;
  t->spills++;
  return 0;
}

/* After a splice into the split frame's pipe moved nothing (EAGAIN): 1
 * when the socket has bytes, so the pipe is what is full; 0 when there is
 * nothing yet; else what reading would report (DFSC_E_CLOSED at the end
 * of the stream, an error): a pipe left full by a closing peer must not
 * leave the loop waking for an end nobody reads. */
static int sock_peek(const dfsc_tcp *t) {
  uint8_t b;
  ssize_t n = recv(t->io.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0)
    return 1;
  if (n == 0)
    return DFSC_E_CLOSED;
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
}

/* The split frame's pipe cannot take its data (it failed, or no memory to
 * finish the frame in): the rest is read and dropped, and on_frame_split
 * reports the frame aborted; the connection goes on. */
static void pipe_fail(dfsc_tcp *t) {
  t->split_aborted = 1;
  split_release(t);
}

/* Whether a pipe holds nothing (the state a split frame's must start in:
 * a spill reads back what is there as the frame's own). */
static int pipe_empty(int fd) {
  int n = -1;
  return ioctl(fd, FIONREAD, &n) == 0 && n == 0;
}

size_t dfsc__tcp_queued(const dfsc_tcp *t) { return t->queued; }

uint64_t dfsc__tcp_rx_at(const dfsc_tcp *t) { return t->rx_at; }

static int want_events(dfsc_tcp *t) {
  uint32_t ev = EPOLLIN | (t->sq_head ? EPOLLOUT : 0);
  if (t->io.events == ev)
    return 0;
  return dfsc__io_modify(t->loop, &t->io, ev);
}

/* Writes as much of the queue as the socket takes. */
static int flush_queue(dfsc_tcp *t) {
  while (t->sq_head != NULL) {
    struct iovec iov[64];
    dfsc_tcp_msg *m;
    int n = 0;
    ssize_t w;
    size_t skip;

    /* Gather several queued messages into one send. */
    for (m = t->sq_head; m != NULL && n <= 64 - (DFSC_TCP_MAX_IOV + 1); m = m->next) {
      int i;
      skip = m->sent;
      if (skip < 4) {
        iov[n].iov_base = m->nbhdr + skip;
        iov[n].iov_len = 4 - skip;
        n++;
        skip = 0;
      } else {
        skip -= 4;
      }
      for (i = 0; i < m->iovcnt; i++) {
        if (skip >= m->iov[i].iov_len) {
          skip -= m->iov[i].iov_len;
          continue;
        }
        iov[n].iov_base = (uint8_t *)m->iov[i].iov_base + skip;
        iov[n].iov_len = m->iov[i].iov_len - skip;
        skip = 0;
        n++;
      }
    }
    {
      /* sendmsg with MSG_NOSIGNAL: a peer reset must come back as EPIPE,
       * never as a SIGPIPE that kills the program using the library. */
      struct msghdr mh;
      memset(&mh, 0, sizeof(mh));
      mh.msg_iov = iov;
      mh.msg_iovlen = (size_t)n;
      if (DFSC_FAULT_HIT(DFSC_FAULT_SOCK)) {
        w = -1;
        errno = ECONNRESET;
      } else {
        w = sendmsg(t->io.fd, &mh, MSG_NOSIGNAL);
      }
    }
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        break;
      if (errno == EINTR)
        continue;
      return -errno;
    }
    t->queued -= (size_t)w;
    while (w > 0 && (m = t->sq_head) != NULL) {
      size_t left = m->total - m->sent;
      if ((size_t)w < left) {
        m->sent += (size_t)w;
        break;
      }
      w -= (ssize_t)left;
      m->sent = m->total;
      t->sq_head = m->next;
      if (t->sq_head == NULL)
        t->sq_tail = NULL;
      if (m->done) {
        t->depth++;
        m->done(m, 0);
        t->depth--;
        if (t->freed)
          return 0;
      }
    }
  }
  return want_events(t);
}

int dfsc__tcp_send(dfsc_tcp *t, dfsc_tcp_msg *m) {
  size_t len = 0;
  int i, rc;
  if (t->state != TCP_OPEN || t->freed)
    return DFSC_E_CLOSED;
  if (m->iovcnt < 1 || m->iovcnt > DFSC_TCP_MAX_IOV)
    return -EINVAL;
  for (i = 0; i < m->iovcnt; i++)
    len += m->iov[i].iov_len;
  if (len > DFSC_TCP_FRAME_MAX)
    return DFSC_E_TOOBIG;
  m->nbhdr[0] = 0;
  m->nbhdr[1] = (uint8_t)(len >> 16);
  m->nbhdr[2] = (uint8_t)(len >> 8);
  m->nbhdr[3] = (uint8_t)len;
  m->sent = 0;
  m->total = len + 4;
  m->next = NULL;
  if (t->sq_tail)
    t->sq_tail->next = m;
  else
    t->sq_head = m;
  t->sq_tail = m;
  t->queued += m->total;
  /* Write now when nothing else waits: saves a loop round trip. Completion
   * callbacks may then run inside this call; the session layer allows it. */
  if (t->sq_head == m) {
    t->depth++;
    rc = flush_queue(t);
    t->depth--;
    if (t->freed) {
      if (t->depth == 0)
        really_free(t);
      return 0;
    }
    if (rc < 0) {
      /* Report through on_error from the loop, not from inside send. */
      shutdown(t->io.fd, SHUT_RDWR);
      dfsc__io_modify(t->loop, &t->io, EPOLLIN | EPOLLOUT);
    }
  } else {
    want_events(t);
  }
  return 0;
}

/* Parses whole frames out of the staging buffer; returns 0, 1 when the
 * owner asked to stop, or a negative error. */
static int deliver_stage(dfsc_tcp *t) {
  size_t off = 0;
  int rc = 0;
  while (t->stage_len - off >= 4) {
    const uint8_t *h = t->stage + off;
    size_t len = ((size_t)h[1] << 16) | ((size_t)h[2] << 8) | h[3];
    uint8_t *f;
    if (h[0] != 0) { /* NetBIOS session message types other than 0 are not SMB2 */
      rc = DFSC_E_PROTO;
      break;
    }
    if (len > t->max_frame) {
      rc = DFSC_E_TOOBIG;
      break;
    }
    if (t->split_head != 0 && len >= t->split_min && len > t->split_head &&
        t->stage_len - off - 4 < t->split_head && t->cbs.frame_dst != NULL) {
      /* A large frame whose head is not all here yet (a small frame came
       * first in the same read): it waits in the stage, the next read
       * stopping at the head's end, so that its owner can still say where
       * the rest goes. */
      t->stage_want = 4 + t->split_head;
      break;
    }
    if (t->split_head != 0 && len >= t->split_min && len > t->split_head &&
        t->stage_len - off - 4 < len && t->stage_len - off - 4 >= t->split_head &&
        t->cbs.frame_dst != NULL) {
      /* A large frame whose head is here: its owner may say where the rest
       * goes (a READ's data straight into the caller's buffer). */
      size_t have = t->stage_len - off - 4;
      dfsc_tcp_dst dst = {NULL, {-1, -1}};
      uint8_t *head = dfsc__malloc(t->split_head);
      int placed;
      if (head == NULL) {
        rc = -ENOMEM;
        break;
      }
      t->depth++;
      placed = t->cbs.frame_dst(t->arg, h + 4, t->split_head, len, &dst);
      t->depth--;
      if (t->freed || t->state == TCP_DEAD) {
        dfsc__free(head);
        rc = 1;
        break;
      }
      if (placed && dst.buf == NULL && !pipe_empty(dst.pipe[1]))
        placed = 0; /* a pipe with bytes in it: the frame comes whole */
      if (placed && (dst.buf != NULL || (dst.pipe[0] >= 0 && dst.pipe[1] >= 0))) {
        size_t early = have - t->split_head;
        memcpy(head, h + 4, t->split_head);
        t->split_headbuf = head;
        t->split_dst = dst.buf;
        t->split_pipe[0] = dst.buf != NULL ? -1 : dst.pipe[0];
        t->split_pipe[1] = dst.buf != NULL ? -1 : dst.pipe[1];
        t->split_aborted = 0;
        t->frame_have = t->split_head;
        t->frame_len = len;
        if (dst.buf != NULL) {
          memcpy(dst.buf, h + 4 + t->split_head, early);
        } else if (dfsc__write_full(t->split_pipe[1], h + 4 + t->split_head, early) < 0) {
          /* A full pipe: what it took is read back, the rest follows it. A
           * pipe that fails is this frame's loss, not the connection's. */
          int in = 0;
          if (errno == EAGAIN && ioctl(t->split_pipe[1], FIONREAD, &in) == 0 && in >= 0 &&
              (size_t)in <= early) {
            t->frame_have += (size_t)in;
            if (pipe_spill(t) == 0)
              memcpy(t->split_spill + in, h + 4 + t->split_head + in, early - (size_t)in);
            else
              pipe_fail(t);
          } else {
            pipe_fail(t);
          }
        }
        t->frame_have = have;
        off = t->stage_len;
        break;
      }
      dfsc__free(head);
    }
    f = dfsc__malloc(len);
    if (f == NULL) {
      rc = -ENOMEM;
      break;
    }
    if (t->stage_len - off - 4 < len) {
      /* Incomplete: the rest is read straight into the frame buffer. */
      t->frame_have = t->stage_len - off - 4;
      memcpy(f, h + 4, t->frame_have);
      t->frame = f;
      t->frame_len = len;
      off = t->stage_len;
      break;
    }
    memcpy(f, h + 4, len);
    off += 4 + len;
    t->stage_want = 0;
    t->depth++;
    rc = t->cbs.on_frame(t->arg, f, len);
    t->depth--;
    if (t->freed || t->state == TCP_DEAD) {
      rc = 1;
      break;
    }
    if (rc != 0)
      break;
  }
  if (off > 0 && off <= t->stage_len) {
    memmove(t->stage, t->stage + off, t->stage_len - off);
    t->stage_len -= off;
  }
  return rc;
}

static int do_read(dfsc_tcp *t) {
  int rounds, again = 0;
  /* Bounded work per wakeup: at most 64 reads before yielding to the loop. */
  for (rounds = 0; rounds < 64; rounds++) {
    ssize_t n;
    if (DFSC_FAULT_HIT(DFSC_FAULT_SOCK)) {
      errno = ECONNRESET;
      return -errno;
    }
    if (t->split_headbuf != NULL) {
      /* The rest of a split frame: at its destination, or into the idle
       * stage and dropped once aborted. */
      size_t want = t->frame_len - t->frame_have;
      if (t->split_aborted) {
        n = read(t->io.fd, t->stage, want < t->stage_cap ? want : t->stage_cap);
      } else if (t->split_dst == NULL) {
        /* Into the pipe, never through this process. */
        n = splice(t->io.fd, NULL, t->split_pipe[1], NULL, want, SPLICE_F_NONBLOCK);
        if (n < 0 && errno != EINTR) {
          /* Nothing moved: the socket is empty, or the pipe is full (the
           * rest then goes into memory), or one of them failed: the
           * socket's error ends the connection, the pipe's (no reader, not
           * a pipe, no memory) only this frame. */
          int e = errno, rc;
          if (e != EAGAIN && e != EPIPE && e != EBADF && e != EINVAL && e != ENOMEM)
            return -e;
          if ((rc = sock_peek(t)) < 0)
            return rc;
          if (e != EAGAIN)
            pipe_fail(t);
          else if (rc == 0)
            return 0; /* nothing to read yet */
          else if (!again++)
            continue; /* bytes came since the splice: once more */
          else if (pipe_spill(t) < 0)
            pipe_fail(t);
          continue;
        }
      } else {
        n = read(t->io.fd, t->split_dst + (t->frame_have - t->split_head), want);
      }
      if (n > 0) {
        again = 0;
        t->frame_have += (size_t)n;
        t->rx_at = dfsc__loop_now(t->loop);
        if (t->frame_have == t->frame_len) {
          uint8_t *head = t->split_headbuf;
          int rc, aborted = t->split_aborted;
          /* A spilt frame goes into its pipe now, whole. */
          if (!aborted && t->split_spill != NULL &&
              dfsc__write_full(t->split_pipe[1], t->split_spill,
                               t->frame_len - t->split_head) < 0)
            aborted = 1;
          split_release(t);
          t->split_headbuf = NULL;
          t->stage_want = 4 + t->split_head;
          t->depth++;
          rc = t->cbs.on_frame_split(t->arg, head, t->split_head, t->frame_len, aborted);
          t->depth--;
          if (t->freed || t->state == TCP_DEAD || rc != 0)
            return 0;
        }
        continue;
      }
    } else if (t->frame != NULL) {
      n = read(t->io.fd, t->frame + t->frame_have, t->frame_len - t->frame_have);
      if (n > 0) {
        t->frame_have += (size_t)n;
        t->rx_at = dfsc__loop_now(t->loop);
        if (t->frame_have == t->frame_len) {
          uint8_t *f = t->frame;
          size_t len = t->frame_len;
          int rc;
          t->frame = NULL;
          t->stage_want = 0;
          t->depth++;
          rc = t->cbs.on_frame(t->arg, f, len);
          t->depth--;
          if (t->freed || t->state == TCP_DEAD || rc != 0)
            return 0;
        }
        continue;
      }
    } else {
      size_t room = t->stage_cap - t->stage_len;
      if (t->stage_want > t->stage_len && t->stage_want - t->stage_len < room)
        room = t->stage_want - t->stage_len;
      n = read(t->io.fd, t->stage + t->stage_len, room);
      if (n > 0) {
        int rc, full = t->stage_len + (size_t)n == t->stage_cap;
        t->stage_len += (size_t)n;
        t->rx_at = dfsc__loop_now(t->loop);
        rc = deliver_stage(t);
        if (rc < 0)
          return rc;
        if (rc > 0)
          return 0;
        if (full && t->stage_cap < STAGE_SIZE) {
          /* More was waiting: a larger buffer for the next read. Nothing
           * points into the stage between reads; without memory the
           * smaller one serves. */
          uint8_t *ns = dfsc__realloc(t->stage, t->stage_cap * 2);
          if (ns != NULL) {
            t->stage = ns;
            t->stage_cap *= 2;
          }
        }
        continue;
      }
    }
    if (n == 0)
      return DFSC_E_CLOSED;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return 0;
    if (errno != EINTR)
      return -errno;
  }
  return 0;
}

static void io_cb(dfsc_io *w, uint32_t events) {
  dfsc_tcp *t = w->data;
  int rc = 0;

  t->depth++;
  if (t->state == TCP_CONNECTING) {
    int err = 0;
    socklen_t elen = sizeof(err);
    if (getsockopt(t->io.fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
      err = errno;
    if (err != 0) {
      die(t, -err);
      goto out;
    }
    dfsc__timer_stop(t->loop, &t->timer);
    t->state = TCP_OPEN;
    rc = dfsc__io_modify(t->loop, &t->io, EPOLLIN);
    if (rc < 0) {
      die(t, rc);
      goto out;
    }
    if (t->cbs.on_connect)
      t->cbs.on_connect(t->arg, 0);
    goto out;
  }
  if (t->state != TCP_OPEN)
    goto out;
  if (events & EPOLLOUT) {
    rc = flush_queue(t);
    if (t->freed || t->state != TCP_OPEN)
      goto out;
    if (rc < 0) {
      die(t, rc);
      goto out;
    }
  }
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
    rc = do_read(t);
    if (t->freed || t->state != TCP_OPEN)
      goto out;
    if (rc < 0)
      die(t, rc);
  }
out:
  t->depth--;
  if (t->freed && t->depth == 0)
    really_free(t);
}
