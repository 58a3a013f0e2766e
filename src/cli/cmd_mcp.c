/* SPDX-License-Identifier: Apache-2.0 */
/* nucleus mcp --pod ID: the MCP stdio server an agent is configured with.  It forwards
 * stdin/stdout to the pod's proxy (through the orchestrator's socket) and nothing else. */
#include "common.h"

#include "identity/mtls.h"
#include "node/links.h"
#include "util/state.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char help[] =
    "Usage: nucleus mcp --pod ID\n"
    "\n"
    "The MCP server (stdio) an agent is configured with while 'nucleus run' holds pod ID:\n"
    "it forwards the agent's messages to the tool proxy inside the pod and the replies back,\n"
    "and does nothing else.  Only the user who started the pod may connect.\n"
    "\n"
    "Exit status: 0 when either side closed, 1 when the pod is not running, 2 usage error.\n";

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int nc_cmd_mcp(int argc, char **argv)
{
    const char *pod = NULL;
    char rt[4096], path[4200], bridge[4200];
    struct nc_mtls_ctx *ctx = NULL;
    struct nc_mtls_conn *tc = NULL;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct nc_err err = {0};
    char buf[65536];
    int fd;

    for (int i = 1; i < argc; i++) {
        if (nc_cli_is_help(argv[i])) {
            fputs(help, stdout);
            return NC_EXIT_OK;
        }
        if (strcmp(argv[i], "--pod") == 0 && i + 1 < argc)
            pod = argv[++i];
        else
            return nc_cli_usage("mcp", "unknown argument '%s'", argv[i]);
    }
    if (pod == NULL)
        return nc_cli_usage("mcp", "--pod ID is required (see 'nucleus ps')");
    if (nc_runtime_dir(rt, sizeof(rt), &err) < 0) {
        nc_cli_error("%s", err.msg);
        return NC_EXIT_FAIL;
    }
    if (strchr(pod, '/') != NULL ||
        snprintf(path, sizeof(path), "%s/pods/%s/mcp.sock", rt, pod) >= (int)sizeof(sa.sun_path))
        return nc_cli_usage("mcp", "invalid pod id");
    memcpy(sa.sun_path, path, strlen(path) + 1);
    snprintf(bridge, sizeof(bridge), "%s/pods/%s/bridge", rt, pod);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        nc_cli_error("pod %s is not running (%s); see 'nucleus ps'", pod, strerror(errno));
        return NC_EXIT_FAIL;
    }
    /* Mutual TLS: we present the bridge's SVID and accept only the orchestrator's. */
    ctx = nc_links_client_ctx(bridge, &err);
    if (ctx == NULL || nc_mtls_connect(ctx, fd, NC_LINK_TIMEOUT_MS, &tc, &err) < 0) {
        if (ctx == NULL)
            close(fd);
        nc_cli_error("pod %s: mutual TLS failed: %s", pod, err.msg);
        nc_mtls_ctx_free(ctx);
        return NC_EXIT_FAIL;
    }
    fd = nc_mtls_conn_fd(tc);
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        struct pollfd pf[2] = {{.fd = fd, .events = POLLIN},
                               {.fd = STDIN_FILENO, .events = POLLIN}};
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pf[0].revents != 0) {
            ssize_t r = nc_mtls_read(tc, buf, sizeof(buf), NC_LINK_TIMEOUT_MS, &err);
            if (r <= 0 || write_all(STDOUT_FILENO, buf, (size_t)r) < 0)
                break;
        }
        if (pf[1].revents != 0) {
            ssize_t r = read(STDIN_FILENO, buf, sizeof(buf));
            if (r <= 0) {
                /* The agent is done: end the TLS session cleanly (close_notify). */
                (void)nc_mtls_shutdown(tc, 1000, &err);
                break;
            }
            if (nc_mtls_write_all(tc, buf, (size_t)r, NC_LINK_TIMEOUT_MS, &err) < 0)
                break;
        }
    }
    nc_mtls_conn_free(tc);
    nc_mtls_ctx_free(ctx);
    return NC_EXIT_OK;
}
