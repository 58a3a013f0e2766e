/* SPDX-License-Identifier: Apache-2.0 */
/* Private per-user directories. */
#include "util/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int check_dir(const char *path, struct nc_err *err)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return nc_err_set(err, errno, "%s: %s", path, strerror(errno));
    if (S_ISLNK(st.st_mode))
        return nc_err_set(err, ELOOP, "%s is a symlink; refusing it as a private directory",
                          path);
    if (!S_ISDIR(st.st_mode))
        return nc_err_set(err, ENOTDIR, "%s is not a directory", path);
    if (st.st_uid != geteuid())
        return nc_err_set(err, EPERM, "%s is owned by uid %u, not by us (uid %u)", path,
                          (unsigned)st.st_uid, (unsigned)geteuid());
    if ((st.st_mode & 077) != 0)
        return nc_err_set(err, EPERM,
                          "%s is open to other users (mode %03o); run: chmod 700 %s", path,
                          (unsigned)(st.st_mode & 0777), path);
    return 0;
}

int nc_private_dir(const char *path, struct nc_err *err)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(buf) || path[0] != '/')
        return nc_err_set(err, EINVAL, "not an absolute path: %s", path);
    memcpy(buf, path, n + 1);
    /* Create missing ancestors (0700, like mkdir -p with a private umask); existing ones are
     * left as they are (e.g. /tmp, $HOME/.local). */
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0700) < 0 && errno != EEXIST)
            return nc_err_set(err, errno, "cannot create %s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0700) < 0 && errno != EEXIST)
        return nc_err_set(err, errno, "cannot create %s: %s", buf, strerror(errno));
    return check_dir(buf, err);
}

static int pick(char *out, size_t outsz, const char *env, const char *xdg, const char *xdg_sub,
                const char *fallback, struct nc_err *err)
{
    const char *v = getenv(env);
    int n;
    if (v != NULL && v[0] == '/')
        n = snprintf(out, outsz, "%s", v);
    else if ((v = getenv(xdg)) != NULL && v[0] == '/')
        n = snprintf(out, outsz, "%s/%s", v, xdg_sub);
    else
        n = snprintf(out, outsz, "%s", fallback);
    if (n < 0 || (size_t)n >= outsz)
        return nc_err_set(err, ENAMETOOLONG, "directory name too long");
    return nc_private_dir(out, err);
}

int nc_state_dir(char *out, size_t outsz, struct nc_err *err)
{
    char fallback[4096];
    const char *home = getenv("HOME");
    if (home == NULL || home[0] != '/')
        home = "/root";
    if (snprintf(fallback, sizeof(fallback), "%s/.local/state/nucleus", home) >=
        (int)sizeof(fallback))
        return nc_err_set(err, ENAMETOOLONG, "HOME too long");
    return pick(out, outsz, "NUCLEUS_STATE_DIR", "XDG_STATE_HOME", "nucleus", fallback, err);
}

int nc_runtime_dir(char *out, size_t outsz, struct nc_err *err)
{
    char fallback[64];
    snprintf(fallback, sizeof(fallback), "/tmp/nucleus-%u", (unsigned)geteuid());
    return pick(out, outsz, "NUCLEUS_RUNTIME_DIR", "XDG_RUNTIME_DIR", "nucleus", fallback, err);
}
