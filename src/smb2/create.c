/* SMB2 CREATE codec and create context chain ([MS-SMB2] 2.2.13, 2.2.14,
 * 2.2.13.2, 2.2.14.2). See create.h.
 * Does not: decide which contexts to send or act on the granted ones.
 */
#include "smb2/create.h"

#include <errno.h>
#include <string.h>

#include "core/utf16.h"

#define CC_HDR_SIZE 16
#define ALIGN8(x) (((x) + 7u) & ~(size_t)7u)

int dfsc__smb2_cc_encode(dfsc_wr *w, const dfsc_smb2_cc *ccs, size_t n) {
  size_t i;

  if (w->bad)
    return DFSC_E_NOSPACE;
  if (w->off & 7)
    return -EINVAL;
  for (i = 0; i < n; i++) {
    const dfsc_smb2_cc *c = &ccs[i];
    size_t start = w->off;
    size_t data_off = c->data_len ? ALIGN8(CC_HDR_SIZE + c->name_len) : 0;

    if (c->name == NULL || c->name_len == 0 || c->name_len > UINT16_MAX ||
        data_off > UINT16_MAX || c->data_len > UINT32_MAX ||
        (c->data_len && c->data == NULL))
      return -EINVAL;
    dfsc__wr_u32(w, 0); /* Next, patched below */
    dfsc__wr_u16(w, CC_HDR_SIZE);
    dfsc__wr_u16(w, (uint16_t)c->name_len);
    dfsc__wr_u16(w, 0);
    dfsc__wr_u16(w, (uint16_t)data_off);
    dfsc__wr_u32(w, (uint32_t)c->data_len);
    dfsc__wr_bytes(w, c->name, c->name_len);
    if (c->data_len) {
      dfsc__wr_align(w, 8);
      dfsc__wr_bytes(w, c->data, c->data_len);
    }
    if (i + 1 < n) {
      /* [MS-SMB2] 2.2.13.2: each following context starts 8-aligned. */
      dfsc__wr_align(w, 8);
      dfsc__wr_put_u32(w, start, (uint32_t)(w->off - start));
    }
    if (w->bad)
      return DFSC_E_NOSPACE;
  }
  return 0;
}

/* Appends the contexts (ccs, or a pre-encoded chain) 8-aligned and patches
 * the Offset/Length fields at off_field. */
static int write_ccs(dfsc_wr *w, size_t off_field, const dfsc_smb2_cc *ccs, size_t n_ccs,
                     const uint8_t *cc_buf, size_t cc_len) {
  size_t start;
  int rc = 0;

  if (n_ccs == 0 && cc_len == 0)
    return 0;
  dfsc__wr_align(w, 8);
  if (w->bad)
    return DFSC_E_NOSPACE;
  start = w->off;
  if (n_ccs)
    rc = dfsc__smb2_cc_encode(w, ccs, n_ccs);
  else
    dfsc__wr_bytes(w, cc_buf, cc_len);
  if (rc < 0)
    return rc;
  if (w->off - start > UINT32_MAX)
    return -EINVAL;
  dfsc__wr_put_u32(w, off_field, (uint32_t)start);
  dfsc__wr_put_u32(w, off_field + 4, (uint32_t)(w->off - start));
  return dfsc__smb2_wr_status(w);
}

/* A chain received from the peer must be walkable to its end. */
static int check_chain(const uint8_t *buf, size_t len) {
  dfsc_smb2_cc_iter it;
  dfsc_smb2_cc cc;
  int rc;

  dfsc__smb2_cc_iter_init(&it, buf, len);
  while ((rc = dfsc__smb2_cc_next(&it, &cc)) == 1)
    ;
  return rc;
}

int dfsc__smb2_create_req_encode(dfsc_wr *w, const dfsc_smb2_create_req *req) {
  size_t name_field, cc_field, buf_start;
  long n16;
  int rc;

  n16 =
      req->name ? dfsc__utf8_to_utf16_len(req->name, req->name_len) : (long)req->name16_len;
  if (n16 < 0)
    return (int)n16;
  if (n16 > UINT16_MAX || (n16 & 1))
    return -EINVAL;

  dfsc__wr_u16(w, SMB2_CREATE_REQ_SSIZE);
  dfsc__wr_u8(w, 0); /* SecurityFlags */
  dfsc__wr_u8(w, req->oplock_level);
  dfsc__wr_u32(w, req->impersonation);
  dfsc__wr_u64(w, 0); /* SmbCreateFlags */
  dfsc__wr_u64(w, 0); /* Reserved */
  dfsc__wr_u32(w, req->desired_access);
  dfsc__wr_u32(w, req->file_attributes);
  dfsc__wr_u32(w, req->share_access);
  dfsc__wr_u32(w, req->disposition);
  dfsc__wr_u32(w, req->options);
  name_field = w->off;
  dfsc__wr_u16(w, 0);
  dfsc__wr_u16(w, (uint16_t)n16);
  cc_field = w->off;
  dfsc__wr_u32(w, 0);
  dfsc__wr_u32(w, 0);
  buf_start = w->off;
  if (w->bad)
    return DFSC_E_NOSPACE;
  /* NameOffset points at the Buffer even for an empty name. */
  dfsc__wr_put_u16(w, name_field, (uint16_t)buf_start);
  if (req->name) {
    rc = dfsc__utf8_to_utf16_wr(w, req->name, req->name_len);
    if (rc < 0)
      return rc;
  } else {
    dfsc__wr_bytes(w, req->name16, req->name16_len);
  }
  rc = write_ccs(w, cc_field, req->ccs, req->n_ccs, req->cc_buf, req->cc_len);
  if (rc < 0)
    return rc;
  /* [MS-SMB2] 2.2.13: the Buffer MUST be at least one byte long. */
  if (w->off == buf_start)
    dfsc__wr_u8(w, 0);
  return dfsc__smb2_wr_status(w);
}

int dfsc__smb2_create_req_decode(const uint8_t *pdu, size_t len,
                                 dfsc_smb2_create_req *req) {
  dfsc_rd r;
  uint16_t name_off, name_len;
  uint32_t cc_off, cc_len;

  memset(req, 0, sizeof(*req));
  if (dfsc__smb2_body_open(&r, pdu, len, SMB2_CREATE_REQ_SSIZE, 56) < 0)
    return DFSC_E_PROTO;
  dfsc__rd_skip(&r, 1); /* SecurityFlags */
  req->oplock_level = dfsc__rd_u8(&r);
  req->impersonation = dfsc__rd_u32(&r);
  dfsc__rd_skip(&r, 16); /* SmbCreateFlags, Reserved */
  req->desired_access = dfsc__rd_u32(&r);
  req->file_attributes = dfsc__rd_u32(&r);
  req->share_access = dfsc__rd_u32(&r);
  req->disposition = dfsc__rd_u32(&r);
  req->options = dfsc__rd_u32(&r);
  name_off = dfsc__rd_u16(&r);
  name_len = dfsc__rd_u16(&r);
  cc_off = dfsc__rd_u32(&r);
  cc_len = dfsc__rd_u32(&r);
  if (r.bad || (name_len & 1))
    return DFSC_E_PROTO;
  if (dfsc__smb2_span(pdu, len, SMB2_CREATE_REQ_BUFFER_OFF, name_off, name_len,
                      &req->name16) < 0 ||
      dfsc__smb2_span(pdu, len, SMB2_CREATE_REQ_BUFFER_OFF, cc_off, cc_len, &req->cc_buf) <
          0)
    return DFSC_E_PROTO;
  req->name16_len = name_len;
  req->cc_len = cc_len;
  return check_chain(req->cc_buf, req->cc_len) < 0 ? DFSC_E_PROTO : 0;
}

int dfsc__smb2_create_rsp_encode(dfsc_wr *w, const dfsc_smb2_create_rsp *rsp) {
  size_t cc_field;

  dfsc__wr_u16(w, SMB2_CREATE_RSP_SSIZE);
  dfsc__wr_u8(w, rsp->oplock_level);
  dfsc__wr_u8(w, rsp->flags);
  dfsc__wr_u32(w, rsp->create_action);
  dfsc__wr_u64(w, rsp->info.creation_time);
  dfsc__wr_u64(w, rsp->info.last_access_time);
  dfsc__wr_u64(w, rsp->info.last_write_time);
  dfsc__wr_u64(w, rsp->info.change_time);
  dfsc__wr_u64(w, rsp->info.allocation_size);
  dfsc__wr_u64(w, rsp->info.end_of_file);
  dfsc__wr_u32(w, rsp->info.attributes);
  dfsc__wr_u32(w, 0); /* Reserved2 */
  dfsc__smb2_fid_wr(w, &rsp->fid);
  cc_field = w->off;
  dfsc__wr_u32(w, 0);
  dfsc__wr_u32(w, 0);
  if (w->bad)
    return DFSC_E_NOSPACE;
  return write_ccs(w, cc_field, rsp->ccs, rsp->n_ccs, rsp->cc_buf, rsp->cc_len);
}

int dfsc__smb2_create_rsp_decode(const uint8_t *pdu, size_t len,
                                 dfsc_smb2_create_rsp *rsp) {
  dfsc_rd r;
  uint32_t cc_off, cc_len;

  memset(rsp, 0, sizeof(*rsp));
  if (dfsc__smb2_body_open(&r, pdu, len, SMB2_CREATE_RSP_SSIZE, 88) < 0)
    return DFSC_E_PROTO;
  rsp->oplock_level = dfsc__rd_u8(&r);
  rsp->flags = dfsc__rd_u8(&r);
  rsp->create_action = dfsc__rd_u32(&r);
  rsp->info.creation_time = dfsc__rd_u64(&r);
  rsp->info.last_access_time = dfsc__rd_u64(&r);
  rsp->info.last_write_time = dfsc__rd_u64(&r);
  rsp->info.change_time = dfsc__rd_u64(&r);
  rsp->info.allocation_size = dfsc__rd_u64(&r);
  rsp->info.end_of_file = dfsc__rd_u64(&r);
  rsp->info.attributes = dfsc__rd_u32(&r);
  dfsc__rd_skip(&r, 4);
  dfsc__smb2_fid_rd(&r, &rsp->fid);
  cc_off = dfsc__rd_u32(&r);
  cc_len = dfsc__rd_u32(&r);
  if (r.bad)
    return DFSC_E_PROTO;
  if (dfsc__smb2_span(pdu, len, SMB2_CREATE_RSP_BUFFER_OFF, cc_off, cc_len, &rsp->cc_buf) <
      0)
    return DFSC_E_PROTO;
  rsp->cc_len = cc_len;
  return check_chain(rsp->cc_buf, rsp->cc_len) < 0 ? DFSC_E_PROTO : 0;
}

void dfsc__smb2_cc_iter_init(dfsc_smb2_cc_iter *it, const uint8_t *buf, size_t len) {
  it->p = buf;
  it->len = buf ? len : 0;
  it->off = 0;
  it->done = it->len == 0;
}

int dfsc__smb2_cc_next(dfsc_smb2_cc_iter *it, dfsc_smb2_cc *cc) {
  const uint8_t *p;
  size_t rem, extent;
  uint32_t next, data_len;
  uint16_t name_off, name_len, data_off;

  if (it->done)
    return 0;
  rem = it->len - it->off;
  if (rem < CC_HDR_SIZE)
    goto bad;
  p = it->p + it->off;
  next = dfsc__le32(p);
  name_off = dfsc__le16(p + 4);
  name_len = dfsc__le16(p + 6);
  data_off = dfsc__le16(p + 10);
  data_len = dfsc__le32(p + 12);
  /* Next must move forward, keep 8-alignment and leave the following
   * context inside the buffer; it also bounds this context's fields. */
  if (next != 0 && ((next & 7) || next < CC_HDR_SIZE || next >= rem))
    goto bad;
  extent = next ? next : rem;
  if (name_len == 0 || name_off < CC_HDR_SIZE || name_off > extent ||
      name_len > extent - name_off)
    goto bad;
  if (data_len != 0 && (data_off < (size_t)name_off + name_len || data_off > extent ||
                        data_len > extent - data_off))
    goto bad;
  cc->name = p + name_off;
  cc->name_len = name_len;
  cc->data = data_len ? p + data_off : NULL;
  cc->data_len = data_len;
  if (next)
    it->off += next;
  else
    it->done = 1;
  return 1;
bad:
  it->done = 1;
  return DFSC_E_PROTO;
}

int dfsc__smb2_cc_find(const uint8_t *buf, size_t len, const char *name, dfsc_smb2_cc *cc) {
  dfsc_smb2_cc_iter it;
  int rc;

  dfsc__smb2_cc_iter_init(&it, buf, len);
  while ((rc = dfsc__smb2_cc_next(&it, cc)) == 1)
    if (cc->name_len == 4 && memcmp(cc->name, name, 4) == 0)
      return 1;
  return rc;
}

void dfsc__smb2_cc_mxac(dfsc_smb2_cc *cc) {
  cc->name = (const uint8_t *)SMB2_CC_MXAC;
  cc->name_len = 4;
  cc->data = NULL;
  cc->data_len = 0;
}

void dfsc__smb2_cc_qfid(dfsc_smb2_cc *cc) {
  cc->name = (const uint8_t *)SMB2_CC_QFID;
  cc->name_len = 4;
  cc->data = NULL;
  cc->data_len = 0;
}

int dfsc__smb2_cc_lease(dfsc_smb2_cc *cc, uint8_t buf[SMB2_LEASE_V2_SIZE],
                        const dfsc_smb2_lease *lease) {
  dfsc_wr w;

  if (lease->version != 1 && lease->version != 2)
    return -EINVAL;
  dfsc__wr_init(&w, buf, SMB2_LEASE_V2_SIZE);
  dfsc__wr_bytes(&w, lease->key, 16);
  dfsc__wr_u32(&w, lease->state);
  dfsc__wr_u32(&w, lease->flags);
  dfsc__wr_u64(&w, lease->duration);
  if (lease->version == 2) {
    dfsc__wr_bytes(&w, lease->parent_key, 16);
    dfsc__wr_u16(&w, lease->epoch);
    dfsc__wr_u16(&w, 0);
  }
  cc->name = (const uint8_t *)SMB2_CC_RQLS;
  cc->name_len = 4;
  cc->data = buf;
  cc->data_len = w.off;
  return 0;
}

void dfsc__smb2_cc_dh2q(dfsc_smb2_cc *cc, uint8_t buf[SMB2_DH2Q_SIZE], uint32_t timeout_ms,
                        uint32_t flags, const uint8_t create_guid[16]) {
  dfsc__put_le32(buf, timeout_ms);
  dfsc__put_le32(buf + 4, flags);
  memset(buf + 8, 0, 8);
  memcpy(buf + 16, create_guid, 16);
  cc->name = (const uint8_t *)SMB2_CC_DH2Q;
  cc->name_len = 4;
  cc->data = buf;
  cc->data_len = SMB2_DH2Q_SIZE;
}

void dfsc__smb2_cc_dh2c(dfsc_smb2_cc *cc, uint8_t buf[SMB2_DH2C_SIZE],
                        const dfsc_smb2_fid *fid, const uint8_t create_guid[16],
                        uint32_t flags) {
  dfsc__put_le64(buf, fid->persistent);
  dfsc__put_le64(buf + 8, fid->volatile_);
  memcpy(buf + 16, create_guid, 16);
  dfsc__put_le32(buf + 32, flags);
  cc->name = (const uint8_t *)SMB2_CC_DH2C;
  cc->name_len = 4;
  cc->data = buf;
  cc->data_len = SMB2_DH2C_SIZE;
}

void dfsc__smb2_cc_dhnq(dfsc_smb2_cc *cc, uint8_t buf[SMB2_DHNQ_SIZE]) {
  memset(buf, 0, SMB2_DHNQ_SIZE);
  cc->name = (const uint8_t *)SMB2_CC_DHNQ;
  cc->name_len = 4;
  cc->data = buf;
  cc->data_len = SMB2_DHNQ_SIZE;
}

void dfsc__smb2_cc_dhnc(dfsc_smb2_cc *cc, uint8_t buf[SMB2_DHNC_SIZE],
                        const dfsc_smb2_fid *fid) {
  dfsc__put_le64(buf, fid->persistent);
  dfsc__put_le64(buf + 8, fid->volatile_);
  cc->name = (const uint8_t *)SMB2_CC_DHNC;
  cc->name_len = 4;
  cc->data = buf;
  cc->data_len = SMB2_DHNC_SIZE;
}

int dfsc__smb2_cc_mxac_parse(const dfsc_smb2_cc *cc, uint32_t *query_status,
                             uint32_t *maximal_access) {
  if (cc->data_len < 8)
    return DFSC_E_PROTO;
  *query_status = dfsc__le32(cc->data);
  *maximal_access = dfsc__le32(cc->data + 4);
  return 0;
}

int dfsc__smb2_cc_qfid_parse(const dfsc_smb2_cc *cc, uint8_t disk_file_id[32]) {
  if (cc->data_len < 32)
    return DFSC_E_PROTO;
  memcpy(disk_file_id, cc->data, 32);
  return 0;
}

int dfsc__smb2_cc_lease_parse(const dfsc_smb2_cc *cc, dfsc_smb2_lease *lease) {
  dfsc_rd r;

  memset(lease, 0, sizeof(*lease));
  if (cc->data_len != SMB2_LEASE_V1_SIZE && cc->data_len != SMB2_LEASE_V2_SIZE)
    return DFSC_E_PROTO;
  dfsc__rd_init(&r, cc->data, cc->data_len);
  dfsc__rd_bytes(&r, lease->key, 16);
  lease->state = dfsc__rd_u32(&r);
  lease->flags = dfsc__rd_u32(&r);
  lease->duration = dfsc__rd_u64(&r);
  lease->version = 1;
  if (cc->data_len == SMB2_LEASE_V2_SIZE) {
    dfsc__rd_bytes(&r, lease->parent_key, 16);
    lease->epoch = dfsc__rd_u16(&r);
    lease->version = 2;
  }
  return r.bad ? DFSC_E_PROTO : 0;
}

int dfsc__smb2_cc_dh2q_parse(const dfsc_smb2_cc *cc, uint32_t *timeout_ms,
                             uint32_t *flags) {
  if (cc->data_len < 8)
    return DFSC_E_PROTO;
  *timeout_ms = dfsc__le32(cc->data);
  *flags = dfsc__le32(cc->data + 4);
  return 0;
}
