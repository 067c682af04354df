/* Kerberos through GSSAPI (MIT krb5) for SMB2 session setup: the krb5
 * mechanism's tokens, mutual authentication and the session key. dfsc
 * wraps the tokens in SPNEGO itself (spnego.c), so its own codec sees
 * every byte the server sends.
 *
 * Threads: dfsc__krb5_start reads the credential cache or keytab and may
 * talk to a KDC (AS and TGS exchanges), so it runs on a worker lane, never
 * on the loop thread (docs/progress.md, P7). The other calls are local
 * computation over the established context (decrypting the AP-REP, MICs,
 * the key) and may run on the loop. One thread uses a context at a time.
 *
 * Does not: implement any Kerberos itself, canonicalise the host name (the
 * service principal is cifs/<host> as the caller names the host, never from
 * reverse DNS), or decide when Kerberos is used (auth.c does).
 */
#ifndef DFSC_AUTH_KRB5_H
#define DFSC_AUTH_KRB5_H

#include <stddef.h>
#include <stdint.h>

typedef struct dfsc_krb5 dfsc_krb5;

/* Where the client's credentials come from. */
struct dfsc_krb5_cfg {
  const char *host;      /* the server as the path or referral names it */
  const char *ccache;    /* NULL: $KRB5CCNAME, else the default cache */
  const char *keytab;    /* client keytab for `principal`; NULL: none */
  const char *principal; /* user@REALM or user; NULL: the cache's own */
  const char *password;  /* NULL: none; else a TGT may be got with it */
  int use_password;      /* get a TGT with the password when the cache has none */
  /* Use the cache only when its principal is this user (the part before
   * '@'): a user named on the command line is not silently someone else.
   * NULL: any. */
  const char *match_user;
};

/* The largest session key GSSAPI hands out for SMB (AES-256). */
#define DFSC_KRB5_KEY_MAX 32

/* The local half of the start: the service principal, the credentials
 * from the cache or keytab (no KDC I/O), and whether the first token needs
 * the KDC: *needs_kdc 0 when the cache holds a ticket for cifs/<host> and
 * no password TGT is to be got. Reads the cache or keytab (local files):
 * a worker lane, but one that never waits on the network. Returns 0 (*out
 * owns the context), or the errors of dfsc__krb5_start. */
int dfsc__krb5_prepare(const struct dfsc_krb5_cfg *cfg, dfsc_krb5 **out, int *needs_kdc,
                       char *why, size_t whylen);

/* The first token of a prepared context (a TGT from the password first,
 * when that was asked for; then the TGS exchange unless the ticket is
 * cached). May block on the KDC. Returns as dfsc__krb5_start. */
int dfsc__krb5_token(dfsc_krb5 *k, const struct dfsc_krb5_cfg *cfg, uint8_t **tok,
                     size_t *toklen, char *why, size_t whylen);

/* prepare + token. Acquires credentials and makes the first token (an AP-REQ inside the
 * GSS-API framing, RFC 4121 4.1) for cifs/<host>, asking for mutual
 * authentication. May block (KDC I/O): worker lane only.
 * Returns 0 (*out owns the context; *tok, *toklen the token, freed with
 * dfsc__free), DFSC_E_NOTICKET (no usable ticket, keytab or password),
 * DFSC_E_KERBEROS (the KDC or library refused, e.g. an unknown service
 * principal), -ENOMEM or -EINVAL. On an error `why` holds the GSSAPI
 * messages (always NUL-terminated). */
int dfsc__krb5_start(const struct dfsc_krb5_cfg *cfg, dfsc_krb5 **out, uint8_t **tok,
                     size_t *toklen, char *why, size_t whylen);

/* Feeds the server's reply token (the AP-REP) and requires the context to
 * be complete with mutual authentication. Returns 0, DFSC_E_KERBEROS (with
 * `why`), DFSC_E_AUTH (no mutual authentication) or -EINVAL. */
int dfsc__krb5_finish(dfsc_krb5 *k, const uint8_t *tok, size_t toklen, char *why,
                      size_t whylen);

/* 1 once dfsc__krb5_finish succeeded. */
int dfsc__krb5_done(const dfsc_krb5 *k);

/* 1 when dfsc__krb5_token failed because the KDC knows no service
 * principal cifs/<host> (KDC_ERR_S_PRINCIPAL_UNKNOWN): the host is a name
 * the KDC has no key for, e.g. a domain's name rather than a DC's. */
int dfsc__krb5_spn_unknown(const dfsc_krb5 *k);

/* mechListMIC over the DER mechanism list (RFC 4178 5): verify the
 * acceptor's, or make ours (*mic freed with dfsc__free). 0 or DFSC_E_AUTH /
 * -ENOMEM. Only after dfsc__krb5_finish. */
int dfsc__krb5_verify_mic(dfsc_krb5 *k, const uint8_t *msg, size_t len, const uint8_t *mic,
                          size_t miclen);
int dfsc__krb5_get_mic(dfsc_krb5 *k, const uint8_t *msg, size_t len, uint8_t **mic,
                       size_t *miclen);

/* The context's session key (the acceptor's subkey when it sent one), the
 * key [MS-SMB2] 3.2.5.3.1 derives the session's keys from. Returns 0 or
 * -ENOKEY. */
int dfsc__krb5_session_key(dfsc_krb5 *k, uint8_t key[DFSC_KRB5_KEY_MAX], size_t *len);

/* The client principal the ticket is for ("user@REALM"), or "" (static
 * storage of the context, valid until dfsc__krb5_free). */
const char *dfsc__krb5_client(const dfsc_krb5 *k);

/* Deletes the context and the credential handle; NULL is a no-op. */
void dfsc__krb5_free(dfsc_krb5 *k);

#endif
