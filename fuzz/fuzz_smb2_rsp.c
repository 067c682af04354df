/* libFuzzer target: every SMB2 response decoder in src/smb2/ and the
 * parsers that run over what they return.
 *
 * Input: a selector byte, then the data. The selector (modulo the number
 * of cases) picks one of:
 *   PDU cases (data = one PDU from its 64-byte header): NEGOTIATE (with
 *   3.1.1 contexts), SESSION_SETUP, TREE_CONNECT, TREE_DISCONNECT, CREATE
 *   (+ the create-context iterator and the MxAc/QFid/RqLs/DH2Q parsers),
 *   CLOSE, READ (+ peek), WRITE, QUERY_DIRECTORY (+ the entry iterator over
 *   every information class), QUERY_INFO (+ every fileinfo.h parser),
 *   IOCTL (+ vni_rsp_parse), ERROR (+ contexts, symlink, share redirect,
 *   BUFFER_TOO_SMALL, the header Status through the errno map and the
 *   name table), OPLOCK_BREAK (oplock and lease notifications, lease
 *   ack responses), and the bodiless FLUSH / ECHO / LOGOFF / SET_INFO /
 *   LOCK; QUERY_INFO also runs the EA-list iterator over its buffer;
 *   raw cases (data = the inner buffer alone): fileinfo parsers, directory
 *   iterator, create-context chain, symlink / share-redirect ErrorData,
 *   VALIDATE_NEGOTIATE_INFO output, FILE_FULL_EA_INFORMATION list.
 * Invariants checked (abort on violation): every pointer a decoder returns
 * lies with its length inside the buffer it was given; iterators stop
 * within a bound that proves progress and yield nothing after the end; a
 * decoded PDU re-encodes with the matching encoder and decodes back to the
 * same values; parse -> build -> parse is stable for the fixed-size
 * information classes and for the names and values of an EA list.
 * Does not: check semantic plausibility (dialect values, flags).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfsc/errors.h"
#include "fuzz_common.h"
#include "smb2/close.h"
#include "smb2/create.h"
#include "smb2/ea.h"
#include "smb2/echo.h"
#include "smb2/error.h"
#include "smb2/fileinfo.h"
#include "smb2/flush.h"
#include "smb2/ioctl.h"
#include "smb2/lock.h"
#include "smb2/logoff.h"
#include "smb2/negotiate.h"
#include "smb2/oplock.h"
#include "smb2/query_directory.h"
#include "smb2/query_info.h"
#include "smb2/read.h"
#include "smb2/session_setup.h"
#include "smb2/set_info.h"
#include "smb2/smb2.h"
#include "smb2/status.h"
#include "smb2/tree.h"
#include "smb2/write.h"

#define IN(p, n) CHECK(inside((p), (n), base, blen))
#define RC(rc) CHECK((rc) == 0 || (rc) == DFSC_E_PROTO)
#define SAME_BYTES(p1, n1, p2, n2)                                                         \
  CHECK((n1) == (n2) && ((n1) == 0 || memcmp((p1), (p2), (n1)) == 0))

/* Scratch for re-encoding: a header copied from the input, then the body. */
#define OUTCAP (1u << 17)
static uint8_t out[OUTCAP];

static void out_begin(dfsc_wr *w, const uint8_t *pdu) {
  dfsc__wr_init(w, out, OUTCAP);
  dfsc__wr_bytes(w, pdu, SMB2_HDR_SIZE);
}

/* ---- fileinfo parsers over a QUERY_INFO output buffer ---------------- */

static void fileinfo_all(const uint8_t *base, size_t blen) {
  dfsc_smb2_fi_basic b, b2;
  dfsc_smb2_fi_standard st, st2;
  dfsc_smb2_fi_all a, a2;
  dfsc_smb2_netopen no, no2;
  dfsc_smb2_fs_size fs, fs2;
  uint64_t u, u2;
  int ri, rc;
  const uint8_t *nm;
  size_t nl;
  dfsc_wr w;

  rc = dfsc__smb2_fi_basic_parse(base, blen, &b);
  RC(rc);
  if (rc == 0) {
    dfsc__wr_init(&w, out, OUTCAP);
    CHECK(dfsc__smb2_fi_basic_build(&w, &b) == 0 && w.off == SMB2_FI_BASIC_SIZE);
    CHECK(dfsc__smb2_fi_basic_parse(out, w.off, &b2) == 0);
    CHECK(b.creation_time == b2.creation_time &&
          b.last_access_time == b2.last_access_time &&
          b.last_write_time == b2.last_write_time && b.change_time == b2.change_time &&
          b.attributes == b2.attributes);
  }
  rc = dfsc__smb2_fi_standard_parse(base, blen, &st);
  RC(rc);
  if (rc == 0) {
    dfsc__wr_init(&w, out, OUTCAP);
    CHECK(dfsc__smb2_fi_standard_build(&w, &st) == 0);
    CHECK(dfsc__smb2_fi_standard_parse(out, w.off, &st2) == 0);
    CHECK(st.allocation_size == st2.allocation_size && st.end_of_file == st2.end_of_file &&
          st.number_of_links == st2.number_of_links &&
          st.delete_pending == st2.delete_pending && st.directory == st2.directory);
  }
  rc = dfsc__smb2_fi_internal_parse(base, blen, &u);
  RC(rc);
  if (rc == 0) {
    dfsc__wr_init(&w, out, OUTCAP);
    CHECK(dfsc__smb2_fi_internal_build(&w, u) == 0);
    CHECK(dfsc__smb2_fi_internal_parse(out, w.off, &u2) == 0 && u == u2);
  }
  rc = dfsc__smb2_fi_network_open_parse(base, blen, &no);
  RC(rc);
  if (rc == 0) {
    dfsc__wr_init(&w, out, OUTCAP);
    CHECK(dfsc__smb2_fi_network_open_build(&w, &no) == 0);
    CHECK(dfsc__smb2_fi_network_open_parse(out, w.off, &no2) == 0);
    CHECK(no.creation_time == no2.creation_time &&
          no.last_access_time == no2.last_access_time &&
          no.last_write_time == no2.last_write_time && no.change_time == no2.change_time &&
          no.allocation_size == no2.allocation_size && no.end_of_file == no2.end_of_file &&
          no.attributes == no2.attributes);
  }
  rc = dfsc__smb2_fi_all_parse(base, blen, &a);
  RC(rc);
  if (rc == 0) {
    IN(a.name, a.name_len);
    CHECK((a.name_len & 1) == 0);
    dfsc__wr_init(&w, out, OUTCAP);
    CHECK(dfsc__smb2_fi_all_build(&w, &a) == 0);
    CHECK(dfsc__smb2_fi_all_parse(out, w.off, &a2) == 0);
    CHECK(a.basic.creation_time == a2.basic.creation_time &&
          a.basic.attributes == a2.basic.attributes &&
          a.standard.end_of_file == a2.standard.end_of_file &&
          a.standard.directory == a2.standard.directory &&
          a.index_number == a2.index_number && a.ea_size == a2.ea_size &&
          a.access_flags == a2.access_flags &&
          a.current_byte_offset == a2.current_byte_offset && a.mode == a2.mode &&
          a.alignment_requirement == a2.alignment_requirement);
    SAME_BYTES(a.name, a.name_len, a2.name, a2.name_len);
  }
  rc = dfsc__smb2_fs_size_parse(base, blen, &fs);
  RC(rc);
  if (rc == 0) {
    CHECK(fs.caller_available_units == fs.actual_available_units);
    dfsc__wr_init(&w, out, OUTCAP);
    CHECK(dfsc__smb2_fs_size_build(&w, &fs) == 0);
    CHECK(dfsc__smb2_fs_size_parse(out, w.off, &fs2) == 0);
    CHECK(fs.total_units == fs2.total_units &&
          fs.actual_available_units == fs2.actual_available_units &&
          fs.sectors_per_unit == fs2.sectors_per_unit &&
          fs.bytes_per_sector == fs2.bytes_per_sector);
  }
  rc = dfsc__smb2_fs_full_size_parse(base, blen, &fs);
  RC(rc);
  if (rc == 0) {
    dfsc__wr_init(&w, out, OUTCAP);
    CHECK(dfsc__smb2_fs_full_size_build(&w, &fs) == 0);
    CHECK(dfsc__smb2_fs_full_size_parse(out, w.off, &fs2) == 0);
    CHECK(fs.total_units == fs2.total_units &&
          fs.caller_available_units == fs2.caller_available_units &&
          fs.actual_available_units == fs2.actual_available_units &&
          fs.sectors_per_unit == fs2.sectors_per_unit &&
          fs.bytes_per_sector == fs2.bytes_per_sector);
  }
  rc = dfsc__smb2_fi_rename_parse(base, blen, &ri, &nm, &nl);
  RC(rc);
  if (rc == 0) {
    IN(nm, nl);
    CHECK(nl > 0 && (nl & 1) == 0);
  }
  RC(dfsc__smb2_fi_disposition_parse(base, blen, &ri));
  RC(dfsc__smb2_fi_eof_parse(base, blen, &u));
}

/* ---- directory entries ------------------------------------------------ */

static const uint8_t dir_classes[] = {
    FILE_DIRECTORY_INFORMATION, FILE_FULL_DIRECTORY_INFORMATION,
    FILE_BOTH_DIRECTORY_INFORMATION, FILE_ID_FULL_DIRECTORY_INFORMATION,
    FILE_ID_BOTH_DIRECTORY_INFORMATION};

static void dir_walk(const uint8_t *base, size_t blen) {
  size_t c, steps;
  dfsc_smb2_dir_iter it;
  dfsc_smb2_dirent e;
  const uint8_t *prev;
  int rc;

  for (c = 0; c < sizeof dir_classes; c++) {
    CHECK(dfsc__smb2_dir_iter_init(&it, dir_classes[c], base, blen) == 0);
    steps = 0;
    prev = NULL;
    while ((rc = dfsc__smb2_dir_next(&it, &e)) == 1) {
      /* Entries are at least 8 bytes apart, so a walk has at most
       * len/8 + 1 of them. */
      CHECK(++steps <= blen / 8 + 1);
      IN(e.name, e.name_len);
      CHECK((e.name_len & 1) == 0);
      IN(e.short_name, e.short_name_len);
      CHECK(e.short_name_len <= 24);
      if (e.name != NULL) {
        CHECK(prev == NULL || e.name > prev);
        prev = e.name;
      }
    }
    CHECK(rc == 0 || rc == DFSC_E_PROTO);
    /* Done or failed, the iterator yields nothing more. */
    CHECK(dfsc__smb2_dir_next(&it, &e) <= 0);
  }
  CHECK(dfsc__smb2_dir_iter_init(&it, 0x77, base, blen) == -EINVAL);
}

/* ---- create contexts -------------------------------------------------- */

static void cc_walk(const uint8_t *base, size_t blen) {
  dfsc_smb2_cc_iter it;
  dfsc_smb2_cc cc, found;
  dfsc_smb2_lease lease;
  uint8_t dfid[32];
  uint32_t a, b;
  size_t steps = 0;
  int rc, frc;

  dfsc__smb2_cc_iter_init(&it, base, blen);
  while ((rc = dfsc__smb2_cc_next(&it, &cc)) == 1) {
    CHECK(++steps <= blen / 16 + 1);
    IN(cc.name, cc.name_len);
    IN(cc.data, cc.data_len);
    CHECK(cc.name_len > 0);
    RC(dfsc__smb2_cc_mxac_parse(&cc, &a, &b));
    RC(dfsc__smb2_cc_qfid_parse(&cc, dfid));
    rc = dfsc__smb2_cc_lease_parse(&cc, &lease);
    RC(rc);
    if (rc == 0)
      CHECK(lease.version == 1 || lease.version == 2);
    RC(dfsc__smb2_cc_dh2q_parse(&cc, &a, &b));
    if (cc.name_len == 4) {
      char nm[5];
      memcpy(nm, cc.name, 4);
      nm[4] = '\0';
      frc = dfsc__smb2_cc_find(base, blen, nm, &found);
      /* The first context with this name is this one or an earlier one. */
      CHECK(frc == 1 && found.name <= cc.name);
    }
  }
  CHECK(rc == 0 || rc == DFSC_E_PROTO);
  CHECK(dfsc__smb2_cc_next(&it, &cc) <= 0);
  frc = dfsc__smb2_cc_find(base, blen, SMB2_CC_MXAC, &found);
  CHECK(frc == 1 || frc == 0 || frc == DFSC_E_PROTO);
  if (rc == 0)
    CHECK(frc != DFSC_E_PROTO);
  if (frc == 1)
    IN(found.data, found.data_len);
}

/* ---- FILE_FULL_EA_INFORMATION lists ----------------------------------- */

static void ea_walk(const uint8_t *base, size_t blen) {
  dfsc_smb2_ea ea, ea2;
  size_t pos = 0, prev, pos2 = 0, steps = 0;
  dfsc_wr w;
  int rc;

  for (;;) {
    prev = pos;
    rc = dfsc__smb2_ea_next(base, blen, &pos, &ea);
    if (rc != 1)
      break;
    /* A following entry is at least 12 bytes on (10 rounded up to 4), the
     * last one ends the walk: at most blen / 12 + 1 steps. */
    CHECK(++steps <= blen / 12 + 1);
    CHECK(pos > prev && pos <= blen);
    CHECK(pos == blen || (pos - prev >= 12 && ((pos - prev) & 3) == 0));
    IN((const uint8_t *)ea.name, ea.name_len);
    IN(ea.value, ea.value_len);
    CHECK(ea.name_len >= 1 && ea.name_len <= SMB2_EA_NAME_MAX);
    CHECK(memchr(ea.name, 0, ea.name_len) == NULL);
    /* The NUL and the value follow the name, inside the buffer. */
    IN((const uint8_t *)ea.name, ea.name_len + 1 + ea.value_len);
    CHECK(ea.name[ea.name_len] == 0);
    CHECK(ea.value == NULL || ea.value == (const uint8_t *)ea.name + ea.name_len + 1);
    CHECK((ea.value == NULL) == (ea.value_len == 0));
  }
  CHECK(rc == 0 || rc == DFSC_E_PROTO);
  /* Done or refused, it stays so and *pos does not move. */
  CHECK(pos == prev);
  CHECK(dfsc__smb2_ea_next(base, blen, &pos, &ea) == rc && pos == prev);
  if (rc != 0)
    return;

  /* A whole list rebuilds from its names and values (Flags are not
   * written by the builder), no longer than it was, and reads back the
   * same entry for entry. */
  dfsc__wr_init(&w, out, OUTCAP);
  pos = 0;
  while (dfsc__smb2_ea_next(base, blen, &pos, &ea) == 1)
    CHECK(dfsc__smb2_ea_build(&w, ea.name, ea.name_len, ea.value, ea.value_len,
                              pos == blen) == 0);
  CHECK(w.off <= blen);
  pos = 0;
  while (dfsc__smb2_ea_next(base, blen, &pos, &ea) == 1) {
    CHECK(dfsc__smb2_ea_next(out, w.off, &pos2, &ea2) == 1);
    SAME_BYTES(ea.name, ea.name_len, ea2.name, ea2.name_len);
    SAME_BYTES(ea.value, ea.value_len, ea2.value, ea2.value_len);
    CHECK(ea2.flags == 0);
  }
  CHECK(dfsc__smb2_ea_next(out, w.off, &pos2, &ea2) == 0 && pos2 == w.off);
}

/* ---- ERROR bodies ----------------------------------------------------- */

static void errdata_raw(const uint8_t *base, size_t blen) {
  dfsc_smb2_symlink_error s;
  dfsc_smb2_share_redirect r;
  int rc = dfsc__smb2_symlink_error_decode(base, blen, &s);
  RC(rc);
  if (rc == 0) {
    IN(s.substitute_name, s.substitute_name_len);
    IN(s.print_name, s.print_name_len);
  }
  rc = dfsc__smb2_share_redirect_decode(base, blen, &r);
  RC(rc);
  if (rc == 0) {
    CHECK(r.ip_count <= blen / SMB2_MOVE_DST_IPADDR_SIZE);
    IN(r.ip_list, (size_t)r.ip_count * SMB2_MOVE_DST_IPADDR_SIZE);
    IN(r.resource_name, r.resource_name_len);
  }
}

/* The header's Status goes into error messages and the errno mapping. */
static void status_of(const uint8_t *pdu, size_t len) {
  uint32_t st;
  const char *nm;
  int e;

  if (len < 12)
    return;
  st = dfsc__le32(pdu + 8);
  e = dfsc__smb2_status_to_errno(st);
  CHECK(e <= 0);
  if (dfsc__nt_error(st))
    CHECK(e < 0);
  nm = dfsc_ntstatus_name(st);
  CHECK(nm != NULL && strnlen(nm, 128) < 128);
}

static void error_pdu(const uint8_t *pdu, size_t len) {
  const uint8_t *base = pdu;
  size_t blen = len;
  dfsc_smb2_error_rsp e, e2;
  dfsc_smb2_error_iter it;
  dfsc_smb2_error_ctx ctx;
  dfsc_smb2_symlink_error s;
  const uint8_t *d;
  size_t dl, steps = 0;
  uint32_t need;
  int rc = dfsc__smb2_error_rsp_decode(pdu, len, &e);
  dfsc_wr w;

  status_of(pdu, len);
  RC(rc);
  rc = dfsc__smb2_stopped_on_symlink_decode(pdu, len, &s);
  RC(rc);
  if (rc == 0) {
    IN(s.substitute_name, s.substitute_name_len);
    IN(s.print_name, s.print_name_len);
  }
  if (dfsc__smb2_error_rsp_decode(pdu, len, &e) != 0)
    return;
  IN(e.data, e.data_len);
  memset(&it, 0, sizeof it);
  if (e.context_count > 0) {
    while ((rc = dfsc__smb2_error_ctx_next(&e, &it, &ctx)) == 1) {
      CHECK(++steps <= e.context_count);
      IN(ctx.data, ctx.len);
      CHECK(inside(ctx.data, ctx.len, e.data, e.data_len));
      errdata_raw(ctx.data, ctx.len);
    }
    CHECK(rc == 0 || rc == DFSC_E_PROTO);
  }
  rc = dfsc__smb2_error_find(&e, SMB2_ERROR_ID_DEFAULT, &d, &dl);
  CHECK(rc == 1 || rc == 0 || rc == DFSC_E_PROTO);
  if (rc == 1)
    CHECK(inside(d, dl, e.data, e.data_len));
  rc = dfsc__smb2_error_find(&e, SMB2_ERROR_ID_SHARE_REDIRECT, &d, &dl);
  CHECK(rc == 1 || rc == 0 || rc == DFSC_E_PROTO);
  if (rc == 1)
    CHECK(inside(d, dl, e.data, e.data_len));
  RC(dfsc__smb2_error_buffer_too_small(&e, &need));
  errdata_raw(e.data, e.data_len);

  out_begin(&w, pdu);
  if (dfsc__smb2_error_rsp_encode(&w, e.context_count, e.data, e.data_len) == 0) {
    CHECK(dfsc__smb2_error_rsp_decode(out, w.off, &e2) == 0);
    CHECK(e2.context_count == e.context_count);
    SAME_BYTES(e.data, e.data_len, e2.data, e2.data_len);
  }
}

/* ---- the cases -------------------------------------------------------- */

static void c_negotiate(const uint8_t *pdu, size_t len) {
  const uint8_t *base = pdu;
  size_t blen = len;
  dfsc_smb2_negotiate_rsp r, r2;
  dfsc_wr w;
  int rc = dfsc__smb2_negotiate_rsp_decode(pdu, len, &r);
  RC(rc);
  if (rc != 0)
    return;
  IN(r.security_buffer, r.security_buffer_len);
  IN(r.preauth_salt, r.preauth_salt_len);
  out_begin(&w, pdu);
  if (dfsc__smb2_negotiate_rsp_encode(&w, &r) != 0)
    return;
  CHECK(dfsc__smb2_negotiate_rsp_decode(out, w.off, &r2) == 0);
  CHECK(r.security_mode == r2.security_mode && r.dialect == r2.dialect &&
        memcmp(r.server_guid, r2.server_guid, 16) == 0 &&
        r.capabilities == r2.capabilities && r.max_transact_size == r2.max_transact_size &&
        r.max_read_size == r2.max_read_size && r.max_write_size == r2.max_write_size &&
        r.system_time == r2.system_time && r.server_start_time == r2.server_start_time);
  SAME_BYTES(r.security_buffer, r.security_buffer_len, r2.security_buffer,
             r2.security_buffer_len);
  if (r.dialect == SMB2_DIALECT_311) {
    CHECK(r.has_preauth == r2.has_preauth && r.has_cipher == r2.has_cipher &&
          r.has_signing == r2.has_signing);
    if (r.has_preauth) {
      CHECK(r.preauth_hash_alg == r2.preauth_hash_alg);
      SAME_BYTES(r.preauth_salt, r.preauth_salt_len, r2.preauth_salt, r2.preauth_salt_len);
    }
    if (r.has_cipher)
      CHECK(r.cipher == r2.cipher);
    if (r.has_signing)
      CHECK(r.signing_alg == r2.signing_alg);
  }
}

static void c_session_setup(const uint8_t *pdu, size_t len) {
  const uint8_t *base = pdu;
  size_t blen = len;
  dfsc_smb2_session_setup_rsp r, r2;
  dfsc_wr w;
  int rc = dfsc__smb2_session_setup_rsp_decode(pdu, len, &r);
  RC(rc);
  if (rc != 0)
    return;
  IN(r.security_buffer, r.security_buffer_len);
  out_begin(&w, pdu);
  if (dfsc__smb2_session_setup_rsp_encode(&w, &r) != 0)
    return;
  CHECK(dfsc__smb2_session_setup_rsp_decode(out, w.off, &r2) == 0);
  CHECK(r.session_flags == r2.session_flags);
  SAME_BYTES(r.security_buffer, r.security_buffer_len, r2.security_buffer,
             r2.security_buffer_len);
}

static void c_tree(const uint8_t *pdu, size_t len) {
  dfsc_smb2_tree_connect_rsp r, r2;
  dfsc_wr w;
  int rc = dfsc__smb2_tree_connect_rsp_decode(pdu, len, &r);
  RC(rc);
  RC(dfsc__smb2_tree_disconnect_rsp_decode(pdu, len));
  if (rc != 0)
    return;
  out_begin(&w, pdu);
  CHECK(dfsc__smb2_tree_connect_rsp_encode(&w, &r) == 0);
  CHECK(dfsc__smb2_tree_connect_rsp_decode(out, w.off, &r2) == 0);
  CHECK(r.share_type == r2.share_type && r.share_flags == r2.share_flags &&
        r.capabilities == r2.capabilities && r.maximal_access == r2.maximal_access);
}

static void c_create(const uint8_t *pdu, size_t len) {
  const uint8_t *base = pdu;
  size_t blen = len;
  dfsc_smb2_create_rsp r, r2;
  dfsc_wr w;
  int rc = dfsc__smb2_create_rsp_decode(pdu, len, &r);
  RC(rc);
  if (rc != 0)
    return;
  IN(r.cc_buf, r.cc_len);
  cc_walk(r.cc_buf, r.cc_len);
  out_begin(&w, pdu);
  r.ccs = NULL;
  r.n_ccs = 0;
  if (dfsc__smb2_create_rsp_encode(&w, &r) != 0)
    return;
  CHECK(dfsc__smb2_create_rsp_decode(out, w.off, &r2) == 0);
  CHECK(r.oplock_level == r2.oplock_level && r.flags == r2.flags &&
        r.create_action == r2.create_action &&
        r.info.creation_time == r2.info.creation_time &&
        r.info.end_of_file == r2.info.end_of_file &&
        r.info.attributes == r2.info.attributes && r.fid.persistent == r2.fid.persistent &&
        r.fid.volatile_ == r2.fid.volatile_);
  SAME_BYTES(r.cc_buf, r.cc_len, r2.cc_buf, r2.cc_len);
}

static void c_close(const uint8_t *pdu, size_t len) {
  dfsc_smb2_close_rsp r, r2;
  dfsc_wr w;
  int rc = dfsc__smb2_close_rsp_decode(pdu, len, &r);
  RC(rc);
  if (rc != 0)
    return;
  out_begin(&w, pdu);
  CHECK(dfsc__smb2_close_rsp_encode(&w, &r) == 0);
  CHECK(dfsc__smb2_close_rsp_decode(out, w.off, &r2) == 0);
  CHECK(r.flags == r2.flags && r.info.creation_time == r2.info.creation_time &&
        r.info.last_access_time == r2.info.last_access_time &&
        r.info.last_write_time == r2.info.last_write_time &&
        r.info.change_time == r2.info.change_time &&
        r.info.allocation_size == r2.info.allocation_size &&
        r.info.end_of_file == r2.info.end_of_file &&
        r.info.attributes == r2.info.attributes);
}

static void c_read(const uint8_t *pdu, size_t len) {
  const uint8_t *base = pdu;
  size_t blen = len, off, n;
  dfsc_smb2_read_rsp r, r2;
  dfsc_wr w;
  int rc = dfsc__smb2_read_rsp_decode(pdu, len, &r);
  int prc = dfsc__smb2_read_rsp_peek(pdu, len, &off, &n);
  RC(rc);
  RC(prc);
  if (prc == 0) {
    CHECK(n == 0 ? off == SMB2_READ_RSP_FIXED : off >= SMB2_READ_RSP_FIXED);
  }
  if (rc != 0)
    return;
  CHECK(prc == 0 && n == r.data_len);
  IN(r.data, r.data_len);
  if (r.data_len > 0)
    CHECK(r.data == pdu + off);
  out_begin(&w, pdu);
  if (dfsc__smb2_read_rsp_encode(&w, &r) != 0)
    return;
  CHECK(dfsc__smb2_read_rsp_decode(out, w.off, &r2) == 0);
  CHECK(r.data_remaining == r2.data_remaining && r.flags == r2.flags);
  SAME_BYTES(r.data, r.data_len, r2.data, r2.data_len);
}

static void c_write(const uint8_t *pdu, size_t len) {
  dfsc_smb2_write_rsp r, r2;
  dfsc_wr w;
  int rc = dfsc__smb2_write_rsp_decode(pdu, len, &r);
  RC(rc);
  if (rc != 0)
    return;
  out_begin(&w, pdu);
  CHECK(dfsc__smb2_write_rsp_encode(&w, &r) == 0);
  CHECK(dfsc__smb2_write_rsp_decode(out, w.off, &r2) == 0);
  CHECK(r.count == r2.count && r.remaining == r2.remaining);
}

static void c_query_dir(const uint8_t *pdu, size_t len) {
  const uint8_t *base = pdu;
  size_t blen = len;
  dfsc_smb2_query_dir_rsp r, r2;
  dfsc_wr w;
  int rc = dfsc__smb2_query_dir_rsp_decode(pdu, len, &r);
  RC(rc);
  if (rc != 0)
    return;
  IN(r.buf, r.len);
  dir_walk(r.buf, r.len);
  out_begin(&w, pdu);
  if (dfsc__smb2_query_dir_rsp_encode(&w, &r) != 0)
    return;
  CHECK(dfsc__smb2_query_dir_rsp_decode(out, w.off, &r2) == 0);
  SAME_BYTES(r.buf, r.len, r2.buf, r2.len);
}

static void c_query_info(const uint8_t *pdu, size_t len) {
  const uint8_t *base = pdu;
  size_t blen = len;
  dfsc_smb2_query_info_rsp r, r2;
  dfsc_wr w;
  int rc = dfsc__smb2_query_info_rsp_decode(pdu, len, &r);
  RC(rc);
  if (rc != 0)
    return;
  IN(r.buf, r.len);
  fileinfo_all(r.buf, r.len);
  ea_walk(r.buf, r.len);
  out_begin(&w, pdu);
  if (dfsc__smb2_query_info_rsp_encode(&w, &r) != 0)
    return;
  CHECK(dfsc__smb2_query_info_rsp_decode(out, w.off, &r2) == 0);
  SAME_BYTES(r.buf, r.len, r2.buf, r2.len);
}

static void vni_raw(const uint8_t *base, size_t blen) {
  dfsc_smb2_vni_rsp v, v2;
  dfsc_wr w;
  int rc = dfsc__smb2_vni_rsp_parse(base, blen, &v);
  RC(rc);
  if (rc != 0)
    return;
  dfsc__wr_init(&w, out, OUTCAP);
  CHECK(dfsc__smb2_vni_rsp_build(&w, &v) == 0);
  CHECK(dfsc__smb2_vni_rsp_parse(out, w.off, &v2) == 0);
  CHECK(v.capabilities == v2.capabilities && memcmp(v.guid, v2.guid, 16) == 0 &&
        v.security_mode == v2.security_mode && v.dialect == v2.dialect);
}

static void c_ioctl(const uint8_t *pdu, size_t len) {
  const uint8_t *base = pdu;
  size_t blen = len;
  dfsc_smb2_ioctl_rsp r, r2;
  dfsc_wr w;
  int rc = dfsc__smb2_ioctl_rsp_decode(pdu, len, &r);
  RC(rc);
  if (rc != 0)
    return;
  IN(r.input, r.input_len);
  IN(r.output, r.output_len);
  vni_raw(r.output, r.output_len);
  out_begin(&w, pdu);
  if (dfsc__smb2_ioctl_rsp_encode(&w, &r) != 0)
    return;
  CHECK(dfsc__smb2_ioctl_rsp_decode(out, w.off, &r2) == 0);
  CHECK(r.ctl_code == r2.ctl_code && r.fid.persistent == r2.fid.persistent &&
        r.fid.volatile_ == r2.fid.volatile_ && r.flags == r2.flags);
  SAME_BYTES(r.input, r.input_len, r2.input, r2.input_len);
  SAME_BYTES(r.output, r.output_len, r2.output, r2.output_len);
}

static void c_oplock(const uint8_t *pdu, size_t len) {
  dfsc_smb2_oplock_break o, o2;
  dfsc_smb2_lease_break lb, lb2;
  dfsc_smb2_lease_ack la, la2;
  dfsc_wr w;
  int kind = dfsc__smb2_oplock_break_kind(pdu, len);
  int ro = dfsc__smb2_oplock_break_decode(pdu, len, &o);
  int rl = dfsc__smb2_lease_break_decode(pdu, len, &lb);
  int ra = dfsc__smb2_lease_ack_decode(pdu, len, &la);

  CHECK(kind == DFSC_SMB2_BREAK_OPLOCK || kind == DFSC_SMB2_BREAK_LEASE ||
        kind == DFSC_SMB2_BREAK_LEASE_ACK || kind == DFSC_E_PROTO);
  RC(ro);
  RC(rl);
  RC(ra);
  /* At most one layout fits, and it is the one the kind names. */
  CHECK((ro == 0) + (rl == 0) + (ra == 0) <= 1);
  if (ro == 0) {
    CHECK(kind == DFSC_SMB2_BREAK_OPLOCK);
    out_begin(&w, pdu);
    CHECK(dfsc__smb2_oplock_break_encode(&w, &o) == 0);
    CHECK(dfsc__smb2_oplock_break_decode(out, w.off, &o2) == 0);
    CHECK(o.oplock_level == o2.oplock_level && o.fid.persistent == o2.fid.persistent &&
          o.fid.volatile_ == o2.fid.volatile_);
  }
  if (rl == 0) {
    CHECK(kind == DFSC_SMB2_BREAK_LEASE);
    out_begin(&w, pdu);
    CHECK(dfsc__smb2_lease_break_encode(&w, &lb) == 0);
    CHECK(dfsc__smb2_lease_break_decode(out, w.off, &lb2) == 0);
    CHECK(lb.new_epoch == lb2.new_epoch && lb.flags == lb2.flags &&
          memcmp(lb.lease_key, lb2.lease_key, 16) == 0 &&
          lb.current_lease_state == lb2.current_lease_state &&
          lb.new_lease_state == lb2.new_lease_state &&
          lb.break_reason == lb2.break_reason &&
          lb.access_mask_hint == lb2.access_mask_hint &&
          lb.share_mask_hint == lb2.share_mask_hint);
  }
  if (ra == 0) {
    CHECK(kind == DFSC_SMB2_BREAK_LEASE_ACK);
    out_begin(&w, pdu);
    CHECK(dfsc__smb2_lease_ack_encode(&w, &la) == 0);
    CHECK(dfsc__smb2_lease_ack_decode(out, w.off, &la2) == 0);
    CHECK(la.flags == la2.flags && memcmp(la.lease_key, la2.lease_key, 16) == 0 &&
          la.lease_state == la2.lease_state && la.lease_duration == la2.lease_duration);
  }
}

static void c_bodiless(const uint8_t *pdu, size_t len) {
  int rf = dfsc__smb2_flush_rsp_decode(pdu, len);
  int rl = dfsc__smb2_lock_rsp_decode(pdu, len);
  dfsc_wr w;

  RC(rf);
  RC(dfsc__smb2_echo_rsp_decode(pdu, len));
  RC(dfsc__smb2_logoff_rsp_decode(pdu, len));
  RC(dfsc__smb2_set_info_rsp_decode(pdu, len));
  RC(dfsc__smb2_tree_disconnect_rsp_decode(pdu, len));
  RC(rl);
  /* LOCK and FLUSH responses share one layout ([MS-SMB2] 2.2.27, 2.2.18). */
  CHECK(rl == rf);
  if (rl != 0)
    return;
  out_begin(&w, pdu);
  CHECK(dfsc__smb2_lock_rsp_encode(&w) == 0 && w.off == SMB2_HDR_SIZE + 4);
  CHECK(dfsc__smb2_lock_rsp_decode(out, w.off) == 0);
}

typedef void (*case_fn)(const uint8_t *p, size_t n);

static const case_fn cases[] = {
    c_negotiate,                                                    /* 0 */
    c_session_setup, c_tree,      c_create,     c_close, c_read,    /* 5 */
    c_write,         c_query_dir, c_query_info, c_ioctl, error_pdu, /* 10 */
    c_oplock,        c_bodiless,  fileinfo_all, /* 13: raw buffers from here on */
    dir_walk,        cc_walk,                   /* 15 */
    errdata_raw,     vni_raw,     ea_walk,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* libFuzzer's buffer ends exactly at data + size, so ASan catches any
   * read past the end of data + 1 as well. */
  if (size < 1)
    return 0;
  cases[data[0] % (sizeof cases / sizeof cases[0])](data + 1, size - 1);
  return 0;
}
