/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of file access beneath the workspace (src/proxy/fs.h), from the attacker's side:
 * every escape is tried once with openat2 and once with the component-walk fallback.  Each
 * case gets a fresh workspace and a fresh "outside" directory under /tmp.
 *
 * Run a second time under tests/tools/nofeature with openat2 failing ENOSYS
 * (NC_TEST_NO_OPENAT2=1): then the "openat2" variants must silently use the fallback, which is
 * checked by a case that only passes when the fallback is really in use. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "proxy/fs.h"
#include "rmtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

struct ws {
    char root[256];
    char outside[256];
    int fd;
    struct nc_fs fs;
    struct nc_err err;
};

static bool have_openat2; /* the kernel (and any seccomp filter) lets openat2 through */
static bool expect_no_openat2;

static void rm_tree(const char *p)
{
    if (p[0] != '\0')
        (void)nc_test_rm_tree(p);
}

static int ws_setup(void **state)
{
    struct ws *w = calloc(1, sizeof(*w));
    char t1[] = "/tmp/nc-fs-ws-XXXXXX", t2[] = "/tmp/nc-fs-out-XXXXXX";
    if (w == NULL || mkdtemp(t1) == NULL || mkdtemp(t2) == NULL)
        return -1;
    if (realpath(t1, w->root) == NULL || realpath(t2, w->outside) == NULL)
        return -1;
    w->fd = open(w->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (w->fd < 0)
        return -1;
    w->fs.root_fd = w->fd;
    *state = w;
    return 0;
}

static int ws_teardown(void **state)
{
    struct ws *w = *state;
    close(w->fd);
    rm_tree(w->root);
    rm_tree(w->outside);
    free(w);
    return 0;
}

/* ---- helpers (absolute paths; only the code under test must stay beneath the root) ------ */

static void pathf(char *out, size_t n, const char *base, const char *rel)
{
    int r = snprintf(out, n, "%s/%s", base, rel);
    assert_true(r > 0 && (size_t)r < n);
}

static void put_file(const char *base, const char *rel, const char *content)
{
    char p[512];
    pathf(p, sizeof(p), base, rel);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);
}

static void put_dir(const char *base, const char *rel)
{
    char p[512];
    pathf(p, sizeof(p), base, rel);
    assert_int_equal(mkdir(p, 0755), 0);
}

static void put_link(const char *base, const char *rel, const char *target)
{
    char p[512];
    pathf(p, sizeof(p), base, rel);
    assert_int_equal(symlink(target, p), 0);
}

static char *slurp(const char *base, const char *rel)
{
    static char buf[4096];
    char p[512];
    pathf(p, sizeof(p), base, rel);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    ssize_t n = read(fd, buf, sizeof(buf) - 1u);
    close(fd);
    assert_true(n >= 0);
    buf[n] = '\0';
    return buf;
}

static bool exists(const char *base, const char *rel)
{
    char p[512];
    struct stat st;
    pathf(p, sizeof(p), base, rel);
    return lstat(p, &st) == 0;
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;
    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* Opens rel for reading; returns the fd or -errno, closing nothing the caller must. */
static int try_open(struct ws *w, const char *rel, unsigned flags, char *real, size_t realsz)
{
    return nc_fs_open(&w->fs, rel, O_RDONLY, flags, real, realsz, &w->err);
}

static bool fallback(const struct ws *w)
{
    return !nc_fs_uses_openat2(&w->fs);
}

/* Runs each case twice: with openat2 (when the kernel has it) and with the fallback. */
#define BOTH(name)                                                                            \
    static void name##_openat2(void **state)                                                  \
    {                                                                                         \
        struct ws *w = *state;                                                                \
        w->fs.no_openat2 = false;                                                             \
        name(w);                                                                              \
    }                                                                                         \
    static void name##_fallback(void **state)                                                 \
    {                                                                                         \
        struct ws *w = *state;                                                                \
        w->fs.no_openat2 = true;                                                              \
        name(w);                                                                              \
    }
#define T2(name)                                                                              \
    cmocka_unit_test_setup_teardown(name##_openat2, ws_setup, ws_teardown),                   \
        cmocka_unit_test_setup_teardown(name##_fallback, ws_setup, ws_teardown)

/* ---- escapes -------------------------------------------------------------------------- */

static void dotdot_refused(struct ws *w)
{
    put_dir(w->root, "a");
    put_file(w->outside, "secret", "s3cret");
    assert_int_equal(try_open(w, "..", 0, NULL, 0), -EXDEV);
    assert_int_equal(try_open(w, "../x", 0, NULL, 0), -EXDEV);
    assert_int_equal(try_open(w, "a/../../x", 0, NULL, 0), -EXDEV);
    /* even a ".." that would stay inside: paths reach fs.c normalized */
    assert_int_equal(try_open(w, "a/..", 0, NULL, 0), -EXDEV);
    assert_null(strstr(w->err.msg, w->root)); /* messages never name the host root */
}
BOTH(dotdot_refused)

static void absolute_refused(struct ws *w)
{
    char abs[512];
    put_file(w->root, "f", "x");
    pathf(abs, sizeof(abs), w->root, "f");
    assert_int_equal(try_open(w, "/etc/passwd", 0, NULL, 0), -EXDEV);
    assert_int_equal(try_open(w, abs, 0, NULL, 0), -EXDEV); /* even our own root, spelt out */
    assert_int_equal(try_open(w, "", 0, NULL, 0), -EINVAL);
}
BOTH(absolute_refused)

static void symlink_to_etc_passwd(struct ws *w)
{
    struct stat st;
    put_link(w->root, "pw", "/etc/passwd");
    put_link(w->root, "rel", "../../../../../../../etc/passwd");
    int r = try_open(w, "pw", 0, NULL, 0);
    assert_true(r < 0);
    assert_int_equal(r, fallback(w) ? -ELOOP : -EXDEV);
    r = try_open(w, "rel", 0, NULL, 0);
    assert_int_equal(r, fallback(w) ? -ELOOP : -EXDEV);
    r = nc_fs_open_file(&w->fs, "pw", 0, &st, NULL, 0, &w->err);
    assert_true(r < 0);
}
BOTH(symlink_to_etc_passwd)

static void symlink_to_outside_dir(struct ws *w)
{
    struct nc_fs_write_info info;
    put_file(w->outside, "secret", "s3cret");
    put_link(w->root, "d", w->outside);
    char relt[600];
    (void)snprintf(relt, sizeof(relt), "../%s", strrchr(w->outside, '/') + 1);
    put_link(w->root, "r", relt);
    assert_true(try_open(w, "d/secret", 0, NULL, 0) < 0);
    assert_true(try_open(w, "r/secret", 0, NULL, 0) < 0);
    assert_true(try_open(w, "d", O_DIRECTORY, NULL, 0) < 0);
    /* writes through the link are refused and create nothing outside */
    assert_true(nc_fs_write_atomic(&w->fs, "d/new", "x", 1, NC_FS_EXPECT_ANY, NULL, NULL,
                                   &info, NULL, 0, &w->err) < 0);
    assert_true(nc_fs_write_atomic(&w->fs, "r/sub/new", "x", 1, NC_FS_EXPECT_ANY, NULL, NULL,
                                   &info, NULL, 0, &w->err) < 0);
    assert_int_equal(count_entries(w->outside), 1);
    assert_string_equal(slurp(w->outside, "secret"), "s3cret");
}
BOTH(symlink_to_outside_dir)

static void symlink_chains(struct ws *w)
{
    char real[NC_FS_PATH_MAX];
    put_link(w->root, "a", "b");
    put_link(w->root, "b", "c");
    put_link(w->root, "c", "/etc");
    assert_true(try_open(w, "a/passwd", 0, NULL, 0) < 0);
    /* a chain that stays inside: followed by openat2 (and reported), refused by the walk */
    put_file(w->root, "target.txt", "t");
    put_link(w->root, "x", "y");
    put_link(w->root, "y", "target.txt");
    int fd = try_open(w, "x", 0, real, sizeof(real));
    if (fallback(w)) {
        assert_int_equal(fd, -ELOOP);
    } else {
        assert_true(fd >= 0);
        assert_string_equal(real, "target.txt");
        close(fd);
    }
    /* a loop */
    put_link(w->root, "loop1", "loop2");
    put_link(w->root, "loop2", "loop1");
    assert_int_equal(try_open(w, "loop1", 0, NULL, 0), -ELOOP);
}
BOTH(symlink_chains)

static void proc_magic_links(struct ws *w)
{
    put_link(w->root, "root", "/proc/self/root");
    put_link(w->root, "pw", "/proc/self/root/etc/passwd");
    assert_true(try_open(w, "root/etc/passwd", 0, NULL, 0) < 0);
    assert_true(try_open(w, "pw", 0, NULL, 0) < 0);

    /* The real thing: /proc bound inside the workspace (a private mount namespace in a child,
     * root only).  /proc/self/root is a magic link: RESOLVE_NO_MAGICLINKS refuses it, the
     * walk refuses "self" already. */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char p[512];
        pathf(p, sizeof(p), w->root, "proc");
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mkdir(p, 0755) < 0 || mount("/proc", p, NULL, MS_BIND | MS_REC, NULL) < 0)
            _exit(77);
        /* The fd from before unshare() belongs to the parent's mount tree, which does not
         * have the bind: look from a root opened in this namespace. */
        struct nc_fs fs = w->fs;
        fs.root_fd = open(w->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fs.root_fd < 0)
            _exit(77);
        struct nc_err e;
        int fds[3];
        fds[0] = nc_fs_open(&fs, "proc/self/root/etc/passwd", O_RDONLY, 0, NULL, 0, &e);
        fds[1] = nc_fs_open(&fs, "proc/1/root/etc/passwd", O_RDONLY, 0, NULL, 0, &e);
        char fdpath[64];
        (void)snprintf(fdpath, sizeof(fdpath), "proc/self/fd/%d", fs.root_fd);
        fds[2] = nc_fs_open(&fs, fdpath, O_RDONLY | O_DIRECTORY, 0, NULL, 0, &e);
        /* ELOOP: the magic link itself was refused.  /proc/1/root may already be EACCES (no
         * ptrace access to pid 1): refused either way. */
        if (fds[0] != -ELOOP)
            _exit(10);
        if (fds[1] >= 0)
            _exit(11);
        if (fds[2] != -ELOOP)
            _exit(12);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        print_message("# magic links through a bind of /proc not tried (needs root)\n");
        return;
    }
    assert_int_equal(WEXITSTATUS(status), 0);
}
BOTH(proc_magic_links)

/* ---- writes replace, never write through ------------------------------------------------ */

static void hardlink_replaced(struct ws *w)
{
    char in[512], out[512];
    struct stat st;
    struct nc_fs_write_info info;
    put_file(w->outside, "target", "original");
    pathf(out, sizeof(out), w->outside, "target");
    pathf(in, sizeof(in), w->root, "h");
    assert_int_equal(link(out, in), 0);
    assert_int_equal(nc_fs_write_atomic(&w->fs, "h", "new", 3, NC_FS_EXPECT_EXISTS, NULL, NULL,
                                        &info, NULL, 0, &w->err),
                     0);
    assert_true(info.existed);
    assert_string_equal(slurp(w->root, "h"), "new");
    assert_string_equal(slurp(w->outside, "target"), "original");
    assert_int_equal(stat(out, &st), 0);
    assert_int_equal(st.st_nlink, 1); /* the link now names a new inode */
}
BOTH(hardlink_replaced)

static void symlink_at_target_replaced(struct ws *w)
{
    struct nc_fs_write_info info;
    struct stat st;
    char p[512];
    put_file(w->outside, "victim", "original");
    char target[512];
    pathf(target, sizeof(target), w->outside, "victim");
    put_link(w->root, "l", target);
    assert_int_equal(nc_fs_write_atomic(&w->fs, "l", "mine", 4, NC_FS_EXPECT_EXISTS, NULL, NULL,
                                        &info, NULL, 0, &w->err),
                     0);
    assert_true(info.was_link);
    pathf(p, sizeof(p), w->root, "l");
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_string_equal(slurp(w->root, "l"), "mine");
    assert_string_equal(slurp(w->outside, "victim"), "original");
}
BOTH(symlink_at_target_replaced)

static void dir_swapped_for_symlink(struct ws *w)
{
    char d[512], moved[512];
    struct stat st;
    struct nc_fs_write_info info;
    char real[NC_FS_PATH_MAX];
    put_dir(w->root, "d");
    put_file(w->root, "d/f", "inside");
    put_file(w->outside, "f", "outside");
    /* "plan": the file is there and a regular file */
    assert_int_equal(nc_fs_lstat(&w->fs, "d/f", &st, NULL, 0, &w->err), 0);
    /* the attacker swaps the directory for a link out */
    pathf(d, sizeof(d), w->root, "d");
    pathf(moved, sizeof(moved), w->root, "d.old");
    assert_int_equal(rename(d, moved), 0);
    put_link(w->root, "d", w->outside);
    /* "exec" */
    assert_true(nc_fs_open_file(&w->fs, "d/f", 0, &st, NULL, 0, &w->err) < 0);
    assert_true(nc_fs_write_atomic(&w->fs, "d/f", "pwn", 3, NC_FS_EXPECT_EXISTS, NULL, NULL,
                                   &info, NULL, 0, &w->err) < 0);
    assert_string_equal(slurp(w->outside, "f"), "outside");
    assert_int_equal(count_entries(w->outside), 1);

    /* swapped for a link to another directory inside: openat2 reports where it led, so the
     * caller can decide again; the fallback refuses */
    assert_int_equal(unlink(d), 0);
    put_dir(w->root, "secrets");
    put_file(w->root, "secrets/f", "key");
    put_link(w->root, "d", "secrets");
    int fd = nc_fs_open_file(&w->fs, "d/f", 0, &st, real, sizeof(real), &w->err);
    if (fallback(w)) {
        assert_int_equal(fd, -ELOOP);
    } else {
        assert_true(fd >= 0);
        assert_string_equal(real, "secrets/f");
        close(fd);
    }
}
BOTH(dir_swapped_for_symlink)

static void special_files_refused(struct ws *w)
{
    char p[512];
    struct stat st;
    pathf(p, sizeof(p), w->root, "fifo");
    assert_int_equal(mkfifo(p, 0644), 0);
    alarm(10); /* a blocking open would hang here: fail loudly instead */
    int r = nc_fs_open_file(&w->fs, "fifo", 0, &st, NULL, 0, &w->err);
    alarm(0);
    assert_int_equal(r, -ENODEV);
    put_dir(w->root, "dir");
    assert_int_equal(nc_fs_open_file(&w->fs, "dir", 0, &st, NULL, 0, &w->err), -EISDIR);
    pathf(p, sizeof(p), w->root, "null");
    if (mknod(p, S_IFCHR | 0666, makedev(1, 3)) == 0) {
        assert_int_equal(nc_fs_open_file(&w->fs, "null", 0, &st, NULL, 0, &w->err), -ENODEV);
    } else {
        print_message("# device node not tried (mknod needs CAP_MKNOD)\n");
    }
}
BOTH(special_files_refused)

/* ---- the fallback is really the fallback ------------------------------------------------ */

static void inside_symlink(struct ws *w)
{
    char real[NC_FS_PATH_MAX];
    put_file(w->root, "real.txt", "hello");
    put_dir(w->root, "sub");
    put_link(w->root, "link", "real.txt");
    put_link(w->root, "sub/up", "../real.txt");
    int fd = try_open(w, "link", 0, real, sizeof(real));
    int fd2 = try_open(w, "sub/up", 0, NULL, 0);
    if (fallback(w)) {
        /* stricter than openat2: every symlink is refused */
        assert_int_equal(fd, -ELOOP);
        assert_int_equal(fd2, -ELOOP);
    } else {
        assert_true(fd >= 0 && fd2 >= 0);
        assert_string_equal(real, "real.txt");
        close(fd);
        close(fd2);
        /* NC_FS_NOFOLLOW refuses it with openat2 too */
        assert_int_equal(try_open(w, "link", NC_FS_NOFOLLOW, NULL, 0), -ELOOP);
    }
    /* no symlink: both resolve the same, real == rel */
    fd = try_open(w, "real.txt", 0, real, sizeof(real));
    assert_true(fd >= 0);
    assert_string_equal(real, "real.txt");
    close(fd);
}
BOTH(inside_symlink)

static void openat2_variant_uses_openat2(void **state)
{
    struct ws *w = *state;
    w->fs.no_openat2 = false;
    if (expect_no_openat2) {
        /* Under nofeature: openat2 answers ENOSYS and the resolver must fall back on its own.
         * Proven by behaviour: an inside symlink that openat2 would follow is refused. */
        assert_false(have_openat2);
        put_file(w->root, "real.txt", "x");
        put_link(w->root, "link", "real.txt");
        assert_int_equal(try_open(w, "link", 0, NULL, 0), -ELOOP);
        assert_false(nc_fs_uses_openat2(&w->fs));
        return;
    }
    if (!have_openat2)
        skip(); /* the kernel has no openat2: the fallback case covers this machine */
    assert_true(nc_fs_uses_openat2(&w->fs));
    w->fs.no_openat2 = true;
    assert_false(nc_fs_uses_openat2(&w->fs));
}

/* ---- atomic writes ------------------------------------------------------------------- */

static void write_creates_and_replaces(struct ws *w)
{
    struct nc_fs_write_info info;
    struct stat st;
    char p[512], real[NC_FS_PATH_MAX];
    assert_int_equal(nc_fs_write_atomic(&w->fs, "a/b/c.txt", "one", 3, NC_FS_EXPECT_NEW, NULL,
                                        NULL, &info, real, sizeof(real), &w->err),
                     0);
    assert_false(info.existed);
    assert_int_equal(info.created_dirs, 2);
    assert_string_equal(real, "a/b/c.txt");
    assert_string_equal(slurp(w->root, "a/b/c.txt"), "one");
    pathf(p, sizeof(p), w->root, "a/b");
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);
    pathf(p, sizeof(p), w->root, "a/b/c.txt");
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    /* an existing file keeps its permission bits (set-id bits are dropped) */
    assert_int_equal(chmod(p, 04750), 0);
    assert_int_equal(nc_fs_write_atomic(&w->fs, "a/b/c.txt", "two!", 4, NC_FS_EXPECT_EXISTS, NULL,
                                        NULL, &info, NULL, 0, &w->err),
                     0);
    assert_true(info.existed);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0750);
    assert_string_equal(slurp(w->root, "a/b/c.txt"), "two!");
    /* no temporary file is left behind */
    pathf(p, sizeof(p), w->root, "a/b");
    assert_int_equal(count_entries(p), 1);
    /* an empty file */
    assert_int_equal(nc_fs_write_atomic(&w->fs, "empty", "", 0, NC_FS_EXPECT_ANY, NULL, NULL,
                                        &info, NULL, 0, &w->err),
                     0);
    assert_string_equal(slurp(w->root, "empty"), "");
}
BOTH(write_creates_and_replaces)

static void write_expectations(struct ws *w)
{
    struct nc_fs_write_info info;
    put_file(w->root, "there", "x");
    put_dir(w->root, "adir");
    /* appeared since the plan looked */
    assert_int_equal(nc_fs_write_atomic(&w->fs, "there", "y", 1, NC_FS_EXPECT_NEW, NULL, NULL,
                                        &info, NULL, 0, &w->err),
                     -ESTALE);
    assert_string_equal(slurp(w->root, "there"), "x");
    /* vanished since the plan looked */
    assert_int_equal(nc_fs_write_atomic(&w->fs, "gone", "y", 1, NC_FS_EXPECT_EXISTS, NULL, NULL,
                                        &info, NULL, 0, &w->err),
                     -ESTALE);
    assert_false(exists(w->root, "gone"));
    assert_int_equal(nc_fs_write_atomic(&w->fs, "adir", "y", 1, NC_FS_EXPECT_ANY, NULL, NULL,
                                        &info, NULL, 0, &w->err),
                     -EISDIR);
    assert_int_equal(nc_fs_write_atomic(&w->fs, ".", "y", 1, NC_FS_EXPECT_ANY, NULL, NULL, &info,
                                        NULL, 0, &w->err),
                     -EISDIR);
    assert_int_equal(nc_fs_write_atomic(&w->fs, "there/sub", "y", 1, NC_FS_EXPECT_ANY, NULL,
                                        NULL, &info, NULL, 0, &w->err),
                     -ENOTDIR);
    assert_int_equal(count_entries(w->root), 2);
}
BOTH(write_expectations)

struct seen {
    char real[NC_FS_PATH_MAX];
    int calls;
    bool refuse;
};

static int record_check(void *arg, const char *real, struct nc_err *err)
{
    struct seen *s = arg;
    s->calls++;
    (void)snprintf(s->real, sizeof(s->real), "%s", real);
    return s->refuse ? nc_err_set(err, EPERM, "refused by the test") : 0;
}

static void write_check_sees_real_path_first(struct ws *w)
{
    struct nc_fs_write_info info;
    struct seen s = {.refuse = true};
    put_dir(w->root, "real");
    put_link(w->root, "alias", "real");
    /* refused before anything exists: no directory is created */
    assert_int_equal(nc_fs_write_atomic(&w->fs, "new/dir/f", "x", 1, NC_FS_EXPECT_ANY,
                                        record_check, &s, &info, NULL, 0, &w->err),
                     -EPERM);
    assert_int_equal(s.calls, 1);
    assert_string_equal(s.real, "new/dir/f");
    assert_false(exists(w->root, "new"));
    /* through an inside link the check sees the real target (openat2) */
    s.refuse = false;
    int r = nc_fs_write_atomic(&w->fs, "alias/sub/f", "x", 1, NC_FS_EXPECT_ANY, record_check, &s,
                               &info, NULL, 0, &w->err);
    if (fallback(w)) {
        assert_int_equal(r, -ELOOP);
    } else {
        assert_int_equal(r, 0);
        assert_string_equal(s.real, "real/sub/f");
        assert_string_equal(slurp(w->root, "real/sub/f"), "x");
    }
}
BOTH(write_check_sees_real_path_first)

static void lstat_and_read_all(struct ws *w)
{
    struct stat st;
    char real[NC_FS_PATH_MAX], *buf = NULL;
    size_t len = 0;
    put_file(w->root, "f", "0123456789");
    assert_int_equal(nc_fs_lstat(&w->fs, ".", &st, real, sizeof(real), &w->err), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_string_equal(real, ".");
    assert_int_equal(nc_fs_lstat(&w->fs, "f", &st, real, sizeof(real), &w->err), 0);
    assert_int_equal(st.st_size, 10);
    assert_int_equal(nc_fs_lstat(&w->fs, "missing", &st, NULL, 0, &w->err), -ENOENT);
    put_link(w->root, "l", "/etc/passwd");
    assert_int_equal(nc_fs_lstat(&w->fs, "l", &st, NULL, 0, &w->err), 0); /* the link itself */
    assert_true(S_ISLNK(st.st_mode));

    int fd = nc_fs_open_file(&w->fs, "f", 0, &st, NULL, 0, &w->err);
    assert_true(fd >= 0);
    assert_int_equal(nc_fs_read_all(fd, 9, &buf, &len, &w->err), -EFBIG);
    assert_null(buf);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    assert_int_equal(nc_fs_read_all(fd, 10, &buf, &len, &w->err), 0);
    assert_int_equal(len, 10);
    assert_string_equal(buf, "0123456789");
    free(buf);
    close(fd);
    /* nc_fs_open never creates */
    assert_int_equal(nc_fs_open(&w->fs, "new", O_WRONLY | O_CREAT, 0, NULL, 0, &w->err),
                     -EINVAL);
    assert_false(exists(w->root, "new"));
}
BOTH(lstat_and_read_all)

/* ---- walking ---------------------------------------------------------------------------- */

struct walked {
    char list[2048];
    atomic_bool cancel;
    int stop_after;
    int n;
};

static int walk_entry(void *arg, const struct nc_fs_entry *e, struct nc_err *err)
{
    struct walked *wk = arg;
    static const char t[] = "fdlo";
    size_t used = strlen(wk->list);
    (void)err;
    (void)snprintf(wk->list + used, sizeof(wk->list) - used, "%s%s:%c", used ? " " : "", e->rel,
                   t[e->type]);
    wk->n++;
    if (wk->stop_after > 0 && wk->n == wk->stop_after)
        atomic_store(&wk->cancel, true);
    if (e->type == NC_FS_DIR && strcmp(e->name, "pruned") == 0)
        return NC_FS_WALK_PRUNE;
    return NC_FS_WALK_CONTINUE;
}

static void walk_tree(struct ws *w)
{
    struct walked wk;
    struct nc_fs_walk_ops ops = {.entry = walk_entry, .cancelled = &wk.cancel};
    struct nc_fs_walk_stats st;
    char p[512];
    memset(&wk, 0, sizeof(wk));
    put_dir(w->root, "b");
    put_file(w->root, "b/z", "");
    put_file(w->root, "a", "");
    put_dir(w->root, "pruned");
    put_file(w->root, "pruned/hidden", "");
    put_link(w->root, "c", w->outside); /* a link to a directory outside: listed, not entered */
    put_file(w->outside, "out", "");
    pathf(p, sizeof(p), w->root, "fifo");
    assert_int_equal(mkfifo(p, 0644), 0);
    assert_int_equal(nc_fs_walk(&w->fs, ".", &ops, &wk, &st, &w->err), 0);
    assert_string_equal(wk.list, "a:f b:d b/z:f c:l fifo:o pruned:d");
    assert_int_equal(st.dirs, 2);
    /* from a subdirectory */
    memset(&wk, 0, sizeof(wk));
    assert_int_equal(nc_fs_walk(&w->fs, "b", &ops, &wk, &st, &w->err), 0);
    assert_string_equal(wk.list, "b/z:f");
    /* the start must not be reached through a link */
    assert_true(nc_fs_walk(&w->fs, "c", &ops, &wk, &st, &w->err) < 0);
    /* depth: entries of the deepest allowed level are reported, directories there not entered */
    put_dir(w->root, "b/c");
    put_file(w->root, "b/c/deep", "");
    memset(&wk, 0, sizeof(wk));
    ops.max_depth = 2;
    assert_int_equal(nc_fs_walk(&w->fs, "b", &ops, &wk, &st, &w->err), 0);
    assert_string_equal(wk.list, "b/c:d b/c/deep:f b/z:f");
    memset(&wk, 0, sizeof(wk));
    ops.max_depth = 1;
    assert_int_equal(nc_fs_walk(&w->fs, "b", &ops, &wk, &st, &w->err), 0);
    assert_string_equal(wk.list, "b/c:d b/z:f");
    assert_int_equal(st.too_deep, 1);
    ops.max_depth = 0;
    /* cancellation */
    memset(&wk, 0, sizeof(wk));
    wk.stop_after = 2;
    assert_int_equal(nc_fs_walk(&w->fs, ".", &ops, &wk, &st, &w->err), -ECANCELED);
    assert_int_equal(wk.n, 2);
}
BOTH(walk_tree)

static bool probe_openat2(void)
{
    struct open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH;
    long fd = syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof(how));
    if (fd >= 0) {
        close((int)fd);
        return true;
    }
    return errno != ENOSYS;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T2(dotdot_refused),
        T2(absolute_refused),
        T2(symlink_to_etc_passwd),
        T2(symlink_to_outside_dir),
        T2(symlink_chains),
        T2(proc_magic_links),
        T2(hardlink_replaced),
        T2(symlink_at_target_replaced),
        T2(dir_swapped_for_symlink),
        T2(special_files_refused),
        T2(inside_symlink),
        cmocka_unit_test_setup_teardown(openat2_variant_uses_openat2, ws_setup, ws_teardown),
        T2(write_creates_and_replaces),
        T2(write_expectations),
        T2(write_check_sees_real_path_first),
        T2(lstat_and_read_all),
        T2(walk_tree),
    };
    const char *e = getenv("NC_TEST_NO_OPENAT2");
    expect_no_openat2 = e != NULL && strcmp(e, "1") == 0;
    have_openat2 = probe_openat2();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
