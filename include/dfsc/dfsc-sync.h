/* Blocking wrappers over the asynchronous API of dfsc.h.
 *
 * Each submits the async operation and waits on its own completion; the
 * caller's thread never runs protocol code. Safe to call from any thread
 * except the context's loop thread (there they return DFSC_E_DEADLK).
 *
 * Each returns 0 or a negative code; when `res` is not NULL it receives the
 * full result (ntstatus included). res->path is the `path` argument
 * (NULL for handle operations), so dfsc_result_str names it.
 */
#ifndef DFSC_DFSC_SYNC_H
#define DFSC_DFSC_SYNC_H

#include "dfsc/dfsc.h"

#ifdef __cplusplus
extern "C" {
#endif

int dfsc_open(dfsc_ctx *ctx, const char *path, int flags, dfsc_file **out,
              dfsc_result *res);
/* Returns bytes read (>= 0; short only at end of file) or a negative code. */
long long dfsc_read(dfsc_file *f, void *buf, size_t len, uint64_t off, dfsc_result *res);
long long dfsc_write(dfsc_file *f, const void *buf, size_t len, uint64_t off,
                     dfsc_result *res);
/* Returns bytes copied (> 0, fewer than len when the copy stopped early)
 * or a negative code: see dfsc_copy_range_async. */
long long dfsc_copy_range(dfsc_file *src, uint64_t src_off, dfsc_file *dst,
                          uint64_t dst_off, uint64_t len, dfsc_result *res);
int dfsc_rename_open(dfsc_file *f, const char *newname, int flags, dfsc_result *res);
int dfsc_flush(dfsc_file *f, dfsc_result *res);
int dfsc_truncate(dfsc_file *f, uint64_t size, dfsc_result *res);
int dfsc_close(dfsc_file *f, dfsc_result *res);
int dfsc_lock(dfsc_file *f, uint64_t off, uint64_t len, int flags, dfsc_result *res);
int dfsc_set_times(dfsc_file *f, uint64_t access_time, uint64_t write_time,
                   dfsc_result *res);
int dfsc_stat(dfsc_ctx *ctx, const char *path, dfsc_stat_t *st, dfsc_result *res);
/* dfsc_read_file_async, waited for. Returns the bytes read into buf (>= 0)
 * or a negative code; *st (when not NULL) receives the file's attributes,
 * whose size says whether the whole file arrived. */
long long dfsc_read_file(dfsc_ctx *ctx, const char *path, void *buf, size_t cap,
                         dfsc_stat_t *st, dfsc_result *res);
/* Returns the length of the answer (the value, or the names) or a
 * negative code (-ERANGE: longer than cap, res->nbytes the length). */
long long dfsc_get_ea(dfsc_ctx *ctx, const char *path, const char *name, void *buf,
                      size_t cap, dfsc_result *res);
int dfsc_set_ea(dfsc_ctx *ctx, const char *path, const char *name, const void *value,
                size_t len, dfsc_result *res);
int dfsc_opendir(dfsc_ctx *ctx, const char *path, dfsc_dir **out, dfsc_result *res);
/* The next page of directory f into *out; *out NULL at the end. */
int dfsc_readdir(dfsc_file *f, dfsc_dir **out, dfsc_result *res);
int dfsc_mkdir(dfsc_ctx *ctx, const char *path, dfsc_result *res);
int dfsc_unlink(dfsc_ctx *ctx, const char *path, dfsc_result *res);
int dfsc_rmdir(dfsc_ctx *ctx, const char *path, dfsc_result *res);
int dfsc_rename(dfsc_ctx *ctx, const char *path, const char *newpath, dfsc_result *res);
int dfsc_rename2(dfsc_ctx *ctx, const char *path, const char *newpath, int flags,
                 dfsc_result *res);
int dfsc_link(dfsc_ctx *ctx, const char *path, const char *newpath, int flags,
              dfsc_result *res);
int dfsc_resolve(dfsc_ctx *ctx, const char *path, dfsc_resolution **out, dfsc_result *res);
int dfsc_list_shares(dfsc_ctx *ctx, const char *path, dfsc_share_list **out,
                     dfsc_result *res);
int dfsc_cache_snapshot(dfsc_ctx *ctx, dfsc_cache_info **out, dfsc_result *res);
int dfsc_cache_flush(dfsc_ctx *ctx, dfsc_result *res);
/* Returns the negotiated dialect (e.g. 0x0311) or a negative code. */
int dfsc_dialect(dfsc_ctx *ctx, const char *path, dfsc_result *res);

#ifdef __cplusplus
}
#endif
#endif
