/* What the mup modules share about operations and handles. */
#ifndef DFSC_MUP_OPS_H
#define DFSC_MUP_OPS_H

#include <stdint.h>

#include "dfsc/dfsc.h"

/* The context a handle belongs to (NULL for NULL). */
dfsc_ctx *dfsc__file_ctx(const dfsc_file *f);

struct dfsc_sl;
/* The session layer of a context (tests and diagnostics). */
struct dfsc_sl *dfsc__ctx_sl(dfsc_ctx *ctx);

struct dfsc_dfs;
/* The DFS resolver of a context (NULL once shut down). Tests read its
 * counters only while no operation runs. */
struct dfsc_dfs *dfsc__ctx_dfs(dfsc_ctx *ctx);

/* Replaces the loop clock (tests: moving time past TTLs). Runs on the loop
 * thread and waits for it. Returns 0 or a negative code. */
typedef uint64_t (*dfsc__clock_fn)(void *arg);
int dfsc__ctx_set_clock(dfsc_ctx *ctx, dfsc__clock_fn fn, void *arg);

#endif
