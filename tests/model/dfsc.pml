/* dfsc's scheduler, as a model (docs/progress.md): callers submit and wait
 * on their own completion; one loop process owns all protocol state and
 * never blocks except to take its next event; a lookup lane of L workers
 * does only name lookups and hands results back without waiting; the
 * network answers requests. Work classes have their own budgets: at most
 * D referral requests and C connection setups in flight, the rest wait in
 * FIFOs that hold no thread. Connection setup and referrals are single
 * flight: one per server / per link.
 *
 * Checked by spin for small bounds: no invalid end state (every access
 * completes), and every queue stays within its bound (assertions). */

#ifndef N
#define N 4 /* first-time accesses (callers) */
#endif
#ifndef S
#define S 2 /* servers (connection setups) */
#endif
#ifndef K
#define K 2 /* DFS links (referrals) */
#endif
#ifndef L
#define L 1 /* lookup lane workers */
#endif
#ifndef D
#define D 1 /* referrals in flight */
#endif
#ifndef C
#define C 1 /* connection setups in flight */
#endif

mtype = { SUBMIT, LOOKUP_DONE, CONNECTED, REFERRAL_DONE, OP_DONE };

/* Events to the loop: submissions, lane results and network answers. The
 * loop is the only reader; its bound is what the submission queue bounds.
 * BROKEN_HANDBACK is the negative control: lane jobs and results handed
 * over synchronously (a worker waits for the loop while the loop waits for
 * the worker) -- spin must find that deadlock, or the model proves nothing. */
#ifdef BROKEN_HANDBACK
chan events = [0] of { mtype, byte };
chan lane = [0] of { byte };
#else
chan events = [N + S + K + N] of { mtype, byte };
chan lane = [S] of { byte };          /* lookup jobs: at most one per server */
#endif
chan net = [S + K + N] of { mtype, byte }; /* requests on the wire */
chan reply[N] = [1] of { bool };      /* each caller's own completion */

/* Loop-owned state. */
byte conn_state[S];   /* 0 idle, 1 queued, 2 setting up, 3 ready */
byte ref_state[K];    /* 0 unknown, 1 queued, 2 in flight, 3 cached */
byte setups = 0, referrals = 0;
byte setup_q = 0, ref_q = 0;          /* FIFO lengths (the order does not
                                         matter for progress; their bounds do) */
byte op_waiting_conn[N];              /* which op waits for which server+1 */
byte op_waiting_ref[N];               /* which op waits for which link+1 */

active [L] proctype lane_worker() {
  byte s;
end_idle:
  do
  :: lane ? s -> events ! LOOKUP_DONE, s  /* never waits for the loop */
  od
}

active proctype network() {
  mtype m;
  byte x;
end_idle:
  do
  :: net ? m, x -> events ! m, x
  od
}

inline start_setup(s) {
  assert(setups < C);
  setups++;
  conn_state[s] = 2;
  lane ! s
}

inline start_referral(k) {
  assert(referrals < D);
  referrals++;
  ref_state[k] = 2;
  net ! REFERRAL_DONE, k
}

/* An op on link k (server k % S): needs the link's referral, then the
 * server's connection, then one request. */
inline advance(i) {
  byte kk = i % K, ss = (i % K) % S;
  if
  :: ref_state[kk] != 3 ->
     op_waiting_ref[i] = kk + 1;
     if
     :: ref_state[kk] == 0 && referrals < D -> start_referral(kk)
     :: ref_state[kk] == 0 && referrals >= D -> ref_state[kk] = 1; ref_q++; assert(ref_q <= K)
     :: else -> skip  /* single flight: ride on the one in progress */
     fi
  :: ref_state[kk] == 3 && conn_state[ss] != 3 ->
     op_waiting_conn[i] = ss + 1;
     if
     :: conn_state[ss] == 0 && setups < C -> start_setup(ss)
     :: conn_state[ss] == 0 && setups >= C -> conn_state[ss] = 1; setup_q++; assert(setup_q <= S)
     :: else -> skip
     fi
  :: ref_state[kk] == 3 && conn_state[ss] == 3 ->
     net ! OP_DONE, i
  fi
}

active proctype loop() {
  mtype m;
  byte x, i, j;
end_idle:
  do
  :: events ? m, x ->
     if
     :: m == SUBMIT -> advance(x)
     :: m == LOOKUP_DONE -> net ! CONNECTED, x  /* connect, negotiate, auth... */
     :: m == CONNECTED ->
        conn_state[x] = 3;
        setups--;
        /* a queued setup takes the slot */
        j = 0;
        do
        :: j < S && conn_state[j] == 1 -> setup_q--; start_setup(j); break
        :: j < S && conn_state[j] != 1 -> j++
        :: j >= S -> break
        od;
        i = 0;
        do
        :: i < N && op_waiting_conn[i] == x + 1 -> op_waiting_conn[i] = 0; advance(i); i++
        :: i < N && op_waiting_conn[i] != x + 1 -> i++
        :: i >= N -> break
        od
     :: m == REFERRAL_DONE ->
        ref_state[x] = 3;
        referrals--;
        j = 0;
        do
        :: j < K && ref_state[j] == 1 -> ref_q--; start_referral(j); break
        :: j < K && ref_state[j] != 1 -> j++
        :: j >= K -> break
        od;
        i = 0;
        do
        :: i < N && op_waiting_ref[i] == x + 1 -> op_waiting_ref[i] = 0; advance(i); i++
        :: i < N && op_waiting_ref[i] != x + 1 -> i++
        :: i >= N -> break
        od
     :: m == OP_DONE -> reply[x] ! true
     fi
  od
}

/* Callers: submit, then wait on their own completion (the sync API). */
proctype caller(byte i) {
  bool ok;
  events ! SUBMIT, i;
  reply[i] ? ok
}

init {
  byte i;
  atomic {
    i = 0;
    do
    :: i < N -> run caller(i); i++
    :: i >= N -> break
    od
  }
}
