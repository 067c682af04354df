/* A complete small program over libdfsc (docs/api.md): reads a file
 * through a DFS path and lists a directory, with the blocking calls of
 * dfsc-sync.h.
 *
 *   cc -o dfsc_example dfsc_example.c $(pkg-config --cflags --libs dfsc)
 *   DFSC_USER=alice DFSC_PASSWORD=secret \
 *     ./dfsc_example //corp/dfs/docs/readme.txt //corp/dfs/docs [NAME:ADDR ...]
 *
 * Prints the file's bytes on standard output, then one line per entry of
 * the directory ("d" or "-", size, name). Each NAME:ADDR maps a host name
 * to an address, as curl's --resolve does. Exit status 0 on success, 1 on
 * a failed call (its message on standard error), 2 on a usage error.
 */
#include <dfsc/dfsc-sync.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_RESOLVE 16

/* Prints "dfsc_example: PATH: WHY" for a failed result: the server's
 * NTSTATUS by name when it refused (err DFSC_E_NTSTATUS), else the
 * library's message for err (a negative errno or DFSC_E_* code). */
static int fail(const char *path, const dfsc_result *res) {
  fprintf(stderr, "dfsc_example: %s: %s\n", path,
          res->err == DFSC_E_NTSTATUS ? dfsc_ntstatus_name(res->ntstatus)
                                      : dfsc_strerror(res->err));
  return 1;
}

/* Copies the file to standard output, 64 KiB at a time. */
static int cat(dfsc_ctx *ctx, const char *path) {
  static char buf[65536];
  dfsc_result res;
  dfsc_file *f;
  uint64_t off = 0;
  long long n;
  int rc = 0;

  if (dfsc_open(ctx, path, DFSC_O_RDONLY, &f, &res) != 0)
    return fail(path, &res);
  while ((n = dfsc_read(f, buf, sizeof buf, off, &res)) > 0) {
    fwrite(buf, 1, (size_t)n, stdout);
    off += (uint64_t)n;
  }
  if (n < 0)
    rc = fail(path, &res);
  /* dfsc_close frees f whatever it returns. */
  if (dfsc_close(f, &res) != 0 && rc == 0)
    rc = fail(path, &res);
  return rc;
}

/* Lists the directory: the library holds the whole listing; the entries
 * and their names live until dfsc_dir_free. */
static int ls(dfsc_ctx *ctx, const char *path) {
  const dfsc_dirent *e;
  dfsc_result res;
  dfsc_dir *d;

  if (dfsc_opendir(ctx, path, &d, &res) != 0)
    return fail(path, &res);
  /* Names come from the server: a real program escapes control
   * characters before writing them to a terminal (dfsc.h). */
  while ((e = dfsc_dir_next(d)) != NULL)
    printf("%c %12llu %s\n", e->st.is_dir ? 'd' : '-', (unsigned long long)e->st.size,
           e->name);
  dfsc_dir_free(d);
  return 0;
}

int main(int argc, char **argv) {
  const char *resolve[MAX_RESOLVE + 1];
  dfsc_opts o;
  dfsc_ctx *ctx;
  int i, rc;

  if (argc < 3 || argc - 3 > MAX_RESOLVE) {
    fprintf(stderr, "usage: %s FILE DIR [NAME:ADDR...]\n", argv[0]);
    return 2;
  }
  /* The headers and the library must agree on the version's major. */
  if (dfsc_version() / 10000 != DFSC_VERSION_MAJOR) {
    fprintf(stderr, "dfsc_example: built for libdfsc %s, running %s\n", DFSC_VERSION_STRING,
            dfsc_version_string());
    return 1;
  }
  /* dfsc_opts_init records this program's sizeof(dfsc_opts): a later
   * library with more options reads only the ones this program has. */
  dfsc_opts_init(&o);
  o.user = getenv("DFSC_USER"); /* NULL: anonymous */
  o.password = getenv("DFSC_PASSWORD");
  for (i = 3; i < argc; i++)
    resolve[i - 3] = argv[i];
  resolve[argc - 3] = NULL;
  o.resolve = resolve;
  /* The context copies what it needs from o; its loop thread runs every
   * protocol step. */
  rc = dfsc_ctx_new(&o, &ctx);
  if (rc != 0) {
    fprintf(stderr, "dfsc_example: %s\n", dfsc_strerror(rc));
    return 1;
  }
  rc = cat(ctx, argv[1]);
  if (rc == 0)
    rc = ls(ctx, argv[2]);
  if (rc == 0 && fflush(stdout) != 0)
    rc = 1;
  dfsc_ctx_free(ctx);
  return rc;
}
