/* SPDX-License-Identifier: Apache-2.0 */
/* The orchestrator's side of the proxy link (src/proxy/link.h) from the attacker's side: a
 * proxy in a pod speaks raw lines to it.  A spawn request runs with the orchestrator's egress
 * options for the command pod, exactly those, and a request that tries to bring its own
 * (or any field the link does not define) is refused without starting anything. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "proxy/link.h"

#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* What the fake authority's spawn saw (the link server calls it on a thread of its own). */
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static int spawns;
static const char *const *seen_opts;
static size_t seen_nopts;
static char seen_argv[256];

static int fake_audit(void *ctx, const struct nc_audit_event *ev, struct nc_err *err)
{
    (void)ctx, (void)ev, (void)err;
    return 0;
}

static int fake_spawn(void *ctx, const struct nc_spawn_opts *o, struct nc_spawn_result *r,
                      struct nc_err *err)
{
    size_t off = 0;
    (void)ctx, (void)err;
    pthread_mutex_lock(&seen_mu);
    spawns++;
    seen_opts = o->exec_opts;
    seen_nopts = o->nexec_opts;
    seen_argv[0] = '\0';
    for (size_t i = 0; i < o->argc; i++) {
        int n = snprintf(seen_argv + off, sizeof(seen_argv) - off, "%s%s", i > 0 ? " " : "",
                         o->argv[i]);
        if (n < 0 || (size_t)n >= sizeof(seen_argv) - off)
            break;
        off += (size_t)n;
    }
    pthread_mutex_unlock(&seen_mu);
    memset(r, 0, sizeof(*r));
    r->out = strdup("");
    r->err = strdup("");
    r->egress = strdup("");
    return 0;
}

static const char *const OPERATOR_OPTS[] = {"--allow-network", "127.0.0.2:8080",
                                            "--egress-ports", "8080"};

struct fixture {
    int fd; /* the pod's end */
    struct nc_link_server *s;
    struct nc_policy *policy;
    struct nc_authority auth;
    char buf[65536];
    size_t len;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    int sv[2];
    struct nc_err err = {0};
    assert_non_null(f);
    f->policy = calloc(1, sizeof(*f->policy));
    assert_non_null(f->policy);
    f->policy->limits.timeout_s = 60;
    f->auth = (struct nc_authority){.audit = fake_audit, .spawn = fake_spawn};
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    struct nc_link_server_config cfg = {
        .fd = sv[0],
        .authority = &f->auth,
        .policy = f->policy,
        .workspace = "/nonexistent/ws",
        .nucleus_exe = "/nonexistent/nucleus",
        .principal = "pod:test",
        .exec_opts = OPERATOR_OPTS,
        .nexec_opts = sizeof(OPERATOR_OPTS) / sizeof(OPERATOR_OPTS[0]),
    };
    f->s = nc_link_server_start(&cfg, &err);
    assert_non_null(f->s);
    f->fd = sv[1];
    pthread_mutex_lock(&seen_mu);
    spawns = 0;
    seen_opts = NULL;
    seen_nopts = 0;
    pthread_mutex_unlock(&seen_mu);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    shutdown(f->fd, SHUT_WR); /* the proxy lets go: the server ends */
    nc_link_server_stop(f->s, 5000);
    close(f->fd);
    free(f->policy);
    free(f);
    return 0;
}

/* Sends one line and returns the reply to it (parsed), waiting at most 10 s. */
static json_t *ask(struct fixture *f, const char *line)
{
    size_t n = strlen(line);
    assert_int_equal(write(f->fd, line, n), (ssize_t)n);
    assert_int_equal(write(f->fd, "\n", 1), 1);
    for (;;) {
        char *nl = memchr(f->buf, '\n', f->len);
        if (nl != NULL) {
            json_error_t jerr;
            json_t *m = json_loadb(f->buf, (size_t)(nl - f->buf), 0, &jerr);
            f->len -= (size_t)(nl + 1 - f->buf);
            memmove(f->buf, nl + 1, f->len);
            assert_non_null(m);
            return m;
        }
        struct pollfd pf = {.fd = f->fd, .events = POLLIN};
        assert_int_equal(poll(&pf, 1, 10000), 1);
        ssize_t r = read(f->fd, f->buf + f->len, sizeof(f->buf) - f->len);
        assert_true(r > 0);
        f->len += (size_t)r;
    }
}

static void test_spawn_gets_the_operators_options(void **state)
{
    struct fixture *f = *state;
    json_t *r = ask(f, "{\"id\":1,\"op\":\"spawn\",\"argv\":[\"curl\",\"--allow-network\","
                       "\"x\"],\"cwd\":\".\",\"timeout\":5}");
    assert_true(json_is_true(json_object_get(r, "ok")));
    json_decref(r);
    /* Copied out: cmocka's assertions must not leave the lock held. */
    pthread_mutex_lock(&seen_mu);
    int n = spawns;
    const char *const *opts = seen_opts;
    size_t nopts = seen_nopts;
    char argv[sizeof(seen_argv)];
    memcpy(argv, seen_argv, sizeof(argv));
    pthread_mutex_unlock(&seen_mu);
    assert_int_equal(n, 1);
    /* The very options the orchestrator was started with, nothing added, nothing changed;
     * the request's words are the command's argv only. */
    assert_ptr_equal(opts, OPERATOR_OPTS);
    assert_int_equal(nopts, 4);
    assert_string_equal(argv, "curl --allow-network x");
}

static void test_spawn_with_its_own_options_is_refused(void **state)
{
    struct fixture *f = *state;
    static const char *const attempts[] = {
        "\"exec_opts\":[\"--allow-network\",\"0.0.0.0/0:1-65535\"]",
        "\"allow_network\":[\"0.0.0.0/0:1-65535\"]",
        "\"egress_ports\":\"1-65535\"",
        "\"hosts_file\":\"/proc/self/environ\"",
        "\"egress_log\":\"/etc/passwd\"",
        "\"policy\":\"permissive\"",
        "\"nexec_opts\":2",
    };
    for (size_t i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++) {
        char line[512];
        snprintf(line, sizeof(line),
                 "{\"id\":%zu,\"op\":\"spawn\",\"argv\":[\"true\"],\"cwd\":\".\","
                 "\"timeout\":5,%s}",
                 i + 10, attempts[i]);
        json_t *r = ask(f, line);
        assert_false(json_is_true(json_object_get(r, "ok")));
        assert_string_equal(json_string_value(json_object_get(r, "error")),
                            "unknown field in spawn request");
        assert_int_equal(json_integer_value(json_object_get(r, "id")), (json_int_t)(i + 10));
        json_decref(r);
    }
    pthread_mutex_lock(&seen_mu);
    int n = spawns;
    pthread_mutex_unlock(&seen_mu);
    assert_int_equal(n, 0); /* nothing was started for any of them */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_spawn_gets_the_operators_options, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_spawn_with_its_own_options_is_refused, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
