#define _GNU_SOURCE  /* SCHED_BATCH */
#include "CPlatform.h"

#include <sched.h>
#include <sys/prctl.h>

int walletbridge_set_thread_name(const char *name) {
    return prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
}

int walletbridge_set_thread_batch_scheduling(int batch) {
    struct sched_param parameters = { .sched_priority = 0 };
    /* On Linux, pid 0 is the calling thread, not the whole process. */
    return sched_setscheduler(0, batch ? SCHED_BATCH : SCHED_OTHER, &parameters);
}

int walletbridge_thread_batch_scheduled(void) {
    return sched_getscheduler(0) == SCHED_BATCH;
}
