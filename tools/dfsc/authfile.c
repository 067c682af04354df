/* dfsc CLI: loads an smbclient-format authentication file (-A).
 *
 * Reads the file (regular, at most 64 KiB), reports whether group or others
 * may read it, hands the text to dfsc__cli_authfile_parse (cli_args.c) and
 * wipes the buffer. Does not: print (main.c reports errors and warnings).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define AUTHFILE_MAX (64 * 1024)

int dfsc__cli_authfile_load(const char *path, struct dfsc__cli_cred *out, int *insecure,
                            char *err, size_t errcap) {
  struct stat st;
  char *text = NULL;
  size_t len = 0;
  int fd, rc = 0;

  *insecure = 0;
  fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    rc = -errno;
    snprintf(err, errcap, "%s: %s", path, strerror(errno));
    return rc;
  }
  if (fstat(fd, &st) != 0) {
    rc = -errno;
    snprintf(err, errcap, "%s: %s", path, strerror(errno));
    goto out;
  }
  if (!S_ISREG(st.st_mode)) {
    rc = -EINVAL;
    snprintf(err, errcap, "%s: not a regular file", path);
    goto out;
  }
  if (st.st_size > AUTHFILE_MAX) {
    rc = -EFBIG;
    snprintf(err, errcap, "%s: larger than %d bytes", path, AUTHFILE_MAX);
    goto out;
  }
  *insecure = (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
  text = malloc(AUTHFILE_MAX + 1);
  if (text == NULL) {
    rc = -ENOMEM;
    snprintf(err, errcap, "%s: %s", path, strerror(ENOMEM));
    goto out;
  }
  /* The size check above is advisory (the file may change under us): the
   * read itself is bounded by the buffer. */
  for (;;) {
    ssize_t n = read(fd, text + len, AUTHFILE_MAX + 1 - len);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      rc = -errno;
      snprintf(err, errcap, "%s: %s", path, strerror(errno));
      goto out;
    }
    if (n == 0)
      break;
    len += (size_t)n;
    if (len > AUTHFILE_MAX) {
      rc = -EFBIG;
      snprintf(err, errcap, "%s: larger than %d bytes", path, AUTHFILE_MAX);
      goto out;
    }
  }
  rc = dfsc__cli_authfile_parse(text, len, path, out, err, errcap);
out:
  if (text != NULL) {
    explicit_bzero(text, AUTHFILE_MAX + 1);
    free(text);
  }
  close(fd);
  return rc;
}
