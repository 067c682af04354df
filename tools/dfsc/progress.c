/* dfsc CLI: progress line for get and put on stderr.
 *
 * Draws bytes done, percent, average rate and ETA on one line, redrawn with
 * '\r' at most ten times a second; the caller decides whether to draw at
 * all (stderr is a terminal). Does not: draw when disabled, or touch stdout.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define REDRAW_NS 100000000LL /* 10 redraws per second at most */

static void fmt_eta(char *buf, size_t cap, double secs) {
  unsigned long s = secs > 359999.0 ? 359999UL : (unsigned long)(secs + 0.5);

  if (s >= 3600)
    snprintf(buf, cap, "%lu:%02lu:%02lu", s / 3600, (s / 60) % 60, s % 60);
  else
    snprintf(buf, cap, "%lu:%02lu", s / 60, s % 60);
}

int dfsc__cli_progress_format(char *buf, size_t cap, uint64_t done, uint64_t total,
                              int total_known, double elapsed_s) {
  char d[32], t[32], r[32], e[32];
  double rate = elapsed_s > 0.0 ? (double)done / elapsed_s : 0.0;
  int n;

  dfsc__fe_human_bytes(done, d, sizeof(d));
  if (total_known) {
    unsigned pct = total == 0 ? 100 : (unsigned)((double)done * 100.0 / (double)total);

    if (pct > 100)
      pct = 100;
    dfsc__fe_human_bytes(total, t, sizeof(t));
    if (rate > 0.0) {
      dfsc__fe_human_bytes((uint64_t)rate, r, sizeof(r));
      if (done < total)
        fmt_eta(e, sizeof(e), (double)(total - done) / rate);
      else
        snprintf(e, sizeof(e), "0:00");
      n = snprintf(buf, cap, "%s / %s %3u%% %s/s ETA %s", d, t, pct, r, e);
    } else {
      n = snprintf(buf, cap, "%s / %s %3u%%", d, t, pct);
    }
  } else if (rate > 0.0) {
    dfsc__fe_human_bytes((uint64_t)rate, r, sizeof(r));
    n = snprintf(buf, cap, "%s %s/s", d, r);
  } else {
    n = snprintf(buf, cap, "%s", d);
  }
  if (n < 0)
    n = 0;
  if (cap > 0 && (size_t)n >= cap)
    n = (int)cap - 1;
  return n;
}

static int64_t ns_between(const struct timespec *a, const struct timespec *b) {
  return (int64_t)(b->tv_sec - a->tv_sec) * 1000000000LL + (b->tv_nsec - a->tv_nsec);
}

static void draw(struct dfsc__cli_progress *p, const struct timespec *now) {
  char line[160];

  dfsc__cli_progress_format(line, sizeof(line), p->done, p->total, p->total_known,
                            (double)ns_between(&p->start, now) / 1e9);
  /* "\033[K" clears what a longer previous line left behind. */
  fprintf(stderr, "\r%s\033[K", line);
  fflush(stderr);
  p->drawn = 1;
  p->last = *now;
}

void dfsc__cli_progress_start(struct dfsc__cli_progress *p, int enabled, uint64_t total,
                              int total_known) {
  memset(p, 0, sizeof(*p));
  p->enabled = enabled;
  p->total = total;
  p->total_known = total_known;
  clock_gettime(CLOCK_MONOTONIC, &p->start);
  p->last = p->start;
}

void dfsc__cli_progress_update(struct dfsc__cli_progress *p, uint64_t done) {
  struct timespec now;

  p->done = done;
  if (!p->enabled)
    return;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (p->drawn && ns_between(&p->last, &now) < REDRAW_NS)
    return;
  if (!p->drawn && ns_between(&p->start, &now) < REDRAW_NS)
    return; /* quick transfers never flash a bar */
  draw(p, &now);
}

void dfsc__cli_progress_end(struct dfsc__cli_progress *p, int ok) {
  struct timespec now;

  if (!p->enabled || !p->drawn)
    return;
  if (ok) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    draw(p, &now);
    fputc('\n', stderr);
  } else {
    fputs("\r\033[K", stderr);
  }
  fflush(stderr);
  p->drawn = 0;
}
