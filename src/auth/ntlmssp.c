/* NTLMSSP client: NEGOTIATE / CHALLENGE / AUTHENTICATE with NTLMv2, key
 * exchange, MIC and the extended-session-security MAC ([MS-NLMP]).
 * Does not: produce LM / NTLMv1 responses, seal data, or use OEM strings. */
#include "auth/ntlmssp.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <nettle/hmac.h>
#include <nettle/md4.h>
#include <nettle/md5.h>
#include <nettle/memops.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/utf16.h"
#include "dfsc/errors.h"

static const uint8_t ntlmssp_sig[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};

#define MSG_NEGOTIATE 1u
#define MSG_CHALLENGE 2u
#define MSG_AUTHENTICATE 3u

/* AUTHENTICATE_MESSAGE fixed part: through Version (72), plus MIC (88). */
#define AUTH_HDR_NO_MIC 72
#define AUTH_HDR_MIC 88
#define AUTH_MIC_OFFSET 72

/* 100 ns ticks between 1601-01-01 and 1970-01-01. */
#define FILETIME_UNIX_EPOCH 116444736000000000ull

/* Version the client announces: 10.0, NTLMSSP_REVISION_W2K3 (15),
 * [MS-NLMP] 2.2.2.10. */
static const uint8_t client_version[8] = {10, 0, 0, 0, 0, 0, 0, 0x0F};

struct dfsc_ntlmssp {
  uint8_t *user16; /* UTF-16LE as given, for the AUTHENTICATE UserName */
  size_t user16_len;
  uint8_t *domain16;
  size_t domain16_len;
  uint8_t *ws16;
  size_t ws16_len;
  uint8_t response_key[16]; /* NTOWFv2 */
  int anonymous;

  uint8_t neg_msg[DFSC_NTLMSSP_NEGOTIATE_SIZE];
  int negotiated;    /* NEGOTIATE built */
  int authenticated; /* AUTHENTICATE built */

  int fixed_set;
  dfsc_ntlmssp_fixed fixed;

  uint32_t flags; /* as sent in AUTHENTICATE */
  int mic_sent;
  int have_key;
  uint8_t exported_key[16];
  dfsc_ntlmssp_keys keys;
  int seal_checksum; /* KEY_EXCH: the MAC checksum goes through RC4 */
  struct arcfour_ctx client_seal;
  struct arcfour_ctx server_seal;
  uint32_t send_seq;
  uint32_t recv_seq;
};

/* ---- helpers ----------------------------------------------------------- */

static int fill_random(void *buf, size_t n) {
  uint8_t *p = buf;
  while (n > 0) {
    ssize_t r = getrandom(p, n, 0);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

static uint64_t filetime_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 10000000ull + (uint64_t)ts.tv_nsec / 100u +
         FILETIME_UNIX_EPOCH;
}

/* UTF-8 -> freshly allocated UTF-16LE. */
static int to_utf16(const char *s, uint8_t **out, size_t *outlen) {
  long n;
  dfsc_wr w;
  int rc;

  if (s == NULL)
    s = "";
  n = dfsc__utf8_to_utf16_len(s, strlen(s));
  if (n < 0)
    return (int)n;
  *out = dfsc__malloc((size_t)n);
  if (*out == NULL)
    return -ENOMEM;
  dfsc__wr_init(&w, *out, (size_t)n);
  rc = dfsc__utf8_to_utf16_wr(&w, s, strlen(s));
  if (rc != 0) {
    dfsc__free(*out);
    *out = NULL;
    return rc;
  }
  *outlen = (size_t)n;
  return 0;
}

/* Simple case mapping of one UTF-16 unit, enough for the names NTOWFv2 sees
 * in practice; see the header for what it leaves out. */
static uint16_t upcase16(uint16_t c) {
  if (c >= 'a' && c <= 'z')
    return (uint16_t)(c - 0x20);
  if (c < 0x80)
    return c;
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7)
    return (uint16_t)(c - 0x20);
  if (c == 0xFF)
    return 0x178;
  if (((c >= 0x100 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) && (c & 1))
    return (uint16_t)(c - 1);
  if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && !(c & 1))
    return (uint16_t)(c - 1);
  if (c == 0x3C2)
    return 0x3A3;
  if (c >= 0x3B1 && c <= 0x3CB)
    return (uint16_t)(c - 0x20);
  if (c >= 0x430 && c <= 0x44F)
    return (uint16_t)(c - 0x20);
  if (c >= 0x450 && c <= 0x45F)
    return (uint16_t)(c - 0x50);
  return c;
}

static void hmac_md5_2(const uint8_t key[16], const uint8_t *a, size_t alen,
                       const uint8_t *b, size_t blen, uint8_t out[16]) {
  struct hmac_md5_ctx h;
  hmac_md5_set_key(&h, 16, key);
  hmac_md5_update(&h, alen, a);
  if (blen > 0)
    hmac_md5_update(&h, blen, b);
  hmac_md5_digest(&h, MD5_DIGEST_SIZE, out);
  dfsc__wipe(&h, sizeof(h));
}

/* Reads a (Len, MaxLen, Offset) field triple and checks the payload lies in
 * the message and after the fixed header `hdr`. Absent (Len 0) gives NULL. */
static int read_field(dfsc_rd *r, size_t hdr, const uint8_t **p, size_t *plen) {
  uint16_t len = dfsc__rd_u16(r);
  (void)dfsc__rd_u16(r); /* MaxLen: ignored on receipt */
  uint32_t off = dfsc__rd_u32(r);

  *p = NULL;
  *plen = 0;
  if (r->bad)
    return DFSC_E_PROTO;
  if (len == 0)
    return 0;
  if (off < hdr)
    return DFSC_E_PROTO;
  *p = dfsc__rd_at(r, off, len);
  if (*p == NULL)
    return DFSC_E_PROTO;
  *plen = len;
  return 0;
}

/* ---- CHALLENGE_MESSAGE ------------------------------------------------- */

static int parse_av_pairs(dfsc_ntlmssp_challenge *c, const uint8_t *ti, size_t tilen) {
  dfsc_rd r;
  uint16_t id, alen;
  const uint8_t *val;

  dfsc__rd_init(&r, ti, tilen);
  for (;;) {
    id = dfsc__rd_u16(&r);
    alen = dfsc__rd_u16(&r);
    val = dfsc__rd_ptr(&r, alen);
    if (r.bad || val == NULL)
      return DFSC_E_PROTO; /* ran off the end without MsvAvEOL */
    switch (id) {
    case DFSC_MSV_AV_EOL:
      if (alen != 0)
        return DFSC_E_PROTO;
      /* Anything after EOL is ignored and not echoed back. */
      c->target_info_len = r.off;
      return 0;
    case DFSC_MSV_AV_NB_COMPUTER_NAME:
      c->nb_computer = val;
      c->nb_computer_len = alen;
      break;
    case DFSC_MSV_AV_NB_DOMAIN_NAME:
      c->nb_domain = val;
      c->nb_domain_len = alen;
      break;
    case DFSC_MSV_AV_DNS_COMPUTER_NAME:
      c->dns_computer = val;
      c->dns_computer_len = alen;
      break;
    case DFSC_MSV_AV_DNS_DOMAIN_NAME:
      c->dns_domain = val;
      c->dns_domain_len = alen;
      break;
    case DFSC_MSV_AV_FLAGS:
      if (alen != 4)
        return DFSC_E_PROTO;
      c->has_av_flags = 1;
      c->av_flags = dfsc__le32(val);
      break;
    case DFSC_MSV_AV_TIMESTAMP:
      if (alen != 8)
        return DFSC_E_PROTO;
      c->has_timestamp = 1;
      c->timestamp = dfsc__le64(val);
      break;
    default:
      break; /* other pairs are echoed verbatim */
    }
  }
}

int dfsc__ntlmssp_challenge_decode(const uint8_t *msg, size_t len,
                                   dfsc_ntlmssp_challenge *c) {
  dfsc_rd r;
  uint8_t sig[8];
  size_t hdr = DFSC_NTLMSSP_CHALLENGE_MIN;
  size_t tn_off, ti_off;

  memset(c, 0, sizeof(*c));
  if (msg == NULL || len < DFSC_NTLMSSP_CHALLENGE_MIN)
    return DFSC_E_PROTO;
  dfsc__rd_init(&r, msg, len);
  dfsc__rd_bytes(&r, sig, sizeof(sig));
  if (memcmp(sig, ntlmssp_sig, sizeof(sig)) != 0 || dfsc__rd_u32(&r) != MSG_CHALLENGE)
    return DFSC_E_PROTO;

  /* Peek at the two payload offsets to learn whether the 8-byte Version
   * sits between the fixed fields and the payload. */
  tn_off = dfsc__le32(msg + 16);
  ti_off = dfsc__le32(msg + 44);
  c->flags = dfsc__le32(msg + 20);
  if ((c->flags & DFSC_NTLMSSP_NEGOTIATE_VERSION) && len >= 56 &&
      (dfsc__le16(msg + 12) == 0 || tn_off >= 56) &&
      (dfsc__le16(msg + 40) == 0 || ti_off >= 56)) {
    hdr = 56;
    c->has_version = 1;
    memcpy(c->version, msg + 48, 8);
  }

  if (read_field(&r, hdr, &c->target_name, &c->target_name_len) != 0)
    return DFSC_E_PROTO;
  (void)dfsc__rd_u32(&r); /* NegotiateFlags, read above */
  dfsc__rd_bytes(&r, c->server_challenge, 8);
  dfsc__rd_skip(&r, 8); /* Reserved */
  if (read_field(&r, hdr, &c->target_info, &c->target_info_len) != 0)
    return DFSC_E_PROTO;
  if (r.bad)
    return DFSC_E_PROTO;
  if (c->target_name_len & 1)
    return DFSC_E_PROTO; /* Unicode names have even lengths */
  if (c->target_info != NULL && parse_av_pairs(c, c->target_info, c->target_info_len) != 0)
    return DFSC_E_PROTO;
  return 0;
}

/* ---- NTLMv2 computations ----------------------------------------------- */

int dfsc__ntlmssp_ntowfv2(const char *password, const char *user, const char *domain,
                          uint8_t out[16]) {
  uint8_t *pw = NULL, *us = NULL, *dom = NULL;
  size_t pwlen = 0, uslen = 0, domlen = 0, i;
  uint8_t nt_hash[MD4_DIGEST_SIZE];
  struct md4_ctx md4;
  struct hmac_md5_ctx h;
  int rc;

  rc = to_utf16(password, &pw, &pwlen);
  if (rc == 0)
    rc = to_utf16(user, &us, &uslen);
  if (rc == 0)
    rc = to_utf16(domain, &dom, &domlen);
  if (rc != 0)
    goto out;
  for (i = 0; i + 1 < uslen; i += 2)
    dfsc__put_le16(us + i, upcase16(dfsc__le16(us + i)));

  /* NTOWFv1 = MD4(UNICODE(Passwd)) is the key for NTOWFv2. */
  md4_init(&md4);
  md4_update(&md4, pwlen, pw);
  md4_digest(&md4, MD4_DIGEST_SIZE, nt_hash);
  hmac_md5_set_key(&h, sizeof(nt_hash), nt_hash);
  hmac_md5_update(&h, uslen, us);
  hmac_md5_update(&h, domlen, dom);
  hmac_md5_digest(&h, MD5_DIGEST_SIZE, out);
out:
  if (pw != NULL)
    dfsc__wipe(pw, pwlen);
  dfsc__free(pw);
  dfsc__free(us);
  dfsc__free(dom);
  dfsc__wipe(nt_hash, sizeof(nt_hash));
  dfsc__wipe(&md4, sizeof(md4));
  dfsc__wipe(&h, sizeof(h));
  return rc;
}

void dfsc__ntlmssp_v2_response(const uint8_t response_key[16],
                               const uint8_t server_challenge[8],
                               const uint8_t client_challenge[8], uint64_t time,
                               const uint8_t *av, size_t av_len, uint8_t *nt_resp,
                               uint8_t lm_resp[24], uint8_t session_base_key[16]) {
  uint8_t *temp = nt_resp + 16;
  size_t temp_len = 28 + av_len + 4;

  /* temp = Responserversion(1) HiResponserversion(1) Z(6) Time
   *        ClientChallenge Z(4) ServerName(AV pairs) Z(4)  [MS-NLMP] 3.3.2 */
  memset(temp, 0, temp_len);
  temp[0] = 1;
  temp[1] = 1;
  dfsc__put_le64(temp + 8, time);
  memcpy(temp + 16, client_challenge, 8);
  if (av_len > 0)
    memcpy(temp + 28, av, av_len);

  hmac_md5_2(response_key, server_challenge, 8, temp, temp_len, nt_resp);
  hmac_md5_2(response_key, server_challenge, 8, client_challenge, 8, lm_resp);
  memcpy(lm_resp + 16, client_challenge, 8);
  hmac_md5_2(response_key, nt_resp, 16, NULL, 0, session_base_key);
}

static void md5_2(const uint8_t *a, size_t alen, const char *magic, uint8_t out[16]) {
  struct md5_ctx m;
  md5_init(&m);
  md5_update(&m, alen, a);
  /* The magic constants include their terminating NUL ([MS-NLMP] 3.4.5.2). */
  md5_update(&m, strlen(magic) + 1, (const uint8_t *)magic);
  md5_digest(&m, MD5_DIGEST_SIZE, out);
  dfsc__wipe(&m, sizeof(m));
}

void dfsc__ntlmssp_derive_keys(const uint8_t exported_key[16], uint32_t flags,
                               dfsc_ntlmssp_keys *k) {
  size_t seal_len;

  md5_2(exported_key, 16, "session key to client-to-server signing key magic constant",
        k->client_sign);
  md5_2(exported_key, 16, "session key to server-to-client signing key magic constant",
        k->server_sign);
  /* SEALKEY with extended session security: the key is cut to the
   * negotiated strength before hashing ([MS-NLMP] 3.4.5.3). */
  if (flags & DFSC_NTLMSSP_NEGOTIATE_128)
    seal_len = 16;
  else if (flags & DFSC_NTLMSSP_NEGOTIATE_56)
    seal_len = 7;
  else
    seal_len = 5;
  md5_2(exported_key, seal_len,
        "session key to client-to-server sealing key magic constant", k->client_seal);
  md5_2(exported_key, seal_len,
        "session key to server-to-client sealing key magic constant", k->server_seal);
}

void dfsc__ntlmssp_mac(const uint8_t sign_key[16], struct arcfour_ctx *seal, uint32_t seq,
                       const uint8_t *msg, size_t len,
                       uint8_t sig[DFSC_NTLMSSP_SIGNATURE_SIZE]) {
  uint8_t seqb[4], digest[16];
  struct hmac_md5_ctx h;

  dfsc__put_le32(seqb, seq);
  hmac_md5_set_key(&h, 16, sign_key);
  hmac_md5_update(&h, 4, seqb);
  hmac_md5_update(&h, len, msg);
  hmac_md5_digest(&h, MD5_DIGEST_SIZE, digest);
  dfsc__put_le32(sig, 1);
  if (seal != NULL)
    arcfour_crypt(seal, 8, sig + 4, digest);
  else
    memcpy(sig + 4, digest, 8);
  memcpy(sig + 12, seqb, 4);
  dfsc__wipe(&h, sizeof(h));
  dfsc__wipe(digest, sizeof(digest));
}

/* ---- the context ------------------------------------------------------- */

int dfsc__ntlmssp_creds_anonymous(const char *user, const char *password) {
  return (user == NULL || user[0] == '\0') && (password == NULL || password[0] == '\0');
}

int dfsc__ntlmssp_new(const char *user, const char *domain, const char *password,
                      const char *workstation, dfsc_ntlmssp **out) {
  dfsc_ntlmssp *n;
  int rc;

  *out = NULL;
  /* It holds NTOWFv2 and the exported session key: kept out of cores. */
  n = dfsc__secret_calloc(sizeof(*n));
  if (n == NULL)
    return -ENOMEM;
  rc = to_utf16(user, &n->user16, &n->user16_len);
  if (rc == 0)
    rc = to_utf16(domain, &n->domain16, &n->domain16_len);
  if (rc == 0)
    rc = to_utf16(workstation, &n->ws16, &n->ws16_len);
  if (rc != 0)
    goto fail;
  /* Each name goes into a 16-bit length field. */
  if (n->user16_len > 0xFFFF || n->domain16_len > 0xFFFF || n->ws16_len > 0xFFFF) {
    rc = -EINVAL;
    goto fail;
  }
  n->anonymous = dfsc__ntlmssp_creds_anonymous(user, password);
  if (!n->anonymous) {
    rc = dfsc__ntlmssp_ntowfv2(password, user, domain, n->response_key);
    if (rc != 0)
      goto fail;
  }
  *out = n;
  return 0;
fail:
  dfsc__ntlmssp_free(n);
  return rc;
}

void dfsc__ntlmssp_free(dfsc_ntlmssp *n) {
  if (n == NULL)
    return;
  dfsc__free(n->user16);
  dfsc__free(n->domain16);
  dfsc__free(n->ws16);
  dfsc__secret_free(n);
}

void dfsc__ntlmssp_set_fixed(dfsc_ntlmssp *n, const dfsc_ntlmssp_fixed *f) {
  n->fixed = *f;
  n->fixed_set = 1;
}

int dfsc__ntlmssp_negotiate(dfsc_ntlmssp *n, const uint8_t **msg, size_t *len) {
  dfsc_wr w;

  /* NEGOTIATE_MESSAGE, [MS-NLMP] 2.2.1.1. No OEM domain or workstation is
   * supplied; their offsets point at the (empty) payload as 2.2.1.1 asks. */
  dfsc__wr_init(&w, n->neg_msg, sizeof(n->neg_msg));
  dfsc__wr_bytes(&w, ntlmssp_sig, sizeof(ntlmssp_sig));
  dfsc__wr_u32(&w, MSG_NEGOTIATE);
  dfsc__wr_u32(&w, DFSC_NTLMSSP_CLIENT_FLAGS);
  dfsc__wr_u16(&w, 0);
  dfsc__wr_u16(&w, 0);
  dfsc__wr_u32(&w, DFSC_NTLMSSP_NEGOTIATE_SIZE);
  dfsc__wr_u16(&w, 0);
  dfsc__wr_u16(&w, 0);
  dfsc__wr_u32(&w, DFSC_NTLMSSP_NEGOTIATE_SIZE);
  dfsc__wr_bytes(&w, n->fixed_set ? n->fixed.version : client_version, 8);
  n->negotiated = 1;
  *msg = n->neg_msg;
  *len = w.off;
  return 0;
}

/* Copies the server's AV pairs (without MsvAvEOL), sets the MIC-present bit
 * in MsvAvFlags (adding the pair if absent) when `mic`, and ends the list
 * with MsvAvEOL ([MS-NLMP] 3.1.5.1.2). Returns bytes written to out, whose
 * capacity must be target_info_len + 12. */
static size_t build_av(const dfsc_ntlmssp_challenge *c, int mic, uint8_t *out) {
  dfsc_rd r;
  dfsc_wr w;
  uint16_t id, alen;
  const uint8_t *val;
  int flags_seen = 0;

  dfsc__wr_init(&w, out, c->target_info_len + 12);
  if (c->target_info != NULL) {
    dfsc__rd_init(&r, c->target_info, c->target_info_len);
    for (;;) {
      id = dfsc__rd_u16(&r);
      alen = dfsc__rd_u16(&r);
      val = dfsc__rd_ptr(&r, alen);
      if (r.bad || id == DFSC_MSV_AV_EOL)
        break; /* decode already proved the list ends with EOL */
      dfsc__wr_u16(&w, id);
      dfsc__wr_u16(&w, alen);
      if (id == DFSC_MSV_AV_FLAGS && mic) {
        dfsc__wr_u32(&w, dfsc__le32(val) | DFSC_MSV_AV_FLAG_MIC_PRESENT);
        flags_seen = 1;
      } else {
        dfsc__wr_bytes(&w, val, alen);
      }
    }
  }
  if (mic && !flags_seen) {
    dfsc__wr_u16(&w, DFSC_MSV_AV_FLAGS);
    dfsc__wr_u16(&w, 4);
    dfsc__wr_u32(&w, DFSC_MSV_AV_FLAG_MIC_PRESENT);
  }
  dfsc__wr_u16(&w, DFSC_MSV_AV_EOL);
  dfsc__wr_u16(&w, 0);
  return w.off;
}

/* Appends a payload field and fills its (Len, MaxLen, Offset) triple at
 * header offset `at`. */
static void put_field(dfsc_wr *w, size_t at, const uint8_t *p, size_t len) {
  dfsc__wr_put_u16(w, at, (uint16_t)len);
  dfsc__wr_put_u16(w, at + 2, (uint16_t)len);
  dfsc__wr_put_u32(w, at + 4, (uint32_t)w->off);
  dfsc__wr_bytes(w, p, len);
}

int dfsc__ntlmssp_authenticate(dfsc_ntlmssp *n, const uint8_t *chal, size_t chal_len,
                               uint8_t **out, size_t *outlen) {
  dfsc_ntlmssp_challenge c;
  uint8_t client_chal[8], lm[24], sbk[16], enc_key[16], mic[16];
  uint8_t *av = NULL, *nt = NULL, *msg = NULL;
  size_t av_len = 0, nt_len = 0, lm_len, enc_len = 0, hdr, total;
  uint64_t time;
  struct arcfour_ctx rc4;
  struct hmac_md5_ctx h;
  dfsc_wr w;
  int rc, use_mic;

  *out = NULL;
  *outlen = 0;
  memset(&rc4, 0, sizeof(rc4));
  memset(&h, 0, sizeof(h));
  memset(sbk, 0, sizeof(sbk));
  if (!n->negotiated || n->authenticated)
    return -EINVAL;
  rc = dfsc__ntlmssp_challenge_decode(chal, chal_len, &c);
  if (rc != 0)
    goto out;
  /* Only Unicode and extended session security are spoken here; a server
   * that offers neither is too old to trust with a password hash. */
  if (!(c.flags & DFSC_NTLMSSP_NEGOTIATE_UNICODE) ||
      (!n->anonymous && !(c.flags & DFSC_NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY))) {
    rc = DFSC_E_AUTH;
    goto out;
  }
  n->flags = DFSC_NTLMSSP_CLIENT_FLAGS & (c.flags | DFSC_NTLMSSP_REQUEST_TARGET);

  if (n->anonymous) {
    /* [MS-NLMP] 3.3.2: anonymous sends NtChallengeResponse empty and
     * LmChallengeResponse Z(1); there is no session key to exchange. */
    n->flags |= DFSC_NTLMSSP_NEGOTIATE_ANONYMOUS;
    n->flags &= ~DFSC_NTLMSSP_NEGOTIATE_KEY_EXCH;
    memset(lm, 0, sizeof(lm));
    lm_len = 1;
    use_mic = 0;
  } else {
    use_mic = c.has_timestamp;
    if (n->fixed_set)
      memcpy(client_chal, n->fixed.client_challenge, 8);
    else if ((rc = fill_random(client_chal, 8)) != 0)
      goto out;
    /* Time comes from the server's MsvAvTimestamp when it sent one. */
    time = c.has_timestamp ? c.timestamp : n->fixed_set ? n->fixed.time : filetime_now();

    av = dfsc__malloc(c.target_info_len + 12);
    if (av == NULL) {
      rc = -ENOMEM;
      goto out;
    }
    av_len = build_av(&c, use_mic, av);
    nt_len = 16 + 28 + av_len + 4;
    if (nt_len > 0xFFFF) {
      rc = DFSC_E_PROTO;
      goto out;
    }
    nt = dfsc__malloc(nt_len);
    if (nt == NULL) {
      rc = -ENOMEM;
      goto out;
    }
    dfsc__ntlmssp_v2_response(n->response_key, c.server_challenge, client_chal, time, av,
                              av_len, nt, lm, sbk);
    /* With MsvAvTimestamp present the LM response is Z(24) ([MS-NLMP]
     * 3.3.2); otherwise it is the LMv2 response. */
    if (c.has_timestamp)
      memset(lm, 0, sizeof(lm));
    lm_len = 24;

    /* KXKEY is the SessionBaseKey for NTLMv2 ([MS-NLMP] 3.4.5.1). */
    if (n->flags & DFSC_NTLMSSP_NEGOTIATE_KEY_EXCH) {
      if (n->fixed_set)
        memcpy(n->exported_key, n->fixed.exported_key, 16);
      else if ((rc = fill_random(n->exported_key, 16)) != 0)
        goto out;
      arcfour_set_key(&rc4, 16, sbk);
      arcfour_crypt(&rc4, 16, enc_key, n->exported_key);
      enc_len = 16;
    } else {
      memcpy(n->exported_key, sbk, 16);
    }
    n->have_key = 1;
  }

  hdr = use_mic ? AUTH_HDR_MIC : AUTH_HDR_NO_MIC;
  total = hdr + n->domain16_len + n->user16_len + n->ws16_len + lm_len + nt_len + enc_len;
  msg = dfsc__calloc(1, total);
  if (msg == NULL) {
    rc = -ENOMEM;
    goto out;
  }
  /* AUTHENTICATE_MESSAGE, [MS-NLMP] 2.2.1.3. Payload order follows the
   * example of 4.2.4.3: domain, user, workstation, LM, NT, session key. */
  dfsc__wr_init(&w, msg, total);
  dfsc__wr_bytes(&w, ntlmssp_sig, sizeof(ntlmssp_sig));
  dfsc__wr_u32(&w, MSG_AUTHENTICATE);
  dfsc__wr_zero(&w, 6 * 8); /* six field triples, filled below */
  dfsc__wr_u32(&w, n->flags);
  dfsc__wr_bytes(&w, n->fixed_set ? n->fixed.version : client_version, 8);
  if (use_mic)
    dfsc__wr_zero(&w, 16);
  put_field(&w, 28, n->domain16, n->anonymous ? 0 : n->domain16_len);
  put_field(&w, 36, n->user16, n->anonymous ? 0 : n->user16_len);
  put_field(&w, 44, n->ws16, n->ws16_len);
  put_field(&w, 12, lm, lm_len);
  put_field(&w, 20, nt, nt_len);
  put_field(&w, 52, enc_key, enc_len);
  if (w.bad) {
    rc = DFSC_E_NOSPACE;
    goto out;
  }
  /* Anonymous names were left out: the message is shorter than allocated. */
  total = w.off;

  if (use_mic) {
    /* MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE ||
     * AUTHENTICATE-with-zero-MIC) ([MS-NLMP] 3.1.5.1.2). */
    hmac_md5_set_key(&h, 16, n->exported_key);
    hmac_md5_update(&h, sizeof(n->neg_msg), n->neg_msg);
    hmac_md5_update(&h, chal_len, chal);
    hmac_md5_update(&h, total, msg);
    hmac_md5_digest(&h, MD5_DIGEST_SIZE, mic);
    memcpy(msg + AUTH_MIC_OFFSET, mic, 16);
    n->mic_sent = 1;
  }

  if (n->have_key) {
    dfsc__ntlmssp_derive_keys(n->exported_key, n->flags, &n->keys);
    n->seal_checksum = (n->flags & DFSC_NTLMSSP_NEGOTIATE_KEY_EXCH) != 0;
    arcfour_set_key(&n->client_seal, 16, n->keys.client_seal);
    arcfour_set_key(&n->server_seal, 16, n->keys.server_seal);
  }
  n->authenticated = 1;
  *out = msg;
  *outlen = total;
  msg = NULL;
  rc = 0;
out:
  if (msg != NULL)
    dfsc__wipe(msg, total);
  dfsc__free(msg);
  dfsc__free(av);
  if (nt != NULL)
    dfsc__wipe(nt, nt_len);
  dfsc__free(nt);
  dfsc__wipe(sbk, sizeof(sbk));
  dfsc__wipe(&rc4, sizeof(rc4));
  dfsc__wipe(&h, sizeof(h));
  return rc;
}

int dfsc__ntlmssp_is_anonymous(const dfsc_ntlmssp *n) { return n->anonymous; }

int dfsc__ntlmssp_mic_sent(const dfsc_ntlmssp *n) { return n->mic_sent; }

int dfsc__ntlmssp_session_key(const dfsc_ntlmssp *n, uint8_t key[16]) {
  if (!n->authenticated || !n->have_key)
    return -ENOKEY;
  memcpy(key, n->exported_key, 16);
  return 0;
}

int dfsc__ntlmssp_sign(dfsc_ntlmssp *n, const uint8_t *msg, size_t len,
                       uint8_t sig[DFSC_NTLMSSP_SIGNATURE_SIZE]) {
  if (!n->authenticated || !n->have_key)
    return -EINVAL;
  dfsc__ntlmssp_mac(n->keys.client_sign, n->seal_checksum ? &n->client_seal : NULL,
                    n->send_seq++, msg, len, sig);
  return 0;
}

int dfsc__ntlmssp_verify(dfsc_ntlmssp *n, const uint8_t *msg, size_t len,
                         const uint8_t *sig, size_t sig_len) {
  uint8_t want[DFSC_NTLMSSP_SIGNATURE_SIZE];
  int ok;

  if (!n->authenticated || !n->have_key)
    return -EINVAL;
  dfsc__ntlmssp_mac(n->keys.server_sign, n->seal_checksum ? &n->server_seal : NULL,
                    n->recv_seq++, msg, len, want);
  ok = sig_len == sizeof(want) && memeql_sec(want, sig, sizeof(want));
  dfsc__wipe(want, sizeof(want));
  return ok ? 0 : DFSC_E_SIGNATURE;
}
