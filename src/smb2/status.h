/* NTSTATUS codes ([MS-ERREF] 2.3.1): the constants the rest of dfsc uses,
 * their names, severity tests, and the one mapping to errno.
 *
 * Does: name lookup by binary search over a sorted table; map common
 * statuses to -errno for callers that speak POSIX (FUSE, CLI). Does not:
 * decide retry or reconnect policy (session layer), or carry NTSTATUS as an
 * errno anywhere else (see include/dfsc/errors.h).
 */
#ifndef DFSC_SMB2_STATUS_H
#define DFSC_SMB2_STATUS_H

#include <stddef.h>
#include <stdint.h>

/* clang-format off */
#define STATUS_SUCCESS                           0x00000000u
#define STATUS_WAIT_1                            0x00000001u
#define STATUS_ABANDONED                         0x00000080u
#define STATUS_USER_APC                          0x000000C0u
#define STATUS_ALERTED                           0x00000101u
#define STATUS_TIMEOUT                           0x00000102u
#define STATUS_PENDING                           0x00000103u
#define STATUS_REPARSE                           0x00000104u
#define STATUS_MORE_ENTRIES                      0x00000105u
#define STATUS_NOT_ALL_ASSIGNED                  0x00000106u
#define STATUS_SOME_NOT_MAPPED                   0x00000107u
#define STATUS_OPLOCK_BREAK_IN_PROGRESS          0x00000108u
#define STATUS_VOLUME_MOUNTED                    0x00000109u
#define STATUS_NOTIFY_CLEANUP                    0x0000010Bu
#define STATUS_NOTIFY_ENUM_DIR                   0x0000010Cu
#define STATUS_OBJECT_NAME_EXISTS                0x40000000u
#define STATUS_GUARD_PAGE_VIOLATION              0x80000001u
#define STATUS_DATATYPE_MISALIGNMENT             0x80000002u
#define STATUS_BREAKPOINT                        0x80000003u
#define STATUS_SINGLE_STEP                       0x80000004u
#define STATUS_BUFFER_OVERFLOW                   0x80000005u
#define STATUS_NO_MORE_FILES                     0x80000006u
#define STATUS_PARTIAL_COPY                      0x8000000Du
#define STATUS_DEVICE_PAPER_EMPTY                0x8000000Eu
#define STATUS_DEVICE_POWERED_OFF                0x8000000Fu
#define STATUS_DEVICE_OFF_LINE                   0x80000010u
#define STATUS_DEVICE_BUSY                       0x80000011u
#define STATUS_NO_MORE_EAS                       0x80000012u
#define STATUS_INVALID_EA_NAME                   0x80000013u
#define STATUS_EA_LIST_INCONSISTENT              0x80000014u
#define STATUS_INVALID_EA_FLAG                   0x80000015u
#define STATUS_NO_MORE_ENTRIES                   0x8000001Au
#define STATUS_STOPPED_ON_SYMLINK                0x8000002Du
#define STATUS_UNSUCCESSFUL                      0xC0000001u
#define STATUS_NOT_IMPLEMENTED                   0xC0000002u
#define STATUS_INVALID_INFO_CLASS                0xC0000003u
#define STATUS_INFO_LENGTH_MISMATCH              0xC0000004u
#define STATUS_ACCESS_VIOLATION                  0xC0000005u
#define STATUS_IN_PAGE_ERROR                     0xC0000006u
#define STATUS_PAGEFILE_QUOTA                    0xC0000007u
#define STATUS_INVALID_HANDLE                    0xC0000008u
#define STATUS_BAD_INITIAL_STACK                 0xC0000009u
#define STATUS_BAD_INITIAL_PC                    0xC000000Au
#define STATUS_INVALID_CID                       0xC000000Bu
#define STATUS_TIMER_NOT_CANCELED                0xC000000Cu
#define STATUS_INVALID_PARAMETER                 0xC000000Du
#define STATUS_NO_SUCH_DEVICE                    0xC000000Eu
#define STATUS_NO_SUCH_FILE                      0xC000000Fu
#define STATUS_INVALID_DEVICE_REQUEST            0xC0000010u
#define STATUS_END_OF_FILE                       0xC0000011u
#define STATUS_WRONG_VOLUME                      0xC0000012u
#define STATUS_NO_MEDIA_IN_DEVICE                0xC0000013u
#define STATUS_UNRECOGNIZED_MEDIA                0xC0000014u
#define STATUS_NONEXISTENT_SECTOR                0xC0000015u
#define STATUS_MORE_PROCESSING_REQUIRED          0xC0000016u
#define STATUS_NO_MEMORY                         0xC0000017u
#define STATUS_CONFLICTING_ADDRESSES             0xC0000018u
#define STATUS_NOT_MAPPED_VIEW                   0xC0000019u
#define STATUS_UNABLE_TO_FREE_VM                 0xC000001Au
#define STATUS_UNABLE_TO_DELETE_SECTION          0xC000001Bu
#define STATUS_INVALID_SYSTEM_SERVICE            0xC000001Cu
#define STATUS_ILLEGAL_INSTRUCTION               0xC000001Du
#define STATUS_INVALID_LOCK_SEQUENCE             0xC000001Eu
#define STATUS_INVALID_VIEW_SIZE                 0xC000001Fu
#define STATUS_INVALID_FILE_FOR_SECTION          0xC0000020u
#define STATUS_ALREADY_COMMITTED                 0xC0000021u
#define STATUS_ACCESS_DENIED                     0xC0000022u
#define STATUS_BUFFER_TOO_SMALL                  0xC0000023u
#define STATUS_OBJECT_TYPE_MISMATCH              0xC0000024u
#define STATUS_NONCONTINUABLE_EXCEPTION          0xC0000025u
#define STATUS_INVALID_DISPOSITION               0xC0000026u
#define STATUS_UNWIND                            0xC0000027u
#define STATUS_BAD_STACK                         0xC0000028u
#define STATUS_INVALID_UNWIND_TARGET             0xC0000029u
#define STATUS_NOT_LOCKED                        0xC000002Au
#define STATUS_PARITY_ERROR                      0xC000002Bu
#define STATUS_UNABLE_TO_DECOMMIT_VM             0xC000002Cu
#define STATUS_NOT_COMMITTED                     0xC000002Du
#define STATUS_INVALID_PORT_ATTRIBUTES           0xC000002Eu
#define STATUS_PORT_MESSAGE_TOO_LONG             0xC000002Fu
#define STATUS_INVALID_PARAMETER_MIX             0xC0000030u
#define STATUS_INVALID_QUOTA_LOWER               0xC0000031u
#define STATUS_DISK_CORRUPT_ERROR                0xC0000032u
#define STATUS_OBJECT_NAME_INVALID               0xC0000033u
#define STATUS_OBJECT_NAME_NOT_FOUND             0xC0000034u
#define STATUS_OBJECT_NAME_COLLISION             0xC0000035u
#define STATUS_PORT_DISCONNECTED                 0xC0000037u
#define STATUS_DEVICE_ALREADY_ATTACHED           0xC0000038u
#define STATUS_OBJECT_PATH_INVALID               0xC0000039u
#define STATUS_OBJECT_PATH_NOT_FOUND             0xC000003Au
#define STATUS_OBJECT_PATH_SYNTAX_BAD            0xC000003Bu
#define STATUS_DATA_OVERRUN                      0xC000003Cu
#define STATUS_DATA_LATE_ERROR                   0xC000003Du
#define STATUS_DATA_ERROR                        0xC000003Eu
#define STATUS_CRC_ERROR                         0xC000003Fu
#define STATUS_SECTION_TOO_BIG                   0xC0000040u
#define STATUS_PORT_CONNECTION_REFUSED           0xC0000041u
#define STATUS_INVALID_PORT_HANDLE               0xC0000042u
#define STATUS_SHARING_VIOLATION                 0xC0000043u
#define STATUS_QUOTA_EXCEEDED                    0xC0000044u
#define STATUS_INVALID_PAGE_PROTECTION           0xC0000045u
#define STATUS_MUTANT_NOT_OWNED                  0xC0000046u
#define STATUS_SEMAPHORE_LIMIT_EXCEEDED          0xC0000047u
#define STATUS_PORT_ALREADY_SET                  0xC0000048u
#define STATUS_SECTION_NOT_IMAGE                 0xC0000049u
#define STATUS_SUSPEND_COUNT_EXCEEDED            0xC000004Au
#define STATUS_THREAD_IS_TERMINATING             0xC000004Bu
#define STATUS_BAD_WORKING_SET_LIMIT             0xC000004Cu
#define STATUS_INCOMPATIBLE_FILE_MAP             0xC000004Du
#define STATUS_SECTION_PROTECTION                0xC000004Eu
#define STATUS_EAS_NOT_SUPPORTED                 0xC000004Fu
#define STATUS_EA_TOO_LARGE                      0xC0000050u
#define STATUS_NONEXISTENT_EA_ENTRY              0xC0000051u
#define STATUS_NO_EAS_ON_FILE                    0xC0000052u
#define STATUS_EA_CORRUPT_ERROR                  0xC0000053u
#define STATUS_FILE_LOCK_CONFLICT                0xC0000054u
#define STATUS_LOCK_NOT_GRANTED                  0xC0000055u
#define STATUS_DELETE_PENDING                    0xC0000056u
#define STATUS_CTL_FILE_NOT_SUPPORTED            0xC0000057u
#define STATUS_UNKNOWN_REVISION                  0xC0000058u
#define STATUS_REVISION_MISMATCH                 0xC0000059u
#define STATUS_INVALID_OWNER                     0xC000005Au
#define STATUS_INVALID_PRIMARY_GROUP             0xC000005Bu
#define STATUS_NO_IMPERSONATION_TOKEN            0xC000005Cu
#define STATUS_CANT_DISABLE_MANDATORY            0xC000005Du
#define STATUS_NO_LOGON_SERVERS                  0xC000005Eu
#define STATUS_NO_SUCH_LOGON_SESSION             0xC000005Fu
#define STATUS_NO_SUCH_PRIVILEGE                 0xC0000060u
#define STATUS_PRIVILEGE_NOT_HELD                0xC0000061u
#define STATUS_INVALID_ACCOUNT_NAME              0xC0000062u
#define STATUS_USER_EXISTS                       0xC0000063u
#define STATUS_NO_SUCH_USER                      0xC0000064u
#define STATUS_GROUP_EXISTS                      0xC0000065u
#define STATUS_NO_SUCH_GROUP                     0xC0000066u
#define STATUS_MEMBER_IN_GROUP                   0xC0000067u
#define STATUS_MEMBER_NOT_IN_GROUP               0xC0000068u
#define STATUS_LAST_ADMIN                        0xC0000069u
#define STATUS_WRONG_PASSWORD                    0xC000006Au
#define STATUS_ILL_FORMED_PASSWORD               0xC000006Bu
#define STATUS_PASSWORD_RESTRICTION              0xC000006Cu
#define STATUS_LOGON_FAILURE                     0xC000006Du
#define STATUS_ACCOUNT_RESTRICTION               0xC000006Eu
#define STATUS_INVALID_LOGON_HOURS               0xC000006Fu
#define STATUS_INVALID_WORKSTATION               0xC0000070u
#define STATUS_PASSWORD_EXPIRED                  0xC0000071u
#define STATUS_ACCOUNT_DISABLED                  0xC0000072u
#define STATUS_NONE_MAPPED                       0xC0000073u
#define STATUS_TOO_MANY_LUIDS_REQUESTED          0xC0000074u
#define STATUS_LUIDS_EXHAUSTED                   0xC0000075u
#define STATUS_INVALID_SUB_AUTHORITY             0xC0000076u
#define STATUS_INVALID_ACL                       0xC0000077u
#define STATUS_INVALID_SID                       0xC0000078u
#define STATUS_INVALID_SECURITY_DESCR            0xC0000079u
#define STATUS_PROCEDURE_NOT_FOUND               0xC000007Au
#define STATUS_INVALID_IMAGE_FORMAT              0xC000007Bu
#define STATUS_NO_TOKEN                          0xC000007Cu
#define STATUS_BAD_INHERITANCE_ACL               0xC000007Du
#define STATUS_RANGE_NOT_LOCKED                  0xC000007Eu
#define STATUS_DISK_FULL                         0xC000007Fu
#define STATUS_SERVER_DISABLED                   0xC0000080u
#define STATUS_SERVER_NOT_DISABLED               0xC0000081u
#define STATUS_TOO_MANY_GUIDS_REQUESTED          0xC0000082u
#define STATUS_GUIDS_EXHAUSTED                   0xC0000083u
#define STATUS_INVALID_ID_AUTHORITY              0xC0000084u
#define STATUS_AGENTS_EXHAUSTED                  0xC0000085u
#define STATUS_INVALID_VOLUME_LABEL              0xC0000086u
#define STATUS_SECTION_NOT_EXTENDED              0xC0000087u
#define STATUS_NOT_MAPPED_DATA                   0xC0000088u
#define STATUS_RESOURCE_DATA_NOT_FOUND           0xC0000089u
#define STATUS_INTEGER_DIVIDE_BY_ZERO            0xC0000094u
#define STATUS_INTEGER_OVERFLOW                  0xC0000095u
#define STATUS_PRIVILEGED_INSTRUCTION            0xC0000096u
#define STATUS_TOO_MANY_PAGING_FILES             0xC0000097u
#define STATUS_FILE_INVALID                      0xC0000098u
#define STATUS_ALLOTTED_SPACE_EXCEEDED           0xC0000099u
#define STATUS_INSUFFICIENT_RESOURCES            0xC000009Au
#define STATUS_DFS_EXIT_PATH_FOUND               0xC000009Bu
#define STATUS_DEVICE_DATA_ERROR                 0xC000009Cu
#define STATUS_DEVICE_NOT_CONNECTED              0xC000009Du
#define STATUS_DEVICE_POWER_FAILURE              0xC000009Eu
#define STATUS_FREE_VM_NOT_AT_BASE               0xC000009Fu
#define STATUS_MEMORY_NOT_ALLOCATED              0xC00000A0u
#define STATUS_WORKING_SET_QUOTA                 0xC00000A1u
#define STATUS_MEDIA_WRITE_PROTECTED             0xC00000A2u
#define STATUS_DEVICE_NOT_READY                  0xC00000A3u
#define STATUS_INVALID_GROUP_ATTRIBUTES          0xC00000A4u
#define STATUS_BAD_IMPERSONATION_LEVEL           0xC00000A5u
#define STATUS_CANT_OPEN_ANONYMOUS               0xC00000A6u
#define STATUS_BAD_VALIDATION_CLASS              0xC00000A7u
#define STATUS_BAD_TOKEN_TYPE                    0xC00000A8u
#define STATUS_BAD_MASTER_BOOT_RECORD            0xC00000A9u
#define STATUS_INSTRUCTION_MISALIGNMENT          0xC00000AAu
#define STATUS_INSTANCE_NOT_AVAILABLE            0xC00000ABu
#define STATUS_PIPE_NOT_AVAILABLE                0xC00000ACu
#define STATUS_INVALID_PIPE_STATE                0xC00000ADu
#define STATUS_PIPE_BUSY                         0xC00000AEu
#define STATUS_ILLEGAL_FUNCTION                  0xC00000AFu
#define STATUS_PIPE_DISCONNECTED                 0xC00000B0u
#define STATUS_PIPE_CLOSING                      0xC00000B1u
#define STATUS_PIPE_CONNECTED                    0xC00000B2u
#define STATUS_PIPE_LISTENING                    0xC00000B3u
#define STATUS_INVALID_READ_MODE                 0xC00000B4u
#define STATUS_IO_TIMEOUT                        0xC00000B5u
#define STATUS_FILE_FORCED_CLOSED                0xC00000B6u
#define STATUS_PROFILING_NOT_STARTED             0xC00000B7u
#define STATUS_PROFILING_NOT_STOPPED             0xC00000B8u
#define STATUS_COULD_NOT_INTERPRET               0xC00000B9u
#define STATUS_FILE_IS_A_DIRECTORY               0xC00000BAu
#define STATUS_NOT_SUPPORTED                     0xC00000BBu
#define STATUS_REMOTE_NOT_LISTENING              0xC00000BCu
#define STATUS_DUPLICATE_NAME                    0xC00000BDu
#define STATUS_BAD_NETWORK_PATH                  0xC00000BEu
#define STATUS_NETWORK_BUSY                      0xC00000BFu
#define STATUS_DEVICE_DOES_NOT_EXIST             0xC00000C0u
#define STATUS_TOO_MANY_COMMANDS                 0xC00000C1u
#define STATUS_ADAPTER_HARDWARE_ERROR            0xC00000C2u
#define STATUS_INVALID_NETWORK_RESPONSE          0xC00000C3u
#define STATUS_UNEXPECTED_NETWORK_ERROR          0xC00000C4u
#define STATUS_BAD_REMOTE_ADAPTER                0xC00000C5u
#define STATUS_PRINT_QUEUE_FULL                  0xC00000C6u
#define STATUS_NO_SPOOL_SPACE                    0xC00000C7u
#define STATUS_PRINT_CANCELLED                   0xC00000C8u
#define STATUS_NETWORK_NAME_DELETED              0xC00000C9u
#define STATUS_NETWORK_ACCESS_DENIED             0xC00000CAu
#define STATUS_BAD_DEVICE_TYPE                   0xC00000CBu
#define STATUS_BAD_NETWORK_NAME                  0xC00000CCu
#define STATUS_TOO_MANY_NAMES                    0xC00000CDu
#define STATUS_TOO_MANY_SESSIONS                 0xC00000CEu
#define STATUS_SHARING_PAUSED                    0xC00000CFu
#define STATUS_REQUEST_NOT_ACCEPTED              0xC00000D0u
#define STATUS_REDIRECTOR_PAUSED                 0xC00000D1u
#define STATUS_NET_WRITE_FAULT                   0xC00000D2u
#define STATUS_PROFILING_AT_LIMIT                0xC00000D3u
#define STATUS_NOT_SAME_DEVICE                   0xC00000D4u
#define STATUS_FILE_RENAMED                      0xC00000D5u
#define STATUS_VIRTUAL_CIRCUIT_CLOSED            0xC00000D6u
#define STATUS_INVALID_SERVER_STATE              0xC00000DCu
#define STATUS_NO_SUCH_DOMAIN                    0xC00000DFu
#define STATUS_OPLOCK_NOT_GRANTED                0xC00000E2u
#define STATUS_INVALID_OPLOCK_PROTOCOL           0xC00000E3u
#define STATUS_INTERNAL_ERROR                    0xC00000E5u
#define STATUS_INVALID_USER_BUFFER               0xC00000E8u
#define STATUS_UNEXPECTED_IO_ERROR               0xC00000E9u
#define STATUS_REDIRECTOR_NOT_STARTED            0xC00000FBu
#define STATUS_STACK_OVERFLOW                    0xC00000FDu
#define STATUS_DIRECTORY_NOT_EMPTY               0xC0000101u
#define STATUS_FILE_CORRUPT_ERROR                0xC0000102u
#define STATUS_NOT_A_DIRECTORY                   0xC0000103u
#define STATUS_BAD_LOGON_SESSION_STATE           0xC0000104u
#define STATUS_NAME_TOO_LONG                     0xC0000106u
#define STATUS_FILES_OPEN                        0xC0000107u
#define STATUS_CONNECTION_IN_USE                 0xC0000108u
#define STATUS_PROCESS_IS_TERMINATING            0xC000010Au
#define STATUS_TOO_MANY_OPENED_FILES             0xC000011Fu
#define STATUS_CANCELLED                         0xC0000120u
#define STATUS_CANNOT_DELETE                     0xC0000121u
#define STATUS_FILE_DELETED                      0xC0000123u
#define STATUS_FILE_CLOSED                       0xC0000128u
#define STATUS_TIME_DIFFERENCE_AT_DC             0xC0000133u
#define STATUS_LOCAL_DISCONNECT                  0xC000013Bu
#define STATUS_REMOTE_DISCONNECT                 0xC000013Cu
#define STATUS_REMOTE_RESOURCES                  0xC000013Du
#define STATUS_LINK_FAILED                       0xC000013Eu
#define STATUS_LINK_TIMEOUT                      0xC000013Fu
#define STATUS_INVALID_CONNECTION                0xC0000140u
#define STATUS_INVALID_ADDRESS                   0xC0000141u
#define STATUS_INVALID_LEVEL                     0xC0000148u
#define STATUS_PIPE_BROKEN                       0xC000014Bu
#define STATUS_LOGON_TYPE_NOT_GRANTED            0xC000015Bu
#define STATUS_INVALID_DEVICE_STATE              0xC0000184u
#define STATUS_IO_DEVICE_ERROR                   0xC0000185u
#define STATUS_TRUSTED_RELATIONSHIP_FAILURE      0xC000018Du
#define STATUS_TRUST_FAILURE                     0xC0000190u
#define STATUS_NETLOGON_NOT_STARTED              0xC0000192u
#define STATUS_ACCOUNT_EXPIRED                   0xC0000193u
#define STATUS_POSSIBLE_DEADLOCK                 0xC0000194u
#define STATUS_NETWORK_CREDENTIAL_CONFLICT       0xC0000195u
#define STATUS_FS_DRIVER_REQUIRED                0xC000019Cu
#define STATUS_NO_USER_SESSION_KEY               0xC0000202u
#define STATUS_USER_SESSION_DELETED              0xC0000203u
#define STATUS_INSUFF_SERVER_RESOURCES           0xC0000205u
#define STATUS_INVALID_BUFFER_SIZE               0xC0000206u
#define STATUS_INVALID_ADDRESS_COMPONENT         0xC0000207u
#define STATUS_ADDRESS_ALREADY_EXISTS            0xC000020Au
#define STATUS_ADDRESS_CLOSED                    0xC000020Bu
#define STATUS_CONNECTION_DISCONNECTED           0xC000020Cu
#define STATUS_CONNECTION_RESET                  0xC000020Du
#define STATUS_PASSWORD_MUST_CHANGE              0xC0000224u
#define STATUS_NOT_FOUND                         0xC0000225u
#define STATUS_RETRY                             0xC000022Du
#define STATUS_DOMAIN_CONTROLLER_NOT_FOUND       0xC0000233u
#define STATUS_ACCOUNT_LOCKED_OUT                0xC0000234u
#define STATUS_CONNECTION_REFUSED                0xC0000236u
#define STATUS_GRACEFUL_DISCONNECT               0xC0000237u
#define STATUS_CONNECTION_INVALID                0xC000023Au
#define STATUS_CONNECTION_ACTIVE                 0xC000023Bu
#define STATUS_NETWORK_UNREACHABLE               0xC000023Cu
#define STATUS_HOST_UNREACHABLE                  0xC000023Du
#define STATUS_PROTOCOL_UNREACHABLE              0xC000023Eu
#define STATUS_PORT_UNREACHABLE                  0xC000023Fu
#define STATUS_REQUEST_ABORTED                   0xC0000240u
#define STATUS_CONNECTION_ABORTED                0xC0000241u
#define STATUS_CONNECTION_COUNT_LIMIT            0xC0000246u
#define STATUS_PATH_NOT_COVERED                  0xC0000257u
#define STATUS_DFS_UNAVAILABLE                   0xC000026Du
#define STATUS_VOLUME_DISMOUNTED                 0xC000026Eu
#define STATUS_NO_MATCH                          0xC0000272u
#define STATUS_NO_MORE_MATCHES                   0xC0000273u
#define STATUS_NOT_A_REPARSE_POINT               0xC0000275u
#define STATUS_IO_REPARSE_TAG_INVALID            0xC0000276u
#define STATUS_IO_REPARSE_TAG_MISMATCH           0xC0000277u
#define STATUS_IO_REPARSE_DATA_INVALID           0xC0000278u
#define STATUS_IO_REPARSE_TAG_NOT_HANDLED        0xC0000279u
#define STATUS_DIRECTORY_IS_A_REPARSE_POINT      0xC0000281u
#define STATUS_ENCRYPTION_FAILED                 0xC000028Au
#define STATUS_DECRYPTION_FAILED                 0xC000028Bu
#define STATUS_SERVER_SHUTDOWN_IN_PROGRESS       0xC00002FFu
#define STATUS_HOST_DOWN                         0xC0000350u
#define STATUS_NETWORK_SESSION_EXPIRED           0xC000035Cu
#define STATUS_DOWNGRADE_DETECTED                0xC0000388u
#define STATUS_AUTHENTICATION_FIREWALL_FAILED    0xC0000413u
#define STATUS_FILE_SYSTEM_LIMITATION            0xC0000427u
#define STATUS_SERVER_UNAVAILABLE                0xC0000466u
#define STATUS_FILE_NOT_AVAILABLE                0xC0000467u
#define STATUS_SHARE_UNAVAILABLE                 0xC0000480u
#define STATUS_INVALID_SIGNATURE                 0xC000A000u
/* clang-format on */

/* Severity, the top two bits ([MS-ERREF] 2.3). */
#define DFSC_NT_SEV_SUCCESS 0
#define DFSC_NT_SEV_INFORMATIONAL 1
#define DFSC_NT_SEV_WARNING 2
#define DFSC_NT_SEV_ERROR 3

static inline unsigned dfsc__nt_severity(uint32_t status) { return status >> 30; }
/* NT_SUCCESS: success and informational codes. */
static inline int dfsc__nt_success(uint32_t status) { return (status >> 31) == 0; }
static inline int dfsc__nt_information(uint32_t status) { return (status >> 30) == 1; }
static inline int dfsc__nt_warning(uint32_t status) { return (status >> 30) == 2; }
static inline int dfsc__nt_error(uint32_t status) { return (status >> 30) == 3; }

/* Maps a status to 0 or a negative errno: success and informational codes
 * give 0 (except STATUS_PENDING and STATUS_MORE_PROCESSING_REQUIRED:
 * -EINPROGRESS), listed codes their errno (e.g. OBJECT_NAME_NOT_FOUND ->
 * -ENOENT, OBJECT_NAME_COLLISION -> -EEXIST, ACCESS_DENIED and logon
 * failures -> -EACCES, DIRECTORY_NOT_EMPTY -> -ENOTEMPTY, NOT_A_DIRECTORY
 * -> -ENOTDIR, FILE_IS_A_DIRECTORY -> -EISDIR, SHARING_VIOLATION -> -EBUSY,
 * DISK_FULL -> -ENOSPC, INVALID_PARAMETER -> -EINVAL, PATH_NOT_COVERED ->
 * -EREMOTE, session/connection loss -> -ECONNRESET), anything else
 * -EIO. Thread-safety: pure. */
int dfsc__smb2_status_to_errno(uint32_t status);

/* Number of entries in the name table and the i-th (for tests). */
size_t dfsc__smb2_status_count(void);
uint32_t dfsc__smb2_status_at(size_t i, const char **name);

/* dfsc_ntstatus_name() is declared in include/dfsc/errors.h. */

#endif
