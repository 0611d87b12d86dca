/* The error object carried through every call: errno-style code plus a message naming what failed and on
 * what. Libraries never print or exit; the CLI prints the message once, at the top. */
#pragma once

#include <stdarg.h>

typedef struct berth_error {
        int code;      /* errno-style, positive; 0 while no error is set */
        char *message; /* "mount proc on /proc: Operation not permitted" */
} berth_error;

/* Sets the error to "<formatted>: strerror(code)" and returns -code, so that a caller can write
 *   return berth_fail(err, errno, "open %s", path);
 * A code of 0 is stored as EIO. When err already holds an error, the first one is kept: it is the cause. */
int berth_fail(berth_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Like berth_fail, without the strerror suffix: for validation errors whose message already says it all
 * ("config.json: process.args: must be a non-empty array"). */
int berth_failf(berth_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int berth_vfailf(berth_error *err, int code, const char *fmt, va_list ap);

/* Prepends context to an error already set: "create container x: " + message. Returns -code. */
int berth_error_prefix(berth_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Frees the message and resets the error so it can be reused. */
void berth_error_clear(berth_error *err);

/* The message, or a generic text when none is set (never NULL). */
const char *berth_error_message(const berth_error *err);

#define cleanup_error __attribute__((cleanup(berth_error_clear)))
