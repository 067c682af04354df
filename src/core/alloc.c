/* Allocation hooks: the replaceable allocator every module calls.
 * Does not: keep statistics (tests wrap the hooks for that). */
#include "core/alloc.h"

#include <string.h>

#include "dfsc/dfsc.h"

static dfsc_malloc_fn hook_malloc = malloc;
static dfsc_realloc_fn hook_realloc = realloc;
static dfsc_calloc_fn hook_calloc = calloc;
static dfsc_free_fn hook_free = free;

int dfsc_replace_allocator(dfsc_malloc_fn m, dfsc_realloc_fn r,
                           dfsc_calloc_fn c, dfsc_free_fn f) {
  if (m == NULL || r == NULL || c == NULL || f == NULL)
    return -EINVAL;
  hook_malloc = m;
  hook_realloc = r;
  hook_calloc = c;
  hook_free = f;
  return 0;
}

void *dfsc__malloc(size_t n) { return hook_malloc(n ? n : 1); }

void *dfsc__calloc(size_t count, size_t n) {
  if (count == 0 || n == 0)
    count = n = 1;
  return hook_calloc(count, n);
}

void *dfsc__realloc(void *p, size_t n) { return hook_realloc(p, n ? n : 1); }

void dfsc__free(void *p) {
  if (p != NULL)
    hook_free(p);
}

char *dfsc__strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = dfsc__malloc(n);
  if (d != NULL)
    memcpy(d, s, n);
  return d;
}

void *dfsc__memdup(const void *p, size_t n) {
  void *d = dfsc__malloc(n);
  if (d != NULL && n > 0)
    memcpy(d, p, n);
  return d;
}

void dfsc__wipe(void *p, size_t n) {
  /* A volatile function pointer keeps the compiler from eliding the store
   * to memory that is about to be freed. */
  static void *(*volatile do_memset)(void *, int, size_t) = memset;
  if (p != NULL)
    do_memset(p, 0, n);
}
