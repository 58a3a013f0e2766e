/* SPDX-License-Identifier: Apache-2.0 */
/* The MCP server of the tool proxy: JSON-RPC 2.0 over stdio (one message per line), protocol
 * revision 2025-11-25 with older revisions negotiated in initialize; initialize, ping,
 * tools/list, tools/call, cancellation and progress.  Tool calls run concurrently on a pool of
 * workers, so a slow run does not block a read; everything else is answered in order. */
#ifndef NC_PROXY_MCP_H
#define NC_PROXY_MCP_H

#include "proxy/dispatch.h"
#include "util/err.h"

#define NC_MCP_PROTOCOL "2025-11-25"
#define NC_MCP_DEFAULT_WORKERS 4u
#define NC_MCP_DEFAULT_QUEUE 64u

struct nc_mcp_config {
    int in_fd, out_fd;
    struct nc_dispatch *dispatch;
    unsigned workers;   /* tool calls executing at once (1..64; 0 = default) */
    unsigned max_queue; /* tool calls accepted beyond those (0 = default); more: busy error */
    const char *version;
    int stop_fd; /* readable (e.g. an eventfd written by a signal thread): stop and cancel
                    every call in flight; -1 for none */
};

/* Serves until the input reaches end of file (or a read error): the calls accepted by then
 * finish and answer; or until stop_fd becomes readable: the calls in flight are cancelled.
 * Returns 0 once every worker has finished.  -1 with err when the server could not start. */
int nc_mcp_serve(const struct nc_mcp_config *cfg, struct nc_err *err);

/* The revision answered to a client that asked for `requested` (NULL: none given). */
const char *nc_mcp_negotiate(const char *requested);

#endif
