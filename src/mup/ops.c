/* File operations on full UNC paths: the public asynchronous API.
 *
 * Every operation is an `op` allocated by the calling thread and handed to
 * the loop with a post; from then on it lives on the loop thread:
 *   START -> (parse path) -> TREE (wait for the shared connection / session /
 *   tree, P4) -> ISSUE (one compound or a pipelined window of requests) ->
 *   DONE (user callback, then free).
 * The callback therefore never runs inside the starting call.
 *
 * Does not: resolve DFS referrals (the dfs layer plugs in at the TREE step),
 * block, or keep state between operations other than open handles.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/utf16.h"
#include "dfsc/dfsc.h"
#include "dfs/resolver.h"
#include "mup/ctx.h"
#include "mup/dfsinfo.h"
#include "mup/ops.h"
#include "mup/unc.h"
#include "smb2/close.h"
#include "smb2/create.h"
#include "smb2/fileinfo.h"
#include "smb2/flush.h"
#include "smb2/query_directory.h"
#include "smb2/query_info.h"
#include "smb2/read.h"
#include "smb2/set_info.h"
#include "smb2/write.h"

#define STATUS_END_OF_FILE 0xC0000011u
#define STATUS_NO_MORE_FILES 0x80000006u
#define STATUS_BUFFER_OVERFLOW 0x80000005u
#define STATUS_INVALID_PARAMETER 0xC000000Du
#define READ_CHUNK_MAX (1u << 20)
#define DIR_BUF_MAX (1u << 20)
#define DIR_ROUNDS_MAX 100000
#define DIR_BYTES_MAX ((size_t)256 << 20) /* memory one listing may hold */
#define DIR_DROP_LOG_MAX 8   /* dropped names logged one by one per listing */
#define DIR_DROP_ESC_MAX 200 /* an escaped dropped name in a log line */

enum op_kind {
  OP_OPEN,
  OP_READ,
  OP_WRITE,
  OP_FLUSH,
  OP_TRUNCATE,
  OP_SET_TIMES,
  OP_CLOSE,
  OP_STAT,
  OP_OPENDIR,
  OP_MKDIR,
  OP_UNLINK,
  OP_RMDIR,
  OP_RENAME,
  OP_DIALECT,
  OP_RESOLVE,
  OP_CACHE_INFO,
  OP_CACHE_FLUSH,
  OP_STATFS,
  OP_READ_FILE
};

static const char *const op_names[] = {"open",    "read",    "write",   "flush",  "truncate",
                                       "settimes", "close",  "stat",    "opendir", "mkdir",
                                       "unlink",  "rmdir",   "rename",  "dialect", "resolve",
                                       "cache",   "flush",   "statfs",  "readfile"};

/* A handle is reference-counted: one reference is the caller's (dropped
 * by dfsc_close_async, whatever it returns), one each operation's that
 * names it (dropped when the operation is freed). The last one frees it,
 * on whichever thread drops it; by then nothing else can reach it. */
struct dfsc_file {
  dfsc_ctx *ctx;
  dfsc_tree *tree;
  uint64_t gen;
  dfsc_smb2_fid fid;
  dfsc_stat_t st;
  char *path;
  int is_dir;
  atomic_uint refs;
  dfsc_file *hnext, *hprev; /* ctx->handles, under ctx->handles_mu */
};

struct dfsc_dir {
  dfsc_dirent *ents;
  size_t n, cap, pos;
  size_t bytes;               /* entries and names held */
  size_t page_start, page_n;  /* the previous page, to spot a server repeating it */
  size_t dropped;             /* names withheld (dir_add), logged or not */
};

typedef struct op op;
struct sub {
  op *o;
  int idx;
};

struct op {
  dfsc_ctx *ctx;
  enum op_kind kind;
  dfsc_post post;
  dfsc_tree_waiter tw;
  dfsc_tree *tree;
  char *path; /* as the user gave it, for messages */
  char *newpath;
  /* The DFS path ("\host\share\rest") the op works on, and the rename
   * target's; the identity named in an smb:// URL. */
  char *dfs_path;
  char *dfs_newpath;
  uint16_t port;
  dfsc_sl_creds cr;
  int has_cr;
  /* The current attempt: the resolved target, the cache entry that chose
   * it, the names sent on the wire, and the bounds of the walk. */
  char *target;
  char *tprefix;
  char *name;
  char *newname;
  unsigned hops;  /* STATUS_PATH_NOT_COVERED rounds */
  uint64_t tried; /* targets of the tprefix entry this walk tried */
  size_t tidx;    /* the index of the target it chose there */
  unsigned failovers; /* in all, bounded by DFSC_DFS_TARGETS_MAX */
  int refreshed;
  int dstep;      /* domain steps done: 1 domain, 2 DC, 3 SYSVOL referral */
  int rootref;    /* a root referral was tried after BAD_NETWORK_NAME */
  dfsc_dfs_req q;
  int flags;
  dfsc_file *file;
  uint8_t *buf;
  const uint8_t *cbuf;
  size_t len;
  uint64_t off;
  uint64_t size;
  dfsc_cb cb;
  void *arg;
  dfsc_result res;
  struct sub subs[4];
  dfsc_req *seq[3]; /* requests held back when compounding is not possible */
  int seq_n, seq_next;
  int dir_alone; /* the listing's CREATE went alone (too few credits) */
  int pending;     /* responses outstanding */
  int nsub;
  uint32_t status[4];
  int err;
  /* pipelined I/O */
  size_t issued;   /* bytes requested so far */
  size_t inflight; /* bytes in requests not yet answered */
  uint64_t eof_at; /* first offset known to be at or past EOF (UINT64_MAX: none) */
  size_t chunk;
  /* listing */
  dfsc_dir *dir;
  dfsc_smb2_fid fid;
  int have_fid;
  uint64_t gen;
  int rounds;
};

static void fail_or_retry(op *o, int err, uint32_t st);
static void issue(op *o);

/* ---- completion ------------------------------------------------------- */

static void file_track(dfsc_file *f) {
  dfsc_ctx *ctx = f->ctx;
  atomic_init(&f->refs, 1);
  pthread_mutex_lock(&ctx->handles_mu);
  f->hprev = NULL;
  f->hnext = ctx->handles;
  if (ctx->handles != NULL)
    ctx->handles->hprev = f;
  ctx->handles = f;
  pthread_mutex_unlock(&ctx->handles_mu);
}

static void file_ref(dfsc_file *f) {
  atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
}

static void file_free(dfsc_file *f) {
  dfsc__free(f->path);
  dfsc__free(f);
}

static void file_unref(dfsc_file *f) {
  dfsc_ctx *ctx = f->ctx;
  if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1)
    return;
  pthread_mutex_lock(&ctx->handles_mu);
  if (f->hprev != NULL)
    f->hprev->hnext = f->hnext;
  else
    ctx->handles = f->hnext;
  if (f->hnext != NULL)
    f->hnext->hprev = f->hprev;
  pthread_mutex_unlock(&ctx->handles_mu);
  file_free(f);
}

void dfsc__mup_handles_free(dfsc_ctx *ctx) {
  dfsc_file *f, *next;
  pthread_mutex_lock(&ctx->handles_mu);
  f = ctx->handles;
  ctx->handles = NULL;
  pthread_mutex_unlock(&ctx->handles_mu);
  for (; f != NULL; f = next) {
    next = f->hnext;
    file_free(f);
  }
}

static void op_free(op *o) {
  __atomic_sub_fetch(&o->ctx->live_ops, 1, __ATOMIC_ACQ_REL);
  if (o->file != NULL)
    file_unref(o->file);
  dfsc__free(o->path);
  dfsc__free(o->newpath);
  dfsc__free(o->dfs_path);
  dfsc__free(o->dfs_newpath);
  dfsc__free(o->target);
  dfsc__free(o->tprefix);
  dfsc__free(o->name);
  dfsc__free(o->newname);
  dfsc__free((char *)o->cr.user);
  dfsc__free((char *)o->cr.domain);
  dfsc__secret_free((char *)o->cr.password);
  dfsc__free(o);
}

static void op_done(op *o, int err, uint32_t ntstatus) {
  if (o->kind == OP_RESOLVE && o->ctx->dfs != NULL &&
      (err == 0 || (err == DFSC_E_NTSTATUS && (ntstatus == 0xC0000034u /* NAME_NOT_FOUND */ ||
                                               ntstatus == 0xC000003Au /* PATH_NOT_FOUND */)))) {
    /* The probe found the target, or found it empty: the chain resolved. */
    err = dfsc__mup_resolution(o->ctx->dfs, o->dfs_path, o->tree ? dfsc__tree_is_dfs(o->tree) : 0,
                               &o->res.resolution);
    ntstatus = 0;
  }
  o->res.err = err;
  o->res.ntstatus = err == DFSC_E_NTSTATUS ? ntstatus : 0;
  o->res.path = o->path;
  if (err < 0)
    DFSC_DBG(&o->ctx->log, DFSC_CAT_MUP, "%s %s: %s %s", op_names[o->kind],
             o->path ? o->path : "(handle)", dfsc_err_name(err),
             err == DFSC_E_NTSTATUS ? dfsc_ntstatus_name(ntstatus) : "");
  o->cb(&o->res, o->arg);
  op_free(o);
}

static void fill_stat(dfsc_stat_t *st, const dfsc_smb2_netopen *n) {
  st->size = n->end_of_file;
  st->alloc_size = n->allocation_size;
  st->attributes = n->attributes;
  st->is_dir = (n->attributes & SMB2_FILE_ATTRIBUTE_DIRECTORY) != 0;
  st->create_time = n->creation_time;
  st->access_time = n->last_access_time;
  st->write_time = n->last_write_time;
  st->change_time = n->change_time;
}

/* ---- request helpers --------------------------------------------------- */

static const dfsc_smb2_fid related_fid = {UINT64_MAX, UINT64_MAX};

static dfsc_req *new_create(op *o, uint32_t access, uint32_t disposition, uint32_t options) {
  dfsc_smb2_create_req cr;
  size_t nlen = strlen(o->name);
  dfsc_req *r = dfsc__req_new(SMB2_CREATE, 64 + 4 * nlen + 8);
  if (r == NULL)
    return NULL;
  memset(&cr, 0, sizeof(cr));
  cr.oplock_level = SMB2_OPLOCK_LEVEL_NONE;
  cr.impersonation = SMB2_IMPERSONATION_IMPERSONATION;
  cr.desired_access = access;
  cr.file_attributes = 0;
  cr.share_access = SMB2_FILE_SHARE_READ | SMB2_FILE_SHARE_WRITE | SMB2_FILE_SHARE_DELETE;
  cr.disposition = disposition;
  cr.options = options;
  cr.name = o->name;
  cr.name_len = nlen;
  if (dfsc__smb2_create_req_encode(&r->w, &cr) < 0) {
    dfsc__req_free(r);
    return NULL;
  }
  return r;
}

static dfsc_req *new_close(const dfsc_smb2_fid *fid) {
  dfsc_smb2_close_req cl;
  dfsc_req *r = dfsc__req_new(SMB2_CLOSE, 24);
  if (r == NULL)
    return NULL;
  memset(&cl, 0, sizeof(cl));
  cl.fid = *fid;
  if (dfsc__smb2_close_req_encode(&r->w, &cl) < 0) {
    dfsc__req_free(r);
    return NULL;
  }
  return r;
}

static dfsc_req *new_set_info(const dfsc_smb2_fid *fid, uint8_t cls, const uint8_t *buf,
                              size_t len) {
  dfsc_smb2_set_info_req si;
  dfsc_req *r = dfsc__req_new(SMB2_SET_INFO, 32 + len + 8);
  if (r == NULL)
    return NULL;
  memset(&si, 0, sizeof(si));
  si.info_type = SMB2_0_INFO_FILE;
  si.info_class = cls;
  si.fid = *fid;
  si.buf = buf;
  si.len = len;
  if (dfsc__smb2_set_info_req_encode(&r->w, &si) < 0) {
    dfsc__req_free(r);
    return NULL;
  }
  return r;
}

/* Sends n requests as one compound whose responses land in sub_cb. */
static void sub_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                   size_t len);

static int send_compound(op *o, dfsc_req **reqs, int n) {
  int i, rc;
  for (i = 0; i < n; i++) {
    if (reqs[i] == NULL) {
      rc = -ENOMEM;
      goto fail;
    }
  }
  o->nsub = n;
  o->pending = n;
  for (i = 0; i < n; i++) {
    o->subs[i].o = o;
    o->subs[i].idx = i;
    o->status[i] = 0;
    reqs[i]->cb = sub_cb;
    reqs[i]->data = &o->subs[i];
  }
  if (n > 1 && dfsc__tree_max_charge(o->tree) < (uint32_t)n) {
    /* The server grants too few credits for the compound: the same
     * requests go one after another, each later one carrying the FileId the
     * CREATE returned ([MS-SMB2] 3.2.4.1.4 only allows, never requires,
     * compounding). */
    for (i = 1; i < n; i++)
      o->seq[i - 1] = reqs[i];
    o->seq_n = n - 1;
    o->seq_next = 0;
    n = 1;
  }
  rc = dfsc__tree_send(o->tree, reqs, n);
  if (rc < 0)
    goto fail;
  return 0;
fail:
  for (i = 0; i < o->seq_n; i++)
    dfsc__req_free(o->seq[i]);
  o->seq_n = 0;
  for (i = 0; i < n; i++)
    dfsc__req_free(reqs[i]);
  return rc;
}

/* Writes fid into a request built for the related all-ones FileId. */
static void patch_fid(dfsc_req *r, const dfsc_smb2_fid *fid) {
  size_t at;
  switch (r->command) {
  case SMB2_QUERY_INFO:
    at = SMB2_HDR_SIZE + 24; /* [MS-SMB2] 2.2.37 */
    break;
  case SMB2_SET_INFO:
    at = SMB2_HDR_SIZE + 16; /* 2.2.39 */
    break;
  case SMB2_CLOSE:
  case SMB2_QUERY_DIRECTORY:
    at = SMB2_HDR_SIZE + 8; /* 2.2.15, 2.2.33 */
    break;
  case SMB2_READ:
    at = SMB2_HDR_SIZE + 16; /* 2.2.19 */
    break;
  default:
    return;
  }
  dfsc__put_le64(r->buf + at, fid->persistent);
  dfsc__put_le64(r->buf + at + 8, fid->volatile_);
}

/* Sequential mode: after each answer, the next request, or none after a
 * failed CREATE (a CLOSE still follows a later failure: the handle is open). */
static void seq_continue(op *o, int create_failed) {
  while (o->seq_next < o->seq_n) {
    dfsc_req *r = o->seq[o->seq_next++];
    int rc = -ECANCELED;
    if (!create_failed && o->have_fid) {
      patch_fid(r, &o->fid);
      rc = dfsc__tree_send(o->tree, &r, 1);
    }
    if (rc == 0)
      return;
    dfsc__req_free(r);
    o->pending--;
  }
}

static void ignore_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                      size_t len) {}

/* ---- per-kind response handling for compounds ---------------------------- */

static void compound_finished(op *o) {
  int i;
  if (o->err < 0) {
    fail_or_retry(o, o->err, 0);
    return;
  }
  /* The first failing step names the status; CLOSE after a failed CREATE
   * fails too and says nothing new. */
  for (i = 0; i < o->nsub; i++) {
    if (o->status[i] != 0 && (o->status[i] & 0xC0000000u) == 0xC0000000u) {
      fail_or_retry(o, DFSC_E_NTSTATUS, o->status[i]);
      return;
    }
  }
  if (o->kind == OP_OPEN) {
    dfsc_file *f = dfsc__calloc(1, sizeof(*f));
    if (f == NULL || (f->path = dfsc__strdup(o->path)) == NULL) {
      /* The handle is open on the server but cannot be tracked: close it,
       * without waiting for the answer. */
      dfsc_req *cl = new_close(&o->fid);
      dfsc__free(f);
      if (cl != NULL) {
        cl->cb = ignore_cb;
        if (dfsc__tree_send(o->tree, &cl, 1) < 0)
          dfsc__req_free(cl);
      }
      op_done(o, -ENOMEM, 0);
      return;
    }
    f->ctx = o->ctx;
    f->tree = o->tree;
    f->gen = dfsc__tree_gen(o->tree);
    f->fid = o->fid;
    f->st = o->res.st;
    f->is_dir = o->res.st.is_dir;
    file_track(f);
    o->res.file = f;
  }
  op_done(o, 0, 0);
}

static void sub_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                   size_t len) {
  struct sub *s = r->data;
  op *o = s->o;
  if (err < 0) {
    if (o->err == 0)
      o->err = err;
  } else {
    o->status[s->idx] = h->status;
    /* Reading at offset 0 of an empty file: no data, not a failure
     * ([MS-SMB2] 3.3.5.12). */
    if (h->command == SMB2_READ && h->status == STATUS_END_OF_FILE)
      o->status[s->idx] = 0;
    if (h->status == 0 || (h->command == SMB2_READ && h->status == STATUS_BUFFER_OVERFLOW)) {
      switch (h->command) {
      case SMB2_CREATE: {
        dfsc_smb2_create_rsp cr;
        if (dfsc__smb2_create_rsp_decode(pdu, len, &cr) < 0) {
          o->err = DFSC_E_PROTO;
          break;
        }
        o->fid = cr.fid;
        o->have_fid = 1;
        fill_stat(&o->res.st, &cr.info);
        break;
      }
      case SMB2_QUERY_INFO: {
        dfsc_smb2_query_info_rsp qr;
        dfsc_smb2_fi_all all;
        if (o->kind == OP_STATFS) {
          dfsc_smb2_fs_size fs;
          if (dfsc__smb2_query_info_rsp_decode(pdu, len, &qr) < 0 ||
              dfsc__smb2_fs_full_size_parse(qr.buf, qr.len, &fs) < 0) {
            o->err = DFSC_E_PROTO;
            break;
          }
          o->res.fs.block_size = (uint64_t)fs.sectors_per_unit * fs.bytes_per_sector;
          o->res.fs.blocks = fs.total_units;
          o->res.fs.blocks_free = fs.actual_available_units;
          o->res.fs.blocks_avail = fs.caller_available_units;
          break;
        }
        if (dfsc__smb2_query_info_rsp_decode(pdu, len, &qr) < 0 ||
            dfsc__smb2_fi_all_parse(qr.buf, qr.len, &all) < 0) {
          o->err = DFSC_E_PROTO;
          break;
        }
        o->res.st.size = all.standard.end_of_file;
        o->res.st.alloc_size = all.standard.allocation_size;
        o->res.st.attributes = all.basic.attributes;
        o->res.st.is_dir = all.standard.directory != 0 ||
                           (all.basic.attributes & SMB2_FILE_ATTRIBUTE_DIRECTORY) != 0;
        o->res.st.create_time = all.basic.creation_time;
        o->res.st.access_time = all.basic.last_access_time;
        o->res.st.write_time = all.basic.last_write_time;
        o->res.st.change_time = all.basic.change_time;
        o->res.st.file_id = all.index_number;
        break;
      }
      case SMB2_READ: {
        dfsc_smb2_read_rsp rr;
        /* The server's DataLength may not exceed what was asked for: that
         * is all the caller's buffer is known to hold. */
        if (o->kind != OP_READ_FILE || dfsc__smb2_read_rsp_decode(pdu, len, &rr) < 0 ||
            rr.data_len > o->chunk) {
          o->err = DFSC_E_PROTO;
          break;
        }
        if (rr.data_len > 0)
          memcpy(o->buf, rr.data, rr.data_len);
        o->res.nbytes = rr.data_len;
        break;
      }
      default:
        break;
      }
    }
  }
  if (o->seq_next < o->seq_n)
    seq_continue(o, err < 0 || (h->command == SMB2_CREATE && h->status != 0));
  if (--o->pending == 0)
    compound_finished(o);
}

/* ---- access and disposition from open flags --------------------------- */

#define ACCESS_READ                                                                      \
  (SMB2_FILE_READ_DATA | SMB2_FILE_READ_EA | SMB2_FILE_READ_ATTRIBUTES |                 \
   SMB2_READ_CONTROL | SMB2_SYNCHRONIZE)
#define ACCESS_WRITE                                                                     \
  (SMB2_FILE_WRITE_DATA | SMB2_FILE_APPEND_DATA | SMB2_FILE_WRITE_EA |                   \
   SMB2_FILE_WRITE_ATTRIBUTES)

static uint32_t open_access(int flags) {
  if (flags & DFSC_O_ATTRIBUTES)
    return SMB2_FILE_READ_ATTRIBUTES | SMB2_FILE_WRITE_ATTRIBUTES | SMB2_SYNCHRONIZE;
  switch (flags & DFSC_O_ACCMODE) {
  case DFSC_O_WRONLY:
    return ACCESS_WRITE | SMB2_FILE_READ_ATTRIBUTES | SMB2_SYNCHRONIZE;
  case DFSC_O_RDWR:
    return ACCESS_READ | ACCESS_WRITE;
  default:
    return ACCESS_READ;
  }
}

static uint32_t open_disposition(int flags) {
  if ((flags & DFSC_O_CREAT) && (flags & DFSC_O_EXCL))
    return SMB2_FILE_CREATE;
  if ((flags & DFSC_O_CREAT) && (flags & DFSC_O_TRUNC))
    return SMB2_FILE_OVERWRITE_IF;
  if (flags & DFSC_O_CREAT)
    return SMB2_FILE_OPEN_IF;
  if (flags & DFSC_O_TRUNC)
    return SMB2_FILE_OVERWRITE;
  return SMB2_FILE_OPEN;
}

/* ---- path operations ----------------------------------------------------- */

static int issue_path_op(op *o) {
  dfsc_req *reqs[3];
  uint8_t info[4096];
  dfsc_wr w;
  int rc;

  switch (o->kind) {
  case OP_OPEN: {
    uint32_t opts = (o->flags & DFSC_O_ATTRIBUTES)  ? 0
                    : (o->flags & DFSC_O_DIRECTORY) ? SMB2_FILE_DIRECTORY_FILE
                                                    : SMB2_FILE_NON_DIRECTORY_FILE;
    reqs[0] = new_create(o, open_access(o->flags), open_disposition(o->flags), opts);
    return send_compound(o, reqs, 1);
  }
  case OP_STAT:
  case OP_STATFS:
  case OP_RESOLVE: {
    dfsc_smb2_query_info_req qi;
    reqs[0] = new_create(o, SMB2_FILE_READ_ATTRIBUTES | SMB2_SYNCHRONIZE, SMB2_FILE_OPEN, 0);
    reqs[1] = dfsc__req_new(SMB2_QUERY_INFO, 48);
    if (reqs[1] != NULL) {
      memset(&qi, 0, sizeof(qi));
      /* [MS-SMB2] 2.2.37; FileFsFullSizeInformation is [MS-FSCC] 2.5.4. */
      qi.info_type = o->kind == OP_STATFS ? SMB2_0_INFO_FILESYSTEM : SMB2_0_INFO_FILE;
      qi.info_class = o->kind == OP_STATFS ? FILE_FS_FULL_SIZE_INFORMATION
                                            : FILE_ALL_INFORMATION;
      qi.output_buffer_length = 4096;
      qi.fid = related_fid;
      if (dfsc__smb2_query_info_req_encode(&reqs[1]->w, &qi) < 0) {
        dfsc__req_free(reqs[1]);
        reqs[1] = NULL;
      }
    }
    reqs[2] = new_close(&related_fid);
    return send_compound(o, reqs, 3);
  }
  case OP_READ_FILE: {
    dfsc_smb2_read_req rq;
    uint32_t mc = dfsc__tree_max_charge(o->tree);
    /* One READ carries at most the negotiated MaxReadSize and what its
     * credit charge allows: in a compound the CREATE and CLOSE take one
     * credit each. With fewer than 3 credits the requests go one by one
     * (send_compound) and the READ asks for one credit's worth: a server
     * that grants so few may hand back fewer still, and a request charged
     * more than the balance could then never go. */
    uint64_t by_credits = (uint64_t)(mc >= 3 ? mc - 2 : 1) * 65536;
    size_t n = o->len;
    if (n > dfsc__tree_max_read(o->tree))
      n = dfsc__tree_max_read(o->tree);
    if (n > by_credits)
      n = (size_t)by_credits;
    o->chunk = n;
    reqs[0] = new_create(o, ACCESS_READ, SMB2_FILE_OPEN, SMB2_FILE_NON_DIRECTORY_FILE);
    reqs[1] = dfsc__req_new(SMB2_READ, 56);
    if (reqs[1] != NULL) {
      memset(&rq, 0, sizeof(rq));
      rq.padding = SMB2_READ_DATA_OFFSET;
      rq.length = (uint32_t)n;
      rq.offset = 0;
      rq.fid = related_fid;
      reqs[1]->payload = (uint32_t)n;
      if (dfsc__smb2_read_req_encode(&reqs[1]->w, &rq) < 0) {
        dfsc__req_free(reqs[1]);
        reqs[1] = NULL;
      }
    }
    reqs[2] = new_close(&related_fid);
    return send_compound(o, reqs, 3);
  }
  case OP_MKDIR:
    reqs[0] = new_create(o, SMB2_FILE_READ_ATTRIBUTES | SMB2_SYNCHRONIZE, SMB2_FILE_CREATE,
                         SMB2_FILE_DIRECTORY_FILE);
    reqs[1] = new_close(&related_fid);
    return send_compound(o, reqs, 2);
  case OP_UNLINK:
  case OP_RMDIR:
    /* Deletion through SET_INFO rather than DELETE_ON_CLOSE so that a
     * non-empty directory reports STATUS_DIRECTORY_NOT_EMPTY ([MS-FSCC]
     * 2.4.11). */
    reqs[0] = new_create(o, SMB2_DELETE | SMB2_FILE_READ_ATTRIBUTES | SMB2_SYNCHRONIZE,
                         SMB2_FILE_OPEN,
                         o->kind == OP_RMDIR ? SMB2_FILE_DIRECTORY_FILE
                                             : SMB2_FILE_NON_DIRECTORY_FILE);
    dfsc__wr_init(&w, info, sizeof(info));
    rc = dfsc__smb2_fi_disposition_build(&w, 1);
    reqs[1] = rc < 0 ? NULL : new_set_info(&related_fid, FILE_DISPOSITION_INFORMATION, info, w.off);
    reqs[2] = new_close(&related_fid);
    return send_compound(o, reqs, 3);
  case OP_RENAME:
    reqs[0] = new_create(o, SMB2_DELETE | SMB2_FILE_READ_ATTRIBUTES | SMB2_SYNCHRONIZE,
                         SMB2_FILE_OPEN, 0);
    dfsc__wr_init(&w, info, sizeof(info));
    rc = dfsc__smb2_fi_rename_build(&w, (o->flags & DFSC_RENAME_REPLACE) != 0, o->newname,
                                    strlen(o->newname));
    reqs[1] = rc < 0 ? NULL : new_set_info(&related_fid, FILE_RENAME_INFORMATION, info, w.off);
    reqs[2] = new_close(&related_fid);
    return send_compound(o, reqs, 3);
  default:
    return -EINVAL;
  }
}

/* ---- directory listing ------------------------------------------------ */

static void dir_free_ents(dfsc_dir *d) {
  size_t i;
  for (i = 0; i < d->n; i++)
    dfsc__free((char *)d->ents[i].name);
  dfsc__free(d->ents);
}

void dfsc_dir_free(dfsc_dir *d) {
  if (d == NULL)
    return;
  dir_free_ents(d);
  dfsc__free(d);
}

const dfsc_dirent *dfsc_dir_next(dfsc_dir *d) {
  if (d == NULL || d->pos >= d->n)
    return NULL;
  return &d->ents[d->pos++];
}

size_t dfsc_dir_count(const dfsc_dir *d) { return d ? d->n : 0; }

size_t dfsc_dir_dropped(const dfsc_dir *d) { return d ? d->dropped : 0; }

/* The most one listing of ctx may hold: dfsc_set_dir_max_bytes's value,
 * or DIR_BYTES_MAX. Read on the loop thread, set by any thread. */
static size_t dir_max_bytes(dfsc_ctx *ctx) {
  size_t max = __atomic_load_n(&ctx->dir_max_bytes, __ATOMIC_ACQUIRE);
  return max != 0 ? max : DIR_BYTES_MAX;
}

int dfsc_set_dir_max_bytes(dfsc_ctx *ctx, size_t max_bytes) {
  if (ctx == NULL)
    return -EINVAL;
  if (max_bytes > DIR_BYTES_MAX)
    max_bytes = DIR_BYTES_MAX;
  /* A listing starts with a post to the loop, which orders it after this
   * store: it sees the new value. */
  __atomic_store_n(&ctx->dir_max_bytes, max_bytes, __ATOMIC_RELEASE);
  return 0;
}

/* Adds one entry of a listing page to the op's listing, or withholds it.
 * A name that may not leave the library (dfsc__utf16_name_check) is
 * dropped, counted and logged rather than failing the listing: one hostile
 * entry must not make a whole directory unreadable (EIO in the mount).
 * Dropped entries count against DFSC_DIR_MAX_ENTRIES like kept ones, so a
 * server cannot make the client spin on pages of names it never keeps. */
static int dir_add(op *o, dfsc_dir *d, const dfsc_smb2_dirent *e) {
  dfsc_dirent *de;
  dfsc_name_verdict v;
  char *name;
  int rc;
  if (d->n + d->dropped >= DFSC_DIR_MAX_ENTRIES)
    return DFSC_E_TOOBIG;
  v = dfsc__utf16_name_check(e->name, e->name_len);
  if (v == DFSC_NAME_DOT)
    return 0; /* every server lists them; not an offence */
  if (v != DFSC_NAME_OK) {
    d->dropped++;
    o->ctx->names_dropped++;
    if (d->dropped <= DIR_DROP_LOG_MAX) {
      const dfsc_logger *lg = &o->ctx->log;
      if (lg->cb != NULL && DFSC_LOG_WARN <= lg->level) {
        char esc[DIR_DROP_ESC_MAX];
        dfsc__utf16_escape(e->name, e->name_len, esc, sizeof(esc));
        DFSC_WARN(lg, DFSC_CAT_MUP, "%s: listing: dropped a name that %s: \"%s\"", o->path,
                  dfsc__name_verdict_str(v), esc);
      }
    }
    return 0;
  }
  if (d->n == d->cap) {
    size_t ncap = d->cap ? d->cap * 2 : 256;
    dfsc_dirent *ne = dfsc__realloc(d->ents, ncap * sizeof(*ne));
    if (ne == NULL)
      return -ENOMEM;
    d->ents = ne;
    d->cap = ncap;
  }
  /* The check above leaves only valid UTF-16: conversion fails only for
   * memory. */
  rc = dfsc__utf16_to_utf8_alloc(e->name, e->name_len, &name);
  if (rc < 0)
    return rc == -ENOMEM ? rc : DFSC_E_PROTO;
  d->bytes += sizeof(*de) + strlen(name) + 1;
  if (d->bytes > dir_max_bytes(o->ctx)) {
    dfsc__free(name);
    return DFSC_E_TOOBIG;
  }
  de = &d->ents[d->n++];
  memset(de, 0, sizeof(*de));
  de->name = name;
  fill_stat(&de->st, &e->info);
  de->st.file_id = e->has_file_id ? e->file_id : 0;
  return 0;
}

static void dir_complete(op *o) {
  if (o->err < 0) {
    dfsc_dir_free(o->dir);
    o->dir = NULL;
    fail_or_retry(o, o->err, o->status[0]);
    return;
  }
  if (o->dir->dropped > DIR_DROP_LOG_MAX)
    DFSC_WARN(&o->ctx->log, DFSC_CAT_MUP, "%s: listing: dropped %zu names in all", o->path,
              o->dir->dropped);
  o->res.dir = o->dir;
  o->dir = NULL;
  op_done(o, 0, 0);
}

static void dir_close_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                         size_t len) {
  /* The listing is complete whatever CLOSE says. */
  dir_complete(r->data);
}

static void dir_finish(op *o, int err, uint32_t status) {
  dfsc_req *r;
  if (err < 0 && o->err == 0) {
    o->err = err;
    o->status[0] = status;
  }
  if (!o->have_fid || dfsc__tree_gen(o->tree) != o->gen) {
    dir_complete(o);
    return;
  }
  r = new_close(&o->fid);
  if (r != NULL) {
    r->cb = dir_close_cb;
    r->data = o;
    if (dfsc__tree_send(o->tree, &r, 1) == 0)
      return;
    dfsc__req_free(r);
  }
  dir_complete(o);
}

static void dir_query_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                         size_t len);

static int dir_query(op *o, int with_create) {
  dfsc_smb2_query_dir_req q;
  dfsc_req *reqs[2];
  uint32_t outlen = dfsc__tree_max_transact(o->tree);
  int n = 0, rc;

  if (outlen > DIR_BUF_MAX)
    outlen = DIR_BUF_MAX;
  /* The listing request (with the CREATE before it, when compounded) may not
   * cost more credits than the server grants. */
  {
    uint32_t max = dfsc__tree_max_charge(o->tree);
    uint32_t avail = with_create && max >= 2 ? max - 1 : max;
    if ((uint64_t)outlen > (uint64_t)avail * 65536)
      outlen = avail * 65536;
  }
  if (with_create) {
    reqs[n] = new_create(o, SMB2_FILE_LIST_DIRECTORY | SMB2_FILE_READ_ATTRIBUTES |
                                SMB2_SYNCHRONIZE,
                         SMB2_FILE_OPEN, SMB2_FILE_DIRECTORY_FILE);
    if (reqs[n] == NULL)
      return -ENOMEM;
    reqs[n]->cb = dir_query_cb;
    reqs[n]->data = o;
    n++;
    if (dfsc__tree_max_charge(o->tree) < 2) {
      /* Too few credits to compound: the QUERY_DIRECTORY follows once the
       * CREATE answered. */
      o->dir_alone = 1;
      o->pending = 1;
      rc = dfsc__tree_send(o->tree, reqs, 1);
      if (rc < 0) {
        o->pending = 0;
        dfsc__req_free(reqs[0]);
      }
      return rc;
    }
  }
  reqs[n] = dfsc__req_new(SMB2_QUERY_DIRECTORY, 64);
  if (reqs[n] == NULL) {
    if (n)
      dfsc__req_free(reqs[0]);
    return -ENOMEM;
  }
  memset(&q, 0, sizeof(q));
  q.info_class = FILE_ID_BOTH_DIRECTORY_INFORMATION;
  q.fid = with_create ? related_fid : o->fid;
  q.pattern = "*";
  q.pattern_len = 1;
  q.output_buffer_length = outlen;
  rc = dfsc__smb2_query_dir_req_encode(&reqs[n]->w, &q);
  reqs[n]->cb = dir_query_cb;
  reqs[n]->data = o;
  reqs[n]->payload = outlen;
  n++;
  o->pending = n;
  if (rc == 0)
    rc = dfsc__tree_send(o->tree, reqs, n);
  if (rc < 0) {
    o->pending = 0;
    while (n-- > 0)
      dfsc__req_free(reqs[n]);
    return rc;
  }
  return 0;
}

static void dir_query_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                         size_t len) {
  op *o = r->data;
  int rc = 0, more = 0;

  o->pending--;
  if (err < 0) {
    if (o->err == 0)
      o->err = err;
  } else if (h->command == SMB2_CREATE) {
    dfsc_smb2_create_rsp cr;
    if (h->status != 0) {
      o->err = DFSC_E_NTSTATUS;
      o->status[0] = h->status;
    } else if (dfsc__smb2_create_rsp_decode(pdu, len, &cr) < 0) {
      o->err = DFSC_E_PROTO;
    } else {
      o->fid = cr.fid;
      o->have_fid = 1;
      o->gen = dfsc__tree_gen(o->tree);
      more = o->dir_alone;
    }
  } else if (o->err == 0) {
    dfsc_smb2_query_dir_rsp qr;
    dfsc_smb2_dir_iter it;
    dfsc_smb2_dirent e;
    if (h->status == STATUS_NO_MORE_FILES) {
      more = 0;
    } else if (h->status != 0) {
      o->err = DFSC_E_NTSTATUS;
      o->status[0] = h->status;
    } else if (dfsc__smb2_query_dir_rsp_decode(pdu, len, &qr) < 0 ||
               dfsc__smb2_dir_iter_init(&it, FILE_ID_BOTH_DIRECTORY_INFORMATION, qr.buf,
                                        qr.len) < 0) {
      o->err = DFSC_E_PROTO;
    } else {
      dfsc_dir *d = o->dir;
      size_t start = d->n;
      while ((rc = dfsc__smb2_dir_next(&it, &e)) == 1) {
        rc = dir_add(o, d, &e);
        if (rc < 0)
          break;
      }
      if (rc < 0) {
        o->err = rc;
      } else if (d->n - start == d->page_n && d->page_n > 0 &&
                 strcmp(d->ents[start].name, d->ents[d->page_start].name) == 0 &&
                 strcmp(d->ents[d->n - 1].name, d->ents[start - 1].name) == 0) {
        /* The same page again: a server that never says STATUS_NO_MORE_FILES
         * would otherwise be listed until a bound stops it. */
        o->err = DFSC_E_PROTO;
      } else {
        d->page_start = start;
        d->page_n = d->n - start;
        more = 1;
      }
    }
  }
  if (o->pending > 0)
    return;
  if (o->err == 0 && more) {
    if (++o->rounds > DIR_ROUNDS_MAX) {
      o->err = DFSC_E_TOOBIG;
    } else {
      rc = dir_query(o, 0);
      if (rc == 0)
        return;
      o->err = rc;
    }
  }
  dir_finish(o, o->err, o->status[0]);
}

static int issue_opendir(op *o) {
  o->dir = dfsc__calloc(1, sizeof(*o->dir));
  if (o->dir == NULL)
    return -ENOMEM;
  return dir_query(o, 1);
}

/* ---- reads and writes -------------------------------------------------- */

static int io_pump(op *o);

static void io_maybe_done(op *o) {
  if (o->inflight > 0)
    return;
  if (o->err < 0) {
    op_done(o, o->err, o->status[0]);
    return;
  }
  if (o->issued < o->len && o->eof_at == UINT64_MAX)
    return; /* io_pump continues */
  if (o->kind == OP_READ) {
    uint64_t end = o->off + o->len;
    if (o->eof_at < end)
      end = o->eof_at < o->off ? o->off : o->eof_at;
    o->res.nbytes = (size_t)(end - o->off);
  } else {
    o->res.nbytes = o->len;
  }
  op_done(o, 0, 0);
}

static void io_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                  size_t len) {
  op *o = r->data;
  size_t rlen = r->payload;
  o->inflight -= rlen;
  if (err < 0) {
    if (o->err == 0)
      o->err = err;
  } else if (o->kind == OP_READ) {
    /* The Offset field of our own READ request ([MS-SMB2] 2.2.19). */
    uint64_t at = dfsc__le64(r->buf + SMB2_HDR_SIZE + 8);
    dfsc_smb2_read_rsp rr;
    if (h->status == STATUS_END_OF_FILE) {
      if (at < o->eof_at)
        o->eof_at = at;
    } else if (h->status != 0 && h->status != STATUS_BUFFER_OVERFLOW) {
      if (o->err == 0) {
        o->err = DFSC_E_NTSTATUS;
        o->status[0] = h->status;
      }
    } else if (dfsc__smb2_read_rsp_decode(pdu, len, &rr) < 0 || rr.data_len > rlen) {
      if (o->err == 0)
        o->err = DFSC_E_PROTO;
    } else {
      if (!r->rdst_done) /* else decrypted there already */
        memcpy(o->buf + (at - o->off), rr.data, rr.data_len);
      if (rr.data_len < rlen && at + rr.data_len < o->eof_at)
        o->eof_at = at + rr.data_len;
    }
  } else {
    dfsc_smb2_write_rsp wr;
    if (h->status != 0) {
      if (o->err == 0) {
        o->err = DFSC_E_NTSTATUS;
        o->status[0] = h->status;
      }
    } else if (dfsc__smb2_write_rsp_decode(pdu, len, &wr) < 0) {
      if (o->err == 0)
        o->err = DFSC_E_PROTO;
    } else if (wr.count != rlen) {
      if (o->err == 0)
        o->err = -EIO; /* a short write on a disk share means no space or quota */
    }
  }
  if (o->err == 0 && o->eof_at == UINT64_MAX && o->issued < o->len) {
    int rc = io_pump(o);
    if (rc < 0 && o->err == 0)
      o->err = rc;
  }
  io_maybe_done(o);
}

static int issue_one(op *o) {
  size_t n = o->len - o->issued;
  uint64_t at = o->off + o->issued;
  dfsc_req *r;
  int rc;

  if (n > o->chunk)
    n = o->chunk;
  if (o->kind == OP_READ) {
    dfsc_smb2_read_req rq;
    r = dfsc__req_new(SMB2_READ, 56);
    if (r == NULL)
      return -ENOMEM;
    memset(&rq, 0, sizeof(rq));
    rq.padding = SMB2_READ_DATA_OFFSET;
    rq.length = (uint32_t)n;
    rq.offset = at;
    rq.fid = o->fid;
    rc = dfsc__smb2_read_req_encode(&r->w, &rq);
    r->rdst = o->buf + o->issued;
    r->rdst_cap = n;
  } else {
    dfsc_smb2_write_req wq;
    int sign = dfsc__tree_signing(o->tree);
    r = dfsc__req_new(SMB2_WRITE, 56 + (sign ? n : 0));
    if (r == NULL)
      return -ENOMEM;
    memset(&wq, 0, sizeof(wq));
    wq.offset = at;
    wq.fid = o->fid;
    wq.data = o->cbuf + o->issued;
    wq.data_len = n;
    if (sign) {
      /* A signature covers the payload: it has to be in the body. */
      rc = dfsc__smb2_write_req_encode(&r->w, &wq);
    } else {
      rc = dfsc__smb2_write_req_encode_hdr(&r->w, &wq);
      r->extra = wq.data;
      r->extra_len = n;
    }
  }
  if (rc < 0) {
    dfsc__req_free(r);
    return rc;
  }
  r->cb = io_cb;
  r->data = o;
  r->payload = (uint32_t)n;
  /* Accounted before the send: its callback may come as soon as it is out. */
  o->issued += n;
  o->inflight += n;
  rc = dfsc__tree_send(o->tree, &r, 1);
  if (rc < 0) {
    o->issued -= n;
    o->inflight -= n;
    dfsc__req_free(r);
    return rc;
  }
  return 0;
}

/* Keeps up to max_io_window bytes in flight (at least one request). */
static int io_pump(op *o) {
  int rc;
  while (o->issued < o->len && o->eof_at == UINT64_MAX &&
         (o->inflight == 0 || o->inflight + o->chunk <= o->ctx->max_io_window)) {
    rc = issue_one(o);
    if (rc < 0)
      return rc;
  }
  return 0;
}

static int issue_io(op *o) {
  uint32_t max = o->kind == OP_READ ? dfsc__tree_max_read(o->tree)
                                    : dfsc__tree_max_write(o->tree);
  /* A request may not need more credits than the server ever grants, nor
   * all of them: a server granting few may hand back fewer still, and a
   * request charged more than the balance could then never go. */
  uint32_t mc = dfsc__tree_max_charge(o->tree);
  uint64_t by_credits = (uint64_t)(mc >= 2 ? mc / 2 : 1) * 65536;
  o->chunk = max < READ_CHUNK_MAX ? max : READ_CHUNK_MAX;
  if (o->chunk > by_credits)
    o->chunk = (size_t)by_credits;
  o->eof_at = UINT64_MAX;
  if (o->len == 0) {
    o->res.nbytes = 0;
    op_done(o, 0, 0);
    return 0;
  }
  return io_pump(o);
}

/* ---- handle operations ----------------------------------------------- */

static void handle_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                      size_t len) {
  op *o = r->data;
  if (err < 0)
    op_done(o, err, 0);
  else if (h->status != 0)
    op_done(o, DFSC_E_NTSTATUS, h->status);
  else
    op_done(o, 0, 0);
}

static int issue_handle_op(op *o) {
  dfsc_file *f = o->file;
  dfsc_req *r = NULL;
  uint8_t info[64];
  dfsc_wr w;
  int rc;

  switch (o->kind) {
  case OP_CLOSE:
    r = new_close(&f->fid);
    break;
  case OP_FLUSH: {
    dfsc_smb2_flush_req fl;
    r = dfsc__req_new(SMB2_FLUSH, 24);
    if (r == NULL)
      break;
    fl.fid = f->fid;
    if (dfsc__smb2_flush_req_encode(&r->w, &fl) < 0) {
      dfsc__req_free(r);
      r = NULL;
    }
    break;
  }
  case OP_TRUNCATE:
    dfsc__wr_init(&w, info, sizeof(info));
    if (dfsc__smb2_fi_eof_build(&w, o->size) == 0)
      r = new_set_info(&f->fid, FILE_END_OF_FILE_INFORMATION, info, w.off);
    break;
  case OP_SET_TIMES: {
    /* Zero fields are left as they are ([MS-FSCC] 2.4.7). */
    dfsc_smb2_fi_basic b;
    memset(&b, 0, sizeof(b));
    b.last_access_time = o->off;
    b.last_write_time = o->size;
    dfsc__wr_init(&w, info, sizeof(info));
    if (dfsc__smb2_fi_basic_build(&w, &b) == 0)
      r = new_set_info(&f->fid, FILE_BASIC_INFORMATION, info, w.off);
    break;
  }
  default:
    return -EINVAL;
  }
  if (r == NULL)
    return -ENOMEM;
  r->cb = handle_cb;
  r->data = o;
  rc = dfsc__tree_send(f->tree, &r, 1);
  if (rc < 0)
    dfsc__req_free(r);
  return rc;
}

/* ---- the op machine ---------------------------------------------------- */

static void issue(op *o) {
  int rc;
  switch (o->kind) {
  case OP_OPENDIR:
    rc = issue_opendir(o);
    break;
  case OP_DIALECT:
    o->res.nbytes = dfsc__tree_dialect(o->tree);
    op_done(o, 0, 0);
    return;
  default:
    rc = issue_path_op(o);
    break;
  }
  if (rc < 0) {
    if (o->kind == OP_OPENDIR) {
      dfsc_dir_free(o->dir);
      o->dir = NULL;
    }
    op_done(o, rc, 0);
  }
}

/* ---- DFS: resolution, STATUS_PATH_NOT_COVERED, failover ----------------- */

/* Failures after which another target of the same DFS entry is worth a try
 * ([MS-DFSC] 3.1.5.2): the target is unreachable, or its session or tree
 * failed, or the connection dropped. */
static int failover_worthy(int err, uint32_t st) {
  if (err == DFSC_E_NTSTATUS)
    return st == 0xC00000CCu /* BAD_NETWORK_NAME */ || st == 0xC00000BEu /* BAD_NETWORK_PATH */ ||
           st == 0xC000006Du /* LOGON_FAILURE */ || st == 0xC0000203u /* USER_SESSION_DELETED */ ||
           st == 0xC00000C9u /* NETWORK_NAME_DELETED */ || st == 0xC0000120u /* CANCELLED */;
  return err == -ECONNREFUSED || err == -ETIMEDOUT || err == -EHOSTUNREACH ||
         err == -ENETUNREACH || err == -ECONNRESET || err == -EPIPE || err == DFSC_E_CLOSED ||
         err == DFSC_E_LOOKUP || err == DFSC_E_CREDITS || err == DFSC_E_PROTO ||
         err == DFSC_E_SIGNATURE;
}

/* Forgets what one attempt left behind before the next one. */
static void reset_attempt(op *o) {
  int i;
  o->err = 0;
  for (i = 0; i < 4; i++)
    o->status[i] = 0;
  o->have_fid = 0;
  o->pending = 0;
  o->nsub = 0;
  o->seq_n = o->seq_next = 0;
  o->dir_alone = 0;
  o->rounds = 0;
  o->res.nbytes = 0;
  memset(&o->res.st, 0, sizeof(o->res.st));
  if (o->dir != NULL) {
    dfsc_dir_free(o->dir);
    o->dir = NULL;
  }
}

static const dfsc_sl_creds *op_creds(const op *o) { return o->has_cr ? &o->cr : NULL; }

/* Splits "\host\share\rest" into its parts (pointers into buf, which is
 * modified). Returns 0 or DFSC_E_BADPATH. */
static int split_target(char *buf, char **host, char **share, char **rest) {
  char *p;
  if (buf[0] != '\\')
    return DFSC_E_BADPATH;
  *host = buf + 1;
  p = strchr(*host, '\\');
  if (p == NULL || p == *host)
    return DFSC_E_BADPATH;
  *p = '\0';
  *share = p + 1;
  p = strchr(*share, '\\');
  if (p != NULL) {
    *p = '\0';
    *rest = p + 1;
  } else {
    *rest = *share + strlen(*share);
  }
  return **share ? 0 : DFSC_E_BADPATH;
}

static void resolve_go(op *o);

static void refer_cb(dfsc_dfs_req *q, int err, uint32_t st) {
  op *o = q->data;
  if (err < 0) {
    /* The root target would not refer us on: its answer is the op's. */
    op_done(o, err, st);
    return;
  }
  reset_attempt(o);
  resolve_go(o);
}

/* A domain step's answer: whatever it was, walk again (a failed DC or
 * SYSVOL referral leaves the path to a plain tree connect). */
static void domain_cb(dfsc_dfs_req *q, int err, uint32_t st) {
  op *o = q->data;
  (void)err;
  (void)st;
  resolve_go(o);
}

/* For \X\SYSVOL and \X\NETLOGON ([MS-DFSC] 3.1.4.1 steps 3-7) with nothing
 * cached: a domain referral (empty path, sent to X, which a DNS domain name
 * resolves to) names the domains when none is known yet; a DC referral for
 * \X fills the domain's DC list; then a SYSVOL referral goes to the first DC
 * it listed. Returns 1 when a referral is under way. */
static int domain_step(op *o, const char *path) {
  dfsc_dfs *d = o->ctx->dfs;
  dfsc_dfs_cache *cache = dfsc__dfs_cache(d);
  const char *x = path + 1, *y = strchr(x, '\\');
  char dom[256], req[512];
  const dfsc_dfs_domain *dm;
  size_t xl, yl;
  const char *server;
  int rc;

  if (y == NULL || o->dstep >= 3)
    return 0;
  xl = (size_t)(y - x);
  y++;
  yl = strcspn(y, "\\");
  if (xl == 0 || xl >= sizeof(dom) ||
      !((yl == 6 && strncasecmp(y, "SYSVOL", 6) == 0) ||
        (yl == 8 && strncasecmp(y, "NETLOGON", 8) == 0)))
    return 0;
  memcpy(dom, x, xl);
  dom[xl] = '\0';
  o->q.data = o;
  o->q.cb = domain_cb;
  if (o->dstep == 0 && dfsc__dfs_domain_next(cache, NULL) == NULL) {
    o->dstep = 1;
    rc = dfsc__dfs_refer(d, dom, "", op_creds(o), &o->q);
    return rc == 0;
  }
  dm = dfsc__dfs_domain_find(cache, dom);
  if ((dm == NULL || dm->n == 0) && o->dstep < 2) {
    o->dstep = 2;
    snprintf(req, sizeof(req), "\\%s", dom);
    rc = dfsc__dfs_refer(d, dom, req, op_creds(o), &o->q);
    return rc == 0;
  }
  o->dstep = 3;
  server = dm != NULL && dm->n > 0 ? dm->dcs[dm->hint < dm->n ? dm->hint : 0] : dom;
  snprintf(req, sizeof(req), "\\%s\\%.*s", dom, (int)yl, y);
  rc = dfsc__dfs_refer(d, server, req, op_creds(o), &o->q);
  return rc == 0;
}

static void refresh_cb(dfsc_dfs_req *q, int err, uint32_t st) {
  op *o = q->data;
  /* A failed refresh leaves the old entry serving (soft expiry). */
  (void)err;
  (void)st;
  resolve_go(o);
}

static void tree_ready(dfsc_tree_waiter *w, dfsc_tree *t, int err, uint32_t ntstatus);

static void rootprobe_cb(dfsc_dfs_req *q, int err, uint32_t st) {
  op *o = q->data;
  (void)st;
  /* With the root's entry cached the walk goes through it (the root's
   * targets, failover among them); without, the share itself serves. */
  if (err == 0) {
    reset_attempt(o);
    resolve_go(o);
  } else if (err != DFSC_E_NTSTATUS && err != DFSC_E_PROTO) {
    /* The connection itself failed (a deadline, a reset): that is the
     * answer, not the tree that went down with it. */
    fail_or_retry(o, err, 0);
  } else {
    tree_ready(&o->tw, o->tree, 0, 0);
  }
}

/* A DFS root reached with nothing cached for it ([MS-DFSC] 3.1.4.1 step 6):
 * one root referral for \X\Y, shared by every operation that gets here at
 * the same time. Returns 1 when under way. */
static int root_probe(op *o) {
  char *buf = dfsc__strdup(o->target), *host, *share, *rest, req[600];
  int rc = -1;
  o->rootref = 1;
  if (buf != NULL && split_target(buf, &host, &share, &rest) == 0) {
    snprintf(req, sizeof(req), "\\%s\\%s", host, share);
    o->q.cb = rootprobe_cb;
    o->q.data = o;
    rc = dfsc__dfs_refer(o->ctx->dfs, host, req, op_creds(o), &o->q);
  }
  dfsc__free(buf);
  return rc == 0;
}

static void rootref_cb(dfsc_dfs_req *q, int err, uint32_t st) {
  op *o = q->data;
  uint32_t orig = o->status[3];
  if (err < 0) {
    /* No namespace there either: the tree connect's answer stands. */
    op_done(o, DFSC_E_NTSTATUS, orig);
    return;
  }
  (void)st;
  reset_attempt(o);
  resolve_go(o);
}

/* After a failed attempt: returns 1 when the op continues (a referral or
 * another target), 0 when the caller should finish it with the error. */
static int retry(op *o, int err, uint32_t st) {
  dfsc_dfs *d = o->ctx->dfs;
  int rc;
  if (d == NULL || o->target == NULL)
    return 0;
  if (err == DFSC_E_NTSTATUS && st == 0xC0000257u /* STATUS_PATH_NOT_COVERED */) {
    char *buf, *host, *share, *rest;
    /* [MS-DFSC] 3.1.5.1: only a DFS root target may say this; from a link
     * target (a plain share) it is the operation's error. */
    if (o->tree == NULL || !dfsc__tree_is_dfs(o->tree))
      return 0;
    if (++o->hops > DFSC_DFS_HOPS_MAX) {
      op_done(o, DFSC_E_LOOP, 0);
      return 1;
    }
    buf = dfsc__strdup(o->target);
    if (buf == NULL || split_target(buf, &host, &share, &rest) < 0) {
      dfsc__free(buf);
      return 0;
    }
    /* [MS-DFSC] 3.1.5.1: ask the root target that answered for a link
     * referral covering the path as sent to it. */
    o->q.cb = refer_cb;
    o->q.data = o;
    rc = dfsc__dfs_refer(d, host, o->target, op_creds(o), &o->q);
    dfsc__free(buf);
    if (rc < 0)
      op_done(o, rc, 0);
    return 1;
  }
  if (err == DFSC_E_NTSTATUS && st == 0xC00000CCu /* BAD_NETWORK_NAME */ && !o->rootref &&
      o->tprefix != NULL && o->tprefix[0] == '\0') {
    /* The server has no such share: it may still know the namespace (a
     * domain-based root hosted elsewhere, [MS-DFSC] 3.1.4.1 step 6): ask it
     * for a root referral before giving up. */
    char *buf = dfsc__strdup(o->target), *host, *share, *rest, req[600];
    o->rootref = 1;
    if (buf != NULL && split_target(buf, &host, &share, &rest) == 0) {
      snprintf(req, sizeof(req), "\\%s\\%s", host, share);
      o->q.cb = rootref_cb;
      o->q.data = o;
      o->err = DFSC_E_NTSTATUS;
      o->status[3] = st;
      rc = dfsc__dfs_refer(d, host, req, op_creds(o), &o->q);
      dfsc__free(buf);
      if (rc == 0)
        return 1;
      return 0;
    }
    dfsc__free(buf);
  }
  if (o->tprefix != NULL && o->tprefix[0] != '\0' && failover_worthy(err, st) &&
      o->failovers < DFSC_DFS_TARGETS_MAX &&
      dfsc__dfs_failover(d, o->tprefix, o->tidx, &o->tried) == 0) {
    o->failovers++;
    reset_attempt(o);
    resolve_go(o);
    return 1;
  }
  return 0;
}

/* Completes an op with an error unless DFS can still save it. */
static void fail_or_retry(op *o, int err, uint32_t st) {
  if (!retry(o, err, st))
    op_done(o, err, st);
}

static void tree_ready(dfsc_tree_waiter *w, dfsc_tree *t, int err, uint32_t ntstatus) {
  op *o = w->data;
  char *buf, *host, *share, *rest;
  int dfs;
  if (err < 0) {
    fail_or_retry(o, err, ntstatus);
    return;
  }
  o->tree = t;
  /* On a DFS share the name is the whole DFS path below the root
   * ([MS-SMB2] 3.2.4.3, SMB2_FLAGS_DFS_OPERATIONS); elsewhere it is
   * share-relative. */
  dfs = dfsc__tree_is_dfs(t);
  if (dfs && !o->rootref && o->tprefix != NULL && o->tprefix[0] == '\0' &&
      o->ctx->dfs != NULL && root_probe(o))
    return;
  buf = dfsc__strdup(o->target);
  if (buf == NULL || split_target(buf, &host, &share, &rest) < 0) {
    dfsc__free(buf);
    op_done(o, buf ? DFSC_E_BADPATH : -ENOMEM, 0);
    return;
  }
  dfsc__free(o->name);
  o->name = dfsc__strdup(dfs ? o->target + 1 : rest);
  dfsc__free(buf);
  if (o->name == NULL) {
    op_done(o, -ENOMEM, 0);
    return;
  }
  if (o->dfs_newpath != NULL) {
    char out[DFSC_DFS_PATH_MAX], *b2, *h2, *s2, *r2;
    int rc = dfsc__dfs_rewrite(o->ctx->dfs, o->dfs_newpath, out, NULL, NULL, NULL);
    if (rc < 0) {
      op_done(o, rc, 0);
      return;
    }
    b2 = dfsc__strdup(out);
    buf = dfsc__strdup(o->target);
    if (b2 == NULL || buf == NULL || split_target(b2, &h2, &s2, &r2) < 0 ||
        split_target(buf, &host, &share, &rest) < 0) {
      dfsc__free(b2);
      dfsc__free(buf);
      op_done(o, DFSC_E_BADPATH, 0);
      return;
    }
    /* A rename stays within one share ([MS-FSCC] 2.4.42). */
    rc = strcasecmp(h2, host) != 0 || strcasecmp(s2, share) != 0 ? -EXDEV : 0;
    dfsc__free(o->newname);
    o->newname = rc < 0 ? NULL : dfsc__strdup(dfs ? out + 1 : r2);
    dfsc__free(b2);
    dfsc__free(buf);
    if (rc < 0 || o->newname == NULL) {
      op_done(o, rc < 0 ? rc : -ENOMEM, 0);
      return;
    }
    if (o->newname[0] == '\0') {
      op_done(o, DFSC_E_BADPATH, 0);
      return;
    }
  }
  issue(o);
}

/* Resolves the op's DFS path through the cache and connects to the target. */
static void resolve_go(op *o) {
  dfsc_dfs *d = o->ctx->dfs;
  char *out = NULL, *pfx = NULL, *buf = NULL, *host, *share, *rest;
  char src[256];
  uint16_t port;
  int rc;

  if (d == NULL) {
    op_done(o, DFSC_E_SHUTDOWN, 0);
    return;
  }
  out = dfsc__malloc(DFSC_DFS_PATH_MAX);
  pfx = dfsc__malloc(DFSC_DFS_PATH_MAX);
  if (out == NULL || pfx == NULL) {
    rc = -ENOMEM;
    goto fail;
  }
  {
    /* A walk that failed over avoids the targets it tried on that entry,
     * whatever the shared hint says now. */
    dfsc_dfs_avoid av = {o->tprefix, o->tried};
    rc = dfsc__dfs_rewrite_avoid(d, o->dfs_path, out, NULL, NULL, pfx, &o->tidx, &av);
  }
  if (rc < 0)
    goto fail;
  if (o->tprefix == NULL || strcasecmp(o->tprefix, pfx) != 0)
    o->tried = 0; /* another entry now: what was tried was on the old one */
  if (pfx[0] == '\0' && domain_step(o, o->dfs_path))
    goto out;
  if (!o->refreshed && pfx[0] != '\0' && dfsc__dfs_needs_refresh(d, pfx, src, sizeof(src))) {
    /* An expired entry: refresh it once; concurrent users share the
     * request, and the old targets serve if it fails. */
    o->refreshed = 1;
    o->q.cb = refresh_cb;
    o->q.data = o;
    rc = dfsc__dfs_refer(d, src, pfx, op_creds(o), &o->q);
    if (rc == 0)
      goto out;
  }
  dfsc__free(o->target);
  dfsc__free(o->tprefix);
  o->target = dfsc__strdup(out);
  o->tprefix = dfsc__strdup(pfx);
  buf = dfsc__strdup(out);
  if (o->target == NULL || o->tprefix == NULL || buf == NULL) {
    rc = -ENOMEM;
    goto fail;
  }
  rc = split_target(buf, &host, &share, &rest);
  if (rc < 0)
    goto fail;
  /* A port the user named applies to the server the user named. */
  port = o->port && strncasecmp(o->dfs_path + 1, host, strlen(host)) == 0 &&
                 o->dfs_path[1 + strlen(host)] == '\\'
             ? o->port
             : 0;
  o->tw.cb = tree_ready;
  o->tw.data = o;
  rc = dfsc__tree_get(o->ctx->sl, host, port, share, op_creds(o), &o->tw);
  if (rc < 0)
    goto fail;
  goto out;
fail:
  op_done(o, rc, 0);
out:
  dfsc__free(out);
  dfsc__free(pfx);
  dfsc__free(buf);
}

static void handle_start(op *o) {
  dfsc_file *f = o->file;
  int rc;
  if (dfsc__tree_gen(f->tree) != f->gen) {
    /* The connection dropped since the open: the server forgot the handle. */
    if (o->kind == OP_CLOSE) {
      op_done(o, 0, 0);
      return;
    }
    op_done(o, -ESTALE, 0);
    return;
  }
  /* The op keeps its own copy: the handle may be closed (and freed) while
   * requests of this op are still in flight. */
  o->tree = f->tree;
  o->fid = f->fid;
  if (o->kind == OP_READ || o->kind == OP_WRITE)
    rc = issue_io(o);
  else
    rc = issue_handle_op(o);
  if (rc < 0) {
    if (o->kind == OP_READ || o->kind == OP_WRITE) {
      /* Requests already sent complete into io_cb, which finishes the op. */
      if (o->err == 0)
        o->err = rc;
      if (o->inflight > 0)
        return;
    }
    op_done(o, rc, 0);
  }
}

static void start_cb(dfsc_post *p) {
  op *o = p->data;
  int rc = 0;
  if (o->file != NULL) {
    handle_start(o);
    return;
  }
  switch (o->kind) {
  case OP_CACHE_INFO:
    rc = o->ctx->dfs ? dfsc__mup_cache_info(o->ctx->dfs, &o->res.cache) : DFSC_E_SHUTDOWN;
    op_done(o, rc, 0);
    return;
  case OP_CACHE_FLUSH:
    if (o->ctx->dfs)
      dfsc__dfs_cache_flush(dfsc__dfs_cache(o->ctx->dfs));
    op_done(o, o->ctx->dfs ? 0 : DFSC_E_SHUTDOWN, 0);
    return;
  default:
    resolve_go(o);
  }
}

#define OPS_MAX_DEFAULT 65536u

int dfsc_set_max_ops(dfsc_ctx *ctx, unsigned max_ops) {
  if (ctx == NULL)
    return -EINVAL;
  __atomic_store_n(&ctx->max_ops, max_ops, __ATOMIC_RELEASE);
  return 0;
}

/* Takes a place in ctx's live-operation budget; 0, or DFSC_E_BUSY (and
 * counted) when it is spent. */
static int ops_take(dfsc_ctx *ctx) {
  unsigned max = __atomic_load_n(&ctx->max_ops, __ATOMIC_ACQUIRE);
  unsigned n = __atomic_add_fetch(&ctx->live_ops, 1, __ATOMIC_ACQ_REL);
  unsigned hwm = __atomic_load_n(&ctx->live_ops_hwm, __ATOMIC_RELAXED);
  if (max == 0)
    max = OPS_MAX_DEFAULT;
  if (n > max) {
    __atomic_sub_fetch(&ctx->live_ops, 1, __ATOMIC_ACQ_REL);
    __atomic_add_fetch(&ctx->ops_rejected, 1, __ATOMIC_RELAXED);
    return DFSC_E_BUSY;
  }
  while (n > hwm && !__atomic_compare_exchange_n(&ctx->live_ops_hwm, &hwm, n, 1,
                                                 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
    ;
  return 0;
}

/* A new operation with its place in the budget; NULL with *rc set
 * (-EINVAL, -ENOMEM, DFSC_E_BUSY). */
static op *op_new(dfsc_ctx *ctx, enum op_kind kind, dfsc_cb cb, void *arg, int *rc) {
  op *o = NULL;
  *rc = -EINVAL;
  if (ctx == NULL || cb == NULL)
    return NULL;
  *rc = ops_take(ctx);
  if (*rc < 0)
    return NULL;
  o = dfsc__calloc(1, sizeof(*o));
  if (o == NULL) {
    __atomic_sub_fetch(&ctx->live_ops, 1, __ATOMIC_ACQ_REL);
    *rc = -ENOMEM;
    return NULL;
  }
  *rc = 0;
  o->ctx = ctx;
  o->kind = kind;
  o->cb = cb;
  o->arg = arg;
  return o;
}

static int op_submit(op *o) {
  int rc;
  if (o->ctx->stopping) {
    op_free(o);
    return DFSC_E_SHUTDOWN;
  }
  o->post.cb = start_cb;
  o->post.data = o;
  rc = dfsc__loop_post(o->ctx->loop, &o->post);
  if (rc < 0)
    op_free(o);
  return rc;
}

/* "\\host\\share\\rest" from a parsed UNC. */
static char *dfs_path_of(const dfsc_unc *u) {
  size_t n = strlen(u->host) + strlen(u->share) + strlen(u->path) + 4;
  char *p = dfsc__malloc(n);
  if (p != NULL)
    snprintf(p, n, "\\%s\\%s%s%s", u->host, u->share, u->path[0] ? "\\" : "", u->path);
  return p;
}

static int path_op(dfsc_ctx *ctx, enum op_kind kind, const char *path, int need_path,
                   dfsc_cb cb, void *arg, op **out) {
  dfsc_unc *u;
  op *o = NULL;
  int rc;
  if (ctx == NULL || path == NULL || cb == NULL)
    return -EINVAL;
  o = op_new(ctx, kind, cb, arg, &rc);
  if (o == NULL)
    return rc;
  u = dfsc__malloc(sizeof(*u));
  if (u == NULL) {
    op_free(o);
    return -ENOMEM;
  }
  rc = dfsc__unc_parse(path, 1, u);
  if (rc == 0 && need_path && u->path[0] == '\0')
    rc = DFSC_E_BADPATH; /* the share itself cannot be removed or renamed */
  if (rc == 0) {
    o->path = dfsc__strdup(path);
    o->dfs_path = dfs_path_of(u);
    o->port = u->port;
    if (o->path == NULL || o->dfs_path == NULL)
      rc = -ENOMEM;
  }
  if (rc == 0 && u->has_user) {
    /* smb://[domain;]user[:password]@host: that identity, not the default.
     * Without a password in the URL, the default one serves only the same
     * user. */
    const char *du = dfsc__sl_default_user(ctx->sl);
    const char *pw = u->has_password ? u->password
                     : (du && strcasecmp(du, u->user) == 0) ? dfsc__sl_default_password(ctx->sl)
                                                           : NULL;
    o->has_cr = 1;
    o->cr.user = u->user[0] ? dfsc__strdup(u->user) : NULL;
    o->cr.domain = u->domain[0] ? dfsc__strdup(u->domain) : NULL;
    o->cr.password = pw ? dfsc__secret_strdup(pw) : NULL;
    if ((u->user[0] && !o->cr.user) || (u->domain[0] && !o->cr.domain) || (pw && !o->cr.password))
      rc = -ENOMEM;
  }
  dfsc__wipe(u, sizeof(*u));
  dfsc__free(u);
  if (rc < 0) {
    op_free(o);
    return rc;
  }
  *out = o;
  return 0;
}

/* An operation on a path with nothing else to set. */
static int simple_op(dfsc_ctx *ctx, enum op_kind kind, const char *path, int need_path,
                     dfsc_cb cb, void *arg) {
  op *o = NULL;
  int rc = path_op(ctx, kind, path, need_path, cb, arg, &o);
  return rc < 0 ? rc : op_submit(o);
}

int dfsc_open_async(dfsc_ctx *ctx, const char *path, int flags, dfsc_cb cb, void *arg) {
  op *o = NULL;
  int rc = path_op(ctx, OP_OPEN, path, 0, cb, arg, &o);
  if (rc < 0)
    return rc;
  o->flags = flags;
  return op_submit(o);
}

int dfsc_stat_async(dfsc_ctx *ctx, const char *path, dfsc_cb cb, void *arg) {
  return simple_op(ctx, OP_STAT, path, 0, cb, arg);
}

int dfsc_read_file_async(dfsc_ctx *ctx, const char *path, void *buf, size_t cap,
                         dfsc_cb cb, void *arg) {
  op *o = NULL;
  int rc;
  if (buf == NULL || cap == 0)
    return -EINVAL;
  rc = path_op(ctx, OP_READ_FILE, path, 0, cb, arg, &o);
  if (rc < 0)
    return rc;
  o->buf = buf;
  o->len = cap;
  return op_submit(o);
}

int dfsc_statfs_async(dfsc_ctx *ctx, const char *path, dfsc_cb cb, void *arg) {
  return simple_op(ctx, OP_STATFS, path, 0, cb, arg);
}

int dfsc_opendir_async(dfsc_ctx *ctx, const char *path, dfsc_cb cb, void *arg) {
  return simple_op(ctx, OP_OPENDIR, path, 0, cb, arg);
}

int dfsc_mkdir_async(dfsc_ctx *ctx, const char *path, dfsc_cb cb, void *arg) {
  return simple_op(ctx, OP_MKDIR, path, 1, cb, arg);
}

int dfsc_unlink_async(dfsc_ctx *ctx, const char *path, dfsc_cb cb, void *arg) {
  return simple_op(ctx, OP_UNLINK, path, 1, cb, arg);
}

int dfsc_rmdir_async(dfsc_ctx *ctx, const char *path, dfsc_cb cb, void *arg) {
  return simple_op(ctx, OP_RMDIR, path, 1, cb, arg);
}

int dfsc_resolve_async(dfsc_ctx *ctx, const char *path, dfsc_cb cb, void *arg) {
  return simple_op(ctx, OP_RESOLVE, path, 0, cb, arg);
}

static int ctx_op(dfsc_ctx *ctx, enum op_kind kind, dfsc_cb cb, void *arg) {
  int rc;
  op *o = op_new(ctx, kind, cb, arg, &rc);
  if (o == NULL)
    return rc;
  return op_submit(o);
}

int dfsc_cache_snapshot_async(dfsc_ctx *ctx, dfsc_cb cb, void *arg) {
  return ctx_op(ctx, OP_CACHE_INFO, cb, arg);
}

int dfsc_cache_flush_async(dfsc_ctx *ctx, dfsc_cb cb, void *arg) {
  return ctx_op(ctx, OP_CACHE_FLUSH, cb, arg);
}

int dfsc_dialect_async(dfsc_ctx *ctx, const char *path, dfsc_cb cb, void *arg) {
  return simple_op(ctx, OP_DIALECT, path, 0, cb, arg);
}

int dfsc_rename_async(dfsc_ctx *ctx, const char *path, const char *newpath, dfsc_cb cb,
                      void *arg) {
  return dfsc_rename2_async(ctx, path, newpath, 0, cb, arg);
}

int dfsc_rename2_async(dfsc_ctx *ctx, const char *path, const char *newpath, int flags,
                       dfsc_cb cb, void *arg) {
  dfsc_unc *u1 = NULL, *u2 = NULL;
  op *o = NULL;
  int rc;
  if (newpath == NULL || (flags & ~DFSC_RENAME_REPLACE) != 0)
    return -EINVAL;
  rc = path_op(ctx, OP_RENAME, path, 1, cb, arg, &o);
  if (rc < 0)
    return rc;
  o->flags = flags;
  u1 = dfsc__malloc(sizeof(*u1));
  u2 = dfsc__malloc(sizeof(*u2));
  o->newpath = dfsc__strdup(newpath);
  if (u1 == NULL || u2 == NULL || o->newpath == NULL) {
    rc = -ENOMEM;
    goto out;
  }
  rc = dfsc__unc_parse(path, 1, u1);
  if (rc < 0)
    goto out;
  if (newpath[0] == '\\' || newpath[0] == '/' || strncasecmp(newpath, "smb://", 6) == 0) {
    rc = dfsc__unc_parse(newpath, 1, u2);
  } else {
    /* A share-relative target: reuse the parser on a synthetic UNC. */
    size_t n = strlen(u1->host) + strlen(u1->share) + strlen(newpath) + 8;
    char *tmp = dfsc__malloc(n);
    if (tmp == NULL) {
      rc = -ENOMEM;
      goto out;
    }
    snprintf(tmp, n, "\\\\%s\\%s\\%s", u1->host, u1->share, newpath);
    rc = dfsc__unc_parse(tmp, 1, u2);
    dfsc__free(tmp);
  }
  if (rc == 0 && u2->path[0] == '\0')
    rc = DFSC_E_BADPATH;
  if (rc == 0) {
    o->dfs_newpath = dfs_path_of(u2);
    if (o->dfs_newpath == NULL)
      rc = -ENOMEM;
  }
out:
  dfsc__free(u1);
  dfsc__free(u2);
  if (rc < 0) {
    op_free(o);
    return rc;
  }
  return op_submit(o);
}

static int handle_op(dfsc_file *f, enum op_kind kind, dfsc_cb cb, void *arg, op **out) {
  op *o = NULL;
  int rc;
  if (f == NULL)
    return -EINVAL;
  o = op_new(f->ctx, kind, cb, arg, &rc);
  if (o == NULL)
    return rc;
  file_ref(f);
  o->file = f;
  *out = o;
  return 0;
}

static int io_op(dfsc_file *f, enum op_kind kind, uint8_t *buf, const uint8_t *cbuf,
                 size_t len, uint64_t off, dfsc_cb cb, void *arg) {
  op *o = NULL;
  int rc;
  if (buf == NULL && cbuf == NULL && len > 0)
    return -EINVAL;
  /* Bounds: the offset arithmetic below must not wrap. */
  if (len > (size_t)1 << 40 || off > UINT64_MAX - len)
    return -EINVAL;
  rc = handle_op(f, kind, cb, arg, &o);
  if (rc < 0)
    return rc;
  o->buf = buf;
  o->cbuf = cbuf;
  o->len = len;
  o->off = off;
  return op_submit(o);
}

int dfsc_read_async(dfsc_file *f, void *buf, size_t len, uint64_t off, dfsc_cb cb,
                    void *arg) {
  return io_op(f, OP_READ, buf, NULL, len, off, cb, arg);
}

int dfsc_write_async(dfsc_file *f, const void *buf, size_t len, uint64_t off, dfsc_cb cb,
                     void *arg) {
  return io_op(f, OP_WRITE, NULL, buf, len, off, cb, arg);
}

int dfsc_flush_async(dfsc_file *f, dfsc_cb cb, void *arg) {
  op *o = NULL;
  int rc = handle_op(f, OP_FLUSH, cb, arg, &o);
  return rc < 0 ? rc : op_submit(o);
}

int dfsc_truncate_async(dfsc_file *f, uint64_t size, dfsc_cb cb, void *arg) {
  op *o = NULL;
  int rc = handle_op(f, OP_TRUNCATE, cb, arg, &o);
  if (rc < 0)
    return rc;
  o->size = size;
  return op_submit(o);
}

int dfsc_set_times_async(dfsc_file *f, uint64_t access_time, uint64_t write_time,
                         dfsc_cb cb, void *arg) {
  op *o = NULL;
  int rc = handle_op(f, OP_SET_TIMES, cb, arg, &o);
  if (rc < 0)
    return rc;
  o->off = access_time;
  o->size = write_time;
  return op_submit(o);
}

int dfsc_close_async(dfsc_file *f, dfsc_cb cb, void *arg) {
  op *o = NULL;
  int rc = handle_op(f, OP_CLOSE, cb, arg, &o);
  if (rc == 0)
    rc = op_submit(o);
  /* The caller lets go of f whatever happens; operations queued on it
   * before (and the close itself, when it was queued) keep it alive until
   * they end. When the close could not be queued, the server drops the
   * handle with the session. */
  if (f != NULL)
    file_unref(f);
  return rc;
}

dfsc_ctx *dfsc__file_ctx(const dfsc_file *f) { return f ? f->ctx : NULL; }

const dfsc_stat_t *dfsc_file_stat(const dfsc_file *f) { return f ? &f->st : NULL; }
const char *dfsc_file_path(const dfsc_file *f) { return f ? f->path : NULL; }

char *dfsc_result_str(const dfsc_result *res, char *buf, size_t cap) {
  const char *p = res->path ? res->path : "(handle)";
  if (res->err == DFSC_E_NTSTATUS)
    snprintf(buf, cap, "%s: %s", p, dfsc_ntstatus_name(res->ntstatus));
  else
    snprintf(buf, cap, "%s: %s", p, dfsc_strerror(res->err));
  return buf;
}
