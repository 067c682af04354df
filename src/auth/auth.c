/* SPNEGO with Kerberos V5 (GSSAPI, krb5.c) first and NTLMSSP (NTLMv2)
 * second, behind the auth.h interface. Does not: perform I/O itself, or
 * implement any Kerberos (GSSAPI does). */
#include "auth/auth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "auth/krb5.h"
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
  AUTH_KRB_SENT,  /* NegTokenInit(AP-REQ) sent, expect the AP-REP */
  AUTH_KRB_MIC,   /* AP-REP checked, our mechListMIC sent, expect the result */
  AUTH_DONE,
  AUTH_FAILED
};

struct dfsc_auth {
  enum auth_state state;
  dfsc_ntlmssp *ntlm;
  int mic_sent;   /* we sent a mechListMIC */
  int mic_absent; /* NTLM: the server answered ours with none (see dfsc__auth_mic_absent) */
  int mech;       /* enum dfsc_auth_mech */
  /* Kerberos */
  int kerberos, ntlm_off, anon_creds;
  int prepared; /* dfsc__auth_prepare ran; krb_rc is its outcome */
  int defer_spn, spn_unknown;
  int krb_rc;
  dfsc_krb5 *krb;
  struct dfsc_krb5_cfg kcfg; /* strings below, owned */
  char *host, *ccache, *keytab, *principal, *password;
  char why[512];
};

static char *dup_or_null(const char *s) {
  return s != NULL && s[0] != '\0' ? dfsc__strdup(s) : NULL;
}

static void free_secret(char *s) {
  if (s != NULL) {
    dfsc__wipe(s, strlen(s));
    dfsc__free(s);
  }
}

/* user@REALM as given; else user@DOMAIN when the domain is a DNS name
 * (upper-cased: realms are); else the bare user (the default realm). */
static char *principal_of(const char *user, const char *domain) {
  size_t ul, dl;
  char *p;
  if (user == NULL || user[0] == '\0')
    return NULL;
  if (strchr(user, '@') != NULL || domain == NULL || strchr(domain, '.') == NULL)
    return dfsc__strdup(user);
  ul = strlen(user);
  dl = strlen(domain);
  p = dfsc__malloc(ul + dl + 2);
  if (p == NULL)
    return NULL;
  memcpy(p, user, ul);
  p[ul] = '@';
  memcpy(p + ul + 1, domain, dl + 1);
  dfsc__ascii_upper(p + ul + 1);
  return p;
}

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
  /* No server name, no service principal: Kerberos cannot apply. */
  a->kerberos = c->host != NULL && c->host[0] != '\0' ? c->kerberos : DFSC_AUTH_KRB_OFF;
  a->ntlm_off = c->ntlm_off;
  a->anon_creds = dfsc__ntlmssp_creds_anonymous(c->user, c->password);
  if (a->kerberos != DFSC_AUTH_KRB_OFF) {
    a->host = dup_or_null(c->host);
    a->ccache = dup_or_null(c->ccache);
    a->keytab = dup_or_null(c->keytab);
    a->principal = principal_of(c->user, c->domain);
    a->password = dup_or_null(c->password);
    if (a->host == NULL || (c->ccache && c->ccache[0] && !a->ccache) ||
        (c->keytab && c->keytab[0] && !a->keytab) ||
        (c->user && c->user[0] && !a->principal) ||
        (c->password && c->password[0] && !a->password)) {
      dfsc__auth_free(a);
      return -ENOMEM;
    }
    a->defer_spn = c->defer_spn_unknown;
    a->kcfg.host = a->host;
    a->kcfg.ccache = a->ccache;
    a->kcfg.keytab = a->keytab;
    a->kcfg.principal = a->principal;
    a->kcfg.password = a->password;
    /* A TGT from the password only where Kerberos is a must: in auto mode
     * a password means NTLM when no ticket is there. */
    a->kcfg.use_password = a->password != NULL && a->principal != NULL &&
                           (a->kerberos == DFSC_AUTH_KRB_REQUIRED || a->ntlm_off);
    /* In auto mode a user named with a password is not silently replaced
     * by whoever owns the ticket cache. */
    a->kcfg.match_user =
        a->kerberos == DFSC_AUTH_KRB_AUTO && a->password != NULL ? a->principal : NULL;
  }
  *out = a;
  return 0;
}

void dfsc__auth_free(dfsc_auth *a) {
  if (a == NULL)
    return;
  dfsc__ntlmssp_free(a->ntlm);
  dfsc__krb5_free(a->krb);
  dfsc__free(a->host);
  dfsc__free(a->ccache);
  dfsc__free(a->keytab);
  dfsc__free(a->principal);
  free_secret(a->password);
  dfsc__wipe(a, sizeof(*a));
  dfsc__free(a);
}

int dfsc__auth_lane(const dfsc_auth *a) {
  return a->state == AUTH_INIT && a->kerberos != DFSC_AUTH_KRB_OFF;
}

int dfsc__auth_prepare(dfsc_auth *a) {
  int needs = 0;
  if (a->prepared || !dfsc__auth_lane(a))
    return 0;
  a->prepared = 1;
  a->krb_rc = dfsc__krb5_prepare(&a->kcfg, &a->krb, &needs, a->why, sizeof(a->why));
  if (a->krb_rc == -ENOMEM)
    return -ENOMEM;
  return a->krb_rc == 0 && needs;
}

int dfsc__auth_mech(const dfsc_auth *a) { return a->mech; }

int dfsc__auth_spn_unknown(const dfsc_auth *a) { return a->spn_unknown; }

int dfsc__auth_mutual(const dfsc_auth *a) {
  return a->mech == DFSC_AUTH_KRB5 && a->state != AUTH_FAILED && dfsc__krb5_done(a->krb);
}

const char *dfsc__auth_why(const dfsc_auth *a) { return a->why; }

const char *dfsc__auth_client(const dfsc_auth *a) {
  return a->mech == DFSC_AUTH_KRB5 ? dfsc__krb5_client(a->krb) : "";
}

int dfsc__auth_full_key(const dfsc_auth *a, uint8_t key[32], size_t *len) {
  *len = 0;
  if (a->mech == DFSC_AUTH_KRB5) {
    if (a->state != AUTH_KRB_MIC && a->state != AUTH_DONE)
      return -ENOKEY;
    return dfsc__krb5_session_key(a->krb, key, len);
  }
  if (dfsc__auth_session_key(a, key) != 0)
    return -ENOKEY;
  *len = 16;
  return 0;
}

struct dfsc_ntlmssp *dfsc__auth_ntlmssp(dfsc_auth *a) {
  return a->ntlm;
}

int dfsc__auth_creds_anonymous(const char *user, const char *password) {
  return dfsc__ntlmssp_creds_anonymous(user, password);
}

int dfsc__auth_mic_absent(const dfsc_auth *a) { return a->mic_absent; }

int dfsc__auth_is_anonymous(const dfsc_auth *a) {
  return a->mech != DFSC_AUTH_KRB5 && dfsc__ntlmssp_is_anonymous(a->ntlm);
}

int dfsc__auth_session_key(const dfsc_auth *a, uint8_t key[16]) {
  if (a->mech == DFSC_AUTH_KRB5) {
    /* [MS-SMB2] 3.2.5.3.1: the first 16 bytes of the GSS key, right-padded
     * with zeros when shorter. */
    uint8_t full[DFSC_KRB5_KEY_MAX];
    size_t len = 0;
    if (a->state != AUTH_KRB_MIC && a->state != AUTH_DONE)
      return -ENOKEY;
    if (dfsc__krb5_session_key(a->krb, full, &len) != 0)
      return -ENOKEY;
    memset(key, 0, 16);
    memcpy(key, full, len < 16 ? len : 16);
    dfsc__wipe(full, sizeof(full));
    return 0;
  }
  if (a->state != AUTH_AUTH_SENT && a->state != AUTH_DONE)
    return -ENOKEY;
  return dfsc__ntlmssp_session_key(a->ntlm, key);
}

/* The Kerberos first leg: NegTokenInit(mechTypes [krb5], AP-REQ). Returns
 * 1 (sent), or the Kerberos error. */
static int step_krb5(dfsc_auth *a, uint8_t **out, size_t *outlen) {
  uint8_t *tok = NULL;
  size_t toklen = 0, size;
  dfsc_wr w;
  int rc;
  if (!a->prepared) {
    rc = dfsc__auth_prepare(a);
    if (rc < 0)
      return rc;
  }
  rc = a->krb_rc;
  if (rc == 0)
    rc = dfsc__krb5_token(a->krb, &a->kcfg, &tok, &toklen, a->why, sizeof(a->why));
  if (rc != 0)
    return rc;
  size = dfsc__spnego_init_size_of(DFSC_SPNEGO_MECH_KRB5, toklen);
  *out = dfsc__malloc(size);
  if (*out == NULL) {
    dfsc__free(tok);
    return -ENOMEM;
  }
  dfsc__wr_init(&w, *out, size);
  rc = dfsc__spnego_init_encode_of(&w, DFSC_SPNEGO_MECH_KRB5, tok, toklen);
  dfsc__free(tok);
  if (rc != 0) {
    dfsc__free(*out);
    *out = NULL;
    return rc;
  }
  *outlen = w.off;
  a->mech = DFSC_AUTH_KRB5;
  a->state = AUTH_KRB_SENT;
  return 1;
}

/* The acceptor's AP-REP (inside its NegTokenResp) completes the context
 * with mutual authentication; its mechListMIC, when sent, must verify. */
static int krb5_accept(dfsc_auth *a, const dfsc_spnego_resp *resp) {
  const uint8_t *mt;
  size_t mtlen, inner;
  int id, rc;
  if (resp->mech != NULL && !resp->mech_is_krb5)
    return DFSC_E_AUTH; /* the server chose another mechanism */
  if (!dfsc__krb5_done(a->krb)) {
    if (resp->token == NULL) {
      snprintf(a->why, sizeof(a->why),
               "the server sent no Kerberos reply: it did not prove its identity");
      return DFSC_E_AUTH;
    }
    id = dfsc__spnego_krb5_tok_id(resp->token, resp->token_len, &inner);
    if (id < 0)
      return DFSC_E_PROTO;
    if (id != DFSC_KRB5_TOK_AP_REP && id != DFSC_KRB5_TOK_ERROR)
      return DFSC_E_PROTO;
    /* A KRB-ERROR goes to GSSAPI too: it turns it into the error's text. */
    rc = dfsc__krb5_finish(a->krb, resp->token, resp->token_len, a->why, sizeof(a->why));
    if (rc != 0)
      return rc;
  }
  if (resp->mic != NULL) {
    mt = dfsc__spnego_mechtypes_of(DFSC_SPNEGO_MECH_KRB5, &mtlen);
    if (dfsc__krb5_verify_mic(a->krb, mt, mtlen, resp->mic, resp->mic_len) != 0) {
      snprintf(a->why, sizeof(a->why), "the server's mechListMIC does not verify");
      return DFSC_E_AUTH;
    }
  }
  return 0;
}

/* A Kerberos leg that is not the last (MORE_PROCESSING_REQUIRED): the AP-REP
 * arrived with request-mic or accept-incomplete; answer with our MIC. */
static int step_krb5_more(dfsc_auth *a, const uint8_t *in, size_t inlen, uint8_t **out,
                          size_t *outlen) {
  dfsc_spnego_resp resp;
  uint8_t *mic = NULL;
  size_t miclen = 0, mtlen, size;
  const uint8_t *mt;
  dfsc_wr w;
  int rc = dfsc__spnego_resp_decode(in, inlen, &resp);
  if (rc != 0)
    return rc;
  if (resp.neg_state == DFSC_SPNEGO_REJECT)
    return DFSC_E_AUTH;
  rc = krb5_accept(a, &resp);
  if (rc != 0)
    return rc;
  mt = dfsc__spnego_mechtypes_of(DFSC_SPNEGO_MECH_KRB5, &mtlen);
  rc = dfsc__krb5_get_mic(a->krb, mt, mtlen, &mic, &miclen);
  if (rc != 0)
    return rc;
  size = dfsc__spnego_resp_size(DFSC_SPNEGO_NO_STATE, 0, miclen, 0, 1);
  *out = dfsc__malloc(size);
  if (*out == NULL) {
    dfsc__free(mic);
    return -ENOMEM;
  }
  dfsc__wr_init(&w, *out, size);
  rc = dfsc__spnego_resp_encode(&w, DFSC_SPNEGO_NO_STATE, NULL, 0, mic, miclen);
  dfsc__free(mic);
  if (rc != 0) {
    dfsc__free(*out);
    *out = NULL;
    return rc;
  }
  *outlen = w.off;
  a->mic_sent = 1;
  a->state = AUTH_KRB_MIC;
  return 0;
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
    if (a->kerberos != DFSC_AUTH_KRB_OFF) {
      rc = step_krb5(a, out, outlen);
      if (rc >= 0 || rc == -ENOMEM)
        break;
      a->spn_unknown = a->defer_spn && dfsc__krb5_spn_unknown(a->krb);
      /* Kerberos first, NTLM second: auto mode falls back when NTLM is
       * allowed and there is something to log on with (a password, or no
       * user at all: anonymous). */
      /* A keytab names who to be: never NTLM in its place (with no
       * password that would be an empty one, and a guest logon). */
      if (a->kerberos == DFSC_AUTH_KRB_REQUIRED || a->ntlm_off || a->keytab != NULL)
        break;
      if (a->defer_spn && dfsc__krb5_spn_unknown(a->krb)) {
        a->spn_unknown = 1; /* the caller looks for the DC's name first */
        break;
      }
      dfsc__krb5_free(a->krb);
      a->krb = NULL;
    } else if (a->ntlm_off) {
      snprintf(a->why, sizeof(a->why), "NTLM is off and Kerberos is off");
      rc = DFSC_E_AUTH;
      break;
    }
    if (a->ntlm_off) {
      rc = DFSC_E_AUTH;
      break;
    }
    rc = step_init(a, in, inlen, out, outlen);
    if (rc >= 0)
      a->mech = DFSC_AUTH_NTLM;
    break;
  case AUTH_KRB_SENT:
    rc = step_krb5_more(a, in, inlen, out, outlen);
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

  if (a->state == AUTH_KRB_SENT || a->state == AUTH_KRB_MIC) {
    /* The last leg of Kerberos: without the server's token there is no
     * AP-REP, so no proof of the server's identity. */
    if (inlen == 0 && a->state == AUTH_KRB_SENT) {
      snprintf(a->why, sizeof(a->why),
               "the server's last token is empty: no Kerberos mutual authentication");
      rc = DFSC_E_AUTH;
      goto out;
    }
    if (inlen == 0) {
      rc = 0; /* our MIC was accepted; the server had sent its token before */
      goto out;
    }
    rc = dfsc__spnego_resp_decode(in, inlen, &resp);
    if (rc == 0 && (resp.neg_state == DFSC_SPNEGO_REJECT ||
                    resp.neg_state == DFSC_SPNEGO_ACCEPT_INCOMPLETE ||
                    resp.neg_state == DFSC_SPNEGO_REQUEST_MIC))
      rc = resp.neg_state == DFSC_SPNEGO_REJECT ? DFSC_E_AUTH : DFSC_E_PROTO;
    if (rc == 0)
      rc = krb5_accept(a, &resp);
    goto out;
  }
  if (a->state != AUTH_AUTH_SENT)
    return -EINVAL;
  /* An empty final buffer carries no mechListMIC. That is acceptable only
   * when we sent none ([MS-SPNG] 3.1.5.1: the acceptor answers a client's
   * mechListMIC with its own); otherwise whoever dropped the token could
   * also have rewritten the mechanism list. */
  if (inlen == 0) {
    /* Our only mechanism was NTLM, so no negotiation was there to
     * downgrade (RFC 4178 5): what the missing MIC leaves unproven is that
     * the server knows the session key, which its signed final response
     * proves instead. The session layer asks for that (mic_absent). */
    a->mic_absent = a->mic_sent;
    rc = 0;
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
    /* We protected the mechanism list; a server that does not (impacket
     * 0.10) must prove the key by signing its final response instead. */
    a->mic_absent = 1;
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
