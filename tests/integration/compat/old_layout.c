/* A program built against an OLDER libdfsc header, run against the
 * installed library (t_compat.sh): the growth rule of include/dfsc/dfsc.h.
 *
 * struct old_opts is dfsc_opts as its first layout had it (through
 * log_level, without idle_timeout_ms and max_conns); struct old_stats is
 * dfsc_stats before the live-operation counters (ops_live_hwm,
 * ops_rejected). Both are placed where the library cannot go past them
 * unseen: the options end at a page followed by a PROT_NONE page (a read
 * past them faults), the counters are followed by a canary.
 *
 * Modes:
 *   ok2 USER PASS PATH [NAME:ADDR...]  the same with the second layout
 *                      (through max_conns, before the Kerberos options).
 *   ok3 USER PASS PATH [NAME:ADDR...]  the same with the third layout
 *                      (through hardened_paths, before the reconnect ones).
 *   ok USER PASS PATH [NAME:ADDR...]  old options create a context, a stat
 *                      of PATH succeeds, old counters are filled (size
 *                      says how much), the canary is intact. Exit 0.
 *   nosize-opts        the same options claiming this header's size, as a
 *                      library without the size rule would read them: the
 *                      read crosses into the guard page (SIGSEGV).
 *   nosize-stats       the counters filled at this header's size, as a
 *                      library without the size rule would: exit 4 (canary
 *                      overwritten).
 *   newer              a caller with a LARGER struct than this library
 *                      knows: -E2BIG when it sets the unknown field, 0 when
 *                      it leaves it zero.
 */
#include <dfsc/dfsc-sync.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The first layout's fields (through log_level). */
#define FIRST_LAYOUT_FIELDS                                                                \
  size_t size;                                                                             \
  const char *user;                                                                        \
  const char *domain;                                                                      \
  const char *password;                                                                    \
  const char *workstation;                                                                 \
  int guest_ok;                                                                            \
  uint16_t min_dialect;                                                                    \
  uint16_t max_dialect;                                                                    \
  int sign;                                                                                \
  int encrypt;                                                                             \
  const char *ciphers;                                                                     \
  const char *const *cred_servers;                                                         \
  const char *const *resolve;                                                              \
  uint16_t port;                                                                           \
  unsigned connect_timeout_ms;                                                             \
  unsigned setup_timeout_ms;                                                               \
  unsigned request_timeout_ms;                                                             \
  unsigned lookup_workers;                                                                 \
  unsigned max_connects;                                                                   \
  int referral_ex;                                                                         \
  const char *site;                                                                        \
  unsigned max_referrals;                                                                  \
  unsigned max_referrals_per_server;                                                       \
  unsigned submit_queue_max;                                                               \
  unsigned referral_queue_max;                                                             \
  unsigned lookup_queue_max;                                                               \
  unsigned max_io_window;                                                                  \
  dfsc_log_cb log_cb;                                                                      \
  void *log_arg;                                                                           \
  int log_level;

struct old_opts {
  FIRST_LAYOUT_FIELDS
};

/* The second layout: the first plus idle close (through max_conns), before
 * the Kerberos options. */
struct mid_opts {
  FIRST_LAYOUT_FIELDS
  unsigned idle_timeout_ms;
  unsigned max_conns;
};

/* The third layout: through hardened_paths (Kerberos), before the
 * reconnect options. */
struct krb_opts {
  FIRST_LAYOUT_FIELDS
  unsigned idle_timeout_ms;
  unsigned max_conns;
  int kerberos;
  int ntlm_off;
  const char *ccache;
  const char *keytab;
  unsigned auth_workers;
  unsigned auth_queue_max;
  const char *const *hardened_paths;
};

struct old_stats {
  size_t size;
  uint64_t referrals_sent, referrals_coalesced, referrals_queued, referrals_failed,
      referral_queue_hwm, failovers, referral_loops;
  uint64_t conn_setups_started, conn_setups_coalesced, conn_setups_failed,
      conn_setups_queued, sessions_started, trees_started;
  uint64_t requests_sent, credit_waits, deadlines_hit;
  uint64_t submit_queue_hwm, lookup_queue_hwm, lookup_busy_hwm, lookup_rejected,
      loop_iterations;
  uint64_t names_dropped;
};

/* The copies are true prefixes of the current header's structs. */
#define SAME(t, o, f) _Static_assert(offsetof(t, f) == offsetof(o, f), #f " moved")
SAME(dfsc_opts, struct old_opts, user);
SAME(dfsc_opts, struct old_opts, resolve);
SAME(dfsc_opts, struct old_opts, max_io_window);
SAME(dfsc_opts, struct old_opts, log_level);
SAME(dfsc_stats, struct old_stats, requests_sent);
SAME(dfsc_stats, struct old_stats, names_dropped);
_Static_assert(sizeof(struct old_opts) < sizeof(dfsc_opts), "old options are smaller");
_Static_assert(offsetof(dfsc_opts, max_conns) == offsetof(struct mid_opts, max_conns),
               "max_conns moved");
_Static_assert(sizeof(struct mid_opts) < sizeof(dfsc_opts),
               "second-layout options are smaller");
_Static_assert(offsetof(dfsc_opts, hardened_paths) ==
                   offsetof(struct krb_opts, hardened_paths),
               "hardened_paths moved");
_Static_assert(sizeof(struct krb_opts) < sizeof(dfsc_opts),
               "third-layout options are smaller");
_Static_assert(sizeof(struct old_stats) < sizeof(dfsc_stats), "old counters are smaller");

#define CANARY 0xA5

struct stats_box {
  struct old_stats st;
  unsigned char canary[sizeof(dfsc_stats)];
};

/* Options of `size` bytes ending exactly at a page followed by an
 * inaccessible one. */
static void *guarded(size_t size) {
  long pg = sysconf(_SC_PAGESIZE);
  char *p = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
  if (p == MAP_FAILED || mprotect(p + pg, (size_t)pg, PROT_NONE) != 0) {
    perror("mmap");
    exit(3);
  }
  return p + pg - size;
}

static struct old_opts *guarded_opts(void) { return guarded(sizeof(struct old_opts)); }

static int canary_ok(const struct stats_box *b) {
  size_t i;
  for (i = 0; i < sizeof b->canary; i++)
    if (b->canary[i] != CANARY)
      return 0;
  return 1;
}

int main(int argc, char **argv) {
  const char *resolve[17];
  struct old_opts *o = guarded_opts();
  struct stats_box box;
  dfsc_ctx *ctx;
  dfsc_stat_t st;
  dfsc_result res;
  char msg[512];
  int rc, i;

  if (argc < 2)
    return 2;
  /* The old header's dfsc_opts_init: its own sizeof. */
  dfsc_opts_init_sized((dfsc_opts *)o, sizeof *o);
  if (o->size != sizeof *o)
    return 3;
  if (strcmp(argv[1], "newer") == 0) {
    /* A program built against a later header: one more option. */
    struct {
      dfsc_opts cur;
      uint64_t later_option;
    } big;
    dfsc_opts_init_sized(&big.cur, sizeof big);
    big.later_option = 1;
    rc = dfsc_ctx_new(&big.cur, &ctx);
    printf("unknown option set: %s\n", rc == -E2BIG ? "E2BIG" : dfsc_strerror(rc));
    if (rc == 0)
      dfsc_ctx_free(ctx);
    if (rc != -E2BIG)
      return 1;
    big.later_option = 0;
    rc = dfsc_ctx_new(&big.cur, &ctx);
    printf("unknown option zero: %s\n", rc == 0 ? "ok" : dfsc_strerror(rc));
    if (rc != 0)
      return 1;
    dfsc_ctx_free(ctx);
    return 0;
  }
  if (strcmp(argv[1], "nosize-opts") == 0) {
    o->size = sizeof(dfsc_opts);
    rc = dfsc_ctx_new((dfsc_opts *)o, &ctx);
    printf("read past the old options unseen (%d)\n", rc);
    if (rc == 0)
      dfsc_ctx_free(ctx);
    return 0;
  }
  if (strcmp(argv[1], "ok2") == 0) {
    /* The second layout: its idle close options are read, the Kerberos
     * ones after them are not (the guard page would fault). */
    struct mid_opts *m = guarded(sizeof *m);
    if (argc < 5 || argc > 5 + 16)
      return 2;
    dfsc_opts_init_sized((dfsc_opts *)m, sizeof *m);
    m->user = argv[2];
    m->password = argv[3];
    m->idle_timeout_ms = 30000;
    m->max_conns = 64;
    for (i = 5; i < argc; i++)
      resolve[i - 5] = argv[i];
    resolve[argc - 5] = NULL;
    m->resolve = resolve;
    rc = dfsc_ctx_new((dfsc_opts *)m, &ctx);
    if (rc != 0) {
      fprintf(stderr, "ctx_new with the second layout: %s\n", dfsc_strerror(rc));
      return 1;
    }
    rc = dfsc_stat(ctx, argv[4], &st, &res);
    if (rc != 0)
      fprintf(stderr, "%s\n", dfsc_result_str(&res, msg, sizeof msg));
    else
      printf("second layout: size %llu\n", (unsigned long long)st.size);
    dfsc_ctx_free(ctx);
    return rc != 0;
  }
  if (strcmp(argv[1], "ok3") == 0) {
    /* The third layout: its Kerberos options are read, the reconnect ones
     * after them are not (the guard page would fault). */
    struct krb_opts *k = guarded(sizeof *k);
    if (argc < 5 || argc > 5 + 16)
      return 2;
    dfsc_opts_init_sized((dfsc_opts *)k, sizeof *k);
    k->user = argv[2];
    k->password = argv[3];
    k->kerberos = DFSC_KERBEROS_OFF;
    k->auth_workers = 1;
    for (i = 5; i < argc; i++)
      resolve[i - 5] = argv[i];
    resolve[argc - 5] = NULL;
    k->resolve = resolve;
    rc = dfsc_ctx_new((dfsc_opts *)k, &ctx);
    if (rc != 0) {
      fprintf(stderr, "ctx_new with the third layout: %s\n", dfsc_strerror(rc));
      return 1;
    }
    rc = dfsc_stat(ctx, argv[4], &st, &res);
    if (rc != 0)
      fprintf(stderr, "%s\n", dfsc_result_str(&res, msg, sizeof msg));
    else
      printf("third layout: size %llu\n", (unsigned long long)st.size);
    dfsc_ctx_free(ctx);
    return rc != 0;
  }
  if (strcmp(argv[1], "ok") == 0) {
    if (argc < 5 || argc > 5 + 16)
      return 2;
    o->user = argv[2];
    o->password = argv[3];
    for (i = 5; i < argc; i++)
      resolve[i - 5] = argv[i];
    resolve[argc - 5] = NULL;
    o->resolve = resolve;
  }
  rc = dfsc_ctx_new((dfsc_opts *)o, &ctx);
  if (rc != 0) {
    fprintf(stderr, "ctx_new with the old options: %s\n", dfsc_strerror(rc));
    return 1;
  }
  if (strcmp(argv[1], "ok") == 0) {
    rc = dfsc_stat(ctx, argv[4], &st, &res);
    if (rc != 0) {
      fprintf(stderr, "%s\n", dfsc_result_str(&res, msg, sizeof msg));
      dfsc_ctx_free(ctx);
      return 1;
    }
    printf("size %llu\n", (unsigned long long)st.size);
  }
  memset(&box, CANARY, sizeof box);
  /* The old header's dfsc_stats_get macro passed its own sizeof; a
   * library without the size rule writes its whole struct. */
  rc = dfsc_stats_get_sized(ctx, (dfsc_stats *)&box.st,
                            strcmp(argv[1], "nosize-stats") == 0 ? sizeof(dfsc_stats)
                                                                 : sizeof box.st);
  dfsc_ctx_free(ctx);
  if (rc != 0)
    return 1;
  printf("stats size %zu of %zu, requests %llu, canary %s\n", box.st.size, sizeof box.st,
         (unsigned long long)box.st.requests_sent,
         canary_ok(&box) ? "intact" : "overwritten");
  if (!canary_ok(&box))
    return 4;
  return box.st.size == sizeof box.st ? 0 : 1;
}
