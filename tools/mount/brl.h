/* POSIX record locks and flock(2) locks over SMB2 byte-range locks: the
 * table of what this mount holds on one file, and the plan that turns a
 * POSIX request into SMB2 LOCK and unlock requests.
 *
 * POSIX locks belong to a process (the FUSE lock owner) and to the whole
 * file; a new lock replaces what its owner held on the range (an upgrade,
 * a downgrade, a split), and an unlock may cut a lock in two. SMB2 locks
 * belong to a handle and are released only as locked ([MS-SMB2] 3.3.5.14:
 * an unlock names an existing range exactly), and an exclusive lock
 * conflicts with the same handle's locks too. So the table keeps, per
 * owner, non-overlapping ranges each held on the server as one SMB2 lock,
 * and a request becomes: unlock the owner's ranges it touches, lock the
 * new range, lock again the parts of the old ranges outside it (at most
 * two: the owner's ranges do not overlap). flock locks are whole-file
 * locks owned by the open file, kept apart from POSIX ones.
 *
 * One departure: an owner's ranges are kept per handle (open file), and a
 * request changes only those of the handle it came through, as cifs.ko
 * does, since every step must go through a handle the request holds
 * open. A process that locks through one descriptor and unlocks through
 * another of the same file leaves the first lock until that descriptor
 * is closed.
 *
 * Pure: no I/O, no locking, no libfuse. Does not: talk to the server or
 * wait.
 */
#ifndef DFSC_MOUNT_BRL_H
#define DFSC_MOUNT_BRL_H

#include <stddef.h>
#include <stdint.h>

/* The end of "to the end of the file" (l_len 0): SMB ranges are 64-bit
 * unsigned, POSIX offsets signed, so the end is INT64_MAX. */
#define DFSC_BRL_EOF ((uint64_t)INT64_MAX)
/* Ranges one file's table holds at most; a request past it gets ENOLCK. */
#define DFSC_BRL_MAX 4096

struct dfsc__brl {
  uint64_t owner;
  uintptr_t fh;        /* the handle it is held through on the server */
  uint64_t start, end; /* inclusive */
  int excl;
  int flock;
  uint32_t pid; /* of the process that took it, for F_GETLK */
  struct dfsc__brl *next;
};

/* What one request asks (type: 0 unlock, 1 shared, 2 exclusive). */
struct dfsc__brl_req {
  uint64_t owner;
  uintptr_t fh;
  uint64_t start, end;
  int type;
  int flock;
  uint32_t pid;
};

#define DFSC_BRL_PLAN_OLD_MAX 64 /* an owner's ranges one request may touch */

/* The SMB steps of one request, in order: unlock each old[i], then (lock
 * requests) lock `want`, then lock rem[0..nrem). When the lock of want
 * fails, old[] are locked again as they were (best effort) and the
 * request fails. */
struct dfsc__brl_plan {
  struct dfsc__brl old[DFSC_BRL_PLAN_OLD_MAX];
  size_t nold;
  int has_want;
  struct dfsc__brl want;
  struct dfsc__brl rem[2];
  size_t nrem;
  int noop; /* the owner holds exactly this already: nothing to send */
};

/* The entry of another owner (same kind: POSIX or flock) that conflicts
 * with req, or NULL. Two shared locks never conflict. */
const struct dfsc__brl *dfsc__brl_conflict(const struct dfsc__brl *table,
                                           const struct dfsc__brl_req *req);

/* Plans req against the table. Returns 0, -EINVAL (end < start, bad
 * type) or -ENOLCK (the owner's ranges it touches exceed
 * DFSC_BRL_PLAN_OLD_MAX, or the table would exceed DFSC_BRL_MAX). */
int dfsc__brl_plan(const struct dfsc__brl *table, size_t n, const struct dfsc__brl_req *req,
                   struct dfsc__brl_plan *p);

/* Applies a carried-out plan to *table (n entries, updated): removes the
 * old entries, adds want when want_ok and each rem[i] whose lock
 * succeeded (rem_ok bit i). When the want lock failed, old_back bit i says
 * old[i] was locked again (it stays). Returns 0 or -ENOMEM. */
int dfsc__brl_apply(struct dfsc__brl **table, size_t *n, const struct dfsc__brl_plan *p,
                    int want_ok, unsigned rem_ok, uint64_t old_back);

/* Removes every entry held through handle fh (its close released them on
 * the server); returns how many. */
size_t dfsc__brl_drop_fh(struct dfsc__brl **table, size_t *n, uintptr_t fh);

/* Frees the table. */
void dfsc__brl_free(struct dfsc__brl **table, size_t *n);

#endif
