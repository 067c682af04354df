/* Logging (see log.h): formats one message into a stack buffer and hands it
 * to the context's callback. Does not: print, buffer, or allocate; filtering
 * by level is done by the DFSC_LOG macros before arguments are evaluated. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LOG_MAX 1024

void dfsc__log(const dfsc_logger *lg, int level, int cat, const char *fmt, ...) {
  char buf[LOG_MAX];
  va_list ap;
  int n;

  if (lg == NULL || lg->cb == NULL || level > lg->level)
    return;
  va_start(ap, fmt);
  n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0)
    snprintf(buf, sizeof buf, "(unformattable log message: %s)", fmt);
  else if ((size_t)n >= sizeof buf)
    memcpy(buf + sizeof buf - 4, "...", 4); /* show the cut */
  lg->cb(lg->arg, level, cat, buf);
}

void dfsc__complain(const dfsc_logger *lg, int level, int cat, const char *host,
                    const char *what) {
  if (lg == NULL)
    return;
  if (lg->why != NULL) {
    __atomic_store_n(&lg->why->what, what, __ATOMIC_RELEASE);
    __atomic_add_fetch(&lg->why->seq, 1, __ATOMIC_ACQ_REL);
  }
  DFSC_LOG(lg, level, cat, "%s: malformed answer: %s", host != NULL ? host : "?", what);
}

uint64_t dfsc__why_seq(const dfsc_logger *lg) {
  return lg != NULL && lg->why != NULL ? __atomic_load_n(&lg->why->seq, __ATOMIC_ACQUIRE)
                                       : 0;
}

const char *dfsc__why_since(const dfsc_logger *lg, uint64_t mark) {
  if (lg == NULL || lg->why == NULL ||
      __atomic_load_n(&lg->why->seq, __ATOMIC_ACQUIRE) <= mark)
    return NULL;
  return __atomic_load_n(&lg->why->what, __ATOMIC_ACQUIRE);
}

const char *dfsc_log_cat_name(int category) {
  switch (category) {
  case DFSC_CAT_CORE:
    return "core";
  case DFSC_CAT_CONN:
    return "conn";
  case DFSC_CAT_SMB2:
    return "smb2";
  case DFSC_CAT_AUTH:
    return "auth";
  case DFSC_CAT_DFS:
    return "dfs";
  case DFSC_CAT_MUP:
    return "mup";
  default:
    return "?";
  }
}
