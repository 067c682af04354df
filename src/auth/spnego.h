/* SPNEGO token codec ([MS-SPNG], RFC 4178 / RFC 2743 3.1 framing) for the
 * mechanisms dfsc speaks through it, NTLMSSP and Kerberos V5.
 *
 * Encodes the client's NegTokenInit (inside the GSS-API InitialContextToken)
 * and NegTokenResp; decodes the server's NegTokenInit / NegTokenInit2 hint
 * from the SMB2 NEGOTIATE response and its NegTokenResp replies. Every token
 * is first checked by dfsc__der_check() (definite lengths, bounded nesting,
 * nothing past the end), then read field by field.
 *
 * Does not: allocate, compute the mechListMIC (auth.c, ntlmssp.c and krb5.c
 * do), or offer more than one mechanism in one NegTokenInit.
 */
#ifndef DFSC_AUTH_SPNEGO_H
#define DFSC_AUTH_SPNEGO_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* negState values, RFC 4178 4.2.2. */
#define DFSC_SPNEGO_ACCEPT_COMPLETED 0
#define DFSC_SPNEGO_ACCEPT_INCOMPLETE 1
#define DFSC_SPNEGO_REJECT 2
#define DFSC_SPNEGO_REQUEST_MIC 3
#define DFSC_SPNEGO_NO_STATE (-1) /* negState absent */

/* What the server's NEGOTIATE-response hint says. */
typedef struct dfsc_spnego_hint {
  int has_mechs;   /* a mechTypes list was present */
  int n_mechs;     /* number of OIDs in it */
  int has_ntlmssp; /* NTLMSSP (1.3.6.1.4.1.311.2.2.10) is among them */
  int has_krb5;    /* Kerberos V5 (or its old Microsoft OID) is among them */
} dfsc_spnego_hint;

/* A decoded NegTokenResp; pointers point into the decoded buffer. */
typedef struct dfsc_spnego_resp {
  int neg_state;       /* DFSC_SPNEGO_* or DFSC_SPNEGO_NO_STATE */
  const uint8_t *mech; /* supportedMech OID contents, NULL if absent */
  size_t mech_len;
  int mech_is_ntlmssp;
  int mech_is_krb5;
  const uint8_t *token; /* responseToken contents, NULL if absent */
  size_t token_len;
  const uint8_t *mic; /* mechListMIC contents, NULL if absent */
  size_t mic_len;
} dfsc_spnego_resp;

/* The DER MechTypeList this client sends (SEQUENCE { NTLMSSP OID }): the
 * bytes the mechListMIC covers ([RFC4178] 5 c). */
const uint8_t *dfsc__spnego_mechtypes(size_t *len);

/* The mechanisms dfsc offers, one per exchange. */
#define DFSC_SPNEGO_MECH_NTLMSSP 0
#define DFSC_SPNEGO_MECH_KRB5 1

/* The DER MechTypeList for one mechanism (what its mechListMIC covers). */
const uint8_t *dfsc__spnego_mechtypes_of(int mech, size_t *len);

/* NegTokenInit with mechTypes = [mech] and the mechanism's first token. */
size_t dfsc__spnego_init_size_of(int mech, size_t toklen);
int dfsc__spnego_init_encode_of(dfsc_wr *w, int mech, const uint8_t *tok, size_t toklen);

/* Checks the GSS-API framing of a Kerberos token (RFC 4121 4.1: [APPLICATION
 * 0] { krb5 OID, TOK_ID, message }) and returns its TOK_ID: 0x0100 AP-REQ,
 * 0x0200 AP-REP, 0x0300 KRB-ERROR; *inner_len the message's length. Returns
 * DFSC_E_PROTO for anything else. The message itself is GSSAPI's to read. */
#define DFSC_KRB5_TOK_AP_REQ 0x0100
#define DFSC_KRB5_TOK_AP_REP 0x0200
#define DFSC_KRB5_TOK_ERROR 0x0300
int dfsc__spnego_krb5_tok_id(const uint8_t *p, size_t len, size_t *inner_len);

/* Decodes the server's hint: either an InitialContextToken (0x60 ...) or a
 * bare NegTokenInit ([0] ...). len 0 is not an error: the hint is then empty.
 * Unknown or extra NegTokenInit2 fields (reqFlags, mechToken, negHints,
 * mechListMIC) are skipped after the structural check. Returns 0 or
 * DFSC_E_PROTO. */
int dfsc__spnego_hint_decode(const uint8_t *p, size_t len, dfsc_spnego_hint *h);

/* Size of the InitialContextToken carrying a NegTokenInit with
 * mechTypes = [NTLMSSP] and a mechToken of toklen bytes. */
size_t dfsc__spnego_init_size(size_t toklen);

/* Writes that token at w's cursor. Returns 0 or DFSC_E_NOSPACE. */
int dfsc__spnego_init_encode(dfsc_wr *w, const uint8_t *tok, size_t toklen);

/* Decodes a NegTokenResp ([1] SEQUENCE {...}). Fields may appear in any
 * subset but in ascending tag order; unknown context tags are an error.
 * Returns 0 or DFSC_E_PROTO. */
int dfsc__spnego_resp_decode(const uint8_t *p, size_t len, dfsc_spnego_resp *r);

/* Size of a NegTokenResp with the given optional parts; neg_state
 * DFSC_SPNEGO_NO_STATE omits negState, tok/mic NULL omit those fields. */
size_t dfsc__spnego_resp_size(int neg_state, size_t toklen, size_t miclen, int has_tok,
                              int has_mic);

/* Writes a NegTokenResp (no supportedMech: that is the acceptor's field).
 * Returns 0, DFSC_E_NOSPACE, or -EINVAL for a bad neg_state. */
int dfsc__spnego_resp_encode(dfsc_wr *w, int neg_state, const uint8_t *tok, size_t toklen,
                             const uint8_t *mic, size_t miclen);

#endif
