/* The Windows Server 2003 DFS client's design, as a model (docs/progress.md):
 * every first-time access posts a work item to one fixed pool of W worker
 * threads, unthrottled. A worker handling an access needs the transport
 * connection; the redirector completes that connection by posting a work
 * item to the same pool, and the accessing worker waits for it.
 * With N >= W accesses, spin must find the deadlock: every worker waits for
 * the connection, and the item that would complete it has no worker.
 * A model that cannot find this known bug proves nothing. */

#ifndef N
#define N 3 /* first-time accesses */
#endif
#ifndef W
#define W 2 /* worker threads */
#endif

mtype = { ACCESS, CONN_DONE };

chan pool = [N + 1] of { mtype };   /* the work queue: unthrottled */
bool connected = false;
bool conn_posted = false;
byte finished = 0;

active [W] proctype worker() {
  mtype item;
end_idle:
  do
  :: pool ? item ->
     if
     :: item == ACCESS ->
        /* Needs the connection. The first one asks the redirector, which
         * completes it on the pool. */
        atomic {
          if
          :: !conn_posted -> conn_posted = true; pool ! CONN_DONE
          :: else -> skip
          fi
        }
        (connected);  /* the worker thread blocks here */
        finished++
     :: item == CONN_DONE ->
        connected = true
     fi
  od
}

active [N] proctype access() {
  pool ! ACCESS
}

/* Every access must finish: spin reports the deadlock as an invalid end
 * state (workers blocked at (connected), CONN_DONE queued). */
