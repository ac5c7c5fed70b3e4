/*
 * `make bench-http`'s first row: a bare libmicrohttpd handler in C, the floor under every other row. Every request
 * gets the same small JSON body (about a wallet document's size). The daemon is started the way BridgeServer's
 * HTTPServer starts it (Sources/BridgeServer/HTTP/HTTPServer.swift, Sources/CMicroHTTPD/shim.h): internal polling
 * threads with epoll, a pool of 4 worker threads (`http.workerThreads`'s default, what `serve --demo` and
 * `walletbridge-bench http-bare` use), suspend/resume allowed, 1024 connections, 32 KiB per connection, a 30 s
 * connection timeout. So the Swift bare handler's row minus this one is what our Swift request/response plumbing costs.
 *
 * Usage: bare-handler PORT [THREADS]   (PORT 0: any free port). Listens on 127.0.0.1, prints
 * {"listening":"http://127.0.0.1:PORT"} on standard output once ready, serves until SIGINT or SIGTERM.
 * Build: cc -O2 -o bare-handler bare-handler.c $(pkg-config --cflags --libs libmicrohttpd)
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char body[] =
    "{\"id\":\"w00000001\",\"external_user_id\":\"demo-alice\",\"amount\":5000.00,\"currency\":\"USD\",\"decimals\":2}";

/* One response, made once and queued for every request (libmicrohttpd reference-counts it). */
static struct MHD_Response *response;

static enum MHD_Result answer(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size, void **state)
{
    (void)cls; (void)url; (void)method; (void)version; (void)upload_data;
    static int headers_seen;
    if (*state == NULL) {
        /* The first call comes with the headers: a response queued now would close the connection (libmicrohttpd
         * stops reading it), so answer on the next call, as every libmicrohttpd server does. */
        *state = &headers_seen;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0; /* a body, if any, is ignored */
        return MHD_YES;
    }
    return MHD_queue_response(connection, MHD_HTTP_OK, response);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s PORT [THREADS]\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    unsigned int threads = argc == 3 ? (unsigned int)atoi(argv[2]) : 4;
    if (port < 0 || port > 65535 || threads < 1) {
        fprintf(stderr, "bare-handler: bad port or thread count\n");
        return 2;
    }

    response = MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (response == NULL || MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json") != MHD_YES) {
        fprintf(stderr, "bare-handler: cannot make the response\n");
        return 1;
    }

    /* Block the signals before the worker threads start (they inherit the mask); main waits for them below. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    struct sockaddr_in address;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME, (uint16_t)port,
        NULL, NULL, answer, NULL,
        MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&address,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT, 1024u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
        MHD_OPTION_CONNECTION_TIMEOUT, 30u,
        MHD_OPTION_END);
    if (daemon == NULL) {
        perror("bare-handler: MHD_start_daemon");
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    printf("{\"listening\":\"http://127.0.0.1:%u\"}\n", info ? (unsigned int)info->port : (unsigned int)port);
    fflush(stdout);

    int received;
    sigwait(&stop, &received);
    MHD_stop_daemon(daemon);
    MHD_destroy_response(response);
    return 0;
}
