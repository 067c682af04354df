/* SPNEGO-wrapped NTLMSSP exchange behind the auth.h interface.
 * Does not: perform I/O, block, or implement Kerberos. */
#include "auth/auth.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "auth/ntlmssp.h"
#include "auth/spnego.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/utf16.h"
#include "dfsc/errors.h"

enum auth_state {
  AUTH_INIT,      /* nothing sent */
  AUTH_NEG_SENT,  /* NegTokenInit(NEGOTIATE) sent, expect the challenge */
  AUTH_AUTH_SENT, /* NegTokenResp(AUTHENTICATE) sent, expect the result */
  AUTH_DONE,
  AUTH_FAILED
};

struct dfsc_auth {
  enum auth_state state;
  dfsc_ntlmssp *ntlm;
  int mic_sent; /* we sent a mechListMIC */
};

/* NetBIOS-style workstation name: the host's short name, upper-cased, cut to
 * 15 characters ([MS-NLMP] only asks for the client's machine name). */
static void default_workstation(char *buf, size_t cap) {
  size_t i;
  if (gethostname(buf, cap) != 0)
    buf[0] = '\0';
  buf[cap - 1] = '\0';
  for (i = 0; buf[i] != '\0'; i++) {
    if (buf[i] == '.' || i == 15) {
      buf[i] = '\0';
      break;
    }
  }
  dfsc__ascii_upper(buf);
}

int dfsc__auth_new(const struct dfsc_auth_creds *c, dfsc_auth **out) {
  dfsc_auth *a;
  char ws[256];
  const char *wsp;
  int rc;

  *out = NULL;
  if (c == NULL)
    return -EINVAL;
  a = dfsc__calloc(1, sizeof(*a));
  if (a == NULL)
    return -ENOMEM;
  wsp = c->workstation;
  if (wsp == NULL) {
    default_workstation(ws, sizeof(ws));
    wsp = ws;
  }
  rc = dfsc__ntlmssp_new(c->user, c->domain, c->password, wsp, &a->ntlm);
  if (rc != 0) {
    dfsc__free(a);
    return rc;
  }
  a->state = AUTH_INIT;
  *out = a;
  return 0;
}

void dfsc__auth_free(dfsc_auth *a) {
  if (a == NULL)
    return;
  dfsc__ntlmssp_free(a->ntlm);
  dfsc__wipe(a, sizeof(*a));
  dfsc__free(a);
}

struct dfsc_ntlmssp *dfsc__auth_ntlmssp(dfsc_auth *a) {
  return a->ntlm;
}

int dfsc__auth_creds_anonymous(const char *user, const char *password) {
  return dfsc__ntlmssp_creds_anonymous(user, password);
}

int dfsc__auth_is_anonymous(const dfsc_auth *a) {
  return dfsc__ntlmssp_is_anonymous(a->ntlm);
}

int dfsc__auth_session_key(const dfsc_auth *a, uint8_t key[16]) {
  if (a->state != AUTH_AUTH_SENT && a->state != AUTH_DONE)
    return -ENOKEY;
  return dfsc__ntlmssp_session_key(a->ntlm, key);
}

static int step_init(dfsc_auth *a, const uint8_t *in, size_t inlen, uint8_t **out,
                     size_t *outlen) {
  dfsc_spnego_hint hint;
  const uint8_t *neg;
  size_t neglen, size;
  dfsc_wr w;
  int rc;

  /* The hint only advises ([MS-SPNG] 3.2.5.2): a server that lists no
   * NTLMSSP may still accept it, and it will say so if it does not. */
  rc = dfsc__spnego_hint_decode(in, inlen, &hint);
  if (rc != 0)
    return rc;
  dfsc__ntlmssp_negotiate(a->ntlm, &neg, &neglen);
  size = dfsc__spnego_init_size(neglen);
  *out = dfsc__malloc(size);
  if (*out == NULL)
    return -ENOMEM;
  dfsc__wr_init(&w, *out, size);
  rc = dfsc__spnego_init_encode(&w, neg, neglen);
  if (rc != 0) {
    dfsc__free(*out);
    *out = NULL;
    return rc;
  }
  *outlen = w.off;
  a->state = AUTH_NEG_SENT;
  return 1;
}

static int step_challenge(dfsc_auth *a, const uint8_t *in, size_t inlen, uint8_t **out,
                          size_t *outlen) {
  dfsc_spnego_resp resp;
  uint8_t *auth_msg = NULL, mic[DFSC_NTLMSSP_SIGNATURE_SIZE];
  const uint8_t *mechtypes;
  size_t auth_len = 0, mt_len, size;
  int rc, want_mic;
  dfsc_wr w;

  rc = dfsc__spnego_resp_decode(in, inlen, &resp);
  if (rc != 0)
    goto out;
  if (resp.neg_state == DFSC_SPNEGO_REJECT ||
      (resp.mech != NULL && !resp.mech_is_ntlmssp)) {
    rc = DFSC_E_AUTH;
    goto out;
  }
  /* The acceptor's first reply must say it wants more (RFC 4178 4.2.2). */
  if ((resp.neg_state != DFSC_SPNEGO_ACCEPT_INCOMPLETE &&
       resp.neg_state != DFSC_SPNEGO_REQUEST_MIC) ||
      resp.token == NULL) {
    rc = DFSC_E_PROTO;
    goto out;
  }
  rc =
      dfsc__ntlmssp_authenticate(a->ntlm, resp.token, resp.token_len, &auth_msg, &auth_len);
  if (rc != 0)
    goto out;

  /* An NTLM MIC means the mechanism offers integrity, so SPNEGO must
   * protect the mechanism list too ([MS-SPNG] 3.1.5.1); so must a server
   * that asks for it with request-mic. */
  want_mic = !dfsc__ntlmssp_is_anonymous(a->ntlm) &&
             (dfsc__ntlmssp_mic_sent(a->ntlm) || resp.neg_state == DFSC_SPNEGO_REQUEST_MIC);
  if (want_mic) {
    mechtypes = dfsc__spnego_mechtypes(&mt_len);
    rc = dfsc__ntlmssp_sign(a->ntlm, mechtypes, mt_len, mic);
    if (rc != 0)
      goto out;
  }
  size = dfsc__spnego_resp_size(DFSC_SPNEGO_NO_STATE, auth_len, sizeof(mic), 1, want_mic);
  *out = dfsc__malloc(size);
  if (*out == NULL) {
    rc = -ENOMEM;
    goto out;
  }
  dfsc__wr_init(&w, *out, size);
  rc = dfsc__spnego_resp_encode(&w, DFSC_SPNEGO_NO_STATE, auth_msg, auth_len,
                                want_mic ? mic : NULL, sizeof(mic));
  if (rc != 0) {
    dfsc__free(*out);
    *out = NULL;
    goto out;
  }
  *outlen = w.off;
  a->mic_sent = want_mic;
  a->state = AUTH_AUTH_SENT;
  rc = 0;
out:
  dfsc__free(auth_msg);
  return rc;
}

int dfsc__auth_step(dfsc_auth *a, const uint8_t *in, size_t inlen, uint8_t **out,
                    size_t *outlen) {
  int rc;

  *out = NULL;
  *outlen = 0;
  switch (a->state) {
  case AUTH_INIT:
    rc = step_init(a, in, inlen, out, outlen);
    break;
  case AUTH_NEG_SENT:
    rc = step_challenge(a, in, inlen, out, outlen);
    break;
  default:
    return -EINVAL;
  }
  if (rc < 0)
    a->state = AUTH_FAILED;
  return rc;
}

int dfsc__auth_finish(dfsc_auth *a, const uint8_t *in, size_t inlen) {
  dfsc_spnego_resp resp;
  const uint8_t *mechtypes;
  size_t mt_len;
  int rc;

  if (a->state != AUTH_AUTH_SENT)
    return -EINVAL;
  /* An empty final buffer carries no mechListMIC. That is acceptable only
   * when we sent none ([MS-SPNG] 3.1.5.1: the acceptor answers a client's
   * mechListMIC with its own); otherwise whoever dropped the token could
   * also have rewritten the mechanism list. */
  if (inlen == 0) {
    rc = a->mic_sent ? DFSC_E_AUTH : 0;
    goto out;
  }
  rc = dfsc__spnego_resp_decode(in, inlen, &resp);
  if (rc != 0)
    goto out;
  if (resp.neg_state == DFSC_SPNEGO_REJECT) {
    rc = DFSC_E_AUTH;
    goto out;
  }
  if (resp.neg_state == DFSC_SPNEGO_ACCEPT_INCOMPLETE ||
      resp.neg_state == DFSC_SPNEGO_REQUEST_MIC ||
      (resp.mech != NULL && !resp.mech_is_ntlmssp)) {
    rc = DFSC_E_PROTO;
    goto out;
  }
  if (resp.mic == NULL && a->mic_sent) {
    /* We protected the mechanism list, so the server must too. */
    rc = DFSC_E_AUTH;
    goto out;
  }
  if (resp.mic != NULL && !dfsc__ntlmssp_is_anonymous(a->ntlm)) {
    mechtypes = dfsc__spnego_mechtypes(&mt_len);
    if (dfsc__ntlmssp_verify(a->ntlm, mechtypes, mt_len, resp.mic, resp.mic_len) != 0) {
      rc = DFSC_E_AUTH;
      goto out;
    }
  }
  rc = 0;
out:
  a->state = rc != 0 ? AUTH_FAILED : AUTH_DONE;
  return rc;
}
