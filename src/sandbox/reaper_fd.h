/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus-init, the pod's PID 1 once the pod is set up (reaper.c), is embedded in nucleus
 * and executed from a sealed memfd (docs/design/0010-pod-processes.md). */
#ifndef NC_SANDBOX_REAPER_FD_H
#define NC_SANDBOX_REAPER_FD_H

#include "util/err.h"

/* Returns a close-on-exec, sealed memfd holding nucleus-init, ready for execveat(fd, "", ...,
 * AT_EMPTY_PATH); or -1 with err filled when it cannot be had (not built for this
 * architecture, memfd execution refused by vm.memfd_noexec=2, ...). */
int nc_reaper_open(struct nc_err *err);

#endif
