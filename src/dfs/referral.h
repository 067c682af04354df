/* DFS referral codec ([MS-DFSC] 2.2.2 - 2.2.5): decodes RESP_GET_DFS_REFERRAL
 * (the output buffer of an FSCTL_DFS_GET_REFERRALS IOCTL) into a
 * self-contained dfsc_referral, encodes the reverse (round-trip tests, fake
 * servers), builds REQ_GET_DFS_REFERRAL_EX, and maps PathConsumed onto the
 * UTF-8 request path.
 *
 * Pure: no I/O, no logging, no state. The decoder allocates exactly once
 * (the result, through dfsc__malloc) after validating the whole buffer;
 * everything else writes only to the caller's buffers.
 *
 * Does not: build REQ_GET_DFS_REFERRAL (dfsc__smb2_dfs_referral_req_build in
 * smb2/ioctl.h does), decide what a referral means for the resolver (root
 * vs link vs interlink, [MS-DFSC] 3.1.5.4), resolve or order targets, or
 * cache anything.
 */
#ifndef DFSC_DFS_REFERRAL_H
#define DFSC_DFS_REFERRAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* ReferralHeaderFlags ([MS-DFSC] 2.2.4). */
#define DFSC_REF_HDR_REFERRAL_SERVERS 0x00000001u /* R: targets are DFS roots */
#define DFSC_REF_HDR_STORAGE_SERVERS 0x00000002u  /* S: targets hold storage */
#define DFSC_REF_HDR_TARGET_FAILBACK 0x00000004u  /* T: client should fail back */

/* ReferralEntryFlags ([MS-DFSC] 2.2.5.3, 2.2.5.4). */
#define DFSC_REF_ENT_NAME_LIST_REFERRAL 0x0002u  /* V3/V4: domain or DC referral */
#define DFSC_REF_ENT_TARGET_SET_BOUNDARY 0x0004u /* V4 only: first of a target set */

/* ServerType ([MS-DFSC] 2.2.5.x). */
#define DFSC_REF_SERVER_NON_ROOT 0x0000u
#define DFSC_REF_SERVER_ROOT 0x0001u

/* Hard caps on what a peer can make the decoder allocate. */
#define DFSC_REF_MAX_ENTRIES 4096u      /* NumberOfReferrals */
#define DFSC_REF_MAX_NAMES 4096u        /* expanded names, whole response */
#define DFSC_REF_MAX_STR16 32768u       /* one string, UTF-16 bytes w/o NUL */
#define DFSC_REF_MAX_DECODED (2u << 20) /* whole decoded result, bytes */

/* Fixed sizes of the entry formats ([MS-DFSC] 2.2.5.1 - 2.2.5.3.2). */
#define DFSC_REF_V1_FIXED 8u
#define DFSC_REF_V2_FIXED 22u
#define DFSC_REF_V3_FIXED 34u          /* NameListReferral clear */
#define DFSC_REF_V3_NAMELIST_FIXED 18u /* NameListReferral set */

typedef struct dfsc_referral_entry {
  uint16_t version;        /* 1..4; equal in every entry of one response */
  uint16_t size;           /* decode: wire Size. encode: 0 = minimal, else the
                              Size to write (>= minimal; the gap is zeros) */
  uint16_t server_type;    /* DFSC_REF_SERVER_* */
  uint16_t entry_flags;    /* raw ReferralEntryFlags */
  uint32_t ttl;            /* seconds; 0 for V1 (no TimeToLive on the wire) */
  uint32_t proximity;      /* V2 only, "MUST be 0": kept for round trips */
  int name_list;           /* V3/V4 NameListReferral: special_name/expanded set,
                              dfs_path/alt_path/target NULL */
  int target_set_boundary; /* V4 and TargetSetBoundary set */
  /* non-NameList (V1: only target, the ShareName) */
  char *dfs_path; /* "\\server\\share\\link" as the server writes it */
  char *alt_path; /* NULL when DFSAlternatePathOffset is 0 */
  char *target;   /* network address: "\\fs2\\data\\sub" */
  /* NameList */
  char *special_name; /* domain name (domain referral) or the name asked for */
  char **expanded;    /* DC names; n_expanded of them (0 in a domain referral) */
  size_t n_expanded;
} dfsc_referral_entry;

typedef struct dfsc_referral {
  uint16_t path_consumed;     /* raw PathConsumed: UTF-16 bytes of the request */
  size_t path_consumed_chars; /* path_consumed / 2: UTF-16 code units */
  uint32_t header_flags;      /* raw ReferralHeaderFlags (DFSC_REF_HDR_*) */
  uint16_t version;           /* of the entries; 0 when n == 0 */
  uint32_t ttl;               /* minimum over entries with a TTL; 0 if none */
  size_t n;
  dfsc_referral_entry *e; /* n entries, in wire order; NULL when n == 0 */
} dfsc_referral;

/* Decodes RESP_GET_DFS_REFERRAL ([MS-DFSC] 2.2.4, 2.2.5). Every Size,
 * offset, count and string is checked first; then the result is built in a
 * single allocation. All strings are valid NUL-terminated UTF-8.
 *
 * Accepted: zero entries (n == 0, e == NULL: [MS-DFSC] 3.1.5.4.3 makes that
 * the resolver's STATUS_OBJECT_PATH_NOT_FOUND), entries of different Sizes,
 * padding between and after entries, strings shared between entries, any
 * PathConsumed (dfsc__dfs_referral_consumed_utf8 validates it against the
 * request). Rejected with DFSC_E_PROTO: a buffer shorter than the header or
 * than NumberOfReferrals entries, a version outside 1..4 or differing between
 * entries, a Size smaller than the fixed part or running past the buffer, a
 * string offset into the entry's own fixed part or past the buffer, a string
 * without NUL inside the buffer, invalid UTF-16 (unpaired surrogate).
 * DFSC_E_TOOBIG: more than DFSC_REF_MAX_ENTRIES entries or DFSC_REF_MAX_NAMES
 * expanded names, a string longer than DFSC_REF_MAX_STR16, a result larger
 * than DFSC_REF_MAX_DECODED. -ENOMEM. -EINVAL for NULL arguments.
 *
 * Ownership: on 0, *out is the caller's; release it with
 * dfsc__dfs_referral_free only (one block: never free or keep member
 * pointers past it). On error *out is NULL. buf is not retained. */
int dfsc__dfs_referral_decode(const uint8_t *buf, size_t len, dfsc_referral **out);

/* Frees a result of dfsc__dfs_referral_decode. NULL is a no-op. */
void dfsc__dfs_referral_free(dfsc_referral *r);

/* Appends the RESP_GET_DFS_REFERRAL form of r to w: header, entries (each
 * e[i].size or its minimal size), then each entry's strings in order
 * dfs_path, alt_path, target / special_name, expanded[] (no sharing), which
 * is Samba's layout: re-encoding a decoded Samba response gives its bytes.
 * r->path_consumed and r->header_flags are written as given; r->version,
 * r->ttl and path_consumed_chars are ignored. For V1 only e[i].target is
 * written (ShareName); for V3/V4 e[i].name_list picks the layout and
 * NameListReferral is forced to match; for V4 target_set_boundary sets
 * TargetSetBoundary. Reads r only.
 * Returns 0, DFSC_E_NOSPACE (w full), -EILSEQ (a string not UTF-8), -EINVAL
 * (version outside 1..4 or differing, a NULL string that the layout needs,
 * more than 65535 entries, a string offset that does not fit 16 bits). */
int dfsc__dfs_referral_encode(dfsc_wr *w, const dfsc_referral *r);

/* REQ_GET_DFS_REFERRAL_EX ([MS-DFSC] 2.2.3, 2.2.3.1): MaxReferralLevel,
 * RequestFlags (SiteName when site is non-NULL), RequestDataLength, then
 * RequestFileNameLength + RequestFileName and, with a site,
 * SiteNameLength + SiteName. Lengths are in bytes; the strings are UTF-16LE
 * without terminator (2.2.3.1 gives them by length; no NUL is specified).
 * Returns 0, DFSC_E_NOSPACE, -EILSEQ (not UTF-8), -EINVAL (NULL path, a
 * string over 65535 UTF-16 bytes). */
int dfsc__dfs_referral_ex_req_build(dfsc_wr *w, uint16_t max_level, const char *path,
                                    const char *site);
#define DFSC_REF_REQ_EX_SITE_NAME 0x0001u

/* Maps PathConsumed (UTF-16 bytes, [MS-DFSC] 2.2.4) onto the UTF-8 request
 * path that was sent (path[0..path_len), the same text given to the request
 * builder): *utf8_len receives the number of bytes of path the referral
 * covers, so the caller splits path there and appends the rest to the
 * target. Code points above U+FFFF count as two UTF-16 units.
 * The prefix must end at a component boundary: at the end of path or before
 * a '\' or '/'. A server that counts the separator after the matched name
 * (PathConsumed ending just after a '\') is tolerated: the separator is not
 * part of *utf8_len. PathConsumed 0 (domain and DC referrals) gives 0.
 * Returns 0, or DFSC_E_PROTO when PathConsumed is odd, exceeds the path,
 * splits a surrogate pair, or ends inside a component; -EILSEQ for a path
 * that is not UTF-8; -EINVAL for NULL arguments. */
int dfsc__dfs_referral_consumed_utf8(const char *path, size_t path_len,
                                     uint16_t path_consumed, size_t *utf8_len);

/* Names for flags and server types (logs, `dfsc resolve --json`). */
typedef struct dfsc_ref_flag_name {
  uint32_t bit;
  const char *name;
} dfsc_ref_flag_name;

/* {0, NULL}-terminated tables. */
extern const dfsc_ref_flag_name dfsc__dfs_ref_header_flag_names[];
extern const dfsc_ref_flag_name dfsc__dfs_ref_entry_flag_names[];

/* Formats flags as "ReferralServers|StorageServers", unknown bits as one
 * trailing "0x..." term, 0 as "0". Always NUL-terminates when cap > 0 (then
 * truncated). Returns the length the full text needs, like snprintf. */
size_t dfsc__dfs_ref_flags_format(const dfsc_ref_flag_name *tab, uint32_t flags, char *buf,
                                  size_t cap);

/* "root", "non-root", or "unknown". */
const char *dfsc__dfs_ref_server_type_name(uint16_t server_type);

#endif
