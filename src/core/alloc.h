/* Allocation hooks. All library allocation goes through these so that tests
 * can replace the allocator (dfsc_replace_allocator) and fail the N-th call.
 * Does not: track or pool memory. */
#ifndef DFSC_CORE_ALLOC_H
#define DFSC_CORE_ALLOC_H

#include <stddef.h>

void *dfsc__malloc(size_t n);
void *dfsc__calloc(size_t count, size_t n);
void *dfsc__realloc(void *p, size_t n);
void dfsc__free(void *p);
char *dfsc__strdup(const char *s);
void *dfsc__memdup(const void *p, size_t n);

/* Overwrite a secret before release; not optimised away. */
void dfsc__wipe(void *p, size_t n);

/* Memory for passwords and keys: zeroed, through the hooks above (so it
 * fails like any allocation under fault injection), on whole pages marked
 * MADV_DONTDUMP so a core dump does not carry it. Costs at least two pages
 * per call: for long-lived secrets, not per request. Returns NULL on
 * failure. dfsc__secret_free wipes the whole block and releases it; NULL
 * is a no-op. dfsc__secret_strdup copies a string the same way. */
void *dfsc__secret_calloc(size_t n);
void dfsc__secret_free(void *p);
char *dfsc__secret_strdup(const char *s);

#endif
