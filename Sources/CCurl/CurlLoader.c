/* The libcurl functions the project calls (CCurl.h's request, CurlHTTPClient), opened on first use (CLazyLibrary.h).
   Prototypes as in curl/curl.h and curl/easy.h (Debian's libcurl4-openssl-dev); the compiler checks each. */

/* curl.h otherwise makes curl_easy_setopt and curl_easy_getinfo type-checking macros, which would rewrite the
   definitions below. */
#define CURL_DISABLE_TYPECHECK
#include "CCurl.h"
#include "CLazyLibrary.h"

#include <stdarg.h>

#define CURL_FUNCTIONS(F, V) \
    F(CURLcode, curl_global_init, (long flags), (flags)) \
    F(const char *, curl_easy_strerror, (CURLcode code), (code)) \
    F(CURL *, curl_easy_init, (void), ()) \
    F(CURLcode, curl_easy_perform, (CURL *curl), (curl)) \
    V(curl_easy_cleanup, (CURL *curl), (curl)) \
    F(struct curl_slist *, curl_slist_append, (struct curl_slist *list, const char *data), (list, data)) \
    V(curl_slist_free_all, (struct curl_slist *list), (list))

/* The two C-variadic functions are written out below; they are looked up with the rest. */
#define CURL_VARIADIC_FUNCTIONS(F, V) \
    F(CURLcode, curl_easy_setopt, (CURL *curl, CURLoption option, ...), ()) \
    F(CURLcode, curl_easy_getinfo, (CURL *curl, CURLINFO info, ...), ())

#define CURL_ALL_FUNCTIONS(F, V) CURL_FUNCTIONS(F, V) CURL_VARIADIC_FUNCTIONS(F, V)
/* Debian 12's libcurl4 package (libcurl4-openssl-dev links it); the soname has been libcurl.so.4 since curl 7.16. */
WALLETBRIDGE_LAZY_TABLE(CURL_ALL_FUNCTIONS, lazy_libcurl, "libcurl.so.4")
#define WALLETBRIDGE_LAZY_SELF lazy_libcurl

CURL_FUNCTIONS(WALLETBRIDGE_LAZY_STUB, WALLETBRIDGE_LAZY_VOID_STUB)

/* An option's one argument has the type its number range says (curl.h, CURLOPTTYPE_*): long below 10000, an object
   pointer below 20000, a function pointer below 30000, curl_off_t below 40000, a struct curl_blob pointer above. */
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
    va_list arguments;
    va_start(arguments, option);
    CURLcode code;
    if (option < CURLOPTTYPE_OBJECTPOINT) {
        code = WALLETBRIDGE_LAZY_CALL(curl_easy_setopt)(curl, option, va_arg(arguments, long));
    } else if (option < CURLOPTTYPE_FUNCTIONPOINT) {
        code = WALLETBRIDGE_LAZY_CALL(curl_easy_setopt)(curl, option, va_arg(arguments, void *));
    } else if (option < CURLOPTTYPE_OFF_T) {
        code = WALLETBRIDGE_LAZY_CALL(curl_easy_setopt)(curl, option, va_arg(arguments, void (*)(void)));
    } else if (option < CURLOPTTYPE_BLOB) {
        code = WALLETBRIDGE_LAZY_CALL(curl_easy_setopt)(curl, option, va_arg(arguments, curl_off_t));
    } else {
        code = WALLETBRIDGE_LAZY_CALL(curl_easy_setopt)(curl, option, va_arg(arguments, void *));
    }
    va_end(arguments);
    return code;
}

/* Every CURLINFO_* takes one pointer to where the answer goes (curl.h, curl_easy_getinfo). */
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
    va_list arguments;
    va_start(arguments, info);
    CURLcode code = WALLETBRIDGE_LAZY_CALL(curl_easy_getinfo)(curl, info, va_arg(arguments, void *));
    va_end(arguments);
    return code;
}

const char *walletbridge_curl_open(void) { return walletbridge_lazy_library_open(&lazy_libcurl); }
