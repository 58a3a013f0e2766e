/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: certificate-to-identity extraction (src/identity/svid.h).  The first byte picks
 * the entry: even = the rest is a DER certificate for nc_svid_cert_id; odd = the rest is a PEM
 * bundle for nc_bundle_from_pem.  Checks, with OpenSSL's own accessors (not ours):
 *   - an accepted certificate has exactly one URI SAN, equal to the returned ID, which parses
 *     again as a workload SPIFFE ID; it is not a CA (X509_check_ca == 0); its key usage is
 *     critical, has digitalSignature and neither keyCertSign nor cRLSign; an EKU, if any, has
 *     serverAuth and clientAuth;
 *   - a refused one comes with a reason other than OK; the best-effort claimed ID is always a
 *     valid SPIFFE ID or empty, and equals the returned ID when the certificate is accepted;
 *   - every certificate of an accepted bundle is a CA. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "identity/svid.h"

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c))                                                                             \
            abort();                                                                          \
    } while (0)

static int uri_sans(X509 *x, ASN1_IA5STRING **first)
{
    GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    int n = 0;
    *first = NULL;
    for (int i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        if (g->type == GEN_URI && n++ == 0)
            *first = ASN1_STRING_dup(g->d.uniformResourceIdentifier);
    }
    GENERAL_NAMES_free(names);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct nc_spiffe_id id, claimed, again;
    struct nc_err err;
    if (size < 1 || size > 65536)
        return 0;
    uint8_t mode = data[0];
    size_t n = size - 1;
    uint8_t *buf = malloc(n > 0 ? n : 1u);
    CHECK(buf != NULL);
    if (n > 0)
        memcpy(buf, data + 1, n);

    if ((mode & 1) == 0) {
        const unsigned char *p = buf;
        X509 *x = d2i_X509(NULL, &p, (long)n);
        if (x != NULL) {
            enum nc_svid_reason why = NC_SVID_REASON_COUNT;
            int rc = nc_svid_cert_id(x, &id, &why, &err);
            nc_svid_cert_claimed_id(x, &claimed);
            if (claimed.len > 0)
                CHECK(nc_spiffe_id_parse(claimed.id, claimed.len, 0, &again, &err) == 0);
            if (rc == 0) {
                ASN1_IA5STRING *u = NULL;
                CHECK(why == NC_SVID_OK);
                CHECK(uri_sans(x, &u) == 1 && u != NULL);
                CHECK((size_t)u->length == id.len && memcmp(u->data, id.id, id.len) == 0);
                ASN1_STRING_free(u);
                CHECK(nc_spiffe_id_parse(id.id, id.len, NC_SPIFFE_REQUIRE_PATH, &again, &err) == 0);
                CHECK(claimed.len == id.len && memcmp(claimed.id, id.id, id.len) == 0);
                CHECK(X509_check_ca(x) == 0);
                uint32_t ku = X509_get_key_usage(x);
                CHECK((ku & KU_DIGITAL_SIGNATURE) != 0);
                CHECK((ku & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) == 0);
                int idx = X509_get_ext_by_NID(x, NID_key_usage, -1);
                CHECK(idx >= 0 && X509_EXTENSION_get_critical(X509_get_ext(x, idx)));
                if ((X509_get_extension_flags(x) & EXFLAG_XKUSAGE) != 0)
                    CHECK((X509_get_extended_key_usage(x) & (XKU_SSL_SERVER | XKU_SSL_CLIENT)) ==
                          (XKU_SSL_SERVER | XKU_SSL_CLIENT));
            } else {
                CHECK(why != NC_SVID_OK && why < NC_SVID_REASON_COUNT);
            }
            X509_free(x);
        }
    } else {
        struct nc_bundle *b = nc_bundle_from_pem((const char *)buf, n, &err);
        if (b != NULL) {
            CHECK(nc_bundle_count(b) > 0);
            for (size_t i = 0; i < nc_bundle_count(b); i++)
                CHECK(X509_check_ca(nc_bundle_cert(b, i)) == 1);
            nc_bundle_free(b);
        }
    }
    ERR_clear_error();
    free(buf);
    return 0;
}
