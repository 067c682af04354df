/* UTF-8 <-> UTF-16LE conversion for names on the wire.
 * Invalid input (bad UTF-8, unpaired surrogates from a peer) is an error,
 * never silently replaced. Does not: normalise or case-fold. */
#ifndef DFSC_CORE_UTF16_H
#define DFSC_CORE_UTF16_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Returns the number of UTF-16LE bytes `s` (n bytes of UTF-8) encodes to, or
 * -EILSEQ for invalid UTF-8. */
long dfsc__utf8_to_utf16_len(const char *s, size_t n);

/* Appends the UTF-16LE form of s[0..n) to w (no terminator). Returns 0,
 * -EILSEQ for invalid UTF-8, or DFSC_E_NOSPACE when w is full. */
int dfsc__utf8_to_utf16_wr(dfsc_wr *w, const char *s, size_t n);

/* Converts UTF-16LE (nbytes, even) to a NUL-terminated UTF-8 string written
 * into dst (cap bytes). Returns the UTF-8 length (excluding NUL), -EILSEQ for
 * an unpaired surrogate or odd length, DFSC_E_NOSPACE when cap is too small. */
long dfsc__utf16_to_utf8(const uint8_t *u16, size_t nbytes, char *dst, size_t cap);

/* Same, allocating the result with dfsc__malloc. Ownership: caller frees with
 * dfsc__free. Returns 0 or a negative code. */
int dfsc__utf16_to_utf8_alloc(const uint8_t *u16, size_t nbytes, char **out);

/* Upper-cases ASCII letters in place and returns s (DFS prefix keys). */
char *dfsc__ascii_upper(char *s);

#endif
