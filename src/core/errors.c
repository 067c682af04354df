/* Error codes (see include/dfsc/errors.h): messages and names for 0, the
 * DFSC_E_* range and -errno; plus a small public helper with no better
 * home: FILETIME conversion.
 * Does not: name NTSTATUS values (src/smb2/status.c does). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dfsc/dfsc.h"
#include "dfsc/errors.h"

/* Per thread, and one per function so that dfsc_strerror(e) and
 * dfsc_err_name(e) may appear in one printf. */
static _Thread_local char msg_buf[128];
static _Thread_local char name_buf[16]; /* "E?-2147483648" */

#define MSG_CASE_(name, off, msg)                                                          \
  case DFSC_E_##name:                                                                      \
    return msg;
#define NAME_CASE_(name, off, msg)                                                         \
  case DFSC_E_##name:                                                                      \
    return "DFSC_E_" #name;

static const char *project_msg(int err) {
  switch (err) { DFSC_ERRNO_MAP(MSG_CASE_) default : return NULL; }
}

static const char *project_name(int err) {
  switch (err) { DFSC_ERRNO_MAP(NAME_CASE_) default : return NULL; }
}

#undef MSG_CASE_
#undef NAME_CASE_

static const char *errno_name(int e) {
#define E_(x)                                                                              \
  case x:                                                                                  \
    return #x;
  switch (e) {
    E_(ENOMEM)
    E_(EINVAL)
    E_(ETIMEDOUT)
    E_(ECONNREFUSED)
    E_(ECONNRESET)
    E_(EHOSTUNREACH)
    E_(ENETUNREACH)
    E_(ENOENT)
    E_(EEXIST)
    E_(ECANCELED)
    E_(EAGAIN)
    E_(EPIPE)
    E_(EIO)
    E_(EILSEQ)
    E_(ENOTDIR)
    E_(EISDIR)
    E_(EACCES)
    E_(EPERM)
    E_(ENOSPC)
    E_(EBADF)
    E_(ENAMETOOLONG)
    E_(ENOTEMPTY)
    E_(ESTALE)
    E_(EHOSTDOWN)
    E_(ECONNABORTED)
    E_(ENOTCONN)
    E_(EXDEV)
  default:
    return NULL;
  }
#undef E_
}

const char *dfsc_strerror(int err) {
  const char *s;

  if (err == 0)
    return "success";
  s = project_msg(err);
  if (s != NULL)
    return s;
  if (err < 0 && err > DFSC_E_BASE)
    return strerror_r(-err, msg_buf, sizeof msg_buf); /* GNU: may not use buf */
  return "unknown error";
}

const char *dfsc_err_name(int err) {
  const char *s;

  if (err == 0)
    return "OK";
  s = project_name(err);
  if (s != NULL)
    return s;
  if (err < 0 && err > DFSC_E_BASE) {
    s = errno_name(-err);
    if (s != NULL)
      return s;
  }
  snprintf(name_buf, sizeof name_buf, "E?%d", err);
  return name_buf;
}

/* FILETIME counts 100 ns ticks from 1601-01-01 UTC; this many lie before
 * the Unix epoch ([MS-DTYP] 2.3.3). */
#define FT_UNIX_EPOCH 116444736000000000ULL
#define FT_PER_SEC 10000000ULL

void dfsc_filetime_to_unix(uint64_t ft, int64_t *sec, long *nsec) {
  int64_t s;
  long ns;

  if (ft >= FT_UNIX_EPOCH) {
    uint64_t d = ft - FT_UNIX_EPOCH;
    s = (int64_t)(d / FT_PER_SEC);
    ns = (long)(d % FT_PER_SEC) * 100;
  } else {
    /* Floor division so nsec stays in [0, 1e9) for times before 1970. */
    uint64_t d = FT_UNIX_EPOCH - ft;
    uint64_t rem = d % FT_PER_SEC;
    s = -(int64_t)(d / FT_PER_SEC);
    ns = 0;
    if (rem != 0) {
      s -= 1;
      ns = (long)(FT_PER_SEC - rem) * 100;
    }
  }
  if (sec != NULL)
    *sec = s;
  if (nsec != NULL)
    *nsec = ns;
}

uint64_t dfsc_filetime_from_unix(int64_t sec, long nsec) {
  const int64_t epoch = (int64_t)(FT_UNIX_EPOCH / FT_PER_SEC);

  if (sec < -epoch || sec > (int64_t)(UINT64_MAX / FT_PER_SEC) - epoch - 1 || nsec < 0)
    return 0;
  return (uint64_t)(sec + epoch) * FT_PER_SEC + (uint64_t)(nsec / 100);
}
