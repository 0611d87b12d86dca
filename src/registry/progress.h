/* Progress: the events a pull or push sends (registry.h), and a renderer that shows them as docker does: on a
 * terminal one line per layer, redrawn in place with a bar and byte counts; otherwise one plain line per
 * state change (no byte counts), which is what docker prints into a log. The renderer writes to the FILE
 * the CLI gives it; the library itself only calls the event function. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "registry/registry.h"

void registry_emit_line(const struct registry_options *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* digest: "sha256:<hex>" (the event carries its first 12 hex digits). */
void registry_emit_layer(const struct registry_options *o, const char *digest, enum registry_layer_state state,
                         uint64_t current, uint64_t total, const char *text);

struct progress_display;
struct progress_display *progress_display_new(FILE *out, bool terminal);
/* Pass as registry_options.event with the display as event_data. */
void progress_display_event(void *data, const struct registry_event *ev);
void progress_display_free(struct progress_display *d);

/* docker's progress text for a state: "Downloading [=====>    ]  1.2MB/4.5MB". Newly allocated. */
char *progress_format(enum registry_layer_state state, const char *text, uint64_t current, uint64_t total,
                      bool with_bar);
/* units.HumanSizeWithPrecision(size, 4): "4.194MB", "512B" (decimal units). */
void progress_human_size(double bytes, char *buf, size_t size);
