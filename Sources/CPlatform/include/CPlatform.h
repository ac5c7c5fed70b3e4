#ifndef WALLETBRIDGE_CPLATFORM_H
#define WALLETBRIDGE_CPLATFORM_H

/// Names the calling thread (Linux keeps 15 bytes and the NUL): what top -H and /proc/PID/task/TID/comm show.
/// prctl is variadic and pthread_setname_np needs _GNU_SOURCE, so neither reaches Swift directly.
int walletbridge_set_thread_name(const char *name);

/// Puts the calling thread under SCHED_BATCH (batch != 0) or SCHED_OTHER: 0, or -1 with errno. SCHED_BATCH is
/// defined only under _GNU_SOURCE, so Swift cannot name it.
int walletbridge_set_thread_batch_scheduling(int batch);

/// 1 when the calling thread runs under SCHED_BATCH.
int walletbridge_thread_batch_scheduled(void);

#endif
