/* Logging: the library never prints; it calls the context's log callback.
 * The level check happens before the arguments are evaluated. */
#ifndef DFSC_CORE_LOG_H
#define DFSC_CORE_LOG_H

#include <stdint.h>

#include "dfsc/dfsc.h"

/* A context's latest complaint about a server's answer (dfsc__complain),
 * for the result of the operation that fails with DFSC_E_PROTO. Written
 * and read with atomics, by any thread. */
typedef struct dfsc__whyrec {
  const char *what; /* static storage */
  uint64_t seq;     /* complaints so far */
} dfsc__whyrec;

typedef struct dfsc_logger {
  dfsc_log_cb cb;
  void *arg;
  int level;
  dfsc__whyrec *why; /* the context's record (NULL: none kept) */
} dfsc_logger;

/* Formats and delivers one message (truncated at 1 KiB). */
void dfsc__log(const dfsc_logger *lg, int level, int cat, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A malformed or unexpected answer from host: logs "HOST: malformed
 * answer: WHAT" at level and records `what` (static storage: a string
 * literal naming the structure and field) as the context's latest
 * complaint. */
void dfsc__complain(const dfsc_logger *lg, int level, int cat, const char *host,
                    const char *what);

/* The complaints recorded so far (a mark for dfsc__why_since). */
uint64_t dfsc__why_seq(const dfsc_logger *lg);

/* The latest complaint when one was recorded after `mark`, else NULL. */
const char *dfsc__why_since(const dfsc_logger *lg, uint64_t mark);

#define DFSC_LOG(lg, lvl, cat, ...)                                                        \
  do {                                                                                     \
    const dfsc_logger *lg_ = (lg);                                                         \
    if (lg_ != NULL && lg_->cb != NULL && (lvl) <= lg_->level)                             \
      dfsc__log(lg_, (lvl), (cat), __VA_ARGS__);                                           \
  } while (0)

#define DFSC_ERR(lg, cat, ...) DFSC_LOG(lg, DFSC_LOG_ERROR, cat, __VA_ARGS__)
#define DFSC_WARN(lg, cat, ...) DFSC_LOG(lg, DFSC_LOG_WARN, cat, __VA_ARGS__)
#define DFSC_INFO(lg, cat, ...) DFSC_LOG(lg, DFSC_LOG_INFO, cat, __VA_ARGS__)
#define DFSC_DBG(lg, cat, ...) DFSC_LOG(lg, DFSC_LOG_DEBUG, cat, __VA_ARGS__)
#define DFSC_TRACE(lg, cat, ...) DFSC_LOG(lg, DFSC_LOG_TRACE, cat, __VA_ARGS__)

#endif
