/* SPDX-License-Identifier: Apache-2.0 */
/* nc_confine_service (confine.h). */
#include "confine.h"

#include "landlock.h"
#include "seccomp_filter.h"

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>

int nc_confine_service(const uint16_t *ports, size_t nports, bool any_port, int *landlock_abi,
                       struct nc_err *err)
{
    static const char *const ro[] = {"/etc", "/usr", NULL};
    struct nc_landlock_spec spec = {.ro = ro, .deny_tcp = true, .tcp_connect_any = any_port,
                                    .tcp_connect_ports = ports, .ntcp_connect_ports = nports,
                                    .scope = true};
    bool net = false, scope = false;

    *landlock_abi = 0;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return nc_err_set(err, errno, "no_new_privs: %s", strerror(errno));
    if (nc_landlock_apply(&spec, landlock_abi, &net, &scope, err) < 0)
        return -1;
    return nc_seccomp_install(err);
}
