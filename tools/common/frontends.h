/* How the dfsc binary's dispatcher (tools/dfsc/main.c) hands the `mount`
 * command to the mount front end (tools/mount), without either including
 * the other's private header.
 *
 * The dispatcher parses the global options (credentials, protocol, bounds:
 * they build the dfsc_opts every command shares) and passes each option
 * only `mount` takes (-o LIST, -f, -s, -d) to dfsc__mount_opt as it meets
 * it, so errors come in command-line order; the mount parses them. What
 * -o adds to the global options (credentials=, user=, domain= and the
 * dfsc.conf keys) comes back through dfsc__mount_overrides, to be merged
 * with -A, -U, -W and --config by the same rules as for every command.
 * Does not: include anything from src/.
 */
#ifndef DFSC_TOOLS_FRONTENDS_H
#define DFSC_TOOLS_FRONTENDS_H

#include <stddef.h>

#include "dfsc/dfsc.h"

/* The mount's own options: opaque outside tools/mount. */
struct dfsc__mount_opts;

/* A set with every default. NULL when out of memory. */
struct dfsc__mount_opts *dfsc__mount_opts_new(void);
/* Frees it and everything it holds; NULL is ignored. */
void dfsc__mount_opts_delete(struct dfsc__mount_opts *o);

/* One option only `mount` takes: opt 'o' with arg (a comma list; "\," is
 * a literal comma), 'f' (foreground), 's' (one FUSE thread), 'd' (FUSE
 * request trace; implies 'f'). is_config_key says whether a -o key is one
 * of the configuration file's, collected for dfsc__mount_overrides.
 * Returns 0, -EINVAL (message in err) or -ENOMEM. */
int dfsc__mount_opt(struct dfsc__mount_opts *o, int opt, const char *arg,
                    int (*is_config_key)(const char *key, size_t len), char *err,
                    size_t errcap);

/* What -o gave for the global options; NULL (config_len 0) when not given.
 * The strings live as long as o. */
struct dfsc__mount_overrides {
  const char *credentials; /* -o credentials=FILE: as -A */
  const char *user;        /* -o user=[DOM\]NAME: as -U without a password */
  const char *domain;      /* -o domain=NAME: as -W */
  const char *config;      /* "KEY = VALUE" lines of dfsc.conf keys */
  size_t config_len;
};
void dfsc__mount_overrides(const struct dfsc__mount_opts *o,
                           struct dfsc__mount_overrides *out);

/* Runs `dfsc [OPTIONS] mount MOUNTPOINT [-o OPTS] [-f] [-s] [-d]`: opts
 * holds what the global options set (the password included: the mount
 * wipes its copy once its context holds one), mo the mount's own. Returns
 * the exit status. */
int dfsc__mount_main(dfsc_opts *opts, struct dfsc__mount_opts *mo, const char *mountpoint,
                     int verbose);

#endif
