/* SPDX-License-Identifier: Apache-2.0 */
/* Descriptors across a unix socket (SCM_RIGHTS): a one-byte message tagged with a letter,
 * carrying exactly n descriptors.  Used where a listener made inside a pod's namespaces goes
 * out to the egress gateway. */
#ifndef NC_UTIL_FDPASS_H
#define NC_UTIL_FDPASS_H

#include <stddef.h>

#define NC_FDPASS_MAX 4

/* Sends fds[0..n) (n <= NC_FDPASS_MAX) with tag.  0, or -1 with errno. */
int nc_fd_send(int chan, char tag, const int *fds, size_t n);
/* Receives a message of tag carrying exactly n descriptors (close-on-exec) into fds[0..n).
 * flags: recvmsg's (MSG_DONTWAIT).  0; or -1 with errno (EPROTO: another tag or count, the
 * descriptors it carried closed; 0 bytes, the sender gone: ECONNRESET). */
int nc_fd_recv(int chan, char tag, int *fds, size_t n, int flags);

#endif
