/*
 * `make bench-cli`'s stopwatch: runs one command and writes what `/usr/bin/time -f '%e %U %S %M'` writes (wall
 * seconds, user CPU seconds, system CPU seconds, peak RSS in KiB), with microseconds instead of GNU time's
 * hundredths: a 3 ms command shows as 0.00 there. The figures come from the same sources GNU time reads: the clock
 * around fork and wait, and wait4's rusage (ru_utime, ru_stime, ru_maxrss) of the one child.
 *
 * Usage: measure -o FILE COMMAND [ARGUMENTS...]   Exits with the command's status (128 + N when killed by signal N).
 * Build: cc -O2 -o measure measure.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds(struct timeval value) { return (double)value.tv_sec + (double)value.tv_usec / 1e6; }

int main(int argc, char **argv)
{
    if (argc < 4 || strcmp(argv[1], "-o") != 0) {
        fprintf(stderr, "usage: measure -o FILE COMMAND [ARGUMENTS...]\n");
        return 125;
    }
    FILE *out = fopen(argv[2], "w");
    if (out == NULL) {
        fprintf(stderr, "measure: %s: %s\n", argv[2], strerror(errno));
        return 125;
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t child = fork();
    if (child < 0) {
        perror("measure: fork");
        return 125;
    }
    if (child == 0) {
        fclose(out);
        execvp(argv[3], argv + 3);
        fprintf(stderr, "measure: %s: %s\n", argv[3], strerror(errno));
        _exit(127);
    }
    int status;
    struct rusage usage;
    while (wait4(child, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            perror("measure: wait4");
            return 125;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double wall = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    fprintf(out, "%.6f %.6f %.6f %ld\n", wall, seconds(usage.ru_utime), seconds(usage.ru_stime), usage.ru_maxrss);
    fclose(out);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
