/* --resolve maps and lookups through the lane: overrides, numeric
 * addresses, /etc/hosts names, and failures. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/lane.h"
#include "core/loop.h"
#include "dfsc/errors.h"
#include "transport/lookup.h"

static void test_map_parse(void **state) {
  dfsc_resolve_map *m = NULL;
  const char *good[] = {"fs1:127.0.0.11", "fs2:127.0.0.12:4450", "v6:[::1]:445", NULL};
  const char *bad1[] = {"fs1", NULL};
  const char *bad2[] = {":127.0.0.1", NULL};
  const char *bad3[] = {"fs1:not-an-address", NULL};
  const char *bad4[] = {"fs1:127.0.0.1:0", NULL};
  const char *bad5[] = {"fs1:127.0.0.1:65536", NULL};
  const char *bad6[] = {"fs1:[::1", NULL};
  (void)state;
  assert_int_equal(dfsc__resolve_map_new(good, &m), 0);
  dfsc__resolve_map_free(m);
  assert_int_equal(dfsc__resolve_map_new(NULL, &m), 0);
  dfsc__resolve_map_free(m);
  assert_int_equal(dfsc__resolve_map_new(bad1, &m), -EINVAL);
  assert_int_equal(dfsc__resolve_map_new(bad2, &m), -EINVAL);
  assert_int_equal(dfsc__resolve_map_new(bad3, &m), -EINVAL);
  assert_int_equal(dfsc__resolve_map_new(bad4, &m), -EINVAL);
  assert_int_equal(dfsc__resolve_map_new(bad5, &m), -EINVAL);
  assert_int_equal(dfsc__resolve_map_new(bad6, &m), -EINVAL);
}

struct ctx {
  dfsc_loop *loop;
  int done;
  int status;
  char addr[64];
  unsigned port;
};

static void got(dfsc_lookup *lk, int status, const dfsc_addr *a) {
  struct ctx *c = lk->data;
  c->done++;
  c->status = status;
  if (status == 0) {
    const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->ss;
    if (sin->sin_family == AF_INET) {
      inet_ntop(AF_INET, &sin->sin_addr, c->addr, sizeof(c->addr));
      c->port = ntohs(sin->sin_port);
    } else {
      const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
      inet_ntop(AF_INET6, &s6->sin6_addr, c->addr, sizeof(c->addr));
      c->port = ntohs(s6->sin6_port);
    }
  }
  dfsc__loop_stop(c->loop);
}

static void resolve(const dfsc_resolve_map *m, dfsc_lane *lane, struct ctx *c,
                    const char *name) {
  dfsc_lookup lk;
  memset(&lk, 0, sizeof(lk));
  lk.data = c;
  c->done = 0;
  c->addr[0] = '\0';
  c->port = 0;
  assert_int_equal(dfsc__lookup_start(c->loop, lane, m, name, 445, &lk, got), 0);
  assert_int_equal(c->done, 0); /* never inside the starting call */
  assert_int_equal(dfsc__loop_run(c->loop), 0);
  assert_int_equal(c->done, 1);
}

static void test_lookup(void **state) {
  struct ctx c;
  dfsc_lane *lane;
  dfsc_resolve_map *m;
  const char *ents[] = {"FileServer:127.0.0.11", "other:127.0.0.12:4450", NULL};
  (void)state;
  memset(&c, 0, sizeof(c));
  assert_int_equal(dfsc__loop_new(NULL, 0, &c.loop), 0);
  assert_int_equal(dfsc__lane_new(c.loop, "lookup", 1, 4, &lane), 0);
  assert_int_equal(dfsc__resolve_map_new(ents, &m), 0);

  resolve(m, lane, &c, "fileserver"); /* case-insensitive override */
  assert_int_equal(c.status, 0);
  assert_string_equal(c.addr, "127.0.0.11");
  assert_int_equal(c.port, 445);

  resolve(m, lane, &c, "other"); /* override with its own port */
  assert_string_equal(c.addr, "127.0.0.12");
  assert_int_equal(c.port, 4450);

  resolve(m, lane, &c, "127.0.0.25"); /* numeric: no lane */
  assert_string_equal(c.addr, "127.0.0.25");

  resolve(m, lane, &c, "localhost"); /* /etc/hosts through getaddrinfo on the lane */
  assert_int_equal(c.status, 0);
  assert_true(strcmp(c.addr, "127.0.0.1") == 0 || strcmp(c.addr, "::1") == 0);

  resolve(m, lane, &c, "no-such-host.invalid"); /* RFC 6761: never resolves */
  assert_int_equal(c.status, DFSC_E_LOOKUP);

  dfsc__resolve_map_free(m);
  dfsc__lane_free(lane);
  dfsc__loop_free(c.loop);
}

static void noop_post(dfsc_post *p) { (void)p; }

/* A numeric or overridden name completes on the loop even when callers
 * have filled the submission queue: connection setup must not fail with
 * DFSC_E_BUSY because of queued file operations (P2). */
static void test_lookup_with_full_queue(void **state) {
  struct ctx c;
  dfsc_lane *lane;
  dfsc_resolve_map *m;
  dfsc_post filler;
  const char *ents[] = {"fs1:127.0.0.11", NULL};
  (void)state;
  memset(&c, 0, sizeof(c));
  assert_int_equal(dfsc__loop_new(NULL, 1, &c.loop), 0);
  assert_int_equal(dfsc__lane_new(c.loop, "lookup", 1, 4, &lane), 0);
  assert_int_equal(dfsc__resolve_map_new(ents, &m), 0);
  filler.cb = noop_post;
  filler.data = NULL;
  assert_int_equal(dfsc__loop_post(c.loop, &filler), 0); /* the queue (1) is full */
  resolve(m, lane, &c, "fs1");
  assert_int_equal(c.status, 0);
  assert_string_equal(c.addr, "127.0.0.11");
  assert_int_equal(dfsc__loop_post(c.loop, &filler), 0);
  resolve(m, lane, &c, "127.0.0.25");
  assert_string_equal(c.addr, "127.0.0.25");
  dfsc__resolve_map_free(m);
  dfsc__lane_free(lane);
  dfsc__loop_free(c.loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_map_parse),
      cmocka_unit_test(test_lookup),
      cmocka_unit_test(test_lookup_with_full_queue),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
