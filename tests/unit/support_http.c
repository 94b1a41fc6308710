/* support_http.c: a tiny HTTP server for tests (see support_http.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support_http.h"

struct http_server {
    int fd;
    int port;
    int wake[2]; /* written to by http_stop, so a hanging answer ends at once */
    pthread_t thread;
    http_handler fn;
    void *ctx;
    atomic_int requests;
};

char *http_dup(const void *p, size_t n)
{
    char *c = malloc(n + 1);
    assert_non_null(c);
    memcpy(c, p, n);
    c[n] = '\0';
    return c;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return; /* the client left: fine for a test server */
        p += w;
        n -= (size_t)w;
    }
}

/* Reads one request (headers and Content-Length body); 0 on success. */
static int read_request(int fd, char **buf, size_t *len, size_t *hdr_end, size_t *body_len)
{
    size_t cap = 8192, n = 0;
    char *b = malloc(cap);
    long long clen = -1;
    if (!b) return -1;
    for (;;) {
        if (n + 4096 > cap) {
            char *g = realloc(b, cap *= 2);
            if (!g) break;
            b = g;
        }
        ssize_t r = recv(fd, b + n, cap - n - 1, 0);
        if (r <= 0) break;
        n += (size_t)r;
        b[n] = '\0';
        char *end = strstr(b, "\r\n\r\n");
        if (!end) continue;
        if (clen < 0) {
            char *cl = strcasestr(b, "\r\nContent-Length:");
            clen = cl && cl < end ? atoll(cl + 17) : 0;
        }
        size_t h = (size_t)(end - b) + 4;
        if (n >= h + (size_t)clen) {
            *buf = b;
            *len = n;
            *hdr_end = h;
            *body_len = (size_t)clen;
            return 0;
        }
    }
    free(b);
    return -1;
}

static void serve_one(http_server *s, int c)
{
    char *req = NULL;
    size_t len, hdr, blen;
    if (read_request(c, &req, &len, &hdr, &blen) != 0) return;
    char method[16] = "", path[1024] = "";
    sscanf(req, "%15s %1023s", method, path);
    http_reply r;
    memset(&r, 0, sizeof r);
    r.declared = -1;
    req[hdr - 2] = '\0'; /* the head ends at the blank line; the body follows it */
    s->fn(s->ctx, method, path, req, req + hdr, blen, &r);
    free(req);
    if (r.hang_ms > 0) { /* until the time passes, the client gives up, or the server stops */
        struct pollfd p[2] = {{c, POLLIN, 0}, {s->wake[0], POLLIN, 0}};
        poll(p, 2, r.hang_ms);
    }
    if (r.status > 0) {
        char head[1024];
        long long declared = r.declared >= 0 ? r.declared : (long long)r.body_len;
        int n = snprintf(head, sizeof head,
                         "HTTP/1.1 %d X\r\nContent-Length: %lld\r\nConnection: close\r\n%s\r\n",
                         r.status, declared, r.headers);
        send_all(c, head, (size_t)n);
        if (r.body) send_all(c, r.body, r.body_len);
    }
    free(r.body);
    atomic_fetch_add(&s->requests, 1);
}

static void *loop(void *arg)
{
    http_server *s = arg;
    for (;;) {
        struct pollfd p[2] = {{s->fd, POLLIN, 0}, {s->wake[0], POLLIN, 0}};
        if (poll(p, 2, -1) < 0 && errno != EINTR) break;
        if (p[1].revents) break;
        if (!(p[0].revents & POLLIN)) continue;
        int c = accept(s->fd, NULL, NULL);
        if (c < 0) continue;
        serve_one(s, c);
        shutdown(c, SHUT_RDWR);
        close(c);
    }
    return NULL;
}

http_server *http_start(http_handler fn, void *ctx)
{
    http_server *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->fn = fn;
    s->ctx = ctx;
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s->fd >= 0);
    int one = 1;
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->fd, 16), 0);
    socklen_t alen = sizeof a;
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &alen), 0);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pipe(s->wake), 0);
    assert_int_equal(pthread_create(&s->thread, NULL, loop, s), 0);
    return s;
}

int http_port(const http_server *s)
{
    return s->port;
}

int http_requests(const http_server *s)
{
    return atomic_load(&((http_server *)s)->requests);
}

const char *http_url(const http_server *s)
{
    static char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", s->port);
    return url;
}

void http_stop(http_server *s)
{
    if (!s) return;
    assert_int_equal(write(s->wake[1], "x", 1), 1);
    pthread_join(s->thread, NULL);
    close(s->fd);
    close(s->wake[0]);
    close(s->wake[1]);
    free(s);
}
