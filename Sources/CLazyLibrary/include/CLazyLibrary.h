#ifndef WALLETBRIDGE_LAZY_LIBRARY_H
#define WALLETBRIDGE_LAZY_LIBRARY_H

#include <pthread.h>
#include <stddef.h>

/*
 * A shared library opened on first use (dlopen) instead of linked at start-up.
 *
 * Why: libcurl, libpq and libmicrohttpd bring about 35 further libraries with them (GnuTLS, Kerberos, LDAP, SSH,
 * RTMP, ...). Linked normally, every run of the command-line tool loads and relocates all of them, which was most of
 * `walletbridge --version`'s 12 ms (issue 16), although only `serve`, `bridge`, the operator commands and the
 * PostgreSQL store use them. So those three C targets define the functions the project calls as stubs of the same
 * name (CCurl, CLibPQ, CMicroHTTPD: `*Loader.c`) that find the real function here and jump to it. CHIDAPI, CLibUSB
 * and CSQLite do the same for hidapi, libusb (and libudev behind both) and SQLite: a device command over TCP or
 * UDP, or an operator command, needs none of them, and each library loaded costs start-up time (issue 16). The Swift code
 * calls libcurl, libpq and libmicrohttpd as usual; it only calls the target's `walletbridge_*_open()` first, to turn a
 * missing library into a clear error rather than an abort in a stub.
 */
struct walletbridge_lazy_library {
    /* The file to open, by soname (e.g. "libpq.so.5"), as the dynamic linker would have opened it. */
    const char *soname;
    /* The functions to look up, and where their addresses go, `count` of each. */
    const char *const *names;
    void **functions;
    size_t count;
    /* Guards the one attempt to open it; `state` is read without the lock once set (0 untried, 1 open, -1 failed). */
    pthread_mutex_t lock;
    int state;
    char error[512];
};

#define WALLETBRIDGE_LAZY_LIBRARY(soname, names, functions) \
    { (soname), (names), (functions), sizeof(names) / sizeof((names)[0]), PTHREAD_MUTEX_INITIALIZER, 0, { 0 } }

/* A loader's table from its X-macro list of functions (see the stub makers below): the indices, the names, where the
   addresses go, and `variable`, the library itself, opened from `soname`. */
#define WALLETBRIDGE_LAZY_TABLE(list, variable, soname) \
    enum { list(WALLETBRIDGE_LAZY_INDEX, WALLETBRIDGE_LAZY_VOID_INDEX) }; \
    static const char *const variable##_names[] = { list(WALLETBRIDGE_LAZY_NAME, WALLETBRIDGE_LAZY_VOID_NAME) }; \
    static void *variable##_functions[sizeof variable##_names / sizeof variable##_names[0]]; \
    static struct walletbridge_lazy_library variable = \
        WALLETBRIDGE_LAZY_LIBRARY(soname, variable##_names, variable##_functions);

/* Opens the library and finds every function, once: later calls give the first answer. NULL when all is there,
   otherwise what is missing (dlerror's words: the file, or the function the installed version lacks). */
const char *walletbridge_lazy_library_open(struct walletbridge_lazy_library *library);

/* Function `index` of `names`, opening the library if it is not open yet. When it cannot be opened the process stops
   with the reason on stderr: Swift code calls the target's open function first, so reaching that is a bug. */
void *walletbridge_lazy_library_function(struct walletbridge_lazy_library *library, size_t index);

/*
 * Stub makers for a loader's X-macro lists of functions. `F(return type, name, (parameters), (arguments))` defines
 * `name` to call the library's own `name`; `V(name, (parameters), (arguments))` the same for a function returning void.
 * Each loader defines `WALLETBRIDGE_LAZY_SELF` (its struct) and an enum of indices named `walletbridge_index_<name>`.
 */
#define WALLETBRIDGE_LAZY_CALL(name) \
    ((__typeof__(&name))walletbridge_lazy_library_function(&WALLETBRIDGE_LAZY_SELF, walletbridge_index_##name))
#define WALLETBRIDGE_LAZY_STUB(type, name, parameters, arguments) \
    type name parameters { return WALLETBRIDGE_LAZY_CALL(name) arguments; }
#define WALLETBRIDGE_LAZY_VOID_STUB(name, parameters, arguments) \
    void name parameters { WALLETBRIDGE_LAZY_CALL(name) arguments; }
#define WALLETBRIDGE_LAZY_INDEX(type, name, parameters, arguments) walletbridge_index_##name,
#define WALLETBRIDGE_LAZY_VOID_INDEX(name, parameters, arguments) walletbridge_index_##name,
#define WALLETBRIDGE_LAZY_NAME(type, name, parameters, arguments) #name,
#define WALLETBRIDGE_LAZY_VOID_NAME(name, parameters, arguments) #name,

#endif
