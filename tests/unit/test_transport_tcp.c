/* Unit tests for src/transport/tcp.c's split frames (dfsc__tcp_set_split):
 * a large frame's first bytes go to on_frame_split and the rest where
 * frame_dst says, here a pipe the transport splices into (splice(2)).
 *
 * Covers: a frame spliced whole into a roomy pipe; a pipe whose slots
 * small TCP segments use up before the frame ends (the spill: read back,
 * finished in memory, written into the pipe at the end); frame_dst
 * declining (the whole frame to on_frame); small frames, and a second
 * split frame, right behind a split one in the same write; a peer that
 * closes or resets the connection once small pieces filled the pipe's
 * slots, before the frame ends (on_error, not a loop spinning on a splice
 * that cannot move anything).
 *
 * A peer thread behind a loopback listener writes the frames with direct-
 * TCP framing ([MS-SMB2] 2.1: a zero byte, then a 24-bit big-endian
 * length). Every wait is bounded: a guard timer on the loop, poll timeouts
 * and SO_SNDTIMEO in the peer, and alarm() over the whole run, so a broken
 * transport fails the test instead of hanging it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "core/loop.h"
#include "dfsc/errors.h"
#include "transport/tcp.h"

/* What conn.c asks for: a READ response's SMB2 header and fixed part. */
#define HEAD_LEN 80
#define SPLIT_MIN 4096
#define GUARD_MS 10000 /* the loop's bound for one case */
#define PEER_MS 5000   /* the peer's bound for each of its waits */
#define MAX_REC 4
#define PIECE_GAP_MS 3 /* between the pieces of struct peer's npieces */
#define HANGUP_TRIES 5 /* hangup_case's tries at filling the pipe's slots */

/* ---- bytes ---------------------------------------------------------------- */

static uint32_t xs32(uint32_t *s) {
  uint32_t x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *s = x;
}

/* A pattern no two frames share (seed), so bytes from the wrong frame or
 * the wrong offset never compare equal by accident. */
static uint8_t *pattern(size_t n, uint32_t seed) {
  uint8_t *p = malloc(n);
  size_t i;
  assert_non_null(p);
  for (i = 0; i < n; i++)
    p[i] = (uint8_t)(xs32(&seed) >> 24);
  return p;
}

/* Appends one framed message to the wire buffer; returns its new length. */
static size_t put_frame(uint8_t *wire, size_t at, const uint8_t *body, size_t len) {
  wire[at] = 0;
  wire[at + 1] = (uint8_t)(len >> 16);
  wire[at + 2] = (uint8_t)(len >> 8);
  wire[at + 3] = (uint8_t)len;
  memcpy(wire + at + 4, body, len);
  return at + 4 + len;
}

/* The offset of the first differing byte, n when none: asserted equal to n,
 * a mismatch prints where it is rather than two large buffers. */
static size_t first_diff(const uint8_t *a, const uint8_t *b, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (a[i] != b[i])
      return i;
  return n;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

/* ---- the peer ------------------------------------------------------------- */

struct peer {
  int lfd;
  const uint8_t *wire;
  size_t wire_len;
  /* 0: the whole wire in one write. Otherwise this many bytes in one write,
   * then the rest in pieces of 1..64 bytes. */
  size_t first;
  /* 0: the rest of the wire in pieces as above. Otherwise (with first)
   * exactly this many pieces of 3..8 bytes, PIECE_GAP_MS apart, and not
   * the rest: the frame never ends. */
  size_t npieces;
  /* After the wire (npieces), instead of holding the connection: */
  enum { HOLD, HANGUP_CLOSE, HANGUP_RESET } hangup;
  int err;            /* 0, or the errno of the step that failed */
  const char *failed; /* that step */
  size_t pieces;      /* writes after the first */
  size_t sent;        /* bytes written after the first write (npieces) */
};

static int write_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return w == 0 ? EIO : errno; /* SO_SNDTIMEO: EAGAIN */
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static void *peer_main(void *arg) {
  struct peer *p = arg;
  struct pollfd pfd = {p->lfd, POLLIN, 0};
  struct timeval tv = {PEER_MS / 1000, 0};
  uint8_t sink[256];
  int fd = -1, one = 1;

  if (poll(&pfd, 1, PEER_MS) != 1) {
    p->err = ETIMEDOUT;
    p->failed = "accept";
    goto out;
  }
  fd = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0) {
    p->err = errno;
    p->failed = "accept";
    goto out;
  }
  /* A client that stops reading fails the write instead of blocking it. */
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (p->first == 0) {
    p->err = write_all(fd, p->wire, p->wire_len);
  } else if (p->npieces != 0) {
    size_t off = p->first;
    p->err = write_all(fd, p->wire, p->first);
    sleep_ms(5);
    /* Each piece a segment of its own, spliced on its own into a pipe slot
     * of its own: npieces of them use up that many slots. */
    while (p->err == 0 && p->pieces < p->npieces) {
      size_t k = 3 + p->pieces % 6;
      if (k > p->wire_len - off) { /* no cmocka asserts off the main thread */
        p->err = EINVAL;
        break;
      }
      p->err = write_all(fd, p->wire + off, k);
      off += k;
      p->pieces++;
      sleep_ms(PIECE_GAP_MS);
    }
    p->sent = off - p->first;
  } else {
    uint32_t s = 0x5eed;
    size_t off = p->first;
    p->err = write_all(fd, p->wire, p->first);
    /* The client reads the frame's head and sets up the pipe first. */
    sleep_ms(5);
    while (p->err == 0 && off < p->wire_len) {
      size_t k = 1 + xs32(&s) % 64;
      if (k > p->wire_len - off)
        k = p->wire_len - off;
      p->err = write_all(fd, p->wire + off, k);
      off += k;
      p->pieces++;
      /* Spaced out, so each piece reaches the client as a segment of its
       * own and each splice takes a pipe slot for a few bytes: the first
       * 64 are more than the 16 slots of a 64 KiB pipe. */
      if (p->pieces <= 64 || p->pieces % 32 == 0)
        sleep_ms(1);
    }
  }
  if (p->err != 0) {
    p->failed = "write";
    goto out;
  }
  if (p->hangup == HANGUP_RESET) {
    /* close() then sends a RST, not a FIN. */
    struct linger lg = {1, 0};
    if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0) {
      p->err = errno;
      p->failed = "SO_LINGER";
    }
  }
  if (p->hangup != HOLD)
    goto out; /* before the frame's end */
  /* Hold the connection until the client closes it, so an end of stream
   * never races the frames. */
  pfd.fd = fd;
  while (poll(&pfd, 1, PEER_MS) == 1 && read(fd, sink, sizeof(sink)) > 0)
    ;
out:
  if (fd >= 0)
    close(fd);
  return NULL;
}

/* ---- the client ----------------------------------------------------------- */

/* One split frame: what frame_dst and on_frame_split saw, and what the
 * pipe held when on_frame_split ran. */
struct split_rec {
  uint8_t dst_head[HEAD_LEN];
  size_t dst_head_len, dst_frame_len;
  int pfd[2];
  int pipe_size; /* F_SETPIPE_SZ's answer */
  uint8_t head[HEAD_LEN];
  size_t head_len, frame_len;
  int aborted;
  uint8_t *got; /* the pipe's contents */
  size_t got_len;
  int left;        /* FIONREAD after reading it empty */
  uint64_t spills; /* dfsc__tcp_pipe_spills at on_frame_split */
};

struct ctx {
  dfsc_loop *loop;
  dfsc_tcp *t;
  dfsc_timer guard;
  int timed_out;
  int connected;       /* on_connect's status, 1 until it runs */
  int err;             /* on_error's, 0 when it did not run */
  int nerr;            /* on_error's calls */
  uint64_t err_spills; /* dfsc__tcp_pipe_spills at on_error */
  /* frame_dst: D, on_frame_split: S, on_frame: F, in order. */
  char log[16];
  size_t nlog;
  const char *want; /* the log after which the loop stops */
  int use_pipe;     /* frame_dst returns a pipe (else 0) */
  int pipe_size;    /* asked of F_SETPIPE_SZ */
  int pipe_err;     /* 0, or the errno of pipe2 / F_SETPIPE_SZ */
  size_t prefill;   /* bytes frame_dst puts in the pipe before it answers */
  int broken;       /* frame_dst closes the pipe's read end first */
  struct split_rec split[MAX_REC];
  int nsplit_dst, nsplit_done;
  uint8_t *frame[MAX_REC];
  size_t frame_len[MAX_REC];
  int nframe;
  size_t pieces; /* the peer's writes (one_frame) */
};

static void note(struct ctx *c, char what) {
  if (c->nlog < sizeof(c->log) - 1)
    c->log[c->nlog++] = what;
  if (c->want != NULL && c->nlog >= strlen(c->want))
    dfsc__loop_stop(c->loop);
}

static void on_connect(void *arg, int status) {
  struct ctx *c = arg;
  c->connected = status;
  if (status < 0)
    dfsc__loop_stop(c->loop);
}

static void on_error(void *arg, int err) {
  struct ctx *c = arg;
  c->err = err;
  c->nerr++;
  c->err_spills = dfsc__tcp_pipe_spills(c->t);
  dfsc__loop_stop(c->loop);
}

static int frame_dst(void *arg, const uint8_t *head, size_t head_len, size_t frame_len,
                     dfsc_tcp_dst *dst) {
  struct ctx *c = arg;
  struct split_rec *s;
  note(c, 'D');
  if (!c->use_pipe || c->nsplit_dst == MAX_REC)
    return 0;
  s = &c->split[c->nsplit_dst];
  memcpy(s->dst_head, head, head_len < HEAD_LEN ? head_len : HEAD_LEN);
  s->dst_head_len = head_len;
  s->dst_frame_len = frame_len;
  if (pipe2(s->pfd, O_NONBLOCK | O_CLOEXEC) < 0) {
    c->pipe_err = errno;
    return 0;
  }
  s->pipe_size = fcntl(s->pfd[1], F_SETPIPE_SZ, c->pipe_size);
  if (s->pipe_size < c->pipe_size) {
    c->pipe_err = s->pipe_size < 0 ? errno : EMSGSIZE;
    close(s->pfd[0]);
    close(s->pfd[1]);
    s->pfd[0] = s->pfd[1] = -1;
    return 0;
  }
  if (c->prefill > 0) {
    static const uint8_t junk[64];
    assert_true(c->prefill <= sizeof(junk));
    assert_int_equal(write(s->pfd[1], junk, c->prefill), (ssize_t)c->prefill);
  }
  if (c->broken) {
    /* No reader left: the read end given is another, empty pipe's. */
    int decoy[2];
    assert_int_equal(pipe2(decoy, O_NONBLOCK | O_CLOEXEC), 0);
    close(decoy[1]);
    close(s->pfd[0]);
    s->pfd[0] = decoy[0];
  }
  c->nsplit_dst++;
  dst->buf = NULL;
  dst->pipe[0] = s->pfd[0];
  dst->pipe[1] = s->pfd[1];
  return 1;
}

static int on_frame_split(void *arg, uint8_t *head, size_t head_len, size_t frame_len,
                          int aborted) {
  struct ctx *c = arg;
  struct split_rec *s;
  size_t cap;
  if (c->nsplit_done == c->nsplit_dst) { /* no frame_dst said pipe */
    dfsc__free(head);
    note(c, '!');
    return 0;
  }
  s = &c->split[c->nsplit_done++];
  memcpy(s->head, head, head_len < HEAD_LEN ? head_len : HEAD_LEN);
  s->head_len = head_len;
  s->frame_len = frame_len;
  s->aborted = aborted;
  s->spills = dfsc__tcp_pipe_spills(c->t);
  dfsc__free(head);
  /* Everything must be in the pipe by now; room for a page more shows
   * bytes that do not belong there. */
  cap = s->dst_frame_len - s->dst_head_len + 4096;
  s->got = malloc(cap);
  if (s->got != NULL) {
    for (;;) {
      ssize_t r = read(s->pfd[0], s->got + s->got_len, cap - s->got_len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0 || (s->got_len += (size_t)r) == cap)
        break;
    }
  }
  if (ioctl(s->pfd[0], FIONREAD, &s->left) < 0)
    s->left = -errno;
  close(s->pfd[0]);
  close(s->pfd[1]);
  s->pfd[0] = s->pfd[1] = -1;
  note(c, 'S');
  return 0;
}

static int on_frame(void *arg, uint8_t *frame, size_t len) {
  struct ctx *c = arg;
  if (c->nframe < MAX_REC) {
    c->frame[c->nframe] = frame;
    c->frame_len[c->nframe++] = len;
  } else {
    dfsc__free(frame);
  }
  note(c, 'F');
  return 0;
}

static void guard_cb(dfsc_timer *tm) {
  struct ctx *c = tm->data;
  c->timed_out = 1;
  dfsc__loop_stop(c->loop);
}

static void ctx_init(struct ctx *c, const char *want, int use_pipe, int pipe_size) {
  int i;
  memset(c, 0, sizeof(*c));
  c->connected = 1;
  c->want = want;
  c->use_pipe = use_pipe;
  c->pipe_size = pipe_size;
  for (i = 0; i < MAX_REC; i++)
    c->split[i].pfd[0] = c->split[i].pfd[1] = -1;
}

static void ctx_cleanup(struct ctx *c) {
  int i;
  for (i = 0; i < MAX_REC; i++) {
    if (c->split[i].pfd[0] >= 0)
      close(c->split[i].pfd[0]);
    if (c->split[i].pfd[1] >= 0)
      close(c->split[i].pfd[1]);
    free(c->split[i].got);
  }
  for (i = 0; i < c->nframe; i++)
    dfsc__free(c->frame[i]);
}

/* Connects to a peer that writes p's wire, runs the loop until c->want is
 * logged, an error, or GUARD_MS, then closes everything. Returns
 * dfsc__loop_run's code. */
static int run_loop(struct ctx *c, struct peer *p) {
  static const dfsc_tcp_cbs cbs = {on_connect, on_frame, on_error, frame_dst,
                                   on_frame_split};
  struct sockaddr_in sin;
  socklen_t alen = sizeof(sin);
  pthread_t th;
  int rc;

  memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(p->lfd >= 0);
  assert_int_equal(bind(p->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
  assert_int_equal(listen(p->lfd, 1), 0);
  assert_int_equal(getsockname(p->lfd, (struct sockaddr *)&sin, &alen), 0);
  assert_int_equal(pthread_create(&th, NULL, peer_main, p), 0);

  assert_int_equal(dfsc__loop_new(NULL, 0, &c->loop), 0);
  rc = dfsc__tcp_connect(c->loop, (struct sockaddr *)&sin, alen, PEER_MS,
                         DFSC_TCP_FRAME_MAX, &cbs, c, &c->t);
  if (rc == 0) {
    dfsc__tcp_set_split(c->t, HEAD_LEN, SPLIT_MIN);
    c->guard.data = c;
    dfsc__timer_start(c->loop, &c->guard, GUARD_MS, guard_cb);
    rc = dfsc__loop_run(c->loop);
    dfsc__timer_stop(c->loop, &c->guard);
    dfsc__tcp_free(c->t);
  }
  /* The peer sees the end of stream (or times out) and returns. */
  pthread_join(th, NULL);
  close(p->lfd);
  dfsc__loop_free(c->loop);
  return rc;
}

/* run_loop, then what every case but a hang-up expects: connected, no
 * error, no timeout, the peer content, the callbacks in the order wanted. */
static void run(struct ctx *c, struct peer *p) {
  int rc = run_loop(c, p);

  assert_int_equal(rc, 0);
  assert_int_equal(c->connected, 0);
  assert_int_equal(c->err, 0);
  assert_int_equal(c->timed_out, 0);
  assert_int_equal(c->pipe_err, 0);
  if (p->err != 0)
    print_message("peer: %s failed\n", p->failed);
  assert_int_equal(p->err, 0);
  assert_string_equal(c->log, c->want);
}

/* A frame split into a pipe, checked against the body it was cut from. */
static void check_split(const struct split_rec *s, const uint8_t *body, size_t len) {
  assert_int_equal(s->dst_head_len, HEAD_LEN);
  assert_int_equal(s->dst_frame_len, len);
  assert_int_equal(first_diff(s->dst_head, body, HEAD_LEN), HEAD_LEN);
  assert_int_equal(s->aborted, 0);
  assert_int_equal(s->head_len, HEAD_LEN);
  assert_int_equal(s->frame_len, len);
  assert_int_equal(first_diff(s->head, body, HEAD_LEN), HEAD_LEN);
  assert_non_null(s->got);
  assert_int_equal(s->got_len, len - HEAD_LEN);
  assert_int_equal(first_diff(s->got, body + HEAD_LEN, len - HEAD_LEN), len - HEAD_LEN);
  assert_int_equal(s->left, 0);
}

/* ---- cases ---------------------------------------------------------------- */

/* 256 KiB after the head in one write, into a pipe with room for all of it
 * as the socket hands it over (128 slots): spliced, never spilt. */
/* Sends one frame of len bytes (pattern seed; its first `first` bytes in
 * one write, the rest in pieces, 0: all in one write) and runs the loop
 * with callbacks expected as seq; returns the frame's bytes (free them). */
static uint8_t *one_frame(struct ctx *c, size_t len, int seed, size_t first,
                          const char *seq, int use_pipe, size_t pipe_size) {
  uint8_t *body = pattern(len, seed), *wire = malloc(len + 4);
  struct peer p = {0};

  assert_non_null(wire);
  p.wire = wire;
  p.wire_len = put_frame(wire, 0, body, len);
  p.first = first;
  ctx_init(c, seq, use_pipe, pipe_size);
  run(c, &p);
  c->pieces = p.pieces;
  free(wire);
  return body;
}

static void test_pipe_whole(void **state) {
  const size_t len = HEAD_LEN + 256 * 1024;
  struct ctx c;
  uint8_t *body = one_frame(&c, len, 1, 0, "DS", 1, 512 * 1024);

  assert_int_equal(c.nsplit_done, 1);
  check_split(&c.split[0], body, len);
  assert_int_equal(c.split[0].spills, 0);
  assert_int_equal(c.nframe, 0);
  ctx_cleanup(&c);
  free(body);
  (void)state;
}

/* The head in one write, then 48 KiB in pieces of 1..64 bytes, most as
 * segments of their own, into a 64 KiB pipe: room for the 48 KiB packed in
 * pages, but 16 slots, which the first 16 pieces spliced use up. The
 * transport must read back what the pipe holds, finish the frame in memory
 * and write it all into the pipe at the end: the same bytes, in order. */
static void test_pipe_spill(void **state) {
  const size_t len = HEAD_LEN + 48 * 1024;
  struct ctx c;
  uint8_t *body = one_frame(&c, len, 2, 4 + HEAD_LEN, "DS", 1, 64 * 1024);

  assert_int_equal(c.nsplit_done, 1);
  assert_int_equal(c.split[0].pipe_size, 64 * 1024);
  check_split(&c.split[0], body, len);
  assert_int_equal(c.nframe, 0);
  /* At least 64 pieces arrive 1 ms apart, each spliced on its own into
   * one of 16 slots, so the pipe fills long before the frame ends. */
  print_message("%zu pieces, %llu spill(s)\n", c.pieces,
                (unsigned long long)c.split[0].spills);
  assert_true(c.split[0].spills >= 1);
  ctx_cleanup(&c);
  free(body);
  (void)state;
}

/* frame_dst declines: the frame, head included, arrives whole at on_frame. */
static void test_declined(void **state) {
  const size_t len = HEAD_LEN + 64 * 1024;
  struct ctx c;
  uint8_t *body = one_frame(&c, len, 3, 0, "DF", 0, 0);

  assert_int_equal(c.nsplit_dst, 0);
  assert_int_equal(c.nframe, 1);
  assert_int_equal(c.frame_len[0], len);
  assert_int_equal(first_diff(c.frame[0], body, len), len);
  ctx_cleanup(&c);
  free(body);
  (void)state;
}

/* Three frames in one write (patterns seed, seed + 1, seed + 2), the
 * callbacks expected as want: each frame of SPLIT_MIN bytes or more into a
 * pipe of its own with exactly its bytes, each other whole at on_frame, in
 * order. */
static void three_frames(const size_t len[3], int seed, const char *want) {
  uint8_t *b[3], *wire = malloc(len[0] + len[1] + len[2] + 12);
  struct peer p = {0};
  struct ctx c;
  int i, ns = 0, nf = 0;

  assert_non_null(wire);
  p.wire = wire;
  for (i = 0; i < 3; i++) {
    b[i] = pattern(len[i], seed + i);
    p.wire_len = put_frame(wire, p.wire_len, b[i], len[i]);
  }
  ctx_init(&c, want, 1, 512 * 1024);
  run(&c, &p);
  for (i = 0; i < 3; i++) {
    if (len[i] >= SPLIT_MIN) {
      check_split(&c.split[ns++], b[i], len[i]);
    } else {
      assert_int_equal(c.frame_len[nf], len[i]);
      assert_int_equal(first_diff(c.frame[nf], b[i], len[i]), len[i]);
      nf++;
    }
  }
  assert_int_equal(c.nsplit_done, ns);
  assert_int_equal(c.nframe, nf);
  ctx_cleanup(&c);
  free(wire);
  for (i = 0; i < 3; i++)
    free(b[i]);
}

/* A split frame, then in the same write a frame longer than a head and one
 * shorter: the split one's splice stops at its end, and the two after it
 * reach on_frame whole and in order, once it completed. */
static void test_small_after_split(void **state) {
  const size_t len[3] = {HEAD_LEN + 128 * 1024, 200, 12};
  three_frames(len, 4, "DSFF");
  (void)state;
}

/* Two split frames back to back in one write, then a small one: after the
 * first the stage reads no further than the next head (a stream of READs),
 * and each frame gets a pipe of its own with exactly its bytes. */
static void test_split_after_split(void **state) {
  const size_t len[3] = {HEAD_LEN + 96 * 1024, HEAD_LEN + 40 * 1024, 100};
  three_frames(len, 7, "DSDSF");
  (void)state;
}

/* A split frame, a frame shorter than a head, then a large frame, in one
 * write: the read after the first stops at 4 + HEAD_LEN bytes, which hold
 * the small frame and only part of the large one's head; the large frame
 * waits in the stage for the rest of its head and is split too, not
 * received whole. */
static void test_split_after_small(void **state) {
  const size_t len[3] = {HEAD_LEN + 64 * 1024, 12, HEAD_LEN + 64 * 1024};
  three_frames(len, 10, "DSFDS");
  (void)state;
}

/* frame_dst names a pipe that already holds bytes: the transport must not
 * splice there (a spill would read them back as the frame's own), so the
 * frame arrives whole at on_frame, and the pipe keeps exactly its bytes. */
static void test_pipe_not_empty(void **state) {
  const size_t len = HEAD_LEN + 64 * 1024;
  uint8_t *body = pattern(len, 13), *wire = malloc(len + 4);
  struct peer p = {0};
  struct ctx c;
  int left = -1;

  assert_non_null(wire);
  p.wire = wire;
  p.wire_len = put_frame(wire, 0, body, len);
  ctx_init(&c, "DF", 1, 512 * 1024);
  c.prefill = 10;
  run(&c, &p);
  assert_int_equal(c.nsplit_dst, 1);
  assert_int_equal(c.nsplit_done, 0);
  assert_int_equal(c.nframe, 1);
  assert_int_equal(c.frame_len[0], len);
  assert_int_equal(first_diff(c.frame[0], body, len), len);
  assert_int_equal(ioctl(c.split[0].pfd[0], FIONREAD, &left), 0);
  assert_int_equal(left, 10);
  ctx_cleanup(&c);
  free(wire);
  free(body);
  (void)state;
}

/* frame_dst names a pipe nobody reads (its read end closed; the one given
 * is another pipe's): the write or splice into it fails with EPIPE, which
 * costs that frame only: it is reported aborted without a spill, the
 * connection stays, and the next frame arrives whole and intact. first: 0,
 * the frame's bytes are all in the stage when it is placed (they are
 * written into the pipe); 4 + HEAD_LEN, only its head is (the rest is
 * spliced). */
static void broken_case(size_t first) {
  const size_t len0 = HEAD_LEN + 16 * 1024, len1 = 300;
  uint8_t *b0 = pattern(len0, 14), *b1 = pattern(len1, 15);
  uint8_t *wire = malloc(len0 + len1 + 8);
  struct peer p = {0};
  struct ctx c;
  void (*old)(int) = signal(SIGPIPE, SIG_IGN);

  assert_non_null(wire);
  p.wire = wire;
  p.wire_len = put_frame(wire, 0, b0, len0);
  p.wire_len = put_frame(wire, p.wire_len, b1, len1);
  p.first = first;
  ctx_init(&c, "DSF", 1, 512 * 1024);
  c.broken = 1;
  run(&c, &p);
  signal(SIGPIPE, old);
  assert_int_equal(c.nerr, 0);
  assert_int_equal(c.nsplit_done, 1);
  assert_int_equal(c.split[0].aborted, 1);
  assert_int_equal(c.split[0].frame_len, len0);
  assert_int_equal(c.split[0].spills, 0);
  assert_int_equal(c.nframe, 1);
  assert_int_equal(c.frame_len[0], len1);
  assert_int_equal(first_diff(c.frame[0], b1, len1), len1);
  ctx_cleanup(&c);
  free(wire);
  free(b0);
  free(b1);
}

static void test_pipe_broken_early(void **state) {
  broken_case(0);
  (void)state;
}

static void test_pipe_broken_splice(void **state) {
  broken_case(4 + HEAD_LEN);
  (void)state;
}

static double cpu_s(void) {
  struct rusage ru;
  assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One try of hangup_case. Returns 1 when the pipe's slots were all used
 * when the error came (the case tested what it is for), 0 when pieces
 * arrived merged and the pipe kept a slot, so the splice itself saw the
 * end (passed, but proves nothing). */
static int hangup_try(int how, size_t slots, const uint8_t *body, const uint8_t *wire,
                      size_t wire_len) {
  struct peer p = {0};
  struct ctx c;
  struct split_rec *s = &c.split[0];
  double cpu0, cpu;
  long t0, ms;
  int rc, full, in = -1;
  uint8_t *got;
  ssize_t r;

  p.wire = wire;
  p.wire_len = wire_len;
  p.first = 4 + HEAD_LEN;
  p.npieces = slots;
  p.hangup = how;
  ctx_init(&c, NULL, 1, 64 * 1024);
  cpu0 = cpu_s();
  t0 = now_ms();
  rc = run_loop(&c, &p);
  ms = now_ms() - t0;
  cpu = cpu_s() - cpu0;
  print_message("%s after %zu pieces: on_error %d (%d call(s)), log \"%s\", %ld ms, "
                "%.3f s CPU\n",
                how == HANGUP_CLOSE ? "close" : "reset", p.pieces, c.err, c.nerr, c.log, ms,
                cpu);

  /* The loop ended by itself, soon, without burning the CPU. */
  assert_int_equal(rc, 0);
  assert_int_equal(c.timed_out, 0);
  assert_true(ms < GUARD_MS / 5);
  assert_true(cpu < 2.0);
  if (p.err != 0)
    print_message("peer: %s failed\n", p.failed);
  assert_int_equal(p.err, 0);
  assert_int_equal(p.pieces, slots);
  assert_int_equal(c.connected, 0);
  assert_int_equal(c.pipe_err, 0);
  /* Through on_error, once: the end of the stream for a close, the reset
   * (or the end it leaves) for a reset. */
  assert_int_equal(c.nerr, 1);
  if (how == HANGUP_CLOSE)
    assert_int_equal(c.err, DFSC_E_CLOSED);
  else
    assert_true(c.err < 0);
  /* The frame was placed, never completed: no whole frame, no split one
   * reported intact. */
  assert_int_equal(c.log[0], 'D');
  assert_int_equal(c.nsplit_dst, 1);
  assert_int_equal(c.nsplit_done, 0);
  assert_int_equal(c.nframe, 0);
  assert_int_equal(c.err_spills, 0);

  /* The pipe is still the test's (no on_frame_split): 64 KiB, and whether
   * its slots were full shows in a byte written from memory. */
  assert_int_equal(fcntl(s->pfd[1], F_GETPIPE_SZ), 64 * 1024);
  full = write(s->pfd[1], "", 1) < 0;
  if (full)
    assert_int_equal(errno, EAGAIN);
  /* Every piece went into it, in order (and the test's byte after). */
  assert_int_equal(ioctl(s->pfd[0], FIONREAD, &in), 0);
  assert_int_equal(in, (int)p.sent + !full);
  got = malloc(p.sent + 1);
  assert_non_null(got);
  r = read(s->pfd[0], got, p.sent + 1);
  assert_int_equal(r, (ssize_t)(p.sent + !full));
  assert_int_equal(first_diff(got, body + HEAD_LEN, p.sent), p.sent);
  free(got);
  ctx_cleanup(&c);
  return full;
}

/* A 64 KiB pipe (16 slots of 4 KiB pages), the head of a frame of 80 +
 * 48 KiB, then exactly as many pieces of a few bytes as the pipe has
 * slots, each spliced into one, and the peer hangs up before the frame's
 * end. The pipe is full, so the splice fails with EAGAIN whatever the
 * socket holds, and the socket has nothing to read but its end: the
 * transport must find that end (or the reset) and report it through
 * on_error, not wait for readiness the socket keeps reporting (a loop
 * spinning until the guard timer). A try where pieces merged and left a
 * slot free is repeated, up to HANGUP_TRIES. */
static void hangup_case(int how) {
  const size_t len = HEAD_LEN + 48 * 1024;
  long page = sysconf(_SC_PAGESIZE);
  size_t slots = page > 0 ? (size_t)(64 * 1024 / page) : 0;
  uint8_t *body, *wire;
  int tries = 0, full = 0;

  if (slots < 2) { /* large pages: no 64 KiB pipe of small slots */
    print_message("page size %ld: skipped\n", page);
    skip();
  }
  body = pattern(len, 10 + (uint32_t)how);
  wire = malloc(len + 4);
  assert_non_null(wire);
  put_frame(wire, 0, body, len);
  while (!full && tries < HANGUP_TRIES) {
    tries++;
    full = hangup_try(how, slots, body, wire, len + 4);
  }
  print_message("%d tr(ies), pipe %s at the hang-up\n", tries,
                full ? "full" : "never full");
  assert_true(full);
  free(wire);
  free(body);
}

static void test_pipe_full_close(void **state) {
  hangup_case(HANGUP_CLOSE);
  (void)state;
}

static void test_pipe_full_reset(void **state) {
  hangup_case(HANGUP_RESET);
  (void)state;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pipe_whole),         cmocka_unit_test(test_pipe_spill),
      cmocka_unit_test(test_declined),           cmocka_unit_test(test_small_after_split),
      cmocka_unit_test(test_split_after_split),  cmocka_unit_test(test_pipe_full_close),
      cmocka_unit_test(test_pipe_full_reset),    cmocka_unit_test(test_split_after_small),
      cmocka_unit_test(test_pipe_not_empty),     cmocka_unit_test(test_pipe_broken_early),
      cmocka_unit_test(test_pipe_broken_splice),
  };
  alarm(60); /* a transport stuck in a system call fails the run, not ctest */
  if (getenv("DFSC_TEST_FILTER") != NULL)
    cmocka_set_test_filter(getenv("DFSC_TEST_FILTER"));
  return cmocka_run_group_tests(tests, NULL, NULL);
}
