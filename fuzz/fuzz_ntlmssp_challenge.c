/* libFuzzer target: the NTLMSSP CHALLENGE_MESSAGE decoder ([MS-NLMP]
 * 2.2.1.2) and the AUTHENTICATE_MESSAGE builder that consumes it
 * (src/auth/ntlmssp.c).
 *
 * Input: a CHALLENGE_MESSAGE as the server would send it.
 * Invariants checked (abort on violation): every pointer the decoder
 * returns lies with its length inside the message; the target_info list
 * ends with MsvAvEOL; the AV pair shortcuts (names) lie inside
 * target_info; a challenge that decodes makes dfsc__ntlmssp_authenticate
 * either succeed with a non-empty message or fail with DFSC_E_AUTH, and a
 * challenge that does not decode makes it fail with DFSC_E_PROTO. Both a
 * named and an anonymous context are driven through it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/ntlmssp.h"
#include "core/alloc.h"
#include "dfsc/errors.h"
#include "fuzz_common.h"

static void drive(const uint8_t *msg, size_t len, int decoded, const char *user,
                  const char *pass) {
  static const dfsc_ntlmssp_fixed fixed = {
      .client_challenge = {1, 2, 3, 4, 5, 6, 7, 8},
      .exported_key = {0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
                       0x55, 0x55, 0x55, 0x55, 0x55},
      .time = 0x01d9000000000000ull,
      .version = {6, 1, 0x1d, 0x1d, 0, 0, 0, 15}};
  dfsc_ntlmssp *n = NULL;
  const uint8_t *neg;
  size_t neg_len, outlen = 0;
  uint8_t *outmsg = NULL, key[16];
  int rc;

  CHECK(dfsc__ntlmssp_new(user, "TESTBED", pass, "WS", &n) == 0);
  dfsc__ntlmssp_set_fixed(n, &fixed);
  CHECK(dfsc__ntlmssp_negotiate(n, &neg, &neg_len) == 0 && neg_len > 0);
  rc = dfsc__ntlmssp_authenticate(n, msg, len, &outmsg, &outlen);
  if (!decoded) {
    CHECK(rc == DFSC_E_PROTO);
  } else {
    CHECK(rc == 0 || rc == DFSC_E_AUTH);
  }
  if (rc == 0) {
    CHECK(outmsg != NULL && outlen >= 64 && memcmp(outmsg, "NTLMSSP\0", 8) == 0);
    if (!dfsc__ntlmssp_is_anonymous(n))
      CHECK(dfsc__ntlmssp_session_key(n, key) == 0);
    dfsc__free(outmsg);
  } else {
    CHECK(outmsg == NULL);
  }
  dfsc__ntlmssp_free(n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dfsc_ntlmssp_challenge c;
  int rc = dfsc__ntlmssp_challenge_decode(data, size, &c);

  CHECK(rc == 0 || rc == DFSC_E_PROTO);
  if (rc == 0) {
    CHECK(size >= DFSC_NTLMSSP_CHALLENGE_MIN);
    CHECK(inside(c.target_name, c.target_name_len, data, size));
    CHECK(inside(c.target_info, c.target_info_len, data, size));
    if (c.target_info != NULL) {
      /* Ends with MsvAvEOL: AvId 0, AvLen 0. */
      CHECK(c.target_info_len >= 4);
      CHECK(memcmp(c.target_info + c.target_info_len - 4, "\0\0\0\0", 4) == 0);
    }
    CHECK(inside(c.nb_computer, c.nb_computer_len, c.target_info, c.target_info_len));
    CHECK(inside(c.nb_domain, c.nb_domain_len, c.target_info, c.target_info_len));
    CHECK(inside(c.dns_computer, c.dns_computer_len, c.target_info, c.target_info_len));
    CHECK(inside(c.dns_domain, c.dns_domain_len, c.target_info, c.target_info_len));
  }
  drive(data, size, rc == 0, "dfsctest", "dfsc-Pass1");
  drive(data, size, rc == 0, "", "");
  return 0;
}
