#include "lib/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int store(berth_error *err, int code, char *message)
{
        if (code <= 0)
                code = EIO;
        if (err == NULL || err->code != 0) {
                /* Keep the first error: it names the cause; later ones are consequences. */
                free(message);
                return -code;
        }
        err->code = code;
        err->message = message;
        return -code;
}

int berth_vfailf(berth_error *err, int code, const char *fmt, va_list ap)
{
        char *message = NULL;

        if (vasprintf(&message, fmt, ap) < 0)
                message = NULL;
        return store(err, code, message);
}

int berth_failf(berth_error *err, int code, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = berth_vfailf(err, code, fmt, ap);
        va_end(ap);
        return r;
}

int berth_fail(berth_error *err, int code, const char *fmt, ...)
{
        char *what = NULL, *message = NULL;
        va_list ap;
        int r;

        if (code <= 0)
                code = EIO;
        va_start(ap, fmt);
        r = vasprintf(&what, fmt, ap);
        va_end(ap);
        if (r < 0)
                return store(err, code, NULL);
        if (asprintf(&message, "%s: %s", what, strerror(code)) < 0)
                message = NULL;
        free(what);
        return store(err, code, message);
}

int berth_error_prefix(berth_error *err, const char *fmt, ...)
{
        char *prefix = NULL, *message = NULL;
        va_list ap;
        int r;

        if (err == NULL)
                return -EIO;
        if (err->code == 0)
                return 0;
        va_start(ap, fmt);
        r = vasprintf(&prefix, fmt, ap);
        va_end(ap);
        if (r >= 0 && asprintf(&message, "%s%s", prefix, berth_error_message(err)) >= 0) {
                free(err->message);
                err->message = message;
        }
        free(prefix);
        return -err->code;
}

void berth_error_clear(berth_error *err)
{
        if (err == NULL)
                return;
        free(err->message);
        err->message = NULL;
        err->code = 0;
}

const char *berth_error_message(const berth_error *err)
{
        if (err == NULL || err->code == 0)
                return "no error";
        if (err->message != NULL)
                return err->message;
        return strerror(err->code);
}
