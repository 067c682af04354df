/* libFuzzer target: the SPNEGO token decoders (src/auth/spnego.c): the
 * server's NegTokenInit / NegTokenInit2 hint and its NegTokenResp.
 *
 * Input: one token; both decoders see it.
 * Invariants checked (abort on violation): returned pointers lie with their
 * lengths inside the token; n_mechs is non-negative and present only with
 * has_mechs; neg_state is one of the four values or NO_STATE; a decoded
 * NegTokenResp re-encodes (without supportedMech, which only an acceptor
 * sends) to a token that decodes to the same state, responseToken and
 * mechListMIC, with the size dfsc__spnego_resp_size predicts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/spnego.h"
#include "core/alloc.h"
#include "dfsc/errors.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dfsc_spnego_hint h;
  dfsc_spnego_resp r, r2;
  int rc;

  rc = dfsc__spnego_hint_decode(data, size, &h);
  CHECK(rc == 0 || rc == DFSC_E_PROTO);
  if (rc == 0) {
    CHECK(h.n_mechs >= 0);
    if (!h.has_mechs)
      CHECK(h.n_mechs == 0 && !h.has_ntlmssp);
    if (h.has_ntlmssp)
      CHECK(h.n_mechs > 0);
  }

  rc = dfsc__spnego_resp_decode(data, size, &r);
  CHECK(rc == 0 || rc == DFSC_E_PROTO);
  if (rc != 0)
    return 0;
  CHECK(r.neg_state == DFSC_SPNEGO_NO_STATE ||
        (r.neg_state >= DFSC_SPNEGO_ACCEPT_COMPLETED &&
         r.neg_state <= DFSC_SPNEGO_REQUEST_MIC));
  CHECK(inside(r.mech, r.mech_len, data, size));
  CHECK(inside(r.token, r.token_len, data, size));
  CHECK(inside(r.mic, r.mic_len, data, size));
  if (r.mech_is_ntlmssp)
    CHECK(r.mech != NULL);

  {
    int has_tok = r.token != NULL, has_mic = r.mic != NULL;
    size_t need =
        dfsc__spnego_resp_size(r.neg_state, r.token_len, r.mic_len, has_tok, has_mic);
    uint8_t *buf = dfsc__malloc(need ? need : 1);
    dfsc_wr w;

    CHECK(buf != NULL);
    dfsc__wr_init(&w, buf, need);
    rc = dfsc__spnego_resp_encode(&w, r.neg_state, r.token, r.token_len, r.mic, r.mic_len);
    CHECK(rc == 0);
    CHECK(!w.bad && w.off == need);
    CHECK(dfsc__spnego_resp_decode(buf, w.off, &r2) == 0);
    CHECK(r2.neg_state == r.neg_state && r2.mech == NULL);
    CHECK((r2.token != NULL) == has_tok && r2.token_len == r.token_len &&
          (r.token_len == 0 || memcmp(r.token, r2.token, r.token_len) == 0));
    CHECK((r2.mic != NULL) == has_mic && r2.mic_len == r.mic_len &&
          (r.mic_len == 0 || memcmp(r.mic, r2.mic, r.mic_len) == 0));
    dfsc__free(buf);
  }
  return 0;
}
