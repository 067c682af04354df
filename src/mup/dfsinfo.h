/* Snapshots of DFS state for the public API (see dfsinfo.c). */
#ifndef DFSC_MUP_DFSINFO_H
#define DFSC_MUP_DFSINFO_H

#include "dfs/resolver.h"
#include "dfsc/dfsc.h"

/* Builds the resolution of dfs_path from the cache as it is now. Ownership
 * of *out passes to the caller (dfsc_resolution_free). Returns 0 or a
 * negative code. Loop thread. */
int dfsc__mup_resolution(dfsc_dfs *d, const char *dfs_path, int target_dfs,
                         dfsc_resolution **out);

/* Copies both caches. Ownership of *out passes to the caller
 * (dfsc_cache_info_free). Loop thread. */
int dfsc__mup_cache_info(dfsc_dfs *d, dfsc_cache_info **out);

#endif
