/* Front ends (CLI and mount): the DFS reports of `dfsc resolve`, `dfsc
 * cache` and the mount's .dfsc/cache, through the accessors of the opaque
 * dfsc_resolution / dfsc_cache_info (include/dfsc/dfsc.h).
 * Pure functions: the only I/O is writing to a caller's FILE.
 * Does not: fetch anything (the caller holds the snapshot).
 */
#include <stddef.h>
#include <stdio.h>

#include "dfsc/dfsc.h"
#include "fe.h"

/* Prefixes, targets and the referring server come from servers: escaped. */
static void put_name(FILE *f, const char *s) { dfsc__fe_put_escaped(f, s); }

static const char *hop_type(const dfsc_resolve_hop *h) {
  return dfsc_hop_is_root(h) ? "root" : dfsc_hop_is_interlink(h) ? "interlink" : "link";
}

void dfsc__fe_hop_json(FILE *out, const dfsc_resolve_hop *h) {
  size_t j;

  fputs("{\"prefix\":", out);
  dfsc__fe_json_str(out, dfsc_hop_prefix(h));
  fprintf(out,
          ",\"type\":\"%s\",\"version\":%u,\"ttl\":%u,\"expires_in_ms\":%lld,"
          "\"path_consumed\":%u,\"chosen\":%zu,\"targets\":[",
          hop_type(h), dfsc_hop_version(h), dfsc_hop_ttl(h), dfsc_hop_expires_in_ms(h),
          dfsc_hop_path_consumed(h), dfsc_hop_chosen(h));
  for (j = 0; j < dfsc_hop_ntargets(h); j++) {
    if (j > 0)
      fputc(',', out);
    dfsc__fe_json_str(out, dfsc_hop_target_at(h, j));
  }
  fputs("],\"source\":", out);
  if (dfsc_hop_source(h) != NULL)
    dfsc__fe_json_str(out, dfsc_hop_source(h));
  else
    fputs("null", out);
  fputc('}', out);
}

/* Prefixes, targets and the referring server come from servers: escaped. */
void dfsc__fe_hop_text(FILE *out, const dfsc_resolve_hop *h, const char *indent) {
  size_t j;

  long long left = dfsc_hop_expires_in_ms(h);

  fprintf(out, "%s%s ", indent, hop_type(h));
  put_name(out, dfsc_hop_prefix(h));
  fprintf(out, "  (referral v%u from ", dfsc_hop_version(h));
  put_name(out, dfsc_hop_source(h) ? dfsc_hop_source(h) : "?");
  fprintf(out, ", ttl %us, %s%llds left, path consumed %u bytes)\n", dfsc_hop_ttl(h),
          left < 0 ? "expired " : "", left / 1000, dfsc_hop_path_consumed(h));
  for (j = 0; j < dfsc_hop_ntargets(h); j++) {
    fprintf(out, "%s  %s ", indent, j == dfsc_hop_chosen(h) ? "->" : "  ");
    put_name(out, dfsc_hop_target_at(h, j));
    fputc('\n', out);
  }
}

void dfsc__fe_cache_print(FILE *out, const dfsc_cache_info *c, int json) {
  size_t n = dfsc_cache_info_nentries(c), nd = dfsc_cache_info_ndomains(c), k, j;

  if (json) {
    fputs("{\"referrals\":[", out);
    for (k = 0; k < n; k++) {
      if (k > 0)
        fputc(',', out);
      dfsc__fe_hop_json(out, dfsc_cache_info_entry(c, k));
    }
    fputs("],\"domains\":[", out);
    for (k = 0; k < nd; k++) {
      if (k > 0)
        fputc(',', out);
      fputs("{\"name\":", out);
      dfsc__fe_json_str(out, dfsc_cache_info_domain(c, k));
      fputs(",\"dcs\":[", out);
      for (j = 0; j < dfsc_cache_info_ndcs(c, k); j++) {
        if (j > 0)
          fputc(',', out);
        dfsc__fe_json_str(out, dfsc_cache_info_dc(c, k, j));
      }
      fputs("]}", out);
    }
    fputs("]}\n", out);
  } else {
    fprintf(out, "referral cache: %zu entr%s\n", n, n == 1 ? "y" : "ies");
    for (k = 0; k < n; k++)
      dfsc__fe_hop_text(out, dfsc_cache_info_entry(c, k), "  ");
    fprintf(out, "domain cache: %zu domain%s\n", nd, nd == 1 ? "" : "s");
    for (k = 0; k < nd; k++) {
      fputs("  ", out);
      put_name(out, dfsc_cache_info_domain(c, k));
      fputc(':', out);
      for (j = 0; j < dfsc_cache_info_ndcs(c, k); j++) {
        fputc(' ', out);
        put_name(out, dfsc_cache_info_dc(c, k, j));
      }
      fputc('\n', out);
    }
  }
}
