/* libFuzzer target: DFS referral codec (src/dfs/referral.c).
 *
 * Invariants checked (abort on violation):
 *  - decode returns 0, DFSC_E_PROTO or DFSC_E_TOOBIG (never -ENOMEM here),
 *    and *out is NULL exactly when it fails;
 *  - on success: n <= DFSC_REF_MAX_ENTRIES, expanded names in total <=
 *    DFSC_REF_MAX_NAMES, one version in 1..4 for all entries, the layout
 *    flags agree with the version, every string is valid UTF-8 and no
 *    longer than the cap allows, ttl is the minimum over V2+ entries;
 *  - the result re-encodes (or fails only with -EINVAL, when strings that
 *    the peer shared no longer fit 16-bit offsets) and the re-encoding
 *    decodes to the same values and re-encodes to the same bytes;
 *  - dfsc__dfs_referral_consumed_utf8 on the input as a path (PathConsumed
 *    from its first two bytes) returns a prefix that ends at a separator or
 *    the end and whose UTF-16 size is PathConsumed or PathConsumed - 2.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/utf16.h"
#include "dfs/referral.h"
#include "dfsc/errors.h"
#include "fuzz_common.h"

static size_t str_ok(const char *s) {
  size_t n;
  if (s == NULL)
    return 0;
  n = strlen(s);
  CHECK(dfsc__utf8_to_utf16_len(s, n) >= 0);
  CHECK(n <= DFSC_REF_MAX_STR16 / 2 * 3);
  return 2 * n + 2;
}

static int str_eq(const char *a, const char *b) {
  return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Checks r and returns an upper bound of its encoded size. */
static size_t check(const dfsc_referral *r) {
  size_t i, j, names = 0, need = 8;
  uint32_t ttl = 0;

  CHECK(r->n <= DFSC_REF_MAX_ENTRIES);
  CHECK((r->n == 0) == (r->e == NULL));
  CHECK(r->n == 0 ? r->version == 0 : (r->version >= 1 && r->version <= 4));
  CHECK(r->path_consumed_chars == r->path_consumed / 2u);
  for (i = 0; i < r->n; i++) {
    const dfsc_referral_entry *e = &r->e[i];
    CHECK(e->version == r->version);
    CHECK(!e->name_list || e->version >= 3);
    CHECK(!e->target_set_boundary || e->version == 4);
    CHECK(e->version != 1 || e->ttl == 0);
    need += e->size > 34 ? e->size : 34;
    if (e->name_list) {
      CHECK(e->special_name != NULL && e->target == NULL && e->dfs_path == NULL);
      need += str_ok(e->special_name);
      CHECK((e->n_expanded == 0) == (e->expanded == NULL));
      names += e->n_expanded;
      for (j = 0; j < e->n_expanded; j++) {
        CHECK(e->expanded[j] != NULL);
        need += str_ok(e->expanded[j]);
      }
    } else {
      CHECK(e->target != NULL && e->special_name == NULL && e->n_expanded == 0);
      CHECK((e->version == 1) == (e->dfs_path == NULL));
      need += str_ok(e->dfs_path) + str_ok(e->alt_path) + str_ok(e->target);
    }
    if (e->version >= 2 && (ttl == 0 || e->ttl < ttl))
      ttl = e->ttl;
  }
  CHECK(names <= DFSC_REF_MAX_NAMES);
  CHECK(r->ttl == ttl);
  return need;
}

static void same(const dfsc_referral *a, const dfsc_referral *b) {
  size_t i, j;
  CHECK(a->n == b->n && a->version == b->version && a->ttl == b->ttl);
  CHECK(a->path_consumed == b->path_consumed && a->header_flags == b->header_flags);
  for (i = 0; i < a->n; i++) {
    const dfsc_referral_entry *x = &a->e[i], *y = &b->e[i];
    CHECK(x->server_type == y->server_type && x->ttl == y->ttl);
    CHECK(x->proximity == y->proximity && x->name_list == y->name_list);
    CHECK(x->target_set_boundary == y->target_set_boundary);
    CHECK(str_eq(x->dfs_path, y->dfs_path) && str_eq(x->alt_path, y->alt_path));
    CHECK(str_eq(x->target, y->target) && str_eq(x->special_name, y->special_name));
    CHECK(x->n_expanded == y->n_expanded);
    for (j = 0; j < x->n_expanded; j++)
      CHECK(strcmp(x->expanded[j], y->expanded[j]) == 0);
  }
}

static void round_trip(const dfsc_referral *r, size_t need) {
  uint8_t *out = malloc(need), *again;
  dfsc_referral *r2 = NULL;
  dfsc_wr w, w2;
  int rc;

  CHECK(out != NULL);
  dfsc__wr_init(&w, out, need);
  rc = dfsc__dfs_referral_encode(&w, r);
  CHECK(rc == 0 || rc == -EINVAL);
  if (rc == 0) {
    CHECK(dfsc__dfs_referral_decode(out, w.off, &r2) == 0);
    same(r, r2);
    again = malloc(w.off ? w.off : 1);
    CHECK(again != NULL);
    dfsc__wr_init(&w2, again, w.off);
    CHECK(dfsc__dfs_referral_encode(&w2, r2) == 0);
    CHECK(w2.off == w.off && memcmp(again, out, w.off) == 0);
    free(again);
    dfsc__dfs_referral_free(r2);
  }
  free(out);
}

static void consumed(const uint8_t *data, size_t size) {
  const char *path;
  size_t len, u8 = 99;
  uint16_t pc;
  long u16;
  int rc;

  if (size < 2)
    return;
  pc = dfsc__le16(data);
  path = (const char *)data + 2;
  len = size - 2;
  rc = dfsc__dfs_referral_consumed_utf8(path, len, pc, &u8);
  CHECK(rc == 0 || rc == DFSC_E_PROTO || rc == -EILSEQ);
  if (rc != 0) {
    CHECK(u8 == 0);
    return;
  }
  CHECK(u8 <= len);
  CHECK(u8 == len || path[u8] == '\\' || path[u8] == '/' || pc == 0);
  u16 = dfsc__utf8_to_utf16_len(path, u8);
  CHECK(pc == 0 ? u8 == 0 : (u16 == pc || u16 + 2 == pc));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dfsc_referral *r = (dfsc_referral *)1;
  int rc = dfsc__dfs_referral_decode(data, size, &r);

  CHECK(rc == 0 || rc == DFSC_E_PROTO || rc == DFSC_E_TOOBIG);
  CHECK((rc == 0) == (r != NULL));
  if (rc == 0) {
    round_trip(r, check(r));
    dfsc__dfs_referral_free(r);
  }
  consumed(data, size);
  return 0;
}
