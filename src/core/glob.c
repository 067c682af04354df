/* Server-name globs; see glob.h. */
#include "core/glob.h"

#include <ctype.h>
#include <stddef.h>

int dfsc__glob_match(const char *pattern, const char *name) {
  /* Iterative with one backtrack point (the last '*'): patterns such as
   * "*a*a*a*b" cost a pass per star, not a branch per character. */
  const char *star = NULL, *resume = NULL;
  while (*name != '\0') {
    if (*pattern == '*') {
      star = pattern++;
      resume = name;
    } else if (*pattern != '\0' && (*pattern == '?' || tolower((unsigned char)*pattern) ==
                                                           tolower((unsigned char)*name))) {
      pattern++;
      name++;
    } else if (star != NULL) {
      pattern = star + 1;
      name = ++resume;
    } else {
      return 0;
    }
  }
  while (*pattern == '*')
    pattern++;
  return *pattern == '\0';
}
