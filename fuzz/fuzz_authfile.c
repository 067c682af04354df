/* libFuzzer target: the CLI's smbclient-style authfile parser
 * (dfsc__cli_authfile_parse, tools/dfsc/cli_args.c; its loader is in
 * tools/dfsc/authfile.c). The tool's .c files are included directly, as the
 * unit tests do, because the CLI is not part of the library archive.
 *
 * Input: the file's text (any bytes, NULs included).
 * Invariants checked (abort on violation): the result is 0, -EINVAL or
 * -ENOMEM; on success no field holds a newline, the password has no
 * leading spaces / tabs or trailing spaces / tabs / CR, the user name is not empty; on
 * -EINVAL the message is NUL-terminated inside its buffer and names the file, also with a
 * tiny message buffer or none at all; parsing over already-filled credentials (the
 * "replace" path) gives the same fields as parsing into empty ones for every key the text
 * sets. Every run ends with dfsc__cli_cred_clear, so LeakSanitizer sees any lost string.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/dfsc/authfile.c"
#include "../tools/dfsc/cli_args.c"
#include "fuzz_common.h"

/* Values are trimmed of spaces and tabs on both sides, and of the CR of a
 * CRLF line end at the end only. */
static int lead_blank(char c) { return c == ' ' || c == '\t'; }
static int trail_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static int same(const char *a, const char *b) {
  return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct dfsc__cli_cred c = {0}, pre = {0}, c3 = {0};
  char err[256], tiny[7];
  const char *text = (const char *)data;
  int rc, rc2, rc3;

  memset(err, 'x', sizeof err);
  rc = dfsc__cli_authfile_parse(text, size, "fz", &c, err, sizeof err);
  CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
  if (rc == -EINVAL) {
    CHECK(memchr(err, '\0', sizeof err) != NULL);
    CHECK(strncmp(err, "fz:", 3) == 0);
  }
  if (rc == 0) {
    if (c.user != NULL)
      CHECK(c.user[0] != '\0' && strchr(c.user, '\n') == NULL);
    if (c.domain != NULL)
      CHECK(strchr(c.domain, '\n') == NULL);
    if (c.password != NULL) {
      size_t n = strlen(c.password);
      CHECK(strchr(c.password, '\n') == NULL);
      CHECK(n == 0 || (!lead_blank(c.password[0]) && !trail_blank(c.password[n - 1])));
    }
  }

  /* Same text over filled credentials: the replace path must free what it
   * replaces, and every field the text sets must come out the same. */
  pre.user = strdup("olduser");
  pre.domain = strdup("OLDDOM");
  pre.password = strdup("oldpass");
  CHECK(pre.user && pre.domain && pre.password);
  rc2 = dfsc__cli_authfile_parse(text, size, "fz", &pre, NULL, 0);
  CHECK(rc2 == rc || rc2 == -ENOMEM || rc == -ENOMEM);
  if (rc == 0 && rc2 == 0) {
    if (c.user != NULL)
      CHECK(same(c.user, pre.user));
    if (c.domain != NULL)
      CHECK(same(c.domain, pre.domain));
    if (c.password != NULL)
      CHECK(same(c.password, pre.password));
  }

  /* A message buffer too small for any message. */
  memset(tiny, 'x', sizeof tiny);
  rc3 = dfsc__cli_authfile_parse(text, size, "fz", &c3, tiny, sizeof tiny);
  CHECK(rc3 == rc || rc3 == -ENOMEM || rc == -ENOMEM);
  if (rc3 == -EINVAL)
    CHECK(memchr(tiny, '\0', sizeof tiny) != NULL);

  dfsc__cli_cred_clear(&c);
  dfsc__cli_cred_clear(&pre);
  dfsc__cli_cred_clear(&c3);
  CHECK(c.user == NULL && c.domain == NULL && c.password == NULL);
  return 0;
}
