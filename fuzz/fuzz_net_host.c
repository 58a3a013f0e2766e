/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the gateway's host parsing and the domain matcher.  The first byte chooses:
 *   0 nc_host_parse (brackets allowed)   1 nc_host_parse (SOCKS5 domain: no brackets)
 *   2 nc_authority_parse (port required)  3 nc_authority_parse (default port 80)
 *   4 nc_cidr_parse                        5 nc_hosts_parse
 *   6 the domain matcher: the input is "ENTRY\nENTRY...\n\nHOST"; entries the list refuses
 *     are skipped.
 * Checks: an accepted host is canonical (lowercase letters, digits, '-', '.', no trailing
 * dot, at most 253 bytes; parsing its text again gives the same host: idempotent); a
 * wildcard match means the host is a proper subdomain of the suffix (the "*.a.com" vs
 * "a.com" / "evil-a.com" edges), an exact match means equality. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/list.h"
#include "net/addr.h"
#include "net/host.h"
#include "net/rules.h"

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c))                                                                             \
            abort();                                                                          \
    } while (0)

static void check_canonical(const struct nc_host *h)
{
    size_t n = strlen(h->text);
    struct nc_host again;
    CHECK(n > 0 && n <= NC_HOST_NAME_MAX);
    if (h->kind == NC_HOST_NAME) {
        for (size_t i = 0; i < n; i++)
            CHECK((h->text[i] >= 'a' && h->text[i] <= 'z') ||
                  (h->text[i] >= '0' && h->text[i] <= '9') || h->text[i] == '-' ||
                  h->text[i] == '.');
        CHECK(h->text[n - 1] != '.' && h->text[0] != '.');
        CHECK(nc_host_parse(h->text, n, false, &again, NULL) == 0);
    } else if (h->kind == NC_HOST_IPV4) {
        CHECK(nc_host_parse(h->text, n, false, &again, NULL) == 0);
    } else {
        char br[NC_HOST_TEXT_MAX + 2];
        CHECK(n + 2 < sizeof(br));
        br[0] = '[';
        memcpy(br + 1, h->text, n);
        br[n + 1] = ']';
        CHECK(nc_host_parse(br, n + 2, true, &again, NULL) == 0);
    }
    CHECK(again.kind == h->kind && strcmp(again.text, h->text) == 0);
    if (h->kind != NC_HOST_NAME)
        CHECK(memcmp(again.addr, h->addr, h->kind == NC_HOST_IPV4 ? 4 : 16) == 0);
    (void)nc_addr_classify(h->kind == NC_HOST_IPV6 ? 10 : 2, h->addr);
}

static void matcher(const char *s, size_t n)
{
    static struct nc_list l;
    const char *why = NULL, *sep = NULL;
    char item[NC_ITEM_MAX + 1], host[600];
    size_t i = 0;

    for (size_t k = 0; k + 1 < n; k++)
        if (s[k] == '\n' && s[k + 1] == '\n') {
            sep = s + k;
            break;
        }
    if (sep == NULL)
        return;
    nc_list_init(&l, NC_LIST_DOMAINS, false);
    while (s + i < sep) {
        const char *nl = memchr(s + i, '\n', (size_t)(sep - s) - i + 1);
        size_t len = (size_t)(nl - (s + i));
        if (len <= NC_ITEM_MAX) {
            memcpy(item, s + i, len);
            item[len] = '\0';
            (void)nc_list_add(&l, item, &why);
        }
        i += len + 1;
    }
    size_t hl = n - (size_t)(sep + 2 - s);
    if (hl >= sizeof(host))
        return;
    memcpy(host, sep + 2, hl);
    host[hl] = '\0'; /* an embedded NUL shortens the host: the matcher sees a C string */
    int m = nc_list_match_domain(&l, host);
    if (m < 0)
        return;
    const char *e = nc_list_item(&l, (size_t)m);
    size_t el = strlen(e), len = strlen(host);
    char lower[600];
    for (size_t k = 0; k <= len; k++)
        lower[k] = (host[k] >= 'A' && host[k] <= 'Z') ? (char)(host[k] + 32) : host[k];
    if (e[0] == '*') {
        /* a proper subdomain: longer, a dot right before the suffix, the suffix equal */
        CHECK(len > el - 1);
        CHECK(lower[len - (el - 2) - 1] == '.');
        CHECK(strcmp(lower + len - (el - 2), e + 2) == 0);
    } else {
        CHECK(strcmp(lower, e) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nc_host h;
    uint16_t port;
    if (size < 1)
        return 0;
    uint8_t sel = data[0] % 7;
    size_t n = size - 1;
    char *s = malloc(n + 1); /* exact size (+1 unused) so ASan sees reads past n */
    if (s == NULL)
        return 0;
    memcpy(s, data + 1, n);
    switch (sel) {
    case 0:
    case 1:
        if (nc_host_parse(s, n, sel == 0, &h, NULL) == 0)
            check_canonical(&h);
        break;
    case 2:
    case 3:
        if (nc_authority_parse(s, n, sel == 2 ? 0 : 80, &h, &port, NULL) == 0) {
            check_canonical(&h);
            CHECK(port > 0);
        }
        break;
    case 4: {
        struct nc_cidr c, again;
        char text[96];
        if (nc_cidr_parse(s, n, &c, NULL) == 0) {
            nc_cidr_format(&c, text, sizeof(text));
            CHECK(nc_cidr_parse(text, strlen(text), &again, NULL) == 0);
            CHECK(memcmp(&c, &again, sizeof(c)) == 0);
            CHECK(nc_cidr_match(&c, c.family, c.addr, c.port_lo));
        }
        break;
    }
    case 5: {
        static struct nc_hosts hosts;
        const char *why = NULL;
        size_t line = 0;
        if (nc_hosts_parse(s, n, &hosts, &why, &line) == 0) {
            for (size_t i = 0; i < hosts.n; i++) {
                struct nc_addrs a;
                nc_hosts_lookup(&hosts, hosts.e[i].name, &a);
                CHECK(a.n >= 1);
            }
        } else {
            CHECK(why != NULL && line >= 1);
        }
        break;
    }
    default:
        matcher(s, n);
        break;
    }
    free(s);
    return 0;
}
