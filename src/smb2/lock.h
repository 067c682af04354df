/* SMB2 LOCK request / response codec ([MS-SMB2] 2.2.26, 2.2.27).
 *
 * Request (StructureSize 48): LockCount, LockSequence (4 bits number + 28
 * bits index), FileId, then LockCount SMB2_LOCK_ELEMENTs of 24 bytes
 * (Offset, Length, Flags, Reserved); the body's StructureSize counts one
 * element. Response (StructureSize 4): nothing else.
 *
 * Conventions as in smb2.h. Does not: keep lock state, choose the lock
 * sequence, or wait.
 */
#ifndef DFSC_SMB2_LOCK_H
#define DFSC_SMB2_LOCK_H

#include "smb2/fileinfo.h"
#include "smb2/smb2.h"

#define SMB2_LOCK_REQ_SSIZE 48
#define SMB2_LOCK_RSP_SSIZE 4
#define SMB2_LOCK_ELEMENT_SIZE 24
/* Elements in one request: this codec's bound, not the protocol's
 * (LockCount is 16 bits; 64 elements are 1,536 bytes of body). The struct
 * holds them inline; encoder and decoder refuse more, and a caller never
 * needs more than a few. */
#define SMB2_LOCK_MAX_ELEMENTS 64

/* SMB2_LOCK_ELEMENT Flags, [MS-SMB2] 2.2.26.1 */
#define SMB2_LOCKFLAG_SHARED_LOCK 0x00000001u
#define SMB2_LOCKFLAG_EXCLUSIVE_LOCK 0x00000002u
#define SMB2_LOCKFLAG_UNLOCK 0x00000004u
#define SMB2_LOCKFLAG_FAIL_IMMEDIATELY 0x00000010u

typedef struct dfsc_smb2_lock_element {
  uint64_t offset;
  uint64_t length;
  uint32_t flags; /* SMB2_LOCKFLAG_* */
} dfsc_smb2_lock_element;

typedef struct dfsc_smb2_lock_req {
  uint32_t lock_sequence; /* LockSequenceNumber (low 4 bits) | index << 4 */
  dfsc_smb2_fid fid;
  uint16_t count; /* 1..SMB2_LOCK_MAX_ELEMENTS */
  /* encoder: count elements written; decoder: all count of them (a PDU
   * with more than the maximum is refused) */
  dfsc_smb2_lock_element locks[SMB2_LOCK_MAX_ELEMENTS];
} dfsc_smb2_lock_req;

/* Encoders: 0, DFSC_E_NOSPACE, or -EINVAL (count 0 or over the maximum).
 * Decoders: 0 or DFSC_E_PROTO (short body, wrong StructureSize, count 0 or
 * over the maximum, elements past len). The response carries nothing but
 * its StructureSize. */
int dfsc__smb2_lock_req_encode(dfsc_wr *w, const dfsc_smb2_lock_req *req);
int dfsc__smb2_lock_req_decode(const uint8_t *pdu, size_t len, dfsc_smb2_lock_req *req);
int dfsc__smb2_lock_rsp_encode(dfsc_wr *w);
int dfsc__smb2_lock_rsp_decode(const uint8_t *pdu, size_t len);

#endif
