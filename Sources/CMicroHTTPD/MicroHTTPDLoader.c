/* The libmicrohttpd functions BridgeServer's HTTPServer calls, opened on first use (CLazyLibrary.h). Prototypes as in
   microhttpd.h (Debian's libmicrohttpd-dev); the compiler checks each against that declaration. */
#include "CMicroHTTPD.h"
#include "CLazyLibrary.h"

#include <stdarg.h>

#define MHD_FUNCTIONS(F, V) \
    F(struct MHD_Daemon *, MHD_start_daemon_va, (unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, \
      void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, va_list ap), \
      (flags, port, apc, apc_cls, dh, dh_cls, ap)) \
    V(MHD_stop_daemon, (struct MHD_Daemon *daemon), (daemon)) \
    F(MHD_socket, MHD_quiesce_daemon, (struct MHD_Daemon *daemon), (daemon)) \
    F(enum MHD_Result, MHD_is_feature_supported, (enum MHD_FEATURE feature), (feature)) \
    F(enum MHD_Result, MHD_add_response_header, (struct MHD_Response *response, const char *header, \
      const char *content), (response, header, content)) \
    F(struct MHD_Response *, MHD_create_response_from_buffer, (size_t size, void *buffer, \
      enum MHD_ResponseMemoryMode mode), (size, buffer, mode)) \
    F(struct MHD_Response *, MHD_create_response_from_callback, (uint64_t size, size_t block_size, \
      MHD_ContentReaderCallback crc, void *crc_cls, MHD_ContentReaderFreeCallback crfc), \
      (size, block_size, crc, crc_cls, crfc)) \
    V(MHD_destroy_response, (struct MHD_Response *response), (response)) \
    F(int, MHD_get_connection_values_n, (struct MHD_Connection *connection, enum MHD_ValueKind kind, \
      MHD_KeyValueIteratorN iterator, void *iterator_cls), (connection, kind, iterator, iterator_cls)) \
    F(enum MHD_Result, MHD_queue_response, (struct MHD_Connection *connection, unsigned int status_code, \
      struct MHD_Response *response), (connection, status_code, response)) \
    V(MHD_resume_connection, (struct MHD_Connection *connection), (connection)) \
    V(MHD_suspend_connection, (struct MHD_Connection *connection), (connection))

/* The C-variadic functions are written out below; they are looked up with the rest. */
#define MHD_VARIADIC_FUNCTIONS(F, V) \
    F(const union MHD_ConnectionInfo *, MHD_get_connection_info, (struct MHD_Connection *connection, \
      enum MHD_ConnectionInfoType info_type, ...), ()) \
    F(const union MHD_DaemonInfo *, MHD_get_daemon_info, (struct MHD_Daemon *daemon, \
      enum MHD_DaemonInfoType info_type, ...), ())

#define MHD_ALL_FUNCTIONS(F, V) MHD_FUNCTIONS(F, V) MHD_VARIADIC_FUNCTIONS(F, V)
/* Debian 12's libmicrohttpd12 package: soname libmicrohttpd.so.12 since libmicrohttpd 0.9.53. */
WALLETBRIDGE_LAZY_TABLE(MHD_ALL_FUNCTIONS, lazy_libmicrohttpd, "libmicrohttpd.so.12")
#define WALLETBRIDGE_LAZY_SELF lazy_libmicrohttpd

MHD_FUNCTIONS(WALLETBRIDGE_LAZY_STUB, WALLETBRIDGE_LAZY_VOID_STUB)

/* The options list goes on unchanged, through the va_list form of the same call. */
struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc, void *apc_cls,
                                    MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
    va_list options;
    va_start(options, dh_cls);
    struct MHD_Daemon *daemon = MHD_start_daemon_va(flags, port, apc, apc_cls, dh, dh_cls, options);
    va_end(options);
    return daemon;
}

/* The information this project asks for (the connection's socket, peer address and socket context; the daemon's
   bound port) takes no further argument (microhttpd.h, MHD_ConnectionInfoType and MHD_DaemonInfoType), so none is
   passed on. */
const union MHD_ConnectionInfo *MHD_get_connection_info(struct MHD_Connection *connection,
                                                        enum MHD_ConnectionInfoType info_type, ...)
{
    return WALLETBRIDGE_LAZY_CALL(MHD_get_connection_info)(connection, info_type);
}

const union MHD_DaemonInfo *MHD_get_daemon_info(struct MHD_Daemon *daemon, enum MHD_DaemonInfoType info_type, ...)
{
    return WALLETBRIDGE_LAZY_CALL(MHD_get_daemon_info)(daemon, info_type);
}

const char *walletbridge_mhd_open(void) { return walletbridge_lazy_library_open(&lazy_libmicrohttpd); }
