/* Case-insensitive glob match for server-name patterns (`*` any run, `?`
 * one character), shared by --cred-servers and the mount's hosts=.
 * Does not: know paths, classes or escapes. */
#ifndef DFSC_CORE_GLOB_H
#define DFSC_CORE_GLOB_H

/* Returns 1 when NAME matches PATTERN (ASCII case-insensitive), else 0.
 * Linear in practice and never exponential: one backtrack point, the last
 * '*'. Thread-safety: pure. */
int dfsc__glob_match(const char *pattern, const char *name);

#endif
