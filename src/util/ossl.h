/* SPDX-License-Identifier: Apache-2.0 */
/* OpenSSL (libcrypto and libssl 3), loaded on first use with dlopen rather than linked, so that
 * the commands that never use it (nucleus exec above all) do not pay for it at every start.
 *
 * Linking the two libraries cost about 5 ms per process start (the dynamic linker relocates
 * their symbols: 193 page faults instead of 49), which alone made `nucleus exec -- /bin/true`
 * 1.2 times as slow as bwrap (docs/benchmarks.md, docs/design/0013-lazy-openssl.md).
 *
 * Every file of src/ that uses OpenSSL includes this header, never <openssl/...> itself
 * (tests/ossl/ossl.sh checks it).  Each function the project calls is listed once, in
 * NC_OSSL_CRYPTO_FUNCS or NC_OSSL_SSL_FUNCS; this header declares a pointer nc_ossl.fn.F for
 * it in one table and defines F as (*nc_ossl.fn.F), so the call sites read as plain OpenSSL.  A
 * call to a function missing from the lists does not build: nucleus does not link libcrypto, so
 * the reference to the real symbol is undefined at link time.  A listed function without its
 * #define below is a compile error (checked below for every entry).  Until nc_ossl_load()
 * succeeds, every pointer leads to a stub that names the function and aborts: a command that
 * forgot to load fails loudly, it never calls NULL.  Once it succeeds, the table is read-only.
 *
 * To add a function: one X(name) line in the list of its library (ossl_list.h) and one
 * #define below, for the exported symbol, not a macro (SSL_CTX_set_min_proto_version is
 * SSL_CTX_ctrl; `nm -D --undefined-only` on a program linked with -lcrypto shows the names).
 *
 * Test and fuzz programs compiled with NC_OSSL_DIRECT get the declarations of OpenSSL without
 * the redirection: they link the libraries themselves and load the table from a constructor
 * (ossl_eager.c). */
#ifndef NC_UTIL_OSSL_H
#define NC_UTIL_OSSL_H

#include "util/err.h"
#include "util/ossl_list.h"
#include "util/seal.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* Loads libcrypto and libssl, resolves every listed function into the table and makes the
 * table read-only (mprotect) before returning.  Idempotent and thread-safe: the work happens
 * once, under pthread_once; later calls return its result (0, or -1 with the same message:
 * which library could not be loaded, or which function it lacks, or that it is older than 3.0,
 * or that the table could not be made read-only).  Fail closed: on any failure the table holds
 * the aborting stubs, never a resolved pointer left writable. */
int nc_ossl_load(struct nc_err *err);

#ifndef NC_OSSL_DIRECT
/* The table: one pointer per listed function, named after it.  It fills whole pages of its own
 * (util/seal.h), so that nc_ossl_load() can make it read-only once every pointer is set, before
 * any is used; from then on a write to it faults, as a write to the GOT of a library linked with
 * `-z relro -z now` would. */
#define NC_OSSL_MEMBER(f) __typeof__(f) *f;
struct nc_ossl_fns {
    NC_OSSL_CRYPTO_FUNCS(NC_OSSL_MEMBER)
    NC_OSSL_SSL_FUNCS(NC_OSSL_MEMBER)
};
#undef NC_OSSL_MEMBER
union nc_ossl_table {
    struct nc_ossl_fns fn;
    unsigned char pages[NC_SEAL_SIZE(sizeof(struct nc_ossl_fns))];
} __attribute__((aligned(NC_SEAL_PAGE)));
_Static_assert(sizeof(union nc_ossl_table) % NC_SEAL_PAGE == 0, "the table fills whole pages");
extern union nc_ossl_table nc_ossl;

#ifndef NC_OSSL_TABLE
/* clang-format off */
#define ASN1_INTEGER_free (*nc_ossl.fn.ASN1_INTEGER_free)
#define ASN1_INTEGER_to_BN (*nc_ossl.fn.ASN1_INTEGER_to_BN)
#define ASN1_TIME_to_tm (*nc_ossl.fn.ASN1_TIME_to_tm)
#define BIO_clear_flags (*nc_ossl.fn.BIO_clear_flags)
#define BIO_ctrl (*nc_ossl.fn.BIO_ctrl)
#define BIO_free (*nc_ossl.fn.BIO_free)
#define BIO_free_all (*nc_ossl.fn.BIO_free_all)
#define BIO_get_data (*nc_ossl.fn.BIO_get_data)
#define BIO_get_new_index (*nc_ossl.fn.BIO_get_new_index)
#define BIO_meth_free (*nc_ossl.fn.BIO_meth_free)
#define BIO_meth_new (*nc_ossl.fn.BIO_meth_new)
#define BIO_meth_set_create (*nc_ossl.fn.BIO_meth_set_create)
#define BIO_meth_set_ctrl (*nc_ossl.fn.BIO_meth_set_ctrl)
#define BIO_meth_set_read (*nc_ossl.fn.BIO_meth_set_read)
#define BIO_meth_set_write (*nc_ossl.fn.BIO_meth_set_write)
#define BIO_new (*nc_ossl.fn.BIO_new)
#define BIO_new_mem_buf (*nc_ossl.fn.BIO_new_mem_buf)
#define BIO_set_data (*nc_ossl.fn.BIO_set_data)
#define BIO_set_flags (*nc_ossl.fn.BIO_set_flags)
#define BIO_set_init (*nc_ossl.fn.BIO_set_init)
#define BIO_s_mem (*nc_ossl.fn.BIO_s_mem)
#define BN_bin2bn (*nc_ossl.fn.BN_bin2bn)
#define BN_bn2hex (*nc_ossl.fn.BN_bn2hex)
#define BN_free (*nc_ossl.fn.BN_free)
#define BN_to_ASN1_INTEGER (*nc_ossl.fn.BN_to_ASN1_INTEGER)
#define CRYPTO_free (*nc_ossl.fn.CRYPTO_free)
#define CRYPTO_get_ex_new_index (*nc_ossl.fn.CRYPTO_get_ex_new_index)
#define CRYPTO_memcmp (*nc_ossl.fn.CRYPTO_memcmp)
#define d2i_X509 (*nc_ossl.fn.d2i_X509)
#define ERR_clear_error (*nc_ossl.fn.ERR_clear_error)
#define ERR_error_string_n (*nc_ossl.fn.ERR_error_string_n)
#define ERR_peek_error (*nc_ossl.fn.ERR_peek_error)
#define ERR_peek_last_error (*nc_ossl.fn.ERR_peek_last_error)
#define ERR_pop_to_mark (*nc_ossl.fn.ERR_pop_to_mark)
#define ERR_reason_error_string (*nc_ossl.fn.ERR_reason_error_string)
#define ERR_set_mark (*nc_ossl.fn.ERR_set_mark)
#define EVP_DecodeBlock (*nc_ossl.fn.EVP_DecodeBlock)
#define EVP_Digest (*nc_ossl.fn.EVP_Digest)
#define EVP_DigestFinal_ex (*nc_ossl.fn.EVP_DigestFinal_ex)
#define EVP_DigestInit_ex (*nc_ossl.fn.EVP_DigestInit_ex)
#define EVP_DigestUpdate (*nc_ossl.fn.EVP_DigestUpdate)
#define EVP_EncodeBlock (*nc_ossl.fn.EVP_EncodeBlock)
#define EVP_MD_CTX_free (*nc_ossl.fn.EVP_MD_CTX_free)
#define EVP_MD_CTX_new (*nc_ossl.fn.EVP_MD_CTX_new)
#define EVP_PKEY_free (*nc_ossl.fn.EVP_PKEY_free)
#define EVP_PKEY_get_id (*nc_ossl.fn.EVP_PKEY_get_id)
#define EVP_PKEY_Q_keygen (*nc_ossl.fn.EVP_PKEY_Q_keygen)
#define EVP_PKEY_up_ref (*nc_ossl.fn.EVP_PKEY_up_ref)
#define EVP_sha256 (*nc_ossl.fn.EVP_sha256)
#define GENERAL_NAMES_free (*nc_ossl.fn.GENERAL_NAMES_free)
#define HMAC (*nc_ossl.fn.HMAC)
#define OBJ_nid2sn (*nc_ossl.fn.OBJ_nid2sn)
#define OPENSSL_cleanse (*nc_ossl.fn.OPENSSL_cleanse)
#define OPENSSL_sk_free (*nc_ossl.fn.OPENSSL_sk_free)
#define OPENSSL_sk_new_null (*nc_ossl.fn.OPENSSL_sk_new_null)
#define OPENSSL_sk_num (*nc_ossl.fn.OPENSSL_sk_num)
#define OPENSSL_sk_pop_free (*nc_ossl.fn.OPENSSL_sk_pop_free)
#define OPENSSL_sk_push (*nc_ossl.fn.OPENSSL_sk_push)
#define OPENSSL_sk_shift (*nc_ossl.fn.OPENSSL_sk_shift)
#define OPENSSL_sk_value (*nc_ossl.fn.OPENSSL_sk_value)
#define OpenSSL_version_num (*nc_ossl.fn.OpenSSL_version_num)
#define PEM_read_bio (*nc_ossl.fn.PEM_read_bio)
#define PEM_read_bio_PrivateKey (*nc_ossl.fn.PEM_read_bio_PrivateKey)
#define PEM_write_bio_PrivateKey (*nc_ossl.fn.PEM_write_bio_PrivateKey)
#define PEM_write_bio_X509 (*nc_ossl.fn.PEM_write_bio_X509)
#define RAND_bytes (*nc_ossl.fn.RAND_bytes)
#define SHA256 (*nc_ossl.fn.SHA256)
#define X509V3_EXT_conf_nid (*nc_ossl.fn.X509V3_EXT_conf_nid)
#define X509V3_set_ctx (*nc_ossl.fn.X509V3_set_ctx)
#define X509_add_ext (*nc_ossl.fn.X509_add_ext)
#define X509_check_ca (*nc_ossl.fn.X509_check_ca)
#define X509_check_issued (*nc_ossl.fn.X509_check_issued)
#define X509_check_private_key (*nc_ossl.fn.X509_check_private_key)
#define X509_cmp (*nc_ossl.fn.X509_cmp)
#define X509_EXTENSION_free (*nc_ossl.fn.X509_EXTENSION_free)
#define X509_EXTENSION_get_critical (*nc_ossl.fn.X509_EXTENSION_get_critical)
#define X509_free (*nc_ossl.fn.X509_free)
#define X509_get0_notAfter (*nc_ossl.fn.X509_get0_notAfter)
#define X509_get0_notBefore (*nc_ossl.fn.X509_get0_notBefore)
#define X509_get0_serialNumber (*nc_ossl.fn.X509_get0_serialNumber)
#define X509_getm_notAfter (*nc_ossl.fn.X509_getm_notAfter)
#define X509_getm_notBefore (*nc_ossl.fn.X509_getm_notBefore)
#define X509_get_ext (*nc_ossl.fn.X509_get_ext)
#define X509_get_extended_key_usage (*nc_ossl.fn.X509_get_extended_key_usage)
#define X509_get_extension_flags (*nc_ossl.fn.X509_get_extension_flags)
#define X509_get_ext_by_NID (*nc_ossl.fn.X509_get_ext_by_NID)
#define X509_get_ext_d2i (*nc_ossl.fn.X509_get_ext_d2i)
#define X509_get_issuer_name (*nc_ossl.fn.X509_get_issuer_name)
#define X509_get_key_usage (*nc_ossl.fn.X509_get_key_usage)
#define X509_get_subject_name (*nc_ossl.fn.X509_get_subject_name)
#define X509_NAME_add_entry_by_txt (*nc_ossl.fn.X509_NAME_add_entry_by_txt)
#define X509_NAME_entry_count (*nc_ossl.fn.X509_NAME_entry_count)
#define X509_NAME_oneline (*nc_ossl.fn.X509_NAME_oneline)
#define X509_new (*nc_ossl.fn.X509_new)
#define X509_set_issuer_name (*nc_ossl.fn.X509_set_issuer_name)
#define X509_set_pubkey (*nc_ossl.fn.X509_set_pubkey)
#define X509_set_serialNumber (*nc_ossl.fn.X509_set_serialNumber)
#define X509_set_version (*nc_ossl.fn.X509_set_version)
#define X509_sign (*nc_ossl.fn.X509_sign)
#define X509_STORE_add_cert (*nc_ossl.fn.X509_STORE_add_cert)
#define X509_STORE_CTX_free (*nc_ossl.fn.X509_STORE_CTX_free)
#define X509_STORE_CTX_get0_cert (*nc_ossl.fn.X509_STORE_CTX_get0_cert)
#define X509_STORE_CTX_get_current_cert (*nc_ossl.fn.X509_STORE_CTX_get_current_cert)
#define X509_STORE_CTX_get_error (*nc_ossl.fn.X509_STORE_CTX_get_error)
#define X509_STORE_CTX_get_error_depth (*nc_ossl.fn.X509_STORE_CTX_get_error_depth)
#define X509_STORE_CTX_get_ex_data (*nc_ossl.fn.X509_STORE_CTX_get_ex_data)
#define X509_STORE_CTX_init (*nc_ossl.fn.X509_STORE_CTX_init)
#define X509_STORE_CTX_new (*nc_ossl.fn.X509_STORE_CTX_new)
#define X509_STORE_CTX_set_error (*nc_ossl.fn.X509_STORE_CTX_set_error)
#define X509_STORE_CTX_set_purpose (*nc_ossl.fn.X509_STORE_CTX_set_purpose)
#define X509_STORE_CTX_set_time (*nc_ossl.fn.X509_STORE_CTX_set_time)
#define X509_STORE_free (*nc_ossl.fn.X509_STORE_free)
#define X509_STORE_new (*nc_ossl.fn.X509_STORE_new)
#define X509_time_adj (*nc_ossl.fn.X509_time_adj)
#define X509_time_adj_ex (*nc_ossl.fn.X509_time_adj_ex)
#define X509_up_ref (*nc_ossl.fn.X509_up_ref)
#define X509_verify_cert (*nc_ossl.fn.X509_verify_cert)
#define X509_verify_cert_error_string (*nc_ossl.fn.X509_verify_cert_error_string)
#define SSL_CTX_check_private_key (*nc_ossl.fn.SSL_CTX_check_private_key)
#define SSL_CTX_ctrl (*nc_ossl.fn.SSL_CTX_ctrl)
#define SSL_CTX_free (*nc_ossl.fn.SSL_CTX_free)
#define SSL_CTX_new (*nc_ossl.fn.SSL_CTX_new)
#define SSL_CTX_set_cert_store (*nc_ossl.fn.SSL_CTX_set_cert_store)
#define SSL_CTX_set_num_tickets (*nc_ossl.fn.SSL_CTX_set_num_tickets)
#define SSL_CTX_set_options (*nc_ossl.fn.SSL_CTX_set_options)
#define SSL_CTX_set_purpose (*nc_ossl.fn.SSL_CTX_set_purpose)
#define SSL_CTX_set_verify (*nc_ossl.fn.SSL_CTX_set_verify)
#define SSL_CTX_use_PrivateKey (*nc_ossl.fn.SSL_CTX_use_PrivateKey)
#define SSL_CTX_use_certificate (*nc_ossl.fn.SSL_CTX_use_certificate)
#define SSL_do_handshake (*nc_ossl.fn.SSL_do_handshake)
#define SSL_free (*nc_ossl.fn.SSL_free)
#define SSL_get0_peer_certificate (*nc_ossl.fn.SSL_get0_peer_certificate)
#define SSL_get_error (*nc_ossl.fn.SSL_get_error)
#define SSL_get_ex_data (*nc_ossl.fn.SSL_get_ex_data)
#define SSL_get_ex_data_X509_STORE_CTX_idx (*nc_ossl.fn.SSL_get_ex_data_X509_STORE_CTX_idx)
#define SSL_get_verify_result (*nc_ossl.fn.SSL_get_verify_result)
#define SSL_new (*nc_ossl.fn.SSL_new)
#define SSL_read_ex (*nc_ossl.fn.SSL_read_ex)
#define SSL_set_accept_state (*nc_ossl.fn.SSL_set_accept_state)
#define SSL_set_bio (*nc_ossl.fn.SSL_set_bio)
#define SSL_set_connect_state (*nc_ossl.fn.SSL_set_connect_state)
#define SSL_set_ex_data (*nc_ossl.fn.SSL_set_ex_data)
#define SSL_shutdown (*nc_ossl.fn.SSL_shutdown)
#define SSL_version (*nc_ossl.fn.SSL_version)
#define SSL_write_ex (*nc_ossl.fn.SSL_write_ex)
#define TLS_client_method (*nc_ossl.fn.TLS_client_method)
#define TLS_server_method (*nc_ossl.fn.TLS_server_method)
/* clang-format on */

/* Every listed function is redirected: its name expands to (*nc_ossl.fn.NAME).  Without the
 * #define, calls would bind to the real symbol, which nucleus does not link (a link error, but
 * a later and less clear one). */
#define NC_OSSL_STR_(x) #x
#define NC_OSSL_STR(x) NC_OSSL_STR_(x)
#define NC_OSSL_CHECK(f)                                                                       \
    _Static_assert(sizeof(NC_OSSL_STR(f)) == sizeof("(*nc_ossl.fn." #f ")"),                  \
                   "util/ossl.h: " #f " is listed but has no #define " #f " (*nc_ossl.fn." #f ")");
NC_OSSL_CRYPTO_FUNCS(NC_OSSL_CHECK)
NC_OSSL_SSL_FUNCS(NC_OSSL_CHECK)
#undef NC_OSSL_CHECK
#endif /* NC_OSSL_TABLE */
#endif /* NC_OSSL_DIRECT */

#endif
