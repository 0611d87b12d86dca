/* The event journal: docker's events (create, start, die, kill, stop, destroy, oom, health_status, pull,
 * tag, untag, delete, ...) kept in a file, since there is no daemon to hold them. Every process that
 * changes a container or an image appends to it; `berth events` and the Docker API's /events read it.
 *
 *   ROOT/events.log     one docker events.Message per line (JSON, as /events sends it)
 *   ROOT/events.log.1   the previous file: the journal is bounded to two files of ENGINE_EVENTS_MAX_BYTES
 *   ROOT/events.lock    flock(2)ed by writers (exclusive) and by readers opening the pair (shared)
 *
 * Appends are one O_APPEND write(2) each, under the lock: concurrent writers never interleave, and a
 * rotation (rename to .1) never loses a line. A line left torn by a crash is skipped by readers (counted in
 * engine_events_result.corrupt_lines); the next writer starts on a fresh line. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"
#include "engine/engine.h"

#define ENGINE_EVENTS_FILE "events.log"
#define ENGINE_EVENTS_LOCK "events.lock"
/* ROOT/containers/ID/exit.event: this run's die has been recorded (made O_EXCL, removed at start). */
#define ENGINE_DIE_MARKER "exit.event"
/* Each of the two files; BERTH_EVENTS_MAX_SIZE (bytes) overrides it (tests of the rotation). */
#define ENGINE_EVENTS_MAX_BYTES (1024 * 1024)

/* Appends one event. type: "container", "image", "volume", ...; action: docker's Action ("die",
 * "health_status: healthy"); from: docker's deprecated "from" (a container's image) or NULL; attributes:
 * an object of strings or NULL (borrowed). */
int engine_event_append(const char *root, const char *type, const char *action, const char *actor_id, const char *from,
                        json_t *attributes, berth_error *err);

/* A container's event, with docker's attributes (image, name, the container's labels) plus extra (an object
 * of strings, stolen; NULL for none). Never fails the operation it records: a journal that cannot be
 * written is reported to the engine's log. */
void engine_event_container(struct engine *e, const struct engine_container *c, const char *action, json_t *extra);
/* An image's event: Actor.ID id, Attributes.name name (docker: pull's ID is the reference, tag's and
 * untag's ID the image id, with the tag or the id as name). Errors are ignored as above. */
void engine_event_image(const char *root, const char *action, const char *id, const char *name);

/* A pull or push (action) of ref ("busybox:latest"): docker's ID is the familiar reference, its name the
 * repository. */
void engine_event_image_reference(const char *root, const char *action, const char *ref);
/* An image removal: an untag per removed tag, a delete when the image itself (id) went. */
void engine_event_image_removal(const char *root, const char *id, char *const *untagged, char *const *deleted);
/* A network's event (docker's create, destroy, connect, disconnect): Actor.ID the network's ID, attributes
 * name and type (the driver: "bridge"), and container (its ID) for connect and disconnect. */
void engine_event_network(const char *root, const char *action, const char *id, const char *name, const char *container);
/* docker's `prune` event of a type ("container", "image", "volume", "network"): no actor, the attribute
 * reclaimed (bytes, in decimal). */
void engine_event_prune(const char *root, const char *type, uint64_t reclaimed);

/* docker's event filters: container, image, event, label, type, volume, network (values of one key are
 * alternatives, keys must all match). */
struct engine_events_filter {
        json_t *by_key; /* key -> array of values */
};
/* filters: "key=value" strings. An unknown key or type is refused (docker's "invalid filter"). */
int engine_events_filter_parse(char *const *filters, size_t n, struct engine_events_filter *out, berth_error *err);
bool engine_events_filter_match(const struct engine_events_filter *f, json_t *event);
void engine_events_filter_clear(struct engine_events_filter *f);

struct engine_events_options {
        const struct engine_events_filter *filter; /* NULL: every event */
        bool past;        /* the journal's events from since_ns first (else only the ones to come) */
        int64_t since_ns; /* unix nanoseconds; 0: from the start of the journal */
        int64_t until_ns; /* stop at this time (also while following); 0: never */
        bool follow;      /* wait for new events (until until_ns, or the sink says stop) */
};

/* Called with each matching event (docker's events.Message, borrowed); a non-zero return stops the read. */
typedef int (*engine_event_sink)(json_t *event, void *data);

struct engine_events_result {
        size_t corrupt_lines; /* lines that were not an event (a torn write): skipped */
};

int engine_events_read(const char *root, const struct engine_events_options *opts, engine_event_sink sink, void *data,
                       struct engine_events_result *res, berth_error *err);

/* The wall clock in unix nanoseconds (the events' timeNano). */
int64_t engine_events_now_ns(void);
