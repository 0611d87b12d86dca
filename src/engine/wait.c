#include "engine/wait.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"
#include "runtime/container.h"
#include "engine/events.h"
#include "engine/list.h"
#include "engine/reconcile.h"

int engine_wait_condition_parse(const char *s, enum engine_wait_condition *out, berth_error *err)
{
        if (s == NULL || *s == '\0' || strcmp(s, "not-running") == 0)
                *out = ENGINE_WAIT_NOT_RUNNING;
        else if (strcmp(s, "next-exit") == 0)
                *out = ENGINE_WAIT_NEXT_EXIT;
        else if (strcmp(s, "removed") == 0)
                *out = ENGINE_WAIT_REMOVED;
        else
                return berth_failf(err, EINVAL, "invalid condition: \"%s\"", s);
        return 0;
}

void engine_wait_clear(struct engine_wait *w)
{
        free(w->id);
        free(w->finished_at);
        *w = (struct engine_wait){0};
}

int engine_container_wait_begin(struct engine *e, const char *ref, enum engine_wait_condition cond, struct engine_wait *w,
                                berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        int r;

        if ((r = engine_container_find(e, ref, &c, err)) < 0)
                return r;
        w->id = xstrdup(c->id);
        w->cond = cond;
        w->finished_at = xstrdup(c->finished_at ? c->finished_at : "");
        w->since_ns = engine_events_now_ns();
        return 0;
}

static int last_exit_code(json_t *event, void *data)
{
        const char *code = json_string_value(json_object_get(json_object_get(json_object_get(event, "Actor"), "Attributes"),
                                                             "exitCode"));
        if (code != NULL)
                *(int *) data = atoi(code);
        return 0;
}

/* The container is gone: the exit code its die event (the journal's, since begin) recorded. */
static int removed_exit_code(struct engine *e, const struct engine_wait *w, int *exit_code, berth_error *err)
{
        cleanup_free char *by_id = xasprintf("container=%s", w->id);
        char *filters[] = {by_id, "event=die", NULL};
        struct engine_events_filter f = {0};
        struct engine_events_options o = {.filter = &f, .past = true, .since_ns = w->since_ns,
                                          .until_ns = engine_events_now_ns() + 1};
        struct engine_events_result res = {0};
        int r;

        *exit_code = 0;
        if ((r = engine_events_filter_parse(filters, 2, &f, err)) < 0)
                return r;
        r = engine_events_read(e->store->root, &o, last_exit_code, exit_code, &res, err);
        engine_events_filter_clear(&f);
        return r;
}

static bool holds(const struct engine_wait *w, const struct engine_container *c)
{
        bool stopped = c->status == ENGINE_CREATED || c->status == ENGINE_EXITED || c->status == ENGINE_DEAD;

        switch (w->cond) {
        case ENGINE_WAIT_NOT_RUNNING:
                return stopped;
        case ENGINE_WAIT_NEXT_EXIT:
                return (c->status == ENGINE_EXITED || c->status == ENGINE_DEAD) &&
                       strcmp(c->finished_at ? c->finished_at : "", w->finished_at) != 0;
        default:
                return false;
        }
}

/* The container's directory watched: the monitor's exit file renamed into it, the exit command's removal of
 * its files, the directory itself going. -1 when inotify is out of instances or watches (then: polling). */
static int watch_container_dir(struct engine *e, const char *id)
{
        cleanup_free char *dir = engine_container_dir(e, id);
        int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);

        if (fd < 0)
                return -1;
        if (inotify_add_watch(fd, dir, IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_DELETE_SELF) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

/* Until something changed in the container's directory, or 20 ms (what the record holds may change
 * without a file changing there: polling stays the floor). */
static void wait_for_change(int watch)
{
        struct pollfd p = {.fd = watch, .events = POLLIN};
        char events[4096];

        if (watch < 0) {
                usleep(20000);
                return;
        }
        if (poll(&p, 1, 20) > 0)
                while (read(watch, events, sizeof(events)) > 0)
                        ;
}

int engine_container_wait_end(struct engine *e, const struct engine_wait *w, int *exit_code, berth_error *err)
{
        /* Set up before the first look at the record: a change after that look wakes the wait. */
        cleanup_close int watch = watch_container_dir(e, w->id);

        for (;;) {
                cleanup_engine_container struct engine_container *c = NULL;
                int r = engine_container_load(e, w->id, &c, err);

                if (r == -ENOENT) {
                        berth_error_clear(err);
                        return removed_exit_code(e, w, exit_code, err);
                }
                if (r < 0)
                        return r;
                if (holds(w, c)) {
                        *exit_code = c->exit_code;
                        return 0;
                }
                if (c->status == ENGINE_RUNNING && engine_process_alive(c->pid, c->pid_start))
                        (void) container_wait_pid_gone(c->pid, c->pid_start, 1000, NULL);
                else
                        wait_for_change(watch);
        }
}
