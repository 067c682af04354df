/* dfsc CLI: the commands ls, stat, cat, get, put, mkdir, rm, rmdir, mv.
 *
 * Each runs over its PATH arguments in order through the blocking API of
 * dfsc-sync.h, keeps going after a failed path, reports each failure as one
 * line on stderr and returns the exit status. get writes to a hidden
 * temporary file beside LOCAL and renames it only when the whole file
 * arrived, so LOCAL never holds a partial file; a small file comes in one
 * round trip (dfsc_read_file), a larger one is streamed. get -r walks a
 * directory tree with -j workers over a bounded queue.
 * Does not: parse options, create the context, or touch protocol state.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfsc/dfsc-sync.h"
#include "dfsc/dfsc.h"

#include "cli.h"

/* Output of the commands goes through `stdout` below, which a -j worker
 * points at a memory stream of its own (one per path) so that results are
 * printed in argument order however the paths finish. */
static FILE *real_stdout(void) { return stdout; }
static __thread FILE *cli_out;
#undef stdout
#define stdout (cli_out != NULL ? cli_out : real_stdout())
static int putchar_out(int c) { return fputc(c, stdout); }
static int puts_out(const char *s) {
  return fputs(s, stdout) < 0 ? EOF : fputc('\n', stdout);
}

/* Large enough for the library to pipeline (its default window is 8 MiB). */
#define IO_CHUNK (8u * 1024 * 1024)

/* Returned by stream_file when stdout went away: stop quietly. */
#define STDOUT_GONE 0x100

/* ---- reporting -------------------------------------------------------- */

static const char *err_label(int rc, uint32_t ntstatus) {
  return rc == DFSC_E_NTSTATUS ? dfsc_ntstatus_name(ntstatus) : dfsc_strerror(rc);
}

static char user_shown[600];

void dfsc__cli_set_user_shown(const char *domain, const char *user) {
  if (user == NULL || *user == '\0')
    user_shown[0] = '\0';
  else if (domain != NULL && *domain != '\0')
    snprintf(user_shown, sizeof(user_shown), "%s\\%s", domain, user);
  else
    snprintf(user_shown, sizeof(user_shown), "%s", user);
}

/* What the last failed result taken on this thread said was wrong with an
 * answer (static storage), for the report that follows. */
static __thread const char *last_detail;

int dfsc__cli_res_rc(long long rc, const dfsc_result *res) {
  last_detail = res->err == DFSC_E_PROTO ? res->detail : NULL;
  return res->err != 0 ? res->err : (int)rc;
}

/* "dfsc: PATH: STATUS", escaped (escape.c) as every line the CLI prints. */
void dfsc__cli_report(const char *name, int rc, uint32_t ntstatus) {
  if (rc == DFSC_E_GUEST)
    dfsc__fe_errf("%s: the server mapped %s to guest or anonymous; --allow-guest accepts "
                  "a guest logon (unsigned)",
                  name, user_shown[0] ? user_shown : "the user");
  else if (rc == DFSC_E_PROTO && last_detail != NULL)
    dfsc__fe_errf("%s: %s: %s", name, dfsc_strerror(rc), last_detail);
  else
    dfsc__fe_errf("%s: %s", name, err_label(rc, ntstatus));
}

static void report(const char *name, int rc, uint32_t ntstatus) {
  dfsc__cli_report(name, rc, ntstatus);
}

static int res_rc(long long rc, const dfsc_result *res) {
  return dfsc__cli_res_rc(rc, res);
}

static void json_fail_fields(FILE *f, int rc, uint32_t ntstatus, const char *msg) {
  fputs(",\"ok\":false,\"error\":", f);
  dfsc__fe_json_str(f, rc == DFSC_E_NTSTATUS ? dfsc_ntstatus_name(ntstatus)
                                             : dfsc_err_name(rc));
  fputs(",\"message\":", f);
  dfsc__fe_json_str(f, msg != NULL ? msg : dfsc_strerror(rc));
  if (rc == DFSC_E_PROTO && last_detail != NULL) {
    fputs(",\"detail\":", f);
    dfsc__fe_json_str(f, last_detail);
  }
}

/* Names and paths in text output, on a terminal or not: control
 * characters would drive the terminal the output ends up on. */
static void put_name(FILE *f, const char *s) { dfsc__fe_put_escaped(f, s); }

static int interrupted(void) { return dfsc__cli_signal != 0; }

/* Text the escaping of escape.c leaves as it is: no control characters,
 * valid UTF-8. Local names are made only of such text. */
static int plain_text(const char *s) { return dfsc__fe_escape(NULL, 0, s) == strlen(s); }

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);

    if (w < 0) {
      if (errno == EINTR && !interrupted())
        continue;
      return -errno;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* ---- ls, stat ---------------------------------------------------------- */

static const char *type_name(const dfsc_stat_t *st) {
  return st->is_dir ? "directory" : "file";
}

static int cmp_dirent(const void *a, const void *b) {
  const dfsc_dirent *const *x = a;
  const dfsc_dirent *const *y = b;

  return strcmp((*x)->name, (*y)->name);
}

static void ls_json_entry(const char *name, const dfsc_stat_t *st) {
  char t[64];

  if (dfsc__fe_filetime_iso(st->write_time, 0, t, sizeof(t)) < 0)
    t[0] = '\0';
  fputs("{\"name\":", stdout);
  dfsc__fe_json_str(stdout, name);
  fprintf(stdout,
          ",\"type\":\"%s\",\"size\":%" PRIu64 ",\"mtime\":\"%s\",\"attributes\":%" PRIu32
          "}",
          type_name(st), st->size, t, st->attributes);
}

static void ls_text_entries(const dfsc_dirent *const *ents, size_t n) {
  char t[64], num[32];
  int width = 1;
  size_t i;

  for (i = 0; i < n; i++) {
    int w = snprintf(num, sizeof(num), "%" PRIu64, ents[i]->st.size);

    if (w > width)
      width = w;
  }
  for (i = 0; i < n; i++) {
    if (dfsc__fe_filetime_iso(ents[i]->st.write_time, 0, t, sizeof(t)) < 0)
      snprintf(t, sizeof(t), "-");
    fprintf(stdout, "%c %*" PRIu64 " %s ", ents[i]->st.is_dir ? 'd' : '-', width,
            ents[i]->st.size, t);
    put_name(stdout, ents[i]->name);
    putchar_out('\n');
  }
}

/* Lists one path. Prints JSON null for a failed path in JSON mode. */
/* A failed PATH: its line on stderr, and null in its place in --json
 * output. Returns the path's exit status. */
static int path_failed(const struct dfsc__cli_cfg *cfg, const char *path, int rc,
                       const dfsc_result *res) {
  report(path, res_rc(rc, res), res->ntstatus);
  if (cfg->json)
    fputs("null", stdout);
  return 1;
}

/* ---- ls //host: a server's shares -------------------------------------- */

static const char *share_type_name(uint32_t type) {
  switch (type & DFSC_SHARE_TYPE_MASK) {
  case DFSC_SHARE_DISK:
    return "disk";
  case DFSC_SHARE_PRINTER:
    return "printer";
  case DFSC_SHARE_DEVICE:
    return "device";
  case DFSC_SHARE_IPC:
    return "ipc";
  default:
    return "other";
  }
}

/* One line a share, in the server's order, as smbclient -L gives them:
 * name, type (with "special" for administrative shares such as IPC$ and
 * C$), comment. */
static void shares_text(const dfsc_share_list *l, const char *path, int header) {
  size_t n = dfsc_share_list_count(l), i;
  int width = 4;

  if (header) {
    put_name(stdout, path);
    fputs(":\n", stdout);
  }
  for (i = 0; i < n; i++) {
    int w = (int)dfsc__fe_escape(NULL, 0, dfsc_share_list_get(l, i)->name);

    if (w > width && w <= 40)
      width = w;
  }
  for (i = 0; i < n; i++) {
    const dfsc_share *sh = dfsc_share_list_get(l, i);
    int pad = width - (int)dfsc__fe_escape(NULL, 0, sh->name);

    put_name(stdout, sh->name);
    fprintf(stdout, "%*s  %-7s %s", pad > 0 ? pad : 0, "", share_type_name(sh->type),
            (sh->type & DFSC_SHARE_SPECIAL) ? "special" : "-");
    if (sh->comment[0] != '\0') {
      fprintf(stdout, "%*s", (sh->type & DFSC_SHARE_SPECIAL) ? 1 : 7, "");
      put_name(stdout, sh->comment);
    }
    putchar_out('\n');
  }
}

static void shares_json(const dfsc_share_list *l) {
  size_t n = dfsc_share_list_count(l), i;

  putchar_out('[');
  for (i = 0; i < n; i++) {
    const dfsc_share *sh = dfsc_share_list_get(l, i);

    if (i > 0)
      putchar_out(',');
    fputs("{\"name\":", stdout);
    dfsc__fe_json_str(stdout, sh->name);
    fprintf(stdout, ",\"type\":\"%s\",\"special\":%s,\"temporary\":%s,\"comment\":",
            share_type_name(sh->type), (sh->type & DFSC_SHARE_SPECIAL) ? "true" : "false",
            (sh->type & DFSC_SHARE_TEMPORARY) ? "true" : "false");
    dfsc__fe_json_str(stdout, sh->comment);
    putchar_out('}');
  }
  putchar_out(']');
}

static int ls_shares(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, const char *path,
                     int header) {
  dfsc_result res = {0};
  dfsc_share_list *l = NULL;
  int rc = dfsc_list_shares(ctx, path, &l, &res);

  if (rc != 0) {
    return path_failed(cfg, path, rc, &res);
  }
  if (cfg->json)
    shares_json(l);
  else
    shares_text(l, path, header);
  dfsc_share_list_free(l);
  return 0;
}

static int ls_one(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, const char *path,
                  int header) {
  dfsc_result res = {0};
  dfsc_stat_t st;
  dfsc_dir *dir = NULL;
  const dfsc_dirent **ents = NULL;
  const dfsc_dirent *e;
  dfsc_dirent single;
  size_t n = 0, cap, i;
  int rc;

  if (dfsc__cli_is_host_path(path))
    return ls_shares(ctx, cfg, path, header);
  rc = dfsc_stat(ctx, path, &st, &res);
  if (rc != 0)
    goto out;
  if (!st.is_dir) {
    single.name = dfsc__cli_basename(path);
    if (*single.name == '\0')
      single.name = path;
    single.st = st;
    e = &single;
    ents = &e;
    n = 1;
  } else {
    memset(&res, 0, sizeof(res));
    rc = dfsc_opendir(ctx, path, &dir, &res);
    if (rc != 0)
      goto out;
    cap = dfsc_dir_count(dir);
    ents = calloc(cap > 0 ? cap : 1, sizeof(*ents));
    if (ents == NULL) {
      rc = -ENOMEM;
      goto out;
    }
    /* The count bounds the array; a listing longer than it announced is cut. */
    while (n < cap && (e = dfsc_dir_next(dir)) != NULL)
      ents[n++] = e;
    qsort(ents, n, sizeof(*ents), cmp_dirent);
  }
  if (cfg->json) {
    putchar_out('[');
    for (i = 0; i < n; i++) {
      if (i > 0)
        putchar_out(',');
      ls_json_entry(ents[i]->name, &ents[i]->st);
    }
    putchar_out(']');
  } else {
    if (header && st.is_dir) {
      put_name(stdout, path);
      fputs(":\n", stdout);
    }
    ls_text_entries(ents, n);
  }

out:
  if (rc != 0) {
    report(path, res_rc(rc, &res), res.ntstatus);
    if (cfg->json)
      fputs("null", stdout);
  }
  if (ents != NULL && ents != &e)
    free(ents);
  if (dir != NULL)
    dfsc_dir_free(dir);
  return rc != 0;
}

/* ---- -j N: many paths at once ----------------------------------------- */

typedef int (*path_fn)(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, const char *path,
                       int keyed);

struct job_out {
  char *buf;
  size_t len;
  int status;
  int done;
};

struct job_run {
  dfsc_ctx *ctx;
  const struct dfsc__cli_cfg *cfg;
  char **argv;
  int argc, keyed, next;
  path_fn one;
  struct job_out *out;
  pthread_mutex_t mu;
};

static void *job_worker(void *arg) {
  struct job_run *jr = arg;

  for (;;) {
    struct job_out *o;
    FILE *ms;
    int i = -1;

    pthread_mutex_lock(&jr->mu);
    if (jr->next < jr->argc && !interrupted())
      i = jr->next++;
    pthread_mutex_unlock(&jr->mu);
    if (i < 0)
      break;
    o = &jr->out[i];
    ms = open_memstream(&o->buf, &o->len);
    if (ms == NULL) {
      report(jr->argv[i], -errno, 0);
      o->status = 1;
      o->done = 1;
      continue;
    }
    cli_out = ms;
    o->status = jr->one(jr->ctx, jr->cfg, jr->argv[i], jr->keyed);
    cli_out = NULL;
    fclose(ms);
    o->done = 1;
  }
  return NULL;
}

/* Runs one() for every path on cfg->jobs threads sharing the context (its
 * connections and caches); each path's output is kept apart so the caller
 * prints them in argument order. Returns the outputs (free with
 * free_jobs) or NULL when threads could not start. */
static struct job_out *run_jobs(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, int argc,
                                char **argv, int keyed, path_fn one) {
  struct job_run jr;
  pthread_t th[DFSC_CLI_JOBS_MAX];
  int n = cfg->jobs < argc ? cfg->jobs : argc, started = 0, i;

  memset(&jr, 0, sizeof(jr));
  jr.ctx = ctx;
  jr.cfg = cfg;
  jr.argv = argv;
  jr.argc = argc;
  jr.keyed = keyed;
  jr.one = one;
  jr.out = calloc((size_t)argc, sizeof(*jr.out));
  if (jr.out == NULL)
    return NULL;
  pthread_mutex_init(&jr.mu, NULL);
  for (i = 0; i < n && i < DFSC_CLI_JOBS_MAX; i++)
    if (pthread_create(&th[i], NULL, job_worker, &jr) == 0)
      started++;
  if (started == 0)
    job_worker(&jr); /* no thread: the caller does the work */
  for (i = 0; i < started; i++)
    pthread_join(th[i], NULL);
  pthread_mutex_destroy(&jr.mu);
  return jr.out;
}

static void free_jobs(struct job_out *o, int argc) {
  int i;
  for (i = 0; o != NULL && i < argc; i++)
    free(o[i].buf);
  free(o);
}

/* Runs one path: directly, or the output gathered by run_jobs. */
static int one_path(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, char **argv, int i,
                    int keyed, path_fn one, struct job_out *jobs) {
  if (jobs == NULL)
    return one(ctx, cfg, argv[i], keyed);
  if (!jobs[i].done)
    return 1; /* never ran: interrupted */
  if (jobs[i].len > 0)
    fwrite(jobs[i].buf, 1, jobs[i].len, stdout);
  return jobs[i].status;
}

static int ls_path(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, const char *path,
                   int keyed) {
  return ls_one(ctx, cfg, path, keyed);
}

int dfsc__cli_cmd_ls(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, int argc,
                     char **argv) {
  int status = 0, i;
  int keyed = argc > 1;
  struct job_out *jobs = NULL;

  if (cfg->jobs > 1 && argc > 1)
    jobs = run_jobs(ctx, cfg, argc, argv, keyed, ls_path);
  if (cfg->json && keyed)
    putchar_out('{');
  for (i = 0; i < argc && !interrupted(); i++) {
    if (cfg->json && keyed) {
      if (i > 0)
        putchar_out(',');
      dfsc__fe_json_str(stdout, argv[i]);
      putchar_out(':');
    } else if (!cfg->json && keyed && i > 0) {
      putchar_out('\n');
    }
    status |= one_path(ctx, cfg, argv, i, keyed, ls_path, jobs);
  }
  free_jobs(jobs, argc);
  if (cfg->json && keyed)
    putchar_out('}');
  if (cfg->json)
    putchar_out('\n');
  return status | interrupted();
}

static void stat_json(const char *path, const dfsc_stat_t *st) {
  static const char *const keys[] = {"create_time", "access_time", "write_time",
                                     "change_time"};
  const uint64_t times[] = {st->create_time, st->access_time, st->write_time,
                            st->change_time};
  const char *names[32];
  char t[64];
  int n, i;

  fputs("{\"path\":", stdout);
  dfsc__fe_json_str(stdout, path);
  fprintf(stdout,
          ",\"type\":\"%s\",\"size\":%" PRIu64 ",\"allocation_size\":%" PRIu64
          ",\"attributes\":%" PRIu32 ",\"attribute_names\":[",
          type_name(st), st->size, st->alloc_size, st->attributes);
  n = dfsc__fe_attr_names(st->attributes, names, 32);
  for (i = 0; i < n && i < 32; i++)
    fprintf(stdout, "%s\"%s\"", i > 0 ? "," : "", names[i]);
  putchar_out(']');
  for (i = 0; i < 4; i++) {
    if (dfsc__fe_filetime_iso(times[i], 1, t, sizeof(t)) < 0)
      fprintf(stdout, ",\"%s\":null", keys[i]);
    else
      fprintf(stdout, ",\"%s\":\"%s\"", keys[i], t);
  }
  fprintf(stdout, ",\"file_id\":%" PRIu64 "}", st->file_id);
}

static void stat_text(const char *path, const dfsc_stat_t *st) {
  static const char *const keys[] = {"create time", "access time", "write time",
                                     "change time"};
  const uint64_t times[] = {st->create_time, st->access_time, st->write_time,
                            st->change_time};
  const char *names[32];
  char t[64];
  int n, i;

  fputs("path: ", stdout);
  put_name(stdout, path);
  fprintf(stdout,
          "\ntype: %s\nsize: %" PRIu64 "\nallocation size: %" PRIu64
          "\nattributes: 0x%08" PRIx32,
          type_name(st), st->size, st->alloc_size, st->attributes);
  n = dfsc__fe_attr_names(st->attributes, names, 32);
  for (i = 0; i < n && i < 32; i++)
    fprintf(stdout, "%s%s", i == 0 ? " (" : " ", names[i]);
  fprintf(stdout, "%s\n", n > 0 ? ")" : "");
  for (i = 0; i < 4; i++) {
    if (dfsc__fe_filetime_iso(times[i], 1, t, sizeof(t)) < 0)
      snprintf(t, sizeof(t), "-");
    fprintf(stdout, "%s: %s\n", keys[i], t);
  }
  fprintf(stdout, "file id: 0x%016" PRIx64 "\n", st->file_id);
}

static int stat_path(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, const char *path,
                     int keyed) {
  dfsc_result res = {0};
  dfsc_stat_t st;
  int rc = dfsc_stat(ctx, path, &st, &res);

  (void)keyed;
  if (rc != 0) {
    return path_failed(cfg, path, rc, &res);
  }
  if (cfg->json)
    stat_json(path, &st);
  else
    stat_text(path, &st);
  return 0;
}

int dfsc__cli_cmd_stat(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, int argc,
                       char **argv) {
  int status = 0, i;
  int keyed = argc > 1;
  struct job_out *jobs = NULL;

  if (cfg->jobs > 1 && argc > 1)
    jobs = run_jobs(ctx, cfg, argc, argv, keyed, stat_path);
  if (cfg->json && keyed)
    putchar_out('{');
  for (i = 0; i < argc && !interrupted(); i++) {
    if (cfg->json && keyed) {
      if (i > 0)
        putchar_out(',');
      dfsc__fe_json_str(stdout, argv[i]);
      putchar_out(':');
    } else if (!cfg->json && i > 0) {
      putchar_out('\n');
    }
    status |= one_path(ctx, cfg, argv, i, keyed, stat_path, jobs);
  }
  free_jobs(jobs, argc);
  if (cfg->json && keyed)
    putchar_out('}');
  if (cfg->json)
    putchar_out('\n');
  return status | interrupted();
}

/* ---- cat, get, put ---------------------------------------------------- */

/* Copies the remote file to fd until a short read. With `expect` >= 0 the
 * copy stops at that size instead (saving the round trip of the empty read
 * at end of file) and a short read before it is an error.
 * Returns 0, STDOUT_GONE (EPIPE on fd), or a negative code after reporting
 * it (*nt: its NTSTATUS). */
static int copy_out(dfsc_file *f, const char *path, int fd, const char *fdname, char *buf,
                    int64_t expect, struct dfsc__cli_progress *pg, uint64_t *copied,
                    uint32_t *nt) {
  uint64_t off = 0;
  int rc;

  for (;;) {
    dfsc_result res = {0};
    size_t want = IO_CHUNK;
    long long n;

    if (interrupted())
      return -EINTR;
    if (expect >= 0) {
      if (off >= (uint64_t)expect)
        break;
      if ((uint64_t)expect - off < want)
        want = (size_t)((uint64_t)expect - off);
    }
    n = dfsc_read(f, buf, want, off, &res);
    if (n < 0) {
      if (pg != NULL)
        dfsc__cli_progress_end(pg, 0);
      rc = res_rc((int)n, &res);
      *nt = res.ntstatus;
      report(path, rc, *nt);
      return rc;
    }
    rc = write_all(fd, buf, (size_t)n);
    if (rc == -EPIPE)
      return STDOUT_GONE;
    if (rc != 0) {
      if (pg != NULL)
        dfsc__cli_progress_end(pg, 0);
      if (!interrupted())
        report(fdname, rc, 0);
      return rc;
    }
    off += (uint64_t)n;
    *copied = off;
    if (pg != NULL)
      dfsc__cli_progress_update(pg, off);
    if ((size_t)n < want) {
      if (expect >= 0) {
        if (pg != NULL)
          dfsc__cli_progress_end(pg, 0);
        dfsc__fe_errf("%s: file shrank during transfer (%" PRIu64 " of %" PRId64 " bytes)",
                      path, off, expect);
        return -EIO;
      }
      break;
    }
  }
  return 0;
}

/* Opens path for reading and streams it to stdout. */
static int cat_one(dfsc_ctx *ctx, const char *path, char *buf) {
  dfsc_result res = {0};
  dfsc_file *f = NULL;
  uint64_t copied = 0;
  uint32_t nt = 0;
  int rc;

  rc = dfsc_open(ctx, path, DFSC_O_RDONLY, &f, &res);
  if (rc != 0) {
    report(path, res_rc(rc, &res), res.ntstatus);
    return 1;
  }
  rc = copy_out(f, path, STDOUT_FILENO, "stdout", buf, -1, NULL, &copied, &nt);
  /* A read-only handle's close cannot lose data: its error changes nothing. */
  (void)dfsc_close(f, NULL);
  return rc == STDOUT_GONE ? rc : rc != 0;
}

/* -j for cat: small files are read ahead in parallel into memory (at most
 * CAT_AHEAD_MAX each, so at most jobs x that in all); larger ones are left
 * to the ordered pass, which streams them. */
#define CAT_AHEAD_MAX (1u << 20)
#define CAT_LATER 0x200

static int cat_ahead(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, const char *path,
                     int keyed) {
  dfsc_result res = {0};
  dfsc_file *f = NULL;
  const dfsc_stat_t *st;
  char *buf;
  long long n;
  int rc;

  (void)cfg;
  (void)keyed;
  rc = dfsc_open(ctx, path, DFSC_O_RDONLY, &f, &res);
  if (rc != 0) {
    report(path, res_rc(rc, &res), res.ntstatus);
    return 1;
  }
  st = dfsc_file_stat(f);
  if (st->size > CAT_AHEAD_MAX || (buf = malloc(CAT_AHEAD_MAX + 1)) == NULL) {
    (void)dfsc_close(f, NULL);
    return CAT_LATER;
  }
  n = dfsc_read(f, buf, CAT_AHEAD_MAX + 1, 0, &res);
  (void)dfsc_close(f, NULL);
  if (n < 0) {
    report(path, res_rc((int)n, &res), res.ntstatus);
    free(buf);
    return 1;
  }
  if ((size_t)n > CAT_AHEAD_MAX) {
    free(buf); /* it grew since the open: stream it in order instead */
    return CAT_LATER;
  }
  fwrite(buf, 1, (size_t)n, stdout);
  free(buf);
  return 0;
}

int dfsc__cli_cmd_cat(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, int argc,
                      char **argv) {
  char *buf = malloc(IO_CHUNK);
  struct job_out *jobs = NULL;
  int status = 0, i, rc;

  if (buf == NULL) {
    report("cat", -ENOMEM, 0);
    return 1;
  }
  if (cfg->jobs > 1 && argc > 1)
    jobs = run_jobs(ctx, cfg, argc, argv, 0, cat_ahead);
  fflush(stdout);
  for (i = 0; i < argc && !interrupted(); i++) {
    if (jobs != NULL && jobs[i].done && jobs[i].status != CAT_LATER) {
      rc = jobs[i].status;
      if (jobs[i].len > 0 && write_all(STDOUT_FILENO, jobs[i].buf, jobs[i].len) == -EPIPE)
        rc = STDOUT_GONE;
    } else {
      rc = cat_one(ctx, argv[i], buf);
    }
    if (rc == STDOUT_GONE)
      break; /* the reader stopped reading: not an error */
    status |= rc;
  }
  free_jobs(jobs, argc);
  free(buf);
  return status | interrupted();
}

/* 0666 less the umask, read once: reading the umask means setting it, and
 * a umask of 0 in one thread while another creates a directory would leave
 * that directory open to all. dfsc__cli_cmd_get calls it before any thread
 * starts. */
static mode_t file_mode(void) {
  static mode_t mode;
  static int known;

  if (!known) {
    mode_t um = umask(0);

    umask(um);
    mode = 0666 & ~um;
    known = 1;
  }
  return mode;
}

/* "DIR/.NAME.dfsc-XXXXXX" for LOCAL "DIR/NAME" (NAME cut between two
 * characters so the result stays within NAME_MAX). Returns a heap string
 * or NULL. */
static char *temp_name_for(const char *local) {
  const char *slash = strrchr(local, '/');
  const char *base = slash != NULL ? slash + 1 : local;
  int dlen = slash != NULL ? (int)(slash - local + 1) : 0;
  int blen = (int)dfsc__cli_name_cut(base, NAME_MAX - 14);
  char *out;

  if (asprintf(&out, "%.*s.%.*s.dfsc-XXXXXX", dlen, local, blen, base) < 0)
    return NULL;
  return out;
}

/* Makes the directory entry of a rename durable; failure only loses
 * durability, never data, so it is not reported. */
static void sync_parent(const char *local) {
  const char *slash = strrchr(local, '/');
  char *dir;
  int fd;

  if (slash == NULL)
    dir = strdup(".");
  else if (slash == local)
    dir = strdup("/");
  else
    dir = strndup(local, (size_t)(slash - local));
  if (dir == NULL)
    return;
  fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
  free(dir);
}

static void json_transfer(const char *path, const char *local, uint64_t bytes, int rc,
                          uint32_t ntstatus, const char *msg) {
  fputs("{\"path\":", stdout);
  dfsc__fe_json_str(stdout, path);
  fputs(",\"local\":", stdout);
  dfsc__fe_json_str(stdout, local);
  if (rc == 0)
    fprintf(stdout, ",\"ok\":true,\"bytes\":%" PRIu64, bytes);
  else
    json_fail_fields(stdout, rc, ntstatus, msg);
  fputs("}\n", stdout);
}

/* A file of unknown size is first read whole in one round trip
 * (dfsc_read_file) into a buffer this large; a file known to be at most
 * SMALL_MAX bytes is read that way into a buffer of its size. Larger files
 * are streamed (open, pipelined reads, close). */
#define SMALL_GUESS (256u * 1024)
#define SMALL_MAX (1024u * 1024)

/* Reads path whole with one compound into a new buffer of cap bytes.
 * Returns 1 with *out (free it), *n and *st when the whole file arrived, 0
 * when it is larger (or changed on the way: the caller streams it), or a
 * negative code after reporting it (*nt: its NTSTATUS). */
static int read_small(dfsc_ctx *ctx, const char *path, size_t cap, char **out, size_t *n,
                      dfsc_stat_t *st, uint32_t *nt) {
  dfsc_result res = {0};
  char *buf = malloc(cap);
  long long got;
  int rc;

  *out = NULL;
  if (buf == NULL) {
    report(path, -ENOMEM, 0);
    return -ENOMEM;
  }
  got = dfsc_read_file(ctx, path, buf, cap, st, &res);
  if (got < 0) {
    rc = res_rc((int)got, &res);
    *nt = res.ntstatus;
    free(buf);
    report(path, rc, *nt);
    return rc;
  }
  if (st->is_dir || (uint64_t)got != st->size) {
    free(buf);
    return 0;
  }
  *out = buf;
  *n = (size_t)got;
  return 1;
}

static int get_single(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, int argc,
                      char **argv) {
  const char *path = argv[0];
  char *base = NULL; /* the server's name of the file: the local default */
  char *local = NULL, *tmp = NULL, *buf = NULL;
  dfsc_result res = {0};
  dfsc_file *f = NULL;
  struct dfsc__cli_progress pg;
  struct stat lst;
  uint64_t copied = 0;
  int64_t size;
  int fd = -1, direct = 0, rc, status = 1;
  int err = 0; /* first failure, for --json */
  uint32_t err_nt = 0;
  const char *err_msg = NULL;
  int have_lst, whole;
  dfsc_stat_t sst;
  size_t sn = 0;

  if (argc > 1 && strcmp(argv[1], "-") == 0) {
    char *sbuf = malloc(IO_CHUNK);

    if (sbuf == NULL) {
      report(path, -ENOMEM, 0);
      return 1;
    }
    rc = cat_one(ctx, path, sbuf);
    free(sbuf);
    return rc == STDOUT_GONE ? 0 : rc | interrupted();
  }
  base = dfsc__cli_leaf(path);
  if (base == NULL) {
    report(path, -errno, 0);
    return 1;
  }
  if (argc > 1) {
    local = strdup(argv[1]);
  } else {
    if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
        !plain_text(base)) {
      dfsc__fe_errf("%s: no safe file name in path; give LOCAL", path);
      free(base);
      return 2;
    }
    local = strdup(base);
  }
  if (local == NULL) {
    err = -ENOMEM;
    report(path, err, 0);
    goto out;
  }
  have_lst = stat(local, &lst) == 0;
  if (have_lst && S_ISDIR(lst.st_mode)) {
    char *joined;

    if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
        !plain_text(base)) {
      dfsc__fe_errf("%s: no safe file name in path; give LOCAL", path);
      free(local);
      free(base);
      return 2;
    }
    if (asprintf(&joined, "%s%s%s", local, local[strlen(local) - 1] == '/' ? "" : "/",
                 base) < 0) {
      err = -ENOMEM;
      report(path, err, 0);
      goto out;
    }
    free(local);
    local = joined;
    have_lst = stat(local, &lst) == 0;
  }
  /* Devices and FIFOs (e.g. /dev/null) are written in place: renaming over
   * them would replace the node. */
  if (have_lst && !S_ISREG(lst.st_mode))
    direct = 1;
  /* A name the local file system cannot hold (a server may send up to
   * 765 bytes of UTF-8) fails before the file is read, not at the rename
   * after it. */
  if (!direct &&
      strlen(strrchr(local, '/') != NULL ? strrchr(local, '/') + 1 : local) > NAME_MAX) {
    err = -ENAMETOOLONG;
    report(local, err, 0);
    goto out;
  }

  /* Remote first: a missing source leaves nothing behind locally. */
  whole = read_small(ctx, path, SMALL_GUESS, &buf, &sn, &sst, &err_nt);
  if (whole < 0) {
    err = whole;
    goto out;
  }
  if (whole) {
    size = (int64_t)sn;
  } else {
    rc = dfsc_open(ctx, path, DFSC_O_RDONLY, &f, &res);
    if (rc != 0) {
      err = res_rc(rc, &res);
      err_nt = res.ntstatus;
      report(path, err, err_nt);
      goto out;
    }
    if (dfsc_file_stat(f)->is_dir) {
      err = -EISDIR;
      report(path, err, 0);
      goto out;
    }
    size = (int64_t)dfsc_file_stat(f)->size;
    /* copy_out never asks for more than the size: a small file needs no
     * 8 MiB buffer (an mmap and munmap per file otherwise). */
    buf = malloc((uint64_t)size < IO_CHUNK ? (size_t)size + (size == 0) : IO_CHUNK);
    if (buf == NULL) {
      err = -ENOMEM;
      report(path, err, 0);
      goto out;
    }
  }

  if (direct) {
    fd = open(local, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  } else {
    tmp = temp_name_for(local);
    if (tmp == NULL) {
      err = -ENOMEM;
      report(path, err, 0);
      goto out;
    }
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd >= 0)
      dfsc__cli_set_tmpfile(tmp);
  }
  if (fd < 0) {
    err = -errno;
    report(direct ? local : tmp, err, 0);
    free(tmp);
    tmp = NULL;
    goto out;
  }

  dfsc__cli_progress_start(&pg, cfg->progress, (uint64_t)size, 1);
  if (whole) {
    rc = write_all(fd, buf, sn);
    if (rc == -EPIPE) {
      rc = STDOUT_GONE;
    } else if (rc != 0) {
      dfsc__cli_progress_end(&pg, 0);
      if (!interrupted())
        report(direct ? local : tmp, rc, 0);
    } else {
      copied = sn;
      dfsc__cli_progress_update(&pg, copied);
    }
  } else {
    rc = copy_out(f, path, fd, direct ? local : tmp, buf, size, &pg, &copied, &err_nt);
  }
  if (rc != 0) {
    dfsc__cli_progress_end(&pg, 0);
    err = rc == STDOUT_GONE ? -EPIPE : rc;
    if (interrupted())
      err_msg = "interrupted";
    else if (rc == STDOUT_GONE)
      report(direct ? local : tmp, err, 0);
    goto out;
  }
  if (!direct) {
    /* mkostemp made it 0600; a plain file gets what creat() would give. */
    if (fchmod(fd, file_mode()) != 0 || (cfg->fsync && fsync(fd) != 0)) {
      err = -errno;
      dfsc__cli_progress_end(&pg, 0);
      report(tmp, err, 0);
      goto out;
    }
  }
  rc = close(fd);
  fd = -1;
  if (rc != 0) {
    err = -errno;
    dfsc__cli_progress_end(&pg, 0);
    report(direct ? local : tmp, err, 0);
    goto out;
  }
  if (interrupted()) {
    dfsc__cli_progress_end(&pg, 0);
    err = -EINTR;
    err_msg = "interrupted";
    goto out;
  }
  if (!direct) {
    if (rename(tmp, local) != 0) {
      err = -errno;
      dfsc__cli_progress_end(&pg, 0);
      report(local, err, 0);
      goto out;
    }
    dfsc__cli_set_tmpfile(NULL);
    free(tmp);
    tmp = NULL;
    if (cfg->fsync)
      sync_parent(local);
  }
  dfsc__cli_progress_end(&pg, 1);
  status = 0;

out:
  if (fd >= 0)
    close(fd);
  if (tmp != NULL) {
    dfsc__cli_set_tmpfile(NULL);
    unlink(tmp);
    free(tmp);
  }
  if (f != NULL)
    (void)dfsc_close(f, NULL);
  if (cfg->json)
    json_transfer(path, local != NULL ? local : "", copied, status == 0 ? 0 : err, err_nt,
                  err_msg);
  free(buf);
  free(local);
  free(base);
  return status;
}

/* Reads up to n bytes, fewer only at end of input. Returns the count or
 * -errno. */
long long dfsc__cli_read_full(int fd, char *buf, size_t n) {
  size_t got = 0;

  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);

    if (r < 0) {
      if (errno == EINTR && !interrupted())
        continue;
      return -errno;
    }
    if (r == 0)
      break;
    got += (size_t)r;
  }
  return (long long)got;
}

static int ends_with_sep(const char *s) {
  size_t n = strlen(s);

  return n > 0 && (s[n - 1] == '/' || s[n - 1] == '\\');
}

/* The remote name for `put LOCAL PATH`: PATH itself, or PATH/basename(LOCAL)
 * when PATH ends with a separator or is an existing directory. Returns a
 * heap string or NULL (reported). */
static char *put_target(dfsc_ctx *ctx, const char *local, const char *path) {
  const char *lbase = strrchr(local, '/');
  dfsc_result res = {0};
  dfsc_stat_t st = {0};
  char *out;
  int into;

  lbase = lbase != NULL ? lbase + 1 : local;
  into = ends_with_sep(path) || dfsc_stat(ctx, path, &st, &res) == 0 ? 1 : 0;
  if (into && !ends_with_sep(path) && !st.is_dir)
    into = 0;
  if (!into)
    return strdup(path);
  if (strcmp(local, "-") == 0 || *lbase == '\0') {
    dfsc__fe_errf("%s: is a directory; give a file name", path);
    return NULL;
  }
  out = dfsc__cli_join(path, lbase);
  if (out == NULL)
    report(path, -ENOMEM, 0);
  return out;
}

int dfsc__cli_cmd_put(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, int argc,
                      char **argv) {
  const char *local = argv[0];
  char *target = NULL, *buf = NULL;
  dfsc_result res = {0};
  dfsc_file *f = NULL;
  struct dfsc__cli_progress pg;
  struct stat lst;
  uint64_t off = 0;
  int fd = -1, status = 1, rc;
  int err = 0;
  uint32_t err_nt = 0;
  const char *err_msg = NULL;
  int from_stdin = strcmp(local, "-") == 0;

  if (cfg->recursive)
    return dfsc__cli_put_tree(ctx, cfg, argv[0], argv[1]);
  if (from_stdin) {
    fd = STDIN_FILENO;
  } else {
    fd = open(local, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
      err = -errno;
      report(local, err, 0);
      goto out;
    }
  }
  if (fstat(fd, &lst) != 0) {
    err = -errno;
    report(local, err, 0);
    goto out;
  }
  if (S_ISDIR(lst.st_mode)) {
    err = -EISDIR;
    report(local, err, 0);
    goto out;
  }
  buf = malloc(IO_CHUNK);
  if (buf == NULL) {
    err = -ENOMEM;
    report(local, err, 0);
    goto out;
  }
  target = put_target(ctx, local, argv[1]);
  if (target == NULL) {
    err = -EISDIR;
    goto out;
  }
  rc = dfsc_open(ctx, target, DFSC_O_WRONLY | DFSC_O_CREAT | DFSC_O_TRUNC, &f, &res);
  if (rc != 0) {
    err = res_rc(rc, &res);
    err_nt = res.ntstatus;
    report(target, err, err_nt);
    goto out;
  }
  dfsc__cli_progress_start(&pg, cfg->progress, (uint64_t)lst.st_size, S_ISREG(lst.st_mode));
  for (;;) {
    long long n, w;

    if (interrupted()) {
      err = -EINTR;
      err_msg = "interrupted";
      break;
    }
    n = dfsc__cli_read_full(fd, buf, IO_CHUNK);
    if (n < 0) {
      err = (int)n;
      if (!interrupted()) {
        dfsc__cli_progress_end(&pg, 0);
        report(local, err, 0);
      }
      break;
    }
    if (n == 0)
      break;
    memset(&res, 0, sizeof(res));
    w = dfsc_write(f, buf, (size_t)n, off, &res);
    if (w != n) {
      dfsc__cli_progress_end(&pg, 0);
      err = w < 0 ? res_rc((int)w, &res) : -EIO;
      err_nt = res.ntstatus;
      report(target, err, err_nt);
      break;
    }
    off += (uint64_t)n;
    dfsc__cli_progress_update(&pg, off);
    if ((size_t)n < IO_CHUNK)
      break;
  }
  memset(&res, 0, sizeof(res));
  rc = dfsc_close(f, &res);
  f = NULL;
  if (rc != 0 && err == 0) {
    err = res_rc(rc, &res);
    err_nt = res.ntstatus;
    dfsc__cli_progress_end(&pg, 0);
    report(target, err, err_nt);
  }
  if (err == 0) {
    dfsc__cli_progress_end(&pg, 1);
    status = 0;
  } else {
    dfsc__cli_progress_end(&pg, 0);
  }

out:
  if (f != NULL)
    (void)dfsc_close(f, NULL);
  if (fd >= 0 && !from_stdin)
    close(fd);
  if (cfg->json)
    json_transfer(target != NULL ? target : argv[1], local, off, status == 0 ? 0 : err,
                  err_nt, err_msg);
  free(target);
  free(buf);
  return status;
}

/* ---- mkdir, rm, rmdir, mv --------------------------------------------- */

typedef int (*path_op)(dfsc_ctx *, const char *, dfsc_result *);

static int each_path(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, int argc, char **argv,
                     path_op op) {
  int status = 0, i, rc;

  if (cfg->json)
    putchar_out('[');
  for (i = 0; i < argc && !interrupted(); i++) {
    dfsc_result res = {0};

    rc = op(ctx, argv[i], &res);
    if (rc != 0) {
      rc = res_rc(rc, &res);
      report(argv[i], rc, res.ntstatus);
      status = 1;
    }
    if (cfg->json) {
      fputs(i > 0 ? ",{\"path\":" : "{\"path\":", stdout);
      dfsc__fe_json_str(stdout, argv[i]);
      if (rc == 0)
        fputs(",\"ok\":true", stdout);
      else
        json_fail_fields(stdout, rc, res.ntstatus, NULL);
      putchar_out('}');
    }
  }
  if (cfg->json)
    fputs("]\n", stdout);
  return status | interrupted();
}

int dfsc__cli_cmd_mkdir(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, int argc,
                        char **argv) {
  return each_path(ctx, cfg, argc, argv, dfsc_mkdir);
}

int dfsc__cli_cmd_rm(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, int argc,
                     char **argv) {
  return each_path(ctx, cfg, argc, argv, dfsc_unlink);
}

int dfsc__cli_cmd_rmdir(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, int argc,
                        char **argv) {
  return each_path(ctx, cfg, argc, argv, dfsc_rmdir);
}

int dfsc__cli_cmd_mv(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, int argc,
                     char **argv) {
  dfsc_result res = {0};
  int rc = dfsc_rename(ctx, argv[0], argv[1], &res);

  if (rc != 0) {
    rc = res_rc(rc, &res);
    report(argv[0], rc, res.ntstatus);
  }
  if (cfg->json) {
    fputs("{\"path\":", stdout);
    dfsc__fe_json_str(stdout, argv[0]);
    fputs(",\"newpath\":", stdout);
    dfsc__fe_json_str(stdout, argv[1]);
    if (rc == 0)
      fputs(",\"ok\":true", stdout);
    else
      json_fail_fields(stdout, rc, res.ntstatus, NULL);
    fputs("}\n", stdout);
  }
  return rc != 0;
}

/* ---- resolve, cache --------------------------------------------------- */

int dfsc__cli_cmd_resolve(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, int argc,
                          char **argv) {
  int status = 0, i;
  size_t k;

  if (cfg->json)
    putchar_out('[');
  for (i = 0; i < argc && !interrupted(); i++) {
    dfsc_result res = {0};
    dfsc_resolution *r = NULL;
    int rc = dfsc_resolve(ctx, argv[i], &r, &res);

    if (rc != 0) {
      report(argv[i], res_rc(rc, &res), res.ntstatus);
      status = 1;
      continue;
    }
    if (cfg->json) {
      if (i > 0 && status == 0)
        putchar_out(',');
      fputs("{\"path\":", stdout);
      dfsc__fe_json_str(stdout, argv[i]);
      fputs(",\"dfs_path\":", stdout);
      dfsc__fe_json_str(stdout, dfsc_resolution_path(r));
      fputs(",\"target\":", stdout);
      dfsc__fe_json_str(stdout, dfsc_resolution_target(r));
      fprintf(stdout, ",\"target_is_dfs_root\":%s,\"hops\":[",
              dfsc_resolution_target_is_dfs(r) ? "true" : "false");
      for (k = 0; k < dfsc_resolution_nhops(r); k++) {
        if (k > 0)
          putchar_out(',');
        dfsc__fe_hop_json(stdout, dfsc_resolution_hop(r, k));
      }
      fputs("]}", stdout);
    } else {
      put_name(stdout, argv[i]);
      putchar_out('\n');
      if (dfsc_resolution_nhops(r) == 0)
        fprintf(stdout, "  (no referral: %s)\n",
                dfsc_resolution_target_is_dfs(r) ? "the share is a DFS root"
                                                 : "not a DFS path");
      for (k = 0; k < dfsc_resolution_nhops(r); k++) {
        fprintf(stdout, "  hop %zu: ", k + 1);
        dfsc__fe_hop_text(stdout, dfsc_resolution_hop(r, k), "");
      }
      fputs("  target: ", stdout);
      put_name(stdout, dfsc_resolution_target(r));
      fprintf(stdout, "%s\n", dfsc_resolution_target_is_dfs(r) ? " (DFS root share)" : "");
    }
    dfsc_resolution_free(r);
  }
  if (cfg->json)
    puts_out("]");
  return status | interrupted();
}

int dfsc__cli_cmd_cache(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, int argc,
                        char **argv) {
  dfsc_result res = {0};
  dfsc_cache_info *c = NULL;
  int status = 0, i, rc;

  /* Fill the caches through the paths given, as `resolve` would. */
  for (i = 0; i < argc && !interrupted(); i++) {
    dfsc_resolution *r = NULL;
    rc = dfsc_resolve(ctx, argv[i], &r, &res);
    if (rc != 0) {
      report(argv[i], res_rc(rc, &res), res.ntstatus);
      status = 1;
    }
    dfsc_resolution_free(r);
  }
  rc = dfsc_cache_snapshot(ctx, &c, &res);
  if (rc != 0) {
    report("cache", res_rc(rc, &res), res.ntstatus);
    return 1;
  }
  dfsc__fe_cache_print(stdout, c, cfg->json);
  dfsc_cache_info_free(c);
  return status | interrupted();
}

/* ---- get -r: a directory tree ----------------------------------------- */

/* Entries waiting in the queue at most. A worker that finds the queue full
 * handles the entry itself, depth first, so memory stays bounded by this
 * plus one listing per level per worker; this also bounds the breadth of
 * the walk (directories waiting to be listed). */
#define RGET_QUEUE_MAX 1024
/* Directory levels below PATH at most: a DFS link back to an ancestor would
 * otherwise make the walk endless. */
#define RGET_DEPTH_MAX 64
/* Random temporary names tried before giving up (O_EXCL makes a taken
 * one fail, never reuse it). */
#define RGET_TMP_TRIES 64

/* Directory descriptors get -r keeps open at most (fewer when the soft
 * RLIMIT_NOFILE is low: a quarter of it), besides one in use per worker.
 * The queue may hold entries of up to RGET_QUEUE_MAX different
 * directories, so keeping each open until its entries finish would take
 * that many descriptors and starve the library's sockets. */
#define RGET_FD_CAP 256

/* A local directory, alive for as long as anything in it is pending:
 * every entry in it is created relative to its descriptor (mkdirat,
 * openat, renameat), so a directory of the tree swapped for a symbolic
 * link while the walk runs is never followed. Its modification time is
 * set through the descriptor once everything in it is done (each file
 * renamed into it changes the time again).
 * Past the cap the least recently used descriptor nobody is using is
 * closed; the directory is opened again when needed, one component at a
 * time from its nearest open ancestor, O_NOFOLLOW at each step, and each
 * step must find the directory first opened there (device and inode), so
 * a reopen follows no symbolic link and lands in no other directory. The
 * root (LOCAL) stays open throughout. */
struct rget_dir {
  struct rget_dir *parent;
  char *local;      /* the whole local path: for messages */
  const char *name; /* in local: what is opened in parent; the root: all
                       of local, from the working directory */
  dev_t dev;        /* identity at the first open */
  ino_t ino;
  uint64_t write_time;
  /* Under mu: */
  int fd;                         /* O_DIRECTORY | O_NOFOLLOW; -1 while closed */
  unsigned users;                 /* threads using fd now: it is not closed meanwhile;
                                     the root holds one for the whole walk */
  struct rget_dir *older, *newer; /* open directories, oldest use first */
  unsigned pending;               /* its own listing plus entries not finished */
};

struct rget_item {
  struct rget_item *next;
  char *remote;
  char *local;      /* the whole local path: for messages only */
  const char *name; /* its last component (in local); the root: NULL */
  int is_dir;
  int depth;
  uint64_t write_time;     /* from the listing (a directory's own stat would
                              cost a round trip) */
  uint64_t size;           /* from the listing: picks the one-compound read
                              and is taken from the --max-bytes budget */
  struct rget_dir *parent; /* holds one of parent->pending; NULL: the root */
};

struct rget {
  dfsc_ctx *ctx;
  const struct dfsc__cli_cfg *cfg;
  pthread_mutex_t mu;
  struct dfsc__cli_wq q; /* entries waiting for a worker (workq.c) */
  unsigned failed;       /* paths that failed */
  uint64_t files, bytes;
  uint64_t skipped; /* --update: files already the same here */
  /* The limits, under mu: entries taken from listings (files and
   * directories, against max_files) and bytes of files started (against
   * max_bytes). Past either, no new entry is taken; past max_bytes no new
   * file starts either. What was taken before finishes. */
  uint64_t entries, reserved;
  const char *limit; /* the option that stopped the walk, or NULL */
  int stop_bytes;
  /* Open directory descriptors, under mu: nopen of them on the list
   * oldest .. newest; past fd_cap the unused are closed, oldest first. */
  struct rget_dir *oldest, *newest;
  unsigned nopen, fd_cap;
};

static void rget_item_free(struct rget_item *it) {
  free(it->remote);
  free(it->local);
  free(it);
}

static void rget_failed(struct rget *g) {
  pthread_mutex_lock(&g->mu);
  g->failed++;
  pthread_mutex_unlock(&g->mu);
}

static void filetime_ts(uint64_t ft, struct timespec ts[2]) {
  int64_t sec;
  long nsec;

  dfsc_filetime_to_unix(ft, &sec, &nsec);
  ts[0].tv_sec = 0;
  ts[0].tv_nsec = UTIME_OMIT; /* access time: now, as any read would */
  ts[1].tv_sec = (time_t)sec;
  ts[1].tv_nsec = nsec;
}

/* ---- the open directories (all under mu) ---- */

static void open_unlink(struct rget *g, struct rget_dir *d) {
  if (d->older != NULL)
    d->older->newer = d->newer;
  else
    g->oldest = d->newer;
  if (d->newer != NULL)
    d->newer->older = d->older;
  else
    g->newest = d->older;
  d->older = d->newer = NULL;
}

static void open_push(struct rget *g, struct rget_dir *d) {
  d->older = g->newest;
  d->newer = NULL;
  if (g->newest != NULL)
    g->newest->newer = d;
  else
    g->oldest = d;
  g->newest = d;
}

/* Closes unused descriptors, oldest use first, until one more fits under
 * the cap. Those in use (one per worker at most, and the root) are
 * skipped: with all in use the cap is exceeded by them only. Bounded by
 * the list. */
static void open_make_room(struct rget *g) {
  struct rget_dir *d = g->oldest;

  while (g->nopen >= g->fd_cap && d != NULL) {
    struct rget_dir *next = d->newer;

    if (d->users == 0) {
      open_unlink(g, d);
      close(d->fd);
      d->fd = -1;
      g->nopen--;
    }
    d = next;
  }
}

/* Makes fd d's descriptor (d has none), first closing another if at the
 * cap. */
static void open_add(struct rget *g, struct rget_dir *d, int fd) {
  open_make_room(g);
  d->fd = fd;
  g->nopen++;
  open_push(g, d);
}

/* Reports a directory that could not be opened (err: -errno) at name in
 * pfd: a symbolic link there is named as such, a different directory than
 * the one first opened (-ESTALE from rget_open_at) too. */
static void rget_dir_error(int pfd, const char *name, const char *local, int err) {
  struct stat lst;

  if ((err == -ENOTDIR || err == -ELOOP) &&
      fstatat(pfd, name, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode))
    dfsc__fe_errf("%s: a symbolic link where a directory belongs, not followed", local);
  else if (err == -ESTALE)
    dfsc__fe_errf("%s: replaced by another directory while the walk ran, not followed",
                  local);
  else
    report(local, err, 0);
}

/* Opens d again at its name in pfd: not through a symbolic link, and only
 * if it is still the directory first opened there. Returns the descriptor
 * or -errno (-ESTALE: another directory). */
static int rget_open_at(int pfd, const struct rget_dir *d) {
  struct stat st;
  int fd = openat(pfd, d->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int err;

  if (fd < 0)
    return -errno;
  if (fstat(fd, &st) != 0) {
    err = -errno;
    close(fd);
    return err;
  }
  if (st.st_dev != d->dev || st.st_ino != d->ino) {
    close(fd);
    return -ESTALE;
  }
  return fd;
}

/* The descriptor of d for one use, ended by rget_dir_put: d's own, or
 * opened again from its nearest open ancestor (the root always is). A
 * failure is reported (the caller counts it). Returns the descriptor or
 * -1. */
static int rget_dir_get(struct rget *g, struct rget_dir *d) {
  /* d and its closed ancestors below the open one, d first. */
  struct rget_dir *chain[RGET_DEPTH_MAX + 2], *a;
  int n = 0, i, cur, fd = -1;

  pthread_mutex_lock(&g->mu);
  /* Ends at the root, which stays open; its depth bounds the chain. */
  for (a = d; a->fd < 0 && n < (int)(sizeof(chain) / sizeof(chain[0])); a = a->parent)
    chain[n++] = a;
  a->users++;
  if (n == 0) {
    open_unlink(g, d);
    open_push(g, d);
    fd = d->fd;
    pthread_mutex_unlock(&g->mu);
    return fd;
  }
  cur = a->fd;
  pthread_mutex_unlock(&g->mu);

  /* Down one level at a time; the directories in between are not kept
   * open (at most two descriptors here, besides the ancestor's). */
  for (i = n - 1; i >= 0; i--) {
    fd = rget_open_at(cur, chain[i]);
    if (fd < 0)
      rget_dir_error(cur, chain[i]->name, chain[i]->local, fd);
    if (i != n - 1)
      close(cur);
    if (fd < 0)
      break;
    cur = fd;
  }

  pthread_mutex_lock(&g->mu);
  a->users--;
  if (fd >= 0) {
    if (d->fd >= 0) {
      /* Another worker opened it meanwhile: one descriptor is enough. */
      close(fd);
      open_unlink(g, d);
      open_push(g, d);
    } else {
      open_add(g, d, fd);
    }
    d->users++;
    fd = d->fd;
  }
  pthread_mutex_unlock(&g->mu);
  return fd < 0 ? -1 : fd;
}

/* Ends a use begun by a successful rget_dir_get. */
static void rget_dir_put(struct rget *g, struct rget_dir *d) {
  pthread_mutex_lock(&g->mu);
  d->users--;
  pthread_mutex_unlock(&g->mu);
}

/* Drops one reference on d; the last one sets the directory's time (when
 * apply and not interrupted), closes it and drops the reference d holds on
 * its parent, and so on up. */
static void rget_release(struct rget *g, struct rget_dir *d, int apply) {
  while (d != NULL) {
    struct rget_dir *up = d->parent;
    int last, fd;

    pthread_mutex_lock(&g->mu);
    last = --d->pending == 0;
    pthread_mutex_unlock(&g->mu);
    if (!last)
      return;
    if (apply && !interrupted() && d->write_time != 0) {
      struct timespec ts[2];

      fd = rget_dir_get(g, d);
      if (fd >= 0) {
        filetime_ts(d->write_time, ts);
        /* Only the time is lost: the files are all there. */
        (void)futimens(fd, ts);
        rget_dir_put(g, d);
      } else {
        rget_failed(g); /* reported: moved or replaced meanwhile */
      }
    }
    /* Nothing refers to d any more: no other worker can be using it. */
    pthread_mutex_lock(&g->mu);
    if (d->fd >= 0) {
      open_unlink(g, d);
      close(d->fd);
      d->fd = -1;
      g->nopen--;
    }
    pthread_mutex_unlock(&g->mu);
    free(d->local);
    free(d);
    d = up;
  }
}

/* A name from the server that is safe as one local path component: not
 * empty, `.` or `..`, no separator, and nothing the escaping of escape.c
 * would change (control characters, invalid UTF-8), which would otherwise
 * land raw in a local directory and in every later `ls` of it. */
static int safe_name(const char *n) {
  return *n != '\0' && strcmp(n, ".") != 0 && strcmp(n, "..") != 0 &&
         strpbrk(n, "/\\") == NULL && plain_text(n);
}

/* Stops the walk at the option `limit` (the first stop wins and prints
 * the one line naming it and the path it stopped at). Called under mu;
 * returns whether this call stopped it, so the caller prints after
 * unlocking. */
static int rget_stop_locked(struct rget *g, const char *limit) {
  if (g->limit != NULL)
    return 0;
  g->limit = limit;
  return 1;
}

static void rget_stop_report(const struct rget *g, const char *path, const char *limit) {
  if (strcmp(limit, "max-files") == 0)
    dfsc__fe_errf("%s: stopped: more than --max-files %" PRIu64
                  " files and directories (max_files in dfsc.conf)",
                  path, g->cfg->max_files);
  else
    dfsc__fe_errf("%s: stopped: more than --max-bytes %" PRIu64
                  " bytes (max_bytes in dfsc.conf)",
                  path, g->cfg->max_bytes);
}

/* Takes one entry of the listing (path: its remote path) against
 * max_files. Returns 0, or -1 once the walk is stopped. */
static int rget_take_entry(struct rget *g, const char *path) {
  int over, first = 0;

  pthread_mutex_lock(&g->mu);
  over = g->limit != NULL;
  if (!over && g->cfg->max_files != 0 && g->entries >= g->cfg->max_files) {
    over = 1;
    first = rget_stop_locked(g, "max-files");
  }
  if (!over)
    g->entries++;
  pthread_mutex_unlock(&g->mu);
  if (first)
    rget_stop_report(g, path, "max-files");
  return over ? -1 : 0;
}

/* Takes n bytes of the max_bytes budget for the file at path. Returns 0,
 * or -1 when they do not fit (or an earlier file did not): the file is
 * not started. */
static int rget_take_bytes(struct rget *g, const char *path, uint64_t n) {
  uint64_t max = g->cfg->max_bytes;
  int over, first = 0;

  pthread_mutex_lock(&g->mu);
  /* reserved never exceeds max, so the subtraction cannot wrap. */
  over = g->stop_bytes || (max != 0 && n > max - g->reserved);
  if (over && !g->stop_bytes) {
    g->stop_bytes = 1;
    first = rget_stop_locked(g, "max-bytes");
    /* max_files may have stopped it first: this file still fails. */
    if (!first && strcmp(g->limit, "max-bytes") != 0)
      first = -1;
  }
  if (!over)
    g->reserved += n;
  pthread_mutex_unlock(&g->mu);
  if (first == 1)
    rget_stop_report(g, path, "max-bytes");
  else if (first == -1)
    dfsc__fe_errf("%s: not fetched: more than --max-bytes %" PRIu64 " bytes", path, max);
  return over ? -1 : 0;
}

/* Creates and opens "." + name + ".dfsc-XXXXXX" (name cut between two
 * characters to stay within NAME_MAX) in dfd, O_EXCL and O_NOFOLLOW, mode 0600; the name
 * goes to tmp (NAME_MAX + 1 bytes). Returns the descriptor or -1 with errno. */
static int open_temp(int dfd, const char *name, char *tmp) {
  int blen = (int)dfsc__cli_name_cut(name, NAME_MAX - 14), i, fd;

  for (i = 0; i < RGET_TMP_TRIES; i++) {
    char sfx[7];

    dfsc__cli_temp_suffix(sfx);
    snprintf(tmp, NAME_MAX + 1, ".%.*s.dfsc-%s", blen, name, sfx);
    fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                0600);
    if (fd >= 0 || errno != EEXIST)
      return fd;
  }
  errno = EEXIST;
  return -1;
}

/* --update: whether the local file at its final name is a regular file
 * (not followed if a link) with the listing's size and modification time
 * to the second (1: it is left as it is), or not (0), or -1 when its
 * directory could not be opened (reported). */
static int rget_up_to_date(struct rget *g, const struct rget_item *it) {
  struct stat st;
  int64_t sec;
  long nsec;
  int dfd = rget_dir_get(g, it->parent), same;

  if (dfd < 0)
    return -1;
  dfsc_filetime_to_unix(it->write_time, &sec, &nsec);
  same = fstatat(dfd, it->name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
         (uint64_t)st.st_size == it->size && (int64_t)st.st_mtim.tv_sec == sec;
  rget_dir_put(g, it->parent);
  return same;
}

/* Downloads one file as get does: a hidden temporary file renamed over
 * the final name only once complete, with the server's modification time,
 * both in the parent's directory descriptor. Reports its own failure.
 * Returns 0, -1 (failed) or 1 (not started: a limit stopped the walk). */
static int rget_file(struct rget *g, const struct rget_item *it) {
  dfsc_result res = {0};
  dfsc_file *f = NULL;
  const dfsc_stat_t *st;
  dfsc_stat_t sst;
  char tmp[NAME_MAX + 1], *buf = NULL;
  uint64_t copied = 0, wt;
  uint32_t nt = 0;
  struct timespec ts[2];
  size_t sn = 0;
  int dfd = -1, fd = -1, have_tmp = 0, rc, ret = -1, whole = 0;

  if (g->cfg->update && it->write_time != 0) {
    int same = rget_up_to_date(g, it);
    if (same < 0)
      return -1;
    if (same) {
      pthread_mutex_lock(&g->mu);
      g->skipped++;
      pthread_mutex_unlock(&g->mu);
      return 0;
    }
  }
  if (rget_take_bytes(g, it->remote, it->size) != 0)
    return 1;
  if (it->size <= SMALL_MAX) {
    /* Sized by the listing; a file that grew since is streamed. */
    whole = read_small(g->ctx, it->remote, it->size > 0 ? (size_t)it->size : 1, &buf, &sn,
                       &sst, &nt);
    if (whole < 0)
      return -1;
  }
  if (whole) {
    st = &sst;
  } else {
    rc = dfsc_open(g->ctx, it->remote, DFSC_O_RDONLY, &f, &res);
    if (rc != 0) {
      report(it->remote, res_rc(rc, &res), res.ntstatus);
      return -1;
    }
    st = dfsc_file_stat(f);
  }
  /* The open's attributes are newer than the listing's. */
  wt = st->write_time;
  if (st->is_dir) {
    report(it->remote, -EISDIR, 0); /* it was a file when listed */
    goto out;
  }
  /* Grown since the listing: the rest comes from the budget too. */
  if (st->size > it->size && rget_take_bytes(g, it->remote, st->size - it->size) != 0) {
    ret = 1;
    goto out;
  }
  if (!whole)
    buf = malloc(st->size < IO_CHUNK ? (size_t)st->size + (st->size == 0) : IO_CHUNK);
  if (buf == NULL) {
    report(it->remote, -ENOMEM, 0);
    goto out;
  }
  /* Held until the end: the temporary file and the rename are in one
   * directory. */
  dfd = rget_dir_get(g, it->parent);
  if (dfd < 0)
    goto out;
  fd = open_temp(dfd, it->name, tmp);
  if (fd < 0) {
    report(it->local, -errno, 0);
    goto out;
  }
  have_tmp = 1;
  if (whole) {
    rc = write_all(fd, buf, sn);
    if (rc != 0) {
      if (!interrupted())
        report(it->local, rc, 0);
      goto out;
    }
    copied = sn;
  } else {
    rc = copy_out(f, it->remote, fd, it->local, buf, (int64_t)st->size, NULL, &copied, &nt);
    if (rc != 0) {
      if (rc == STDOUT_GONE)
        report(it->local, -EPIPE, 0);
      goto out; /* copy_out reported it, or it was interrupted */
    }
  }
  if (wt != 0)
    filetime_ts(wt, ts);
  if (fchmod(fd, file_mode()) != 0 || (g->cfg->fsync && fsync(fd) != 0) ||
      (wt != 0 && futimens(fd, ts) != 0)) {
    report(it->local, -errno, 0);
    goto out;
  }
  rc = close(fd);
  fd = -1;
  if (rc != 0) {
    report(it->local, -errno, 0);
    goto out;
  }
  if (interrupted())
    goto out;
  /* Over a symbolic link at the final name, rename replaces the link
   * itself: nothing is written where it points. */
  if (renameat(dfd, tmp, dfd, it->name) != 0) {
    report(it->local, -errno, 0);
    goto out;
  }
  have_tmp = 0;
  if (g->cfg->fsync)
    (void)fsync(dfd); /* durability of the entry only; the data is there */
  pthread_mutex_lock(&g->mu);
  g->files++;
  g->bytes += copied;
  pthread_mutex_unlock(&g->mu);
  ret = 0;

out:
  if (fd >= 0)
    close(fd);
  if (have_tmp)
    (void)unlinkat(dfd, tmp, 0);
  if (dfd >= 0)
    rget_dir_put(g, it->parent);
  free(buf);
  /* A read-only handle's close cannot lose data. */
  if (f != NULL)
    (void)dfsc_close(f, NULL);
  return ret;
}

static void rget_do(struct rget *g, struct rget_item *it);

/* Creates (or merges into) the local directory and opens it without
 * following a symbolic link, lists the remote one and queues (or, with the
 * queue full, handles at once) each entry. Returns 0 or -1 (reported). */
static int rget_dir(struct rget *g, const struct rget_item *it) {
  dfsc_result res = {0};
  dfsc_dir *dir = NULL;
  const dfsc_dirent *e;
  struct rget_dir *d;
  /* The root is LOCAL as given (its parents are the user's to choose);
   * every directory below is relative to its parent's descriptor. */
  int pfd = AT_FDCWD;
  const char *nm = it->parent != NULL ? it->name : it->local;
  int rc, ret = 0, fd = -1;
  struct stat st;

  if (it->depth > RGET_DEPTH_MAX) {
    dfsc__fe_errf("%s: more than %d directory levels (a DFS link cycle?)", it->remote,
                  RGET_DEPTH_MAX);
    return -1;
  }
  d = calloc(1, sizeof(*d));
  if (d == NULL || (d->local = strdup(it->local)) == NULL) {
    free(d);
    report(it->remote, -ENOMEM, 0);
    return -1;
  }
  if (it->parent != NULL) {
    pfd = rget_dir_get(g, it->parent);
    if (pfd < 0)
      goto fail;
  }
  if (mkdirat(pfd, nm, 0777) != 0 && errno != EEXIST) {
    report(it->local, -errno, 0);
    goto fail;
  }
  /* An existing directory is merged into; anything else there, a
   * symbolic link included (O_NOFOLLOW), is not followed. */
  fd = openat(pfd, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    rget_dir_error(pfd, nm, it->local, -errno);
    goto fail;
  }
  if (fstat(fd, &st) != 0) {
    report(it->local, -errno, 0);
    goto fail;
  }
  if (it->parent != NULL)
    rget_dir_put(g, it->parent);
  d->dev = st.st_dev;
  d->ino = st.st_ino;
  d->name = d->local + (nm - it->local);
  d->parent = it->parent;
  d->write_time = it->write_time;
  d->pending = 1;
  pthread_mutex_lock(&g->mu);
  open_add(g, d, fd);
  if (d->parent != NULL)
    d->parent->pending++;
  else
    d->users = 1; /* the root: every reopen starts from it */
  /* Stopped by a limit: the directory was taken before, so it exists,
   * but its listing would only be thrown away. */
  rc = g->limit != NULL;
  pthread_mutex_unlock(&g->mu);
  if (rc) {
    rget_release(g, d, 1);
    return 0;
  }

  rc = dfsc_opendir(g->ctx, it->remote, &dir, &res);
  if (rc != 0) {
    report(it->remote, res_rc(rc, &res), res.ntstatus);
    rget_release(g, d, 0);
    return -1;
  }
  while ((e = dfsc_dir_next(dir)) != NULL && !interrupted()) {
    struct rget_item *c;
    char sep = strchr(it->remote, '/') != NULL ? '/' : '\\';
    size_t llen = strlen(it->local);

    if (!safe_name(e->name)) {
      dfsc__fe_errf("%s%c%s: unsafe name in the listing, skipped", it->remote, sep,
                    e->name);
      rget_failed(g);
      continue;
    }
    /* The server counts up to 255 UTF-16 units, up to 765 bytes here:
     * refused before anything is fetched (or taken from the budgets). */
    if (strlen(e->name) > NAME_MAX) {
      dfsc__fe_errf("%s%c%s: name longer than %d bytes, skipped", it->remote, sep, e->name,
                    NAME_MAX);
      rget_failed(g);
      continue;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL || (c->remote = dfsc__cli_join(it->remote, e->name)) == NULL ||
        asprintf(&c->local, "%s/%s", it->local, e->name) < 0) {
      if (c != NULL && c->remote != NULL)
        free(c->remote);
      free(c);
      report(it->remote, -ENOMEM, 0);
      ret = -1;
      break;
    }
    if (rget_take_entry(g, c->remote) != 0) {
      rget_item_free(c);
      break; /* reported once, by the entry that crossed the limit */
    }
    c->name = c->local + llen + 1;
    c->is_dir = e->st.is_dir;
    c->write_time = e->st.write_time;
    c->size = e->st.size;
    c->depth = it->depth + 1;
    c->parent = d;
    pthread_mutex_lock(&g->mu);
    d->pending++;
    pthread_mutex_unlock(&g->mu);
    if (!dfsc__cli_wq_offer(&g->q, c))
      rget_do(g, c);
  }
  dfsc_dir_free(dir);
  rget_release(g, d, 1);
  return ret;

fail:
  if (fd >= 0)
    close(fd);
  if (pfd >= 0 && it->parent != NULL)
    rget_dir_put(g, it->parent);
  free(d->local);
  free(d);
  return -1;
}

/* Handles one entry and frees it. */
static void rget_do(struct rget *g, struct rget_item *it) {
  int rc = 0;

  if (!interrupted()) {
    rc = it->is_dir ? rget_dir(g, it) : rget_file(g, it);
    if (rc < 0)
      rget_failed(g);
  }
  rget_release(g, it->parent, 1);
  rget_item_free(it);
}

static void rget_item_do(void *arg, void *item) { rget_do(arg, item); }

static void *rget_worker(void *arg) {
  struct rget *g = arg;

  dfsc__cli_wq_work(&g->q, rget_item_do, g);
  return NULL;
}

/* get -r PATH [LOCAL]: the tree under PATH into LOCAL (default: PATH's last
 * component here), cfg->jobs listings and files at once. A PATH that is a
 * file is fetched as plain get does. */
static int get_tree(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, int argc, char **argv) {
  struct rget g;
  struct rget_item *root = NULL, *it;
  dfsc_result res = {0};
  dfsc_stat_t st;
  char *base;
  char *local_shown = NULL;
  size_t len;
  struct rlimit rl;
  int rc;

  if (argc > 2 || (argc == 2 && strcmp(argv[1], "-") == 0)) {
    dfsc__fe_errf("%s", "get -r takes one PATH and an optional LOCAL directory");
    return 2;
  }
  rc = dfsc_stat(ctx, argv[0], &st, &res);
  if (rc != 0) {
    report(argv[0], res_rc(rc, &res), res.ntstatus);
    return 1;
  }
  if (!st.is_dir)
    return get_single(ctx, cfg, argc, argv);

  memset(&g, 0, sizeof(g));
  g.ctx = ctx;
  g.cfg = cfg;
  /* A quarter of the soft limit leaves the rest to the library's sockets,
   * the workers' files and the directories in use. */
  g.fd_cap = RGET_FD_CAP;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      rl.rlim_cur / 4 < g.fd_cap)
    g.fd_cap = rl.rlim_cur / 4 > 0 ? (unsigned)(rl.rlim_cur / 4) : 1;
  root = calloc(1, sizeof(*root));
  if (root == NULL || (root->remote = strdup(argv[0])) == NULL) {
    free(root);
    report(argv[0], -ENOMEM, 0);
    return 1;
  }
  /* "//h/s/dir/" names "//h/s/dir": children get one separator. */
  len = strlen(root->remote);
  while (len > 2 && (root->remote[len - 1] == '/' || root->remote[len - 1] == '\\'))
    root->remote[--len] = '\0';
  /* The server's name of the directory: the local default. */
  base = dfsc__cli_leaf(root->remote);
  if (base == NULL) {
    report(argv[0], -errno, 0);
    rget_item_free(root);
    return 1;
  }
  if (argc < 2 && (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
                   !safe_name(base))) {
    dfsc__fe_errf("%s: no safe directory name in path; give LOCAL", argv[0]);
    free(base);
    rget_item_free(root);
    return 2;
  }
  root->local = strdup(argc == 2 ? argv[1] : base);
  local_shown = strdup(argc == 2 ? argv[1] : base);
  free(base);
  if (root->local == NULL || local_shown == NULL) {
    free(local_shown);
    rget_item_free(root);
    report(argv[0], -ENOMEM, 0);
    return 1;
  }
  len = strlen(root->local);
  while (len > 1 && root->local[len - 1] == '/')
    root->local[--len] = '\0';
  root->is_dir = 1;
  root->write_time = st.write_time;
  pthread_mutex_init(&g.mu, NULL);
  pthread_cond_init(&g.q.cv, NULL);
  dfsc__cli_wq_run(&g.q, &g.mu, RGET_QUEUE_MAX, root, cfg->jobs, rget_worker, &g);
  /* Left by an interruption: dropped without setting times. */
  while ((it = dfsc__cli_wq_pop(&g.q)) != NULL) {
    rget_release(&g, it->parent, 0);
    rget_item_free(it);
  }
  pthread_cond_destroy(&g.q.cv);
  pthread_mutex_destroy(&g.mu);

  if (cfg->json) {
    fputs("{\"path\":", stdout);
    dfsc__fe_json_str(stdout, argv[0]);
    fputs(",\"local\":", stdout);
    dfsc__fe_json_str(stdout, local_shown);
    fprintf(stdout,
            ",\"ok\":%s,\"files\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"up_to_date\":%" PRIu64
            ",\"failed\":%u",
            g.failed == 0 && g.limit == NULL && !interrupted() ? "true" : "false", g.files,
            g.bytes, g.skipped, g.failed);
    if (g.limit != NULL)
      fprintf(stdout, ",\"limit\":\"%s\"",
              strcmp(g.limit, "max-files") == 0 ? "max_files" : "max_bytes");
    fputs("}\n", stdout);
  } else {
    fprintf(stdout,
            "%" PRIu64 " files downloaded (%" PRIu64 " bytes), %" PRIu64
            " up to date, %u failed\n",
            g.files, g.bytes, g.skipped, g.failed);
  }
  free(local_shown);
  return g.failed != 0 || g.limit != NULL || interrupted();
}

/* ---- get of many paths ------------------------------------------------ */

static int is_unc(const char *s) {
  return ((s[0] == '/' || s[0] == '\\') && (s[1] == '/' || s[1] == '\\')) ||
         strncasecmp(s, "smb://", 6) == 0;
}

static int get_path(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, const char *path,
                    int keyed) {
  char *one[1];
  (void)keyed;
  one[0] = (char *)path;
  return get_single(ctx, cfg, 1, one);
}

/* get PATH [LOCAL|-], or get PATH PATH... (each to its last component in the
 * current directory, -j of them at once; with --json an array of the
 * single-get objects in argument order). */
int dfsc__cli_cmd_get(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, int argc,
                      char **argv) {
  struct dfsc__cli_cfg many = *cfg;
  struct job_out *jobs = NULL;
  int status = 0, i;

  (void)file_mode(); /* before any thread */
  if (cfg->recursive)
    return get_tree(ctx, cfg, argc, argv);
  if (argc == 1 || (argc == 2 && !is_unc(argv[1])))
    return get_single(ctx, cfg, argc, argv);
  many.progress = 0; /* one bar cannot show several files */
  if (many.jobs > 1)
    jobs = run_jobs(ctx, &many, argc, argv, 0, get_path);
  if (cfg->json)
    putchar_out('[');
  for (i = 0; i < argc && !interrupted(); i++) {
    if (cfg->json && i > 0)
      putchar_out(',');
    if (jobs != NULL) {
      size_t n = jobs[i].len;
      while (n > 0 && jobs[i].buf[n - 1] == '\n')
        n--;
      if (n > 0)
        fwrite(jobs[i].buf, 1, n, stdout);
      else if (cfg->json)
        fputs("null", stdout);
      status |= jobs[i].done ? jobs[i].status : 1;
    } else {
      FILE *ms;
      char *b = NULL;
      size_t n = 0;
      if (!cfg->json) {
        status |= get_path(ctx, &many, argv[i], 0);
        continue;
      }
      ms = open_memstream(&b, &n);
      if (ms == NULL) {
        status = 1;
        continue;
      }
      cli_out = ms;
      status |= get_path(ctx, &many, argv[i], 0);
      cli_out = NULL;
      fclose(ms);
      while (n > 0 && b[n - 1] == '\n')
        n--;
      fwrite(b, 1, n, stdout);
      free(b);
    }
  }
  if (cfg->json)
    puts_out("]");
  free_jobs(jobs, argc);
  return status | interrupted();
}
