/* wait with docker's conditions (wait.c): what the API's POST /containers/{id}/wait serves. The state the
 * condition is measured from is taken by begin (before the reply's headers go out: docker's client sends the
 * wait, then the start); end blocks until the condition holds. */
#pragma once

#include <stdint.h>

#include "engine/engine.h"

enum engine_wait_condition {
        ENGINE_WAIT_NOT_RUNNING, /* not running now (created, exited, dead): at once */
        ENGINE_WAIT_NEXT_EXIT,   /* the next exit after begin */
        ENGINE_WAIT_REMOVED,     /* the container's removal (--rm): its last exit code */
};
/* "not-running" (or ""), "next-exit", "removed"; EINVAL otherwise (docker's message). */
int engine_wait_condition_parse(const char *s, enum engine_wait_condition *out, berth_error *err);

struct engine_wait {
        char *id;
        enum engine_wait_condition cond;
        char *finished_at; /* at begin */
        int64_t since_ns;  /* begin, for the die event of a container removed meanwhile */
};
void engine_wait_clear(struct engine_wait *w);
#define cleanup_engine_wait __attribute__((cleanup(engine_wait_clear)))

/* REF: an id, a unique prefix or a name. ENOENT (docker's "No such container") when there is none. */
int engine_container_wait_begin(struct engine *e, const char *ref, enum engine_wait_condition cond, struct engine_wait *w,
                                berth_error *err);
/* Blocks until the condition holds; *exit_code: the container's (for a container removed meanwhile, the exit
 * code of its last die event since begin, 0 when it never ran). */
int engine_container_wait_end(struct engine *e, const struct engine_wait *w, int *exit_code, berth_error *err);
