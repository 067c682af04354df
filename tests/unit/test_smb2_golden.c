/* Golden-PDU tests for the SMB2 codec: every plain (non-transform) PDU that
 * tests/fixtures/capture.sh recorded between smbclient and Samba 4.17
 * (tests/fixtures/smb2/README.md) is decoded -- header, then the body with
 * the decoder for its command and direction -- and re-encoded into a fresh
 * buffer, which must equal the captured bytes. On top of that, per-PDU tests
 * check field values read off the pcaps with tshark (dialect, sizes,
 * negotiate contexts, session flags, share type, FileIds, times, directory
 * entries, information classes, error bodies).
 *
 * Where Samba's encoding is not the only valid one for a struct (so that no
 * encoder can reproduce it from the decoded fields), the round trip says so
 * in a comment and checks exactly the bytes that differ.
 * Does not: decrypt the smb311enc transform PDUs or touch authentication
 * (see test_auth_golden.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/utf16.h"
#include "dfsc/errors.h"
#include "smb2/close.h"
#include "smb2/create.h"
#include "smb2/error.h"
#include "smb2/fileinfo.h"
#include "smb2/ioctl.h"
#include "smb2/negotiate.h"
#include "smb2/query_directory.h"
#include "smb2/query_info.h"
#include "smb2/read.h"
#include "smb2/session_setup.h"
#include "smb2/set_info.h"
#include "smb2/smb2.h"
#include "smb2/status.h"
#include "smb2/tree.h"
#include "smb2/write.h"

#include "golden.h"

#define OUTCAP 4096

/* What tshark shows for the header of each fixture's pcap frame
 * (tshark -T fields -e smb2.cmd -e smb2.msg_id -e smb2.nt_status
 * -e smb2.flags -e smb2.sesid -e smb2.tid -e smb2.credits.* ...). */
typedef struct golden_fx {
  const char *name;
  uint16_t command;
  uint64_t message_id;
  uint32_t status;
  uint32_t flags;
  uint64_t session_id;
  uint32_t tree_id;
  uint16_t credits;
  uint16_t credit_charge;
} golden_fx;

/* clang-format off */
static const golden_fx FIXTURES[] = {
    {"smb311_negotiate_req", 0, 0, 0x0u, 0x00000000u, 0x0000000000000000ull, 0x00000000u, 31, 0},
    {"smb311_negotiate_rsp", 0, 0, 0x0u, 0x00000001u, 0x0000000000000000ull, 0x00000000u, 1, 0},
    {"smb311_session_setup_req", 1, 1, 0x0u, 0x00000010u, 0x0000000000000000ull, 0x00000000u, 8192, 1},
    {"smb311_session_setup_rsp", 1, 1, 0xc0000016u, 0x00000011u, 0x000000001186e410ull, 0x00000000u, 1, 1},
    {"smb311_session_setup_req_2", 1, 2, 0x0u, 0x00000010u, 0x000000001186e410ull, 0x00000000u, 8192, 1},
    {"smb311_session_setup_rsp_2", 1, 2, 0x0u, 0x00000019u, 0x000000001186e410ull, 0x00000000u, 8192, 1},
    {"smb311_tree_connect_req", 3, 3, 0x0u, 0x00000018u, 0x000000001186e410ull, 0x00000000u, 1, 1},
    {"smb311_tree_connect_rsp", 3, 3, 0x0u, 0x00000019u, 0x000000001186e410ull, 0x4d51f51bu, 1, 1},
    {"smb311_ioctl_req", 11, 4, 0x0u, 0x00000010u, 0x000000001186e410ull, 0x4d51f51bu, 1, 1},
    {"smb311_ioctl_rsp", 11, 4, 0xc0000225u, 0x00000011u, 0x000000001186e410ull, 0x4d51f51bu, 1, 1},
    {"smb311_tree_disconnect_req", 4, 5, 0x0u, 0x00000010u, 0x000000001186e410ull, 0x4d51f51bu, 1, 1},
    {"smb311_tree_disconnect_rsp", 4, 5, 0x0u, 0x00000011u, 0x000000001186e410ull, 0x4d51f51bu, 1, 1},
    {"smb311_tree_connect_req_2", 3, 6, 0x0u, 0x00000018u, 0x000000001186e410ull, 0x00000000u, 1, 1},
    {"smb311_tree_connect_rsp_2", 3, 6, 0x0u, 0x00000019u, 0x000000001186e410ull, 0xb53c7a03u, 1, 1},
    {"smb311_create_req", 5, 7, 0x0u, 0x00000010u, 0x000000001186e410ull, 0xb53c7a03u, 1, 1},
    {"smb311_create_rsp", 5, 7, 0x0u, 0x00000011u, 0x000000001186e410ull, 0xb53c7a03u, 1, 1},
    {"smb311_query_directory_req", 14, 8, 0x0u, 0x00000010u, 0x000000001186e410ull, 0xb53c7a03u, 1, 128},
    {"smb311_query_directory_rsp", 14, 8, 0x0u, 0x00000011u, 0x000000001186e410ull, 0xb53c7a03u, 128, 128},
    {"smb311_query_directory_rsp_2", 14, 136, 0x80000006u, 0x00000011u, 0x000000001186e410ull, 0xb53c7a03u, 128, 128},
    {"smb311_close_req", 6, 264, 0x0u, 0x00000010u, 0x000000001186e410ull, 0xb53c7a03u, 1, 1},
    {"smb311_close_rsp", 6, 264, 0x0u, 0x00000011u, 0x000000001186e410ull, 0xb53c7a03u, 1, 1},
    {"smb311_query_info_req", 16, 266, 0x0u, 0x00000010u, 0x000000001186e410ull, 0xb53c7a03u, 1, 1},
    {"smb311_query_info_rsp", 16, 266, 0x0u, 0x00000011u, 0x000000001186e410ull, 0xb53c7a03u, 1, 1},
    {"smb311_create_req_2", 5, 7, 0x0u, 0x00000010u, 0x00000000d103f722ull, 0x4429a579u, 1, 1},
    {"smb311_create_rsp_2", 5, 7, 0x0u, 0x00000011u, 0x00000000d103f722ull, 0x4429a579u, 1, 1},
    {"smb311_query_info_req_2", 16, 8, 0x0u, 0x00000010u, 0x00000000d103f722ull, 0x4429a579u, 1, 1},
    {"smb311_query_info_rsp_2", 16, 8, 0x0u, 0x00000011u, 0x00000000d103f722ull, 0x4429a579u, 1, 1},
    {"smb311_read_req", 8, 9, 0x0u, 0x00000010u, 0x00000000d103f722ull, 0x4429a579u, 1, 1},
    {"smb311_read_rsp", 8, 9, 0x0u, 0x00000011u, 0x00000000d103f722ull, 0x4429a579u, 1, 1},
    {"smb311_create_req_3", 5, 7, 0x0u, 0x00000010u, 0x000000002c1e3b96ull, 0xf396bbd8u, 1, 1},
    {"smb311_create_rsp_3", 5, 7, 0x0u, 0x00000011u, 0x000000002c1e3b96ull, 0xf396bbd8u, 1, 1},
    {"smb311_query_info_req_3", 16, 8, 0x0u, 0x00000010u, 0x000000002c1e3b96ull, 0xf396bbd8u, 1, 1},
    {"smb311_query_info_rsp_3", 16, 8, 0x0u, 0x00000011u, 0x000000002c1e3b96ull, 0xf396bbd8u, 1, 1},
    {"smb311_query_info_req_4", 16, 14, 0x0u, 0x00000010u, 0x000000002c1e3b96ull, 0xf396bbd8u, 1, 1},
    {"smb311_query_info_rsp_4", 16, 14, 0x0u, 0x00000011u, 0x000000002c1e3b96ull, 0xf396bbd8u, 1, 1},
    {"smb311_ioctl_req_2", 11, 17, 0x0u, 0x00000010u, 0x000000002c1e3b96ull, 0xf396bbd8u, 1, 1},
    {"smb311_ioctl_rsp_2", 11, 17, 0xc0000010u, 0x00000011u, 0x000000002c1e3b96ull, 0xf396bbd8u, 1, 1},
    {"smb311_tree_connect_req_3", 3, 6, 0x0u, 0x00000018u, 0x000000008affc0cdull, 0x00000000u, 1, 1},
    {"smb311_tree_connect_rsp_3", 3, 6, 0x0u, 0x00000019u, 0x000000008affc0cdull, 0xbc8f923bu, 1, 1},
    {"smb311_create_req_4", 5, 7, 0x0u, 0x00000010u, 0x000000008affc0cdull, 0xbc8f923bu, 1, 1},
    {"smb311_create_rsp_4", 5, 7, 0x0u, 0x00000011u, 0x000000008affc0cdull, 0xbc8f923bu, 1, 1},
    {"smb311_write_req", 9, 8, 0x0u, 0x00000010u, 0x000000008affc0cdull, 0xbc8f923bu, 1, 1},
    {"smb311_write_rsp", 9, 8, 0x0u, 0x00000011u, 0x000000008affc0cdull, 0xbc8f923bu, 1, 1},
    {"smb311_create_req_5", 5, 7, 0x0u, 0x00000010u, 0x0000000041e0f7b5ull, 0x5fee9c9cu, 1, 1},
    {"smb311_create_rsp_5", 5, 7, 0x0u, 0x00000011u, 0x0000000041e0f7b5ull, 0x5fee9c9cu, 1, 1},
    {"smb311_create_req_6", 5, 7, 0x0u, 0x00000010u, 0x000000006a9fd71bull, 0x4788e58eu, 1, 1},
    {"smb311_create_rsp_6", 5, 7, 0x0u, 0x00000011u, 0x000000006a9fd71bull, 0x4788e58eu, 1, 1},
    {"smb311_set_info_req", 17, 8, 0x0u, 0x00000010u, 0x000000006a9fd71bull, 0x4788e58eu, 1, 1},
    {"smb311_set_info_rsp", 17, 8, 0x0u, 0x00000011u, 0x000000006a9fd71bull, 0x4788e58eu, 1, 1},
    {"smb311_create_req_7", 5, 7, 0x0u, 0x00000010u, 0x000000008be3f3bfull, 0x3cee3a8fu, 1, 1},
    {"smb311_create_rsp_7", 5, 7, 0x0u, 0x00000011u, 0x000000008be3f3bfull, 0x3cee3a8fu, 1, 1},
    {"smb311_query_directory_req_2", 14, 8, 0x0u, 0x00000010u, 0x000000008be3f3bfull, 0x3cee3a8fu, 1, 128},
    {"smb311_query_directory_rsp_3", 14, 8, 0x0u, 0x00000011u, 0x000000008be3f3bfull, 0x3cee3a8fu, 128, 128},
    {"smb311_create_req_8", 5, 136, 0x0u, 0x00000010u, 0x000000008be3f3bfull, 0x3cee3a8fu, 1, 1},
    {"smb311_create_rsp_8", 5, 136, 0x0u, 0x00000011u, 0x000000008be3f3bfull, 0x3cee3a8fu, 1, 1},
    {"smb311_query_directory_rsp_4", 14, 138, 0x80000006u, 0x00000011u, 0x000000008be3f3bfull, 0x3cee3a8fu, 128, 128},
    {"smb311_set_info_req_2", 17, 8, 0x0u, 0x00000010u, 0x00000000a3a8f52eull, 0x9d3fa079u, 1, 1},
    {"smb311_set_info_rsp_2", 17, 8, 0x0u, 0x00000011u, 0x00000000a3a8f52eull, 0x9d3fa079u, 1, 1},
    {"smb311_create_req_9", 5, 7, 0x0u, 0x00000010u, 0x0000000099d36064ull, 0x61b76b33u, 1, 1},
    {"smb311_create_rsp_9", 5, 7, 0xc0000034u, 0x00000011u, 0x0000000099d36064ull, 0x61b76b33u, 1, 1},
    {"smb311_session_setup_rsp_3", 1, 2, 0xc000006du, 0x00000011u, 0x000000008ef77e86ull, 0x00000000u, 1, 1},
    {"smb311_tree_connect_req_4", 3, 6, 0x0u, 0x00000018u, 0x00000000eda77f0aull, 0x00000000u, 1, 1},
    {"smb311_tree_connect_rsp_4", 3, 6, 0xc00000ccu, 0x00000019u, 0x00000000eda77f0aull, 0x00000000u, 1, 1},
    {"smb311_tree_disconnect_rsp_2", 4, 7, 0xc00000c9u, 0x00000011u, 0x00000000eda77f0aull, 0x00000000u, 1, 1},
    {"smb202_negotiate_req", 0, 0, 0x0u, 0x00000000u, 0x0000000000000000ull, 0x00000000u, 31, 0},
    {"smb202_negotiate_rsp", 0, 0, 0x0u, 0x00000001u, 0x0000000000000000ull, 0x00000000u, 1, 0},
    {"smb202_session_setup_req", 1, 1, 0x0u, 0x00000000u, 0x0000000000000000ull, 0x00000000u, 8192, 0},
    {"smb202_session_setup_rsp", 1, 1, 0xc0000016u, 0x00000001u, 0x00000000d368566bull, 0x00000000u, 1, 0},
    {"smb202_session_setup_req_2", 1, 2, 0x0u, 0x00000000u, 0x00000000d368566bull, 0x00000000u, 8192, 0},
    {"smb202_session_setup_rsp_2", 1, 2, 0x0u, 0x00000009u, 0x00000000d368566bull, 0x00000000u, 8192, 0},
    {"smb202_tree_connect_req", 3, 3, 0x0u, 0x00000008u, 0x00000000d368566bull, 0x00000000u, 1, 0},
    {"smb202_tree_connect_rsp", 3, 3, 0x0u, 0x00000009u, 0x00000000d368566bull, 0xf5f5b7a2u, 1, 0},
    {"smb202_ioctl_req", 11, 4, 0x0u, 0x00000008u, 0x00000000d368566bull, 0xf5f5b7a2u, 1, 0},
    {"smb202_ioctl_rsp", 11, 4, 0xc0000128u, 0x00000009u, 0x00000000d368566bull, 0xf5f5b7a2u, 1, 0},
    {"smb202_ioctl_req_2", 11, 5, 0x0u, 0x00000000u, 0x00000000d368566bull, 0xf5f5b7a2u, 1, 0},
    {"smb202_ioctl_rsp_2", 11, 5, 0xc0000225u, 0x00000001u, 0x00000000d368566bull, 0xf5f5b7a2u, 1, 0},
    {"smb202_tree_disconnect_req", 4, 6, 0x0u, 0x00000000u, 0x00000000d368566bull, 0xf5f5b7a2u, 1, 0},
    {"smb202_tree_disconnect_rsp", 4, 6, 0x0u, 0x00000001u, 0x00000000d368566bull, 0xf5f5b7a2u, 1, 0},
    {"smb202_tree_connect_req_2", 3, 7, 0x0u, 0x00000008u, 0x00000000d368566bull, 0x00000000u, 1, 0},
    {"smb202_tree_connect_rsp_2", 3, 7, 0x0u, 0x00000009u, 0x00000000d368566bull, 0xcdb6678au, 1, 0},
    {"smb202_create_req", 5, 9, 0x0u, 0x00000000u, 0x00000000d368566bull, 0xcdb6678au, 1, 0},
    {"smb202_create_rsp", 5, 9, 0x0u, 0x00000001u, 0x00000000d368566bull, 0xcdb6678au, 1, 0},
    {"smb202_query_directory_req", 14, 10, 0x0u, 0x00000000u, 0x00000000d368566bull, 0xcdb6678au, 1, 0},
    {"smb202_query_directory_rsp", 14, 10, 0x0u, 0x00000001u, 0x00000000d368566bull, 0xcdb6678au, 1, 0},
    {"smb202_query_directory_rsp_2", 14, 11, 0x80000006u, 0x00000001u, 0x00000000d368566bull, 0xcdb6678au, 1, 0},
    {"smb202_close_req", 6, 12, 0x0u, 0x00000000u, 0x00000000d368566bull, 0xcdb6678au, 1, 0},
    {"smb202_close_rsp", 6, 12, 0x0u, 0x00000001u, 0x00000000d368566bull, 0xcdb6678au, 1, 0},
    {"smb202_query_info_req", 16, 14, 0x0u, 0x00000000u, 0x00000000d368566bull, 0xcdb6678au, 1, 0},
    {"smb202_query_info_rsp", 16, 14, 0x0u, 0x00000001u, 0x00000000d368566bull, 0xcdb6678au, 1, 0},
    {"smb202_create_req_2", 5, 9, 0x0u, 0x00000000u, 0x00000000c87c139eull, 0xee6c6116u, 1, 0},
    {"smb202_create_rsp_2", 5, 9, 0x0u, 0x00000001u, 0x00000000c87c139eull, 0xee6c6116u, 1, 0},
    {"smb202_query_info_req_2", 16, 10, 0x0u, 0x00000000u, 0x00000000c87c139eull, 0xee6c6116u, 1, 0},
    {"smb202_query_info_rsp_2", 16, 10, 0x0u, 0x00000001u, 0x00000000c87c139eull, 0xee6c6116u, 1, 0},
    {"smb202_read_req", 8, 11, 0x0u, 0x00000000u, 0x00000000c87c139eull, 0xee6c6116u, 1, 0},
    {"smb202_read_rsp", 8, 11, 0x0u, 0x00000001u, 0x00000000c87c139eull, 0xee6c6116u, 1, 0},
    {"smb202_create_req_3", 5, 9, 0x0u, 0x00000000u, 0x000000003190da7eull, 0xe5fa27c1u, 1, 0},
    {"smb202_create_rsp_3", 5, 9, 0x0u, 0x00000001u, 0x000000003190da7eull, 0xe5fa27c1u, 1, 0},
    {"smb202_query_info_req_3", 16, 10, 0x0u, 0x00000000u, 0x000000003190da7eull, 0xe5fa27c1u, 1, 0},
    {"smb202_query_info_rsp_3", 16, 10, 0x0u, 0x00000001u, 0x000000003190da7eull, 0xe5fa27c1u, 1, 0},
    {"smb202_query_info_req_4", 16, 16, 0x0u, 0x00000000u, 0x000000003190da7eull, 0xe5fa27c1u, 1, 0},
    {"smb202_query_info_rsp_4", 16, 16, 0x0u, 0x00000001u, 0x000000003190da7eull, 0xe5fa27c1u, 1, 0},
    {"smb202_ioctl_req_3", 11, 19, 0x0u, 0x00000000u, 0x000000003190da7eull, 0xe5fa27c1u, 1, 0},
    {"smb202_ioctl_rsp_3", 11, 19, 0xc0000010u, 0x00000001u, 0x000000003190da7eull, 0xe5fa27c1u, 1, 0},
    {"smb202_tree_connect_req_3", 3, 7, 0x0u, 0x00000008u, 0x0000000004301936ull, 0x00000000u, 1, 0},
    {"smb202_tree_connect_rsp_3", 3, 7, 0x0u, 0x00000009u, 0x0000000004301936ull, 0x10417b8cu, 1, 0},
    {"smb202_create_req_4", 5, 9, 0x0u, 0x00000000u, 0x0000000004301936ull, 0x10417b8cu, 1, 0},
    {"smb202_create_rsp_4", 5, 9, 0x0u, 0x00000001u, 0x0000000004301936ull, 0x10417b8cu, 1, 0},
    {"smb202_write_req", 9, 10, 0x0u, 0x00000000u, 0x0000000004301936ull, 0x10417b8cu, 1, 0},
    {"smb202_write_rsp", 9, 10, 0x0u, 0x00000001u, 0x0000000004301936ull, 0x10417b8cu, 1, 0},
    {"smb202_create_req_5", 5, 9, 0x0u, 0x00000000u, 0x000000000839c000ull, 0xaddc93a4u, 1, 0},
    {"smb202_create_rsp_5", 5, 9, 0x0u, 0x00000001u, 0x000000000839c000ull, 0xaddc93a4u, 1, 0},
    {"smb202_create_req_6", 5, 9, 0x0u, 0x00000000u, 0x0000000046a80c26ull, 0x01bc83f2u, 1, 0},
    {"smb202_create_rsp_6", 5, 9, 0x0u, 0x00000001u, 0x0000000046a80c26ull, 0x01bc83f2u, 1, 0},
    {"smb202_set_info_req", 17, 10, 0x0u, 0x00000000u, 0x0000000046a80c26ull, 0x01bc83f2u, 1, 0},
    {"smb202_set_info_rsp", 17, 10, 0x0u, 0x00000001u, 0x0000000046a80c26ull, 0x01bc83f2u, 1, 0},
    {"smb202_create_req_7", 5, 9, 0x0u, 0x00000000u, 0x000000004eabb5c3ull, 0x4c42bb78u, 1, 0},
    {"smb202_create_rsp_7", 5, 9, 0x0u, 0x00000001u, 0x000000004eabb5c3ull, 0x4c42bb78u, 1, 0},
    {"smb202_query_directory_req_2", 14, 10, 0x0u, 0x00000000u, 0x000000004eabb5c3ull, 0x4c42bb78u, 1, 0},
    {"smb202_query_directory_rsp_3", 14, 10, 0x0u, 0x00000001u, 0x000000004eabb5c3ull, 0x4c42bb78u, 1, 0},
    {"smb202_create_req_8", 5, 11, 0x0u, 0x00000000u, 0x000000004eabb5c3ull, 0x4c42bb78u, 1, 0},
    {"smb202_create_rsp_8", 5, 11, 0x0u, 0x00000001u, 0x000000004eabb5c3ull, 0x4c42bb78u, 1, 0},
    {"smb202_query_directory_rsp_4", 14, 13, 0x80000006u, 0x00000001u, 0x000000004eabb5c3ull, 0x4c42bb78u, 1, 0},
    {"smb202_set_info_req_2", 17, 10, 0x0u, 0x00000000u, 0x0000000017151d41ull, 0xa70d9ed0u, 1, 0},
    {"smb202_set_info_rsp_2", 17, 10, 0x0u, 0x00000001u, 0x0000000017151d41ull, 0xa70d9ed0u, 1, 0},
    {"smb202_create_req_9", 5, 9, 0x0u, 0x00000000u, 0x000000002e15efabull, 0x953838d4u, 1, 0},
    {"smb202_create_rsp_9", 5, 9, 0xc0000034u, 0x00000001u, 0x000000002e15efabull, 0x953838d4u, 1, 0},
    {"smb202_session_setup_rsp_3", 1, 2, 0xc000006du, 0x00000001u, 0x00000000b3cf303aull, 0x00000000u, 1, 0},
    {"smb202_tree_connect_req_4", 3, 7, 0x0u, 0x00000008u, 0x000000004784aee9ull, 0x00000000u, 1, 0},
    {"smb202_tree_connect_rsp_4", 3, 7, 0xc00000ccu, 0x00000009u, 0x000000004784aee9ull, 0x00000000u, 1, 0},
    {"smb202_tree_disconnect_rsp_2", 4, 8, 0xc00000c9u, 0x00000001u, 0x000000004784aee9ull, 0x00000000u, 1, 0},
    {"smb311enc_negotiate_req", 0, 0, 0x0u, 0x00000000u, 0x0000000000000000ull, 0x00000000u, 31, 0},
    {"smb311enc_negotiate_rsp", 0, 0, 0x0u, 0x00000001u, 0x0000000000000000ull, 0x00000000u, 1, 0},
    {"smb311enc_session_setup_req", 1, 1, 0x0u, 0x00000010u, 0x0000000000000000ull, 0x00000000u, 8192, 1},
    {"smb311enc_session_setup_rsp", 1, 1, 0xc0000016u, 0x00000011u, 0x000000004ba3ff7dull, 0x00000000u, 1, 1},
    {"smb311enc_session_setup_req_2", 1, 2, 0x0u, 0x00000010u, 0x000000004ba3ff7dull, 0x00000000u, 8192, 1},
    {"smb311enc_session_setup_rsp_2", 1, 2, 0x0u, 0x00000019u, 0x000000004ba3ff7dull, 0x00000000u, 8192, 1},
    {"smb311enc_tree_connect_req", 3, 3, 0x0u, 0x00000018u, 0x000000004ba3ff7dull, 0x00000000u, 1, 1},
    {"smb311enc_tree_connect_rsp", 3, 3, 0x0u, 0x00000019u, 0x000000004ba3ff7dull, 0xb718ed83u, 1, 1},
    {"smb311enc_ioctl_req", 11, 4, 0x0u, 0x00000010u, 0x000000004ba3ff7dull, 0xb718ed83u, 1, 1},
    {"smb311enc_ioctl_rsp", 11, 4, 0xc0000225u, 0x00000011u, 0x000000004ba3ff7dull, 0xb718ed83u, 1, 1},
    {"smb311enc_tree_disconnect_req", 4, 5, 0x0u, 0x00000010u, 0x000000004ba3ff7dull, 0xb718ed83u, 1, 1},
    {"smb311enc_tree_disconnect_rsp", 4, 5, 0x0u, 0x00000011u, 0x000000004ba3ff7dull, 0xb718ed83u, 1, 1},
    {"smb311enc_tree_connect_req_2", 3, 6, 0x0u, 0x00000018u, 0x000000004ba3ff7dull, 0x00000000u, 1, 1},
    {"smb311enc_tree_connect_rsp_2", 3, 6, 0x0u, 0x00000019u, 0x000000004ba3ff7dull, 0x26e5021cu, 1, 1},
};
/* clang-format on */

#define N_FIXTURES (sizeof FIXTURES / sizeof FIXTURES[0])

/* ---- helpers ---------------------------------------------------------- */

/* UTF-16LE -> UTF-8 into out (asserting success); returns out. */
static const char *u8(const uint8_t *u16, size_t n, char *out, size_t cap) {
  long rc = dfsc__utf16_to_utf8(u16, n, out, cap);
  assert_true(rc >= 0);
  return out;
}

/* Starts a fresh output buffer with the decoded header re-encoded. */
static void start(dfsc_wr *w, uint8_t *buf, const dfsc_smb2_hdr *h) {
  memset(buf, 0xEE, OUTCAP); /* unwritten bytes show up in a compare */
  dfsc__wr_init(w, buf, OUTCAP);
  dfsc__smb2_hdr_encode(w, h);
  assert_int_equal(w->off, SMB2_HDR_SIZE);
}

/* The re-encoded PDU must be the captured one, byte for byte. */
static void same(const dfsc_wr *w, const uint8_t *pdu, size_t len) {
  assert_int_equal(w->bad, 0);
  assert_int_equal(w->off, len);
  assert_memory_equal(w->p, pdu, len);
}

/* OutputOffset of an IOCTL request: header + 36 ([MS-SMB2] 2.2.31). */
#define IOCTL_OUTPUT_OFFSET (SMB2_HDR_SIZE + 36)

/* Accepts up to `max` trailing bytes of the capture that the encoder did not
 * write, provided they are zero padding, and appends them to w. */
static void pad_tail(dfsc_wr *w, const uint8_t *pdu, size_t len, size_t max) {
  size_t i;
  assert_true(len > w->off);
  assert_true(len - w->off <= max);
  for (i = w->off; i < len; i++)
    assert_int_equal(pdu[i], 0);
  dfsc__wr_zero(w, len - w->off);
}

static int is_error_body(const dfsc_smb2_hdr *h) {
  if (!(h->flags & SMB2_FLAGS_SERVER_TO_REDIR) || h->status == STATUS_SUCCESS)
    return 0;
  /* [MS-SMB2] 3.3.4.4: MORE_PROCESSING carries a SESSION_SETUP body. */
  return !(h->command == SMB2_SESSION_SETUP &&
           h->status == STATUS_MORE_PROCESSING_REQUIRED);
}

static const golden_fx *fx_find(const char *name) {
  size_t i;
  for (i = 0; i < N_FIXTURES; i++)
    if (strcmp(FIXTURES[i].name, name) == 0)
      return &FIXTURES[i];
  fail_msg("no fixture %s in the table", name);
  return NULL;
}

/* Loads a fixture and decodes its header, checking it against the table. */
static uint8_t *load_hdr(const char *name, size_t *len, dfsc_smb2_hdr *h) {
  const golden_fx *fx = fx_find(name);
  uint8_t *pdu = golden_load(name, len);

  assert_int_equal(dfsc__smb2_hdr_decode(pdu, *len, h), 0);
  assert_int_equal(h->command, fx->command);
  assert_int_equal(h->message_id, fx->message_id);
  assert_int_equal(h->status, fx->status);
  assert_int_equal(h->flags, fx->flags);
  assert_int_equal(h->session_id, fx->session_id);
  assert_int_equal(h->tree_id, fx->tree_id);
  assert_int_equal(h->credits, fx->credits);
  assert_int_equal(h->credit_charge, fx->credit_charge);
  assert_int_equal(h->next_command, 0);
  assert_int_equal(h->process_id, 0);
  if (!(h->flags & SMB2_FLAGS_SIGNED)) {
    static const uint8_t zero[16];
    assert_memory_equal(h->signature, zero, 16);
  }
  return pdu;
}

/* ---- the round trip, per command and direction ------------------------ */

static void rt_negotiate(const dfsc_smb2_hdr *h, const uint8_t *pdu, size_t len,
                         dfsc_wr *w) {
  if (h->flags & SMB2_FLAGS_SERVER_TO_REDIR) {
    dfsc_smb2_negotiate_rsp rsp;
    assert_int_equal(dfsc__smb2_negotiate_rsp_decode(pdu, len, &rsp), 0);
    assert_int_equal(dfsc__smb2_negotiate_rsp_encode(w, &rsp), 0);
  } else {
    dfsc_smb2_negotiate_req req;
    char netname[256];
    assert_int_equal(dfsc__smb2_negotiate_req_decode(pdu, len, &req), 0);
    if (req.netname_u16 != NULL)
      req.netname = u8(req.netname_u16, req.netname_u16_len, netname, sizeof netname);
    assert_int_equal(dfsc__smb2_negotiate_req_encode(w, &req), 0);
  }
}

static void rt_session_setup(const dfsc_smb2_hdr *h, const uint8_t *pdu, size_t len,
                             dfsc_wr *w) {
  if (h->flags & SMB2_FLAGS_SERVER_TO_REDIR) {
    dfsc_smb2_session_setup_rsp rsp;
    assert_int_equal(dfsc__smb2_session_setup_rsp_decode(pdu, len, &rsp), 0);
    assert_int_equal(dfsc__smb2_session_setup_rsp_encode(w, &rsp), 0);
  } else {
    dfsc_smb2_session_setup_req req;
    assert_int_equal(dfsc__smb2_session_setup_req_decode(pdu, len, &req), 0);
    assert_int_equal(dfsc__smb2_session_setup_req_encode(w, &req), 0);
  }
}

static void rt_tree_connect(const dfsc_smb2_hdr *h, const uint8_t *pdu, size_t len,
                            dfsc_wr *w) {
  if (h->flags & SMB2_FLAGS_SERVER_TO_REDIR) {
    dfsc_smb2_tree_connect_rsp rsp;
    assert_int_equal(dfsc__smb2_tree_connect_rsp_decode(pdu, len, &rsp), 0);
    assert_int_equal(dfsc__smb2_tree_connect_rsp_encode(w, &rsp), 0);
  } else {
    dfsc_smb2_tree_connect_req req;
    char path[512];
    assert_int_equal(dfsc__smb2_tree_connect_req_decode(pdu, len, &req), 0);
    req.path = u8(req.path_u16, req.path_u16_len, path, sizeof path);
    req.path_len = strlen(path);
    assert_int_equal(dfsc__smb2_tree_connect_req_encode(w, &req), 0);
  }
}

static void rt_tree_disconnect(const dfsc_smb2_hdr *h, const uint8_t *pdu, size_t len,
                               dfsc_wr *w) {
  if (h->flags & SMB2_FLAGS_SERVER_TO_REDIR) {
    assert_int_equal(dfsc__smb2_tree_disconnect_rsp_decode(pdu, len), 0);
    assert_int_equal(dfsc__smb2_tree_disconnect_rsp_encode(w), 0);
  } else {
    assert_int_equal(dfsc__smb2_tree_disconnect_req_decode(pdu, len), 0);
    assert_int_equal(dfsc__smb2_tree_disconnect_req_encode(w), 0);
  }
}

static void rt_create(const dfsc_smb2_hdr *h, const uint8_t *pdu, size_t len, dfsc_wr *w) {
  if (h->flags & SMB2_FLAGS_SERVER_TO_REDIR) {
    dfsc_smb2_create_rsp rsp;
    assert_int_equal(dfsc__smb2_create_rsp_decode(pdu, len, &rsp), 0);
    assert_int_equal(dfsc__smb2_create_rsp_encode(w, &rsp), 0);
  } else {
    dfsc_smb2_create_req req;
    assert_int_equal(dfsc__smb2_create_req_decode(pdu, len, &req), 0);
    assert_int_equal(dfsc__smb2_create_req_encode(w, &req), 0);
    /* Not canonical: smbclient pads a name of 4n+2 bytes with two zero
     * bytes beyond NameLength (the encoder sends the name alone); with no
     * create contexts nothing follows the name, so the pad is all that
     * differs. */
    if (req.cc_len == 0 && req.name16_len % 4 == 2)
      pad_tail(w, pdu, len, 2);
  }
}

static void rt_close(const dfsc_smb2_hdr *h, const uint8_t *pdu, size_t len, dfsc_wr *w) {
  if (h->flags & SMB2_FLAGS_SERVER_TO_REDIR) {
    dfsc_smb2_close_rsp rsp;
    assert_int_equal(dfsc__smb2_close_rsp_decode(pdu, len, &rsp), 0);
    assert_int_equal(dfsc__smb2_close_rsp_encode(w, &rsp), 0);
  } else {
    dfsc_smb2_close_req req;
    assert_int_equal(dfsc__smb2_close_req_decode(pdu, len, &req), 0);
    assert_int_equal(dfsc__smb2_close_req_encode(w, &req), 0);
  }
}

static void rt_read(const dfsc_smb2_hdr *h, const uint8_t *pdu, size_t len, dfsc_wr *w) {
  if (h->flags & SMB2_FLAGS_SERVER_TO_REDIR) {
    dfsc_smb2_read_rsp rsp;
    size_t off = 0, n = 0;
    assert_int_equal(dfsc__smb2_read_rsp_decode(pdu, len, &rsp), 0);
    assert_int_equal(dfsc__smb2_read_rsp_peek(pdu, len, &off, &n), 0);
    assert_int_equal(off, rsp.data_offset);
    assert_int_equal(n, rsp.data_len);
    assert_int_equal(dfsc__smb2_read_rsp_encode(w, &rsp), 0);
  } else {
    dfsc_smb2_read_req req;
    assert_int_equal(dfsc__smb2_read_req_decode(pdu, len, &req), 0);
    assert_int_equal(dfsc__smb2_read_req_encode(w, &req), 0);
  }
}

static void rt_write(const dfsc_smb2_hdr *h, const uint8_t *pdu, size_t len, dfsc_wr *w) {
  if (h->flags & SMB2_FLAGS_SERVER_TO_REDIR) {
    dfsc_smb2_write_rsp rsp;
    assert_int_equal(dfsc__smb2_write_rsp_decode(pdu, len, &rsp), 0);
    assert_int_equal(dfsc__smb2_write_rsp_encode(w, &rsp), 0);
  } else {
    dfsc_smb2_write_req req;
    uint8_t hdrbuf[OUTCAP];
    dfsc_wr w2;
    assert_int_equal(dfsc__smb2_write_req_decode(pdu, len, &req), 0);
    assert_int_equal(dfsc__smb2_write_req_encode(w, &req), 0);
    /* The zero-copy form: fixed part, then the caller's data. */
    start(&w2, hdrbuf, h);
    assert_int_equal(dfsc__smb2_write_req_encode_hdr(&w2, &req), 0);
    assert_int_equal(w2.off + req.data_len, len);
    assert_memory_equal(hdrbuf, pdu, w2.off);
  }
}

static void rt_ioctl(const dfsc_smb2_hdr *h, const uint8_t *pdu, size_t len, dfsc_wr *w) {
  if (h->flags & SMB2_FLAGS_SERVER_TO_REDIR) {
    dfsc_smb2_ioctl_rsp rsp;
    assert_int_equal(dfsc__smb2_ioctl_rsp_decode(pdu, len, &rsp), 0);
    assert_int_equal(dfsc__smb2_ioctl_rsp_encode(w, &rsp), 0);
  } else {
    dfsc_smb2_ioctl_req req;
    assert_int_equal(dfsc__smb2_ioctl_req_decode(pdu, len, &req), 0);
    assert_int_equal(dfsc__smb2_ioctl_req_encode(w, &req), 0);
    /* Not canonical: with OutputCount 0, smbclient sends OutputOffset 0x78
     * when it has input (FSCTL_DFS_GET_REFERRALS, VALIDATE_NEGOTIATE_INFO)
     * and 0 when it has none; the encoder always sends 0. The offset of an
     * empty buffer means nothing ([MS-SMB2] 2.2.31). */
    if (req.output_len == 0 && dfsc__le32(pdu + IOCTL_OUTPUT_OFFSET) != 0) {
      assert_int_equal(dfsc__le32(pdu + IOCTL_OUTPUT_OFFSET), SMB2_IOCTL_REQ_BUFFER_OFF);
      assert_int_equal(req.input_len > 0, 1);
      assert_int_equal(dfsc__le32(w->p + IOCTL_OUTPUT_OFFSET), 0);
      dfsc__put_le32(w->p + IOCTL_OUTPUT_OFFSET, SMB2_IOCTL_REQ_BUFFER_OFF);
    }
  }
}

static void rt_query_directory(const dfsc_smb2_hdr *h, const uint8_t *pdu, size_t len,
                               dfsc_wr *w) {
  if (h->flags & SMB2_FLAGS_SERVER_TO_REDIR) {
    dfsc_smb2_query_dir_rsp rsp;
    assert_int_equal(dfsc__smb2_query_dir_rsp_decode(pdu, len, &rsp), 0);
    assert_int_equal(dfsc__smb2_query_dir_rsp_encode(w, &rsp), 0);
  } else {
    dfsc_smb2_query_dir_req req;
    assert_int_equal(dfsc__smb2_query_dir_req_decode(pdu, len, &req), 0);
    assert_int_equal(dfsc__smb2_query_dir_req_encode(w, &req), 0);
  }
}

static void rt_query_info(const dfsc_smb2_hdr *h, const uint8_t *pdu, size_t len,
                          dfsc_wr *w) {
  if (h->flags & SMB2_FLAGS_SERVER_TO_REDIR) {
    dfsc_smb2_query_info_rsp rsp;
    assert_int_equal(dfsc__smb2_query_info_rsp_decode(pdu, len, &rsp), 0);
    assert_int_equal(dfsc__smb2_query_info_rsp_encode(w, &rsp), 0);
  } else {
    dfsc_smb2_query_info_req req;
    assert_int_equal(dfsc__smb2_query_info_req_decode(pdu, len, &req), 0);
    assert_int_equal(dfsc__smb2_query_info_req_encode(w, &req), 0);
  }
}

static void rt_set_info(const dfsc_smb2_hdr *h, const uint8_t *pdu, size_t len,
                        dfsc_wr *w) {
  if (h->flags & SMB2_FLAGS_SERVER_TO_REDIR) {
    assert_int_equal(dfsc__smb2_set_info_rsp_decode(pdu, len), 0);
    assert_int_equal(dfsc__smb2_set_info_rsp_encode(w), 0);
  } else {
    dfsc_smb2_set_info_req req;
    assert_int_equal(dfsc__smb2_set_info_req_decode(pdu, len, &req), 0);
    assert_int_equal(dfsc__smb2_set_info_req_encode(w, &req), 0);
  }
}

static void rt_error(const uint8_t *pdu, size_t len, dfsc_wr *w) {
  dfsc_smb2_error_rsp e;
  assert_int_equal(dfsc__smb2_error_rsp_decode(pdu, len, &e), 0);
  assert_int_equal(dfsc__smb2_error_rsp_encode(w, e.context_count, e.data, e.data_len), 0);
}

/* One cmocka test per fixture: state points at its table row. */
static void test_roundtrip(void **state) {
  const golden_fx *fx = *state;
  dfsc_smb2_hdr h;
  size_t len;
  uint8_t *pdu = load_hdr(fx->name, &len, &h);
  uint8_t *out = malloc(OUTCAP);
  dfsc_wr w;

  assert_non_null(out);
  start(&w, out, &h);
  if (is_error_body(&h)) {
    rt_error(pdu, len, &w);
  } else {
    switch (h.command) {
    case SMB2_NEGOTIATE:
      rt_negotiate(&h, pdu, len, &w);
      break;
    case SMB2_SESSION_SETUP:
      rt_session_setup(&h, pdu, len, &w);
      break;
    case SMB2_TREE_CONNECT:
      rt_tree_connect(&h, pdu, len, &w);
      break;
    case SMB2_TREE_DISCONNECT:
      rt_tree_disconnect(&h, pdu, len, &w);
      break;
    case SMB2_CREATE:
      rt_create(&h, pdu, len, &w);
      break;
    case SMB2_CLOSE:
      rt_close(&h, pdu, len, &w);
      break;
    case SMB2_READ:
      rt_read(&h, pdu, len, &w);
      break;
    case SMB2_WRITE:
      rt_write(&h, pdu, len, &w);
      break;
    case SMB2_IOCTL:
      rt_ioctl(&h, pdu, len, &w);
      break;
    case SMB2_QUERY_DIRECTORY:
      rt_query_directory(&h, pdu, len, &w);
      break;
    case SMB2_QUERY_INFO:
      rt_query_info(&h, pdu, len, &w);
      break;
    case SMB2_SET_INFO:
      rt_set_info(&h, pdu, len, &w);
      break;
    default:
      fail_msg("%s: no decoder for command %u", fx->name, h.command);
    }
  }
  same(&w, pdu, len);
  free(out);
  free(pdu);
}

/* ---- field values, as tshark shows them ------------------------------- */

static const uint8_t SMB311_CLIENT_GUID[16] = {0xc9, 0xcb, 0x76, 0x81, 0x52, 0xf2,
                                               0xa7, 0x49, 0xa3, 0x7a, 0xc6, 0x06,
                                               0x5b, 0x9a, 0xab, 0x4a};

static void test_311_negotiate_req(void **state) {
  static const uint8_t salt_head[4] = {0xb9, 0xdd, 0x01, 0xfa};
  static const uint8_t salt_tail[4] = {0x94, 0xb0, 0xb4, 0xbb};
  dfsc_smb2_negotiate_req req;
  dfsc_smb2_hdr h;
  size_t len;
  char netname[64];
  uint8_t *pdu = load_hdr("smb311_negotiate_req", &len, &h);

  (void)state;
  assert_int_equal(dfsc__smb2_negotiate_req_decode(pdu, len, &req), 0);
  assert_int_equal(req.security_mode, SMB2_NEGOTIATE_SIGNING_ENABLED);
  assert_int_equal(req.capabilities, 0x7f);
  assert_memory_equal(req.client_guid, SMB311_CLIENT_GUID, 16);
  assert_int_equal(req.dialect_count, 5);
  assert_int_equal(req.dialects[0], SMB2_DIALECT_202);
  assert_int_equal(req.dialects[1], SMB2_DIALECT_210);
  assert_int_equal(req.dialects[2], SMB2_DIALECT_300);
  assert_int_equal(req.dialects[3], SMB2_DIALECT_302);
  assert_int_equal(req.dialects[4], SMB2_DIALECT_311);
  assert_int_equal(req.context_count, 4);
  assert_int_equal(req.hash_alg_count, 1);
  assert_int_equal(req.hash_algs[0], SMB2_PREAUTH_HASH_SHA512);
  assert_int_equal(req.salt_len, 32);
  assert_memory_equal(req.salt, salt_head, 4);
  assert_memory_equal(req.salt + 28, salt_tail, 4);
  assert_int_equal(req.cipher_count, 4);
  assert_int_equal(req.ciphers[0], SMB2_ENCRYPTION_AES128_GCM);
  assert_int_equal(req.ciphers[1], SMB2_ENCRYPTION_AES128_CCM);
  assert_int_equal(req.ciphers[2], SMB2_ENCRYPTION_AES256_GCM);
  assert_int_equal(req.ciphers[3], SMB2_ENCRYPTION_AES256_CCM);
  assert_int_equal(req.signing_alg_count, 3);
  assert_int_equal(req.signing_algs[0], SMB2_SIGNING_AES_GMAC);
  assert_int_equal(req.signing_algs[1], SMB2_SIGNING_AES_CMAC);
  assert_int_equal(req.signing_algs[2], SMB2_SIGNING_HMAC_SHA256);
  assert_int_equal(req.netname_u16_len, 20);
  assert_string_equal(u8(req.netname_u16, req.netname_u16_len, netname, sizeof netname),
                      "127.0.0.11");
  free(pdu);
}

static void test_311_negotiate_rsp(void **state) {
  static const uint8_t guid[16] = {0x66, 0x73, 0x31, 0x00};
  static const uint8_t salt_head[4] = {0x35, 0xd3, 0x57, 0x5e};
  static const uint8_t salt_tail[4] = {0xf6, 0x6c, 0xf2, 0x26};
  dfsc_smb2_negotiate_rsp rsp;
  dfsc_smb2_hdr h;
  size_t len;
  uint8_t *pdu = load_hdr("smb311_negotiate_rsp", &len, &h);

  (void)state;
  assert_int_equal(len, 284);
  assert_int_equal(dfsc__smb2_negotiate_rsp_decode(pdu, len, &rsp), 0);
  assert_int_equal(rsp.security_mode, SMB2_NEGOTIATE_SIGNING_ENABLED);
  assert_int_equal(rsp.dialect, SMB2_DIALECT_311);
  assert_memory_equal(rsp.server_guid, guid, 16);
  assert_int_equal(rsp.capabilities, SMB2_GLOBAL_CAP_DFS | SMB2_GLOBAL_CAP_LEASING |
                                         SMB2_GLOBAL_CAP_LARGE_MTU |
                                         SMB2_GLOBAL_CAP_MULTI_CHANNEL);
  assert_int_equal(rsp.max_transact_size, 8388608);
  assert_int_equal(rsp.max_read_size, 8388608);
  assert_int_equal(rsp.max_write_size, 8388608);
  /* Nov 25, 2026 19:55:26.204039000 UTC */
  assert_int_equal(rsp.system_time, 0x1dd7d16ea252d46ull);
  assert_int_equal(rsp.server_start_time, 0);
  assert_int_equal(rsp.security_buffer - pdu, 0x80);
  assert_int_equal(rsp.security_buffer_len, 74);
  assert_int_equal(rsp.context_count, 3);
  assert_true(rsp.has_preauth);
  assert_int_equal(rsp.preauth_hash_alg, SMB2_PREAUTH_HASH_SHA512);
  assert_int_equal(rsp.preauth_salt_len, 32);
  assert_memory_equal(rsp.preauth_salt, salt_head, 4);
  assert_memory_equal(rsp.preauth_salt + 28, salt_tail, 4);
  assert_true(rsp.has_cipher);
  assert_int_equal(rsp.cipher, SMB2_ENCRYPTION_AES128_GCM);
  assert_true(rsp.has_signing);
  assert_int_equal(rsp.signing_alg, SMB2_SIGNING_AES_GMAC);
  free(pdu);
}

static void test_311enc_negotiate_rsp(void **state) {
  dfsc_smb2_negotiate_rsp rsp;
  dfsc_smb2_hdr h;
  size_t len;
  uint8_t *pdu = load_hdr("smb311enc_negotiate_rsp", &len, &h);

  (void)state;
  assert_int_equal(dfsc__smb2_negotiate_rsp_decode(pdu, len, &rsp), 0);
  assert_int_equal(rsp.dialect, SMB2_DIALECT_311);
  assert_int_equal(rsp.context_count, 3);
  assert_int_equal(rsp.preauth_salt[0], 0xba);
  assert_int_equal(rsp.cipher, SMB2_ENCRYPTION_AES128_GCM);
  assert_int_equal(rsp.signing_alg, SMB2_SIGNING_AES_GMAC);
  free(pdu);
}

static void test_202_negotiate_rsp(void **state) {
  static const uint8_t guid[16] = {0x64, 0x32, 0x30, 0x32};
  dfsc_smb2_negotiate_rsp rsp;
  dfsc_smb2_hdr h;
  size_t len;
  uint8_t *pdu = load_hdr("smb202_negotiate_rsp", &len, &h);

  (void)state;
  assert_int_equal(dfsc__smb2_negotiate_rsp_decode(pdu, len, &rsp), 0);
  assert_int_equal(rsp.security_mode, SMB2_NEGOTIATE_SIGNING_ENABLED);
  assert_int_equal(rsp.dialect, SMB2_DIALECT_202);
  assert_memory_equal(rsp.server_guid, guid, 16);
  assert_int_equal(rsp.capabilities, SMB2_GLOBAL_CAP_DFS);
  assert_int_equal(rsp.max_transact_size, 65536);
  assert_int_equal(rsp.max_read_size, 65536);
  assert_int_equal(rsp.max_write_size, 65536);
  /* Nov 25, 2026 19:55:27.501270000 UTC */
  assert_int_equal(rsp.system_time, 0x1dd7d16eaeb1e5cull);
  assert_int_equal(rsp.security_buffer - pdu, 0x80);
  assert_int_equal(rsp.security_buffer_len, 74);
  assert_int_equal(rsp.context_count, 0);
  assert_false(rsp.has_preauth);
  assert_false(rsp.has_cipher);
  assert_false(rsp.has_signing);
  free(pdu);
}

static void test_session_setup(void **state) {
  static const struct {
    const char *name;
    size_t off, len;
  } c[] = {
      {"smb311_session_setup_req", 0x58, 74},    {"smb311_session_setup_rsp", 0x48, 139},
      {"smb311_session_setup_req_2", 0x58, 404}, {"smb311_session_setup_rsp_2", 0x48, 29},
      {"smb202_session_setup_rsp", 0x48, 145},   {"smb202_session_setup_req_2", 0x58, 408},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof c / sizeof c[0]; i++) {
    dfsc_smb2_hdr h;
    size_t len;
    uint8_t *pdu = load_hdr(c[i].name, &len, &h);
    if (h.flags & SMB2_FLAGS_SERVER_TO_REDIR) {
      dfsc_smb2_session_setup_rsp rsp;
      assert_int_equal(dfsc__smb2_session_setup_rsp_decode(pdu, len, &rsp), 0);
      assert_int_equal(rsp.session_flags, 0);
      assert_int_equal(rsp.security_buffer - pdu, c[i].off);
      assert_int_equal(rsp.security_buffer_len, c[i].len);
    } else {
      dfsc_smb2_session_setup_req req;
      assert_int_equal(dfsc__smb2_session_setup_req_decode(pdu, len, &req), 0);
      assert_int_equal(req.flags, 0);
      assert_int_equal(req.security_mode, SMB2_NEGOTIATE_SIGNING_ENABLED);
      assert_int_equal(req.capabilities, SMB2_GLOBAL_CAP_DFS);
      assert_int_equal(req.channel, 0);
      assert_int_equal(req.previous_session_id, 0);
      assert_int_equal(req.security_buffer - pdu, c[i].off);
      assert_int_equal(req.security_buffer_len, c[i].len);
    }
    free(pdu);
  }
}

static void test_tree_connect(void **state) {
  static const struct {
    const char *req, *path, *rsp;
    uint8_t type;
    uint32_t flags, access;
  } c[] = {
      {"smb311_tree_connect_req", "\\\\127.0.0.11\\IPC$", "smb311_tree_connect_rsp",
       SMB2_SHARE_TYPE_PIPE, 0, 0x001f00a9},
      {"smb311_tree_connect_req_2", "\\\\127.0.0.11\\data", "smb311_tree_connect_rsp_2",
       SMB2_SHARE_TYPE_DISK, 0, 0x001f01ff},
      {"smb311_tree_connect_req_3", "\\\\127.0.0.11\\scratch", "smb311_tree_connect_rsp_3",
       SMB2_SHARE_TYPE_DISK, 0, 0x001f01ff},
      /* the SMB2_02-only server grants less on its data share */
      {"smb202_tree_connect_req_2", "\\\\127.0.0.21\\data", "smb202_tree_connect_rsp_2",
       SMB2_SHARE_TYPE_DISK, 0, 0x001f00a9},
      {"smb311enc_tree_connect_req_2", "\\\\127.0.0.11\\enc",
       "smb311enc_tree_connect_rsp_2", SMB2_SHARE_TYPE_DISK, SMB2_SHAREFLAG_ENCRYPT_DATA,
       0x001f01ff},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof c / sizeof c[0]; i++) {
    dfsc_smb2_hdr h;
    dfsc_smb2_tree_connect_req req;
    dfsc_smb2_tree_connect_rsp rsp;
    char path[128];
    size_t len;
    uint8_t *pdu = load_hdr(c[i].req, &len, &h);

    assert_int_equal(dfsc__smb2_tree_connect_req_decode(pdu, len, &req), 0);
    assert_int_equal(req.flags, 0);
    assert_int_equal(req.path_u16 - pdu, 0x48);
    assert_string_equal(u8(req.path_u16, req.path_u16_len, path, sizeof path), c[i].path);
    free(pdu);
    pdu = load_hdr(c[i].rsp, &len, &h);
    assert_int_equal(dfsc__smb2_tree_connect_rsp_decode(pdu, len, &rsp), 0);
    assert_int_equal(rsp.share_type, c[i].type);
    assert_int_equal(rsp.share_flags, c[i].flags);
    assert_int_equal(rsp.capabilities, 0);
    assert_int_equal(rsp.maximal_access, c[i].access);
    free(pdu);
  }
}

static void test_311_create(void **state) {
  dfsc_smb2_create_req req;
  dfsc_smb2_create_rsp rsp;
  dfsc_smb2_hdr h;
  size_t len;
  char name[64];
  uint8_t *pdu;

  (void)state;
  pdu = load_hdr("smb311_create_req", &len, &h);
  assert_int_equal(dfsc__smb2_create_req_decode(pdu, len, &req), 0);
  assert_int_equal(req.oplock_level, SMB2_OPLOCK_LEVEL_NONE);
  assert_int_equal(req.impersonation, SMB2_IMPERSONATION_IMPERSONATION);
  assert_int_equal(req.desired_access, 0x81);
  assert_int_equal(req.file_attributes, SMB2_FILE_ATTRIBUTE_DIRECTORY);
  assert_int_equal(req.share_access, SMB2_FILE_SHARE_READ | SMB2_FILE_SHARE_WRITE);
  assert_int_equal(req.disposition, SMB2_FILE_OPEN);
  assert_int_equal(req.options, SMB2_FILE_DIRECTORY_FILE);
  assert_int_equal(req.name16_len, 0);
  assert_int_equal(req.cc_len, 0);
  free(pdu);

  pdu = load_hdr("smb311_create_rsp", &len, &h);
  assert_int_equal(dfsc__smb2_create_rsp_decode(pdu, len, &rsp), 0);
  assert_int_equal(rsp.oplock_level, SMB2_OPLOCK_LEVEL_NONE);
  assert_int_equal(rsp.flags, 0);
  assert_int_equal(rsp.create_action, SMB2_FILE_OPENED);
  /* 19:55:20.224855100 / 19:55:24.861264200 UTC */
  assert_int_equal(rsp.info.creation_time, 0x1dd7d16e694d367ull);
  assert_int_equal(rsp.info.last_access_time, 0x1dd7d16e9584922ull);
  assert_int_equal(rsp.info.last_write_time, 0x1dd7d16e694d367ull);
  assert_int_equal(rsp.info.change_time, 0x1dd7d16e694d367ull);
  assert_int_equal(rsp.info.allocation_size, 0);
  assert_int_equal(rsp.info.end_of_file, 0);
  assert_int_equal(rsp.info.attributes, SMB2_FILE_ATTRIBUTE_DIRECTORY);
  /* File Id c7365a87-0000-0000-9a56-95c700000000 */
  assert_int_equal(rsp.fid.persistent, 0xc7365a87ull);
  assert_int_equal(rsp.fid.volatile_, 0xc795569aull);
  assert_int_equal(rsp.cc_len, 0);
  free(pdu);

  pdu = load_hdr("smb311_create_req_2", &len, &h);
  assert_int_equal(dfsc__smb2_create_req_decode(pdu, len, &req), 0);
  assert_int_equal(req.desired_access, 0x00120089);
  assert_int_equal(req.file_attributes, 0);
  assert_int_equal(req.share_access, 3);
  assert_int_equal(req.disposition, SMB2_FILE_OPEN);
  assert_int_equal(req.options, SMB2_FILE_NON_DIRECTORY_FILE);
  assert_int_equal(req.name16 - pdu, 0x78);
  assert_string_equal(u8(req.name16, req.name16_len, name, sizeof name), "hello.txt");
  free(pdu);

  pdu = load_hdr("smb311_create_req_4", &len, &h);
  assert_int_equal(dfsc__smb2_create_req_decode(pdu, len, &req), 0);
  assert_int_equal(req.desired_access, 0x0012019f);
  assert_int_equal(req.disposition, SMB2_FILE_OVERWRITE_IF);
  assert_string_equal(u8(req.name16, req.name16_len, name, sizeof name), "fixture.txt");
  free(pdu);

  pdu = load_hdr("smb311_create_rsp_4", &len, &h);
  assert_int_equal(dfsc__smb2_create_rsp_decode(pdu, len, &rsp), 0);
  assert_int_equal(rsp.create_action, SMB2_FILE_CREATED);
  /* 19:55:26.337949700 UTC, all four */
  assert_int_equal(rsp.info.creation_time, 0x1dd7d16ea399c29ull);
  assert_int_equal(rsp.info.change_time, 0x1dd7d16ea399c29ull);
  assert_int_equal(rsp.info.end_of_file, 0);
  assert_int_equal(rsp.info.attributes, SMB2_FILE_ATTRIBUTE_ARCHIVE);
  /* 34c00fc9-0000-0000-440b-9ba800000000 */
  assert_int_equal(rsp.fid.persistent, 0x34c00fc9ull);
  assert_int_equal(rsp.fid.volatile_, 0xa89b0b44ull);
  free(pdu);

  pdu = load_hdr("smb311_create_req_8", &len, &h);
  assert_int_equal(dfsc__smb2_create_req_decode(pdu, len, &req), 0);
  assert_int_equal(req.desired_access, SMB2_DELETE);
  assert_int_equal(req.share_access, 7);
  assert_int_equal(req.options, SMB2_FILE_DELETE_ON_CLOSE);
  assert_string_equal(u8(req.name16, req.name16_len, name, sizeof name),
                      "fixdir\\renamed.txt");
  free(pdu);

  pdu = load_hdr("smb311_create_rsp_6", &len, &h);
  assert_int_equal(dfsc__smb2_create_rsp_decode(pdu, len, &rsp), 0);
  assert_int_equal(rsp.info.allocation_size, 4096);
  assert_int_equal(rsp.info.end_of_file, 35);
  /* dd7e56a6-0000-0000-1fc6-a23000000000 */
  assert_int_equal(rsp.fid.persistent, 0xdd7e56a6ull);
  assert_int_equal(rsp.fid.volatile_, 0x30a2c61full);
  free(pdu);
}

static void test_311_close(void **state) {
  static const dfsc_smb2_netopen zero;
  dfsc_smb2_close_req req;
  dfsc_smb2_close_rsp rsp;
  dfsc_smb2_hdr h;
  size_t len;
  uint8_t *pdu;

  (void)state;
  pdu = load_hdr("smb311_close_req", &len, &h);
  assert_int_equal(dfsc__smb2_close_req_decode(pdu, len, &req), 0);
  assert_int_equal(req.flags, 0);
  assert_int_equal(req.fid.persistent, 0xc7365a87ull);
  assert_int_equal(req.fid.volatile_, 0xc795569aull);
  free(pdu);
  pdu = load_hdr("smb311_close_rsp", &len, &h);
  assert_int_equal(dfsc__smb2_close_rsp_decode(pdu, len, &rsp), 0);
  assert_int_equal(rsp.flags, 0);
  assert_memory_equal(&rsp.info, &zero, sizeof zero);
  free(pdu);
}

/* The twelve entries of the `ls` listing of \\fs1\data, in wire order. */
static const struct {
  const char *name;
  uint64_t eof;
  uint32_t attrs;
  uint64_t file_id;
} LS_DATA[] = {
    {".", 0, 0x10, 0x511ffc},
    {"..", 0, 0x10, 0x511fff},
    {"space name.txt", 20, 0x80, 0x511ff7},
    {"odd.bin", 1000003, 0x80, 0x511fee},
    {"日本語", 0, 0x10, 0x511ff5},
    {"empty.txt", 0, 0x80, 0x511ff8},
    {"emoji-😀.txt", 11, 0x80, 0x511ff3},
    {"many", 0, 0x10, 0x511fed},
    {"hello.txt", 29, 0x80, 0x511ff9},
    {"Grüße.txt", 25, 0x80, 0x511ff6},
    {"a", 0, 0x10, 0x511ff2},
    {"big.bin", 268435456, 0x80, 0x511ffa},
};

static void check_ls_listing(const char *rsp_name) {
  dfsc_smb2_query_dir_rsp rsp;
  dfsc_smb2_dir_iter it;
  dfsc_smb2_dirent ent;
  dfsc_smb2_hdr h;
  size_t len, n = 0;
  char name[128];
  int rc;
  uint8_t *pdu = load_hdr(rsp_name, &len, &h);

  assert_int_equal(dfsc__smb2_query_dir_rsp_decode(pdu, len, &rsp), 0);
  assert_int_equal(rsp.buf - pdu, 0x48);
  assert_int_equal(rsp.len, 1446);
  assert_int_equal(
      dfsc__smb2_dir_iter_init(&it, FILE_ID_BOTH_DIRECTORY_INFORMATION, rsp.buf, rsp.len),
      0);
  while ((rc = dfsc__smb2_dir_next(&it, &ent)) == 1) {
    assert_true(n < sizeof LS_DATA / sizeof LS_DATA[0]);
    assert_string_equal(u8(ent.name, ent.name_len, name, sizeof name), LS_DATA[n].name);
    assert_int_equal(ent.info.end_of_file, LS_DATA[n].eof);
    assert_int_equal(ent.info.attributes, LS_DATA[n].attrs);
    assert_true(ent.has_file_id);
    assert_int_equal(ent.file_id, LS_DATA[n].file_id);
    assert_int_equal(ent.ea_size, 0);
    n++;
  }
  assert_int_equal(rc, 0);
  assert_int_equal(n, sizeof LS_DATA / sizeof LS_DATA[0]);
  free(pdu);
}

static void test_query_directory(void **state) {
  dfsc_smb2_query_dir_req req;
  dfsc_smb2_query_dir_rsp rsp;
  dfsc_smb2_dir_iter it;
  dfsc_smb2_dirent ent;
  dfsc_smb2_hdr h;
  size_t len;
  char name[64];
  uint8_t *pdu;

  (void)state;
  pdu = load_hdr("smb311_query_directory_req", &len, &h);
  assert_int_equal(dfsc__smb2_query_dir_req_decode(pdu, len, &req), 0);
  assert_int_equal(req.info_class, FILE_ID_BOTH_DIRECTORY_INFORMATION);
  assert_int_equal(req.flags, 0);
  assert_int_equal(req.file_index, 0);
  assert_int_equal(req.fid.persistent, 0xc7365a87ull);
  assert_int_equal(req.fid.volatile_, 0xc795569aull);
  assert_int_equal(req.pattern16 - pdu, 0x60);
  assert_string_equal(u8(req.pattern16, req.pattern16_len, name, sizeof name), "*");
  assert_int_equal(req.output_buffer_length, 8388608);
  free(pdu);

  check_ls_listing("smb311_query_directory_rsp");
  check_ls_listing("smb202_query_directory_rsp");

  pdu = load_hdr("smb311_query_directory_req_2", &len, &h);
  assert_int_equal(dfsc__smb2_query_dir_req_decode(pdu, len, &req), 0);
  assert_string_equal(u8(req.pattern16, req.pattern16_len, name, sizeof name),
                      "renamed.txt");
  free(pdu);

  pdu = load_hdr("smb311_query_directory_rsp_3", &len, &h);
  assert_int_equal(dfsc__smb2_query_dir_rsp_decode(pdu, len, &rsp), 0);
  assert_int_equal(rsp.len, 126);
  assert_int_equal(
      dfsc__smb2_dir_iter_init(&it, FILE_ID_BOTH_DIRECTORY_INFORMATION, rsp.buf, rsp.len),
      0);
  assert_int_equal(dfsc__smb2_dir_next(&it, &ent), 1);
  assert_string_equal(u8(ent.name, ent.name_len, name, sizeof name), "renamed.txt");
  assert_int_equal(ent.info.creation_time, 0x1dd7d16ea399c29ull);
  assert_int_equal(ent.info.last_access_time, 0x1dd7d16ea399c29ull);
  assert_int_equal(ent.info.last_write_time, 0x1dd7d16ea39c1f7ull);
  assert_int_equal(ent.info.change_time, 0x1dd7d16ea39c1f7ull);
  assert_int_equal(ent.info.end_of_file, 35);
  assert_int_equal(ent.info.allocation_size, 4096);
  assert_int_equal(ent.info.attributes, SMB2_FILE_ATTRIBUTE_ARCHIVE);
  assert_int_equal(ent.file_id, 0x5140e0);
  assert_int_equal(dfsc__smb2_dir_next(&it, &ent), 0);
  free(pdu);
}

static void test_query_info(void **state) {
  dfsc_smb2_query_info_req req;
  dfsc_smb2_query_info_rsp rsp;
  dfsc_smb2_fs_size fs;
  dfsc_smb2_fi_all all;
  dfsc_smb2_hdr h;
  size_t len;
  char name[64];
  uint8_t *pdu;

  (void)state;
  pdu = load_hdr("smb311_query_info_req", &len, &h);
  assert_int_equal(dfsc__smb2_query_info_req_decode(pdu, len, &req), 0);
  assert_int_equal(req.info_type, SMB2_0_INFO_FILESYSTEM);
  assert_int_equal(req.info_class, FILE_FS_SIZE_INFORMATION);
  assert_int_equal(req.output_buffer_length, 65535);
  assert_int_equal(req.additional_info, 0);
  assert_int_equal(req.flags, 0);
  assert_int_equal(req.input_len, 0);
  /* bfc814c9-0000-0000-4b54-05e500000000 */
  assert_int_equal(req.fid.persistent, 0xbfc814c9ull);
  assert_int_equal(req.fid.volatile_, 0xe505544bull);
  free(pdu);

  pdu = load_hdr("smb311_query_info_rsp", &len, &h);
  assert_int_equal(dfsc__smb2_query_info_rsp_decode(pdu, len, &rsp), 0);
  assert_int_equal(rsp.buf - pdu, 0x48);
  assert_int_equal(rsp.len, 24);
  assert_int_equal(dfsc__smb2_fs_size_parse(rsp.buf, rsp.len, &fs), 0);
  assert_int_equal(fs.total_units, 264212084);
  assert_int_equal(fs.caller_available_units, 82972228);
  assert_int_equal(fs.actual_available_units, 82972228);
  assert_int_equal(fs.sectors_per_unit, 2);
  assert_int_equal(fs.bytes_per_sector, 512);
  free(pdu);

  pdu = load_hdr("smb311_query_info_req_2", &len, &h);
  assert_int_equal(dfsc__smb2_query_info_req_decode(pdu, len, &req), 0);
  assert_int_equal(req.info_type, SMB2_0_INFO_FILE);
  assert_int_equal(req.info_class, FILE_ALL_INFORMATION);
  free(pdu);

  pdu = load_hdr("smb311_query_info_rsp_2", &len, &h);
  assert_int_equal(dfsc__smb2_query_info_rsp_decode(pdu, len, &rsp), 0);
  assert_int_equal(rsp.len, 120);
  assert_int_equal(dfsc__smb2_fi_all_parse(rsp.buf, rsp.len, &all), 0);
  /* 19:55:20.209037400 / 19:55:20.213870600 UTC */
  assert_int_equal(all.basic.creation_time, 0x1dd7d16e6926986ull);
  assert_int_equal(all.basic.last_access_time, 0x1dd7d16e6926986ull);
  assert_int_equal(all.basic.last_write_time, 0x1dd7d16e6932652ull);
  assert_int_equal(all.basic.change_time, 0x1dd7d16e6932652ull);
  assert_int_equal(all.basic.attributes, SMB2_FILE_ATTRIBUTE_NORMAL);
  assert_int_equal(all.standard.allocation_size, 4096);
  assert_int_equal(all.standard.end_of_file, 29);
  assert_int_equal(all.standard.number_of_links, 1);
  assert_int_equal(all.standard.delete_pending, 0);
  assert_int_equal(all.standard.directory, 0);
  assert_int_equal(all.index_number, 0x511ff9);
  assert_int_equal(all.ea_size, 0);
  assert_int_equal(all.access_flags, 0x00120089);
  assert_int_equal(all.current_byte_offset, 0);
  assert_int_equal(all.mode, 0x80);
  assert_int_equal(all.alignment_requirement, 0);
  assert_int_equal(all.name_len, 20);
  assert_string_equal(u8(all.name, all.name_len, name, sizeof name), "\\hello.txt");
  free(pdu);

  /* FileAlternateNameInformation ([MS-FSCC] 2.4.5): no parser in
   * fileinfo.h, so read its FileNameLength + name directly. */
  pdu = load_hdr("smb311_query_info_rsp_3", &len, &h);
  assert_int_equal(dfsc__smb2_query_info_rsp_decode(pdu, len, &rsp), 0);
  assert_int_equal(rsp.len, 22);
  assert_int_equal(dfsc__le32(rsp.buf), 18);
  assert_string_equal(u8(rsp.buf + 4, 18, name, sizeof name), "hello.txt");
  free(pdu);

  /* FileStreamInformation ([MS-FSCC] 2.4.43), likewise. */
  pdu = load_hdr("smb311_query_info_rsp_4", &len, &h);
  assert_int_equal(dfsc__smb2_query_info_rsp_decode(pdu, len, &rsp), 0);
  assert_int_equal(rsp.len, 38);
  assert_int_equal(dfsc__le32(rsp.buf), 0);
  assert_int_equal(dfsc__le32(rsp.buf + 4), 14);
  assert_int_equal(dfsc__le64(rsp.buf + 8), 29);
  assert_int_equal(dfsc__le64(rsp.buf + 16), 4096);
  assert_string_equal(u8(rsp.buf + 24, 14, name, sizeof name), "::$DATA");
  free(pdu);
}

static void test_read_write(void **state) {
  static const char hello[] = "Hello from the dfsc testbed.\n";
  static const char fixture[] = "fixture file written by capture.sh\n";
  static const char *const reads[] = {"smb311_read_rsp", "smb202_read_rsp"};
  dfsc_smb2_read_req rreq;
  dfsc_smb2_read_rsp rrsp;
  dfsc_smb2_write_req wreq;
  dfsc_smb2_write_rsp wrsp;
  dfsc_smb2_hdr h;
  size_t len, i;
  uint8_t *pdu;

  (void)state;
  pdu = load_hdr("smb311_read_req", &len, &h);
  assert_int_equal(dfsc__smb2_read_req_decode(pdu, len, &rreq), 0);
  assert_int_equal(rreq.padding, 0);
  assert_int_equal(rreq.flags, 0);
  assert_int_equal(rreq.length, 29);
  assert_int_equal(rreq.offset, 0);
  /* 59e58477-0000-0000-5275-b80600000000 */
  assert_int_equal(rreq.fid.persistent, 0x59e58477ull);
  assert_int_equal(rreq.fid.volatile_, 0x06b87552ull);
  assert_int_equal(rreq.minimum_count, 0);
  assert_int_equal(rreq.channel, SMB2_CHANNEL_NONE);
  assert_int_equal(rreq.remaining_bytes, 0);
  free(pdu);

  for (i = 0; i < 2; i++) {
    pdu = load_hdr(reads[i], &len, &h);
    assert_int_equal(dfsc__smb2_read_rsp_decode(pdu, len, &rrsp), 0);
    assert_int_equal(rrsp.data_offset, 0x50);
    assert_int_equal(rrsp.data_remaining, 0);
    assert_int_equal(rrsp.data_len, 29);
    assert_memory_equal(rrsp.data, hello, 29);
    free(pdu);
  }

  pdu = load_hdr("smb311_write_req", &len, &h);
  assert_int_equal(dfsc__smb2_write_req_decode(pdu, len, &wreq), 0);
  assert_int_equal(wreq.offset, 0);
  assert_int_equal(wreq.fid.persistent, 0x34c00fc9ull);
  assert_int_equal(wreq.fid.volatile_, 0xa89b0b44ull);
  assert_int_equal(wreq.channel, 0);
  assert_int_equal(wreq.remaining_bytes, 0);
  assert_int_equal(wreq.flags, 0);
  assert_int_equal(wreq.data - pdu, SMB2_WRITE_DATA_OFFSET);
  assert_int_equal(wreq.data_len, 35);
  assert_memory_equal(wreq.data, fixture, 35);
  free(pdu);

  pdu = load_hdr("smb311_write_rsp", &len, &h);
  assert_int_equal(dfsc__smb2_write_rsp_decode(pdu, len, &wrsp), 0);
  assert_int_equal(wrsp.count, 35);
  assert_int_equal(wrsp.remaining, 0);
  free(pdu);
}

static void test_set_info(void **state) {
  dfsc_smb2_set_info_req req;
  dfsc_smb2_hdr h;
  size_t len, n16 = 0;
  const uint8_t *name16 = NULL;
  int replace = -1, del = -1;
  char name[64];
  uint8_t *pdu;

  (void)state;
  pdu = load_hdr("smb311_set_info_req", &len, &h);
  assert_int_equal(dfsc__smb2_set_info_req_decode(pdu, len, &req), 0);
  assert_int_equal(req.info_type, SMB2_0_INFO_FILE);
  assert_int_equal(req.info_class, FILE_RENAME_INFORMATION);
  assert_int_equal(req.additional_info, 0);
  assert_int_equal(req.fid.persistent, 0xdd7e56a6ull);
  assert_int_equal(req.fid.volatile_, 0x30a2c61full);
  assert_int_equal(req.buf - pdu, 0x60);
  assert_int_equal(req.len, 56);
  assert_int_equal(dfsc__smb2_fi_rename_parse(req.buf, req.len, &replace, &name16, &n16),
                   0);
  assert_int_equal(replace, 0);
  assert_int_equal(n16, 36);
  assert_string_equal(u8(name16, n16, name, sizeof name), "fixdir\\renamed.txt");
  free(pdu);

  pdu = load_hdr("smb311_set_info_req_2", &len, &h);
  assert_int_equal(dfsc__smb2_set_info_req_decode(pdu, len, &req), 0);
  assert_int_equal(req.info_class, FILE_DISPOSITION_INFORMATION);
  assert_int_equal(req.len, 1);
  /* 5cadd3f3-0000-0000-0a33-df0b00000000 */
  assert_int_equal(req.fid.persistent, 0x5cadd3f3ull);
  assert_int_equal(req.fid.volatile_, 0x0bdf330aull);
  assert_int_equal(dfsc__smb2_fi_disposition_parse(req.buf, req.len, &del), 0);
  assert_int_equal(del, 1);
  free(pdu);
}

static void test_ioctl(void **state) {
  static const uint8_t vni_guid[16] = {0x70, 0x41, 0x5d, 0x5c, 0x4d, 0x80, 0x12, 0x4b,
                                       0x8f, 0x76, 0x2d, 0xf1, 0x14, 0x66, 0xbc, 0xff};
  dfsc_smb2_ioctl_req req;
  dfsc_smb2_vni_req vni;
  dfsc_smb2_hdr h;
  size_t len, n16 = 0;
  const uint8_t *name16 = NULL;
  uint16_t level = 0;
  char name[64];
  uint8_t *pdu;

  (void)state;
  pdu = load_hdr("smb311_ioctl_req", &len, &h);
  assert_int_equal(dfsc__smb2_ioctl_req_decode(pdu, len, &req), 0);
  assert_int_equal(req.ctl_code, SMB2_FSCTL_DFS_GET_REFERRALS);
  assert_int_equal(req.fid.persistent, UINT64_MAX);
  assert_int_equal(req.fid.volatile_, UINT64_MAX);
  assert_int_equal(req.input - pdu, 0x78);
  assert_int_equal(req.input_len, 36);
  assert_int_equal(req.output_len, 0);
  assert_int_equal(req.max_input_response, 0);
  assert_int_equal(req.max_output_response, 65535);
  assert_int_equal(req.flags, SMB2_0_IOCTL_IS_FSCTL);
  assert_int_equal(
      dfsc__smb2_dfs_referral_req_parse(req.input, req.input_len, &level, &name16, &n16),
      0);
  assert_int_equal(level, 3);
  assert_string_equal(u8(name16, n16, name, sizeof name), "\\127.0.0.11\\data");
  free(pdu);

  pdu = load_hdr("smb311_ioctl_req_2", &len, &h);
  assert_int_equal(dfsc__smb2_ioctl_req_decode(pdu, len, &req), 0);
  assert_int_equal(req.ctl_code, 0x00144064u); /* FSCTL_SRV_ENUMERATE_SNAPSHOTS */
  /* 3798d7df-0000-0000-a4a2-fcc400000000 */
  assert_int_equal(req.fid.persistent, 0x3798d7dfull);
  assert_int_equal(req.fid.volatile_, 0xc4fca2a4ull);
  assert_int_equal(req.input_len, 0);
  assert_int_equal(req.max_output_response, 16);
  free(pdu);

  pdu = load_hdr("smb202_ioctl_req", &len, &h);
  assert_int_equal(dfsc__smb2_ioctl_req_decode(pdu, len, &req), 0);
  assert_int_equal(req.ctl_code, SMB2_FSCTL_VALIDATE_NEGOTIATE_INFO);
  assert_int_equal(req.max_output_response, 24);
  assert_int_equal(dfsc__smb2_vni_req_parse(req.input, req.input_len, &vni), 0);
  assert_int_equal(vni.capabilities, 0x7f);
  assert_memory_equal(vni.guid, vni_guid, 16);
  assert_int_equal(vni.security_mode, SMB2_NEGOTIATE_SIGNING_ENABLED);
  assert_int_equal(vni.n_dialects, 5);
  assert_int_equal(dfsc__le16(vni.dialects_le), SMB2_DIALECT_202);
  assert_int_equal(dfsc__le16(vni.dialects_le + 8), SMB2_DIALECT_311);
  free(pdu);
}

/* Every error response: an ERROR body with no contexts and ByteCount 0
 * (Samba sends the one nominal ErrorData byte, [MS-SMB2] 2.2.2). */
static void test_errors(void **state) {
  size_t i, n = 0;

  (void)state;
  for (i = 0; i < N_FIXTURES; i++) {
    dfsc_smb2_error_rsp e;
    dfsc_smb2_hdr h;
    const uint8_t *d = NULL;
    size_t len, dlen = 0;
    uint8_t *pdu = load_hdr(FIXTURES[i].name, &len, &h);
    if (is_error_body(&h)) {
      assert_int_equal(len, SMB2_HDR_SIZE + 9);
      assert_int_equal(dfsc__smb2_error_rsp_decode(pdu, len, &e), 0);
      assert_int_equal(e.context_count, 0);
      assert_int_equal(e.data_len, 0);
      assert_null(e.data);
      assert_int_equal(dfsc__smb2_error_find(&e, SMB2_ERROR_ID_DEFAULT, &d, &dlen), 0);
      n++;
    }
    free(pdu);
  }
  /* smb311: 8, smb202: 9 (incl. VALIDATE_NEGOTIATE_INFO), smb311enc: 1 */
  assert_int_equal(n, 18);
  assert_string_equal(dfsc_ntstatus_name(fx_find("smb311_ioctl_rsp")->status),
                      "STATUS_NOT_FOUND");
  assert_string_equal(dfsc_ntstatus_name(fx_find("smb311_create_rsp_9")->status),
                      "STATUS_OBJECT_NAME_NOT_FOUND");
  assert_string_equal(dfsc_ntstatus_name(fx_find("smb311_session_setup_rsp_3")->status),
                      "STATUS_LOGON_FAILURE");
  assert_string_equal(dfsc_ntstatus_name(fx_find("smb311_tree_connect_rsp_4")->status),
                      "STATUS_BAD_NETWORK_NAME");
  assert_string_equal(dfsc_ntstatus_name(fx_find("smb202_ioctl_rsp")->status),
                      "STATUS_FILE_CLOSED");
}

int main(void) {
  static const struct CMUnitTest fixed[] = {
      cmocka_unit_test(test_311_negotiate_req),
      cmocka_unit_test(test_311_negotiate_rsp),
      cmocka_unit_test(test_311enc_negotiate_rsp),
      cmocka_unit_test(test_202_negotiate_rsp),
      cmocka_unit_test(test_session_setup),
      cmocka_unit_test(test_tree_connect),
      cmocka_unit_test(test_311_create),
      cmocka_unit_test(test_311_close),
      cmocka_unit_test(test_query_directory),
      cmocka_unit_test(test_query_info),
      cmocka_unit_test(test_read_write),
      cmocka_unit_test(test_set_info),
      cmocka_unit_test(test_ioctl),
      cmocka_unit_test(test_errors),
  };
  struct CMUnitTest rt[N_FIXTURES];
  char names[N_FIXTURES][64];
  size_t i;
  int fails;

  for (i = 0; i < N_FIXTURES; i++) {
    snprintf(names[i], sizeof names[i], "roundtrip %s", FIXTURES[i].name);
    memset(&rt[i], 0, sizeof rt[i]);
    rt[i].name = names[i];
    rt[i].test_func = test_roundtrip;
    rt[i].initial_state = (void *)&FIXTURES[i];
  }
  fails = cmocka_run_group_tests_name("smb2_golden_fields", fixed, NULL, NULL);
  fails += _cmocka_run_group_tests("smb2_golden_roundtrip", rt, N_FIXTURES, NULL, NULL);
  return fails != 0;
}
