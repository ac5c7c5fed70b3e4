#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <microhttpd.h>

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

static inline uint16_t walletbridge_mhd_bound_port(struct MHD_Daemon *daemon)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}
