/* Security policy helpers of the session layer: the cipher offer list and
 * the credential-server patterns.
 *
 * Pure functions over caller buffers: parse a comma list of cipher names
 * into SMB2_ENCRYPTION_* ids, name a cipher, and match a server name
 * against a glob pattern. Does not: allocate, touch connection state, or
 * decide when to encrypt (conn.c does).
 */
#ifndef DFSC_SESSION_POLICY_H
#define DFSC_SESSION_POLICY_H

#include <stddef.h>
#include <stdint.h>

#define DFSC_CIPHERS_MAX 4

/* Parses "aes-128-gcm,aes-256-ccm" (names case-insensitive, blanks around
 * names allowed, each cipher at most once) into out[0..*n). NULL or ""
 * gives the default order AES-128-GCM, AES-128-CCM, AES-256-GCM,
 * AES-256-CCM. Returns 0 or -EINVAL (unknown name, empty item, repeat). */
int dfsc__policy_parse_ciphers(const char *list, uint16_t out[DFSC_CIPHERS_MAX], size_t *n);

/* "AES-128-GCM" etc. for an SMB2_ENCRYPTION_* id, "none" for 0, "?" else. */
const char *dfsc__policy_cipher_name(uint16_t cipher);

/* Nonzero when `name` matches one of the NULL-terminated patterns, or
 * patterns is NULL (no restriction). */
int dfsc__policy_server_allowed(const char *const *patterns, const char *name);

/* Hardened UNC paths (dfsc_opts.hardened_paths): 1 when \\host\share
 * matches one of the NULL-terminated patterns "\\\\HOST\\SHARE" ('/' as
 * well as '\\'; HOST and SHARE are globs, case-insensitive). patterns NULL:
 * the default list, \\*\SYSVOL and \\*\NETLOGON, where Group Policy
 * comes from (Windows hardens the same two by default). */
int dfsc__policy_hardened(const char *const *patterns, const char *host, const char *share);
/* 1 when pattern has the \\HOST\SHARE shape. */
int dfsc__policy_hardened_valid(const char *pattern);

#endif
