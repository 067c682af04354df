/* Idle close against servers that never answer TREE_DISCONNECT or LOGOFF
 * (tests/integration/idle_server.py --mute-teardown): the teardown requests
 * end by their deadline (setup_timeout_ms, 1 s here) and every tree,
 * session and connection is still freed, sockets included; a later access
 * reconnects and works. Prints one line per check and "N passed, N failed". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfsc/dfsc-sync.h"
#include "dfsc/dfsc.h"
#include "idle_lib.h"
#include "testlib.h"

#define N_PORTS 4
#define IDLE_MS 300
#define SETUP_MS 1000

int main(void) {
  uint16_t ports[N_PORTS];
  char dir[] = "/tmp/dfsc-idlemute-XXXXXX";
  char path[128];
  dfsc_opts o;
  dfsc_ctx *ctx = NULL;
  dfsc_sl_stats st;
  dfsc_stat_t sb;
  dfsc_result res;
  long took;
  pid_t srv;
  int rc, i, ok = 0, socks;

  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  srv = idle_server_start(dir, N_PORTS, 1, ports);
  check(srv > 0, "mute fake servers listen on %d ports of 127.0.0.1", N_PORTS);
  if (srv <= 0)
    return 1;
  dfsc_opts_init(&o);
  o.setup_timeout_ms = SETUP_MS;
  rc = dfsc_ctx_new(&o, &ctx);
  check(rc == 0, "context created (%d)", rc);
  if (rc != 0)
    goto out;
  check(set_limits(ctx, IDLE_MS, 0) == 0, "idle time %d ms, setup deadline %d ms", IDLE_MS,
        SETUP_MS);

  for (i = 0; i < N_PORTS; i++) {
    snprintf(path, sizeof(path), "smb://127.0.0.1:%u/data", ports[i]);
    ok += dfsc_stat(ctx, path, &sb, &res) == 0;
  }
  check(ok == N_PORTS, "%d servers: %d stats succeed", N_PORTS, ok);
  took = wait_conns(ctx, 0, IDLE_MS + 3 * SETUP_MS + 2000);
  st = sl_stats(ctx);
  socks = open_sockets();
  check(took >= 0 && st.conns_open == 0 && socks == 0,
        "unanswered teardowns: all freed %ld ms after the last use (%llu connections, %d "
        "sockets left)",
        took, (unsigned long long)st.conns_open, socks);
  check(took >= IDLE_MS + SETUP_MS / 2,
        "by the teardown deadline, not before (%ld ms; idle %d + deadline %d)", took,
        IDLE_MS, SETUP_MS);
  check(st.trees_closed >= N_PORTS && st.conns_closed == N_PORTS && st.deadlines >= N_PORTS,
        "%llu trees and %llu connections closed, %llu deadlines",
        (unsigned long long)st.trees_closed, (unsigned long long)st.conns_closed,
        (unsigned long long)st.deadlines);
  snprintf(path, sizeof(path), "smb://127.0.0.1:%u/data", ports[0]);
  rc = dfsc_stat(ctx, path, &sb, &res);
  check(rc == 0, "a later access reconnects and works (%s)", dfsc_err_name(rc));

out:
  dfsc_ctx_free(ctx);
  idle_server_stop(srv);
  rmdir(dir);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
