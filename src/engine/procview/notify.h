/* sysinfo(2) calls of the containers, through their seccomp listeners (notify.c), answered by the worker. */
#pragma once

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/procview/procview.h"

/* A connection on the listening socket: its listener goes into the table and to the supervisor (sup). */
void procview_notify_accept(const struct procview_options *o, struct procview_listeners *l, int sup);
/* Listener index is readable (a call) or hung up (its processes are gone: it is closed, in the supervisor
 * too). Returns false when it was closed. */
bool procview_notify_handle(const struct procview_options *o, struct procview_listeners *l, uint32_t index, short revents,
                            int sup, const struct procview_mounts *m, struct procview_context *ctx);
/* A worker's start: the call its predecessor died answering is answered (the kernel's after three tries). */
void procview_notify_resume(const struct procview_options *o, const struct procview_listeners *l,
                            const struct procview_mounts *m, struct procview_context *ctx);
