/* logs: the json-file log the monitor writes (ROOT/containers/ID/ID-json.log and its rotated files .1 ...
 * .N, oldest last), read entry by entry (logs.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"

struct engine_logs_options {
        bool follow;         /* then wait for new entries until the container stops */
        long tail;           /* only the last N entries; -1: all */
        double since, until; /* seconds since the epoch (with fraction); 0: unset */
        /* follow: asked between reads; true ends the follow (the API's client went away). NULL: never. */
        bool (*cancelled)(void *data);
};

/* One entry: the bytes as the container wrote them, "stdout" or "stderr", and the time the monitor
 * recorded (RFC 3339, nanoseconds). */
typedef void (*engine_log_sink)(const char *stream, const char *time, const char *bytes, size_t len, void *data);

/* REF: an id, a unique id prefix or a name. Refused for a container whose log driver is "none" (docker's
 * message). */
int engine_container_logs(struct engine *e, const char *ref, const struct engine_logs_options *opts, engine_log_sink sink,
                          void *data, berth_error *err);

/* An RFC 3339 time with its fraction -> seconds since the epoch; < 0 when it is not one. */
double engine_log_time(const char *rfc3339);
