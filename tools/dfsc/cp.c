/* dfsc CLI: cp SRC DST, a remote file copied to a remote path.
 *
 * When both ends are on one server, through one connection and session
 * (through DFS too: what counts is where the paths land), the server copies
 * the data itself (dfsc_copy_range: FSCTL_SRV_COPYCHUNK_WRITE) and nothing
 * of it crosses the client; otherwise, or when the server has no
 * server-side copy, the data streams through the client. Either way it is
 * written under a hidden temporary name beside DST, opened so that no one
 * else can delete or rename it meanwhile, and renamed over DST only once
 * whole: DST never holds part of a copy.
 * Does not: copy directories, or carry times and attributes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dfsc/dfsc-sync.h"
#include "dfsc/dfsc.h"

#include "cli.h"

#define CP_CHUNK ((size_t)8 << 20)
#define CP_TMP_TRIES 16
#define ST_OBJECT_NAME_COLLISION 0xC0000035u
#define ST_NOT_SUPPORTED 0xC00000BBu
#define ST_INVALID_DEVICE_REQUEST 0xC0000010u

static int interrupted(void) { return dfsc__cli_signal != 0; }

static void report(const char *name, int rc, uint32_t ntstatus) {
  dfsc__cli_report(name, rc, ntstatus);
}

static int res_rc(long long rc, const dfsc_result *res) {
  return dfsc__cli_res_rc(rc, res);
}

/* A refusal after which the copy can still go through the client: not one
 * server and session, or a server without server-side copy. */
static int copy_elsewhere(int rc, uint32_t st) {
  return rc == -EXDEV || (rc == DFSC_E_NTSTATUS &&
                          (st == ST_NOT_SUPPORTED || st == ST_INVALID_DEVICE_REQUEST));
}

/* The path to copy to: DST, or DST/basename(SRC) when DST ends with a
 * separator or is an existing directory. Heap string or NULL (reported). */
static char *cp_target(dfsc_ctx *ctx, const char *src, const char *dst) {
  size_t n = strlen(dst);
  int sep_end = n > 0 && (dst[n - 1] == '/' || dst[n - 1] == '\\');
  dfsc_stat_t st;
  dfsc_result res = {0};
  char *name, *out;

  if (!sep_end && (dfsc_stat(ctx, dst, &st, &res) != 0 || !st.is_dir))
    return strdup(dst);
  name = dfsc__cli_leaf(src);
  out = name != NULL ? dfsc__cli_join(dst, name) : NULL;
  free(name);
  return out;
}

int dfsc__cli_cmd_cp(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, int argc,
                     char **argv) {
  const char *src = argv[0];
  dfsc_file *in = NULL, *out = NULL;
  dfsc_result res = {0};
  char *dst = NULL, *tmp = NULL, *buf = NULL, *fname = NULL;
  uint64_t size, off = 0, server_bytes = 0;
  int rc = 0, i, through = 0, ok = 0;
  uint32_t nt = 0;
  const char *failed = src;

  (void)argc;
  rc = dfsc_open(ctx, src, DFSC_O_RDONLY, &in, &res);
  if (rc != 0) {
    rc = res_rc(rc, &res);
    nt = res.ntstatus;
    goto out;
  }
  if (dfsc_file_stat(in)->is_dir) {
    rc = -EISDIR;
    goto out;
  }
  size = dfsc_file_stat(in)->size;
  failed = argv[1];
  dst = cp_target(ctx, src, argv[1]);
  if (dst == NULL) {
    rc = -ENOMEM;
    goto out;
  }
  failed = dst;
  for (i = 0; i < CP_TMP_TRIES; i++) {
    free(tmp);
    if ((tmp = dfsc__cli_temp_path(dst)) == NULL) {
      rc = -EINVAL;
      break;
    }
    memset(&res, 0, sizeof(res));
    rc =
        dfsc_open(ctx, tmp, DFSC_O_WRONLY | DFSC_O_CREAT | DFSC_O_EXCL | DFSC_O_DENY_DELETE,
                  &out, &res);
    rc = rc != 0 ? res_rc(rc, &res) : 0;
    nt = res.ntstatus;
    if (!(rc == DFSC_E_NTSTATUS && nt == ST_OBJECT_NAME_COLLISION))
      break;
  }
  if (rc != 0) {
    free(tmp);
    tmp = NULL; /* never created */
    goto out;
  }
  while (off < size && !interrupted()) {
    long long n;

    if (!through) {
      memset(&res, 0, sizeof(res));
      n = dfsc_copy_range(in, off, out, off, size - off, &res);
      if (n > 0) {
        off += (uint64_t)n;
        server_bytes += (uint64_t)n;
        continue;
      }
      rc = n < 0 ? res_rc(n, &res) : -EIO;
      nt = res.ntstatus;
      if (!copy_elsewhere(rc, nt))
        goto out;
      dfsc__fe_errf("%s: no server-side copy here (%s): copying through the client", dst,
                    rc == DFSC_E_NTSTATUS ? dfsc_ntstatus_name(nt) : dfsc_strerror(rc));
      rc = 0;
      through = 1;
      if ((buf = malloc(CP_CHUNK)) == NULL) {
        rc = -ENOMEM;
        goto out;
      }
    }
    memset(&res, 0, sizeof(res));
    n = dfsc_read(in, buf, size - off < CP_CHUNK ? (size_t)(size - off) : CP_CHUNK, off,
                  &res);
    if (n <= 0) {
      /* Shorter than at open: the file shrank meanwhile. */
      rc = n < 0 ? res_rc(n, &res) : 0;
      nt = res.ntstatus;
      failed = src;
      if (n == 0)
        break;
      goto out;
    }
    memset(&res, 0, sizeof(res));
    if (dfsc_write(out, buf, (size_t)n, off, &res) != n) {
      rc = res.err != 0 ? res.err : -EIO;
      nt = res.ntstatus;
      goto out;
    }
    off += (uint64_t)n;
  }
  if (interrupted()) {
    rc = -EINTR;
    goto out;
  }
  /* Through the handle no one else can delete or rename. */
  memset(&res, 0, sizeof(res));
  fname = dfsc__cli_leaf(dst);
  rc = fname == NULL ? -errno : fname[0] == '\0' ? -EINVAL : 0;
  if (rc == 0)
    rc = dfsc_rename_open(out, fname, DFSC_RENAME_REPLACE, &res);
  if (rc != 0) {
    rc = res_rc(rc, &res);
    nt = res.ntstatus;
    goto out;
  }
  free(tmp);
  tmp = NULL;                  /* the final name now */
  (void)dfsc_close(out, NULL); /* the data and the name are the server's */
  out = NULL;
  ok = 1;

out:
  if (!ok && rc != -EINTR)
    report(failed, rc != 0 ? rc : -EIO, nt);
  if (out != NULL)
    (void)dfsc_close(out, NULL);
  if (tmp != NULL)
    (void)dfsc_unlink(ctx, tmp, NULL); /* nothing of a failed copy stays */
  if (in != NULL)
    (void)dfsc_close(in, NULL);
  if (cfg->json) {
    fputs("{\"path\":", stdout);
    dfsc__fe_json_str(stdout, src);
    fputs(",\"dest\":", stdout);
    dfsc__fe_json_str(stdout, dst != NULL ? dst : argv[1]);
    fprintf(stdout, ",\"ok\":%s,\"bytes\":%" PRIu64 ",\"server_side_bytes\":%" PRIu64 "}\n",
            ok ? "true" : "false", off, server_bytes);
  }
  free(tmp);
  free(dst);
  free(buf);
  free(fname);
  return ok ? 0 : 1;
}
