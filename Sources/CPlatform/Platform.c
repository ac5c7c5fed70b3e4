#include "CPlatform.h"

#include <sys/prctl.h>

int walletbridge_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
}
