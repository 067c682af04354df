/* Kerberos through MIT krb5's GSSAPI: credentials, the AP-REQ, the AP-REP
 * with mutual authentication, MICs and the session key. Every Kerberos
 * computation is the library's; this file only chooses the credentials and
 * the service principal and turns GSSAPI statuses into dfsc errors and
 * messages. */
#include "auth/krb5.h"

#include <errno.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "dfsc/errors.h"

struct dfsc_krb5 {
  gss_cred_id_t cred;
  gss_ctx_id_t ctx;
  gss_name_t target;
  int done;
  char client[256];
  char memcc[64];    /* the private cache for keytab or password credentials */
  char spn[600];     /* cifs/<host>[@REALM] */
  int with_password; /* the TGT is still to be got with the password */
  int spn_unknown;   /* the KDC knows no cifs/<host> */
};

/* 1.2.840.113554.1.2.2, the Kerberos V5 GSS-API mechanism (RFC 1964). */
static gss_OID_desc krb5_mech = {9, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"};

/* What we ask of the context: mutual authentication above all (the AP-REP
 * proves the server holds the service key), integrity for the MICs. */
#define KRB5_FLAGS                                                                         \
  (GSS_C_MUTUAL_FLAG | GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG | GSS_C_SEQUENCE_FLAG |          \
   GSS_C_REPLAY_FLAG)

/* Appends s to why, cut to fit. */
static void add(char *why, size_t n, const char *s) {
  size_t l = strlen(why);
  if (l + 1 < n)
    snprintf(why + l, n - l, "%s", s);
}

/* "what: major message: minor message" into why; each display loop is
 * bounded (a message has a few parts at most). */
static void status_text(OM_uint32 maj, OM_uint32 min, const char *what, char *why,
                        size_t n) {
  OM_uint32 m, ctx;
  gss_buffer_desc b;
  int i, pass;
  if (n == 0)
    return;
  why[0] = '\0';
  add(why, n, what);
  for (pass = 0; pass < 2; pass++) {
    OM_uint32 code = pass == 0 ? maj : min;
    if (pass == 1 && min == 0)
      break;
    ctx = 0;
    for (i = 0; i < 4; i++) {
      b.length = 0;
      b.value = NULL;
      if (gss_display_status(&m, code, pass == 0 ? GSS_C_GSS_CODE : GSS_C_MECH_CODE,
                             &krb5_mech, &ctx, &b) != GSS_S_COMPLETE)
        break;
      if (b.length > 0) {
        char tmp[256];
        snprintf(tmp, sizeof(tmp), ": %.*s", (int)(b.length < 200 ? b.length : 200),
                 (const char *)b.value);
        add(why, n, tmp);
      }
      gss_release_buffer(&m, &b);
      if (ctx == 0)
        break;
    }
  }
}

/* Statuses that mean "there is no usable ticket", as opposed to a refusal. */
static int no_ticket(OM_uint32 maj, OM_uint32 min) {
  if (GSS_ROUTINE_ERROR(maj) == GSS_S_NO_CRED ||
      GSS_ROUTINE_ERROR(maj) == GSS_S_CREDENTIALS_EXPIRED)
    return 1;
  switch ((krb5_error_code)min) {
  case KRB5_FCC_NOFILE:
  case KRB5_CC_NOTFOUND:
  case KRB5_CC_END:
  case KRB5_CC_BADNAME:
  case KRB5KRB_AP_ERR_TKT_EXPIRED:
  case KRB5_KT_NOTFOUND:
  case KRB5_KT_END:
    return 1;
  default:
    return 0;
  }
}

static int import_principal(const char *s, gss_name_t *out) {
  OM_uint32 m;
  gss_buffer_desc b;
  b.value = (void *)s;
  b.length = strlen(s);
  return gss_import_name(&m, &b, GSS_KRB5_NT_PRINCIPAL_NAME, out) == GSS_S_COMPLETE
             ? 0
             : DFSC_E_KERBEROS;
}

/* cifs/<host>, in the realm krb5.conf's [domain_realm] maps the host to, or
 * the default realm. The host is used as named: no DNS at all here. */
static int target_name(dfsc_krb5 *k, const char *host, char *why, size_t whylen) {
  char *spn = k->spn;
  char **realms = NULL;
  const char *realm = NULL;
  krb5_context kc = NULL;
  int rc;
  if (host[0] == '\0' || strlen(host) > 255 || strpbrk(host, "@/\\") != NULL) {
    snprintf(why, whylen, "no service principal for the server name '%s'", host);
    return DFSC_E_KERBEROS;
  }
  if (strchr(host, '.') != NULL && krb5_init_context(&kc) == 0 &&
      krb5_get_host_realm(kc, host, &realms) == 0 && realms != NULL && realms[0] != NULL &&
      realms[0][0] != '\0')
    realm = realms[0];
  if (realm != NULL)
    snprintf(spn, sizeof(k->spn), "cifs/%s@%s", host, realm);
  else
    snprintf(spn, sizeof(k->spn), "cifs/%s", host);
  if (realms != NULL)
    krb5_free_host_realm(kc, realms);
  if (kc != NULL)
    krb5_free_context(kc);
  rc = import_principal(spn, &k->target);
  if (rc != 0)
    snprintf(why, whylen, "cannot use '%s' as a Kerberos principal", spn);
  return rc;
}

/* Credentials from the keytab, the cache, or a TGT got with the password. */
/* 1 when the credential's principal names user (the part before '@' of
 * both, case-insensitive: a realm given as a NetBIOS domain still matches). */
static int same_user(gss_cred_id_t cred, const char *user) {
  OM_uint32 m;
  gss_name_t n = GSS_C_NO_NAME;
  gss_buffer_desc b = GSS_C_EMPTY_BUFFER;
  size_t ul = strcspn(user, "@"), nl;
  int same = 0;
  if (gss_inquire_cred(&m, cred, &n, NULL, NULL, NULL) == GSS_S_COMPLETE &&
      gss_display_name(&m, n, &b, NULL) == GSS_S_COMPLETE) {
    nl = 0;
    while (nl < b.length && ((const char *)b.value)[nl] != '@')
      nl++;
    same = nl == ul && strncasecmp(b.value, user, ul) == 0;
  }
  gss_release_buffer(&m, &b);
  if (n != GSS_C_NO_NAME)
    gss_release_name(&m, &n);
  return same;
}

/* with_password 0: the keytab or the cache only (no KDC I/O); 1: a TGT
 * from the password (an AS exchange). */
static int acquire(dfsc_krb5 *k, const struct dfsc_krb5_cfg *cfg, int with_password,
                   char *why, size_t whylen) {
  OM_uint32 maj, min = 0, life = 0, m;
  gss_OID_set_desc mechs = {1, &krb5_mech};
  gss_name_t me = GSS_C_NO_NAME;
  gss_key_value_element_desc el[2];
  gss_key_value_set_desc store = {0, el};
  const char *what = "no Kerberos credentials";
  int rc = 0;

  if (cfg->principal != NULL && cfg->principal[0] != '\0' &&
      (cfg->keytab != NULL || with_password)) {
    rc = import_principal(cfg->principal, &me);
    if (rc != 0) {
      snprintf(why, whylen, "'%s' is not a Kerberos principal", cfg->principal);
      return rc;
    }
  }
  /* Keytab and password tickets go to a cache of this context's own, so a
   * service's tickets never land in (or come from) a user's cache. */
  {
    /* One cache per keytab and principal for the process (FNV-1a of both),
     * so later sessions reuse the TGT instead of asking the KDC again. */
    uint64_t h = 1469598103934665603ull;
    const char *p;
    for (p = cfg->keytab ? cfg->keytab : ""; *p; p++)
      h = (h ^ (uint8_t)*p) * 1099511628211ull;
    h = (h ^ 0x2f) * 1099511628211ull;
    for (p = cfg->principal ? cfg->principal : ""; *p; p++)
      h = (h ^ (uint8_t)*p) * 1099511628211ull;
    snprintf(k->memcc, sizeof(k->memcc), "MEMORY:dfsc-%016llx", (unsigned long long)h);
  }
  if (cfg->keytab != NULL) {
    el[0].key = "client_keytab";
    el[0].value = cfg->keytab;
    el[1].key = "ccache";
    el[1].value = k->memcc;
    store.count = 2;
    what = "no Kerberos credentials from the keytab";
  } else if (cfg->ccache != NULL) {
    el[0].key = "ccache";
    el[0].value = cfg->ccache;
    store.count = 1;
  }
  if (with_password) {
    gss_buffer_desc pw;
    pw.value = (void *)cfg->password;
    pw.length = strlen(cfg->password);
    /* MIT keeps a TGT got this way in a memory cache of its own. */
    maj = gss_acquire_cred_with_password(&min, me, &pw, GSS_C_INDEFINITE, &mechs,
                                         GSS_C_INITIATE, &k->cred, NULL, NULL);
    what = "no Kerberos ticket from the password";
  } else {
    maj = gss_acquire_cred_from(&min, me, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE, &store,
                                &k->cred, NULL, NULL);
  }
  if (maj == GSS_S_COMPLETE && cfg->keytab == NULL && !with_password) {
    /* A cache whose TGT has expired still "acquires": ask its lifetime. */
    if (gss_inquire_cred(&m, k->cred, NULL, &life, NULL, NULL) != GSS_S_COMPLETE ||
        life == 0) {
      gss_release_cred(&m, &k->cred);
      maj = GSS_S_CREDENTIALS_EXPIRED;
      min = 0;
    } else if (cfg->match_user != NULL && !same_user(k->cred, cfg->match_user)) {
      /* The cache is someone else's: the caller named another user. */
      gss_release_cred(&m, &k->cred);
      snprintf(why, whylen, "the ticket cache is not for %s", cfg->match_user);
      rc = DFSC_E_NOTICKET;
      goto out;
    }
  }
  if (maj != GSS_S_COMPLETE) {
    status_text(maj, min, what, why, whylen);
    rc = no_ticket(maj, min) || (cfg->keytab == NULL && !with_password) ? DFSC_E_NOTICKET
                                                                        : DFSC_E_KERBEROS;
  }
out:
  if (me != GSS_C_NO_NAME)
    gss_release_name(&m, &me);
  return rc;
}

/* 1 when the cache already holds a ticket for the target, good for at
 * least a minute: the first token is then made without the KDC. A local
 * lookup in the cache; any doubt answers 0 (the KDC lane then runs it). */
static int ticket_cached(dfsc_krb5 *k, const struct dfsc_krb5_cfg *cfg) {
  krb5_context kc = NULL;
  krb5_ccache cc = NULL;
  krb5_creds mc, out;
  krb5_principal me = NULL, srv = NULL;
  const char *name = cfg->keytab != NULL ? k->memcc : cfg->ccache;
  int hit = 0;
  memset(&mc, 0, sizeof(mc));
  memset(&out, 0, sizeof(out));
  if (krb5_init_context(&kc) != 0)
    return 0;
  if ((name != NULL ? krb5_cc_resolve(kc, name, &cc) : krb5_cc_default(kc, &cc)) != 0)
    goto out;
  if (krb5_cc_get_principal(kc, cc, &me) != 0 || krb5_parse_name(kc, k->spn, &srv) != 0)
    goto out;
  mc.client = me;
  mc.server = srv;
  if (krb5_cc_retrieve_cred(kc, cc, 0, &mc, &out) == 0) {
    krb5_timestamp now = 0;
    hit = krb5_timeofday(kc, &now) == 0 && (int64_t)out.times.endtime - now > 60;
    krb5_free_cred_contents(kc, &out);
  }
out:
  if (srv != NULL)
    krb5_free_principal(kc, srv);
  if (me != NULL)
    krb5_free_principal(kc, me);
  if (cc != NULL)
    krb5_cc_close(kc, cc);
  krb5_free_context(kc);
  return hit;
}

int dfsc__krb5_prepare(const struct dfsc_krb5_cfg *cfg, dfsc_krb5 **out, int *needs_kdc,
                       char *why, size_t whylen) {
  dfsc_krb5 *k;
  int rc;
  *out = NULL;
  *needs_kdc = 1;
  if (whylen > 0)
    why[0] = '\0';
  if (cfg == NULL || cfg->host == NULL)
    return -EINVAL;
  k = dfsc__calloc(1, sizeof(*k));
  if (k == NULL)
    return -ENOMEM;
  k->cred = GSS_C_NO_CREDENTIAL;
  k->ctx = GSS_C_NO_CONTEXT;
  k->target = GSS_C_NO_NAME;
  rc = target_name(k, cfg->host, why, whylen);
  if (rc == 0)
    rc = acquire(k, cfg, 0, why, whylen);
  if (rc == DFSC_E_NOTICKET && cfg->use_password && cfg->keytab == NULL &&
      cfg->password != NULL) {
    rc = 0; /* a TGT from the password: an AS exchange, on the KDC lane */
    k->with_password = 1;
    why[0] = '\0';
  }
  if (rc != 0) {
    dfsc__krb5_free(k);
    return rc;
  }
  *needs_kdc = k->with_password || !ticket_cached(k, cfg);
  *out = k;
  return 0;
}

int dfsc__krb5_token(dfsc_krb5 *k, const struct dfsc_krb5_cfg *cfg, uint8_t **tok,
                     size_t *toklen, char *why, size_t whylen) {
  OM_uint32 maj, min = 0, flags = 0, m;
  gss_buffer_desc o = GSS_C_EMPTY_BUFFER;
  int rc;

  *tok = NULL;
  *toklen = 0;
  if (whylen > 0)
    why[0] = '\0';
  if (k == NULL || k->ctx != GSS_C_NO_CONTEXT)
    return -EINVAL;
  if (k->with_password) {
    rc = acquire(k, cfg, 1, why, whylen);
    if (rc != 0)
      return rc;
    k->with_password = 0;
  }
  /* The TGS exchange for cifs/<host> happens here, when the cache holds no
   * ticket for it yet (it then stays in the cache for the next session). */
  maj = gss_init_sec_context(&min, k->cred, &k->ctx, k->target, &krb5_mech, KRB5_FLAGS, 0,
                             GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER, NULL, &o, &flags,
                             NULL);
  if (maj != GSS_S_CONTINUE_NEEDED || !(flags & GSS_C_MUTUAL_FLAG) || o.length == 0) {
    if (GSS_ERROR(maj)) {
      status_text(maj, min, "Kerberos", why, whylen);
      rc = no_ticket(maj, min) ? DFSC_E_NOTICKET : DFSC_E_KERBEROS;
      k->spn_unknown = (krb5_error_code)min == KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN;
    } else {
      snprintf(why, whylen, "the Kerberos context offers no mutual authentication");
      rc = DFSC_E_KERBEROS;
    }
    gss_release_buffer(&m, &o);
    return rc;
  }
  *tok = dfsc__malloc(o.length);
  if (*tok == NULL) {
    gss_release_buffer(&m, &o);
    return -ENOMEM;
  }
  memcpy(*tok, o.value, o.length);
  *toklen = o.length;
  gss_release_buffer(&m, &o);
  return 0;
}

int dfsc__krb5_start(const struct dfsc_krb5_cfg *cfg, dfsc_krb5 **out, uint8_t **tok,
                     size_t *toklen, char *why, size_t whylen) {
  int needs, rc;
  *tok = NULL;
  *toklen = 0;
  rc = dfsc__krb5_prepare(cfg, out, &needs, why, whylen);
  if (rc == 0) {
    rc = dfsc__krb5_token(*out, cfg, tok, toklen, why, whylen);
    if (rc != 0) {
      dfsc__krb5_free(*out);
      *out = NULL;
    }
  }
  return rc;
}

int dfsc__krb5_finish(dfsc_krb5 *k, const uint8_t *tok, size_t toklen, char *why,
                      size_t whylen) {
  OM_uint32 maj, min = 0, flags = 0, m;
  gss_buffer_desc in, o = GSS_C_EMPTY_BUFFER, nb = GSS_C_EMPTY_BUFFER;
  gss_name_t src = GSS_C_NO_NAME;

  if (whylen > 0)
    why[0] = '\0';
  if (k == NULL || k->done || tok == NULL || toklen == 0)
    return -EINVAL;
  in.value = (void *)tok;
  in.length = toklen;
  maj = gss_init_sec_context(&min, k->cred, &k->ctx, k->target, &krb5_mech, KRB5_FLAGS, 0,
                             GSS_C_NO_CHANNEL_BINDINGS, &in, NULL, &o, &flags, NULL);
  gss_release_buffer(&m, &o);
  if (maj != GSS_S_COMPLETE) {
    status_text(maj, min, "the server's Kerberos reply", why, whylen);
    return DFSC_E_KERBEROS;
  }
  if (!(flags & GSS_C_MUTUAL_FLAG)) {
    snprintf(why, whylen,
             "the server did not prove its identity (no mutual authentication)");
    return DFSC_E_AUTH;
  }
  k->done = 1;
  if (gss_inquire_context(&m, k->ctx, &src, NULL, NULL, NULL, NULL, NULL, NULL) ==
          GSS_S_COMPLETE &&
      gss_display_name(&m, src, &nb, NULL) == GSS_S_COMPLETE)
    snprintf(k->client, sizeof(k->client), "%.*s", (int)(nb.length < 255 ? nb.length : 255),
             (const char *)nb.value);
  gss_release_buffer(&m, &nb);
  if (src != GSS_C_NO_NAME)
    gss_release_name(&m, &src);
  return 0;
}

int dfsc__krb5_done(const dfsc_krb5 *k) { return k != NULL && k->done; }

int dfsc__krb5_spn_unknown(const dfsc_krb5 *k) { return k != NULL && k->spn_unknown; }

int dfsc__krb5_verify_mic(dfsc_krb5 *k, const uint8_t *msg, size_t len, const uint8_t *mic,
                          size_t miclen) {
  OM_uint32 m;
  gss_buffer_desc mb, tb;
  if (!dfsc__krb5_done(k))
    return -EINVAL;
  mb.value = (void *)msg;
  mb.length = len;
  tb.value = (void *)mic;
  tb.length = miclen;
  return gss_verify_mic(&m, k->ctx, &mb, &tb, NULL) == GSS_S_COMPLETE ? 0 : DFSC_E_AUTH;
}

int dfsc__krb5_get_mic(dfsc_krb5 *k, const uint8_t *msg, size_t len, uint8_t **mic,
                       size_t *miclen) {
  OM_uint32 m;
  gss_buffer_desc mb, tb = GSS_C_EMPTY_BUFFER;
  int rc = 0;
  *mic = NULL;
  *miclen = 0;
  if (!dfsc__krb5_done(k))
    return -EINVAL;
  mb.value = (void *)msg;
  mb.length = len;
  if (gss_get_mic(&m, k->ctx, GSS_C_QOP_DEFAULT, &mb, &tb) != GSS_S_COMPLETE)
    return DFSC_E_AUTH;
  *mic = dfsc__malloc(tb.length ? tb.length : 1);
  if (*mic == NULL)
    rc = -ENOMEM;
  else {
    memcpy(*mic, tb.value, tb.length);
    *miclen = tb.length;
  }
  gss_release_buffer(&m, &tb);
  return rc;
}

int dfsc__krb5_session_key(dfsc_krb5 *k, uint8_t key[DFSC_KRB5_KEY_MAX], size_t *len) {
  OM_uint32 m;
  gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
  int rc = -ENOKEY;
  *len = 0;
  if (!dfsc__krb5_done(k))
    return -ENOKEY;
  if (gss_inquire_sec_context_by_oid(&m, k->ctx, GSS_C_INQ_SSPI_SESSION_KEY, &set) ==
          GSS_S_COMPLETE &&
      set != GSS_C_NO_BUFFER_SET && set->count >= 1 && set->elements[0].length > 0 &&
      set->elements[0].length <= DFSC_KRB5_KEY_MAX) {
    memcpy(key, set->elements[0].value, set->elements[0].length);
    *len = set->elements[0].length;
    rc = 0;
  }
  if (set != GSS_C_NO_BUFFER_SET) {
    /* The key bytes are wiped before the library frees them. */
    size_t i;
    for (i = 0; i < set->count; i++)
      dfsc__wipe(set->elements[i].value, set->elements[i].length);
    gss_release_buffer_set(&m, &set);
  }
  return rc;
}

const char *dfsc__krb5_client(const dfsc_krb5 *k) { return k != NULL ? k->client : ""; }

void dfsc__krb5_free(dfsc_krb5 *k) {
  OM_uint32 m;
  if (k == NULL)
    return;
  if (k->ctx != GSS_C_NO_CONTEXT)
    gss_delete_sec_context(&m, &k->ctx, GSS_C_NO_BUFFER);
  if (k->cred != GSS_C_NO_CREDENTIAL)
    gss_release_cred(&m, &k->cred);
  if (k->target != GSS_C_NO_NAME)
    gss_release_name(&m, &k->target);
  dfsc__free(k);
}
