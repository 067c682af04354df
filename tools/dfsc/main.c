/* dfsc: command-line SMB2/3 and DFS client.
 *
 * Parses options (GNU style, permuted: options may come before or after the
 * command; "--" ends them), gathers credentials (-U, -A, -W, environment,
 * terminal prompt; none needed for Kerberos with -k or a keytab), builds dfsc_opts, creates
 * one context, runs one command from commands.c (or hands `mount` to the mount front end
 * through tools/common/frontends.h) and frees the context. Owns the signal handlers:
 * SIGINT, SIGTERM and SIGHUP set a flag the commands poll; a second signal removes get's
 * temporary file and exits at once. Does not: include anything from src/ or touch protocol
 * state.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "dfsc/dfsc-sync.h"
#include "dfsc/dfsc.h"

#include "../common/frontends.h"
#include "cli.h"

#define EXIT_USAGE 2
#define MAX_RESOLVE 64

_Atomic int dfsc__cli_signal;

/* One slot per thread that writes a temporary file (get -j and get -r run
 * up to DFSC_CLI_JOBS_MAX workers): the signal handler removes every one
 * registered. Lock-free atomics, as the handler may run on any thread. */
#define TMP_SLOTS (DFSC_CLI_JOBS_MAX + 1)
static char tmp_paths[TMP_SLOTS][PATH_MAX];
static atomic_int tmp_set[TMP_SLOTS];
static atomic_int tmp_next;
static __thread int tmp_slot = -1;

void dfsc__cli_set_tmpfile(const char *path) {
  if (tmp_slot < 0) {
    int slot = atomic_fetch_add(&tmp_next, 1);
    if (slot >= TMP_SLOTS)
      return; /* more threads than workers can exist: not ours to track */
    tmp_slot = slot;
  }
  atomic_store_explicit(&tmp_set[tmp_slot], 0, memory_order_release);
  if (path == NULL || strlen(path) >= PATH_MAX)
    return;
  memcpy(tmp_paths[tmp_slot], path, strlen(path) + 1);
  atomic_store_explicit(&tmp_set[tmp_slot], 1, memory_order_release);
}

#define SIGNAL_GRACE_S 2

static void on_signal(int sig) {
  int i;

  /* A second signal, or the grace alarm, means "now": the main thread may be
   * waiting on a request that takes up to its deadline to end. */
  if (sig == SIGALRM)
    sig = dfsc__cli_signal ? dfsc__cli_signal : SIGTERM;
  else if (dfsc__cli_signal == 0) {
    dfsc__cli_signal = sig;
    /* Orderly cleanup gets a bounded grace period. */
    alarm(SIGNAL_GRACE_S);
    return;
  }
  for (i = 0; i < TMP_SLOTS; i++)
    if (atomic_load_explicit(&tmp_set[i], memory_order_acquire))
      unlink(tmp_paths[i]);
  _exit(128 + sig);
}

static void install_signals(void) {
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGALRM};
  struct sigaction sa;
  size_t i;

  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; /* no SA_RESTART: blocked reads and writes return EINTR */
  for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
    sigaction(sigs[i], &sa, NULL);
  /* EPIPE is handled where stdout is written. */
  signal(SIGPIPE, SIG_IGN);
}

/* ---- commands and help ------------------------------------------------ */

struct command {
  const char *name;
  int min_args, max_args; /* max -1: unbounded */
  const char *args;
  const char *summary;
  const char *details;
  dfsc__cli_cmd_fn fn;
};

static const struct command commands[] = {
    {"ls", 1, -1, "PATH...", "list directories (a file lists itself)",
     "Lists each directory sorted by name, one line per entry: type (d or -),\n"
     "size, modification time (ISO 8601 UTC) and name. A file lists itself.\n"
     "--json: an array of {name,type,size,mtime,attributes}; with several\n"
     "PATHs an object keyed by PATH (null for a failed PATH).\n"
     "A PATH naming a server alone (//host, \\\\host, smb://host) lists its\n"
     "shares in the server's order, as smbclient -L does: name, type (disk,\n"
     "printer, device, ipc), 'special' for administrative shares, comment.\n"
     "--json: an array of {name,type,special,temporary,comment}.\n",
     dfsc__cli_cmd_ls},
    {"stat", 1, -1, "PATH...", "show size, attributes, times and file id",
     "Prints 'key: value' lines: path, type, size, allocation size,\n"
     "attributes, create/access/write/change time (ISO 8601 UTC with ns),\n"
     "file id. --json: one object; with several PATHs an object keyed by PATH.\n",
     dfsc__cli_cmd_stat},
    {"cat", 1, -1, "PATH...", "write files to standard output",
     "Streams each file to standard output in order. A closed pipe ends the\n"
     "command quietly with status 0.\n",
     dfsc__cli_cmd_cat},
    {"get", 1, -1, "[-r] PATH [LOCAL|-] | PATH PATH...", "download files or a tree",
     "Downloads PATH to LOCAL (default: the last component of PATH in the\n"
     "current directory; an existing directory receives that name; '-' is\n"
     "standard output). The data goes to a hidden temporary file beside LOCAL\n"
     "that replaces LOCAL only once the whole file arrived. With several\n"
     "PATHs (or -T), each goes to its last component in the current\n"
     "directory, -j of them at once.\n"
     "-r, --recursive: PATH is a directory; its tree is copied into LOCAL\n"
     "(created if missing), listings and files -j at once, modification\n"
     "times kept; written through directory descriptors, never through a\n"
     "symbolic link. --max-files N (default 1000000) and --max-bytes SIZE\n"
     "(K, M, G, T; default no limit) stop it past that many files and\n"
     "directories or bytes (0: no limit). --fsync: flush each file and its\n"
     "directory entry to disk before the rename (slower; see dfsc(1)).\n",
     dfsc__cli_cmd_get},
    {"put", 2, 2, "[-r] LOCAL PATH", "upload a file or a tree",
     "Uploads LOCAL ('-': standard input) to PATH, creating or truncating it.\n"
     "When PATH ends with '/' or '\\' or is an existing directory, the file is\n"
     "created in it under LOCAL's last component.\n"
     "-r, --recursive: LOCAL is a directory; its tree goes into PATH (created\n"
     "if missing, merged into if it exists), -j files at once, modification\n"
     "times kept. Each file is written under a hidden temporary name and\n"
     "renamed over its final name once complete. Symbolic links and special\n"
     "files are skipped with a line each; a summary line ends the output.\n"
     "--update (get -r and put -r): skip files whose size and modification\n"
     "time (to the second) already match at the destination.\n",
     dfsc__cli_cmd_put},
    {"mkdir", 1, -1, "PATH...", "create directories", "Creates each directory.\n",
     dfsc__cli_cmd_mkdir},
    {"rm", 1, -1, "PATH...", "delete files", "Deletes each file.\n", dfsc__cli_cmd_rm},
    {"rmdir", 1, -1, "PATH...", "delete empty directories",
     "Deletes each empty directory.\n", dfsc__cli_cmd_rmdir},
    {"mv", 2, 2, "PATH NEWPATH", "rename within a share",
     "Renames PATH to NEWPATH: a full path on the same share or a path\n"
     "relative to the share.\n",
     dfsc__cli_cmd_mv},
    {"cp", 2, 2, "SRC DST", "copy a file, on the server when it can",
     "Copies the remote file SRC to DST (into it under SRC's last component\n"
     "when DST ends with '/' or '\\' or is an existing directory). When both\n"
     "are on one server and session (through DFS too), the server copies the\n"
     "data itself (FSCTL_SRV_COPYCHUNK_WRITE) and none of it crosses the\n"
     "network to this client; otherwise it streams through the client, with a\n"
     "line saying so. The copy is written under a hidden temporary name and\n"
     "renamed over DST once whole. --json: {path,dest,ok,bytes,\n"
     "server_side_bytes}.\n",
     dfsc__cli_cmd_cp},
    {"resolve", 1, -1, "PATH...", "show the DFS referral chain and the final target",
     "Resolves each PATH through DFS (root and link referrals, interlinks),\n"
     "probing the target with a stat, and prints every hop: the cache entry's\n"
     "prefix, its type, referral version, TTL, PathConsumed, the targets in\n"
     "referral order with the one chosen, and the final target. --json: an\n"
     "array of {path,dfs_path,target,target_is_dfs_root,hops:[...]}.\n",
     dfsc__cli_cmd_resolve},
    {"cache", 0, -1, "[PATH...]", "show the referral and domain caches",
     "Resolves each PATH given (as `resolve` does, quietly), then prints the\n"
     "referral cache (prefix, type, version, TTL left, targets, the one in\n"
     "use, the server that referred) and the domain cache as this invocation\n"
     "left them. --json: {referrals:[...],domains:[...]}.\n",
     dfsc__cli_cmd_cache},
    {"mount", 1, 1, "MOUNTPOINT [-o OPTS] [-f] [-s] [-d]",
     "mount the UNC namespace with FUSE",
     "Serves MOUNTPOINT/HOST/SHARE/PATH as \\\\HOST\\SHARE\\PATH, DFS paths\n"
     "included. -f stays in the foreground, -s uses one FUSE thread, -d\n"
     "traces FUSE requests. -o takes a comma list: credentials=FILE,\n"
     "user=[DOM\\]NAME, domain=NAME, uid=N, gid=N, file_mode=OCTAL,\n"
     "dir_mode=OCTAL, attr_timeout=S, entry_timeout=S, negative_timeout=S,\n"
     "lease_attr_timeout=S (60; attributes kept while a read lease is held),\n"
     "max_threads=N, reconnect_timeout=MS, echo_interval=MS|off,\n"
     "durable=on|off, durable_timeout=MS (docs/reconnect.md),\n"
     "any key of dfsc.conf (max_connects=4, idle_timeout=MS,\n"
     "max_conns=N, kerberos=MODE, keytab=FILE, ccache=NAME, ntlm=off), krb5\n"
     "or sec=krb5|krb5i (Kerberos required), sec=ntlmv2|ntlmssp (Kerberos off),\n"
     "hardened_paths=//H/S:... (':' between), and FUSE's own\n"
     "(ro, allow_other, default_permissions, ...). MOUNTPOINT/.dfsc/cache\n"
     "shows the caches (write 'flush' to empty them), MOUNTPOINT/.dfsc/stats\n"
     "the counters. Unmount with fusermount3 -u MOUNTPOINT or SIGTERM.\n",
     NULL},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char options_help[] =
    "Options (before or after COMMAND; '--' ends them):\n"
    "  -U, --user=[DOM\\]USER[%PASS]    user (DOM/USER, USER@REALM also accepted)\n"
    "  -A, --authentication-file=FILE  smbclient-format credentials file\n"
    "  -W, --workgroup=DOMAIN          the user's domain\n"
    "  -N, --no-pass                   no password (anonymous without -U)\n"
    "  -k, --kerberos[=MODE]           Kerberos: required (-k, or alone), auto\n"
    "                                    (default: if a ticket or keytab), off\n"
    "      --use-kerberos=MODE         smbclient's spelling: required, desired, off\n"
    "      --keytab=FILE               Kerberos keys for -U USER@REALM (no password)\n"
    "      --ccache=NAME               Kerberos ticket cache (default: KRB5CCNAME)\n"
    "      --ntlm=on|off               off: never NTLM (Kerberos or anonymous only)\n"
    "      --hardened-paths=LIST       shares needing Kerberos and signing (default\n"
    "                                    '//*/SYSVOL,//*/NETLOGON'); none: off\n"
    "      --auth-workers=N            Kerberos threads (default 2)\n"
    "      --resolve=NAME:ADDR[:PORT]  connect to ADDR for NAME (repeatable)\n"
    "  -p, --port=N                    TCP port (default 445)\n"
    "      --min-protocol=PROTO        lowest dialect: SMB2_02 SMB2_10 SMB3_00\n"
    "      --max-protocol=PROTO          SMB3_02 SMB3_11, or SMB2 / SMB3\n"
    "      --sign[=MODE]               signing: off, auto, required (alone)\n"
    "      --encrypt                   encrypt everything; refuse servers that cannot\n"
    "      --allow-guest               accept a server that maps the user to guest\n"
    "                                  (the session is then unsigned)\n"
    "      --ciphers=LIST              3.1.1 cipher offer, e.g. aes-128-gcm,aes-256-ccm\n"
    "      --cred-servers=LIST         send credentials only to these servers (globs)\n"
    "      --timeout=SECONDS           bound on each connect, setup, request\n"
    "      --reconnect-timeout=MS      open files wait MS for a lost connection\n"
    "                                    (default 30000, cifs 'soft'; 0: default);\n"
    "                                    a large value (to 86400000) is cifs 'hard'\n"
    "      --echo-interval=MS          keepalive ECHO on a silent connection (default\n"
    "                                    60000); off: none\n"
    "      --durable=on|off            durable handles and leases on open files (on)\n"
    "      --durable-timeout=MS        durable handle lifetime asked of the server\n"
    "                                    (0: the server's, 60000 for Samba)\n"
    "      --max-referrals=N           DFS referral requests in flight (default 8)\n"
    "      --stats                     print the counters on stderr after the command\n"
    "  -j, --jobs=N                    ls, stat, cat, get: N paths at once (default 1)\n"
    "  -T, --paths-from=FILE           more PATHs, one per line ('-': stdin)\n"
    "      --config=FILE               settings (key = value; see man page)\n"
    "      --set=KEY=VALUE             one configuration key, e.g. --set max_connects=4\n"
    "      --max-connects=N            connection setups in flight (default 32)\n"
    "      --workers=N                 name-lookup threads (default 2)\n"
    "      --idle-timeout=MS           close connections, sessions, trees idle this long\n"
    "      --max-conns=N               connections open at most (least recently used\n"
    "                                    idle one closed first)\n"
    "      --referral-ex               try REQ_GET_DFS_REFERRAL_EX first (falls back)\n"
    "      --site=NAME                 site name for the _EX form (implies it)\n"
    "      --json                      JSON on standard output\n"
    "  -v, --verbose                   log to stderr (-vv debug, -vvv trace)\n"
    "      --debug                     same as -vv\n"
    "  -h, --help                      this help; 'dfsc COMMAND --help'\n"
    "      --version                   print the version\n";

static void usage_full(FILE *f) {
  size_t i;

  fputs("Usage: dfsc [OPTIONS] COMMAND ARGS...\n"
        "An SMB2/3 client that follows DFS referrals.\n\nCommands:\n",
        f);
  for (i = 0; i < N_COMMANDS; i++) {
    char lhs[40];

    snprintf(lhs, sizeof(lhs), "%s %s", commands[i].name, commands[i].args);
    fprintf(f, "  %-22s %s\n", lhs, commands[i].summary);
  }
  fputs("\nPATH: \\\\host\\share\\path, //host/share/path or\n"
        "      smb://[domain;]user[:password]@host[:port]/share/path\n\n",
        f);
  fputs(options_help, f);
  fputs("\nExit status: 0 all paths succeeded, 1 a path failed, 2 usage error.\n"
        "See dfsc(1).\n",
        f);
}

static void usage_command(const struct command *c) {
  printf("Usage: dfsc [OPTIONS] %s %s\n%s\n%s", c->name, c->args, c->details, options_help);
}

static const struct command *find_command(const char *name) {
  size_t i;

  for (i = 0; i < N_COMMANDS; i++)
    if (strcmp(commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...) {
  char msg[1024];
  va_list ap;

  /* The message quotes what was typed: escaped like every error line. */
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  dfsc__fe_errf("%s", msg);
  fputs("Try 'dfsc --help'.\n", stderr);
  return EXIT_USAGE;
}

/* ---- logging ---------------------------------------------------------- */

static void log_to_stderr(void *arg, int level, int category, const char *msg) {
  static const char *const levels[] = {"error", "warn", "info", "debug", "trace"};
  const char *lv = level >= 0 && level <= DFSC_LOG_TRACE ? levels[level] : "?";

  /* Log messages carry names from servers (referral targets, shares). */
  dfsc__fe_errf("[%s] %s: %s", dfsc_log_cat_name(category), lv, msg);
}

/* ---- main ------------------------------------------------------------- */

enum {
  OPT_RESOLVE = 256,
  OPT_JSON,
  OPT_DEBUG,
  OPT_MIN_PROTO,
  OPT_MAX_PROTO,
  OPT_SIGN,
  OPT_TIMEOUT,
  OPT_VERSION,
  OPT_REFERRAL_EX,
  OPT_SITE,
  OPT_MAX_REFERRALS,
  OPT_STATS,
  OPT_MAX_CONNECTS,
  OPT_WORKERS,
  OPT_CONFIG,
  OPT_SET,
  OPT_ENCRYPT,
  OPT_ALLOW_GUEST,
  OPT_CIPHERS,
  OPT_CRED_SERVERS,
  OPT_FSYNC,
  OPT_UPDATE,
  OPT_MAX_FILES,
  OPT_MAX_BYTES,
  OPT_IDLE_TIMEOUT,
  OPT_MAX_CONNS,
  OPT_KERBEROS,
  OPT_USE_KERBEROS,
  OPT_KEYTAB,
  OPT_CCACHE,
  OPT_NTLM,
  OPT_HARDENED_PATHS,
  OPT_AUTH_WORKERS,
  OPT_RECONNECT_TIMEOUT,
  OPT_ECHO_INTERVAL,
  OPT_DURABLE,
  OPT_DURABLE_TIMEOUT,
};

#define PATHS_FROM_MAX (1 << 20) /* lines of -T FILE */

static const struct option long_opts[] = {
    {"user", required_argument, NULL, 'U'},
    {"authentication-file", required_argument, NULL, 'A'},
    {"workgroup", required_argument, NULL, 'W'},
    {"domain", required_argument, NULL, 'W'},
    {"no-pass", no_argument, NULL, 'N'},
    {"kerberos", optional_argument, NULL, OPT_KERBEROS},
    {"use-kerberos", required_argument, NULL, OPT_USE_KERBEROS},
    {"keytab", required_argument, NULL, OPT_KEYTAB},
    {"ccache", required_argument, NULL, OPT_CCACHE},
    {"ntlm", required_argument, NULL, OPT_NTLM},
    {"hardened-paths", required_argument, NULL, OPT_HARDENED_PATHS},
    {"auth-workers", required_argument, NULL, OPT_AUTH_WORKERS},
    {"reconnect-timeout", required_argument, NULL, OPT_RECONNECT_TIMEOUT},
    {"echo-interval", required_argument, NULL, OPT_ECHO_INTERVAL},
    {"durable", required_argument, NULL, OPT_DURABLE},
    {"durable-timeout", required_argument, NULL, OPT_DURABLE_TIMEOUT},
    {"port", required_argument, NULL, 'p'},
    {"resolve", required_argument, NULL, OPT_RESOLVE},
    {"json", no_argument, NULL, OPT_JSON},
    {"verbose", no_argument, NULL, 'v'},
    {"debug", no_argument, NULL, OPT_DEBUG},
    {"min-protocol", required_argument, NULL, OPT_MIN_PROTO},
    {"max-protocol", required_argument, NULL, OPT_MAX_PROTO},
    {"sign", optional_argument, NULL, OPT_SIGN},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"referral-ex", no_argument, NULL, OPT_REFERRAL_EX},
    {"site", required_argument, NULL, OPT_SITE},
    {"max-referrals", required_argument, NULL, OPT_MAX_REFERRALS},
    {"stats", no_argument, NULL, OPT_STATS},
    {"max-connects", required_argument, NULL, OPT_MAX_CONNECTS},
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"jobs", required_argument, NULL, 'j'},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"set", required_argument, NULL, OPT_SET},
    {"encrypt", no_argument, NULL, OPT_ENCRYPT},
    {"allow-guest", no_argument, NULL, OPT_ALLOW_GUEST},
    {"ciphers", required_argument, NULL, OPT_CIPHERS},
    {"cred-servers", required_argument, NULL, OPT_CRED_SERVERS},
    {"paths-from", required_argument, NULL, 'T'},
    {"recursive", no_argument, NULL, 'r'},
    {"fsync", no_argument, NULL, OPT_FSYNC},
    {"update", no_argument, NULL, OPT_UPDATE},
    {"max-files", required_argument, NULL, OPT_MAX_FILES},
    {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
    {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
    {"max-conns", required_argument, NULL, OPT_MAX_CONNS},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* --stats: the context's counters on standard error (standard output
 * stays the command's), as text or, with --json, one JSON object. */
static void print_stats(dfsc_ctx *ctx, int json) {
  dfsc_stats st;

  if (dfsc_stats_get(ctx, &st) == 0)
    dfsc__fe_stats_print(stderr, &st, json);
}

/* Hides the password of "-U user%pass" from ps once it has been copied. */
static void hide_password_arg(char *arg) {
  char *pct = strchr(arg, '%');

  if (pct != NULL && pct[1] != '\0')
    memset(pct + 1, 'X', strlen(pct + 1));
}

/* A Kerberos keytab or ccache name ([TYPE:]RESIDUAL) whose residual is a
 * relative file name (no type, or FILE, WRFILE, DIR) is made absolute in
 * buf; *out points at the name to use (buf, or name unchanged) and *plain
 * at the file name (NULL for other types: KEYRING, MEMORY, KCM, ...).
 * Returns 0 or a negative errno. */
static int absolute_krb5_name(const char *name, char *buf, size_t cap, const char **out,
                              const char **plain) {
  const char *colon = strchr(name, ':'), *res = name;
  size_t tlen = 0;
  char cwd[PATH_MAX];

  *out = name;
  *plain = NULL;
  /* A ':' after a '/' belongs to the path, not to a type prefix. */
  if (colon != NULL && memchr(name, '/', (size_t)(colon - name)) == NULL) {
    tlen = (size_t)(colon - name) + 1;
    res = colon + 1;
    if (!((tlen == 5 && strncasecmp(name, "FILE:", 5) == 0) ||
          (tlen == 7 && strncasecmp(name, "WRFILE:", 7) == 0) ||
          (tlen == 4 && strncasecmp(name, "DIR:", 4) == 0)))
      return 0;
  }
  if (*res == '\0')
    return -EINVAL;
  *plain = res;
  if (*res == '/')
    return 0;
  if (getcwd(cwd, sizeof(cwd)) == NULL)
    return -errno;
  if ((size_t)snprintf(buf, cap, "%.*s%s/%s", (int)tlen, name, cwd, res) >= cap)
    return -ENAMETOOLONG;
  *out = buf;
  *plain = buf + tlen;
  return 0;
}

int main(int argc, char **argv) {
  struct dfsc__cli_cred cli = {0}, file = {0};
  const char *wdomain = NULL, *authfile = NULL;
  const char *resolve[MAX_RESOLVE + 1];
  size_t n_resolve = 0;
  char **pos_block = NULL, **pos = NULL;
  int n_pos = 0;
  int verbose = 0, help = 0, no_pass = 0, show_stats = 0;
  const char *paths_from = NULL;
  char **listed = NULL, *listed_text = NULL;
  int status = EXIT_USAGE, opt, rc, sig;
  char err[256];
  char *password = NULL;
  const char *user, *domain;
  const struct command *cmd;
  struct dfsc__cli_cfg cfg = {0};
  dfsc_opts opts;
  dfsc_ctx *ctx = NULL;
  struct dfsc__mount_opts *mopts;
  int mount_flags = 0, limit_flags = 0;
  int krb5_only;
  char keytab_abs[PATH_MAX], ccache_abs[PATH_MAX];
  const char *plain;

  /* Before anything is read: argv and the environment may already hold a
   * password (-U USER%PASS, smb://USER:PASS@, DFSC_PASSWORD), the context
   * holds it and the session keys for the whole run, and a prompt or -A
   * adds more. Not dumpable: no core file, and other processes of the same
   * user can neither ptrace this one nor read its memory, environment or
   * descriptors through /proc (they become root's). */
  (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  dfsc_opts_init(&opts);
  /* Before the first `goto out`, which frees it. */
  mopts = dfsc__mount_opts_new();
  if (mopts == NULL) {
    fputs("dfsc: out of memory\n", stderr);
    return 1;
  }
  {
    /* The configuration file first, so that options override it: --config
     * FILE (must exist), else $DFSC_CONFIG, else the XDG location if there. */
    const char *cfgfile = getenv("DFSC_CONFIG"), *home;
    char def[PATH_MAX];
    int i, must = cfgfile != NULL;
    for (i = 1; i < argc; i++) {
      if (strcmp(argv[i], "--") == 0)
        break;
      if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
        cfgfile = argv[i + 1];
        must = 1;
      } else if (strncmp(argv[i], "--config=", 9) == 0) {
        cfgfile = argv[i] + 9;
        must = 1;
      }
    }
    if (cfgfile == NULL) {
      if ((home = getenv("XDG_CONFIG_HOME")) != NULL && *home)
        snprintf(def, sizeof(def), "%s/dfsc/dfsc.conf", home);
      else if ((home = getenv("HOME")) != NULL && *home)
        snprintf(def, sizeof(def), "%s/.config/dfsc/dfsc.conf", home);
      else
        def[0] = '\0';
      cfgfile = def[0] ? def : NULL;
    }
    if (cfgfile != NULL &&
        dfsc__cli_config_load(cfgfile, must, &opts, err, sizeof(err)) != 0) {
      status = usage_error("config: %s", err);
      goto out;
    }
  }
  opterr = 0; /* messages below name the program "dfsc", not argv[0] */
  pos = pos_block = calloc((size_t)argc + 1, sizeof(*pos));
  if (pos == NULL) {
    fputs("dfsc: out of memory\n", stderr);
    return 1;
  }
  /* Leading '-': non-options come back as 1 in order, so permutation works
   * even under POSIXLY_CORRECT. */
  while ((opt = getopt_long(argc, argv, "-:U:A:W:Nkp:vhj:T:o:fsdr", long_opts, NULL)) !=
         -1) {
    switch (opt) {
    case 'o':
    case 'f':
    case 's':
    case 'd':
      /* The mount's own options: it parses them (tools/common/frontends.h). */
      rc = dfsc__mount_opt(mopts, opt, optarg, dfsc__cli_config_has_key, err, sizeof(err));
      if (rc != 0) {
        status = usage_error("%s", rc == -ENOMEM ? strerror(ENOMEM) : err);
        goto out;
      }
      mount_flags = 1;
      break;
    case 1:
      pos[n_pos++] = optarg;
      break;
    case 'U':
      dfsc__cli_cred_clear(&cli);
      rc = dfsc__cli_parse_user(optarg, &cli, err, sizeof(err));
      hide_password_arg(optarg);
      if (rc != 0) {
        status = usage_error("-U: %s", rc == -ENOMEM ? strerror(ENOMEM) : err);
        goto out;
      }
      break;
    case 'A':
      authfile = optarg;
      break;
    case 'W':
      if (*optarg == '\0') {
        status = usage_error("%s", "-W: empty domain");
        goto out;
      }
      wdomain = optarg;
      break;
    case 'N':
      no_pass = 1;
      break;
    case 'k':
    case OPT_KERBEROS:
    case OPT_USE_KERBEROS:
      /* -k is smbclient's "use Kerberos": required, as --kerberos alone. */
      if (dfsc__cli_parse_kerberos(opt == 'k' ? NULL : optarg, &opts.kerberos) != 0) {
        status = usage_error("--%s=%s: expected %s",
                             opt == OPT_KERBEROS ? "kerberos" : "use-kerberos", optarg,
                             opt == OPT_KERBEROS ? "required, auto or off"
                                                 : "required, desired or off");
        goto out;
      }
      break;
    case OPT_KEYTAB:
    case OPT_CCACHE:
    case OPT_NTLM:
    case OPT_HARDENED_PATHS:
    case OPT_AUTH_WORKERS:
    case OPT_RECONNECT_TIMEOUT:
    case OPT_ECHO_INTERVAL:
    case OPT_DURABLE:
    case OPT_DURABLE_TIMEOUT:
      /* The configuration file's keys: one parser for the file, --set and
       * the mount's -o. */
      if (dfsc__cli_config_set(opt == OPT_KEYTAB              ? "keytab"
                               : opt == OPT_CCACHE            ? "ccache"
                               : opt == OPT_NTLM              ? "ntlm"
                               : opt == OPT_AUTH_WORKERS      ? "auth_workers"
                               : opt == OPT_RECONNECT_TIMEOUT ? "reconnect_timeout"
                               : opt == OPT_ECHO_INTERVAL     ? "echo_interval"
                               : opt == OPT_DURABLE           ? "durable"
                               : opt == OPT_DURABLE_TIMEOUT   ? "durable_timeout"
                                                              : "hardened_paths",
                               optarg, &opts, err, sizeof(err)) != 0) {
        /* The message names the key as the file spells it: say the option. */
        size_t i;
        for (i = 0; err[i] != '\0' && err[i] != ':'; i++)
          if (err[i] == '_')
            err[i] = '-';
        status = usage_error("--%s", err);
        goto out;
      }
      break;
    case 'p':
      if (dfsc__cli_parse_port(optarg, &opts.port) != 0) {
        status = usage_error("invalid port '%s' (1-65535)", optarg);
        goto out;
      }
      break;
    case OPT_RESOLVE:
      if (dfsc__cli_check_resolve(optarg, err, sizeof(err)) != 0) {
        status = usage_error("%s", err);
        goto out;
      }
      if (n_resolve == MAX_RESOLVE) {
        status = usage_error("too many --resolve options (at most %d)", MAX_RESOLVE);
        goto out;
      }
      resolve[n_resolve++] = optarg;
      break;
    case OPT_JSON:
      cfg.json = 1;
      break;
    case 'v':
      verbose++;
      break;
    case OPT_DEBUG:
      if (verbose < 2)
        verbose = 2;
      break;
    case OPT_MIN_PROTO:
    case OPT_MAX_PROTO:
      rc = dfsc__cli_parse_protocol(optarg, opt == OPT_MAX_PROTO,
                                    opt == OPT_MAX_PROTO ? &opts.max_dialect
                                                         : &opts.min_dialect);
      if (rc == -ENOTSUP) {
        status = usage_error("protocol '%s': SMB1 is not supported", optarg);
        goto out;
      }
      if (rc != 0) {
        status = usage_error("unknown protocol '%s' (SMB2_02 SMB2_10 SMB3_00 "
                             "SMB3_02 SMB3_11 SMB2 SMB3)",
                             optarg);
        goto out;
      }
      break;
    case OPT_SIGN:
      if (dfsc__cli_parse_sign(optarg, &opts.sign) != 0) {
        status = usage_error("--sign=%s: expected off, auto or required", optarg);
        goto out;
      }
      break;
    case OPT_TIMEOUT:
      if (dfsc__cli_parse_timeout(optarg, &opts.request_timeout_ms) != 0) {
        status = usage_error("invalid timeout '%s' (seconds, up to 86400)", optarg);
        goto out;
      }
      opts.connect_timeout_ms = opts.request_timeout_ms;
      opts.setup_timeout_ms = opts.request_timeout_ms;
      break;
    case OPT_REFERRAL_EX:
      opts.referral_ex = 1;
      break;
    case OPT_STATS:
      show_stats = 1;
      break;
    case 'j': {
      char *end;
      unsigned long v = strtoul(optarg, &end, 10);
      if (*optarg == '\0' || *end != '\0' || v < 1 || v > DFSC_CLI_JOBS_MAX) {
        status = usage_error("invalid -j '%s' (1 to %d)", optarg, DFSC_CLI_JOBS_MAX);
        goto out;
      }
      cfg.jobs = (int)v;
      break;
    }
    case 'T':
      paths_from = optarg;
      break;
    case 'r':
      cfg.recursive = 1;
      break;
    case OPT_FSYNC:
      cfg.fsync = 1;
      break;
    case OPT_UPDATE:
      cfg.update = 1;
      break;
    case OPT_MAX_FILES:
    case OPT_MAX_BYTES:
      if (dfsc__cli_config_set(opt == OPT_MAX_FILES ? "max_files" : "max_bytes", optarg,
                               &opts, err, sizeof(err)) != 0) {
        status = usage_error("--%s", err);
        goto out;
      }
      limit_flags = 1;
      break;
    case OPT_CONFIG:
      break; /* read before the other options */
    case OPT_SET:
      /* Any key of the configuration file, from the command line. */
      if (dfsc__cli_config_parse(optarg, strlen(optarg), "--set", &opts, err,
                                 sizeof(err)) != 0) {
        status = usage_error("%s", err);
        goto out;
      }
      break;
    case OPT_ENCRYPT:
      opts.encrypt = 1;
      break;
    case OPT_ALLOW_GUEST:
      opts.guest_ok = 1;
      break;
    case OPT_CIPHERS:
    case OPT_CRED_SERVERS:
      if (dfsc__cli_config_set(opt == OPT_CIPHERS ? "ciphers" : "cred_servers", optarg,
                               &opts, err, sizeof(err)) != 0) {
        status = usage_error("--%s", err);
        goto out;
      }
      break;
    case OPT_SITE:
      opts.site = optarg;
      opts.referral_ex = 1;
      break;
    case OPT_MAX_REFERRALS:
    case OPT_MAX_CONNECTS:
    case OPT_WORKERS:
    case OPT_IDLE_TIMEOUT:
    case OPT_MAX_CONNS: {
      char *end;
      unsigned long v = strtoul(optarg, &end, 10);
      unsigned long cap = opt == OPT_WORKERS        ? 64
                          : opt == OPT_IDLE_TIMEOUT ? 86400000
                          : opt == OPT_MAX_CONNS    ? 65536
                                                    : 4096;
      if (*optarg == '\0' || *end != '\0' || v < 1 || v > cap) {
        status = usage_error("invalid --%s '%s' (1 to %lu)",
                             opt == OPT_WORKERS        ? "workers"
                             : opt == OPT_MAX_CONNECTS ? "max-connects"
                             : opt == OPT_IDLE_TIMEOUT ? "idle-timeout"
                             : opt == OPT_MAX_CONNS    ? "max-conns"
                                                       : "max-referrals",
                             optarg, cap);
        goto out;
      }
      if (opt == OPT_WORKERS)
        opts.lookup_workers = (unsigned)v;
      else if (opt == OPT_MAX_CONNECTS)
        opts.max_connects = (unsigned)v;
      else if (opt == OPT_IDLE_TIMEOUT)
        opts.idle_timeout_ms = (unsigned)v;
      else if (opt == OPT_MAX_CONNS)
        opts.max_conns = (unsigned)v;
      else
        opts.max_referrals = (unsigned)v;
      break;
    }
    case 'h':
      help = 1;
      break;
    case OPT_VERSION:
      printf("dfsc %s\n", DFSC_VERSION_STRING);
      status = 0;
      goto out;
    case ':':
      if (optopt != 0 && strncmp(argv[optind - 1], "--", 2) != 0) {
        char o[3] = {'-', (char)optopt, '\0'};

        status = usage_error("option '%s' needs an argument", o);
      } else {
        status = usage_error("option '%s' needs an argument", argv[optind - 1]);
      }
      goto out;
    default:
      if (optopt != 0 && strncmp(argv[optind - 1], "--", 2) != 0) {
        char o[3] = {'-', (char)optopt, '\0'};

        status = usage_error("unknown option '%s'", o);
      } else {
        status = usage_error("unknown option '%s'", argv[optind - 1]);
      }
      goto out;
    }
  }
  while (optind < argc)
    pos[n_pos++] = argv[optind++];
  resolve[n_resolve] = NULL;

  if (n_pos > 0 && strcmp(pos[0], "help") == 0) {
    help = 1;
    pos++;
    n_pos--;
  }
  if (help) {
    cmd = n_pos > 0 ? find_command(pos[0]) : NULL;
    if (n_pos > 0 && cmd == NULL) {
      status = usage_error("unknown command '%s'", pos[0]);
      goto out;
    }
    if (cmd != NULL)
      usage_command(cmd);
    else
      usage_full(stdout);
    status = 0;
    goto out;
  }
  if (n_pos == 0) {
    status = usage_error("%s", "no command given");
    goto out;
  }
  cmd = find_command(pos[0]);
  if (cmd == NULL) {
    int mode;

    /* "--sign off", "--kerberos off": the optional argument must be
     * attached. */
    if (dfsc__cli_parse_sign(pos[0], &mode) == 0)
      status =
          usage_error("unknown command '%s' (did you mean --sign=%s or --kerberos=%s?)",
                      pos[0], pos[0], pos[0]);
    else if (dfsc__cli_parse_kerberos(pos[0], &mode) == 0)
      status =
          usage_error("unknown command '%s' (did you mean --kerberos=%s?)", pos[0], pos[0]);
    else
      status = usage_error("unknown command '%s'", pos[0]);
    goto out;
  }
  if (cfg.recursive && cmd->fn != dfsc__cli_cmd_get && cmd->fn != dfsc__cli_cmd_put) {
    status = usage_error("-r is for get and put, not %s", cmd->name);
    goto out;
  }
  if (cfg.fsync && cmd->fn != dfsc__cli_cmd_get) {
    status = usage_error("--fsync is for get, not %s", cmd->name);
    goto out;
  }
  if (cfg.update && !cfg.recursive) {
    status = usage_error("%s", "--update is for get -r and put -r");
    goto out;
  }
  if (limit_flags && (!cfg.recursive || cmd->fn != dfsc__cli_cmd_get)) {
    status = usage_error("%s", "--max-files and --max-bytes are for get -r");
    goto out;
  }
  if (mount_flags && cmd->fn != NULL) {
    status = usage_error("-o, -f, -s and -d are for mount, not %s", cmd->name);
    goto out;
  }
  if (cmd->fn == NULL) {
    /* mount: -o carries what fstab gives it; the command line wins. */
    struct dfsc__mount_overrides ov;

    dfsc__mount_overrides(mopts, &ov);
    if (authfile == NULL)
      authfile = ov.credentials;
    if (wdomain == NULL)
      wdomain = ov.domain;
    if (cli.user == NULL && ov.user != NULL &&
        dfsc__cli_parse_user(ov.user, &cli, err, sizeof(err)) != 0) {
      status = usage_error("-o user: %s", err);
      goto out;
    }
    if (ov.config != NULL && dfsc__cli_config_parse(ov.config, ov.config_len, "-o", &opts,
                                                    err, sizeof(err)) != 0) {
      status = usage_error("%s", err);
      goto out;
    }
  }
  if (paths_from != NULL) {
    /* -T FILE: one PATH per line ('-': standard input) after the ones given. */
    size_t cap = 0, len = 0, nl = 0, i, k;
    FILE *pf;
    char **np;
    if (strcmp(cmd->name, "ls") != 0 && strcmp(cmd->name, "stat") != 0 &&
        strcmp(cmd->name, "cat") != 0 && strcmp(cmd->name, "get") != 0) {
      status = usage_error("-T is for ls, stat, cat and get, not %s", cmd->name);
      goto out;
    }
    pf = strcmp(paths_from, "-") == 0 ? stdin : fopen(paths_from, "r");
    if (pf == NULL) {
      status = usage_error("-T %s: %s", paths_from, strerror(errno));
      goto out;
    }
    if (getdelim(&listed_text, &cap, '\0', pf) < 0 && ferror(pf)) {
      if (pf != stdin)
        fclose(pf);
      status = usage_error("-T %s: %s", paths_from, strerror(errno));
      goto out;
    }
    if (pf != stdin)
      fclose(pf);
    len = listed_text ? strlen(listed_text) : 0;
    for (i = 0; i < len; i++)
      if (listed_text[i] == '\n')
        nl++;
    if (nl + 1 > PATHS_FROM_MAX) {
      status = usage_error("-T %s: more than %d paths", paths_from, PATHS_FROM_MAX);
      goto out;
    }
    np = calloc((size_t)n_pos + nl + 2, sizeof(*np));
    if (np == NULL) {
      status = usage_error("%s", strerror(ENOMEM));
      goto out;
    }
    for (k = 0; k < (size_t)n_pos; k++)
      np[k] = pos[k];
    for (i = 0; i < len;) {
      char *line = listed_text + i;
      size_t e = strcspn(line, "\n");
      i += e + 1;
      line[e] = '\0';
      if (e > 0 && line[e - 1] == '\r')
        line[--e] = '\0';
      if (e > 0)
        np[k++] = line;
    }
    listed = np;
    pos = np;
    n_pos = (int)k;
  }
  if (cfg.jobs == 0)
    cfg.jobs = 1;
  if (n_pos - 1 < cmd->min_args || (cmd->max_args >= 0 && n_pos - 1 > cmd->max_args)) {
    fprintf(stderr, "Usage: dfsc [OPTIONS] %s %s\n", cmd->name, cmd->args);
    status = EXIT_USAGE;
    goto out;
  }
  if (opts.min_dialect != 0 && opts.max_dialect != 0 &&
      opts.min_dialect > opts.max_dialect) {
    status = usage_error("%s", "--min-protocol is above --max-protocol");
    goto out;
  }

  if (authfile != NULL) {
    int insecure = 0;

    rc = dfsc__cli_authfile_load(authfile, &file, &insecure, err, sizeof(err));
    if (rc != 0) {
      dfsc__fe_errf("%s", err);
      goto out;
    }
    if (insecure)
      dfsc__fe_errf("warning: %s is readable by group or others (chmod 600 it)", authfile);
  }
  /* Kerberos names from a relative path would break once the mount has
   * become a daemon (it changes to /): made absolute here, for every
   * command alike. A keytab that cannot be read fails now, with its name,
   * rather than as a Kerberos error on the first session. */
  if (opts.keytab != NULL) {
    rc = absolute_krb5_name(opts.keytab, keytab_abs, sizeof(keytab_abs), &opts.keytab,
                            &plain);
    if (rc == 0 && plain != NULL && access(plain, R_OK) != 0)
      rc = -errno;
    if (rc != 0) {
      dfsc__fe_errf("keytab %s: %s", opts.keytab, strerror(-rc));
      goto out;
    }
  }
  if (opts.ccache != NULL &&
      (rc = absolute_krb5_name(opts.ccache, ccache_abs, sizeof(ccache_abs), &opts.ccache,
                               &plain)) != 0) {
    dfsc__fe_errf("ccache %s: %s", opts.ccache, strerror(-rc));
    goto out;
  }
  /* Per field: the command line wins over the authfile, the authfile over
   * the environment; a DOMAIN\ of -U wins over -W, -W over the authfile.
   * USER@REALM stays whole in user: the library takes it as the Kerberos
   * principal, and NTLM sends it as a UPN (as smbclient does). */
  user = cli.user != NULL ? cli.user : file.user;
  domain = cli.domain != NULL ? cli.domain : wdomain != NULL ? wdomain : file.domain;
  /* Where Kerberos is the way in (a ticket in the cache, or a keytab), the
   * user needs no password: asking for one would stop scripts and cron
   * jobs, and typing one would only get a ticket the cache already has. */
  krb5_only = opts.kerberos == DFSC_KERBEROS_REQUIRED || opts.keytab != NULL ||
              (opts.ntlm_off && opts.kerberos != DFSC_KERBEROS_OFF);
  if (user != NULL && *user != '\0') {
    const char *src = cli.password;

    /* The authfile's password belongs to the authfile's user only. */
    if (src == NULL && file.password != NULL &&
        (cli.user == NULL || (file.user != NULL && strcasecmp(cli.user, file.user) == 0)))
      src = file.password;
    if (src == NULL)
      src = getenv("DFSC_PASSWORD");
    if (src == NULL)
      src = getenv("PASSWD");
    if (src == NULL && no_pass)
      src = "";
    if (src != NULL) {
      password = strdup(src);
    } else if (krb5_only) {
      /* None: the session takes the user's ticket from the cache or the
       * keytab (user is the principal, or its name in domain's realm). */
    } else {
      if (!isatty(STDIN_FILENO)) {
        dfsc__fe_errf("no password for %s (use -U USER%%PASS, -A FILE, DFSC_PASSWORD, -N, "
                      "or -k with a Kerberos ticket)",
                      user);
        goto out;
      }
      install_signals();
      password = dfsc__cli_read_password(domain, user);
      if (password == NULL && errno == EINTR)
        goto out;
    }
    if (password == NULL && !(src == NULL && krb5_only)) {
      dfsc__fe_errf("reading password: %s", strerror(errno));
      status = 1;
      goto out;
    }
    opts.user = user;
    opts.password = password;
  }
  opts.domain = domain;
  dfsc__cli_set_user_shown(domain, user);
  opts.resolve = n_resolve > 0 ? resolve : NULL;
  if (verbose > 0) {
    opts.log_cb = log_to_stderr;
    opts.log_level = verbose == 1   ? DFSC_LOG_INFO
                     : verbose == 2 ? DFSC_LOG_DEBUG
                                    : DFSC_LOG_TRACE;
  }
  cfg.progress = isatty(STDERR_FILENO);
  cfg.max_files = dfsc__cli_config_limits()->max_files;
  cfg.max_bytes = dfsc__cli_config_limits()->max_bytes;

  if (cmd->fn == NULL) {
    /* The mount creates its context after it has become a daemon, from
     * opts.password alone: the sources of that copy go now, so the daemon
     * does not carry them for its whole life (opts.user points into cli
     * or file, so only the passwords are freed). */
    if (file.password != NULL) {
      dfsc__cli_wipe_free(file.password);
      file.password = NULL;
    }
    if (cli.password != NULL) {
      dfsc__cli_wipe_free(cli.password);
      cli.password = NULL;
    }
    status = dfsc__mount_main(&opts, mopts, pos[1], verbose);
    goto out;
  }
  install_signals();
  rc = dfsc_ctx_new(&opts, &ctx);
  /* The context holds its own copy now. */
  dfsc__cli_wipe_free(password);
  password = NULL;
  opts.password = NULL;
  dfsc__cli_cred_clear(&file);
  if (cli.password != NULL) {
    dfsc__cli_wipe_free(cli.password);
    cli.password = NULL;
  }
  if (rc != 0) {
    dfsc__fe_errf("cannot start: %s", dfsc_strerror(rc));
    status = 1;
    goto out;
  }
  status = cmd->fn(ctx, &cfg, n_pos - 1, pos + 1);
  if (fflush(stdout) != 0 && errno != EPIPE && status == 0) {
    dfsc__fe_errf("stdout: %s", strerror(errno));
    status = 1;
  }
  if (show_stats)
    print_stats(ctx, cfg.json);

out:
  if (ctx != NULL)
    dfsc_ctx_free(ctx);
  dfsc__mount_opts_delete(mopts);
  free(listed);
  free(listed_text);
  dfsc__cli_wipe_free(password);
  dfsc__cli_cred_clear(&cli);
  dfsc__cli_cred_clear(&file);
  free(pos_block);
  sig = dfsc__cli_signal;
  if (sig != 0) {
    signal(sig, SIG_DFL);
    raise(sig);
  }
  return status;
}
