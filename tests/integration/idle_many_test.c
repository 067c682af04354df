/* One long-running context touched by 10,000 distinct server identities
 * keeps its memory and open sockets flat after the idle time (issue 11).
 *
 * The servers: tests/integration/idle_server.py, the well-behaved fake
 * server of tests/hostile on 40 ephemeral ports of 127.0.0.1 (a thread per
 * connection; Samba's process per connection costs ~15 ms each here, 150 s
 * for 10,000). The identities: 250 `--resolve` aliases x 40 ports, each
 * (name, port) its own connection and session. They are touched in
 * batches of 50 concurrent stats; the idle time is 500 ms and max_conns is
 * out of the way (100,000), both through dfsc_opts, so only idle close
 * bounds what stays open.
 *
 * Checks: every access succeeds; after the first 1,000 the resident size
 * (after trim(), so that pages glibc caches do not count), the bytes
 * allocated and the open sockets are recorded; at the end, after the idle
 * time, the resident size is within 24 MiB of that figure (in the build
 * without sanitizers: their shadow memory and caches are not handed back), the bytes
 * allocated no more, no socket and no connection is left, and sockets never
 * exceeded a quarter of the identities during the run.
 * DFSC_IDLE_TEST_OFF=1 runs the same with a one-hour idle time: the checks
 * on sockets and connections must then fail (10,000 left open).
 * Prints one line per check and "N passed, N failed". */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dfsc/dfsc.h"
#include "idle_lib.h"
#include "testlib.h"

#define N_ALIASES 250
#define N_PORTS 40
#define N_IDS (N_ALIASES * N_PORTS)
#define BATCH 50
#define IDLE_MS 500
#define RSS_SLACK_KIB (24 * 1024)

#if defined(__SANITIZE_THREAD__)
#define IDLE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define IDLE_TSAN 1
#endif
#endif

/* Hands freed memory back before RSS is read: glibc's caches, and under
 * AddressSanitizer its quarantine (which otherwise holds up to 256 MiB of
 * freed blocks on purpose and makes RSS mean nothing here). */
#if defined(__SANITIZE_ADDRESS__)
void __sanitizer_purge_allocator(void);
static void trim(void) {
  malloc_trim(0);
  __sanitizer_purge_allocator();
}
#else
static void trim(void) { malloc_trim(0); }
#endif

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int pending, n_ok, n_fail;
static int first_err;

static void stat_done(const dfsc_result *res, void *arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  if (res->err == 0) {
    n_ok++;
  } else {
    n_fail++;
    if (first_err == 0)
      first_err = res->err;
  }
  pending--;
  pthread_cond_signal(&cv);
  pthread_mutex_unlock(&mu);
}

/* Bytes the allocator has handed out and not had back: glibc's, or
 * ThreadSanitizer's (glibc's mallinfo2 then says 0 whatever is in use). */
#if defined(IDLE_TSAN)
size_t __sanitizer_get_current_allocated_bytes(void);
static long heap_kib(void) {
  return (long)(__sanitizer_get_current_allocated_bytes() / 1024);
}
#else
static long heap_kib(void) {
  struct mallinfo2 mi = mallinfo2();
  return (long)((mi.uordblks + mi.hblkhd) / 1024);
}
#endif

int main(void) {
  static char names[N_ALIASES][48];
  static const char *resolve[N_ALIASES + 1];
  static char path[BATCH][96];
  uint16_t ports[N_PORTS];
  char dir[] = "/tmp/dfsc-idle-XXXXXX";
  const char *off = getenv("DFSC_IDLE_TEST_OFF");
  unsigned idle = off && *off == '1' ? 3600000u : IDLE_MS;
  dfsc_opts o;
  dfsc_ctx *ctx = NULL;
  dfsc_sl_stats st;
  long rss1 = 0, rss_end, heap1 = 0, heap_end, took;
  int socks1 = 0, socks_end, socks_max = 0;
  uint64_t t0, conns_max = 0;
  pid_t srv;
  int rc, i, k;

  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  srv = idle_server_start(dir, N_PORTS, 0, ports);
  check(srv > 0, "fake servers listen on %d ports of 127.0.0.1", N_PORTS);
  if (srv <= 0)
    return 1;
  for (i = 0; i < N_ALIASES; i++) {
    snprintf(names[i], sizeof(names[i]), "idle%03d:127.0.0.1", i);
    resolve[i] = names[i];
  }
  resolve[N_ALIASES] = NULL;

  dfsc_opts_init(&o);
  o.resolve = resolve;
  o.request_timeout_ms = 20000;
  /* The public knobs; max_conns out of the way: idle close alone must bound
   * what is open. */
  o.idle_timeout_ms = idle;
  o.max_conns = 100000;
  rc = dfsc_ctx_new(&o, &ctx);
  check(rc == 0, "context created (%d)", rc);
  if (rc != 0)
    goto out;
  printf("# idle time %u ms, max_conns 100000 (dfsc_opts)\n", idle);

  t0 = mono_now_ms();
  for (k = 0; k < N_IDS; k += BATCH) {
    pthread_mutex_lock(&mu);
    pending = BATCH;
    pthread_mutex_unlock(&mu);
    for (i = 0; i < BATCH; i++) {
      int id = k + i;
      /* Consecutive ids differ in name: a batch reaches 50 servers. */
      snprintf(path[i], sizeof(path[i]), "smb://idle%03d:%u/data", id % N_ALIASES,
               ports[id / N_ALIASES]);
      rc = dfsc_stat_async(ctx, path[i], stat_done, NULL);
      if (rc < 0) {
        dfsc_result r;
        memset(&r, 0, sizeof(r));
        r.err = rc;
        stat_done(&r, NULL);
      }
    }
    pthread_mutex_lock(&mu);
    while (pending > 0)
      pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    st = sl_stats(ctx);
    if (open_sockets() > socks_max)
      socks_max = open_sockets();
    if (st.conns_open > conns_max)
      conns_max = st.conns_open;
    if (k + BATCH == 1000) {
      /* Free pages the allocator keeps go back first, at both points:
       * what is left resident is what is in use, not what glibc caches. */
      trim();
      heap1 = heap_kib();
      rss1 = rss_kib();
      socks1 = open_sockets();
      printf("# after 1,000: rss %ld KiB, heap %ld KiB, %d sockets, %llu connections, %llu "
             "ms\n",
             rss1, heap1, socks1, (unsigned long long)st.conns_open,
             (unsigned long long)(mono_now_ms() - t0));
    }
  }
  printf("# after %d: rss %ld KiB, %d sockets, %llu connections, %llu ms; most sockets %d, "
         "most connections %llu\n",
         N_IDS, rss_kib(), open_sockets(), (unsigned long long)sl_stats(ctx).conns_open,
         (unsigned long long)(mono_now_ms() - t0), socks_max,
         (unsigned long long)conns_max);
  check(n_ok == N_IDS, "%d distinct identities: %d stats succeed, %d fail (first: %s)",
        N_IDS, n_ok, n_fail, first_err ? dfsc_err_name(first_err) : "none");

  took = wait_conns(ctx, 0, 5 * IDLE_MS + 2000);
  st = sl_stats(ctx);
  trim();
  heap_end = heap_kib();
  rss_end = rss_kib();
  socks_end = open_sockets();
  printf("# idle: rss %ld KiB, heap %ld KiB, %d sockets, %llu connections; closed %llu "
         "trees, %llu sessions, %llu connections\n",
         rss_end, heap_end, socks_end, (unsigned long long)st.conns_open,
         (unsigned long long)st.trees_closed, (unsigned long long)st.sessions_closed,
         (unsigned long long)st.conns_closed);
  check(took >= 0 && st.conns_open == 0, "after the idle time no connection is left (%llu)",
        (unsigned long long)st.conns_open);
  check(socks_end == 0, "and no socket (%d)", socks_end);
  {
    dfsc_stats ps;
    memset(&ps, 0, sizeof(ps));
    rc = dfsc_stats_get(ctx, &ps);
    check(rc == 0 && ps.conns_open == 0 && ps.conns_closed == st.conns_closed &&
              ps.trees_closed == st.trees_closed &&
              ps.sessions_closed == st.sessions_closed,
          "dfsc_stats_get agrees: %llu open, %llu closed",
          (unsigned long long)ps.conns_open, (unsigned long long)ps.conns_closed);
  }
  check(st.conns_closed >= N_IDS && st.sessions_closed >= N_IDS,
        "%llu connections and %llu sessions closed when idle (>= %d)",
        (unsigned long long)st.conns_closed, (unsigned long long)st.sessions_closed, N_IDS);
  /* Open at once: those used within about one idle time, which depends
   * on the rate; a quarter of the identities is far above any rate seen
   * (550 at most here) and far below what accumulates without idle close. */
  check(socks_max <= N_IDS / 4,
        "sockets stayed bounded: at most %d during the run (after 1,000: %d; bound %d)",
        socks_max, socks1, N_IDS / 4);
#if defined(__SANITIZE_ADDRESS__) || defined(IDLE_TSAN)
  /* A sanitizer's shadow memory grows with every address the run touched
   * and is not handed back, and ThreadSanitizer's allocator keeps freed
   * blocks in caches this runtime cannot be asked to release (the end
   * came 10-30 MiB above or below the figure after 1,000, by how many
   * connections were open at once): RSS is judged in the normal build,
   * where this test runs too; the bytes in use are judged here as well. */
  printf("# resident size not judged under a sanitizer: %ld KiB at the end, %ld KiB "
         "after 1,000\n",
         rss_end, rss1);
#else
  check(rss_end <= rss1 + RSS_SLACK_KIB,
        "resident size stayed flat: %ld KiB at the end, %ld KiB after 1,000 (+%ld, bound "
        "+%d)",
        rss_end, rss1, rss_end - rss1, RSS_SLACK_KIB);
#endif
  check(heap_end <= heap1,
        "memory in use fell back: %ld KiB at the end, %ld KiB after 1,000", heap_end,
        heap1);

out:
  dfsc_ctx_free(ctx);
  idle_server_stop(srv);
  rmdir(dir);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
