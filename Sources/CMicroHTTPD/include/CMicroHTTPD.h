#ifndef WALLETBRIDGE_CMICROHTTPD_H
#define WALLETBRIDGE_CMICROHTTPD_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <microhttpd.h>

/* Opens libmicrohttpd (MicroHTTPDLoader.c; CLazyLibrary.h says why it is not linked): NULL when it is usable,
   otherwise why not. Call before the first libmicrohttpd function. */
const char *walletbridge_mhd_open(void);

/* MHD_start_daemon is C-variadic, which Swift cannot call: this wrapper passes the options Swift needs. */
static inline struct MHD_Daemon *
walletbridge_mhd_start_ipv4(unsigned int flags, const struct sockaddr_in *addr,
                            MHD_AccessHandlerCallback handler, void *handler_cls,
                            unsigned int connection_timeout_seconds)
{
    return MHD_start_daemon(flags, ntohs(addr->sin_port), NULL, NULL,
                            handler, handler_cls,
                            MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)addr,
                            MHD_OPTION_CONNECTION_TIMEOUT, connection_timeout_seconds,
                            MHD_OPTION_END);
}

/* libmicrohttpd's URI log callback (MHD_OPTION_URI_LOG_CALLBACK): the raw request target, before unescaping. */
typedef void *(*walletbridge_mhd_uri_log)(void *cls, const char *uri, struct MHD_Connection *connection);

/*
 * The full start used by BridgeServer's HTTPServer: any address family (IPv4 or IPv6 `sockaddr`), a worker thread
 * pool, a completion callback (frees per-request state, also for aborted requests), a connection notifier (per-address
 * limits, header deadlines), the raw-URI callback (per-request state from the request line on), the connection and
 * per-connection memory limits, and optional TLS. `tls_key_pem` and `tls_cert_pem` are PEM text (not paths); both
 * NULL means plain HTTP. MHD copies neither, so they must outlive the daemon.
 */
static inline struct MHD_Daemon *
walletbridge_mhd_start(unsigned int flags, const struct sockaddr *addr, uint16_t port,
                       MHD_AccessHandlerCallback handler, void *handler_cls,
                       MHD_RequestCompletedCallback completed, void *completed_cls,
                       MHD_NotifyConnectionCallback notify_connection, void *notify_cls,
                       walletbridge_mhd_uri_log uri_log, void *uri_log_cls,
                       unsigned int connection_timeout_seconds, unsigned int thread_pool_size,
                       unsigned int connection_limit, size_t connection_memory_limit,
                       const char *tls_key_pem, const char *tls_cert_pem)
{
    struct MHD_OptionItem tls[3] = {
        { MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)tls_key_pem },
        { MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)tls_cert_pem },
        { MHD_OPTION_END, 0, NULL },
    };
    struct MHD_OptionItem none[1] = { { MHD_OPTION_END, 0, NULL } };
    return MHD_start_daemon(flags, port, NULL, NULL,
                            handler, handler_cls,
                            MHD_OPTION_SOCK_ADDR, addr,
                            MHD_OPTION_CONNECTION_TIMEOUT, connection_timeout_seconds,
                            MHD_OPTION_THREAD_POOL_SIZE, thread_pool_size,
                            MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, connection_memory_limit,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls,
                            MHD_OPTION_NOTIFY_CONNECTION, notify_connection, notify_cls,
                            MHD_OPTION_URI_LOG_CALLBACK, uri_log, uri_log_cls,
                            MHD_OPTION_ARRAY, (tls_key_pem != NULL && tls_cert_pem != NULL) ? tls : none,
                            MHD_OPTION_END);
}

/* The connection's socket; -1 when MHD does not say. */
static inline int walletbridge_mhd_connection_fd(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info ? info->connect_fd : -1;
}

static inline uint16_t walletbridge_mhd_bound_port(struct MHD_Daemon *daemon)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

/* The peer's address; NULL when MHD does not know it. (The info union is awkward to reach from Swift.) */
static inline const struct sockaddr *walletbridge_mhd_client_address(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info ? info->client_addr : NULL;
}

/* The pointer the connection notifier stored in `*socket_context` at MHD_CONNECTION_NOTIFY_STARTED; NULL if none. */
static inline void *walletbridge_mhd_socket_context(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

/* Every query argument and header of the request in one walk of its list: the kinds are a bitmask in C, which
 * Swift's imported enum cannot hold. The iterator tells them apart by its `kind` argument. */
static inline int walletbridge_mhd_query_and_headers(struct MHD_Connection *connection, MHD_KeyValueIteratorN iterator,
                                                     void *iterator_cls)
{
    return MHD_get_connection_values_n(connection, (enum MHD_ValueKind)(MHD_GET_ARGUMENT_KIND | MHD_HEADER_KIND),
                                       iterator, iterator_cls);
}

/* Whether this libmicrohttpd was built with TLS (GnuTLS). */
static inline int walletbridge_mhd_supports_tls(void)
{
    return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

#endif
