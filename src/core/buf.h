/* Bounds-checked little-endian readers and writers for the codecs.
 *
 * A reader never reads past its length: the first out-of-range access sets
 * `bad` and every later access returns 0 / does nothing, so a decoder may
 * read a whole fixed structure and check `bad` once at the end.
 * A writer never writes past its capacity, with the same sticky `bad`.
 * Neither allocates. Does not: know anything about SMB.
 */
#ifndef DFSC_CORE_BUF_H
#define DFSC_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct dfsc_rd {
  const uint8_t *p;
  size_t len;
  size_t off;
  int bad;
} dfsc_rd;

typedef struct dfsc_wr {
  uint8_t *p;
  size_t cap;
  size_t off;
  int bad;
} dfsc_wr;

static inline void dfsc__rd_init(dfsc_rd *r, const void *p, size_t len) {
  r->p = (const uint8_t *)p;
  r->len = len;
  r->off = 0;
  r->bad = 0;
}

static inline int dfsc__rd_need(dfsc_rd *r, size_t n) {
  if (r->bad || n > r->len || r->off > r->len - n) {
    r->bad = 1;
    return 0;
  }
  return 1;
}

static inline size_t dfsc__rd_left(const dfsc_rd *r) {
  return r->bad || r->off > r->len ? 0 : r->len - r->off;
}

static inline uint8_t dfsc__rd_u8(dfsc_rd *r) {
  if (!dfsc__rd_need(r, 1))
    return 0;
  return r->p[r->off++];
}

static inline uint16_t dfsc__rd_u16(dfsc_rd *r) {
  uint16_t v;
  if (!dfsc__rd_need(r, 2))
    return 0;
  v = (uint16_t)(r->p[r->off] | (r->p[r->off + 1] << 8));
  r->off += 2;
  return v;
}

static inline uint32_t dfsc__rd_u32(dfsc_rd *r) {
  uint32_t v;
  if (!dfsc__rd_need(r, 4))
    return 0;
  v = (uint32_t)r->p[r->off] | ((uint32_t)r->p[r->off + 1] << 8) |
      ((uint32_t)r->p[r->off + 2] << 16) | ((uint32_t)r->p[r->off + 3] << 24);
  r->off += 4;
  return v;
}

static inline uint64_t dfsc__rd_u64(dfsc_rd *r) {
  uint64_t lo = dfsc__rd_u32(r);
  uint64_t hi = dfsc__rd_u32(r);
  return lo | (hi << 32);
}

/* Copies n bytes out; on failure dst is zeroed. */
static inline void dfsc__rd_bytes(dfsc_rd *r, void *dst, size_t n) {
  if (!dfsc__rd_need(r, n)) {
    memset(dst, 0, n);
    return;
  }
  memcpy(dst, r->p + r->off, n);
  r->off += n;
}

/* Returns a pointer to n bytes inside the buffer (no copy), or NULL. */
static inline const uint8_t *dfsc__rd_ptr(dfsc_rd *r, size_t n) {
  const uint8_t *q;
  if (!dfsc__rd_need(r, n))
    return NULL;
  q = r->p + r->off;
  r->off += n;
  return q;
}

static inline void dfsc__rd_skip(dfsc_rd *r, size_t n) { (void)dfsc__rd_ptr(r, n); }

/* Moves to an absolute offset; offsets past the end set bad. */
static inline void dfsc__rd_seek(dfsc_rd *r, size_t off) {
  if (off > r->len)
    r->bad = 1;
  else
    r->off = off;
}

/* Checks that [off, off+n) lies inside the buffer; returns a pointer or NULL.
 * Does not move the cursor and does not set bad. */
static inline const uint8_t *dfsc__rd_at(const dfsc_rd *r, size_t off, size_t n) {
  if (off > r->len || n > r->len - off)
    return NULL;
  return r->p + off;
}

static inline void dfsc__wr_init(dfsc_wr *w, void *p, size_t cap) {
  w->p = (uint8_t *)p;
  w->cap = cap;
  w->off = 0;
  w->bad = 0;
}

static inline int dfsc__wr_need(dfsc_wr *w, size_t n) {
  if (w->bad || n > w->cap || w->off > w->cap - n) {
    w->bad = 1;
    return 0;
  }
  return 1;
}

static inline void dfsc__wr_u8(dfsc_wr *w, uint8_t v) {
  if (dfsc__wr_need(w, 1))
    w->p[w->off++] = v;
}

static inline void dfsc__wr_u16(dfsc_wr *w, uint16_t v) {
  if (!dfsc__wr_need(w, 2))
    return;
  w->p[w->off++] = (uint8_t)v;
  w->p[w->off++] = (uint8_t)(v >> 8);
}

static inline void dfsc__wr_u32(dfsc_wr *w, uint32_t v) {
  if (!dfsc__wr_need(w, 4))
    return;
  w->p[w->off++] = (uint8_t)v;
  w->p[w->off++] = (uint8_t)(v >> 8);
  w->p[w->off++] = (uint8_t)(v >> 16);
  w->p[w->off++] = (uint8_t)(v >> 24);
}

static inline void dfsc__wr_u64(dfsc_wr *w, uint64_t v) {
  dfsc__wr_u32(w, (uint32_t)v);
  dfsc__wr_u32(w, (uint32_t)(v >> 32));
}

static inline void dfsc__wr_bytes(dfsc_wr *w, const void *src, size_t n) {
  if (n == 0 || !dfsc__wr_need(w, n))
    return;
  memcpy(w->p + w->off, src, n);
  w->off += n;
}

static inline void dfsc__wr_zero(dfsc_wr *w, size_t n) {
  if (n == 0 || !dfsc__wr_need(w, n))
    return;
  memset(w->p + w->off, 0, n);
  w->off += n;
}

/* Pads with zeros to a multiple of `a` (a power of two), counted from 0. */
static inline void dfsc__wr_align(dfsc_wr *w, size_t a) {
  size_t pad = (a - (w->off & (a - 1))) & (a - 1);
  dfsc__wr_zero(w, pad);
}

/* Overwrites an already-written field (for lengths and offsets known late). */
static inline void dfsc__wr_put_u16(dfsc_wr *w, size_t at, uint16_t v) {
  if (w->bad || at > w->off || w->off - at < 2) {
    w->bad = 1;
    return;
  }
  w->p[at] = (uint8_t)v;
  w->p[at + 1] = (uint8_t)(v >> 8);
}

static inline void dfsc__wr_put_u32(dfsc_wr *w, size_t at, uint32_t v) {
  if (w->bad || at > w->off || w->off - at < 4) {
    w->bad = 1;
    return;
  }
  w->p[at] = (uint8_t)v;
  w->p[at + 1] = (uint8_t)(v >> 8);
  w->p[at + 2] = (uint8_t)(v >> 16);
  w->p[at + 3] = (uint8_t)(v >> 24);
}

static inline uint16_t dfsc__le16(const uint8_t *p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t dfsc__le32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
         ((uint32_t)p[3] << 24);
}
static inline uint64_t dfsc__le64(const uint8_t *p) {
  return (uint64_t)dfsc__le32(p) | ((uint64_t)dfsc__le32(p + 4) << 32);
}
static inline void dfsc__put_le16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline void dfsc__put_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}
static inline void dfsc__put_le64(uint8_t *p, uint64_t v) {
  dfsc__put_le32(p, (uint32_t)v);
  dfsc__put_le32(p + 4, (uint32_t)(v >> 32));
}

#endif
