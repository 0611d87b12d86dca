/* /events: the engine's journal (engine/events.h) as docker's stream of events.Message, one JSON document a
 * line: the past ones from `since`, then (without `until`) those to come, until the client goes away or the
 * service stops. Filters are docker's, matched by the engine. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"
#include "api/api.h"
#include "engine/events.h"

struct events_job {
        char *root;
        struct engine_events_filter filter;
        struct engine_events_options o;
        int fd;
};

static int events_sink(json_t *event, void *data)
{
        struct events_job *j = data;

        /* A failed write: the client went away, the read stops. */
        return api_write_json_line(j->fd, event, "\n") < 0;
}

static void events_produce(int fd, void *data)
{
        struct events_job *j = data;
        struct engine_events_result res = {0};
        berth_error err = {0};

        j->fd = fd;
        engine_events_read(j->root, &j->o, events_sink, j, &res, &err);
        berth_error_clear(&err);
}

static void events_done(void *data)
{
        struct events_job *j = data;

        engine_events_filter_clear(&j->filter);
        free(j->root);
        free(j);
}

/* docker's since/until: unix seconds with an optional fraction. */
static int parse_time_ns(struct api_request *req, const char *key, int64_t *out, berth_error *err)
{
        const char *v = api_query(req, key);
        char *end = NULL;
        double t;

        *out = 0;
        if (v == NULL || *v == '\0')
                return 0;
        t = strtod(v, &end);
        if (end == v || *end != '\0' || t < 0)
                return berth_failf(err, EINVAL, "invalid value for %s: %s", key, v);
        *out = (int64_t) (t * 1e9);
        return 0;
}

enum MHD_Result api_events(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_strv char **filters = NULL;
        struct events_job *j = xzalloc(sizeof(*j));
        struct engine *e;

        if (api_query_filters(req, &filters, &err) < 0 ||
            engine_events_filter_parse(filters, strv_length(filters), &j->filter, &err) < 0 ||
            parse_time_ns(req, "since", &j->o.since_ns, &err) < 0 || parse_time_ns(req, "until", &j->o.until_ns, &err) < 0 ||
            api_engine(req, &e, &err) < 0) {
                engine_events_filter_clear(&j->filter);
                free(j);
                return api_reply_error(req, &err);
        }
        j->root = xstrdup(e->store->root);
        j->o.filter = &j->filter;
        j->o.past = api_query(req, "since") != NULL;
        j->o.follow = j->o.until_ns == 0;
        return api_reply_stream(req, "application/json", events_produce, events_done, j);
}
