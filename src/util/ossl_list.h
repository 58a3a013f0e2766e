/* SPDX-License-Identifier: Apache-2.0 */
/* The OpenSSL functions nucleus calls, one list per library (X-macros): the single list that
 * ossl.h (the declarations), ossl.c (the loader) and the loader's tests expand.  No includes:
 * the names only. */
#ifndef NC_UTIL_OSSL_LIST_H
#define NC_UTIL_OSSL_LIST_H

/* The sonames the linker would record (OpenSSL 3's ABI). */
#define NC_OSSL_CRYPTO_SONAME "libcrypto.so.3"
#define NC_OSSL_SSL_SONAME "libssl.so.3"

/* The functions of libcrypto the project calls. */
#define NC_OSSL_CRYPTO_FUNCS(X) \
    X(ASN1_INTEGER_free) \
    X(ASN1_INTEGER_to_BN) \
    X(ASN1_TIME_to_tm) \
    X(BIO_clear_flags) \
    X(BIO_ctrl) \
    X(BIO_free) \
    X(BIO_free_all) \
    X(BIO_get_data) \
    X(BIO_get_new_index) \
    X(BIO_meth_free) \
    X(BIO_meth_new) \
    X(BIO_meth_set_create) \
    X(BIO_meth_set_ctrl) \
    X(BIO_meth_set_read) \
    X(BIO_meth_set_write) \
    X(BIO_new) \
    X(BIO_new_mem_buf) \
    X(BIO_set_data) \
    X(BIO_set_flags) \
    X(BIO_set_init) \
    X(BIO_s_mem) \
    X(BN_bin2bn) \
    X(BN_bn2hex) \
    X(BN_free) \
    X(BN_to_ASN1_INTEGER) \
    X(CRYPTO_free) \
    X(CRYPTO_get_ex_new_index) \
    X(CRYPTO_memcmp) \
    X(d2i_X509) \
    X(ERR_clear_error) \
    X(ERR_error_string_n) \
    X(ERR_peek_error) \
    X(ERR_peek_last_error) \
    X(ERR_pop_to_mark) \
    X(ERR_reason_error_string) \
    X(ERR_set_mark) \
    X(EVP_DecodeBlock) \
    X(EVP_Digest) \
    X(EVP_DigestFinal_ex) \
    X(EVP_DigestInit_ex) \
    X(EVP_DigestUpdate) \
    X(EVP_EncodeBlock) \
    X(EVP_MD_CTX_free) \
    X(EVP_MD_CTX_new) \
    X(EVP_PKEY_free) \
    X(EVP_PKEY_get_id) \
    X(EVP_PKEY_Q_keygen) \
    X(EVP_PKEY_up_ref) \
    X(EVP_sha256) \
    X(GENERAL_NAMES_free) \
    X(HMAC) \
    X(OBJ_nid2sn) \
    X(OPENSSL_cleanse) \
    X(OPENSSL_sk_free) \
    X(OPENSSL_sk_new_null) \
    X(OPENSSL_sk_num) \
    X(OPENSSL_sk_pop_free) \
    X(OPENSSL_sk_push) \
    X(OPENSSL_sk_shift) \
    X(OPENSSL_sk_value) \
    X(OpenSSL_version_num) \
    X(PEM_read_bio) \
    X(PEM_read_bio_PrivateKey) \
    X(PEM_write_bio_PrivateKey) \
    X(PEM_write_bio_X509) \
    X(RAND_bytes) \
    X(SHA256) \
    X(X509V3_EXT_conf_nid) \
    X(X509V3_set_ctx) \
    X(X509_add_ext) \
    X(X509_check_ca) \
    X(X509_check_issued) \
    X(X509_check_private_key) \
    X(X509_cmp) \
    X(X509_EXTENSION_free) \
    X(X509_EXTENSION_get_critical) \
    X(X509_free) \
    X(X509_get0_notAfter) \
    X(X509_get0_notBefore) \
    X(X509_get0_serialNumber) \
    X(X509_getm_notAfter) \
    X(X509_getm_notBefore) \
    X(X509_get_ext) \
    X(X509_get_extended_key_usage) \
    X(X509_get_extension_flags) \
    X(X509_get_ext_by_NID) \
    X(X509_get_ext_d2i) \
    X(X509_get_issuer_name) \
    X(X509_get_key_usage) \
    X(X509_get_subject_name) \
    X(X509_NAME_add_entry_by_txt) \
    X(X509_NAME_entry_count) \
    X(X509_NAME_oneline) \
    X(X509_new) \
    X(X509_set_issuer_name) \
    X(X509_set_pubkey) \
    X(X509_set_serialNumber) \
    X(X509_set_version) \
    X(X509_sign) \
    X(X509_STORE_add_cert) \
    X(X509_STORE_CTX_free) \
    X(X509_STORE_CTX_get0_cert) \
    X(X509_STORE_CTX_get_current_cert) \
    X(X509_STORE_CTX_get_error) \
    X(X509_STORE_CTX_get_error_depth) \
    X(X509_STORE_CTX_get_ex_data) \
    X(X509_STORE_CTX_init) \
    X(X509_STORE_CTX_new) \
    X(X509_STORE_CTX_set_error) \
    X(X509_STORE_CTX_set_purpose) \
    X(X509_STORE_CTX_set_time) \
    X(X509_STORE_free) \
    X(X509_STORE_new) \
    X(X509_time_adj) \
    X(X509_time_adj_ex) \
    X(X509_up_ref) \
    X(X509_verify_cert) \
    X(X509_verify_cert_error_string)

/* The functions of libssl the project calls. */
#define NC_OSSL_SSL_FUNCS(X) \
    X(SSL_CTX_check_private_key) \
    X(SSL_CTX_ctrl) \
    X(SSL_CTX_free) \
    X(SSL_CTX_new) \
    X(SSL_CTX_set_cert_store) \
    X(SSL_CTX_set_num_tickets) \
    X(SSL_CTX_set_options) \
    X(SSL_CTX_set_purpose) \
    X(SSL_CTX_set_verify) \
    X(SSL_CTX_use_PrivateKey) \
    X(SSL_CTX_use_certificate) \
    X(SSL_do_handshake) \
    X(SSL_free) \
    X(SSL_get0_peer_certificate) \
    X(SSL_get_error) \
    X(SSL_get_ex_data) \
    X(SSL_get_ex_data_X509_STORE_CTX_idx) \
    X(SSL_get_verify_result) \
    X(SSL_new) \
    X(SSL_read_ex) \
    X(SSL_set_accept_state) \
    X(SSL_set_bio) \
    X(SSL_set_connect_state) \
    X(SSL_set_ex_data) \
    X(SSL_shutdown) \
    X(SSL_version) \
    X(SSL_write_ex) \
    X(TLS_client_method) \
    X(TLS_server_method)

#endif
