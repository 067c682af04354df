/* Connections, sessions and trees, and the request engine under them.
 *
 * Levels, each with one state enum, a names table and one set_state():
 *   conn: IDLE -> LOOKUP -> CONNECT -> NEGOTIATE -> READY   (any -> IDLE on failure)
 *   sess: NONE -> SETUP -> VALID -> LOGOFF                  (-> NONE on failure)
 *   tree: NONE -> CONNECT -> READY -> DISCONNECT            (-> NONE on failure)
 * drive() moves whatever has waiters one step further; every step is a
 * request/response continuation, never a blocked thread (P1).
 *
 * One connection per server and port; on it one session per identity (user,
 * domain, password, Kerberos cache, and the tag of the local user it
 * serves), each with its own keys, setup deadline and SessionId
 * ([MS-SMB2] 3.2.1.3 Connection.SessionTable); each tree belongs to one
 * session. Responses are checked with the keys of the session of the
 * request they answer, encrypted ones decrypted with those of the session
 * the TRANSFORM_HEADER names.
 *
 * Idle close: trees and connections sit on two LRU lists ordered by their
 * last use (a request sent or finished, a waiter woken, a hold taken or
 * released, a dfsc__tree_get). One sweep timer walks each from the least
 * recently used end, a bounded number of objects per run: an object in use
 * moves to the recent end, the first one used within idle_timeout_ms ends
 * the walk. An idle tree is sent TREE_DISCONNECT and moved off its
 * connection's list (a later user of the share gets a new tree); an idle
 * connection with no tree left is sent LOGOFF, leaves the lookup (a later
 * user gets a new connection) and is freed when the answer, a failure or
 * the setup deadline ends it. max_conns: a new connection past it first
 * retires the least recently used idle one.
 *
 * Request engine: message ids and credits ([MS-SMB2] 3.2.4.1.5), a bounded
 * queue of requests waiting for credits, a table of requests in flight keyed
 * by MessageId, interim STATUS_PENDING responses (3.2.5.1.5), signing of
 * requests and verification of responses (3.2.4.1.1, 3.2.5.1.3), compound
 * requests (3.2.4.1.4), encryption of requests and decryption of responses
 * (3.1.4.3, 3.2.4.1.8, 3.2.5.1.1.1) and a deadline per request.
 *
 * Security policy applied here: authenticated sessions sign unless told
 * not to; sessions and shares the server marks encrypted, or all of them
 * with cfg.encrypt, are encrypted; credentials go only to servers matching
 * cfg.cred_servers; keys and passwords are wiped when dropped.
 *
 * Losing a connection: a READY connection that drops (reset, EOF, a request
 * deadline, a bad signature or tag, an ECHO unanswered) goes back to IDLE,
 * its generation moves and its requests fail; its objects stay, so an
 * owner of open handles can wait for it with dfsc__tree_reconnect (bounded
 * retries with backoff) and reclaim them. Keepalive: an ECHO on a
 * connection silent for echo_interval_ms, dead when that goes unanswered.
 * Leases: a table by key per connection; breaks are followed and
 * acknowledged here ([MS-SMB2] 3.2.5.19.2).
 *
 * Does not: parse paths, follow DFS referrals, decide retries (callers do).
 */
#include "session/sl.h"

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <unistd.h>

#include "auth/auth.h"
#include "auth/ldapping.h"
#include "core/alloc.h"
#include "core/log.h"
#include "dfsc/dfsc.h"
#include "session/crypto.h"
#include "session/policy.h"
#include "smb2/compound.h"
#include "smb2/echo.h"
#include "smb2/ioctl.h"
#include "smb2/logoff.h"
#include "smb2/negotiate.h"
#include "smb2/oplock.h"
#include "smb2/read.h"
#include "smb2/session_setup.h"
#include "smb2/status.h"
#include "smb2/tree.h"
#include "transport/udp.h"

#define MID_BUCKETS 1024
#define CREDIT_WAIT_MAX 65536
#define CREDIT_TARGET 512
#define CREDITS_MAX 65535
#define MAX_IO_SIZE (8u * 1024 * 1024)
#define SETUP_FRAME_MAX (1u << 20)
#define SESS_SETUP_ROUNDS_MAX 8
/* Idle close. Windows' redirector keeps an unused connection ten minutes
 * (KeepConn, 600 s): a client that reopens a file every few minutes keeps its
 * session, one that moves on releases the server. */
#define IDLE_TIMEOUT_DEFAULT 600000u
#define MAX_CONNS_DEFAULT 1024u
#define SWEEP_BUDGET 256   /* objects one sweep looks at */
#define SWEEP_GAP_MAX 1000 /* ms: the most a close can lag its due time */
#define EVICT_SCAN 64      /* LRU connections looked at to make room */
/* ms a connection must have been unused before max_conns may close it: a
 * caller that was just handed a tree may still be about to use it. */
#define EVICT_GRACE_MS 5000u
#define CONN_BUCKETS 1024 /* lookup table of connections by server and port */
#define LEASE_BUCKETS 64  /* leases of a connection, by key */
#define ECHO_INTERVAL_DEFAULT 60000u
#define PROBE_MAX_MS 10000u       /* an ECHO asked at a request's deadline, at most */
#define SPLIT_MIN 65536u          /* a clear READ answer this large lands in place */
#define RECONNECT_PAUSE_MIN 100u  /* ms: the first pause between reconnect attempts */
#define RECONNECT_PAUSE_MAX 2000u /* ms: the longest */
#define LEASE_LOG_MAX 16          /* dropped breaks logged per connection */

enum conn_state { C_IDLE, C_QUEUED, C_LOOKUP, C_CONNECT, C_NEGOTIATE, C_READY };
static const char *const conn_state_names[] = {"IDLE",    "QUEUED",    "LOOKUP",
                                               "CONNECT", "NEGOTIATE", "READY"};
/* S_AUTH_WAIT: a Kerberos step runs on an auth lane (P7); the session
 * sends nothing until it is back, under the setup deadline. */
enum sess_state { S_NONE, S_AUTH_WAIT, S_SETUP, S_VALID, S_LOGOFF };
static const char *const sess_state_names[] = {"NONE", "AUTH_WAIT", "SETUP", "VALID",
                                               "LOGOFF"};
enum tree_state { T_NONE, T_CONNECT, T_READY, T_DISCONNECT };
static const char *const tree_state_names[] = {"NONE", "CONNECT", "READY", "DISCONNECT"};
enum req_state { R_NEW, R_WAIT_CREDITS, R_SENT, R_DONE };

_Static_assert((int)DFSC_AUTH_KRB_AUTO == (int)DFSC_KERBEROS_AUTO &&
                   (int)DFSC_AUTH_KRB_REQUIRED == (int)DFSC_KERBEROS_REQUIRED &&
                   (int)DFSC_AUTH_KRB_OFF == (int)DFSC_KERBEROS_OFF,
               "the auth layer's Kerberos modes are the public ones");

typedef struct auth_job auth_job;

struct dfsc_lease {
  uint8_t key[16];
  uint32_t state;
  uint16_t epoch;
  uint32_t breaks;
  dfsc_tree *tree; /* where it was taken (and its acks go); the owner holds it */
  dfsc_lease *hnext;
  dfsc_lease_break_fn on_break;
  void *data;
  /* An acknowledgement the owner deferred (on the layer's pending list). */
  uint64_t token;
  dfsc_timer ack_timer;
  dfsc_lease *pnext, *pprev;
  /* One acknowledgement on the wire at a time: a break that asks for one
   * meanwhile is answered when it returns, with the state then held, so a
   * server that floods breaks costs one request per lease, not one each. */
  int ack_out, ack_again;
};

struct dfsc_sess {
  dfsc_conn *conn;
  dfsc_sess *next; /* the connection's sessions */
  /* The identity (copied): what tells the sessions of a connection apart. */
  char *user, *domain, *password, *ccache;
  int kerberos; /* enum dfsc_kerberos_mode */
  uint64_t tag;
  enum sess_state state;
  uint64_t id;
  uint64_t prev_id;    /* the session lost with the connection, for the next setup */
  dfsc_req *setup_req; /* the SESSION_SETUP leg out, until its answer */
  uint64_t setup_sent; /* loop ms it was sent */
  dfsc_timer setup_timer;
  int ping_wait;  /* waits for the connection's LDAP ping (locate_dc) */
  unsigned nreqs; /* requests of the session in the engine (sess_held) */
  int retiring;   /* LOGOFF sent on its own: lookups skip it */
  dfsc_auth *auth;
  auth_job *job; /* the lane step running, which owns auth meanwhile */
  int mech;      /* enum dfsc_auth_mech of the established session */
  int mutual;    /* the server proved its identity (Kerberos) */
  int rounds;
  int signing; /* sign requests, require signed responses */
  int is_guest, is_null;
  uint16_t sign_alg; /* SMB2_SIGNING_* */
  uint8_t session_key[16];
  uint8_t full_key[32]; /* Session.FullSessionKey, for AES-256 ciphers */
  size_t full_key_len;
  uint8_t signing_key[16];
  uint8_t preauth[64];
  int validated; /* FSCTL_VALIDATE_NEGOTIATE_INFO done (3.0 / 3.0.2) */
  int has_keys;  /* authenticated: a signing key exists even when not signing */
  /* [MS-SMB2] 3.2.5.3.1: Session.EncryptData and the cipher keys. */
  int encrypt;     /* every request of the session is encrypted */
  int has_enc;     /* keys exist: encrypted shares can be used */
  uint16_t cipher; /* SMB2_ENCRYPTION_* the keys are for */
  uint8_t enc_key[32], dec_key[32];
};

struct dfsc_tree {
  dfsc_conn *conn;
  dfsc_sess *sess; /* the session it was connected with */
  dfsc_tree *next;
  enum tree_state state;
  char *share;
  uint32_t id;
  uint32_t share_flags;
  uint32_t caps;
  uint8_t share_type;
  int encrypt; /* TreeConnect.EncryptData: the share has ENCRYPT_DATA */
  dfsc_tree_waiter *waiters;
  /* Idle close: on the layer's tree LRU unless DISCONNECT (then on the
   * connection's dying list through next). */
  dfsc_tree *lru_prev, *lru_next;
  uint64_t last;  /* loop ms of the last use */
  unsigned holds; /* dfsc__tree_hold */
  unsigned reqs;  /* requests sent through dfsc__tree_send, not finished */
};

struct dfsc_conn {
  dfsc_req *zc_req;    /* the READ whose data is being decrypted into its buffer */
  dfsc_sess *zc_sess;  /* the session whose keys decrypt it (unseal) */
  dfsc_req *zc_stream; /* the READ whose data the transport is receiving into
                          its buffer (frame_dst), until on_frame_split */
  dfsc_sl *sl;
  dfsc_conn *next, *prev; /* every connection of the layer */
  dfsc_conn *hnext;       /* lookup chain, while not closing */
  uint32_t hash;
  enum conn_state state;
  char *host;
  uint16_t port;
  uint64_t gen;
  int mic_absent_logged; /* the INFO line of a server without mechListMIC */
  int no_compound;       /* requests one at a time (unchained_signature) */
  uint64_t spills;       /* the transport's pipe spills seen (splice_count) */
  uint64_t spliced;      /* READs spliced through the same transport */
  int splice_off;        /* SPILLS_OFF reached: READs go through memory */

  dfsc_lookup lk;
  dfsc_addr peer; /* where the lookup led (for the LDAP ping) */
  int have_peer;
  /* Kerberos to a name the KDC has no cifs/ principal for (a domain's name
   * leads to one of its DCs): the DC's own name, learnt by an LDAP ping
   * ([MS-ADTS] 6.3.3), once per connection object. */
  char *spn_host;
  int alias_tried;
  dfsc_udp_xchg ping;
  uint32_t ping_id;
  int pinging; /* the ping is out; sessions wait for it (ping_wait) */
  dfsc_tcp *tcp;
  dfsc_timer setup_timer;

  /* negotiated ([MS-SMB2] 3.2.5.2) */
  uint16_t dialect;
  uint16_t server_sec_mode;
  uint32_t server_caps;
  uint8_t server_guid[16];
  uint8_t client_guid[16];
  int have_guid;
  uint32_t max_read, max_write, max_transact;
  uint16_t cipher;
  uint16_t sign_alg;
  uint8_t preauth[64];
  uint8_t *neg_secbuf; /* the server's SPNEGO hint */
  size_t neg_secbuf_len;
  uint16_t client_sec_mode;
  uint32_t client_caps;
  uint16_t dialects[5];
  int ndialects;
  int offer311;
  int vni_pending; /* FSCTL_VALIDATE_NEGOTIATE_INFO requests not yet answered */

  /* request engine */
  uint64_t next_mid;
  uint32_t credits;
  uint32_t charged;    /* credits charged by requests in flight */
  uint32_t window_max; /* the most credits + charged ever seen on this connection */
  dfsc_timer fail_timer;
  int fail_err;
  size_t inflight;
  dfsc_req *pending[MID_BUCKETS];
  dfsc_req *wait_head, *wait_tail;
  size_t nwait;

  dfsc_sess *sessions;
  dfsc_tree *trees;
  dfsc_conn *setup_qnext; /* the queue of setups waiting for a slot */

  /* Idle close. On the layer's LRU, or once closing on its closing list
   * (same links). The counters sum the trees' (waiters, holds, requests). */
  dfsc_conn *lru_prev, *lru_next;
  uint64_t last;
  unsigned holds;
  size_t nwaiters;
  size_t ureqs;
  dfsc_tree *dying; /* trees whose TREE_DISCONNECT is in flight */
  int closing;      /* LOGOFF sent or about to be freed: lookups skip it */
  int close_ready;  /* closing and nothing more to wait for */
  unsigned logoffs; /* closing: LOGOFFs whose answer is awaited */

  /* Loss and keepalive. */
  uint64_t last_rx; /* loop ms of the last frame received */
  dfsc_timer ka_timer;
  int echo_out;     /* a keepalive ECHO is unanswered */
  int lost;         /* was READY and dropped: the next READY is a reconnect */
  uint64_t lost_at; /* loop ms of the loss */
  dfsc_lease *leases[LEASE_BUCKETS];
  unsigned lease_logged;
};

struct dfsc_sl {
  dfsc_sl_cfg cfg;
  char *user, *domain, *password, *workstation;
  uint16_t ciphers[DFSC_CIPHERS_MAX]; /* the 3.1.1 offer */
  size_t nciphers;
  char **cred_servers;   /* NULL-terminated copy, or NULL */
  char *ccache, *keytab; /* Kerberos, copied (NULL: the default / none) */
  char **hardened;       /* NULL-terminated copy; NULL: the default list */
  dfsc_conn *conns;
  int shutting_down;
  dfsc_sl_stats stats;
  /* Connection setups in flight, and those waiting for a slot (FIFO). */
  unsigned setups_active;
  dfsc_conn *setup_q_head, *setup_q_tail;
  int pumping;
  /* Idle close: one timer; LRU lists, least recently used at the head. */
  dfsc_timer sweep;
  dfsc_conn *lru_head, *lru_tail;
  dfsc_conn *closing_head, *closing_tail;
  dfsc_tree *tlru_head, *tlru_tail;
  size_t nconns, nclosing;
  dfsc_conn *by_server[CONN_BUCKETS];
  size_t nsess;        /* session objects alive */
  dfsc_lease *acks;    /* leases whose break acknowledgement is deferred */
  dfsc_reconnect *rcs; /* reconnect waits under way */
  uint64_t next_token;
};

static void drive(dfsc_conn *c);
static void conn_fail(dfsc_conn *c, int err, uint32_t ntstatus);
static void conn_fail_later(dfsc_conn *c, int err);
static void setups_pump(dfsc_sl *sl);
static void setup_q_remove(dfsc_sl *sl, dfsc_conn *c);
static int send_now(dfsc_conn *c, dfsc_req *first);
static int submit(dfsc_conn *c, dfsc_req **reqs, int n);
static void flush_waitq(dfsc_conn *c);
static void req_finish(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                       size_t len);

static const dfsc_logger *lg(const dfsc_conn *c) { return c->sl->cfg.log; }

/* A request's deadline: its own (tree connect and validate-negotiate are
 * setup steps, under setup_timeout_ms), else the context's. */
static uint64_t req_deadline(const dfsc_conn *c, const dfsc_req *r) {
  return r->timeout_ms != 0 ? r->timeout_ms : c->sl->cfg.request_timeout_ms;
}

/* Loop ms of the last thing heard from the server: a whole frame, or any
 * byte of one still arriving (a large READ over a slow link takes long
 * to arrive whole, and an ECHO's answer waits behind it). */
static uint64_t rx_last(const dfsc_conn *c) {
  uint64_t b = c->tcp != NULL ? dfsc__tcp_rx_at(c->tcp) : 0;
  return b > c->last_rx ? b : c->last_rx;
}

/* ---- state transitions ------------------------------------------------- */

static int in_setup(enum conn_state s) {
  return s == C_LOOKUP || s == C_CONNECT || s == C_NEGOTIATE;
}

static void conn_set_state(dfsc_conn *c, enum conn_state s) {
  DFSC_DBG(lg(c), DFSC_CAT_CONN, "conn %s:%u: %s -> %s", c->host, c->port,
           conn_state_names[c->state], conn_state_names[s]);
  /* Setups in flight are counted here, the one place states change (P2). */
  if (in_setup(s) && !in_setup(c->state))
    c->sl->setups_active++;
  else if (!in_setup(s) && in_setup(c->state))
    c->sl->setups_active--;
  c->state = s;
}

/* Who a session is, for messages. */
static const char *sess_who(const dfsc_sess *s) {
  if (s->ccache != NULL && (s->user == NULL || s->user[0] == '\0'))
    return s->ccache;
  return s->user && s->user[0] ? s->user : "anonymous";
}

static void sess_set_state(dfsc_sess *s, enum sess_state st) {
  DFSC_DBG(lg(s->conn), DFSC_CAT_AUTH, "session %s (%s): %s -> %s", s->conn->host,
           sess_who(s), sess_state_names[s->state], sess_state_names[st]);
  s->state = st;
}

static void tree_set_state(dfsc_tree *t, enum tree_state s) {
  DFSC_DBG(lg(t->conn), DFSC_CAT_CONN, "tree \\\\%s\\%s: %s -> %s", t->conn->host, t->share,
           tree_state_names[t->state], tree_state_names[s]);
  t->state = s;
}

/* ---- use accounting (idle close) --------------------------------------- */

/* The two lists a connection's LRU links can be on. */
static void clist_unlink(dfsc_conn **head, dfsc_conn **tail, dfsc_conn *c) {
  if (c->lru_prev != NULL)
    c->lru_prev->lru_next = c->lru_next;
  else
    *head = c->lru_next;
  if (c->lru_next != NULL)
    c->lru_next->lru_prev = c->lru_prev;
  else
    *tail = c->lru_prev;
  c->lru_prev = c->lru_next = NULL;
}

static void clist_append(dfsc_conn **head, dfsc_conn **tail, dfsc_conn *c) {
  c->lru_next = NULL;
  c->lru_prev = *tail;
  if (*tail != NULL)
    (*tail)->lru_next = c;
  else
    *head = c;
  *tail = c;
}

static void tlist_unlink(dfsc_sl *sl, dfsc_tree *t) {
  if (t->lru_prev != NULL)
    t->lru_prev->lru_next = t->lru_next;
  else
    sl->tlru_head = t->lru_next;
  if (t->lru_next != NULL)
    t->lru_next->lru_prev = t->lru_prev;
  else
    sl->tlru_tail = t->lru_prev;
  t->lru_prev = t->lru_next = NULL;
}

static void tlist_append(dfsc_sl *sl, dfsc_tree *t) {
  t->lru_next = NULL;
  t->lru_prev = sl->tlru_tail;
  if (sl->tlru_tail != NULL)
    sl->tlru_tail->lru_next = t;
  else
    sl->tlru_head = t;
  sl->tlru_tail = t;
}

static void sweep_cb(dfsc_timer *tm);

/* Runs the sweep within delay ms (sooner if it is already due sooner). */
static void sweep_arm(dfsc_sl *sl, uint64_t delay) {
  uint64_t due = dfsc__loop_now(sl->cfg.loop) + delay;
  if (sl->shutting_down || (sl->sweep.active && sl->sweep.due <= due))
    return;
  sl->sweep.data = sl;
  dfsc__timer_start(sl->cfg.loop, &sl->sweep, delay, sweep_cb);
}

static void conn_touch(dfsc_conn *c) {
  dfsc_sl *sl = c->sl;
  if (c->closing)
    return;
  c->last = dfsc__loop_now(sl->cfg.loop);
  if (sl->lru_tail != c) {
    clist_unlink(&sl->lru_head, &sl->lru_tail, c);
    clist_append(&sl->lru_head, &sl->lru_tail, c);
  }
  if (!sl->sweep.active)
    sweep_arm(sl, sl->cfg.idle_timeout_ms);
}

/* A use of t (and so of its connection): its idle time starts again. */
static void tree_touch(dfsc_tree *t) {
  dfsc_sl *sl = t->conn->sl;
  if (t->state == T_DISCONNECT)
    return;
  t->last = dfsc__loop_now(sl->cfg.loop);
  if (sl->tlru_tail != t) {
    tlist_unlink(sl, t);
    tlist_append(sl, t);
  }
  conn_touch(t->conn);
}

/* A Kerberos step on a worker. While it runs the job owns the dfsc_auth (the
 * session keeps the pointer but does not touch it). A session that gives up
 * first (setup deadline, reset, shutdown) orphans the job and forgets both;
 * the job's done then frees them. A job orphaned before a worker took it
 * does nothing, so a queue of given-up sessions drains at once. */
struct auth_job {
  dfsc_lane_job job;
  dfsc_sess *s; /* NULL once orphaned */
  dfsc_sl *sl;
  dfsc_auth *auth;
  uint8_t *in; /* the NEGOTIATE response's security buffer, copied */
  size_t inlen;
  uint8_t *out;
  size_t outlen;
  int rc;
  int stage; /* 0: prepare (and the step if no KDC is needed); 1: the step */
  int needs_kdc;
  int orphan; /* atomic: set on the loop, read by the worker */
};

static void sess_drop_auth(dfsc_sess *s);

/* cred_servers: whether credentials may go to c's server (an anonymous
 * session carries none), and the line that says they may not. */
static int creds_allowed(const dfsc_conn *c) {
  return dfsc__policy_server_allowed((const char *const *)c->sl->cred_servers, c->host);
}

static void creds_refused_log(const dfsc_conn *c) {
  DFSC_ERR(lg(c), DFSC_CAT_AUTH,
           "%s: credentials may not be sent to this server (not in cred_servers)", c->host);
}

static int tree_in_use(const dfsc_tree *t) {
  return t->holds > 0 || t->reqs > 0 || t->waiters != NULL || t->state == T_CONNECT;
}

/* In use: someone waits on, holds or sends through it, or a setup (or a
 * lookup left behind by a setup deadline, or a deferred failure) runs. */
static int sess_in_setup(const dfsc_conn *c) {
  const dfsc_sess *s;
  for (s = c->sessions; s != NULL; s = s->next)
    if (s->state == S_SETUP || s->state == S_AUTH_WAIT || s->ping_wait)
      return 1;
  return 0;
}

static int conn_in_use(const dfsc_conn *c) {
  return c->holds > 0 || c->nwaiters > 0 || c->ureqs > 0 || c->state == C_QUEUED ||
         in_setup(c->state) || sess_in_setup(c) || c->lk.active || c->fail_timer.active;
}

/* r no longer keeps its session alive (sess_count took the hold). */
static void sess_unhold(dfsc_req *r) {
  if (r->sess_held) {
    r->sess_held = 0;
    r->sess->nreqs--;
  }
}

/* A request from dfsc__tree_send leaves the engine: the tree is used. */
static void req_untrack(dfsc_req *r) {
  dfsc_tree *t = r->tree;
  sess_unhold(r);
  if (t == NULL)
    return;
  r->tree = NULL;
  t->reqs--;
  t->conn->ureqs--;
  tree_touch(t);
}

/* ---- waiters ----------------------------------------------------------- */

static void tree_notify(dfsc_tree *t, int err, uint32_t ntstatus) {
  /* Detach the list first: callbacks may add new waiters or re-enter. */
  dfsc_tree_waiter *w = t->waiters, *next;
  t->waiters = NULL;
  /* The waiters get the whole idle time to use what they were handed. */
  tree_touch(t);
  for (; w != NULL; w = next) {
    next = w->next;
    w->next = NULL;
    t->conn->nwaiters--;
    w->cb(w, t, err, ntstatus);
  }
}

/* ---- request allocation ------------------------------------------------ */

dfsc_req *dfsc__req_new(uint16_t command, size_t body_cap) {
  /* +8: padding to the 8-byte boundary a compound needs. */
  size_t cap = SMB2_HDR_SIZE + body_cap + 8;
  dfsc_req *r = dfsc__calloc(1, sizeof(*r) + cap);
  if (r == NULL)
    return NULL;
  r->command = command;
  dfsc__wr_init(&r->w, r->buf, cap - 8);
  r->w.off = SMB2_HDR_SIZE;
  return r;
}

void dfsc__req_free(dfsc_req *r) {
  if (r != NULL)
    dfsc__free(r->sealed);
  dfsc__free(r);
}

static size_t bucket(uint64_t mid) { return (size_t)(mid % MID_BUCKETS); }

static void pending_add(dfsc_conn *c, dfsc_req *r) {
  size_t b = bucket(r->mid);
  r->hnext = c->pending[b];
  c->pending[b] = r;
  c->inflight++;
}

static dfsc_req *pending_find(dfsc_conn *c, uint64_t mid) {
  dfsc_req *r;
  for (r = c->pending[bucket(mid)]; r != NULL; r = r->hnext)
    if (r->mid == mid)
      return r;
  return NULL;
}

static void pending_del(dfsc_conn *c, dfsc_req *r) {
  dfsc_req **pp = &c->pending[bucket(r->mid)];
  for (; *pp != NULL; pp = &(*pp)->hnext) {
    if (*pp == r) {
      *pp = r->hnext;
      c->inflight--;
      return;
    }
  }
}

/* A request leaves the engine exactly once, through here. */
static void req_finish(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                       size_t len) {
  dfsc_conn *c = r->conn;
  if (r->state == R_DONE)
    return;
  if (c != NULL && c->zc_stream == r) {
    /* Its data is still arriving into the caller's buffer, which the
     * caller may reuse once answered: the rest is dropped instead. */
    dfsc__tcp_split_abort(c->tcp);
    c->zc_stream = NULL;
  }
  if (r->state == R_SENT) {
    pending_del(c, r);
    c->charged -= r->held;
    r->held = 0;
  }
  r->state = R_DONE;
  dfsc__timer_stop(c->sl->cfg.loop, &r->timer);
  req_untrack(r);
  r->cb(r, err, h, pdu, len);
  /* The transport may still be writing this request's bytes (or, for a
   * compound, its neighbours'): msg_done frees it then. */
  if (r->sending)
    r->zombie = 1;
  else
    dfsc__req_free(r);
}

/* The transport wrote (or dropped) a chain's bytes: members that already
 * finished can go now. */
static void msg_done(dfsc_tcp_msg *m, int status) {
  dfsc_req *r = m->data, *next;
  (void)status;
  /* The encrypted copy is no longer needed once written. */
  dfsc__free(r->sealed);
  r->sealed = NULL;
  for (; r != NULL; r = next) {
    next = r->compound;
    r->sending = 0;
    if (r->zombie)
      dfsc__req_free(r);
  }
}

static unsigned echo_interval(const dfsc_sl *sl);
static int echo_send(dfsc_conn *c, unsigned timeout_ms);

/* How long an ECHO sent at a request's deadline may take: half the request
 * deadline, within [1 s, PROBE_MAX_MS], and never past the keepalive
 * interval. */
static unsigned probe_ms(const dfsc_sl *sl) {
  unsigned p = sl->cfg.request_timeout_ms / 2, iv = echo_interval(sl);
  if (p < 1000)
    p = 1000;
  if (p > PROBE_MAX_MS)
    p = PROBE_MAX_MS;
  return iv < p ? iv : p;
}

/* The server answers (the probe ECHO, or anything else): the requests that
 * passed their deadline meanwhile fail alone, and the connection stays. */
static void probed_fail(dfsc_conn *c) {
  size_t b;
  for (b = 0; b < MID_BUCKETS; b++) {
    dfsc_req *r, *next;
    for (r = c->pending[b]; r != NULL; r = next) {
      next = r->hnext;
      if (!r->probed)
        continue;
      DFSC_WARN(lg(c), DFSC_CAT_SMB2,
                "%s:%u: the server answers, but not %s (mid %llu) within its deadline: "
                "that request fails alone",
                c->host, c->port, dfsc__smb2_command_name(r->command),
                (unsigned long long)r->mid);
      c->sl->stats.requests_unanswered++;
      req_finish(r, DFSC_E_NOANSWER, NULL, NULL, 0);
      /* req_finish ran a callback that may have finished others. */
      next = c->pending[b];
    }
  }
}

static void fail_chain(dfsc_req *first, int err);

/* r, or a request of its chain, waited for credits past its deadline: the
 * chain leaves the queue and fails with DFSC_E_CREDITS (not -ETIMEDOUT,
 * which the operations read as a lost connection and wait out). */
static void wait_timeout(dfsc_conn *c, dfsc_req *r) {
  dfsc_req *prev = NULL, *h, *x = NULL;
  for (h = c->wait_head; h != NULL; prev = h, h = h->next) {
    for (x = h; x != NULL && x != r; x = x->compound)
      ;
    if (x == r)
      break;
  }
  if (h == NULL) {
    /* Not queued: the engine lost track of it; nothing on this
     * connection can be trusted to answer. */
    conn_fail(c, -ETIMEDOUT, 0);
    return;
  }
  if (prev != NULL)
    prev->next = h->next;
  else
    c->wait_head = h->next;
  if (c->wait_tail == h)
    c->wait_tail = prev;
  c->nwait--;
  h->next = NULL;
  DFSC_WARN(lg(c), DFSC_CAT_SMB2,
            "%s:%u: %s waited %u ms for credits (%u left, %zu requests in flight): it "
            "fails alone",
            c->host, c->port, dfsc__smb2_command_name(h->command),
            (unsigned)req_deadline(c, r), c->credits, (size_t)c->inflight);
  fail_chain(h, DFSC_E_CREDITS);
}

static void req_timeout(dfsc_timer *t) {
  dfsc_req *r = t->data;
  dfsc_conn *c = r->conn;
  uint64_t now = dfsc__loop_now(c->sl->cfg.loop);
  if (!r->probed)
    c->sl->stats.deadlines++;
  if (r->state == R_WAIT_CREDITS && r->command != SMB2_ECHO) {
    /* Never sent: its deadline passed waiting for credits that requests
     * in flight hold. Those have deadlines (and ECHOs) of their own and
     * judge the connection; this one fails alone, with its chain. */
    wait_timeout(c, r);
    return;
  }
  if (r->command == SMB2_ECHO && !r->probed && now - rx_last(c) < r->timeout_ms) {
    /* Bytes arrive, part of a frame the ECHO's answer waits behind: the
     * server is there. Once more as long, then the ECHO is judged. */
    r->probed = 1;
    dfsc__timer_start(c->sl->cfg.loop, &r->timer, r->timeout_ms, req_timeout);
    return;
  }
  /* [MS-SMB2] 3.2.6.1 leaves the request timer to the client. A request
   * past its deadline says that this request got no answer, not that the
   * server is gone: an ECHO asks ([MS-SMB2] 2.2.28). Answered, the request
   * fails alone (probed_fail); unanswered within probe_ms, the connection
   * is lost (below, on the ECHO's own deadline). Setup steps (their own
   * timeout_ms), an ECHO, a request already probed and a connection
   * without keepalive (echo_interval off) are judged at once as before. */
  if (r->command != SMB2_ECHO && r->timeout_ms == 0 && !r->probed && c->state == C_READY &&
      echo_interval(c->sl) != UINT32_MAX) {
    unsigned p = probe_ms(c->sl);
    r->probed = 1;
    DFSC_WARN(
        lg(c), DFSC_CAT_SMB2,
        "%s:%u: %s (mid %llu) got no answer within %u ms: asking the server with ECHO",
        c->host, c->port, dfsc__smb2_command_name(r->command), (unsigned long long)r->mid,
        c->sl->cfg.request_timeout_ms);
    if (now - rx_last(c) < p) {
      /* Something arrived within the probe's own window: the server is
       * alive now. An answer that came just after this request went out,
       * and then a whole deadline of silence, proves nothing: a server
       * that died behind a relay (which never closed our side) looked
       * alive that way and its requests failed alone, one by one, while
       * the connection was dead (CI, t_reconnect c). */
      probed_fail(c);
      return;
    }
    if (c->echo_out || echo_send(c, p) == 0) {
      /* A keepalive ECHO already out counts; past p + 1 s without its
       * answer this request gives up on the connection. */
      dfsc__timer_start(c->sl->cfg.loop, &r->timer, p + 1000, req_timeout);
      return;
    }
  }
  DFSC_WARN(lg(c), DFSC_CAT_SMB2, "%s:%u: %s (mid %llu) timed out", c->host, c->port,
            dfsc__smb2_command_name(r->command), (unsigned long long)r->mid);
  if (r->command == SMB2_ECHO) {
    c->sl->stats.echo_dead++;
    DFSC_WARN(lg(c), DFSC_CAT_CONN,
              "%s:%u: no answer to an ECHO within %u ms: the server or the "
              "network is gone",
              c->host, c->port, r->timeout_ms);
  }
  /* A server that does not answer within the deadline cannot be trusted to
   * answer the others: fail the connection, which fails every request. */
  conn_fail(c, -ETIMEDOUT, 0);
}

/* ---- keepalive ---------------------------------------------------------- */

static unsigned echo_interval(const dfsc_sl *sl) {
  return sl->cfg.echo_interval_ms != 0 ? sl->cfg.echo_interval_ms : ECHO_INTERVAL_DEFAULT;
}

static void ka_cb(dfsc_timer *tm);

static void ka_arm(dfsc_conn *c, uint64_t delay) {
  if (echo_interval(c->sl) == UINT32_MAX)
    return;
  c->ka_timer.data = c;
  dfsc__timer_start(c->sl->cfg.loop, &c->ka_timer, delay, ka_cb);
}

static void echo_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                    size_t len) {
  dfsc_conn *c = r->data;
  (void)h;
  (void)pdu;
  (void)len;
  /* Any answer, an error status included, shows the peer alive. On err
   * the connection was failed already (the ECHO's deadline counted it). */
  if (err == 0) {
    c->echo_out = 0;
    probed_fail(c);
  }
}

/* One ECHO at a time (c->echo_out), with its own deadline: unanswered, it
 * fails the connection in req_timeout. 0, or a negative code. */
static int echo_send(dfsc_conn *c, unsigned timeout_ms) {
  dfsc_req *r = dfsc__req_new(SMB2_ECHO, 4);
  if (r == NULL || dfsc__smb2_echo_req_encode(&r->w) < 0) {
    dfsc__req_free(r);
    return -ENOMEM;
  }
  r->cb = echo_cb;
  r->data = c;
  r->timeout_ms = timeout_ms;
  if (submit(c, &r, 1) < 0) {
    dfsc__req_free(r);
    return -EIO;
  }
  c->echo_out = 1;
  c->sl->stats.echoes_sent++;
  return 0;
}

/* Every echo_interval: a connection that received nothing for that long is
 * sent an ECHO whose deadline is the interval; an unanswered one fails the
 * connection in req_timeout. One ECHO at a time. */
static void ka_cb(dfsc_timer *tm) {
  dfsc_conn *c = tm->data;
  uint64_t now = dfsc__loop_now(c->sl->cfg.loop), iv = echo_interval(c->sl),
           rx = rx_last(c);
  if (c->state != C_READY)
    return;
  if (c->echo_out || now - rx < iv) {
    ka_arm(c, c->echo_out ? iv : rx + iv - now);
    return;
  }
  if (echo_send(c, (unsigned)iv) < 0) {
    ka_arm(c, iv);
    return;
  }
  DFSC_DBG(lg(c), DFSC_CAT_CONN, "%s:%u: nothing received for %llu ms: keepalive ECHO",
           c->host, c->port, (unsigned long long)(now - rx));
  ka_arm(c, iv);
}

/* ---- leases ------------------------------------------------------------- */

static size_t lease_bucket(const uint8_t key[16]) {
  /* Keys are random (dfsc makes them): any bytes spread them. */
  return (size_t)(key[0] ^ key[7] ^ key[15]) % LEASE_BUCKETS;
}

static dfsc_lease *lease_find(dfsc_conn *c, const uint8_t key[16]) {
  dfsc_lease *l;
  for (l = c->leases[lease_bucket(key)]; l != NULL; l = l->hnext)
    if (memcmp(l->key, key, 16) == 0)
      return l;
  return NULL;
}

dfsc_lease *dfsc__lease_new(dfsc_tree *t, const uint8_t key[16], uint32_t state,
                            uint16_t epoch) {
  dfsc_conn *c = t->conn;
  dfsc_lease *l = dfsc__calloc(1, sizeof(*l));
  size_t b = lease_bucket(key);
  if (l == NULL)
    return NULL;
  memcpy(l->key, key, 16);
  l->state = state;
  l->epoch = epoch;
  l->tree = t;
  l->hnext = c->leases[b];
  c->leases[b] = l;
  return l;
}

static void ack_unpend(dfsc_lease *l) {
  dfsc_sl *sl = l->tree->conn->sl;
  if (l->token == 0)
    return;
  dfsc__timer_stop(sl->cfg.loop, &l->ack_timer);
  if (l->pprev != NULL)
    l->pprev->pnext = l->pnext;
  else
    sl->acks = l->pnext;
  if (l->pnext != NULL)
    l->pnext->pprev = l->pprev;
  l->pnext = l->pprev = NULL;
  l->token = 0;
}

void dfsc__lease_free(dfsc_lease *l) {
  dfsc_lease **pp;
  if (l == NULL)
    return;
  ack_unpend(l);
  for (pp = &l->tree->conn->leases[lease_bucket(l->key)]; *pp != NULL; pp = &(*pp)->hnext)
    if (*pp == l) {
      *pp = l->hnext;
      break;
    }
  dfsc__free(l);
}

uint32_t dfsc__lease_state(const dfsc_lease *l) { return l->state; }
uint32_t dfsc__lease_breaks(const dfsc_lease *l) { return l->breaks; }
const uint8_t *dfsc__lease_key(const dfsc_lease *l) { return l->key; }

void dfsc__lease_set(dfsc_lease *l, uint32_t state, uint16_t epoch) {
  ack_unpend(l); /* a new grant: the break it was for is over */
  l->state = state;
  l->epoch = epoch;
}

void dfsc__lease_on_break(dfsc_lease *l, dfsc_lease_break_fn cb, void *data) {
  l->on_break = cb;
  l->data = data;
}

static void lease_drop(dfsc_conn *c, const char *why) {
  c->sl->stats.lease_unknown++;
  if (c->lease_logged < LEASE_LOG_MAX) {
    c->lease_logged++;
    DFSC_WARN(lg(c), DFSC_CAT_SMB2, "%s: break notification %s: ignored%s", c->host, why,
              c->lease_logged == LEASE_LOG_MAX ? " (no more of these are logged)" : "");
  }
}

static void lease_ack_send(dfsc_conn *c, dfsc_lease *l);

static void lease_ack_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                         size_t len) {
  dfsc_conn *c = r->data;
  /* The key as sent ([MS-SMB2] 2.2.24.2: 8 bytes into the body): the
   * lease may have been freed meanwhile, so it is looked up, not kept. */
  dfsc_lease *l = lease_find(c, r->buf + SMB2_HDR_SIZE + 8);
  (void)pdu;
  (void)len;
  /* [MS-SMB2] 3.3.5.22.2: a break that ended meanwhile (another open
   * closed, the timeout passed) is refused; nothing to do either way. */
  if (err == 0 && h->status != 0)
    DFSC_DBG(lg(c), DFSC_CAT_SMB2, "%s: lease break acknowledgement refused: %s", c->host,
             dfsc_ntstatus_name(h->status));
  if (l == NULL)
    return;
  l->ack_out = 0;
  if (l->ack_again && err == 0) {
    l->ack_again = 0;
    lease_ack_send(c, l);
  }
  l->ack_again = 0;
}

/* [MS-SMB2] 3.2.5.19.2 and 3.2.4.24: the state is lowered to the new one
 * and, when the server waits for it, acknowledged on the tree the lease
 * was taken on. dfsc caches no dirty data in the library, so nothing is
 * flushed first. A break arrives with MessageId 0xFFFFFFFFFFFFFFFF and
 * SessionId 0, unsigned; a forged one can only make dfsc give up caching. */
static void ack_late(dfsc_timer *tm);

static int on_break(dfsc_conn *c, const uint8_t *pdu, size_t len, const dfsc_smb2_hdr *h) {
  dfsc_smb2_lease_break b;
  dfsc_lease *l;
  uint32_t old;
  int kind, ack;
  if (h->command != SMB2_OPLOCK_BREAK) {
    lease_drop(c, "with an unexpected command");
    return 0;
  }
  kind = dfsc__smb2_oplock_break_kind(pdu, len);
  if (kind == DFSC_SMB2_BREAK_OPLOCK) {
    lease_drop(c, "for an oplock (dfsc asks for none)");
    return 0;
  }
  if (kind != DFSC_SMB2_BREAK_LEASE || dfsc__smb2_lease_break_decode(pdu, len, &b) < 0) {
    dfsc__complain(
        lg(c), DFSC_LOG_ERROR, DFSC_CAT_SMB2, c->host,
        "lease break notification: StructureSize 44 or shorter than its 44 bytes");
    return DFSC_E_PROTO;
  }
  l = lease_find(c, b.lease_key);
  if (l == NULL) {
    lease_drop(c, "for a lease key dfsc does not hold");
    return 0;
  }
  c->sl->stats.lease_breaks++;
  l->breaks++;
  DFSC_DBG(lg(c), DFSC_CAT_SMB2, "%s: lease break 0x%x -> 0x%x (held 0x%x)%s", c->host,
           (unsigned)b.current_lease_state, (unsigned)b.new_lease_state, (unsigned)l->state,
           (b.flags & SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED) ? ", ack required" : "");
  /* Only ever lower: a break cannot grant what was not held. */
  old = l->state;
  l->state &= b.new_lease_state;
  if (b.new_epoch != 0)
    l->epoch = b.new_epoch;
  ack = (b.flags & SMB2_NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED) != 0;
  ack_unpend(l); /* a newer break replaces one not yet acknowledged */
  if (l->on_break != NULL) {
    uint64_t token = ++c->sl->next_token;
    if (l->on_break(l, l->data, old, l->state, token, ack) && ack) {
      /* The owner acknowledges once its cache is dropped (bounded). */
      l->token = token;
      l->pprev = NULL;
      l->pnext = c->sl->acks;
      if (l->pnext != NULL)
        l->pnext->pprev = l;
      c->sl->acks = l;
      l->ack_timer.data = l;
      dfsc__timer_start(c->sl->cfg.loop, &l->ack_timer, DFSC_LEASE_ACK_MAX_MS, ack_late);
      return 0;
    }
  }
  if (ack)
    lease_ack_send(c, l);
  return 0;
}

/* [MS-SMB2] 2.2.24.2: the state now held, on the tree the lease was taken
 * on (where the server expects it). */
static void lease_ack_send(dfsc_conn *c, dfsc_lease *l) {
  dfsc_smb2_lease_ack a;
  dfsc_sess *s = l->tree->sess;
  dfsc_req *r;
  if (s->state != S_VALID || l->tree->state != T_READY) {
    lease_drop(c, "while the session or tree is not connected");
    return;
  }
  if (l->ack_out) {
    l->ack_again = 1;
    return;
  }
  memset(&a, 0, sizeof(a));
  memcpy(a.lease_key, l->key, 16);
  a.lease_state = l->state;
  r = dfsc__req_new(SMB2_OPLOCK_BREAK, 40);
  if (r == NULL)
    return; /* the server's break timeout ends it */
  if (dfsc__smb2_lease_ack_encode(&r->w, &a) < 0) {
    dfsc__req_free(r);
    return;
  }
  r->cb = lease_ack_cb;
  r->data = c;
  r->sess = s;
  r->tree_id = l->tree->id;
  r->encrypt = l->tree->encrypt || s->encrypt;
  r->sign = s->signing && !r->encrypt;
  if (submit(c, &r, 1) < 0) {
    dfsc__req_free(r);
    return;
  }
  l->ack_out = 1;
  c->sl->stats.lease_acks++;
}

static void ack_late(dfsc_timer *tm) {
  dfsc_lease *l = tm->data;
  dfsc_conn *c = l->tree->conn;
  ack_unpend(l);
  c->sl->stats.lease_ack_late++;
  DFSC_WARN(lg(c), DFSC_CAT_SMB2,
            "%s: lease break acknowledged after %u ms without the owner's word", c->host,
            DFSC_LEASE_ACK_MAX_MS);
  lease_ack_send(c, l);
}

int dfsc__lease_ack(dfsc_sl *sl, uint64_t token) {
  dfsc_lease *l;
  for (l = sl->acks; l != NULL; l = l->pnext)
    if (l->token == token) {
      ack_unpend(l);
      lease_ack_send(l->tree->conn, l);
      return 0;
    }
  return -ENOENT;
}

/* ---- signing ----------------------------------------------------------- */

static int sign_pdu(dfsc_sess *s, uint8_t *pdu, size_t len, const uint8_t *rest,
                    size_t rest_len) {
  if (rest_len > 0) /* a WRITE's data, sent from the caller's buffer */
    return dfsc__crypto_sign_split(s->conn->dialect, s->sign_alg, s->signing_key, pdu, len,
                                   rest, rest_len);
  return dfsc__crypto_sign(s->conn->dialect, s->sign_alg, s->signing_key, pdu, len);
}

static int verify_pdu(dfsc_sess *s, const uint8_t *pdu, size_t len) {
  return dfsc__crypto_verify(s->conn->dialect, s->sign_alg, s->signing_key, pdu, len);
}

/* A compounded reply, not the last, whose signature failed: whether its
 * server signed it as a lone reply, before it set NextCommand and added
 * the padding (impacket 0.10 does; [MS-SMB2] 3.3.4.1.1 wants the chained
 * form signed). The signature then covers every byte of the reply but the
 * NextCommand field and the zero padding after it: nothing dfsc reads
 * escapes it (the next reply's place must itself verify). 0 when it
 * verifies so. */
static int verify_unchained(dfsc_sess *s, const uint8_t *pdu, size_t len) {
  uint8_t *copy;
  size_t l;
  int rc = -1;
  if (len < SMB2_HDR_SIZE || len > (1u << 24) || (copy = dfsc__malloc(len)) == NULL)
    return -1;
  memcpy(copy, pdu, len);
  dfsc__put_le32(copy + 20, 0); /* NextCommand */
  for (l = len; l + 8 > len && l > SMB2_HDR_SIZE && rc != 0; l--) {
    rc = verify_pdu(s, copy, l);
    if (copy[l - 1] != 0)
      break; /* padding is zeros: a non-zero byte is the reply's own */
  }
  dfsc__free(copy);
  return rc;
}

static int verify_pdu2(dfsc_sess *s, const uint8_t *pdu, size_t len, const uint8_t *rest,
                       size_t rest_len) {
  if (rest == NULL)
    return verify_pdu(s, pdu, len);
  return dfsc__crypto_verify_split(s->conn->dialect, s->sign_alg, s->signing_key, pdu, len,
                                   rest, rest_len);
}

/* ---- sending ----------------------------------------------------------- */

static uint16_t credit_charge(const dfsc_conn *c, uint32_t payload) {
  /* [MS-SMB2] 3.1.5.2: one credit per 64 KiB, only with LARGE_MTU. */
  if (c->dialect < SMB2_DIALECT_210 || payload <= 65536)
    return 1;
  return (uint16_t)((payload - 1) / 65536 + 1);
}

static uint16_t credit_request(const dfsc_conn *c, uint16_t charge) {
  uint32_t want = charge;
  if (c->credits + c->inflight < CREDIT_TARGET)
    want += 64;
  return (uint16_t)(want > 0xFFFF ? 0xFFFF : want);
}

/* Fails a chain that never reached the pending table. */
static void fail_chain(dfsc_req *first, int err) {
  dfsc_req *r, *next;
  for (r = first; r != NULL; r = next) {
    next = r->compound;
    if (r->conn != NULL)
      dfsc__timer_stop(r->conn->sl->cfg.loop, &r->timer);
    r->state = R_DONE;
    req_untrack(r);
    r->cb(r, err, NULL, NULL, 0);
    dfsc__req_free(r);
  }
}

/* Replaces the chain's plaintext iovecs with one TRANSFORM_HEADER frame
 * holding them all: a compound is encrypted as one message ([MS-SMB2]
 * 3.2.4.1.8, 3.1.4.3). The frame is owned by first->sealed until the
 * transport is done with it. Returns 0 or a negative code (nothing sent). */
static int seal_chain(dfsc_req *first, dfsc_tcp_msg *m, int *n) {
  dfsc_sess *s = first->sess;
  size_t total = 0, off = DFSC_TRANSFORM_HDR_SIZE;
  uint8_t nonce[16], *frame;
  int i, rc;

  if (s == NULL || !s->has_enc)
    return DFSC_E_UNSUPPORTED;
  for (i = 0; i < *n; i++)
    total += m->iov[i].iov_len;
  if (total > SETUP_FRAME_MAX + MAX_IO_SIZE)
    return DFSC_E_TOOBIG;
  frame = dfsc__malloc(DFSC_TRANSFORM_HDR_SIZE + total);
  if (frame == NULL)
    return -ENOMEM;
  for (i = 0; i < *n; i++) {
    memcpy(frame + off, m->iov[i].iov_base, m->iov[i].iov_len);
    off += m->iov[i].iov_len;
  }
  rc = dfsc__crypto_nonce(s->cipher, nonce);
  if (rc == 0)
    rc = dfsc__crypto_encrypt(s->cipher, s->enc_key, nonce, s->id,
                              frame + DFSC_TRANSFORM_HDR_SIZE, total, frame,
                              DFSC_TRANSFORM_HDR_SIZE + total);
  if (rc < 0) {
    dfsc__free(frame);
    return rc;
  }
  dfsc__free(first->sealed);
  first->sealed = frame;
  m->iov[0].iov_base = frame;
  m->iov[0].iov_len = DFSC_TRANSFORM_HDR_SIZE + total;
  *n = 1;
  return 0;
}

/* Fills the headers, signs, and hands the chain of requests (one compound)
 * to the transport. Credits were checked by the caller.
 * Returns < 0 only when nothing was sent and nothing is pending (the caller
 * still owns the chain); a transport failure after that resets the
 * connection, which completes the requests. */
static int send_now(dfsc_conn *c, dfsc_req *first) {
  dfsc_req *r;
  dfsc_tcp_msg *m = &first->msg;
  uint64_t mid = c->next_mid;
  int rc, n = 0;

  for (r = first; r != NULL; r = r->compound) {
    dfsc_smb2_hdr h;
    dfsc_wr hw;
    memset(&h, 0, sizeof(h));
    r->mid = mid;
    mid += r->charge;
    h.credit_charge = c->dialect >= SMB2_DIALECT_210 ? r->charge : 0;
    h.command = r->command;
    h.credits = credit_request(c, r->charge);
    h.flags = r->hdr_flags | (r->related ? SMB2_FLAGS_RELATED_OPERATIONS : 0);
    h.message_id = r->mid;
    h.process_id = 0xFEFF;
    h.tree_id = r->tree_id;
    h.session_id = r->sess ? r->sess->id : 0;
    if (r->compound != NULL) {
      /* Pad every PDU but the last to 8 bytes ([MS-SMB2] 3.2.4.1.4). */
      size_t padded = (r->w.off + 7) & ~(size_t)7;
      memset(r->buf + r->w.off, 0, padded - r->w.off);
      r->pdu_len = padded;
      h.next_command = (uint32_t)padded;
    } else {
      r->pdu_len = r->w.off;
    }
    /* [MS-SMB2] 3.2.4.1.1: an encrypted message is not signed. */
    if (r->sign && !first->encrypt)
      h.flags |= SMB2_FLAGS_SIGNED;
    dfsc__wr_init(&hw, r->buf, SMB2_HDR_SIZE);
    dfsc__smb2_hdr_encode(&hw, &h);
    /* [MS-SMB2] 3.2.4.2.2.2 / 3.2.5.3.1: the 3.1.1 preauth hash covers
     * NEGOTIATE and SESSION_SETUP requests exactly as sent. */
    if (r->command == SMB2_NEGOTIATE && c->offer311) {
      memset(c->preauth, 0, sizeof(c->preauth));
      dfsc__crypto_preauth_update(c->preauth, r->buf, r->pdu_len);
    } else if (r->command == SMB2_SESSION_SETUP && c->dialect == SMB2_DIALECT_311 &&
               r->sess != NULL) {
      dfsc__crypto_preauth_update(r->sess->preauth, r->buf, r->pdu_len);
    }
    if (r->sign && !first->encrypt) {
      rc = sign_pdu(r->sess, r->buf, r->pdu_len, r->extra, r->extra_len);
      if (rc < 0)
        return rc;
    }
    if (n + 2 > DFSC_TCP_MAX_IOV)
      return -EINVAL;
    m->iov[n].iov_base = r->buf;
    m->iov[n].iov_len = r->pdu_len;
    n++;
    if (r->extra_len > 0) {
      m->iov[n].iov_base = (void *)r->extra;
      m->iov[n].iov_len = r->extra_len;
      n++;
    }
  }
  if (first->encrypt) {
    rc = seal_chain(first, m, &n);
    if (rc < 0)
      return rc;
  }
  /* Nothing can fail from here on without resetting the connection. */
  c->next_mid = mid;
  for (r = first; r != NULL; r = r->compound) {
    c->credits -= r->charge;
    c->charged += r->charge;
    r->held = r->charge;
    r->state = R_SENT;
    r->sending = 1;
    pending_add(c, r);
    c->sl->stats.requests_sent++;
    if (r->command == SMB2_READ)
      c->sl->stats.read_bytes += r->payload;
    else if (r->command == SMB2_WRITE)
      c->sl->stats.write_bytes += r->payload;
    r->timer.data = r;
    dfsc__timer_start(c->sl->cfg.loop, &r->timer, req_deadline(c, r), req_timeout);
    DFSC_TRACE(lg(c), DFSC_CAT_SMB2, "%s:%u -> %s mid %llu charge %u credits %u", c->host,
               c->port, dfsc__smb2_command_name(r->command), (unsigned long long)r->mid,
               r->charge, c->credits);
  }
  m->iovcnt = n;
  m->done = msg_done;
  m->data = first;
  rc = dfsc__tcp_send(c->tcp, m);
  if (rc < 0) {
    /* Not queued: nothing is being written. The connection is failed from
     * the loop, not here, so no callback runs inside the caller's send. */
    for (r = first; r != NULL; r = r->compound)
      r->sending = 0;
    dfsc__free(first->sealed);
    first->sealed = NULL;
    conn_fail_later(c, rc);
  }
  return 0;
}

/* Starts requests whose credits are now available, in FIFO order. */
static void flush_waitq(dfsc_conn *c) {
  while (c->wait_head != NULL && c->state == C_READY) {
    dfsc_req *first = c->wait_head, *r;
    uint32_t need = 0;
    int rc;
    for (r = first; r != NULL; r = r->compound)
      need += r->charge;
    /* Responses in flight will bring credits back, though a server may
     * hand back fewer than they cost while others are outstanding: wait
     * while anything is in flight and the server has once granted enough
     * (the request's deadline bounds the wait). */
    if (need > c->credits && c->inflight > 0 && need <= c->window_max)
      break;
    c->wait_head = first->next;
    if (c->wait_head == NULL)
      c->wait_tail = NULL;
    c->nwait--;
    first->next = NULL;
    /* More than the server has granted in all and nothing in flight to
     * bring more: it can never go (P5: fail, do not wait). */
    if (need > c->credits)
      DFSC_DBG(
          lg(c), DFSC_CAT_SMB2,
          "%s: %s needs %u credits: window %u, credits %u, in flight %zu; never sendable",
          c->host, dfsc__smb2_command_name(first->command), need, c->window_max, c->credits,
          (size_t)c->inflight);
    rc = need > c->credits ? DFSC_E_CREDITS : send_now(c, first);
    if (rc < 0)
      fail_chain(first, rc);
  }
}

/* The chain now belongs to the engine: its session stays alive until each
 * request leaves (req_untrack). */
static void sess_count(dfsc_req **reqs, int n) {
  int i;
  for (i = 0; i < n; i++)
    if (reqs[i]->sess != NULL && !reqs[i]->sess_held) {
      reqs[i]->sess_held = 1;
      reqs[i]->sess->nreqs++;
    }
}

/* Queues or sends a chain. The caller set conn/sess/tree_id/related. */
static int submit(dfsc_conn *c, dfsc_req **reqs, int n) {
  uint32_t need = 0;
  int i, rc;
  if (n < 1 || n > DFSC_TCP_MAX_IOV / 2)
    return -EINVAL;
  for (i = 0; i < n; i++) {
    dfsc_req *r = reqs[i];
    if (r->w.bad)
      return DFSC_E_NOSPACE;
    if (n > 1 && r->extra_len > 0)
      return -EINVAL; /* NextCommand padding would fall inside the payload */
    r->conn = c;
    r->charge = credit_charge(c, r->payload);
    r->compound = i + 1 < n ? reqs[i + 1] : NULL;
    r->related = i > 0;
    r->next = NULL;
    r->msg.total = 0;
    r->msg.done = NULL;
    need += r->charge;
  }
  /* An ECHO goes past requests waiting for more credits than there are:
   * it asks whether the server is there, which they may be waiting on. */
  if ((c->wait_head == NULL || (n == 1 && reqs[0]->command == SMB2_ECHO)) &&
      need <= c->credits) {
    rc = send_now(c, reqs[0]);
    if (rc == 0)
      sess_count(reqs, n);
    return rc;
  }
  if (need > c->window_max || (c->inflight == 0 && need > c->credits)) {
    DFSC_DBG(
        lg(c), DFSC_CAT_SMB2,
        "%s: %s needs %u credits: window %u, credits %u, in flight %zu; never sendable",
        c->host, dfsc__smb2_command_name(reqs[0]->command), need, c->window_max, c->credits,
        (size_t)c->inflight);
    return DFSC_E_CREDITS; /* more than the server ever granted: never sendable */
  }
  if (c->nwait >= CREDIT_WAIT_MAX)
    return DFSC_E_BUSY;
  c->sl->stats.credit_waits++;
  sess_count(reqs, n);
  for (i = 0; i < n; i++) {
    reqs[i]->state = R_WAIT_CREDITS;
    /* Waiting for credits is waiting: it has the request's deadline (P5). */
    reqs[i]->timer.data = reqs[i];
    dfsc__timer_start(c->sl->cfg.loop, &reqs[i]->timer, req_deadline(c, reqs[i]),
                      req_timeout);
  }
  if (c->wait_tail)
    c->wait_tail->next = reqs[0];
  else
    c->wait_head = reqs[0];
  c->wait_tail = reqs[0];
  c->nwait++;
  return 0;
}

/* ---- receiving --------------------------------------------------------- */

/* The balance is capped so a generous or hostile server cannot wrap it. */
/* done: the charge of the request this response finishes (0 for an
 * interim or a late answer), released before the window is measured: the
 * credits granted for a request replace its charge, and counting both made
 * the window look larger than the server's (2 + 1 against a server that
 * grants 2 in all), so a compound sized by it could never be sent. */
static void grant_credits(dfsc_conn *c, uint16_t n, uint32_t done) {
  uint32_t out = c->charged >= done ? c->charged - done : 0;
  c->credits += n;
  if (c->credits > CREDITS_MAX)
    c->credits = CREDITS_MAX;
  if (c->credits + out > c->window_max)
    c->window_max = c->credits + out;
}

/* The session's keys check responses: established, or logging off (the
 * LOGOFF answer is checked like any other). */
static int sess_keyed(const dfsc_sess *s) {
  return s->state == S_VALID || s->state == S_LOGOFF;
}

/* The established (keyed) session of a SessionId on c, or NULL. */
static dfsc_sess *sess_by_id(const dfsc_conn *c, uint64_t id) {
  dfsc_sess *s;
  if (id == 0)
    return NULL;
  for (s = c->sessions; s != NULL; s = s->next)
    if (s->id == id && sess_keyed(s))
      return s;
  return NULL;
}

/* Whether any session of c signs: then an unauthenticated PDU that answers
 * no request of ours gives no credits (a forged one naming an unsigned
 * session, or none, could otherwise inflate the window). */
static int conn_signs(const dfsc_conn *c) {
  const dfsc_sess *x;
  for (x = c->sessions; x != NULL; x = x->next)
    if (sess_keyed(x) && x->signing)
      return 1;
  return 0;
}

/* enc: the session whose keys authenticated the TRANSFORM_HEADER the PDU
 * arrived in (NULL: it came in clear). */
/* rest / rest_len: a READ whose data the transport put in the request's
 * buffer (on_frame_split): pdu is then its 80-byte head, rest the data,
 * which the signature covers too. NULL and 0 otherwise. */
static int handle_pdu(dfsc_conn *c, const uint8_t *pdu, size_t len, dfsc_sess *enc,
                      const uint8_t *rest, size_t rest_len) {
  dfsc_smb2_hdr h;
  dfsc_req *r;
  dfsc_sess *s;

  if (dfsc__smb2_hdr_decode(pdu, len, &h) < 0) {
    dfsc__complain(lg(c), DFSC_LOG_ERROR, DFSC_CAT_SMB2, c->host,
                   "SMB2 header (ProtocolId or StructureSize 64) or shorter than 64 bytes");
    return DFSC_E_PROTO;
  }
  if (!(h.flags & SMB2_FLAGS_SERVER_TO_REDIR)) {
    dfsc__complain(lg(c), DFSC_LOG_ERROR, DFSC_CAT_SMB2, c->host,
                   "SMB2 header Flags lack SERVER_TO_REDIR");
    return DFSC_E_PROTO;
  }
  if (h.message_id == UINT64_MAX)
    return on_break(c, pdu, len, &h);
  /* Credits are taken only from a PDU that passed what verification the
   * spec allows: decrypted, or signed with the session's key once the
   * session signs; interim and session-setup responses cannot be checked
   * ([MS-SMB2] 3.2.5.1.3) and count as they come. */
  r = pending_find(c, h.message_id);
  if (r == NULL || r->command != h.command) {
    DFSC_WARN(lg(c), DFSC_CAT_SMB2, "%s: response to unknown mid %llu", c->host,
              (unsigned long long)h.message_id);
    /* A late answer to a request we already gave up on: its credits
     * count when it is authenticated (decrypted, or signed by a session
     * that signs), or when no session of the connection signs. */
    s = sess_by_id(c, h.session_id);
    if (enc != NULL || !conn_signs(c) ||
        (s != NULL && s->signing && (h.flags & SMB2_FLAGS_SIGNED) &&
         verify_pdu2(s, pdu, len, rest, rest_len) == 0))
      grant_credits(c, h.credits, 0);
    return 0;
  }
  s = r->sess; /* NEGOTIATE and ECHO have none: nothing to check them with */
  if (r->sending) {
    /* An answer to bytes not yet all sent: the server cannot have read the
     * request. */
    dfsc__complain(lg(c), DFSC_LOG_ERROR, DFSC_CAT_SMB2, c->host,
                   "a response (MessageId) to a request still being sent");
    return DFSC_E_PROTO;
  }
  if (enc != NULL && (h.session_id != enc->id || (s != NULL && s != enc))) {
    /* Decrypted with one session's keys, but not that session's answer:
     * whoever knows those keys (another local user knows their own) must
     * not answer for another identity. */
    DFSC_ERR(lg(c), DFSC_CAT_SMB2,
             "%s: %s response encrypted with the keys of session 0x%llx, not the "
             "request's",
             c->host, dfsc__smb2_command_name(h.command), (unsigned long long)enc->id);
    req_finish(r, DFSC_E_SIGNATURE, NULL, NULL, 0);
    return DFSC_E_SIGNATURE;
  }
  if (r->encrypt && enc == NULL) {
    /* [MS-SMB2] 3.2.5.1.1.1: the answer to an encrypted request must be
     * encrypted; a clear one was not made by the server we keyed with. */
    DFSC_ERR(lg(c), DFSC_CAT_SMB2,
             "%s: %s response arrived unencrypted on an encrypted "
             "session",
             c->host, dfsc__smb2_command_name(h.command));
    req_finish(r, DFSC_E_SIGNATURE, NULL, NULL, 0);
    return DFSC_E_SIGNATURE;
  }
  if (h.status == 0x00000103 /* STATUS_PENDING */ && (h.flags & SMB2_FLAGS_ASYNC_COMMAND)) {
    /* [MS-SMB2] 3.2.5.1.5: interim response; the final one follows with the
     * same MessageId. */
    r->async_id = h.async_id;
    /* The interim answer spends the request's charge: the credits it grants
     * replace it (Samba grants them here and none in the final answer).
     * Counting the charge on top while the final answer is awaited made the
     * window look one larger than the server's, so a compound sized by it
     * could never be sent once the rest drained (DFSC_E_CREDITS against a
     * server with 'smb2 max credits = 2', seen in CI). */
    grant_credits(c, h.credits, r->held);
    c->charged -= r->held;
    r->held = 0;
    /* Only the first interim response buys time: a server that keeps
     * sending them cannot hold the request past two deadlines (P5). */
    if (r->interims++ == 0)
      dfsc__timer_start(c->sl->cfg.loop, &r->timer, req_deadline(c, r), req_timeout);
    return 0;
  }
  if (enc == NULL && s != NULL &&
      (r->sign || ((h.flags & SMB2_FLAGS_SIGNED) && s->has_keys)) && sess_keyed(s)) {
    /* [MS-SMB2] 3.2.5.1.3: a signed session accepts only signed responses. */
    int good =
        (h.flags & SMB2_FLAGS_SIGNED) && verify_pdu2(s, pdu, len, rest, rest_len) == 0;
    int unchained = !good && (h.flags & SMB2_FLAGS_SIGNED) && h.next_command != 0 &&
                    rest == NULL && verify_unchained(s, pdu, len) == 0;
    if (!good && !unchained) {
      DFSC_ERR(lg(c), DFSC_CAT_SMB2, "%s: %s response with a bad signature", c->host,
               dfsc__smb2_command_name(h.command));
      req_finish(r, DFSC_E_SIGNATURE, NULL, NULL, 0);
      return DFSC_E_SIGNATURE;
    }
    if (unchained && !c->no_compound) {
      /* Signed as a lone reply (verify_unchained): taken, and from now on
       * this server gets one request at a time, whose replies verify as
       * they are. */
      c->no_compound = 1;
      c->sl->stats.compound_fallbacks++;
      DFSC_WARN(lg(c), DFSC_CAT_SMB2,
                "%s: the server signs compounded replies before chaining them; "
                "sending one request at a time on this connection",
                c->host);
    }
  }
  grant_credits(c, h.credits, r->state == R_SENT ? r->held : 0);
  if (rest != NULL)
    r->rdst_done = 1; /* verified: the data is in place */
  req_finish(r, 0, &h, pdu, len);
  return 0;
}

/* The READ response's fixed part ends at 64 + 16 = 80, which is where
 * servers put the data ([MS-SMB2] 2.2.20); the decryption head. */
#define READ_RSP_HEAD 80

/* dfsc__crypto_decrypt_split's choice: the data of a lone, successful READ
 * response to a request of ours that said where its data belongs goes
 * straight there, saving a copy of every byte read. */
/* The request whose buffer the data of a READ answer may go straight into,
 * from the answer's first 80 bytes (head) and its data length: a lone,
 * successful, synchronous answer with the data right after the fixed part,
 * to a READ of ours that said where its data belongs and whose bytes are
 * all sent; else NULL. */
static dfsc_req *read_answer_req(dfsc_conn *c, const uint8_t *head, size_t head_len,
                                 size_t data_len) {
  dfsc_smb2_hdr h;
  dfsc_req *r;
  size_t doff, dlen;
  if (head_len != READ_RSP_HEAD || dfsc__smb2_hdr_decode(head, head_len, &h) < 0 ||
      h.command != SMB2_READ || h.status != 0 || h.next_command != 0 ||
      (h.flags & SMB2_FLAGS_ASYNC_COMMAND) ||
      dfsc__smb2_read_rsp_peek(head, head_len, &doff, &dlen) < 0 ||
      head[SMB2_HDR_SIZE + 2] != READ_RSP_HEAD || dlen != data_len)
    return NULL;
  r = pending_find(c, h.message_id);
  if (r == NULL || r->command != SMB2_READ || (r->rdst == NULL && r->rpipe == NULL) ||
      r->sending || data_len > r->rdst_cap)
    return NULL;
  return r;
}

static uint8_t *read_dst(void *arg, const uint8_t *head, size_t head_len, size_t rest_len) {
  dfsc_conn *c = arg;
  dfsc_req *r = read_answer_req(c, head, head_len, rest_len);
  /* Only into a request of the session whose keys decrypt it, and into a
   * buffer (a pipe's data is decrypted in place, then written there). */
  if (r == NULL || r->rdst == NULL || r->sess != c->zc_sess ||
      dfsc__le64(head + 40) != c->zc_sess->id)
    return NULL;
  c->zc_req = r;
  return r->rdst;
}

/* Decrypts a TRANSFORM_HEADER frame in place ([MS-SMB2] 3.2.5.1.1.1):
 * *inner / *inner_len receive the SMB2 message(s) it carried. */
static int unseal(dfsc_conn *c, uint8_t *frame, size_t len, uint8_t **inner,
                  size_t *inner_len, dfsc_sess **enc) {
  dfsc_sess *s;
  uint64_t sid;
  uint32_t orig;
  int rc = dfsc__crypto_transform_peek(frame, len, &sid, &orig);
  if (rc < 0) {
    dfsc__complain(
        lg(c), DFSC_LOG_ERROR, DFSC_CAT_SMB2, c->host,
        "TRANSFORM_HEADER: ProtocolId, Flags, or OriginalMessageSize not the frame's size");
    return rc;
  }
  s = sess_by_id(c, sid);
  if (s == NULL || !s->has_enc) {
    DFSC_ERR(lg(c), DFSC_CAT_SMB2,
             "%s: encrypted message for session 0x%llx, which has no keys here", c->host,
             (unsigned long long)sid);
    dfsc__complain(lg(c), DFSC_LOG_DEBUG, DFSC_CAT_SMB2, c->host,
                   "TRANSFORM_HEADER SessionId of no session that encrypts");
    return DFSC_E_PROTO;
  }
  c->zc_req = NULL;
  c->zc_sess = s;
  rc = dfsc__crypto_decrypt_split(s->cipher, s->dec_key, frame, len, READ_RSP_HEAD,
                                  read_dst, c);
  c->zc_sess = NULL;
  *inner_len = len - DFSC_TRANSFORM_HDR_SIZE;
  if (rc == 0 && c->zc_req != NULL)
    c->zc_req->rdst_done = 1; /* authenticated: the data is in place */
  c->zc_req = NULL;
  if (rc < 0) {
    /* Fatal: nothing more on this connection can be trusted. */
    DFSC_ERR(lg(c), DFSC_CAT_SMB2,
             "%s: an encrypted message failed to decrypt (%s): tampered with or "
             "corrupted in transit; closing the connection",
             c->host,
             rc == DFSC_E_SIGNATURE ? "bad authentication tag" : dfsc_strerror(rc));
    if (rc != DFSC_E_SIGNATURE)
      dfsc__complain(lg(c), DFSC_LOG_DEBUG, DFSC_CAT_SMB2, c->host,
                     "TRANSFORM_HEADER: a message that could not be decrypted");
    return rc == DFSC_E_SIGNATURE ? rc : DFSC_E_PROTO;
  }
  *inner = frame + DFSC_TRANSFORM_HDR_SIZE;
  *enc = s;
  return 0;
}

/* After a frame's PDUs were handled (rc their outcome, gen the connection's
 * generation before): a failure fails the connection, otherwise requests
 * waiting for credits may go. Returns what the transport's frame callbacks
 * return: nonzero when the connection was reset meanwhile. */
static int frame_done(dfsc_conn *c, uint64_t gen, int rc) {
  if (c->gen != gen)
    return 1; /* the connection was reset inside a callback */
  if (rc < 0) {
    conn_fail(c, rc, 0);
    return 1;
  }
  if (c->state == C_READY) {
    flush_waitq(c);
    if (c->credits == 0 && c->inflight == 0 && c->wait_head != NULL)
      conn_fail(c, DFSC_E_CREDITS, 0);
  }
  return c->gen != gen;
}

/* Where the data of a large clear READ response goes (the transport asks
 * once its first 80 bytes are here): straight into the buffer of the
 * request it answers, saving the copy of every byte read; its signature
 * is checked over the two parts when complete (on_frame_split). Only a
 * lone, successful, synchronous answer with the data right after the
 * fixed part, to a request of ours that said where its data belongs. A
 * request with a pipe has the data spliced there when nothing is to be
 * checked: neither the request nor the answer is signed. */
static int frame_dst(void *arg, const uint8_t *head, size_t head_len, size_t frame_len,
                     dfsc_tcp_dst *dst) {
  dfsc_conn *c = arg;
  dfsc_req *r;
  uint32_t flags;
  /* A clear answer from the server (an encrypted request's is refused in
   * handle_pdu), one at a time. */
  if (c->state != C_READY || c->zc_stream != NULL || head_len != READ_RSP_HEAD ||
      frame_len <= READ_RSP_HEAD)
    return 0;
  flags = dfsc__le32(head + 16);
  if (!(flags & SMB2_FLAGS_SERVER_TO_REDIR))
    return 0;
  r = read_answer_req(c, head, head_len, frame_len - READ_RSP_HEAD);
  if (r == NULL || r->encrypt)
    return 0;
  if (r->rdst != NULL) {
    dst->buf = r->rdst;
    c->sl->stats.read_direct++;
  } else {
    if (r->sign || (flags & SMB2_FLAGS_SIGNED))
      return 0;
    dst->pipe[0] = r->rpipe[0];
    dst->pipe[1] = r->rpipe[1];
  }
  c->zc_stream = r;
  return 1;
}

/* After a frame spliced into a pipe: counted, and a connection whose READ
 * data keeps arriving in pieces too small for the pipe's slots (a network
 * with small segments that are not merged on receipt: each spill costs
 * more than reading into memory) stops splicing once SPILLS_OFF of them
 * are one in SPILLS_RATIO or more of its spliced READs. On loopback none
 * spills. */
#define SPILLS_OFF 4
#define SPILLS_RATIO 8
static void splice_count(dfsc_conn *c) {
  uint64_t n = dfsc__tcp_pipe_spills(c->tcp);
  c->sl->stats.read_spliced++;
  c->spliced++;
  if (n == c->spills)
    return;
  c->sl->stats.read_spilled += n - c->spills;
  c->spills = n;
  if (n >= SPILLS_OFF && n * SPILLS_RATIO >= c->spliced && !c->splice_off) {
    c->splice_off = 1;
    DFSC_INFO(lg(c), DFSC_CAT_SMB2,
              "%s: READ data arrives in pieces too small to splice (%llu of %llu READs "
              "spilled); reads on this connection go through memory",
              c->host, (unsigned long long)n, (unsigned long long)c->spliced);
  }
}

static int on_frame_split(void *arg, uint8_t *head, size_t head_len, size_t frame_len,
                          int aborted) {
  dfsc_conn *c = arg;
  uint64_t gen = c->gen;
  dfsc_req *r = c->zc_stream;
  int rc;

  c->last_rx = dfsc__loop_now(c->sl->cfg.loop);
  c->zc_stream = NULL;
  if (aborted && r != NULL) {
    /* Its pipe did not take the data (the transport dropped the rest): the
     * answer to an unsigned request of ours, unsigned, which handle_pdu
     * would have taken as it is; its credits count, the request fails. */
    dfsc_smb2_hdr h;
    if (dfsc__smb2_hdr_decode(head, head_len, &h) == 0)
      grant_credits(c, h.credits, r->state == R_SENT ? r->held : 0);
    DFSC_WARN(lg(c), DFSC_CAT_SMB2, "%s: READ data could not go into the caller's pipe",
              c->host);
    req_finish(r, -EIO, NULL, NULL, 0);
    rc = 0;
  } else if (aborted || r == NULL) {
    /* The request was answered meanwhile; its data was dropped. The
     * credits it grants count only where nothing needs checking. */
    dfsc_smb2_hdr h;
    if (dfsc__smb2_hdr_decode(head, head_len, &h) == 0 && !conn_signs(c))
      grant_credits(c, h.credits, 0);
    rc = 0;
  } else {
    if (r->rdst == NULL) {
      r->rdst_done = 1; /* spliced into the pipe; nothing signs it */
      splice_count(c);
    }
    rc = handle_pdu(c, head, head_len, NULL, r->rdst, frame_len - head_len);
  }
  dfsc__free(head);
  return frame_done(c, gen, rc);
}

static int on_frame(void *arg, uint8_t *frame, size_t len) {
  dfsc_conn *c = arg;
  uint64_t gen = c->gen;
  dfsc_smb2_split sp;
  dfsc_smb2_hdr sh;
  const uint8_t *pdu;
  uint8_t *msg = frame;
  size_t plen;
  dfsc_sess *enc = NULL;
  int rc = 0, n = 0;

  c->last_rx = dfsc__loop_now(c->sl->cfg.loop);
  if (len >= 4 && dfsc__le32(frame) == SMB2_TRANSFORM_ID) {
    rc = unseal(c, frame, len, &msg, &len, &enc);
    if (rc < 0)
      goto out;
  }
  /* Split a compound response; each slice is handled on its own. */
  dfsc__smb2_split_init(&sp, msg, len);
  for (;;) {
    rc = dfsc__smb2_split_next(&sp, &pdu, &plen, &sh);
    if (rc < 0)
      dfsc__complain(lg(c), DFSC_LOG_ERROR, DFSC_CAT_SMB2, c->host,
                     "a chained reply's NextCommand unaligned, past the frame, or shorter "
                     "than a header");
    if (rc <= 0)
      break;
    if (++n > 64) {
      dfsc__complain(lg(c), DFSC_LOG_ERROR, DFSC_CAT_SMB2, c->host,
                     "more than 64 chained replies");
      rc = DFSC_E_PROTO;
      break;
    }
    rc = handle_pdu(c, pdu, plen, enc, NULL, 0);
    if (rc < 0 || c->gen != gen || c->state == C_IDLE)
      break;
  }
out:
  dfsc__free(frame);
  return frame_done(c, gen, rc);
}

static void on_error(void *arg, int err) {
  dfsc_conn *c = arg;
  /* DFSC_E_PROTO from the transport itself (frame errors go through
   * frame_done, not here): its NetBIOS session header check ([MS-SMB2]
   * 2.1). */
  if (err == DFSC_E_PROTO)
    dfsc__complain(
        lg(c), DFSC_LOG_ERROR, DFSC_CAT_CONN, c->host,
        "NetBIOS session header: a message type other than 0 (not an SMB2 frame)");
  DFSC_INFO(lg(c), DFSC_CAT_CONN, "%s:%u: connection lost: %s", c->host, c->port,
            dfsc_strerror(err));
  conn_fail(c, err, 0);
}

/* ---- connection failure / reset ---------------------------------------- */

static void fail_all_requests(dfsc_conn *c, int err) {
  size_t b;
  dfsc_req *r;
  /* Requests waiting for credits. */
  while ((r = c->wait_head) != NULL) {
    dfsc_req *x, *nx;
    c->wait_head = r->next;
    c->nwait--;
    for (x = r; x != NULL; x = nx) {
      nx = x->compound;
      dfsc__timer_stop(c->sl->cfg.loop, &x->timer);
      x->state = R_DONE;
      req_untrack(x);
      x->cb(x, err, NULL, NULL, 0);
      dfsc__req_free(x);
    }
  }
  c->wait_tail = NULL;
  /* Requests in flight. */
  for (b = 0; b < MID_BUCKETS; b++)
    while ((r = c->pending[b]) != NULL)
      req_finish(r, err, NULL, NULL, 0);
}

static void fail_later_cb(dfsc_timer *t) {
  dfsc_conn *c = t->data;
  conn_fail(c, c->fail_err, 0);
}

/* Fails the connection from the loop's next turn (from inside a send, so
 * that no callback runs inside the caller's call). */
static void conn_fail_later(dfsc_conn *c, int err) {
  c->fail_err = err;
  c->fail_timer.data = c;
  dfsc__timer_start(c->sl->cfg.loop, &c->fail_timer, 0, fail_later_cb);
}

/* A session back to NONE with its keys wiped (the connection dropped, or
 * its setup failed): the next user sets it up again. Its SESSION_SETUP
 * out, if any, is forgotten (its answer is ignored). */
static void sess_reset(dfsc_sess *s) {
  dfsc_req *r = s->setup_req;
  dfsc__timer_stop(s->conn->sl->cfg.loop, &s->setup_timer);
  if (r != NULL) {
    /* A leg still out (or waiting for credits) belongs to no session from
     * here: sent later it carries no SessionId and touches no preauth hash,
     * and its answer is neither checked with a later key nor taken. */
    sess_unhold(r);
    r->data = NULL;
    r->sess = NULL;
  }
  s->setup_req = NULL;
  s->id = 0; /* prev_id keeps what a reconnect must name */
  s->ping_wait = 0;
  if (s->state != S_NONE)
    sess_set_state(s, S_NONE);
  sess_drop_auth(s);
  s->mech = DFSC_AUTH_NONE;
  s->mutual = 0;
  s->validated = 0;
  s->signing = 0;
  s->has_keys = 0;
  s->encrypt = 0;
  s->has_enc = 0;
  dfsc__wipe(s->session_key, sizeof(s->session_key));
  dfsc__wipe(s->full_key, sizeof(s->full_key));
  s->full_key_len = 0;
  dfsc__wipe(s->signing_key, sizeof(s->signing_key));
  dfsc__wipe(s->enc_key, sizeof(s->enc_key));
  dfsc__wipe(s->dec_key, sizeof(s->dec_key));
}

/* Resets the connection to IDLE, failing everything that depended on it.
 * Re-entrant: callbacks run after the state is already consistent. */
static void conn_fail(dfsc_conn *c, int err, uint32_t ntstatus) {
  dfsc_tree *t;
  dfsc_sess *s;
  dfsc_tcp *tcp = c->tcp;
  int lost = 0;

  if (c->state == C_IDLE && tcp == NULL)
    return;
  if (c->state == C_QUEUED)
    setup_q_remove(c->sl, c);
  if (c->state != C_READY) {
    c->sl->stats.conn_failed++;
  } else if (!c->closing && !c->sl->shutting_down) {
    c->lost = 1;
    c->lost_at = dfsc__loop_now(c->sl->cfg.loop);
    c->sl->stats.conns_lost++;
    lost = 1;
  }
  if (c->vni_pending > 0 && (err == DFSC_E_CLOSED || err == -ECONNRESET || err == -EPIPE)) {
    /* [MS-SMB2] 3.3.5.15.12: a server whose negotiation does not match
     * what we validate closes the connection instead of answering. */
    DFSC_ERR(lg(c), DFSC_CAT_SMB2,
             "%s: the server dropped the connection on validate-negotiate (%s): the "
             "negotiation was tampered with",
             c->host, dfsc_strerror(err));
    err = DFSC_E_DOWNGRADE;
  }
  c->vni_pending = 0;
  DFSC_DBG(lg(c), DFSC_CAT_CONN, "%s:%u: reset (%s)", c->host, c->port, dfsc_strerror(err));
  c->gen++;
  c->tcp = NULL;
  dfsc__timer_stop(c->sl->cfg.loop, &c->setup_timer);
  dfsc__timer_stop(c->sl->cfg.loop, &c->fail_timer);
  dfsc__timer_stop(c->sl->cfg.loop, &c->ka_timer);
  c->echo_out = 0;
  {
    /* Deferred break acknowledgements die with the connection: the
     * server forgot the break (a reclaim asks for the lease again). */
    dfsc_lease *l, *ln;
    for (l = c->sl->acks; l != NULL; l = ln) {
      ln = l->pnext;
      if (l->tree->conn == c)
        ack_unpend(l);
    }
  }
  conn_set_state(c, C_IDLE);
  for (s = c->sessions; s != NULL; s = s->next) {
    /* [MS-SMB2] 3.2.4.2.3: the next setup names it (PreviousSessionId). */
    if (lost && s->state == S_VALID)
      s->prev_id = s->id;
    sess_reset(s);
  }
  dfsc__udp_cancel(&c->ping);
  c->pinging = 0;
  for (t = c->trees; t != NULL; t = t->next)
    if (t->state != T_NONE)
      tree_set_state(t, T_NONE);
  dfsc__free(c->neg_secbuf);
  c->neg_secbuf = NULL;
  c->neg_secbuf_len = 0;
  if (tcp != NULL)
    dfsc__tcp_free(tcp);
  fail_all_requests(c, err);
  for (t = c->trees; t != NULL; t = t->next)
    if (t->waiters)
      tree_notify(t, err, ntstatus);
  setups_pump(c->sl);
}

static void setup_timeout(dfsc_timer *tm);

/* The connection's setup deadline (setup_timeout_ms): from the lookup
 * through negotiate. Each session then has one of its own (sess_start). */
static void arm_setup_deadline(dfsc_conn *c) {
  c->setup_timer.data = c;
  dfsc__timer_start(c->sl->cfg.loop, &c->setup_timer, c->sl->cfg.setup_timeout_ms,
                    setup_timeout);
}

static void setup_timeout(dfsc_timer *tm) {
  dfsc_conn *c = tm->data;
  c->sl->stats.deadlines++;
  DFSC_WARN(lg(c), DFSC_CAT_CONN, "%s:%u: connection setup deadline passed", c->host,
            c->port);
  if (c->state == C_LOOKUP) {
    /* The lookup job cannot be recalled from its worker; it completes into
     * lk and is ignored there (gen moved). */
  }
  conn_fail(c, -ETIMEDOUT, 0);
}

/* ---- negotiate --------------------------------------------------------- */

/* The cipher the connection's sessions would encrypt with: AES-128-CCM for
 * 3.0 / 3.0.2 ([MS-SMB2] 3.2.5.3.1), the negotiated one for 3.1.1, 0 when
 * the connection cannot encrypt. */
static uint16_t conn_cipher(const dfsc_conn *c) {
  if (c->dialect == SMB2_DIALECT_311)
    return c->cipher;
  if (c->dialect >= SMB2_DIALECT_300 && (c->server_caps & SMB2_GLOBAL_CAP_ENCRYPTION))
    return SMB2_ENCRYPTION_AES128_CCM;
  return 0;
}

static int conn_can_encrypt(const dfsc_conn *c) { return conn_cipher(c) != 0; }

static void negotiate_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                         size_t len) {
  dfsc_conn *c = r->data;
  dfsc_smb2_negotiate_rsp rsp;
  int i, ok = 0, rc;

  if (err < 0)
    return; /* conn_fail already ran or runs */
  if (h->status != 0) {
    if (c->sl->cfg.encrypt)
      DFSC_ERR(lg(c), DFSC_CAT_SMB2,
               "%s: negotiate refused (%s): encryption needs SMB 3.0 or later, the only "
               "dialects offered",
               c->host, dfsc_ntstatus_name(h->status));
    conn_fail(c, DFSC_E_NTSTATUS, h->status);
    return;
  }
  rc = dfsc__smb2_negotiate_rsp_decode(pdu, len, &rsp);
  if (rc < 0) {
    dfsc__complain(
        lg(c), DFSC_LOG_ERROR, DFSC_CAT_SMB2, c->host,
        "NEGOTIATE response: StructureSize 65, or the security buffer or negotiate "
        "contexts outside the PDU");
    conn_fail(c, DFSC_E_PROTO, 0);
    return;
  }
  for (i = 0; i < c->ndialects; i++)
    if (c->dialects[i] == rsp.dialect)
      ok = 1;
  if (!ok) {
    DFSC_ERR(lg(c), DFSC_CAT_SMB2, "%s: server chose dialect 0x%04x we did not offer",
             c->host, rsp.dialect);
    conn_fail(c, DFSC_E_DIALECT, 0);
    return;
  }
  c->dialect = rsp.dialect;
  c->server_sec_mode = rsp.security_mode;
  c->server_caps = rsp.capabilities;
  memcpy(c->server_guid, rsp.server_guid, 16);
  c->max_read = rsp.max_read_size < MAX_IO_SIZE ? rsp.max_read_size : MAX_IO_SIZE;
  c->max_write = rsp.max_write_size < MAX_IO_SIZE ? rsp.max_write_size : MAX_IO_SIZE;
  c->max_transact =
      rsp.max_transact_size < MAX_IO_SIZE ? rsp.max_transact_size : MAX_IO_SIZE;
  if (c->dialect == SMB2_DIALECT_202 || !(c->server_caps & SMB2_GLOBAL_CAP_LARGE_MTU)) {
    /* Without LARGE_MTU one request moves at most 64 KiB ([MS-SMB2] 3.2.4.1.5). */
    if (c->max_read > 65536)
      c->max_read = 65536;
    if (c->max_write > 65536)
      c->max_write = 65536;
    if (c->max_transact > 65536)
      c->max_transact = 65536;
  }
  if (c->max_read < 4096 || c->max_write < 4096 || c->max_transact < 4096) {
    dfsc__complain(lg(c), DFSC_LOG_ERROR, DFSC_CAT_SMB2, c->host,
                   "NEGOTIATE MaxReadSize, MaxWriteSize or MaxTransactSize below 4096");
    conn_fail(c, DFSC_E_PROTO, 0);
    return;
  }
  if (c->dialect == SMB2_DIALECT_311) {
    if (!rsp.has_preauth || rsp.preauth_hash_alg != SMB2_PREAUTH_HASH_SHA512) {
      dfsc__complain(lg(c), DFSC_LOG_ERROR, DFSC_CAT_SMB2, c->host,
                     "3.1.1 NEGOTIATE without a SHA-512 PREAUTH_INTEGRITY context");
      conn_fail(c, DFSC_E_PROTO, 0);
      return;
    }
    dfsc__crypto_preauth_update(c->preauth, pdu, len);
    c->cipher = rsp.has_cipher ? rsp.cipher : 0;
    if (c->cipher != 0) {
      size_t k;
      int offered = 0;
      for (k = 0; k < c->sl->nciphers; k++)
        offered |= c->sl->ciphers[k] == c->cipher;
      if (!offered) {
        DFSC_ERR(lg(c), DFSC_CAT_SMB2, "%s: server chose cipher 0x%04x we did not offer",
                 c->host, c->cipher);
        dfsc__complain(lg(c), DFSC_LOG_DEBUG, DFSC_CAT_SMB2, c->host,
                       "NEGOTIATE response: an ENCRYPTION_CAPABILITIES Cipher not offered");
        conn_fail(c, DFSC_E_PROTO, 0);
        return;
      }
    }
    c->sign_alg = rsp.has_signing ? rsp.signing_alg : SMB2_SIGNING_AES_CMAC;
  } else if (c->dialect >= SMB2_DIALECT_300) {
    c->sign_alg = SMB2_SIGNING_AES_CMAC;
  } else {
    c->sign_alg = SMB2_SIGNING_HMAC_SHA256;
  }
  if (rsp.security_buffer_len > 0) {
    c->neg_secbuf = dfsc__memdup(rsp.security_buffer, rsp.security_buffer_len);
    if (c->neg_secbuf == NULL) {
      conn_fail(c, -ENOMEM, 0);
      return;
    }
    c->neg_secbuf_len = rsp.security_buffer_len;
  }
  if (c->sl->cfg.encrypt && !conn_can_encrypt(c)) {
    DFSC_ERR(lg(c), DFSC_CAT_SMB2,
             "%s: encryption required but the server cannot encrypt (dialect 0x%04x%s)",
             c->host, c->dialect,
             c->dialect == SMB2_DIALECT_311 ? ", no cipher in common" : "");
    conn_fail(c, c->dialect < SMB2_DIALECT_300 ? DFSC_E_DIALECT : DFSC_E_UNSUPPORTED, 0);
    return;
  }
  DFSC_INFO(lg(c), DFSC_CAT_SMB2,
            "%s: dialect 0x%04x, max read %u write %u transact %u, security mode 0x%x, "
            "signing %s, cipher %s",
            c->host, c->dialect, c->max_read, c->max_write, c->max_transact,
            c->server_sec_mode,
            c->sign_alg == SMB2_SIGNING_AES_GMAC   ? "AES-GMAC"
            : c->sign_alg == SMB2_SIGNING_AES_CMAC ? "AES-CMAC"
                                                   : "HMAC-SHA256",
            dfsc__policy_cipher_name(conn_cipher(c)));
  /* Each session setup has a deadline of its own from here. */
  dfsc__timer_stop(c->sl->cfg.loop, &c->setup_timer);
  conn_set_state(c, C_READY);
  c->last_rx = dfsc__loop_now(c->sl->cfg.loop);
  c->echo_out = 0;
  ka_arm(c, echo_interval(c->sl));
  if (c->lost) {
    c->lost = 0;
    c->sl->stats.reconnects++;
    DFSC_INFO(lg(c), DFSC_CAT_CONN, "%s:%u: connected again, %llu ms after the loss",
              c->host, c->port, (unsigned long long)(c->last_rx - c->lost_at));
  }
  setups_pump(c->sl);
  drive(c);
}

/* Whether session s logs on with credentials. */
static int sess_has_creds(const dfsc_sess *s) {
  return !dfsc__auth_creds_anonymous(s->user, s->password) || s->ccache != NULL;
}

/* Whether a session waiting on c will log on with credentials (so that the
 * negotiation says signing is required). */
static int conn_has_creds(const dfsc_conn *c) {
  const dfsc_sess *s;
  for (s = c->sessions; s != NULL; s = s->next)
    if (sess_has_creds(s))
      return 1;
  return 0;
}

/* The SecurityMode of s's SESSION_SETUP ([MS-SMB2] 2.2.5): signing
 * required for a session with credentials unless signing is off, as the
 * negotiation says for the connection's first ones; the server then holds
 * Session.SigningRequired and signs the final response ([MS-SMB2]
 * 3.3.5.5.3), whichever session came first on the connection. */
static uint16_t sess_sec_mode(const dfsc_sess *s) {
  const dfsc_sl *sl = s->conn->sl;
  uint16_t m = SMB2_NEGOTIATE_SIGNING_ENABLED;
  if (sl->cfg.sign == DFSC_SIGN_REQUIRED ||
      (sess_has_creds(s) && sl->cfg.sign != DFSC_SIGN_OFF && !sl->cfg.guest_ok))
    m |= SMB2_NEGOTIATE_SIGNING_REQUIRED;
  return m;
}

static int start_negotiate(dfsc_conn *c) {
  static const uint16_t all[] = {SMB2_DIALECT_202, SMB2_DIALECT_210, SMB2_DIALECT_300,
                                 SMB2_DIALECT_302, SMB2_DIALECT_311};
  dfsc_smb2_negotiate_req req;
  uint8_t salt[32];
  dfsc_req *r;
  size_t i;
  int rc;

  memset(&req, 0, sizeof(req));
  c->ndialects = 0;
  for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
    if (all[i] >= c->sl->cfg.min_dialect && all[i] <= c->sl->cfg.max_dialect &&
        (!c->sl->cfg.encrypt || all[i] >= SMB2_DIALECT_300))
      c->dialects[c->ndialects++] = all[i];
  if (c->ndialects == 0) {
    if (c->sl->cfg.encrypt)
      DFSC_ERR(lg(c), DFSC_CAT_SMB2,
               "%s: encryption needs SMB 3.0 or later, above the maximum protocol allowed",
               c->host);
    return DFSC_E_DIALECT;
  }
  c->client_sec_mode = SMB2_NEGOTIATE_SIGNING_ENABLED;
  /* A session with credentials is always signed unless signing is off
   * (docs/security.md), so say so: a server then holds
   * Session.SigningRequired and signs the final SESSION_SETUP response at
   * every dialect ([MS-SMB2] 3.3.5.5.3), which sess_setup_cb requires.
   * Guest fallback, when allowed, cannot sign, so it keeps "enabled". */
  if (c->sl->cfg.sign == DFSC_SIGN_REQUIRED ||
      (conn_has_creds(c) && c->sl->cfg.sign != DFSC_SIGN_OFF && !c->sl->cfg.guest_ok))
    c->client_sec_mode |= SMB2_NEGOTIATE_SIGNING_REQUIRED;
  /* LEASING: dfsc asks for leases on durable opens ([MS-SMB2] 2.2.3). */
  c->client_caps =
      SMB2_GLOBAL_CAP_DFS | SMB2_GLOBAL_CAP_LARGE_MTU | SMB2_GLOBAL_CAP_LEASING;
  /* [MS-SMB2] 2.2.3: a 3.x client that can encrypt says so. Samba also
   * answers the 3.1.1 ENCRYPTION context only when this bit is set. */
  if (c->dialects[c->ndialects - 1] >= SMB2_DIALECT_300)
    c->client_caps |= SMB2_GLOBAL_CAP_ENCRYPTION;
  /* One ClientGuid for the connection object's life ([MS-SMB2] 3.2.1.1):
   * the server finds leases, and durable handles it keeps, by it after a
   * reconnect ([MS-SMB2] 3.3.5.9.7, 3.3.5.9.12). */
  if (!c->have_guid) {
    if (getrandom(c->client_guid, 16, 0) != 16)
      return -EIO;
    c->have_guid = 1;
  }
  for (i = 0; i < (size_t)c->ndialects; i++)
    req.dialects[i] = c->dialects[i];
  req.dialect_count = (uint16_t)c->ndialects;
  req.security_mode = c->client_sec_mode;
  req.capabilities = c->client_caps;
  memcpy(req.client_guid, c->client_guid, 16);
  if (c->dialects[c->ndialects - 1] == SMB2_DIALECT_311) {
    if (getrandom(salt, sizeof(salt), 0) != (ssize_t)sizeof(salt))
      return -EIO;
    req.hash_alg_count = 1;
    req.hash_algs[0] = SMB2_PREAUTH_HASH_SHA512;
    req.salt = salt;
    req.salt_len = sizeof(salt);
    req.cipher_count = (uint16_t)c->sl->nciphers;
    for (i = 0; i < c->sl->nciphers; i++)
      req.ciphers[i] = c->sl->ciphers[i];
    req.signing_alg_count = 3;
    req.signing_algs[0] = SMB2_SIGNING_AES_GMAC;
    req.signing_algs[1] = SMB2_SIGNING_AES_CMAC;
    req.signing_algs[2] = SMB2_SIGNING_HMAC_SHA256;
  }
  r = dfsc__req_new(SMB2_NEGOTIATE, 512);
  if (r == NULL)
    return -ENOMEM;
  rc = dfsc__smb2_negotiate_req_encode(&r->w, &req);
  if (rc < 0) {
    dfsc__req_free(r);
    return rc;
  }
  r->cb = negotiate_cb;
  r->data = c;
  /* Only NEGOTIATE goes out with one credit and MessageId 0. */
  c->next_mid = 0;
  c->credits = 1;
  c->charged = 0;
  c->window_max = 1;
  c->inflight = 0;
  c->offer311 = c->dialects[c->ndialects - 1] == SMB2_DIALECT_311;
  c->dialect = 0;
  conn_set_state(c, C_NEGOTIATE);
  rc = submit(c, &r, 1);
  if (rc < 0)
    dfsc__req_free(r);
  return rc;
}

static void on_connect(void *arg, int status) {
  dfsc_conn *c = arg;
  int rc;
  if (status < 0) {
    DFSC_INFO(lg(c), DFSC_CAT_CONN, "%s:%u: connect failed: %s", c->host, c->port,
              dfsc_strerror(status));
    if (status == -ETIMEDOUT)
      c->sl->stats.deadlines++;
    conn_fail(c, status, 0);
    return;
  }
  rc = start_negotiate(c);
  if (rc < 0)
    conn_fail(c, rc, 0);
}

static void lookup_cb(dfsc_lookup *lk, int status, const dfsc_addr *addr) {
  dfsc_conn *c = lk->data;
  static const dfsc_tcp_cbs cbs = {on_connect, on_frame, on_error, frame_dst,
                                   on_frame_split};
  int rc;

  if (c->sl->shutting_down || c->state != C_LOOKUP)
    return; /* the deadline already reset the connection */
  if (status < 0) {
    DFSC_INFO(lg(c), DFSC_CAT_CONN, "%s: name lookup failed", c->host);
    conn_fail(c, status, 0);
    return;
  }
  conn_set_state(c, C_CONNECT);
  c->peer = *addr;
  c->have_peer = 1;
  c->spills = c->spliced = 0; /* counted per transport (splice_count) */
  rc = dfsc__tcp_connect(c->sl->cfg.loop, (const struct sockaddr *)&addr->ss, addr->len,
                         c->sl->cfg.connect_timeout_ms, SETUP_FRAME_MAX + MAX_IO_SIZE, &cbs,
                         c, &c->tcp);
  if (rc < 0)
    conn_fail(c, rc, 0);
  else
    dfsc__tcp_set_split(c->tcp, READ_RSP_HEAD, SPLIT_MIN);
}

static int conn_start_now(dfsc_conn *c);

/* Starts waiting setups while slots are free, in FIFO order. */
static void setups_pump(dfsc_sl *sl) {
  if (sl->pumping)
    return; /* a setup that fails at once re-enters through conn_fail */
  sl->pumping = 1;
  while (sl->setup_q_head != NULL && sl->setups_active < sl->cfg.max_connects &&
         !sl->shutting_down) {
    dfsc_conn *c = sl->setup_q_head;
    dfsc_tree *t;
    int rc;
    sl->setup_q_head = c->setup_qnext;
    if (sl->setup_q_head == NULL)
      sl->setup_q_tail = NULL;
    c->setup_qnext = NULL;
    conn_set_state(c, C_IDLE);
    rc = conn_start_now(c);
    if (rc < 0)
      for (t = c->trees; t != NULL; t = t->next)
        if (t->waiters)
          tree_notify(t, rc, 0);
  }
  sl->pumping = 0;
}

static void setup_q_remove(dfsc_sl *sl, dfsc_conn *c) {
  dfsc_conn **pp, *prev = NULL;
  for (pp = &sl->setup_q_head; *pp != NULL; prev = *pp, pp = &(*pp)->setup_qnext) {
    if (*pp == c) {
      *pp = c->setup_qnext;
      if (sl->setup_q_tail == c)
        sl->setup_q_tail = prev;
      c->setup_qnext = NULL;
      return;
    }
  }
}

/* Starts a setup, or queues it when max_connects are in flight (P2: a burst
 * of first-time servers costs at most that many setups at once, and no
 * thread waits for a slot). */
static int conn_start(dfsc_conn *c) {
  dfsc_sl *sl = c->sl;
  if (sl->setups_active >= sl->cfg.max_connects) {
    conn_set_state(c, C_QUEUED);
    if (sl->setup_q_tail)
      sl->setup_q_tail->setup_qnext = c;
    else
      sl->setup_q_head = c;
    sl->setup_q_tail = c;
    sl->stats.conn_queued++;
    return 0;
  }
  return conn_start_now(c);
}

static int conn_start_now(dfsc_conn *c) {
  int rc;
  if (c->lk.active)
    return DFSC_E_BUSY; /* a timed-out lookup still runs on its worker */
  conn_set_state(c, C_LOOKUP);
  c->sl->stats.conn_started++;
  arm_setup_deadline(c);
  c->lk.data = c;
  rc = dfsc__lookup_start(c->sl->cfg.loop, c->sl->cfg.lookup_lane, c->sl->cfg.map, c->host,
                          c->port, &c->lk, lookup_cb);
  if (rc < 0) {
    dfsc__timer_stop(c->sl->cfg.loop, &c->setup_timer);
    conn_set_state(c, C_IDLE);
  }
  return rc;
}

/* ---- session setup ----------------------------------------------------- */

/* Lets go of the session's authentication: freed, or left to the lane job
 * running it (which frees it when it ends). */
static void sess_drop_auth(dfsc_sess *s) {
  if (s->job != NULL) {
    __atomic_store_n(&s->job->orphan, 1, __ATOMIC_RELEASE);
    s->job->s = NULL;
    s->job = NULL;
    s->conn->sl->stats.auth_orphaned++;
  } else {
    dfsc__auth_free(s->auth);
  }
  s->auth = NULL;
}

/* One line on why authentication failed, with GSSAPI's words and, without
 * a ticket, what to do. */
static void auth_log_failure(dfsc_sess *s, int rc) {
  dfsc_conn *c = s->conn;
  const char *why = s->auth != NULL ? dfsc__auth_why(s->auth) : "";
  if (rc == DFSC_E_PROTO)
    dfsc__complain(lg(c), DFSC_LOG_ERROR, DFSC_CAT_AUTH, c->host,
                   "SESSION_SETUP security buffer: the server's SPNEGO, NTLMSSP or "
                   "Kerberos token");
  if (rc == DFSC_E_NOTICKET)
    DFSC_ERR(lg(c), DFSC_CAT_AUTH,
             "%s: no Kerberos ticket%s%s: run kinit (or give a keytab)", c->host,
             why[0] ? ": " : "", why);
  else if (rc == DFSC_E_KERBEROS || why[0] != '\0')
    DFSC_ERR(lg(c), DFSC_CAT_AUTH, "%s: Kerberos authentication failed: %s", c->host,
             why[0] ? why : dfsc_strerror(rc));
}

/* The session's setup failed: it goes back to NONE and the waiters of its
 * trees get err. The connection and its other sessions stay. */
static void sess_fail(dfsc_sess *s, int err, uint32_t ntstatus) {
  dfsc_conn *c = s->conn;
  dfsc_tree *t;
  sess_reset(s);
  for (t = c->trees; t != NULL; t = t->next)
    if (t->sess == s && t->waiters && t->state == T_NONE)
      tree_notify(t, err, ntstatus);
}

static int send_sess_setup(dfsc_sess *s, const uint8_t *tok, size_t toklen);

static int derive_keys(dfsc_sess *s) {
  dfsc_conn *c = s->conn;
  dfsc_smb3_keys k;
  int rc;
  s->sign_alg = c->sign_alg;
  s->has_enc = 0;
  if (c->dialect < SMB2_DIALECT_300) {
    memcpy(s->signing_key, s->session_key, 16);
    return 0;
  }
  rc = dfsc__crypto_derive_signing_key(c->dialect, s->session_key, s->preauth,
                                       s->signing_key);
  if (rc < 0 || !conn_can_encrypt(c))
    return rc;
  /* [MS-SMB2] 3.2.5.3.1: the cipher keys of the session. */
  s->cipher = conn_cipher(c);
  rc = dfsc__crypto_derive_keys(
      c->dialect, s->cipher, s->full_key_len >= 16 ? s->full_key : s->session_key,
      s->full_key_len >= 16 ? s->full_key_len : 16, s->preauth, &k);
  if (rc == 0) {
    memcpy(s->enc_key, k.encryption, sizeof(s->enc_key));
    memcpy(s->dec_key, k.decryption, sizeof(s->dec_key));
    s->has_enc = 1;
  }
  dfsc__wipe(&k, sizeof(k));
  return rc;
}

/* Why a session cannot encrypt, for messages. */
static const char *no_enc_reason(const dfsc_sess *s) {
  const dfsc_conn *c = s->conn;
  if (s->is_guest)
    return "a guest session has no keys";
  if (s->is_null || !s->has_keys)
    return "an anonymous session has no keys";
  if (c->dialect < SMB2_DIALECT_300)
    return "the dialect is below SMB 3.0";
  return "the server offered no cipher";
}

static void sess_setup_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                          size_t len) {
  dfsc_sess *s = r->data;
  dfsc_conn *c;
  dfsc_smb2_session_setup_rsp rsp;
  uint8_t *out = NULL;
  size_t outlen = 0;
  int rc, creds;

  if (s == NULL || s->setup_req != r)
    return; /* the session gave up on it (deadline, failure): ignored */
  c = s->conn;
  s->setup_req = NULL;
  if (err < 0)
    return; /* the connection reset fails the waiters */
  if (h->status != 0 && h->status != 0xC0000016 /* MORE_PROCESSING_REQUIRED */) {
    DFSC_INFO(lg(c), DFSC_CAT_AUTH, "%s: session setup refused: %s", c->host,
              dfsc_ntstatus_name(h->status));
    sess_fail(s, DFSC_E_NTSTATUS, h->status);
    return;
  }
  rc = dfsc__smb2_session_setup_rsp_decode(pdu, len, &rsp);
  if (rc < 0) {
    dfsc__complain(
        lg(c), DFSC_LOG_ERROR, DFSC_CAT_SMB2, c->host,
        "SESSION_SETUP response: StructureSize 9, or SecurityBufferOffset/Length "
        "outside the PDU");
    conn_fail(c, DFSC_E_PROTO, 0);
    return;
  }
  s->id = h->session_id;
  if (h->status == 0xC0000016) {
    if (c->dialect == SMB2_DIALECT_311)
      dfsc__crypto_preauth_update(s->preauth, pdu, len);
    if (++s->rounds > SESS_SETUP_ROUNDS_MAX) {
      sess_fail(s, DFSC_E_AUTH, 0);
      return;
    }
    rc = dfsc__auth_step(s->auth, rsp.security_buffer, rsp.security_buffer_len, &out,
                         &outlen);
    if (rc < 0) {
      auth_log_failure(s, rc);
      sess_fail(s, rc, 0);
      return;
    }
    rc = send_sess_setup(s, out, outlen);
    dfsc__free(out);
    if (rc < 0)
      sess_fail(s, rc, 0);
    return;
  }
  /* STATUS_SUCCESS: the last leg. The session flags are checked first: a
   * guest logon has no keys, so its token carries no mechListMIC. */
  creds = !dfsc__auth_is_anonymous(s->auth);
  s->is_guest = (rsp.session_flags & SMB2_SESSION_FLAG_IS_GUEST) != 0;
  s->is_null = (rsp.session_flags & SMB2_SESSION_FLAG_IS_NULL) != 0 || !creds;
  if (creds && ((rsp.session_flags & SMB2_SESSION_FLAG_IS_NULL) ||
                (s->is_guest && !c->sl->cfg.guest_ok))) {
    /* We logged on with credentials: never fall back to guest silently,
     * and never take "anonymous" for it. Either flag switches signing and
     * validate-negotiate off, which is what a relay setting it wants
     * (docs/security.md); a real guest logon is allowed by guest_ok only. */
    int null = (rsp.session_flags & SMB2_SESSION_FLAG_IS_NULL) != 0;
    DFSC_ERR(lg(c), DFSC_CAT_AUTH,
             "%s: the server logged %s on as %s (SMB2_SESSION_FLAG_IS_%s) although "
             "credentials were sent; refused: the session would be unsigned%s",
             c->host, sess_who(s), null ? "anonymous" : "guest", null ? "NULL" : "GUEST",
             null ? "" : " (guest_ok allows a guest logon)");
    /* This session only: the connection's others are signed and stay. */
    sess_fail(s, DFSC_E_GUEST, 0);
    return;
  }
  if (!s->is_guest) {
    /* A guest session allowed by guest_ok has no key to check a MIC with. */
    rc = dfsc__auth_finish(s->auth, rsp.security_buffer, rsp.security_buffer_len);
    if (rc < 0) {
      if (dfsc__auth_mech(s->auth) == DFSC_AUTH_KRB5 || rc == DFSC_E_PROTO)
        auth_log_failure(s, rc);
      else
        DFSC_ERR(lg(c), DFSC_CAT_AUTH,
                 "%s: the server's final authentication token failed verification "
                 "(missing or wrong mechListMIC)",
                 c->host);
      sess_fail(s, rc, 0);
      return;
    }
  }
  s->signing = 0;
  s->encrypt = 0;
  s->has_enc = 0;
  if (!s->is_guest && !s->is_null) {
    rc = dfsc__auth_session_key(s->auth, s->session_key);
    if (rc == 0)
      rc = dfsc__auth_full_key(s->auth, s->full_key, &s->full_key_len);
    if (rc == 0)
      rc = derive_keys(s);
    if (rc < 0) {
      sess_fail(s, rc, 0);
      return;
    }
    s->has_keys = 1;
    /* Secure default (docs/security.md): every authenticated session signs
     * unless signing was turned off and the server does not require it. */
    if ((c->server_sec_mode & SMB2_NEGOTIATE_SIGNING_REQUIRED) ||
        c->sl->cfg.sign != DFSC_SIGN_OFF)
      s->signing = 1;
    /* [MS-SMB2] 3.2.5.3.1: at 3.1.1 the final response of an authenticated
     * session is signed. At other dialects the server signs it when the
     * session requires signing ([MS-SMB2] 3.3.5.5.3), which ours does
     * whenever it will sign (negotiate() said SIGNING_REQUIRED); Samba 4.17
     * signs it at every dialect. An unsigned one is a relay's doing: it is
     * the one message that could switch signing off unseen. */
    if (!(h->flags & SMB2_FLAGS_SIGNED) &&
        (c->dialect == SMB2_DIALECT_311 ||
         (s->signing && (sess_sec_mode(s) & SMB2_NEGOTIATE_SIGNING_REQUIRED)))) {
      DFSC_ERR(lg(c), DFSC_CAT_AUTH,
               "%s: the final session setup response is not signed; refused "
               "(a relay may be stripping signatures)",
               c->host);
      conn_fail(c, DFSC_E_DOWNGRADE, 0);
      return;
    }
    if ((h->flags & SMB2_FLAGS_SIGNED) && verify_pdu(s, pdu, len) != 0) {
      DFSC_ERR(lg(c), DFSC_CAT_AUTH,
               "%s: final session setup response has a bad "
               "signature%s",
               c->host,
               dfsc__auth_mic_absent(s->auth) ? " and the server's token no mechListMIC"
                                              : "");
      conn_fail(c, DFSC_E_SIGNATURE, 0);
      return;
    }
    if (dfsc__auth_mic_absent(s->auth)) {
      /* No mechListMIC answered ours: only a signed final response shows
       * that the server holds the session key (impacket 0.10 signs it and
       * sends no MIC). Unsigned, nothing would tell the server from a
       * relay that dropped its token. */
      if (!(h->flags & SMB2_FLAGS_SIGNED)) {
        DFSC_ERR(lg(c), DFSC_CAT_AUTH,
                 "%s: the server's final authentication token failed verification "
                 "(missing mechListMIC, and the response is not signed)",
                 c->host);
        sess_fail(s, DFSC_E_AUTH, 0);
        return;
      }
      if (!c->mic_absent_logged) {
        c->mic_absent_logged = 1;
        DFSC_INFO(lg(c), DFSC_CAT_AUTH,
                  "%s: the server sent no mechListMIC; its signed final response proves "
                  "the session key",
                  c->host);
      }
    }
  } else if (c->sl->cfg.sign == DFSC_SIGN_REQUIRED) {
    DFSC_ERR(lg(c), DFSC_CAT_AUTH, "%s: signing required but the session is %s", c->host,
             s->is_guest ? "guest" : "anonymous");
    sess_fail(s, DFSC_E_AUTH, 0);
    return;
  }
  /* [MS-SMB2] 3.2.5.3.1: Session.EncryptData from the server's flag, or
   * because the user asked for encryption everywhere. */
  s->encrypt =
      (rsp.session_flags & SMB2_SESSION_FLAG_ENCRYPT_DATA) != 0 || c->sl->cfg.encrypt;
  if (s->encrypt && !s->has_enc) {
    DFSC_ERR(lg(c), DFSC_CAT_AUTH, "%s: encryption required but %s", c->host,
             no_enc_reason(s));
    sess_fail(s, DFSC_E_UNSUPPORTED, 0);
    return;
  }
  s->mech = dfsc__auth_mech(s->auth);
  s->mutual = dfsc__auth_mutual(s->auth);
  if (s->mech == DFSC_AUTH_KRB5)
    c->sl->stats.sess_krb5++;
  else
    c->sl->stats.sess_ntlm++;
  DFSC_INFO(lg(c), DFSC_CAT_AUTH, "%s: %s session for %s", c->host,
            s->mech == DFSC_AUTH_KRB5 ? "Kerberos" : "NTLM",
            s->mech == DFSC_AUTH_KRB5 ? dfsc__auth_client(s->auth) : sess_who(s));
  dfsc__auth_free(s->auth);
  s->auth = NULL;
  DFSC_INFO(lg(c), DFSC_CAT_AUTH, "%s: session 0x%llx established%s%s%s%s", c->host,
            (unsigned long long)s->id, s->signing && !s->encrypt ? ", signed" : "",
            s->encrypt ? ", encrypted with " : "",
            s->encrypt ? dfsc__policy_cipher_name(s->cipher) : "",
            s->is_guest  ? " (guest)"
            : s->is_null ? " (anonymous)"
                         : "");
  dfsc__timer_stop(c->sl->cfg.loop, &s->setup_timer);
  sess_set_state(s, S_VALID);
  s->prev_id = 0;
  drive(c);
}

static int send_sess_setup(dfsc_sess *s, const uint8_t *tok, size_t toklen) {
  dfsc_conn *c = s->conn;
  dfsc_smb2_session_setup_req req;
  dfsc_req *r;
  int rc;

  memset(&req, 0, sizeof(req));
  req.security_mode = (uint8_t)(sess_sec_mode(s) & 0xFF);
  req.capabilities = SMB2_GLOBAL_CAP_DFS;
  req.security_buffer = tok;
  req.security_buffer_len = toklen;
  /* [MS-SMB2] 2.2.5, 3.3.5.5.3: the session lost with the connection, so
   * that a server still holding it (the old connection silent rather than
   * reset) lets it go and its durable handles become reclaimable. */
  req.previous_session_id = s->prev_id;
  if (toklen > 0xFFFF)
    return DFSC_E_TOOBIG;
  r = dfsc__req_new(SMB2_SESSION_SETUP, 32 + toklen);
  if (r == NULL)
    return -ENOMEM;
  rc = dfsc__smb2_session_setup_req_encode(&r->w, &req);
  if (rc < 0) {
    dfsc__req_free(r);
    return rc;
  }
  r->cb = sess_setup_cb;
  r->data = s;
  /* r->sess carries the SessionId from the second leg on; setup requests
   * are never signed. */
  r->sess = s;
  rc = submit(c, &r, 1);
  if (rc < 0) {
    dfsc__req_free(r);
    return rc;
  }
  s->setup_req = r;
  s->setup_sent = dfsc__loop_now(c->sl->cfg.loop);
  return 0;
}

/* The first leg once the first token exists (inline, or back from a lane). */
static int sess_send_first(dfsc_sess *s, uint8_t *out, size_t outlen) {
  dfsc_conn *c = s->conn;
  int rc;
  if (dfsc__auth_mech(s->auth) == DFSC_AUTH_NTLM && dfsc__auth_why(s->auth)[0] != '\0')
    DFSC_INFO(lg(c), DFSC_CAT_AUTH, "%s: Kerberos not used (%s); NTLM instead", c->host,
              dfsc__auth_why(s->auth));
  sess_set_state(s, S_SETUP);
  rc = send_sess_setup(s, out, outlen);
  dfsc__free(out);
  return rc;
}

/* ---- the auth lanes (P7) ---------------------------------------------- */

static void auth_job_free(auth_job *j) {
  dfsc__auth_free(j->auth);
  dfsc__free(j->in);
  dfsc__free(j->out);
  dfsc__free(j);
}

static void auth_work(dfsc_lane_job *lj) {
  auth_job *j = lj->data;
  int rc;
  if (__atomic_load_n(&j->orphan, __ATOMIC_ACQUIRE)) {
    j->rc = DFSC_E_CANCELED;
    return;
  }
  if (j->stage == 0) {
    rc = dfsc__auth_prepare(j->auth);
    if (rc < 0) {
      j->rc = rc;
      return;
    }
    if (rc == 1) {
      j->needs_kdc = 1; /* the step goes to the KDC lane */
      return;
    }
  }
  j->rc = dfsc__auth_step(j->auth, j->in, j->inlen, &j->out, &j->outlen);
}

static int sess_start(dfsc_sess *s);

/* The LDAP ping's answer: the DC's own DNS name becomes the name Kerberos
 * asks a ticket for, and the session starts again. Without one the session
 * starts again as it was (auto mode then falls back to NTLM; required mode
 * fails with the KDC's words). Either way once per connection object. */
static void ping_cb(dfsc_udp_xchg *x, int err, const uint8_t *data, size_t len) {
  dfsc_conn *c = x->data;
  dfsc_sess *s;
  dfsc_ldapping_reply rep;
  int rc = err;
  c->pinging = 0;
  if (rc == 0)
    rc = dfsc__ldapping_decode(data, len, c->ping_id, &rep);
  if (rc == 0 && strcasecmp(rep.dns_host, c->host) != 0) {
    c->spn_host = dfsc__strdup(rep.dns_host);
    DFSC_INFO(lg(c), DFSC_CAT_AUTH,
              "%s: no Kerberos principal cifs/%s; the domain controller there is %s (LDAP "
              "ping): Kerberos to cifs/%s",
              c->host, c->host, rep.dns_host, rep.dns_host);
  } else {
    DFSC_INFO(lg(c), DFSC_CAT_AUTH, "%s: no Kerberos principal cifs/%s and no DC name (%s)",
              c->host, c->host, rc == 0 ? "the DC names itself so" : dfsc_strerror(rc));
  }
  /* Every session that waited for the answer starts again. */
  for (s = c->sessions; s != NULL; s = s->next) {
    if (!s->ping_wait)
      continue;
    s->ping_wait = 0;
    sess_set_state(s, S_NONE);
    rc = sess_start(s);
    if (rc < 0)
      sess_fail(s, rc, 0);
  }
}

/* [MS-ADTS] 6.3.3: asks the server's address, over CLDAP (UDP 389), which
 * DC it is. 2 tries of 1 s, within the setup deadline still running. */
static int locate_dc(dfsc_sess *s) {
  dfsc_conn *c = s->conn;
  dfsc_addr to;
  uint8_t req[DFSC_UDP_REQ_MAX];
  char dom[256];
  size_t n, i;
  int rc;
  if (c->pinging) {
    /* Another session of the connection asked already: wait with it. */
    s->ping_wait = 1;
    sess_drop_auth(s);
    return 0;
  }
  if (c->alias_tried && c->have_peer) {
    /* Another session's ping was answered meanwhile: this one starts
     * again as ping_cb starts the waiting ones (with the DC's name if
     * learnt; no second deferral, since alias_tried is set). */
    sess_drop_auth(s);
    sess_set_state(s, S_NONE);
    return sess_start(s);
  }
  if (c->alias_tried || !c->have_peer)
    return -EINVAL;
  c->alias_tried = 1;
  /* A DNS domain name filters the answer to that domain; a NetBIOS name
   * cannot ([MS-ADTS] 6.3.3.2 has no attribute for it): the DC then
   * answers for its own domain. */
  for (i = 0; c->host[i] != '\0' && i + 1 < sizeof(dom); i++)
    dom[i] = (char)tolower((unsigned char)c->host[i]);
  dom[i] = '\0';
  c->ping_id = (uint32_t)(c->gen % 0x7ffffffeu) + 1; /* 1..maxInt-1 (RFC 4511) */
  n = dfsc__ldapping_request(req, sizeof(req), c->ping_id, strchr(dom, '.') ? dom : "");
  if (n == 0)
    return -EINVAL;
  to = c->peer;
  if (to.ss.ss_family == AF_INET)
    ((struct sockaddr_in *)&to.ss)->sin_port = htons(389);
  else if (to.ss.ss_family == AF_INET6)
    ((struct sockaddr_in6 *)&to.ss)->sin6_port = htons(389);
  else
    return -EAFNOSUPPORT;
  c->ping.cb = ping_cb;
  c->ping.data = c;
  rc = dfsc__udp_exchange(c->sl->cfg.loop, &c->ping, (const struct sockaddr *)&to.ss,
                          to.len, req, n, 1000, 2);
  if (rc == 0) {
    c->pinging = 1;
    s->ping_wait = 1;
    sess_drop_auth(s); /* the job gave it back: freed; the next start makes a new one */
  }
  return rc;
}

/* The lane gave up on this job at shutdown (a KDC that never answers): the
 * session layer shut down first, so the job is orphaned and its own. */
static void auth_abandon(dfsc_lane_job *lj) { auth_job_free(lj->data); }

static void auth_done(dfsc_lane_job *lj, int status) {
  auth_job *j = lj->data;
  dfsc_sess *s = j->s;
  dfsc_conn *c;
  uint8_t *out;
  size_t outlen;
  int rc;
  if (s == NULL || status < 0) {
    if (s != NULL) {
      /* The lane went away before the step ran (shutdown). */
      s->job = NULL;
      s->auth = NULL;
      sess_fail(s, DFSC_E_SHUTDOWN, 0);
    }
    auth_job_free(j);
    return;
  }
  c = s->conn;
  if (j->stage == 0 && j->needs_kdc && j->rc == 0) {
    j->stage = 1;
    c->sl->stats.auth_kdc_jobs++;
    rc = dfsc__lane_submit(c->sl->cfg.kdc_lane, &j->job);
    if (rc == 0)
      return;
    DFSC_WARN(lg(c), DFSC_CAT_AUTH, "%s: the KDC lane is full: %s", c->host,
              dfsc_strerror(rc));
    j->rc = rc;
  }
  /* Back on the loop: the session owns the auth again. */
  s->job = NULL;
  out = j->out;
  j->out = NULL;
  j->auth = NULL;
  rc = j->rc;
  outlen = j->outlen;
  dfsc__free(j->in);
  dfsc__free(j);
  if (rc < 0) {
    dfsc__free(out);
    if (dfsc__auth_spn_unknown(s->auth) && locate_dc(s) == 0)
      return; /* Kerberos again with the DC's own name, or as before */
    auth_log_failure(s, rc);
    sess_fail(s, rc, 0);
    return;
  }
  rc = sess_send_first(s, out, outlen);
  if (rc < 0)
    sess_fail(s, rc, 0);
}
/* Starts the first Kerberos step on the auth lane. */
static int auth_job_start(dfsc_sess *s) {
  dfsc_conn *c = s->conn;
  auth_job *j = dfsc__calloc(1, sizeof(*j));
  int rc;
  if (j == NULL)
    return -ENOMEM;
  if (c->neg_secbuf_len > 0) {
    j->in = dfsc__malloc(c->neg_secbuf_len);
    if (j->in == NULL) {
      dfsc__free(j);
      return -ENOMEM;
    }
    memcpy(j->in, c->neg_secbuf, c->neg_secbuf_len);
    j->inlen = c->neg_secbuf_len;
  }
  j->s = s;
  j->sl = c->sl;
  j->auth = s->auth;
  j->job.work = auth_work;
  j->job.done = auth_done;
  j->job.abandon = auth_abandon;
  j->job.data = j;
  rc = dfsc__lane_submit(c->sl->cfg.auth_lane, &j->job);
  if (rc < 0) {
    j->auth = NULL; /* still the session's */
    dfsc__free(j->in);
    dfsc__free(j);
    return rc;
  }
  c->sl->stats.auth_jobs++;
  s->job = j;
  sess_set_state(s, S_AUTH_WAIT);
  return 0;
}

/* The session's setup deadline passed. A Kerberos step that did not come
 * back (the credential cache or, far likelier, the KDC did not answer) is
 * not this server's fault, so not one to fail over from; a server that
 * sent nothing at all since the setup request is gone, and with it the
 * connection; otherwise only this session fails. */
static void sess_timeout(dfsc_timer *tm) {
  dfsc_sess *s = tm->data;
  dfsc_conn *c = s->conn;
  c->sl->stats.deadlines++;
  if (s->state == S_AUTH_WAIT || s->ping_wait) {
    DFSC_ERR(lg(c), DFSC_CAT_AUTH,
             "%s: Kerberos: no answer from the KDC within the setup deadline (%u ms)",
             c->host, c->sl->cfg.setup_timeout_ms);
    sess_fail(s, DFSC_E_KERBEROS, 0);
    return;
  }
  DFSC_WARN(lg(c), DFSC_CAT_AUTH, "%s: session setup for %s: deadline passed", c->host,
            sess_who(s));
  if (s->setup_req != NULL && c->last_rx <= s->setup_sent) {
    conn_fail(c, -ETIMEDOUT, 0);
    return;
  }
  sess_fail(s, -ETIMEDOUT, 0);
}

static int sess_start(dfsc_sess *s) {
  dfsc_conn *c = s->conn;
  struct dfsc_auth_creds cr;
  uint8_t *out = NULL;
  size_t outlen = 0;
  int rc;

  /* Credentials go only where the user allows. */
  if (s->user != NULL && !creds_allowed(c)) {
    creds_refused_log(c);
    return DFSC_E_AUTH;
  }
  memset(&cr, 0, sizeof(cr));
  cr.user = s->user;
  cr.domain = s->domain;
  cr.password = s->password;
  cr.workstation = c->sl->workstation;
  cr.kerberos = s->kerberos;
  cr.ntlm_off = c->sl->cfg.ntlm_off;
  if (s->tag != 0) {
    /* Another local user's identity: Kerberos from its own ticket cache
     * only, never the layer's cache or keytab (someone else's tickets). */
    cr.ccache = s->ccache;
    if (s->ccache == NULL && s->kerberos == DFSC_KERBEROS_REQUIRED) {
      DFSC_ERR(lg(c), DFSC_CAT_AUTH,
               "%s: Kerberos is required, but %s has no ticket cache of its own", c->host,
               sess_who(s));
      return DFSC_E_NOTICKET;
    }
    if (s->ccache == NULL)
      cr.kerberos = DFSC_AUTH_KRB_OFF;
  } else {
    cr.ccache = s->ccache != NULL ? s->ccache : c->sl->ccache;
    cr.keytab = c->sl->keytab;
  }
  cr.host = c->spn_host != NULL ? c->spn_host : c->host;
  cr.defer_spn_unknown = !c->alias_tried && c->have_peer;
  if (c->sl->cfg.auth_lane == NULL || c->sl->cfg.kdc_lane == NULL)
    cr.kerberos = DFSC_AUTH_KRB_OFF; /* no lanes to run it on (unit tests) */
  rc = dfsc__auth_new(&cr, &s->auth);
  if (rc < 0)
    return rc;
  s->rounds = 0;
  s->id = 0;
  /* [MS-SMB2] 3.2.5.3.1: each session's preauth hash starts from the
   * connection's (the NEGOTIATE exchange). */
  memcpy(s->preauth, c->preauth, 64);
  /* The setup deadline, lane steps included; a start again after the
   * LDAP ping stays under the first one's. */
  if (!s->setup_timer.active) {
    s->setup_timer.data = s;
    dfsc__timer_start(c->sl->cfg.loop, &s->setup_timer, c->sl->cfg.setup_timeout_ms,
                      sess_timeout);
  }
  c->sl->stats.sess_started++;
  if (dfsc__auth_lane(s->auth)) {
    rc = auth_job_start(s);
    if (rc < 0)
      goto fail;
    return 0;
  }
  rc = dfsc__auth_step(s->auth, c->neg_secbuf, c->neg_secbuf_len, &out, &outlen);
  if (rc < 0) {
    auth_log_failure(s, rc);
    goto fail;
  }
  rc = sess_send_first(s, out, outlen);
  if (rc < 0)
    goto fail;
  return 0;
fail:
  dfsc__auth_free(s->auth);
  s->auth = NULL;
  dfsc__timer_stop(c->sl->cfg.loop, &s->setup_timer);
  sess_set_state(s, S_NONE);
  return rc;
}

/* ---- tree connect ------------------------------------------------------ */

static void validate_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                        size_t len);

static void tree_connect_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h,
                            const uint8_t *pdu, size_t len) {
  dfsc_tree *t = r->data;
  dfsc_conn *c = t->conn;
  dfsc_smb2_tree_connect_rsp rsp;
  if (err < 0)
    return;
  if (h->status != 0) {
    int denied = h->status == 0xC0000022 /* ACCESS_DENIED */ && !t->sess->has_enc;
    DFSC_INFO(lg(c), DFSC_CAT_CONN, "\\\\%s\\%s: tree connect refused: %s%s%s%s", c->host,
              t->share, dfsc_ntstatus_name(h->status),
              denied ? " (if the share requires encryption: " : "",
              denied ? no_enc_reason(t->sess) : "", denied ? ")" : "");
    tree_set_state(t, T_NONE);
    tree_notify(t, DFSC_E_NTSTATUS, h->status);
    return;
  }
  if (dfsc__smb2_tree_connect_rsp_decode(pdu, len, &rsp) < 0) {
    dfsc__complain(lg(c), DFSC_LOG_ERROR, DFSC_CAT_SMB2, c->host,
                   "TREE_CONNECT response: StructureSize 16, or shorter than 16 bytes");
    conn_fail(c, DFSC_E_PROTO, 0);
    return;
  }
  t->id = h->tree_id;
  t->share_type = rsp.share_type;
  t->share_flags = rsp.share_flags;
  t->caps = rsp.capabilities;
  t->encrypt = (rsp.share_flags & SMB2_SHAREFLAG_ENCRYPT_DATA) != 0;
  if (t->encrypt && !t->sess->has_enc) {
    DFSC_ERR(lg(c), DFSC_CAT_CONN, "\\\\%s\\%s: the share requires encryption, but %s",
             c->host, t->share, no_enc_reason(t->sess));
    tree_set_state(t, T_NONE);
    tree_notify(t, DFSC_E_UNSUPPORTED, 0);
    return;
  }
  if (t->encrypt)
    DFSC_INFO(lg(c), DFSC_CAT_CONN, "\\\\%s\\%s: share encrypted with %s", c->host,
              t->share, dfsc__policy_cipher_name(t->sess->cipher));
  if ((c->dialect == SMB2_DIALECT_300 || c->dialect == SMB2_DIALECT_302) &&
      t->sess->has_keys && !t->sess->validated) {
    /* [MS-SMB2] 3.2.5.5: validate the negotiation over the signed session
     * before the tree is used; a downgrade shows as a mismatch. */
    dfsc_smb2_ioctl_req io;
    uint8_t in[64];
    dfsc_wr iw;
    dfsc_req *v = dfsc__req_new(SMB2_IOCTL, 256);
    int rc;
    if (v == NULL) {
      conn_fail(c, -ENOMEM, 0);
      return;
    }
    dfsc__wr_init(&iw, in, sizeof(in));
    rc = dfsc__smb2_vni_req_build(&iw, c->client_caps, c->client_guid, c->client_sec_mode,
                                  c->dialects, (size_t)c->ndialects);
    memset(&io, 0, sizeof(io));
    io.ctl_code = SMB2_FSCTL_VALIDATE_NEGOTIATE_INFO;
    io.fid.persistent = io.fid.volatile_ = UINT64_MAX;
    io.input = in;
    io.input_len = iw.off;
    io.max_output_response = SMB2_VNI_RSP_SIZE;
    io.flags = SMB2_0_IOCTL_IS_FSCTL;
    if (rc == 0)
      rc = dfsc__smb2_ioctl_req_encode(&v->w, &io);
    if (rc < 0) {
      dfsc__req_free(v);
      conn_fail(c, rc, 0);
      return;
    }
    v->cb = validate_cb;
    v->data = t;
    v->timeout_ms = c->sl->cfg.setup_timeout_ms;
    v->sess = t->sess;
    v->encrypt = t->encrypt || t->sess->encrypt;
    v->sign = !v->encrypt;
    v->tree_id = t->id;
    rc = submit(c, &v, 1);
    if (rc < 0) {
      dfsc__req_free(v);
      conn_fail(c, rc, 0);
      return;
    }
    c->vni_pending++;
    return;
  }
  tree_set_state(t, T_READY);
  tree_notify(t, 0, 0);
}

static void validate_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                        size_t len) {
  dfsc_tree *t = r->data;
  dfsc_conn *c = t->conn;
  dfsc_smb2_ioctl_rsp io;
  dfsc_smb2_vni_rsp vr;
  if (err < 0)
    return;
  c->vni_pending--;
  if (h->status != 0 || dfsc__smb2_ioctl_rsp_decode(pdu, len, &io) < 0 ||
      dfsc__smb2_vni_rsp_parse(io.output, io.output_len, &vr) < 0 ||
      vr.dialect != c->dialect || vr.security_mode != c->server_sec_mode ||
      vr.capabilities != c->server_caps || memcmp(vr.guid, c->server_guid, 16) != 0) {
    DFSC_ERR(lg(c), DFSC_CAT_SMB2, "%s: negotiate validation failed (status %s)", c->host,
             dfsc_ntstatus_name(h->status));
    conn_fail(c, DFSC_E_DOWNGRADE, 0);
    return;
  }
  t->sess->validated = 1;
  DFSC_DBG(lg(c), DFSC_CAT_SMB2, "%s: negotiation validated (dialect 0x%04x)", c->host,
           c->dialect);
  tree_set_state(t, T_READY);
  tree_notify(t, 0, 0);
}

static int tree_start(dfsc_tree *t) {
  dfsc_conn *c = t->conn;
  dfsc_smb2_tree_connect_req req;
  char path[600];
  dfsc_req *r;
  int rc;

  snprintf(path, sizeof(path), "\\\\%s\\%s", c->host, t->share);
  /* Hardened paths: Group Policy comes from SYSVOL and NETLOGON, so a
   * server there must have proved who it is (Kerberos mutual
   * authentication) and every message must be integrity-protected (signed
   * or encrypted); otherwise a relay could serve its own policy. */
  if (dfsc__policy_hardened((const char *const *)c->sl->hardened, c->host, t->share) &&
      (!t->sess->mutual || !(t->sess->signing || t->sess->encrypt || t->encrypt))) {
    DFSC_ERR(lg(c), DFSC_CAT_AUTH,
             "%s: hardened path: needs Kerberos mutual authentication and signing or "
             "encryption, but the session is %s%s",
             path,
             t->sess->mutual    ? "Kerberos"
             : t->sess->is_null ? "anonymous"
                                : "NTLM",
             t->sess->signing || t->sess->encrypt ? "" : " and unsigned");
    c->sl->stats.hardened_refused++;
    return DFSC_E_HARDENED;
  }
  memset(&req, 0, sizeof(req));
  req.path = path;
  req.path_len = strlen(path);
  r = dfsc__req_new(SMB2_TREE_CONNECT, 16 + 2 * strlen(path));
  if (r == NULL)
    return -ENOMEM;
  rc = dfsc__smb2_tree_connect_req_encode(&r->w, &req);
  if (rc < 0) {
    dfsc__req_free(r);
    return rc;
  }
  r->cb = tree_connect_cb;
  r->data = t;
  r->timeout_ms = c->sl->cfg.setup_timeout_ms; /* a setup step ([MS-SMB2] 3.2.4.2.4) */
  r->sess = t->sess;
  /* [MS-SMB2] 3.2.4.1.1: with 3.1.1 an authenticated session signs
   * TREE_CONNECT even when signing is not otherwise required. */
  r->encrypt = t->sess->encrypt;
  r->sign = !r->encrypt &&
            (t->sess->signing || (c->dialect == SMB2_DIALECT_311 && t->sess->has_keys));
  tree_set_state(t, T_CONNECT);
  c->sl->stats.tree_started++;
  rc = submit(c, &r, 1);
  if (rc < 0) {
    dfsc__req_free(r);
    tree_set_state(t, T_NONE);
  }
  return rc;
}

/* ---- the driver -------------------------------------------------------- */

static int any_waiting(const dfsc_conn *c) {
  const dfsc_tree *t;
  for (t = c->trees; t != NULL; t = t->next)
    if (t->waiters != NULL && t->state != T_READY)
      return 1;
  return 0;
}

/* Credentials go only where the user allows: the waiters of trees whose
 * session would carry some to a server not allowed are refused before any
 * name lookup or byte on the wire. Anonymous sessions carry none. */
static void refuse_disallowed(dfsc_conn *c) {
  dfsc_tree *t;
  int logged = 0;
  if (creds_allowed(c))
    return;
  for (t = c->trees; t != NULL; t = t->next) {
    if (t->waiters == NULL || t->state == T_READY || t->sess->user == NULL)
      continue;
    if (!logged++)
      creds_refused_log(c);
    tree_notify(t, DFSC_E_AUTH, 0);
  }
}

static void drive(dfsc_conn *c) {
  dfsc_tree *t;
  int rc;

  if (c->sl->shutting_down || !any_waiting(c))
    return;
  switch (c->state) {
  case C_IDLE:
    refuse_disallowed(c);
    if (!any_waiting(c))
      return;
    rc = conn_start(c);
    if (rc < 0) {
      for (t = c->trees; t != NULL; t = t->next)
        if (t->waiters)
          tree_notify(t, rc, 0);
    }
    return;
  case C_QUEUED:
  case C_LOOKUP:
  case C_CONNECT:
  case C_NEGOTIATE:
    return; /* in progress: the waiters are woken when it ends */
  case C_READY:
    break;
  }
  /* Each waiting tree's session is set up first (once, however many of
   * its trees wait), then the tree connected on it. */
  for (t = c->trees; t != NULL; t = t->next) {
    dfsc_sess *s = t->sess;
    if (t->waiters == NULL || t->state != T_NONE)
      continue;
    if (s->state == S_NONE && !s->retiring) {
      rc = sess_start(s);
      if (rc < 0)
        sess_fail(s, rc, 0);
    } else if (s->state == S_VALID) {
      rc = tree_start(t);
      if (rc < 0)
        tree_notify(t, rc, 0);
    }
  }
}

/* ---- public entry points of the layer ----------------------------------- */

/* Adds w to t's waiters and moves the connection on; w->cb runs at once
 * when t is connected. */
static void tree_join(dfsc_tree *t, dfsc_tree_waiter *w) {
  dfsc_conn *c = t->conn;
  tree_touch(t);
  if (t->state == T_READY && c->state == C_READY) {
    w->next = NULL;
    w->cb(w, t, 0, 0);
    return;
  }
  if (c->state != C_IDLE || t->state != T_NONE || t->waiters != NULL)
    c->sl->stats.conn_coalesced++;
  w->next = t->waiters;
  t->waiters = w;
  c->nwaiters++;
  drive(c);
}

static int str_eq(const char *a, const char *b) {
  return strcasecmp(a ? a : "", b ? b : "") == 0;
}

static void tree_free(dfsc_tree *t) {
  dfsc__free(t->share);
  dfsc__free(t);
}

/* Frees a session nobody refers to any more (no tree, no request). */
static void sess_free(dfsc_sess *s) {
  dfsc_sl *sl = s->conn->sl;
  dfsc__timer_stop(sl->cfg.loop, &s->setup_timer);
  sess_drop_auth(s);
  dfsc__free(s->user);
  dfsc__free(s->domain);
  dfsc__secret_free(s->password);
  dfsc__free(s->ccache);
  sl->nsess--;
  /* The keys live in the session: wiped, never in a core. */
  dfsc__secret_free(s);
}

static void sess_unlink(dfsc_sess *s) {
  dfsc_sess **pp;
  for (pp = &s->conn->sessions; *pp != NULL; pp = &(*pp)->next)
    if (*pp == s) {
      *pp = s->next;
      break;
    }
  s->next = NULL;
}

static void conn_free(dfsc_conn *c) {
  dfsc_tree *t, *tn;
  dfsc_sess *s, *sn;
  size_t b;
  /* Leases left are those of handles freed with the layer. */
  for (b = 0; b < LEASE_BUCKETS; b++) {
    dfsc_lease *l, *ln;
    for (l = c->leases[b]; l != NULL; l = ln) {
      ln = l->hnext;
      ack_unpend(l);
      dfsc__free(l);
    }
  }
  for (t = c->trees; t != NULL; t = tn) {
    tn = t->next;
    tree_free(t);
  }
  for (t = c->dying; t != NULL; t = tn) {
    tn = t->next;
    tree_free(t);
  }
  for (s = c->sessions; s != NULL; s = sn) {
    sn = s->next;
    sess_free(s);
  }
  dfsc__udp_cancel(&c->ping);
  dfsc__free(c->spn_host);
  dfsc__free(c->neg_secbuf);
  dfsc__free(c->host);
  dfsc__free(c);
}

/* ---- lookup table ------------------------------------------------------- */

/* FNV-1a over the lower-cased name and the port: names match without case. */
static uint32_t server_hash(const char *host, uint16_t port) {
  uint32_t h = 2166136261u;
  for (; *host != '\0'; host++)
    h = (h ^ (uint8_t)tolower((unsigned char)*host)) * 16777619u;
  h = (h ^ (port & 0xFF)) * 16777619u;
  return (h ^ (port >> 8)) * 16777619u;
}

static void by_server_del(dfsc_sl *sl, dfsc_conn *c) {
  dfsc_conn **pp;
  for (pp = &sl->by_server[c->hash % CONN_BUCKETS]; *pp != NULL; pp = &(*pp)->hnext) {
    if (*pp == c) {
      *pp = c->hnext;
      break;
    }
  }
  c->hnext = NULL;
}

/* ---- idle close --------------------------------------------------------- */

/* Takes t off its connection's list and the LRU. */
static void tree_unlink_live(dfsc_tree *t) {
  dfsc_tree **pp;
  for (pp = &t->conn->trees; *pp != NULL; pp = &(*pp)->next) {
    if (*pp == t) {
      *pp = t->next;
      break;
    }
  }
  t->next = NULL;
  tlist_unlink(t->conn->sl, t);
}

static void sess_retire_idle(dfsc_sess *s);

static void tree_disc_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                         size_t len) {
  dfsc_tree *t = r->data, **pp;
  dfsc_conn *c = t->conn;
  dfsc_sess *s;
  (void)pdu;
  (void)len;
  /* Whatever the answer (or none: a failure or the deadline resets the
   * connection), the tree is gone for us. */
  DFSC_DBG(lg(c), DFSC_CAT_CONN, "tree \\%s\%s: disconnected (%s)", c->host, t->share,
           err < 0 ? dfsc_strerror(err) : dfsc_ntstatus_name(h->status));
  for (pp = &c->dying; *pp != NULL; pp = &(*pp)->next) {
    if (*pp == t) {
      *pp = t->next;
      break;
    }
  }
  s = t->sess;
  tree_free(t);
  /* The session may go now: do it from the loop, not inside the receive. */
  if (c->dying == NULL && c->trees == NULL)
    sweep_arm(c->sl, 0);
  else
    sess_retire_idle(s);
}

/* Sends a request of the session's own (TREE_DISCONNECT, LOGOFF), under
 * the setup deadline. Returns 0 (cb runs once) or a negative code. */
static int send_teardown(dfsc_sess *s, uint16_t command, uint32_t tree_id, int encrypt,
                         dfsc_req_cb cb, void *data) {
  dfsc_conn *c = s->conn;
  dfsc_req *r = dfsc__req_new(command, 8);
  int rc;
  if (r == NULL)
    return -ENOMEM;
  rc = command == SMB2_LOGOFF ? dfsc__smb2_logoff_req_encode(&r->w)
                              : dfsc__smb2_tree_disconnect_req_encode(&r->w);
  r->cb = cb;
  r->data = data;
  r->timeout_ms = c->sl->cfg.setup_timeout_ms;
  r->sess = s;
  r->tree_id = tree_id;
  /* Signed or encrypted as every request of the session ([MS-SMB2]
   * 3.2.4.1.1, 3.2.4.1.8). */
  r->encrypt = encrypt || s->encrypt;
  r->sign = s->signing && !r->encrypt;
  if (rc == 0)
    rc = submit(c, &r, 1);
  if (rc < 0)
    dfsc__req_free(r);
  return rc;
}

/* An idle tree: TREE_DISCONNECT ([MS-SMB2] 3.2.4.22) when connected, and
 * freed when it is answered; freed at once when not connected. */
static void tree_close_idle(dfsc_tree *t) {
  dfsc_conn *c = t->conn;
  dfsc_sess *s = t->sess;
  int rc = -1;
  tree_unlink_live(t);
  c->sl->stats.trees_closed++;
  if (t->state == T_READY && c->state == C_READY && s->state == S_VALID)
    rc = send_teardown(s, SMB2_TREE_DISCONNECT, t->id, t->encrypt, tree_disc_cb, t);
  if (rc == 0) {
    tree_set_state(t, T_DISCONNECT);
    t->next = c->dying;
    c->dying = t;
    return;
  }
  DFSC_DBG(lg(c), DFSC_CAT_CONN, "tree \\%s\%s: idle, freed", c->host, t->share);
  tree_free(t);
  sess_retire_idle(s);
}

/* Frees a connection nobody uses: no waiter, hold, request of a user,
 * setup, lookup or tree disconnect is left (its LOGOFF, if any, has ended).
 * Runs no callback of a user, so it is safe inside dfsc__tree_get. */
static void conn_destroy(dfsc_conn *c) {
  dfsc_sl *sl = c->sl;
  dfsc_tcp *tcp = c->tcp;
  if (c->closing) {
    clist_unlink(&sl->closing_head, &sl->closing_tail, c);
    sl->nclosing--;
  } else {
    clist_unlink(&sl->lru_head, &sl->lru_tail, c);
    by_server_del(sl, c);
  }
  if (c->prev != NULL)
    c->prev->next = c->next;
  else
    sl->conns = c->next;
  if (c->next != NULL)
    c->next->prev = c->prev;
  if (c->state == C_QUEUED)
    setup_q_remove(sl, c);
  DFSC_DBG(lg(c), DFSC_CAT_CONN, "%s:%u: idle, closed", c->host, c->port);
  c->gen++;
  c->tcp = NULL;
  dfsc__timer_stop(sl->cfg.loop, &c->setup_timer);
  dfsc__timer_stop(sl->cfg.loop, &c->fail_timer);
  dfsc__timer_stop(sl->cfg.loop, &c->ka_timer);
  conn_set_state(c, C_IDLE);
  if (tcp != NULL)
    dfsc__tcp_free(tcp); /* drops queued bytes: their requests are done */
  fail_all_requests(c, DFSC_E_CLOSED);
  sl->nconns--;
  sl->stats.conns_closed++;
  conn_free(c);
}

static void logoff_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                      size_t len) {
  dfsc_sess *s = r->data;
  dfsc_conn *c = s->conn;
  (void)pdu;
  (void)len;
  DFSC_DBG(lg(c), DFSC_CAT_AUTH, "session %s (%s): logged off (%s)", c->host, sess_who(s),
           err < 0 ? dfsc_strerror(err) : dfsc_ntstatus_name(h->status));
  if (!c->closing) {
    /* A session retired alone (sess_retire_idle): nothing refers to it
     * any more (this request left the engine before its callback). */
    sess_unlink(s);
    sess_free(s);
    return;
  }
  /* The whole connection: freed by the sweep once every LOGOFF ended, not
   * here (the receive path still uses c). */
  if (c->logoffs > 0 && --c->logoffs == 0) {
    c->close_ready = 1;
    sweep_arm(c->sl, 0);
  }
}

/* A session left with no tree on a connection whose other sessions carry
 * on (its last tree was closed when idle) is logged off alone
 * ([MS-SMB2] 3.2.4.23) and freed when that ends, or at once when it was
 * never set up: a local user who went away does not keep a session for as
 * long as others use the connection. Lookups skip it from here on. */
static void sess_retire_idle(dfsc_sess *s) {
  dfsc_conn *c = s->conn;
  const dfsc_tree *t;
  if (c->closing || s->retiring || s->nreqs > 0 || s->job != NULL || s->ping_wait ||
      s->setup_req != NULL || (c->trees == NULL && c->dying == NULL))
    return; /* busy, or the connection's own retirement takes it */
  for (t = c->trees; t != NULL; t = t->next)
    if (t->sess == s)
      return;
  for (t = c->dying; t != NULL; t = t->next)
    if (t->sess == s)
      return;
  if (s->state == S_NONE) {
    sess_unlink(s);
    sess_free(s);
    return;
  }
  if (s->state != S_VALID || c->state != C_READY ||
      send_teardown(s, SMB2_LOGOFF, 0, 0, logoff_cb, s) < 0)
    return; /* freed with the connection */
  s->retiring = 1;
  sess_set_state(s, S_LOGOFF);
  c->sl->stats.sessions_closed++;
}

/* Ends an idle connection: drops its trees (a LOGOFF ends them on the
 * server too, [MS-SMB2] 3.3.5.6), logs its sessions off and frees the
 * connection when that ends, or at once when there is no session. From
 * here on lookups skip it. Precondition: !conn_in_use(c), no disconnect in
 * flight. */
static void conn_retire(dfsc_conn *c) {
  dfsc_sl *sl = c->sl;
  dfsc_sess *s;
  while (c->trees != NULL) {
    dfsc_tree *t = c->trees;
    tree_unlink_live(t);
    sl->stats.trees_closed++;
    tree_free(t);
  }
  clist_unlink(&sl->lru_head, &sl->lru_tail, c);
  clist_append(&sl->closing_head, &sl->closing_tail, c);
  by_server_del(sl, c);
  c->closing = 1;
  sl->nclosing++;
  c->logoffs = 0;
  for (s = c->sessions; s != NULL; s = s->next) {
    if (s->retiring) {
      c->logoffs++; /* its LOGOFF is out already */
      continue;
    }
    if (c->state != C_READY || s->state != S_VALID ||
        send_teardown(s, SMB2_LOGOFF, 0, 0, logoff_cb, s) < 0)
      continue;
    sess_set_state(s, S_LOGOFF);
    sl->stats.sessions_closed++;
    c->logoffs++;
  }
  if (c->logoffs == 0)
    conn_destroy(c);
}

/* Before a new connection: past max_conns, retire the least recently used
 * idle one, if it has been unused for the grace time. When none of those
 * looked at qualifies the layer goes over the cap: connections in use
 * belong to live operations or open handles, which the context bounds
 * (docs/progress.md). */
static void conns_make_room(dfsc_sl *sl) {
  dfsc_conn *c, *cn;
  uint64_t now = dfsc__loop_now(sl->cfg.loop);
  uint64_t grace =
      sl->cfg.idle_timeout_ms < EVICT_GRACE_MS ? sl->cfg.idle_timeout_ms : EVICT_GRACE_MS;
  unsigned n = 0;
  if (sl->nconns - sl->nclosing < sl->cfg.max_conns)
    return;
  for (c = sl->lru_head; c != NULL && n < EVICT_SCAN; c = cn, n++) {
    cn = c->lru_next;
    if (now - c->last < grace)
      break; /* the rest were used more recently still */
    if (conn_in_use(c) || c->dying != NULL)
      continue;
    DFSC_DBG(lg(c), DFSC_CAT_CONN, "%s:%u: closed to stay within max_conns (%u)", c->host,
             c->port, sl->cfg.max_conns);
    conn_retire(c);
    return;
  }
  DFSC_DBG(sl->cfg.log, DFSC_CAT_CONN,
           "max_conns (%u) reached and no idle connection: over", sl->cfg.max_conns);
}

static void sweep_cb(dfsc_timer *tm) {
  dfsc_sl *sl = tm->data;
  uint64_t now = dfsc__loop_now(sl->cfg.loop), idle = sl->cfg.idle_timeout_ms;
  uint64_t due = UINT64_MAX, gap;
  unsigned budget = SWEEP_BUDGET;
  dfsc_conn *c, *cn;
  dfsc_tree *t, *tn;

  if (sl->shutting_down)
    return;
  /* Connections whose LOGOFF has ended. */
  for (c = sl->closing_head; c != NULL && budget > 0; c = cn, budget--) {
    cn = c->lru_next;
    if (c->close_ready)
      conn_destroy(c);
  }
  /* Trees, least recently used first: in use moves to the recent end. */
  for (t = sl->tlru_head; t != NULL && budget > 0; t = tn, budget--) {
    tn = t->lru_next;
    if (tree_in_use(t)) {
      tree_touch(t);
      continue;
    }
    if (now - t->last < idle)
      break;
    tree_close_idle(t);
  }
  /* Connections: those whose trees are all gone. */
  for (c = sl->lru_head; c != NULL && budget > 0; c = cn, budget--) {
    cn = c->lru_next;
    if (conn_in_use(c)) {
      conn_touch(c);
      continue;
    }
    if (now - c->last < idle)
      break;
    if (c->trees != NULL || c->dying != NULL)
      continue; /* the last disconnect's answer brings the sweep back */
    conn_retire(c);
  }
  if (sl->shutting_down)
    return;
  /* Next run: when the oldest object is due, never sooner than a fraction
   * of the idle time (a connection waiting for its disconnects stays at
   * the head), at once when this run ran out of budget. */
  if (sl->tlru_head != NULL)
    due = sl->tlru_head->last + idle;
  if (sl->lru_head != NULL && sl->lru_head->last + idle < due)
    due = sl->lru_head->last + idle;
  if (budget == 0) {
    dfsc__timer_start(sl->cfg.loop, &sl->sweep, 1, sweep_cb);
    return;
  }
  if (due == UINT64_MAX)
    return; /* nothing to watch: the next use arms it */
  gap = idle / 4 < SWEEP_GAP_MAX ? idle / 4 : SWEEP_GAP_MAX;
  if (gap == 0)
    gap = 1;
  due = due > now + gap ? due - now : gap;
  dfsc__timer_start(sl->cfg.loop, &sl->sweep, due, sweep_cb);
}

int dfsc__sl_set_limits(dfsc_sl *sl, unsigned idle_timeout_ms, unsigned max_conns) {
  if (sl->shutting_down)
    return DFSC_E_SHUTDOWN;
  sl->cfg.idle_timeout_ms = idle_timeout_ms ? idle_timeout_ms : IDLE_TIMEOUT_DEFAULT;
  sl->cfg.max_conns = max_conns ? max_conns : MAX_CONNS_DEFAULT;
  dfsc__timer_stop(sl->cfg.loop, &sl->sweep);
  sweep_arm(sl, 0);
  return 0;
}

void dfsc__tree_hold(dfsc_tree *t) {
  t->holds++;
  t->conn->holds++;
  tree_touch(t);
}

void dfsc__tree_release(dfsc_tree *t) {
  if (t->holds == 0)
    return; /* unbalanced: ignored rather than wrapped */
  t->holds--;
  t->conn->holds--;
  tree_touch(t);
}

/* ---- lookup ------------------------------------------------------------ */

/* Connections are keyed by server and port: every identity that reaches
 * the server shares one, each with a session of its own (sess_get). A
 * connection being closed is off the table and never handed out: the next
 * user gets a new one. */
static dfsc_conn *conn_get(dfsc_sl *sl, const char *host, uint16_t port) {
  dfsc_conn *c;
  uint32_t hash = server_hash(host, port);
  for (c = sl->by_server[hash % CONN_BUCKETS]; c != NULL; c = c->hnext)
    if (c->hash == hash && c->port == port && strcasecmp(c->host, host) == 0)
      return c;
  c = dfsc__calloc(1, sizeof(*c));
  if (c == NULL)
    return NULL;
  c->host = dfsc__strdup(host);
  if (c->host == NULL) {
    dfsc__free(c);
    return NULL;
  }
  conns_make_room(sl);
  c->sl = sl;
  c->port = port;
  c->hash = hash;
  c->hnext = sl->by_server[hash % CONN_BUCKETS];
  sl->by_server[hash % CONN_BUCKETS] = c;
  c->next = sl->conns;
  if (sl->conns != NULL)
    sl->conns->prev = c;
  sl->conns = c;
  sl->nconns++;
  clist_append(&sl->lru_head, &sl->lru_tail, c);
  conn_touch(c);
  return c;
}

static int pw_eq(const char *a, const char *b) {
  return strcmp(a ? a : "", b ? b : "") == 0;
}

/* The session of identity cr (NULL: the layer's) on c, made when there is
 * none; a session logging off alone is skipped. NULL: out of memory. */
static dfsc_sess *sess_get(dfsc_conn *c, const dfsc_sl_creds *cr) {
  dfsc_sl *sl = c->sl;
  const char *user = cr ? cr->user : sl->user;
  const char *domain = cr ? cr->domain : sl->domain;
  const char *password = cr ? cr->password : sl->password;
  const char *ccache = cr ? cr->ccache : NULL;
  int kerberos = cr && cr->has_kerberos ? cr->kerberos : sl->cfg.kerberos;
  uint64_t tag = cr ? cr->tag : 0;
  dfsc_sess *s, **tail = &c->sessions;
  for (s = c->sessions; s != NULL; tail = &s->next, s = s->next)
    if (!s->retiring && s->tag == tag && s->kerberos == kerberos && str_eq(s->user, user) &&
        str_eq(s->domain, domain) && pw_eq(s->password, password) &&
        pw_eq(s->ccache, ccache))
      return s;
  s = dfsc__secret_calloc(sizeof(*s));
  if (s == NULL)
    return NULL;
  s->user = user ? dfsc__strdup(user) : NULL;
  s->domain = domain ? dfsc__strdup(domain) : NULL;
  s->password = password ? dfsc__secret_strdup(password) : NULL;
  s->ccache = ccache ? dfsc__strdup(ccache) : NULL;
  if ((user && !s->user) || (domain && !s->domain) || (password && !s->password) ||
      (ccache && !s->ccache)) {
    dfsc__free(s->user);
    dfsc__free(s->domain);
    dfsc__secret_free(s->password);
    dfsc__free(s->ccache);
    dfsc__secret_free(s);
    return NULL;
  }
  s->conn = c;
  s->kerberos = kerberos;
  s->tag = tag;
  *tail = s;
  sl->nsess++;
  return s;
}

int dfsc__tree_get(dfsc_sl *sl, const char *host, uint16_t port, const char *share,
                   const dfsc_sl_creds *cr, dfsc_tree_waiter *w) {
  dfsc_conn *c;
  dfsc_sess *s;
  dfsc_tree *t;

  if (sl->shutting_down)
    return DFSC_E_SHUTDOWN;
  if (port == 0)
    port = sl->cfg.port;
  c = conn_get(sl, host, port);
  if (c == NULL)
    return -ENOMEM;
  s = sess_get(c, cr);
  if (s == NULL)
    return -ENOMEM;
  for (t = c->trees; t != NULL; t = t->next)
    if (t->sess == s && strcasecmp(t->share, share) == 0)
      break;
  if (t == NULL) {
    t = dfsc__calloc(1, sizeof(*t));
    if (t == NULL)
      return -ENOMEM;
    t->share = dfsc__strdup(share);
    if (t->share == NULL) {
      dfsc__free(t);
      return -ENOMEM;
    }
    t->conn = c;
    t->sess = s;
    t->next = c->trees;
    c->trees = t;
    tlist_append(sl, t);
  }
  tree_join(t, w);
  return 0;
}

int dfsc__sl_creds_dup(const dfsc_sl_creds *in, dfsc_sl_creds *out) {
  memset(out, 0, sizeof(*out));
  out->has_kerberos = in->has_kerberos;
  out->kerberos = in->kerberos;
  out->tag = in->tag;
  out->user = in->user ? dfsc__strdup(in->user) : NULL;
  out->domain = in->domain ? dfsc__strdup(in->domain) : NULL;
  out->password = in->password ? dfsc__secret_strdup(in->password) : NULL;
  out->ccache = in->ccache ? dfsc__strdup(in->ccache) : NULL;
  if ((in->user && !out->user) || (in->domain && !out->domain) ||
      (in->password && !out->password) || (in->ccache && !out->ccache)) {
    dfsc__sl_creds_clear(out);
    return -ENOMEM;
  }
  return 0;
}

void dfsc__sl_creds_clear(dfsc_sl_creds *cr) {
  dfsc__free((char *)cr->user);
  dfsc__free((char *)cr->domain);
  dfsc__secret_free((char *)cr->password);
  dfsc__free((char *)cr->ccache);
  memset(cr, 0, sizeof(*cr));
}

/* ---- reconnect ---------------------------------------------------------- */

int dfsc__err_conn_lost(int err) {
  return err == DFSC_E_CLOSED || err == -ECONNRESET || err == -EPIPE || err == -ETIMEDOUT ||
         err == -ECONNABORTED || err == -ENOTCONN || err == -ECONNREFUSED ||
         err == -EHOSTUNREACH || err == -ENETUNREACH || err == -EHOSTDOWN ||
         err == DFSC_E_LOOKUP;
}

/* Failures another attempt will not mend: who we are, what we may do, and
 * what the server or the policy refuses. */
static int rc_lasting(int err, uint32_t st) {
  if (err == DFSC_E_NTSTATUS)
    return st == 0xC000006Du /* LOGON_FAILURE */ || st == 0xC0000022u /* ACCESS_DENIED */ ||
           st == 0xC00000CCu /* BAD_NETWORK_NAME */ ||
           st == 0xC0000072u /* ACCOUNT_DISABLED */ ||
           st == 0xC0000071u /* PASSWORD_EXPIRED */;
  return err == DFSC_E_SHUTDOWN || err == DFSC_E_AUTH || err == DFSC_E_HARDENED ||
         err == DFSC_E_DOWNGRADE || err == DFSC_E_DIALECT || err == DFSC_E_GUEST ||
         err == DFSC_E_NOTICKET || err == DFSC_E_KERBEROS || err == DFSC_E_UNSUPPORTED ||
         err == -ENOMEM;
}

static void tree_unwait(dfsc_tree *t, dfsc_tree_waiter *w) {
  dfsc_tree_waiter **pp;
  for (pp = &t->waiters; *pp != NULL; pp = &(*pp)->next)
    if (*pp == w) {
      *pp = w->next;
      w->next = NULL;
      t->conn->nwaiters--;
      return;
    }
}

static void rc_unlist(dfsc_sl *sl, dfsc_reconnect *rc) {
  if (rc->prev != NULL)
    rc->prev->next = rc->next;
  else
    sl->rcs = rc->next;
  if (rc->next != NULL)
    rc->next->prev = rc->prev;
  rc->next = rc->prev = NULL;
}

static void rc_end(dfsc_reconnect *rc, int err, uint32_t st) {
  dfsc_tree *t = rc->tree;
  dfsc_sl *sl = t->conn->sl;
  rc->active = 0;
  rc_unlist(sl, rc);
  dfsc__timer_stop(sl->cfg.loop, &rc->timer);
  tree_unwait(t, &rc->tw);
  if (err < 0) {
    sl->stats.reconnect_failed++;
    DFSC_INFO(lg(t->conn), DFSC_CAT_CONN,
              "%s\\%s: no connection again after %u attempts: %s", t->conn->host, t->share,
              rc->tries, dfsc_strerror(err));
  }
  dfsc__tree_release(t);
  rc->cb(rc, err, st);
}

static void rc_try(dfsc_timer *tm);

static void rc_deadline(dfsc_timer *tm) {
  dfsc_reconnect *rc = tm->data;
  rc_end(rc, rc->err != 0 ? rc->err : -ETIMEDOUT, rc->ntstatus);
}

static void rc_tree_cb(dfsc_tree_waiter *w, dfsc_tree *t, int err, uint32_t st) {
  dfsc_reconnect *rc = w->data;
  uint64_t now = dfsc__loop_now(t->conn->sl->cfg.loop), pause;
  unsigned shift = rc->tries > 5 ? 5 : rc->tries;
  if (!rc->active)
    return;
  if (err == 0) {
    rc_end(rc, 0, 0);
    return;
  }
  rc->err = err;
  rc->ntstatus = st;
  pause = (uint64_t)RECONNECT_PAUSE_MIN << shift;
  if (pause > RECONNECT_PAUSE_MAX)
    pause = RECONNECT_PAUSE_MAX;
  /* Attempts go on until the deadline, the last one at it. */
  if (rc_lasting(err, st) || now >= rc->deadline) {
    rc_end(rc, err, st);
    return;
  }
  if (now + pause > rc->deadline)
    pause = rc->deadline - now;
  rc->timer.data = rc;
  dfsc__timer_start(t->conn->sl->cfg.loop, &rc->timer, pause, rc_try);
}

/* One attempt: join the tree's waiters (which starts a connection when
 * none is under way); the wait's deadline bounds an attempt that hangs. */
static void rc_try(dfsc_timer *tm) {
  dfsc_reconnect *rc = tm->data;
  dfsc_sl *sl = rc->tree->conn->sl;
  uint64_t now = dfsc__loop_now(sl->cfg.loop);
  rc->tries++;
  sl->stats.reconnect_tries++;
  rc->timer.data = rc;
  dfsc__timer_start(sl->cfg.loop, &rc->timer, rc->deadline > now ? rc->deadline - now : 0,
                    rc_deadline);
  tree_join(rc->tree, &rc->tw);
}

int dfsc__tree_reconnect(dfsc_tree *t, dfsc_reconnect *rc, unsigned timeout_ms) {
  dfsc_sl *sl = t->conn->sl;
  if (sl->shutting_down)
    return DFSC_E_SHUTDOWN;
  rc->tree = t;
  rc->deadline = dfsc__loop_now(sl->cfg.loop) + timeout_ms;
  rc->tries = 0;
  rc->err = 0;
  rc->ntstatus = 0;
  rc->active = 1;
  rc->tw.cb = rc_tree_cb;
  rc->tw.data = rc;
  rc->tw.next = NULL;
  dfsc__tree_hold(t);
  sl->stats.reconnect_waits++;
  rc->prev = NULL;
  rc->next = sl->rcs;
  if (rc->next != NULL)
    rc->next->prev = rc;
  sl->rcs = rc;
  rc->timer.data = rc;
  dfsc__timer_start(sl->cfg.loop, &rc->timer, 0, rc_try);
  return 0;
}

void dfsc__tree_reconnect_cancel(dfsc_reconnect *rc) {
  if (!rc->active)
    return;
  rc->active = 0;
  rc_unlist(rc->tree->conn->sl, rc);
  dfsc__timer_stop(rc->tree->conn->sl->cfg.loop, &rc->timer);
  tree_unwait(rc->tree, &rc->tw);
  dfsc__tree_release(rc->tree);
}

int dfsc__tree_send(dfsc_tree *t, dfsc_req **reqs, int n) {
  dfsc_conn *c = t->conn;
  dfsc_sess *s = t->sess;
  int i, rc;
  int enc = t->encrypt || s->encrypt;
  if (c->state != C_READY || t->state != T_READY)
    return DFSC_E_CLOSED;
  for (i = 0; i < n; i++) {
    reqs[i]->sess = s;
    reqs[i]->tree_id = t->id;
    /* [MS-SMB2] 3.2.4.1.8: encrypt when the session or the share says so;
     * the transform then replaces the signature. */
    reqs[i]->encrypt = enc;
    reqs[i]->sign = s->signing && !enc;
    if (reqs[i]->sign && reqs[i]->extra_len > 0 &&
        (reqs[i]->w.off < SMB2_HDR_SIZE || (reqs[i]->w.off - SMB2_HDR_SIZE) % 16 != 0))
      return -EINVAL; /* signed in two parts: the first ends on a 16-byte block */
    /* [MS-SMB2] 3.2.4.1.1 / 2.2.1: requests on a DFS share carry
     * SMB2_FLAGS_DFS_OPERATIONS, and their names are full DFS paths (the
     * mup layer builds them). */
    if (t->share_flags & (SMB2_SHAREFLAG_DFS | SMB2_SHAREFLAG_DFS_ROOT))
      reqs[i]->hdr_flags |= SMB2_FLAGS_DFS_OPERATIONS;
  }
  rc = submit(c, reqs, n);
  if (rc == 0) {
    /* The layer owns them now: until each finishes the tree is in use. */
    for (i = 0; i < n; i++)
      reqs[i]->tree = t;
    t->reqs += (unsigned)n;
    c->ureqs += (size_t)n;
    tree_touch(t);
  }
  return rc;
}

uint64_t dfsc__tree_gen(const dfsc_tree *t) { return t->conn->gen; }
int dfsc__tree_is_dfs(const dfsc_tree *t) {
  return (t->share_flags & (SMB2_SHAREFLAG_DFS | SMB2_SHAREFLAG_DFS_ROOT)) != 0;
}
uint16_t dfsc__tree_dialect(const dfsc_tree *t) { return t->conn->dialect; }
uint32_t dfsc__tree_server_caps(const dfsc_tree *t) { return t->conn->server_caps; }
uint32_t dfsc__tree_max_read(const dfsc_tree *t) { return t->conn->max_read; }
uint32_t dfsc__tree_max_write(const dfsc_tree *t) { return t->conn->max_write; }
uint32_t dfsc__tree_max_transact(const dfsc_tree *t) { return t->conn->max_transact; }
const char *dfsc__tree_host(const dfsc_tree *t) { return t->conn->host; }
const char *dfsc__tree_share(const dfsc_tree *t) { return t->share; }
int dfsc__tree_compounds(const dfsc_tree *t) { return !t->conn->no_compound; }
int dfsc__tree_splices(const dfsc_tree *t) {
  return !t->encrypt && !t->sess->encrypt && !t->sess->signing && !t->conn->splice_off;
}
int dfsc__tree_same_session(const dfsc_tree *a, const dfsc_tree *b) {
  return a->conn == b->conn && a->sess == b->sess;
}
dfsc_loop *dfsc__tree_loop(const dfsc_tree *t) { return t->conn->sl->cfg.loop; }
const dfsc_logger *dfsc__tree_log(const dfsc_tree *t) { return t->conn->sl->cfg.log; }
uint32_t dfsc__tree_credits(const dfsc_tree *t) { return t->conn->credits; }
uint32_t dfsc__tree_max_charge(const dfsc_tree *t) {
  uint32_t w = t->conn->credits + t->conn->charged;
  return w ? w : 1;
}
uint32_t dfsc__tree_room(const dfsc_tree *t) {
  return t->conn->wait_head == NULL ? t->conn->credits : 0;
}
uint16_t dfsc__tree_cipher(const dfsc_tree *t) {
  return t->encrypt || t->sess->encrypt ? t->sess->cipher : 0;
}

void dfsc__sl_stats(const dfsc_sl *sl, dfsc_sl_stats *out) {
  *out = sl->stats;
  out->conns_open = sl->nconns;
  out->sess_open = sl->nsess;
}

const char *dfsc__sl_default_user(const dfsc_sl *sl) { return sl->user; }
const char *dfsc__sl_default_password(const dfsc_sl *sl) { return sl->password; }

static char *dup_or_null(const char *s) { return s ? dfsc__strdup(s) : NULL; }

static void free_list(char **l) {
  char **p;
  if (l == NULL)
    return;
  for (p = l; *p != NULL; p++)
    dfsc__free(*p);
  dfsc__free(l);
}

/* A NULL-terminated copy of in (NULL stays NULL). */
static int copy_list(const char *const *in, char ***out) {
  size_t n = 0, i;
  *out = NULL;
  if (in == NULL)
    return 0;
  while (in[n] != NULL)
    n++;
  *out = dfsc__calloc(n + 1, sizeof(char *));
  if (*out == NULL)
    return -ENOMEM;
  for (i = 0; i < n; i++) {
    (*out)[i] = dfsc__strdup(in[i]);
    if ((*out)[i] == NULL) {
      free_list(*out);
      *out = NULL;
      return -ENOMEM;
    }
  }
  return 0;
}

int dfsc__sl_new(const dfsc_sl_cfg *cfg, dfsc_sl **out) {
  dfsc_sl *sl = dfsc__calloc(1, sizeof(*sl));
  if (sl == NULL)
    return -ENOMEM;
  sl->cfg = *cfg;
  sl->user = dup_or_null(cfg->user);
  sl->domain = dup_or_null(cfg->domain);
  sl->password = cfg->password ? dfsc__secret_strdup(cfg->password) : NULL;
  sl->workstation = dup_or_null(cfg->workstation);
  if ((cfg->user && !sl->user) || (cfg->domain && !sl->domain) ||
      (cfg->password && !sl->password) || (cfg->workstation && !sl->workstation)) {
    dfsc__sl_free(sl);
    return -ENOMEM;
  }
  sl->cfg.user = sl->cfg.domain = sl->cfg.password = sl->cfg.workstation = NULL;
  sl->cfg.ciphers = NULL;
  sl->cfg.cred_servers = NULL;
  if (dfsc__policy_parse_ciphers(cfg->ciphers, sl->ciphers, &sl->nciphers) < 0) {
    dfsc__sl_free(sl);
    return -EINVAL;
  }
  sl->ccache = dup_or_null(cfg->ccache);
  sl->keytab = dup_or_null(cfg->keytab);
  sl->cfg.ccache = sl->cfg.keytab = NULL;
  sl->cfg.hardened_paths = NULL;
  if ((cfg->ccache && !sl->ccache) || (cfg->keytab && !sl->keytab) ||
      copy_list(cfg->cred_servers, &sl->cred_servers) < 0 ||
      copy_list(cfg->hardened_paths, &sl->hardened) < 0) {
    dfsc__sl_free(sl);
    return -ENOMEM;
  }
  if (sl->cfg.port == 0)
    sl->cfg.port = 445;
  if (sl->cfg.min_dialect == 0)
    sl->cfg.min_dialect = SMB2_DIALECT_202;
  if (sl->cfg.max_dialect == 0)
    sl->cfg.max_dialect = SMB2_DIALECT_311;
  if (sl->cfg.connect_timeout_ms == 0)
    sl->cfg.connect_timeout_ms = 10000;
  if (sl->cfg.setup_timeout_ms == 0)
    sl->cfg.setup_timeout_ms = 20000;
  if (sl->cfg.request_timeout_ms == 0)
    sl->cfg.request_timeout_ms = 60000;
  if (sl->cfg.max_connects == 0)
    sl->cfg.max_connects = 32;
  if (sl->cfg.idle_timeout_ms == 0)
    sl->cfg.idle_timeout_ms = IDLE_TIMEOUT_DEFAULT;
  if (sl->cfg.max_conns == 0)
    sl->cfg.max_conns = MAX_CONNS_DEFAULT;
  sl->sweep.data = sl;
  *out = sl;
  return 0;
}

void dfsc__sl_shutdown(dfsc_sl *sl) {
  dfsc_conn *c;
  if (sl == NULL || sl->shutting_down)
    return;
  sl->shutting_down = 1;
  dfsc__timer_stop(sl->cfg.loop, &sl->sweep);
  sl->setup_q_head = sl->setup_q_tail = NULL; /* never started now */
  for (c = sl->conns; c != NULL; c = c->next) {
    c->setup_qnext = NULL;
    conn_set_state(c, C_READY); /* let conn_fail run its full reset */
    conn_fail(c, DFSC_E_SHUTDOWN, 0);
  }
  /* Reconnect waits in a pause between attempts joined no tree: end them
   * here (their owners' operations answer DFSC_E_SHUTDOWN). */
  while (sl->rcs != NULL)
    rc_end(sl->rcs, DFSC_E_SHUTDOWN, 0);
}

void dfsc__sl_free(dfsc_sl *sl) {
  dfsc_conn *c, *cn;
  if (sl == NULL)
    return;
  dfsc__sl_shutdown(sl);
  for (c = sl->conns; c != NULL; c = cn) {
    cn = c->next;
    conn_free(c);
  }
  free_list(sl->cred_servers);
  dfsc__free(sl->user);
  dfsc__free(sl->domain);
  dfsc__secret_free(sl->password);
  dfsc__free(sl->workstation);
  dfsc__free(sl->ccache);
  dfsc__free(sl->keytab);
  free_list(sl->hardened);
  dfsc__free(sl);
}
