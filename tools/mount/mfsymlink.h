/* Symbolic links stored as small files in the Minshall+French format, the
 * one cifs.ko writes and reads with -o mfsymlinks (and macOS's SMB client
 * too), for servers that keep no symlinks of their own:
 *
 *   "XSym\n"  four decimal digits: the target's length  "\n"
 *   32 lowercase hex digits: the MD5 of the target       "\n"
 *   the target, then "\n" and spaces up to 1067 bytes in all
 *
 * A regular file is a link only when it is exactly that size and every
 * part checks out; anything else stays a regular file.
 * Does not: touch the network (the mount reads and writes the file).
 */
#ifndef DFSC_MOUNT_MFSYMLINK_H
#define DFSC_MOUNT_MFSYMLINK_H

#include <stddef.h>
#include <stdint.h>

#define DFSC_MFSYMLINK_SIZE 1067       /* bytes of every link file */
#define DFSC_MFSYMLINK_TARGET_MAX 1024 /* bytes of a target, at most */

/* Fills out[DFSC_MFSYMLINK_SIZE] with the link file for target (a
 * NUL-terminated string, not empty). 0, or -ENAMETOOLONG past
 * DFSC_MFSYMLINK_TARGET_MAX bytes, -EINVAL for an empty one. */
int dfsc__mfsymlink_encode(const char *target, uint8_t out[DFSC_MFSYMLINK_SIZE]);

/* Whether buf[len] is a link file; on success the target, NUL-terminated,
 * goes to target[cap] (cap > DFSC_MFSYMLINK_TARGET_MAX serves any) and its
 * length is returned. -EINVAL when it is not a link file (or holds a NUL
 * in its target), -ENOSPC when cap is too small. */
int dfsc__mfsymlink_decode(const uint8_t *buf, size_t len, char *target, size_t cap);

#endif
