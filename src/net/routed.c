/* SPDX-License-Identifier: Apache-2.0 */
/* Routed egress (routed.h).  The side effects live here: `ip` and `nft` are run (never
 * through a shell or PATH: fixed system paths and an empty environment), the resolver and
 * the drift monitor are threads of the supervisor. */
#include "net/routed.h"

#include "util/cleanup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOCK_DIR "/run/nucleus"
#define SLOT_DIR "/run/nucleus/routed"
#define OUT_MAX ((size_t)4 << 20) /* output kept from one command */

struct nc_routed {
    struct nc_routed_config cfg;
    struct nc_routed_plan *plan;
    struct nc_dns_table *dns;
    char nft[64], ip[64];
    int slot_fd;        /* flock'ed slot file: the slot is ours while it is open */
    int pidfd;          /* the pod's init */
    int dns_fd;         /* UDP socket on host:53 */
    int stop_fd;        /* eventfd: the threads end */
    bool attached, veth_made, table_made;
    char *baseline;     /* `nft -j list table` right after loading */
    size_t baseline_len;
    pthread_t dns_th, drift_th;
    bool dns_running, drift_running;
    atomic_bool drifted;
    char why[256];      /* written before drifted is set */
};

static const char *find_tool(const char *const *candidates, char *out, size_t outsz)
{
    for (size_t i = 0; candidates[i] != NULL; i++) {
        struct stat st;
        /* root runs it: only a root-owned file that others cannot write */
        if (stat(candidates[i], &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) &&
            st.st_uid == 0 && !(st.st_mode & 0022)) {
            snprintf(out, outsz, "%s", candidates[i]);
            return out;
        }
    }
    return NULL;
}

/* Runs argv[0] (an absolute path) with in[0..inlen) on stdin, optionally inside the network
 * namespace netns_fd (with the IPv6 switches of that namespace turned off first), and
 * collects stdout into *out (when out is not NULL) and stderr into the error message.
 * Returns 0 when it exited with status 0. */
static int run_tool(const char *const argv[], const char *in, size_t inlen, int netns_fd,
                    char **out, size_t *outlen, struct nc_err *err)
{
    static const char *const ipv6_off[] = {"/proc/sys/net/ipv6/conf/all/disable_ipv6",
                                           "/proc/sys/net/ipv6/conf/default/disable_ipv6",
                                           NULL};
    static char *const envp[] = {(char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *)"LC_ALL=C",
                                 NULL};
    int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1};
    _cleanup_free_ char *o = NULL;
    char e[512];
    size_t olen = 0, ocap = 0, elen = 0, inoff = 0;
    int status = 0;
    pid_t pid;

    if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0) {
        int s = errno;
        for (int k = 0; k < 2; k++) {
            if (pin[k] >= 0) close(pin[k]);
            if (pout[k] >= 0) close(pout[k]);
            if (perr[k] >= 0) close(perr[k]);
        }
        return nc_err_set(err, s, "pipe: %s", strerror(s));
    }
    pid = fork();
    if (pid == 0) {
        /* The child: only async-signal-safe calls until the exec. */
        if (netns_fd >= 0) {
            if (setns(netns_fd, CLONE_NEWNET) < 0)
                _exit(126);
            for (size_t k = 0; ipv6_off[k] != NULL; k++) {
                int fd = open(ipv6_off[k], O_WRONLY | O_CLOEXEC);
                if (fd >= 0) { /* absent: a kernel without IPv6 */
                    if (write(fd, "1", 1) != 1)
                        _exit(126);
                    close(fd);
                }
            }
        }
        if (dup2(pin[0], 0) < 0 || dup2(pout[1], 1) < 0 || dup2(perr[1], 2) < 0)
            _exit(126);
        execve(argv[0], (char *const *)(uintptr_t)argv, envp);
        _exit(127);
    }
    close(pin[0]);
    close(pout[1]);
    close(perr[1]);
    if (pid < 0) {
        int s = errno;
        close(pin[1]);
        close(pout[0]);
        close(perr[0]);
        return nc_err_set(err, s, "fork: %s", strerror(s));
    }
    fcntl(pin[1], F_SETFL, O_NONBLOCK);
    if (inlen == 0) {
        close(pin[1]);
        pin[1] = -1;
    }
    while (pout[0] >= 0 || perr[0] >= 0) {
        struct pollfd pf[3] = {{.fd = pin[1], .events = POLLOUT},
                               {.fd = pout[0], .events = POLLIN},
                               {.fd = perr[0], .events = POLLIN}};
        char tmp[8192];
        int pr = poll(pf, 3, 30000);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0) {
            kill(pid, SIGKILL); /* 30 s without a byte: hung */
            break;
        }
        if (pf[0].revents & (POLLOUT | POLLERR | POLLHUP)) {
            ssize_t n = write(pin[1], in + inoff, inlen - inoff);
            if (n > 0)
                inoff += (size_t)n;
            if ((n < 0 && errno != EAGAIN && errno != EINTR) || inoff == inlen) {
                close(pin[1]);
                pin[1] = -1;
            }
        }
        if (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(pout[0], tmp, sizeof(tmp));
            if (n > 0 && out != NULL && olen + (size_t)n <= OUT_MAX) {
                if (olen + (size_t)n + 1 > ocap) {
                    size_t nc = ocap == 0 ? 16384 : ocap * 2;
                    while (nc < olen + (size_t)n + 1)
                        nc *= 2;
                    char *g = realloc(o, nc);
                    if (g == NULL) {
                        kill(pid, SIGKILL);
                        n = 0;
                    } else {
                        o = g;
                        ocap = nc;
                    }
                }
                if (n > 0 && o != NULL) {
                    memcpy(o + olen, tmp, (size_t)n);
                    olen += (size_t)n;
                }
            }
            if (n == 0 || (n < 0 && errno != EINTR)) {
                close(pout[0]);
                pout[0] = -1;
            }
        }
        if (pf[2].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(perr[0], tmp, sizeof(tmp));
            if (n > 0 && elen < sizeof(e) - 1) {
                size_t k = (size_t)n < sizeof(e) - 1 - elen ? (size_t)n : sizeof(e) - 1 - elen;
                memcpy(e + elen, tmp, k);
                elen += k;
            }
            if (n == 0 || (n < 0 && errno != EINTR)) {
                close(perr[0]);
                perr[0] = -1;
            }
        }
    }
    if (pin[1] >= 0) close(pin[1]);
    if (pout[0] >= 0) close(pout[0]);
    if (perr[0] >= 0) close(perr[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    e[elen] = '\0';
    while (elen > 0 && (e[elen - 1] == '\n' || e[elen - 1] == ' '))
        e[--elen] = '\0';
    for (size_t k = 0; k < elen; k++)
        if (e[k] == '\n' || (unsigned char)e[k] < 0x20)
            e[k] = ' ';
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return nc_err_set(err, EIO, "%s failed (status %d)%s%s", argv[0],
                          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
                          elen > 0 ? ": " : "", e);
    if (out != NULL) {
        if (o == NULL && (o = malloc(1)) == NULL)
            return nc_err_set(err, ENOMEM, "out of memory");
        o[olen] = '\0';
        *out = steal_pointer(&o);
        *outlen = olen;
    }
    return 0;
}

static int nft_load(struct nc_routed *r, const char *script, size_t len, struct nc_err *err)
{
    const char *argv[] = {r->nft, "-f", "-", NULL};
    return run_tool(argv, script, len, -1, NULL, NULL, err);
}

static int nft_list(struct nc_routed *r, char **out, size_t *len, struct nc_err *err)
{
    const char *argv[] = {r->nft, "-j", "list", "table", "inet", r->plan->table, NULL};
    return run_tool(argv, "", 0, -1, out, len, err);
}

static void emit(struct nc_routed *r, const char *kind, bool allowed, const char *name,
                 const char *detail)
{
    struct nc_routed_event ev = {.kind = kind, .allowed = allowed, .name = name,
                                 .detail = detail};
    if (r->cfg.event != NULL)
        r->cfg.event(r->cfg.event_arg, &ev);
}

/* ---- start: rules, pinning, slot --------------------------------------------------------- */

static void resolve(const struct nc_routed *r, const char *name, struct nc_addrs *out)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    out->n = 0;
    if (r->cfg.hosts != NULL) {
        nc_hosts_lookup(r->cfg.hosts, name, out);
        return;
    }
    if (getaddrinfo(name, NULL, &hints, &res) != 0)
        return;
    for (struct addrinfo *ai = res; ai != NULL && out->n < NC_NET_MAX_ADDRS; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET && ai->ai_addrlen >= sizeof(struct sockaddr_in)) {
            out->a[out->n].family = AF_INET;
            memset(out->a[out->n].addr, 0, 16);
            memcpy(out->a[out->n].addr,
                   &((const struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr, 4);
            out->n++;
        } else if (ai->ai_family == AF_INET6 && ai->ai_addrlen >= sizeof(struct sockaddr_in6)) {
            out->a[out->n].family = AF_INET6;
            memcpy(out->a[out->n].addr,
                   &((const struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr, 16);
            out->n++;
        }
    }
    freeaddrinfo(res);
}

/* Pins one entry of network.allow: its IPv4 addresses on every name port, if the whole
 * answer passes the gateway's rebinding rule on that port (one resolution, all addresses
 * judged: a mixed answer is refused, not filtered). */
static int pin_entry(struct nc_routed *r, const char *entry, struct nc_err *err)
{
    const struct nc_net_rules *rules = r->cfg.rules;
    struct nc_host h;
    struct nc_addrs addrs;
    const char *why = NULL;
    size_t slot = r->dns->n;
    bool any = false;

    if (entry[0] == '*')
        return nc_err_set(err, EINVAL,
                          "routed mode pins addresses at start and cannot follow the wildcard "
                          "'%s'; name the hosts, or use the egress gateway (--net=gateway)", entry);
    if (nc_host_parse(entry, strlen(entry), false, &h, &why) < 0)
        return nc_err_set(err, EINVAL, "network.allow entry '%s': %s", entry, why);
    if (h.kind == NC_HOST_NAME) {
        resolve(r, h.text, &addrs);
    } else {
        addrs.n = 1;
        addrs.a[0].family = h.kind == NC_HOST_IPV4 ? AF_INET : AF_INET6;
        memcpy(addrs.a[0].addr, h.addr, 16);
    }
    if (addrs.n == 0) {
        emit(r, "pin", false, h.text, "resolve_failed: the name has no address; left out");
        return 0;
    }
    if (h.kind == NC_HOST_NAME) {
        if (slot >= NC_DNS_MAX_NAMES)
            return nc_err_set(err, E2BIG, "more than %d names", NC_DNS_MAX_NAMES);
        snprintf(r->dns->e[slot].name, sizeof(r->dns->e[slot].name), "%s", h.text);
        r->dns->e[slot].naddrs = 0;
    }
    for (size_t p = 0; p < rules->nports; p++) {
        uint16_t port = rules->ports[p];
        enum nc_net_reason rs = nc_net_check_target(rules, &h, port);
        size_t bad = addrs.n;
        enum nc_addr_class cls = NC_ADDR_PUBLIC;
        if (rs != NC_NET_OK)
            continue;
        for (size_t i = 0; i < addrs.n && bad == addrs.n; i++)
            if (nc_net_check_address(rules, addrs.a[i].family, addrs.a[i].addr, port, &cls) !=
                NC_NET_OK)
                bad = i;
        if (bad != addrs.n) {
            char a[INET6_ADDRSTRLEN], d[160];
            inet_ntop(addrs.a[bad].family, addrs.a[bad].addr, a, sizeof(a));
            snprintf(d, sizeof(d), "address_refused: %s is %s (allow it with --allow-network); "
                     "port %u left out", a, nc_addr_class_name(cls), (unsigned)port);
            emit(r, "pin", false, h.text, d);
            continue;
        }
        for (size_t i = 0; i < addrs.n; i++) {
            if (addrs.a[i].family != AF_INET)
                continue; /* IPv6 is off in routed pods */
            if (nc_routed_plan_add(r->plan, addrs.a[i].addr, port) < 0)
                return nc_err_set(err, E2BIG, "more than %d pinned endpoints",
                                  NC_ROUTED_MAX_ENDPOINTS);
            any = true;
            if (h.kind == NC_HOST_NAME) {
                size_t k, n = r->dns->e[slot].naddrs;
                for (k = 0; k < n; k++)
                    if (memcmp(r->dns->e[slot].v4[k], addrs.a[i].addr, 4) == 0)
                        break;
                if (k == n && n < NC_NET_MAX_ADDRS) {
                    memcpy(r->dns->e[slot].v4[n], addrs.a[i].addr, 4);
                    r->dns->e[slot].naddrs = n + 1;
                }
            }
        }
    }
    if (!any) {
        emit(r, "pin", false, h.text, "no IPv4 address admitted on any port; left out");
        return 0;
    }
    if (h.kind == NC_HOST_NAME)
        r->dns->n = slot + 1;
    emit(r, "pin", true, h.text, "pinned");
    return 0;
}

static int take_slot(struct nc_routed *r, struct nc_err *err)
{
    unsigned start = (unsigned)getpid() % NC_ROUTED_SLOTS;
    if ((mkdir(LOCK_DIR, 0755) < 0 && errno != EEXIST) ||
        (mkdir(SLOT_DIR, 0700) < 0 && errno != EEXIST))
        return nc_err_set(err, errno, "%s: %s", SLOT_DIR, strerror(errno));
    for (unsigned k = 0; k < NC_ROUTED_SLOTS; k++) {
        unsigned s = (start + k) % NC_ROUTED_SLOTS;
        char path[64];
        snprintf(path, sizeof(path), SLOT_DIR "/%u", s);
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
            return nc_err_set(err, errno, "%s: %s", path, strerror(errno));
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            r->slot_fd = fd;
            nc_routed_plan_init(r->plan, s);
            return 0;
        }
        close(fd);
    }
    return nc_err_set(err, EBUSY, "all %d routed slots are in use", NC_ROUTED_SLOTS);
}

struct nc_routed *nc_routed_new(const struct nc_routed_config *cfg, struct nc_err *err)
{
    static const char *const nft_paths[] = {"/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft", NULL};
    static const char *const ip_paths[] = {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip",
                                           NULL};
    const struct nc_net_rules *rules = cfg->rules;
    struct nc_routed *r;

    if (geteuid() != 0)
        return nc_err_set(err, EPERM, "routed mode needs root (it creates a veth pair and an "
                          "nftables table in the host's network namespace); refusing"),
               NULL;
    if (rules->domains.unrestricted)
        return nc_err_set(err, EINVAL, "routed mode cannot pin an unrestricted network.allow; "
                          "refusing"), NULL;
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return nc_err_set(err, ENOMEM, "out of memory"), NULL;
    r->cfg = *cfg;
    r->slot_fd = r->pidfd = r->dns_fd = r->stop_fd = -1;
    atomic_init(&r->drifted, false);
    r->plan = calloc(1, sizeof(*r->plan));
    r->dns = calloc(1, sizeof(*r->dns));
    if (r->plan == NULL || r->dns == NULL) {
        nc_err_set(err, ENOMEM, "out of memory");
        goto fail;
    }
    if (find_tool(nft_paths, r->nft, sizeof(r->nft)) == NULL) {
        nc_err_set(err, ENOENT, "routed mode needs nft (nftables), not found in /usr/sbin or "
                   "/sbin; install it (apt-get install nftables); refusing");
        goto fail;
    }
    if (find_tool(ip_paths, r->ip, sizeof(r->ip)) == NULL) {
        nc_err_set(err, ENOENT, "routed mode needs ip (iproute2), not found; refusing");
        goto fail;
    }
    if (take_slot(r, err) < 0)
        goto fail;
    for (size_t k = 0; k < rules->ncidrs; k++) {
        if (rules->cidrs[k].family != AF_INET) {
            char c[96];
            nc_cidr_format(&rules->cidrs[k], c, sizeof(c));
            nc_err_set(err, EINVAL, "--allow-network %s: IPv6 is off in routed pods", c);
            goto fail;
        }
        r->plan->cidr[r->plan->ncidrs++] = rules->cidrs[k];
    }
    for (size_t k = 0; k < rules->domains.count; k++)
        if (pin_entry(r, nc_list_item(&rules->domains, k), err) < 0)
            goto fail;
    return r;
fail:
    nc_routed_free(r);
    return NULL;
}

const struct nc_routed_plan *nc_routed_plan(const struct nc_routed *r)
{
    return r->plan;
}

/* ---- attach: veth, addresses, table ------------------------------------------------------ */

static int write_sysctl(const char *path, const char *v)
{
    _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    return write(fd, v, strlen(v)) == (ssize_t)strlen(v) ? 0 : -1;
}

static bool link_exists(const char *ifname)
{
    char path[64];
    struct stat st;
    snprintf(path, sizeof(path), "/sys/class/net/%s", ifname);
    return lstat(path, &st) == 0;
}

int nc_routed_attach(struct nc_routed *r, pid_t pid, struct nc_err *err)
{
    const struct nc_routed_plan *p = r->plan;
    const char *batch[] = {r->ip, "-batch", "-", NULL};
    char cmds[512], path[96];
    _cleanup_close_ int nsfd = -1;
    _cleanup_free_ char *script = NULL;
    size_t cap = 4096 + p->nendpoints * 32 + p->ncidrs * 96;
    long len;
    int n;

    r->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (r->pidfd < 0)
        return nc_err_set(err, errno, "pidfd_open: %s", strerror(errno));
    snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
    nsfd = open(path, O_RDONLY | O_CLOEXEC);
    if (nsfd < 0)
        return nc_err_set(err, errno, "%s: %s", path, strerror(errno));
    r->attached = true;
    if (link_exists(p->ifname)) { /* a crashed supervisor's, whose pod still lives */
        const char *del[] = {r->ip, "link", "del", p->ifname, NULL};
        (void)run_tool(del, "", 0, -1, NULL, NULL, err);
    }
    n = snprintf(cmds, sizeof(cmds), "link add %s type veth peer name eth0 netns %d\n",
                 p->ifname, (int)pid);
    if (run_tool(batch, cmds, (size_t)n, -1, NULL, NULL, err) < 0)
        return -1;
    r->veth_made = true;
    snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", p->ifname);
    if (write_sysctl(path, "1") < 0)
        return nc_err_set(err, errno, "%s: %s", path, strerror(errno));
    n = snprintf(cmds, sizeof(cmds), "addr add %u.%u.%u.%u/30 dev %s\nlink set %s up\n",
                 p->host[0], p->host[1], p->host[2], p->host[3], p->ifname, p->ifname);
    if (run_tool(batch, cmds, (size_t)n, -1, NULL, NULL, err) < 0)
        return -1;
    /* Inside the pod: IPv6 off (run_tool does it after setns), the address, the one route. */
    n = snprintf(cmds, sizeof(cmds),
                 "link set lo up\naddr add %u.%u.%u.%u/30 dev eth0\nlink set eth0 up\n"
                 "route add default via %u.%u.%u.%u dev eth0\n",
                 p->pod[0], p->pod[1], p->pod[2], p->pod[3], p->host[0], p->host[1], p->host[2],
                 p->host[3]);
    if (run_tool(batch, cmds, (size_t)n, nsfd, NULL, NULL, err) < 0)
        return -1;
    script = malloc(cap);
    if (script == NULL)
        return nc_err_set(err, ENOMEM, "out of memory");
    len = nc_nft_script(p, script, cap);
    if (len < 0)
        return nc_err_set(err, E2BIG, "the nft script does not fit");
    r->table_made = true; /* from here on, teardown deletes it whatever happened */
    if (nft_load(r, script, (size_t)len, err) < 0 ||
        nft_list(r, &r->baseline, &r->baseline_len, err) < 0)
        return -1;
    /* The resolver: bound to the host side's address, which only the pod can reach. */
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
    memcpy(&sa.sin_addr, p->host, 4);
    r->dns_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (r->dns_fd < 0 || bind(r->dns_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return nc_err_set(err, errno, "the pod's resolver on %u.%u.%u.%u:53: %s", p->host[0],
                          p->host[1], p->host[2], p->host[3], strerror(errno));
    r->stop_fd = eventfd(0, EFD_CLOEXEC);
    if (r->stop_fd < 0)
        return nc_err_set(err, errno, "eventfd: %s", strerror(errno));
    return 0;
}

/* ---- the threads ------------------------------------------------------------------------- */

static void *dns_main(void *arg)
{
    struct nc_routed *r = arg;
    uint8_t q[NC_DNS_QUERY_MAX + 1], a[NC_DNS_REPLY_MAX];
    char name[NC_HOST_NAME_MAX + 1];
    for (;;) {
        struct pollfd pf[2] = {{.fd = r->dns_fd, .events = POLLIN},
                               {.fd = r->stop_fd, .events = POLLIN}};
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        enum nc_dns_outcome oc;
        uint16_t qtype;
        if (poll(pf, 2, -1) < 0 && errno != EINTR)
            break;
        if (pf[1].revents)
            break;
        if (!(pf[0].revents & POLLIN))
            continue;
        ssize_t n = recvfrom(r->dns_fd, q, sizeof(q), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (n <= 0)
            continue;
        /* Only the pod asks (its address; the table drops spoofed sources anyway). */
        if (fl != sizeof(from) || memcmp(&from.sin_addr, r->plan->pod, 4) != 0)
            continue;
        size_t alen = nc_dns_respond(r->dns, q, (size_t)n, a, sizeof(a), &oc, name, &qtype);
        if (alen > 0)
            (void)sendto(r->dns_fd, a, alen, MSG_DONTWAIT, (struct sockaddr *)&from, fl);
        char d[48];
        snprintf(d, sizeof(d), "%s (type %u)", nc_dns_outcome_name(oc), (unsigned)qtype);
        emit(r, "dns", oc == NC_DNS_ANSWERED || oc == NC_DNS_NODATA, name, d);
    }
    return NULL;
}

static void kill_pod(struct nc_routed *r, const char *why)
{
    snprintf(r->why, sizeof(r->why), "%s", why);
    atomic_store(&r->drifted, true);
    (void)syscall(SYS_pidfd_send_signal, r->pidfd, SIGKILL, NULL, 0);
    emit(r, "drift", false, r->plan->table, r->why);
}

/* The netfilter netlink group that reports every nftables change in this namespace: a
 * change triggers a check at once; the period is the backstop (and the only trigger when
 * the socket cannot be had). */
static int nft_monitor_socket(void)
{
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK,
                             .nl_groups = 1u << (NFNLGRP_NFTABLES - 1)};
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static void *drift_main(void *arg)
{
    struct nc_routed *r = arg;
    _cleanup_close_ int nl = nft_monitor_socket();
    int period = r->cfg.drift_period_ms != 0 ? (int)r->cfg.drift_period_ms : 250;
    for (;;) {
        struct pollfd pf[2] = {{.fd = r->stop_fd, .events = POLLIN},
                               {.fd = nl, .events = POLLIN}};
        struct nc_err err = {0};
        _cleanup_free_ char *now = NULL;
        size_t len = 0;
        char why[256];
        if (poll(pf, 2, period) < 0 && errno != EINTR)
            break;
        if (pf[0].revents)
            break;
        if (nl >= 0 && pf[1].revents) {
            char buf[8192];
            while (recv(nl, buf, sizeof(buf), MSG_DONTWAIT) > 0 || errno == ENOBUFS) {
            }
        }
        if (nft_list(r, &now, &len, &err) < 0) {
            snprintf(why, sizeof(why), "the table cannot be listed (deleted?): %.180s", err.msg);
            kill_pod(r, why);
            break;
        }
        if (now == NULL || len != r->baseline_len || memcmp(now, r->baseline, len) != 0) {
            kill_pod(r, "the table differs from the one loaded at start");
            break;
        }
    }
    return NULL;
}

int nc_routed_start(struct nc_routed *r, struct nc_err *err)
{
    if (pthread_create(&r->drift_th, NULL, drift_main, r) != 0) {
        kill_pod(r, "the drift monitor could not start");
        return nc_err_set(err, EAGAIN, "the drift monitor could not start; pod killed");
    }
    r->drift_running = true;
    if (pthread_create(&r->dns_th, NULL, dns_main, r) != 0) {
        kill_pod(r, "the resolver could not start");
        return nc_err_set(err, EAGAIN, "the resolver could not start; pod killed");
    }
    r->dns_running = true;
    return 0;
}

bool nc_routed_drifted(struct nc_routed *r, char *why, size_t whysz)
{
    bool d = atomic_load(&r->drifted);
    if (d && why != NULL)
        snprintf(why, whysz, "%s", r->why);
    return d;
}

void nc_routed_free(struct nc_routed *r)
{
    struct nc_err err = {0};
    if (r == NULL)
        return;
    if (r->stop_fd >= 0) {
        uint64_t one = 1;
        ssize_t w;
        /* an eventfd write fails only at a counter near 2^64, which one byte per stop never reaches */
        do
            w = write(r->stop_fd, &one, sizeof(one));
        while (w < 0 && errno == EINTR);
    }
    if (r->drift_running)
        pthread_join(r->drift_th, NULL);
    if (r->dns_running)
        pthread_join(r->dns_th, NULL);
    if (r->table_made) {
        char s[160];
        long n = nc_nft_delete_script(r->plan, s, sizeof(s));
        if (n > 0)
            (void)nft_load(r, s, (size_t)n, &err);
    }
    if (r->veth_made && link_exists(r->plan->ifname)) {
        const char *del[] = {r->ip, "link", "del", r->plan->ifname, NULL};
        (void)run_tool(del, "", 0, -1, NULL, NULL, &err);
    }
    if (r->dns_fd >= 0) close(r->dns_fd);
    if (r->stop_fd >= 0) close(r->stop_fd);
    if (r->pidfd >= 0) close(r->pidfd);
    if (r->slot_fd >= 0) close(r->slot_fd); /* the slot is free again */
    free(r->baseline);
    free(r->plan);
    free(r->dns);
    free(r);
}
