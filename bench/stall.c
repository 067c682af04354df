/* bench_stall: how long a small operation on one server waits while the
 * same context streams a large read from another, both on the one loop
 * thread that also signs, decrypts and verifies every message (issue 16,
 * item 3: "a small stat on server B while server A streams an encrypted
 * 1 GiB read -- its latency with and without").
 *
 *   bench_stall [--encrypt] [--sign] [--user U] [--domain D]
 *               [--resolve NAME:ADDR]... [--ops N] [--interval-ms M]
 *               [--seconds S] BIG STAT
 *
 * The password comes from the environment (DFSC_PASSWORD). BIG is read
 * over and over (8 MiB reads, 8 MiB in flight, the CLI's window) while
 * STAT is stat'ed N times, M ms apart; the same N stats run first with
 * nothing else going on. Prints one JSON object: each phase's latency
 * percentiles in microseconds and the stream's MB/s. Every loop is bounded
 * by N, by S seconds and by the library's deadlines. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dfsc/dfsc-sync.h"
#include "dfsc/dfsc.h"

#define CHUNK (8u << 20)
#define MAX_RESOLVE 64
#define MAX_OPS 100000

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void sleep_ms(unsigned ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

struct stream {
  dfsc_ctx *ctx;
  const char *path;
  uint64_t deadline_us;
  int stop; /* atomic */
  uint64_t bytes;
  uint64_t us;
  int err;
};

static void *stream_main(void *arg) {
  struct stream *s = arg;
  uint8_t *buf = malloc(CHUNK);
  uint64_t t0 = now_us();
  dfsc_result res;
  dfsc_file *f = NULL;

  if (buf == NULL) {
    s->err = -ENOMEM;
    return NULL;
  }
  while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE) && now_us() < s->deadline_us) {
    uint64_t off = 0;
    long long n;
    if ((s->err = dfsc_open(s->ctx, s->path, DFSC_O_RDONLY, &f, &res)) != 0)
      break;
    do {
      n = dfsc_read(f, buf, CHUNK, off, &res);
      if (n > 0) {
        off += (uint64_t)n;
        s->bytes += (uint64_t)n;
      }
    } while (n == (long long)CHUNK && !__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE) &&
             now_us() < s->deadline_us);
    (void)dfsc_close(f, NULL);
    if (n < 0) {
      s->err = (int)n;
      break;
    }
  }
  s->us = now_us() - t0;
  free(buf);
  return NULL;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* n stats of path, interval_ms apart, latencies into lat; 0 or the first
 * error. */
static int stats(dfsc_ctx *ctx, const char *path, int n, unsigned interval_ms,
                 uint64_t *lat) {
  int i;
  for (i = 0; i < n; i++) {
    dfsc_stat_t st;
    dfsc_result res;
    uint64_t t0 = now_us();
    int rc = dfsc_stat(ctx, path, &st, &res);
    if (rc != 0) {
      char msg[512];
      fprintf(stderr, "bench_stall: %s\n", dfsc_result_str(&res, msg, sizeof(msg)));
      return rc;
    }
    lat[i] = now_us() - t0;
    sleep_ms(interval_ms);
  }
  return 0;
}

static void print_phase(const char *name, uint64_t *lat, int n) {
  qsort(lat, (size_t)n, sizeof(*lat), cmp_u64);
  printf(
      "\"%s\":{\"n\":%d,\"p50_us\":%llu,\"p90_us\":%llu,\"p99_us\":%llu,\"max_us\":%llu}",
      name, n, (unsigned long long)lat[n / 2], (unsigned long long)lat[n * 9 / 10],
      (unsigned long long)lat[n * 99 / 100], (unsigned long long)lat[n - 1]);
}

int main(int argc, char **argv) {
  static const struct option opts[] = {{"encrypt", no_argument, NULL, 'e'},
                                       {"sign", no_argument, NULL, 's'},
                                       {"user", required_argument, NULL, 'u'},
                                       {"domain", required_argument, NULL, 'd'},
                                       {"resolve", required_argument, NULL, 'r'},
                                       {"ops", required_argument, NULL, 'n'},
                                       {"interval-ms", required_argument, NULL, 'i'},
                                       {"seconds", required_argument, NULL, 't'},
                                       {NULL, 0, NULL, 0}};
  const char *resolve[MAX_RESOLVE + 1] = {NULL};
  int nres = 0, ops = 200, c, rc;
  unsigned interval_ms = 5, seconds = 120;
  dfsc_opts o;
  dfsc_ctx *ctx = NULL;
  struct stream s;
  pthread_t th;
  uint64_t *idle, *busy;

  dfsc_opts_init(&o);
  o.sign = DFSC_SIGN_AUTO;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case 'e':
      o.encrypt = 1;
      break;
    case 's':
      o.sign = DFSC_SIGN_REQUIRED;
      break;
    case 'u':
      o.user = optarg;
      break;
    case 'd':
      o.domain = optarg;
      break;
    case 'r':
      if (nres == MAX_RESOLVE)
        return 2;
      resolve[nres++] = optarg;
      break;
    case 'n':
      ops = atoi(optarg);
      break;
    case 'i':
      interval_ms = (unsigned)atoi(optarg);
      break;
    case 't':
      seconds = (unsigned)atoi(optarg);
      break;
    default:
      return 2;
    }
  }
  if (argc - optind != 2 || ops < 10 || ops > MAX_OPS || seconds == 0) {
    fprintf(stderr, "usage: bench_stall [--encrypt] [--sign] [--user U] [--domain D] "
                    "[--resolve NAME:ADDR]... [--ops 10..100000] [--interval-ms M] "
                    "[--seconds S] BIG STAT\n");
    return 2;
  }
  o.password = getenv("DFSC_PASSWORD");
  o.resolve = nres > 0 ? resolve : NULL;
  if ((rc = dfsc_ctx_new(&o, &ctx)) != 0) {
    fprintf(stderr, "bench_stall: %s\n", dfsc_strerror(rc));
    return 1;
  }
  idle = calloc((size_t)ops, sizeof(*idle));
  busy = calloc((size_t)ops, sizeof(*busy));
  if (idle == NULL || busy == NULL)
    return 1;
  /* Both connections up first: the phases time stats, not logons. */
  if ((rc = stats(ctx, argv[optind + 1], 5, 0, idle)) != 0 ||
      (rc = stats(ctx, argv[optind + 1], ops, interval_ms, idle)) != 0)
    return 1;
  memset(&s, 0, sizeof(s));
  s.ctx = ctx;
  s.path = argv[optind];
  s.deadline_us = now_us() + (uint64_t)seconds * 1000000u;
  if (pthread_create(&th, NULL, stream_main, &s) != 0)
    return 1;
  sleep_ms(300); /* the stream at full speed */
  rc = stats(ctx, argv[optind + 1], ops, interval_ms, busy);
  __atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
  pthread_join(th, NULL);
  if (rc != 0 || s.err != 0) {
    if (s.err != 0)
      fprintf(stderr, "bench_stall: %s: %s\n", s.path, dfsc_strerror(s.err));
    return 1;
  }
  printf("{");
  print_phase("idle", idle, ops);
  printf(",");
  print_phase("streaming", busy, ops);
  printf(",\"stream_MB_s\":%.1f,\"stream_bytes\":%llu}\n",
         s.us ? (double)s.bytes / (double)s.us : 0.0, (unsigned long long)s.bytes);
  free(idle);
  free(busy);
  dfsc_ctx_free(ctx);
  return 0;
}
