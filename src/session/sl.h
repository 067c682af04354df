/* The session layer ("redirector"): connections, sessions and trees as
 * state machines on the loop thread, and the request engine under them
 * (message ids, credits, signing, compounding, interim responses, deadlines).
 *
 * A connection is cached per server name and port; its first user drives
 * lookup -> connect -> negotiate, and every later user waits on the same
 * attempt (single flight, P4). Sessions and trees hang off the connection the
 * same way. When a connection drops its objects go back to idle and the
 * generation counter moves, so handles opened before the drop fail cleanly
 * and the next user reconnects.
 *
 * Idle close: a tree nobody has used for idle_timeout_ms (no request in
 * flight, no waiter, no hold) is disconnected (TREE_DISCONNECT) and freed; a
 * session whose trees are all gone is logged off (LOGOFF) and its
 * connection closed and freed. At most max_conns connections are kept:
 * past it the least recently used idle one is closed first. So a tree
 * pointer stays valid while it is held (dfsc__tree_hold), while a request
 * sent on it is in flight, and for at least min(idle_timeout_ms, 5 s) after
 * the last of those or of a dfsc__tree_get that returned it (the cap closes
 * only connections unused that long); a caller keeping one across other
 * waits (a walk waiting for a referral, an open handle) must hold it.
 *
 * Loop thread only. Does not: parse UNC paths, know about DFS, block.
 */
#ifndef DFSC_SESSION_SL_H
#define DFSC_SESSION_SL_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/lane.h"
#include "core/loop.h"
#include "smb2/smb2.h"
#include "transport/lookup.h"
#include "transport/tcp.h"

typedef struct dfsc_sl dfsc_sl;
typedef struct dfsc_conn dfsc_conn;
typedef struct dfsc_sess dfsc_sess;
typedef struct dfsc_tree dfsc_tree;
typedef struct dfsc_req dfsc_req;
typedef struct dfsc_tree_waiter dfsc_tree_waiter;

typedef struct dfsc_sl_cfg {
  dfsc_loop *loop;
  dfsc_lane *lookup_lane;
  const dfsc_logger *log;
  const dfsc_resolve_map *map;
  const char *user; /* NULL/"": anonymous */
  const char *domain;
  const char *password;
  const char *workstation;
  int guest_ok;
  uint16_t min_dialect, max_dialect;
  int sign;                        /* enum dfsc_sign_mode */
  int encrypt;                     /* encrypt every session; refuse servers that cannot */
  const char *ciphers;             /* 3.1.1 cipher offer (policy.h syntax), NULL: default */
  const char *const *cred_servers; /* glob patterns, NULL-terminated; NULL: any */
  uint16_t port;
  unsigned connect_timeout_ms, setup_timeout_ms, request_timeout_ms;
  unsigned max_connects; /* connection setups in flight (default 32) */
  /* Idle close: a tree, session or connection nobody has used for
   * idle_timeout_ms is disconnected (TREE_DISCONNECT, LOGOFF, close) and
   * freed (0: the default). At most max_conns connections stay open; past
   * it the least recently used idle one is closed (0: the default). */
  unsigned idle_timeout_ms;
  unsigned max_conns;
  /* Kerberos (dfsc_opts): the mode, NTLM off, cache, keytab (copied).
   * auth_lane runs the first step of a Kerberos session setup, which reads
   * the credential cache; kdc_lane the steps that talk to the KDC, so a
   * slow or hung KDC never holds a worker a cached ticket needs (P7). */
  int kerberos;
  int ntlm_off;
  const char *ccache;
  const char *keytab;
  dfsc_lane *auth_lane;
  dfsc_lane *kdc_lane;
  /* Hardened paths (dfsc_opts.hardened_paths; NULL: the default list;
   * copied). */
  const char *const *hardened_paths;
  /* Keepalive (ECHO, [MS-SMB2] 2.2.28; the spec leaves when to the
   * client): a connection that has received nothing for
   * echo_interval_ms is sent an ECHO, and one whose ECHO goes unanswered
   * for echo_interval_ms more is declared dead (reset, its requests fail
   * with -ETIMEDOUT). So a silent peer (a blackhole) is found within twice
   * the interval. 0: the default, 60 s; UINT32_MAX: never. */
  unsigned echo_interval_ms;
} dfsc_sl_cfg;

/* Copies cfg (strings and the cred_servers list included). Returns 0, a
 * negative code, or -EINVAL for an unknown cipher name. */
int dfsc__sl_new(const dfsc_sl_cfg *cfg, dfsc_sl **out);
/* Fails every waiter and request with DFSC_E_SHUTDOWN and closes the
 * connections; later calls fail with DFSC_E_SHUTDOWN. Call before freeing
 * the lookup lane, so lookups still finishing find the layer alive. */
void dfsc__sl_shutdown(dfsc_sl *sl);
/* Shuts down (if not yet) and frees everything. */
void dfsc__sl_free(dfsc_sl *sl);

/* Counters (loop thread; read them from elsewhere only while the loop is
 * idle or through a post). */
typedef struct dfsc_sl_stats {
  uint64_t conn_started;   /* lookup + connect + negotiate attempts */
  uint64_t conn_coalesced; /* tree requests that joined an attempt in progress */
  uint64_t conn_failed;
  uint64_t sess_started;
  uint64_t tree_started;
  uint64_t requests_sent;
  uint64_t credit_waits;    /* request chains that had to wait for credits */
  uint64_t deadlines;       /* requests and setups ended by their deadline */
  uint64_t conn_queued;     /* setups that waited for a slot (max_connects) */
  uint64_t trees_closed;    /* trees disconnected and freed when idle */
  uint64_t sessions_closed; /* sessions logged off when idle (or evicted) */
  uint64_t conns_closed;    /* connections closed and freed when idle or evicted */
  uint64_t conns_open;      /* connection objects alive now (each at most one socket) */
  uint64_t sess_open;     /* session objects alive now (one per identity and connection) */
  uint64_t sess_krb5;     /* sessions set up with Kerberos */
  uint64_t sess_ntlm;     /* sessions set up with NTLM (anonymous included) */
  uint64_t auth_jobs;     /* Kerberos steps run on the auth lanes */
  uint64_t auth_kdc_jobs; /* of them, steps that needed the KDC lane */
  uint64_t auth_orphaned; /* steps whose session gave up first (deadline, reset) */
  uint64_t hardened_refused;    /* tree connects refused by a hardened path */
  uint64_t conns_lost;          /* established connections lost (reset, EOF, dead peer) */
  uint64_t reconnects;          /* connections established again after a loss */
  uint64_t reconnect_waits;     /* dfsc__tree_reconnect waits started */
  uint64_t reconnect_tries;     /* connection attempts they made */
  uint64_t reconnect_failed;    /* waits that ended without a connection */
  uint64_t echoes_sent;         /* keepalive ECHOs */
  uint64_t echo_dead;           /* connections declared dead by an unanswered ECHO */
  uint64_t lease_breaks;        /* lease break notifications for a lease held */
  uint64_t lease_acks;          /* lease break acknowledgements sent */
  uint64_t lease_unknown;       /* break notifications dropped: unknown key, bad state */
  uint64_t lease_ack_late;      /* deferred acknowledgements sent by the bound */
  uint64_t read_bytes;          /* asked for by READ requests */
  uint64_t read_direct;         /* clear READ answers received into the caller's buffer */
  uint64_t read_spliced;        /* clear READ answers spliced into the caller's pipe */
  uint64_t read_spilled;        /* of them, finished in memory: the pipe filled first */
  uint64_t write_bytes;         /* sent by WRITE requests */
  uint64_t requests_unanswered; /* past their deadline on a connection that answers */
  uint64_t compound_fallbacks;  /* connections sending one request at a time since their
                                   server signed a compounded reply wrongly */
} dfsc_sl_stats;
void dfsc__sl_stats(const dfsc_sl *sl, dfsc_sl_stats *out);

/* Changes the idle close limits at run time (0: the default, as in
 * dfsc_sl_cfg); idle objects are then judged by the new timeout at the next
 * sweep, which runs at once; a lower max_conns is enforced as new
 * connections are made. Loop thread. Returns 0 or DFSC_E_SHUTDOWN. */
int dfsc__sl_set_limits(dfsc_sl *sl, unsigned idle_timeout_ms, unsigned max_conns);

/* ---- trees ------------------------------------------------------------ */
struct dfsc_tree_waiter {
  /* err 0: t is connected. Otherwise err (DFSC_E_NTSTATUS with ntstatus set
   * for a server refusal). May be called from inside dfsc__tree_get when the
   * tree is already connected. */
  void (*cb)(dfsc_tree_waiter *w, dfsc_tree *t, int err, uint32_t ntstatus);
  void *data;
  /* private */
  dfsc_tree_waiter *next;
};

/* An identity other than the layer's default (an smb:// URL's, or a
 * context made for another local user). Zero-initialise it: fields left
 * 0 take the layer's configuration. */
typedef struct dfsc_sl_creds {
  const char *user; /* NULL: anonymous */
  const char *domain;
  const char *password;
  const char *ccache; /* Kerberos credential cache; NULL: the layer's */
  int has_kerberos;   /* kerberos below replaces the layer's mode */
  int kerberos;       /* enum dfsc_kerberos_mode */
  /* Sessions are shared only between identities with the same tag (0: the
   * layer's default one): one local user never rides on another's session,
   * even with the same credentials. */
  uint64_t tag;
} dfsc_sl_creds;

/* Deep copies of an identity (secrets in wiped memory) and their release.
 * dup: 0 or -ENOMEM (out cleared). */
int dfsc__sl_creds_dup(const dfsc_sl_creds *in, dfsc_sl_creds *out);
void dfsc__sl_creds_clear(dfsc_sl_creds *cr);

/* Finds or creates the tree for \\host\share (port 0: the configured one)
 * as identity cr (NULL: the configured one) and calls w->cb once it is
 * connected or has failed. One connection per server and port carries the
 * sessions of every identity that uses it ([MS-SMB2] 3.2.1.3: a
 * connection's session table), one session per identity. w stays owned by the caller and
 * must stay alive until its callback. */
int dfsc__tree_get(dfsc_sl *sl, const char *host, uint16_t port, const char *share,
                   const dfsc_sl_creds *cr, dfsc_tree_waiter *w);
/* The identity the layer uses by default (for callers comparing users). */
const char *dfsc__sl_default_user(const dfsc_sl *sl);
const char *dfsc__sl_default_password(const dfsc_sl *sl);

/* Generation of the tree's connection: changes whenever the connection
 * drops. A handle stores it at open and compares before each use. */
uint64_t dfsc__tree_gen(const dfsc_tree *t);
int dfsc__tree_is_dfs(const dfsc_tree *t);
uint16_t dfsc__tree_dialect(const dfsc_tree *t);
uint32_t dfsc__tree_server_caps(const dfsc_tree *t); /* SMB2_GLOBAL_CAP_* negotiated */
uint32_t dfsc__tree_max_read(const dfsc_tree *t);
uint32_t dfsc__tree_max_write(const dfsc_tree *t);
uint32_t dfsc__tree_max_transact(const dfsc_tree *t);
const char *dfsc__tree_host(const dfsc_tree *t);
const char *dfsc__tree_share(const dfsc_tree *t);
/* Whether a and b are on one connection and session: a resume key taken on
 * an open of one serves a server-side copy on the other ([MS-SMB2]
 * 3.3.5.15.6 finds the source among the opens of the session). */
int dfsc__tree_same_session(const dfsc_tree *a, const dfsc_tree *b);
/* 0 once the connection's server signed a compounded reply wrongly: its
 * requests then go one at a time (verbs.c). */
int dfsc__tree_compounds(const dfsc_tree *t);
/* Whether a READ on t may have its data spliced into a pipe: its answers
 * are neither encrypted nor signed, and its connection has not stopped
 * splicing (SPILLS_OFF). */
int dfsc__tree_splices(const dfsc_tree *t);
dfsc_loop *dfsc__tree_loop(const dfsc_tree *t);
const dfsc_logger *dfsc__tree_log(const dfsc_tree *t);

/* A hold keeps t (and its session and connection) from being closed when
 * idle, for as long as it lasts: an open file handle holds its tree for its
 * life. Holds nest; every hold is released exactly once, before
 * dfsc__sl_free (after dfsc__sl_shutdown is fine). The idle time starts at
 * the last release. Loop thread, or any one thread once the loop has
 * stopped for good. */
void dfsc__tree_hold(dfsc_tree *t);
void dfsc__tree_release(dfsc_tree *t);

/* ---- reconnect ---------------------------------------------------------- */
/* Waits until t (the same tree object, after its connection dropped) is
 * connected again: connection, session and tree connect are redone, retried
 * with a growing pause (100 ms doubling up to 2 s) while they fail for
 * reasons that may pass (refused, reset, timed out, name lookup), for at
 * most timeout_ms; an error that will not pass (authentication, a refused
 * share, shutdown) ends the wait at once. The tree is held meanwhile.
 * cb runs exactly once, never inside this call: err 0 (t is connected; its
 * generation has moved, so handles opened before must be reclaimed) or the
 * last attempt's error (DFSC_E_NTSTATUS with ntstatus). Loop thread. */
typedef struct dfsc_reconnect dfsc_reconnect;
struct dfsc_reconnect {
  void (*cb)(dfsc_reconnect *rc, int err, uint32_t ntstatus);
  void *data;
  /* private */
  dfsc_tree *tree;
  dfsc_tree_waiter tw;
  dfsc_timer timer;
  uint64_t deadline;
  unsigned tries;
  int err;
  uint32_t ntstatus;
  int active;
  dfsc_reconnect *next, *prev; /* the layer's waits, ended by dfsc__sl_shutdown */
};
int dfsc__tree_reconnect(dfsc_tree *t, dfsc_reconnect *rc, unsigned timeout_ms);
/* Ends a wait without its callback (the owner goes away). */
void dfsc__tree_reconnect_cancel(dfsc_reconnect *rc);
/* Whether err is the loss of a connection (the request may or may not
 * have reached the server) rather than an answer or a local failure. */
int dfsc__err_conn_lost(int err);

/* ---- leases ([MS-SMB2] 3.2.5.19.2) ------------------------------------- */
/* A lease held on t's connection. The session layer keeps it in a table by
 * key, follows the server's breaks (state lowered, epoch) and acknowledges
 * them on the tree the lease was taken on, at once (dfsc holds no dirty data
 * in the library). Breaks for keys not in the table, or that would raise a
 * state, are dropped, logged and counted. Loop thread. */
typedef struct dfsc_lease dfsc_lease;
/* Registers key on t with the granted state; returns the lease or NULL
 * (memory). The lease outlives drops of the connection (a reclaim renews
 * it) and is freed by dfsc__lease_free or with the layer. */
dfsc_lease *dfsc__lease_new(dfsc_tree *t, const uint8_t key[16], uint32_t state,
                            uint16_t epoch);
void dfsc__lease_free(dfsc_lease *l);
/* The state now held (SMB2_LEASE_* bits), and how many breaks it has seen. */
uint32_t dfsc__lease_state(const dfsc_lease *l);
uint32_t dfsc__lease_breaks(const dfsc_lease *l);
const uint8_t *dfsc__lease_key(const dfsc_lease *l); /* 16 bytes */
/* A reclaim or reopen granted state again. */
void dfsc__lease_set(dfsc_lease *l, uint32_t state, uint16_t epoch);
/* The owner's word on a break: cb(l, data, old_state, new_state, token)
 * runs on the loop thread before the acknowledgement; returning 1 defers
 * it until dfsc__lease_ack(sl, token) (the owner drops what it cached
 * first, on another thread), bounded: after DFSC_LEASE_ACK_MAX_MS the
 * layer acknowledges anyway (logged, counted). Returning 0 acknowledges
 * at once. */
#define DFSC_LEASE_ACK_MAX_MS 5000u
typedef int (*dfsc_lease_break_fn)(dfsc_lease *l, void *data, uint32_t old_state,
                                   uint32_t new_state, uint64_t token, int ack_required);
void dfsc__lease_on_break(dfsc_lease *l, dfsc_lease_break_fn cb, void *data);
/* Sends the acknowledgement deferred under token (0, or -ENOENT when it
 * went already: the bound passed, the lease was freed or its connection
 * dropped). Loop thread. */
int dfsc__lease_ack(dfsc_sl *sl, uint64_t token);
/* ---- requests --------------------------------------------------------- */
/* Response callback. err 0: pdu/len is the response PDU (header included,
 * for a compound only this request's slice) and h its decoded header; the
 * server's status is h->status, which may be an error. err < 0: no response
 * (timeout, connection loss, signature failure...), pdu NULL.
 * The request is freed after the callback returns; pdu is valid only during
 * the callback. */
typedef void (*dfsc_req_cb)(dfsc_req *r, int err, const dfsc_smb2_hdr *h,
                            const uint8_t *pdu, size_t len);

struct dfsc_req {
  dfsc_req_cb cb;
  void *data;
  dfsc_wr w; /* body encoder: offset 0 is the header, w.off starts at 64 */
  uint16_t command;
  uint32_t payload;  /* bytes this request moves (READ / WRITE / listing), for
                        the credit charge; 0 for small requests */
  const void *extra; /* optional data sent after the body without a copy */
  size_t extra_len;
  uint32_t hdr_flags; /* e.g. SMB2_FLAGS_DFS_OPERATIONS */
  /* READ: where its data belongs. On an encrypted session the session
   * layer may decrypt it straight there and set rdst_done (then the data
   * the callback sees in the PDU is not to be used). */
  uint8_t *rdst;
  size_t rdst_cap;
  int rdst_done;
  /* READ: or into a pipe (its two ends; NULL: none), where the data of a
   * clear answer nothing signs is spliced from the socket (rdst_done set
   * then; otherwise the data is in the PDU as usual). */
  const int *rpipe;
  /* private */
  dfsc_conn *conn;
  dfsc_sess *sess;
  uint32_t tree_id;
  uint64_t mid;
  uint64_t async_id;
  unsigned interims; /* interim responses seen */
  int probed;        /* past its deadline, waiting for an ECHO to tell why */
  uint16_t charge;
  uint16_t held; /* of the charge, what still counts as in flight (c->charged) */
  int state;
  int related; /* part of a compound, not the first */
  int sign;
  int encrypt;        /* sent inside a TRANSFORM_HEADER (the whole compound) */
  uint8_t *sealed;    /* first of a chain: the encrypted frame being sent */
  dfsc_req *next;     /* credit wait queue / free chain */
  dfsc_req *hnext;    /* pending table chain */
  dfsc_req *compound; /* next request of the same compound */
  int sending;        /* its bytes are still queued in the transport */
  int zombie;         /* finished while sending: freed when the send ends */
  size_t pdu_len;     /* header + body (+ padding inside a compound) */
  dfsc_timer timer;
  unsigned timeout_ms; /* its deadline; 0: the context's request_timeout_ms */
  dfsc_tcp_msg msg;
  dfsc_tree *tree; /* sent by dfsc__tree_send: keeps the tree busy */
  int sess_held;   /* counted in its session's requests (sess stays alive) */
  uint8_t buf[];   /* header + body */
};

/* Allocates a request for `command` with room for body_cap body bytes. */
dfsc_req *dfsc__req_new(uint16_t command, size_t body_cap);
void dfsc__req_free(dfsc_req *r);

/* Sends n requests on tree t, as one compound when n > 1 (related: later
 * requests use the FileId of the first CREATE via the all-ones FileId).
 * On 0 the requests belong to the layer and each callback runs exactly once,
 * never inside this call; on error none runs and the caller still owns (and
 * frees) the requests. A request with `extra` data cannot be part of a
 * compound, and when it is signed its body must end on a 16-byte block
 * after the header (the signature covers body and extra in two parts). */
int dfsc__tree_send(dfsc_tree *t, dfsc_req **reqs, int n);

/* The connection's current credit balance (tests, stats). */
uint32_t dfsc__tree_credits(const dfsc_tree *t);
/* The most credits one request may be charged on t's connection (what the
 * server has granted in all, at least 1): callers size reads and writes by
 * it, since a request needing more could never be sent. */
uint32_t dfsc__tree_max_charge(const dfsc_tree *t);
/* Credits a request submitted now can use at once: the balance when no
 * request waits for credits, else 0. */
uint32_t dfsc__tree_room(const dfsc_tree *t);
/* The SMB2_ENCRYPTION_* cipher protecting requests on t, 0 when they go in
 * the clear. */
uint16_t dfsc__tree_cipher(const dfsc_tree *t);

#endif
