/* File verbs on a tree: see verbs.h. */
#include "session/verbs.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/fdio.h"
#include "core/log.h"
#include "dfsc/dfsc.h"
#include "smb2/close.h"
#include "smb2/create.h"
#include "smb2/ea.h"
#include "smb2/fileinfo.h"
#include "smb2/flush.h"
#include "smb2/ioctl.h"
#include "smb2/lock.h"
#include "smb2/query_directory.h"
#include "smb2/query_info.h"
#include "smb2/read.h"
#include "smb2/set_info.h"
#include "smb2/status.h"
#include "smb2/write.h"

#define IO_CHUNK_MAX (1u << 20)
#define LIST_BUF_MAX (1u << 20)
#define CREDIT_BYTES 65536u /* one credit pays for 64 KiB ([MS-SMB2] 3.1.5.2) */
#define PIPE_IO_MAX 65536u  /* one pipe request's input or output */

enum verb_kind {
  V_OPEN,
  V_STAT,
  V_STATFS,
  V_READ_FILE,
  V_MKDIR,
  V_DELETE,
  V_RENAME,
  V_LINK,
  V_LIST,
  V_LIST_PAGE,
  V_READ,
  V_WRITE,
  V_HANDLE,
  V_GET_EAS,
  V_SET_EAS,
  V_SET_BASIC,
  V_COPY
};

/* The public lease bits are the wire's ([MS-SMB2] 2.2.13.2.8): callers
 * above the session layer pass them through unchanged. */
_Static_assert(DFSC_LEASE_READ == SMB2_LEASE_READ_CACHING &&
                   DFSC_LEASE_HANDLE == SMB2_LEASE_HANDLE_CACHING &&
                   DFSC_LEASE_WRITE == SMB2_LEASE_WRITE_CACHING,
               "lease bits");

static const dfsc_smb2_fid related_fid = {UINT64_MAX, UINT64_MAX};

static void verb_init(dfsc_verb *v, dfsc_tree *t, int kind) {
  void (*cb)(dfsc_verb *, int, uint32_t) = v->cb;
  void *data = v->data;
  memset(v, 0, sizeof(*v));
  v->cb = cb;
  v->data = data;
  v->tree = t;
  v->kind = kind;
  v->eof_at = UINT64_MAX;
}

/* A malformed answer: the verb fails with DFSC_E_PROTO (the first error
 * stays), its why names what was wrong (the op's result detail), and so
 * does a WARN line. `what` is a string literal. */
static void proto(dfsc_verb *v, const char *what) {
  if (v->err == 0) {
    v->err = DFSC_E_PROTO;
    v->why = what;
  }
  dfsc__complain(dfsc__tree_log(v->tree), DFSC_LOG_WARN, DFSC_CAT_SMB2,
                 dfsc__tree_host(v->tree), what);
}

/* The one way a verb ends. */
static void verb_finish(dfsc_verb *v, int err, uint32_t status) {
  v->finished = 1;
  v->cb(v, err, err == DFSC_E_NTSTATUS ? status : 0);
}

static void info_from_netopen(dfsc_verb_info *i, const dfsc_smb2_netopen *n) {
  i->size = n->end_of_file;
  i->alloc_size = n->allocation_size;
  i->attributes = n->attributes;
  i->is_dir = (n->attributes & SMB2_FILE_ATTRIBUTE_DIRECTORY) != 0;
  i->create_time = n->creation_time;
  i->access_time = n->last_access_time;
  i->write_time = n->last_write_time;
  i->change_time = n->change_time;
}

/* ---- request builders ------------------------------------------------- */

/* Room for the create contexts a durable open sends (DH2Q or DH2C, RqLs
 * v2, QFid, each with its 16-byte header, name and padding). */
#define CC_ROOM 256

#define SHARE_ALL (SMB2_FILE_SHARE_READ | SMB2_FILE_SHARE_WRITE | SMB2_FILE_SHARE_DELETE)

static dfsc_req *new_create_cc(const char *name, uint32_t access, uint32_t disposition,
                               uint32_t options, const dfsc_smb2_cc *ccs, size_t n_ccs,
                               uint32_t share) {
  dfsc_smb2_create_req cr;
  size_t nlen = strlen(name);
  dfsc_req *r = dfsc__req_new(SMB2_CREATE, 64 + 4 * nlen + 8 + (n_ccs ? CC_ROOM : 0));
  if (r == NULL)
    return NULL;
  memset(&cr, 0, sizeof(cr));
  cr.oplock_level = SMB2_OPLOCK_LEVEL_NONE;
  cr.impersonation = SMB2_IMPERSONATION_IMPERSONATION;
  cr.desired_access = access;
  cr.share_access = share;
  cr.disposition = disposition;
  cr.options = options;
  cr.name = name;
  cr.name_len = nlen;
  cr.ccs = ccs;
  cr.n_ccs = n_ccs;
  if (n_ccs > 0) {
    /* A lease is asked for in the context; the level says so (2.2.13). */
    for (size_t i = 0; i < n_ccs; i++)
      if (memcmp(ccs[i].name, SMB2_CC_RQLS, 4) == 0)
        cr.oplock_level = SMB2_OPLOCK_LEVEL_LEASE;
  }
  if (dfsc__smb2_create_req_encode(&r->w, &cr) < 0) {
    dfsc__req_free(r);
    return NULL;
  }
  return r;
}

static int handle_send(dfsc_verb *v, dfsc_tree *t, dfsc_req *r);

static dfsc_req *new_create(const char *name, uint32_t access, uint32_t disposition,
                            uint32_t options) {
  return new_create_cc(name, access, disposition, options, NULL, 0, SHARE_ALL);
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

static dfsc_req *new_query_info_n(const dfsc_smb2_fid *fid, uint8_t type, uint8_t cls,
                                  uint32_t out_len) {
  dfsc_smb2_query_info_req qi;
  dfsc_req *r = dfsc__req_new(SMB2_QUERY_INFO, 48);
  if (r == NULL)
    return NULL;
  memset(&qi, 0, sizeof(qi));
  qi.info_type = type;
  qi.info_class = cls;
  qi.output_buffer_length = out_len;
  qi.fid = *fid;
  if (dfsc__smb2_query_info_req_encode(&r->w, &qi) < 0) {
    dfsc__req_free(r);
    return NULL;
  }
  return r;
}

static dfsc_req *new_query_info(const dfsc_smb2_fid *fid, uint8_t type, uint8_t cls) {
  return new_query_info_n(fid, type, cls, 4096);
}

static dfsc_req *new_read(const dfsc_smb2_fid *fid, uint64_t off, size_t n) {
  dfsc_smb2_read_req rq;
  dfsc_req *r = dfsc__req_new(SMB2_READ, 56);
  if (r == NULL)
    return NULL;
  memset(&rq, 0, sizeof(rq));
  rq.padding = SMB2_READ_DATA_OFFSET;
  rq.length = (uint32_t)n;
  rq.offset = off;
  rq.fid = *fid;
  if (dfsc__smb2_read_req_encode(&r->w, &rq) < 0) {
    dfsc__req_free(r);
    return NULL;
  }
  r->payload = (uint32_t)n;
  return r;
}

/* ---- compounds -------------------------------------------------------- */

static void sub_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                   size_t len);
static int ea_answer(dfsc_verb *v, const uint8_t *list, size_t len);

/* [MS-SMB2] 3.2.4.1.4 allows compounding, never requires it: the same
 * requests go one by one, each later one with the CREATE's FileId. Returns
 * how many go now (the first). */
static int go_seq(dfsc_verb *v, dfsc_req **reqs, int n) {
  int i;
  for (i = 1; i < n; i++)
    v->seq[i - 1] = reqs[i];
  v->seq_n = n - 1;
  v->seq_next = 0;
  return 1;
}

/* Sends n requests (owned from here on, sent or freed) as one compound
 * whose answers land in sub_cb; one after another when the server grants
 * too few credits for the compound. */
static int send_compound(dfsc_verb *v, dfsc_req **reqs, int n) {
  int i, rc;
  for (i = 0; i < n; i++) {
    if (reqs[i] == NULL) {
      rc = -ENOMEM;
      goto fail;
    }
  }
  v->nsub = n;
  v->pending = n;
  for (i = 0; i < n; i++) {
    v->subs[i].v = v;
    v->subs[i].idx = i;
    reqs[i]->cb = sub_cb;
    reqs[i]->data = &v->subs[i];
  }
  if (n > 1 && (dfsc__tree_room(v->tree) < (uint32_t)n || !dfsc__tree_compounds(v->tree)))
    n = go_seq(v, reqs, n);
  rc = dfsc__tree_send(v->tree, reqs, n);
  if (rc == DFSC_E_CREDITS && n > 1) {
    /* The window shrank under the estimate (a server may grant fewer than
     * before): one by one needs only one request's charge at a time. */
    n = go_seq(v, reqs, n);
    rc = dfsc__tree_send(v->tree, reqs, n);
  }
  if (rc < 0)
    goto fail;
  return 0;
fail:
  for (i = 0; i < v->seq_n; i++)
    dfsc__req_free(v->seq[i]);
  v->seq_n = 0;
  for (i = 0; i < n; i++)
    dfsc__req_free(reqs[i]);
  v->pending = 0;
  return rc;
}

/* Rewrites the FileId of a request built for the related all-ones one. The
 * encoders put it at a fixed place of each request's body. */
static void set_fid(dfsc_req *r, const dfsc_smb2_fid *fid) {
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

/* One by one: after each answer the next request, or none after a failed
 * CREATE (after a later failure CLOSE still goes: the handle is open). */
static void seq_continue(dfsc_verb *v, int create_failed) {
  while (v->seq_next < v->seq_n) {
    dfsc_req *r = v->seq[v->seq_next++];
    int rc = -ECANCELED;
    if (!create_failed && v->have_fid) {
      set_fid(r, &v->fid);
      rc = dfsc__tree_send(v->tree, &r, 1);
      /* A step that could not go fails the verb (the rest still goes: a
       * CLOSE after it releases the handle). */
      if (rc < 0 && v->err == 0)
        v->err = rc;
    }
    if (rc == 0)
      return;
    dfsc__req_free(r);
    v->pending--;
  }
}

static void compound_finished(dfsc_verb *v) {
  int i;
  if (v->err < 0 && v->kind == V_OPEN && v->have_fid && v->nsub == 1) {
    /* Opened, but what came with it cannot be held (a lease or durable
     * answer that does not fit the request): the handle is not kept. */
    dfsc__verb_close_forget(v->tree, &v->fid);
  }
  if (v->err < 0) {
    verb_finish(v, v->err, 0);
    return;
  }
  /* The first failing step names the status; CLOSE after a failed CREATE
   * fails too and says nothing new. */
  for (i = 0; i < v->nsub; i++) {
    if ((v->status[i] & 0xC0000000u) == 0xC0000000u) {
      verb_finish(v, DFSC_E_NTSTATUS, v->status[i]);
      return;
    }
  }
  verb_finish(v, 0, 0);
}

/* What the server granted of a durable open: a context answers only what
 * was asked, and what it says is checked against it. */
static int durable_parse(dfsc_verb_durable *d, const dfsc_smb2_create_rsp *cr) {
  dfsc_smb2_cc cc;
  int rc;
  d->granted = 0;
  d->lease_state = 0;
  d->has_disk_id = 0;
  if (cr->oplock_level == SMB2_OPLOCK_LEVEL_LEASE) {
    dfsc_smb2_lease ls;
    rc = dfsc__smb2_cc_find(cr->cc_buf, cr->cc_len, SMB2_CC_RQLS, &cc);
    if (rc < 0 || (rc == 1 && dfsc__smb2_cc_lease_parse(&cc, &ls) < 0))
      return DFSC_E_PROTO;
    if (rc == 1) {
      /* A lease for another key, or more than was asked for, is not ours
       * to hold. */
      if (memcmp(ls.key, d->lease_key, 16) != 0 || (ls.state & ~d->lease_want) != 0)
        return DFSC_E_PROTO;
      d->lease_state = ls.state;
      d->lease_epoch = ls.epoch;
    }
  }
  if (d->reclaim) {
    /* [MS-SMB2] 3.2.5.13: a successful reconnect is the durable open. */
    d->granted = d->version;
  } else if (dfsc__smb2_cc_find(cr->cc_buf, cr->cc_len, SMB2_CC_DH2Q, &cc) == 1) {
    uint32_t tmo, fl;
    if (dfsc__smb2_cc_dh2q_parse(&cc, &tmo, &fl) < 0)
      return DFSC_E_PROTO;
    d->granted = 2;
    d->timeout_ms = tmo;
  } else if (dfsc__smb2_cc_find(cr->cc_buf, cr->cc_len, SMB2_CC_DHNQ, &cc) == 1) {
    d->granted = 1;
  }
  if (dfsc__smb2_cc_find(cr->cc_buf, cr->cc_len, SMB2_CC_QFID, &cc) == 1 &&
      dfsc__smb2_cc_qfid_parse(&cc, d->disk_id) == 0)
    d->has_disk_id = 1;
  return 0;
}

static void sub_decode(dfsc_verb *v, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                       size_t len) {
  switch (h->command) {
  case SMB2_CREATE: {
    dfsc_smb2_create_rsp cr;
    if (dfsc__smb2_create_rsp_decode(pdu, len, &cr) < 0) {
      proto(v, "CREATE response: StructureSize 89, or CreateContextsOffset/Length outside "
               "the PDU");
      return;
    }
    v->fid = cr.fid;
    v->have_fid = 1;
    info_from_netopen(&v->info, &cr.info);
    if (v->dur != NULL && durable_parse(v->dur, &cr) < 0)
      proto(v, "CREATE response: a durable handle or lease context of the wrong size");
    return;
  }
  case SMB2_QUERY_INFO: {
    dfsc_smb2_query_info_rsp qr;
    if (dfsc__smb2_query_info_rsp_decode(pdu, len, &qr) < 0) {
      proto(v, "QUERY_INFO response: StructureSize 9, or OutputBufferOffset/Length outside "
               "the PDU");
      return;
    }
    if (v->kind == V_GET_EAS) {
      /* A file without EAs answers with no list (STATUS_NO_EAS_ON_FILE). */
      int rc = ea_answer(v, qr.buf, qr.len);
      if (rc < 0)
        v->err = rc;
    } else if (v->kind == V_STATFS) {
      dfsc_smb2_fs_size fs;
      if (dfsc__smb2_fs_full_size_parse(qr.buf, qr.len, &fs) < 0) {
        proto(v, "FileFsFullSizeInformation shorter than its 32 bytes");
        return;
      }
      v->fs.block_size = (uint64_t)fs.sectors_per_unit * fs.bytes_per_sector;
      v->fs.blocks = fs.total_units;
      v->fs.blocks_free = fs.actual_available_units;
      v->fs.blocks_avail = fs.caller_available_units;
    } else {
      dfsc_smb2_fi_all all;
      if (dfsc__smb2_fi_all_parse(qr.buf, qr.len, &all) < 0) {
        proto(v, "FileAllInformation shorter than its 100-byte fixed part");
        return;
      }
      v->info.size = all.standard.end_of_file;
      v->info.alloc_size = all.standard.allocation_size;
      v->info.attributes = all.basic.attributes;
      v->info.is_dir = all.standard.directory != 0 ||
                       (all.basic.attributes & SMB2_FILE_ATTRIBUTE_DIRECTORY) != 0;
      v->info.create_time = all.basic.creation_time;
      v->info.access_time = all.basic.last_access_time;
      v->info.write_time = all.basic.last_write_time;
      v->info.change_time = all.basic.change_time;
      v->info.file_id = all.index_number;
      v->info.nlink = all.standard.number_of_links;
    }
    return;
  }
  case SMB2_READ: {
    dfsc_smb2_read_rsp rr;
    /* The server's DataLength may not exceed what was asked for: that is
     * all the caller's buffer is known to hold. */
    if (v->kind != V_READ_FILE || dfsc__smb2_read_rsp_decode(pdu, len, &rr) < 0 ||
        rr.data_len > v->chunk) {
      proto(v,
            "READ response: DataOffset/DataLength outside the PDU or past what was asked");
      return;
    }
    if (rr.data_len > 0)
      memcpy(v->buf, rr.data, rr.data_len);
    v->nbytes = rr.data_len;
    return;
  }
  default:
    return;
  }
}

static void sub_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                   size_t len) {
  struct dfsc_verb_sub *s = r->data;
  dfsc_verb *v = s->v;
  if (err < 0) {
    if (v->err == 0)
      v->err = err;
  } else {
    v->status[s->idx] = h->status;
    /* Reading at offset 0 of an empty file: no data, not a failure
     * ([MS-SMB2] 3.3.5.12). */
    if (h->command == SMB2_READ && h->status == STATUS_END_OF_FILE)
      v->status[s->idx] = 0;
    /* A file without extended attributes: an empty list ([MS-FSCC]
     * 2.4.15; Windows and Samba answer STATUS_NO_EAS_ON_FILE). */
    if (h->command == SMB2_QUERY_INFO && v->kind == V_GET_EAS && v->err == 0) {
      int rc = 0;
      if (h->status == STATUS_NO_EAS_ON_FILE) {
        v->status[s->idx] = 0;
        rc = ea_answer(v, NULL, 0);
      } else if (h->status == STATUS_BUFFER_OVERFLOW) {
        rc = DFSC_E_TOOBIG; /* more than 64 KiB of EAs: not one answer */
      }
      if (rc < 0)
        v->err = rc;
    }
    if (v->err == 0 && (h->status == 0 ||
                        (h->command == SMB2_READ && h->status == STATUS_BUFFER_OVERFLOW)))
      sub_decode(v, h, pdu, len);
  }
  if (v->seq_next < v->seq_n)
    seq_continue(v, err < 0 || (h->command == SMB2_CREATE && h->status != 0));
  if (--v->pending == 0)
    compound_finished(v);
}

/* ---- path verbs ------------------------------------------------------- */

#define ACCESS_READ                                                                        \
  (SMB2_FILE_READ_DATA | SMB2_FILE_READ_EA | SMB2_FILE_READ_ATTRIBUTES |                   \
   SMB2_READ_CONTROL | SMB2_SYNCHRONIZE)
#define ACCESS_WRITE                                                                       \
  (SMB2_FILE_WRITE_DATA | SMB2_FILE_APPEND_DATA | SMB2_FILE_WRITE_EA |                     \
   SMB2_FILE_WRITE_ATTRIBUTES)
#define ACCESS_STAT (SMB2_FILE_READ_ATTRIBUTES | SMB2_SYNCHRONIZE)

static uint32_t open_access(int flags) {
  /* A handle that keeps others from deleting or renaming the file may
   * rename it itself (dfsc__verb_rename_open). */
  uint32_t own = (flags & DFSC_O_DENY_DELETE) ? SMB2_DELETE : 0;
  if (flags & DFSC_O_ATTRIBUTES)
    return SMB2_FILE_READ_ATTRIBUTES | SMB2_FILE_WRITE_ATTRIBUTES | SMB2_SYNCHRONIZE | own;
  switch (flags & DFSC_O_ACCMODE) {
  case DFSC_O_WRONLY:
    return ACCESS_WRITE | SMB2_FILE_READ_ATTRIBUTES | SMB2_SYNCHRONIZE | own;
  case DFSC_O_RDWR:
    return ACCESS_READ | ACCESS_WRITE | own;
  default:
    return ACCESS_READ | own;
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

/* Others may read, write and delete an open file, unless the caller keeps
 * deletes (and renames) out while it holds it ([MS-SMB2] 2.2.13
 * ShareAccess). */
static uint32_t open_share(int flags) {
  return (flags & DFSC_O_DENY_DELETE) ? SHARE_ALL & ~SMB2_FILE_SHARE_DELETE : SHARE_ALL;
}

int dfsc__verb_open(dfsc_verb *v, dfsc_tree *t, const char *name, int flags) {
  uint32_t opts = (flags & DFSC_O_ATTRIBUTES)  ? 0
                  : (flags & DFSC_O_DIRECTORY) ? SMB2_FILE_DIRECTORY_FILE
                                               : SMB2_FILE_NON_DIRECTORY_FILE;
  dfsc_req *r;
  verb_init(v, t, V_OPEN);
  r = new_create_cc(name, open_access(flags), open_disposition(flags), opts, NULL, 0,
                    open_share(flags));
  return send_compound(v, &r, 1);
}

int dfsc__verb_open_durable(dfsc_verb *v, dfsc_tree *t, const char *name, int flags,
                            dfsc_verb_durable *d) {
  uint32_t opts =
      (flags & DFSC_O_DIRECTORY) ? SMB2_FILE_DIRECTORY_FILE : SMB2_FILE_NON_DIRECTORY_FILE;
  uint16_t dialect = dfsc__tree_dialect(t);
  int leasing =
      dialect >= SMB2_DIALECT_210 && (dfsc__tree_server_caps(t) & SMB2_GLOBAL_CAP_LEASING);
  uint8_t dbuf[SMB2_DH2C_SIZE], lbuf[SMB2_LEASE_V2_SIZE];
  dfsc_smb2_cc ccs[3];
  dfsc_smb2_lease ls;
  size_t n = 0;
  uint32_t disp = open_disposition(flags);
  dfsc_req *r;
  if ((flags & DFSC_O_ATTRIBUTES) || !leasing ||
      (d->reclaim && d->version != 1 && d->version != 2))
    return d->reclaim ? DFSC_E_UNSUPPORTED : dfsc__verb_open(v, t, name, flags);
  verb_init(v, t, V_OPEN);
  v->dur = d;
  if (d->reclaim) {
    /* [MS-SMB2] 3.2.4.4: the same name, and the lease with its key. */
    if (d->version == 2)
      dfsc__smb2_cc_dh2c(&ccs[n++], dbuf, &d->fid, d->create_guid, 0);
    else
      dfsc__smb2_cc_dhnc(&ccs[n++], dbuf, &d->fid);
    disp = SMB2_FILE_OPEN;
  } else if (dialect >= SMB2_DIALECT_300) {
    dfsc__smb2_cc_dh2q(&ccs[n++], dbuf, d->timeout_ms, 0, d->create_guid);
  } else {
    dfsc__smb2_cc_dhnq(&ccs[n++], dbuf);
  }
  memset(&ls, 0, sizeof(ls));
  memcpy(ls.key, d->lease_key, 16);
  ls.state = d->lease_want;
  ls.version = dialect >= SMB2_DIALECT_300 ? 2 : 1;
  if (dfsc__smb2_cc_lease(&ccs[n++], lbuf, &ls) < 0)
    return -EINVAL;
  /* [MS-SMB2] 3.3.5.9.7 / 3.3.5.9.12: a reconnect carries the durable
   * context and the lease, nothing else. */
  if (!d->reclaim)
    dfsc__smb2_cc_qfid(&ccs[n++]);
  r = new_create_cc(name, open_access(flags), disp, opts, ccs, n, open_share(flags));
  if (r != NULL && d->replay && !d->reclaim && dialect >= SMB2_DIALECT_300)
    r->hdr_flags |= SMB2_FLAGS_REPLAY_OPERATION;
  return send_compound(v, &r, 1);
}

static int query_verb(dfsc_verb *v, dfsc_tree *t, const char *name, int kind) {
  dfsc_req *reqs[3];
  verb_init(v, t, kind);
  reqs[0] = new_create(name, ACCESS_STAT, SMB2_FILE_OPEN, 0);
  /* [MS-SMB2] 2.2.37; FileFsFullSizeInformation is [MS-FSCC] 2.5.4. */
  reqs[1] = kind == V_STATFS
                ? new_query_info(&related_fid, SMB2_0_INFO_FILESYSTEM,
                                 FILE_FS_FULL_SIZE_INFORMATION)
                : new_query_info(&related_fid, SMB2_0_INFO_FILE, FILE_ALL_INFORMATION);
  reqs[2] = new_close(&related_fid);
  return send_compound(v, reqs, 3);
}

int dfsc__verb_stat(dfsc_verb *v, dfsc_tree *t, const char *name) {
  return query_verb(v, t, name, V_STAT);
}

int dfsc__verb_statfs(dfsc_verb *v, dfsc_tree *t, const char *name) {
  return query_verb(v, t, name, V_STATFS);
}

int dfsc__verb_read_file(dfsc_verb *v, dfsc_tree *t, const char *name, void *buf,
                         size_t cap) {
  dfsc_req *reqs[3];
  uint32_t room = dfsc__tree_room(t);
  /* One READ carries at most the negotiated MaxReadSize and what its credit
   * charge allows: in a compound the CREATE and CLOSE take one credit each.
   * The compound is sized by the credits in hand now, so it goes at once:
   * one sized by the largest window seen could wait for credits a server
   * that shrinks its window never grants again (Samba with 'smb2 max
   * credits = 2' grants 3 at times, then 2), and fail. With fewer than 3 in
   * hand the requests go one by one and the READ asks for one credit's
   * worth, which any server grants in the end. */
  uint64_t by_credits = (uint64_t)(room >= 3 ? room - 2 : 1) * CREDIT_BYTES;
  size_t n = cap;
  if (buf == NULL || cap == 0)
    return -EINVAL;
  verb_init(v, t, V_READ_FILE);
  if (n > dfsc__tree_max_read(t))
    n = dfsc__tree_max_read(t);
  if (n > by_credits)
    n = (size_t)by_credits;
  v->chunk = n;
  v->buf = buf;
  reqs[0] = new_create(name, ACCESS_READ, SMB2_FILE_OPEN, SMB2_FILE_NON_DIRECTORY_FILE);
  reqs[1] = new_read(&related_fid, 0, n);
  reqs[2] = new_close(&related_fid);
  return send_compound(v, reqs, 3);
}

int dfsc__verb_get_ea(dfsc_verb *v, dfsc_tree *t, const char *name, const char *ea_name,
                      void *buf, size_t cap) {
  dfsc_req *reqs[3];
  uint32_t n = dfsc__tree_max_transact(t);
  if ((buf == NULL && cap > 0) ||
      (ea_name != NULL && (ea_name[0] == 0 || strlen(ea_name) > SMB2_EA_NAME_MAX)))
    return -EINVAL;
  /* The whole list in one answer of one credit's worth ([MS-SMB2]
   * 3.2.4.1.5 charges the output): Windows keeps at most 64 KiB of EAs per
   * file. */
  if (n > CREDIT_BYTES)
    n = CREDIT_BYTES;
  verb_init(v, t, V_GET_EAS);
  v->buf = buf;
  v->chunk = buf != NULL ? cap : 0;
  v->ea_name = ea_name;
  reqs[0] = new_create(name, SMB2_FILE_READ_EA | ACCESS_STAT, SMB2_FILE_OPEN, 0);
  reqs[1] = new_query_info_n(&related_fid, SMB2_0_INFO_FILE, FILE_FULL_EA_INFORMATION, n);
  reqs[2] = new_close(&related_fid);
  return send_compound(v, reqs, 3);
}

int dfsc__verb_set_ea(dfsc_verb *v, dfsc_tree *t, const char *name, const char *ea_name,
                      const void *value, size_t len) {
  dfsc_req *reqs[3];
  size_t nlen = ea_name != NULL ? strlen(ea_name) : 0;
  size_t cap = SMB2_EA_FIXED_SIZE + nlen + 1 + len;
  uint8_t *list;
  dfsc_wr w;
  if (nlen == 0 || nlen > SMB2_EA_NAME_MAX || len > SMB2_EA_VALUE_MAX ||
      (value == NULL && len > 0))
    return -EINVAL;
  list = dfsc__malloc(cap);
  if (list == NULL)
    return -ENOMEM;
  dfsc__wr_init(&w, list, cap);
  verb_init(v, t, V_SET_EAS);
  reqs[0] = new_create(name, SMB2_FILE_WRITE_EA | ACCESS_STAT, SMB2_FILE_OPEN, 0);
  /* The SET_INFO copies the list into its request. */
  reqs[1] = dfsc__smb2_ea_build(&w, ea_name, nlen, value, len, 1) < 0
                ? NULL
                : new_set_info(&related_fid, FILE_FULL_EA_INFORMATION, list, w.off);
  reqs[2] = new_close(&related_fid);
  dfsc__free(list);
  return send_compound(v, reqs, 3);
}

/* The answer to a get_ea from the server's list: the names, or one value. */
static int ea_answer(dfsc_verb *v, const uint8_t *list, size_t len) {
  size_t pos = 0, need = 0, qlen = v->ea_name ? strlen(v->ea_name) : 0;
  dfsc_smb2_ea ea;
  int rc, found = 0;
  while ((rc = dfsc__smb2_ea_next(list, len, &pos, &ea)) == 1) {
    if (v->ea_name == NULL) {
      if (need + ea.name_len + 1 <= v->chunk) {
        memcpy(v->buf + need, ea.name, ea.name_len);
        v->buf[need + ea.name_len] = 0;
      }
      need += ea.name_len + 1;
    } else if (ea.name_len == qlen && strncasecmp(ea.name, v->ea_name, qlen) == 0) {
      if (ea.value_len <= v->chunk && ea.value_len > 0)
        memcpy(v->buf, ea.value, ea.value_len);
      need = ea.value_len;
      found = 1;
      break;
    }
  }
  if (rc < 0)
    return rc;
  v->nbytes = need;
  if (v->ea_name != NULL && !found)
    return -ENODATA;
  return v->chunk > 0 && need > v->chunk ? -ERANGE : 0;
}

int dfsc__verb_set_basic(dfsc_verb *v, dfsc_tree *t, const char *name, uint32_t attributes,
                         uint64_t access_time, uint64_t write_time) {
  dfsc_req *reqs[4];
  dfsc_smb2_fi_basic b;
  uint8_t info[64];
  dfsc_wr w;
  verb_init(v, t, V_SET_BASIC);
  memset(&b, 0, sizeof(b));
  b.attributes = attributes; /* 0: unchanged ([MS-FSCC] 2.4.7) */
  b.last_access_time = access_time;
  b.last_write_time = write_time;
  dfsc__wr_init(&w, info, sizeof(info));
  reqs[0] = new_create(name, SMB2_FILE_WRITE_ATTRIBUTES | ACCESS_STAT, SMB2_FILE_OPEN, 0);
  reqs[1] = dfsc__smb2_fi_basic_build(&w, &b) < 0
                ? NULL
                : new_set_info(&related_fid, FILE_BASIC_INFORMATION, info, w.off);
  reqs[2] = new_query_info(&related_fid, SMB2_0_INFO_FILE, FILE_ALL_INFORMATION);
  reqs[3] = new_close(&related_fid);
  return send_compound(v, reqs, 4);
}

int dfsc__verb_mkdir(dfsc_verb *v, dfsc_tree *t, const char *name) {
  dfsc_req *reqs[2];
  verb_init(v, t, V_MKDIR);
  reqs[0] = new_create(name, ACCESS_STAT, SMB2_FILE_CREATE, SMB2_FILE_DIRECTORY_FILE);
  reqs[1] = new_close(&related_fid);
  return send_compound(v, reqs, 2);
}

int dfsc__verb_delete(dfsc_verb *v, dfsc_tree *t, const char *name, int is_dir) {
  dfsc_req *reqs[3];
  uint8_t info[16];
  dfsc_wr w;
  verb_init(v, t, V_DELETE);
  reqs[0] = new_create(name, SMB2_DELETE | ACCESS_STAT, SMB2_FILE_OPEN,
                       is_dir ? SMB2_FILE_DIRECTORY_FILE : SMB2_FILE_NON_DIRECTORY_FILE);
  dfsc__wr_init(&w, info, sizeof(info));
  reqs[1] = dfsc__smb2_fi_disposition_build(&w, 1) < 0
                ? NULL
                : new_set_info(&related_fid, FILE_DISPOSITION_INFORMATION, info, w.off);
  reqs[2] = new_close(&related_fid);
  return send_compound(v, reqs, 3);
}

/* CREATE + SET_INFO of a new name + CLOSE. FILE_LINK_INFORMATION
 * ([MS-FSCC] 2.4.27.2, class 11) has the layout of
 * FILE_RENAME_INFORMATION_TYPE_2, so one builder serves rename and link. */
static int set_name(dfsc_verb *v, dfsc_tree *t, int kind, const char *name, uint32_t access,
                    uint32_t options, uint8_t info_class, const char *newname,
                    int replace) {
  dfsc_req *reqs[3];
  uint8_t info[4096];
  dfsc_wr w;
  verb_init(v, t, kind);
  reqs[0] = new_create(name, access, SMB2_FILE_OPEN, options);
  dfsc__wr_init(&w, info, sizeof(info));
  reqs[1] = dfsc__smb2_fi_rename_build(&w, replace != 0, newname, strlen(newname)) < 0
                ? NULL
                : new_set_info(&related_fid, info_class, info, w.off);
  reqs[2] = new_close(&related_fid);
  return send_compound(v, reqs, 3);
}

int dfsc__verb_rename(dfsc_verb *v, dfsc_tree *t, const char *name, const char *newname,
                      int replace) {
  return set_name(v, t, V_RENAME, name, SMB2_DELETE | ACCESS_STAT, 0,
                  FILE_RENAME_INFORMATION, newname, replace);
}

int dfsc__verb_rename_open(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid,
                           const char *newname, int replace) {
  uint8_t info[4096];
  dfsc_wr w;
  dfsc__wr_init(&w, info, sizeof(info));
  return handle_send(
      v, t,
      dfsc__smb2_fi_rename_build(&w, replace != 0, newname, strlen(newname)) < 0
          ? NULL
          : new_set_info(fid, FILE_RENAME_INFORMATION, info, w.off));
}

/* A hard link: the source is opened for its attributes only. */
int dfsc__verb_link(dfsc_verb *v, dfsc_tree *t, const char *name, const char *newname,
                    int replace) {
  return set_name(v, t, V_LINK, name, ACCESS_STAT | SMB2_FILE_WRITE_ATTRIBUTES,
                  SMB2_FILE_NON_DIRECTORY_FILE, FILE_LINK_INFORMATION, newname, replace);
}

/* ---- listings --------------------------------------------------------- */

static void list_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                    size_t len);

/* The page size: the negotiated MaxTransactSize, at most 1 MiB, and no more
 * than the credits pay for (one credit goes to a CREATE in front). */
static uint32_t list_outlen(dfsc_tree *t, int with_create) {
  uint32_t outlen = dfsc__tree_max_transact(t);
  uint32_t max = dfsc__tree_room(t); /* sized to go now, as read_file's */
  uint32_t avail = with_create && max >= 2 ? max - 1 : max ? max : 1;
  if (outlen > LIST_BUF_MAX)
    outlen = LIST_BUF_MAX;
  if ((uint64_t)outlen > (uint64_t)avail * CREDIT_BYTES)
    outlen = avail * CREDIT_BYTES;
  return outlen;
}

static dfsc_req *new_query_dir(dfsc_verb *v, const dfsc_smb2_fid *fid, int with_create,
                               int restart) {
  dfsc_smb2_query_dir_req q;
  uint32_t outlen = list_outlen(v->tree, with_create);
  if (v->page_max != 0 && outlen > v->page_max)
    outlen = v->page_max < 4096 ? 4096 : (uint32_t)v->page_max;
  dfsc_req *r = dfsc__req_new(SMB2_QUERY_DIRECTORY, 64);
  if (r == NULL)
    return NULL;
  memset(&q, 0, sizeof(q));
  q.info_class = FILE_ID_BOTH_DIRECTORY_INFORMATION;
  q.flags = restart ? SMB2_RESTART_SCANS : 0;
  q.fid = *fid;
  q.pattern = "*";
  q.pattern_len = 1;
  q.output_buffer_length = outlen;
  if (dfsc__smb2_query_dir_req_encode(&r->w, &q) < 0) {
    dfsc__req_free(r);
    return NULL;
  }
  r->cb = list_cb;
  r->data = v;
  r->payload = outlen;
  return r;
}

/* Sends the next QUERY_DIRECTORY of v (with its CREATE in front when
 * name is not NULL). With the CREATE goes a second QUERY_DIRECTORY when the
 * credits allow: it continues the first, so a directory that fits one page
 * is listed in one round trip (its STATUS_NO_MORE_FILES comes back with the
 * page), and a larger one gets two pages. */
static int list_query(dfsc_verb *v, const char *name, int restart) {
  dfsc_req *reqs[3];
  int n = 0, nq = 1, i, rc;
  if (name != NULL) {
    uint32_t charge = (list_outlen(v->tree, 1) + CREDIT_BYTES - 1) / CREDIT_BYTES;
    reqs[n] = new_create(name, SMB2_FILE_LIST_DIRECTORY | ACCESS_STAT, SMB2_FILE_OPEN,
                         SMB2_FILE_DIRECTORY_FILE);
    if (reqs[n] == NULL)
      return -ENOMEM;
    reqs[n]->cb = list_cb;
    reqs[n]->data = v;
    n++;
    if (dfsc__tree_room(v->tree) < 2 || !dfsc__tree_compounds(v->tree)) {
      /* Too few credits to compound (or a server whose compounded replies
       * are signed wrongly): the QUERY_DIRECTORY follows once the CREATE
       * answered. */
      v->alone = 1;
      v->pending = 1;
      rc = dfsc__tree_send(v->tree, reqs, 1);
      if (rc < 0) {
        v->pending = 0;
        dfsc__req_free(reqs[0]);
      }
      return rc;
    }
    if (v->kind == V_LIST && dfsc__tree_room(v->tree) >= 1 + 2 * charge)
      nq = 2;
  }
  if (!dfsc__tree_compounds(v->tree))
    nq = 1; /* a page alone, no second one chained */
  for (i = 0; i < nq; i++) {
    reqs[n] = new_query_dir(v, name != NULL ? &related_fid : &v->fid, name != NULL,
                            restart && i == 0);
    if (reqs[n] == NULL) {
      for (i = 0; i < n; i++)
        dfsc__req_free(reqs[i]);
      return -ENOMEM;
    }
    n++;
  }
  v->q2 = nq == 2 ? reqs[n - 1] : NULL;
  v->pending = n;
  rc = dfsc__tree_send(v->tree, reqs, n);
  if (rc < 0) {
    v->pending = 0;
    for (i = 0; i < n; i++)
      dfsc__req_free(reqs[i]);
  }
  return rc;
}

static void list_close_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                          size_t len) {
  dfsc_verb *v = r->data;
  (void)err;
  (void)h;
  (void)pdu;
  (void)len;
  /* The listing is complete whatever CLOSE says. */
  verb_finish(v, v->err, v->status[0]);
}

/* Ends a listing: closes the directory when it was opened on the
 * connection still up, then reports. The CLOSE is waited for: a server may
 * carry out one connection's requests in any order (Windows serves them
 * from a pool of threads), and a directory still open would make an rmdir
 * of it, sent next, leave it delete-pending. */
static void list_end(dfsc_verb *v) {
  dfsc_req *r;
  if (v->kind == V_LIST_PAGE || !v->have_fid || dfsc__tree_gen(v->tree) != v->gen) {
    verb_finish(v, v->err, v->status[0]);
    return;
  }
  r = new_close(&v->fid);
  if (r != NULL) {
    r->cb = list_close_cb;
    r->data = v;
    if (dfsc__tree_send(v->tree, &r, 1) == 0)
      return;
    dfsc__req_free(r);
  }
  verb_finish(v, v->err, v->status[0]);
}

/* A refusal of a QUERY_DIRECTORY for being in a compound, not an answer
 * about the directory: STATUS_INVALID_PARAMETER or STATUS_NOT_SUPPORTED
 * from a server that takes one at a time, STATUS_INTERNAL_ERROR or
 * STATUS_CANCELLED for a request that had to go asynchronous while not
 * the last of its compound ([MS-SMB2] 3.3.5.2.7). */
static int compound_refusal(uint32_t status) {
  return status == STATUS_INVALID_PARAMETER || status == STATUS_NOT_SUPPORTED ||
         status == STATUS_INTERNAL_ERROR || status == STATUS_CANCELLED;
}

/* FNV-1a over the names of one page: a page whose names hash like the
 * previous one's (and as many) is the same page again. */
static uint64_t hash_add(uint64_t hsh, const uint8_t *p, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    hsh ^= p[i];
    hsh *= 0x100000001b3ull;
  }
  return hsh;
}

/* One page of entries: 1 when there may be more, 0 at the end, or a
 * negative code in v->err. */
static int list_page(dfsc_verb *v, const dfsc_smb2_hdr *h, const uint8_t *pdu, size_t len) {
  dfsc_smb2_query_dir_rsp qr;
  dfsc_smb2_dir_iter it;
  dfsc_smb2_dirent e;
  dfsc_verb_dirent de;
  uint64_t hsh = 0xcbf29ce484222325ull;
  size_t n = 0;
  int rc;
  if (h->status == STATUS_NO_MORE_FILES)
    return 0;
  if (h->status != 0) {
    v->err = DFSC_E_NTSTATUS;
    v->status[0] = h->status;
    return 0;
  }
  if (dfsc__smb2_query_dir_rsp_decode(pdu, len, &qr) < 0 ||
      dfsc__smb2_dir_iter_init(&it, FILE_ID_BOTH_DIRECTORY_INFORMATION, qr.buf, qr.len) <
          0) {
    proto(v, "QUERY_DIRECTORY response: StructureSize 9, or OutputBufferOffset/Length "
             "outside the PDU");
    return 0;
  }
  while ((rc = dfsc__smb2_dir_next(&it, &e)) == 1) {
    memset(&de, 0, sizeof(de));
    de.name = e.name;
    de.name_len = e.name_len;
    info_from_netopen(&de.info, &e.info);
    de.info.file_id = e.has_file_id ? e.file_id : 0;
    hsh = hash_add(hash_add(hsh, e.name, e.name_len), (const uint8_t *)"/", 1);
    n++;
    rc = v->entry(v->entry_arg, &de);
    if (rc < 0)
      break;
  }
  if (rc == DFSC_E_PROTO) {
    proto(v, "a directory entry's NextEntryOffset, FileNameLength or ShortNameLength "
             "out of its bounds");
    return 0;
  }
  if (rc < 0) {
    v->err = rc;
    return 0;
  }
  if (n > 0 && n == v->page_n && hsh == v->page_hash) {
    /* A server that never says STATUS_NO_MORE_FILES would otherwise be
     * listed until a bound stops it. */
    proto(v, "the server sent the same listing page again");
    return 0;
  }
  v->page_n = n;
  v->page_hash = hsh;
  return 1;
}

static void list_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                    size_t len) {
  dfsc_verb *v = r->data;
  int more = 0, rc;

  v->pending--;
  if (err < 0) {
    if (v->err == 0)
      v->err = err;
  } else if (h->command == SMB2_CREATE) {
    dfsc_smb2_create_rsp cr;
    if (h->status != 0) {
      v->err = DFSC_E_NTSTATUS;
      v->status[0] = h->status;
    } else if (dfsc__smb2_create_rsp_decode(pdu, len, &cr) < 0) {
      proto(v, "CREATE response: StructureSize 89, or CreateContextsOffset/Length outside "
               "the PDU");
    } else {
      v->fid = cr.fid;
      v->have_fid = 1;
      v->gen = dfsc__tree_gen(v->tree);
      more = v->alone;
    }
  } else if (v->err == 0 && v->q2 != NULL && r != v->q2 && v->page_n == 0 &&
             compound_refusal(h->status)) {
    /* The first QUERY_DIRECTORY of the compound refused as such: the
     * second's answer is not used, and the listing starts again with one
     * sent alone (SMB2_RESTART_SCANS). */
    v->again = 1;
  } else if (v->err == 0 && r == v->q2 && (v->again || compound_refusal(h->status))) {
    /* The first refused (above), or the second refused as such: the
     * listing goes on with one alone. */
    more = 1;
  } else if (v->err == 0) {
    more = list_page(v, h, pdu, len);
  }
  if (v->pending > 0)
    return;
  if (v->kind == V_LIST_PAGE) {
    v->more = v->err == 0 && more;
    verb_finish(v, v->err, v->status[0]);
    return;
  }
  if (v->err == 0 && more) {
    int restart = v->again;
    v->again = 0;
    if (++v->rounds > DFSC_VERB_LIST_ROUNDS) {
      v->err = DFSC_E_TOOBIG;
    } else {
      rc = list_query(v, NULL, restart);
      if (rc == 0)
        return;
      v->err = rc;
    }
  }
  list_end(v);
}

int dfsc__verb_list(dfsc_verb *v, dfsc_tree *t, const char *name, dfsc_verb_entry_fn entry,
                    void *arg) {
  if (entry == NULL)
    return -EINVAL;
  verb_init(v, t, V_LIST);
  v->entry = entry;
  v->entry_arg = arg;
  return list_query(v, name, 0);
}

int dfsc__verb_list_page(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid, int restart,
                         size_t max_bytes, dfsc_verb_entry_fn entry, void *arg) {
  uint64_t hsh = v->page_hash;
  size_t n = v->page_n;
  if (entry == NULL)
    return -EINVAL;
  verb_init(v, t, V_LIST_PAGE);
  /* The previous page of the same listing, to spot a repeat. */
  v->page_hash = restart ? 0 : hsh;
  v->page_n = restart ? 0 : n;
  v->page_max = max_bytes;
  v->entry = entry;
  v->entry_arg = arg;
  v->fid = *fid;
  v->have_fid = 1;
  return list_query(v, NULL, restart);
}

/* ---- pipelined reads and writes ----------------------------------------- */

static int io_pump(dfsc_verb *v);

static void io_maybe_done(dfsc_verb *v) {
  if (v->inflight > 0 || v->finished)
    return;
  if (v->err < 0) {
    verb_finish(v, v->err, v->status[0]);
    return;
  }
  if (v->issued < v->len && v->eof_at == UINT64_MAX)
    return; /* io_pump continues */
  if (v->kind == V_READ) {
    uint64_t end = v->off + v->len;
    if (v->eof_at < end)
      end = v->eof_at < v->off ? v->off : v->eof_at;
    v->nbytes = (size_t)(end - v->off);
  } else {
    v->nbytes = v->len;
  }
  verb_finish(v, 0, 0);
}

static void io_fail(dfsc_verb *v, int err, uint32_t st) {
  if (v->err == 0) {
    v->err = err;
    v->status[0] = st;
  }
}

static void io_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                  size_t len) {
  dfsc_verb *v = r->data;
  size_t rlen = r->payload;
  v->inflight -= rlen;
  if (err < 0) {
    io_fail(v, err, 0);
  } else if (v->kind == V_READ) {
    /* Where this READ's data goes: rdst was set from its offset; a read
     * into a pipe is one READ (io_start), the last issued. */
    uint64_t at = v->buf != NULL ? v->off + (uint64_t)(r->rdst - v->buf)
                                 : v->off + (uint64_t)(v->issued - rlen);
    dfsc_smb2_read_rsp rr;
    if (h->status == STATUS_END_OF_FILE) {
      if (at < v->eof_at)
        v->eof_at = at;
    } else if (h->status != 0 && h->status != STATUS_BUFFER_OVERFLOW) {
      io_fail(v, DFSC_E_NTSTATUS, h->status);
    } else if (r->rdst_done) {
      /* The data is in place already (decrypted there, or received there
       * by the transport, which checked its length against the frame):
       * only the fixed part is here to read. */
      size_t doff, dlen;
      if (dfsc__smb2_read_rsp_peek(pdu, len, &doff, &dlen) < 0)
        proto(v, "READ response: StructureSize 17 or DataOffset");
      else if (dlen > rlen)
        proto(v, "READ response: DataLength larger than the Length asked");
      else if (dlen < rlen && at + dlen < v->eof_at)
        v->eof_at = at + dlen;
    } else if (dfsc__smb2_read_rsp_decode(pdu, len, &rr) < 0) {
      proto(v, "READ response: StructureSize 17, or DataOffset/DataLength outside the PDU");
    } else if (rr.data_len > rlen) {
      proto(v, "READ response: DataLength larger than the Length asked");
    } else {
      /* An empty answer (impacket's at the end of a file, where Samba says
       * STATUS_END_OF_FILE) has no data to copy. */
      if (rr.data_len > 0 && r->rdst != NULL)
        memcpy(r->rdst, rr.data, rr.data_len);
      else if (rr.data_len > 0 && dfsc__write_full(v->pipe[1], rr.data, rr.data_len) < 0)
        io_fail(v, -EIO, 0);
      if (rr.data_len < rlen && at + rr.data_len < v->eof_at)
        v->eof_at = at + rr.data_len;
    }
  } else {
    dfsc_smb2_write_rsp wr;
    if (h->status != 0)
      io_fail(v, DFSC_E_NTSTATUS, h->status);
    else if (dfsc__smb2_write_rsp_decode(pdu, len, &wr) < 0)
      proto(v, "WRITE response: StructureSize 17 or shorter than 16 bytes");
    else if (wr.count != rlen)
      io_fail(v, -EIO, 0); /* a short write on a disk share means no space or quota */
  }
  if (v->err == 0 && v->eof_at == UINT64_MAX && v->issued < v->len) {
    int rc = io_pump(v);
    if (rc < 0)
      io_fail(v, rc, 0);
  }
  io_maybe_done(v);
}

static int io_one(dfsc_verb *v) {
  size_t n = v->len - v->issued;
  uint64_t at = v->off + v->issued;
  dfsc_req *r;
  int rc = 0;

  if (n > v->chunk)
    n = v->chunk;
  if (v->kind == V_READ) {
    r = new_read(&v->fid, at, n);
    if (r == NULL)
      return -ENOMEM;
    if (v->buf != NULL)
      r->rdst = v->buf + v->issued;
    else
      r->rpipe = v->pipe;
    r->rdst_cap = n;
  } else {
    dfsc_smb2_write_req wq;
    r = dfsc__req_new(SMB2_WRITE, 56);
    if (r == NULL)
      return -ENOMEM;
    memset(&wq, 0, sizeof(wq));
    wq.offset = at;
    wq.fid = v->fid;
    wq.data = v->cbuf + v->issued;
    wq.data_len = n;
    /* The data goes from the caller's buffer, never copied: a signature
     * covers it in a second part (dfsc__crypto_sign_split), encryption
     * seals it with the rest of the frame. */
    rc = dfsc__smb2_write_req_encode_hdr(&r->w, &wq);
    r->extra = wq.data;
    r->extra_len = n;
    if (rc < 0) {
      dfsc__req_free(r);
      return rc;
    }
  }
  r->cb = io_cb;
  r->data = v;
  r->payload = (uint32_t)n;
  /* Accounted before the send: its callback may come as soon as it is out. */
  v->issued += n;
  v->inflight += n;
  rc = dfsc__tree_send(v->tree, &r, 1);
  if (rc < 0) {
    v->issued -= n;
    v->inflight -= n;
    dfsc__req_free(r);
  }
  return rc;
}

/* Keeps up to the window in flight (at least one request). */
static int io_pump(dfsc_verb *v) {
  int rc;
  while (v->issued < v->len && v->eof_at == UINT64_MAX &&
         (v->inflight == 0 || v->inflight + v->chunk <= v->window)) {
    rc = io_one(v);
    if (rc < 0)
      return rc;
  }
  return 0;
}

static int io_start(dfsc_verb *v, dfsc_tree *t, int kind, const dfsc_smb2_fid *fid,
                    uint8_t *buf, const uint8_t *cbuf, const int *pipefd, size_t len,
                    uint64_t off, size_t window) {
  uint32_t max;
  uint32_t mc = dfsc__tree_max_charge(t);
  /* A request may not need more credits than the server ever grants, nor
   * all of them: a server granting few may hand back fewer still, and a
   * request charged more than the balance could then never go. */
  uint64_t by_credits = (uint64_t)(mc >= 2 ? mc / 2 : 1) * CREDIT_BYTES;
  int rc;
  if (len == 0 || (buf == NULL && cbuf == NULL && pipefd == NULL) || len > UINT64_MAX - off)
    return -EINVAL;
  verb_init(v, t, kind);
  v->pipe[0] = pipefd != NULL ? pipefd[0] : -1;
  v->pipe[1] = pipefd != NULL ? pipefd[1] : -1;
  max = kind == V_READ ? dfsc__tree_max_read(t) : dfsc__tree_max_write(t);
  v->fid = *fid;
  v->buf = buf;
  v->cbuf = cbuf;
  v->len = len;
  v->off = off;
  v->window = window;
  v->chunk = max < IO_CHUNK_MAX ? max : IO_CHUNK_MAX;
  if (v->chunk > by_credits)
    v->chunk = (size_t)by_credits;
  if (v->chunk == 0)
    return DFSC_E_PROTO;
  /* Into a pipe only as one READ whose data can be spliced: several would
   * have to land one after another, and a checked answer would be copied
   * once more than into memory. */
  if (pipefd != NULL && (len > v->chunk || !dfsc__tree_splices(t)))
    return DFSC_E_UNSUPPORTED;
  rc = io_pump(v);
  if (rc < 0 && v->inflight == 0)
    return rc;
  if (rc < 0)
    io_fail(v, rc, 0); /* the requests out finish the verb */
  return 0;
}

void dfsc__verb_stop(dfsc_verb *v, int err) {
  if (v->kind == V_COPY && !v->finished && v->err == 0 && err < 0) {
    v->err = err; /* no further round (copy_cb) */
    return;
  }
  if ((v->kind != V_READ && v->kind != V_WRITE) || v->finished)
    return;
  io_fail(v, err, 0);
}

int dfsc__verb_read(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid, void *buf,
                    size_t len, uint64_t off, size_t window) {
  return io_start(v, t, V_READ, fid, buf, NULL, NULL, len, off, window);
}

int dfsc__verb_read_pipe(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid,
                         const int pipefd[2], size_t len, uint64_t off) {
  if (pipefd == NULL || pipefd[0] < 0 || pipefd[1] < 0)
    return -EINVAL;
  return io_start(v, t, V_READ, fid, NULL, NULL, pipefd, len, off, 0);
}

int dfsc__verb_write(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid, const void *buf,
                     size_t len, uint64_t off, size_t window) {
  return io_start(v, t, V_WRITE, fid, NULL, buf, NULL, len, off, window);
}

/* ---- handle verbs ------------------------------------------------------- */

static void handle_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                      size_t len) {
  dfsc_verb *v = r->data;
  (void)pdu;
  (void)len;
  if (err < 0)
    verb_finish(v, err, 0);
  else
    verb_finish(v, h->status != 0 ? DFSC_E_NTSTATUS : 0, h->status);
}

static int handle_send(dfsc_verb *v, dfsc_tree *t, dfsc_req *r) {
  int rc;
  verb_init(v, t, V_HANDLE);
  if (r == NULL)
    return -ENOMEM;
  r->cb = handle_cb;
  r->data = v;
  rc = dfsc__tree_send(t, &r, 1);
  if (rc < 0)
    dfsc__req_free(r);
  return rc;
}

int dfsc__verb_flush(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid) {
  dfsc_smb2_flush_req fl;
  dfsc_req *r = dfsc__req_new(SMB2_FLUSH, 24);
  if (r != NULL) {
    memset(&fl, 0, sizeof(fl));
    fl.fid = *fid;
    if (dfsc__smb2_flush_req_encode(&r->w, &fl) < 0) {
      dfsc__req_free(r);
      r = NULL;
    }
  }
  return handle_send(v, t, r);
}

int dfsc__verb_close(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid) {
  return handle_send(v, t, new_close(fid));
}

int dfsc__verb_set_eof(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid,
                       uint64_t size) {
  uint8_t info[16];
  dfsc_wr w;
  dfsc__wr_init(&w, info, sizeof(info));
  return handle_send(v, t,
                     dfsc__smb2_fi_eof_build(&w, size) < 0
                         ? NULL
                         : new_set_info(fid, FILE_END_OF_FILE_INFORMATION, info, w.off));
}

int dfsc__verb_set_times(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid,
                         uint32_t attributes, uint64_t access_time, uint64_t write_time) {
  dfsc_smb2_fi_basic b;
  uint8_t info[64];
  dfsc_wr w;
  memset(&b, 0, sizeof(b));
  b.attributes = attributes; /* 0: unchanged ([MS-FSCC] 2.4.7) */
  b.last_access_time = access_time;
  b.last_write_time = write_time;
  dfsc__wr_init(&w, info, sizeof(info));
  return handle_send(v, t,
                     dfsc__smb2_fi_basic_build(&w, &b) < 0
                         ? NULL
                         : new_set_info(fid, FILE_BASIC_INFORMATION, info, w.off));
}

int dfsc__verb_lock(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid, uint64_t off,
                    uint64_t len, int flags) {
  dfsc_smb2_lock_req lk;
  dfsc_req *r;
  if (len == 0 || off > UINT64_MAX - len)
    return -EINVAL;
  r = dfsc__req_new(SMB2_LOCK, 24 + SMB2_LOCK_ELEMENT_SIZE);
  if (r != NULL) {
    memset(&lk, 0, sizeof(lk));
    lk.fid = *fid;
    lk.count = 1;
    lk.locks[0].offset = off;
    lk.locks[0].length = len;
    /* [MS-SMB2] 3.2.4.19: an unlock goes alone, a lock never waits here. */
    lk.locks[0].flags = (flags & DFSC_LOCK_UNLOCK) ? SMB2_LOCKFLAG_UNLOCK
                        : (flags & DFSC_LOCK_EXCLUSIVE)
                            ? SMB2_LOCKFLAG_EXCLUSIVE_LOCK | SMB2_LOCKFLAG_FAIL_IMMEDIATELY
                            : SMB2_LOCKFLAG_SHARED_LOCK | SMB2_LOCKFLAG_FAIL_IMMEDIATELY;
    if (dfsc__smb2_lock_req_encode(&r->w, &lk) < 0) {
      dfsc__req_free(r);
      r = NULL;
    }
  }
  return handle_send(v, t, r);
}

static void fsctl_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                     size_t len) {
  dfsc_verb *v = r->data;
  dfsc_smb2_ioctl_rsp io;
  if (err < 0) {
    verb_finish(v, err, 0);
    return;
  }
  if (h->status != 0) {
    /* Some FSCTLs answer a refusal with an output of their own (the
     * limits of a copychunk, [MS-SMB2] 3.3.5.15.6): kept when it is an
     * IOCTL response, not an ERROR one. */
    if (dfsc__smb2_ioctl_rsp_decode(pdu, len, &io) == 0) {
      v->out = io.output;
      v->out_len = io.output_len;
    }
    verb_finish(v, DFSC_E_NTSTATUS, h->status);
    return;
  }
  if (dfsc__smb2_ioctl_rsp_decode(pdu, len, &io) < 0) {
    proto(v,
          "IOCTL response: StructureSize 49, or OutputOffset/OutputCount outside the PDU");
    verb_finish(v, DFSC_E_PROTO, 0);
    return;
  }
  v->out = io.output;
  v->out_len = io.output_len;
  verb_finish(v, 0, 0);
}

int dfsc__verb_fsctl(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid,
                     uint32_t ctl_code, const uint8_t *in, size_t in_len,
                     uint32_t max_out) {
  dfsc_smb2_ioctl_req io;
  dfsc_req *r;
  int rc;
  verb_init(v, t, V_HANDLE);
  r = dfsc__req_new(SMB2_IOCTL, 64 + in_len);
  if (r == NULL)
    return -ENOMEM;
  memset(&io, 0, sizeof(io));
  io.ctl_code = ctl_code;
  if (fid != NULL)
    io.fid = *fid;
  else
    io.fid.persistent = io.fid.volatile_ = UINT64_MAX;
  io.input = in;
  io.input_len = in_len;
  io.max_output_response = max_out;
  io.flags = SMB2_0_IOCTL_IS_FSCTL;
  rc = dfsc__smb2_ioctl_req_encode(&r->w, &io);
  r->cb = fsctl_cb;
  r->data = v;
  if (rc == 0)
    rc = dfsc__tree_send(t, &r, 1);
  if (rc < 0)
    dfsc__req_free(r);
  return rc;
}

/* ---- named pipes ------------------------------------------------------ */

/* What a pipe answers, IOCTL or READ: STATUS_BUFFER_OVERFLOW is a message
 * that goes on past the buffer ([MS-FSCC] 2.3.48, [MS-SMB2] 3.3.5.12), its
 * first part in this answer; the caller reads the rest. */
static void pipe_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                    size_t len) {
  dfsc_verb *v = r->data;
  const uint8_t *data;
  size_t n;
  if (err < 0) {
    verb_finish(v, err, 0);
    return;
  }
  if (h->status != 0 && h->status != STATUS_BUFFER_OVERFLOW) {
    verb_finish(v, DFSC_E_NTSTATUS, h->status);
    return;
  }
  if (h->command == SMB2_IOCTL) {
    dfsc_smb2_ioctl_rsp io;
    if (dfsc__smb2_ioctl_rsp_decode(pdu, len, &io) < 0) {
      proto(v, "IOCTL response: StructureSize 49, or OutputOffset/OutputCount outside the "
               "PDU");
      verb_finish(v, DFSC_E_PROTO, 0);
      return;
    }
    data = io.output;
    n = io.output_len;
  } else {
    dfsc_smb2_read_rsp rr;
    if (dfsc__smb2_read_rsp_decode(pdu, len, &rr) < 0) {
      proto(v, "READ response: StructureSize 17, or DataOffset/DataLength outside the PDU");
      verb_finish(v, DFSC_E_PROTO, 0);
      return;
    }
    data = rr.data;
    n = rr.data_len;
  }
  /* More than was asked for is not an answer to this request. */
  if (n > v->len) {
    proto(v, h->command == SMB2_IOCTL
                 ? "IOCTL response: OutputCount larger than asked"
                 : "READ response: DataLength larger than the Length asked");
    verb_finish(v, DFSC_E_PROTO, 0);
    return;
  }
  if (n > 0)
    memcpy(v->buf, data, n);
  v->nbytes = n;
  v->more = h->status == STATUS_BUFFER_OVERFLOW;
  verb_finish(v, 0, 0);
}

static int pipe_send(dfsc_verb *v, dfsc_tree *t, dfsc_req *r, uint8_t *buf, size_t cap) {
  int rc;
  if (r == NULL)
    return -ENOMEM;
  v->buf = buf;
  v->len = cap;
  r->cb = pipe_cb;
  r->data = v;
  rc = dfsc__tree_send(t, &r, 1);
  if (rc < 0)
    dfsc__req_free(r);
  return rc;
}

int dfsc__verb_pipe_transceive(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid,
                               const uint8_t *in, size_t in_len, uint8_t *buf, size_t cap) {
  dfsc_smb2_ioctl_req io;
  dfsc_req *r;
  verb_init(v, t, V_HANDLE);
  if (in_len == 0 || in_len > PIPE_IO_MAX || cap == 0 || cap > PIPE_IO_MAX)
    return -EINVAL;
  r = dfsc__req_new(SMB2_IOCTL, 64 + in_len);
  if (r == NULL)
    return -ENOMEM;
  /* [MS-SMB2] 3.2.4.20.4: on the pipe's open, output asked for by
   * MaxOutputResponse alone. */
  memset(&io, 0, sizeof(io));
  io.ctl_code = SMB2_FSCTL_PIPE_TRANSCEIVE;
  io.fid = *fid;
  io.input = in;
  io.input_len = in_len;
  io.max_output_response = (uint32_t)cap;
  io.flags = SMB2_0_IOCTL_IS_FSCTL;
  if (dfsc__smb2_ioctl_req_encode(&r->w, &io) < 0) {
    dfsc__req_free(r);
    return -EINVAL;
  }
  r->payload = (uint32_t)(in_len > cap ? in_len : cap);
  return pipe_send(v, t, r, buf, cap);
}

int dfsc__verb_pipe_read(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid, uint8_t *buf,
                         size_t cap) {
  verb_init(v, t, V_HANDLE);
  if (cap == 0 || cap > PIPE_IO_MAX)
    return -EINVAL;
  return pipe_send(v, t, new_read(fid, 0, cap), buf, cap);
}

/* ---- server-side copy ------------------------------------------------- */

/* What is asked of a server before it says its limits: Windows' and
 * Samba's defaults ([MS-SMB2] 3.3.3: 256 chunks, 1 MiB a chunk, 16 MiB a
 * request). */
#define COPY_CHUNK_DEFAULT (1u << 20)
#define COPY_CHUNKS_DEFAULT 16u
#define COPY_TOTAL_DEFAULT (16u << 20)
#define COPY_LIMIT_TRIES 4 /* limit answers taken before the copy gives up */

static int copy_round(dfsc_verb *v);

static void copy_end(dfsc_verb *v, int err, uint32_t st) {
  /* Bytes copied are never reported as failed: a short copy. */
  if (v->issued > 0)
    err = 0;
  v->nbytes = v->issued;
  verb_finish(v, err, st);
}

static void copy_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                    size_t len) {
  dfsc_verb *v = r->data;
  size_t asked = v->inflight;
  dfsc_smb2_ioctl_rsp io;
  dfsc_smb2_copychunk_rsp cr;
  int rc;
  if (err < 0) {
    copy_end(v, err, 0);
    return;
  }
  if (dfsc__smb2_ioctl_rsp_decode(pdu, len, &io) < 0 ||
      dfsc__smb2_copychunk_rsp_parse(io.output, io.output_len, &cr) < 0) {
    if (h->status == 0)
      proto(v, "SRV_COPYCHUNK_WRITE response: IOCTL output shorter than its 12 bytes");
    copy_end(v, h->status != 0 ? DFSC_E_NTSTATUS : DFSC_E_PROTO, h->status);
    return;
  }
  if (h->status == STATUS_INVALID_PARAMETER && v->rounds < COPY_LIMIT_TRIES &&
      cr.chunks_written > 0 && cr.chunk_bytes_written > 0 && cr.total_bytes_written > 0 &&
      (cr.chunks_written < v->window / v->chunk || cr.chunk_bytes_written < v->chunk ||
       cr.total_bytes_written < v->window)) {
    /* The server's limits ([MS-SMB2] 3.3.5.15.6): asked again within them. */
    v->rounds++;
    v->chunk = cr.chunk_bytes_written;
    v->window = (size_t)cr.chunks_written * v->chunk;
    if (v->window > cr.total_bytes_written)
      v->window = cr.total_bytes_written;
    if (v->window > 256 * v->chunk)
      v->window = 256 * v->chunk; /* what one request of copy_round holds */
    if (v->window < v->chunk)
      v->chunk = v->window;
  } else if (h->status != 0) {
    copy_end(v, DFSC_E_NTSTATUS, h->status);
    return;
  } else if (cr.total_bytes_written == 0 || cr.total_bytes_written > asked) {
    /* Nothing copied would never end; more than asked is not an answer. */
    if (cr.total_bytes_written != 0)
      proto(v, "SRV_COPYCHUNK_WRITE response: TotalBytesWritten larger than asked");
    copy_end(v, cr.total_bytes_written == 0 ? -EIO : DFSC_E_PROTO, 0);
    return;
  } else {
    v->issued += cr.total_bytes_written;
  }
  if (v->issued >= v->len || v->err < 0) {
    copy_end(v, v->err, 0);
    return;
  }
  rc = copy_round(v);
  if (rc < 0)
    copy_end(v, rc, 0);
}

/* One FSCTL_SRV_COPYCHUNK_WRITE for what is left, within the limits. */
static int copy_round(dfsc_verb *v) {
  dfsc_smb2_chunk chunks[256];
  dfsc_smb2_ioctl_req io;
  uint8_t *in;
  size_t n = v->len - v->issued, k = 0, at;
  dfsc_req *r;
  dfsc_wr w;
  int rc;
  if (n > v->window)
    n = v->window;
  for (at = 0; at < n && k < sizeof(chunks) / sizeof(chunks[0]); k++) {
    size_t c = n - at < v->chunk ? n - at : v->chunk;
    chunks[k].src_off = v->off + v->issued + at;
    chunks[k].dst_off = v->eof_at + v->issued + at;
    chunks[k].len = (uint32_t)c;
    at += c;
  }
  in = dfsc__malloc(SMB2_COPYCHUNK_HDR_SIZE + k * SMB2_COPYCHUNK_SIZE);
  r = dfsc__req_new(SMB2_IOCTL, 64 + SMB2_COPYCHUNK_HDR_SIZE + k * SMB2_COPYCHUNK_SIZE);
  if (in == NULL || r == NULL) {
    dfsc__free(in);
    if (r != NULL)
      dfsc__req_free(r);
    return -ENOMEM;
  }
  dfsc__wr_init(&w, in, SMB2_COPYCHUNK_HDR_SIZE + k * SMB2_COPYCHUNK_SIZE);
  rc = dfsc__smb2_copychunk_build(&w, v->key, chunks, k);
  memset(&io, 0, sizeof(io));
  io.ctl_code = SMB2_FSCTL_SRV_COPYCHUNK_WRITE;
  io.fid = v->fid;
  io.input = in;
  io.input_len = w.off;
  io.max_output_response = SMB2_COPYCHUNK_RSP_SIZE;
  io.flags = SMB2_0_IOCTL_IS_FSCTL;
  if (rc == 0)
    rc = dfsc__smb2_ioctl_req_encode(&r->w, &io);
  dfsc__free(in);
  r->cb = copy_cb;
  r->data = v;
  v->inflight = at; /* one request out at a time */
  if (rc == 0)
    rc = dfsc__tree_send(v->tree, &r, 1);
  if (rc < 0)
    dfsc__req_free(r);
  return rc;
}

/* The source's resume key arrived: the copy starts on the destination. */
static void copy_key_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                        size_t len) {
  dfsc_verb *v = r->data;
  dfsc_smb2_ioctl_rsp io;
  int rc;
  if (err < 0 || h->status != 0) {
    copy_end(v, err < 0 ? err : DFSC_E_NTSTATUS, err < 0 ? 0 : h->status);
    return;
  }
  if (dfsc__smb2_ioctl_rsp_decode(pdu, len, &io) < 0 ||
      dfsc__smb2_resume_key_parse(io.output, io.output_len, v->key) < 0) {
    proto(v, "SRV_REQUEST_RESUME_KEY response: IOCTL output shorter than its 32 bytes");
    copy_end(v, DFSC_E_PROTO, 0);
    return;
  }
  v->key_new = 1;
  if (v->err < 0) {
    copy_end(v, v->err, 0);
    return;
  }
  v->tree = v->dst_tree;
  rc = copy_round(v);
  if (rc < 0)
    copy_end(v, rc, 0);
}

int dfsc__verb_copy(dfsc_verb *v, dfsc_tree *src_t, const dfsc_smb2_fid *src,
                    uint8_t key[24], int have_key, dfsc_tree *t, const dfsc_smb2_fid *dst,
                    uint64_t src_off, uint64_t dst_off, uint64_t len) {
  dfsc_smb2_ioctl_req io;
  dfsc_req *r;
  int rc;
  verb_init(v, t, V_COPY);
  if (len == 0 || len > SIZE_MAX || src_off > UINT64_MAX - len ||
      dst_off > UINT64_MAX - len)
    return -EINVAL;
  if (!dfsc__tree_same_session(src_t, t))
    return -EXDEV;
  v->fid = *dst;
  v->dst_tree = t;
  v->off = src_off;
  v->eof_at = dst_off; /* where the copy lands */
  v->len = (size_t)len;
  v->chunk = COPY_CHUNK_DEFAULT;
  v->window = COPY_CHUNKS_DEFAULT * COPY_CHUNK_DEFAULT;
  if (v->window > COPY_TOTAL_DEFAULT)
    v->window = COPY_TOTAL_DEFAULT;
  if (have_key) {
    memcpy(v->key, key, SMB2_RESUME_KEY_SIZE);
    return copy_round(v);
  }
  /* [MS-SMB2] 3.2.4.20.1: the key names the source open to the server. */
  r = dfsc__req_new(SMB2_IOCTL, 64);
  if (r == NULL)
    return -ENOMEM;
  memset(&io, 0, sizeof(io));
  io.ctl_code = SMB2_FSCTL_SRV_REQUEST_RESUME_KEY;
  io.fid = *src;
  io.max_output_response = 64;
  io.flags = SMB2_0_IOCTL_IS_FSCTL;
  rc = dfsc__smb2_ioctl_req_encode(&r->w, &io);
  r->cb = copy_key_cb;
  r->data = v;
  if (rc == 0)
    rc = dfsc__tree_send(src_t, &r, 1);
  if (rc < 0)
    dfsc__req_free(r);
  return rc;
}

static void forget_cb(dfsc_req *r, int err, const dfsc_smb2_hdr *h, const uint8_t *pdu,
                      size_t len) {
  (void)r;
  (void)err;
  (void)h;
  (void)pdu;
  (void)len;
}

void dfsc__verb_close_forget(dfsc_tree *t, const dfsc_smb2_fid *fid) {
  dfsc_req *r = new_close(fid);
  if (r == NULL)
    return;
  r->cb = forget_cb;
  if (dfsc__tree_send(t, &r, 1) < 0)
    dfsc__req_free(r);
}

const char *dfsc__verb_status_name(uint32_t status) { return dfsc_ntstatus_name(status); }
