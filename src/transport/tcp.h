/* TCP transport with SMB2 direct-TCP framing ([MS-SMB2] 2.1: a 4-byte
 * header, zero byte + 24-bit big-endian length, before each message).
 *
 * Non-blocking connect with a deadline, a send queue of caller-owned
 * iovec messages, and a receive state machine that hands out whole frames.
 * Loop thread only. Does not: know SMB2 beyond the framing, retry, resolve
 * names.
 */
#ifndef DFSC_TRANSPORT_TCP_H
#define DFSC_TRANSPORT_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "core/loop.h"

#define DFSC_TCP_MAX_IOV 8
#define DFSC_TCP_FRAME_MAX 0xFFFFFFu /* 24-bit length field */

typedef struct dfsc_tcp dfsc_tcp;
typedef struct dfsc_tcp_msg dfsc_tcp_msg;

/* One message to send. The framing header is added by the transport. The
 * caller owns msg and the buffers it names until done runs (on the loop
 * thread; status 0 when written to the socket, negative when the connection
 * was closed first). */
struct dfsc_tcp_msg {
  struct iovec iov[DFSC_TCP_MAX_IOV];
  int iovcnt;
  void (*done)(dfsc_tcp_msg *m, int status);
  void *data;
  /* private */
  dfsc_tcp_msg *next;
  uint8_t nbhdr[4];
  size_t sent;
  size_t total;
};

/* Where the rest of a split frame goes: a buffer of its size, or a pipe
 * (pipe[0] its read end, pipe[1] its write end), into which the bytes are
 * spliced from the socket (splice(2)): they never pass through this
 * process. The pipe must be empty (else the placement is ignored and the
 * frame comes whole to on_frame) and able to take the rest plus a page as
 * written from memory (F_SETPIPE_SZ): if small pieces off the socket fill
 * its slots first, what is in it is read back, the rest of the frame read
 * after it, and the whole written into it at the end. A pipe that fails
 * (no reader: SIGPIPE must be ignored) costs only its frame. */
typedef struct dfsc_tcp_dst {
  uint8_t *buf;
  int pipe[2]; /* -1, -1: buf */
} dfsc_tcp_dst;

typedef struct dfsc_tcp_cbs {
  /* status 0: connected; negative: failed (the tcp is then closed: the
   * owner must still call dfsc__tcp_free). */
  void (*on_connect)(void *arg, int status);
  /* A whole frame. Ownership of `frame` passes to the callee (dfsc__free).
   * Returning nonzero stops delivering frames read in the same batch (for
   * example because the callee closed the transport). */
  int (*on_frame)(void *arg, uint8_t *frame, size_t len);
  /* The connection failed or the peer closed it. No callbacks follow. */
  void (*on_error)(void *arg, int err);
  /* Optional (with dfsc__tcp_set_split): a frame of at least the split
   * minimum whose first head_len bytes have arrived. Returns 1 after
   * filling dst with where its remaining frame_len - head_len bytes go, or
   * 0 for the usual whole-frame buffer. The destination is the caller's
   * until on_frame_split or dfsc__tcp_split_abort. */
  int (*frame_dst)(void *arg, const uint8_t *head, size_t head_len, size_t frame_len,
                   dfsc_tcp_dst *dst);
  /* A frame that frame_dst placed is complete: its head (ownership passes
   * to the callee, dfsc__free) and its length; the rest is where frame_dst
   * said, or was dropped (aborted 1, after dfsc__tcp_split_abort, or
   * when a pipe could not take what frame_dst said it would).
   * Returns as on_frame. */
  int (*on_frame_split)(void *arg, uint8_t *head, size_t head_len, size_t frame_len,
                        int aborted);
} dfsc_tcp_cbs;

/* Starts a connect to addr. Returns 0 (on_connect will run) or a negative
 * code. max_frame bounds a peer-announced frame length. */
int dfsc__tcp_connect(dfsc_loop *l, const struct sockaddr *addr, socklen_t alen,
                      unsigned timeout_ms, size_t max_frame, const dfsc_tcp_cbs *cbs,
                      void *arg, dfsc_tcp **out);

/* Queues msg. Returns 0 or a negative code (closed). */
int dfsc__tcp_send(dfsc_tcp *t, dfsc_tcp_msg *m);

/* Bytes queued and not yet written. */
size_t dfsc__tcp_queued(const dfsc_tcp *t);

/* Loop time (ms) of the last byte read, part of a frame or not (0: none
 * yet): a frame that takes long to arrive still shows the peer alive. */
uint64_t dfsc__tcp_rx_at(const dfsc_tcp *t);

/* Closes the socket and fails queued messages (their done runs with
 * DFSC_E_CLOSED, synchronously). No more callbacks after this returns.
 * Frees t; safe from inside any of t's callbacks. */
void dfsc__tcp_free(dfsc_tcp *t);

/* Asks frame_dst about frames of min_len bytes or more once head_len of
 * them have arrived (0: never, the default). */
void dfsc__tcp_set_split(dfsc_tcp *t, size_t head_len, size_t min_len);

/* The destination frame_dst gave for the frame being received must not be
 * written any more: the rest of the frame is read and dropped, and
 * on_frame_split reports it aborted. No-op when no such frame is under
 * way. */
void dfsc__tcp_split_abort(dfsc_tcp *t);

/* Split frames whose pipe filled before the frame ended (dfsc_tcp_dst). */
uint64_t dfsc__tcp_pipe_spills(const dfsc_tcp *t);

/* Printable "addr:port" of the peer (static per tcp). */
const char *dfsc__tcp_peer(const dfsc_tcp *t);

#endif
