/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP GET through the egress gateway, for the web tools: libcurl tunnels every request
 * through the gateway (CONNECT, so the gateway's rules, pinning and rebinding check apply to
 * each connection), redirects are followed by hand and each hop is checked against
 * network.allow before it is requested, and the body is capped in size and time. */
#ifndef NC_NET_FETCH_H
#define NC_NET_FETCH_H

#include "core/list.h"
#include "util/err.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#define NC_FETCH_MAX_REDIRECTS 5
#define NC_FETCH_URL_MAX 2048
/* The environment variable naming the gateway's unix socket (set by the orchestrator). */
#define NC_EGRESS_SOCKET_ENV "NUCLEUS_EGRESS_SOCKET"
/* Inside a pod: the gateway's listener in the pod, "socks5h://127.0.0.1:PORT" (set by
 * nucleus exec when the policy allows hosts). */
#define NC_EGRESS_PROXY_ENV "NUCLEUS_EGRESS_PROXY"
/* The port of that listener (docs/network.md). */
#define NC_EGRESS_POD_PORT 3128

struct nc_fetch_opts {
    const struct nc_list *allow; /* network.allow: every hop's host must match */
    /* The gateway's unix socket; NULL: a gateway in this process, with `allow` and the
     * default ports (80, 443), no network entries and the system resolver. */
    const char *gateway_socket;
    /* Otherwise, when not NULL: the gateway's listener on loopback, exactly
     * "socks5h://127.0.0.1:PORT" (anything else is refused as network_error). */
    const char *gateway_proxy;
    size_t max_bytes;       /* of the final body; more is cut (truncated = true) */
    unsigned timeout_ms;    /* for all hops together */
    const char *accept;     /* the Accept field, or NULL */
    const atomic_bool *cancelled; /* polled during the transfer; may be NULL */
    /* A POST instead of a GET (create_pr): the body and its Content-Type.  A POST never
     * follows a redirect: a 3xx is the result (status), not a new request. */
    const char *post_body;
    size_t post_len;
    const char *post_type;
    /* The Authorization field's value, or NULL.  Sent only over https (never in clear text)
     * and only to the first URL (a POST follows no redirect).  The caller keeps it out of
     * every message, log and audit record. */
    const char *authorization;
};

struct nc_fetch_result {
    /* Success (kind == NULL): */
    int status;                 /* the final response's status */
    char *body;                 /* malloc'd, NUL-terminated (the body may hold NULs) */
    size_t len;
    bool truncated;             /* max_bytes was reached */
    char final_url[NC_FETCH_URL_MAX + 1];
    char content_type[128];
    size_t requests;            /* requests made (hops) */
    char redirects[NC_FETCH_MAX_REDIRECTS][NC_FETCH_URL_MAX + 1]; /* the Location of each */
    size_t nredirects;
    /* A refusal or failure the caller reports as a tool error (kind != NULL):
     *   invalid_url        the URL (or a redirect's Location) is not an acceptable http(s) URL
     *   host_not_allowed   a hop's host matches no entry of network.allow
     *   redirect_refused   a redirect from https to http
     *   too_many_redirects more than NC_FETCH_MAX_REDIRECTS
     *   egress_refused     the gateway refused the connection (reason in `refusal`)
     *   timeout, cancelled, network_error */
    const char *kind;
    char refusal[32];  /* egress_refused: the gateway's reason name */
    char message[600]; /* for the model: names hosts, never local paths */
};

/* Fills gateway_socket / gateway_proxy from NUCLEUS_EGRESS_SOCKET and NUCLEUS_EGRESS_PROXY
 * (empty values are unset). */
void nc_fetch_gateway_from_env(struct nc_fetch_opts *o);
/* Performs the GET (or the POST).  Returns 0 with r filled (check r->kind), or -1 with err for an internal
 * failure (out of memory, libcurl cannot start).  nc_fetch_result_free releases r->body. */
int nc_fetch(const char *url, const struct nc_fetch_opts *o, struct nc_fetch_result *r,
             struct nc_err *err);
void nc_fetch_result_free(struct nc_fetch_result *r);
/* Where the table of libcurl functions lives (*len: its size), for the test that checks it is
 * read-only once the first nc_fetch() loaded libcurl (tests/ossl/sealed.c). */
const void *nc_fetch_curl_table(size_t *len);

#endif
