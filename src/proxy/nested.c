/* SPDX-License-Identifier: Apache-2.0 */
/* Nested pods for the proxy's commands: `nucleus exec` started with posix_spawn (safe in a
 * threaded process), the policy passed as a sealed memfd, output read with poll(). */
#include "proxy/nested.h"

#include "policy/emit.h"
#include "util/cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GRACE_S 5       /* beyond the pod's own timeout before we kill its supervisor */
#define KILL_AFTER_MS 2000 /* SIGTERM, then SIGKILL this long after */
#define POLL_MS 100

extern char **environ;

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The policy as a YAML document in a sealed memfd: the nested `nucleus exec` reads exactly
 * the session's policy, and nothing can change it between here and there. */
static int policy_memfd(const struct nc_policy *p, struct nc_err *err)
{
    _cleanup_free_ char *buf = NULL;
    size_t len = 0, off = 0;
    FILE *f = open_memstream(&buf, &len);
    int fd;

    if (f == NULL)
        return nc_err_set(err, errno, "cannot render the policy");
    if (nc_policy_emit_yaml(p, f) < 0) {
        fclose(f);
        return nc_err_set(err, EIO, "cannot render the policy");
    }
    if (fclose(f) != 0)
        return nc_err_set(err, EIO, "cannot render the policy");
    fd = memfd_create("nucleus-policy", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return nc_err_set(err, errno, "memfd_create: %s", strerror(errno));
    while (off < len) {
        ssize_t w = write(fd, buf + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            return nc_err_set(err, errno, "cannot write the policy: %s", strerror(errno));
        }
        off += (size_t)w;
    }
    (void)fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
    return fd;
}

struct stream {
    int fd;
    char *buf;
    size_t len, cap;
    bool truncated;
};

static void drain(struct stream *s)
{
    char tmp[16384];
    for (;;) {
        ssize_t n = read(s->fd, tmp, sizeof(tmp));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            close(s->fd);
            s->fd = -1;
            return;
        }
        size_t keep = (size_t)n;
        if (s->len + keep > s->cap) {
            keep = s->cap - s->len;
            s->truncated = true; /* read on and discard, so the command is not blocked */
        }
        memcpy(s->buf + s->len, tmp, keep);
        s->len += keep;
    }
}

int nc_spawn_in_pod(const struct nc_spawn_opts *o, struct nc_spawn_result *r, struct nc_err *err)
{
    _cleanup_close_ int pfd = -1;
    int outp[2] = {-1, -1}, errp[2] = {-1, -1}, inp[2] = {-1, -1}, egp[2] = {-1, -1};
    char timeout[24], parent_opt[48];
    const char **argv = NULL;
    size_t n = 0, stdin_off = 0;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, dfl;
    pid_t pid;
    int rc = -1, status = 0;
    struct stream so = {.fd = -1, .cap = NC_SPAWN_OUTPUT_CAP},
                  se = {.fd = -1, .cap = NC_SPAWN_OUTPUT_CAP},
                  sg = {.fd = -1, .cap = NC_SPAWN_EGRESS_CAP};
    uint64_t start, deadline, term_at = 0, last_progress;

    memset(r, 0, sizeof(*r));
    if (o->argc == 0 || o->timeout_s == 0)
        return nc_err_set(err, EINVAL, "spawn: empty command or zero timeout");
    pfd = policy_memfd(o->policy, err);
    if (pfd < 0)
        return -1;
    if (o->nexec_opts > NC_SPAWN_EXEC_OPTS)
        return nc_err_set(err, EINVAL, "spawn: too many exec options");
    argv = calloc(o->argc + 18 + o->nexec_opts, sizeof(*argv));
    so.buf = malloc(NC_SPAWN_OUTPUT_CAP + 1);
    se.buf = malloc(NC_SPAWN_OUTPUT_CAP + 1);
    sg.buf = malloc(NC_SPAWN_EGRESS_CAP + 1);
    if (argv == NULL || so.buf == NULL || se.buf == NULL || sg.buf == NULL) {
        nc_err_set(err, ENOMEM, "out of memory");
        goto out;
    }
    snprintf(timeout, sizeof(timeout), "%" PRIu64, o->timeout_s);
    snprintf(parent_opt, sizeof(parent_opt), "--die-with-parent=%ld", (long)getpid());
    argv[n++] = "nucleus";
    argv[n++] = "exec";
    argv[n++] = "--policy";
    argv[n++] = "/proc/self/fd/3";
    argv[n++] = "--workspace";
    argv[n++] = o->workspace;
    argv[n++] = "--timeout";
    argv[n++] = timeout;
    argv[n++] = "--quiet";
    argv[n++] = parent_opt;
    /* The gateway's decisions, for the audit record of the call (fd 4; nucleus exec closes
     * it at once when the pod has no network).  The pod's command never holds it. */
    argv[n++] = "--egress-log-fd";
    argv[n++] = "4";
    for (size_t i = 0; i < o->nexec_opts; i++)
        argv[n++] = o->exec_opts[i];
    argv[n++] = "--";
    if (o->cwd != NULL && strcmp(o->cwd, ".") != 0 && o->cwd[0] != '\0') {
        /* The pod starts in the workspace; env(1) changes into the (already validated,
         * workspace-relative) directory inside the pod's own mount namespace. */
        argv[n++] = "env";
        argv[n++] = "-C";
        argv[n++] = o->cwd;
        argv[n++] = "--";
    }
    for (size_t i = 0; i < o->argc; i++)
        argv[n++] = o->argv[i];
    argv[n] = NULL;

    if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 || pipe2(egp, O_CLOEXEC) < 0 ||
        (o->stdin_data != NULL && pipe2(inp, O_CLOEXEC) < 0)) {
        nc_err_set(err, errno, "pipe: %s", strerror(errno));
        goto out;
    }
    posix_spawn_file_actions_init(&fa);
    if (o->stdin_data != NULL)
        posix_spawn_file_actions_adddup2(&fa, inp[0], 0);
    else
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
    posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
    posix_spawn_file_actions_adddup2(&fa, pfd, 3);
    posix_spawn_file_actions_adddup2(&fa, egp[1], 4);
    /* Nothing else of the proxy's leaks into the pod, even a descriptor opened without
     * O_CLOEXEC by a library. */
    posix_spawn_file_actions_addclosefrom_np(&fa, 5);
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    sigaddset(&dfl, SIGTERM);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGHUP);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    int e = posix_spawn(&pid, o->nucleus_exe, &fa, &attr, (char *const *)(void *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (e != 0) {
        nc_err_set(err, e, "cannot start the nested pod: %s", strerror(e));
        goto out;
    }
    close(outp[1]);
    close(errp[1]);
    close(egp[1]);
    outp[1] = errp[1] = egp[1] = -1;
    so.fd = outp[0];
    se.fd = errp[0];
    sg.fd = egp[0];
    outp[0] = errp[0] = egp[0] = -1;
    fcntl(so.fd, F_SETFL, O_NONBLOCK);
    fcntl(se.fd, F_SETFL, O_NONBLOCK);
    fcntl(sg.fd, F_SETFL, O_NONBLOCK);
    if (inp[0] >= 0) {
        close(inp[0]);
        inp[0] = -1;
        fcntl(inp[1], F_SETFL, O_NONBLOCK);
        if (o->stdin_len == 0) {
            close(inp[1]);
            inp[1] = -1;
        }
    }

    start = last_progress = mono_ms();
    deadline = start + (o->timeout_s + GRACE_S) * 1000u;
    for (;;) {
        struct pollfd pf[4];
        nfds_t np = 0;
        int idx_out = -1, idx_err = -1, idx_in = -1, idx_eg = -1;
        if (so.fd >= 0) {
            idx_out = (int)np;
            pf[np++] = (struct pollfd){.fd = so.fd, .events = POLLIN};
        }
        if (se.fd >= 0) {
            idx_err = (int)np;
            pf[np++] = (struct pollfd){.fd = se.fd, .events = POLLIN};
        }
        if (sg.fd >= 0) {
            idx_eg = (int)np;
            pf[np++] = (struct pollfd){.fd = sg.fd, .events = POLLIN};
        }
        if (inp[1] >= 0) {
            idx_in = (int)np;
            pf[np++] = (struct pollfd){.fd = inp[1], .events = POLLOUT};
        }
        if (np == 0)
            break;
        int pr = poll(pf, np, POLL_MS);
        if (pr < 0 && errno != EINTR)
            break;
        if (pr > 0) {
            if (idx_out >= 0 && pf[idx_out].revents != 0)
                drain(&so);
            if (idx_err >= 0 && pf[idx_err].revents != 0)
                drain(&se);
            if (idx_eg >= 0 && pf[idx_eg].revents != 0)
                drain(&sg);
            if (idx_in >= 0 && pf[idx_in].revents != 0) {
                ssize_t w = write(inp[1], o->stdin_data + stdin_off, o->stdin_len - stdin_off);
                if (w > 0)
                    stdin_off += (size_t)w;
                if ((w < 0 && errno != EAGAIN && errno != EINTR) || stdin_off >= o->stdin_len ||
                    (pf[idx_in].revents & (POLLERR | POLLHUP)) != 0) {
                    close(inp[1]);
                    inp[1] = -1;
                }
            }
        }
        uint64_t now = mono_ms();
        if (term_at == 0 &&
            ((o->cancelled != NULL && atomic_load(o->cancelled)) || now >= deadline)) {
            if (now >= deadline)
                r->timed_out = true;
            else
                r->cancelled = true;
            kill(pid, SIGTERM); /* forwarded to the pod; its init dies with the supervisor */
            term_at = now;
        } else if (term_at != 0 && now >= term_at + KILL_AFTER_MS) {
            kill(pid, SIGKILL); /* PDEATHSIG takes the pod down with it */
            term_at = UINT64_MAX - KILL_AFTER_MS;
        }
        if (o->progress != NULL && now >= last_progress + 1000) {
            char msg[64];
            last_progress = now;
            snprintf(msg, sizeof(msg), "running for %" PRIu64 " s", (now - start) / 1000u);
            o->progress(o->progress_arg, (now - start) / 1000u, o->timeout_s, msg);
        }
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    r->elapsed_ms = mono_ms() - start;
    if (WIFEXITED(status))
        r->exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        r->exit_code = 128 + WTERMSIG(status);
    if (r->exit_code == 124)
        r->timed_out = true;
    so.buf[so.len] = '\0';
    se.buf[se.len] = '\0';
    r->out = steal_pointer(&so.buf);
    r->out_len = so.len;
    r->out_truncated = so.truncated;
    r->err = steal_pointer(&se.buf);
    r->err_len = se.len;
    r->err_truncated = se.truncated;
    sg.buf[sg.len] = '\0';
    r->egress = steal_pointer(&sg.buf);
    r->egress_len = sg.len;
    r->egress_truncated = sg.truncated;
    rc = 0;
out:
    for (int i = 0; i < 2; i++) {
        if (outp[i] >= 0)
            close(outp[i]);
        if (errp[i] >= 0)
            close(errp[i]);
        if (inp[i] >= 0)
            close(inp[i]);
        if (egp[i] >= 0)
            close(egp[i]);
    }
    if (so.fd >= 0)
        close(so.fd);
    if (se.fd >= 0)
        close(se.fd);
    if (sg.fd >= 0)
        close(sg.fd);
    free(so.buf);
    free(se.buf);
    free(sg.buf);
    free(argv);
    return rc;
}

void nc_spawn_result_free(struct nc_spawn_result *r)
{
    free(r->out);
    free(r->err);
    free(r->egress);
    memset(r, 0, sizeof(*r));
}
