/* SMB2 OPLOCK_BREAK codec, [MS-SMB2] 2.2.23 (notifications), 2.2.24
 * (acknowledgements), 2.2.25 (responses).
 *
 * Does: fixed-size bodies, told apart by StructureSize. Does not: check that
 * a notification's MessageId is 0xFFFFFFFFFFFFFFFF (the caller has the
 * header) or keep any oplock/lease state.
 */
#include "smb2/oplock.h"

#include "dfsc/errors.h"

#define OPLOCK_SIZE 24
#define LEASE_BREAK_SIZE 44
#define LEASE_ACK_SIZE 36

int dfsc__smb2_oplock_break_kind(const uint8_t *pdu, size_t len) {
  if (pdu == NULL || len < SMB2_HDR_SIZE + 2)
    return DFSC_E_PROTO;
  switch (dfsc__le16(pdu + SMB2_HDR_SIZE)) {
  case OPLOCK_SIZE:
    return DFSC_SMB2_BREAK_OPLOCK;
  case LEASE_BREAK_SIZE:
    return DFSC_SMB2_BREAK_LEASE;
  case LEASE_ACK_SIZE:
    return DFSC_SMB2_BREAK_LEASE_ACK;
  default:
    return DFSC_E_PROTO;
  }
}

/* Positions r after a StructureSize equal to `size`; sets r->bad otherwise. */
static void rd_body(dfsc_rd *r, const uint8_t *pdu, size_t len, uint16_t size) {
  dfsc__rd_init(r, pdu, len);
  if (pdu == NULL) {
    r->bad = 1;
    return;
  }
  dfsc__rd_seek(r, SMB2_HDR_SIZE);
  if (dfsc__rd_u16(r) != size)
    r->bad = 1;
}

int dfsc__smb2_oplock_break_encode(dfsc_wr *w, const dfsc_smb2_oplock_break *b) {
  dfsc__wr_u16(w, OPLOCK_SIZE);
  dfsc__wr_u8(w, b->oplock_level);
  dfsc__wr_u8(w, 0);
  dfsc__wr_u32(w, 0);
  dfsc__wr_u64(w, b->fid.persistent);
  dfsc__wr_u64(w, b->fid.volatile_);
  return w->bad ? DFSC_E_NOSPACE : 0;
}

int dfsc__smb2_oplock_break_decode(const uint8_t *pdu, size_t len,
                                   dfsc_smb2_oplock_break *b) {
  dfsc_rd r;

  memset(b, 0, sizeof *b);
  rd_body(&r, pdu, len, OPLOCK_SIZE);
  b->oplock_level = dfsc__rd_u8(&r);
  dfsc__rd_skip(&r, 5);
  b->fid.persistent = dfsc__rd_u64(&r);
  b->fid.volatile_ = dfsc__rd_u64(&r);
  return r.bad ? DFSC_E_PROTO : 0;
}

int dfsc__smb2_lease_break_encode(dfsc_wr *w, const dfsc_smb2_lease_break *b) {
  dfsc__wr_u16(w, LEASE_BREAK_SIZE);
  dfsc__wr_u16(w, b->new_epoch);
  dfsc__wr_u32(w, b->flags);
  dfsc__wr_bytes(w, b->lease_key, sizeof b->lease_key);
  dfsc__wr_u32(w, b->current_lease_state);
  dfsc__wr_u32(w, b->new_lease_state);
  dfsc__wr_u32(w, b->break_reason);
  dfsc__wr_u32(w, b->access_mask_hint);
  dfsc__wr_u32(w, b->share_mask_hint);
  return w->bad ? DFSC_E_NOSPACE : 0;
}

int dfsc__smb2_lease_break_decode(const uint8_t *pdu, size_t len,
                                  dfsc_smb2_lease_break *b) {
  dfsc_rd r;

  memset(b, 0, sizeof *b);
  rd_body(&r, pdu, len, LEASE_BREAK_SIZE);
  b->new_epoch = dfsc__rd_u16(&r);
  b->flags = dfsc__rd_u32(&r);
  dfsc__rd_bytes(&r, b->lease_key, sizeof b->lease_key);
  b->current_lease_state = dfsc__rd_u32(&r);
  b->new_lease_state = dfsc__rd_u32(&r);
  b->break_reason = dfsc__rd_u32(&r);
  b->access_mask_hint = dfsc__rd_u32(&r);
  b->share_mask_hint = dfsc__rd_u32(&r);
  return r.bad ? DFSC_E_PROTO : 0;
}

int dfsc__smb2_lease_ack_encode(dfsc_wr *w, const dfsc_smb2_lease_ack *a) {
  dfsc__wr_u16(w, LEASE_ACK_SIZE);
  dfsc__wr_u16(w, 0);
  dfsc__wr_u32(w, a->flags);
  dfsc__wr_bytes(w, a->lease_key, sizeof a->lease_key);
  dfsc__wr_u32(w, a->lease_state);
  dfsc__wr_u64(w, a->lease_duration);
  return w->bad ? DFSC_E_NOSPACE : 0;
}

int dfsc__smb2_lease_ack_decode(const uint8_t *pdu, size_t len, dfsc_smb2_lease_ack *a) {
  dfsc_rd r;

  memset(a, 0, sizeof *a);
  rd_body(&r, pdu, len, LEASE_ACK_SIZE);
  dfsc__rd_skip(&r, 2);
  a->flags = dfsc__rd_u32(&r);
  dfsc__rd_bytes(&r, a->lease_key, sizeof a->lease_key);
  a->lease_state = dfsc__rd_u32(&r);
  a->lease_duration = dfsc__rd_u64(&r);
  return r.bad ? DFSC_E_PROTO : 0;
}
