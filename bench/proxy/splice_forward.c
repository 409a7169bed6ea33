/* The practical ceiling for a forwarding proxy on this machine: accept on
 * 127.0.0.1:LISTEN, connect to 127.0.0.1:UPSTREAM, and move bytes both ways
 * with splice(2) through a pipe (no copy into user space). One thread per
 * direction per connection; no error recovery beyond closing.
 *
 *   gcc -O2 -pthread -o splice_forward splice_forward.c
 *   ./splice_forward LISTEN_PORT UPSTREAM_PORT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn { int a, b, refs; };
struct pair { int from, to; struct conn *conn; };

static void *pump(void *arg) {
    struct pair p = *(struct pair *)arg;
    free(arg);
    int pipefd[2];
    if (pipe(pipefd) < 0) return NULL;
    for (;;) {
        ssize_t n = splice(p.from, NULL, pipefd[1], NULL, 1 << 20, SPLICE_F_MOVE);
        if (n <= 0) break;
        while (n > 0) {
            ssize_t m = splice(pipefd[0], NULL, p.to, NULL, n, SPLICE_F_MOVE);
            if (m <= 0) goto done;
            n -= m;
        }
    }
done:
    shutdown(p.to, SHUT_WR);
    close(pipefd[0]);
    close(pipefd[1]);
    if (__sync_sub_and_fetch(&p.conn->refs, 1) == 0) {
        close(p.conn->a);
        close(p.conn->b);
        free(p.conn);
    }
    return NULL;
}

static void start(int from, int to, struct conn *conn) {
    struct pair *p = malloc(sizeof *p);
    p->from = from;
    p->to = to;
    p->conn = conn;
    pthread_t t;
    pthread_create(&t, NULL, pump, p);
    pthread_detach(t);
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s LISTEN_PORT UPSTREAM_PORT\n", argv[0]); return 2; }
    /* A peer that closes mid-transfer must not kill the forwarder. */
    signal(SIGPIPE, SIG_IGN);
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])) };
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 1024) < 0) { perror("listen"); return 1; }
    struct sockaddr_in up = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };
    inet_pton(AF_INET, "127.0.0.1", &up.sin_addr);
    for (;;) {
        int c = accept(ls, NULL, NULL);
        if (c < 0) continue;
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(s, (struct sockaddr *)&up, sizeof up) < 0) { close(c); close(s); continue; }
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *conn = malloc(sizeof *conn);
        conn->a = c;
        conn->b = s;
        conn->refs = 2;
        start(c, s, conn);
        start(s, c, conn);
    }
}
