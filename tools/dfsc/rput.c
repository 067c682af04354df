/* dfsc CLI: put -r, a local directory tree uploaded into a remote one.
 *
 * LOCAL's tree goes into PATH (created when missing, merged into when it
 * exists), -j workers taking entries from one bounded queue; with the
 * queue full a worker handles the entry itself. A local directory or file
 * is used only when what opens (O_NOFOLLOW) is what its parent's listing
 * saw (device and inode), so a symbolic link swapped in meanwhile is never
 * followed; symbolic links, devices, sockets and FIFOs in the tree are
 * skipped with a line each. Every file is written under a hidden temporary
 * name beside its final one (".NAME.dfsc-XXXXXX", created exclusively),
 * given the local modification time, closed, and only then renamed over
 * the final name: a final name never holds part of a file, and an
 * interrupted run removes its temporary file. Directory times are set once
 * the whole tree is in, deepest first. --update skips a file whose remote
 * size and modification time (to the second) match, known from one listing
 * of each remote directory that existed, and removes the temporary files
 * an interrupted run left there (remove_leftovers).
 * Does not: delete remote files that LOCAL lacks, follow links, or carry
 * Unix permissions and owners (SMB has neither).
 */
#include <dirent.h>
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
#include <sys/stat.h>
#include <unistd.h>

#include "dfsc/dfsc-sync.h"
#include "dfsc/dfsc.h"

#include "cli.h"

/* Entries waiting for a worker at most; past it the lister handles an
 * entry itself, which bounds the queue's memory whatever the tree. */
#define RPUT_QUEUE_MAX 1024
/* Directory levels below LOCAL at most (no cycle is possible without
 * following links; this bounds the lister's recursion when the queue is
 * full). */
#define RPUT_DEPTH_MAX 256
/* Temporary names tried for one file (the open is exclusive). */
#define RPUT_TMP_TRIES 16
#define RPUT_CHUNK ((size_t)8 << 20)
/* Directories whose times are set at the end, at most. */
#define RPUT_DIRS_MAX 1000000
/* Entries of one remote directory listed for --update, at most: past it
 * the rest are uploaded without the check. */
#define RPUT_REMOTE_MAX 4000000
/* Directory times set at once at the end. */
#define RPUT_TIMES_INFLIGHT 32
/* A name the server may take: at most 255 UTF-16 units; the temporary
 * name adds 13 characters to a cut of it. */
#define RPUT_TMP_BASE (255 - 13)

struct rput_remote {
  char *name;
  uint64_t size, write_time;
  int is_dir;
};

struct rput_item {
  struct rput_item *next;
  char *local;      /* the whole local path */
  char *remote;     /* the whole remote path */
  const char *name; /* the last component, in remote; the root: NULL */
  int is_dir;
  int depth;
  dev_t dev; /* what the parent's listing saw (fstatat, no follow) */
  ino_t ino;
  uint64_t size;
  uint64_t write_time; /* the local mtime as FILETIME */
  /* --update: the remote entry of that name, from its directory's
   * listing (copied: the listing goes with its directory's turn) */
  int have_rem, rem_is_dir;
  uint64_t rem_size, rem_time;
};

struct rput_dt {
  char *remote;
  uint64_t write_time;
  int depth;
};

struct rput {
  dfsc_ctx *ctx;
  const struct dfsc__cli_cfg *cfg;
  pthread_mutex_t mu;
  struct dfsc__cli_wq q;
  unsigned failed;
  uint64_t files, bytes, skipped, others;
  uint64_t leftovers;  /* --update: temporary files of an earlier run removed */
  struct rput_dt *dts; /* directories, for their times at the end */
  size_t ndts, capdts;
  int dts_full;
};

struct rput_listing {
  struct rput_remote *ents;
  size_t n;
};

static int interrupted(void) { return dfsc__cli_signal != 0; }

static void report(const char *name, int rc, uint32_t ntstatus) {
  dfsc__cli_report(name, rc, ntstatus);
}

static int res_rc(long long rc, const dfsc_result *res) {
  return dfsc__cli_res_rc(rc, res);
}

static void rput_failed(struct rput *g) {
  pthread_mutex_lock(&g->mu);
  g->failed++;
  pthread_mutex_unlock(&g->mu);
}

static void item_free(struct rput_item *it) {
  free(it->local);
  free(it->remote);
  free(it);
}

static uint64_t ft_of(const struct timespec *t) {
  return dfsc_filetime_from_unix((int64_t)t->tv_sec, t->tv_nsec);
}

static void listing_free(struct rput_listing *l) {
  size_t i;

  if (l == NULL)
    return;
  for (i = 0; i < l->n; i++)
    free(l->ents[i].name);
  free(l->ents);
  free(l);
}

static int cmp_remote(const void *a, const void *b) {
  return strcasecmp(((const struct rput_remote *)a)->name,
                    ((const struct rput_remote *)b)->name);
}

/* --update: the remote directory's entries, sorted for lookups by name
 * (compared without case, as the server does). NULL when it cannot be
 * listed (then nothing is skipped). */
static struct rput_listing *remote_listing(struct rput *g, const char *remote) {
  dfsc_result res = {0};
  dfsc_dir *dir = NULL;
  const dfsc_dirent *e;
  struct rput_listing *l;
  size_t cap;

  if (dfsc_opendir(g->ctx, remote, &dir, &res) != 0) {
    dfsc__fe_errf("%s: %s: cannot list for --update; its files are all sent", remote,
                  res.err == DFSC_E_NTSTATUS ? dfsc_ntstatus_name(res.ntstatus)
                                             : dfsc_strerror(res.err));
    return NULL;
  }
  cap = dfsc_dir_count(dir);
  if (cap > RPUT_REMOTE_MAX)
    cap = RPUT_REMOTE_MAX;
  l = calloc(1, sizeof(*l));
  if (l == NULL || (l->ents = calloc(cap ? cap : 1, sizeof(*l->ents))) == NULL) {
    free(l);
    dfsc_dir_free(dir);
    return NULL;
  }
  while (l->n < cap && (e = dfsc_dir_next(dir)) != NULL) {
    struct rput_remote *r = &l->ents[l->n];
    if ((r->name = strdup(e->name)) == NULL)
      break;
    r->size = e->st.size;
    r->write_time = e->st.write_time;
    r->is_dir = e->st.is_dir;
    l->n++;
  }
  dfsc_dir_free(dir);
  if (l->n > 0)
    qsort(l->ents, l->n, sizeof(*l->ents), cmp_remote);
  return l;
}

static const struct rput_remote *remote_find(const struct rput_listing *l,
                                             const char *name) {
  struct rput_remote key;

  if (l == NULL || l->n == 0)
    return NULL;
  key.name = (char *)name;
  return bsearch(&key, l->ents, l->n, sizeof(*l->ents), cmp_remote);
}

/* A remote file that --update may leave: the same size, and the same
 * modification time to the second (what every file system here keeps). */
static int up_to_date(const struct rput_item *it) {
  return it->have_rem && !it->rem_is_dir && it->rem_size == it->size &&
         it->rem_time / 10000000u == it->write_time / 10000000u;
}

void dfsc__cli_temp_suffix(char sfx[7]) {
  static const char chars[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  static _Atomic unsigned counter;
  unsigned char r[6];
  int k;

  if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
    /* Only collisions get likelier: an exclusive create refuses them. */
    unsigned c = counter++ * 2654435761u ^ (unsigned)getpid();
    for (k = 0; k < 6; k++)
      r[k] = (unsigned char)(c >> (k * 5));
  }
  for (k = 0; k < 6; k++)
    sfx[k] = chars[r[k] % (sizeof(chars) - 1)];
  sfx[6] = '\0';
}

char *dfsc__cli_temp_path(const char *remote) {
  const char *name = dfsc__cli_basename(remote);
  char sfx[7], *out;
  int blen = (int)dfsc__cli_name_cut(name, RPUT_TMP_BASE);

  if (*name == '\0')
    return NULL;
  dfsc__cli_temp_suffix(sfx);
  if (asprintf(&out, "%.*s.%.*s.dfsc-%s", (int)(name - remote), remote, blen, name, sfx) <
      0)
    return NULL;
  return out;
}

/* Uploads one file. Reports its own failure; returns 0 or -1. */
static int rput_file(struct rput *g, const struct rput_item *it, char **bufp) {
  dfsc_result res = {0};
  dfsc_file *f = NULL;
  struct stat st;
  char *tmp = NULL;
  uint64_t off = 0;
  int fd, rc = 0, i, ret = -1;

  if (g->cfg->update && up_to_date(it)) {
    pthread_mutex_lock(&g->mu);
    g->skipped++;
    pthread_mutex_unlock(&g->mu);
    return 0;
  }
  /* O_NONBLOCK: a FIFO swapped in for the file must not hold the worker
   * (refused below); nothing changes for a regular file. */
  fd = open(it->local, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    report(it->local, -errno, 0);
    return -1;
  }
  if (fstat(fd, &st) != 0) {
    report(it->local, -errno, 0);
    goto out;
  }
  if (!S_ISREG(st.st_mode) || st.st_dev != it->dev || st.st_ino != it->ino) {
    dfsc__fe_errf("%s: changed while the tree was read, skipped", it->local);
    goto out;
  }
  if (*bufp == NULL && (*bufp = malloc(RPUT_CHUNK)) == NULL) {
    report(it->local, -ENOMEM, 0);
    goto out;
  }
  for (i = 0; i < RPUT_TMP_TRIES; i++) {
    free(tmp);
    if ((tmp = dfsc__cli_temp_path(it->remote)) == NULL) {
      rc = -ENOMEM;
      break;
    }
    memset(&res, 0, sizeof(res));
    /* Not deletable while written: see remove_leftovers. */
    rc = dfsc_open(g->ctx, tmp,
                   DFSC_O_WRONLY | DFSC_O_CREAT | DFSC_O_EXCL | DFSC_O_DENY_DELETE, &f,
                   &res);
    rc = rc != 0 ? res_rc(rc, &res) : 0;
    if (!(rc == DFSC_E_NTSTATUS && res.ntstatus == 0xC0000035u)) /* NAME_COLLISION */
      break;
  }
  if (rc != 0) {
    report(it->remote, rc, res.ntstatus);
    free(tmp);
    tmp = NULL; /* never created */
    goto out;
  }
  for (;;) {
    long long n, w;

    if (interrupted())
      goto out;
    n = dfsc__cli_read_full(fd, *bufp, RPUT_CHUNK);
    if (n < 0) {
      report(it->local, (int)n, 0);
      goto out;
    }
    if (n == 0)
      break;
    memset(&res, 0, sizeof(res));
    w = dfsc_write(f, *bufp, (size_t)n, off, &res);
    if (w != n) {
      report(it->remote, w < 0 ? res_rc((int)w, &res) : -EIO, res.ntstatus);
      goto out;
    }
    off += (uint64_t)n;
    if ((size_t)n < RPUT_CHUNK)
      break;
  }
  /* The time after the last write: a write would move it again. */
  memset(&res, 0, sizeof(res));
  if (it->write_time != 0 && (rc = dfsc_set_times(f, 0, it->write_time, &res)) != 0) {
    report(it->remote, res_rc(rc, &res), res.ntstatus);
    goto out;
  }
  if (interrupted())
    goto out;
  /* Renamed through the handle, which no one else can delete or rename:
   * a leftover remover (remove_leftovers) never takes it between the last
   * write and the rename. The local name is the component itself, before
   * any URL encoding. */
  memset(&res, 0, sizeof(res));
  rc = dfsc_rename_open(f, dfsc__cli_basename(it->local), DFSC_RENAME_REPLACE, &res);
  if (rc != 0) {
    report(it->remote, res_rc(rc, &res), res.ntstatus);
    goto out;
  }
  free(tmp);
  tmp = NULL; /* it is the final name now */
  /* The data and the name are the server's now: a close that fails loses
   * nothing (the server closes the handle with the session). */
  (void)dfsc_close(f, NULL);
  f = NULL;
  pthread_mutex_lock(&g->mu);
  g->files++;
  g->bytes += off;
  pthread_mutex_unlock(&g->mu);
  ret = 0;

out:
  if (f != NULL)
    (void)dfsc_close(f, NULL);
  if (tmp != NULL) {
    /* Nothing of a failed or interrupted file stays behind. */
    (void)dfsc_unlink(g->ctx, tmp, NULL);
    free(tmp);
  }
  close(fd);
  return ret;
}

static void rput_do(struct rput *g, struct rput_item *it, char **bufp);

/* Whether name is one of put -r's temporary names: ".X.dfsc-" and six
 * letters or digits. */
static int is_temp_name(const char *name) {
  size_t n = strlen(name), i;

  if (n < 14 || name[0] != '.' || strncmp(name + n - 12, ".dfsc-", 6) != 0)
    return 0;
  for (i = n - 6; i < n; i++)
    if (!((name[i] >= 'A' && name[i] <= 'Z') || (name[i] >= 'a' && name[i] <= 'z') ||
          (name[i] >= '0' && name[i] <= '9')))
      return 0;
  return 1;
}

/* --update: the temporary files an interrupted run left in a directory
 * (killed, or its connection lost) are removed. One being written now, by
 * this run or another, is open without FILE_SHARE_DELETE, so its delete
 * fails with STATUS_SHARING_VIOLATION and it stays, up to its rename,
 * which goes through that same handle (rput_file). */
static void remove_leftovers(struct rput *g, const struct rput_listing *l,
                             const char *remote) {
  size_t i;

  for (i = 0; l != NULL && i < l->n && !interrupted(); i++) {
    char *p;
    if (l->ents[i].is_dir || !is_temp_name(l->ents[i].name))
      continue;
    if ((p = dfsc__cli_join(remote, l->ents[i].name)) == NULL)
      return;
    if (dfsc_unlink(g->ctx, p, NULL) == 0) {
      pthread_mutex_lock(&g->mu);
      g->leftovers++;
      pthread_mutex_unlock(&g->mu);
    }
    free(p);
  }
}

/* Whether a local name can be one remote path component: 0, or -1 (with
 * a line) for a name the server cannot take as it is. (Its URL form, when
 * PATH is an smb:// URL, is dfsc__cli_join's.) */
static int remote_name_ok(const struct rput_item *it, const char *name) {
  if (strchr(name, '\\') != NULL) {
    dfsc__fe_errf("%s/%s: a '\\' in the name is a separator there, skipped", it->local,
                  name);
    return -1;
  }
  return 0;
}

static int cmp_item_name(const void *a, const void *b) {
  return strcmp((*(struct rput_item *const *)a)->local,
                (*(struct rput_item *const *)b)->local);
}

/* Whether the remote directory exists: 1 (a directory), 0 (nothing
 * there), or -1 (reported: something else there, or no answer). */
static int remote_dir_state(struct rput *g, const char *remote) {
  dfsc_result res = {0};
  dfsc_stat_t st;
  int rc = dfsc_stat(g->ctx, remote, &st, &res);

  if (rc == 0 && st.is_dir)
    return 1;
  if (rc == 0) {
    dfsc__fe_errf("%s: exists and is not a directory", remote);
    return -1;
  }
  rc = res_rc(rc, &res);
  if (rc == DFSC_E_NTSTATUS && (res.ntstatus == 0xC0000034u ||
                                res.ntstatus == 0xC000003Au)) /* NAME/PATH_NOT_FOUND */
    return 0;
  report(remote, rc, res.ntstatus);
  return -1;
}

/* Makes the remote directory (or takes the one there), reads the local
 * one through its descriptor into memory (closed before anything else is
 * done, so a deep tree holds no descriptors), then queues (or, with the
 * queue full, handles at once) each entry. Returns 0 or -1 (reported). */
static int rput_dir(struct rput *g, const struct rput_item *it, char **bufp) {
  dfsc_result res = {0};
  struct rput_listing *rl = NULL;
  struct rput_item **kids = NULL;
  size_t nkids = 0, capkids = 0, k;
  struct stat st;
  DIR *dir;
  struct dirent *de;
  int fd, rc, existed, ret = 0;

  if (it->depth > RPUT_DEPTH_MAX) {
    dfsc__fe_errf("%s: more than %d directory levels", it->local, RPUT_DEPTH_MAX);
    return -1;
  }
  /* LOCAL itself may be reached through a link the user named; nothing
   * below it is. */
  fd = open(it->local,
            O_RDONLY | O_DIRECTORY | O_CLOEXEC | (it->name != NULL ? O_NOFOLLOW : 0));
  if (fd < 0) {
    report(it->local, -errno, 0);
    return -1;
  }
  if (fstat(fd, &st) != 0 ||
      (it->name != NULL && (st.st_dev != it->dev || st.st_ino != it->ino))) {
    dfsc__fe_errf("%s: changed while the tree was read, skipped", it->local);
    close(fd);
    return -1;
  }
  /* The root is looked at first: it may be a share itself, which exists
   * and cannot be made. Below it, the parent's listing said (--update), or
   * a mkdir finds out. */
  existed = it->name == NULL ? remote_dir_state(g, it->remote)
            : it->have_rem   ? (it->rem_is_dir ? 1 : -1)
                             : 0;
  if (existed < 0 && it->name != NULL)
    dfsc__fe_errf("%s: exists and is not a directory", it->remote);
  if (existed == 0) {
    rc = dfsc_mkdir(g->ctx, it->remote, &res);
    if (rc != 0 && res_rc(rc, &res) == DFSC_E_NTSTATUS &&
        res.ntstatus == 0xC0000035u) /* STATUS_OBJECT_NAME_COLLISION */
      existed = remote_dir_state(g, it->remote);
    else if (rc != 0) {
      report(it->remote, res_rc(rc, &res), res.ntstatus);
      existed = -1;
    }
  }
  if (existed < 0) {
    close(fd);
    return -1;
  }
  if (g->cfg->update && existed) {
    rl = remote_listing(g, it->remote);
    remove_leftovers(g, rl, it->remote);
  }
  dir = fdopendir(fd);
  if (dir == NULL) {
    report(it->local, -errno, 0);
    close(fd);
    listing_free(rl);
    return -1;
  }
  while (!interrupted()) {
    struct rput_item *c;
    const struct rput_remote *rem;
    struct stat cst;
    size_t rlen = strlen(it->remote);

    errno = 0;
    de = readdir(dir);
    if (de == NULL) {
      if (errno != 0) {
        report(it->local, -errno, 0);
        ret = -1;
      }
      break;
    }
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (fstatat(dirfd(dir), de->d_name, &cst, AT_SYMLINK_NOFOLLOW) != 0) {
      dfsc__fe_errf("%s/%s: %s", it->local, de->d_name, strerror(errno));
      rput_failed(g);
      continue;
    }
    if (!S_ISREG(cst.st_mode) && !S_ISDIR(cst.st_mode)) {
      dfsc__fe_errf("%s/%s: %s, skipped", it->local, de->d_name,
                    S_ISLNK(cst.st_mode) ? "symbolic link" : "not a file or directory");
      pthread_mutex_lock(&g->mu);
      g->others++;
      pthread_mutex_unlock(&g->mu);
      continue;
    }
    if (remote_name_ok(it, de->d_name) < 0) {
      rput_failed(g);
      continue;
    }
    if (nkids == capkids) {
      size_t cap = capkids ? capkids * 2 : 64;
      struct rput_item **nk = realloc(kids, cap * sizeof(*nk));
      if (nk == NULL) {
        report(it->local, -ENOMEM, 0);
        ret = -1;
        break;
      }
      kids = nk;
      capkids = cap;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL || asprintf(&c->local, "%s/%s", it->local, de->d_name) < 0 ||
        (c->remote = dfsc__cli_join(it->remote, de->d_name)) == NULL) {
      if (c != NULL)
        free(c->local);
      free(c);
      report(it->local, -ENOMEM, 0);
      ret = -1;
      break;
    }
    c->name = c->remote + rlen + 1; /* it->remote ends with no separator */
    c->is_dir = S_ISDIR(cst.st_mode);
    c->depth = it->depth + 1;
    c->dev = cst.st_dev;
    c->ino = cst.st_ino;
    c->size = (uint64_t)cst.st_size;
    c->write_time = ft_of(&cst.st_mtim);
    if ((rem = remote_find(rl, de->d_name)) != NULL) {
      c->have_rem = 1;
      c->rem_is_dir = rem->is_dir;
      c->rem_size = rem->size;
      c->rem_time = rem->write_time;
    }
    kids[nkids++] = c;
  }
  closedir(dir);
  listing_free(rl);
  /* In name order, as ls shows them: an interrupted run leaves a prefix. */
  if (nkids > 1)
    qsort(kids, nkids, sizeof(*kids), cmp_item_name);
  for (k = 0; k < nkids; k++) {
    struct rput_item *c = kids[k];
    if (interrupted() || ret < 0) {
      item_free(c);
      continue;
    }
    if (!dfsc__cli_wq_offer(&g->q, c))
      rput_do(g, c, bufp);
  }
  free(kids);
  /* Its time is set at the end, once nothing is added to it. */
  pthread_mutex_lock(&g->mu);
  if (g->ndts == g->capdts && g->ndts < RPUT_DIRS_MAX) {
    size_t cap = g->capdts ? g->capdts * 2 : 64;
    struct rput_dt *d = realloc(g->dts, cap * sizeof(*d));
    if (d != NULL) {
      g->dts = d;
      g->capdts = cap;
    }
  }
  if (g->ndts < g->capdts && (g->dts[g->ndts].remote = strdup(it->remote)) != NULL) {
    g->dts[g->ndts].write_time = it->write_time;
    g->dts[g->ndts].depth = it->depth;
    g->ndts++;
  } else {
    g->dts_full = 1;
  }
  pthread_mutex_unlock(&g->mu);
  return ret;
}

static void rput_do(struct rput *g, struct rput_item *it, char **bufp) {
  if (!interrupted() && (it->is_dir ? rput_dir(g, it, bufp) : rput_file(g, it, bufp)) < 0)
    rput_failed(g);
  item_free(it);
}

/* A worker's state: its file buffer, made at its first file. */
struct rput_worker {
  struct rput *g;
  char *buf;
};

static void rput_item_do(void *arg, void *item) {
  struct rput_worker *w = arg;
  rput_do(w->g, item, &w->buf);
}

static void *rput_worker(void *arg) {
  struct rput_worker w = {arg, NULL};

  dfsc__cli_wq_work(&w.g->q, rput_item_do, &w);
  free(w.buf);
  return NULL;
}

/* ---- directory times, deepest first ------------------------------------ */

struct times_run {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  unsigned inflight;
  unsigned failed;
};

static void times_cb(const dfsc_result *res, void *arg) {
  struct times_run *t = arg;

  if (res->err != 0) {
    report(res->path != NULL ? res->path : "?", res_rc(res->err, res), res->ntstatus);
    __atomic_add_fetch(&t->failed, 1, __ATOMIC_RELAXED);
  }
  pthread_mutex_lock(&t->mu);
  t->inflight--;
  pthread_cond_broadcast(&t->cv);
  pthread_mutex_unlock(&t->mu);
}

static int cmp_depth(const void *a, const void *b) {
  const struct rput_dt *x = a, *y = b;
  return (y->depth > x->depth) - (y->depth < x->depth);
}

/* One round trip each (dfsc_setattr_async), RPUT_TIMES_INFLIGHT at once,
 * deeper directories first so that none is touched after its time is
 * set. Returns the directories that failed. */
static unsigned set_dir_times(struct rput *g) {
  struct times_run t;
  size_t i;
  int last_depth = -1;

  memset(&t, 0, sizeof(t));
  pthread_mutex_init(&t.mu, NULL);
  pthread_cond_init(&t.cv, NULL);
  if (g->ndts > 0)
    qsort(g->dts, g->ndts, sizeof(*g->dts), cmp_depth);
  for (i = 0; i < g->ndts && !interrupted(); i++) {
    int rc;

    if (g->dts[i].write_time == 0)
      continue;
    pthread_mutex_lock(&t.mu);
    /* A level waits for the deeper one: its setattr would otherwise race
     * with theirs (a directory's time moves when an entry in it changes). */
    while (t.inflight >= RPUT_TIMES_INFLIGHT ||
           (t.inflight > 0 && g->dts[i].depth != last_depth))
      pthread_cond_wait(&t.cv, &t.mu);
    last_depth = g->dts[i].depth;
    t.inflight++;
    pthread_mutex_unlock(&t.mu);
    rc = dfsc_setattr_async(g->ctx, g->dts[i].remote, 0, 0, g->dts[i].write_time, times_cb,
                            &t);
    if (rc != 0)
      times_cb(&(dfsc_result){.err = rc, .path = g->dts[i].remote}, &t);
  }
  pthread_mutex_lock(&t.mu);
  while (t.inflight > 0)
    pthread_cond_wait(&t.cv, &t.mu);
  pthread_mutex_unlock(&t.mu);
  pthread_cond_destroy(&t.cv);
  pthread_mutex_destroy(&t.mu);
  return t.failed;
}

int dfsc__cli_put_tree(dfsc_ctx *ctx, const struct dfsc__cli_cfg *cfg, const char *local,
                       const char *path) {
  struct rput g;
  struct rput_item *root, *it;
  struct stat st;
  size_t len, i;
  int ok;

  if (stat(local, &st) != 0) {
    report(local, -errno, 0);
    return 1;
  }
  if (!S_ISDIR(st.st_mode)) {
    dfsc__fe_errf("%s: not a directory (put -r uploads a tree; put a file without -r)",
                  local);
    return 2;
  }
  memset(&g, 0, sizeof(g));
  g.ctx = ctx;
  g.cfg = cfg;
  root = calloc(1, sizeof(*root));
  if (root == NULL || (root->local = strdup(local)) == NULL ||
      (root->remote = strdup(path)) == NULL) {
    if (root != NULL)
      free(root->local);
    free(root);
    report(local, -ENOMEM, 0);
    return 1;
  }
  /* "//h/s/dir/" names "//h/s/dir": children get one separator. */
  len = strlen(root->remote);
  while (len > 2 && (root->remote[len - 1] == '/' || root->remote[len - 1] == '\\'))
    root->remote[--len] = '\0';
  len = strlen(root->local);
  while (len > 1 && root->local[len - 1] == '/')
    root->local[--len] = '\0';
  root->is_dir = 1;
  root->write_time = ft_of(&st.st_mtim);
  pthread_mutex_init(&g.mu, NULL);
  pthread_cond_init(&g.q.cv, NULL);
  dfsc__cli_wq_run(&g.q, &g.mu, RPUT_QUEUE_MAX, root, cfg->jobs, rput_worker, &g);
  while ((it = dfsc__cli_wq_pop(&g.q)) != NULL) /* left by an interruption */
    item_free(it);
  g.failed += set_dir_times(&g);
  if (g.dts_full)
    dfsc__fe_errf("%s: more than %d directories: the times of some were not set", path,
                  RPUT_DIRS_MAX);
  ok = g.failed == 0 && !interrupted();
  if (cfg->json) {
    fputs("{\"local\":", stdout);
    dfsc__fe_json_str(stdout, local);
    fputs(",\"path\":", stdout);
    dfsc__fe_json_str(stdout, path);
    fprintf(stdout,
            ",\"ok\":%s,\"files\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"up_to_date\":%" PRIu64
            ",\"not_regular\":%" PRIu64 ",\"leftovers_removed\":%" PRIu64
            ",\"failed\":%u}\n",
            ok ? "true" : "false", g.files, g.bytes, g.skipped, g.others, g.leftovers,
            g.failed);
  } else {
    fprintf(stdout,
            "%" PRIu64 " files uploaded (%" PRIu64 " bytes), %" PRIu64
            " up to date, %" PRIu64 " not regular files, %u failed\n",
            g.files, g.bytes, g.skipped, g.others, g.failed);
    if (g.leftovers > 0)
      fprintf(stdout, "%" PRIu64 " temporary files of an interrupted run removed\n",
              g.leftovers);
  }
  for (i = 0; i < g.ndts; i++)
    free(g.dts[i].remote);
  free(g.dts);
  pthread_cond_destroy(&g.q.cv);
  pthread_mutex_destroy(&g.mu);
  return ok ? 0 : 1;
}
