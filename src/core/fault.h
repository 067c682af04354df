/* Fault injection for tests: fail the N-th operation of a kind (an
 * allocation, a socket call) once, and count operations to learn how many
 * there are.
 *
 * Production cost: each hook site tests one relaxed atomic flag that stays 0
 * unless a test armed a kind (DFSC_FAULT_HIT below). Configured either by
 * the internal setters (tests linked against the static library) or by the
 * environment variable DFSC_FAULT, read once when the library is loaded:
 *   DFSC_FAULT="sock:N"      fail the N-th socket operation (1-based)
 *   DFSC_FAULT="alloc:N"     fail the N-th allocation
 *   DFSC_FAULT="sock:N,alloc:M"   both
 * N = 0 counts without failing. Socket operations are socket(), connect(),
 * sendmsg(), read() in transport/tcp.c and the start of a name lookup in
 * transport/lookup.c. The "alloc" kind from the environment installs a
 * wrapping allocator (dfsc_replace_allocator); tests that bring their own
 * allocator count and fail allocations there instead.
 * Does not: fail more than one operation per arming, or pick the errno (the
 * hook site does, to match what that call can return).
 */
#ifndef DFSC_CORE_FAULT_H
#define DFSC_CORE_FAULT_H

#include <stdatomic.h>

enum dfsc_fault_kind { DFSC_FAULT_ALLOC = 0, DFSC_FAULT_SOCK, DFSC_FAULT_NKINDS };

/* Nonzero while any kind is armed. Read only through DFSC_FAULT_HIT. */
extern atomic_int dfsc__fault_on;

/* Counts one operation of `kind`; returns nonzero when it is the one to fail.
 * Thread-safety: any thread. */
int dfsc__fault_hit(int kind);

#define DFSC_FAULT_HIT(kind)                                                               \
  (__builtin_expect(atomic_load_explicit(&dfsc__fault_on, memory_order_relaxed), 0) &&     \
   dfsc__fault_hit(kind))

/* Starts counting operations of `kind` from zero; the nth (1-based) fails,
 * 0 only counts. Call while no context is running (not synchronised with
 * operations in flight beyond atomicity of the counters). */
void dfsc__fault_arm(int kind, unsigned long nth);

/* Stops counting and failing every kind (counts stay readable). */
void dfsc__fault_disarm(void);

/* Operations of `kind` seen since it was armed. */
unsigned long dfsc__fault_count(int kind);

/* Whether the armed failure of `kind` has happened. */
int dfsc__fault_fired(int kind);

/* Parses a DFSC_FAULT value and arms what it names. Returns 0 or -EINVAL
 * (nothing armed). */
int dfsc__fault_parse(const char *spec);

#endif
