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

#endif
