/* The lock planner of the mount (tools/mount/brl.c): POSIX requests
 * turned into SMB2 lock and unlock steps, and the table after them. The
 * expected steps are worked out by hand from POSIX's rules (fcntl(2):
 * a lock replaces what its owner held on the range, an unlock may split
 * one) and SMB's (an unlock names a lock exactly). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/mount/brl.c"

struct tab {
  struct dfsc__brl *t;
  size_t n;
};

static struct dfsc__brl_req rq(uint64_t owner, uint64_t s, uint64_t e, int type) {
  struct dfsc__brl_req r;
  memset(&r, 0, sizeof(r));
  r.owner = owner;
  r.fh = 100 + owner;
  r.start = s;
  r.end = e;
  r.type = type;
  r.pid = (uint32_t)owner;
  return r;
}

/* Plans and applies with every step succeeding. */
static void run_ok(struct tab *tb, struct dfsc__brl_req r, struct dfsc__brl_plan *p) {
  assert_int_equal(dfsc__brl_plan(tb->t, tb->n, &r, p), 0);
  assert_int_equal(dfsc__brl_apply(&tb->t, &tb->n, p, 1, 3u, 0), 0);
}

static int held(const struct tab *tb, uint64_t owner, uint64_t s, uint64_t e, int excl) {
  const struct dfsc__brl *x;
  for (x = tb->t; x != NULL; x = x->next)
    if (x->owner == owner && x->start == s && x->end == e && x->excl == excl)
      return 1;
  return 0;
}

static void test_lock_unlock_same(void **state) {
  struct tab tb = {NULL, 0};
  struct dfsc__brl_plan p;
  (void)state;
  run_ok(&tb, rq(1, 0, 99, 2), &p);
  assert_int_equal(p.nold, 0);
  assert_true(p.has_want);
  assert_int_equal(p.nrem, 0);
  assert_int_equal(tb.n, 1);
  assert_true(held(&tb, 1, 0, 99, 1));
  /* The same lock again: nothing to send. */
  assert_int_equal(
      dfsc__brl_plan(tb.t, tb.n, &(struct dfsc__brl_req){1, 101, 0, 99, 2, 0, 1}, &p), 0);
  assert_true(p.noop);
  run_ok(&tb, rq(1, 0, 99, 0), &p);
  assert_int_equal(p.nold, 1);
  assert_false(p.has_want);
  assert_int_equal(p.nrem, 0);
  assert_int_equal(tb.n, 0);
}

static void test_unlock_splits(void **state) {
  struct tab tb = {NULL, 0};
  struct dfsc__brl_plan p;
  (void)state;
  run_ok(&tb, rq(1, 0, 99, 1), &p);
  run_ok(&tb, rq(1, 40, 59, 0), &p);
  /* One unlock of [0,99], locks again of [0,39] and [60,99]. */
  assert_int_equal(p.nold, 1);
  assert_int_equal(p.old[0].start, 0);
  assert_int_equal(p.old[0].end, 99);
  assert_int_equal(p.nrem, 2);
  assert_int_equal(tb.n, 2);
  assert_true(held(&tb, 1, 0, 39, 0));
  assert_true(held(&tb, 1, 60, 99, 0));
  dfsc__brl_free(&tb.t, &tb.n);
}

static void test_upgrade_and_wide_unlock(void **state) {
  struct tab tb = {NULL, 0};
  struct dfsc__brl_plan p;
  (void)state;
  /* sqlite's pattern: shared range, pending byte, then exclusive over the
   * shared range, then one unlock of everything. */
  run_ok(&tb, rq(1, 1000, 1509, 1), &p);
  run_ok(&tb, rq(1, 990, 990, 2), &p);
  run_ok(&tb, rq(1, 1000, 1509, 2), &p);
  assert_int_equal(p.nold, 1); /* the shared one, unlocked first */
  assert_false(p.old[0].excl);
  assert_true(p.want.excl);
  assert_true(held(&tb, 1, 1000, 1509, 1));
  assert_int_equal(tb.n, 2);
  run_ok(&tb, rq(1, 0, DFSC_BRL_EOF, 0), &p);
  assert_int_equal(p.nold, 2);
  assert_int_equal(p.nrem, 0);
  assert_int_equal(tb.n, 0);
}

static void test_lock_inside_other_type(void **state) {
  struct tab tb = {NULL, 0};
  struct dfsc__brl_plan p;
  (void)state;
  /* A write lock in the middle of the owner's read lock: unlock the read
   * lock, lock the middle, lock again both sides as read locks. */
  run_ok(&tb, rq(1, 0, 99, 1), &p);
  run_ok(&tb, rq(1, 10, 19, 2), &p);
  assert_int_equal(p.nold, 1);
  assert_int_equal(p.nrem, 2);
  assert_int_equal(p.rem[0].end, 9);
  assert_int_equal(p.rem[1].start, 20);
  assert_false(p.rem[0].excl);
  assert_true(held(&tb, 1, 10, 19, 1));
  assert_true(held(&tb, 1, 0, 9, 0));
  assert_true(held(&tb, 1, 20, 99, 0));
  assert_int_equal(tb.n, 3);
  dfsc__brl_free(&tb.t, &tb.n);
}

static void test_failed_want_keeps_old(void **state) {
  struct tab tb = {NULL, 0};
  struct dfsc__brl_plan p;
  struct dfsc__brl_req r;
  (void)state;
  run_ok(&tb, rq(1, 0, 99, 1), &p);
  r = rq(1, 0, 99, 2);
  assert_int_equal(dfsc__brl_plan(tb.t, tb.n, &r, &p), 0);
  /* The upgrade was refused and the read lock taken back: still held. */
  assert_int_equal(dfsc__brl_apply(&tb.t, &tb.n, &p, 0, 0, 1), 0);
  assert_int_equal(tb.n, 1);
  assert_true(held(&tb, 1, 0, 99, 0));
  /* Refused and not taken back: gone. */
  assert_int_equal(dfsc__brl_plan(tb.t, tb.n, &r, &p), 0);
  assert_int_equal(dfsc__brl_apply(&tb.t, &tb.n, &p, 0, 0, 0), 0);
  assert_int_equal(tb.n, 0);
}

static void test_conflicts(void **state) {
  struct tab tb = {NULL, 0};
  struct dfsc__brl_plan p;
  struct dfsc__brl_req r;
  (void)state;
  run_ok(&tb, rq(1, 0, 99, 1), &p);
  r = rq(2, 50, 150, 1);
  assert_null(dfsc__brl_conflict(tb.t, &r)); /* two readers */
  r = rq(2, 50, 150, 2);
  assert_non_null(dfsc__brl_conflict(tb.t, &r));
  r = rq(2, 100, 150, 2);
  assert_null(dfsc__brl_conflict(tb.t, &r)); /* adjacent, not overlapping */
  r = rq(1, 0, 99, 2);
  assert_null(dfsc__brl_conflict(tb.t, &r)); /* its own */
  r = rq(2, 0, 10, 2);
  r.flock = 1;
  assert_null(dfsc__brl_conflict(tb.t, &r)); /* flock and POSIX apart */
  r = rq(2, 0, 10, 0);
  assert_null(dfsc__brl_conflict(tb.t, &r)); /* an unlock never conflicts */
  dfsc__brl_free(&tb.t, &tb.n);
}

static void test_drop_fh_and_limits(void **state) {
  struct tab tb = {NULL, 0};
  struct dfsc__brl_plan p;
  struct dfsc__brl_req r;
  uint64_t i;
  (void)state;
  run_ok(&tb, rq(1, 0, 9, 1), &p);
  run_ok(&tb, rq(2, 20, 29, 1), &p);
  assert_int_equal(dfsc__brl_drop_fh(&tb.t, &tb.n, 101), 1);
  assert_int_equal(tb.n, 1);
  dfsc__brl_free(&tb.t, &tb.n);
  r = rq(1, 10, 5, 1);
  assert_int_equal(dfsc__brl_plan(tb.t, tb.n, &r, &p), -EINVAL);
  r = rq(1, 0, 5, 3);
  assert_int_equal(dfsc__brl_plan(tb.t, tb.n, &r, &p), -EINVAL);
  /* More of an owner's ranges than one request may touch: ENOLCK. */
  for (i = 0; i <= DFSC_BRL_PLAN_OLD_MAX; i++)
    run_ok(&tb, rq(1, i * 2, i * 2, 1), &p);
  r = rq(1, 0, DFSC_BRL_EOF, 0);
  assert_int_equal(dfsc__brl_plan(tb.t, tb.n, &r, &p), -ENOLCK);
  dfsc__brl_free(&tb.t, &tb.n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lock_unlock_same),
      cmocka_unit_test(test_unlock_splits),
      cmocka_unit_test(test_upgrade_and_wide_unlock),
      cmocka_unit_test(test_lock_inside_other_type),
      cmocka_unit_test(test_failed_want_keeps_old),
      cmocka_unit_test(test_conflicts),
      cmocka_unit_test(test_drop_fh_and_limits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
