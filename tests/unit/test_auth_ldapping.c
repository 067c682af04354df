/* Unit tests for src/auth/ldapping.c, the LDAP ping codec ([MS-ADTS] 6.3.3):
 * the request's exact bytes (the same bytes the testbed's Samba AD DC
 * answered), its refusals and capacity edge; the DC's captured answers
 * (dfs.test and DFS.TEST, messageIDs 7 and maxInt) and its answer for an
 * unknown domain; truncation at every byte of the datagram and of the
 * Netlogon value; a wrong messageID; hostile compressed names (a pointer to
 * itself, a two-name loop, a forward pointer, a pointer past the end,
 * reserved label types, names of 255 and 256 wire octets, a NUL or a '.'
 * inside a label, a NetBIOS name too long for its field); the optional fields that
 * NtVersion announces; searchResDone first, no Netlogon attribute, empty
 * DnsHostName, indefinite lengths, a wrong opcode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/asn1.h"
#include "auth/ldapping.h"
#include "core/buf.h"
#include "dfsc/errors.h"
#include "golden.h"

/* Captured 2026 from the testbed's Samba AD DC (127.0.0.15, UDP 389): the
 * request below for dfs.test, messageID 7. searchResEntry (objectName "",
 * attribute "netlogon", a 92-byte NETLOGON_SAM_LOGON_RESPONSE_EX with
 * opcode 23, flags 0x11bd, names compressed against "dfs.test" at offset
 * 24 and the DC site) followed by searchResDone (success). */
static const char *dc_reply_7 =
    "307502010764700400306c306a04086e65746c6f676f6e315e045c17000000bd1100006be8f8d07b"
    "9ea84ca291a8640ef4d55e03646673047465737400c01803646331c018074446535445535400034443"
    "3100001744656661756c742d46697273742d536974652d4e616d6500c03905000000ffffffff300c02"
    "010765070a010004000400";
/* The request for DFS.TEST, messageID 0x7fffffff, and its answer. */
static const char *req_upper_max =
    "304d02047fffffff634504000a01000a0100020100020100010100a026a3150409446e73446f6d61"
    "696e04084446532e54455354a30d04054e74566572040406000000300a04084e65746c6f676f6e";
static const char *dc_reply_max =
    "307802047fffffff64700400306c306a04086e65746c6f676f6e315e045c17000000bd1100006be8"
    "f8d07b9ea84ca291a8640ef4d55e03646673047465737400c01803646331c01807444653544553540"
    "00344433100001744656661756c742d46697273742d536974652d4e616d6500c03905000000ffffff"
    "ff300f02047fffffff65070a010004000400";
/* The DC's answer for nosuch.test (messageID 300): searchResDone alone. */
static const char *dc_reply_nosuch = "300d0202012c65070a010004000400";
/* The request for dfs.test, messageID 7, written by hand from RFC 4511
 * 4.5.1 and [MS-ADTS] 6.3.3; the DC answered it with dc_reply_7. */
static const char *req_dfs_7 =
    "304a020107634504000a01000a0100020100020100010100a026a3150409446e73446f6d61696e04"
    "086466732e74657374a30d04054e74566572040406000000300a04084e65746c6f676f6e";

/* The names part of the captured Netlogon value (offset 24 on):
 * DnsForestName dfs.test, DnsDomainName -> 24, DnsHostName dc1 -> 24,
 * NetbiosDomainName DFSTEST, NetbiosComputerName DC1, UserName "",
 * DcSiteName Default-First-Site-Name, ClientSiteName -> 57. */
static const char *dc_names = "03646673047465737400 c018 03646331c018 07444653544553540"
                              "0 0344433100 00 1744656661756c742d46697273742d536974652d"
                              "4e616d6500 c039";

#define NT_5EX_V1 0x00000005u

static uint8_t *dup_exact(const uint8_t *p, size_t n) {
  /* Exactly n bytes on the heap, so ASan sees any read past the end. */
  uint8_t *q = malloc(n ? n : 1);
  assert_non_null(q);
  if (n)
    memcpy(q, p, n);
  return q;
}

static int decode_exact(const uint8_t *p, size_t n, uint32_t msgid,
                        dfsc_ldapping_reply *o) {
  uint8_t *q = dup_exact(p, n);
  int rc = dfsc__ldapping_decode(q, n, msgid, o);
  free(q);
  return rc;
}

/* A Netlogon value: the captured fixed part with `opcode`, the names given
 * as hex, NtVersion `ntver` and the two 0xFFFF tokens. */
static size_t nl_value(uint8_t *out, size_t cap, uint16_t opcode, const char *names_hex,
                       uint32_t ntver) {
  size_t n;
  assert_true(cap >= 24 + 8);
  dfsc__put_le16(out, opcode);
  dfsc__put_le16(out + 2, 0);
  dfsc__put_le32(out + 4, 0x11bd);
  memcpy(out + 8, "\x6b\xe8\xf8\xd0\x7b\x9e\xa8\x4c\xa2\x91\xa8\x64\x0e\xf4\xd5\x5e", 16);
  n = 24 + unhex(names_hex, out + 24, cap - 24 - 8);
  dfsc__put_le32(out + n, ntver);
  dfsc__put_le32(out + n + 4, 0xffffffffu);
  return n + 8;
}

/* The answer datagram around a Netlogon value: searchResEntry with the
 * attributes in pre_hex (if any), then `attr` holding `val`, then (with_done) a
 * searchResDone. Both messages carry msgid (< 128 here). */
static size_t frame_pre(uint8_t *out, size_t cap, uint32_t msgid, const char *pre_hex,
                        const char *attr, const uint8_t *val, size_t vlen, int with_done) {
  uint8_t pre[128];
  size_t plen = pre_hex ? unhex(pre_hex, pre, sizeof pre) : 0;
  size_t alen = strlen(attr);
  size_t vals = dfsc__der_tlv_size(vlen);
  size_t pattr = dfsc__der_tlv_size(alen) + dfsc__der_tlv_size(vals);
  size_t list = plen + dfsc__der_tlv_size(pattr);
  size_t entry = 2 + dfsc__der_tlv_size(list);
  size_t msg = 3 + dfsc__der_tlv_size(entry);
  dfsc_wr w;

  assert_true(msgid < 128);
  dfsc__wr_init(&w, out, cap);
  dfsc__der_put_hdr(&w, 0x30, msg);
  dfsc__wr_bytes(&w, "\x02\x01", 2);
  dfsc__wr_u8(&w, (uint8_t)msgid);
  dfsc__der_put_hdr(&w, 0x64, entry);
  dfsc__wr_bytes(&w, "\x04\x00", 2);
  dfsc__der_put_hdr(&w, 0x30, list);
  dfsc__wr_bytes(&w, pre, plen);
  dfsc__der_put_hdr(&w, 0x30, pattr);
  dfsc__der_put_hdr(&w, 0x04, alen);
  dfsc__wr_bytes(&w, attr, alen);
  dfsc__der_put_hdr(&w, 0x31, vals);
  dfsc__der_put_hdr(&w, 0x04, vlen);
  dfsc__wr_bytes(&w, val, vlen);
  if (with_done) {
    dfsc__wr_bytes(&w, "\x30\x0c\x02\x01", 4);
    dfsc__wr_u8(&w, (uint8_t)msgid);
    dfsc__wr_bytes(&w, "\x65\x07\x0a\x01\x00\x04\x00\x04\x00", 9);
  }
  assert_int_equal(w.bad, 0);
  return w.off;
}

static size_t frame(uint8_t *out, size_t cap, uint32_t msgid, const char *attr,
                    const uint8_t *val, size_t vlen, int with_done) {
  return frame_pre(out, cap, msgid, NULL, attr, val, vlen, with_done);
}

/* Decodes a frame around the value built from names_hex / ntver. */
static int decode_names(const char *names_hex, uint32_t ntver, dfsc_ldapping_reply *o) {
  uint8_t val[1024], dg[1200];
  size_t vlen = nl_value(val, sizeof val, 23, names_hex, ntver);
  size_t n = frame(dg, sizeof dg, 7, "netlogon", val, vlen, 1);
  return decode_exact(dg, n, 7, o);
}

static void check_dc1(const dfsc_ldapping_reply *o) {
  assert_int_equal(o->opcode, 23);
  assert_int_equal(o->flags, 0x11bd);
  assert_true(o->flags & DFSC_LDAPPING_DS_KDC);
  assert_string_equal(o->dns_forest, "dfs.test");
  assert_string_equal(o->dns_domain, "dfs.test");
  assert_string_equal(o->dns_host, "dc1.dfs.test");
  assert_string_equal(o->nb_domain, "DFSTEST");
  assert_string_equal(o->nb_host, "DC1");
  assert_string_equal(o->dc_site, "Default-First-Site-Name");
  assert_string_equal(o->client_site, "Default-First-Site-Name");
}

static int all_zero(const dfsc_ldapping_reply *o) {
  static const dfsc_ldapping_reply zero;
  return memcmp(o, &zero, sizeof zero) == 0;
}

static void test_request_bytes(void **state) {
  uint8_t want[512], buf[DFSC_LDAPPING_REQ_MAX];
  size_t wn, n;
  (void)state;

  wn = unhex(req_dfs_7, want, sizeof want);
  n = dfsc__ldapping_request(buf, sizeof buf, 7, "dfs.test");
  assert_int_equal(n, wn);
  assert_memory_equal(buf, want, wn);

  wn = unhex(req_upper_max, want, sizeof want);
  n = dfsc__ldapping_request(buf, sizeof buf, DFSC_LDAPPING_MSGID_MAX, "DFS.TEST");
  assert_int_equal(n, wn);
  assert_memory_equal(buf, want, wn);

  /* 128 needs a leading zero octet to stay positive; 0 is one octet. */
  n = dfsc__ldapping_request(buf, sizeof buf, 128, "dfs.test");
  assert_int_equal(n, 0x4d);
  assert_memory_equal(buf, "\x30\x4b\x02\x02\x00\x80\x63\x45", 8);
  n = dfsc__ldapping_request(buf, sizeof buf, 0, "dfs.test");
  assert_memory_equal(buf, "\x30\x4a\x02\x01\x00\x63\x45", 7);
  assert_int_equal(n, 0x4c);
  /* The request is well-formed DER in its own right. */
  assert_int_equal(dfsc__der_check(buf, n, DFSC_DER_MAX_DEPTH), 0);
}

static void test_request_refusals(void **state) {
  uint8_t buf[DFSC_LDAPPING_REQ_MAX + 16];
  char dom[300];
  size_t need, cap;
  (void)state;

  /* No domain: a filter of NtVer alone, smaller by the DnsDomain AVA. */
  need = dfsc__ldapping_request(buf, sizeof buf, 7, "");
  assert_true(need > 0 && need < dfsc__ldapping_request(buf, sizeof buf, 7, "d"));
  assert_int_equal(dfsc__der_check(buf, dfsc__ldapping_request(buf, sizeof buf, 7, ""),
                                   DFSC_DER_MAX_DEPTH),
                   0);
  assert_int_equal(dfsc__ldapping_request(buf, sizeof buf, 7, NULL), 0);
  assert_int_equal(dfsc__ldapping_request(NULL, 0, 7, "dfs.test"), 0);
  assert_int_equal(dfsc__ldapping_request(buf, sizeof buf, 7, "dfs test"), 0);
  assert_int_equal(dfsc__ldapping_request(buf, sizeof buf, 7, "dfs\ttest"), 0);
  assert_int_equal(dfsc__ldapping_request(buf, sizeof buf, 7, "d\xc3\xa9.test"), 0);
  assert_int_equal(dfsc__ldapping_request(buf, sizeof buf, 0x80000000u, "dfs.test"), 0);

  /* 255 bytes fit, with the longest messageID, in DFSC_LDAPPING_REQ_MAX
   * (335 bytes: two-octet lengths inside); 256 do not. */
  memset(dom, 'a', sizeof dom);
  dom[255] = '\0';
  need = dfsc__ldapping_request(buf, DFSC_LDAPPING_REQ_MAX, DFSC_LDAPPING_MSGID_MAX, dom);
  assert_int_equal(need, 335);
  assert_int_equal(dfsc__der_check(buf, need, DFSC_DER_MAX_DEPTH), 0);
  dom[255] = 'a';
  dom[256] = '\0';
  assert_int_equal(dfsc__ldapping_request(buf, sizeof buf, 7, dom), 0);
  /* Unterminated past 256 bytes: the scan stops, nothing beyond is read. */
  memset(dom, 'a', sizeof dom);
  assert_int_equal(dfsc__ldapping_request(buf, sizeof buf, 7, dom), 0);

  /* Every capacity short of the need refuses and writes nothing past it. */
  need = dfsc__ldapping_request(buf, sizeof buf, 7, "dfs.test");
  assert_int_equal(need, 0x4c);
  for (cap = 0; cap < need; cap++) {
    memset(buf, 0xee, sizeof buf);
    assert_int_equal(dfsc__ldapping_request(buf, cap, 7, "dfs.test"), 0);
    assert_int_equal(buf[cap], 0xee);
  }
  assert_int_equal(dfsc__ldapping_request(buf, need, 7, "dfs.test"), need);
}

static void test_captured_reply(void **state) {
  uint8_t dg[512];
  size_t n;
  dfsc_ldapping_reply o;
  (void)state;

  n = unhex(dc_reply_7, dg, sizeof dg);
  assert_int_equal(decode_exact(dg, n, 7, &o), 0);
  check_dc1(&o);

  n = unhex(dc_reply_max, dg, sizeof dg);
  assert_int_equal(decode_exact(dg, n, DFSC_LDAPPING_MSGID_MAX, &o), 0);
  check_dc1(&o);

  /* The test's frame builder makes the DC's exact bytes. */
  {
    uint8_t val[256], mine[512];
    size_t vlen = nl_value(val, sizeof val, 23, dc_names, NT_5EX_V1);
    size_t m = frame(mine, sizeof mine, 7, "netlogon", val, vlen, 1);
    n = unhex(dc_reply_7, dg, sizeof dg);
    assert_int_equal(m, n);
    assert_memory_equal(mine, dg, n);
  }
}

static void test_wrong_msgid(void **state) {
  uint8_t dg[512];
  size_t n = unhex(dc_reply_7, dg, sizeof dg);
  dfsc_ldapping_reply o;
  (void)state;

  assert_int_equal(decode_exact(dg, n, 8, &o), DFSC_E_PROTO);
  assert_true(all_zero(&o));
  assert_int_equal(decode_exact(dg, n, 0, &o), DFSC_E_PROTO);
  assert_int_equal(decode_exact(dg, n, 0x80000007u, &o), DFSC_E_PROTO);
  /* Only the searchResDone's messageID wrong. */
  dg[0x77 + 4] = 8;
  assert_int_equal(decode_exact(dg, n, 7, &o), DFSC_E_PROTO);
  /* A negative messageID (-1) never matches. */
  n = unhex(dc_reply_7, dg, sizeof dg);
  dg[4] = 0xff;
  dg[0x77 + 4] = 0xff;
  assert_int_equal(decode_exact(dg, n, 0xffffffffu, &o), DFSC_E_PROTO);
  assert_int_equal(decode_exact(dg, n, 255, &o), DFSC_E_PROTO);
}

static void test_truncation(void **state) {
  uint8_t dg[512], val[256], fr[512];
  size_t n = unhex(dc_reply_7, dg, sizeof dg), k, vlen, m;
  dfsc_ldapping_reply o;
  (void)state;

  /* Every prefix of the datagram fails, except the one that ends right
   * after the searchResEntry (0x77 bytes): the searchResDone is optional. */
  for (k = 0; k < n; k++) {
    int rc = decode_exact(dg, k, 7, &o);
    if (k == 0x77) {
      assert_int_equal(rc, 0);
      check_dc1(&o);
    } else {
      if (rc != DFSC_E_PROTO)
        fail_msg("prefix %zu: rc %d", k, rc);
      assert_true(all_zero(&o));
    }
  }
  /* Every prefix of the Netlogon value, framed correctly, fails. */
  vlen = nl_value(val, sizeof val, 23, dc_names, NT_5EX_V1);
  for (k = 0; k < vlen; k++) {
    m = frame(fr, sizeof fr, 7, "netlogon", val, k, 1);
    if (decode_exact(fr, m, 7, &o) != DFSC_E_PROTO)
      fail_msg("value prefix %zu decoded", k);
    /* Names decoded before the fault are not left behind. */
    assert_true(all_zero(&o));
  }
  m = frame(fr, sizeof fr, 7, "netlogon", val, vlen, 1);
  assert_int_equal(decode_exact(fr, m, 7, &o), 0);
  /* One byte too many in the value fails as well. */
  val[vlen] = 0;
  m = frame(fr, sizeof fr, 7, "netlogon", val, vlen + 1, 1);
  assert_int_equal(decode_exact(fr, m, 7, &o), DFSC_E_PROTO);
}

static void test_hostile_names(void **state) {
  dfsc_ldapping_reply o;
  char names[2048];
  int i;
  (void)state;

  assert_int_equal(decode_names(dc_names, NT_5EX_V1, &o), 0);
  check_dc1(&o);
  /* DnsForestName is a pointer to itself (offset 24). */
  assert_int_equal(decode_names("c018 c018 03646331c018 00 00 00 00 00", NT_5EX_V1, &o),
                   DFSC_E_PROTO);
  /* A label, then a pointer back to that label: a loop. */
  assert_int_equal(decode_names("0161c018 00 03646331c018 00 00 00 00 00", NT_5EX_V1, &o),
                   DFSC_E_PROTO);
  /* Forest name -> host name (26) -> forest name (24): a two-name loop,
   * refused at its forward jump. */
  assert_int_equal(decode_names("c01a 03646331c018 00 00 00 00 00 00", NT_5EX_V1, &o),
                   DFSC_E_PROTO);
  /* A forward pointer (to DnsHostName at 36). */
  assert_int_equal(
      decode_names("03646673047465737400 c024 03646331c018 00 00 00 00 00", NT_5EX_V1, &o),
      DFSC_E_PROTO);
  /* Pointers past the end and into the tail. */
  assert_int_equal(
      decode_names("03646673047465737400 c0ff 03646331c018 00 00 00 00 00", NT_5EX_V1, &o),
      DFSC_E_PROTO);
  assert_int_equal(
      decode_names("03646673047465737400 ffff 03646331c018 00 00 00 00 00", NT_5EX_V1, &o),
      DFSC_E_PROTO);
  /* A pointer cut in half at the end of the names. */
  assert_int_equal(
      decode_names("03646673047465737400 00 03646331c018 00 00 00 00 c0", NT_5EX_V1, &o),
      DFSC_E_PROTO);
  /* Label types 0x40 and 0x80 are reserved: a length over 63. */
  snprintf(names, sizeof names, "40");
  for (i = 0; i < 64; i++)
    strcat(names, "61");
  strcat(names, "00 00 03646331c018 00 00 00 00 00");
  assert_int_equal(decode_names(names, NT_5EX_V1, &o), DFSC_E_PROTO);
  assert_int_equal(decode_names("8161 00 00 03646331c018 00 00 00 00 00", NT_5EX_V1, &o),
                   DFSC_E_PROTO);
  /* A NUL or a control byte inside a label. */
  assert_int_equal(
      decode_names("03640073047465737400 00 03646331c018 00 00 00 00 00", NT_5EX_V1, &o),
      DFSC_E_PROTO);
  assert_int_equal(
      decode_names("0364660a047465737400 00 03646331c018 00 00 00 00 00", NT_5EX_V1, &o),
      DFSC_E_PROTO);
  /* A '.' inside a label: "dc1.evil" as one label is not two. */
  assert_int_equal(decode_names("00 00 086463312e6576696c00 00 00 00 00 00", NT_5EX_V1, &o),
                   DFSC_E_PROTO);
  assert_int_equal(
      decode_names("00 00 0364633104657669 6c00 00 00 00 00 00", NT_5EX_V1, &o), 0);
  assert_string_equal(o.dns_host, "dc1.evil");
  /* No terminating zero before the tail. */
  assert_int_equal(decode_names("03646673 0474657374", NT_5EX_V1, &o), DFSC_E_PROTO);
  /* Empty DnsHostName. */
  assert_int_equal(
      decode_names("03646673047465737400 c018 00 00 00 00 00 00", NT_5EX_V1, &o),
      DFSC_E_PROTO);
  assert_true(all_zero(&o));
  /* A host name made only of empty-name pointers is empty too. */
  assert_int_equal(decode_names("00 00 c018 00 00 00 00 00", NT_5EX_V1, &o), DFSC_E_PROTO);
}

/* A host name of `labels` labels of 63 'a' plus one of `last` bytes. */
static void long_host(char *names, size_t cap, int labels, int last) {
  int i, j;

  snprintf(names, cap, "00 00 ");
  for (i = 0; i <= labels; i++) {
    int l = i < labels ? 63 : last;
    char h[4];
    snprintf(h, sizeof h, "%02x", l);
    strcat(names, h);
    for (j = 0; j < l; j++)
      strcat(names, "61");
  }
  strcat(names, "00 00 00 00 00 00");
}

static void test_name_lengths(void **state) {
  dfsc_ldapping_reply o;
  char names[2048];
  (void)state;

  /* 3 x (1 + 63) + (1 + 62) + the final zero = 256 octets: too long. */
  long_host(names, sizeof names, 3, 62);
  assert_int_equal(decode_names(names, NT_5EX_V1, &o), DFSC_E_PROTO);
  /* 3 x 64 + 62 + 1 = 255: the longest name, 253 characters of text. */
  long_host(names, sizeof names, 3, 61);
  assert_int_equal(decode_names(names, NT_5EX_V1, &o), 0);
  assert_int_equal(strlen(o.dns_host), 253);
  assert_int_equal(o.dns_host[63], '.');
  /* The same length reached through a pointer: host "aaa" + 3 labels of
   * 63 + one of 58 from the forest name: 4 + 3 x 64 + 59 + 1 = 256 octets. */
  {
    char *p = names;
    int i, j;
    for (i = 0; i < 4; i++) {
      int l = i < 3 ? 63 : 58;
      p += sprintf(p, "%02x", l);
      for (j = 0; j < l; j++)
        p += sprintf(p, "62");
    }
    sprintf(p, "00 00 03616161c018 00 00 00 00 00");
    assert_int_equal(decode_names(names, NT_5EX_V1, &o), DFSC_E_PROTO);
    /* One byte shorter in the shared suffix: 255, accepted. */
    p = names;
    for (i = 0; i < 4; i++) {
      int l = i < 3 ? 63 : 57;
      p += sprintf(p, "%02x", l);
      for (j = 0; j < l; j++)
        p += sprintf(p, "62");
    }
    sprintf(p, "00 00 03616161c018 00 00 00 00 00");
    assert_int_equal(decode_names(names, NT_5EX_V1, &o), 0);
    assert_int_equal(strlen(o.dns_host), 4 + 3 * 64 + 57);
  }
  /* NetbiosComputerName of 63 fits its 64-byte field; two labels (65
   * characters joined) do not. */
  {
    char *p = names;
    int j;
    p += sprintf(p, "00 00 03646331 00 00 3f");
    for (j = 0; j < 63; j++)
      p += sprintf(p, "41");
    sprintf(p, "00 00 00 00");
    assert_int_equal(decode_names(names, NT_5EX_V1, &o), 0);
    assert_int_equal(strlen(o.nb_host), 63);
    p = names;
    p += sprintf(p, "00 00 03646331 00 00 20");
    for (j = 0; j < 32; j++)
      p += sprintf(p, "41");
    p += sprintf(p, "20");
    for (j = 0; j < 32; j++)
      p += sprintf(p, "41");
    sprintf(p, "00 00 00 00");
    assert_int_equal(decode_names(names, NT_5EX_V1, &o), DFSC_E_PROTO);
  }
}

/* Forest "", domain "", host dc1 (26), NetBIOS names "", user "",
 * DcSiteName "site" (34), ClientSiteName "" (40); 41 is the first byte
 * after the names. */
#define BASE_NAMES "00 00 0364633100 00 00 00 047369746500 00"
#define SOCKADDR " 10 02000000 7f00000f 0000000000000000"

static void test_optional_fields(void **state) {
  dfsc_ldapping_reply o;
  (void)state;

  assert_int_equal(decode_names(BASE_NAMES, NT_5EX_V1, &o), 0);
  assert_string_equal(o.dns_host, "dc1");
  assert_string_equal(o.dc_site, "site");
  /* V5EX_WITH_IP: DcSockAddrSize 16 + a SOCKADDR_IN after ClientSiteName. */
  assert_int_equal(decode_names(BASE_NAMES SOCKADDR, NT_5EX_V1 | 0x8, &o), 0);
  assert_string_equal(o.dns_host, "dc1");
  /* Announced but missing, or longer than what is left. */
  assert_int_equal(decode_names(BASE_NAMES, NT_5EX_V1 | 0x8, &o), DFSC_E_PROTO);
  assert_int_equal(decode_names(BASE_NAMES " 11 02000000 7f00000f 0000000000000000",
                                NT_5EX_V1 | 0x8, &o),
                   DFSC_E_PROTO);
  /* Present but not announced. */
  assert_int_equal(decode_names(BASE_NAMES SOCKADDR, NT_5EX_V1, &o), DFSC_E_PROTO);
  /* WITH_CLOSEST_SITE: NextClosestSiteName, here a pointer to DcSiteName. */
  assert_int_equal(decode_names(BASE_NAMES " c022", NT_5EX_V1 | 0x10, &o), 0);
  assert_string_equal(o.dc_site, "site");
  assert_int_equal(decode_names(BASE_NAMES, NT_5EX_V1 | 0x10, &o), DFSC_E_PROTO);
  assert_int_equal(decode_names(BASE_NAMES " c029", NT_5EX_V1 | 0x10, &o), DFSC_E_PROTO);
  /* Both, in the order of [MS-ADTS] 6.3.1.9. */
  assert_int_equal(decode_names(BASE_NAMES SOCKADDR " 00", NT_5EX_V1 | 0x18, &o), 0);
  assert_int_equal(decode_names(BASE_NAMES " 00" SOCKADDR, NT_5EX_V1 | 0x18, &o),
                   DFSC_E_PROTO);
}

/* A chain of pointers: NextClosestSiteName -> 8 nodes in DcSockAddr -> 7
 * nodes in DomainGuid -> the end at 8 (16 hops), or one more node at 8 and
 * the end at 6 (17 hops). */
static int hop_chain(int hops17, dfsc_ldapping_reply *o) {
  uint8_t val[256], dg[512];
  size_t vlen, n;
  int i;

  vlen = nl_value(val, sizeof val, 23,
                  BASE_NAMES " 10 c016 c02a c02c c02e c030 c032 c034 c036 c038", 0x1d);
  for (i = 0; i < 7; i++) {
    val[10 + 2 * i] = 0xc0;
    val[11 + 2 * i] = (uint8_t)(8 + 2 * i);
  }
  val[8] = 0;
  if (hops17) {
    val[8] = 0xc0;
    val[9] = 6;
    val[6] = 0;
  }
  n = frame(dg, sizeof dg, 7, "netlogon", val, vlen, 1);
  return decode_exact(dg, n, 7, o);
}

static void test_hop_bound(void **state) {
  dfsc_ldapping_reply o;
  (void)state;

  assert_int_equal(hop_chain(0, &o), 0);
  assert_string_equal(o.dns_host, "dc1");
  assert_int_equal(hop_chain(1, &o), DFSC_E_PROTO);
}

static void test_ldap_framing(void **state) {
  uint8_t val[256], dg[512], two[512];
  size_t vlen = nl_value(val, sizeof val, 23, dc_names, NT_5EX_V1), n, m;
  dfsc_ldapping_reply o;
  (void)state;

  /* The DC's own answer for an unknown domain: searchResDone alone. */
  n = unhex(dc_reply_nosuch, dg, sizeof dg);
  assert_int_equal(decode_exact(dg, n, 300, &o), DFSC_E_PROTO);
  /* searchResDone first, then the entry. */
  n = frame(dg, sizeof dg, 7, "netlogon", val, vlen, 1);
  memcpy(two, dg + 0x77, n - 0x77);
  memcpy(two + (n - 0x77), dg, 0x77);
  assert_int_equal(decode_exact(two, n, 7, &o), DFSC_E_PROTO);
  /* The entry's content under another tag (searchResDone's). */
  n = unhex(dc_reply_7, dg, sizeof dg);
  dg[5] = 0x65;
  assert_int_equal(decode_exact(dg, n, 7, &o), DFSC_E_PROTO);
  /* A malformed TLV inside the searchResDone (an indefinite length). */
  n = unhex(dc_reply_7, dg, sizeof dg);
  dg[0x77 + 11] = 0x80;
  assert_int_equal(decode_exact(dg, n, 7, &o), DFSC_E_PROTO);
  /* Entry without the searchResDone: fine. Both spellings of the name. */
  n = frame(dg, sizeof dg, 7, "Netlogon", val, vlen, 0);
  assert_int_equal(decode_exact(dg, n, 7, &o), 0);
  n = frame(dg, sizeof dg, 7, "NETLOGON", val, vlen, 1);
  assert_int_equal(decode_exact(dg, n, 7, &o), 0);
  /* No Netlogon attribute. */
  n = frame(dg, sizeof dg, 7, "netlogox", val, vlen, 1);
  assert_int_equal(decode_exact(dg, n, 7, &o), DFSC_E_PROTO);
  n = frame(dg, sizeof dg, 7, "netlogo", val, vlen, 1);
  assert_int_equal(decode_exact(dg, n, 7, &o), DFSC_E_PROTO);
  /* Wrong opcodes: 19 (LOGON_SAM_LOGON_RESPONSE, another layout), 0. */
  vlen = nl_value(val, sizeof val, 19, dc_names, NT_5EX_V1);
  n = frame(dg, sizeof dg, 7, "netlogon", val, vlen, 1);
  assert_int_equal(decode_exact(dg, n, 7, &o), DFSC_E_PROTO);
  vlen = nl_value(val, sizeof val, 25, dc_names, NT_5EX_V1);
  n = frame(dg, sizeof dg, 7, "netlogon", val, vlen, 1);
  assert_int_equal(decode_exact(dg, n, 7, &o), 0);
  assert_int_equal(o.opcode, 25);

  /* Hand-edited captures: an empty vals SET; an indefinite length; a
   * controls [0] after the op (accepted); junk after the last message; a
   * second attribute before netlogon (accepted). */
  n = unhex("30170201076412 0400 300e 300c 04086e65746c6f676f6e 3100", dg, sizeof dg);
  assert_int_equal(decode_exact(dg, n, 7, &o), DFSC_E_PROTO);
  n = unhex(dc_reply_7, dg, sizeof dg);
  dg[1] = 0x80;
  assert_int_equal(decode_exact(dg, n, 7, &o), DFSC_E_PROTO);
  n = unhex(dc_reply_7, dg, sizeof dg);
  m = n - 14; /* the searchResDone */
  dg[1] += 2;
  dg[m] = 0xa0;
  dg[m + 1] = 0x00;
  n = m + 2;
  assert_int_equal(decode_exact(dg, n, 7, &o), 0);
  dg[m] = 0xa1;
  assert_int_equal(decode_exact(dg, n, 7, &o), DFSC_E_PROTO);
  n = unhex(dc_reply_7, dg, sizeof dg);
  dg[n] = 0x00;
  assert_int_equal(decode_exact(dg, n + 1, 7, &o), DFSC_E_PROTO);
  /* attributes { {"objectClass", {"top"}}, {"netlogon", {value}} } */
  vlen = nl_value(val, sizeof val, 23, dc_names, NT_5EX_V1);
  n = frame_pre(dg, sizeof dg, 7, "3014040b6f626a656374436c617373 3105 0403746f70",
                "netlogon", val, vlen, 1);
  assert_int_equal(decode_exact(dg, n, 7, &o), 0);
  check_dc1(&o);
  /* A malformed attribute before it is not skipped. */
  n = frame_pre(dg, sizeof dg, 7, "3003 040100", "netlogon", val, vlen, 1);
  assert_int_equal(decode_exact(dg, n, 7, &o), DFSC_E_PROTO);
  /* Four messages are accepted, five are over the bound. */
  n = unhex(dc_reply_7, dg, sizeof dg);
  m = n;
  for (int i = 0; i < 3; i++) {
    memcpy(dg + m, dg + 0x77, 14);
    m += 14;
  }
  assert_int_equal(decode_exact(dg, m - 14, 7, &o), 0);
  assert_int_equal(decode_exact(dg, m, 7, &o), DFSC_E_PROTO);
  assert_int_equal(dfsc__ldapping_decode(NULL, 0, 7, &o), DFSC_E_PROTO);
  assert_int_equal(dfsc__ldapping_decode(dg, n, 7, NULL), DFSC_E_PROTO);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_request_bytes),  cmocka_unit_test(test_request_refusals),
      cmocka_unit_test(test_captured_reply), cmocka_unit_test(test_wrong_msgid),
      cmocka_unit_test(test_truncation),     cmocka_unit_test(test_hostile_names),
      cmocka_unit_test(test_name_lengths),   cmocka_unit_test(test_optional_fields),
      cmocka_unit_test(test_ldap_framing),   cmocka_unit_test(test_hop_bound),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
