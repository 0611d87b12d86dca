/* Containers as a set (list.c): finding one by a reference, listing them with their state refreshed from
 * the kernel and the monitor (reconcile.h), docker's list filters, and prune. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"

/* A full id, a unique id prefix or a name (with or without docker's "/") -> the full id. docker's words
 * when none or several match. */
int engine_container_resolve(struct engine *e, const char *ref, char **id_out, berth_error *err);
/* resolve + load: the container's record, refreshed. */
int engine_container_find(struct engine *e, const char *ref, struct engine_container **out, berth_error *err);

struct engine_list_options {
        bool all;      /* every state (docker ps -a); else running, paused and restarting ones */
        int last;      /* the last N created, whatever their state (ps -n); -1: no limit */
        /* docker's filters, "KEY=VALUE": status=, name= (a regular expression), label=KEY[=VALUE],
         * ancestor= (an image reference or id), id= (a prefix). One key's values are ORed, keys ANDed; a
         * status filter shows containers of that status without all. NULL-terminated, or NULL. */
        char *const *filters;
};

/* Refuses an unknown filter key or status ("invalid filter 'KEY'"). */
int engine_list_filters_check(char *const *filters, berth_error *err);

/* The containers, newest first, each refreshed, that the options select. */
int engine_container_list(struct engine *e, const struct engine_list_options *opts, struct engine_container ***out,
                          size_t *n, berth_error *err);
void engine_container_list_free(struct engine_container **list, size_t n);

/* container prune: removes every stopped (exited, dead) or created container that f lets through (its
 * until, label and label! filters: engine_prune_filter; NULL: all). *ids: the removed ones
 * (NULL-terminated); *reclaimed: the bytes of their writable layers (the snapshots' upper directories); a
 * container that could not be removed is reported through warn (may be NULL) and skipped. docker's destroy
 * events, then its prune event (reclaimed). */
int engine_container_prune(struct engine *e, const struct engine_prune_filter *f, char ***ids, uint64_t *reclaimed,
                           void (*warn)(const berth_error *err, void *data), void *data, berth_error *err);
