/* The DFS walk of one operation ([MS-DFSC] 3.1.4.1, 3.1.5): from a DFS path
 * to a connected tree and the name to use on it, as an explicit state
 * machine with one set_state() that traces every change.
 *
 *   RESOLVE --(nothing cached, \X\SYSVOL or \X\NETLOGON)--> DOMAIN / DC /
 *       SYSVOL referral (every DC of the domain in order) --> RESOLVE
 *   RESOLVE --(expired entry)--> REFRESH --> RESOLVE
 *   RESOLVE --> CONNECT (tree connect to the target chosen)
 *   CONNECT --(a DFS root with nothing cached)--> ROOT_PROBE --> RESOLVE
 *   CONNECT --> READY (the caller runs its verb on w->tree)
 *   READY --(STATUS_PATH_NOT_COVERED from a root)--> LINK_REFERRAL --> RESOLVE
 *   READY/CONNECT --(BAD_NETWORK_NAME, no entry)--> ROOT_REFERRAL --> RESOLVE
 *   READY/CONNECT --(target unreachable)--> failover --> RESOLVE
 *   any --> FAILED
 * Failover names the target that failed; the entry's hint moves only while
 * it still names it (dfsc__dfs_failover), and the walk remembers which
 * targets of the entry it tried. Every walk is bounded: DFSC_DFS_HOPS_MAX
 * link referrals, DFSC_DFS_TARGETS_MAX failovers, three domain steps plus
 * one per DC, one refresh, one root probe or root referral.
 *
 * Loop thread only. Does not: build file requests, own the operation's
 * deadline (the caller ends the walk by not calling it again).
 */
#ifndef DFSC_DFS_WALK_H
#define DFSC_DFS_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "core/log.h"
#include "dfs/resolver.h"
#include "session/sl.h"

enum dfsc_walk_state {
  DFSC_WALK_IDLE,
  DFSC_WALK_RESOLVE,
  DFSC_WALK_DOMAIN,
  DFSC_WALK_DC,
  DFSC_WALK_SYSVOL,
  DFSC_WALK_REFRESH,
  DFSC_WALK_CONNECT,
  DFSC_WALK_ROOT_PROBE,
  DFSC_WALK_ROOT_REFERRAL,
  DFSC_WALK_LINK_REFERRAL,
  DFSC_WALK_READY,
  DFSC_WALK_FAILED
};

typedef struct dfsc_walk dfsc_walk;
struct dfsc_walk {
  /* Set by the caller before dfsc__walk_start; strings stay the caller's
   * and alive until the walk is cleared. */
  dfsc_dfs *dfs;
  dfsc_sl *sl;
  const dfsc_logger *log;
  const char *path;        /* "\host\share\rest" */
  const char *newpath;     /* a rename's target, same form; NULL: none */
  uint16_t port;           /* the port the user named for path's host; 0: default */
  const dfsc_sl_creds *cr; /* NULL: the default identity */
  /* err 0: READY, w->tree and w->name (w->newname) are set. Otherwise the
   * walk failed for good with err (ntstatus for DFSC_E_NTSTATUS). May run
   * inside dfsc__walk_start and dfsc__walk_retry. */
  void (*cb)(dfsc_walk *w, int err, uint32_t ntstatus);
  void *data;
  /* results */
  dfsc_tree *tree;
  char *name;    /* what to send on w->tree: the DFS path below a root, else
                    share-relative */
  char *newname; /* the same for newpath */
  char *target;  /* "\host\share\rest" the walk ended at */
  /* private */
  enum dfsc_walk_state state;
  unsigned hops;      /* STATUS_PATH_NOT_COVERED rounds */
  unsigned failovers; /* in all, bounded by DFSC_DFS_TARGETS_MAX */
  uint64_t tried;     /* targets of the tprefix entry this walk tried */
  size_t tidx;        /* the index of the target chosen there */
  char *tprefix;      /* the entry that chose the target ("" for none) */
  int refreshed;
  int rootref;           /* a root probe or root referral was tried */
  int dstep;             /* domain steps done: 1 domain, 2 DC, 3 SYSVOL */
  size_t dcs_tried;      /* SYSVOL referrals sent (one per DC, in order) */
  uint32_t saved_status; /* the tree connect's refusal while a root referral runs */
  dfsc_dfs_req q;
  dfsc_tree_waiter tw;
};

/* Starts the walk (state IDLE). Returns 0; the callback then runs once per
 * READY or FAILED. */
int dfsc__walk_start(dfsc_walk *w);
/* The caller's request on w->tree failed with err/ntstatus. Returns 1 when
 * the walk goes on (a referral, another target: the callback runs again),
 * 0 when that error is the operation's. */
int dfsc__walk_retry(dfsc_walk *w, int err, uint32_t ntstatus);
/* Frees the results and the walk's strings (not while a callback is due). */
void dfsc__walk_clear(dfsc_walk *w);
const char *dfsc__walk_state_name(enum dfsc_walk_state s);

#endif
