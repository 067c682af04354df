/* What the mup modules share about operations and handles. */
#ifndef DFSC_MUP_OPS_H
#define DFSC_MUP_OPS_H

#include "dfsc/dfsc.h"

/* The context a handle belongs to (NULL for NULL). */
dfsc_ctx *dfsc__file_ctx(const dfsc_file *f);

struct dfsc_sl;
/* The session layer of a context (tests and diagnostics). */
struct dfsc_sl *dfsc__ctx_sl(dfsc_ctx *ctx);

#endif
