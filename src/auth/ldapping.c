/* LDAP ping codec ([MS-ADTS] 6.3.3): the CLDAP searchRequest for the
 * Netlogon attribute, and the decoder of the DC's answer down to the fields
 * of NETLOGON_SAM_LOGON_RESPONSE_EX ([MS-ADTS] 6.3.1.9).
 *
 * LDAP is BER (RFC 4511 5.1); the DC's answers use definite lengths only, so
 * the whole datagram goes through dfsc__der_check() first and anything
 * indefinite or nested past DFSC_DER_MAX_DEPTH is refused there.
 * Does not: allocate, do I/O, or accept the older NETLOGON response layouts.
 */
#include "auth/ldapping.h"

#include <string.h>

#include "auth/asn1.h"
#include "core/buf.h"
#include "dfsc/errors.h"

/* RFC 4511 4.2 / 4.5.1 / 4.5.2 / 4.5.1.7: the protocolOp tags. */
#define LDAP_SEARCH_REQUEST 0x63 /* [APPLICATION 3] constructed */
#define LDAP_SEARCH_ENTRY 0x64   /* [APPLICATION 4] constructed */
#define LDAP_CONTROLS 0xA0       /* LDAPMessage controls [0] */
#define LDAP_FILTER_AND 0xA0     /* Filter and [0] SET OF Filter */
#define LDAP_FILTER_EQ 0xA3      /* Filter equalityMatch [3] */
#define BER_BOOLEAN 0x01
#define BER_INTEGER 0x02
#define BER_SET 0x31

/* A CLDAP answer is one searchResEntry and one searchResDone; a few more
 * messages are tolerated, a datagram of hundreds is not an answer. */
#define MAX_MESSAGES 4
/* A searchResEntry for the Netlogon ping carries one attribute; the bound
 * only keeps a hostile list from costing more than a scan of its bytes. */
#define MAX_ATTRS 64
/* Microsoft compresses a name into at most one pointer to an earlier name;
 * a few chained pointers are legal, more are an attack. */
#define MAX_HOPS 16
/* RFC 1035 2.3.4: a name is at most 255 octets on the wire. */
#define MAX_NAME_WIRE 255
/* The fixed part: Opcode, Sbz, Flags, DomainGuid. */
#define NL_FIXED 24
/* The tail: NtVersion, LmNtToken, Lm20Token. */
#define NL_TAIL 8
/* NETLOGON_NT_VERSION bits ([MS-ADTS] 6.3.1.1). */
#define NT_VERSION_5 0x00000002u
#define NT_VERSION_5EX 0x00000004u
#define NT_VERSION_5EX_WITH_IP 0x00000008u
#define NT_VERSION_WITH_CLOSEST_SITE 0x00000010u

static const char attr_dnsdomain[] = "DnsDomain";
static const char attr_ntver[] = "NtVer";
static const char attr_netlogon[] = "Netlogon";
/* [MS-ADTS] 6.3.3.2: NtVer is a 32-bit little-endian value. */
static const uint8_t ntver_value[4] = {NT_VERSION_5 | NT_VERSION_5EX, 0, 0, 0};

/* Octets of the minimal two's-complement INTEGER content for v. */
static size_t int_len(uint32_t v) {
  size_t n = 1;
  while (n < 4 && (v >> (8 * n)) != 0)
    n++;
  /* A set top bit would read as negative: one more leading zero octet. */
  if ((v >> (8 * n - 1)) & 1)
    n++;
  return n;
}

static void put_int(dfsc_wr *w, uint32_t v) {
  size_t n = int_len(v), i;

  dfsc__der_put_hdr(w, BER_INTEGER, n);
  for (i = n; i > 0; i--)
    dfsc__wr_u8(w, i > 4 ? 0 : (uint8_t)(v >> (8 * (i - 1))));
}

static void put_octets(dfsc_wr *w, const void *p, size_t n) {
  dfsc__der_put_hdr(w, DFSC_DER_OCTET_STRING, n);
  dfsc__wr_bytes(w, p, n);
}

size_t dfsc__ldapping_request(uint8_t *buf, size_t cap, uint32_t msgid,
                              const char *dns_domain) {
  size_t dlen = 0, ava_dom, ava_ver, and_len, attrs_len, sr_len, msg_len, total;
  size_t ret = 0;
  dfsc_wr w;

  if (buf == NULL || dns_domain == NULL || msgid > DFSC_LDAPPING_MSGID_MAX)
    goto out;
  /* Bounded scan: a name longer than 255 bytes is refused unread. */
  while (dlen <= MAX_NAME_WIRE && dns_domain[dlen] != '\0') {
    unsigned char c = (unsigned char)dns_domain[dlen];
    /* Printable ASCII without space: a DNS name never has one, and the
     * value goes to the DC unescaped. */
    if (c < 0x21 || c > 0x7e)
      goto out;
    dlen++;
  }
  if (dlen > MAX_NAME_WIRE)
    goto out;

  /* Sizes from the inside out (RFC 4511 4.5.1):
   * LDAPMessage ::= SEQUENCE { messageID, [APPLICATION 3] SEQUENCE {
   *   baseObject "", scope baseObject(0), derefAliases never(0),
   *   sizeLimit 0, timeLimit 0, typesOnly FALSE,
   *   filter and [0] { equalityMatch [3] { "DnsDomain", domain },
   *                    equalityMatch [3] { "NtVer", 06 00 00 00 } },
   *   attributes SEQUENCE { "Netlogon" } } } */
  ava_dom = dfsc__der_tlv_size(sizeof attr_dnsdomain - 1) + dfsc__der_tlv_size(dlen);
  ava_ver =
      dfsc__der_tlv_size(sizeof attr_ntver - 1) + dfsc__der_tlv_size(sizeof ntver_value);
  /* No domain (a NetBIOS name, which no filter attribute matches): the
   * filter is NtVer alone and the DC answers for its own domain. */
  and_len = (dlen > 0 ? dfsc__der_tlv_size(ava_dom) : 0) + dfsc__der_tlv_size(ava_ver);
  attrs_len = dfsc__der_tlv_size(sizeof attr_netlogon - 1);
  sr_len = dfsc__der_tlv_size(0) + 3 * 2 + 3 * 2 + 3 + dfsc__der_tlv_size(and_len) +
           dfsc__der_tlv_size(attrs_len);
  msg_len = dfsc__der_tlv_size(int_len(msgid)) + dfsc__der_tlv_size(sr_len);
  total = dfsc__der_tlv_size(msg_len);
  if (total > cap)
    goto out;

  dfsc__wr_init(&w, buf, cap);
  dfsc__der_put_hdr(&w, DFSC_DER_SEQUENCE, msg_len);
  put_int(&w, msgid);
  dfsc__der_put_hdr(&w, LDAP_SEARCH_REQUEST, sr_len);
  put_octets(&w, "", 0);
  dfsc__der_put_hdr(&w, DFSC_DER_ENUMERATED, 1); /* scope: baseObject */
  dfsc__wr_u8(&w, 0);
  dfsc__der_put_hdr(&w, DFSC_DER_ENUMERATED, 1); /* derefAliases: never */
  dfsc__wr_u8(&w, 0);
  put_int(&w, 0);                        /* sizeLimit */
  put_int(&w, 0);                        /* timeLimit */
  dfsc__der_put_hdr(&w, BER_BOOLEAN, 1); /* typesOnly FALSE */
  dfsc__wr_u8(&w, 0);
  dfsc__der_put_hdr(&w, LDAP_FILTER_AND, and_len);
  if (dlen > 0) {
    dfsc__der_put_hdr(&w, LDAP_FILTER_EQ, ava_dom);
    put_octets(&w, attr_dnsdomain, sizeof attr_dnsdomain - 1);
    put_octets(&w, dns_domain, dlen);
  }
  dfsc__der_put_hdr(&w, LDAP_FILTER_EQ, ava_ver);
  put_octets(&w, attr_ntver, sizeof attr_ntver - 1);
  put_octets(&w, ntver_value, sizeof ntver_value);
  dfsc__der_put_hdr(&w, DFSC_DER_SEQUENCE, attrs_len);
  put_octets(&w, attr_netlogon, sizeof attr_netlogon - 1);
  if (w.bad || w.off != total)
    goto out;
  ret = total;
out:
  return ret;
}

/* Reads a non-negative INTEGER that fits 31 bits (RFC 4511 4.1.1 MessageID
 * ::= INTEGER (0 .. maxInt)). Returns 0 or DFSC_E_PROTO. */
static int get_msgid(const dfsc_der_tlv *t, uint32_t *v) {
  uint64_t acc = 0;
  size_t i;

  /* Five octets: a leading zero before 0x80..0xff in the top byte. */
  if (t->tag != BER_INTEGER || t->len == 0 || t->len > 5 || (t->val[0] & 0x80) != 0)
    return DFSC_E_PROTO;
  for (i = 0; i < t->len; i++)
    acc = (acc << 8) | t->val[i];
  if (acc > DFSC_LDAPPING_MSGID_MAX)
    return DFSC_E_PROTO;
  *v = (uint32_t)acc;
  return 0;
}

/* LDAP attribute descriptions compare without case (RFC 4512 2.5);
 * Samba answers "netlogon". */
static int is_netlogon(const dfsc_der_tlv *t) {
  size_t i, n = sizeof attr_netlogon - 1;

  if (t->len != n)
    return 0;
  for (i = 0; i < n; i++) {
    uint8_t c = t->val[i];
    if (c >= 'A' && c <= 'Z')
      c = (uint8_t)(c - 'A' + 'a');
    if (c != (uint8_t)(attr_netlogon[i] | 0x20))
      return 0;
  }
  return 1;
}

/* SearchResultEntry ::= [APPLICATION 4] SEQUENCE { objectName LDAPDN,
 * attributes PartialAttributeList } (RFC 4511 4.5.2): finds the first value
 * of the Netlogon attribute. Returns 0 or DFSC_E_PROTO. */
static int find_netlogon(const dfsc_der_tlv *entry, dfsc_der_tlv *val) {
  dfsc_der_tlv name, list, attr, type, vals;
  dfsc_rd r, lr, ar, vr;
  int i, rc = DFSC_E_PROTO;

  dfsc__rd_init(&r, entry->val, entry->len);
  if (dfsc__der_expect(&r, DFSC_DER_OCTET_STRING, &name) != 0 ||
      dfsc__der_expect(&r, DFSC_DER_SEQUENCE, &list) != 0 || dfsc__rd_left(&r) != 0)
    goto out;
  dfsc__rd_init(&lr, list.val, list.len);
  for (i = 0; i < MAX_ATTRS && dfsc__rd_left(&lr) > 0; i++) {
    /* PartialAttribute ::= SEQUENCE { type, vals SET OF value } */
    if (dfsc__der_expect(&lr, DFSC_DER_SEQUENCE, &attr) != 0)
      goto out;
    dfsc__rd_init(&ar, attr.val, attr.len);
    if (dfsc__der_expect(&ar, DFSC_DER_OCTET_STRING, &type) != 0 ||
        dfsc__der_expect(&ar, BER_SET, &vals) != 0 || dfsc__rd_left(&ar) != 0)
      goto out;
    if (!is_netlogon(&type))
      continue;
    dfsc__rd_init(&vr, vals.val, vals.len);
    if (dfsc__der_expect(&vr, DFSC_DER_OCTET_STRING, val) != 0)
      goto out;
    rc = 0;
    goto out;
  }
out:
  return rc;
}

/* Decompresses the name at v[*pos] (RFC 1035 4.1.4) into out[0..cap) with
 * labels joined by '.', and moves *pos past the name's bytes in place (up
 * to its terminating zero or its first pointer). Pointers are offsets into
 * v. Each pointer must land before the start of the run of labels that led
 * to it, so positions fall strictly and no loop is possible; MAX_HOPS bounds
 * the chain anyway. Returns 0 or DFSC_E_PROTO. */
static int get_name(const uint8_t *v, size_t vlen, size_t *pos, char *out, size_t cap) {
  size_t at = *pos, run = *pos, next = 0, wire = 0, o = 0, i;
  int jumped = 0, hops = 0, rc = DFSC_E_PROTO;

  out[0] = '\0';
  for (;;) {
    uint8_t c;

    if (at >= vlen)
      goto out;
    c = v[at];
    if (c == 0) {
      if (!jumped)
        next = at + 1;
      break;
    }
    if ((c & 0xC0) == 0xC0) {
      size_t target;

      if (vlen - at < 2 || ++hops > MAX_HOPS)
        goto out;
      target = (size_t)(c & 0x3F) << 8 | v[at + 1];
      if (target >= run)
        goto out;
      if (!jumped)
        next = at + 2;
      jumped = 1;
      at = run = target;
      continue;
    }
    /* 0x40 and 0x80 are reserved label types: a length over 63 has no
     * other encoding. */
    if ((c & 0xC0) != 0)
      goto out;
    if (vlen - at - 1 < c)
      goto out;
    /* The wire form counts each length octet and the final zero. */
    wire += 1 + (size_t)c;
    if (wire + 1 > MAX_NAME_WIRE)
      goto out;
    /* Room for the separator, the label and the terminating NUL. */
    if ((o > 0 ? 1 : 0) + (size_t)c + 1 > cap - o)
      goto out;
    if (o > 0)
      out[o++] = '.';
    for (i = 0; i < c; i++) {
      uint8_t b = v[at + 1 + i];
      /* A NUL would cut the name short; control bytes have no place in a
       * host, domain or site name; a '.' inside a label would make the
       * joined text name other labels than the DC sent. */
      if (b < 0x20 || b == 0x7f || b == '.')
        goto out;
      out[o++] = (char)b;
    }
    out[o] = '\0';
    at += 1 + (size_t)c;
  }
  *pos = next;
  rc = 0;
out:
  if (rc != 0)
    out[0] = '\0';
  return rc;
}

/* NETLOGON_SAM_LOGON_RESPONSE_EX ([MS-ADTS] 6.3.1.9). Its optional fields
 * depend on NtVersion, which comes last, so the tail is read first. */
static int decode_netlogon(const uint8_t *v, size_t vlen, dfsc_ldapping_reply *out) {
  char scratch[256];
  size_t pos = NL_FIXED, end;
  uint32_t ntver;
  int rc = DFSC_E_PROTO;

  if (vlen < NL_FIXED + NL_TAIL)
    goto out;
  out->opcode = dfsc__le16(v);
  out->flags = dfsc__le32(v + 4);
  if (out->opcode != DFSC_LDAPPING_OP_RESPONSE_EX &&
      out->opcode != DFSC_LDAPPING_OP_PAUSE_EX &&
      out->opcode != DFSC_LDAPPING_OP_USER_UNKNOWN_EX)
    goto out;
  end = vlen - NL_TAIL;
  ntver = dfsc__le32(v + end);
  if (get_name(v, end, &pos, out->dns_forest, sizeof out->dns_forest) != 0 ||
      get_name(v, end, &pos, out->dns_domain, sizeof out->dns_domain) != 0 ||
      get_name(v, end, &pos, out->dns_host, sizeof out->dns_host) != 0 ||
      get_name(v, end, &pos, out->nb_domain, sizeof out->nb_domain) != 0 ||
      get_name(v, end, &pos, out->nb_host, sizeof out->nb_host) != 0 ||
      get_name(v, end, &pos, scratch, sizeof scratch) != 0 || /* UserName */
      get_name(v, end, &pos, out->dc_site, sizeof out->dc_site) != 0 ||
      get_name(v, end, &pos, out->client_site, sizeof out->client_site) != 0)
    goto out;
  if (ntver & NT_VERSION_5EX_WITH_IP) {
    /* DcSockAddrSize, then that many bytes of a SOCKADDR_IN. */
    size_t n;
    if (pos >= end)
      goto out;
    n = v[pos++];
    if (n > end - pos)
      goto out;
    pos += n;
  }
  if ((ntver & NT_VERSION_WITH_CLOSEST_SITE) &&
      get_name(v, end, &pos, scratch, sizeof scratch) != 0) /* NextClosestSiteName */
    goto out;
  if (pos != end || out->dns_host[0] == '\0')
    goto out;
  rc = 0;
out:
  return rc;
}

int dfsc__ldapping_decode(const uint8_t *p, size_t len, uint32_t msgid,
                          dfsc_ldapping_reply *out) {
  dfsc_der_tlv msg, id, op, ctl, val;
  dfsc_rd r, mr;
  uint32_t got;
  int i, found = 0, rc = DFSC_E_PROTO;

  if (out == NULL)
    return DFSC_E_PROTO;
  memset(out, 0, sizeof *out);
  /* Every TLV well formed, definite, and not nested too deep. */
  if (p == NULL || dfsc__der_check(p, len, DFSC_DER_MAX_DEPTH) != 0)
    goto out;
  dfsc__rd_init(&r, p, len);
  for (i = 0; dfsc__rd_left(&r) > 0; i++) {
    if (i >= MAX_MESSAGES)
      goto out;
    /* LDAPMessage ::= SEQUENCE { messageID, protocolOp, controls [0]
     * OPTIONAL } (RFC 4511 4.2). CLDAP answers carry no "user" field. */
    if (dfsc__der_expect(&r, DFSC_DER_SEQUENCE, &msg) != 0)
      goto out;
    dfsc__rd_init(&mr, msg.val, msg.len);
    if (dfsc__der_next(&mr, &id) != 0 || get_msgid(&id, &got) != 0 || got != msgid)
      goto out;
    if (dfsc__der_next(&mr, &op) != 0)
      goto out;
    if (dfsc__rd_left(&mr) > 0 &&
        (dfsc__der_expect(&mr, LDAP_CONTROLS, &ctl) != 0 || dfsc__rd_left(&mr) != 0))
      goto out;
    /* The entry comes first ([MS-ADTS] 6.3.3.3); a searchResDone alone
     * means the DC did not answer for that domain. What follows the entry
     * (the searchResDone) need only be well formed and ours. */
    if (i == 0) {
      if (op.tag != LDAP_SEARCH_ENTRY || find_netlogon(&op, &val) != 0 ||
          decode_netlogon(val.val, val.len, out) != 0)
        goto out;
      found = 1;
    }
  }
  if (found && !r.bad)
    rc = 0;
out:
  if (rc != 0)
    memset(out, 0, sizeof *out);
  return rc;
}
