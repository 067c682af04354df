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

/* What a name a server gave (a directory entry) is, judged on its raw
 * UTF-16LE before any conversion. Only DFSC_NAME_OK names may reach a
 * caller: one with U+0000 would be cut short at the NUL by every C string
 * user ("x\0/../../t" would become "x"); one with '/' or '\\' is more than
 * one component to every path built from it (on the wire '\\' separates,
 * [MS-SMB2] 2.2.13; locally '/'); an empty one, "." and ".." name the
 * directory itself or its parent; one that is not valid UTF-16 has no
 * UTF-8 form that converts back to the same bytes. C0 and C1 controls are
 * legal in server names and pass: printing them safely is the printer's
 * job. */
typedef enum dfsc_name_verdict {
  DFSC_NAME_OK = 0,
  DFSC_NAME_DOT,     /* exactly "." or ".." */
  DFSC_NAME_EMPTY,   /* no characters */
  DFSC_NAME_NUL,     /* holds U+0000 */
  DFSC_NAME_SEP,     /* holds '/' or '\\' */
  DFSC_NAME_BADUTF16 /* an odd byte count or an unpaired surrogate */
} dfsc_name_verdict;

/* Judges u16 (nbytes of UTF-16LE). The first offence in the name decides
 * between NUL, SEP and BADUTF16. u16 may be NULL when nbytes is 0. */
dfsc_name_verdict dfsc__utf16_name_check(const uint8_t *u16, size_t nbytes);

/* A short static phrase for a verdict ("holds U+0000"), for log lines. */
const char *dfsc__name_verdict_str(dfsc_name_verdict v);

/* Writes a printable, pure-ASCII form of u16 into dst (cap bytes, always
 * NUL-terminated when cap > 0): printable ASCII as is, '\\' doubled,
 * '"' as \", other units below 0x80 as \xHH, every other UTF-16 unit
 * (surrogates included, paired or not) as \uXXXX. Cut with "..." when it
 * does not fit. For log lines that name a server-supplied name: whatever
 * the server sent, the line holds no control byte. Returns strlen(dst). */
size_t dfsc__utf16_escape(const uint8_t *u16, size_t nbytes, char *dst, size_t cap);

/* Upper-cases ASCII letters in place and returns s (DFS prefix keys). */
char *dfsc__ascii_upper(char *s);

#endif
