/* SPDX-License-Identifier: Apache-2.0 */
/* File access beneath the workspace root (see fs.h and docs/tools.md).
 *
 * Why each step exists:
 *   - Every lookup starts at the root fd, never at a path string of the host: the host path of
 *     the workspace is not needed and cannot be swapped underneath us.
 *   - openat2(RESOLVE_BENEATH) makes the kernel refuse "..", absolute symlinks and symlinks
 *     that climb out, atomically with the lookup (it retries on a concurrent rename, so the
 *     classic "move a directory out while it is being walked" race does not escape).  It also
 *     refuses magic links (RESOLVE_NO_MAGICLINKS): /proc/self/root inside a bind of /proc would
 *     otherwise jump to the host root.
 *   - Symlinks that stay inside are followed for file tools, but the policy was decided on the
 *     name the client gave: `notes -> .env` must not read .env.  So the first lookup forbids
 *     every symlink; only if that fails with ELOOP is the lookup repeated with links allowed,
 *     and then the path actually reached is read back from /proc/self/fd for the caller to
 *     decide on again.  A file unlinked meanwhile (its /proc name ends in " (deleted)") is
 *     refused rather than decided on a name that no longer exists.
 *   - Without openat2 we do not try to re-implement the kernel's checks: the walk opens one
 *     component at a time with O_NOFOLLOW and refuses every symlink.
 *   - Files are opened O_NONBLOCK and checked with fstat, so a fifo cannot hang the proxy and
 *     a device is never read.
 *   - Writes never open the target: a temporary file in the same directory is renamed over it,
 *     so a symlink or a hard link at the target (possibly to a file outside the workspace) is
 *     replaced, not written through, and readers never see a half-written file. */
#include "fs.h"

#include "util/cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* Set once openat2 answered ENOSYS: every later lookup uses the walk. */
static atomic_bool openat2_missing;
static atomic_uint_fast64_t tmp_counter;

/* Hands an fd on and leaves -1 behind (the fd twin of steal_pointer). */
static int steal_fd(int *fd)
{
    int f = *fd;
    *fd = -1;
    return f;
}

#define MAX_SHOWN 200 /* bytes of a path quoted in a message */
#define RETRIES 64    /* EAGAIN from openat2 means a rename raced; try again, boundedly */

bool nc_fs_uses_openat2(const struct nc_fs *fs)
{
    return !fs->no_openat2 && !atomic_load(&openat2_missing);
}

static const char *reason(int e)
{
    switch (e) {
    case ENOENT:
        return "no such file or directory";
    case ENOTDIR:
        return "a component of the path is not a directory";
    case EXDEV:
        return "the path resolves outside the workspace";
    case ELOOP:
        return "a symbolic link on the path is refused";
    case EACCES:
    case EPERM:
        return "permission denied";
    case EISDIR:
        return "is a directory";
    case ENODEV:
        return "not a regular file";
    case ENAMETOOLONG:
        return "the path is too long";
    case ESTALE:
        return "the file changed since the call was checked";
    case EROFS:
        return "read-only file system";
    case ENOSPC:
        return "no space left on the device";
    case EDQUOT:
        return "disk quota exceeded";
    case EFBIG:
        return "the file is too large";
    default:
        return strerror(e);
    }
}

static int fail(struct nc_err *err, int e, const char *rel)
{
    return nc_err_set(err, e, "'%.*s': %s", MAX_SHOWN, rel, reason(e));
}

/* A normalized workspace-relative path: not empty, not absolute, no ".." component. */
static int check_rel(const char *rel, struct nc_err *err)
{
    size_t n;
    if (rel == NULL || rel[0] == '\0')
        return nc_err_set(err, EINVAL, "empty path");
    n = strnlen(rel, NC_FS_PATH_MAX);
    if (n >= NC_FS_PATH_MAX)
        return nc_err_set(err, ENAMETOOLONG, "the path is longer than %u bytes",
                          NC_FS_PATH_MAX - 1u);
    if (rel[0] == '/')
        return nc_err_set(err, EXDEV, "'%.*s': absolute paths are not workspace paths",
                          MAX_SHOWN, rel);
    for (const char *p = rel; *p != '\0';) {
        const char *e = strchr(p, '/');
        size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return fail(err, EXDEV, rel);
        p += len;
        if (*p == '/')
            p++;
    }
    return 0;
}

static int copy_path(char *dst, size_t dstsz, const char *src, struct nc_err *err)
{
    if (dst == NULL)
        return 0;
    int r = snprintf(dst, dstsz, "%s", src);
    if (r < 0 || (size_t)r >= dstsz)
        return nc_err_set(err, ENAMETOOLONG, "the path is too long");
    return 0;
}

/* dir + "/" + name, or name when dir is the root. */
static int join_path(char *dst, size_t dstsz, const char *dir, const char *name,
                     struct nc_err *err)
{
    int r;
    if (strcmp(dir, ".") == 0)
        r = snprintf(dst, dstsz, "%s", name);
    else
        r = snprintf(dst, dstsz, "%s/%s", dir, name);
    if (r < 0 || (size_t)r >= dstsz)
        return nc_err_set(err, ENAMETOOLONG, "the path is too long");
    return 0;
}

/* ---- resolution ---------------------------------------------------------------------- */

static int openat2_beneath(int root_fd, const char *rel, int oflags, uint64_t resolve)
{
    struct open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = (uint64_t)(unsigned)oflags;
    how.resolve = resolve;
    for (int tries = 0;; tries++) {
        long fd = syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
        if (fd >= 0)
            return (int)fd;
        if ((errno == EAGAIN || errno == EINTR) && tries < RETRIES)
            continue;
        return -errno;
    }
}

static int openat_retry(int dirfd, const char *name, int oflags, mode_t mode)
{
    for (;;) {
        int fd = openat(dirfd, name, oflags, mode);
        if (fd >= 0)
            return fd;
        if (errno != EINTR)
            return -errno;
    }
}

/* After an O_NOFOLLOW open of `name` in dirfd failed with ELOOP or ENOTDIR: was it a link? */
static int classify_nofollow(int dirfd, const char *name, int e)
{
    struct stat st;
    if ((e == ELOOP || e == ENOTDIR) && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        return S_ISLNK(st.st_mode) ? -ELOOP : -e;
    return -e;
}

/* The fallback: one component at a time, no symlink at all. */
static int open_walk(int root_fd, const char *rel, int oflags)
{
    char buf[NC_FS_PATH_MAX];
    _cleanup_close_ int own = -1;
    int cur = root_fd;
    char *p, *next;
    struct stat st;

    if (snprintf(buf, sizeof(buf), "%s", rel) >= (int)sizeof(buf))
        return -ENAMETOOLONG;
    for (p = buf; p != NULL; p = next) {
        int fd;
        bool last;
        next = strchr(p, '/');
        if (next != NULL)
            *next++ = '\0';
        while (next != NULL && *next == '/')
            next++;
        if (next != NULL && *next == '\0')
            next = NULL;
        last = next == NULL;
        if (p[0] == '\0' || strcmp(p, ".") == 0) {
            if (!last)
                continue;
            /* a path that ends at the directory reached so far */
            fd = openat_retry(cur, ".", oflags, 0);
            if (fd < 0)
                return fd;
        } else if (strcmp(p, "..") == 0) {
            return -EXDEV;
        } else if (!last) {
            fd = openat_retry(cur, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
            if (fd < 0)
                return classify_nofollow(cur, p, -fd);
        } else {
            fd = openat_retry(cur, p, oflags | O_NOFOLLOW, 0);
            if (fd < 0)
                return classify_nofollow(cur, p, -fd);
        }
        /* O_PATH|O_NOFOLLOW opens a symlink itself instead of failing: refuse it here. */
        if (fstat(fd, &st) < 0) {
            int e = errno;
            close(fd);
            return -e;
        }
        if (S_ISLNK(st.st_mode) || (!last && !S_ISDIR(st.st_mode))) {
            close(fd);
            return S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR;
        }
        if (own >= 0)
            close(own);
        own = fd;
        cur = fd;
    }
    if (own < 0) /* "" cannot reach here (check_rel); "." and "./" are the root itself */
        return openat_retry(root_fd, ".", oflags, 0);
    return steal_fd(&own);
}

static int proc_fd_path(int fd, char *out, size_t outsz)
{
    char link[64];
    ssize_t n;
    (void)snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, out, outsz);
    if (n < 0)
        return -errno;
    if ((size_t)n >= outsz)
        return -ENAMETOOLONG;
    out[n] = '\0';
    return 0;
}

/* The workspace-relative path of what fd refers to, from /proc/self/fd. */
static int real_rel(int root_fd, int fd, const char *rel, char *real, size_t realsz,
                    struct nc_err *err)
{
    char rootp[PATH_MAX] = "", p[PATH_MAX] = "";
    struct stat st;
    size_t rl;
    int r;

    if (fstat(fd, &st) < 0)
        return fail(err, errno, rel);
    if (st.st_nlink == 0)
        return nc_err_set(err, ENOENT, "'%.*s': removed while it was being opened", MAX_SHOWN,
                          rel);
    r = proc_fd_path(root_fd, rootp, sizeof(rootp));
    if (r == 0)
        r = proc_fd_path(fd, p, sizeof(p));
    if (r < 0)
        return nc_err_set(err, -r,
                          "'%.*s': the path goes through a symbolic link and its target cannot "
                          "be checked (/proc/self/fd: %s)",
                          MAX_SHOWN, rel, strerror(-r));
    rl = strlen(rootp);
    if (strcmp(p, rootp) == 0)
        return copy_path(real, realsz, ".", err);
    if (rl == 1 && rootp[0] == '/' && p[0] == '/' && p[1] != '\0')
        return copy_path(real, realsz, p + 1, err);
    if (strncmp(p, rootp, rl) == 0 && p[rl] == '/')
        return copy_path(real, realsz, p + rl + 1, err);
    return fail(err, EXDEV, rel);
}

int nc_fs_open(const struct nc_fs *fs, const char *rel, int oflags, unsigned flags, char *real,
               size_t realsz, struct nc_err *err)
{
    int fd, r;

    if ((oflags & (O_CREAT | O_TRUNC)) != 0 || (oflags & O_TMPFILE) == O_TMPFILE)
        return nc_err_set(err, EINVAL, "nc_fs_open does not create files");
    r = check_rel(rel, err);
    if (r < 0)
        return r;
    oflags |= O_CLOEXEC;
    if ((oflags & O_PATH) == 0)
        oflags |= O_NOCTTY; /* openat2 refuses any flag but these three with O_PATH */

    if (nc_fs_uses_openat2(fs)) {
        const uint64_t beneath = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
        fd = openat2_beneath(fs->root_fd, rel, oflags, beneath | RESOLVE_NO_SYMLINKS);
        if (fd >= 0) {
            r = copy_path(real, realsz, rel, err);
            if (r < 0) {
                close(fd);
                return r;
            }
            return fd;
        }
        if (fd == -ELOOP && (flags & NC_FS_NOFOLLOW) == 0) {
            /* A symlink is on the path: follow it beneath, then say where it led. */
            fd = openat2_beneath(fs->root_fd, rel, oflags, beneath);
            if (fd >= 0) {
                if (real != NULL) {
                    r = real_rel(fs->root_fd, fd, rel, real, realsz, err);
                    if (r < 0) {
                        close(fd);
                        return r;
                    }
                }
                return fd;
            }
        }
        if (fd != -ENOSYS)
            return fail(err, -fd, rel);
        atomic_store(&openat2_missing, true);
    }

    fd = open_walk(fs->root_fd, rel, oflags);
    if (fd < 0)
        return fail(err, -fd, rel);
    r = copy_path(real, realsz, rel, err);
    if (r < 0) {
        close(fd);
        return r;
    }
    return fd;
}

/* fd was opened here with O_NONBLOCK and none of the other flags F_SETFL can change
 * (O_APPEND, O_ASYNC, O_DIRECT, O_NOATIME). */
static int check_regular(int fd, struct stat *st, const char *rel, struct nc_err *err)
{
    if (fstat(fd, st) < 0)
        return fail(err, errno, rel);
    if (S_ISDIR(st->st_mode))
        return fail(err, EISDIR, rel);
    if (!S_ISREG(st->st_mode))
        return fail(err, ENODEV, rel);
    /* Regular files ignore O_NONBLOCK; clear it anyway so reads behave as documented.  The
     * other settable flags are known to be clear (see above), so no F_GETFL is needed: one
     * system call per file less for grep. */
    (void)fcntl(fd, F_SETFL, 0);
    return 0;
}

int nc_fs_open_file(const struct nc_fs *fs, const char *rel, unsigned flags, struct stat *st,
                    char *real, size_t realsz, struct nc_err *err)
{
    _cleanup_close_ int fd = nc_fs_open(fs, rel, O_RDONLY | O_NONBLOCK, flags, real, realsz, err);
    int r;
    if (fd < 0)
        return fd;
    r = check_regular(fd, st, rel, err);
    if (r < 0)
        return r;
    return steal_fd(&fd);
}

int nc_fs_open_file_at(int dirfd, const char *name, struct stat *st, struct nc_err *err)
{
    _cleanup_close_ int fd = -1;
    int r;
    if (name[0] == '\0' || strchr(name, '/') != NULL || strcmp(name, "..") == 0)
        return nc_err_set(err, EINVAL, "'%.*s': not a single path component", MAX_SHOWN, name);
    fd = openat_retry(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0);
    if (fd < 0)
        return fail(err, -classify_nofollow(dirfd, name, -fd), name);
    r = check_regular(fd, st, name, err);
    if (r < 0)
        return r;
    return steal_fd(&fd);
}

/* Splits rel into its parent ("." at the top) and last component. */
static int split_parent(const char *rel, char *parent, size_t psz, const char **name,
                        struct nc_err *err)
{
    const char *slash = strrchr(rel, '/');
    int r;
    if (slash == NULL) {
        *name = rel;
        return copy_path(parent, psz, ".", err);
    }
    *name = slash + 1;
    r = snprintf(parent, psz, "%.*s", (int)(slash - rel), rel);
    if (r < 0 || (size_t)r >= psz)
        return nc_err_set(err, ENAMETOOLONG, "the path is too long");
    if (parent[0] == '\0')
        return nc_err_set(err, EXDEV, "absolute paths are not workspace paths");
    return 0;
}

int nc_fs_lstat(const struct nc_fs *fs, const char *rel, struct stat *st, char *real,
                size_t realsz, struct nc_err *err)
{
    char parent[NC_FS_PATH_MAX], preal[NC_FS_PATH_MAX];
    const char *name;
    _cleanup_close_ int pfd = -1;
    int r = check_rel(rel, err);
    if (r < 0)
        return r;
    if (strcmp(rel, ".") == 0) {
        if (fstat(fs->root_fd, st) < 0)
            return fail(err, errno, rel);
        return copy_path(real, realsz, ".", err);
    }
    r = split_parent(rel, parent, sizeof(parent), &name, err);
    if (r < 0)
        return r;
    if (name[0] == '\0' || strcmp(name, ".") == 0)
        return nc_err_set(err, EINVAL, "'%.*s': not a normalized path", MAX_SHOWN, rel);
    pfd = nc_fs_open(fs, parent, O_PATH | O_DIRECTORY, 0, preal, sizeof(preal), err);
    if (pfd < 0)
        return pfd;
    if (fstatat(pfd, name, st, AT_SYMLINK_NOFOLLOW) < 0)
        return fail(err, errno, rel);
    if (real != NULL)
        return join_path(real, realsz, preal, name, err);
    return 0;
}

/* ---- reading and writing ------------------------------------------------------------- */

ssize_t nc_fs_read_full(int fd, void *buf, size_t len, struct nc_err *err)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return nc_err_set(err, errno, "read: %s", strerror(errno));
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

int nc_fs_write_full(int fd, const void *buf, size_t len, struct nc_err *err)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, (const char *)buf + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return nc_err_set(err, errno, "write: %s", reason(errno));
        }
        if (n == 0)
            return nc_err_set(err, EIO, "write: no progress");
        done += (size_t)n;
    }
    return 0;
}

int nc_fs_read_all(int fd, size_t max, char **out, size_t *len, struct nc_err *err)
{
    struct stat st;
    size_t cap, used = 0;
    _cleanup_free_ char *buf = NULL;

    *out = NULL;
    *len = 0;
    if (fstat(fd, &st) < 0)
        return nc_err_set(err, errno, "fstat: %s", strerror(errno));
    if (st.st_size > 0 && (uint64_t)st.st_size > (uint64_t)max)
        return nc_err_set(err, EFBIG, "the file is larger than %zu bytes", max);
    /* Start from the size fstat reports (plus one byte to see the end) and grow if the file
     * grows while it is read; never beyond max + 1. */
    cap = (st.st_size > 0 ? (size_t)st.st_size : 4096u) + 1u;
    if (cap > max + 1u)
        cap = max + 1u;
    buf = malloc(cap + 1u);
    if (buf == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    for (;;) {
        ssize_t n = nc_fs_read_full(fd, buf + used, cap - used, err);
        if (n < 0)
            return (int)n;
        used += (size_t)n;
        if (used > max)
            return nc_err_set(err, EFBIG, "the file is larger than %zu bytes", max);
        if (used < cap)
            break; /* end of file */
        size_t ncap = cap * 2u > max + 1u ? max + 1u : cap * 2u;
        char *nb = realloc(buf, ncap + 1u);
        if (nb == NULL)
            return nc_err_set(err, ENOMEM, "out of memory");
        buf = nb;
        cap = ncap;
    }
    buf[used] = '\0';
    *out = steal_pointer(&buf);
    *len = used;
    return 0;
}

static int random_name(char *out, size_t outsz)
{
    uint8_t rnd[8];
    static const char hex[] = "0123456789abcdef";
    char h[17];
    if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
        /* No entropy yet (early boot): uniqueness is all we need, O_EXCL does the rest. */
        struct timespec ts;
        (void)clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t v = ((uint64_t)getpid() << 40) ^ (uint64_t)ts.tv_nsec ^
                     ((uint64_t)ts.tv_sec << 20) ^ atomic_fetch_add(&tmp_counter, 1u);
        memcpy(rnd, &v, sizeof(rnd));
    }
    for (size_t i = 0; i < sizeof(rnd); i++) {
        h[2u * i] = hex[rnd[i] >> 4];
        h[2u * i + 1u] = hex[rnd[i] & 0x0fu];
    }
    h[16] = '\0';
    return snprintf(out, outsz, ".nc-%s.tmp", h) < (int)outsz ? 0 : -ENAMETOOLONG;
}

/* The parent directory of a write target, opened for fsync, and the components of it that do
 * not exist yet.  On return *dfd is the deepest existing directory, missing points into
 * `parent` at the first missing component ("" when none) and preal is the real path of *dfd. */
static int open_existing_prefix(const struct nc_fs *fs, char *parent, int *dfd, char **missing,
                                char *preal, size_t prealsz, struct nc_err *err)
{
    int fd = nc_fs_open(fs, parent, O_RDONLY | O_DIRECTORY, 0, preal, prealsz, err);
    static char none[] = "";

    *missing = none;
    if (fd >= 0) {
        *dfd = fd;
        return 0;
    }
    if (fd != -ENOENT)
        return fd;
    /* Walk forward to the first component that is missing. */
    fd = nc_fs_open(fs, ".", O_RDONLY | O_DIRECTORY, 0, preal, prealsz, err);
    if (fd < 0)
        return fd;
    for (char *p = parent;;) {
        char *slash = strchr(p, '/');
        char save = '\0';
        int nfd;
        if (slash != NULL) {
            save = *slash;
            *slash = '\0';
        }
        nfd = nc_fs_open(fs, parent, O_RDONLY | O_DIRECTORY, 0, preal, prealsz, err);
        if (slash != NULL)
            *slash = save;
        if (nfd == -ENOENT) {
            *missing = p;
            break;
        }
        if (nfd < 0) {
            close(fd);
            return nfd;
        }
        close(fd);
        fd = nfd;
        if (slash == NULL)
            break; /* it appeared meanwhile: nothing is missing */
        p = slash + 1;
    }
    *dfd = fd;
    return 0;
}

/* Creates the missing components (a/b/c) beneath *dfd, replacing *dfd by the deepest. */
static int make_dirs(int *dfd, char *missing, size_t *created, const char *rel,
                     struct nc_err *err)
{
    for (char *p = missing; p != NULL && *p != '\0';) {
        char *slash = strchr(p, '/');
        int fd;
        bool made;
        if (slash != NULL)
            *slash = '\0';
        made = mkdirat(*dfd, p, 0755) == 0;
        if (!made && errno != EEXIST)
            return fail(err, errno, rel);
        fd = openat_retry(*dfd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0)
            return fail(err, -classify_nofollow(*dfd, p, -fd), rel);
        if (made) {
            (void)fchmod(fd, 0755); /* whatever the umask */
            (*created)++;
        }
        close(*dfd);
        *dfd = fd;
        p = slash != NULL ? slash + 1 : NULL;
    }
    return 0;
}

static int write_temp(int dfd, char *tmp, size_t tmpsz, const void *data, size_t len,
                      mode_t mode, const struct stat *old, const char *rel, struct nc_err *err)
{
    _cleanup_close_ int fd = -1;
    int r;
    for (int tries = 0; fd < 0; tries++) {
        if (random_name(tmp, tmpsz) < 0)
            return nc_err_set(err, ENAMETOOLONG, "temporary name too long");
        fd = openat_retry(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && (fd != -EEXIST || tries >= 16))
            return fail(err, -fd, rel);
    }
    r = nc_fs_write_full(fd, data, len, err);
    if (r < 0)
        goto bad;
    /* Keep the owner when we can (the proxy may run as root in the pod); chown before chmod
     * because chown clears set-id bits and we set the permission bits last. */
    if (old != NULL && geteuid() == 0 && fchown(fd, old->st_uid, old->st_gid) < 0) {
        /* best effort: a file system without owners (vfat) keeps the proxy's */
    }
    if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
        r = fail(err, errno, rel);
        goto bad;
    }
    r = close(steal_fd(&fd));
    if (r < 0 && errno != EINTR) {
        r = fail(err, errno, rel);
        goto bad_closed;
    }
    return 0;
bad:
    close(steal_fd(&fd));
bad_closed:
    (void)unlinkat(dfd, tmp, 0);
    return r;
}

static int rename_into_place(int dfd, const char *tmp, const char *name, enum nc_fs_expect expect,
                             const char *rel, struct nc_err *err)
{
    struct stat st;
    switch (expect) {
    case NC_FS_EXPECT_NEW:
        if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) == 0)
            return 0;
        if (errno == EEXIST)
            return fail(err, ESTALE, rel);
        if (errno != EINVAL && errno != ENOSYS)
            return fail(err, errno, rel);
        /* The file system has no RENAME_NOREPLACE: link(2) fails atomically on an existing
         * name, then the temporary name goes. */
        if (linkat(dfd, tmp, dfd, name, 0) < 0)
            return fail(err, errno == EEXIST ? ESTALE : errno, rel);
        (void)unlinkat(dfd, tmp, 0);
        return 0;
    case NC_FS_EXPECT_EXISTS:
        if (renameat2(dfd, tmp, dfd, name, RENAME_EXCHANGE) == 0) {
            /* The old entry now has the temporary name.  If a directory was raced in, put it
             * back: we replace files, never directories. */
            if (fstatat(dfd, tmp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
                (void)renameat2(dfd, tmp, dfd, name, RENAME_EXCHANGE);
                return fail(err, ESTALE, rel);
            }
            /* The new file is in place; a failure to drop the old one leaves a stray
             * temporary name, not a failed write. */
            (void)unlinkat(dfd, tmp, 0);
            return 0;
        }
        if (errno == ENOENT)
            return fail(err, ESTALE, rel);
        if (errno != EINVAL && errno != ENOSYS)
            return fail(err, errno, rel);
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return fail(err, errno == ENOENT ? ESTALE : errno, rel);
        break;
    case NC_FS_EXPECT_ANY:
        break;
    }
    if (renameat(dfd, tmp, dfd, name) < 0)
        return fail(err, errno, rel);
    return 0;
}

int nc_fs_write_atomic(const struct nc_fs *fs, const char *rel, const void *data, size_t len,
                       enum nc_fs_expect expect, nc_fs_check_fn check, void *arg,
                       struct nc_fs_write_info *info, char *real, size_t realsz,
                       struct nc_err *err)
{
    char parent[NC_FS_PATH_MAX], preal[NC_FS_PATH_MAX], target[NC_FS_PATH_MAX];
    char tmp[64];
    const char *name;
    char *missing = NULL;
    _cleanup_close_ int dfd = -1;
    struct stat st;
    bool exists;
    mode_t mode = 0644;
    int r;

    memset(info, 0, sizeof(*info));
    r = check_rel(rel, err);
    if (r < 0)
        return r;
    if (strcmp(rel, ".") == 0)
        return fail(err, EISDIR, rel);
    r = split_parent(rel, parent, sizeof(parent), &name, err);
    if (r < 0)
        return r;
    if (name[0] == '\0' || strcmp(name, ".") == 0 || strlen(name) > NAME_MAX)
        return nc_err_set(err, EINVAL, "'%.*s': not a file name", MAX_SHOWN, rel);

    r = open_existing_prefix(fs, parent, &dfd, &missing, preal, sizeof(preal), err);
    if (r < 0)
        return r;
    /* The real path of the target: what the existing prefix resolved to, then the components
     * still to be created, then the name. */
    if (*missing != '\0') {
        char tail[NC_FS_PATH_MAX];
        if (snprintf(tail, sizeof(tail), "%s/%s", missing, name) >= (int)sizeof(tail))
            return nc_err_set(err, ENAMETOOLONG, "the path is too long");
        r = join_path(target, sizeof(target), preal, tail, err);
    } else {
        r = join_path(target, sizeof(target), preal, name, err);
    }
    if (r < 0)
        return r;
    if (check != NULL) {
        r = check(arg, target, err);
        if (r < 0)
            return r;
    }
    r = copy_path(real, realsz, target, err);
    if (r < 0)
        return r;
    r = make_dirs(&dfd, missing, &info->created_dirs, rel, err);
    if (r < 0)
        return r;

    exists = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (!exists && errno != ENOENT)
        return fail(err, errno, rel);
    if (exists && S_ISDIR(st.st_mode))
        return fail(err, EISDIR, rel);
    if ((expect == NC_FS_EXPECT_EXISTS && !exists) || (expect == NC_FS_EXPECT_NEW && exists))
        return fail(err, ESTALE, rel);
    info->existed = exists;
    info->was_link = exists && S_ISLNK(st.st_mode);
    if (exists && S_ISREG(st.st_mode))
        mode = st.st_mode & 0777; /* set-id and sticky bits are not carried over */
    info->mode = mode;

    r = write_temp(dfd, tmp, sizeof(tmp), data, len, mode,
                   exists && S_ISREG(st.st_mode) ? &st : NULL, rel, err);
    if (r < 0)
        return r;
    r = rename_into_place(dfd, tmp, name, expect, rel, err);
    if (r < 0) {
        (void)unlinkat(dfd, tmp, 0);
        return r;
    }
    /* The rename is durable once the directory is. */
    if (fsync(dfd) < 0 && errno != EINVAL)
        return fail(err, errno, rel);
    return 0;
}

/* ---- walking ------------------------------------------------------------------------- */

/* realloc for n elements of size bytes, refusing a product that overflows (reallocarray,
 * written with realloc so that gcc -fanalyzer follows the ownership). */
static void *nc_grow_array(void *p, size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes))
        return NULL;
    return realloc(p, bytes);
}

/* A directory's entries: names packed in one buffer (no allocation per name). */
struct dent {
    const char *name; /* into the listing's names buffer, set once it stops moving */
    size_t off;
    unsigned char type; /* DT_* */
};

struct listing {
    struct dent *v;
    size_t n;
    char *names;
};

static int dent_cmp(const void *a, const void *b)
{
    return strcmp(((const struct dent *)a)->name, ((const struct dent *)b)->name);
}

static void listing_free(struct listing *l)
{
    free(l->v);
    free(l->names);
    memset(l, 0, sizeof(*l));
}

/* Reads every entry of the directory fd (sorted by name); fd stays open and owned by the
 * caller. */
static int list_dir(int fd, struct listing *out)
{
    int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    DIR *d;
    struct listing l = {0};
    size_t cap = 0, used = 0, ncap_names = 0;
    int r = 0;

    memset(out, 0, sizeof(*out));
    if (dup_fd < 0)
        return -errno;
    d = fdopendir(dup_fd);
    if (d == NULL) {
        r = -errno;
        close(dup_fd);
        return r;
    }
    /* The dup shares the file offset: start from the first entry. */
    rewinddir(d);
    for (;;) {
        struct dirent *de;
        size_t nl;
        errno = 0;
        de = readdir(d);
        if (de == NULL) {
            if (errno != 0)
                r = -errno;
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (l.n == cap) {
            size_t ncap = cap == 0 ? 32u : cap * 2u;
            struct dent *nv = nc_grow_array(l.v, ncap, sizeof(*nv));
            if (nv == NULL) {
                r = -ENOMEM;
                break;
            }
            l.v = nv;
            cap = ncap;
        }
        nl = strlen(de->d_name) + 1u;
        if (used + nl > ncap_names) {
            size_t nn = ncap_names == 0 ? 1024u : ncap_names;
            while (nn < used + nl)
                nn *= 2u;
            char *np = realloc(l.names, nn);
            if (np == NULL) {
                r = -ENOMEM;
                break;
            }
            l.names = np;
            ncap_names = nn;
        }
        memcpy(l.names + used, de->d_name, nl);
        l.v[l.n].off = used;
        l.v[l.n].type = de->d_type;
        l.n++;
        used += nl;
    }
    closedir(d);
    if (r < 0) {
        listing_free(&l);
        return r;
    }
    for (size_t i = 0; i < l.n; i++)
        l.v[i].name = l.names + l.v[i].off;
    if (l.n > 1)
        qsort(l.v, l.n, sizeof(*l.v), dent_cmp);
    *out = l;
    return 0;
}

static enum nc_fs_type type_of(int dirfd, const char *name, unsigned char dt)
{
    struct stat st;
    switch (dt) {
    case DT_REG:
        return NC_FS_FILE;
    case DT_DIR:
        return NC_FS_DIR;
    case DT_LNK:
        return NC_FS_SYMLINK;
    case DT_UNKNOWN:
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return NC_FS_OTHER;
        if (S_ISREG(st.st_mode))
            return NC_FS_FILE;
        if (S_ISDIR(st.st_mode))
            return NC_FS_DIR;
        if (S_ISLNK(st.st_mode))
            return NC_FS_SYMLINK;
        return NC_FS_OTHER;
    default:
        return NC_FS_OTHER;
    }
}

struct walk {
    const struct nc_fs_walk_ops *ops;
    void *arg;
    struct nc_fs_walk_stats *stats;
    unsigned max_depth;
    struct nc_err *err;
    char rel[NC_FS_PATH_MAX];
};

static int walk_dir(struct walk *w, int fd, size_t rel_len, unsigned depth)
{
    struct listing ls;
    struct dent *ents;
    size_t n = 0;
    int rc = 0, r;
    const char *here = rel_len == 0 ? "." : w->rel;

    if (w->ops->enter != NULL) {
        r = w->ops->enter(w->arg, here, fd, w->err);
        if (r < 0)
            return r;
    }
    r = list_dir(fd, &ls);
    if (r < 0) {
        w->stats->unreadable++;
    } else {
        w->stats->dirs++;
    }
    ents = ls.v;
    n = ls.n;
    for (size_t i = 0; i < n; i++) {
        struct nc_fs_entry e;
        size_t nl = strlen(ents[i].name);
        size_t need = rel_len == 0 ? nl : rel_len + 1u + nl;
        if (w->ops->cancelled != NULL && atomic_load(w->ops->cancelled)) {
            rc = nc_err_set(w->err, ECANCELED, "cancelled");
            break;
        }
        if (need >= sizeof(w->rel)) {
            w->stats->too_deep++;
            continue;
        }
        if (rel_len == 0) {
            memcpy(w->rel, ents[i].name, nl + 1u);
        } else {
            w->rel[rel_len] = '/';
            memcpy(w->rel + rel_len + 1u, ents[i].name, nl + 1u);
        }
        e.rel = w->rel;
        e.name = w->rel + (need - nl);
        e.type = type_of(fd, ents[i].name, ents[i].type);
        e.dirfd = fd;
        e.depth = depth;
        w->stats->entries++;
        r = w->ops->entry(w->arg, &e, w->err);
        if (r < 0 || r == NC_FS_WALK_STOP) {
            rc = r < 0 ? r : 1;
            break;
        }
        if (e.type == NC_FS_DIR && r != NC_FS_WALK_PRUNE) {
            int cfd;
            if (depth >= w->max_depth) {
                w->stats->too_deep++;
            } else {
                cfd = openat_retry(fd, ents[i].name,
                                   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
                if (cfd < 0) {
                    w->stats->unreadable++; /* gone, swapped for a link, or no permission */
                } else {
                    rc = walk_dir(w, cfd, need, depth + 1u);
                    close(cfd);
                    if (rc != 0)
                        break;
                }
            }
        }
        w->rel[rel_len] = '\0';
    }
    w->rel[rel_len] = '\0';
    listing_free(&ls);
    if (rc == 0 && w->ops->leave != NULL)
        w->ops->leave(w->arg, rel_len == 0 ? "." : w->rel);
    return rc;
}

int nc_fs_walk(const struct nc_fs *fs, const char *start, const struct nc_fs_walk_ops *ops,
               void *arg, struct nc_fs_walk_stats *stats, struct nc_err *err)
{
    struct nc_fs_walk_stats dummy;
    _cleanup_free_ struct walk *w = NULL;
    _cleanup_close_ int fd = -1;
    size_t len;

    if (stats == NULL)
        stats = &dummy;
    memset(stats, 0, sizeof(*stats));
    fd = nc_fs_open(fs, start, O_RDONLY | O_DIRECTORY, NC_FS_NOFOLLOW, NULL, 0, err);
    if (fd < 0)
        return fd;
    w = calloc(1, sizeof(*w));
    if (w == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    w->ops = ops;
    w->arg = arg;
    w->stats = stats;
    w->max_depth = ops->max_depth != 0 ? ops->max_depth : 64u;
    w->err = err;
    if (strcmp(start, ".") == 0) {
        len = 0;
    } else {
        len = strlen(start);
        if (len >= sizeof(w->rel))
            return nc_err_set(err, ENAMETOOLONG, "the path is too long");
        memcpy(w->rel, start, len + 1u);
    }
    return walk_dir(w, fd, len, 1);
}
