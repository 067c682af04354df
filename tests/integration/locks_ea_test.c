/* The library's byte-range locks and extended attributes against Samba
 * (fs1's scratch share), through the public API:
 *   - two handles of one file: an exclusive lock through one refuses a
 *     lock through the other (STATUS_LOCK_NOT_GRANTED) and a write into
 *     the range (STATUS_FILE_LOCK_CONFLICT), not one past it; shared locks
 *     share; an unlock frees the range; unlocking what is not locked
 *     succeeds;
 *   - DFSC_LOCK_WAIT: granted once the holder unlocks (from another
 *     thread, 1 s later); ended by the operation deadline (DFSC_E_TIMEDOUT,
 *     after about that deadline) and by dfsc_cancel (DFSC_E_CANCELED), with
 *     lock_waits counted;
 *   - EAs: set, read back, listed, -ERANGE with the length needed, -ENODATA
 *     for a missing name, names compared without regard to case, removal;
 *     invalid names refused before anything is sent. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfsc/dfsc-sync.h"
#include "dfsc/dfsc.h"
#include "dfsc/errors.h"
#include "testlib.h"

#define ST_LOCK_NOT_GRANTED 0xC0000055u
#define ST_FILE_LOCK_CONFLICT 0xC0000054u

struct later {
  dfsc_file *f;
  int rc;
};

/* Unlocks [0, 100) of the holder's handle after a second. */
static void *unlock_later(void *arg) {
  struct later *l = arg;
  usleep(1000000);
  l->rc = dfsc_lock(l->f, 0, 100, DFSC_LOCK_UNLOCK, NULL);
  return NULL;
}

int main(void) {
  const char *envf = getenv("DFSC_TESTBED_ENV");
  char *user, *pass, *fs1, path[512], buf[256];
  dfsc_opts o;
  dfsc_ctx *ctx = NULL;
  dfsc_file *a = NULL, *b = NULL;
  dfsc_result res;
  dfsc_stats st;
  struct later l;
  pthread_t th;
  struct waitres w;
  double t0;
  long long n;
  int rc;

  if (envf == NULL) {
    fprintf(stderr, "DFSC_TESTBED_ENV not set: start the testbed\n");
    return 1;
  }
  user = env_get(envf, "DFSC_TB_USER");
  pass = env_get(envf, "DFSC_TB_PASS");
  fs1 = env_get(envf, "DFSC_TB_FS1");
  if (user == NULL || pass == NULL || fs1 == NULL) {
    fprintf(stderr, "the testbed's env file lacks the user or fs1\n");
    return 1;
  }
  dfsc_opts_init(&o);
  o.user = user;
  o.password = pass;
  if (dfsc_ctx_new(&o, &ctx) != 0) {
    fprintf(stderr, "no context\n");
    return 1;
  }
  snprintf(path, sizeof(path), "//%s/scratch/lkea-%d", fs1, (int)getpid());

  /* ---- locks ---- */
  rc = dfsc_open(ctx, path, DFSC_O_RDWR | DFSC_O_CREAT, &a, NULL);
  check(rc == 0, "open the file (handle a): %d", rc);
  rc = dfsc_open(ctx, path, DFSC_O_RDWR, &b, NULL);
  check(rc == 0, "open it again (handle b): %d", rc);
  if (a == NULL || b == NULL)
    goto out;
  check(dfsc_write(a, "0123456789", 10, 190, NULL) == 10, "200 bytes in the file");
  check(dfsc_lock(a, 0, 100, DFSC_LOCK_EXCLUSIVE, NULL) == 0,
        "a locks [0,100) exclusively");
  rc = dfsc_lock(b, 50, 10, DFSC_LOCK_SHARED, &res);
  check(rc == DFSC_E_NTSTATUS && res.ntstatus == ST_LOCK_NOT_GRANTED,
        "b's lock inside it: STATUS_LOCK_NOT_GRANTED (%d 0x%08x)", rc, res.ntstatus);
  n = dfsc_write(b, "x", 1, 60, &res);
  check(n == DFSC_E_NTSTATUS && res.ntstatus == ST_FILE_LOCK_CONFLICT,
        "b's write inside it: STATUS_FILE_LOCK_CONFLICT (%lld 0x%08x)", n, res.ntstatus);
  check(dfsc_write(b, "y", 1, 150, NULL) == 1, "b's write past it goes through");
  check(dfsc_lock(b, 100, 50, DFSC_LOCK_EXCLUSIVE, NULL) == 0, "b locks [100,150)");
  check(dfsc_lock(b, 100, 50, DFSC_LOCK_UNLOCK, NULL) == 0, "and unlocks it");
  check(dfsc_lock(b, 100, 50, DFSC_LOCK_UNLOCK, NULL) == 0,
        "unlocking it again succeeds (STATUS_RANGE_NOT_LOCKED taken as done)");
  check(dfsc_lock(b, 0, 0, DFSC_LOCK_SHARED, NULL) == -EINVAL &&
            dfsc_lock(b, 0, 1, DFSC_LOCK_SHARED | DFSC_LOCK_EXCLUSIVE, NULL) == -EINVAL,
        "a zero length or two kinds at once: -EINVAL");

  /* Waiting: granted when the holder lets go. */
  l.f = a;
  l.rc = -1;
  pthread_create(&th, NULL, unlock_later, &l);
  t0 = mono_s();
  rc = dfsc_lock(b, 0, 100, DFSC_LOCK_EXCLUSIVE | DFSC_LOCK_WAIT, NULL);
  pthread_join(th, NULL);
  check(rc == 0 && l.rc == 0 && mono_s() - t0 >= 0.8,
        "b's waiting lock is granted once a unlocks, after %.2f s (%d)", mono_s() - t0, rc);
  /* Waiting past the operation deadline. */
  dfsc_set_op_timeout(ctx, 1500);
  t0 = mono_s();
  rc = dfsc_lock(a, 0, 10, DFSC_LOCK_SHARED | DFSC_LOCK_WAIT, NULL);
  check(rc == DFSC_E_TIMEDOUT && mono_s() - t0 >= 1.2 && mono_s() - t0 < 10,
        "a's waiting lock ends at the deadline: DFSC_E_TIMEDOUT after %.2f s (%s)",
        mono_s() - t0, dfsc_err_name(rc));
  dfsc_set_op_timeout(ctx, 0);
  /* Waiting until canceled. */
  pthread_mutex_init(&w.mu, NULL);
  pthread_cond_init(&w.cv, NULL);
  w.left = 1;
  w.err = 1;
  rc = dfsc_lock_async(a, 0, 10, DFSC_LOCK_SHARED | DFSC_LOCK_WAIT, wait_cb, &w);
  check(rc == 0, "a waits for the lock again");
  usleep(300000);
  check(dfsc_cancel(ctx, wait_cb, &w) == 0, "dfsc_cancel");
  rc = wait_left(&w.mu, &w.cv, &w.left, 10);
  check(rc == 0 && w.err == DFSC_E_CANCELED, "the wait ends with DFSC_E_CANCELED (%s)",
        rc == 0 ? dfsc_err_name(w.err) : "no answer");
  memset(&st, 0, sizeof(st));
  rc = dfsc_stats_get(ctx, &st);
  check(rc == 0 && st.lock_waits > 0, "lock_waits counted (%llu)",
        (unsigned long long)st.lock_waits);
  check(dfsc_lock(b, 0, 100, DFSC_LOCK_UNLOCK, NULL) == 0, "b unlocks");
  check(dfsc_lock(a, 0, 10, DFSC_LOCK_SHARED, NULL) == 0 &&
            dfsc_lock(b, 5, 10, DFSC_LOCK_SHARED, NULL) == 0,
        "two shared locks overlap");
  dfsc_close(b, NULL);
  b = NULL;
  check(dfsc_lock(a, 0, 10, DFSC_LOCK_EXCLUSIVE, &res) == DFSC_E_NTSTATUS,
        "an exclusive lock over a's own shared one is refused (SMB: per handle)");

  /* ---- extended attributes ---- */
  check(dfsc_set_ea(ctx, path, "Colour", "blue", 4, NULL) == 0, "set the EA Colour");
  n = dfsc_get_ea(ctx, path, "colour", buf, sizeof(buf), NULL);
  check(n == 4 && memcmp(buf, "blue", 4) == 0, "read back as colour (any case): %lld", n);
  n = dfsc_get_ea(ctx, path, "Colour", NULL, 0, NULL);
  check(n == 4, "its length alone (cap 0): %lld", n);
  n = dfsc_get_ea(ctx, path, "Colour", buf, 2, &res);
  check(n == -ERANGE && res.nbytes == 4, "into 2 bytes: -ERANGE, 4 needed (%lld, %zu)", n,
        res.nbytes);
  check(dfsc_set_ea(ctx, path, "shape", "round", 5, NULL) == 0, "set shape");
  n = dfsc_get_ea(ctx, path, NULL, buf, sizeof(buf), NULL);
  check(n > 0 && memmem(buf, (size_t)n, "shape\0", 6) != NULL &&
            strcasestr(buf, "colour") != NULL,
        "the names listed (%lld bytes)", n);
  n = dfsc_get_ea(ctx, path, "size", buf, sizeof(buf), NULL);
  check(n == -ENODATA, "a missing name: -ENODATA (%lld)", n);
  check(dfsc_set_ea(ctx, path, "shape", NULL, 0, NULL) == 0 &&
            dfsc_get_ea(ctx, path, "shape", buf, sizeof(buf), NULL) == -ENODATA,
        "an empty value removes it");
  check(dfsc_set_ea(ctx, path, "", "x", 1, NULL) == -EINVAL &&
            dfsc_set_ea(ctx, path, "a\tb", "x", 1, NULL) == -EINVAL,
        "an empty name or a control character: -EINVAL");

out:
  if (b != NULL)
    dfsc_close(b, NULL);
  if (a != NULL)
    dfsc_close(a, NULL);
  dfsc_unlink(ctx, path, NULL);
  dfsc_ctx_free(ctx);
  free(user);
  free(pass);
  free(fs1);
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
