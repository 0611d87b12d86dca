/* The builder's metadata instructions (builder_internal.h): ENV, LABEL, ARG, WORKDIR, USER, EXPOSE, VOLUME,
 * STOPSIGNAL, CMD, ENTRYPOINT, SHELL, HEALTHCHECK, ONBUILD, MAINTAINER change the image config being built
 * and add BuildKit's history entry (an empty layer). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "build/builder_internal.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/path.h"
#include "lib/util.h"

static void config_env_set(json_t *config, const char *key, const char *value)
{
        json_t *env = json_object_get(config, "Env");
        cleanup_free char *kv = xasprintf("%s=%s", key, value);
        size_t n = strlen(key), i;
        json_t *v;

        if (!json_is_array(env)) {
                env = json_array();
                json_object_set_new(config, "Env", env);
        }
        json_array_foreach(env, i, v) {
                const char *s = json_string_value(v);
                if (s != NULL && strncmp(s, key, n) == 0 && s[n] == '=') {
                        json_array_set_new(env, i, json_string(kv));
                        return;
                }
        }
        json_array_append_new(env, json_string(kv));
}

json_t *build_strings_json(char *const *v, size_t n)
{
        json_t *a = json_array();

        for (size_t i = 0; i < n; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

/* Go's %q of a []string, as BuildKit writes CMD/ENTRYPOINT/SHELL into the history: ["a" "b"]. */
static char *go_quoted_list(const json_t *a)
{
        char *out = xstrdup("[");
        const json_t *v;
        size_t i;

        json_array_foreach(a, i, v) {
                cleanup_free char *q = json_dumps(v, JSON_ENCODE_ANY);
                char *next = xasprintf("%s%s%s", out, i ? " " : "", q);
                free(out);
                out = next;
        }
        {
                char *next = xasprintf("%s]", out);
                free(out);
                out = next;
        }
        return out;
}

/* CMD, ENTRYPOINT, HEALTHCHECK CMD: the exec form as it is, the shell form through SHELL. */
json_t *build_command_json(const struct dockerfile_instruction *ins, size_t first, const struct build_state *st)
{
        json_t *a;

        if (ins->json_form)
                return build_strings_json(ins->args + first, ins->n_args - first);
        a = build_strings_json(st->shell, strv_length(st->shell));
        if (ins->n_args > first)
                json_array_append_new(a, json_string(ins->args[first]));
        return a;
}

static int name_values(struct build *b, struct build_state *st, const struct dockerfile_instruction *ins, bool env,
                       berth_error *err)
{
        cleanup_free char *line = xstrdup(ins->keyword);
        json_t *labels = json_object_get(st->config, "Labels");

        if (!env && !json_is_object(labels)) {
                labels = json_object();
                json_object_set_new(st->config, "Labels", labels);
        }
        for (size_t i = 0; i + 1 < ins->n_args; i += 2) {
                cleanup_free char *key = NULL, *value = NULL;
                char *next;
                int r;
                if ((r = build_expand(b, st, ins->args[i], &key, err)) < 0 || (r = build_expand(b, st, ins->args[i + 1], &value, err)) < 0)
                        return r;
                if (env)
                        config_env_set(st->config, key, value);
                else
                        json_object_set_new(labels, key, json_string(value));
                next = xasprintf("%s %s=%s", line, key, value);
                free(line);
                line = next;
        }
        build_history_add(st, line);
        return 0;
}

static int dispatch_arg(struct build *b, struct build_state *st, const struct dockerfile_instruction *ins, berth_error *err)
{
        cleanup_free char *line = xstrdup("ARG");

        for (size_t i = 0; i < ins->n_args; i++) {
                cleanup_free char *word = NULL, *dflt = NULL, *kv = NULL;
                const char *name, *value;
                char *eq, *next;
                int r;
                if ((r = build_expand(b, st, ins->args[i], &word, err)) < 0)
                        return r;
                eq = strchr(word, '=');
                if (eq != NULL) {
                        *eq = '\0';
                        dflt = xstrdup(eq + 1);
                }
                name = word;
                value = build_arg_given(b, name);
                if (value == NULL)
                        value = dflt != NULL ? dflt : build_env_value(b->global_args, name);
                next = dflt ? xasprintf("%s %s=%s", line, name, dflt) : xasprintf("%s %s", line, name);
                free(line);
                line = next;
                if (value == NULL)
                        continue;
                kv = xasprintf("%s=%s", name, value);
                st->args = strv_env_set(st->args, kv);
                st->used_args = strv_env_set(st->used_args, kv);
        }
        build_history_add(st, line);
        return 0;
}

static int parse_duration_ns(const char *s, json_int_t *out)
{
        char *end;
        double v = strtod(s, &end);
        double unit;

        if (end == s || v < 0)
                return -EINVAL;
        if (strcmp(end, "ns") == 0)
                unit = 1;
        else if (strcmp(end, "us") == 0 || strcmp(end, "µs") == 0)
                unit = 1e3;
        else if (strcmp(end, "ms") == 0)
                unit = 1e6;
        else if (strcmp(end, "s") == 0)
                unit = 1e9;
        else if (strcmp(end, "m") == 0)
                unit = 60e9;
        else if (strcmp(end, "h") == 0)
                unit = 3600e9;
        else
                return -EINVAL;
        *out = (json_int_t) (v * unit);
        return 0;
}

static int dispatch_healthcheck(struct build_state *st, const struct dockerfile_instruction *ins, berth_error *err)
{
        static const char *const durations[][2] = {{"interval", "Interval"}, {"timeout", "Timeout"},
                                                   {"start-period", "StartPeriod"}, {"start-interval", "StartInterval"}};
        json_t *hc = json_object();
        const struct dockerfile_flag *f;

        if (strcmp(ins->args[0], "NONE") == 0) {
                json_object_set_new(hc, "Test", json_pack("[s]", "NONE"));
        } else {
                json_t *test = build_command_json(ins, 1, st);
                json_array_insert_new(test, 0, json_string(ins->json_form ? "CMD" : "CMD-SHELL"));
                if (!ins->json_form) {
                        /* CMD-SHELL holds the command line alone: the runtime adds the shell. */
                        json_decref(test);
                        test = json_pack("[s,s]", "CMD-SHELL", ins->args[1]);
                }
                json_object_set_new(hc, "Test", test);
                for (size_t i = 0; i < ARRAY_SIZE(durations); i++) {
                        json_int_t ns;
                        if ((f = dockerfile_flag(ins, durations[i][0])) == NULL)
                                continue;
                        if (parse_duration_ns(f->value, &ns) < 0) {
                                json_decref(hc);
                                return berth_failf(err, EINVAL, "--%s: invalid duration %s", durations[i][0], f->value);
                        }
                        json_object_set_new(hc, durations[i][1], json_integer(ns));
                }
                if ((f = dockerfile_flag(ins, "retries")) != NULL) {
                        int n;
                        if (parse_int(f->value, &n) < 0 || n < 0) {
                                json_decref(hc);
                                return berth_failf(err, EINVAL, "--retries: invalid number %s", f->value);
                        }
                        json_object_set_new(hc, "Retries", json_integer(n));
                }
        }
        json_object_set_new(st->config, "Healthcheck", hc);
        {
                cleanup_free char *line = xasprintf("HEALTHCHECK %s", ins->original + strlen("HEALTHCHECK") + 1);
                build_history_add(st, line);
        }
        return 0;
}

static int dispatch_simple(struct build *b, struct build_state *st, const struct dockerfile_instruction *ins,
                           berth_error *err)
{
        const char *k = ins->keyword;
        cleanup_free char *value = NULL, *line = NULL;
        int r;

        if (strcmp(k, "CMD") == 0 || strcmp(k, "ENTRYPOINT") == 0) {
                json_t *cmd = build_command_json(ins, 0, st);
                cleanup_free char *q = go_quoted_list(cmd);
                json_object_set_new(st->config, strcmp(k, "CMD") == 0 ? "Cmd" : "Entrypoint", cmd);
                /* docker: an ENTRYPOINT resets the CMD the base image set. */
                if (strcmp(k, "ENTRYPOINT") == 0 && st->cmd_inherited)
                        json_object_set_new(st->config, "Cmd", json_null());
                st->cmd_inherited = false;
                line = xasprintf("%s %s", k, q);
        } else if (strcmp(k, "SHELL") == 0) {
                json_t *shell = build_strings_json(ins->args, ins->n_args);
                cleanup_free char *q = go_quoted_list(shell);
                strv_free(st->shell);
                st->shell = strv_dup(ins->args);
                json_object_set_new(st->config, "Shell", shell);
                line = xasprintf("SHELL %s", q);
        } else if (strcmp(k, "WORKDIR") == 0) {
                const char *cur = json_string_value(json_object_get(st->config, "WorkingDir"));
                cleanup_free char *joined = NULL;
                if ((r = build_expand(b, st, ins->args[0], &value, err)) < 0)
                        return r;
                joined = value[0] == '/' ? xstrdup(value) : xasprintf("%s/%s", cur && *cur ? cur : "/", value);
                free(value);
                value = path_clean(joined);
                json_object_set_new(st->config, "WorkingDir", json_string(value));
                line = xasprintf("WORKDIR %s", value);
        } else if (strcmp(k, "USER") == 0 || strcmp(k, "STOPSIGNAL") == 0) {
                if ((r = build_expand(b, st, ins->args[0], &value, err)) < 0)
                        return r;
                json_object_set_new(st->config, strcmp(k, "USER") == 0 ? "User" : "StopSignal", json_string(value));
                line = xasprintf("%s %s", k, value);
        } else if (strcmp(k, "MAINTAINER") == 0) {
                /* The image's author (beside its config), on the stage's next image. */
                free(st->author);
                st->author = xstrdup(ins->args[0]);
                line = xasprintf("MAINTAINER %s", ins->args[0]);
        } else if (strcmp(k, "EXPOSE") == 0 || strcmp(k, "VOLUME") == 0) {
                bool expose = strcmp(k, "EXPOSE") == 0;
                json_t *set = json_object_get(st->config, expose ? "ExposedPorts" : "Volumes");
                cleanup_free char *shown = xstrdup("");
                if (!json_is_object(set)) {
                        set = json_object();
                        json_object_set_new(st->config, expose ? "ExposedPorts" : "Volumes", set);
                }
                for (size_t i = 0; i < ins->n_args; i++) {
                        cleanup_free char *v = NULL, *key = NULL;
                        char *next;
                        if ((r = build_expand(b, st, ins->args[i], &v, err)) < 0)
                                return r;
                        if (v[0] == '\0')
                                return berth_failf(err, EINVAL, "%s: an empty value", k);
                        key = expose && strchr(v, '/') == NULL ? xasprintf("%s/tcp", v) : xstrdup(v);
                        for (char *c = key; expose && *c; c++)
                                *c = (char) tolower((unsigned char) *c);
                        json_object_set_new(set, key, json_object());
                        next = xasprintf("%s%s%s%s", shown, *shown ? " " : "", key, expose ? ":{}" : "");
                        free(shown);
                        shown = next;
                }
                line = expose ? xasprintf("EXPOSE map[%s]", shown) : xasprintf("VOLUME [%s]", shown);
        } else if (strcmp(k, "ONBUILD") == 0) {
                json_t *onbuild = json_object_get(st->config, "OnBuild");
                if (!json_is_array(onbuild)) {
                        onbuild = json_array();
                        json_object_set_new(st->config, "OnBuild", onbuild);
                }
                json_array_append_new(onbuild, json_string(ins->sub->original));
                line = xasprintf("ONBUILD %s", ins->sub->original);
        } else {
                return berth_failf(err, ENOTSUP, "not supported by the builder yet");
        }
        build_history_add(st, line);
        return 0;
}

int build_metadata(struct build *b, struct build_state *st, const struct dockerfile_instruction *ins, berth_error *err)
{
        const char *k = ins->keyword;

        if (strcmp(k, "ENV") == 0 || strcmp(k, "LABEL") == 0)
                return name_values(b, st, ins, strcmp(k, "ENV") == 0, err);
        if (strcmp(k, "ARG") == 0)
                return dispatch_arg(b, st, ins, err);
        if (strcmp(k, "HEALTHCHECK") == 0)
                return dispatch_healthcheck(st, ins, err);
        return dispatch_simple(b, st, ins, err);
}
