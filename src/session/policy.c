/* Security policy helpers: cipher offer lists and credential-server
 * patterns (see policy.h). Pure; no allocation. */
#include "session/policy.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "core/glob.h"
#include "smb2/smb2.h"

static const struct {
  const char *name;
  uint16_t id;
} ciphers[DFSC_CIPHERS_MAX] = {
    /* The default order: GCM before CCM (faster), 128 before 256 bits
     * (what every 3.1.1 server supports). */
    {"aes-128-gcm", SMB2_ENCRYPTION_AES128_GCM},
    {"aes-128-ccm", SMB2_ENCRYPTION_AES128_CCM},
    {"aes-256-gcm", SMB2_ENCRYPTION_AES256_GCM},
    {"aes-256-ccm", SMB2_ENCRYPTION_AES256_CCM},
};

int dfsc__policy_parse_ciphers(const char *list, uint16_t out[DFSC_CIPHERS_MAX],
                               size_t *n) {
  const char *p = list;
  size_t k = 0, i, j;

  if (list == NULL || list[0] == '\0') {
    for (i = 0; i < DFSC_CIPHERS_MAX; i++)
      out[i] = ciphers[i].id;
    *n = DFSC_CIPHERS_MAX;
    return 0;
  }
  for (;;) {
    const char *s = p, *e = p + strcspn(p, ",");
    uint16_t id = 0;
    while (s < e && isspace((unsigned char)*s))
      s++;
    while (e > s && isspace((unsigned char)e[-1]))
      e--;
    for (i = 0; i < DFSC_CIPHERS_MAX; i++)
      if (strlen(ciphers[i].name) == (size_t)(e - s) &&
          strncasecmp(ciphers[i].name, s, (size_t)(e - s)) == 0)
        id = ciphers[i].id;
    if (id == 0)
      return -EINVAL;
    for (j = 0; j < k; j++)
      if (out[j] == id)
        return -EINVAL;
    /* Four distinct known names at most, so k never passes the array. */
    out[k++] = id;
    p += strcspn(p, ",");
    if (*p == '\0')
      break;
    p++;
  }
  *n = k;
  return 0;
}

const char *dfsc__policy_cipher_name(uint16_t cipher) {
  switch (cipher) {
  case 0:
    return "none";
  case SMB2_ENCRYPTION_AES128_CCM:
    return "AES-128-CCM";
  case SMB2_ENCRYPTION_AES128_GCM:
    return "AES-128-GCM";
  case SMB2_ENCRYPTION_AES256_CCM:
    return "AES-256-CCM";
  case SMB2_ENCRYPTION_AES256_GCM:
    return "AES-256-GCM";
  }
  return "?";
}

int dfsc__policy_server_allowed(const char *const *patterns, const char *name) {
  size_t i;
  if (patterns == NULL)
    return 1;
  for (i = 0; patterns[i] != NULL; i++)
    if (dfsc__glob_match(patterns[i], name))
      return 1;
  return 0;
}

/* Splits "\\\\HOST\\SHARE" (or with '/') into its two globs; 0 or -1. */
static int split_unc_pattern(const char *p, char *host, size_t hcap, char *share,
                             size_t scap) {
  size_t i = 0, h = 0, n = 0;
  while (p[i] == '\\' || p[i] == '/')
    i++;
  if (i != 2)
    return -1;
  while (p[i] != '\0' && p[i] != '\\' && p[i] != '/') {
    if (h + 1 >= hcap)
      return -1;
    host[h++] = p[i++];
  }
  host[h] = '\0';
  if (h == 0 || p[i] == '\0')
    return -1;
  i++;
  while (p[i] != '\0' && p[i] != '\\' && p[i] != '/') {
    if (n + 1 >= scap)
      return -1;
    share[n++] = p[i++];
  }
  share[n] = '\0';
  while (p[i] == '\\' || p[i] == '/')
    i++;
  return n > 0 && p[i] == '\0' ? 0 : -1;
}

int dfsc__policy_hardened_valid(const char *pattern) {
  char host[256], share[256];
  return split_unc_pattern(pattern, host, sizeof(host), share, sizeof(share)) == 0;
}

int dfsc__policy_hardened(const char *const *patterns, const char *host,
                          const char *share) {
  static const char *const defaults[] = {"\\\\*\\SYSVOL", "\\\\*\\NETLOGON", NULL};
  char ph[256], ps[256];
  size_t i;
  if (patterns == NULL)
    patterns = defaults;
  for (i = 0; patterns[i] != NULL; i++)
    if (split_unc_pattern(patterns[i], ph, sizeof(ph), ps, sizeof(ps)) == 0 &&
        dfsc__glob_match(ph, host) && dfsc__glob_match(ps, share))
      return 1;
  return 0;
}
