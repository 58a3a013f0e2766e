/* SPDX-License-Identifier: Apache-2.0 */
/* Pod resource limits through cgroups (see cgroup.h). */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static int write_file(const char *dir, const char *file, const char *value)
{
    char path[NC_CG_PATH + 64];
    int fd, rc = 0;
    size_t n = strlen(value);
    if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
        return -1;
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (write(fd, value, n) != (ssize_t)n)
        rc = -1;
    close(fd);
    return rc;
}

/* /proc/self/cgroup, read once for every lookup below ("" when unreadable).  A file longer
 * than the buffer loses its last lines; a controller not found is simply not used (the limit
 * then falls back to an rlimit, and nucleus says which holds it). */
struct self_cgroups {
    char text[8192];
};

static void self_cgroups_read(struct self_cgroups *sc)
{
    size_t got = 0;
    int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
    sc->text[0] = '\0';
    if (fd < 0)
        return;
    while (got < sizeof(sc->text) - 1) {
        ssize_t n = read(fd, sc->text + got, sizeof(sc->text) - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    sc->text[got] = '\0';
    close(fd);
}

/* Our own cgroup path in a hierarchy: the line "N:<controllers>:<path>" of /proc/self/cgroup
 * whose controller list contains `want` ("" selects the v2 line "0::"). */
static int self_cgroup(const struct self_cgroups *sc, const char *want, char *out, size_t outsz)
{
    const char *line = sc->text;
    size_t wl = strlen(want);

    while (*line != '\0') {
        const char *eol = strchr(line, '\n');
        const char *end = eol != NULL ? eol : line + strlen(line);
        const char *c1 = memchr(line, ':', (size_t)(end - line));
        const char *c2 = c1 != NULL ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
        const char *next = eol != NULL ? eol + 1 : end;
        bool match = false;

        if (c2 == NULL) {
            line = next;
            continue;
        }
        if (wl == 0) {
            match = c2 == c1 + 1;
        } else {
            /* `want` as one whole element of the comma-separated controller list */
            for (const char *t = c1 + 1; t < c2 && !match;) {
                const char *te = memchr(t, ',', (size_t)(c2 - t));
                if (te == NULL)
                    te = c2;
                match = (size_t)(te - t) == wl && memcmp(t, want, wl) == 0;
                t = te + 1;
            }
        }
        if (!match) {
            line = next;
            continue;
        }
        size_t n = (size_t)(end - (c2 + 1));
        if (n >= outsz)
            return -1;
        memcpy(out, c2 + 1, n);
        out[n] = '\0';
        if (n == 1 && out[0] == '/')
            out[0] = '\0'; /* the root: avoid "//" */
        return 0;
    }
    return -1;
}

static bool has_word(const char *file, const char *word)
{
    char buf[512];
    FILE *f = fopen(file, "re");
    bool found = false;
    if (f == NULL)
        return false;
    if (fgets(buf, sizeof(buf), f) != NULL) {
        for (char *save = NULL, *t = strtok_r(buf, " \n", &save); t != NULL; t = strtok_r(NULL, " \n", &save))
            if (strcmp(t, word) == 0)
                found = true;
    }
    fclose(f);
    return found;
}

static void limit_str(uint64_t v, char *out, size_t outsz)
{
    if (v == UINT64_MAX)
        snprintf(out, outsz, "max");
    else
        snprintf(out, outsz, "%" PRIu64, v);
}

/* Removes "nucleus-<pid>" directories left next to `dir` by a nucleus that was killed before
 * it could clean up (its pid no longer exists).  rmdir only succeeds on an empty cgroup. */
static void reap_stale(const char *dir)
{
    char parent[NC_CG_PATH], path[NC_CG_PATH + 300];
    const char *slash = strrchr(dir, '/');
    DIR *d;
    struct dirent *e;

    if (slash == NULL || (size_t)(slash - dir) >= sizeof(parent))
        return;
    memcpy(parent, dir, (size_t)(slash - dir));
    parent[slash - dir] = '\0';
    d = opendir(parent);
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char *end = NULL;
        long pid;
        if (strncmp(e->d_name, "nucleus-", 8) != 0)
            continue;
        pid = strtol(e->d_name + 8, &end, 10);
        if (end == e->d_name + 8 || *end != '\0' || pid <= 0 || pid > INT32_MAX)
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* alive, or not ours to judge */
        if (snprintf(path, sizeof(path), "%s/%s", parent, e->d_name) < (int)sizeof(path))
            (void)rmdir(path);
    }
    closedir(d);
}

static bool try_v2(struct nc_cgroup *cg, const struct self_cgroups *sc, const char *name,
                   uint64_t procs, uint64_t mem)
{
    char self[NC_CG_PATH / 2], file[NC_CG_PATH + 32], val[32];
    struct statfs sf;
    const char *mnt = "/sys/fs/cgroup";

    if (statfs(mnt, &sf) < 0 || (unsigned long)sf.f_type != CGROUP2_SUPER_MAGIC)
        return false; /* hybrid or v1 layout: the v2 tree has no controllers to use */
    if (self_cgroup(sc, "", self, sizeof(self)) < 0)
        return false;
    if (snprintf(cg->dir[0], NC_CG_PATH, "%s%s/%s", mnt, self, name) >= NC_CG_PATH)
        return false;
    if (mkdir(cg->dir[0], 0755) < 0) {
        cg->dir[0][0] = '\0';
        return false;
    }
    snprintf(file, sizeof(file), "%s/cgroup.controllers", cg->dir[0]);
    if (!has_word(file, "pids") || !has_word(file, "memory")) {
        rmdir(cg->dir[0]);
        cg->dir[0][0] = '\0';
        return false;
    }
    limit_str(procs, val, sizeof(val));
    if (write_file(cg->dir[0], "pids.max", val) < 0)
        goto fail;
    limit_str(mem, val, sizeof(val));
    if (write_file(cg->dir[0], "memory.max", val) < 0)
        goto fail;
    (void)write_file(cg->dir[0], "memory.swap.max", "0"); /* no swap escape where supported */
    cg->pids = NC_LIMIT_CGROUP2;
    cg->memory = NC_LIMIT_CGROUP2;
    return true;
fail:
    rmdir(cg->dir[0]);
    cg->dir[0][0] = '\0';
    return false;
}

static void try_v1(struct nc_cgroup *cg, const struct self_cgroups *sc, int slot,
                   const char *ctrl, const char *name, const char *file, uint64_t v,
                   enum nc_limit_holder *holder)
{
    char self[NC_CG_PATH / 2], val[32];
    if (self_cgroup(sc, ctrl, self, sizeof(self)) < 0)
        return;
    if (snprintf(cg->dir[slot], NC_CG_PATH, "/sys/fs/cgroup/%s%s/%s", ctrl, self, name) >= NC_CG_PATH) {
        cg->dir[slot][0] = '\0';
        return;
    }
    if (mkdir(cg->dir[slot], 0755) < 0) {
        cg->dir[slot][0] = '\0';
        return;
    }
    if (v == UINT64_MAX)
        snprintf(val, sizeof(val), strcmp(ctrl, "pids") == 0 ? "max" : "-1");
    else
        limit_str(v, val, sizeof(val));
    if (write_file(cg->dir[slot], file, val) < 0) {
        rmdir(cg->dir[slot]);
        cg->dir[slot][0] = '\0';
        return;
    }
    *holder = NC_LIMIT_CGROUP1;
}

void nc_cgroup_create(struct nc_cgroup *cg, const char *name, uint64_t max_procs,
                      uint64_t memory_bytes)
{
    struct self_cgroups sc;

    memset(cg, 0, sizeof(*cg));
    self_cgroups_read(&sc);
    if (try_v2(cg, &sc, name, max_procs, memory_bytes))
        return;
    try_v1(cg, &sc, 1, "pids", name, "pids.max", max_procs, &cg->pids);
    try_v1(cg, &sc, 2, "memory", name, "memory.limit_in_bytes", memory_bytes, &cg->memory);
}

void nc_cgroup_reap_stale(const struct nc_cgroup *cg)
{
    for (int i = 0; i < 3; i++)
        if (cg->dir[i][0] != '\0')
            reap_stale(cg->dir[i]);
}

int nc_cgroup_attach(const struct nc_cgroup *cg, pid_t pid, struct nc_err *err)
{
    char val[32];
    snprintf(val, sizeof(val), "%d", (int)pid);
    for (int i = 0; i < 3; i++) {
        if (cg->dir[i][0] == '\0')
            continue;
        if (write_file(cg->dir[i], "cgroup.procs", val) < 0)
            return nc_err_set(err, errno, "cannot move the pod into %s: %s", cg->dir[i],
                              strerror(errno));
    }
    return 0;
}

void nc_cgroup_destroy(struct nc_cgroup *cg)
{
    for (int i = 0; i < 3; i++) {
        if (cg->dir[i][0] == '\0')
            continue;
        /* The pod's processes are reaped by the kernel shortly after its init exits. */
        for (int tries = 0; tries < 200 && rmdir(cg->dir[i]) < 0 && errno == EBUSY; tries++) {
            struct timespec ts = {0, 5L * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        cg->dir[i][0] = '\0';
    }
}
