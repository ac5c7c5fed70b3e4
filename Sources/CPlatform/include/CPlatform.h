#ifndef WALLETBRIDGE_CPLATFORM_H
#define WALLETBRIDGE_CPLATFORM_H

/// Names the calling thread (Linux keeps 15 bytes and the NUL): what top -H and /proc/PID/task/TID/comm show.
/// prctl is variadic and pthread_setname_np needs _GNU_SOURCE, so neither reaches Swift directly.
int walletbridge_set_thread_name(const char *name);

#endif
