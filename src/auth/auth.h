/* Authentication for SMB2 SESSION_SETUP: the one interface the session layer
 * uses. Today it runs NTLMSSP (NTLMv2) inside SPNEGO; the exchange is
 *
 *   NEGOTIATE response  -> dfsc__auth_step(a, hint, hintlen, &out, &outlen)
 *                          returns 1, out = NegTokenInit(NTLM NEGOTIATE)
 *   SESSION_SETUP rsp 1 -> dfsc__auth_step(a, buf, len, &out, &outlen)
 *   (MORE_PROCESSING)      returns 0, out = NegTokenResp(NTLM AUTHENTICATE
 *                          + mechListMIC); send it, nothing further to step
 *   SESSION_SETUP rsp 2 -> dfsc__auth_finish(a, buf, len)
 *   (SUCCESS)              checks accept-completed and the server's
 *                          mechListMIC; then dfsc__auth_session_key().
 *
 * With Kerberos (krb5.c, GSSAPI) the first step makes an AP-REQ instead,
 * and may block on the credential cache and the KDC: see dfsc__auth_lane.
 * Otherwise each call is pure computation on the caller's thread (the
 * loop). A dfsc_auth is used by one thread at a time.
 *
 * Does not: talk to the network itself (GSSAPI talks to the KDC), or
 * decide signing policy (guest and anonymous sessions
 * are not signed: the session layer reads SMB2_SESSION_FLAG_IS_GUEST /
 * IS_NULL from the response).
 */
#ifndef DFSC_AUTH_AUTH_H
#define DFSC_AUTH_AUTH_H

#include <stddef.h>
#include <stdint.h>

/* Credentials, UTF-8. NULL and "" are the same. user and password both
 * empty selects an anonymous (NULL session) logon; a guest logon is any
 * user name (e.g. "guest") the server maps to its guest account.
 * workstation NULL uses the host's short name, upper-cased, at most 15
 * characters. The strings are copied (the password only as its NTOWFv2
 * hash) by dfsc__auth_new; the caller may wipe its copies afterwards. */
struct dfsc_auth_creds {
  const char *user;
  const char *domain;
  const char *password;
  const char *workstation;
  /* Kerberos (dfsc_opts): enum dfsc_auth_krb_mode; NTLM allowed or not;
   * the credential cache and client keytab (NULL: the defaults / none);
   * host: the server's name as the path or referral gives it, for the
   * service principal cifs/<host>. */
  int kerberos;
  int ntlm_off;
  const char *ccache;
  const char *keytab;
  const char *host;
  /* When the KDC knows no cifs/<host>, fail the step (dfsc__auth_spn_unknown
   * then says so) instead of falling back to NTLM: the caller first looks
   * for the DC's own name (an LDAP ping) and tries Kerberos with it. */
  int defer_spn_unknown;
};

typedef struct dfsc_auth dfsc_auth;

/* When Kerberos is used: the values of the public enum dfsc_kerberos_mode
 * (the session layer checks they agree), so the auth layer needs no public
 * header. */
enum dfsc_auth_krb_mode {
  DFSC_AUTH_KRB_AUTO = 0,
  DFSC_AUTH_KRB_REQUIRED = 1,
  DFSC_AUTH_KRB_OFF = 2
};

/* 1 after a first step that failed because the KDC knows no cifs/<host>
 * (with defer_spn_unknown). */
int dfsc__auth_spn_unknown(const dfsc_auth *a);

/* Mechanism chosen, for logs and policy. */
enum dfsc_auth_mech { DFSC_AUTH_NONE, DFSC_AUTH_NTLM, DFSC_AUTH_KRB5 };

/* Creates an authentication context. Returns 0, -ENOMEM, -EILSEQ (invalid
 * UTF-8) or -EINVAL. Ownership: free with dfsc__auth_free. */
int dfsc__auth_new(const struct dfsc_auth_creds *c, dfsc_auth **out);

/* Advances the exchange with the server's security buffer `in` (NULL/0, or
 * the NEGOTIATE response's buffer as a hint, on the first call).
 * Ownership: *out is allocated with dfsc__malloc, the caller frees it with
 * dfsc__free; *out is NULL (and *outlen 0) when there is nothing to send.
 * Returns 1: send *out and call dfsc__auth_step again with the reply;
 *         0: send *out (the last token) and call dfsc__auth_finish with the
 *            final SESSION_SETUP response's buffer;
 *         DFSC_E_PROTO (malformed token), DFSC_E_AUTH (server rejected, chose
 *         another mechanism, or refuses NTLMv2 features), -EINVAL (called out
 *         of order), -ENOMEM. After an error the context is failed. */
int dfsc__auth_step(dfsc_auth *a, const uint8_t *in, size_t inlen, uint8_t **out,
                    size_t *outlen);

/* Checks the final server token (the security buffer of the SUCCESS
 * SESSION_SETUP response): negState must not be reject or accept-incomplete,
 * and a mechListMIC, when present, must verify with the server signing key
 * ([MS-SPNG] 3.2.5.1 / [MS-NLMP] 3.4.4.2). When we sent a mechListMIC the
 * server's is required, so an empty buffer (inlen 0) is accepted only when
 * we sent none (an anonymous logon). Returns 0,
 * DFSC_E_AUTH (rejected or the MIC does not verify), DFSC_E_PROTO or -EINVAL
 * (not after a step that returned 0). */
int dfsc__auth_finish(dfsc_auth *a, const uint8_t *in, size_t inlen);

/* Copies the 16-byte session key (NTLM ExportedSessionKey, or the first 16
 * bytes of the Kerberos key, zero-padded), the Session.SessionKey of
 * [MS-SMB2] 3.2.5.3.1. Available once
 * dfsc__auth_step has returned 0. Returns 0, or -ENOKEY before that or for
 * an anonymous logon. */
int dfsc__auth_session_key(const dfsc_auth *a, uint8_t key[16]);

/* 1 when the session is an anonymous logon (NTLMSSP with no credentials),
 * else 0. */
int dfsc__auth_is_anonymous(const dfsc_auth *a);
/* NTLM: 1 when we sent a mechListMIC and the server's final token brought
 * none (or there was no final token). dfsc__auth_finish accepts that only
 * because our mechanism list held NTLM alone (RFC 4178 5: no choice to
 * protect); the caller must then require the server's signed final
 * response ([MS-SMB2] 3.2.5.3.1), which proves it holds the session key,
 * or refuse the session. */
int dfsc__auth_mic_absent(const dfsc_auth *a);

/* The same rule before any dfsc_auth exists (the session layer decides
 * its NEGOTIATE security mode from it): 1 when user and password are both
 * NULL or empty. */
int dfsc__auth_creds_anonymous(const char *user, const char *password);

/* Kerberos needs threads that may block. Before the first dfsc__auth_step:
 * dfsc__auth_lane() is 1 when that step must run on a worker lane (Kerberos
 * is not off). dfsc__auth_prepare() runs there first: it reads the
 * credential cache or keytab (local files, no network) and returns 1 when
 * the first step will talk to the KDC (it then belongs on a lane of its
 * own, so a slow or hung KDC holds no worker a cached ticket needs), 0
 * when it will not, or -ENOMEM. A Kerberos failure here is kept for the
 * step: in auto mode it falls back to NTLM, in required mode the step
 * returns it. Every later call is local computation (the AP-REP, MICs, the
 * key) and runs on the loop. */
int dfsc__auth_lane(const dfsc_auth *a);
int dfsc__auth_prepare(dfsc_auth *a);

/* The mechanism in use (DFSC_AUTH_NONE before the first step). */
int dfsc__auth_mech(const dfsc_auth *a);
/* 1 when the server proved its identity (Kerberos mutual authentication
 * completed); NTLM never does. */
int dfsc__auth_mutual(const dfsc_auth *a);
/* Why the last step failed, or why Kerberos was passed over ("" if
 * nothing): GSSAPI's messages, for logs. */
const char *dfsc__auth_why(const dfsc_auth *a);
/* The client principal of a Kerberos session ("" otherwise). */
const char *dfsc__auth_client(const dfsc_auth *a);

/* The full session key ([MS-SMB2] 3.2.5.3.1 Session.FullSessionKey: 16
 * bytes for NTLM, up to 32 for Kerberos with AES-256), for AES-256
 * ciphers. Returns 0 or -ENOKEY. */
int dfsc__auth_full_key(const dfsc_auth *a, uint8_t key[32], size_t *len);

/* Wipes and frees; NULL is a no-op. */
void dfsc__auth_free(dfsc_auth *a);

/* Tests only: the NTLMSSP context inside, e.g. for dfsc__ntlmssp_set_fixed. */
struct dfsc_ntlmssp *dfsc__auth_ntlmssp(dfsc_auth *a);

#endif
