/* dfsc_set_dir_max_bytes against the real testbed: with a 64 KiB cap a
 * listing of `many` (10,000 entries, some 1 MB as the library counts it)
 * fails with DFSC_E_TOOBIG while a small directory still lists; 0 restores
 * the default and `many` lists whole; the argument checks. Prints one line
 * per check and "N passed, N failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfsc/dfsc-sync.h"
#include "dfsc/dfsc.h"
#include "testlib.h"

/* Lists path; returns the listing's result code, its entry count in *n. */
static int list(dfsc_ctx *ctx, const char *path, size_t *n) {
  dfsc_dir *d = NULL;
  dfsc_result res;
  int rc = dfsc_opendir(ctx, path, &d, &res);
  *n = rc == 0 ? dfsc_dir_count(d) : 0;
  dfsc_dir_free(d);
  return rc;
}

int main(void) {
  const char *envf = getenv("DFSC_TESTBED_ENV");
  char *user, *pass, *fs1;
  char many[256], small[256];
  dfsc_opts o;
  dfsc_ctx *ctx = NULL;
  size_t n = 0;
  int rc;

  if (envf == NULL) {
    fprintf(stderr, "DFSC_TESTBED_ENV not set: start the testbed\n");
    return 1;
  }
  user = env_get(envf, "DFSC_TB_USER");
  pass = env_get(envf, "DFSC_TB_PASS");
  fs1 = env_get(envf, "DFSC_TB_FS1");
  if (!user || !pass || !fs1) {
    fprintf(stderr, "testbed environment incomplete\n");
    return 1;
  }
  snprintf(many, sizeof(many), "//%s/data/many", fs1);
  snprintf(small, sizeof(small), "//%s/data", fs1);
  dfsc_opts_init(&o);
  o.user = user;
  o.password = pass;
  o.request_timeout_ms = 30000;
  rc = dfsc_ctx_new(&o, &ctx);
  check(rc == 0, "context created (%d)", rc);
  if (rc != 0)
    return 1;

  check(dfsc_set_dir_max_bytes(NULL, 1) == -EINVAL, "a NULL context is -EINVAL");

  rc = list(ctx, many, &n);
  check(rc == 0 && n == 10000, "without a cap `many` lists: rc %d, %zu entries (10000)", rc,
        n);

  check(dfsc_set_dir_max_bytes(ctx, 64 << 10) == 0, "cap set to 64 KiB");
  rc = list(ctx, many, &n);
  check(rc == DFSC_E_TOOBIG, "with a 64 KiB cap `many` fails: %d (%s), want DFSC_E_TOOBIG",
        rc, dfsc_err_name(rc));
  rc = list(ctx, small, &n);
  check(rc == 0 && n > 0, "with a 64 KiB cap a small directory lists: rc %d, %zu entries",
        rc, n);

  /* Above the library's own bound: clamped, so `many` lists again. */
  check(dfsc_set_dir_max_bytes(ctx, (size_t)-1) == 0, "a cap above 256 MiB is accepted");
  rc = list(ctx, many, &n);
  check(rc == 0 && n == 10000, "clamped cap: `many` lists: rc %d, %zu entries", rc, n);

  check(dfsc_set_dir_max_bytes(ctx, 64 << 10) == 0 && dfsc_set_dir_max_bytes(ctx, 0) == 0,
        "cap set, then 0");
  rc = list(ctx, many, &n);
  check(rc == 0 && n == 10000, "0 restores the default: rc %d, %zu entries", rc, n);

  dfsc_ctx_free(ctx);
  free(user);
  free(pass);
  free(fs1);
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
