/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus's private per-user directories: the state directory (keys, audit logs) and the
 * runtime directory (control sockets of running pods).  Both are created with mode 0700 and
 * refused when they are symlinks, owned by someone else, or open to group or others. */
#ifndef NC_UTIL_STATE_H
#define NC_UTIL_STATE_H

#include "util/err.h"

#include <stddef.h>

/* $NUCLEUS_STATE_DIR, else $XDG_STATE_HOME/nucleus, else $HOME/.local/state/nucleus. */
int nc_state_dir(char *out, size_t outsz, struct nc_err *err);
/* $NUCLEUS_RUNTIME_DIR, else $XDG_RUNTIME_DIR/nucleus, else /tmp/nucleus-<uid>.  Short, so
 * unix socket paths beneath it fit in sun_path. */
int nc_runtime_dir(char *out, size_t outsz, struct nc_err *err);
/* Creates path (mode 0700; missing parents 0700 too) or checks an existing one: a real
 * directory (not a symlink), owned by the effective user, no group/other permissions. */
int nc_private_dir(const char *path, struct nc_err *err);

#endif
