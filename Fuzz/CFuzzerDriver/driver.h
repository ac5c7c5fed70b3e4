#include <stddef.h>
#include <stdint.h>

/*
 * libFuzzer's driver, for programs that keep their own main (SwiftPM renames an executable's entry point, so the
 * fuzzer runtime's main cannot be used). It is part of the runtime that `swiftc -sanitize=fuzzer` links; this header
 * only declares it. Documented in LLVM's libFuzzer docs ("Using libFuzzer as a library"), llvm/llvm-project
 * compiler-rt/lib/fuzzer/FuzzerInterface.h.
 */
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
