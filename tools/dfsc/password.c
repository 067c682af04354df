/* dfsc CLI: reads a password from the terminal on stdin with echo off.
 *
 * Reads with read(2) rather than stdio so no copy of the secret stays in a
 * FILE buffer; restores the terminal on every path, including a signal
 * interrupting the read (the CLI's handlers are installed without
 * SA_RESTART). Does not: fall back to /dev/tty or read a non-terminal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

#define PASSWORD_MAX 1024

char *dfsc__cli_read_password(const char *domain, const char *user) {
  struct termios old, quiet;
  char *buf;
  size_t len = 0;
  int saved_errno = 0;
  int restore;

  if (!isatty(STDIN_FILENO)) {
    errno = ENOTTY;
    return NULL;
  }
  buf = malloc(PASSWORD_MAX);
  if (buf == NULL)
    return NULL;
  /* The names were typed or come from an authfile: escaped as any text
   * the CLI prints. */
  fputs("Password for [", stderr);
  if (domain != NULL && *domain != '\0') {
    dfsc__fe_put_escaped(stderr, domain);
    fputc('\\', stderr);
  }
  dfsc__fe_put_escaped(stderr, user);
  fputs("]:", stderr);
  fflush(stderr);
  restore = tcgetattr(STDIN_FILENO, &old) == 0;
  if (restore) {
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
    quiet.c_lflag |= ECHONL;
    (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  for (;;) {
    char c;
    ssize_t n = read(STDIN_FILENO, &c, 1);

    if (n < 0) {
      saved_errno = errno;
      break;
    }
    if (n == 0) {
      fputc('\n', stderr); /* ECHONL only echoes a typed newline */
      break;
    }
    if (c == '\n')
      break;
    if (len + 1 >= PASSWORD_MAX) {
      saved_errno = E2BIG;
      break;
    }
    buf[len++] = c;
  }
  buf[len] = '\0';
  if (restore)
    (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  if (saved_errno != 0) {
    /* ECHONL did not run: end the prompt line ourselves. */
    fputc('\n', stderr);
    explicit_bzero(buf, PASSWORD_MAX);
    free(buf);
    errno = saved_errno;
    return NULL;
  }
  return buf;
}
