/* The DFS walk tries every DC of a domain in order ([MS-DFSC] 3.1.4.1
 * steps 3-7): with the domain cache holding [a DC that refuses
 * connections, the testbed's DC], a first access to \\REALM\SYSVOL sends
 * its SYSVOL referral to the first DC, which fails, then to the second,
 * and the SYSVOL entry it returns is cached and used. (Taking only the
 * first DC, as before, falls back to a plain tree connect to the domain
 * name and caches no SYSVOL entry: the checks below then fail.)
 * Uses internals (the domain cache) while no operation runs. Prints one
 * line per check and "N passed, N failed". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfs/cache.h"
#include "dfs/resolver.h"
#include "dfsc/dfsc-sync.h"
#include "dfsc/dfsc.h"
#include "mup/ops.h"
#include "testlib.h"

int main(void) {
  const char *envf = getenv("DFSC_TESTBED_ENV");
  char *user, *pass, *realm, *rargs;
  char path[512], lower[128], want[256];
  const char *dcs[2];
  dfsc_dfs_stats s0, s1;
  dfsc_resolution *r = NULL;
  dfsc_stat_t st;
  dfsc_result res;
  dfsc_opts o;
  static const char *const no_hardened[] = {NULL};
  dfsc_ctx *ctx = NULL;
  size_t i, nh = 0;
  int rc, found = 0;

  if (envf == NULL) {
    fprintf(stderr, "DFSC_TESTBED_ENV not set: start the testbed\n");
    return 1;
  }
  user = env_get(envf, "DFSC_TB_USER");
  pass = env_get(envf, "DFSC_TB_PASS");
  realm = env_get(envf, "DFSC_TB_REALM");
  rargs = env_get(envf, "DFSC_TB_RESOLVE_ARGS");
  if (!user || !pass || !realm || !rargs) {
    fprintf(stderr, "testbed environment incomplete (a DC: testbed start --dc)\n");
    return 1;
  }
  for (i = 0; realm[i] && i + 1 < sizeof(lower); i++)
    lower[i] = (char)((realm[i] >= 'A' && realm[i] <= 'Z') ? realm[i] + 32 : realm[i]);
  lower[i] = '\0';
  dfsc_opts_init(&o);
  o.user = user;
  o.password = pass;
  o.resolve = resolve_list(rargs);
  /* The walk is under test, not the hardened-path policy: this test logs on
   * with NTLM, which \\*\SYSVOL refuses by default (t_kerberos covers it). */
  o.hardened_paths = no_hardened;
  o.kerberos = DFSC_KERBEROS_OFF;
  rc = dfsc_ctx_new(&o, &ctx);
  check(rc == 0, "context created (%d)", rc);
  if (rc != 0)
    return 1;

  /* deadfs refuses connections (127.0.0.41); dc1.<realm> is the DC. */
  snprintf(want, sizeof(want), "dc1.%s", lower);
  dcs[0] = "deadfs";
  dcs[1] = want;
  rc = dfsc__dfs_domain_set(dfsc__dfs_cache(dfsc__ctx_dfs(ctx)), lower, dcs, 2,
                            UINT64_MAX / 2);
  check(rc == 0, "domain cache: %s -> [deadfs, %s]", lower, want);
  dfsc__dfs_stats(dfsc__ctx_dfs(ctx), &s0);

  snprintf(path, sizeof(path), "//%s/SYSVOL/%s", lower, lower);
  rc = dfsc_stat(ctx, path, &st, &res);
  check(rc == 0 && st.is_dir, "stat %s: %s", path, dfsc_err_name(rc));
  dfsc__dfs_stats(dfsc__ctx_dfs(ctx), &s1);
  check(s1.referrals_sent > s0.referrals_sent && s1.referrals_failed > s0.referrals_failed,
        "the first DC's referral failed and another went out: sent %llu, failed %llu",
        (unsigned long long)(s1.referrals_sent - s0.referrals_sent),
        (unsigned long long)(s1.referrals_failed - s0.referrals_failed));

  rc = dfsc_resolve(ctx, path, &r, &res);
  check(rc == 0, "resolve %s: %s", path, dfsc_err_name(rc));
  nh = rc == 0 ? dfsc_resolution_nhops(r) : 0;
  for (i = 0; i < nh; i++) {
    const char *p = dfsc_hop_prefix(dfsc_resolution_hop(r, i));
    if (p != NULL && strcasestr(p, "\\SYSVOL") != NULL)
      found = 1;
  }
  check(found, "the walk goes through a cached SYSVOL referral entry (%zu hops)", nh);
  dfsc_resolution_free(r);

  /* A domain with no DC list whose name does not answer: one SYSVOL
   * referral to the name itself, then the plain tree connect fails, with
   * no retry in a loop (a walk once asked the same dead name again and
   * again until its deadline). */
  check(dfsc_set_op_timeout(ctx, 10000) == 0, "op timeout 10 s");
  dfsc__dfs_stats(dfsc__ctx_dfs(ctx), &s0);
  rc = dfsc_stat(ctx, "//deadfs/SYSVOL/x", &st, &res);
  dfsc__dfs_stats(dfsc__ctx_dfs(ctx), &s1);
  check(rc == -ECONNREFUSED, "stat //deadfs/SYSVOL/x fails with the connection's error: %s",
        dfsc_err_name(rc));
  check(s1.referrals_failed - s0.referrals_failed <= 3,
        "after at most 3 failed referrals (domain, DC, SYSVOL): %llu",
        (unsigned long long)(s1.referrals_failed - s0.referrals_failed));

  dfsc_ctx_free(ctx);
  free(user);
  free(pass);
  free(realm);
  free(rargs);
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
