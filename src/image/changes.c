#include "image/changes.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"

/* Splits on whitespace, honouring "double" and 'single' quotes and backslash escapes (docker's word
 * splitting for ENV/LABEL key=value pairs). */
static char **split_words(const char *s)
{
        char **v = xzalloc(sizeof(char *));
        size_t cap = strlen(s) + 1;
        char *word = xmalloc(cap);

        while (*s) {
                size_t n = 0;
                char quote = 0;
                while (isspace((unsigned char) *s))
                        s++;
                if (*s == '\0')
                        break;
                while (*s && (quote || !isspace((unsigned char) *s))) {
                        if (!quote && (*s == '"' || *s == '\'')) {
                                quote = *s++;
                                continue;
                        }
                        if (quote && *s == quote) {
                                quote = 0;
                                s++;
                                continue;
                        }
                        if (*s == '\\' && s[1] != '\0' && quote != '\'')
                                s++;
                        word[n++] = *s++;
                }
                word[n] = '\0';
                v = strv_append(v, word);
        }
        free(word);
        return v;
}

/* JSON array form ["a", "b"], or NULL when the argument is not one (shell form). */
static json_t *exec_form(const char *arg)
{
        json_t *j;
        size_t i;
        json_t *e;

        while (isspace((unsigned char) *arg))
                arg++;
        if (*arg != '[')
                return NULL;
        j = json_loads(arg, 0, NULL);
        if (!json_is_array(j)) {
                json_decref(j);
                return NULL;
        }
        json_array_foreach(j, i, e) if (!json_is_string(e))
        {
                json_decref(j);
                return NULL;
        }
        return j;
}

static json_t *command_value(const char *arg)
{
        json_t *j = exec_form(arg);

        if (j != NULL)
                return j;
        /* Shell form runs through /bin/sh -c, as docker does. */
        return json_pack("[s, s, s]", "/bin/sh", "-c", arg);
}

static json_t *object_member(json_t *config, const char *key)
{
        json_t *o = json_object_get(config, key);

        if (!json_is_object(o)) {
                o = json_object();
                json_object_set_new(config, key, o);
        }
        return o;
}

static int apply_env(json_t *config, const char *arg, berth_error *err)
{
        cleanup_strv char **words = split_words(arg);
        json_t *env = json_object_get(config, "Env");

        if (words[0] == NULL)
                return berth_failf(err, EINVAL, "ENV requires at least one argument");
        if (!json_is_array(env)) {
                env = json_array();
                json_object_set_new(config, "Env", env);
        }
        /* "ENV KEY value with spaces" (legacy form) or "ENV A=1 B=2". */
        if (strchr(words[0], '=') == NULL) {
                const char *rest = arg;
                while (isspace((unsigned char) *rest))
                        rest++;
                rest += strlen(words[0]);
                while (isspace((unsigned char) *rest))
                        rest++;
                cleanup_free char *kv = xasprintf("%s=%s", words[0], rest);
                cleanup_strv char **one = xzalloc(sizeof(char *));
                one = strv_append(one, kv);
                strv_free(words);
                words = steal_pointer(&one);
        }
        for (char **w = words; *w; w++) {
                const char *eq = strchr(*w, '=');
                size_t klen, i;
                json_t *e;
                bool replaced = false;
                if (eq == NULL || eq == *w)
                        return berth_failf(err, EINVAL, "ENV names can not be blank: %s", *w);
                klen = (size_t) (eq - *w) + 1;
                json_array_foreach(env, i, e) {
                        if (json_is_string(e) && strncmp(json_string_value(e), *w, klen) == 0) {
                                json_array_set_new(env, i, json_string(*w));
                                replaced = true;
                                break;
                        }
                }
                if (!replaced)
                        json_array_append_new(env, json_string(*w));
        }
        return 0;
}

static int apply_label(json_t *config, const char *arg, berth_error *err)
{
        cleanup_strv char **words = split_words(arg);
        json_t *labels = object_member(config, "Labels");

        if (words[0] == NULL)
                return berth_failf(err, EINVAL, "LABEL requires at least one argument");
        for (char **w = words; *w; w++) {
                const char *eq = strchr(*w, '=');
                if (eq == NULL || eq == *w)
                        return berth_failf(err, EINVAL, "LABEL must have the form KEY=VALUE: %s", *w);
                cleanup_free char *k = xstrndup(*w, (size_t) (eq - *w));
                json_object_set_new(labels, k, json_string(eq + 1));
        }
        return 0;
}

static int apply_set(json_t *config, const char *key, const char *arg, berth_error *err)
{
        cleanup_strv char **words = split_words(arg);
        json_t *set = object_member(config, key);
        json_t *arr = exec_form(arg);

        if (arr != NULL) {
                size_t i;
                json_t *e;
                json_array_foreach(arr, i, e) json_object_set_new(set, json_string_value(e), json_object());
                json_decref(arr);
                return 0;
        }
        if (words[0] == NULL)
                return berth_failf(err, EINVAL, "%s requires at least one argument", key);
        for (char **w = words; *w; w++) {
                cleanup_free char *k = NULL;
                if (strcmp(key, "ExposedPorts") == 0) {
                        const char *slash = strchr(*w, '/');
                        char *end;
                        long port = strtol(*w, &end, 10);
                        if (end == *w || (*end != '\0' && *end != '/') || port < 0 || port > 65535)
                                return berth_failf(err, EINVAL, "invalid containerPort: %s", *w);
                        k = slash ? xstrdup(*w) : xasprintf("%s/tcp", *w);
                } else {
                        k = xstrdup(*w);
                }
                json_object_set_new(set, k, json_object());
        }
        return 0;
}

int image_change_apply(json_t *config, const char *change, berth_error *err)
{
        const char *p = change, *arg;
        cleanup_free char *instr = NULL;

        while (isspace((unsigned char) *p))
                p++;
        arg = p;
        while (*arg && !isspace((unsigned char) *arg))
                arg++;
        instr = xstrndup(p, (size_t) (arg - p));
        while (isspace((unsigned char) *arg))
                arg++;
        if (strcasecmp(instr, "CMD") == 0) {
                json_object_set_new(config, "Cmd", command_value(arg));
        } else if (strcasecmp(instr, "ENTRYPOINT") == 0) {
                json_object_set_new(config, "Entrypoint", command_value(arg));
        } else if (strcasecmp(instr, "ENV") == 0) {
                return apply_env(config, arg, err);
        } else if (strcasecmp(instr, "LABEL") == 0) {
                return apply_label(config, arg, err);
        } else if (strcasecmp(instr, "EXPOSE") == 0) {
                return apply_set(config, "ExposedPorts", arg, err);
        } else if (strcasecmp(instr, "VOLUME") == 0) {
                return apply_set(config, "Volumes", arg, err);
        } else if (strcasecmp(instr, "WORKDIR") == 0 || strcasecmp(instr, "USER") == 0 ||
                   strcasecmp(instr, "STOPSIGNAL") == 0) {
                const char *key = strcasecmp(instr, "WORKDIR") == 0 ? "WorkingDir"
                                  : strcasecmp(instr, "USER") == 0 ? "User"
                                                                    : "StopSignal";
                cleanup_strv char **words = split_words(arg);
                if (words[0] == NULL || words[1] != NULL)
                        return berth_failf(err, EINVAL, "%s requires exactly one argument", instr);
                json_object_set_new(config, key, json_string(words[0]));
        } else {
                return berth_failf(err, EINVAL, "%s is not a valid change command", instr[0] ? instr : change);
        }
        return 0;
}
