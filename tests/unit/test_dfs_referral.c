/* Unit tests for the DFS referral codec (src/dfs/referral.c).
 *
 * Golden: every response in tests/fixtures/dfs (captured from Samba 4.17, see
 * its README.md) decodes to the values read off the capture and re-encodes
 * to the same bytes; every truncation of each one fails with DFSC_E_PROTO.
 * Hand-built: V1, a V3 DC referral with two expanded names, V4 with two
 * target sets, padding, shared strings. Hostile: bad offsets, Sizes,
 * versions, counts, missing NULs, bad UTF-16, every cap, allocation
 * failure. Also: encoder errors, REQ_GET_DFS_REFERRAL_EX bytes, the
 * PathConsumed mapping and the flag names.
 * Does not: talk to a server.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "dfs/referral.h"
#include "dfsc/dfsc.h"
#include "dfsc/errors.h"
#include "golden.h"

#ifndef DFSC_FIXTURES
#error "DFSC_FIXTURES must name the tests/fixtures directory"
#endif

/* Reads tests/fixtures/dfs/<name>.bin into a buffer of exactly its size so
 * that ASan catches a read one past the end. */
static uint8_t *load(const char *name, size_t *len) {
  return fixture_load("dfs", name, len);
}

/* Copies len bytes to an exact-size heap block (ASan bound). */
static uint8_t *dup_exact(const uint8_t *p, size_t len) {
  uint8_t *q = malloc(len ? len : 1);
  assert_non_null(q);
  if (len)
    memcpy(q, p, len);
  return q;
}

static int decode_exact(const uint8_t *p, size_t len, dfsc_referral **out) {
  uint8_t *q = dup_exact(p, len);
  int rc = dfsc__dfs_referral_decode(q, len, out);
  free(q);
  return rc;
}

static void put16(uint8_t *p, size_t off, uint16_t v) { dfsc__put_le16(p + off, v); }

/* Appends s as UTF-16LE (ASCII only) with NUL; returns bytes written. */
static size_t ascii16(uint8_t *p, const char *s) {
  size_t i, n = strlen(s);
  for (i = 0; i < n; i++) {
    p[2 * i] = (uint8_t)s[i];
    p[2 * i + 1] = 0;
  }
  p[2 * n] = p[2 * n + 1] = 0;
  return 2 * n + 2;
}

/* ---------------------------------------------------------------- golden */

typedef struct exp_entry {
  uint16_t size, server_type, flags;
  uint32_t ttl;
  const char *dfs_path, *alt_path, *target; /* non-NameList */
  const char *special, *exp0;               /* NameList: at most one name here */
} exp_entry;

typedef struct golden {
  const char *name;
  uint16_t path_consumed;
  uint32_t header_flags;
  uint16_t version;
  uint32_t ttl;
  size_t n;
  exp_entry e[2];
} golden;

#define ROOT "\\127.0.0.1\\dfs"
#define LINK1 ROOT "\\link1"
#define LINK2 ROOT "\\link2"
#define LINKU ROOT "\\link\xc3\xbc"

/* clang-format off */
static const golden goldens[] = {
    {"samba_root_l4_v3", 28, 3, 3, 600, 1, {{34, 1, 0, 600, ROOT, ROOT, ROOT, NULL, NULL}}},
    {"samba_root_l2_v2", 28, 3, 2, 600, 1, {{22, 1, 0, 600, ROOT, ROOT, ROOT, NULL, NULL}}},
    {"samba_link1_l4_v3", 40, 2, 3, 600, 1,
     {{34, 0, 0, 600, LINK1, LINK1, "\\fs2\\data", NULL, NULL}}},
    {"samba_link1_l1_v2", 40, 2, 2, 600, 1,
     {{22, 0, 0, 600, LINK1, LINK1, "\\fs2\\data", NULL, NULL}}},
    {"samba_link2_l4_v3", 40, 2, 3, 600, 2,
     {{34, 0, 0, 600, LINK2, LINK2, "\\fs2\\data", NULL, NULL},
      {34, 0, 0, 600, LINK2, LINK2, "\\fs3\\data\\sub", NULL, NULL}}},
    {"samba_link2_l2_v2", 40, 2, 2, 600, 2,
     {{22, 0, 0, 600, LINK2, LINK2, "\\fs2\\data", NULL, NULL},
      {22, 0, 0, 600, LINK2, LINK2, "\\fs3\\data\\sub", NULL, NULL}}},
    {"samba_linku_l4_v3", 40, 2, 3, 600, 1,
     {{34, 0, 0, 600, LINKU, LINKU, "\\fs2\\D\xc3\xa4t\xc3\xa4", NULL, NULL}}},
    {"samba_dc_domain_l4_v3", 0, 0, 3, 600, 2,
     {{34, 0, 2, 600, NULL, NULL, NULL, "\\DFSTEST", NULL},
      {34, 0, 2, 600, NULL, NULL, NULL, "\\dfs.test", NULL}}},
    {"samba_dc_dcref_l4_v3", 0, 0, 3, 600, 1,
     {{34, 0, 2, 600, NULL, NULL, NULL, "DFSTEST", "\\DC1"}}},
    {"samba_dc_dcref_dns_l4_v3", 0, 0, 3, 600, 1,
     {{34, 0, 2, 600, NULL, NULL, NULL, "dfs.test", "\\dc1.dfs.test"}}},
    {"samba_dc_sysvol_l4_v4", 32, 2, 4, 900, 1,
     {{34, 0, 4, 900, "\\dfs.test\\sysvol", "\\dfs.test\\sysvol",
       "\\dc1.dfs.test\\sysvol", NULL, NULL}}},
    {"samba_dc_sysvol_l3_v3", 32, 2, 3, 600, 1,
     {{34, 0, 0, 600, "\\dfs.test\\SYSVOL", "\\dfs.test\\SYSVOL",
       "\\dc1.dfs.test\\SYSVOL", NULL, NULL}}},
};
/* clang-format on */

static void check_str(const char *got, const char *want) {
  if (want == NULL)
    assert_null(got);
  else {
    assert_non_null(got);
    assert_string_equal(got, want);
  }
}

static void test_golden_decode(void **state) {
  size_t g, i;
  (void)state;
  for (g = 0; g < sizeof goldens / sizeof goldens[0]; g++) {
    const golden *gd = &goldens[g];
    size_t len;
    uint8_t *buf = load(gd->name, &len);
    dfsc_referral *r = NULL;

    print_message("fixture %s\n", gd->name);
    assert_int_equal(dfsc__dfs_referral_decode(buf, len, &r), 0);
    assert_non_null(r);
    assert_int_equal(r->path_consumed, gd->path_consumed);
    assert_int_equal(r->path_consumed_chars, gd->path_consumed / 2);
    assert_int_equal(r->header_flags, gd->header_flags);
    assert_int_equal(r->version, gd->version);
    assert_int_equal(r->ttl, gd->ttl);
    assert_int_equal(r->n, gd->n);
    for (i = 0; i < gd->n; i++) {
      const exp_entry *x = &gd->e[i];
      const dfsc_referral_entry *e = &r->e[i];
      assert_int_equal(e->version, gd->version);
      assert_int_equal(e->size, x->size);
      assert_int_equal(e->server_type, x->server_type);
      assert_int_equal(e->entry_flags, x->flags);
      assert_int_equal(e->ttl, x->ttl);
      assert_int_equal(e->name_list, x->special != NULL);
      assert_int_equal(e->target_set_boundary, gd->version == 4);
      check_str(e->dfs_path, x->dfs_path);
      check_str(e->alt_path, x->alt_path);
      check_str(e->target, x->target);
      check_str(e->special_name, x->special);
      assert_int_equal(e->n_expanded, x->exp0 != NULL);
      if (x->exp0 != NULL)
        assert_string_equal(e->expanded[0], x->exp0);
    }
    dfsc__dfs_referral_free(r);
    free(buf);
  }
}

/* Samba lays a response out as the encoder does, so the bytes come back. */
static void test_golden_reencode(void **state) {
  size_t g;
  (void)state;
  for (g = 0; g < sizeof goldens / sizeof goldens[0]; g++) {
    size_t len;
    uint8_t *buf = load(goldens[g].name, &len), out[1024];
    dfsc_referral *r = NULL;
    dfsc_wr w;

    print_message("fixture %s\n", goldens[g].name);
    assert_int_equal(dfsc__dfs_referral_decode(buf, len, &r), 0);
    dfsc__wr_init(&w, out, sizeof out);
    assert_int_equal(dfsc__dfs_referral_encode(&w, r), 0);
    assert_int_equal(w.off, len);
    assert_memory_equal(out, buf, len);
    /* Every writer that is one byte short fails cleanly. */
    dfsc__wr_init(&w, out, len - 1);
    assert_int_equal(dfsc__dfs_referral_encode(&w, r), DFSC_E_NOSPACE);
    dfsc__dfs_referral_free(r);
    free(buf);
  }
}

/* Samba writes no padding after the last string, so every shorter buffer
 * cuts a string or an entry: each must fail, never succeed or overread. */
static void test_golden_truncated(void **state) {
  size_t g, cut;
  (void)state;
  for (g = 0; g < sizeof goldens / sizeof goldens[0]; g++) {
    size_t len;
    uint8_t *buf = load(goldens[g].name, &len);
    for (cut = 0; cut < len; cut++) {
      dfsc_referral *r = (dfsc_referral *)1;
      int rc = decode_exact(buf, cut, &r);
      if (rc != DFSC_E_PROTO)
        print_message("%s cut at %zu\n", goldens[g].name, cut);
      assert_int_equal(rc, DFSC_E_PROTO);
      assert_null(r);
    }
    free(buf);
  }
}

static void test_pathconsumed_golden(void **state) {
  size_t len, u8 = 0;
  uint8_t *buf = load("samba_linku_l4_v3", &len);
  dfsc_referral *r = NULL;
  const char *req = LINKU "\\a";
  (void)state;

  assert_int_equal(dfsc__dfs_referral_decode(buf, len, &r), 0);
  assert_int_equal(r->path_consumed, 40);
  assert_int_equal(
      dfsc__dfs_referral_consumed_utf8(req, strlen(req), r->path_consumed, &u8), 0);
  /* 20 UTF-16 units, 21 UTF-8 bytes: the prefix is the link itself. */
  assert_int_equal(u8, strlen(LINKU));
  assert_memory_equal(req, r->e[0].dfs_path, u8);
  dfsc__dfs_referral_free(r);
  free(buf);
}

/* ------------------------------------------------------------ hand-built */

/* [MS-DFSC] 2.2.5.1: two V1 entries, inline ShareNames, the second padded. */
static void test_v1(void **state) {
  uint8_t b[128];
  size_t off = 8, s, len;
  dfsc_referral *r = NULL;
  uint8_t out[128];
  dfsc_wr w;
  (void)state;

  memset(b, 0, sizeof b);
  put16(b, 0, 12);
  put16(b, 2, 2);
  dfsc__put_le32(b + 4, DFSC_REF_HDR_STORAGE_SERVERS);
  put16(b, off, 1);
  s = ascii16(b + off + 8, "\\fs1\\x");
  put16(b, off + 2, (uint16_t)(8 + s));
  put16(b, off + 4, 0);
  off += 8 + s;
  put16(b, off, 1);
  s = ascii16(b + off + 8, "\\fs2\\y");
  put16(b, off + 2, (uint16_t)(8 + s + 4)); /* 4 bytes of padding */
  put16(b, off + 4, 1);
  len = off + 8 + s + 4;

  assert_int_equal(decode_exact(b, len, &r), 0);
  assert_int_equal(r->version, 1);
  assert_int_equal(r->n, 2);
  assert_int_equal(r->ttl, 0);
  assert_int_equal(r->path_consumed, 12);
  assert_string_equal(r->e[0].target, "\\fs1\\x");
  assert_string_equal(r->e[1].target, "\\fs2\\y");
  assert_int_equal(r->e[1].server_type, 1);
  assert_int_equal(r->e[1].size, 8 + s + 4);
  assert_null(r->e[0].dfs_path);
  assert_int_equal(r->e[0].ttl, 0);

  dfsc__wr_init(&w, out, sizeof out);
  assert_int_equal(dfsc__dfs_referral_encode(&w, r), 0);
  assert_int_equal(w.off, len);
  assert_memory_equal(out, b, len);
  dfsc__dfs_referral_free(r);

  /* ShareName must end inside Size, even when the buffer holds the NUL. */
  put16(b, 8 + 2, 8 + 4);
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  /* Size 9: smaller than the fixed part plus a NUL. */
  put16(b, 8 + 2, 9);
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
}

/* A DC referral ([MS-DFSC] 2.2.5.3.2) with two expanded names, written byte
 * by byte (not by the encoder), with 16 bytes of padding as Windows may. */
static void test_v3_namelist_two_dcs(void **state) {
  uint8_t b[160];
  size_t len, o;
  dfsc_referral *r = NULL;
  uint8_t out[160];
  dfsc_wr w;
  (void)state;

  memset(b, 0, sizeof b);
  put16(b, 0, 0);
  put16(b, 2, 1);
  dfsc__put_le32(b + 4, 0);
  put16(b, 8, 3);
  put16(b, 10, 34);
  put16(b, 12, 0);
  put16(b, 14, DFSC_REF_ENT_NAME_LIST_REFERRAL);
  dfsc__put_le32(b + 16, 300);
  put16(b, 20, 34); /* SpecialNameOffset: right after the entry */
  put16(b, 22, 2);  /* NumberOfExpandedNames */
  o = 8 + 34;
  o += ascii16(b + o, "\\EXAMPLE");
  put16(b, 24, (uint16_t)(o - 8)); /* ExpandedNameOffset */
  o += ascii16(b + o, "\\dc1.example.com");
  o += ascii16(b + o, "\\dc2.example.com");
  len = o;

  assert_int_equal(decode_exact(b, len, &r), 0);
  assert_int_equal(r->n, 1);
  assert_int_equal(r->version, 3);
  assert_int_equal(r->ttl, 300);
  assert_int_equal(r->e[0].name_list, 1);
  assert_int_equal(r->e[0].size, 34);
  assert_string_equal(r->e[0].special_name, "\\EXAMPLE");
  assert_int_equal(r->e[0].n_expanded, 2);
  assert_string_equal(r->e[0].expanded[0], "\\dc1.example.com");
  assert_string_equal(r->e[0].expanded[1], "\\dc2.example.com");
  assert_null(r->e[0].target);

  dfsc__wr_init(&w, out, sizeof out);
  assert_int_equal(dfsc__dfs_referral_encode(&w, r), 0);
  assert_int_equal(w.off, len);
  assert_memory_equal(out, b, len);
  dfsc__dfs_referral_free(r);

  /* The second name without its NUL (the buffer ends before it). */
  assert_int_equal(decode_exact(b, len - 2, &r), DFSC_E_PROTO);
  /* More names than the buffer has strings. */
  put16(b, 22, 3);
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  /* A count that cannot fit at two bytes per name. */
  put16(b, 22, 0xFFFF);
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  put16(b, 22, 2);
  /* ExpandedNameOffset into the fixed part. */
  put16(b, 24, 16);
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  /* ExpandedNameOffset is ignored when there are no names. */
  put16(b, 22, 0);
  assert_int_equal(decode_exact(b, len, &r), 0);
  assert_int_equal(r->e[0].n_expanded, 0);
  assert_null(r->e[0].expanded);
  dfsc__dfs_referral_free(r);
  /* Minimal NameList entry: Size 18, no padding. */
  put16(b, 10, 18);
  assert_int_equal(decode_exact(b, len, &r), 0);
  dfsc__dfs_referral_free(r);
  put16(b, 10, 17);
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
}

/* V4 with two target sets ([MS-DFSC] 2.2.5.4): built with the encoder,
 * checked on the wire, decoded back. */
static void test_v4_target_sets(void **state) {
  char *t[4] = {"\\a1\\s", "\\a2\\s", "\\b1\\s", "\\b2\\s"};
  dfsc_referral_entry e[4];
  dfsc_referral in, *r = NULL;
  uint8_t out[512];
  dfsc_wr w;
  size_t i;
  (void)state;

  memset(e, 0, sizeof e);
  for (i = 0; i < 4; i++) {
    e[i].version = 4;
    e[i].ttl = (uint32_t)(1000 - i);
    e[i].dfs_path = "\\dom\\ns\\link";
    e[i].alt_path = "\\dom\\ns\\link";
    e[i].target = t[i];
    e[i].target_set_boundary = i == 0 || i == 2;
  }
  memset(&in, 0, sizeof in);
  in.path_consumed = 26;
  in.header_flags = DFSC_REF_HDR_STORAGE_SERVERS | DFSC_REF_HDR_TARGET_FAILBACK;
  in.n = 4;
  in.e = e;
  dfsc__wr_init(&w, out, sizeof out);
  assert_int_equal(dfsc__dfs_referral_encode(&w, &in), 0);
  for (i = 0; i < 4; i++) {
    const uint8_t *p = out + 8 + 34 * i;
    assert_int_equal(dfsc__le16(p), 4);
    assert_int_equal(dfsc__le16(p + 2), 34);
    assert_int_equal(dfsc__le16(p + 6), (i == 0 || i == 2) ? 4 : 0);
  }
  assert_int_equal(decode_exact(out, w.off, &r), 0);
  assert_int_equal(r->version, 4);
  assert_int_equal(r->ttl, 997);
  assert_int_equal(r->header_flags, 6);
  for (i = 0; i < 4; i++) {
    assert_int_equal(r->e[i].target_set_boundary, i == 0 || i == 2);
    assert_string_equal(r->e[i].target, t[i]);
    assert_int_equal(r->e[i].ttl, 1000 - i);
  }
  dfsc__dfs_referral_free(r);

  /* TargetSetBoundary means nothing in V3: the bit is kept raw, not read. */
  out[8 + 0] = 3;
  for (i = 1; i < 4; i++)
    out[8 + 34 * i] = 3;
  assert_int_equal(decode_exact(out, w.off, &r), 0);
  assert_int_equal(r->e[0].entry_flags, 4);
  assert_int_equal(r->e[0].target_set_boundary, 0);
  dfsc__dfs_referral_free(r);
}

/* Round trip over every version and layout, with no alt path, an empty
 * string, non-ASCII and a supplementary character. */
static void test_round_trip(void **state) {
  static const char *sup = "\\srv\\\xf0\x9f\x98\x80\\x"; /* U+1F600 */
  char *exp2[2] = {"\\dc1", "\\dc\xc3\xa9"};
  uint16_t v;
  (void)state;

  for (v = 1; v <= 4; v++) {
    dfsc_referral_entry e[3];
    dfsc_referral in, *r = NULL;
    uint8_t out[1024];
    dfsc_wr w;
    size_t i, n = v >= 3 ? 3 : 2;

    memset(e, 0, sizeof e);
    for (i = 0; i < n; i++) {
      e[i].version = v;
      e[i].server_type = (uint16_t)(i & 1);
      e[i].ttl = v == 1 ? 0 : (uint32_t)(50 + i);
      e[i].dfs_path = v == 1 ? NULL : "\\d\\p";
      e[i].alt_path = i == 0 ? NULL : "";
      e[i].target = i == 1 ? (char *)sup : "\\t\xc3\xa4rget\\s";
    }
    if (v == 1)
      for (i = 0; i < n; i++)
        e[i].alt_path = NULL;
    if (v == 2)
      e[1].proximity = 7;
    if (v >= 3) {
      e[2].name_list = 1;
      e[2].dfs_path = e[2].alt_path = e[2].target = NULL;
      e[2].special_name = "\\dom";
      e[2].expanded = exp2;
      e[2].n_expanded = 2;
      e[2].size = 40;
    }
    memset(&in, 0, sizeof in);
    in.path_consumed = 8;
    in.header_flags = 1;
    in.n = n;
    in.e = e;
    dfsc__wr_init(&w, out, sizeof out);
    assert_int_equal(dfsc__dfs_referral_encode(&w, &in), 0);
    assert_int_equal(decode_exact(out, w.off, &r), 0);
    assert_int_equal(r->n, n);
    assert_int_equal(r->version, v);
    assert_int_equal(r->ttl, v == 1 ? 0 : 50);
    for (i = 0; i < n; i++) {
      assert_int_equal(r->e[i].server_type, e[i].server_type);
      assert_int_equal(r->e[i].ttl, e[i].ttl);
      assert_int_equal(r->e[i].proximity, e[i].proximity);
      assert_int_equal(r->e[i].name_list, e[i].name_list);
      check_str(r->e[i].dfs_path, e[i].dfs_path);
      check_str(r->e[i].alt_path, e[i].alt_path);
      check_str(r->e[i].target, e[i].target);
      check_str(r->e[i].special_name, e[i].special_name);
      assert_int_equal(r->e[i].n_expanded, e[i].n_expanded);
    }
    if (v >= 3) {
      assert_int_equal(r->e[2].size, 40);
      assert_string_equal(r->e[2].expanded[1], exp2[1]);
    }
    /* Decoded, re-encoded: same bytes. */
    {
      uint8_t again[1024];
      dfsc_wr w2;
      dfsc__wr_init(&w2, again, sizeof again);
      assert_int_equal(dfsc__dfs_referral_encode(&w2, r), 0);
      assert_int_equal(w2.off, w.off);
      assert_memory_equal(again, out, w.off);
    }
    dfsc__dfs_referral_free(r);
  }
}

static void test_zero_entries(void **state) {
  uint8_t b[8] = {0x10, 0, 0, 0, 2, 0, 0, 0};
  uint8_t pad[12] = {0x10, 0, 0, 0, 2, 0, 0, 0, 0xAA, 0xBB, 0xCC, 0xDD};
  dfsc_referral *r = NULL, in;
  uint8_t out[16];
  dfsc_wr w;
  (void)state;

  assert_int_equal(decode_exact(b, sizeof b, &r), 0);
  assert_int_equal(r->n, 0);
  assert_null(r->e);
  assert_int_equal(r->version, 0);
  assert_int_equal(r->ttl, 0);
  assert_int_equal(r->header_flags, 2);
  assert_int_equal(r->path_consumed, 16);
  dfsc__dfs_referral_free(r);
  /* Trailing padding is ignored ([MS-DFSC] 2.2.4 Padding). */
  assert_int_equal(decode_exact(pad, sizeof pad, &r), 0);
  assert_int_equal(r->n, 0);
  dfsc__dfs_referral_free(r);

  memset(&in, 0, sizeof in);
  in.path_consumed = 16;
  in.header_flags = 2;
  dfsc__wr_init(&w, out, sizeof out);
  assert_int_equal(dfsc__dfs_referral_encode(&w, &in), 0);
  assert_int_equal(w.off, 8);
  assert_memory_equal(out, b, 8);
}

/* --------------------------------------------------------------- hostile */

/* A Samba V3 link response (two entries) to mutate. */
static uint8_t *link2(size_t *len) { return load("samba_link2_l4_v3", len); }

static void test_bad_offsets(void **state) {
  size_t len;
  uint8_t *b = link2(&len);
  dfsc_referral *r = NULL;
  size_t e0 = 8, e1 = 8 + 34;
  (void)state;

  /* NetworkAddressOffset exactly at the end, past it, at 0xFFFF. */
  put16(b, e0 + 16, (uint16_t)(len - e0));
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  put16(b, e0 + 16, (uint16_t)(len - e0 + 2));
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  put16(b, e0 + 16, 0xFFFF);
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  /* The last UTF-16 unit of the buffer is the final NUL: one byte before
   * it starts a string with no terminator in bounds. */
  put16(b, e1 + 16, (uint16_t)(len - 1 - e1));
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  free(b);

  b = link2(&len);
  /* Offsets into the entry's own fixed part (0, 4, 33). */
  put16(b, e0 + 12, 0);
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  put16(b, e0 + 12, 4);
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  put16(b, e0 + 12, 33);
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  free(b);

  b = link2(&len);
  /* DFSAlternatePathOffset 0: no alternate path. */
  put16(b, e1 + 14, 0);
  assert_int_equal(decode_exact(b, len, &r), 0);
  assert_null(r->e[1].alt_path);
  assert_non_null(r->e[0].alt_path);
  dfsc__dfs_referral_free(r);
  /* Strings shared between entries are fine: entry 1 points at entry 0's
   * target (offset relative to entry 1, [MS-DFSC] 2.2.5). */
  put16(b, e1 + 16, (uint16_t)(dfsc__le16(b + e0 + 16) - 34));
  assert_int_equal(decode_exact(b, len, &r), 0);
  assert_string_equal(r->e[1].target, "\\fs2\\data");
  dfsc__dfs_referral_free(r);
  free(b);
}

static void test_no_nul(void **state) {
  size_t len;
  uint8_t *b = link2(&len);
  dfsc_referral *r = NULL;
  (void)state;

  /* Replace the final NUL of the last string: no terminator in bounds. */
  b[len - 2] = 'A';
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  /* A NUL split across the UTF-16 grid (odd offset) does not count. */
  b[len - 2] = 0;
  b[len - 1] = 'A';
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  free(b);
}

static void test_bad_sizes(void **state) {
  size_t len;
  uint8_t *b = link2(&len);
  dfsc_referral *r = NULL;
  uint16_t s;
  (void)state;

  for (s = 0; s < 34; s++) {
    put16(b, 8 + 2, s);
    assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  }
  /* Size past the buffer. */
  put16(b, 8 + 2, (uint16_t)(len - 8 + 1));
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  /* Size of the first entry that puts the second one where the strings
   * are: its VersionNumber is then a character. */
  put16(b, 8 + 2, 68);
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  free(b);

  /* V2 Size below 22. */
  b = load("samba_link1_l1_v2", &len);
  put16(b, 8 + 2, 21);
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  put16(b, 8 + 2, 22);
  assert_int_equal(decode_exact(b, len, &r), 0);
  dfsc__dfs_referral_free(r);
  free(b);
}

static void test_bad_versions(void **state) {
  size_t len;
  uint8_t *b = link2(&len);
  dfsc_referral *r = NULL;
  (void)state;

  put16(b, 8 + 34, 4); /* second entry says V4: versions differ */
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  put16(b, 8 + 34, 3);
  put16(b, 8, 0);
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  put16(b, 8, 5);
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  put16(b, 8, 3);
  assert_int_equal(decode_exact(b, len, &r), 0);
  dfsc__dfs_referral_free(r);
  free(b);
}

static void test_bad_counts(void **state) {
  size_t len;
  uint8_t *b = link2(&len);
  dfsc_referral *r = NULL;
  (void)state;

  put16(b, 2, 0xFFFF);
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  /* Three entries: the "third" begins in the string buffer. */
  put16(b, 2, 3);
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  /* One entry is fine: the rest is just unreferenced bytes. */
  put16(b, 2, 1);
  assert_int_equal(decode_exact(b, len, &r), 0);
  assert_int_equal(r->n, 1);
  dfsc__dfs_referral_free(r);
  free(b);

  assert_int_equal(dfsc__dfs_referral_decode((const uint8_t *)"", 0, &r), DFSC_E_PROTO);
  assert_null(r);
  assert_int_equal(dfsc__dfs_referral_decode(NULL, 0, &r), DFSC_E_PROTO);
  assert_int_equal(dfsc__dfs_referral_decode(NULL, 8, &r), -EINVAL);
  assert_int_equal(dfsc__dfs_referral_decode((const uint8_t *)"12345678", 8, NULL),
                   -EINVAL);
}

static void test_bad_utf16(void **state) {
  size_t len;
  uint8_t *b = link2(&len);
  dfsc_referral *r = NULL;
  (void)state;

  /* The last string's last character becomes a lone high surrogate. */
  put16(b, len - 4, 0xD800);
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  put16(b, len - 4, 0xDC00);
  assert_int_equal(decode_exact(b, len, &r), DFSC_E_PROTO);
  /* A proper pair decodes. */
  put16(b, len - 6, 0xD83D);
  put16(b, len - 4, 0xDE00);
  assert_int_equal(decode_exact(b, len, &r), 0);
  assert_string_equal(r->e[1].target, "\\fs3\\data\\s\xf0\x9f\x98\x80");
  dfsc__dfs_referral_free(r);
  free(b);
}

/* Builds n minimal V1 entries (empty ShareName). */
static uint8_t *v1_many(size_t n, size_t *len) {
  uint8_t *b = calloc(1, 8 + n * 10);
  size_t i;
  assert_non_null(b);
  put16(b, 2, (uint16_t)n);
  for (i = 0; i < n; i++) {
    put16(b, 8 + 10 * i, 1);
    put16(b, 8 + 10 * i + 2, 10);
  }
  *len = 8 + n * 10;
  return b;
}

static void test_caps(void **state) {
  size_t len, i;
  uint8_t *b;
  dfsc_referral *r = NULL;
  (void)state;

  b = v1_many(DFSC_REF_MAX_ENTRIES, &len);
  assert_int_equal(dfsc__dfs_referral_decode(b, len, &r), 0);
  assert_int_equal(r->n, DFSC_REF_MAX_ENTRIES);
  assert_string_equal(r->e[DFSC_REF_MAX_ENTRIES - 1].target, "");
  dfsc__dfs_referral_free(r);
  free(b);
  b = v1_many(DFSC_REF_MAX_ENTRIES + 1, &len);
  assert_int_equal(dfsc__dfs_referral_decode(b, len, &r), DFSC_E_TOOBIG);
  assert_null(r);
  free(b);

  /* One string of exactly the cap, then one unit longer. */
  for (i = 0; i < 2; i++) {
    size_t n16 = DFSC_REF_MAX_STR16 + 2 * i, k;
    len = 8 + 10 + n16;
    b = calloc(1, len);
    assert_non_null(b);
    put16(b, 2, 1);
    put16(b, 8, 1);
    put16(b, 10, (uint16_t)(len - 8));
    for (k = 0; k < n16; k += 2)
      b[16 + k] = 'a';
    assert_int_equal(dfsc__dfs_referral_decode(b, len, &r), i == 0 ? 0 : DFSC_E_TOOBIG);
    if (i == 0) {
      assert_int_equal(strlen(r->e[0].target), DFSC_REF_MAX_STR16 / 2);
      dfsc__dfs_referral_free(r);
    }
    free(b);
  }

  /* Expanded names: the cap, then one more. */
  for (i = 0; i < 2; i++) {
    size_t names = DFSC_REF_MAX_NAMES + i, k;
    len = 8 + 18 + 2 + 4 * names;
    b = calloc(1, len);
    assert_non_null(b);
    put16(b, 2, 1);
    put16(b, 8, 3);
    put16(b, 10, 18);
    put16(b, 14, DFSC_REF_ENT_NAME_LIST_REFERRAL);
    put16(b, 20, 18); /* special name: "" */
    put16(b, 22, (uint16_t)names);
    put16(b, 24, 20);
    for (k = 0; k < names; k++)
      b[8 + 20 + 4 * k] = 'x';
    assert_int_equal(dfsc__dfs_referral_decode(b, len, &r), i == 0 ? 0 : DFSC_E_TOOBIG);
    if (i == 0) {
      assert_int_equal(r->e[0].n_expanded, names);
      assert_string_equal(r->e[0].expanded[names - 1], "x");
      dfsc__dfs_referral_free(r);
    }
    free(b);
  }
}

/* 2900 V2 entries all pointing at one 15 000-character string: a 94 KiB
 * buffer that would decode to 87 MB. */
static void test_shared_string_amplification(void **state) {
  size_t n = 2900, n16 = 30000, len = 8 + n * 22 + n16 + 2, i;
  uint8_t *b = calloc(1, len);
  dfsc_referral *r = NULL;
  (void)state;

  assert_non_null(b);
  put16(b, 2, (uint16_t)n);
  for (i = 0; i < n; i++) {
    size_t eoff = 8 + 22 * i;
    size_t rel = 8 + n * 22 - eoff;
    put16(b, eoff, 2);
    put16(b, eoff + 2, 22);
    assert_true(rel <= 0xFFFF);
    put16(b, eoff + 16, (uint16_t)rel);
    put16(b, eoff + 20, (uint16_t)rel);
  }
  for (i = 0; i < n16; i += 2)
    b[8 + n * 22 + i] = 'z';
  /* Valid in every field: only the decode cap stops it. */
  assert_int_equal(dfsc__dfs_referral_decode(b, len, &r), DFSC_E_TOOBIG);
  assert_null(r);
  free(b);
}

static int fail_alloc;
static void *failing_malloc(size_t n) { return fail_alloc ? NULL : malloc(n); }

static void test_enomem(void **state) {
  size_t len;
  uint8_t *b = link2(&len);
  dfsc_referral *r = (dfsc_referral *)1;
  (void)state;

  assert_int_equal(dfsc_replace_allocator(failing_malloc, realloc, calloc, free), 0);
  fail_alloc = 1;
  assert_int_equal(dfsc__dfs_referral_decode(b, len, &r), -ENOMEM);
  assert_null(r);
  fail_alloc = 0;
  assert_int_equal(dfsc__dfs_referral_decode(b, len, &r), 0);
  dfsc__dfs_referral_free(r);
  assert_int_equal(dfsc_replace_allocator(malloc, realloc, calloc, free), 0);
  dfsc__dfs_referral_free(NULL);
  free(b);
}

/* --------------------------------------------------------------- encoder */

static void test_encode_errors(void **state) {
  dfsc_referral_entry e[2];
  dfsc_referral in;
  uint8_t out[256];
  dfsc_wr w;
  size_t cap, full;
  (void)state;

  memset(e, 0, sizeof e);
  e[0].version = e[1].version = 3;
  e[0].dfs_path = e[1].dfs_path = "\\a\\b";
  e[0].target = e[1].target = "\\c\\d";
  memset(&in, 0, sizeof in);
  in.n = 2;
  in.e = e;

  dfsc__wr_init(&w, out, sizeof out);
  assert_int_equal(dfsc__dfs_referral_encode(&w, &in), 0);
  full = w.off;
  for (cap = 0; cap < full; cap++) {
    dfsc__wr_init(&w, out, cap);
    assert_int_equal(dfsc__dfs_referral_encode(&w, &in), DFSC_E_NOSPACE);
  }

  e[1].version = 2;
  dfsc__wr_init(&w, out, sizeof out);
  assert_int_equal(dfsc__dfs_referral_encode(&w, &in), -EINVAL);
  e[1].version = 3;
  e[1].target = NULL;
  assert_int_equal(dfsc__dfs_referral_encode(&w, &in), -EINVAL);
  e[1].target = "\\c\xff";
  assert_int_equal(dfsc__dfs_referral_encode(&w, &in), -EILSEQ);
  e[1].target = "\\c\\d";
  e[1].name_list = 1; /* NameList without a special name */
  assert_int_equal(dfsc__dfs_referral_encode(&w, &in), -EINVAL);
  e[1].name_list = 0;
  e[0].version = e[1].version = 5;
  assert_int_equal(dfsc__dfs_referral_encode(&w, &in), -EINVAL);
  in.e = NULL;
  assert_int_equal(dfsc__dfs_referral_encode(&w, &in), -EINVAL);
  assert_int_equal(dfsc__dfs_referral_encode(&w, NULL), -EINVAL);
}

/* Strings more than 64 KiB after their entry cannot be addressed. */
static void test_encode_offset_overflow(void **state) {
  size_t n = 40000, k;
  char *big = malloc(n + 1);
  dfsc_referral_entry e[2];
  dfsc_referral in;
  uint8_t *out = malloc(1 << 20);
  dfsc_wr w;
  (void)state;

  assert_non_null(big);
  assert_non_null(out);
  for (k = 0; k < n; k++)
    big[k] = 'q';
  big[n] = '\0';
  memset(e, 0, sizeof e);
  e[0].version = e[1].version = 2;
  e[0].dfs_path = e[0].target = big;
  e[1].dfs_path = e[1].target = "\\x";
  memset(&in, 0, sizeof in);
  in.n = 2;
  in.e = e;
  dfsc__wr_init(&w, out, 1 << 20);
  assert_int_equal(dfsc__dfs_referral_encode(&w, &in), -EINVAL);
  free(big);
  free(out);
}

/* --------------------------------------------------------------- request */

static void test_ex_req(void **state) {
  static const uint8_t want[] = {
      4, 0, 0,    0, 10,  0, 0,    0,         /* level, flags, data length */
      8, 0, '\\', 0, 'a', 0, '\\', 0, 'b', 0, /* RequestFileName */
  };
  static const uint8_t want_site[] = {
      3, 0,    1, 0,   18, 0, 0, 0,   8, 0,    '\\', 0,   'a',
      0, '\\', 0, 'b', 0,  6, 0, 'S', 0, 0xE9, 0,    '1', 0, /* SiteName "Sé1" */
  };
  uint8_t out[64];
  dfsc_wr w;
  size_t cap;
  (void)state;

  dfsc__wr_init(&w, out, sizeof out);
  assert_int_equal(dfsc__dfs_referral_ex_req_build(&w, 4, "\\a\\b", NULL), 0);
  assert_int_equal(w.off, sizeof want);
  assert_memory_equal(out, want, sizeof want);

  dfsc__wr_init(&w, out, sizeof out);
  assert_int_equal(dfsc__dfs_referral_ex_req_build(&w, 3, "\\a\\b",
                                                   "S\xc3\xa9"
                                                   "1"),
                   0);
  assert_int_equal(w.off, sizeof want_site);
  assert_memory_equal(out, want_site, sizeof want_site);

  for (cap = 0; cap < sizeof want_site; cap++) {
    dfsc__wr_init(&w, out, cap);
    assert_int_equal(dfsc__dfs_referral_ex_req_build(&w, 3, "\\a\\b",
                                                     "S\xc3\xa9"
                                                     "1"),
                     DFSC_E_NOSPACE);
  }
  dfsc__wr_init(&w, out, sizeof out);
  assert_int_equal(dfsc__dfs_referral_ex_req_build(&w, 4, "\\a\xc3", NULL), -EILSEQ);
  assert_int_equal(dfsc__dfs_referral_ex_req_build(&w, 4, "\\a", "\xff"), -EILSEQ);
  assert_int_equal(dfsc__dfs_referral_ex_req_build(&w, 4, NULL, NULL), -EINVAL);
}

/* ---------------------------------------------------------- PathConsumed */

static void consumed(const char *path, uint16_t pc, int want_rc, size_t want_len) {
  size_t got = 12345;
  int rc = dfsc__dfs_referral_consumed_utf8(path, strlen(path), pc, &got);
  print_message("path '%s' pc %u\n", path, pc);
  assert_int_equal(rc, want_rc);
  assert_int_equal(got, want_rc == 0 ? want_len : 0);
}

static void test_consumed(void **state) {
  const char *p = "\\srv\\share\\link\\f";
  const char *u = "\\h\\\xc3\xa9t\xc3\xa9\\x"; /* \h\été\x */
  const char *s = "\\h\\a\xf0\x9f\x98\x80"
                  "b\\x"; /* U+1F600: 2 units */
  (void)state;

  consumed(p, 0, 0, 0);
  consumed(p, 2 * 10, 0, 10);           /* \srv\share */
  consumed(p, 2 * 15, 0, 15);           /* \srv\share\link */
  consumed(p, 2 * 17, 0, 17);           /* whole path */
  consumed(p, 2 * 16, 0, 15);           /* counted the '\' after link */
  consumed(p, 2 * 11, 0, 10);           /* ... after share */
  consumed(p, 2 * 13, DFSC_E_PROTO, 0); /* inside "link" */
  consumed(p, 2 * 18, DFSC_E_PROTO, 0); /* past the end */
  consumed(p, 0xFFFE, DFSC_E_PROTO, 0);
  consumed(p, 2 * 10 + 1, DFSC_E_PROTO, 0); /* odd */
  consumed(p, 1, DFSC_E_PROTO, 0);
  consumed(u, 2 * 6, 0, 8); /* \h\été: 6 units, 8 bytes */
  consumed(u, 2 * 5, DFSC_E_PROTO, 0);
  consumed(s, 2 * 7, 0, 9);            /* \h\a😀b: 7 units, 9 bytes */
  consumed(s, 2 * 5, DFSC_E_PROTO, 0); /* splits the surrogate pair */
  consumed("/h/s/l", 2 * 4, 0, 4);     /* '/' separators */

  {
    size_t got = 9;
    assert_int_equal(dfsc__dfs_referral_consumed_utf8("\\a\xff", 3, 2, &got), -EILSEQ);
    assert_int_equal(dfsc__dfs_referral_consumed_utf8(NULL, 0, 0, &got), -EINVAL);
    assert_int_equal(dfsc__dfs_referral_consumed_utf8("\\a", 2, 2, NULL), -EINVAL);
    /* Only the first path_len bytes count. */
    assert_int_equal(dfsc__dfs_referral_consumed_utf8("\\ab\\c", 3, 6, &got), 0);
    assert_int_equal(got, 3);
    assert_int_equal(dfsc__dfs_referral_consumed_utf8("\\ab\\c", 3, 8, &got), DFSC_E_PROTO);
  }
}

/* ----------------------------------------------------------------- names */

static void test_names(void **state) {
  char buf[64];
  size_t n;
  (void)state;

  n = dfsc__dfs_ref_flags_format(dfsc__dfs_ref_header_flag_names, 3, buf, sizeof buf);
  assert_string_equal(buf, "ReferralServers|StorageServers");
  assert_int_equal(n, strlen(buf));
  n = dfsc__dfs_ref_flags_format(dfsc__dfs_ref_header_flag_names, 0x14, buf, sizeof buf);
  assert_string_equal(buf, "TargetFailback|0x10");
  assert_int_equal(n, strlen(buf));
  n = dfsc__dfs_ref_flags_format(dfsc__dfs_ref_entry_flag_names, 6, buf, sizeof buf);
  assert_string_equal(buf, "NameListReferral|TargetSetBoundary");
  n = dfsc__dfs_ref_flags_format(dfsc__dfs_ref_entry_flag_names, 0, buf, sizeof buf);
  assert_string_equal(buf, "0");
  assert_int_equal(n, 1);
  n = dfsc__dfs_ref_flags_format(dfsc__dfs_ref_entry_flag_names, 0x8001, buf, sizeof buf);
  assert_string_equal(buf, "0x8001");
  /* Truncation keeps a NUL and reports the full length. */
  n = dfsc__dfs_ref_flags_format(dfsc__dfs_ref_header_flag_names, 7, buf, 10);
  assert_string_equal(buf, "ReferralS");
  assert_int_equal(n, strlen("ReferralServers|StorageServers|TargetFailback"));
  n = dfsc__dfs_ref_flags_format(dfsc__dfs_ref_header_flag_names, 0x40000001, buf, 20);
  assert_string_equal(buf, "ReferralServers|0x4");
  assert_int_equal(n, strlen("ReferralServers|0x40000000"));
  n = dfsc__dfs_ref_flags_format(dfsc__dfs_ref_header_flag_names, 1, NULL, 0);
  assert_int_equal(n, strlen("ReferralServers"));
  assert_string_equal(dfsc__dfs_ref_server_type_name(0), "non-root");
  assert_string_equal(dfsc__dfs_ref_server_type_name(1), "root");
  assert_string_equal(dfsc__dfs_ref_server_type_name(9), "unknown");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_golden_decode),
      cmocka_unit_test(test_golden_reencode),
      cmocka_unit_test(test_golden_truncated),
      cmocka_unit_test(test_pathconsumed_golden),
      cmocka_unit_test(test_v1),
      cmocka_unit_test(test_v3_namelist_two_dcs),
      cmocka_unit_test(test_v4_target_sets),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_zero_entries),
      cmocka_unit_test(test_bad_offsets),
      cmocka_unit_test(test_no_nul),
      cmocka_unit_test(test_bad_sizes),
      cmocka_unit_test(test_bad_versions),
      cmocka_unit_test(test_bad_counts),
      cmocka_unit_test(test_bad_utf16),
      cmocka_unit_test(test_caps),
      cmocka_unit_test(test_shared_string_amplification),
      cmocka_unit_test(test_enomem),
      cmocka_unit_test(test_encode_errors),
      cmocka_unit_test(test_encode_offset_overflow),
      cmocka_unit_test(test_ex_req),
      cmocka_unit_test(test_consumed),
      cmocka_unit_test(test_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
