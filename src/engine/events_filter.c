/* docker's event filters (moby daemon/events/filter.go): values of one key are alternatives, every key given
 * must match. container= and volume=/network= match the actor's ID or name by prefix (FuzzyMatch), image=
 * the image's ID or name with or without its tag, event= the action exactly (health_status by prefix),
 * label= a key or key=value among the attributes, type= the event's type. */
#include "engine/events.h"

#include <errno.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/util.h"

static const char *const KEYS[] = {"container", "image", "event", "label", "type", "volume", "network", NULL};
static const char *const TYPES[] = {"container", "image", "volume", "network", "daemon", "plugin",
                                    "node",      "service", "secret", "config", NULL};

static bool in_list(const char *const *list, const char *s)
{
        for (size_t i = 0; list[i] != NULL; i++)
                if (strcmp(list[i], s) == 0)
                        return true;
        return false;
}

int engine_events_filter_parse(char *const *filters, size_t n, struct engine_events_filter *out, berth_error *err)
{
        out->by_key = json_object();
        for (size_t i = 0; i < n; i++) {
                const char *eq = strchr(filters[i], '=');
                cleanup_free char *key = NULL;
                json_t *values;

                if (eq == NULL) {
                        engine_events_filter_clear(out);
                        return berth_failf(err, EINVAL, "bad format of filter (expected name=value)");
                }
                key = xstrndup(filters[i], (size_t) (eq - filters[i]));
                if (!in_list(KEYS, key)) {
                        engine_events_filter_clear(out);
                        return berth_failf(err, EINVAL, "invalid filter '%s'", key);
                }
                if (strcmp(key, "type") == 0 && !in_list(TYPES, eq + 1)) {
                        engine_events_filter_clear(out);
                        return berth_failf(err, EINVAL, "invalid filter 'type=%s'", eq + 1);
                }
                values = json_object_get(out->by_key, key);
                if (values == NULL) {
                        values = json_array();
                        json_object_set_new(out->by_key, key, values);
                }
                json_array_append_new(values, json_string(eq + 1));
        }
        return 0;
}

void engine_events_filter_clear(struct engine_events_filter *f)
{
        json_decref(f->by_key);
        f->by_key = NULL;
}

static const char *attr(json_t *ev, const char *name)
{
        const char *s = json_string_value(json_object_get(json_object_get(json_object_get(ev, "Actor"), "Attributes"), name));
        return s ? s : "";
}

/* Args.ExactMatch: no values for the key, or one equal to s. */
static bool exact(json_t *values, const char *s)
{
        size_t i;
        json_t *v;

        if (values == NULL)
                return true;
        json_array_foreach(values, i, v)
                if (strcmp(json_string_value(v), s) == 0)
                        return true;
        return false;
}

/* Args.FuzzyMatch: exact, or one value a prefix of s. */
static bool fuzzy(json_t *values, const char *s)
{
        size_t i;
        json_t *v;

        if (exact(values, s))
                return true;
        json_array_foreach(values, i, v)
                if (str_has_prefix(s, json_string_value(v)))
                        return true;
        return false;
}

/* The actor of type `type` by ID or name; events of other types fail a filter on `type` when it has values. */
static bool actor_match(json_t *f, const char *type, json_t *ev)
{
        json_t *values = json_object_get(f, type);
        const char *id = json_string_value(json_object_get(json_object_get(ev, "Actor"), "ID"));

        return fuzzy(values, id ? id : "") || fuzzy(values, attr(ev, "name"));
}

static char *strip_tag(const char *ref)
{
        const char *slash = strrchr(ref, '/');
        const char *colon = strrchr(slash ? slash : ref, ':');

        if (str_has_prefix(ref, "sha256:") || colon == NULL)
                return xstrdup(ref);
        return xstrndup(ref, (size_t) (colon - ref));
}

static bool image_match(json_t *f, json_t *ev)
{
        json_t *values = json_object_get(f, "image");
        const char *type = json_string_value(json_object_get(ev, "Type"));
        const char *id = json_string_value(json_object_get(json_object_get(ev, "Actor"), "ID"));
        const char *name = attr(ev, type != NULL && strcmp(type, "image") == 0 ? "name" : "image");
        cleanup_free char *id_stripped = strip_tag(id ? id : ""), *name_stripped = strip_tag(name);

        if (values == NULL)
                return true;
        return exact(values, id ? id : "") || exact(values, name) || exact(values, id_stripped) ||
               exact(values, name_stripped);
}

static bool event_match(json_t *f, json_t *ev)
{
        json_t *values = json_object_get(f, "event");
        const char *action = json_string_value(json_object_get(ev, "Action"));
        size_t i;
        json_t *v;

        /* moby #25798: health_status, exec_create and exec_start carry a suffix ("health_status: healthy"). */
        json_array_foreach(values, i, v) {
                const char *s = json_string_value(v);
                if (strcmp(s, "health_status") == 0 || strcmp(s, "exec_create") == 0 || strcmp(s, "exec_start") == 0)
                        return fuzzy(values, action ? action : "");
        }
        return exact(values, action ? action : "");
}

/* Args.MatchKVList: each value "k" or "k=v" present among the attributes (all of them: docker ANDs labels). */
static bool label_match(json_t *f, json_t *ev)
{
        json_t *values = json_object_get(f, "label");
        json_t *attrs = json_object_get(json_object_get(ev, "Actor"), "Attributes");
        size_t i;
        json_t *v;

        json_array_foreach(values, i, v) {
                const char *s = json_string_value(v);
                const char *eq = strchr(s, '=');
                cleanup_free char *key = eq ? xstrndup(s, (size_t) (eq - s)) : xstrdup(s);
                const char *have = json_string_value(json_object_get(attrs, key));

                if (have == NULL || (eq != NULL && strcmp(have, eq + 1) != 0))
                        return false;
        }
        return true;
}

bool engine_events_filter_match(const struct engine_events_filter *filter, json_t *ev)
{
        json_t *f = filter->by_key;
        const char *type = json_string_value(json_object_get(ev, "Type"));

        return exact(json_object_get(f, "type"), type ? type : "") && event_match(f, ev) && label_match(f, ev) &&
               actor_match(f, "container", ev) && actor_match(f, "volume", ev) && actor_match(f, "network", ev) &&
               image_match(f, ev);
}
