/* SPDX-License-Identifier: Apache-2.0 */
/* File access beneath the workspace root for the tool proxy: path resolution that cannot leave
 * the root (openat2 RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, or a stricter component walk when
 * openat2 is missing), regular-file opens, atomic replacement and link-free directory walks.
 *
 * Resolution rules (docs/tools.md, "How paths are resolved"):
 *   - `rel` is workspace-relative and normalized (nc_path_normalize): no leading '/', "." for
 *     the root.  An absolute path or a ".." component is refused with EXDEV.
 *   - openat2 (Linux >= 5.6): the kernel refuses every escape (a ".." above the root, an
 *     absolute symlink, a symlink that leads out, a rename race) with EXDEV and every magic link
 *     (/proc/<pid>/root, /proc/<pid>/fd/N) with ELOOP.  Symlinks that stay beneath the root are
 *     followed unless NC_FS_NOFOLLOW is given; when one was followed, `real` receives the path
 *     of the object actually opened (read back from /proc/self/fd), so the caller can run the
 *     policy on what it reached, not on the name it was given.
 *   - Fallback (openat2 fails with ENOSYS, or nc_fs.no_openat2): one openat(O_NOFOLLOW) per
 *     component from the root fd.  Every symlink is refused (ELOOP), inside ones included:
 *     without the kernel's lookup-wide checks, following a link means re-implementing them in
 *     user space, and refusing is the simple safe choice.  `real` is then always `rel`.
 *   - Mount points inside the workspace are crossed (no RESOLVE_NO_XDEV): the pod binds
 *     protected paths read-only inside the workspace and they must stay readable; creating a
 *     mount needs privileges the agent does not have.
 *
 * Errors follow util/err.h (negative errno, err filled).  Messages name workspace-relative
 * paths only, never the host path of the root. */
#ifndef NC_PROXY_FS_H
#define NC_PROXY_FS_H

#include "util/err.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The workspace, as the file functions see it. */
struct nc_fs {
    int root_fd;     /* O_PATH|O_DIRECTORY of the root (borrowed) */
    bool no_openat2; /* force the component-walk fallback (tests, tools/nofeature) */
};

/* Flags for nc_fs_open and friends. */
#define NC_FS_NOFOLLOW 0x1u /* refuse a symlink anywhere on the path, even one inside */

/* How many bytes a path buffer (`real`) needs. */
#define NC_FS_PATH_MAX 4097u

/* True when this process resolves with openat2 (it was not forced off and the kernel has it;
 * the first ENOSYS switches every later call to the fallback). */
bool nc_fs_uses_openat2(const struct nc_fs *fs);

/* Opens `rel` beneath the root with `oflags` (O_CLOEXEC and O_NOCTTY are added; O_CREAT,
 * O_TMPFILE and O_TRUNC are refused with EINVAL: files are created only by
 * nc_fs_write_atomic).  Returns the fd, or a negative errno: ENOENT, ENOTDIR, EXDEV (escape),
 * ELOOP (a refused symlink or magic link), EACCES, ...  `real` (realsz bytes) receives the
 * workspace-relative path of the object opened; a caller that runs the policy must pass it
 * (or NC_FS_NOFOLLOW): with real == NULL a symlink inside the workspace is followed unchecked. */
int nc_fs_open(const struct nc_fs *fs, const char *rel, int oflags, unsigned flags, char *real,
               size_t realsz, struct nc_err *err);

/* Opens a regular file for reading: O_RDONLY|O_NONBLOCK (so a fifo cannot block the open),
 * then fstat: a directory is EISDIR, anything else that is not a regular file (fifo, socket,
 * device) is ENODEV.  Fills *st. */
int nc_fs_open_file(const struct nc_fs *fs, const char *rel, unsigned flags, struct stat *st,
                    char *real, size_t realsz, struct nc_err *err);

/* The same for one entry of an open directory (a name without '/', never followed). */
int nc_fs_open_file_at(int dirfd, const char *name, struct stat *st, struct nc_err *err);

/* lstat of the last component of `rel`, its parent resolved as nc_fs_open does.  ENOENT when
 * it does not exist.  `real` receives the path of the entry (parent's real path + name). */
int nc_fs_lstat(const struct nc_fs *fs, const char *rel, struct stat *st, char *real,
                size_t realsz, struct nc_err *err);

/* Reads until len bytes or end of file; retries EINTR.  Returns the count read or -errno. */
ssize_t nc_fs_read_full(int fd, void *buf, size_t len, struct nc_err *err);
/* Writes all len bytes; retries EINTR and short writes.  Returns 0 or -errno. */
int nc_fs_write_full(int fd, const void *buf, size_t len, struct nc_err *err);
/* Reads an open file whole into a new NUL-terminated buffer (free() it).  EFBIG when it holds
 * more than max bytes (the file may grow while it is read: the cap is on what was read). */
int nc_fs_read_all(int fd, size_t max, char **out, size_t *len, struct nc_err *err);

/* What a replacement expects to find at the target. */
enum nc_fs_expect {
    NC_FS_EXPECT_ANY = 0,
    NC_FS_EXPECT_EXISTS, /* replace an existing entry; ESTALE if it is gone */
    NC_FS_EXPECT_NEW,    /* create; ESTALE if something appeared there */
};

/* Called once the target's real path is known and before anything is created or changed;
 * returns 0 to proceed or a negative errno with err filled to refuse. */
typedef int (*nc_fs_check_fn)(void *arg, const char *real, struct nc_err *err);

struct nc_fs_write_info {
    bool existed;   /* something was at the target (the check of `expect` saw it) */
    bool was_link;  /* it was a symlink, now replaced by a regular file */
    mode_t mode;    /* permission bits of the new file */
    size_t created_dirs; /* missing parent directories created (mode 0755) */
};

/* Atomically creates or replaces `rel` with `len` bytes of data:
 *   1. resolves the longest existing prefix of the parent (as nc_fs_open does), computes the
 *      target's real path and calls check(arg, real) (may be NULL) before any change;
 *   2. creates missing parent directories one by one with mkdirat (0755), opening each with
 *      O_NOFOLLOW (a symlink raced in is refused);
 *   3. writes a temporary file in the target's directory (O_EXCL|O_NOFOLLOW), gives it the
 *      old file's permission bits (0644 for a new file; set-id bits are dropped) and owner
 *      (best effort), fsyncs it;
 *   4. renames it over the target: a symlink or a hard link at the target is replaced, never
 *      written through.  EXPECT_NEW uses RENAME_NOREPLACE, EXPECT_EXISTS uses RENAME_EXCHANGE
 *      (the check and the swap are one atomic step; the old file is then unlinked), so a
 *      target that appeared or vanished since the caller looked fails with ESTALE;
 *   5. fsyncs the directory.
 * A directory at the target is EISDIR; the temporary file is removed on every failure. */
int nc_fs_write_atomic(const struct nc_fs *fs, const char *rel, const void *data, size_t len,
                       enum nc_fs_expect expect, nc_fs_check_fn check, void *arg,
                       struct nc_fs_write_info *info, char *real, size_t realsz,
                       struct nc_err *err);

/* ---- walking ---------------------------------------------------------------------------- */

enum nc_fs_type {
    NC_FS_FILE = 0,
    NC_FS_DIR,
    NC_FS_SYMLINK,
    NC_FS_OTHER, /* fifo, socket, device */
};

struct nc_fs_entry {
    const char *rel;  /* workspace-relative path ("a/b") */
    const char *name; /* its last component */
    enum nc_fs_type type;
    int dirfd;        /* the parent directory, open (for *_at calls on name) */
    unsigned depth;   /* 1 for entries of the start directory */
};

/* What the entry callback returns. */
#define NC_FS_WALK_CONTINUE 0 /* go on (and descend, for a directory) */
#define NC_FS_WALK_PRUNE 1    /* do not descend into this directory */
#define NC_FS_WALK_STOP 2     /* end the walk now (nc_fs_walk returns 1) */

struct nc_fs_walk_ops {
    /* Each entry of each directory, in bytewise name order; < 0 aborts the walk. */
    int (*entry)(void *arg, const struct nc_fs_entry *e, struct nc_err *err);
    /* A directory was opened (dirfd readable), before its entries; may be NULL. */
    int (*enter)(void *arg, const char *rel, int dirfd, struct nc_err *err);
    /* Its entries are done; may be NULL. */
    void (*leave)(void *arg, const char *rel);
    const atomic_bool *cancelled; /* polled before each entry; may be NULL */
    unsigned max_depth;           /* 0 = 64 */
};

struct nc_fs_walk_stats {
    size_t dirs;       /* directories listed */
    size_t entries;    /* entries reported */
    size_t unreadable; /* directories that could not be opened or listed (skipped) */
    size_t too_deep;   /* directories not entered: deeper than max_depth or path too long */
};

/* Walks the directory `start` (workspace-relative; opened with NC_FS_NOFOLLOW, so give it the
 * real path) depth first.  Never follows a symlink: entries are opened with O_NOFOLLOW from
 * their parent's fd, and a directory swapped for a link after it was listed is skipped.
 * Returns 0 when done, 1 when the callback stopped it, -ECANCELED when cancelled, or the
 * callback's error. */
int nc_fs_walk(const struct nc_fs *fs, const char *start, const struct nc_fs_walk_ops *ops,
               void *arg, struct nc_fs_walk_stats *stats, struct nc_err *err);

#endif
