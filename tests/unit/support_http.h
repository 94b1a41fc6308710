/*
 * support_http.h: a tiny HTTP/1.1 server on 127.0.0.1 for tests of the network clients
 * (remote embedder, model install).  One thread, one connection at a time, every answer
 * closes its connection.  A handler decides each answer, so a test can script success,
 * errors, hangs (timeouts), truncated bodies and closed connections.
 */
#ifndef MEM0_TEST_SUPPORT_HTTP_H
#define MEM0_TEST_SUPPORT_HTTP_H

#include <stddef.h>

typedef struct http_reply {
    int status;         /* 0: close the connection without answering */
    char *body;         /* malloc'd (freed by the server) or NULL */
    size_t body_len;    /* bytes of body to send */
    long long declared; /* Content-Length to announce; < 0: body_len */
    char headers[256];  /* extra header lines, each ending in \r\n */
    int hang_ms;        /* wait this long (or until the client leaves) before answering */
} http_reply;

/* Fills *r (zeroed, declared = -1) for one request; head is the request line and headers. */
typedef void (*http_handler)(void *ctx, const char *method, const char *path, const char *head,
                             const char *body, size_t body_len, http_reply *r);

typedef struct http_server http_server;

/* Starts a server on an ephemeral port of 127.0.0.1; fails the test on error. */
http_server *http_start(http_handler fn, void *ctx);
int http_port(const http_server *s);
/* Requests answered (or closed) so far. */
int http_requests(const http_server *s);
void http_stop(http_server *s);

/* A base URL "http://127.0.0.1:PORT" in a static buffer. */
const char *http_url(const http_server *s);

/* malloc'd copy of n bytes (for http_reply.body). */
char *http_dup(const void *p, size_t n);

#endif
