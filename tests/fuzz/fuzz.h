/* Shared by the libFuzzer harnesses (docs/fuzzing.md). Each harness feeds one parser of untrusted input;
 * libFuzzer with ASan and UBSan reports crashes, leaks, hangs and excess memory. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The parsers print their user-facing errors through stdio: a fuzz run would drown in them. Only the FILE
 * goes to /dev/null: the sanitizers and libFuzzer write to file descriptor 2 themselves. */
static inline void fuzz_quiet_stdio(void)
{
        FILE *null = fopen("/dev/null", "w");

        if (null != NULL) {
                stderr = null;
                stdout = null;
        }
}

/* A NUL-terminated copy of the input (C string parsers). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);

        if (s == NULL)
                abort();
        memcpy(s, data, size);
        s[size] = '\0';
        return s;
}

/* Splits the input at NUL bytes: up to max pieces, each a fresh string; returns the count. The last piece
 * takes the rest. */
static inline size_t fuzz_split(const uint8_t *data, size_t size, char **out, size_t max)
{
        size_t n = 0, start = 0;

        for (size_t i = 0; i <= size && n < max; i++) {
                if (i == size || (data[i] == '\0' && n + 1 < max)) {
                        out[n++] = fuzz_strndup(data + start, i - start);
                        start = i + 1;
                }
        }
        return n;
}
