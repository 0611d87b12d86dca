#include "registry/progress.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "image/digest.h"
#include "lib/util.h"

#define REDRAW_INTERVAL_MS 100

/* Layers are pushed, and unpacked, several at once: one event at a time reaches the display. */
static pthread_mutex_t emit_lock = PTHREAD_MUTEX_INITIALIZER;

void registry_emit_line(const struct registry_options *o, const char *fmt, ...)
{
        cleanup_free char *text = NULL;
        va_list ap;

        if (o->event == NULL)
                return;
        va_start(ap, fmt);
        text = xvasprintf(fmt, ap);
        va_end(ap);
        pthread_mutex_lock(&emit_lock);
        o->event(o->event_data, &(struct registry_event){.kind = REGISTRY_EVENT_LINE, .text = text});
        pthread_mutex_unlock(&emit_lock);
}

void registry_emit_layer(const struct registry_options *o, const char *digest, enum registry_layer_state state,
                         uint64_t current, uint64_t total, const char *text)
{
        char id[13];

        if (o->event == NULL)
                return;
        snprintf(id, sizeof(id), "%.12s", digest_is_valid(digest) ? digest_hex(digest) : digest);
        pthread_mutex_lock(&emit_lock);
        o->event(o->event_data, &(struct registry_event){.kind = REGISTRY_EVENT_LAYER, .id = id, .state = state,
                                                         .current = current, .total = total, .text = text});
        pthread_mutex_unlock(&emit_lock);
}

void progress_human_size(double bytes, char *buf, size_t size)
{
        static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
        size_t i = 0;

        while (bytes >= 1000.0 && i + 1 < ARRAY_SIZE(units)) {
                bytes /= 1000.0;
                i++;
        }
        snprintf(buf, size, "%.4g%s", bytes, units[i]);
}

static const char *state_text(enum registry_layer_state s)
{
        switch (s) {
        case LAYER_PULLING_FS_LAYER: return "Pulling fs layer";
        case LAYER_WAITING: return "Waiting";
        case LAYER_DOWNLOADING: return "Downloading";
        case LAYER_RETRYING: return "Retrying in";
        case LAYER_VERIFYING: return "Verifying Checksum";
        case LAYER_DOWNLOAD_COMPLETE: return "Download complete";
        case LAYER_EXTRACTING: return "Extracting";
        case LAYER_PULL_COMPLETE: return "Pull complete";
        case LAYER_ALREADY_EXISTS: return "Already exists";
        case LAYER_PREPARING: return "Preparing";
        case LAYER_PUSHING: return "Pushing";
        case LAYER_PUSHED: return "Pushed";
        case LAYER_EXISTS_REMOTE: return "Layer already exists";
        case LAYER_MOUNTED: return "Mounted from";
        }
        return "";
}

static bool state_has_bytes(enum registry_layer_state s)
{
        return s == LAYER_DOWNLOADING || s == LAYER_EXTRACTING || s == LAYER_PUSHING;
}

/* docker's JSONProgress.String(): "[====>     ]  1.234MB/4.567MB" (the bar only on wide terminals). */
static char *bar_text(uint64_t current, uint64_t total, bool with_bar)
{
        char cur[32], tot[32];

        if (current == 0 && total == 0)
                return xstrdup("");
        progress_human_size((double) current, cur, sizeof(cur));
        if (total == 0)
                return xasprintf("%8s", cur);
        progress_human_size((double) total, tot, sizeof(tot));
        int pct = (int) ((double) current / (double) total * 100.0) / 2;
        if (pct > 50)
                pct = 50;
        char bar[64] = "";
        if (with_bar) {
                memset(bar, 0, sizeof(bar));
                bar[0] = '[';
                memset(bar + 1, '=', (size_t) pct);
                bar[1 + pct] = '>';
                memset(bar + 2 + pct, ' ', (size_t) (50 - pct));
                bar[52] = ']';
                bar[53] = ' ';
                bar[54] = '\0';
        }
        if (current > total)
                return xstrdup(bar);
        return xasprintf("%s%8s/%s", bar, cur, tot);
}

char *progress_format(enum registry_layer_state state, const char *text, uint64_t current, uint64_t total,
                      bool with_bar)
{
        cleanup_free char *bytes = state_has_bytes(state) ? bar_text(current, total, with_bar) : NULL;

        if (state == LAYER_RETRYING)
                return xasprintf("Retrying in %s second%s", text ? text : "?", text && strcmp(text, "1") == 0 ? "" : "s");
        if (text != NULL && *text != '\0')
                return xasprintf("%s %s", state_text(state), text);
        if (bytes != NULL && *bytes != '\0')
                return xasprintf("%s %s", state_text(state), bytes);
        return xstrdup(state_text(state));
}

struct progress_line {
        char id[13];
        uint64_t last_ms;
        enum registry_layer_state state;
};

struct progress_display {
        FILE *out;
        bool terminal;
        int width;
        struct progress_line *lines;
        size_t n;
};

static uint64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

struct progress_display *progress_display_new(FILE *out, bool terminal)
{
        struct progress_display *d = xzalloc(sizeof(*d));
        struct winsize ws;

        d->out = out;
        d->terminal = terminal;
        if (terminal && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0)
                d->width = ws.ws_col;
        return d;
}

void progress_display_free(struct progress_display *d)
{
        if (d == NULL)
                return;
        free(d->lines);
        free(d);
}

static void display_line(struct progress_display *d, const struct registry_event *ev)
{
        /* Lines without an ID end the block of layer lines (docker forgets them: pull -a). */
        d->n = 0;
        fprintf(d->out, "%s\n", ev->text);
        fflush(d->out);
}

static void display_layer_plain(struct progress_display *d, const struct registry_event *ev)
{
        /* docker leaves out progress messages that carry byte counts when not on a terminal. */
        if (state_has_bytes(ev->state) && (ev->current > 0 || ev->total > 0))
                return;
        cleanup_free char *text = progress_format(ev->state, ev->text, ev->current, ev->total, false);
        fprintf(d->out, "%s: %s\n", ev->id, text);
        fflush(d->out);
}

static void display_layer_terminal(struct progress_display *d, const struct registry_event *ev)
{
        struct progress_line *l = NULL;
        size_t idx;
        uint64_t now = now_ms();

        for (idx = 0; idx < d->n; idx++)
                if (strcmp(d->lines[idx].id, ev->id) == 0) {
                        l = &d->lines[idx];
                        break;
                }
        if (l == NULL) {
                d->lines = xrealloc(d->lines, (d->n + 1) * sizeof(*d->lines));
                l = &d->lines[d->n];
                memset(l, 0, sizeof(*l));
                snprintf(l->id, sizeof(l->id), "%s", ev->id);
                idx = d->n++;
                fputc('\n', d->out);
        } else if (l->state == ev->state && state_has_bytes(ev->state) && now - l->last_ms < REDRAW_INTERVAL_MS &&
                   ev->current < ev->total) {
                return; /* throttled: byte counts redraw at most every 100 ms */
        }
        l->state = ev->state;
        l->last_ms = now;
        cleanup_free char *text = progress_format(ev->state, ev->text, ev->current, ev->total, d->width > 110);
        size_t up = d->n - idx;
        /* Up to the layer's line, clear it, write, and back down below the block (docker's jsonmessage). */
        fprintf(d->out, "\x1b[%zuA\x1b[2K\r%s: %s\r\x1b[%zuB", up, l->id, text, up);
        fflush(d->out);
}

void progress_display_event(void *data, const struct registry_event *ev)
{
        struct progress_display *d = data;

        if (ev->kind == REGISTRY_EVENT_LINE)
                display_line(d, ev);
        else if (d->terminal)
                display_layer_terminal(d, ev);
        else
                display_layer_plain(d, ev);
}
