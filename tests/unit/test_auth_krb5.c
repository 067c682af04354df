/* Unit tests for src/auth/krb5.c and the Kerberos path of src/auth/auth.c
 * without a KDC: a krb5.conf whose only KDC is 127.0.0.1:1 (nothing
 * listens there). Checks the errors and the GSSAPI words that come with
 * them: no ticket is DFSC_E_NOTICKET, a server name that cannot be a
 * service principal is DFSC_E_KERBEROS, a password means KDC work (the
 * KDC lane), the calls that need an established context refuse without
 * one; and a whole exchange against MIT's acceptor from a forged service
 * ticket (mutual authentication, MICs both ways, the session key, the
 * request-mic leg, and the replies that must fail the logon). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>

#include "auth/asn1.h"
#include "auth/auth.h"
#include "auth/krb5.h"
#include "auth/spnego.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "dfsc/dfsc.h"
#include "dfsc/errors.h"

/* ---- the environment: set for one test, put back after it ------------ */

struct env {
  char dir[64];
  char conf[96];
  char ktname[128]; /* FILE:<dir>/kt once a test made it */
  char *old_conf, *old_cc, *old_rc;
};

static char *dup_env(const char *name) {
  const char *v = getenv(name);
  return v != NULL ? strdup(v) : NULL;
}

static void put_env(const char *name, const char *v) {
  if (v != NULL)
    setenv(name, v, 1);
  else
    unsetenv(name);
}

static int write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  int rc;
  if (f == NULL)
    return -1;
  rc = fputs(text, f) < 0 ? -1 : 0;
  if (fclose(f) != 0)
    rc = -1;
  return rc;
}

static int env_up(void **state) {
  static const char conf[] = "[libdefaults]\n"
                             "  default_realm = DFSC.TEST\n"
                             "  dns_lookup_kdc = false\n"
                             "  dns_lookup_realm = false\n"
                             "  kdc_timeout = 1000\n"
                             "  max_retries = 1\n"
                             "[realms]\n"
                             "  DFSC.TEST = {\n"
                             "    kdc = 127.0.0.1:1\n"
                             "  }\n"
                             "[domain_realm]\n"
                             "  .other.test = OTHER.TEST\n";
  struct env *e = calloc(1, sizeof(*e));
  if (e == NULL)
    return -1;
  snprintf(e->dir, sizeof(e->dir), "/tmp/dfsc-test-krb5-XXXXXX");
  if (mkdtemp(e->dir) == NULL) {
    free(e);
    return -1;
  }
  snprintf(e->conf, sizeof(e->conf), "%s/krb5.conf", e->dir);
  if (write_file(e->conf, conf) != 0) {
    rmdir(e->dir);
    free(e);
    return -1;
  }
  e->old_conf = dup_env("KRB5_CONFIG");
  e->old_cc = dup_env("KRB5CCNAME");
  e->old_rc = dup_env("KRB5RCACHETYPE");
  setenv("KRB5_CONFIG", e->conf, 1);
  /* The test's acceptor keeps no replay cache on disk. */
  setenv("KRB5RCACHETYPE", "none", 1);
  setenv("KRB5CCNAME", "FILE:/nonexistent/cc", 1);
  *state = e;
  return 0;
}

static int env_down(void **state) {
  struct env *e = *state;
  char path[128];
  put_env("KRB5_CONFIG", e->old_conf);
  put_env("KRB5CCNAME", e->old_cc);
  put_env("KRB5RCACHETYPE", e->old_rc);
  unlink(e->conf);
  snprintf(path, sizeof(path), "%s/empty-cc", e->dir);
  unlink(path);
  snprintf(path, sizeof(path), "%s/cc", e->dir);
  unlink(path);
  snprintf(path, sizeof(path), "%s/kt", e->dir);
  unlink(path);
  rmdir(e->dir);
  free(e->old_conf);
  free(e->old_cc);
  free(e->old_rc);
  free(e);
  return 0;
}

/* dfsc__krb5_start, checking what every failure must leave behind. */
static int start_fails(const struct dfsc_krb5_cfg *cfg, char *why, size_t whylen) {
  dfsc_krb5 *k = (dfsc_krb5 *)1;
  uint8_t *tok = (uint8_t *)1;
  size_t toklen = 99;
  int rc;
  memset(why, 'x', whylen);
  rc = dfsc__krb5_start(cfg, &k, &tok, &toklen, why, whylen);
  assert_true(rc < 0);
  assert_null(k);
  assert_null(tok);
  assert_int_equal(toklen, 0);
  assert_non_null(memchr(why, '\0', whylen)); /* always terminated */
  return rc;
}

static void test_no_ticket(void **state) {
  struct env *e = *state;
  struct dfsc_krb5_cfg cfg;
  char why[512], path[128];
  (void)e;
  memset(&cfg, 0, sizeof(cfg));
  cfg.host = "h";

  /* $KRB5CCNAME names a cache that cannot exist. */
  assert_int_equal(start_fails(&cfg, why, sizeof(why)), DFSC_E_NOTICKET);
  if (strncmp(why, "no Kerberos credentials: ", 25) != 0 || strlen(why) < 30)
    fail_msg("why: '%s'", why);

  /* The same cache named in the options, the environment unset. */
  unsetenv("KRB5CCNAME");
  cfg.ccache = "FILE:/nonexistent/cc";
  assert_int_equal(start_fails(&cfg, why, sizeof(why)), DFSC_E_NOTICKET);
  assert_true(why[0] != '\0');

  /* A cache file that exists and is empty. */
  snprintf(path, sizeof(path), "%s/empty-cc", e->dir);
  assert_int_equal(write_file(path, ""), 0);
  snprintf(path, sizeof(path), "FILE:%s/empty-cc", e->dir);
  cfg.ccache = path;
  assert_int_equal(start_fails(&cfg, why, sizeof(why)), DFSC_E_NOTICKET);
  assert_true(why[0] != '\0');

  /* A named user changes nothing when there is no password to use. */
  cfg.principal = "u";
  cfg.match_user = "u";
  assert_int_equal(start_fails(&cfg, why, sizeof(why)), DFSC_E_NOTICKET);
  /* A why buffer of one byte is still terminated. */
  assert_int_equal(start_fails(&cfg, why, 1), DFSC_E_NOTICKET);
  assert_int_equal(why[0], '\0');
}

static void test_bad_service_principal(void **state) {
  struct dfsc_krb5_cfg cfg;
  char why[512], long_host[300];
  static const char *const bad[] = {"", "a/b", "x@EVIL.TEST", "a\\b"};
  size_t i;
  (void)state;
  memset(&cfg, 0, sizeof(cfg));
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    cfg.host = bad[i];
    if (start_fails(&cfg, why, sizeof(why)) != DFSC_E_KERBEROS)
      fail_msg("host '%s' was not refused as a service principal", bad[i]);
    if (strstr(why, "service principal") == NULL)
      fail_msg("host '%s': why '%s'", bad[i], why);
  }
  memset(long_host, 'h', 256);
  long_host[256] = '\0';
  cfg.host = long_host;
  assert_int_equal(start_fails(&cfg, why, sizeof(why)), DFSC_E_KERBEROS);
  /* No host, no configuration. */
  cfg.host = NULL;
  assert_int_equal(start_fails(&cfg, why, sizeof(why)), -EINVAL);
  assert_int_equal(start_fails(NULL, why, sizeof(why)), -EINVAL);
}

static void test_password_needs_kdc(void **state) {
  struct dfsc_krb5_cfg cfg;
  char why[512];
  dfsc_krb5 *k = NULL;
  uint8_t *tok = NULL;
  size_t toklen = 0;
  int needs = -1, rc;
  time_t t0;
  (void)state;
  memset(&cfg, 0, sizeof(cfg));
  cfg.host = "fs1.other.test";
  cfg.principal = "u";
  cfg.password = "p";
  cfg.use_password = 1;
  /* No ticket, but a password to get one with: prepare succeeds and says
   * the first token needs the KDC (so it goes to the KDC lane). */
  assert_int_equal(dfsc__krb5_prepare(&cfg, &k, &needs, why, sizeof(why)), 0);
  assert_non_null(k);
  assert_int_equal(needs, 1);
  assert_string_equal(why, "");
  assert_int_equal(dfsc__krb5_done(k), 0);
  /* The KDC at 127.0.0.1:1 refuses at once: an error with its words, in
   * bounded time. */
  t0 = time(NULL);
  rc = dfsc__krb5_token(k, &cfg, &tok, &toklen, why, sizeof(why));
  if (rc != DFSC_E_NOTICKET && rc != DFSC_E_KERBEROS)
    fail_msg("token: %d, want DFSC_E_NOTICKET or DFSC_E_KERBEROS", rc);
  assert_null(tok);
  assert_int_equal(toklen, 0);
  if (strstr(why, "password") == NULL)
    fail_msg("why: '%s'", why);
  assert_true(time(NULL) - t0 < 30);
  dfsc__krb5_free(k);

  /* use_password off: no ticket, no KDC, DFSC_E_NOTICKET at once. */
  cfg.use_password = 0;
  k = (dfsc_krb5 *)1;
  assert_int_equal(dfsc__krb5_prepare(&cfg, &k, &needs, why, sizeof(why)), DFSC_E_NOTICKET);
  assert_null(k);
}

static void test_no_context(void **state) {
  uint8_t key[DFSC_KRB5_KEY_MAX], *mic = (uint8_t *)1;
  size_t len = 99;
  char why[64];
  (void)state;
  /* Everything after the first token refuses a NULL or unfinished context. */
  assert_int_equal(dfsc__krb5_done(NULL), 0);
  assert_int_equal(dfsc__krb5_finish(NULL, (const uint8_t *)"x", 1, why, sizeof(why)),
                   -EINVAL);
  assert_int_equal(
      dfsc__krb5_verify_mic(NULL, (const uint8_t *)"m", 1, (const uint8_t *)"x", 1),
      -EINVAL);
  assert_int_equal(dfsc__krb5_get_mic(NULL, (const uint8_t *)"m", 1, &mic, &len), -EINVAL);
  assert_null(mic);
  assert_int_equal(len, 0);
  len = 99;
  assert_int_equal(dfsc__krb5_session_key(NULL, key, &len), -ENOKEY);
  assert_int_equal(len, 0);
  assert_string_equal(dfsc__krb5_client(NULL), "");
  dfsc__krb5_free(NULL);
}

/* ---- a whole exchange without a KDC ---------------------------------------
 * The KDC's part is forged here: a service ticket for cifs/h@DFSC.TEST
 * encrypted in a key the test makes (RFC 4120 5.3 / 5.4.2, DER by hand),
 * put in a credential cache with a stand-in TGT, and the same key in a
 * keytab for MIT's own acceptor. dfsc's initiator then makes a real
 * AP-REQ from the cache, the acceptor answers with a real AP-REP, and both
 * sides must agree on mutual authentication, MICs and the session key. */

#define REALM "DFSC.TEST"

struct der {
  uint8_t b[2048];
  size_t n;
};

static void der_tlv(struct der *out, uint8_t tag, const void *v, size_t len) {
  dfsc_wr w;
  dfsc__wr_init(&w, out->b + out->n, sizeof(out->b) - out->n);
  dfsc__der_put_hdr(&w, tag, len);
  dfsc__wr_bytes(&w, v, len);
  assert_int_equal(w.bad, 0);
  out->n += w.off;
}

static void der_wrap(struct der *out, uint8_t tag, const struct der *in) {
  der_tlv(out, tag, in->b, in->n);
}

/* [ctx] INTEGER v, for 0 <= v < 128. */
static void der_int(struct der *out, uint8_t ctx, int v) {
  uint8_t i[3] = {0x02, 0x01, (uint8_t)v};
  der_tlv(out, ctx, i, sizeof(i));
}

static void der_str(struct der *out, uint8_t ctx, const char *s) {
  struct der g = {{0}, 0};
  der_tlv(&g, 0x1b, s, strlen(s)); /* GeneralString */
  der_wrap(out, ctx, &g);
}

static void der_time(struct der *out, uint8_t ctx, time_t t) {
  struct der g = {{0}, 0};
  struct tm tm;
  char buf[32];
  gmtime_r(&t, &tm);
  strftime(buf, sizeof(buf), "%Y%m%d%H%M%SZ", &tm);
  der_tlv(&g, 0x18, buf, strlen(buf)); /* GeneralizedTime */
  der_wrap(out, ctx, &g);
}

static void der_principal(struct der *out, uint8_t ctx, int type, const char *a,
                          const char *b) {
  struct der names = {{0}, 0}, seq = {{0}, 0}, pn = {{0}, 0}, pns = {{0}, 0};
  der_tlv(&names, 0x1b, a, strlen(a));
  if (b != NULL)
    der_tlv(&names, 0x1b, b, strlen(b));
  der_int(&pn, 0xa0, type);
  der_wrap(&seq, 0x30, &names);
  der_wrap(&pn, 0xa1, &seq);
  der_wrap(&pns, 0x30, &pn);
  der_wrap(out, ctx, &pns);
}

/* Ticket for cifs/h, client u, session key sk, encrypted in service key k. */
static void forge_ticket(krb5_context kc, const krb5_keyblock *k, const krb5_keyblock *sk,
                         time_t now, struct der *ticket) {
  static const uint8_t flags[] = {0x03, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00};
  struct der key = {{0}, 0}, keyseq = {{0}, 0}, tr = {{0}, 0}, trseq = {{0}, 0};
  struct der part = {{0}, 0}, seq = {{0}, 0}, enc_tkt = {{0}, 0};
  struct der ed = {{0}, 0}, edseq = {{0}, 0}, t = {{0}, 0}, tseq = {{0}, 0};
  uint8_t cipher[2048];
  size_t clen = 0;
  krb5_data plain;
  krb5_enc_data enc;

  /* EncTicketPart ::= [APPLICATION 3] SEQUENCE { flags [0], key [1],
   * crealm [2], cname [3], transited [4], authtime [5], starttime [6],
   * endtime [7] } */
  der_tlv(&part, 0xa0, flags, sizeof(flags));
  der_int(&key, 0xa0, (int)sk->enctype);
  {
    struct der o = {{0}, 0};
    der_tlv(&o, 0x04, sk->contents, sk->length);
    der_wrap(&key, 0xa1, &o);
  }
  der_wrap(&keyseq, 0x30, &key);
  der_wrap(&part, 0xa1, &keyseq);
  der_str(&part, 0xa2, REALM);
  der_principal(&part, 0xa3, KRB5_NT_PRINCIPAL, "u", NULL);
  der_int(&tr, 0xa0, 1);
  {
    struct der o = {{0}, 0};
    der_tlv(&o, 0x04, "", 0);
    der_wrap(&tr, 0xa1, &o);
  }
  der_wrap(&trseq, 0x30, &tr);
  der_wrap(&part, 0xa4, &trseq);
  der_time(&part, 0xa5, now);
  der_time(&part, 0xa6, now);
  der_time(&part, 0xa7, now + 3600);
  der_wrap(&seq, 0x30, &part);
  der_wrap(&enc_tkt, 0x63, &seq);

  plain.data = (char *)enc_tkt.b;
  plain.length = (unsigned)enc_tkt.n;
  assert_int_equal(krb5_c_encrypt_length(kc, k->enctype, plain.length, &clen), 0);
  assert_true(clen <= sizeof(cipher));
  memset(&enc, 0, sizeof(enc));
  enc.ciphertext.data = (char *)cipher;
  enc.ciphertext.length = (unsigned)clen;
  assert_int_equal(krb5_c_encrypt(kc, k, KRB5_KEYUSAGE_KDC_REP_TICKET, NULL, &plain, &enc),
                   0);

  /* Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0] 5, realm [1], sname
   * [2], enc-part [3] EncryptedData { etype [0], kvno [1], cipher [2] } } */
  der_int(&ed, 0xa0, (int)k->enctype);
  der_int(&ed, 0xa1, 1);
  {
    struct der o = {{0}, 0};
    der_tlv(&o, 0x04, cipher, enc.ciphertext.length);
    der_wrap(&ed, 0xa2, &o);
  }
  der_wrap(&edseq, 0x30, &ed);
  der_int(&t, 0xa0, 5);
  der_str(&t, 0xa1, REALM);
  der_principal(&t, 0xa2, KRB5_NT_SRV_INST, "cifs", "h");
  der_wrap(&t, 0xa3, &edseq);
  der_wrap(&tseq, 0x30, &t);
  ticket->n = 0;
  der_wrap(ticket, 0x61, &tseq);
}

static void store(krb5_context kc, krb5_ccache cc, krb5_principal client,
                  const char *server, const krb5_keyblock *sk, time_t now,
                  struct der *ticket) {
  krb5_creds c;
  memset(&c, 0, sizeof(c));
  c.client = client;
  assert_int_equal(krb5_parse_name(kc, server, &c.server), 0);
  c.keyblock = *sk;
  c.times.authtime = (krb5_timestamp)now;
  c.times.starttime = (krb5_timestamp)now;
  c.times.endtime = (krb5_timestamp)(now + 3600);
  c.ticket.data = (char *)ticket->b;
  c.ticket.length = (unsigned)ticket->n;
  assert_int_equal(krb5_cc_store_cred(kc, cc, &c), 0);
  krb5_free_principal(kc, c.server);
}

/* The cache <dir>/cc with a ticket for cifs/h (and a stand-in TGT), the
 * keytab with cifs/h's key. */
static void forge(struct env *e, char *ccname, size_t cap) {
  char ktname[128];
  krb5_context kc;
  krb5_keyblock k, sk;
  krb5_principal me, srv;
  krb5_ccache cc;
  krb5_keytab kt;
  krb5_keytab_entry ent;
  struct der ticket = {{0}, 0};
  time_t now = time(NULL);

  snprintf(ccname, cap, "FILE:%s/cc", e->dir);
  snprintf(ktname, sizeof(ktname), "FILE:%s/kt", e->dir);
  snprintf(e->ktname, sizeof(e->ktname), "%s", ktname);
  assert_int_equal(krb5_init_context(&kc), 0);
  assert_int_equal(krb5_c_make_random_key(kc, ENCTYPE_AES256_CTS_HMAC_SHA1_96, &k), 0);
  assert_int_equal(krb5_c_make_random_key(kc, ENCTYPE_AES256_CTS_HMAC_SHA1_96, &sk), 0);
  forge_ticket(kc, &k, &sk, now, &ticket);

  assert_int_equal(krb5_parse_name(kc, "u@" REALM, &me), 0);
  assert_int_equal(krb5_cc_resolve(kc, ccname, &cc), 0);
  assert_int_equal(krb5_cc_initialize(kc, cc, me), 0);
  store(kc, cc, me, "cifs/h@" REALM, &sk, now, &ticket);
  /* The initiator's credential lifetime is the TGT's; this one is never
   * sent anywhere. */
  store(kc, cc, me, "krbtgt/" REALM "@" REALM, &sk, now, &ticket);
  krb5_cc_close(kc, cc);

  assert_int_equal(krb5_parse_name(kc, "cifs/h@" REALM, &srv), 0);
  assert_int_equal(krb5_kt_resolve(kc, ktname, &kt), 0);
  memset(&ent, 0, sizeof(ent));
  ent.principal = srv;
  ent.vno = 1;
  ent.key = k;
  assert_int_equal(krb5_kt_add_entry(kc, kt, &ent), 0);
  krb5_kt_close(kc, kt);
  krb5_free_principal(kc, srv);
  krb5_free_principal(kc, me);
  krb5_free_keyblock_contents(kc, &k);
  krb5_free_keyblock_contents(kc, &sk);
  krb5_free_context(kc);
}

static gss_OID_desc krb5_mech_oid = {9, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"};

/* MIT's acceptor with the keytab: accepts the AP-REQ, returns the AP-REP
 * in *rep (gss_release_buffer it) and the context. */
static gss_ctx_id_t accept_ap_req(const char *ktname, const uint8_t *tok, size_t len,
                                  gss_buffer_desc *rep) {
  OM_uint32 maj, min = 0, flags = 0;
  gss_OID_set_desc mechs = {1, &krb5_mech_oid};
  gss_key_value_element_desc el = {"keytab", ktname};
  gss_key_value_set_desc st = {1, &el};
  gss_cred_id_t acred = GSS_C_NO_CREDENTIAL;
  gss_ctx_id_t actx = GSS_C_NO_CONTEXT;
  gss_buffer_desc in;
  maj = gss_acquire_cred_from(&min, GSS_C_NO_NAME, GSS_C_INDEFINITE, &mechs, GSS_C_ACCEPT,
                              &st, &acred, NULL, NULL);
  assert_int_equal(maj, GSS_S_COMPLETE);
  in.value = (void *)tok;
  in.length = len;
  rep->length = 0;
  rep->value = NULL;
  maj = gss_accept_sec_context(&min, &actx, acred, &in, GSS_C_NO_CHANNEL_BINDINGS, NULL,
                               NULL, rep, &flags, NULL, NULL);
  if (maj != GSS_S_COMPLETE)
    fail_msg("acceptor: major 0x%x minor %d", (unsigned)maj, (int)min);
  assert_true(flags & GSS_C_MUTUAL_FLAG);
  assert_true(rep->length > 0);
  gss_release_cred(&min, &acred);
  return actx;
}

static size_t acceptor_key(gss_ctx_id_t actx, uint8_t key[32]) {
  OM_uint32 min;
  gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
  size_t n;
  assert_int_equal(
      gss_inquire_sec_context_by_oid(&min, actx, GSS_C_INQ_SSPI_SESSION_KEY, &set),
      GSS_S_COMPLETE);
  n = set->elements[0].length;
  assert_true(n > 0 && n <= 32);
  memcpy(key, set->elements[0].value, n);
  gss_release_buffer_set(&min, &set);
  return n;
}

static void test_krb5_exchange(void **state) {
  struct env *e = *state;
  struct dfsc_krb5_cfg cfg;
  char ccname[128], why[512];
  dfsc_krb5 *k = NULL;
  uint8_t *tok = NULL, *mic = NULL, key[32], akey[32];
  size_t toklen = 0, miclen = 0, mtlen, klen = 0, aklen;
  int needs = -1;
  size_t inner;
  const uint8_t *mt;
  gss_ctx_id_t actx;
  gss_buffer_desc rep, m, t;
  OM_uint32 min;

  forge(e, ccname, sizeof(ccname));
  memset(&cfg, 0, sizeof(cfg));
  cfg.host = "h";
  cfg.ccache = ccname;
  cfg.match_user = "u";
  /* The ticket is in the cache: no KDC work. */
  assert_int_equal(dfsc__krb5_prepare(&cfg, &k, &needs, why, sizeof(why)), 0);
  assert_int_equal(needs, 0);
  if (dfsc__krb5_token(k, &cfg, &tok, &toklen, why, sizeof(why)) != 0)
    fail_msg("token: %s", why);
  assert_int_equal(dfsc__spnego_krb5_tok_id(tok, toklen, &inner), DFSC_KRB5_TOK_AP_REQ);
  /* The session key exists only once the AP-REP is in. */
  assert_int_equal(dfsc__krb5_session_key(k, key, &klen), -ENOKEY);

  actx = accept_ap_req(e->ktname, tok, toklen, &rep);
  assert_int_equal(dfsc__spnego_krb5_tok_id(rep.value, rep.length, &inner),
                   DFSC_KRB5_TOK_AP_REP);
  if (dfsc__krb5_finish(k, rep.value, rep.length, why, sizeof(why)) != 0)
    fail_msg("finish: %s", why);
  assert_int_equal(dfsc__krb5_done(k), 1);
  assert_string_equal(dfsc__krb5_client(k), "u@" REALM);
  /* A second AP-REP is refused. */
  assert_int_equal(dfsc__krb5_finish(k, rep.value, rep.length, why, sizeof(why)), -EINVAL);

  /* Both sides hold the same key. */
  assert_int_equal(dfsc__krb5_session_key(k, key, &klen), 0);
  aklen = acceptor_key(actx, akey);
  assert_int_equal(klen, aklen);
  assert_memory_equal(key, akey, klen);

  /* MICs over the mechanism list, both ways; a flipped bit fails. */
  mt = dfsc__spnego_mechtypes_of(DFSC_SPNEGO_MECH_KRB5, &mtlen);
  m.value = (void *)mt;
  m.length = mtlen;
  assert_int_equal(gss_get_mic(&min, actx, GSS_C_QOP_DEFAULT, &m, &t), GSS_S_COMPLETE);
  assert_int_equal(dfsc__krb5_verify_mic(k, mt, mtlen, t.value, t.length), 0);
  ((uint8_t *)t.value)[t.length - 1] ^= 1;
  assert_int_equal(dfsc__krb5_verify_mic(k, mt, mtlen, t.value, t.length), DFSC_E_AUTH);
  gss_release_buffer(&min, &t);
  assert_int_equal(dfsc__krb5_get_mic(k, mt, mtlen, &mic, &miclen), 0);
  t.value = mic;
  t.length = miclen;
  assert_int_equal(gss_verify_mic(&min, actx, &m, &t, NULL), GSS_S_COMPLETE);
  dfsc__free(mic);

  gss_release_buffer(&min, &rep);
  gss_delete_sec_context(&min, &actx, GSS_C_NO_BUFFER);
  dfsc__free(tok);
  dfsc__krb5_free(k);

  /* A cache that is someone else's: refused when a user is named. */
  cfg.match_user = "v";
  assert_int_equal(dfsc__krb5_prepare(&cfg, &k, &needs, why, sizeof(why)), DFSC_E_NOTICKET);
  assert_null(k);
  if (strstr(why, "not for v") == NULL)
    fail_msg("why: '%s'", why);
}

/* NegTokenResp { negState, supportedMech, responseToken, mechListMIC } as
 * an acceptor sends it (state < 0, mech/tok/mic NULL: left out). */
static size_t acceptor_resp(uint8_t *buf, size_t cap, int state, const uint8_t *mech,
                            size_t mechlen, const void *tok, size_t toklen, const void *mic,
                            size_t miclen) {
  struct der f = {{0}, 0}, seq = {{0}, 0}, top = {{0}, 0}, o = {{0}, 0};
  if (state >= 0) {
    uint8_t en[3] = {0x0a, 0x01, (uint8_t)state};
    der_tlv(&f, 0xa0, en, sizeof(en));
  }
  if (mech != NULL) {
    der_tlv(&o, 0x06, mech, mechlen);
    der_wrap(&f, 0xa1, &o);
  }
  if (tok != NULL) {
    o.n = 0;
    der_tlv(&o, 0x04, tok, toklen);
    der_wrap(&f, 0xa2, &o);
  }
  if (mic != NULL) {
    o.n = 0;
    der_tlv(&o, 0x04, mic, miclen);
    der_wrap(&f, 0xa3, &o);
  }
  der_wrap(&seq, 0x30, &f);
  der_wrap(&top, 0xa1, &seq);
  assert_true(top.n <= cap);
  memcpy(buf, top.b, top.n);
  return top.n;
}

static const uint8_t krb5_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
static const uint8_t ntlmssp_oid[] = {0x2b, 0x06, 0x01, 0x04, 0x01,
                                      0x82, 0x37, 0x02, 0x02, 0x0a};

/* A required-Kerberos context after its first step; *ap the AP-REQ (the
 * NegTokenInit's mechToken, pointing into *init, which the caller frees). */
static dfsc_auth *auth_first(const char *ccname, uint8_t **init, const uint8_t **ap,
                             size_t *aplen) {
  struct dfsc_auth_creds cr = {NULL, NULL, NULL, "W"};
  dfsc_auth *a = NULL;
  size_t outlen = 0;
  dfsc_spnego_hint h;
  dfsc_der_tlv t;
  dfsc_rd r;
  cr.kerberos = DFSC_KERBEROS_REQUIRED;
  cr.host = "h";
  cr.ccache = ccname;
  assert_int_equal(dfsc__auth_new(&cr, &a), 0);
  assert_int_equal(dfsc__auth_lane(a), 1);
  assert_int_equal(dfsc__auth_prepare(a), 0); /* the ticket is cached */
  if (dfsc__auth_step(a, NULL, 0, init, &outlen) != 1)
    fail_msg("first step: %s", dfsc__auth_why(a));
  assert_int_equal(dfsc__auth_mech(a), DFSC_AUTH_KRB5);
  assert_int_equal(dfsc__spnego_hint_decode(*init, outlen, &h), 0);
  assert_int_equal(h.n_mechs, 1);
  assert_int_equal(h.has_krb5, 1);
  assert_int_equal(h.has_ntlmssp, 0);
  /* 60 { OID, a0 { 30 { a0 mechTypes, a2 { 04 token } } } } */
  dfsc__rd_init(&r, *init, outlen);
  assert_int_equal(dfsc__der_expect(&r, DFSC_DER_APPLICATION0, &t), 0);
  dfsc__rd_init(&r, t.val, t.len);
  assert_int_equal(dfsc__der_expect(&r, DFSC_DER_OID, &t), 0);
  assert_int_equal(dfsc__der_expect(&r, DFSC_DER_CTX(0), &t), 0);
  dfsc__rd_init(&r, t.val, t.len);
  assert_int_equal(dfsc__der_expect(&r, DFSC_DER_SEQUENCE, &t), 0);
  dfsc__rd_init(&r, t.val, t.len);
  assert_int_equal(dfsc__der_expect(&r, DFSC_DER_CTX(0), &t), 0);
  assert_int_equal(dfsc__der_expect(&r, DFSC_DER_CTX(2), &t), 0);
  dfsc__rd_init(&r, t.val, t.len);
  assert_int_equal(dfsc__der_expect(&r, DFSC_DER_OCTET_STRING, &t), 0);
  *ap = t.val;
  *aplen = t.len;
  assert_int_equal(dfsc__spnego_krb5_tok_id(*ap, *aplen, NULL), DFSC_KRB5_TOK_AP_REQ);
  return a;
}

static void test_auth_exchange(void **state) {
  struct env *e = *state;
  char ccname[128];
  uint8_t *init = NULL, *out = NULL, buf[4096], key[16], full[32], akey[32];
  const uint8_t *ap, *mt;
  size_t aplen, n, mtlen, outlen = 0, klen = 0, aklen;
  gss_ctx_id_t actx;
  gss_buffer_desc rep, m, t;
  dfsc_spnego_resp sent;
  dfsc_auth *a;
  OM_uint32 min;
  int variant;

  forge(e, ccname, sizeof(ccname));
  mt = dfsc__spnego_mechtypes_of(DFSC_SPNEGO_MECH_KRB5, &mtlen);
  m.value = (void *)mt;
  m.length = mtlen;

  /* The last leg at once: accept-completed, krb5, AP-REP, the acceptor's
   * MIC over [krb5]. */
  a = auth_first(ccname, &init, &ap, &aplen);
  actx = accept_ap_req(e->ktname, ap, aplen, &rep);
  assert_int_equal(gss_get_mic(&min, actx, GSS_C_QOP_DEFAULT, &m, &t), GSS_S_COMPLETE);
  n = acceptor_resp(buf, sizeof(buf), DFSC_SPNEGO_ACCEPT_COMPLETED, krb5_oid,
                    sizeof(krb5_oid), rep.value, rep.length, t.value, t.length);
  gss_release_buffer(&min, &t);
  if (dfsc__auth_finish(a, buf, n) != 0)
    fail_msg("finish: %s", dfsc__auth_why(a));
  assert_int_equal(dfsc__auth_mutual(a), 1);
  assert_string_equal(dfsc__auth_client(a), "u@" REALM);
  assert_int_equal(dfsc__auth_is_anonymous(a), 0);
  /* The keys are the acceptor's: 16 bytes of it, and all of it. */
  aklen = acceptor_key(actx, akey);
  assert_int_equal(dfsc__auth_session_key(a, key), 0);
  assert_memory_equal(key, akey, 16);
  assert_int_equal(dfsc__auth_full_key(a, full, &klen), 0);
  assert_int_equal(klen, aklen);
  assert_memory_equal(full, akey, klen);
  gss_release_buffer(&min, &rep);
  gss_delete_sec_context(&min, &actx, GSS_C_NO_BUFFER);
  dfsc__free(init);
  dfsc__auth_free(a);

  /* request-mic: the AP-REP comes in a MORE_PROCESSING leg; dfsc answers
   * with its own MIC, which the acceptor verifies; then an empty or
   * negState-only last token completes. */
  a = auth_first(ccname, &init, &ap, &aplen);
  actx = accept_ap_req(e->ktname, ap, aplen, &rep);
  n = acceptor_resp(buf, sizeof(buf), DFSC_SPNEGO_REQUEST_MIC, krb5_oid, sizeof(krb5_oid),
                    rep.value, rep.length, NULL, 0);
  if (dfsc__auth_step(a, buf, n, &out, &outlen) != 0)
    fail_msg("step: %s", dfsc__auth_why(a));
  assert_int_equal(dfsc__spnego_resp_decode(out, outlen, &sent), 0);
  assert_null(sent.token);
  assert_non_null(sent.mic);
  t.value = (void *)sent.mic;
  t.length = sent.mic_len;
  assert_int_equal(gss_verify_mic(&min, actx, &m, &t, NULL), GSS_S_COMPLETE);
  dfsc__free(out);
  n = acceptor_resp(buf, sizeof(buf), DFSC_SPNEGO_ACCEPT_COMPLETED, NULL, 0, NULL, 0, NULL,
                    0);
  assert_int_equal(dfsc__auth_finish(a, buf, n), 0);
  assert_int_equal(dfsc__auth_mutual(a), 1);
  gss_release_buffer(&min, &rep);
  gss_delete_sec_context(&min, &actx, GSS_C_NO_BUFFER);
  dfsc__free(init);
  dfsc__auth_free(a);

  /* What must fail the logon, each on a fresh context. */
  for (variant = 0; variant < 6; variant++) {
    int want, rc;
    a = auth_first(ccname, &init, &ap, &aplen);
    actx = accept_ap_req(e->ktname, ap, aplen, &rep);
    assert_int_equal(gss_get_mic(&min, actx, GSS_C_QOP_DEFAULT, &m, &t), GSS_S_COMPLETE);
    switch (variant) {
    case 0: /* the acceptor's MIC does not verify */
      ((uint8_t *)t.value)[t.length - 1] ^= 1;
      n = acceptor_resp(buf, sizeof(buf), 0, krb5_oid, sizeof(krb5_oid), rep.value,
                        rep.length, t.value, t.length);
      want = DFSC_E_AUTH;
      break;
    case 1: /* the server chose NTLMSSP */
      n = acceptor_resp(buf, sizeof(buf), 0, ntlmssp_oid, sizeof(ntlmssp_oid), rep.value,
                        rep.length, t.value, t.length);
      want = DFSC_E_AUTH;
      break;
    case 2: /* no AP-REP: the server proved nothing */
      n = acceptor_resp(buf, sizeof(buf), 0, krb5_oid, sizeof(krb5_oid), NULL, 0, t.value,
                        t.length);
      want = DFSC_E_AUTH;
      break;
    case 3: /* our own AP-REQ echoed back: not an AP-REP */
      n = acceptor_resp(buf, sizeof(buf), 0, krb5_oid, sizeof(krb5_oid), ap, aplen, t.value,
                        t.length);
      want = DFSC_E_PROTO;
      break;
    case 4: /* an AP-REP with a flipped bit in its encrypted part */
      ((uint8_t *)rep.value)[rep.length - 3] ^= 0x10;
      n = acceptor_resp(buf, sizeof(buf), 0, krb5_oid, sizeof(krb5_oid), rep.value,
                        rep.length, t.value, t.length);
      want = DFSC_E_KERBEROS;
      break;
    default: /* an empty last token */
      n = 0;
      want = DFSC_E_AUTH;
      break;
    }
    gss_release_buffer(&min, &t);
    rc = dfsc__auth_finish(a, buf, n);
    if (rc != want)
      fail_msg("case %d: finish %d, want %d (%s)", variant, rc, want, dfsc__auth_why(a));
    if (variant != 0) /* case 0 got as far as the AP-REP */
      assert_int_equal(dfsc__auth_mutual(a), 0);
    assert_int_equal(dfsc__auth_session_key(a, key), -ENOKEY);
    gss_release_buffer(&min, &rep);
    gss_delete_sec_context(&min, &actx, GSS_C_NO_BUFFER);
    dfsc__free(init);
    dfsc__auth_free(a);
  }
}

int main(void) {
#define ENV(f) cmocka_unit_test_setup_teardown(f, env_up, env_down)
  const struct CMUnitTest tests[] = {
      ENV(test_no_ticket),          ENV(test_bad_service_principal),
      ENV(test_password_needs_kdc), ENV(test_krb5_exchange),
      ENV(test_auth_exchange),      cmocka_unit_test(test_no_context),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
