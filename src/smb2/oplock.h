/* SMB2 OPLOCK_BREAK codec: oplock and lease break notifications,
 * acknowledgements and responses ([MS-SMB2] 2.2.23 - 2.2.25).
 *
 * All six share command 0x12 and differ by StructureSize:
 *   24  oplock break notification / acknowledgement / response (one layout)
 *   44  lease break notification
 *   36  lease break acknowledgement / response (one layout)
 * Does: tell them apart and encode/decode each. Does not: track oplock or
 * lease state, or decide the level to acknowledge (session layer).
 */
#ifndef DFSC_SMB2_OPLOCK_H
#define DFSC_SMB2_OPLOCK_H

#include "smb2/smb2.h"

#ifndef SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED
#define SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED 0x00000001u
#endif
/* Lease states, [MS-SMB2] 2.2.13.2.8; same spelling as create.h so the
 * two may be included together. */
#ifndef SMB2_LEASE_NONE
#define SMB2_LEASE_NONE 0x00u
#endif
#define SMB2_LEASE_READ_CACHING 0x01u
#define SMB2_LEASE_HANDLE_CACHING 0x02u
#define SMB2_LEASE_WRITE_CACHING 0x04u

enum {
  DFSC_SMB2_BREAK_OPLOCK = 1,   /* StructureSize 24 */
  DFSC_SMB2_BREAK_LEASE = 2,    /* StructureSize 44: lease break notification */
  DFSC_SMB2_BREAK_LEASE_ACK = 3 /* StructureSize 36: lease ack or its response */
};

/* Oplock break notification (2.2.23.1), acknowledgement (2.2.24.1) and
 * response (2.2.25.1). */
typedef struct dfsc_smb2_oplock_break {
  uint8_t oplock_level; /* SMB2_OPLOCK_LEVEL_* */
  dfsc_smb2_fid fid;
} dfsc_smb2_oplock_break;

/* Lease break notification, 2.2.23.2. */
typedef struct dfsc_smb2_lease_break {
  uint16_t new_epoch;
  uint32_t flags; /* SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED */
  uint8_t lease_key[16];
  uint32_t current_lease_state;
  uint32_t new_lease_state;
  uint32_t break_reason;
  uint32_t access_mask_hint;
  uint32_t share_mask_hint;
} dfsc_smb2_lease_break;

/* Lease break acknowledgement (2.2.24.2) and response (2.2.25.2). */
typedef struct dfsc_smb2_lease_ack {
  uint32_t flags;
  uint8_t lease_key[16];
  uint32_t lease_state;
  uint64_t lease_duration;
} dfsc_smb2_lease_ack;

/* Returns DFSC_SMB2_BREAK_* from the body's StructureSize, or DFSC_E_PROTO
 * when the PDU is too short or the size is none of the three. */
int dfsc__smb2_oplock_break_kind(const uint8_t *pdu, size_t len);

/* Encoders (w->off == 64 on entry): 0 or DFSC_E_NOSPACE.
 * Decoders (pdu at the header): 0 or DFSC_E_PROTO. */
int dfsc__smb2_oplock_break_encode(dfsc_wr *w, const dfsc_smb2_oplock_break *b);
int dfsc__smb2_oplock_break_decode(const uint8_t *pdu, size_t len,
                                   dfsc_smb2_oplock_break *b);
int dfsc__smb2_lease_break_encode(dfsc_wr *w, const dfsc_smb2_lease_break *b);
int dfsc__smb2_lease_break_decode(const uint8_t *pdu, size_t len, dfsc_smb2_lease_break *b);
int dfsc__smb2_lease_ack_encode(dfsc_wr *w, const dfsc_smb2_lease_ack *a);
int dfsc__smb2_lease_ack_decode(const uint8_t *pdu, size_t len, dfsc_smb2_lease_ack *a);

#endif
