/* libFuzzer target: the LDAP ping codec (src/auth/ldapping.c): the decoder
 * of a DC's CLDAP answer down to NETLOGON_SAM_LOGON_RESPONSE_EX, and the
 * searchRequest encoder.
 *
 * Input: a 4-byte little-endian messageID, then the bytes. The decoder sees
 * the bytes as an answer datagram; the encoder sees them (up to the first
 * NUL, at most 300) as the DNS domain.
 * Invariants checked (abort on violation): the decoder returns 0 or
 * DFSC_E_PROTO, and after an error the reply is all zero; after a success
 * every name is NUL-terminated in its field, has no control byte, no empty
 * label (no leading, trailing or doubled '.'), a DNS name is at most 253
 * characters, DnsHostName is not empty and the opcode is one of the three
 * _EX ones; the same bytes under another messageID fail; the reply,
 * written back uncompressed by the target's own encoder into a fresh
 * datagram, decodes to the same fields (decode -> encode -> decode). The
 * request encoder writes a request exactly when the domain is 0..255
 * printable non-space ASCII bytes and the messageID at most maxInt; the
 * request is well-formed DER no longer than DFSC_LDAPPING_REQ_MAX, reads
 * back (by a walk of its own here) to that messageID, the NtVer 6 filter
 * and exactly that domain, does not fit in one byte less, and is never
 * taken for an answer.
 * Seeds (fuzz/corpus/fuzz_ldapping/): dc1_* are the testbed Samba AD DC's
 * answers (dfs.test with messageIDs 7 and maxInt, the entry alone, and
 * nosuch.test: a searchResDone alone); hand_with_ip_closest_site is a
 * hand-made answer with DcSockAddr and NextClosestSiteName (NtVersion
 * 0x1d); req_* are domain texts for the encoder.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/asn1.h"
#include "auth/ldapping.h"
#include "core/buf.h"
#include "dfsc/errors.h"
#include "fuzz_common.h"

static int all_zero(const dfsc_ldapping_reply *o) {
  static const dfsc_ldapping_reply zero;
  return memcmp(o, &zero, sizeof zero) == 0;
}

/* A decoded name: terminated inside its field, no control byte, labels
 * never empty, and (dns) short enough for a 255-octet wire name. */
static void check_name(const char *s, size_t cap, int dns) {
  const char *end = memchr(s, '\0', cap);
  size_t n, i;

  CHECK(end != NULL);
  n = (size_t)(end - s);
  if (dns)
    CHECK(n <= 253);
  if (n == 0)
    return;
  CHECK(s[0] != '.' && s[n - 1] != '.');
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    CHECK(c >= 0x20 && c != 0x7f);
    if (i > 0)
      CHECK(!(c == '.' && s[i - 1] == '.'));
  }
}

/* Writes s as an uncompressed RFC 1035 name, a label per '.'-separated
 * part (the decoder refuses a '.' inside a label, so this is the inverse). */
static void put_name(dfsc_wr *w, const char *s) {
  const char *p = s;

  while (*p != '\0') {
    const char *dot = strchr(p, '.');
    size_t l = dot ? (size_t)(dot - p) : strlen(p);
    dfsc__wr_u8(w, (uint8_t)l);
    dfsc__wr_bytes(w, p, l);
    p += l;
    if (*p == '.')
      p++;
  }
  dfsc__wr_u8(w, 0);
}

/* msgid < 2^31: its INTEGER content, minimal, in out; returns the length. */
static size_t int_bytes(uint32_t v, uint8_t *out) {
  uint8_t b[5];
  size_t n = 0, i;

  do {
    b[n++] = (uint8_t)v;
    v >>= 8;
  } while (v != 0);
  if (b[n - 1] & 0x80)
    b[n++] = 0;
  for (i = 0; i < n; i++)
    out[i] = b[n - 1 - i];
  return n;
}

/* The reply written back: fresh Netlogon value (NtVersion 5, nothing
 * optional), one searchResEntry, one searchResDone; then decoded. */
static void check_reencode(const dfsc_ldapping_reply *o, uint32_t msgid) {
  uint8_t val[2048], dg[4096], id[5];
  dfsc_ldapping_reply o2;
  dfsc_wr w;
  size_t vlen, idlen = int_bytes(msgid, id), vals, pattr, list, entry, msg;

  dfsc__wr_init(&w, val, sizeof val);
  dfsc__wr_u16(&w, (uint16_t)o->opcode);
  dfsc__wr_u16(&w, 0);
  dfsc__wr_u32(&w, o->flags);
  dfsc__wr_zero(&w, 16);
  put_name(&w, o->dns_forest);
  put_name(&w, o->dns_domain);
  put_name(&w, o->dns_host);
  put_name(&w, o->nb_domain);
  put_name(&w, o->nb_host);
  put_name(&w, "");
  put_name(&w, o->dc_site);
  put_name(&w, o->client_site);
  dfsc__wr_u32(&w, 5);
  dfsc__wr_u32(&w, 0xffffffffu);
  CHECK(!w.bad);
  vlen = w.off;

  vals = dfsc__der_tlv_size(vlen);
  pattr = dfsc__der_tlv_size(8) + dfsc__der_tlv_size(vals);
  list = dfsc__der_tlv_size(pattr);
  entry = dfsc__der_tlv_size(0) + dfsc__der_tlv_size(list);
  msg = dfsc__der_tlv_size(idlen) + dfsc__der_tlv_size(entry);
  dfsc__wr_init(&w, dg, sizeof dg);
  dfsc__der_put_hdr(&w, DFSC_DER_SEQUENCE, msg);
  dfsc__der_put_hdr(&w, 0x02, idlen);
  dfsc__wr_bytes(&w, id, idlen);
  dfsc__der_put_hdr(&w, 0x64, entry);
  dfsc__der_put_hdr(&w, DFSC_DER_OCTET_STRING, 0);
  dfsc__der_put_hdr(&w, DFSC_DER_SEQUENCE, list);
  dfsc__der_put_hdr(&w, DFSC_DER_SEQUENCE, pattr);
  dfsc__der_put_hdr(&w, DFSC_DER_OCTET_STRING, 8);
  dfsc__wr_bytes(&w, "Netlogon", 8);
  dfsc__der_put_hdr(&w, 0x31, vals);
  dfsc__der_put_hdr(&w, DFSC_DER_OCTET_STRING, vlen);
  dfsc__wr_bytes(&w, val, vlen);
  dfsc__der_put_hdr(&w, DFSC_DER_SEQUENCE, dfsc__der_tlv_size(idlen) + 9);
  dfsc__der_put_hdr(&w, 0x02, idlen);
  dfsc__wr_bytes(&w, id, idlen);
  dfsc__wr_bytes(&w, "\x65\x07\x0a\x01\x00\x04\x00\x04\x00", 9);
  CHECK(!w.bad);

  CHECK(dfsc__ldapping_decode(dg, w.off, msgid, &o2) == 0);
  CHECK(o2.opcode == o->opcode && o2.flags == o->flags);
  CHECK(strcmp(o2.dns_forest, o->dns_forest) == 0);
  CHECK(strcmp(o2.dns_domain, o->dns_domain) == 0);
  CHECK(strcmp(o2.dns_host, o->dns_host) == 0);
  CHECK(strcmp(o2.nb_domain, o->nb_domain) == 0);
  CHECK(strcmp(o2.nb_host, o->nb_host) == 0);
  CHECK(strcmp(o2.dc_site, o->dc_site) == 0);
  CHECK(strcmp(o2.client_site, o->client_site) == 0);
}

/* The request for dom, read back by a walk of its own. */
static void check_request(uint32_t msgid, const char *dom) {
  uint8_t buf[DFSC_LDAPPING_REQ_MAX + 64], id[5];
  size_t dlen = strlen(dom), n, i, idlen;
  int valid = dlen <= 255 && msgid <= DFSC_LDAPPING_MSGID_MAX;
  dfsc_ldapping_reply o;
  dfsc_der_tlv t, f;
  dfsc_rd r, fr;

  for (i = 0; i < dlen; i++)
    if ((unsigned char)dom[i] < 0x21 || (unsigned char)dom[i] > 0x7e)
      valid = 0;
  n = dfsc__ldapping_request(buf, sizeof buf, msgid, dom);
  CHECK((n > 0) == valid);
  if (!valid)
    return;
  CHECK(n <= DFSC_LDAPPING_REQ_MAX);
  CHECK(dfsc__ldapping_request(buf, n - 1, msgid, dom) == 0);
  CHECK(dfsc__ldapping_request(buf, n, msgid, dom) == n);
  CHECK(dfsc__der_check(buf, n, DFSC_DER_MAX_DEPTH) == 0);

  dfsc__rd_init(&r, buf, n);
  CHECK(dfsc__der_expect(&r, DFSC_DER_SEQUENCE, &t) == 0 && dfsc__rd_left(&r) == 0);
  dfsc__rd_init(&r, t.val, t.len);
  idlen = int_bytes(msgid, id);
  CHECK(dfsc__der_expect(&r, 0x02, &t) == 0);
  CHECK(t.len == idlen && memcmp(t.val, id, idlen) == 0);
  CHECK(dfsc__der_expect(&r, 0x63, &t) == 0 && dfsc__rd_left(&r) == 0);
  dfsc__rd_init(&r, t.val, t.len);
  CHECK(dfsc__der_expect(&r, DFSC_DER_OCTET_STRING, &t) == 0 && t.len == 0);
  CHECK(dfsc__der_expect(&r, DFSC_DER_ENUMERATED, &t) == 0 && t.len == 1 && t.val[0] == 0);
  CHECK(dfsc__der_expect(&r, DFSC_DER_ENUMERATED, &t) == 0 && t.len == 1 && t.val[0] == 0);
  CHECK(dfsc__der_expect(&r, 0x02, &t) == 0 && t.len == 1 && t.val[0] == 0);
  CHECK(dfsc__der_expect(&r, 0x02, &t) == 0 && t.len == 1 && t.val[0] == 0);
  CHECK(dfsc__der_expect(&r, 0x01, &t) == 0 && t.len == 1 && t.val[0] == 0);
  CHECK(dfsc__der_expect(&r, 0xA0, &f) == 0);
  CHECK(dfsc__der_expect(&r, DFSC_DER_SEQUENCE, &t) == 0 && dfsc__rd_left(&r) == 0);
  CHECK(t.len == 10 && memcmp(t.val, "\x04\x08Netlogon", 10) == 0);
  /* (&(DnsDomain=dom)(NtVer=\06\00\00\00)), or NtVer alone for "" */
  dfsc__rd_init(&fr, f.val, f.len);
  if (dlen > 0) {
    CHECK(dfsc__der_expect(&fr, 0xA3, &t) == 0);
    dfsc__rd_init(&r, t.val, t.len);
    CHECK(dfsc__der_expect(&r, DFSC_DER_OCTET_STRING, &t) == 0);
    CHECK(t.len == 9 && memcmp(t.val, "DnsDomain", 9) == 0);
    CHECK(dfsc__der_expect(&r, DFSC_DER_OCTET_STRING, &t) == 0 && dfsc__rd_left(&r) == 0);
    CHECK(t.len == dlen && memcmp(t.val, dom, dlen) == 0);
  }
  CHECK(dfsc__der_expect(&fr, 0xA3, &t) == 0 && dfsc__rd_left(&fr) == 0);
  CHECK(t.len == 13 && memcmp(t.val, "\x04\x05NtVer\x04\x04\x06\x00\x00\x00", 13) == 0);

  CHECK(dfsc__ldapping_decode(buf, n, msgid, &o) == DFSC_E_PROTO);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dfsc_ldapping_reply o, o2;
  char dom[301];
  uint32_t msgid;
  size_t i;
  int rc;

  if (size < 4)
    return 0;
  msgid = dfsc__le32(data);
  data += 4;
  size -= 4;

  rc = dfsc__ldapping_decode(data, size, msgid, &o);
  CHECK(rc == 0 || rc == DFSC_E_PROTO);
  if (rc != 0) {
    CHECK(all_zero(&o));
  } else {
    CHECK(o.opcode == DFSC_LDAPPING_OP_RESPONSE_EX ||
          o.opcode == DFSC_LDAPPING_OP_PAUSE_EX ||
          o.opcode == DFSC_LDAPPING_OP_USER_UNKNOWN_EX);
    CHECK(msgid <= DFSC_LDAPPING_MSGID_MAX);
    check_name(o.dns_forest, sizeof o.dns_forest, 1);
    check_name(o.dns_domain, sizeof o.dns_domain, 1);
    check_name(o.dns_host, sizeof o.dns_host, 1);
    check_name(o.nb_domain, sizeof o.nb_domain, 0);
    check_name(o.nb_host, sizeof o.nb_host, 0);
    check_name(o.dc_site, sizeof o.dc_site, 1);
    check_name(o.client_site, sizeof o.client_site, 1);
    CHECK(o.dns_host[0] != '\0');
    CHECK(dfsc__ldapping_decode(data, size, msgid ^ 1, &o2) == DFSC_E_PROTO);
    CHECK(all_zero(&o2));
    check_reencode(&o, msgid);
  }

  for (i = 0; i < size && i < sizeof dom - 1 && data[i] != 0; i++)
    dom[i] = (char)data[i];
  dom[i] = '\0';
  check_request(msgid, dom);
  return 0;
}
