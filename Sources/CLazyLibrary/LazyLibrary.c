#include "CLazyLibrary.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void walletbridge_lazy_library_fail(struct walletbridge_lazy_library *library, const char *what)
{
    const char *reason = dlerror();
    snprintf(library->error, sizeof library->error, "%s: %s", what, reason != NULL ? reason : "unknown error");
}

const char *walletbridge_lazy_library_open(struct walletbridge_lazy_library *library)
{
    if (__atomic_load_n(&library->state, __ATOMIC_ACQUIRE) == 1) return NULL;
    pthread_mutex_lock(&library->lock);
    if (library->state == 0) {
        /* RTLD_LOCAL: the library's symbols stay out of the global scope, so they never bind in place of these stubs. */
        void *handle = dlopen(library->soname, RTLD_NOW | RTLD_LOCAL);
        int found = handle != NULL;
        if (!found) walletbridge_lazy_library_fail(library, library->soname);
        for (size_t index = 0; found && index < library->count; index++) {
            library->functions[index] = dlsym(handle, library->names[index]);
            if (library->functions[index] == NULL) {
                walletbridge_lazy_library_fail(library, library->names[index]);
                found = 0;
            }
        }
        /* A failed library stays open if it opened: its constructors have run, and closing it gains nothing. */
        __atomic_store_n(&library->state, found ? 1 : -1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&library->lock);
    return library->state == 1 ? NULL : library->error;
}

void *walletbridge_lazy_library_function(struct walletbridge_lazy_library *library, size_t index)
{
    if (__atomic_load_n(&library->state, __ATOMIC_ACQUIRE) != 1) {
        const char *error = walletbridge_lazy_library_open(library);
        if (error != NULL) {
            fprintf(stderr, "walletbridge: %s was called but could not be loaded (%s)\n", library->names[index], error);
            abort();
        }
    }
    return library->functions[index];
}
