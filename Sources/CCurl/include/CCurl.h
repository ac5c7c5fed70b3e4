#ifndef WALLETBRIDGE_CCURL_H
#define WALLETBRIDGE_CCURL_H

#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>

/* Opens libcurl (CurlLoader.c; CLazyLibrary.h says why it is not linked): NULL when it is usable, otherwise why not.
   Call before the first libcurl function. */
const char *walletbridge_curl_open(void);

/* The write callback of a request whose answer is not read. */
static size_t walletbridge_curl_discard(char *data, size_t size, size_t count, void *context)
{
    (void)data;
    (void)context;
    return size * count;
}

typedef size_t (*walletbridge_curl_write)(char *data, size_t size, size_t count, void *context);

/*
 * curl_easy_setopt and curl_easy_getinfo are C-variadic, which Swift cannot call: this wrapper does one whole request
 * with the options the service's HTTP clients need. `method` (GET, POST, ...); `body` sent when not NULL; the answer's
 * body handed to `write` with `context`, or discarded when `write` is NULL. It blocks in curl's poll() until the
 * answer or the timeout (no busy wait), never raises signals (CURLOPT_NOSIGNAL, for threads), ignores proxy
 * environment variables (CURLOPT_PROXY ""), follows no redirects, speaks http and https only. Returns the CURLcode;
 * on success `*status` holds the HTTP status, otherwise `error` (CURL_ERROR_SIZE bytes) says what went wrong.
 */
static inline int walletbridge_curl_request(const char *method, const char *url, const uint8_t *body,
                                            size_t body_length, const char *const *headers, size_t header_count,
                                            long timeout_ms, walletbridge_curl_write write, void *context,
                                            long *status, char *error)
{
    CURL *curl = curl_easy_init();
    if (curl == NULL) return CURLE_FAILED_INIT;
    struct curl_slist *list = NULL;
    for (size_t index = 0; index < header_count; index++) {
        struct curl_slist *appended = curl_slist_append(list, headers[index]);
        if (appended == NULL) {
            curl_slist_free_all(list);
            curl_easy_cleanup(curl);
            return CURLE_OUT_OF_MEMORY;
        }
        list = appended;
    }
    error[0] = 0;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    if (body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, (const char *)body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_length);
    }
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROXY, "");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write != NULL ? write : walletbridge_curl_discard);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, context);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    CURLcode code = curl_easy_perform(curl);
    if (code == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    return (int)code;
}

#endif
