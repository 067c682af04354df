/* DFS referral codec ([MS-DFSC] 2.2.3 - 2.2.5): RESP_GET_DFS_REFERRAL
 * decode / encode, REQ_GET_DFS_REFERRAL_EX build, PathConsumed mapping and
 * flag names. See referral.h for the contract.
 *
 * The decoder walks the buffer twice with the same code: the first walk
 * validates every field and measures the result, the second fills one
 * allocation of exactly that size. Nothing is allocated for a buffer that
 * fails validation, and the second walk cannot meet data the first did not.
 *
 * Does not: interpret referrals (resolver), talk to the network, log.
 */
#include "dfs/referral.h"

#include <errno.h>
#include <stdalign.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/utf16.h"
#include "dfsc/errors.h"

#define HDR_SIZE 8u     /* PathConsumed, NumberOfReferrals, ReferralHeaderFlags */
#define ENTRY_COMMON 8u /* VersionNumber, Size, ServerType, ReferralEntryFlags */

/* --------------------------------------------------------------- decoding */

/* One walk over the buffer. In the measuring walk `r` is NULL and only the
 * counters move; in the filling walk strings land in `str`. */
typedef struct walk {
  const uint8_t *buf;
  size_t len;
  dfsc_referral *r;
  char **names; /* filling: next free expanded-name slot */
  char *str;    /* filling: next free string byte */
  size_t str_left;
  size_t n_names;   /* measuring: expanded names seen */
  size_t str_bytes; /* measuring: UTF-8 bytes incl. NULs */
} walk;

/* UTF-8 size of n16 bytes of UTF-16LE, or -EILSEQ for an unpaired
 * surrogate. The input holds no NUL (the caller stopped at the first). */
static long utf16_measure(const uint8_t *p, size_t n16) {
  size_t i, out = 0;

  for (i = 0; i + 1 < n16; i += 2) {
    uint16_t u = dfsc__le16(p + i);
    if (u >= 0xD800 && u < 0xDC00) {
      uint16_t lo;
      if (i + 3 >= n16)
        return -EILSEQ;
      lo = dfsc__le16(p + i + 2);
      if (lo < 0xDC00 || lo > 0xDFFF)
        return -EILSEQ;
      out += 4;
      i += 2;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      return -EILSEQ;
    } else {
      out += u < 0x80 ? 1 : u < 0x800 ? 2 : 3;
    }
  }
  return (long)out;
}

/* Finds the NUL-terminated UTF-16LE string at buf[at..end): *n16 gets its
 * byte length without the NUL. */
static int str_locate(const uint8_t *buf, size_t end, size_t at, size_t *n16) {
  size_t i;

  if (at >= end)
    return DFSC_E_PROTO;
  for (i = 0; end - at >= 2 && i <= end - at - 2; i += 2) {
    if (buf[at + i] == 0 && buf[at + i + 1] == 0) {
      *n16 = i;
      return 0;
    }
    if (i >= DFSC_REF_MAX_STR16)
      return DFSC_E_TOOBIG;
  }
  return DFSC_E_PROTO;
}

/* Takes the string at buf[at..end): measures it, or converts it into the
 * arena and stores it in *dst. *next (optional) gets the offset after the
 * NUL. */
static int take_str(walk *k, size_t end, size_t at, char **dst, size_t *next) {
  size_t n16 = 0;
  long u8;
  int rc;

  rc = str_locate(k->buf, end, at, &n16);
  if (rc < 0)
    return rc;
  u8 = utf16_measure(k->buf + at, n16);
  if (u8 < 0)
    return DFSC_E_PROTO;
  if (next != NULL)
    *next = at + n16 + 2;
  if (k->r == NULL) {
    k->str_bytes += (size_t)u8 + 1;
    /* Strings may be shared between entries, so the sum, not the buffer
     * size, bounds what a peer can make us allocate. */
    if (k->str_bytes > DFSC_REF_MAX_DECODED)
      return DFSC_E_TOOBIG;
    return 0;
  }
  u8 = dfsc__utf16_to_utf8(k->buf + at, n16, k->str, k->str_left);
  if (u8 < 0)
    return DFSC_E_PROTO;
  *dst = k->str;
  k->str += (size_t)u8 + 1;
  k->str_left -= (size_t)u8 + 1;
  return 0;
}

/* A string referenced from the entry at `eoff` by a 16-bit offset
 * ([MS-DFSC] 2.2.5: relative to the start of the entry). Offsets into the
 * entry's own fixed fields are never a string. */
static int take_ref(walk *k, size_t eoff, size_t fixed, uint16_t rel, char **dst) {
  if (rel < fixed)
    return DFSC_E_PROTO;
  return take_str(k, k->len, eoff + rel, dst, NULL);
}

static int walk_namelist(walk *k, size_t eoff, dfsc_referral_entry *e) {
  const uint8_t *p = k->buf + eoff;
  uint16_t special = dfsc__le16(p + 12);
  uint16_t n_exp = dfsc__le16(p + 14);
  uint16_t exp_off = dfsc__le16(p + 16);
  size_t at, i;
  int rc;

  rc = take_ref(k, eoff, DFSC_REF_V3_NAMELIST_FIXED, special, e ? &e->special_name : NULL);
  if (rc < 0 || n_exp == 0)
    return rc;
  /* [MS-DFSC] 2.2.5.3.2: NumberOfExpandedNames strings, back to back,
   * from ExpandedNameOffset. */
  if (exp_off < DFSC_REF_V3_NAMELIST_FIXED)
    return DFSC_E_PROTO;
  at = eoff + exp_off;
  if (at >= k->len || (k->len - at) / 2 < n_exp)
    return DFSC_E_PROTO;
  if (k->r == NULL) {
    if (n_exp > DFSC_REF_MAX_NAMES - k->n_names)
      return DFSC_E_TOOBIG;
    k->n_names += n_exp;
  } else {
    e->expanded = k->names;
    e->n_expanded = n_exp;
    k->names += n_exp;
  }
  for (i = 0; i < n_exp; i++) {
    rc = take_str(k, k->len, at, e ? &e->expanded[i] : NULL, &at);
    if (rc < 0)
      return rc;
  }
  return 0;
}

static int walk_entry(walk *k, size_t eoff, uint16_t version, size_t *size_out) {
  const uint8_t *p = k->buf + eoff;
  dfsc_referral_entry *e = NULL;
  uint16_t size = dfsc__le16(p + 2);
  uint16_t flags = dfsc__le16(p + 6);
  int name_list = version >= 3 && (flags & DFSC_REF_ENT_NAME_LIST_REFERRAL);
  size_t fixed;
  int rc;

  switch (version) {
  case 1:
    fixed = DFSC_REF_V1_FIXED + 2; /* at least the ShareName NUL */
    break;
  case 2:
    fixed = DFSC_REF_V2_FIXED;
    break;
  default:
    fixed = name_list ? DFSC_REF_V3_NAMELIST_FIXED : DFSC_REF_V3_FIXED;
    break;
  }
  if (size < fixed || size > k->len - eoff)
    return DFSC_E_PROTO;
  *size_out = size;

  if (k->r != NULL) {
    e = &k->r->e[k->r->n];
    e->version = version;
    e->size = size;
    e->server_type = dfsc__le16(p + 4);
    e->entry_flags = flags;
    e->name_list = name_list;
    e->target_set_boundary = version == 4 && (flags & DFSC_REF_ENT_TARGET_SET_BOUNDARY);
  }

  switch (version) {
  case 1:
    /* [MS-DFSC] 2.2.5.1: ShareName is inline and inside Size. */
    return take_str(k, eoff + size, eoff + DFSC_REF_V1_FIXED, e ? &e->target : NULL, NULL);
  case 2:
    if (e != NULL) {
      e->proximity = dfsc__le32(p + 8);
      e->ttl = dfsc__le32(p + 12);
    }
    rc = take_ref(k, eoff, fixed, dfsc__le16(p + 16), e ? &e->dfs_path : NULL);
    if (rc == 0 && dfsc__le16(p + 18) != 0)
      rc = take_ref(k, eoff, fixed, dfsc__le16(p + 18), e ? &e->alt_path : NULL);
    if (rc == 0)
      rc = take_ref(k, eoff, fixed, dfsc__le16(p + 20), e ? &e->target : NULL);
    return rc;
  default:
    if (e != NULL)
      e->ttl = dfsc__le32(p + 8);
    if (name_list)
      return walk_namelist(k, eoff, e);
    /* [MS-DFSC] 2.2.5.3.1; ServiceSiteGuid (16 bytes) is ignored. */
    rc = take_ref(k, eoff, fixed, dfsc__le16(p + 12), e ? &e->dfs_path : NULL);
    if (rc == 0 && dfsc__le16(p + 14) != 0)
      rc = take_ref(k, eoff, fixed, dfsc__le16(p + 14), e ? &e->alt_path : NULL);
    if (rc == 0)
      rc = take_ref(k, eoff, fixed, dfsc__le16(p + 16), e ? &e->target : NULL);
    return rc;
  }
}

static int walk_all(walk *k, size_t n) {
  size_t off = HDR_SIZE, i, size = 0;
  uint16_t version = 0;
  int rc;

  for (i = 0; i < n; i++) {
    uint16_t v;
    if (k->len - off < ENTRY_COMMON)
      return DFSC_E_PROTO;
    v = dfsc__le16(k->buf + off);
    /* [MS-DFSC] 2.2.5: every entry carries the same VersionNumber. */
    if (v < 1 || v > 4 || (i > 0 && v != version))
      return DFSC_E_PROTO;
    version = v;
    rc = walk_entry(k, off, v, &size);
    if (rc < 0)
      return rc;
    if (k->r != NULL) {
      dfsc_referral_entry *e = &k->r->e[k->r->n++];
      if (v >= 2 && (k->r->ttl == 0 || e->ttl < k->r->ttl))
        k->r->ttl = e->ttl;
    }
    /* [MS-DFSC] 3.1.5.4: the next entry is Size bytes further. */
    off += size;
  }
  if (k->r != NULL)
    k->r->version = version;
  return 0;
}

static size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

int dfsc__dfs_referral_decode(const uint8_t *buf, size_t len, dfsc_referral **out) {
  walk k;
  dfsc_referral *r = NULL;
  size_t n, off_e, off_names, off_str, total;
  int rc;

  if (out == NULL)
    return -EINVAL;
  *out = NULL;
  if (buf == NULL && len != 0)
    return -EINVAL;
  if (len < HDR_SIZE)
    return DFSC_E_PROTO;
  n = dfsc__le16(buf + 2);
  /* Each entry takes at least its common part: a count the buffer cannot
   * hold is malformed, a count it can hold past the cap is too big. */
  if (n > (len - HDR_SIZE) / ENTRY_COMMON)
    return DFSC_E_PROTO;
  if (n > DFSC_REF_MAX_ENTRIES)
    return DFSC_E_TOOBIG;

  memset(&k, 0, sizeof(k));
  k.buf = buf;
  k.len = len;
  rc = walk_all(&k, n);
  if (rc < 0)
    return rc;

  off_e = round_up(sizeof(dfsc_referral), alignof(dfsc_referral_entry));
  off_names = round_up(off_e + n * sizeof(dfsc_referral_entry), alignof(char *));
  off_str = off_names + k.n_names * sizeof(char *);
  total = off_str + k.str_bytes; /* k.str_bytes <= DFSC_REF_MAX_DECODED */
  r = dfsc__malloc(total);
  if (r == NULL)
    return -ENOMEM;
  memset(r, 0, off_str);
  r->path_consumed = dfsc__le16(buf);
  r->path_consumed_chars = r->path_consumed / 2u;
  r->header_flags = dfsc__le32(buf + 4);
  r->e = n ? (dfsc_referral_entry *)((char *)r + off_e) : NULL;

  k.r = r;
  k.names = (char **)((char *)r + off_names);
  k.str = (char *)r + off_str;
  k.str_left = k.str_bytes;
  rc = walk_all(&k, n);
  if (rc < 0) {
    /* Unreachable unless the two walks disagree; fail closed. */
    dfsc__free(r);
    return DFSC_E_PROTO;
  }
  *out = r;
  return 0;
}

void dfsc__dfs_referral_free(dfsc_referral *r) { dfsc__free(r); }

/* --------------------------------------------------------------- encoding */

static long str16_size(const char *s) {
  long n;
  if (s == NULL)
    return 0;
  n = dfsc__utf8_to_utf16_len(s, strlen(s));
  return n < 0 ? n : n + 2;
}

static size_t entry_min_size(const dfsc_referral_entry *e, long target16) {
  switch (e->version) {
  case 1:
    return DFSC_REF_V1_FIXED + (size_t)target16;
  case 2:
    return DFSC_REF_V2_FIXED;
  default:
    return e->name_list ? DFSC_REF_V3_NAMELIST_FIXED : DFSC_REF_V3_FIXED;
  }
}

/* Checks e and returns the UTF-16 bytes its strings take in the string
 * buffer (V1: 0, its string is inline), or a negative code. */
static long entry_strings(const dfsc_referral_entry *e) {
  long sum = 0, n;
  size_t i;

  if (e->version == 1)
    return e->target == NULL ? -EINVAL : 0;
  if (e->version >= 3 && e->name_list) {
    if (e->special_name == NULL || e->n_expanded > 0xFFFF ||
        (e->n_expanded > 0 && e->expanded == NULL))
      return -EINVAL;
    sum = str16_size(e->special_name);
    for (i = 0; i < e->n_expanded && sum >= 0; i++) {
      if (e->expanded[i] == NULL)
        return -EINVAL;
      n = str16_size(e->expanded[i]);
      sum = n < 0 ? n : sum + n;
    }
    return sum;
  }
  if (e->dfs_path == NULL || e->target == NULL)
    return -EINVAL;
  n = str16_size(e->dfs_path);
  if (n < 0)
    return n;
  sum = n;
  n = str16_size(e->alt_path);
  if (n < 0)
    return n;
  sum += n;
  n = str16_size(e->target);
  return n < 0 ? n : sum + n;
}

static void wr_str(dfsc_wr *w, const char *s) {
  (void)dfsc__utf8_to_utf16_wr(w, s, strlen(s)); /* validated by the sizing pass */
  dfsc__wr_u16(w, 0);
}

/* Offset of a string at stream position `at` from the entry at `eoff`
 * ([MS-DFSC] 2.2.5); -EINVAL when it does not fit the 16-bit field. */
static int rel16(size_t at, size_t eoff, uint16_t *out) {
  if (at - eoff > 0xFFFF)
    return -EINVAL;
  *out = (uint16_t)(at - eoff);
  return 0;
}

/* Size of e on the wire and the bytes its strings take in the string
 * buffer; checks e. */
static int entry_layout(const dfsc_referral_entry *e, uint16_t version, size_t *sz,
                        size_t *strs) {
  long s16, t16 = 0;
  size_t min;

  if (e->version < 1 || e->version > 4 || e->version != version)
    return -EINVAL;
  s16 = entry_strings(e);
  if (s16 < 0)
    return (int)s16;
  if (e->version == 1) {
    t16 = str16_size(e->target);
    if (t16 < 0)
      return (int)t16;
  }
  min = entry_min_size(e, t16);
  *sz = e->size > min ? e->size : min;
  *strs = (size_t)s16;
  return *sz > 0xFFFF ? -EINVAL : 0;
}

int dfsc__dfs_referral_encode(dfsc_wr *w, const dfsc_referral *r) {
  size_t i, j, sz, strs, soff;
  uint16_t version;
  int rc;

  if (w == NULL || r == NULL || (r->n > 0 && r->e == NULL) || r->n > 0xFFFF)
    return -EINVAL;
  version = r->n > 0 ? r->e[0].version : 0;

  /* The string buffer starts after the last entry. */
  soff = w->off + HDR_SIZE;
  for (i = 0; i < r->n; i++) {
    rc = entry_layout(&r->e[i], version, &sz, &strs);
    if (rc < 0)
      return rc;
    soff += sz;
  }

  dfsc__wr_u16(w, r->path_consumed);
  dfsc__wr_u16(w, (uint16_t)r->n);
  dfsc__wr_u32(w, r->header_flags);

  /* On an error below, w holds a partial response: callers discard it. */
  for (i = 0; i < r->n; i++) {
    const dfsc_referral_entry *e = &r->e[i];
    size_t eoff = w->off;
    uint16_t flags = e->entry_flags, o1 = 0, o2 = 0, o3 = 0;

    (void)entry_layout(e, version, &sz, &strs);
    if (e->version >= 3)
      flags = (uint16_t)(e->name_list ? flags | DFSC_REF_ENT_NAME_LIST_REFERRAL
                                      : flags & ~DFSC_REF_ENT_NAME_LIST_REFERRAL);
    if (e->version == 4)
      flags =
          (uint16_t)(e->target_set_boundary ? flags | DFSC_REF_ENT_TARGET_SET_BOUNDARY
                                            : flags & ~DFSC_REF_ENT_TARGET_SET_BOUNDARY);
    dfsc__wr_u16(w, e->version);
    dfsc__wr_u16(w, (uint16_t)sz);
    dfsc__wr_u16(w, e->server_type);
    dfsc__wr_u16(w, flags);
    if (e->version == 1) {
      wr_str(w, e->target);
    } else if (e->version == 2 || !e->name_list) {
      size_t a = soff + (size_t)str16_size(e->dfs_path);
      size_t t = a + (size_t)str16_size(e->alt_path);
      if (rel16(soff, eoff, &o1) < 0 || (e->alt_path && rel16(a, eoff, &o2) < 0) ||
          rel16(t, eoff, &o3) < 0)
        return -EINVAL;
      if (e->version == 2)
        dfsc__wr_u32(w, e->proximity);
      dfsc__wr_u32(w, e->ttl);
      dfsc__wr_u16(w, o1);
      dfsc__wr_u16(w, o2); /* 0: no alternate path */
      dfsc__wr_u16(w, o3);
      if (e->version >= 3)
        dfsc__wr_zero(w, 16); /* ServiceSiteGuid */
    } else {
      size_t x = soff + (size_t)str16_size(e->special_name);
      if (rel16(soff, eoff, &o1) < 0 || (e->n_expanded > 0 && rel16(x, eoff, &o3) < 0))
        return -EINVAL;
      dfsc__wr_u32(w, e->ttl);
      dfsc__wr_u16(w, o1);
      dfsc__wr_u16(w, (uint16_t)e->n_expanded);
      dfsc__wr_u16(w, o3); /* 0 when there are no expanded names */
    }
    if (w->bad)
      return DFSC_E_NOSPACE;
    if (w->off - eoff < sz)
      dfsc__wr_zero(w, sz - (w->off - eoff));
    soff += strs;
  }

  for (i = 0; i < r->n; i++) {
    const dfsc_referral_entry *e = &r->e[i];
    if (e->version == 1)
      continue;
    if (e->version >= 3 && e->name_list) {
      wr_str(w, e->special_name);
      for (j = 0; j < e->n_expanded; j++)
        wr_str(w, e->expanded[j]);
    } else {
      wr_str(w, e->dfs_path);
      if (e->alt_path != NULL)
        wr_str(w, e->alt_path);
      wr_str(w, e->target);
    }
  }
  return w->bad ? DFSC_E_NOSPACE : 0;
}

/* ---------------------------------------------------------------- request */

int dfsc__dfs_referral_ex_req_build(dfsc_wr *w, uint16_t max_level, const char *path,
                                    const char *site) {
  long p16, s16 = 0;
  uint32_t data_len;
  int rc;

  if (w == NULL || path == NULL)
    return -EINVAL;
  p16 = dfsc__utf8_to_utf16_len(path, strlen(path));
  if (p16 < 0)
    return (int)p16;
  if (site != NULL) {
    s16 = dfsc__utf8_to_utf16_len(site, strlen(site));
    if (s16 < 0)
      return (int)s16;
  }
  if (p16 > 0xFFFF || s16 > 0xFFFF)
    return -EINVAL;
  data_len = (uint32_t)(2 + p16 + (site != NULL ? 2 + s16 : 0));

  dfsc__wr_u16(w, max_level);
  dfsc__wr_u16(w, site != NULL ? DFSC_REF_REQ_EX_SITE_NAME : 0);
  dfsc__wr_u32(w, data_len);
  dfsc__wr_u16(w, (uint16_t)p16);
  rc = dfsc__utf8_to_utf16_wr(w, path, strlen(path));
  if (rc < 0)
    return rc;
  if (site != NULL) {
    dfsc__wr_u16(w, (uint16_t)s16);
    rc = dfsc__utf8_to_utf16_wr(w, site, strlen(site));
    if (rc < 0)
      return rc;
  }
  return w->bad ? DFSC_E_NOSPACE : 0;
}

/* ----------------------------------------------------------- PathConsumed */

static int is_sep(char c) { return c == '\\' || c == '/'; }

int dfsc__dfs_referral_consumed_utf8(const char *path, size_t path_len,
                                     uint16_t path_consumed, size_t *utf8_len) {
  size_t i = 0, units = 0, want;

  if (path == NULL || utf8_len == NULL)
    return -EINVAL;
  *utf8_len = 0;
  if (dfsc__utf8_to_utf16_len(path, path_len) < 0)
    return -EILSEQ;
  if (path_consumed & 1u)
    return DFSC_E_PROTO;
  if (path_consumed == 0)
    return 0;
  want = path_consumed / 2u;
  /* The path is valid UTF-8 here, so the lead byte gives each length. */
  while (i < path_len && units < want) {
    unsigned char c = (unsigned char)path[i];
    if (c < 0x80) {
      i += 1;
      units += 1;
    } else if (c < 0xE0) {
      i += 2;
      units += 1;
    } else if (c < 0xF0) {
      i += 3;
      units += 1;
    } else {
      i += 4;
      units += 2;
    }
  }
  /* Short of the count: PathConsumed exceeds the path. Past it: the count
   * ends between the two halves of a surrogate pair. */
  if (units != want)
    return DFSC_E_PROTO;
  if (i == path_len || is_sep(path[i])) {
    *utf8_len = i;
    return 0;
  }
  if (is_sep(path[i - 1])) {
    *utf8_len = i - 1;
    return 0;
  }
  return DFSC_E_PROTO;
}

/* ------------------------------------------------------------------ names */

const dfsc_ref_flag_name dfsc__dfs_ref_header_flag_names[] = {
    {DFSC_REF_HDR_REFERRAL_SERVERS, "ReferralServers"},
    {DFSC_REF_HDR_STORAGE_SERVERS, "StorageServers"},
    {DFSC_REF_HDR_TARGET_FAILBACK, "TargetFailback"},
    {0, NULL},
};

const dfsc_ref_flag_name dfsc__dfs_ref_entry_flag_names[] = {
    {DFSC_REF_ENT_NAME_LIST_REFERRAL, "NameListReferral"},
    {DFSC_REF_ENT_TARGET_SET_BOUNDARY, "TargetSetBoundary"},
    {0, NULL},
};

size_t dfsc__dfs_ref_flags_format(const dfsc_ref_flag_name *tab, uint32_t flags, char *buf,
                                  size_t cap) {
  size_t need = 0;
  uint32_t rest = flags;
  const dfsc_ref_flag_name *t;
  char tmp[16];

  if (cap > 0)
    buf[0] = '\0';
  if (flags == 0) {
    if (cap > 1) {
      buf[0] = '0';
      buf[1] = '\0';
    }
    return 1;
  }
  for (t = tab; t != NULL && t->name != NULL; t++) {
    const char *parts[2];
    size_t k;
    if ((flags & t->bit) == 0)
      continue;
    rest &= ~t->bit;
    parts[0] = need ? "|" : "";
    parts[1] = t->name;
    for (k = 0; k < 2; k++) {
      size_t l = strlen(parts[k]);
      if (need + l < cap) {
        memcpy(buf + need, parts[k], l);
        buf[need + l] = '\0';
      } else if (cap > 0 && need < cap) {
        memcpy(buf + need, parts[k], cap - 1 - need);
        buf[cap - 1] = '\0';
      }
      need += l;
    }
  }
  if (rest != 0) {
    int l = snprintf(tmp, sizeof(tmp), "%s0x%x", need ? "|" : "", (unsigned)rest);
    size_t ul = (size_t)l;
    if (need + ul < cap) {
      memcpy(buf + need, tmp, ul + 1);
    } else if (cap > 0 && need < cap) {
      memcpy(buf + need, tmp, cap - 1 - need);
      buf[cap - 1] = '\0';
    }
    need += ul;
  }
  return need;
}

const char *dfsc__dfs_ref_server_type_name(uint16_t server_type) {
  switch (server_type) {
  case DFSC_REF_SERVER_NON_ROOT:
    return "non-root";
  case DFSC_REF_SERVER_ROOT:
    return "root";
  default:
    return "unknown";
  }
}
