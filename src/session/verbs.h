/* File verbs on a tree ([MS-SMB2] 3.2.4): open, read, write, flush, close,
 * set info, list, and the one-compound forms (stat, statfs, read a whole
 * small file, mkdir, delete, rename), as typed calls.
 *
 * This is the one place that builds file requests: it chooses a compound or
 * one request after another (when the server grants too few credits for a
 * compound, [MS-SMB2] 3.2.4.1.4), chains the FileId of a CREATE into the
 * requests after it, sizes READs, WRITEs and listings from the negotiated
 * maxima and the credits, and keeps a window of I/O requests in flight.
 *
 * A verb is a dfsc_verb the caller embeds and keeps alive until its
 * callback, which runs exactly once on the loop thread and never inside the
 * starting call. A start that returns a negative code never calls back.
 *
 * Loop thread only. Does not: know paths beyond the share-relative (or DFS)
 * name it is given, retry, fail over, or resolve DFS.
 */
#ifndef DFSC_SESSION_VERBS_H
#define DFSC_SESSION_VERBS_H

#include <stddef.h>
#include <stdint.h>

#include "session/sl.h"

/* What CREATE or QUERY_INFO says about a file. */
typedef struct dfsc_verb_info {
  uint64_t size, alloc_size;
  uint64_t create_time, access_time, write_time, change_time; /* FILETIME */
  uint64_t file_id; /* 0 when the server gave none */
  uint32_t attributes;
  uint32_t nlink; /* NumberOfLinks of a stat; 0 when not known */
  int is_dir;
} dfsc_verb_info;

/* FileFsFullSizeInformation ([MS-FSCC] 2.5.4), in bytes and blocks. */
typedef struct dfsc_verb_fs {
  uint64_t block_size, blocks, blocks_free, blocks_avail;
} dfsc_verb_fs;

/* One entry of a listing page; name is UTF-16LE as the server sent it
 * (unchecked), valid only during the entry callback. */
typedef struct dfsc_verb_dirent {
  const uint8_t *name;
  size_t name_len; /* bytes */
  dfsc_verb_info info;
} dfsc_verb_dirent;

/* Called for each entry of a listing; a negative return stops the listing
 * with that error. */
typedef int (*dfsc_verb_entry_fn)(void *arg, const dfsc_verb_dirent *e);

typedef struct dfsc_verb dfsc_verb;
struct dfsc_verb_sub {
  dfsc_verb *v;
  int idx;
};

struct dfsc_verb {
  /* err 0: done, the outputs below are set. DFSC_E_NTSTATUS: the server
   * refused with ntstatus (the first failing step of a compound). Other
   * negative codes: no usable answer (deadline, connection lost...). */
  void (*cb)(dfsc_verb *v, int err, uint32_t ntstatus);
  void *data;
  /* outputs */
  dfsc_smb2_fid fid;   /* open */
  dfsc_verb_info info; /* open, stat */
  dfsc_verb_fs fs;     /* statfs */
  size_t nbytes;       /* read_file, read, write */
  int more;            /* list_page: 0 once the server said NO_MORE_FILES; pipe:
                          1 when the message goes on (STATUS_BUFFER_OVERFLOW) */
  const uint8_t *out;  /* fsctl: the output, during the callback only */
  size_t out_len;
  const char *why; /* err DFSC_E_PROTO: what of the answer was wrong (static), or NULL */
  /* private */
  dfsc_tree *tree;
  int kind;
  int err;
  uint32_t status[4];
  int pending;
  int nsub;
  struct dfsc_verb_sub subs[4];
  dfsc_req *seq[3]; /* requests held back when compounding is not possible */
  int seq_n, seq_next;
  int have_fid;
  int finished;
  /* I/O */
  uint8_t *buf;
  const uint8_t *cbuf;
  int pipe[2]; /* a read into a pipe (dfsc__verb_read_pipe), when buf is NULL */
  size_t len, issued, inflight, chunk, window;
  uint64_t off, eof_at;
  /* listing */
  dfsc_verb_entry_fn entry;
  void *entry_arg;
  uint64_t gen;
  unsigned rounds;
  int alone;      /* the CREATE went alone (too few credits to compound) */
  const void *q2; /* the second QUERY_DIRECTORY of the CREATE's compound */
  int again;      /* the compound's first was refused: restart with one alone */
  uint64_t page_hash;
  size_t page_n;
  size_t page_max;     /* list_page: the caller's page bound, 0: none */
  const char *ea_name; /* get_ea: the EA asked for, NULL: the names */
  uint8_t key[24];     /* copy: the source's resume key */
  int key_new;         /* copy: key was asked for by this copy (the caller keeps it) */
  dfsc_tree *dst_tree; /* copy: where the copy lands */
  struct dfsc_verb_durable *dur;
};

/* Open flags are the public DFSC_O_* ones (dfsc.h). */
int dfsc__verb_open(dfsc_verb *v, dfsc_tree *t, const char *name, int flags);

/* A durable open with a lease, or the reclaim of one after a reconnect
 * ([MS-SMB2] 3.2.4.3.5, 3.2.4.3.8, 3.2.4.3.10, 3.2.4.4). What is asked
 * follows the dialect: 3.x DH2Q (create GUID, the server's default
 * timeout unless timeout_ms) with a v2 lease; 2.1 DHnQ with a v1 lease;
 * 2.0.2 a plain open. Servers grant a durable handle only with a lease
 * that caches the handle (3.3.5.9.6, 3.3.5.9.10), so lease_want should
 * hold SMB2_LEASE_HANDLE_CACHING. QFid is asked for, to recognise the
 * file when it must be opened by path again. */
struct dfsc_verb_durable {
  /* in */
  int reclaim; /* reconnect fid (DH2C / DHnC, as `version`) instead of opening */
  int replay;  /* 3.x: a resend of an open whose answer was lost (3.2.4.1.1
                  SMB2_FLAGS_REPLAY_OPERATION; the create GUID finds it) */
  int version; /* reclaim: what was granted before, 1 or 2 */
  dfsc_smb2_fid fid;
  uint8_t create_guid[16];
  uint8_t lease_key[16];
  uint32_t lease_want; /* SMB2_LEASE_* */
  uint32_t timeout_ms;
  /* out (err 0) */
  int granted;          /* 0, 1 (DHnQ) or 2 (DH2Q / DH2C) */
  uint32_t lease_state; /* what the server granted, 0: no lease */
  uint16_t lease_epoch;
  int has_disk_id;
  uint8_t disk_id[32]; /* QFid ([MS-SMB2] 2.2.14.2.9) */
};
typedef struct dfsc_verb_durable dfsc_verb_durable;
/* d stays the caller's and must live until the callback. */
int dfsc__verb_open_durable(dfsc_verb *v, dfsc_tree *t, const char *name, int flags,
                            dfsc_verb_durable *d);
/* CREATE + QUERY_INFO(FileAllInformation) + CLOSE. */
int dfsc__verb_stat(dfsc_verb *v, dfsc_tree *t, const char *name);
/* CREATE + QUERY_INFO(FileFsFullSizeInformation) + CLOSE. */
int dfsc__verb_statfs(dfsc_verb *v, dfsc_tree *t, const char *name);
/* CREATE + READ at 0 + CLOSE: at most cap bytes (fewer when the server's
 * MaxReadSize or the credits limit one READ) into buf. */
int dfsc__verb_read_file(dfsc_verb *v, dfsc_tree *t, const char *name, void *buf,
                         size_t cap);
int dfsc__verb_mkdir(dfsc_verb *v, dfsc_tree *t, const char *name);
/* Deletion through SET_INFO rather than DELETE_ON_CLOSE so that a
 * non-empty directory reports STATUS_DIRECTORY_NOT_EMPTY ([MS-FSCC] 2.4.11). */
int dfsc__verb_delete(dfsc_verb *v, dfsc_tree *t, const char *name, int is_dir);
/* CREATE + SET_INFO FileLinkInformation + CLOSE: newname (share-relative)
 * becomes another name of file `name`; replace: an existing newname is
 * replaced. */
int dfsc__verb_link(dfsc_verb *v, dfsc_tree *t, const char *name, const char *newname,
                    int replace);
int dfsc__verb_rename(dfsc_verb *v, dfsc_tree *t, const char *name, const char *newname,
                      int replace);
/* SET_INFO FileRenameInformation on an open (one opened with DELETE
 * access: DFSC_O_DENY_DELETE): newname is share-relative. */
int dfsc__verb_rename_open(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid,
                           const char *newname, int replace);
/* A whole listing: CREATE (+ one or, when the credits allow, two
 * QUERY_DIRECTORY in one compound), further pages until
 * STATUS_NO_MORE_FILES, CLOSE. Each entry goes to entry(arg, e). A server
 * repeating a page is a protocol error; at most DFSC_VERB_LIST_ROUNDS
 * rounds after the first (one page each). */
#define DFSC_VERB_LIST_ROUNDS 100000u
int dfsc__verb_list(dfsc_verb *v, dfsc_tree *t, const char *name, dfsc_verb_entry_fn entry,
                    void *arg);
/* One listing page of an open directory (restart: from its first entry),
 * of at most max_bytes on the wire (0: the usual page, up to 1 MiB).
 * v->more is 0 once the server said STATUS_NO_MORE_FILES. */
int dfsc__verb_list_page(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid, int restart,
                         size_t max_bytes, dfsc_verb_entry_fn entry, void *arg);
/* Pipelined I/O on an open file: up to window bytes in flight. len > 0.
 * A read ends early at the end of the file (v->nbytes says how much);
 * returns 0 once one request is out (later failures go to the callback). */
int dfsc__verb_read(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid, void *buf,
                    size_t len, uint64_t off, size_t window);
/* As dfsc__verb_read, into a pipe (see dfsc_read_pipe_async): one READ,
 * DFSC_E_UNSUPPORTED where len needs more or t's answers cannot be
 * spliced (dfsc__tree_splices). */
int dfsc__verb_read_pipe(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid,
                         const int pipefd[2], size_t len, uint64_t off);
int dfsc__verb_write(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid, const void *buf,
                     size_t len, uint64_t off, size_t window);
int dfsc__verb_flush(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid);
int dfsc__verb_close(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid);
int dfsc__verb_set_eof(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid, uint64_t size);
/* Zero times are left as they are ([MS-FSCC] 2.4.7). */
int dfsc__verb_set_times(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid,
                         uint32_t attributes, uint64_t access_time, uint64_t write_time);
/* SMB2 LOCK ([MS-SMB2] 2.2.26) of len bytes at off on an open file.
 * flags are the public DFSC_LOCK_* (dfsc.h) but for DFSC_LOCK_WAIT: a lock
 * always goes with FAIL_IMMEDIATELY, so the server answers at once and no
 * CANCEL is ever needed; waiting is the caller's (by asking again). */
int dfsc__verb_lock(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid, uint64_t off,
                    uint64_t len, int flags);
/* An extended attribute of `name` ([MS-FSCC] 2.4.15): CREATE (READ_EA) +
 * QUERY_INFO(FileFullEaInformation) + CLOSE. ea_name NULL: the names,
 * each followed by a NUL, into buf; else the value of ea_name (compared
 * without regard to ASCII case). v->nbytes is the answer's length; err
 * -ERANGE when it is longer than cap (cap 0: only the length is asked),
 * -ENODATA when there is no such EA. A file without EAs has none. */
int dfsc__verb_get_ea(dfsc_verb *v, dfsc_tree *t, const char *name, const char *ea_name,
                      void *buf, size_t cap);
/* CREATE (WRITE_EA) + SET_INFO(FileFullEaInformation) of one entry +
 * CLOSE: sets ea_name to value, or removes it when len is 0. ea_name 1..255
 * bytes, len <= 65535, else -EINVAL. */
int dfsc__verb_set_ea(dfsc_verb *v, dfsc_tree *t, const char *name, const char *ea_name,
                      const void *value, size_t len);
/* CREATE (WRITE_ATTRIBUTES) + SET_INFO FileBasicInformation + QUERY_INFO
 * FileAllInformation + CLOSE: DOS attributes (0: unchanged) and times (0:
 * unchanged) of `name` in one round trip; v->info the attributes after. */
int dfsc__verb_set_basic(dfsc_verb *v, dfsc_tree *t, const char *name, uint32_t attributes,
                         uint64_t access_time, uint64_t write_time);
/* FSCTL ctl_code ([MS-SMB2] 2.2.31, SMB2_0_IOCTL_IS_FSCTL) with input
 * in/in_len on an open (fid), or with fid NULL on the tree itself (the
 * FileId all ones, as FSCTL_DFS_GET_REFERRALS wants, [MS-DFSC] 3.1.4.1),
 * at most max_out bytes back. v->out / v->out_len is the output, valid
 * only during the callback: on err 0, and on DFSC_E_NTSTATUS when the
 * refusal came with one (NULL otherwise). */
int dfsc__verb_fsctl(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid,
                     uint32_t ctl_code, const uint8_t *in, size_t in_len, uint32_t max_out);
/* Server-side copy ([MS-SMB2] 3.2.4.20.2, FSCTL_SRV_COPYCHUNK_WRITE): len
 * bytes at src_off of the open src on src_t to dst_off of the open dst on
 * t, which must be on one connection and session (else -EXDEV at once).
 * Without have_key the source's resume key is asked for first (FSCTL
 * FSCTL_SRV_REQUEST_RESUME_KEY); v->key holds it afterwards and v->key_new
 * says so, for the caller to pass next time. One request at a time of at
 * most 16 chunks of 1 MiB, or within the server's limits when it refuses
 * those (taken at most 4 times). v->nbytes is what was copied: once some
 * bytes are, the verb ends with err 0 whatever stops it (a short copy).
 * dfsc__verb_stop ends it after the request out. */
int dfsc__verb_copy(dfsc_verb *v, dfsc_tree *src_t, const dfsc_smb2_fid *src,
                    uint8_t key[24], int have_key, dfsc_tree *t, const dfsc_smb2_fid *dst,
                    uint64_t src_off, uint64_t dst_off, uint64_t len);
/* Named pipes on an IPC$ tree, opened with dfsc__verb_open. A pipe
 * transaction ([MS-SMB2] 3.2.4.20.4, IOCTL FSCTL_PIPE_TRANSCEIVE) writes
 * in[0..in_len) to the pipe and reads its answer; a pipe read is one READ.
 * Each puts at most cap bytes (1..65536) into buf: v->nbytes says how many,
 * and v->more is 1 when the server said STATUS_BUFFER_OVERFLOW (the
 * message goes on: read again for the rest). in_len 1..65536. */
int dfsc__verb_pipe_transceive(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid,
                               const uint8_t *in, size_t in_len, uint8_t *buf, size_t cap);
int dfsc__verb_pipe_read(dfsc_verb *v, dfsc_tree *t, const dfsc_smb2_fid *fid, uint8_t *buf,
                         size_t cap);
/* Asks a pipelined read or write to send no further request: it ends with
 * err (unless it failed already) once the requests out have answered,
 * which their deadlines bound. Other verbs are left to finish. */
void dfsc__verb_stop(dfsc_verb *v, int err);
/* The name of an NTSTATUS a verb answered with, for log lines above the
 * session layer (which does not reach the codec's table itself). */
const char *dfsc__verb_status_name(uint32_t status);
/* Closes fid without waiting for (or reporting) the answer: for a handle
 * the caller cannot keep. */
void dfsc__verb_close_forget(dfsc_tree *t, const dfsc_smb2_fid *fid);

#endif
