/* Code the front ends of the dfsc binary share: the CLI (tools/dfsc) and
 * the FUSE mount (tools/mount) both include this header, and neither
 * includes the other's private header or .c files.
 *
 * Escaping of text for a terminal (escape.c), JSON and time formatting and
 * the counters report (output.c), the DFS reports of `resolve`, `cache`
 * and the mount's .dfsc/cache (dfsinfo.c). Pure functions over the public
 * API (the only I/O is writing to a caller's FILE), so unit tests include
 * their .c files directly.
 * Does not: include anything from src/, parse arguments (each front end
 * parses its own), or decide what a command prints.
 */
#ifndef DFSC_TOOLS_FE_H
#define DFSC_TOOLS_FE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dfsc/dfsc.h"

/* ---- escaping (escape.c) ---------------------------------------------- */
/* Length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes are
 * not one (overlong forms, surrogates and values above U+10FFFF are not).
 * Reads no further than a NUL. */
size_t dfsc__fe_utf8_len(const unsigned char *s);

/* The one visible form of text printed by the CLI (docs/dfsc.1, ESCAPES):
 * TAB LF CR as \t \n \r, other C0 and DEL as \xHH, C1 (U+0080-U+009F) as
 * \u0080..\u009f, each byte of invalid UTF-8 as \xHH; the rest unchanged
 * (a backslash too). Writes at most cap - 1 bytes and a NUL into dst (cap
 * 0: nothing; never cut inside an escape) and returns the length of the
 * whole escaped text, as snprintf does. */
size_t dfsc__fe_escape(char *dst, size_t cap, const char *s);

/* The escaped text in a new heap string (free it), or NULL. */
char *dfsc__fe_escaped(const char *s);

/* Writes s to f escaped. */
void dfsc__fe_put_escaped(FILE *f, const char *s);

/* Prints "dfsc: MESSAGE\n" on stderr, the formatted message escaped, in
 * one write. Every error and log line of the CLI goes through it. */
void dfsc__fe_errf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- output (output.c) ------------------------------------------------ */
/* Writes `s` as a JSON string with quotes: '"' '\' and control characters
 * (C0, DEL and C1) escaped as \uXXXX (or \n \t ...), valid UTF-8 passed
 * through, each invalid byte replaced by U+FFFD. */
void dfsc__fe_json_str(FILE *f, const char *s);

/* Formats a FILETIME (100 ns since 1601-01-01 UTC) as ISO 8601 UTC:
 * "1970-01-01T00:00:00Z", or with_ns "1970-01-01T00:00:00.000000000Z".
 * Returns the length written (< cap) or -1 when cap is too small. */
int dfsc__fe_filetime_iso(uint64_t ft, int with_ns, char *buf, size_t cap);

/* Names of the [MS-FSCC] 2.6 attribute bits set in `attrs`, in bit order;
 * stores at most `max` pointers to static strings, returns how many bits
 * have names (unknown bits are skipped). */
int dfsc__fe_attr_names(uint32_t attrs, const char **names, int max);

/* "123 B", "1.5 KiB", "12.3 MiB", ... Returns buf. */
char *dfsc__fe_human_bytes(uint64_t n, char *buf, size_t cap);

/* The counters (output.c) and the caches (dfsinfo.c) as text, or with
 * json as one JSON object; shared by --stats, `cache` and the mount's
 * .dfsc files. */
void dfsc__fe_stats_print(FILE *out, const dfsc_stats *st, int json);
void dfsc__fe_cache_print(FILE *out, const dfsc_cache_info *c, int json);

/* ---- DFS reports (dfsinfo.c) ------------------------------------------ */
/* One hop of a resolution or one referral cache entry: as a JSON object,
 * or as text lines (prefix, type, version, source, TTL, PathConsumed,
 * then the targets with "->" before the chosen one), each line starting
 * with indent. Names from servers are escaped (text) or JSON-encoded. */
void dfsc__fe_hop_json(FILE *out, const dfsc_resolve_hop *h);
void dfsc__fe_hop_text(FILE *out, const dfsc_resolve_hop *h, const char *indent);

#endif
