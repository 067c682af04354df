/* Logging: the library never prints; it calls the context's log callback.
 * The level check happens before the arguments are evaluated. */
#ifndef DFSC_CORE_LOG_H
#define DFSC_CORE_LOG_H

#include "dfsc/dfsc.h"

typedef struct dfsc_logger {
  dfsc_log_cb cb;
  void *arg;
  int level;
} dfsc_logger;

/* Formats and delivers one message (truncated at 1 KiB). */
void dfsc__log(const dfsc_logger *lg, int level, int cat, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

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
