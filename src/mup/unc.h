/* UNC path parsing and normalisation, the three forms users type:
 *   \\host\share\path   //host/share/path
 *   smb://[domain;]user[:password]@host[:port]/share/path
 * The result has host, share and a share-relative path with backslash
 * separators, no leading or trailing separator, no empty, "." or ".."
 * components ("." dropped, ".." refused: a client must not climb out of a
 * share). URL components are percent-decoded. An IPv6 literal host may be
 * bracketed in every form (\\[::1]\share, //[::1]/share, smb://[::1]/share);
 * host holds the address without the brackets.
 * Does not: resolve names, know DFS.
 */
#ifndef DFSC_MUP_UNC_H
#define DFSC_MUP_UNC_H

#include <stddef.h>
#include <stdint.h>

#define DFSC_UNC_MAX 4096

typedef struct dfsc_unc {
  char host[256];
  char share[256];
  char path[DFSC_UNC_MAX]; /* share-relative, '\\' separated, may be "" */
  uint16_t port;           /* 0 when not given */
  char user[256];          /* from smb:// only */
  char domain[256];
  char password[256];
  int has_user, has_password;
} dfsc_unc;

/* Parses s into u. need_share: fail when no share is named.
 * Returns 0, -ENAMETOOLONG (DFSC_UNC_MAX bytes or more) or DFSC_E_BADPATH. */
int dfsc__unc_parse(const char *s, int need_share, dfsc_unc *u);

/* Copies s[0..n) into dst (cap bytes, NUL included), percent-decoding
 * when url is set. -1 when it does not fit, or for a '%' not followed by
 * two hex digits or one that decodes to NUL. */
int dfsc__unc_copy_part(char *dst, size_t cap, const char *s, size_t n, int url);

/* Formats "//host/share/path" (forward slashes, as the CLI prints paths). */
void dfsc__unc_format(const dfsc_unc *u, char *buf, size_t cap);

#endif
