/* Front ends (CLI and mount): output formatting: JSON strings, ISO 8601
 * times from FILETIME, attribute names, human-readable sizes, the
 * counters report.
 *
 * Pure functions (the only I/O is writing to a caller's FILE), so unit
 * tests include this file directly. Does not: decide layouts of whole
 * documents (commands.c does).
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dfsc/dfsc.h"
#include "fe.h"

void dfsc__fe_json_str(FILE *f, const char *s) {
  const unsigned char *p = (const unsigned char *)s;

  putc('"', f);
  while (*p != '\0') {
    unsigned char c = *p;
    size_t n;

    switch (c) {
    case '"':
      fputs("\\\"", f);
      p++;
      continue;
    case '\\':
      fputs("\\\\", f);
      p++;
      continue;
    case '\b':
      fputs("\\b", f);
      p++;
      continue;
    case '\f':
      fputs("\\f", f);
      p++;
      continue;
    case '\n':
      fputs("\\n", f);
      p++;
      continue;
    case '\r':
      fputs("\\r", f);
      p++;
      continue;
    case '\t':
      fputs("\\t", f);
      p++;
      continue;
    default:
      break;
    }
    if (c < 0x20 || c == 0x7F) {
      fprintf(f, "\\u%04x", c);
      p++;
      continue;
    }
    n = dfsc__fe_utf8_len(p);
    if (n == 0) {
      fputs("\\ufffd", f);
      p++;
      continue;
    }
    /* C1 controls are valid JSON raw, but drive a terminal the JSON is
     * shown on (U+009B is a CSI): escaped as the C0 ones are. */
    if (n == 2 && c == 0xC2 && p[1] <= 0x9F) {
      fprintf(f, "\\u%04x", p[1]);
      p += 2;
      continue;
    }
    fwrite(p, 1, n, f);
    p += n;
  }
  putc('"', f);
}

int dfsc__fe_filetime_iso(uint64_t ft, int with_ns, char *buf, size_t cap) {
  int64_t sec;
  long nsec;
  time_t t;
  struct tm tm;
  int n;
  char tmp[96];

  dfsc_filetime_to_unix(ft, &sec, &nsec); /* nsec in [0, 1e9) before 1970 too */
  t = (time_t)sec;
  if (gmtime_r(&t, &tm) == NULL)
    return -1;
  /* Formatted in full first: a short `buf` is an error, never a cut
   * string (and -O3 need not warn about the cut). */
  if (with_ns)
    n = snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                 tm.tm_sec, nsec);
  else
    n = snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (n < 0 || (size_t)n >= sizeof(tmp) || (size_t)n >= cap)
    return -1;
  memcpy(buf, tmp, (size_t)n + 1);
  return n;
}

/* [MS-FSCC] 2.6 File Attributes. */
static const struct {
  uint32_t bit;
  const char *name;
} attr_table[] = {
    {0x00000001, "READONLY"},
    {0x00000002, "HIDDEN"},
    {0x00000004, "SYSTEM"},
    {0x00000010, "DIRECTORY"},
    {0x00000020, "ARCHIVE"},
    {0x00000080, "NORMAL"},
    {0x00000100, "TEMPORARY"},
    {0x00000200, "SPARSE_FILE"},
    {0x00000400, "REPARSE_POINT"},
    {0x00000800, "COMPRESSED"},
    {0x00001000, "OFFLINE"},
    {0x00002000, "NOT_CONTENT_INDEXED"},
    {0x00004000, "ENCRYPTED"},
    {0x00008000, "INTEGRITY_STREAM"},
    {0x00020000, "NO_SCRUB_DATA"},
    {0x00040000, "RECALL_ON_OPEN"},
    {0x00080000, "PINNED"},
    {0x00100000, "UNPINNED"},
    {0x00400000, "RECALL_ON_DATA_ACCESS"},
};

int dfsc__fe_attr_names(uint32_t attrs, const char **names, int max) {
  size_t i;
  int n = 0;

  for (i = 0; i < sizeof(attr_table) / sizeof(attr_table[0]); i++) {
    if ((attrs & attr_table[i].bit) == 0)
      continue;
    if (n < max)
      names[n] = attr_table[i].name;
    n++;
  }
  return n;
}

char *dfsc__fe_human_bytes(uint64_t n, char *buf, size_t cap) {
  static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double v = (double)n;
  int u = -1;

  if (n < 1024) {
    snprintf(buf, cap, "%" PRIu64 " B", n);
    return buf;
  }
  while (v >= 1024.0 && u < 5) {
    v /= 1024.0;
    u++;
  }
  /* Three significant digits: 1.23 / 12.3 / 123. */
  if (v < 9.995)
    snprintf(buf, cap, "%.2f %s", v, units[u]);
  else if (v < 99.95)
    snprintf(buf, cap, "%.1f %s", v, units[u]);
  else
    snprintf(buf, cap, "%.0f %s", v, units[u]);
  return buf;
}

/* The counters of the progress contract, one "name value" line each or
 * one JSON object. */
void dfsc__fe_stats_print(FILE *out, const dfsc_stats *st, int json) {
  static const struct {
    const char *name;
    size_t off;
  } f[] = {
#define F(x) {#x, offsetof(dfsc_stats, x)}
      F(referrals_sent),      F(referrals_coalesced), F(referrals_queued),
      F(referrals_failed),    F(referral_queue_hwm),  F(failovers),
      F(referral_loops),      F(conn_setups_started), F(conn_setups_coalesced),
      F(conn_setups_failed),  F(conn_setups_queued),  F(sessions_started),
      F(trees_started),       F(requests_sent),       F(credit_waits),
      F(deadlines_hit),       F(submit_queue_hwm),    F(lookup_queue_hwm),
      F(lookup_busy_hwm),     F(lookup_rejected),     F(loop_iterations),
      F(names_dropped),       F(ops_live_hwm),        F(ops_rejected),
      F(trees_closed),        F(sessions_closed),     F(conns_closed),
      F(conns_open),          F(ops_timed_out),       F(ops_canceled),
      F(sessions_krb5),       F(sessions_ntlm),       F(auth_jobs),
      F(auth_kdc_jobs),       F(auth_orphaned),       F(hardened_refused),
      F(conns_lost),          F(reconnects),          F(reconnect_waits),
      F(reconnect_tries),     F(reconnect_failed),    F(echoes_sent),
      F(echo_dead),           F(durable_opens),       F(durable_reclaimed),
      F(reopened_by_path),    F(handles_stale),       F(ops_resumed),
      F(lease_breaks),        F(lease_acks),          F(lease_breaks_dropped),
      F(lease_acks_late),     F(read_bytes),          F(write_bytes),
      F(requests_unanswered), F(ops_settled),         F(lock_waits),
      F(reads_direct),        F(sessions_open),       F(compound_fallbacks),
      F(reads_spliced),       F(reads_spilled),
#undef F
  };
  size_t i;

  if (json)
    fputc('{', out);
  for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
    unsigned long long v = *(const uint64_t *)((const char *)st + f[i].off);
    if (json)
      fprintf(out, "%s\"%s\":%llu", i ? "," : "", f[i].name, v);
    else
      fprintf(out, "%-22s %llu\n", f[i].name, v);
  }
  if (json)
    fputs("}\n", out);
}
