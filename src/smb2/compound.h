/* SMB2 compounding ([MS-SMB2] 3.2.4.1.4 sending, 3.2.5.1.x receiving) and
 * async interim responses (3.2.5.1.5).
 *
 * Does: split a received message into its PDUs by NextCommand, each slice
 * bounded and 8-byte aligned; chain PDUs being built into one message,
 * padding each but the last to 8 bytes and patching NextCommand. Does not:
 * sign (the signature of each PDU covers its padding, so sign after
 * dfsc__smb2_chain_finish), decrypt, or set RELATED_OPERATIONS (the caller's
 * header choice).
 */
#ifndef DFSC_SMB2_COMPOUND_H
#define DFSC_SMB2_COMPOUND_H

#include "smb2/smb2.h"

/* Splitting. Zero-initialise with dfsc__smb2_split_init, then call
 * dfsc__smb2_split_next until it returns 0. */
typedef struct dfsc_smb2_split {
  const uint8_t *buf;
  size_t len;
  size_t off;
  int done;
} dfsc_smb2_split;

void dfsc__smb2_split_init(dfsc_smb2_split *s, const uint8_t *buf, size_t len);

/* Yields the next PDU as (pdu, pdu_len) and its decoded header. A PDU with
 * NextCommand == 0 runs to the end of the buffer and is the last; otherwise
 * NextCommand must be a multiple of 8, at least 64, and within the buffer,
 * so every call advances and the walk ends in at most len/64 steps.
 * Returns 1 with a PDU, 0 when done, DFSC_E_PROTO on a malformed chain
 * (after which it keeps returning DFSC_E_PROTO). */
int dfsc__smb2_split_next(dfsc_smb2_split *s, const uint8_t **pdu, size_t *pdu_len,
                          dfsc_smb2_hdr *hdr);

/* Building. The chain writes into w from its current offset (which should be
 * 8-byte aligned; 0 is). For each PDU: dfsc__smb2_chain_next gives a
 * sub-writer whose offset 0 is the new header (encode header + body into
 * it as for a lone PDU), then dfsc__smb2_chain_commit appends it. */
typedef struct dfsc_smb2_chain {
  dfsc_wr *w;
  size_t base;    /* w->off at init: start of the message */
  size_t last;    /* offset in w of the last committed PDU's header */
  unsigned count; /* committed PDUs */
} dfsc_smb2_chain;

void dfsc__smb2_chain_init(dfsc_smb2_chain *c, dfsc_wr *w);

/* Pads the previous PDU to 8 bytes and sets its NextCommand, then points
 * *sub at the free space. Returns 0 or DFSC_E_NOSPACE. */
int dfsc__smb2_chain_next(dfsc_smb2_chain *c, dfsc_wr *sub);

/* Appends the PDU built in sub (whose header must be at sub offset 0, with
 * NextCommand 0). Returns 0, DFSC_E_NOSPACE when sub overflowed, or
 * DFSC_E_PROTO when sub holds less than a header. */
int dfsc__smb2_chain_commit(dfsc_smb2_chain *c, const dfsc_wr *sub);

/* Offset in w of the i-th committed PDU's header, walking NextCommand, or
 * (size_t)-1 if there is no such PDU. For signing each PDU in place. */
size_t dfsc__smb2_chain_pdu_at(const dfsc_smb2_chain *c, unsigned i, size_t *pdu_len);

/* 1 if hdr is an interim response (3.3.4.2): a server-to-client PDU with
 * STATUS_PENDING and the ASYNC flag; its async_id names the final response.
 * STATUS_PENDING without the ASYNC flag is not interim (a protocol error for
 * the caller to report). */
int dfsc__smb2_is_interim(const dfsc_smb2_hdr *hdr);

#endif
