/* The event journal (events.h): appending under the writers' lock with rotation, reading the two files in
 * order, and following the current one across rotations. */
#include "engine/events.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/reference.h"
#include "lib/cleanup.h"
#include "lib/util.h"

int64_t engine_events_now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static off_t max_bytes(void)
{
        const char *s = getenv("BERTH_EVENTS_MAX_SIZE");
        int64_t v;

        if (s != NULL && parse_i64(s, &v) == 0 && v >= 512)
                return (off_t) v;
        return ENGINE_EVENTS_MAX_BYTES;
}

static int open_lock(int rootfd, const char *root, int op, berth_error *err)
{
        int fd = openat(rootfd, ENGINE_EVENTS_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

        if (fd < 0)
                return berth_fail(err, errno, "open %s/%s", root, ENGINE_EVENTS_LOCK);
        while (flock(fd, op) < 0) {
                if (errno != EINTR) {
                        int r = berth_fail(err, errno, "lock %s/%s", root, ENGINE_EVENTS_LOCK);
                        close(fd);
                        return r;
                }
        }
        return fd;
}

static int open_log(int rootfd, const char *root, berth_error *err)
{
        int fd = openat(rootfd, ENGINE_EVENTS_FILE, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

        if (fd < 0)
                return berth_fail(err, errno, "open %s/%s", root, ENGINE_EVENTS_FILE);
        return fd;
}

/* Under the lock: the current file, rotated first when the line would take it past the bound, and a
 * newline first when the last writer's line was torn (a crash mid-write): that line stays one bad line. */
static int append_line(int rootfd, const char *root, const char *line, size_t len, berth_error *err)
{
        cleanup_close int fd = open_log(rootfd, root, err);
        struct stat st;
        char last = '\n';

        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return berth_fail(err, errno, "stat %s/%s", root, ENGINE_EVENTS_FILE);
        if (st.st_size > 0 && st.st_size + (off_t) len > max_bytes()) {
                if (renameat(rootfd, ENGINE_EVENTS_FILE, rootfd, ENGINE_EVENTS_FILE ".1") < 0)
                        return berth_fail(err, errno, "rotate %s/%s", root, ENGINE_EVENTS_FILE);
                close(steal_fd(&fd));
                if ((fd = open_log(rootfd, root, err)) < 0)
                        return fd;
                st.st_size = 0;
        }
        if (st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n') {
                if (write_all(fd, "\n", 1) < 0)
                        return berth_fail(err, errno, "write %s/%s", root, ENGINE_EVENTS_FILE);
        }
        /* One write(2) of the whole line: O_APPEND writes to a file are not interleaved. */
        if (write_all(fd, line, len) < 0)
                return berth_fail(err, errno, "write %s/%s", root, ENGINE_EVENTS_FILE);
        return 0;
}

int engine_event_append(const char *root, const char *type, const char *action, const char *actor_id, const char *from,
                        json_t *attributes, berth_error *err)
{
        int64_t now = engine_events_now_ns();
        json_t *attrs = attributes ? json_incref(attributes) : json_object();
        json_t *ev = json_object();
        cleanup_free char *text = NULL, *line = NULL;
        cleanup_close int rootfd = -1, lockfd = -1;

        /* docker's events.Message, with its deprecated status/id/from for containers and images. */
        if (strcmp(type, "container") == 0 || strcmp(type, "image") == 0) {
                json_object_set_new(ev, "status", json_string(action));
                json_object_set_new(ev, "id", json_string(actor_id));
                if (from != NULL)
                        json_object_set_new(ev, "from", json_string(from));
        }
        json_object_set_new(ev, "Type", json_string(type));
        json_object_set_new(ev, "Action", json_string(action));
        json_object_set_new(ev, "Actor", json_pack("{s:s, s:o}", "ID", actor_id, "Attributes", attrs));
        json_object_set_new(ev, "scope", json_string("local"));
        json_object_set_new(ev, "time", json_integer(now / 1000000000));
        json_object_set_new(ev, "timeNano", json_integer(now));
        text = json_dumps(ev, JSON_COMPACT);
        json_decref(ev);
        if (text == NULL)
                return berth_failf(err, ENOMEM, "encode a %s event", action);
        line = xasprintf("%s\n", text);

        rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return berth_fail(err, errno, "open %s", root);
        if ((lockfd = open_lock(rootfd, root, LOCK_EX, err)) < 0)
                return lockfd;
        return append_line(rootfd, root, line, strlen(line), err);
}

/* docker's reference.FamiliarString ("busybox:latest"); *repo: FamiliarName ("busybox"). */
static char *familiar(const char *ref, char **repo)
{
        cleanup_image_ref struct image_ref r = {0};
        cleanup_free char *name = NULL;

        if (image_ref_parse(ref, false, &r, NULL) < 0) {
                if (repo != NULL)
                        *repo = xstrdup(ref);
                return xstrdup(ref);
        }
        name = image_ref_familiar_repository(&r);
        if (repo != NULL)
                *repo = xstrdup(name);
        if (r.digest != NULL)
                return xasprintf("%s%s%s@%s", name, r.tag ? ":" : "", r.tag ? r.tag : "", r.digest);
        return r.tag ? xasprintf("%s:%s", name, r.tag) : steal_pointer(&name);
}

void engine_event_image(const char *root, const char *action, const char *id, const char *name)
{
        cleanup_free char *shown = str_has_prefix(name, "sha256:") ? xstrdup(name) : familiar(name, NULL);
        json_t *attrs = json_pack("{s:s}", "name", shown);

        (void) engine_event_append(root, "image", action, id, NULL, attrs, NULL);
        json_decref(attrs);
}

void engine_event_image_reference(const char *root, const char *action, const char *ref)
{
        cleanup_free char *repo = NULL;
        cleanup_free char *shown = familiar(ref, &repo);
        json_t *attrs = json_pack("{s:s}", "name", repo);

        (void) engine_event_append(root, "image", action, shown, NULL, attrs, NULL);
        json_decref(attrs);
}

void engine_event_network(const char *root, const char *action, const char *id, const char *name, const char *container)
{
        json_t *attrs = json_pack("{s:s, s:s}", "name", name, "type", "bridge");

        if (container != NULL)
                json_object_set_new(attrs, "container", json_string(container));
        (void) engine_event_append(root, "network", action, id, NULL, attrs, NULL);
        json_decref(attrs);
}

void engine_event_prune(const char *root, const char *type, uint64_t reclaimed)
{
        cleanup_free char *bytes = xasprintf("%" PRIu64, reclaimed);
        json_t *attrs = json_pack("{s:s}", "reclaimed", bytes);

        (void) engine_event_append(root, type, "prune", "", NULL, attrs, NULL);
        json_decref(attrs);
}

void engine_event_image_removal(const char *root, const char *id, char *const *untagged, char *const *deleted)
{
        for (char *const *u = untagged; u && *u; u++)
                engine_event_image(root, "untag", id, id);
        for (char *const *d = deleted; d && *d; d++)
                if (strcmp(*d, id) == 0)
                        engine_event_image(root, "delete", id, id);
}

void engine_event_container(struct engine *e, const struct engine_container *c, const char *action, json_t *extra)
{
        json_t *attrs = json_object();
        json_t *labels = json_object_get(c->config, "Labels");
        const char *image = c->image_ref && *c->image_ref ? c->image_ref : c->image_id;
        berth_error err = {0};
        const char *k;
        json_t *v;

        /* docker: the container's labels, then image and name over them, then the action's own. */
        json_object_foreach(labels, k, v)
                if (json_is_string(v))
                        json_object_set(attrs, k, v);
        json_object_set_new(attrs, "image", json_string(image ? image : ""));
        json_object_set_new(attrs, "name", json_string(c->name ? c->name : ""));
        if (extra != NULL) {
                json_object_update(attrs, extra);
                json_decref(extra);
        }
        if (engine_event_append(e->store->root, "container", action, c->id, image, attrs, &err) < 0)
                log_error(&e->log, "event %s of %s: %s", action, c->id, berth_error_message(&err));
        berth_error_clear(&err);
        json_decref(attrs);
}

/* --- reading --- */

struct reader {
        const struct engine_events_options *o;
        engine_event_sink sink;
        void *data;
        struct engine_events_result *res;
        char *buf; /* a line not yet ended */
        size_t len, cap;
        int stop;
};

static void handle_line(struct reader *rd, const char *line, size_t n)
{
        json_t *ev;
        json_t *t;
        int64_t ns;

        if (n == 0)
                return;
        ev = json_loadb(line, n, 0, NULL);
        t = json_object_get(ev, "timeNano");
        if (!json_is_object(ev) || !json_is_integer(t) || !json_is_string(json_object_get(ev, "Action"))) {
                rd->res->corrupt_lines++;
                json_decref(ev);
                return;
        }
        ns = json_integer_value(t);
        if (rd->o->until_ns > 0 && ns > rd->o->until_ns)
                rd->stop = 1;
        else if ((!rd->o->past || ns >= rd->o->since_ns) &&
                 (rd->o->filter == NULL || engine_events_filter_match(rd->o->filter, ev)))
                rd->stop = rd->sink(ev, rd->data);
        json_decref(ev);
}

static void buffer_append(struct reader *rd, const char *p, size_t n)
{
        if (rd->len + n > rd->cap) {
                rd->cap = (rd->len + n) * 2;
                rd->buf = xrealloc(rd->buf, rd->cap);
        }
        memcpy(rd->buf + rd->len, p, n);
        rd->len += n;
}

/* Reads what fd has now, handing each complete line over; a partial last line waits for its end. */
static int drain(struct reader *rd, int fd, const char *what, berth_error *err)
{
        char chunk[65536];

        while (!rd->stop) {
                ssize_t n = read(fd, chunk, sizeof(chunk));
                size_t start = 0;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return berth_fail(err, errno, "read %s", what);
                if (n == 0)
                        return 0;
                for (size_t i = 0; i < (size_t) n && !rd->stop; i++) {
                        if (chunk[i] != '\n')
                                continue;
                        if (rd->len > 0) {
                                buffer_append(rd, chunk + start, i - start);
                                handle_line(rd, rd->buf, rd->len);
                                rd->len = 0;
                        } else {
                                handle_line(rd, chunk + start, i - start);
                        }
                        start = i + 1;
                }
                if (!rd->stop && start < (size_t) n)
                        buffer_append(rd, chunk + start, (size_t) n - start);
        }
        return 0;
}

/* A partial line at the end of a file that will get no more (rotated, or the reading is over) was torn. */
static void end_of_file(struct reader *rd)
{
        if (rd->len > 0 && !rd->stop)
                handle_line(rd, rd->buf, rd->len);
        rd->len = 0;
}

static bool same_file(int fd, int rootfd)
{
        struct stat a, b;

        return fstat(fd, &a) == 0 && fstatat(rootfd, ENGINE_EVENTS_FILE, &b, 0) == 0 && a.st_ino == b.st_ino &&
               a.st_dev == b.st_dev;
}

static bool same_inode(int a_fd, int b_fd)
{
        struct stat a, b;

        return fstat(a_fd, &a) == 0 && fstat(b_fd, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static int open_read(int rootfd, const char *name)
{
        return openat(rootfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

int engine_events_read(const char *root, const struct engine_events_options *o, engine_event_sink sink, void *data,
                       struct engine_events_result *res, berth_error *err)
{
        struct reader rd = {.o = o, .sink = sink, .data = data, .res = res};
        cleanup_close int rootfd = -1, old = -1, cur = -1;
        cleanup_free char *path = xasprintf("%s/%s", root, ENGINE_EVENTS_FILE);
        int r = 0;

        *res = (struct engine_events_result){0};
        rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return berth_fail(err, errno, "open %s", root);
        {
                /* Both files opened as one pair: no rotation between the two opens. */
                cleanup_close int lockfd = open_lock(rootfd, root, LOCK_SH, err);
                if (lockfd < 0)
                        return lockfd;
                if (o->past)
                        old = open_read(rootfd, ENGINE_EVENTS_FILE ".1");
                cur = open_read(rootfd, ENGINE_EVENTS_FILE);
                if (cur < 0 && errno != ENOENT)
                        return berth_fail(err, errno, "open %s", path);
        }
        if (old >= 0) {
                if ((r = drain(&rd, old, path, err)) < 0)
                        goto out;
                end_of_file(&rd);
        }
        if (cur >= 0 && !o->past && lseek(cur, 0, SEEK_END) < 0) {
                r = berth_fail(err, errno, "seek %s", path);
                goto out;
        }
        for (;;) {
                if (cur >= 0 && (r = drain(&rd, cur, path, err)) < 0)
                        goto out;
                if (rd.stop || !o->follow)
                        break;
                if (o->until_ns > 0 && engine_events_now_ns() > o->until_ns)
                        break;
                if (cur < 0 || !same_file(cur, rootfd)) {
                        /* Rotated (or made): what was written to the old file before the rename, then, when the
                         * rotated file is not ours (a whole file was written and rotated while we slept: a reader
                         * held up on a loaded machine), that one, then the new one from its start. The two are
                         * opened as one pair, under the lock. */
                        cleanup_close int skipped = -1;
                        int next;
                        {
                                cleanup_close int lockfd = open_lock(rootfd, root, LOCK_SH, err);
                                if (lockfd < 0) {
                                        r = lockfd;
                                        goto out;
                                }
                                skipped = open_read(rootfd, ENGINE_EVENTS_FILE ".1");
                                next = open_read(rootfd, ENGINE_EVENTS_FILE);
                        }
                        if (next < 0 && errno != ENOENT) {
                                r = berth_fail(err, errno, "open %s", path);
                                goto out;
                        }
                        if (next >= 0) {
                                if (cur >= 0) {
                                        if ((r = drain(&rd, cur, path, err)) < 0) {
                                                close(next);
                                                goto out;
                                        }
                                        end_of_file(&rd);
                                }
                                if (skipped >= 0 && (cur < 0 || !same_inode(skipped, cur))) {
                                        if ((r = drain(&rd, skipped, path, err)) < 0) {
                                                close(next);
                                                goto out;
                                        }
                                        end_of_file(&rd);
                                }
                                if (cur >= 0)
                                        close(cur);
                                cur = next;
                                continue;
                        }
                }
                {
                        struct timespec ts = {.tv_sec = 0, .tv_nsec = 100 * 1000000};
                        nanosleep(&ts, NULL);
                }
        }
        if (!o->follow)
                end_of_file(&rd);
out:
        free(rd.buf);
        return r;
}
