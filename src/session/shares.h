/* A server's share listing: srvsvc NetrShareEnum over DCE/RPC on the
 * IPC$ pipe "srvsvc" ([MS-SRVS] 3.1.4.8, [MS-RPCE] 2.1.1.2, [MS-SMB2]
 * 3.2.4.20.4), the listing of `smbclient -L` and of Explorer.
 *
 * One enumeration is a state machine with an explicit state:
 *   OPEN (CREATE srvsvc) -> BIND (BIND / BIND_ACK through a pipe
 *   transaction) -> CALL (the REQUEST, then pipe READs until the last
 *   fragment of the RESPONSE; again with the resume handle while the server
 *   says ERROR_MORE_DATA) -> CLOSE (whenever the pipe was opened) -> DONE.
 * Every step is one request with its deadline, and every count is bounded:
 * DFSC_SHARES_ROUNDS calls, DFSC_SRVSVC_MAX_SHARES shares in all,
 * DFSC_SHARES_STUB_MAX bytes of one answer, DFSC_SHARES_FRAGS fragments of
 * it. The answer's pipe reads each bring at least one byte, and what they
 * bring is bounded by the answer's size, so the reads are bounded too.
 *
 * Loop thread only. Does not: find the server or its IPC$ tree (the caller
 * gives the tree), convert names to UTF-8, retry, or authenticate at the
 * RPC level (the SMB2 session is the identity).
 */
#ifndef DFSC_SESSION_SHARES_H
#define DFSC_SESSION_SHARES_H

#include <stddef.h>
#include <stdint.h>

#include "session/sl.h"
#include "session/verbs.h"

#define DFSC_SHARES_ROUNDS 1000u                /* NetrShareEnum calls of one listing */
#define DFSC_SHARES_STUB_MAX ((size_t)16 << 20) /* bytes of one call's answer */
#define DFSC_SHARES_FRAGS 65536u                /* fragments of one call's answer */

/* One share as the server sent it: name and remark are UTF-16LE (checked
 * for length only), valid during the entry callback. */
typedef struct dfsc_share_ent {
  const uint8_t *name;
  size_t name_len;       /* bytes */
  const uint8_t *remark; /* NULL: none */
  size_t remark_len;
  uint32_t type; /* [MS-SRVS] 2.2.2.4: STYPE_* in the low byte, plus flags */
} dfsc_share_ent;

/* A negative return stops the listing with that error. */
typedef int (*dfsc_share_entry_fn)(void *arg, const dfsc_share_ent *s);

enum dfsc_shares_state {
  DFSC_SHARES_IDLE,
  DFSC_SHARES_OPEN,
  DFSC_SHARES_BIND,
  DFSC_SHARES_CALL,
  DFSC_SHARES_CLOSE,
  DFSC_SHARES_DONE
};

typedef struct dfsc_shares dfsc_shares;
struct dfsc_shares {
  /* Set by the caller. err 0: every share went to entry. DFSC_E_NTSTATUS:
   * the server refused a step with ntstatus (STATUS_OBJECT_NAME_NOT_FOUND:
   * no srvsvc pipe). -EACCES: the server refused the listing (an RPC fault
   * or a NET_API_STATUS of ERROR_ACCESS_DENIED). DFSC_E_UNSUPPORTED: the
   * server would not bind srvsvc. DFSC_E_PROTO / DFSC_E_TOOBIG: a bad or
   * oversized answer; `why` names what was wrong (a static string), and
   * the listing logged it at WARN. Runs once, never inside
   * dfsc__shares_start. */
  void (*cb)(dfsc_shares *e, int err, uint32_t ntstatus);
  void *data;
  /* results */
  const char *why;     /* for DFSC_E_PROTO, DFSC_E_TOOBIG, DFSC_E_UNSUPPORTED, -EIO */
  uint32_t fault;      /* an RPC fault's status, 0: none */
  uint32_t api_status; /* the last NET_API_STATUS */
  uint32_t total;      /* shares delivered */
  /* private */
  enum dfsc_shares_state state;
  dfsc_tree *tree;
  char *server;
  dfsc_share_entry_fn entry;
  void *entry_arg;
  dfsc_verb v;
  dfsc_smb2_fid fid;
  int have_fid;
  int err;
  uint32_t status;
  int stop_err; /* dfsc__shares_stop: end at the next step with this */
  uint32_t call_id;
  uint32_t resume;
  unsigned rounds;
  unsigned frags;
  unsigned reads; /* pipe reads of this call's answer */
  uint8_t *in;    /* what the pipe gave and was not yet taken as PDUs */
  size_t in_len;
  int more;      /* the last pipe answer said the message goes on */
  uint8_t *stub; /* the answer's stub so far */
  size_t stub_len, stub_cap;
  uint8_t out[1024]; /* the PDU sent (a REQUEST with a 255-byte name fits) */
};

/* Lists the shares of the server of ipc (a tree on its IPC$ share), for
 * ServerName "\\server". 0, or a negative code (then no callback). */
int dfsc__shares_start(dfsc_shares *e, dfsc_tree *ipc, const char *server,
                       dfsc_share_entry_fn entry, void *arg);
/* Asks the listing to end with err at its next step (after closing the
 * pipe when it is open); the request out answers first, within its
 * deadline. */
void dfsc__shares_stop(dfsc_shares *e, int err);

#endif
