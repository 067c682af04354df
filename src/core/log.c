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
