/* libFuzzer target: the CLI's configuration-file parser
 * (dfsc__cli_config_parse, tools/dfsc/config.c). The tool's .c file is
 * included directly, as fuzz_authfile.c does, because the CLI is not part
 * of the library archive.
 *
 * Input: the file's text (any bytes, NULs included).
 * Invariants checked (abort on violation): the result is 0 or -EINVAL; on
 * -EINVAL the message is NUL-terminated inside its buffer and names the
 * file, also with a tiny message buffer or none at all; fields the file
 * format has no key for are never written; every bound the text sets lies
 * in its key's range (numbers 1..max, timeouts 1 ms..max s in
 * milliseconds, flags 0 / 1, cipher lists that dfsc__cli_check_ciphers
 * accepts, 1..64 non-empty server patterns); parsing the same text again,
 * over the result or into fresh options, gives the same settings.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/dfsc/config.c"
#include "fuzz_common.h"

static void fill(dfsc_opts *o) {
  dfsc_opts_init(o);
  /* Sentinels: values no parse can produce (0 is below every minimum). */
  o->lookup_workers = o->max_referrals = o->max_referrals_per_server = 0;
  o->max_connects = o->submit_queue_max = o->referral_queue_max = 0;
  o->lookup_queue_max = o->connect_timeout_ms = o->setup_timeout_ms = 0;
  o->request_timeout_ms = 0;
  o->encrypt = 7;
  o->ciphers = NULL;
  o->cred_servers = NULL;
  o->port = 4242;
  o->referral_ex = 7;
  o->user = "u";
}

static const void *field(const dfsc_opts *o, size_t i) {
  return (const char *)o + keys[i].off;
}

/* Every field a key names holds its sentinel or a value the key allows. */
static void check_fields(const dfsc_opts *o) {
  size_t i;
  CHECK(o->port == 4242 && o->referral_ex == 7 && o->user != NULL &&
        strcmp(o->user, "u") == 0);
  for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    switch (keys[i].type) {
    case K_NUMBER: {
      unsigned v = *(const unsigned *)field(o, i);
      if (v != 0)
        CHECK(v >= 1 && v <= (keys[i].seconds ? keys[i].max * 1000 : keys[i].max));
      break;
    }
    case K_BOOL: {
      int v = *(const int *)field(o, i);
      CHECK(v == 7 || v == 0 || v == 1);
      break;
    }
    case K_CIPHERS:
      if (o->ciphers != NULL)
        CHECK(o->ciphers == ciphers_store &&
              dfsc__cli_check_ciphers(o->ciphers, NULL, 0) == 0);
      break;
    case K_LIMIT_COUNT:
    case K_LIMIT_SIZE:
      /* These land in the CLI's own limits, not in dfsc_opts: any value a
       * parse stores there is allowed (0 = no limit); same_limits()
       * checks that parsing is a function of the text. */
      break;
    case K_PATTERNS:
      if (o->cred_servers != NULL) {
        size_t n;
        CHECK(o->cred_servers == patterns);
        for (n = 0; n <= CRED_SERVERS_MAX && patterns[n] != NULL; n++)
          CHECK(patterns[n][0] != '\0' && strchr(patterns[n], ',') == NULL);
        CHECK(n >= 1 && n <= CRED_SERVERS_MAX);
      }
      break;
    }
  }
}

/* The same settings: numbers and flags by value, the lists by content. */
static int same_fields(const dfsc_opts *a, const dfsc_opts *b) {
  size_t i;
  for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    if (keys[i].type == K_NUMBER &&
        *(const unsigned *)field(a, i) != *(const unsigned *)field(b, i))
      return 0;
    if (keys[i].type == K_BOOL && *(const int *)field(a, i) != *(const int *)field(b, i))
      return 0;
  }
  return (a->ciphers == NULL) == (b->ciphers == NULL) &&
         (a->cred_servers == NULL) == (b->cred_servers == NULL);
}

static void reset_limits(void) {
  limits.max_files = DFSC_CLI_MAX_FILES_DEFAULT;
  limits.max_bytes = 0;
}

static int same_limits(const struct dfsc__cli_limits *a) {
  return a->max_files == limits.max_files && a->max_bytes == limits.max_bytes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct dfsc__cli_limits l1;
  const char *text = (const char *)data;
  dfsc_opts o, o2, o3;
  char err[256], tiny[5];
  int rc, rc2;

  fill(&o);
  reset_limits();
  memset(err, 'x', sizeof err);
  rc = dfsc__cli_config_parse(text, size, "fz", &o, err, sizeof err);
  CHECK(rc == 0 || rc == -EINVAL);
  if (rc == -EINVAL) {
    CHECK(memchr(err, '\0', sizeof err) != NULL);
    CHECK(strncmp(err, "fz:", 3) == 0);
  }
  check_fields(&o);
  l1 = limits;

  /* Parsing is a function of the text alone: again, over the result. */
  o2 = o;
  rc2 = dfsc__cli_config_parse(text, size, "fz", &o2, NULL, 0);
  CHECK(rc2 == rc);
  CHECK(same_fields(&o, &o2));
  CHECK(same_limits(&l1));

  fill(&o3);
  reset_limits();
  memset(tiny, 'x', sizeof tiny);
  CHECK(dfsc__cli_config_parse(text, size, "fz", &o3, tiny, sizeof tiny) == rc);
  if (rc == -EINVAL)
    CHECK(memchr(tiny, '\0', sizeof tiny) != NULL);
  check_fields(&o3);
  CHECK(same_fields(&o, &o3));
  CHECK(same_limits(&l1));
  return 0;
}
