/* Local file names for get: how much of a name fits a byte budget.
 *
 * Temporary names are built from the final name cut to leave room for a
 * prefix and a random suffix within NAME_MAX; the cut must fall between
 * two UTF-8 characters, or the temporary name would hold a broken
 * sequence (which escape.c would then show as an escape, and a file
 * system that checks UTF-8 would refuse). Pure: no library dependency, so
 * tests/unit includes this file directly.
 * Does not: check that the name is valid UTF-8 (commands.c refuses
 * names that are not before they get here).
 */
#include <string.h>

#include "cli.h"

size_t dfsc__cli_name_cut(const char *name, size_t max) {
  size_t n = strlen(name);
  int k;

  if (n <= max)
    return n;
  n = max;
  /* A continuation byte (10xxxxxx) at the cut belongs to a character that
   * starts before it: back up to its lead byte. A UTF-8 character has at
   * most three continuation bytes, so three steps reach it (invalid input
   * is cut after three, still within max). */
  for (k = 0; k < 3 && n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80; k++)
    n--;
  return n;
}
