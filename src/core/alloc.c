/* Allocation hooks: the replaceable allocator every module calls.
 * Does not: keep statistics (tests wrap the hooks for that). */
#include "core/alloc.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dfsc/dfsc.h"

static dfsc_malloc_fn hook_malloc = malloc;
static dfsc_realloc_fn hook_realloc = realloc;
static dfsc_calloc_fn hook_calloc = calloc;
static dfsc_free_fn hook_free = free;

int dfsc_replace_allocator(dfsc_malloc_fn m, dfsc_realloc_fn r, dfsc_calloc_fn c,
                           dfsc_free_fn f) {
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

/* Secrets: page-aligned blocks inside an ordinary hooked allocation,
 * marked MADV_DONTDUMP so passwords and keys stay out of core dumps even
 * when the process is dumpable. The hook allocation is the block rounded
 * up to whole pages plus one page of slack for the alignment and the
 * header just below the block (the original pointer and the size).
 * madvise failing (an allocator handing out memory madvise refuses) is
 * not an error: the block is still wiped on release. */
struct secret_hdr {
  void *orig;
  size_t len; /* whole pages covered by the advice */
};

static size_t page_size(void) {
  long ps = sysconf(_SC_PAGESIZE);
  return ps > 0 ? (size_t)ps : 4096;
}

void *dfsc__secret_calloc(size_t n) {
  size_t ps = page_size(), len, total;
  uintptr_t a;
  struct secret_hdr *h;
  uint8_t *orig;
  if (n == 0)
    n = 1;
  if (n > SIZE_MAX / 2 - 2 * ps)
    return NULL;
  len = (n + ps - 1) / ps * ps;
  total = len + ps + sizeof(*h);
  orig = dfsc__malloc(total);
  if (orig == NULL)
    return NULL;
  a = ((uintptr_t)orig + sizeof(*h) + ps - 1) / ps * ps;
  h = (struct secret_hdr *)(a - sizeof(*h));
  h->orig = orig;
  h->len = len;
  memset((void *)a, 0, len);
  (void)madvise((void *)a, len, MADV_DONTDUMP);
  return (void *)a;
}

void dfsc__secret_free(void *p) {
  struct secret_hdr *h;
  if (p == NULL)
    return;
  h = (struct secret_hdr *)((uint8_t *)p - sizeof(*h));
  dfsc__wipe(p, h->len);
  (void)madvise(p, h->len, MADV_DODUMP);
  dfsc__free(h->orig);
}

char *dfsc__secret_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = dfsc__secret_calloc(n);
  if (d != NULL)
    memcpy(d, s, n);
  return d;
}
