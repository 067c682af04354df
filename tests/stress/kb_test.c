/* The KB scenario against the real testbed (issue 4, docs/progress.md):
 * thousands of concurrent first-time accesses over hundreds of uncached DFS
 * links whose targets sit on three servers behind relays that add a delay
 * to every round trip, with every lane of size 1, one referral in flight
 * and one connection setup in flight. The Windows Server 2003 client
 * deadlocked on this; dfsc must finish every access, or fail it with a
 * clear error, within a deadline derived from the work.
 *
 *   kb_test [burst|dead|hung|cycle|sync|failover|syncfail|mute|krbslow|krbhung]
 *           [ACCESSES]
 *
 * burst: every access succeeds. dead: every link's only target refuses
 * connections: every access fails with a clear error. hung: a third of the
 * links point at a server that accepts TCP and never answers: those fail
 * by their deadline, the rest succeed. cycle: every access goes through a
 * referral loop and fails with DFSC_E_LOOP. sync: the burst through the
 * blocking API from 64 caller threads. failover: every link's first two
 * targets refuse connections and its third serves: every access succeeds,
 * and each link's hint moves at most twice. syncfail: the same links
 * through the blocking API from 64 caller threads. mute: every link's only target
 * answers NEGOTIATE and then never finishes SESSION_SETUP: every access
 * fails with a named error by the setup deadline. krbslow and krbhung: the
 * same burst with Kerberos over the AD members, the KDC slowed or hung
 * (kb_krb.c).
 * Prints one line per check, the counters, time and peak RSS, and
 * "N passed, N failed". */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "../integration/testlib.h"
#include "dfsc/dfsc-sync.h"
#include "dfsc/dfsc.h"

struct batch {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int left, ok, err, loops, named;
  int calls;
};

static void count_cb(const dfsc_result *res, void *arg) {
  struct batch *b = arg;
  pthread_mutex_lock(&b->mu);
  b->calls++;
  if (res->err == 0) {
    b->ok++;
  } else {
    b->err++;
    if (res->err == DFSC_E_LOOP)
      b->loops++;
    /* A clear error: a path and a name for it (an NTSTATUS or an errno). */
    if (res->path != NULL && strncmp(dfsc_err_name(res->err), "E?", 2) != 0)
      b->named++;
  }
  if (--b->left == 0)
    pthread_cond_broadcast(&b->cv);
  pthread_mutex_unlock(&b->mu);
}

static const char *files[10] = {"hello.txt", "odd.bin",    "big.bin", "empty.txt",
                                "Grüße.txt", "many",       "a",       "space name.txt",
                                "日本語",    "emoji-😀.txt"};

static void make_path(char *buf, size_t cap, const char *mode, int i, int links) {
  if (strcmp(mode, "dead") == 0)
    snprintf(buf, cap, "//dfsroot/dfs/deadlinks/L%03d/%s", i % 64, files[(i / 64) % 10]);
  else if (strcmp(mode, "failover") == 0)
    snprintf(buf, cap, "//dfsroot/dfs/faillinks/L%03d/%s", i % 64, files[(i / 64) % 10]);
  else if (strcmp(mode, "mute") == 0)
    snprintf(buf, cap, "//dfsroot/dfs/mutelinks/L%03d/%s", i % 64, files[(i / 64) % 10]);
  else if (strcmp(mode, "hung") == 0)
    snprintf(buf, cap, "//dfsroot/dfs/hung/L%03d/%s", i % links, files[(i / links) % 10]);
  else if (strcmp(mode, "cycle") == 0)
    snprintf(buf, cap, "//dfsroot/dfs/loop/d%d/%s", i % links, files[(i / links) % 10]);
  else
    snprintf(buf, cap, "//dfsroot/dfs/stress/L%03d/%s", i % links, files[(i / links) % 10]);
}

struct sync_arg {
  dfsc_ctx *ctx;
  const char *mode; /* make_path's */
  int first, n, links, ok;
};

static void *sync_thread(void *p) {
  struct sync_arg *a = p;
  char path[512];
  int i;
  for (i = a->first; i < a->first + a->n; i++) {
    dfsc_stat_t st;
    dfsc_result res;
    make_path(path, sizeof(path), a->mode, i, a->links);
    if (dfsc_stat(a->ctx, path, &st, &res) == 0)
      a->ok++;
  }
  return NULL;
}

int kb_krb_main(const char *mode, int n); /* kb_krb.c: the Kerberos variants */

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "burst";
  int n = argc > 2 ? atoi(argv[2]) : 4096;
  const char *envf = getenv("DFSC_TESTBED_ENV");
  char *user, *pass, *rargs, *nl, *ms_s;
  int links, servers = 3, i, left;
  double rtt, t0, elapsed, bound;
  dfsc_opts o;
  dfsc_ctx *ctx = NULL;
  dfsc_stats st;
  struct batch b;
  struct rusage ru;
  char path[512];

  if (strncmp(mode, "krb", 3) == 0)
    return kb_krb_main(mode, n);
  if (envf == NULL) {
    fprintf(stderr, "DFSC_TESTBED_ENV not set: start the testbed\n");
    return 1;
  }
  user = env_get(envf, "DFSC_TB_USER");
  pass = env_get(envf, "DFSC_TB_PASS");
  rargs = env_get(envf, "DFSC_TB_RESOLVE_ARGS");
  nl = env_get(envf, "DFSC_TB_STRESS_LINKS");
  ms_s = env_get(envf, "DFSC_TB_STRESS_MS_EACH_WAY");
  if (!user || !pass || !rargs || !nl || !ms_s || n < 1) {
    fprintf(stderr, "testbed without the stress namespace\n");
    return 1;
  }
  links = atoi(nl);
  rtt = 2 * atof(ms_s) / 1000.0;

  dfsc_opts_init(&o);
  o.user = user;
  o.password = pass;
  o.resolve = resolve_list(rargs);
  /* The KB conditions: every lane of size 1, one referral in flight, one
   * connection setup in flight. */
  o.lookup_workers = 1;
  o.max_referrals = 1;
  o.max_referrals_per_server = 1;
  o.max_connects = 1;
  /* Deadlines that a hung server meets. */
  o.connect_timeout_ms = 5000;
  o.setup_timeout_ms = 5000;
  o.request_timeout_ms = 5000;
  /* mute: a request deadline far past the setup deadline, so only the
   * setup deadline (which covers every round of session setup) can end
   * the accesses in time. */
  if (strcmp(mode, "mute") == 0)
    o.request_timeout_ms = 60000;
  check(dfsc_ctx_new(&o, &ctx) == 0, "context: lanes 1, referrals 1, setups 1");
  if (ctx == NULL)
    return 1;

  /* The deadline (docs/progress.md): every server's setup in turn (at most
   * 8 round trips each: connect, negotiate, two session setups, two tree
   * connects, a root referral), every link's referral in turn (one round
   * trip to the root, plus the operation that got PATH_NOT_COVERED), then
   * the accesses themselves (pipelined, a few round trips each in the
   * worst case), plus one setup deadline per hung or dead server wave;
   * doubled for a loaded machine. */
  bound = 2.0 * ((servers + 1) * 8 * rtt + links * 2 * (rtt + 0.005) + 4 * rtt +
                 (strcmp(mode, "hung") == 0 || strcmp(mode, "dead") == 0 ||
                          strcmp(mode, "failover") == 0 || strcmp(mode, "mute") == 0
                      ? 3 * 5.0
                      : 0) +
                 5.0);

  t0 = mono_s();
  if (strcmp(mode, "sync") == 0 || strcmp(mode, "syncfail") == 0) {
    pthread_t th[64];
    struct sync_arg a[64];
    int per = n / 64, ok = 0;
    for (i = 0; i < 64; i++) {
      a[i].ctx = ctx;
      a[i].mode = strcmp(mode, "sync") == 0 ? "burst" : "failover";
      a[i].first = i * per;
      a[i].n = per;
      a[i].links = links;
      a[i].ok = 0;
      pthread_create(&th[i], NULL, sync_thread, &a[i]);
    }
    for (i = 0; i < 64; i++) {
      pthread_join(th[i], NULL);
      ok += a[i].ok;
    }
    elapsed = mono_s() - t0;
    check(ok == per * 64, "%s: %d of %d stats from 64 caller threads succeed", mode, ok,
          per * 64);
  } else {
    memset(&b, 0, sizeof(b));
    pthread_mutex_init(&b.mu, NULL);
    pthread_cond_init(&b.cv, NULL);
    b.left = n;
    for (i = 0; i < n; i++) {
      make_path(path, sizeof(path), mode, i, links);
      if (dfsc_stat_async(ctx, path, count_cb, &b) != 0)
        count_cb(&(dfsc_result){.err = -1, .path = "submit"}, &b);
    }
    left = wait_left(&b.mu, &b.cv, &b.left, bound);
    elapsed = mono_s() - t0;
    check(left == 0, "%s: all %d accesses answered (%d left) within %.1f s", mode, n, left,
          bound);
    if (strcmp(mode, "burst") == 0) {
      check(b.ok == n, "burst: zero errors (%d ok, %d failed)", b.ok, b.err);
    } else if (strcmp(mode, "failover") == 0) {
      check(b.ok == n,
            "failover: every access reaches the live third target (%d ok, %d failed)", b.ok,
            b.err);
    } else if (strcmp(mode, "mute") == 0) {
      /* The 64 links' referrals in turn, then one setup deadline (5 s) per
       * wave of accesses that joined one attempt; two waves at most,
       * doubled for a loaded machine: far below the 60 s request deadline. */
      double mute_bound = 2.0 * (64 * 2 * (rtt + 0.005) + 2 * 5.0);
      check(b.err == n && b.named == n,
            "mute: every access failed with a named error by the setup deadline (%d)",
            b.err);
      check(elapsed <= mute_bound,
            "mute: %.2f s within %.1f s (setup deadline 5 s, request 60 s)", elapsed,
            mute_bound);
    } else if (strcmp(mode, "dead") == 0) {
      check(b.err == n && b.named == n, "dead: every access failed with a named error (%d)",
            b.err);
    } else if (strcmp(mode, "hung") == 0) {
      int hung = 0;
      for (i = 0; i < n; i++)
        if ((i % links) % 3 == 0)
          hung++;
      check(b.ok == n - hung, "hung: the %d accesses to live targets succeed (%d ok)",
            n - hung, b.ok);
      check(b.err == hung, "hung: the %d accesses to the hung server fail by deadline (%d)",
            hung, b.err);
    } else if (strcmp(mode, "cycle") == 0) {
      check(b.loops == n, "cycle: every access ends with DFSC_E_LOOP (%d)", b.loops);
    }
  }
  check(elapsed <= bound, "%s: %.2f s within the bound %.1f s", mode, elapsed, bound);

  if (dfsc_stats_get(ctx, &st) == 0) {
    printf(
        "# referrals sent %llu coalesced %llu queued %llu (queue hwm %llu), setups "
        "started %llu coalesced %llu queued %llu failed %llu, deadlines %llu, "
        "failovers %llu, requests %llu, submit queue hwm %llu\n",
        (unsigned long long)st.referrals_sent, (unsigned long long)st.referrals_coalesced,
        (unsigned long long)st.referrals_queued, (unsigned long long)st.referral_queue_hwm,
        (unsigned long long)st.conn_setups_started,
        (unsigned long long)st.conn_setups_coalesced,
        (unsigned long long)st.conn_setups_queued,
        (unsigned long long)st.conn_setups_failed, (unsigned long long)st.deadlines_hit,
        (unsigned long long)st.failovers, (unsigned long long)st.requests_sent,
        (unsigned long long)st.submit_queue_hwm);
    if (strcmp(mode, "failover") == 0 || strcmp(mode, "syncfail") == 0) {
      int used = n < 64 ? n : 64;
      check(st.failovers <= 2 * (uint64_t)used,
            "%s: the hints moved %llu times, at most twice per link (%d links)", mode,
            (unsigned long long)st.failovers, used);
    }
    if (strcmp(mode, "burst") == 0 || strcmp(mode, "sync") == 0) {
      int used = n < links ? n : links;
      check(st.referrals_sent <= (uint64_t)used + 1,
            "referrals sent %llu <= distinct links %d + the root",
            (unsigned long long)st.referrals_sent, used);
      check(st.conn_setups_started <= (uint64_t)servers + 1 + st.failovers,
            "connection setups %llu <= servers %d + root + failovers %llu",
            (unsigned long long)st.conn_setups_started, servers,
            (unsigned long long)st.failovers);
    }
  }
  getrusage(RUSAGE_SELF, &ru);
  printf(
      "# %s: %d accesses over %d links in %.2f s, peak RSS %ld KiB (%.1f KiB per access)\n",
      mode, n, links, elapsed, ru.ru_maxrss, (double)ru.ru_maxrss / n);
  dfsc_ctx_free(ctx);
  free(user);
  free(pass);
  free(rargs);
  free(nl);
  free(ms_s);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
