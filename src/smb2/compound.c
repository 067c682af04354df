/* SMB2 compound split/build and interim-response test, [MS-SMB2] 3.2.4.1.4,
 * 3.2.5.1.5, 3.3.4.2.
 *
 * Does: bounded walks over NextCommand and the bookkeeping to build a chain.
 * Does not: sign, decrypt, or check that related operations share ids.
 */
#include "smb2/compound.h"

#include "dfsc/errors.h"
#include "smb2/status.h"

#define NEXT_COMMAND_AT 20

void dfsc__smb2_split_init(dfsc_smb2_split *s, const uint8_t *buf, size_t len) {
  s->buf = buf;
  s->len = len;
  s->off = 0;
  s->done = buf == NULL || len == 0;
}

int dfsc__smb2_split_next(dfsc_smb2_split *s, const uint8_t **pdu, size_t *pdu_len,
                          dfsc_smb2_hdr *hdr) {
  size_t left, n;

  *pdu = NULL;
  *pdu_len = 0;
  if (s->done < 0)
    return DFSC_E_PROTO;
  if (s->done)
    return 0;
  left = s->len - s->off;
  if (dfsc__smb2_hdr_decode(s->buf + s->off, left, hdr) < 0)
    goto bad;
  if (hdr->next_command == 0) {
    n = left;
    s->done = 1;
  } else {
    n = hdr->next_command;
    /* Each PDU starts 8-byte aligned (3.2.4.1.4) and holds a header, so
     * NextCommand >= 64 guarantees progress. */
    if ((n & 7) != 0 || n < SMB2_HDR_SIZE || n > left)
      goto bad;
    if (n == left) {
      /* A NextCommand pointing exactly at the end promises a PDU that is
       * not there. */
      goto bad;
    }
  }
  *pdu = s->buf + s->off;
  *pdu_len = n;
  s->off += n;
  return 1;

bad:
  s->done = -1;
  return DFSC_E_PROTO;
}

void dfsc__smb2_chain_init(dfsc_smb2_chain *c, dfsc_wr *w) {
  c->w = w;
  c->base = w->off;
  c->last = w->off;
  c->count = 0;
}

int dfsc__smb2_chain_next(dfsc_smb2_chain *c, dfsc_wr *sub) {
  dfsc_wr *w = c->w;
  size_t pad, gap;

  if (c->count > 0 && !w->bad) {
    pad = (8 - ((w->off - c->base) & 7)) & 7;
    dfsc__wr_zero(w, pad);
    gap = w->off - c->last;
    if (!w->bad && gap > UINT32_MAX)
      w->bad = 1;
    dfsc__wr_put_u32(w, c->last + NEXT_COMMAND_AT, (uint32_t)gap);
  }
  if (w->bad) {
    dfsc__wr_init(sub, NULL, 0);
    sub->bad = 1;
    return DFSC_E_NOSPACE;
  }
  dfsc__wr_init(sub, w->p + w->off, w->cap - w->off);
  return 0;
}

int dfsc__smb2_chain_commit(dfsc_smb2_chain *c, const dfsc_wr *sub) {
  dfsc_wr *w = c->w;

  if (sub->bad || w->bad || sub->off > w->cap - w->off) {
    w->bad = 1;
    return DFSC_E_NOSPACE;
  }
  if (sub->off < SMB2_HDR_SIZE || sub->p != w->p + w->off)
    return DFSC_E_PROTO;
  c->last = w->off;
  w->off += sub->off;
  c->count++;
  return 0;
}

size_t dfsc__smb2_chain_pdu_at(const dfsc_smb2_chain *c, unsigned i, size_t *pdu_len) {
  const dfsc_wr *w = c->w;
  size_t at = c->base, next;
  unsigned k;

  if (i >= c->count)
    return (size_t)-1;
  /* Committed PDUs are well formed (we wrote them), but still bound the
   * walk by the writer. */
  for (k = 0;; k++) {
    if (at > w->off || w->off - at < SMB2_HDR_SIZE)
      return (size_t)-1;
    next = dfsc__le32(w->p + at + NEXT_COMMAND_AT);
    if (k == i) {
      if (pdu_len != NULL)
        *pdu_len = next ? next : w->off - at;
      return at;
    }
    if (next == 0)
      return (size_t)-1;
    at += next;
  }
}

int dfsc__smb2_is_interim(const dfsc_smb2_hdr *hdr) {
  return hdr->status == STATUS_PENDING && (hdr->flags & SMB2_FLAGS_ASYNC_COMMAND) &&
         (hdr->flags & SMB2_FLAGS_SERVER_TO_REDIR);
}
