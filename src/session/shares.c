/* A server's share listing over the srvsvc pipe: see shares.h. */
#include "session/shares.h"

#include <errno.h>
#include <string.h>

#include "core/alloc.h"
#include "core/log.h"
#include "dfsc/dfsc.h"
#include "smb2/srvsvc.h"

#define IN_CAP ((size_t)131072) /* a partial PDU (< 64 KiB) and one read */
#define READ_MAX ((size_t)65536)
#define PDU_MAX 65535u /* FragLength is 16 bits ([C706] 12.6.3.1) */

static const char *const state_names[] = {"idle", "open", "bind", "call", "close", "done"};

static void set_state(dfsc_shares *e, enum dfsc_shares_state s) {
  DFSC_DBG(dfsc__tree_log(e->tree), DFSC_CAT_SMB2, "%s: share listing: %s -> %s", e->server,
           state_names[e->state], state_names[s]);
  e->state = s;
}

static void verb_cb(dfsc_verb *v, int err, uint32_t st);

static void finish(dfsc_shares *e) {
  dfsc__free(e->in);
  dfsc__free(e->stub);
  e->in = e->stub = NULL;
  set_state(e, DFSC_SHARES_DONE);
  if (e->why != NULL && e->err == DFSC_E_PROTO)
    dfsc__complain(dfsc__tree_log(e->tree), DFSC_LOG_WARN, DFSC_CAT_SMB2, e->server,
                   e->why);
  else if (e->why != NULL &&
           (e->err == DFSC_E_TOOBIG || e->err == DFSC_E_UNSUPPORTED || e->err == -EIO))
    DFSC_WARN(dfsc__tree_log(e->tree), DFSC_CAT_SMB2, "%s: share listing: %s", e->server,
              e->why);
  dfsc__free(e->server);
  e->server = NULL;
  e->cb(e, e->err, e->status);
}

/* The end of the listing with err (the first error stays): the pipe is
 * closed first when it is open. */
static void fail(dfsc_shares *e, int err, uint32_t st, const char *why) {
  int rc;
  if (e->err == 0 && err < 0) {
    e->err = err;
    e->status = st;
    if (why != NULL)
      e->why = why;
  }
  if (e->have_fid) {
    e->have_fid = 0;
    set_state(e, DFSC_SHARES_CLOSE);
    rc = dfsc__verb_close(&e->v, e->tree, &e->fid);
    if (rc == 0)
      return;
    /* Not sent: the server drops the open with the session or tree. */
  }
  finish(e);
}

static void pipe_read(dfsc_shares *e) {
  size_t cap = IN_CAP - e->in_len;
  int rc;
  if (cap > READ_MAX)
    cap = READ_MAX;
  e->reads++;
  rc = dfsc__verb_pipe_read(&e->v, e->tree, &e->fid, e->in + e->in_len, cap);
  if (rc < 0)
    fail(e, rc, 0, NULL);
}

static void call(dfsc_shares *e) {
  dfsc_wr w;
  int rc;
  if (e->stop_err < 0) {
    fail(e, e->stop_err, 0, NULL);
    return;
  }
  dfsc__wr_init(&w, e->out, sizeof(e->out));
  e->call_id++;
  if (e->state == DFSC_SHARES_BIND) {
    rc = dfsc__rpc_bind_encode(&w, e->call_id);
  } else {
    e->rounds++;
    e->frags = 0;
    e->reads = 0;
    e->stub_len = 0;
    rc = dfsc__srvsvc_share_enum_encode(&w, e->call_id, e->server, e->resume);
  }
  if (rc == 0)
    rc =
        dfsc__verb_pipe_transceive(&e->v, e->tree, &e->fid, e->out, w.off, e->in, READ_MAX);
  if (rc < 0)
    fail(e, rc, 0, NULL);
}

static int stub_add(dfsc_shares *e, const uint8_t *p, size_t n, const char **why) {
  if (n > DFSC_SHARES_STUB_MAX - e->stub_len) {
    *why = "the answer is larger than 16 MiB";
    return DFSC_E_TOOBIG;
  }
  if (e->stub_len + n > e->stub_cap) {
    size_t cap = e->stub_cap ? e->stub_cap : 65536;
    uint8_t *s;
    while (cap < e->stub_len + n)
      cap *= 2;
    if (cap > DFSC_SHARES_STUB_MAX)
      cap = DFSC_SHARES_STUB_MAX;
    s = dfsc__realloc(e->stub, cap);
    if (s == NULL)
      return -ENOMEM;
    e->stub = s;
    e->stub_cap = cap;
  }
  if (n > 0)
    memcpy(e->stub + e->stub_len, p, n);
  e->stub_len += n;
  return 0;
}

/* The whole answer of one call is in: its shares go to the caller. Returns
 * 1 when another call follows (ERROR_MORE_DATA), 0 at the end, or a
 * negative code. */
static int answer(dfsc_shares *e, const char **why) {
  dfsc_srvsvc_enum en;
  dfsc_srvsvc_share s;
  int rc = dfsc__srvsvc_share_enum_decode(e->stub, e->stub_len, &en, why);
  if (rc < 0)
    return rc;
  e->api_status = en.status;
  if (en.status != 0 && en.status != DFSC_WERR_MORE_DATA) {
    if (en.status == DFSC_WERR_ACCESS_DENIED)
      return -EACCES;
    *why = "the server refused the listing (NET_API_STATUS not 0)";
    return -EIO;
  }
  if (en.count > DFSC_SRVSVC_MAX_SHARES - e->total) {
    *why = "more than 65,536 shares";
    return DFSC_E_TOOBIG;
  }
  while (dfsc__srvsvc_share_next(&en, &s)) {
    dfsc_share_ent se;
    se.name = s.name;
    se.name_len = s.name_len;
    se.remark = s.remark;
    se.remark_len = s.remark_len;
    se.type = s.type;
    e->total++;
    rc = e->entry(e->entry_arg, &se);
    if (rc < 0)
      return rc;
  }
  if (en.status != DFSC_WERR_MORE_DATA)
    return 0;
  /* More to come from where this answer left off; an answer that brings
   * nothing or no resume handle cannot move on. */
  if (en.count == 0 || !en.has_resume) {
    *why = "ERROR_MORE_DATA with no shares or no resume handle";
    return DFSC_E_PROTO;
  }
  if (e->rounds >= DFSC_SHARES_ROUNDS) {
    *why = "more than 1,000 calls";
    return DFSC_E_TOOBIG;
  }
  e->resume = en.resume;
  return 1;
}

/* Takes the whole PDUs at the start of e->in. Returns 1 when the step is
 * over (the next one started, or the listing ended), 0 when more bytes
 * are needed, or a negative code with *why. */
static int take(dfsc_shares *e, const char **why) {
  while (e->in_len >= DFSC_RPC_HDR_SIZE) {
    dfsc_rpc_pdu p;
    size_t flen = dfsc__le16(e->in + 8);
    const uint8_t *stub;
    size_t stub_len;
    uint32_t fault = 0;
    int rc;
    if (flen < DFSC_RPC_HDR_SIZE) {
      *why = "FragLength shorter than the header";
      return DFSC_E_PROTO;
    }
    if (e->in_len < flen)
      return 0;
    rc = dfsc__rpc_pdu_decode(e->in, flen, &p, why);
    if (rc < 0)
      return rc;
    if (p.call_id != e->call_id) {
      *why = "a PDU for another call_id";
      return DFSC_E_PROTO;
    }
    if (e->state == DFSC_SHARES_BIND) {
      uint16_t xmit, recv;
      rc = dfsc__rpc_bind_ack_decode(&p, &xmit, &recv, why);
      if (rc < 0)
        return rc;
      if (e->in_len != flen || e->more) {
        *why = "data after the BIND_ACK";
        return DFSC_E_PROTO;
      }
      e->in_len = 0;
      set_state(e, DFSC_SHARES_CALL);
      call(e);
      return 1;
    }
    rc = dfsc__rpc_response_decode(&p, &stub, &stub_len, &fault, why);
    if (rc == DFSC_E_NTSTATUS) {
      e->fault = fault;
      /* [MS-RPCE] 2.2.2.11 / [MS-ERREF] 2.2: 5 is ERROR_ACCESS_DENIED. */
      if (fault == 5)
        return -EACCES;
      *why = "the server answered with an RPC fault";
      return -EIO;
    }
    if (rc < 0)
      return rc;
    if (++e->frags > DFSC_SHARES_FRAGS) {
      *why = "more than 65,536 fragments";
      return DFSC_E_TOOBIG;
    }
    if (e->frags == 1 && !(p.flags & DFSC_RPC_PFC_FIRST_FRAG)) {
      *why = "the answer's first fragment lacks PFC_FIRST_FRAG";
      return DFSC_E_PROTO;
    }
    if (e->frags > 1 && (p.flags & DFSC_RPC_PFC_FIRST_FRAG)) {
      /* [C706] 12.6.3.1: only the first fragment of a PDU sets it. */
      *why = "a later fragment sets PFC_FIRST_FRAG";
      return DFSC_E_PROTO;
    }
    rc = stub_add(e, stub, stub_len, why);
    if (rc < 0)
      return rc;
    memmove(e->in, e->in + flen, e->in_len - flen);
    e->in_len -= flen;
    if (!(p.flags & DFSC_RPC_PFC_LAST_FRAG))
      continue;
    if (e->in_len != 0 || e->more) {
      *why = "data after the last fragment";
      return DFSC_E_PROTO;
    }
    DFSC_DBG(dfsc__tree_log(e->tree), DFSC_CAT_SMB2,
             "%s: share listing: call %u: %zu bytes in %u fragments, %u pipe reads",
             e->server, e->rounds, e->stub_len, e->frags, e->reads);
    rc = answer(e, why);
    if (rc < 0)
      return rc;
    if (rc == 1)
      call(e);
    else
      fail(e, 0, 0, NULL); /* done: close the pipe */
    return 1;
  }
  return 0;
}

static void verb_cb(dfsc_verb *v, int err, uint32_t st) {
  dfsc_shares *e = v->data;
  const char *why = NULL;
  int rc;
  switch (e->state) {
  case DFSC_SHARES_OPEN:
    if (err < 0) {
      fail(e, err, st, NULL);
      return;
    }
    e->fid = v->fid;
    e->have_fid = 1;
    e->in = dfsc__malloc(IN_CAP);
    if (e->in == NULL) {
      fail(e, -ENOMEM, 0, NULL);
      return;
    }
    set_state(e, DFSC_SHARES_BIND);
    call(e);
    return;
  case DFSC_SHARES_BIND:
  case DFSC_SHARES_CALL:
    if (err < 0) {
      fail(e, err, st, NULL);
      return;
    }
    /* A pipe that answers nothing to a read cannot finish the PDU. */
    if (v->nbytes == 0) {
      fail(e, DFSC_E_PROTO, 0, "the pipe gave no data while a PDU was incomplete");
      return;
    }
    e->in_len += v->nbytes;
    e->more = v->more;
    rc = take(e, &why);
    if (rc < 0) {
      fail(e, rc, 0, why);
      return;
    }
    if (rc == 0) {
      if (e->stop_err < 0)
        fail(e, e->stop_err, 0, NULL);
      else
        pipe_read(e);
    }
    return;
  case DFSC_SHARES_CLOSE:
    finish(e);
    return;
  default:
    return;
  }
}

int dfsc__shares_start(dfsc_shares *e, dfsc_tree *ipc, const char *server,
                       dfsc_share_entry_fn entry, void *arg) {
  void (*cb)(dfsc_shares *, int, uint32_t) = e->cb;
  void *data = e->data;
  int rc;
  if (cb == NULL || ipc == NULL || server == NULL || entry == NULL)
    return -EINVAL;
  memset(e, 0, sizeof(*e));
  e->cb = cb;
  e->data = data;
  e->tree = ipc;
  e->entry = entry;
  e->entry_arg = arg;
  e->server = dfsc__strdup(server);
  if (e->server == NULL)
    return -ENOMEM;
  e->v.cb = verb_cb;
  e->v.data = e;
  set_state(e, DFSC_SHARES_OPEN);
  /* [MS-SRVS] 2.1: the srvsvc endpoint is the pipe \PIPE\srvsvc, named
   * "srvsvc" in an SMB2 CREATE on IPC$. */
  rc = dfsc__verb_open(&e->v, ipc, "srvsvc", DFSC_O_RDWR);
  if (rc < 0) {
    dfsc__free(e->server);
    e->server = NULL;
    e->state = DFSC_SHARES_IDLE;
  }
  return rc;
}

void dfsc__shares_stop(dfsc_shares *e, int err) {
  if (e->stop_err == 0 && err < 0)
    e->stop_err = err;
}
