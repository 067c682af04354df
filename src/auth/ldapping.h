/* The LDAP ping codec ([MS-ADTS] 6.3.3): the CLDAP searchRequest that asks a
 * domain controller for its "Netlogon" attribute, and the decoder of the
 * answer, whose NETLOGON_SAM_LOGON_RESPONSE_EX ([MS-ADTS] 6.3.1.9) names the
 * DC (DnsHostName), so that Kerberos can ask for a ticket to cifs/<DC>
 * when a path names only the domain.
 *
 * Does not: send or receive (the caller owns the UDP socket, port 389),
 * allocate, log, or decide which DC to use. Pure, bounds-checked, and safe
 * on any bytes from the network.
 */
#ifndef DFSC_AUTH_LDAPPING_H
#define DFSC_AUTH_LDAPPING_H

#include <stddef.h>
#include <stdint.h>

/* The CLDAP port ([MS-ADTS] 6.3.3, RFC 1798). */
#define DFSC_LDAPPING_PORT 389

/* A buffer this big holds any request dfsc__ldapping_request() writes (a
 * 255-byte domain and the largest messageID need 335 bytes). */
#define DFSC_LDAPPING_REQ_MAX 512

/* Largest messageID an LDAPMessage may carry (RFC 4511 4.1.1, maxInt). */
#define DFSC_LDAPPING_MSGID_MAX 0x7fffffffu

/* Opcodes of a NETLOGON_SAM_LOGON_RESPONSE_EX ([MS-ADTS] 6.3.1.3). */
#define DFSC_LDAPPING_OP_RESPONSE_EX 23
#define DFSC_LDAPPING_OP_PAUSE_EX 24
#define DFSC_LDAPPING_OP_USER_UNKNOWN_EX 25

/* DS_FLAG bits ([MS-ADTS] 6.3.1.2) a caller may want. */
#define DFSC_LDAPPING_DS_PDC 0x00000001u
#define DFSC_LDAPPING_DS_KDC 0x00000020u
#define DFSC_LDAPPING_DS_WRITABLE 0x00000100u
#define DFSC_LDAPPING_DS_CLOSEST 0x00000080u

typedef struct dfsc_ldapping_reply {
  uint32_t
      opcode; /* 23 (LOGON_SAM_LOGON_RESPONSE_EX) or 25 (..._USER_UNKNOWN_EX)... as sent */
  uint32_t flags;       /* DS_FLAG bits ([MS-ADTS] 6.3.1.2) */
  char dns_forest[256]; /* UTF-8, NUL-terminated, "" when absent */
  char dns_domain[256];
  char dns_host[256]; /* the DC's DNS host name: what dfsc uses */
  char nb_domain[64];
  char nb_host[64];
  char dc_site[256];
  char client_site[256];
} dfsc_ldapping_reply;

/* Writes the CLDAP searchRequest (LDAPMessage, RFC 4511 4.5.1, sent as one
 * UDP datagram, RFC 1798/[MS-ADTS] 6.3.3.1): messageID msgid, baseObject "",
 * scope baseObject, filter (&(DnsDomain=<dns_domain>)(NtVer=\06\00\00\00)),
 * attributes ["Netlogon"]; dns_domain "" leaves DnsDomain out (the DC then
 * answers for its own domain). Returns the length written, or 0 when cap is
 * too small or dns_domain is longer than 255 bytes or not printable ASCII.
 * Also 0 for a msgid above DFSC_LDAPPING_MSGID_MAX, which RFC 4511 does not
 * allow. NtVer 6 (V5 | V5EX, [MS-ADTS] 6.3.1.1) asks for the _EX answer
 * without the IP address or the closest site.
 * Ownership: writes only buf[0..cap). Thread-safety: pure. */
size_t dfsc__ldapping_request(uint8_t *buf, size_t cap, uint32_t msgid,
                              const char *dns_domain);

/* Decodes the answer datagram: one or more LDAPMessages (a searchResEntry with
 * the Netlogon attribute, usually followed by a searchResDone in the same
 * datagram); checks the messageID equals msgid; finds the Netlogon value and
 * decodes NETLOGON_SAM_LOGON_RESPONSE_EX ([MS-ADTS] 6.3.1.9): Opcode (2),
 * Sbz (2), Flags (4), DomainGuid (16), then the compressed names (RFC 1035
 * 4.1.4 pointers relative to the start of the Netlogon value, with a bound on
 * pointer hops and no loops) DnsForestName, DnsDomainName, DnsHostName,
 * NetbiosDomainName, NetbiosComputerName, UserName, DcSiteName,
 * ClientSiteName, then NextClosestSiteName only if NtVersion says so, then
 * NtVersion, LmNtToken, Lm20Token. Names are joined with '.'. Returns 0, or
 * DFSC_E_PROTO for anything malformed, truncated, a wrong messageID, no
 * Netlogon value, or an empty DnsHostName.
 * Also DFSC_E_PROTO: an opcode that is not one of the three _EX ones (the
 * layout would differ), a name with a control character, a name longer than
 * its field in *out. *out is all zero after an error.
 * Ownership: reads only p[0..len); *out holds copies. Thread-safety: pure. */
int dfsc__ldapping_decode(const uint8_t *p, size_t len, uint32_t msgid,
                          dfsc_ldapping_reply *out);

#endif
