/* libFuzzer target: the --resolve override table (dfsc__resolve_map_new,
 * src/transport/lookup.c).
 *
 * Input: NUL-separated entries ("NAME:ADDR[:PORT]", IPv6 ADDR in
 * brackets); the text after the last NUL is the last entry.
 * Invariants checked (abort on violation): the result is 0, -EINVAL or
 * -ENOMEM; the map is returned only on success and freed by the caller;
 * a list parses exactly when each of its entries parses alone (and the list
 * is within the table limit), so one bad entry always fails the whole list;
 * parsing is deterministic. LeakSanitizer checks the frees.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfsc/errors.h"
#include "fuzz_common.h"
#include "transport/lookup.h"

#define MAX_ENTRIES 300 /* past the library's limit (256), to reach it */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  const char *ents[MAX_ENTRIES + 1];
  size_t n = 0, i;
  dfsc_resolve_map *m = NULL, *m1;
  int rc, all_ok = 1;

  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  ents[n++] = text;
  for (i = 0; i < size && n < MAX_ENTRIES; i++)
    if (text[i] == '\0')
      ents[n++] = text + i + 1;
  ents[n] = NULL;

  rc = dfsc__resolve_map_new(ents, &m);
  CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
  CHECK((rc == 0) == (m != NULL));

  /* Each entry alone. */
  for (i = 0; i < n; i++) {
    const char *one[2] = {ents[i], NULL};
    int r1;
    m1 = NULL;
    r1 = dfsc__resolve_map_new(one, &m1);
    CHECK(r1 == 0 || r1 == -EINVAL || r1 == -ENOMEM);
    CHECK((r1 == 0) == (m1 != NULL));
    if (r1 != 0)
      all_ok = 0;
    dfsc__resolve_map_free(m1);
  }
  if (rc != -ENOMEM)
    CHECK((rc == 0) == (all_ok && n <= 256));

  /* Deterministic. */
  m1 = NULL;
  CHECK(dfsc__resolve_map_new(ents, &m1) == rc);
  dfsc__resolve_map_free(m1);

  /* An empty list is a valid, empty map. */
  {
    const char *none[1] = {NULL};
    m1 = NULL;
    CHECK(dfsc__resolve_map_new(none, &m1) == 0 && m1 != NULL);
    dfsc__resolve_map_free(m1);
  }
  dfsc__resolve_map_free(m);
  free(text);
  return 0;
}
