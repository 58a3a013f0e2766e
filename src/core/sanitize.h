/* SPDX-License-Identifier: Apache-2.0 */
/* Error sanitization: host paths never reach a client.  Pure. */
#ifndef NC_CORE_SANITIZE_H
#define NC_CORE_SANITIZE_H

#include <stddef.h>

/* Copies msg into out (always NUL-terminated when outsz > 0) with:
 *   the sandbox root (and anything beneath it)  -> "[sandbox]" + the part beneath it
 *   the home directory (and anything beneath it) -> "[home]" + the part beneath it
 *   any other absolute path                      -> "[path]"
 * A root or home only matches at a path boundary: with root /var/sb, "/var/sbx/f" is another
 * absolute path and becomes "[path]", never "[sandbox]x/f".  sandbox_root and home may be NULL
 * or empty (then only the generic rule applies).  Returns the length of the full result (like
 * snprintf); a result >= outsz was truncated.
 *
 * Tokens.  An absolute path starts at a '/' that begins the message or follows a byte that
 * cannot end a word: anything except a letter, digit, '.', '_', '-', '~' or '/' (so "and/or",
 * "a.b/c", "~/.ssh" and "../x" are not absolute paths, while "(/x", "'/x", "=/x", ":/x",
 * "[/x", "x]/y", "+/x" are).  It continues over letters, digits, bytes >= 0x80 (UTF-8 names
 * are never cut in two) and / . _ - + @ % ~, and stops at anything else (space, quotes, ':',
 * ',', ')', ']', '>', '=', controls ...).  A token of slashes only ("/", "//") names nothing
 * and is kept.  So a path containing a space or a ':' is replaced up to that byte; the rest
 * is relative text and reveals no absolute location.  URLs lose their path: "http:[path]".
 *
 * Roots.  Checked in order, sandbox root first (it may lie inside home): the root must start
 * the token and be followed by the end of the message, a '/' or a byte that ends tokens.  The
 * root is compared literally, after dropping trailing slashes ("/var/sb/" == "/var/sb"); it
 * may contain bytes that end tokens (a space).  A root that is not absolute or is only
 * slashes ("/") is ignored: "[sandbox]/etc/passwd" would reveal the path.  The part beneath
 * the root is kept as is ("[sandbox]/a/../../etc": it is relative to the sandbox and says
 * nothing about the host).
 *
 * Not idempotent, on purpose.  Every absolute path token is classified afresh, including one
 * that follows the text "[sandbox]" or "[home]": a second pass turns "[sandbox]/a/b" into
 * "[sandbox][path]".  Keeping such tails unchanged would make the function idempotent, but
 * then untrusted text ending in "[home]" glued to a real host path ("[home]/etc/x") would
 * carry that path out.  Sanitize once, at the boundary where an error leaves for a client.
 *
 * msg NULL is treated as "".  out NULL means measure only (nothing is written, whatever
 * outsz).  out must not overlap msg. */
size_t nc_sanitize(const char *msg, const char *sandbox_root, const char *home, char *out,
                   size_t outsz);

#endif
