/* dfsc_readdir (the streaming directory reader) against the real testbed:
 * `many` (10,000 entries) read page by page gives the same names as
 * dfsc_opendir, in more than one page, none of them larger than what one
 * answer carries; every page fits a listing cap that the whole-directory
 * listing does not (so memory is one page's); the end is a NULL page and
 * stays so; a handle that is not a directory fails. Prints one line per
 * check and "N passed, N failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfsc/dfsc-sync.h"
#include "dfsc/dfsc.h"
#include "testlib.h"

static int cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void) {
  const char *envf = getenv("DFSC_TESTBED_ENV");
  char *user, *pass, *fs1;
  char many[256], file[256];
  char **full = NULL, **streamed = NULL;
  size_t nfull = 0, nstream = 0, pages = 0, biggest = 0, i;
  const dfsc_dirent *e;
  dfsc_result res;
  dfsc_dir *d = NULL;
  dfsc_file *f = NULL;
  dfsc_opts o;
  dfsc_ctx *ctx = NULL;
  int rc, same = 1;

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
  dfsc_opts_init(&o);
  o.user = user;
  o.password = pass;
  o.request_timeout_ms = 30000;
  rc = dfsc_ctx_new(&o, &ctx);
  check(rc == 0, "context created (%d)", rc);
  if (rc != 0)
    return 1;

  /* The whole listing, for comparison. */
  rc = dfsc_opendir(ctx, many, &d, &res);
  check(rc == 0 && dfsc_dir_count(d) == 10000, "opendir `many`: rc %d, %zu entries", rc,
        dfsc_dir_count(d));
  full = calloc(10001, sizeof(*full));
  while (full != NULL && (e = dfsc_dir_next(d)) != NULL && nfull < 10000)
    full[nfull++] = strdup(e->name);
  dfsc_dir_free(d);
  d = NULL;

  /* A cap the whole listing cannot meet but one page can. */
  check(dfsc_set_dir_max_bytes(ctx, 512 << 10) == 0, "listing cap 512 KiB");
  rc = dfsc_opendir(ctx, many, &d, &res);
  check(rc == DFSC_E_TOOBIG, "the whole listing fails under it: %s", dfsc_err_name(rc));
  dfsc_dir_free(d);
  d = NULL;

  rc = dfsc_open(ctx, many, DFSC_O_RDONLY | DFSC_O_DIRECTORY, &f, &res);
  check(rc == 0, "open `many` as a directory: %s", dfsc_err_name(rc));
  streamed = calloc(20001, sizeof(*streamed));
  while (rc == 0 && pages < 1000) {
    rc = dfsc_readdir(f, &d, &res);
    if (rc < 0 || d == NULL)
      break;
    pages++;
    if (dfsc_dir_count(d) > biggest)
      biggest = dfsc_dir_count(d);
    while (streamed != NULL && (e = dfsc_dir_next(d)) != NULL && nstream < 20000)
      streamed[nstream++] = strdup(e->name);
    dfsc_dir_free(d);
    d = NULL;
  }
  check(rc == 0, "pages read to the end under the cap: %s", dfsc_err_name(rc));
  check(pages > 1, "in more than one page: %zu pages, the biggest %zu entries", pages,
        biggest);
  check(nstream == nfull && nfull == 10000, "as many names as opendir: %zu and %zu",
        nstream, nfull);
  if (nstream == nfull && full != NULL && streamed != NULL) {
    qsort(full, nfull, sizeof(*full), cmp);
    qsort(streamed, nstream, sizeof(*streamed), cmp);
    for (i = 0; i < nfull && same; i++)
      same = full[i] != NULL && streamed[i] != NULL && strcmp(full[i], streamed[i]) == 0;
  } else {
    same = 0;
  }
  check(same, "the same names");
  rc = dfsc_readdir(f, &d, &res);
  check(rc == 0 && d == NULL, "after the end the next page is the end again: rc %d, %p", rc,
        (void *)d);
  dfsc_dir_free(d);
  dfsc_close(f, NULL);

  /* A file handle is not a directory. */
  snprintf(file, sizeof(file), "//%s/data/dirstream-%d", fs1, 1);
  rc = dfsc_open(ctx, file, DFSC_O_RDWR | DFSC_O_CREAT | DFSC_O_TRUNC, &f, &res);
  check(rc == 0, "a file created (%s)", dfsc_err_name(rc));
  if (rc == 0) {
    d = NULL;
    rc = dfsc_readdir(f, &d, &res);
    check(rc < 0 && d == NULL, "readdir on a file fails: %s", dfsc_err_name(rc));
    dfsc_close(f, NULL);
    dfsc_unlink(ctx, file, NULL);
  }

  for (i = 0; i < nfull; i++)
    free(full[i]);
  for (i = 0; i < nstream; i++)
    free(streamed[i]);
  free(full);
  free(streamed);
  dfsc_ctx_free(ctx);
  free(user);
  free(pass);
  free(fs1);
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
