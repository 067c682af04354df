/* libFuzzer target: UNC / smb:// URL parsing (dfsc__unc_parse,
 * src/mup/unc.c).
 *
 * Input: the path text; a NUL is appended (text past an embedded NUL is
 * simply not seen by the parser).
 * Invariants checked (abort on violation), for need_share 0 and 1:
 *  - result -ENAMETOOLONG exactly when the text is DFSC_UNC_MAX bytes or
 *    longer, else 0 or DFSC_E_BADPATH; on success every field is NUL-terminated
 *    inside its array, the host is non-empty, and with need_share the
 *    share is too;
 *  - the share-relative path is normalised: no leading, trailing or doubled
 *    '\', no '/', no "." or ".." component;
 *  - host and share hold no '\' or '/' (they would change meaning when the
 *    name is put back into a \\host\share path), and a non-empty path
 *    comes with a non-empty share;
 *  - need_share 1 succeeds exactly when need_share 0 succeeds with a
 *    non-empty share, with identical results;
 *  - dfsc__unc_format output parses back to the same host, share and path.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfsc/errors.h"
#include "fuzz_common.h"
#include "mup/unc.h"

#define TERMINATED(a) (memchr((a), '\0', sizeof(a)) != NULL)

static dfsc_unc u0, u1, u2;
static char fmt[sizeof u0.host + sizeof u0.share + sizeof u0.path + 8];

static void check_ok(const dfsc_unc *u) {
  const char *p = u->path, *c;
  CHECK(TERMINATED(u->host) && TERMINATED(u->share) && TERMINATED(u->path) &&
        TERMINATED(u->user) && TERMINATED(u->domain) && TERMINATED(u->password));
  CHECK(u->host[0] != '\0');
  /* Host and share hold no separators (a decoded %5C would point the
   * \\host\share form elsewhere), and a share-relative path needs a share. */
  CHECK(strpbrk(u->host, "\\/") == NULL);
  CHECK(strpbrk(u->share, "\\/") == NULL);
  CHECK(u->share[0] != '\0' || u->path[0] == '\0');
  CHECK(strchr(p, '/') == NULL);
  if (*p == '\0')
    return;
  CHECK(p[0] != '\\' && p[strlen(p) - 1] != '\\' && strstr(p, "\\\\") == NULL);
  for (c = p;;) {
    const char *e = strchr(c, '\\');
    size_t n = e ? (size_t)(e - c) : strlen(c);
    CHECK(n > 0);
    CHECK(!(n == 1 && c[0] == '.') && !(n == 2 && c[0] == '.' && c[1] == '.'));
    if (!e)
      break;
    c = e + 1;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  int r0, r1, r2;

  if (s == NULL)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';

  r0 = dfsc__unc_parse(s, 0, &u0);
  r1 = dfsc__unc_parse(s, 1, &u1);
  if (strlen(s) >= DFSC_UNC_MAX) {
    CHECK(r0 == -ENAMETOOLONG && r1 == -ENAMETOOLONG);
    free(s);
    return 0;
  }
  CHECK(r0 == 0 || r0 == DFSC_E_BADPATH);
  CHECK(r1 == 0 || r1 == DFSC_E_BADPATH);
  if (r0 == 0)
    check_ok(&u0);
  if (r1 == 0) {
    check_ok(&u1);
    CHECK(u1.share[0] != '\0');
  }
  CHECK((r1 == 0) == (r0 == 0 && u0.share[0] != '\0'));
  if (r1 == 0)
    CHECK(memcmp(&u0, &u1, sizeof u0) == 0);

  if (r0 == 0 && strpbrk(u0.host, "\\/") == NULL && strpbrk(u0.share, "\\/") == NULL &&
      (u0.share[0] != '\0' || u0.path[0] == '\0')) {
    dfsc__unc_format(&u0, fmt, sizeof fmt);
    r2 = dfsc__unc_parse(fmt, 0, &u2);
    /* Formatting never lengthens what was parsed (separators collapse,
     * escapes decode, a URL's user goes): the text fits again. */
    CHECK(r2 == 0);
    CHECK(strcmp(u0.host, u2.host) == 0 && strcmp(u0.share, u2.share) == 0 &&
          strcmp(u0.path, u2.path) == 0);
  }
  free(s);
  return 0;
}
