/* SPDX-License-Identifier: Apache-2.0 */
/* The pod's filesystem (see mounts.h).  The construction follows bubblewrap's: a tmpfs over
 * /tmp becomes a transient root through pivot_root, which leaves the host's tree reachable at
 * /oldroot; the real root is assembled from it on another tmpfs at /newroot, then a second
 * pivot_root makes it "/" and the host's tree is detached for good. */
#include "mounts.h"
#include "pod.h" /* NC_EGRESS_POD_DIR */

#include "core/glob.h"
#include "sandbox/trace.h"
#include "util/cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define OLD "/oldroot"
#define NEW "/newroot"

static int mnt(const char *src, const char *dst, const char *type, unsigned long flags,
               const char *data, struct nc_err *err)
{
    if (mount(src, dst, type, flags, data) < 0)
        return nc_err_set(err, errno, "mount %s on %s: %s", src != NULL ? src : "(remount)",
                          dst, strerror(errno));
    return 0;
}

/* Makes a mount read-only, recursively where the kernel can (mount_setattr, 5.12+).  The
 * fallback remount must repeat the flags the kernel locked when the host's mount entered our
 * user namespace (nosuid, nodev, noexec, atime), or it fails with EPERM. */
static int make_ro(const char *path, struct nc_err *err)
{
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    struct statvfs sv;
    unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY;

    if (syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof(attr)) == 0)
        return 0;
    if (errno != ENOSYS && errno != EINVAL)
        return nc_err_set(err, errno, "read-only %s: %s", path, strerror(errno));
    if (statvfs(path, &sv) < 0)
        return nc_err_set(err, errno, "statvfs %s: %s", path, strerror(errno));
    if (sv.f_flag & ST_NOSUID)
        flags |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV)
        flags |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC)
        flags |= MS_NOEXEC;
    if (sv.f_flag & ST_NOATIME)
        flags |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME)
        flags |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME)
        flags |= MS_RELATIME;
    return mnt(NULL, path, NULL, flags, NULL, err);
}

static int bind(const char *src, const char *dst, bool ro, struct nc_err *err)
{
    if (mnt(src, dst, NULL, MS_BIND | MS_REC, NULL, err) < 0)
        return -1;
    return ro ? make_ro(dst, err) : 0;
}

static int path_join(char *out, size_t outsz, const char *a, const char *b, struct nc_err *err)
{
    int n = snprintf(out, outsz, "%s%s%s", a, (b[0] == '/' || a[strlen(a) - 1] == '/') ? "" : "/", b);
    if (n < 0 || (size_t)n >= outsz)
        return nc_err_set(err, ENAMETOOLONG, "path too long: %s/%s", a, b);
    return 0;
}

/* mkdir -p for a path inside the new root (which we built, so no symlinks to fear). */
static int mkdirs(const char *path, struct nc_err *err)
{
    char buf[NC_PATH_MAX + 16];
    size_t n = strlen(path);
    if (n >= sizeof(buf))
        return nc_err_set(err, ENAMETOOLONG, "path too long: %s", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return nc_err_set(err, errno, "mkdir %s: %s", buf, strerror(errno));
        buf[i] = c;
    }
    return 0;
}

/* Reproduces /oldroot/<rel> at /newroot/<rel>: a symlink is copied, a directory or file is
 * bound (read-only when asked).  A missing source is skipped.  The parent of /newroot/<rel>
 * must exist.  Returns 1 when it bound something, 0 when not, -1 with err filled. */
static int mirror(const char *rel, bool ro, struct nc_err *err)
{
    char src[NC_PATH_MAX], dst[NC_PATH_MAX], target[NC_PATH_MAX];
    struct stat st;

    if (path_join(src, sizeof(src), OLD, rel, err) < 0 || path_join(dst, sizeof(dst), NEW, rel, err) < 0)
        return -1;
    if (lstat(src, &st) < 0)
        return errno == ENOENT ? 0 : nc_err_set(err, errno, "%s: %s", src, strerror(errno));
    if (S_ISLNK(st.st_mode)) {
        ssize_t n = readlink(src, target, sizeof(target) - 1);
        if (n < 0)
            return nc_err_set(err, errno, "readlink %s: %s", src, strerror(errno));
        target[n] = '\0';
        if (symlink(target, dst) < 0 && errno != EEXIST)
            return nc_err_set(err, errno, "symlink %s: %s", dst, strerror(errno));
        return 0;
    }
    /* The mount point: one system call (the parent exists; mknod makes an empty regular
     * file, which needs no privilege). */
    if ((S_ISDIR(st.st_mode) ? mkdir(dst, 0755) : mknod(dst, S_IFREG | 0444, 0)) < 0 &&
        errno != EEXIST)
        return nc_err_set(err, errno, "create %s: %s", dst, strerror(errno));
    return bind(src, dst, ro, err) < 0 ? -1 : 1;
}

/* System directories: enough to run ordinary tools, nothing of anyone's home. */
static const char *const system_dirs[] = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", NULL};

/* /etc entries that programs need and that hold no credentials.  shadow, gshadow, ssh host
 * keys, sudoers and the like are deliberately absent. */
static const char *const etc_entries[] = {
    "passwd", "group", "hosts", "nsswitch.conf", "host.conf", "gai.conf", "resolv.conf",
    "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "ssl", "ca-certificates", "alternatives",
    "localtime", "timezone", "mime.types", "protocols", "services", "os-release",
    "debian_version", "bash.bashrc", "inputrc", "profile", "magic", "gitconfig", "manpath.config",
    "locale.alias", "environment", NULL,
};

/* /etc is a small tmpfs of its own holding the selected entries, and one recursive
 * mount_setattr makes it and every bind in it read-only: one system call where a read-only
 * remount per entry took 28.  Without mount_setattr (before 5.12) each is remounted. */
static int setup_etc(struct nc_err *err)
{
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    bool bound[sizeof(etc_entries) / sizeof(etc_entries[0])] = {false};
    char rel[128];

    if (mkdir(NEW "/etc", 0755) < 0)
        return nc_err_set(err, errno, "mkdir %s: %s", NEW "/etc", strerror(errno));
    if (mnt("tmpfs", NEW "/etc", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k,nr_inodes=256",
            err) < 0)
        return -1;
    for (size_t i = 0; etc_entries[i] != NULL; i++) {
        snprintf(rel, sizeof(rel), "etc/%s", etc_entries[i]);
        int rc = mirror(rel, false, err);
        if (rc < 0)
            return -1;
        bound[i] = rc == 1;
    }
    if (syscall(SYS_mount_setattr, AT_FDCWD, NEW "/etc", AT_RECURSIVE, &attr, sizeof(attr)) == 0)
        return 0;
    if (errno != ENOSYS && errno != EINVAL)
        return nc_err_set(err, errno, "read-only /etc: %s", strerror(errno));
    for (size_t i = 0; etc_entries[i] != NULL; i++) {
        char dst[NC_PATH_MAX];
        if (!bound[i])
            continue;
        snprintf(dst, sizeof(dst), NEW "/etc/%s", etc_entries[i]);
        if (make_ro(dst, err) < 0)
            return -1;
    }
    return make_ro(NEW "/etc", err);
}

/* tmpfs options bounded by the pod's memory limit: tmpfs pages are not counted by RLIMIT_AS,
 * so without a memory cgroup an unbounded /tmp would let a pod hold half the host's RAM. */
static void tmpfs_opts(char *out, size_t outsz, const char *mode, uint64_t memory_bytes)
{
    if (memory_bytes == UINT64_MAX)
        snprintf(out, outsz, "mode=%s,nr_inodes=262144", mode);
    else
        snprintf(out, outsz, "mode=%s,nr_inodes=262144,size=%llu", mode,
                 (unsigned long long)(memory_bytes < 65536 ? 65536 : memory_bytes));
}

static int setup_dev(uint64_t memory_bytes, struct nc_err *err)
{
    char opts[96];
    static const char *const nodes[] = {"null", "zero", "full", "random", "urandom", "tty", NULL};
    char rel[64];

    if (mkdirs(NEW "/dev", err) < 0 ||
        mnt("tmpfs", NEW "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k", err) < 0)
        return -1;
    for (size_t i = 0; nodes[i] != NULL; i++) {
        snprintf(rel, sizeof(rel), "dev/%s", nodes[i]);
        if (mirror(rel, false, err) < 0)
            return -1;
    }
    if (mkdirs(NEW "/dev/shm", err) < 0 ||
        (tmpfs_opts(opts, sizeof(opts), "1777", memory_bytes),
         mnt("tmpfs", NEW "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts, err)) < 0)
        return -1;
    /* A private devpts instance: ptys for tools that want one, none of the host's. */
    if (mkdirs(NEW "/dev/pts", err) < 0)
        return -1;
    if (mount("devpts", NEW "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
              "newinstance,ptmxmode=0666,mode=620") == 0) {
        if (symlink("pts/ptmx", NEW "/dev/ptmx") < 0)
            return nc_err_set(err, errno, "symlink /dev/ptmx: %s", strerror(errno));
    }
    if (symlink("/proc/self/fd", NEW "/dev/fd") < 0 || symlink("/proc/self/fd/0", NEW "/dev/stdin") < 0 ||
        symlink("/proc/self/fd/1", NEW "/dev/stdout") < 0 || symlink("/proc/self/fd/2", NEW "/dev/stderr") < 0)
        return nc_err_set(err, errno, "symlinks in /dev: %s", strerror(errno));
    /* Nothing new in /dev: the nodes, /dev/pts and /dev/shm are mounts of their own and stay
     * usable; the directory itself is read-only (Landlock says the same, but not everywhere). */
    return mnt(NULL, NEW "/dev", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL, err);
}

static int setup_proc(struct nc_err *err)
{
    /* Kernel knobs stay read-only even for the pod's root: /proc/sys, sysrq-trigger, irq, bus. */
    static const char *const ro[] = {"sys", "sysrq-trigger", "irq", "bus", "fs", NULL};
    char p[64];

    if (mkdirs(NEW "/proc", err) < 0 ||
        mnt("proc", NEW "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err) < 0)
        return -1;
    for (size_t i = 0; ro[i] != NULL; i++) {
        snprintf(p, sizeof(p), NEW "/proc/%s", ro[i]);
        if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) {
            if (errno == ENOENT)
                continue; /* this kernel has no such knob */
            return nc_err_set(err, errno, "mount %s on %s: %s", p, p, strerror(errno));
        }
        if (make_ro(p, err) < 0)
            return -1;
    }
    return 0;
}

/* A list's patterns, validated once for the whole scan (nc_glob_prepare) rather than once per
 * entry and pattern (nc_glob_match): the scan runs at every pod start, over every entry. */
struct scan_list {
    size_t n;
    bool any_unanchored;
    struct nc_glob_prep g[NC_LIST_MAX_ITEMS];
};

/* A protected entry "**" "/A/B" (literal A and B): B is held beneath every directory A. */
struct holder {
    const char *a, *b; /* b: the rest after "A/" */
    size_t al;
};

struct scan {
    const struct nc_policy *policy;
    bool writable;
    struct nc_fs_report *rep;
    struct scan_list deny, ro;
    size_t nholders;
    struct holder holders[NC_LIST_MAX_ITEMS];
    char rel[NC_PATH_MAX + 1];
    char abs[NC_PATH_MAX + 64];
    size_t base; /* length of the workspace prefix in abs */
};

static int scan_list_init(struct scan_list *sl, const struct nc_list *l, struct nc_err *err)
{
    sl->n = 0;
    sl->any_unanchored = false;
    if (l->unrestricted) /* "everything" is not a pattern list; policies never say it here */
        return nc_err_set(err, EINVAL, "an unrestricted deny or read-only path list");
    for (size_t i = 0; i < l->count && i < NC_LIST_MAX_ITEMS; i++) {
        const char *why = nc_glob_prepare(nc_list_item(l, i), &sl->g[sl->n]);
        if (why != NULL) /* nc_list_add validated it; a corrupt policy fails closed */
            return nc_err_set(err, EINVAL, "path pattern '%s': %s", nc_list_item(l, i), why);
        sl->any_unanchored |= sl->g[sl->n].unanchored;
        sl->n++;
    }
    return 0;
}

/* Whether the entry rel (last component name[0..nlen)) matches the list, given that no
 * ancestor of it did (the walk does not descend below a match, or passes the match down):
 * then an unanchored pattern needs only the name (nc_glob_prep_match_name). */
static bool scan_list_match(const struct scan_list *sl, const char *rel, const char *name,
                            size_t nlen)
{
    for (size_t i = 0; i < sl->n; i++) {
        const struct nc_glob_prep *g = &sl->g[i];
        if (g->unanchored ? nc_glob_prep_match_name(g, name, nlen) : nc_glob_prep_match(g, rel))
            return true;
    }
    return false;
}

static bool scan_list_may_match_below(const struct scan_list *sl, const char *dir)
{
    if (sl->any_unanchored)
        return true;
    for (size_t i = 0; i < sl->n; i++)
        if (nc_glob_prep_may_match_below(&sl->g[i], dir))
            return true;
    return false;
}

/* True when path is the root of a mount (statx, Linux 5.8+; false when unknown). */
static bool is_mount_root(const char *path)
{
    struct statx stx;
    if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
        return false;
    return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) != 0 &&
           (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

/* Makes every directory between the workspace root and a protected path a mount point (bound
 * onto itself, still writable).  A mount point cannot be renamed or removed (EBUSY), so the
 * pod cannot move `.git` aside with its read-only hooks and create a fresh `.git/hooks`. */
static int pin_ancestors(struct scan *s, struct nc_err *err)
{
    char path[sizeof(s->abs)];
    size_t n = strlen(s->abs);

    memcpy(path, s->abs, n + 1);
    for (size_t i = s->base + 1; i < n; i++) {
        if (path[i] != '/')
            continue;
        path[i] = '\0';
        if (!is_mount_root(path) && bind(path, path, false, err) < 0)
            return -1;
        path[i] = '/';
    }
    return 0;
}

/* Creates an empty directory where a protected name is missing and binds it read-only, so
 * the pod cannot create that name later (a directory also stops a file of that name).  The
 * path is recorded for the caller to remove after the pod. */
static int placeholder(struct scan *s, const char *rel, struct nc_err *err)
{
    char abs[sizeof(s->abs)];
    size_t rl = strlen(rel);
    struct nc_fs_report *r = s->rep;

    if (snprintf(abs, sizeof(abs), "%.*s/%s", (int)s->base, s->abs, rel) >= (int)sizeof(abs))
        return nc_err_set(err, ENAMETOOLONG, "protected path too long: %s", rel);
    if (r->nplaceholders >= NC_FS_MAX_PLACEHOLDERS || r->placeholder_used + rl + 1 > sizeof(r->placeholders))
        return nc_err_set(err, E2BIG, "too many missing protected paths to hold");
    if (mkdir(abs, 0555) < 0)
        return errno == EEXIST ? 0 : nc_err_set(err, errno, "placeholder %s: %s", rel, strerror(errno));
    memcpy(r->placeholders + r->placeholder_used, rel, rl + 1);
    r->placeholder_used += rl + 1;
    r->nplaceholders++;
    r->protected_++;
    return bind(abs, abs, true, err);
}

/* Protected entries of the form "**" "/A/B" (literal A and B): B beneath a directory named A,
 * held when missing (a repository without hooks/ must not get a planted one). */
static void holders_init(struct scan *s)
{
    const struct nc_list *ro = &s->policy->paths_readonly;

    s->nholders = 0;
    for (size_t i = 0; i < ro->count && s->nholders < NC_LIST_MAX_ITEMS; i++) {
        const char *e = nc_list_item(ro, i);
        const char *a, *b;

        if (strncmp(e, "**/", 3) != 0 || !nc_glob_is_literal(e + 3))
            continue;
        a = e + 3;
        b = strchr(a, '/');
        if (b == NULL || strchr(b + 1, '/') != NULL)
            continue;
        s->holders[s->nholders++] = (struct holder){.a = a, .b = b + 1, .al = (size_t)(b - a)};
    }
}

static int placeholders_beneath(struct scan *s, const char *dirname, size_t dlen, size_t rlen,
                                struct nc_err *err)
{
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < s->nholders; i++) {
        const struct holder *h = &s->holders[i];
        char rel[NC_PATH_MAX + 1];
        struct stat st;

        if (dlen != h->al || memcmp(dirname, h->a, dlen) != 0)
            continue;
        if (snprintf(rel, sizeof(rel), "%s/%s", s->rel, h->b) >= (int)sizeof(rel))
            continue;
        snprintf(s->abs + s->base, sizeof(s->abs) - s->base, "/%s", rel);
        if (lstat(s->abs, &st) == 0 || errno != ENOENT)
            continue;
        rc = pin_ancestors(s, err);
        if (rc == 0)
            rc = placeholder(s, rel, err);
    }
    /* back to the entry itself */
    s->abs[s->base] = '/';
    memcpy(s->abs + s->base + 1, s->rel, rlen + 1);
    return rc;
}

static int mask(struct scan *s, bool dir, struct nc_err *err)
{
    s->rep->masked++;
    if (dir)
        return mnt("tmpfs", s->abs, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                   "mode=0000,size=0", err);
    return bind(OLD "/dev/null", s->abs, true, err);
}

/* Walks the workspace (through its bind in the new root), masking existing secrets and
 * binding protected paths read-only.  Symlinks are never followed.  ro_above: an ancestor
 * matched the read-only list (so this directory's entries do too). */
static int walk(struct scan *s, int dir_fd, size_t rlen, unsigned depth, bool ro_above,
                struct nc_err *err)
{
    /* getdents64 into a buffer of our own: no DIR to allocate (and fstat) per directory. */
    char buf[4096] __attribute__((aligned(8)));
    int rc = 0;

    if (depth > NC_FS_SCAN_MAX_DEPTH) {
        close(dir_fd);
        return nc_err_set(err, ELOOP, "workspace is nested deeper than %d directories; its "
                          "secrets cannot all be masked", NC_FS_SCAN_MAX_DEPTH);
    }
    while (rc == 0) {
        ssize_t got = getdents64(dir_fd, buf, sizeof(buf));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = nc_err_set(err, errno, "scan %s: %s", s->abs, strerror(errno));
            break;
        }
        if (got == 0)
            break;
        for (size_t off = 0; rc == 0 && off < (size_t)got;) {
            const struct dirent64 *e = (const struct dirent64 *)(void *)(buf + off);
            const char *name = e->d_name;
            size_t nlen = strlen(name);
            struct stat st;

            off += e->d_reclen;
            if (name[0] == '.' && (nlen == 1 || (nlen == 2 && name[1] == '.')))
                continue;
            if (++s->rep->scanned > NC_FS_SCAN_MAX_ENTRIES) {
                s->rep->scan_truncated = true;
                rc = nc_err_set(err, EFBIG, "workspace has more than %d entries; its secrets "
                                "cannot all be masked", NC_FS_SCAN_MAX_ENTRIES);
                break;
            }
            if (rlen + 1 + nlen >= sizeof(s->rel) || s->base + 1 + rlen + 1 + nlen >= sizeof(s->abs)) {
                rc = nc_err_set(err, ENAMETOOLONG, "a workspace path is too long to check");
                break;
            }
            size_t nrl = rlen;
            if (nrl > 0)
                s->rel[nrl++] = '/';
            memcpy(s->rel + nrl, name, nlen + 1);
            nrl += nlen;
            s->abs[s->base] = '/';
            memcpy(s->abs + s->base + 1, s->rel, nrl + 1);
            /* The entry's type from the directory where the filesystem gives it (most do); a
             * stat only when it does not: the scan runs at every pod start. */
            mode_t type;
            switch (e->d_type) {
            case DT_DIR: type = S_IFDIR; break;
            case DT_REG: type = S_IFREG; break;
            case DT_LNK: type = S_IFLNK; break;
            case DT_UNKNOWN:
                if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                    s->rel[rlen] = '\0';
                    continue; /* vanished meanwhile */
                }
                type = st.st_mode & S_IFMT;
                break;
            default: type = S_IFIFO; break; /* devices, fifos, sockets: never bound, maybe masked */
            }
            bool isdir = type == S_IFDIR, ro_here = false;
            if (type == S_IFLNK) {
                /* never followed; a link to a masked file resolves onto the mask */
            } else if (scan_list_match(&s->deny, s->rel, name, nlen)) {
                rc = mask(s, isdir, err);
                s->rel[rlen] = '\0';
                continue; /* nothing beneath a mask is reachable */
            } else if (s->writable &&
                       (ro_above || scan_list_match(&s->ro, s->rel, name, nlen))) {
                ro_here = true;
                if (isdir || type == S_IFREG) {
                    s->rep->protected_++;
                    rc = pin_ancestors(s, err);
                    if (rc == 0)
                        rc = bind(s->abs, s->abs, true, err);
                }
            }
            if (rc == 0 && isdir && s->writable)
                rc = placeholders_beneath(s, name, nlen, nrl, err);
            /* Descend only where a pattern can still match: below an unanchored pattern that
             * is everywhere, below an anchored one only along its path. */
            if (rc == 0 && isdir &&
                (scan_list_may_match_below(&s->deny, s->rel) ||
                 (s->writable && (ro_here || s->nholders > 0 ||
                                  scan_list_may_match_below(&s->ro, s->rel))))) {
                int sub = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub >= 0)
                    rc = walk(s, sub, nrl, depth + 1, ro_here, err);
            }
            s->rel[rlen] = '\0';
        }
    }
    close(dir_fd);
    return rc;
}

static int setup_workspace(const struct nc_fs_plan *plan, struct nc_fs_report *rep,
                           struct nc_err *err)
{
    /* malloc: the path buffers need no clearing (see the fields set below). */
    _cleanup_free_ struct scan *s = malloc(sizeof(*s));
    char src[NC_PATH_MAX], dst[NC_PATH_MAX];
    int fd;

    if (s == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    if (path_join(src, sizeof(src), OLD, plan->workspace, err) < 0 ||
        path_join(dst, sizeof(dst), NEW, plan->workspace, err) < 0 || mkdirs(dst, err) < 0 ||
        bind(src, dst, !plan->writable, err) < 0)
        return -1;
    s->policy = plan->policy;
    s->writable = plan->writable;
    s->rep = rep;
    s->nholders = 0;
    s->rel[0] = '\0';
    s->ro.n = 0;
    s->ro.any_unanchored = false;
    if (scan_list_init(&s->deny, &plan->policy->paths_deny, err) < 0 ||
        (plan->writable && scan_list_init(&s->ro, &plan->policy->paths_readonly, err) < 0))
        return -1;
    if (plan->writable)
        holders_init(s);
    s->base = strlen(dst);
    memcpy(s->abs, dst, s->base + 1);
    fd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return nc_err_set(err, errno, "open workspace: %s", strerror(errno));
    if (walk(s, fd, 0, 0, false, err) < 0)
        return -1;
    if (!plan->writable)
        return 0; /* nothing can be created in a read-only workspace */
    /* Protected names that do not exist yet, at the workspace root: hold them. */
    s->rel[0] = '\0';
    for (size_t i = 0; i < plan->policy->paths_readonly.count; i++) {
        const char *e = nc_list_item(&plan->policy->paths_readonly, i);
        struct stat st;
        if (!nc_glob_is_literal(e) || !nc_glob_is_unanchored(e))
            continue;
        snprintf(s->abs + s->base, sizeof(s->abs) - s->base, "/%s", e);
        if (lstat(s->abs, &st) == 0 || errno != ENOENT)
            continue;
        if (placeholder(s, e, err) < 0)
            return -1;
    }
    return 0;
}

int nc_fs_setup(const struct nc_fs_plan *plan, struct nc_fs_report *rep, struct nc_err *err)
{
    char opts[96];

    memset(rep, 0, sizeof(*rep));

    /* Nothing we mount may propagate back to the host. */
    if (mnt(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL, err) < 0)
        return -1;
    /* Transient root: a tmpfs over /tmp, so the host's /tmp stays visible under /oldroot. */
    if (mnt("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", err) < 0)
        return -1;
    if (chdir("/tmp") < 0 || mkdir("newroot", 0755) < 0 || mkdir("oldroot", 0755) < 0)
        return nc_err_set(err, errno, "prepare root: %s", strerror(errno));
    if (syscall(SYS_pivot_root, ".", "oldroot") < 0)
        return nc_err_set(err, errno, "pivot_root: %s", strerror(errno));
    if (chdir("/") < 0)
        return nc_err_set(err, errno, "chdir /: %s", strerror(errno));

    NC_TRACE("filesystem: loopback, first pivot (init)");
    if (mnt("tmpfs", NEW, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", err) < 0)
        return -1;
    for (size_t i = 0; system_dirs[i] != NULL; i++)
        if (mirror(system_dirs[i], true, err) < 0)
            return -1;
    NC_TRACE("filesystem: /usr and the system directories (init)");
    if (setup_etc(err) < 0)
        return -1;
    NC_TRACE("filesystem: /etc (init)");
    tmpfs_opts(opts, sizeof(opts), "1777", plan->policy->limits.memory_bytes);
    if (mkdirs(NEW "/tmp", err) < 0 || mnt("tmpfs", NEW "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, opts, err) < 0 ||
        mkdirs(NEW "/var", err) < 0)
        return -1;
    if (symlink("../tmp", NEW "/var/tmp") < 0)
        return nc_err_set(err, errno, "symlink /var/tmp: %s", strerror(errno));
    /* The egress gateway's socket is bound here by the init, which then makes this tmpfs
     * read-only (pod.c); room for that one socket. */
    if (plan->egress_dir && (mkdirs(NEW NC_EGRESS_POD_DIR, err) < 0 ||
                             mnt("tmpfs", NEW NC_EGRESS_POD_DIR, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                 "mode=0755,size=4k,nr_inodes=4", err) < 0))
        return -1;
    NC_TRACE("filesystem: /tmp, /var (init)");
    if (setup_dev(plan->policy->limits.memory_bytes, err) < 0 || setup_proc(err) < 0)
        return -1;
    NC_TRACE("filesystem: /dev, /proc (init)");
    if (setup_workspace(plan, rep, err) < 0)
        return -1;

    NC_TRACE("filesystem: workspace and its scan (init)");
    /* Make the assembled tree the root and drop the host's for good. */
    if (chdir(NEW) < 0)
        return nc_err_set(err, errno, "chdir %s: %s", NEW, strerror(errno));
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return nc_err_set(err, errno, "pivot_root: %s", strerror(errno));
    if (umount2(".", MNT_DETACH) < 0)
        return nc_err_set(err, errno, "detach the host root: %s", strerror(errno));
    if (chdir("/") < 0)
        return nc_err_set(err, errno, "chdir /: %s", strerror(errno));
    /* The root tmpfs itself is read-only: nothing can be planted in /, /etc or /usr. */
    if (mnt(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL, err) < 0)
        return -1;
    if (chdir(plan->workspace) < 0)
        return nc_err_set(err, errno, "chdir %s: %s", plan->workspace, strerror(errno));
    return 0;
}
