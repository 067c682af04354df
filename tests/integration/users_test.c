/* Several identities on one connection (dfsc_ctx_new_user) against Samba
 * (fs1's scratch share), through the public API. On the server's disk a
 * directory only the first user may enter and one only the second may.
 *   - a context of the second user's, made on the first user's context,
 *     reads its own directory and is refused the other; the first user the
 *     reverse; a file it writes is the second user's on the server;
 *   - both ride on one connection, one session each (conns_open 1,
 *     sessions_open 2); a third context with the first user's very
 *     credentials gets a session of its own (3), still one connection;
 *   - a context with a wrong password is refused (STATUS_LOGON_FAILURE) and
 *     an anonymous one is refused the share, while the connection and the
 *     others' sessions carry on (conns_lost 0, the first user still reads);
 *   - freeing a context with an operation in flight and a handle open: the
 *     operation's callback runs once, the handle goes, the parent works on;
 *   - once unused past the idle time the freed contexts' sessions are
 *     logged off alone while the parent keeps its connection busy. */
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfsc/dfsc-sync.h"
#include "dfsc/dfsc.h"
#include "dfsc/errors.h"
#include "testlib.h"

#define ST_ACCESS_DENIED 0xC0000022u
#define ST_LOGON_FAILURE 0xC000006Du

/* The value of "key = value" in an smbclient authentication file. */
static char *auth_get(const char *file, const char *key) {
  FILE *f = fopen(file, "r");
  char line[1024];
  char *res = NULL;
  size_t kl = strlen(key);
  if (f == NULL)
    return NULL;
  while (res == NULL && fgets(line, sizeof(line), f)) {
    char *p = line, *e;
    while (*p == ' ' || *p == '\t')
      p++;
    if (strncmp(p, key, kl) != 0)
      continue;
    p += kl;
    while (*p == ' ' || *p == '\t')
      p++;
    if (*p++ != '=')
      continue;
    while (*p == ' ' || *p == '\t')
      p++;
    e = p + strcspn(p, "\r\n");
    *e = '\0';
    res = strdup(p);
  }
  fclose(f);
  return res;
}

static void put_file(const char *path, const char *text, uid_t uid) {
  FILE *f = fopen(path, "w");
  if (f != NULL) {
    fputs(text, f);
    fclose(f);
  }
  if (chown(path, uid, (gid_t)-1) != 0)
    perror(path);
}

static void get_stats(dfsc_ctx *ctx, dfsc_stats *st) {
  memset(st, 0, sizeof(*st));
  (void)dfsc_stats_get(ctx, st);
}

struct once {
  pthread_mutex_t mu;
  int calls;
  int err;
};

static void once_cb(const dfsc_result *res, void *arg) {
  struct once *o = arg;
  pthread_mutex_lock(&o->mu);
  o->calls++;
  o->err = res->err;
  pthread_mutex_unlock(&o->mu);
}

/* A context of identity user/password (NULL: anonymous) on parent. */
static dfsc_ctx *user_ctx(dfsc_ctx *parent, const char *user, const char *password) {
  dfsc_opts o;
  dfsc_ctx *c = NULL;
  int rc;
  dfsc_opts_init(&o);
  o.user = user;
  o.password = password;
  rc = dfsc_ctx_new_user(parent, &o, &c);
  if (rc != 0)
    fprintf(stderr, "dfsc_ctx_new_user: %s\n", dfsc_strerror(rc));
  return c;
}

int main(void) {
  const char *envf = getenv("DFSC_TESTBED_ENV");
  char *user, *pass, *user2, *auth2, *pass2, *fs1, *scr;
  char dir[700], p1[1024], p2[1024], pb[1100], sub[64];
  struct passwd *pw;
  uid_t uid1, uid2;
  dfsc_opts o;
  dfsc_ctx *ctx = NULL, *b = NULL, *a = NULL, *w = NULL, *n = NULL;
  dfsc_file *fb = NULL;
  dfsc_stat_t sst;
  dfsc_result res;
  dfsc_stats st, st0;
  struct stat ls;
  struct once one;
  double t0;
  int rc, i;

  if (envf == NULL) {
    fprintf(stderr, "DFSC_TESTBED_ENV not set: start the testbed\n");
    return 1;
  }
  user = env_get(envf, "DFSC_TB_USER");
  pass = env_get(envf, "DFSC_TB_PASS");
  user2 = env_get(envf, "DFSC_TB_USER2");
  auth2 = env_get(envf, "DFSC_TB_AUTHFILE2");
  fs1 = env_get(envf, "DFSC_TB_FS1");
  scr = env_get(envf, "DFSC_TB_FS1_SCRATCH_DIR");
  pass2 = auth2 ? auth_get(auth2, "password") : NULL;
  if (user == NULL || pass == NULL || user2 == NULL || pass2 == NULL || fs1 == NULL ||
      scr == NULL) {
    fprintf(stderr, "the testbed's env file lacks the users, fs1 or its scratch dir\n");
    return 1;
  }
  /* getpwnam's answer is overwritten by the next call: the uids are kept. */
  pw = getpwnam(user);
  uid1 = pw ? pw->pw_uid : 0;
  pw = getpwnam(user2);
  uid2 = pw ? pw->pw_uid : 0;
  if (uid1 == 0 || uid2 == 0) {
    fprintf(stderr, "no local accounts %s / %s\n", user, user2);
    return 1;
  }
  /* The two directories, on the server's disk. */
  snprintf(sub, sizeof(sub), "users-%d", (int)getpid());
  snprintf(dir, sizeof(dir), "%s/%s", scr, sub);
  mkdir(dir, 0777);
  chmod(dir, 0777);
  snprintf(p1, sizeof(p1), "%s/only1", dir);
  snprintf(p2, sizeof(p2), "%s/only2", dir);
  mkdir(p1, 0700);
  mkdir(p2, 0700);
  if (chown(p1, uid1, (gid_t)-1) != 0 || chown(p2, uid2, (gid_t)-1) != 0) {
    perror("chown");
    return 1;
  }
  snprintf(pb, sizeof(pb), "%s/f", p1);
  put_file(pb, "one\n", uid1);
  snprintf(pb, sizeof(pb), "%s/f", p2);
  put_file(pb, "two\n", uid2);
  snprintf(p1, sizeof(p1), "//%s/scratch/%s/only1/f", fs1, sub);
  snprintf(p2, sizeof(p2), "//%s/scratch/%s/only2/f", fs1, sub);

  dfsc_opts_init(&o);
  o.user = user;
  o.password = pass;
  o.idle_timeout_ms = 1500;
  if (dfsc_ctx_new(&o, &ctx) != 0) {
    fprintf(stderr, "no context\n");
    return 1;
  }

  /* ---- two users, one connection ---- */
  rc = dfsc_stat(ctx, p1, &sst, &res);
  check(rc == 0, "the first user reads its directory: %d", rc);
  b = user_ctx(ctx, user2, pass2);
  check(b != NULL, "a context for the second user on the first one's");
  if (b == NULL)
    goto out;
  rc = dfsc_stat(b, p2, &sst, &res);
  check(rc == 0, "the second user reads its directory: %d", rc);
  rc = dfsc_stat(b, p1, &sst, &res);
  check(rc == DFSC_E_NTSTATUS && res.ntstatus == ST_ACCESS_DENIED,
        "the second user is refused the first's: STATUS_ACCESS_DENIED (%d 0x%08x)", rc,
        res.ntstatus);
  rc = dfsc_stat(ctx, p2, &sst, &res);
  check(rc == DFSC_E_NTSTATUS && res.ntstatus == ST_ACCESS_DENIED,
        "the first user is refused the second's (%d 0x%08x)", rc, res.ntstatus);
  snprintf(pb, sizeof(pb), "//%s/scratch/%s/b.txt", fs1, sub);
  rc = dfsc_open(b, pb, DFSC_O_RDWR | DFSC_O_CREAT, &fb, NULL);
  check(rc == 0 && dfsc_write(fb, "b\n", 2, 0, NULL) == 2,
        "the second user writes a file (kept open): %d", rc);
  snprintf(pb, sizeof(pb), "%s/b.txt", dir);
  rc = stat(pb, &ls);
  check(rc == 0 && ls.st_uid == uid2,
        "on the server the file is the second user's (uid %d)", (int)ls.st_uid);
  get_stats(ctx, &st);
  check(st.conns_open == 1 && st.sessions_open == 2,
        "one connection, a session per user: conns_open %llu, sessions_open %llu",
        (unsigned long long)st.conns_open, (unsigned long long)st.sessions_open);

  a = user_ctx(ctx, user, pass);
  rc = a ? dfsc_stat(a, p1, &sst, &res) : -1;
  check(rc == 0, "a third context with the first user's credentials reads its directory");
  get_stats(ctx, &st);
  check(st.conns_open == 1 && st.sessions_open == 3,
        "it has a session of its own on the same connection: conns_open %llu, "
        "sessions_open %llu",
        (unsigned long long)st.conns_open, (unsigned long long)st.sessions_open);

  /* ---- refusals that touch nobody else ---- */
  w = user_ctx(ctx, user, "not-the-password");
  rc = w ? dfsc_stat(w, p1, &sst, &res) : -1;
  check(rc == DFSC_E_NTSTATUS && res.ntstatus == ST_LOGON_FAILURE,
        "a wrong password: STATUS_LOGON_FAILURE (%d 0x%08x)", rc, res.ntstatus);
  n = user_ctx(ctx, NULL, NULL);
  rc = n ? dfsc_stat(n, p1, &sst, &res) : -1;
  check(rc != 0, "an anonymous context is refused the share (%s, 0x%08x)",
        dfsc_strerror(rc), res.ntstatus);
  rc = dfsc_stat(ctx, p1, &sst, &res);
  check(rc == 0, "the first user still reads: %d", rc);
  rc = dfsc_stat(b, p2, &sst, &res);
  check(rc == 0, "the second user still reads: %d", rc);
  get_stats(ctx, &st);
  check(st.conns_open == 1 && st.conns_lost == 0,
        "the refusals cost no connection: conns_open %llu, conns_lost %llu",
        (unsigned long long)st.conns_open, (unsigned long long)st.conns_lost);

  /* ---- freeing a context under way ---- */
  memset(&one, 0, sizeof(one));
  pthread_mutex_init(&one.mu, NULL);
  rc = dfsc_stat_async(b, p2, once_cb, &one);
  dfsc_ctx_free(b); /* with fb still open and the stat perhaps in flight */
  b = NULL;
  fb = NULL;
  pthread_mutex_lock(&one.mu);
  check(rc == 0 && one.calls == 1,
        "freed with an operation out: its callback ran once (%d calls, %s)", one.calls,
        dfsc_strerror(one.err));
  pthread_mutex_unlock(&one.mu);
  dfsc_ctx_free(a);
  dfsc_ctx_free(w);
  dfsc_ctx_free(n);
  a = w = n = NULL;
  rc = dfsc_stat(ctx, p1, &sst, &res);
  check(rc == 0, "the parent works on after its users went: %d", rc);

  /* ---- the freed users' sessions go, the connection stays ---- */
  get_stats(ctx, &st0);
  t0 = mono_s();
  for (i = 0; mono_s() - t0 < 15; i++) {
    (void)dfsc_stat(ctx, p1, &sst, NULL); /* keeps the connection in use */
    get_stats(ctx, &st);
    if (st.sessions_open == 1)
      break;
    usleep(300000);
  }
  check(st.sessions_open == 1 && st.conns_open == 1 && st.conns_closed == st0.conns_closed,
        "past the idle time the users' sessions are gone, the parent's connection is "
        "not: sessions_open %llu, conns_open %llu, %.1f s",
        (unsigned long long)st.sessions_open, (unsigned long long)st.conns_open,
        mono_s() - t0);
  check(st.sessions_closed >= st0.sessions_closed + 2,
        "the two set-up sessions were logged off (sessions_closed %llu -> %llu)",
        (unsigned long long)st0.sessions_closed, (unsigned long long)st.sessions_closed);
  rc = dfsc_stat(ctx, p1, &sst, &res);
  check(rc == 0, "and the parent still reads: %d", rc);

out:
  dfsc_ctx_free(b);
  dfsc_ctx_free(a);
  dfsc_ctx_free(w);
  dfsc_ctx_free(n);
  dfsc_ctx_free(ctx);
  snprintf(pb, sizeof(pb), "rm -rf '%s'", dir);
  if (system(pb) != 0)
    fprintf(stderr, "could not remove %s\n", dir);
  free(user);
  free(pass);
  free(user2);
  free(auth2);
  free(pass2);
  free(fs1);
  free(scr);
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
