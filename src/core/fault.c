/* Fault injection counters and the DFSC_FAULT environment reader (see
 * fault.h). Does not: know where the hooks sit or what errno they report. */
#include "core/fault.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dfsc/dfsc.h"

atomic_int dfsc__fault_on;

static atomic_int armed[DFSC_FAULT_NKINDS];
static atomic_ulong count[DFSC_FAULT_NKINDS];
static atomic_ulong nth_fail[DFSC_FAULT_NKINDS];
static atomic_int fired[DFSC_FAULT_NKINDS];

static void update_on(void) {
  int k, on = 0;
  for (k = 0; k < DFSC_FAULT_NKINDS; k++)
    on |= atomic_load(&armed[k]);
  atomic_store(&dfsc__fault_on, on);
}

int dfsc__fault_hit(int kind) {
  unsigned long n, want;
  if (kind < 0 || kind >= DFSC_FAULT_NKINDS || !atomic_load(&armed[kind]))
    return 0;
  n = atomic_fetch_add(&count[kind], 1) + 1;
  want = atomic_load(&nth_fail[kind]);
  if (want == 0 || n != want)
    return 0;
  atomic_store(&fired[kind], 1);
  return 1;
}

void dfsc__fault_arm(int kind, unsigned long nth) {
  if (kind < 0 || kind >= DFSC_FAULT_NKINDS)
    return;
  atomic_store(&count[kind], 0);
  atomic_store(&fired[kind], 0);
  atomic_store(&nth_fail[kind], nth);
  atomic_store(&armed[kind], 1);
  update_on();
}

void dfsc__fault_disarm(void) {
  int k;
  for (k = 0; k < DFSC_FAULT_NKINDS; k++)
    atomic_store(&armed[k], 0);
  update_on();
}

unsigned long dfsc__fault_count(int kind) {
  if (kind < 0 || kind >= DFSC_FAULT_NKINDS)
    return 0;
  return atomic_load(&count[kind]);
}

int dfsc__fault_fired(int kind) {
  if (kind < 0 || kind >= DFSC_FAULT_NKINDS)
    return 0;
  return atomic_load(&fired[kind]);
}

/* The allocator DFSC_FAULT="alloc:N" installs: the libc one, with the
 * armed allocation failing. */
static void *fault_malloc(size_t n) {
  return dfsc__fault_hit(DFSC_FAULT_ALLOC) ? NULL : malloc(n);
}
static void *fault_realloc(void *p, size_t n) {
  return dfsc__fault_hit(DFSC_FAULT_ALLOC) ? NULL : realloc(p, n);
}
static void *fault_calloc(size_t c, size_t n) {
  return dfsc__fault_hit(DFSC_FAULT_ALLOC) ? NULL : calloc(c, n);
}

int dfsc__fault_parse(const char *spec) {
  unsigned long want[DFSC_FAULT_NKINDS];
  int set[DFSC_FAULT_NKINDS] = {0};
  const char *p = spec;
  int k;

  while (p != NULL && *p != '\0') {
    const char *colon = strchr(p, ':');
    char *end;
    size_t nl;
    if (colon == NULL)
      return -EINVAL;
    nl = (size_t)(colon - p);
    if (nl == 4 && strncmp(p, "sock", 4) == 0)
      k = DFSC_FAULT_SOCK;
    else if (nl == 5 && strncmp(p, "alloc", 5) == 0)
      k = DFSC_FAULT_ALLOC;
    else
      return -EINVAL;
    errno = 0;
    want[k] = strtoul(colon + 1, &end, 10);
    if (end == colon + 1 || errno != 0 || (*end != '\0' && *end != ','))
      return -EINVAL;
    set[k] = 1;
    p = *end == ',' ? end + 1 : end;
  }
  for (k = 0; k < DFSC_FAULT_NKINDS; k++)
    if (set[k])
      dfsc__fault_arm(k, want[k]);
  if (set[DFSC_FAULT_ALLOC])
    dfsc_replace_allocator(fault_malloc, fault_realloc, fault_calloc, free);
  return 0;
}

/* Once, at load: a program that never mentions DFSC_FAULT pays nothing more
 * than this getenv. */
__attribute__((constructor)) static void fault_from_env(void) {
  const char *s = getenv("DFSC_FAULT");
  if (s != NULL && *s != '\0')
    (void)dfsc__fault_parse(s);
}
