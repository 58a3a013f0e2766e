/* SPDX-License-Identifier: Apache-2.0 */
/* The built-in certificate authority: its state directory, root creation and rotation, and
 * the issuance of short-lived X.509 SVIDs.  Lives in the orchestrator only; the CA key never
 * enters a pod.  See docs/identity.md for the layout and the rotation procedure. */
#ifndef NC_IDENTITY_CA_H
#define NC_IDENTITY_CA_H

#include "identity/spiffe.h"
#include "identity/svid.h"
#include "util/err.h"

#include <stdbool.h>
#include <time.h>

#define NC_CA_DAYS_DEFAULT 365u /* days a root is valid */
#define NC_CA_DAYS_MAX 3650u
#define NC_CA_TRUST_DOMAIN_DEFAULT "nucleus.local"

enum nc_key_type {
    NC_KEY_EC_P256,
    NC_KEY_ED25519,
};

/* "ec-p256" / "ed25519" and back (-1 when unknown). */
const char *nc_key_type_name(enum nc_key_type t);
int nc_key_type_parse(const char *s);
/* A fresh private key of that type (EVP_PKEY_free it), or NULL with err. */
EVP_PKEY *nc_key_generate(enum nc_key_type t, struct nc_err *err);

/* The state directory: $XDG_STATE_HOME/nucleus when XDG_STATE_HOME is an absolute path, else
 * $HOME/.local/state/nucleus.  Only computes the name (ENOENT when neither is usable). */
int nc_identity_state_dir(char *out, size_t outsz, struct nc_err *err);
/* Creates dir and its missing parents; the last component is created with mode 0700 and must
 * end up a directory owned by us that group and others cannot write (EPERM otherwise). */
int nc_identity_mkdir_private(const char *dir, struct nc_err *err);

/* Creates <state>/ca/ (0700) with ca.key (0600), ca.crt and bundle.pem: a self-signed root for
 * trust_domain (URI SAN spiffe://<td>, cA=true pathlen 0, keyCertSign+cRLSign), valid `days`
 * days from now minus NC_SVID_BACKDATE.  Refuses to overwrite an existing CA (EEXIST). */
int nc_ca_init(const char *state_dir, const char *trust_domain, enum nc_key_type kt,
               unsigned days, struct nc_err *err);

struct nc_ca;

/* Loads the active root and its key from <state>/ca/, and the bundle.  Refuses a key file
 * readable by group or others (EPERM), a key that does not match the certificate, and a
 * certificate that is not a SPIFFE signing certificate. */
struct nc_ca *nc_ca_load(const char *state_dir, struct nc_err *err);
void nc_ca_free(struct nc_ca *ca);
/* What the orchestrator and the standalone proxy call: nc_ca_load, and on first use (no CA in
 * state_dir yet) nc_ca_init with the default trust domain, P-256 and NC_CA_DAYS_AUTO days,
 * then load.  A concurrent first use by another process (EEXIST) is not an error. */
#define NC_CA_DAYS_AUTO 3650u
struct nc_ca *nc_ca_open(const char *state_dir, struct nc_err *err);
/* spiffe://<trust domain> */
const struct nc_spiffe_id *nc_ca_trust_domain(const struct nc_ca *ca);
X509 *nc_ca_cert(const struct nc_ca *ca);                 /* borrowed */
const struct nc_bundle *nc_ca_bundle(const struct nc_ca *ca); /* borrowed: bundle.pem */

/* Options of an issuance; zero means the default. */
struct nc_issue_opts {
    unsigned ttl;            /* seconds (default NC_SVID_TTL_DEFAULT, at most NC_SVID_TTL_MAX) */
    enum nc_key_type key_type; /* of the new leaf key (default P-256) */
    time_t now;              /* issuance time (default: the clock); tests mint expired or
                                not-yet-valid SVIDs with it */
};

/* Issues an SVID for id (a workload ID of the CA's trust domain, EINVAL otherwise): a fresh
 * leaf key made here, a 128-bit random serial, notBefore = now - NC_SVID_BACKDATE, notAfter =
 * now + ttl (never past the root's notAfter), cA=false, critical key usage digitalSignature,
 * EKU serverAuth+clientAuth, the ID as the only URI SAN.  The chain holds the leaf only (the
 * root is the trust anchor, distributed in the bundle). */
struct nc_svid *nc_ca_issue(const struct nc_ca *ca, const struct nc_spiffe_id *id,
                            const struct nc_issue_opts *opts, struct nc_err *err);

/* Keeps dir supplied with a fresh SVID for id (what the orchestrator runs for every pod and
 * client, on a timer): issues and writes svid.pem, svid_key.pem and bundle.pem (atomically)
 * when the files are missing or unreadable, hold another ID, do not verify against the CA's
 * bundle, differ from the CA's bundle (a root rotation is under way), or are past half of
 * their lifetime (opts->now, default the clock).  Returns 1 when it issued, 0 when the current
 * SVID is still good, < 0 on error (the files are then left as they were). */
int nc_ca_ensure_svid(const struct nc_ca *ca, const struct nc_spiffe_id *id,
                      const struct nc_issue_opts *opts, const char *dir, struct nc_err *err);

/* Root rotation in three steps (docs/identity.md, "Rotating the CA"):
 *   PREPARE   make a new root (next.key/next.crt) and add it to bundle.pem; issuance still
 *             uses the current root, so peers learn the new root before meeting it;
 *   ACTIVATE  the new root becomes ca.key/ca.crt and signs from now on; the old root moves to
 *             prev.crt and stays in the bundle until every SVID it signed has expired;
 *   FINISH    drop prev.crt from the bundle; refused (EBUSY) before NC_SVID_TTL_MAX +
 *             NC_SVID_BACKDATE seconds have passed since ACTIVATE unless force. */
enum nc_ca_rotate_step {
    NC_CA_ROTATE_PREPARE,
    NC_CA_ROTATE_ACTIVATE,
    NC_CA_ROTATE_FINISH,
};
int nc_ca_rotate(const char *state_dir, enum nc_ca_rotate_step step, enum nc_key_type kt,
                 unsigned days, bool force, struct nc_err *err);

/* Where the rotation stands: which of next.crt and prev.crt exist, and (when prev exists) the
 * time after which FINISH is allowed. */
struct nc_ca_rotation {
    bool next;
    bool prev;
    time_t prev_until;
};
int nc_ca_rotation_state(const char *state_dir, struct nc_ca_rotation *st, struct nc_err *err);

#endif
