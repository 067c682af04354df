/* What the mup modules share about operations and handles. */
#ifndef DFSC_MUP_OPS_H
#define DFSC_MUP_OPS_H

#include "dfsc/dfsc.h"

/* The context a handle belongs to (NULL for NULL). */
dfsc_ctx *dfsc__file_ctx(const dfsc_file *f);

#endif
