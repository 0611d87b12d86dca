/* GET /containers/{id}/stats: docker's stats object from the engine's samples (engine/stats.h). stream=false:
 * one object, with precpu_stats from a sample a second before (one-shot=true: without it), as dockerd;
 * stream=true: an object a second, each with the one before as precpu_stats, until the client goes, the
 * container stops or the service does. The docker CLI computes CPU % and memory from these fields. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"
#include "api/api.h"
#include "engine/list.h"
#include "engine/stats.h"

struct stats_job {
        struct api_server *srv;
        struct engine *e;
        char *id;
        char *name;
        bool networks; /* the container has a network namespace of its own (bridge, user networks) */
        bool stream;
        bool one_shot;
};

static json_t *cpu_json(const struct engine_stats_sample *s)
{
        if (s == NULL || !s->ok)
                return json_pack("{s:{s:i},s:i}", "cpu_usage", "total_usage", 0, "throttling_data", 0);
        return json_pack("{s:{s:I,s:i,s:i},s:I,s:i,s:{s:i,s:i,s:i}}", "cpu_usage", "total_usage",
                         (json_int_t) s->cpu_ns, "usage_in_kernelmode", 0, "usage_in_usermode", 0, "system_cpu_usage",
                         (json_int_t) s->system_ns, "online_cpus", (int) s->online_cpus, "throttling_data", "periods", 0,
                         "throttled_periods", 0, "throttled_time", 0);
}

static json_t *stats_json(const struct stats_job *j, const struct engine_stats_sample *now,
                          const struct engine_stats_sample *before, const char *read, const char *preread)
{
        json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:i}", "read", read, "preread", preread, "name", j->name, "id", j->id,
                              "num_procs", 0);

        json_object_set_new(o, "cpu_stats", cpu_json(now));
        json_object_set_new(o, "precpu_stats", cpu_json(before));
        if (!now->ok) {
                json_object_set_new(o, "pids_stats", json_object());
                json_object_set_new(o, "blkio_stats", json_pack("{s:n}", "io_service_bytes_recursive"));
                json_object_set_new(o, "memory_stats", json_object());
                return o;
        }
        json_object_set_new(o, "pids_stats", json_pack("{s:I}", "current", (json_int_t) now->pids));
        json_object_set_new(o, "blkio_stats",
                            json_pack("{s:[{s:i,s:i,s:s,s:I},{s:i,s:i,s:s,s:I}]}", "io_service_bytes_recursive", "major", 0,
                                      "minor", 0, "op", "read", "value", (json_int_t) now->blk_read, "major", 0, "minor", 0,
                                      "op", "write", "value", (json_int_t) now->blk_write));
        /* usage is already without the page cache that can be dropped: stats stays empty so that the CLI
         * subtracts nothing more. */
        json_object_set_new(o, "memory_stats", json_pack("{s:I,s:I,s:{}}", "usage", (json_int_t) now->mem_usage, "limit",
                                                          (json_int_t) now->mem_limit, "stats"));
        if (j->networks)
                json_object_set_new(o, "networks", json_pack("{s:{s:I,s:I}}", "eth0", "rx_bytes", (json_int_t) now->net_rx,
                                                             "tx_bytes", (json_int_t) now->net_tx));
        return o;
}

static bool write_object(int fd, json_t *o /* stolen */)
{
        bool ok = o != NULL && api_write_json_line(fd, o, "\n") == 0;

        json_decref(o);
        return ok;
}

/* Sleeps a second in steps, so that a stopping service ends the stream soon. */
static bool wait_second(const struct stats_job *j)
{
        for (int i = 0; i < 10; i++) {
                struct timespec step = {0, 100 * 1000 * 1000};
                if (j->srv->stopping)
                        return false;
                nanosleep(&step, NULL);
        }
        return !j->srv->stopping;
}

static void sample(struct stats_job *j, struct engine_stats_sample *s, char **when)
{
        berth_error err = {0};

        *s = (struct engine_stats_sample) {0};
        if (engine_container_stats_sample(j->e, j->id, s, &err) < 0)
                s->ok = false;
        berth_error_clear(&err);
        free(*when);
        *when = engine_now_rfc3339();
}

/* The sample taken becomes the one before; a second later, the next. False when the service stops. */
static bool next_sample(struct stats_job *j, struct engine_stats_sample *before, struct engine_stats_sample *now,
                        char **read, char **preread)
{
        *before = *now;
        free(*preread);
        *preread = steal_pointer(read);
        if (!wait_second(j))
                return false;
        sample(j, now, read);
        return true;
}

static void stats_produce(int fd, void *data)
{
        struct stats_job *j = data;
        struct engine_stats_sample before = {0}, now = {0};
        cleanup_free char *read = NULL, *preread = xstrdup("0001-01-01T00:00:00Z");

        sample(j, &now, &read);
        /* Not one-shot: the first object already has a sample a second before as its precpu_stats. */
        if (!j->one_shot && now.ok && !next_sample(j, &before, &now, &read, &preread))
                return;
        for (;;) {
                if (!write_object(fd, stats_json(j, &now, j->one_shot ? NULL : &before, read, preread)) ||
                    !j->stream || !now.ok || !next_sample(j, &before, &now, &read, &preread))
                        return;
        }
}

static void stats_done(void *data)
{
        struct stats_job *j = data;

        engine_close(j->e);
        free(j->id);
        free(j->name);
        free(j);
}

enum MHD_Result api_container_stats(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_engine_container struct engine_container *c = NULL;
        struct stats_job *j;
        struct engine *e;
        const char *mode;

        if (api_engine(req, &e, &err) < 0 || engine_container_find(e, req->parts[1], &c, &err) < 0)
                return api_reply_error(req, &err);
        j = xzalloc(sizeof(*j));
        j->srv = req->srv;
        j->id = xstrdup(c->id);
        j->name = xasprintf("/%s", c->name);
        mode = json_string_value(json_object_get(c->host_config, "NetworkMode"));
        j->networks = mode == NULL || (strcmp(mode, "host") != 0 && strcmp(mode, "none") != 0 &&
                                       strncmp(mode, "container:", 10) != 0);
        j->stream = api_query_bool(req, "stream", true);
        j->one_shot = !j->stream && api_query_bool(req, "one-shot", false);
        j->e = steal_pointer(&req->engine);
        return api_reply_stream(req, "application/json", stats_produce, stats_done, j);
}
