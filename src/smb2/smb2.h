/* SMB2/3 wire constants and the 64-byte header ([MS-SMB2] 2.2.1).
 *
 * The codec is pure: encoders write into a caller's dfsc_wr, decoders read a
 * caller's buffer and return pointers into it. No I/O, no allocation.
 *
 * Conventions shared by every src/smb2/<command>.{h,c}:
 *  - An encoder gets a writer whose offset 0 is the first byte of the SMB2
 *    header of that PDU (header already written, w->off == 64 on entry) and
 *    appends the body. Offsets written into the body count from the header
 *    start ([MS-SMB2] 2.2.1), i.e. they are writer offsets.
 *  - A decoder gets (pdu, len): one PDU starting at its header (for a
 *    compound, the slice up to NextCommand) and fills a struct whose pointer
 *    fields point into pdu. Every offset and length from the wire is checked
 *    against len before use. Returns 0 or DFSC_E_PROTO.
 *  - Strings go out as UTF-8 in request structs (encoders convert to
 *    UTF-16LE) and come back as UTF-16LE pointer + byte length.
 */
#ifndef DFSC_SMB2_SMB2_H
#define DFSC_SMB2_SMB2_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define SMB2_HDR_SIZE 64
#define SMB2_PROTOCOL_ID 0x424D53FEu  /* 0xFE 'S' 'M' 'B' as a LE u32 */
#define SMB2_TRANSFORM_ID 0x424D53FDu /* 0xFD 'S' 'M' 'B' */

/* Commands, [MS-SMB2] 2.2.1.2 */
enum {
  SMB2_NEGOTIATE = 0x0000,
  SMB2_SESSION_SETUP = 0x0001,
  SMB2_LOGOFF = 0x0002,
  SMB2_TREE_CONNECT = 0x0003,
  SMB2_TREE_DISCONNECT = 0x0004,
  SMB2_CREATE = 0x0005,
  SMB2_CLOSE = 0x0006,
  SMB2_FLUSH = 0x0007,
  SMB2_READ = 0x0008,
  SMB2_WRITE = 0x0009,
  SMB2_LOCK = 0x000A,
  SMB2_IOCTL = 0x000B,
  SMB2_CANCEL = 0x000C,
  SMB2_ECHO = 0x000D,
  SMB2_QUERY_DIRECTORY = 0x000E,
  SMB2_CHANGE_NOTIFY = 0x000F,
  SMB2_QUERY_INFO = 0x0010,
  SMB2_SET_INFO = 0x0011,
  SMB2_OPLOCK_BREAK = 0x0012,
  SMB2_COMMAND_MAX
};

/* Header flags, [MS-SMB2] 2.2.1.2 */
#define SMB2_FLAGS_SERVER_TO_REDIR 0x00000001u
#define SMB2_FLAGS_ASYNC_COMMAND 0x00000002u
#define SMB2_FLAGS_RELATED_OPERATIONS 0x00000004u
#define SMB2_FLAGS_SIGNED 0x00000008u
#define SMB2_FLAGS_PRIORITY_MASK 0x00000070u
#define SMB2_FLAGS_DFS_OPERATIONS 0x10000000u
#define SMB2_FLAGS_REPLAY_OPERATION 0x20000000u

/* Dialects, [MS-SMB2] 2.2.3 */
#define SMB2_DIALECT_202 0x0202
#define SMB2_DIALECT_210 0x0210
#define SMB2_DIALECT_300 0x0300
#define SMB2_DIALECT_302 0x0302
#define SMB2_DIALECT_311 0x0311
#define SMB2_DIALECT_WILDCARD 0x02FF

/* Security mode, [MS-SMB2] 2.2.3 */
#define SMB2_NEGOTIATE_SIGNING_ENABLED 0x0001
#define SMB2_NEGOTIATE_SIGNING_REQUIRED 0x0002

/* Capabilities, [MS-SMB2] 2.2.3 */
#define SMB2_GLOBAL_CAP_DFS 0x00000001u
#define SMB2_GLOBAL_CAP_LEASING 0x00000002u
#define SMB2_GLOBAL_CAP_LARGE_MTU 0x00000004u
#define SMB2_GLOBAL_CAP_MULTI_CHANNEL 0x00000008u
#define SMB2_GLOBAL_CAP_PERSISTENT_HANDLES 0x00000010u
#define SMB2_GLOBAL_CAP_DIRECTORY_LEASING 0x00000020u
#define SMB2_GLOBAL_CAP_ENCRYPTION 0x00000040u

/* Negotiate contexts, [MS-SMB2] 2.2.3.1 */
#define SMB2_PREAUTH_INTEGRITY_CAPABILITIES 0x0001
#define SMB2_ENCRYPTION_CAPABILITIES 0x0002
#define SMB2_COMPRESSION_CAPABILITIES 0x0003
#define SMB2_NETNAME_NEGOTIATE_CONTEXT_ID 0x0005
#define SMB2_TRANSPORT_CAPABILITIES 0x0006
#define SMB2_RDMA_TRANSFORM_CAPABILITIES 0x0007
#define SMB2_SIGNING_CAPABILITIES 0x0008
#define SMB2_PREAUTH_HASH_SHA512 0x0001
#define SMB2_ENCRYPTION_AES128_CCM 0x0001
#define SMB2_ENCRYPTION_AES128_GCM 0x0002
#define SMB2_ENCRYPTION_AES256_CCM 0x0003
#define SMB2_ENCRYPTION_AES256_GCM 0x0004
#define SMB2_SIGNING_HMAC_SHA256 0x0000
#define SMB2_SIGNING_AES_CMAC 0x0001
#define SMB2_SIGNING_AES_GMAC 0x0002

/* Session setup, [MS-SMB2] 2.2.5 / 2.2.6 */
#define SMB2_SESSION_FLAG_BINDING 0x01
#define SMB2_SESSION_FLAG_IS_GUEST 0x0001
#define SMB2_SESSION_FLAG_IS_NULL 0x0002
#define SMB2_SESSION_FLAG_ENCRYPT_DATA 0x0004

/* Tree connect, [MS-SMB2] 2.2.10 */
#define SMB2_SHARE_TYPE_DISK 0x01
#define SMB2_SHARE_TYPE_PIPE 0x02
#define SMB2_SHARE_TYPE_PRINT 0x03
#define SMB2_SHAREFLAG_DFS 0x00000001u
#define SMB2_SHAREFLAG_DFS_ROOT 0x00000002u
#define SMB2_SHAREFLAG_ENCRYPT_DATA 0x00008000u
#define SMB2_SHARE_CAP_DFS 0x00000008u

/* Access mask, [MS-SMB2] 2.2.13.1 */
#define SMB2_FILE_READ_DATA 0x00000001u
#define SMB2_FILE_LIST_DIRECTORY 0x00000001u
#define SMB2_FILE_WRITE_DATA 0x00000002u
#define SMB2_FILE_ADD_FILE 0x00000002u
#define SMB2_FILE_APPEND_DATA 0x00000004u
#define SMB2_FILE_ADD_SUBDIRECTORY 0x00000004u
#define SMB2_FILE_READ_EA 0x00000008u
#define SMB2_FILE_WRITE_EA 0x00000010u
#define SMB2_FILE_EXECUTE 0x00000020u
#define SMB2_FILE_TRAVERSE 0x00000020u
#define SMB2_FILE_DELETE_CHILD 0x00000040u
#define SMB2_FILE_READ_ATTRIBUTES 0x00000080u
#define SMB2_FILE_WRITE_ATTRIBUTES 0x00000100u
#define SMB2_DELETE 0x00010000u
#define SMB2_READ_CONTROL 0x00020000u
#define SMB2_WRITE_DAC 0x00040000u
#define SMB2_WRITE_OWNER 0x00080000u
#define SMB2_SYNCHRONIZE 0x00100000u
#define SMB2_MAXIMUM_ALLOWED 0x02000000u
#define SMB2_GENERIC_ALL 0x10000000u
#define SMB2_GENERIC_EXECUTE 0x20000000u
#define SMB2_GENERIC_WRITE 0x40000000u
#define SMB2_GENERIC_READ 0x80000000u

/* Share access, create disposition and options, [MS-SMB2] 2.2.13 */
#define SMB2_FILE_SHARE_READ 0x1u
#define SMB2_FILE_SHARE_WRITE 0x2u
#define SMB2_FILE_SHARE_DELETE 0x4u
#define SMB2_FILE_SUPERSEDE 0
#define SMB2_FILE_OPEN 1
#define SMB2_FILE_CREATE 2
#define SMB2_FILE_OPEN_IF 3
#define SMB2_FILE_OVERWRITE 4
#define SMB2_FILE_OVERWRITE_IF 5
#define SMB2_FILE_DIRECTORY_FILE 0x00000001u
#define SMB2_FILE_WRITE_THROUGH 0x00000002u
#define SMB2_FILE_SEQUENTIAL_ONLY 0x00000004u
#define SMB2_FILE_NON_DIRECTORY_FILE 0x00000040u
#define SMB2_FILE_DELETE_ON_CLOSE 0x00001000u
#define SMB2_FILE_OPEN_REPARSE_POINT 0x00200000u
#define SMB2_OPLOCK_LEVEL_NONE 0x00
#define SMB2_OPLOCK_LEVEL_II 0x01
#define SMB2_OPLOCK_LEVEL_EXCLUSIVE 0x08
#define SMB2_OPLOCK_LEVEL_BATCH 0x09
#define SMB2_OPLOCK_LEVEL_LEASE 0xFF
#define SMB2_IMPERSONATION_IMPERSONATION 2

/* Info types and classes, [MS-SMB2] 2.2.37, [MS-FSCC] 2.4 / 2.5 */
#define SMB2_0_INFO_FILE 0x01
#define SMB2_0_INFO_FILESYSTEM 0x02
#define SMB2_0_INFO_SECURITY 0x03
#define SMB2_0_INFO_QUOTA 0x04
#define FILE_DIRECTORY_INFORMATION 1
#define FILE_FULL_DIRECTORY_INFORMATION 2
#define FILE_BOTH_DIRECTORY_INFORMATION 3
#define FILE_BASIC_INFORMATION 4
#define FILE_STANDARD_INFORMATION 5
#define FILE_INTERNAL_INFORMATION 6
#define FILE_RENAME_INFORMATION 10
#define FILE_LINK_INFORMATION 11
#define FILE_NAMES_INFORMATION 12
#define FILE_DISPOSITION_INFORMATION 13
#define FILE_ALL_INFORMATION 18
#define FILE_END_OF_FILE_INFORMATION 20
#define FILE_ID_BOTH_DIRECTORY_INFORMATION 37
#define FILE_ID_FULL_DIRECTORY_INFORMATION 38
#define FILE_NETWORK_OPEN_INFORMATION 34
#define FILE_FS_SIZE_INFORMATION 3
#define FILE_FS_FULL_SIZE_INFORMATION 7

/* FSCTL codes, [MS-SMB2] 2.2.31 / [MS-FSCC] 2.3 */
#define SMB2_FSCTL_DFS_GET_REFERRALS 0x00060194u
#define SMB2_FSCTL_DFS_GET_REFERRALS_EX 0x000601B0u
#define SMB2_FSCTL_VALIDATE_NEGOTIATE_INFO 0x00140204u
#define SMB2_FSCTL_PIPE_TRANSCEIVE 0x0011C017u
#define SMB2_FSCTL_SRV_REQUEST_RESUME_KEY 0x00140078u
#define SMB2_FSCTL_SRV_COPYCHUNK_WRITE 0x001480F2u
#define SMB2_0_IOCTL_IS_FSCTL 0x00000001u

/* The 64-byte header, sync or async form. */
typedef struct dfsc_smb2_hdr {
  uint16_t credit_charge;
  uint32_t status; /* NTSTATUS in responses; ChannelSequence in 3.x requests */
  uint16_t command;
  uint16_t credits; /* CreditRequest / CreditResponse */
  uint32_t flags;
  uint32_t next_command;
  uint64_t message_id;
  uint64_t async_id;   /* when flags & SMB2_FLAGS_ASYNC_COMMAND */
  uint32_t process_id; /* sync form only (the Reserved field) */
  uint32_t tree_id;    /* sync form only */
  uint64_t session_id;
  uint8_t signature[16];
} dfsc_smb2_hdr;

/* A FileId: persistent + volatile halves. */
typedef struct dfsc_smb2_fid {
  uint64_t persistent;
  uint64_t volatile_;
} dfsc_smb2_fid;

/* Writes the 64-byte header at w's current offset. */
void dfsc__smb2_hdr_encode(dfsc_wr *w, const dfsc_smb2_hdr *h);
/* Decodes the header of pdu (len >= 64, ProtocolId and StructureSize 64
 * checked). Returns 0 or DFSC_E_PROTO. */
int dfsc__smb2_hdr_decode(const uint8_t *pdu, size_t len, dfsc_smb2_hdr *h);

/* Returns "NEGOTIATE", "READ", ... or "UNKNOWN". */
const char *dfsc__smb2_command_name(uint16_t cmd);

#endif
