/* dfsc error codes.
 *
 * Every function that can fail returns 0 or a negative code: either -errno
 * (for what the OS or a generic condition says: -ENOMEM, -ETIMEDOUT,
 * -ECONNREFUSED, -EINVAL, ...) or one of the project codes below, which live
 * in a reserved negative range that no errno reaches.
 *
 * NTSTATUS never travels as an errno: a failed server operation returns
 * DFSC_E_NTSTATUS and the operation's result carries the 32-bit status,
 * whose name dfsc_ntstatus_name() gives.
 */
#ifndef DFSC_ERRORS_H
#define DFSC_ERRORS_H

#ifdef __cplusplus
extern "C" {
#endif

#define DFSC_E_BASE (-40000)

/* XX(name, offset, message) */
#define DFSC_ERRNO_MAP(XX)                                                                 \
  XX(NTSTATUS, 1, "the server answered with an error status")                              \
  XX(PROTO, 2, "malformed or unexpected protocol data")                                    \
  XX(SIGNATURE, 3, "message signature check failed")                                       \
  XX(AUTH, 4, "authentication failed")                                                     \
  XX(CLOSED, 5, "connection closed by peer")                                               \
  XX(NOSPACE, 6, "encode buffer too small")                                                \
  XX(BADPATH, 7, "invalid UNC path")                                                       \
  XX(UNSUPPORTED, 8, "not supported by the server or the client")                          \
  XX(DIALECT, 9, "no common SMB dialect")                                                  \
  XX(BUSY, 10, "queue full")                                                               \
  XX(LOOP, 11, "referral loop or too many referral hops")                                  \
  XX(DOWNGRADE, 12, "negotiation downgrade detected")                                      \
  XX(CREDITS, 13, "the server grants too few credits for the request")                     \
  XX(TOOBIG, 14, "peer-supplied length exceeds the limit")                                 \
  XX(LOOKUP, 15, "name lookup failed")                                                     \
  XX(SHUTDOWN, 16, "context is shutting down")                                             \
  XX(DEADLK, 17, "blocking call made from the loop thread")                                \
  XX(GUEST, 18, "credentials were given but the server logged on as guest or anonymous")   \
  XX(TIMEDOUT, 19, "the operation's deadline passed")                                      \
  XX(CANCELED, 20, "the operation was canceled")                                           \
  XX(NOTICKET, 21, "no Kerberos ticket for the user: run kinit (or give a keytab)")        \
  XX(KERBEROS, 22, "Kerberos authentication failed")                                       \
  XX(HARDENED, 23, "hardened path: needs mutual authentication (Kerberos) and signing")    \
  XX(NOANSWER, 24, "the server is up but did not answer the request within its deadline")

#define DFSC_E_ENUM_(name, off, msg) DFSC_E_##name = DFSC_E_BASE - (off),
enum dfsc_errno { DFSC_ERRNO_MAP(DFSC_E_ENUM_) DFSC_E_LAST_ };
#undef DFSC_E_ENUM_

/* Returns a static message for a 0, -errno or DFSC_E_* code. Never NULL.
 * Thread-safety: safe from any thread. */
const char *dfsc_strerror(int err);

/* Returns a static symbolic name ("DFSC_E_PROTO", "ETIMEDOUT", ...). */
const char *dfsc_err_name(int err);

/* Returns the symbolic name of an NTSTATUS ("STATUS_LOGON_FAILURE"), or a
 * static "0xC00000XX"-style string for codes not in the table (a per-thread
 * buffer; valid until the next call on the same thread). */
const char *dfsc_ntstatus_name(unsigned int status);

#ifdef __cplusplus
}
#endif
#endif
