/* SPDX-License-Identifier: Apache-2.0 */
/* The floor for a user-space TCP relay, for bench/egress.py: no parsing, no policy, no
 * timeouts; a thread per direction moving bytes with blocking splice(2) through a 1 MiB pipe
 * (no copy to user space).  What it costs next to a direct download is the cost of the second
 * loopback TCP connection itself, which any relay (the egress gateway's TCP listeners
 * included) pays.
 *
 * Usage: splice_relay UPSTREAM_ADDR UPSTREAM_PORT   (prints its port on 127.0.0.1, runs until
 * killed) */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define PIPE_BYTES (1u << 20)

static struct sockaddr_in upstream;

struct half {
    int from, to;
};

static void *pump(void *arg)
{
    struct half *h = arg;
    int p[2];
    if (pipe2(p, O_CLOEXEC) == 0) {
        (void)fcntl(p[1], F_SETPIPE_SZ, (int)PIPE_BYTES);
        for (;;) {
            ssize_t n = splice(h->from, NULL, p[1], NULL, PIPE_BYTES, SPLICE_F_MOVE);
            if (n <= 0)
                break; /* EOF or an error */
            while (n > 0) {
                ssize_t w = splice(p[0], NULL, h->to, NULL, (size_t)n, SPLICE_F_MOVE);
                if (w <= 0)
                    goto out;
                n -= w;
            }
        }
    out:
        close(p[0]);
        close(p[1]);
    }
    (void)shutdown(h->to, SHUT_WR);
    return NULL;
}

static void *conn(void *arg)
{
    int c = (int)(long)arg, u = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (u >= 0 && connect(u, (struct sockaddr *)&upstream, sizeof(upstream)) == 0) {
        struct half down = {u, c}, up = {c, u};
        pthread_t t;
        if (pthread_create(&t, NULL, pump, &up) == 0) {
            pump(&down);
            pthread_join(t, NULL);
        }
    }
    if (u >= 0)
        close(u);
    close(c);
    return NULL;
}

int main(int argc, char **argv)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr = {.s_addr = htonl(INADDR_LOOPBACK)}};
    socklen_t alen = sizeof(a);
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (argc != 3 || l < 0) {
        fprintf(stderr, "usage: splice_relay UPSTREAM_ADDR UPSTREAM_PORT\n");
        return 2;
    }
    upstream.sin_family = AF_INET;
    upstream.sin_port = htons((uint16_t)atoi(argv[2]));
    if (inet_pton(AF_INET, argv[1], &upstream.sin_addr) != 1 ||
        bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 64) < 0 ||
        getsockname(l, (struct sockaddr *)&a, &alen) < 0) {
        perror("splice_relay");
        return 1;
    }
    printf("%u\n", (unsigned)ntohs(a.sin_port));
    fflush(stdout);
    for (;;) {
        int c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
        pthread_t t;
        if (c < 0)
            continue;
        if (pthread_create(&t, NULL, conn, (void *)(long)c) != 0) {
            close(c);
            continue;
        }
        pthread_detach(t);
    }
}
