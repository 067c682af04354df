/* Unit tests for the secret allocator in src/core/alloc.h: blocks are
 * zeroed, page-aligned, marked "do not dump" (the kernel shows the advice
 * as the `dd` flag of the mapping in /proc/self/smaps), and the advice is
 * taken back when the block is freed; a failing hook allocation fails it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "dfsc/dfsc.h"

/* 1 when the smaps entry covering ADDR carries the VmFlags flag FLAG, 0
 * when it does not, -1 when no entry covers it. */
static int vm_flag(const void *addr, const char *flag) {
  FILE *f = fopen("/proc/self/smaps", "r");
  char line[512];
  int in = 0, found = -1;
  uintptr_t a = (uintptr_t)addr;
  assert_non_null(f);
  while (fgets(line, sizeof line, f) != NULL) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, ':') != NULL &&
        line[strspn(line, "0123456789abcdef")] == '-') {
      in = a >= lo && a < hi;
      continue;
    }
    if (in && strncmp(line, "VmFlags:", 8) == 0) {
      char want[8];
      snprintf(want, sizeof want, " %s", flag);
      found = strstr(line, want) != NULL;
      break;
    }
  }
  fclose(f);
  return found;
}

static void test_secret_not_dumped(void **state) {
  size_t ps = (size_t)sysconf(_SC_PAGESIZE);
  uint8_t *p = dfsc__secret_calloc(100);
  size_t i;
  (void)state;
  assert_non_null(p);
  assert_int_equal((uintptr_t)p % ps, 0);
  for (i = 0; i < 100; i++)
    assert_int_equal(p[i], 0);
  memset(p, 0xA5, 100);
  assert_int_equal(vm_flag(p, "dd"), 1);
  dfsc__secret_free(p);
  dfsc__secret_free(NULL);
}

static void test_secret_strdup(void **state) {
  char *s = dfsc__secret_strdup("dfsc-Pass1");
  (void)state;
  assert_non_null(s);
  assert_string_equal(s, "dfsc-Pass1");
  assert_int_equal(vm_flag(s, "dd"), 1);
  dfsc__secret_free(s);
}

/* A block larger than a page is covered whole. */
static void test_secret_large(void **state) {
  size_t ps = (size_t)sysconf(_SC_PAGESIZE);
  uint8_t *p = dfsc__secret_calloc(3 * ps + 1);
  (void)state;
  assert_non_null(p);
  assert_int_equal(vm_flag(p, "dd"), 1);
  assert_int_equal(vm_flag(p + 3 * ps, "dd"), 1);
  dfsc__secret_free(p);
}

static int fail_next;
static void *failing_malloc(size_t n) { return fail_next ? NULL : malloc(n); }

/* The secret allocator goes through the hooks, so fault injection and a
 * replaced allocator see it. */
static void test_secret_hook_failure(void **state) {
  (void)state;
  assert_int_equal(dfsc_replace_allocator(failing_malloc, realloc, calloc, free), 0);
  fail_next = 1;
  assert_null(dfsc__secret_calloc(16));
  assert_null(dfsc__secret_strdup("x"));
  fail_next = 0;
  assert_int_equal(dfsc_replace_allocator(malloc, realloc, calloc, free), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_secret_not_dumped),
      cmocka_unit_test(test_secret_strdup),
      cmocka_unit_test(test_secret_large),
      cmocka_unit_test(test_secret_hook_failure),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
