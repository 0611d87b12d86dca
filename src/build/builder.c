/* berth build (builder.h): the stages a target needs, built in order. Each instruction is dispatched as the
 * Dockerfile reference defines it: the metadata instructions change the image config and add BuildKit's
 * history entry (empty_layer); RUN runs in a step container and COPY/ADD copy into one (builder_copy.c),
 * which the engine then commits as the next layer. */
#include "build/builder.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "build/builder_internal.h"
#include "build/cache.h"
#include "build/words.h"
#include "engine/containerdiff.h"
#include "engine/create.h"
#include "engine/lifecycle.h"
#include "engine/list.h"
#include "engine/reconcile.h"
#include "engine/run.h"
#include "image/commit.h"
#include "image/imagedb.h"
#include "image/reference.h"
#include "image/platform.h"
#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/path.h"
#include "lib/util.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int build_fail_at(struct build *b, const struct dockerfile_instruction *ins, berth_error *err)
{
        return berth_error_prefix(err, "%s:%u:%u: %s: ", b->df_name, ins->line, ins->column, ins->keyword);
}

const char *build_env_value(char *const *env, const char *name)
{
        size_t n = strlen(name);
        const char *found = NULL;

        for (char *const *e = env; e && *e; e++)
                if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
                        found = *e + n + 1;
        return found;
}

char **build_state_env(const struct build_state *st)
{
        char **env = strv_dup(st->args);
        json_t *v;
        size_t i;

        json_array_foreach(json_object_get(st->config, "Env"), i, v)
                if (json_is_string(v))
                        env = strv_append(env, json_string_value(v));
        return env;
}

/* ---- the step containers ---- */

int build_step_container(struct build *b, struct build_state *st, json_t *cmd, char **env, json_t *mounts,
                         const char *network_override, char **id, berth_error *err)
{
        cleanup_json json_t *config = NULL, *host_config = NULL;
        json_t *env_json = json_array();
        const char *network = b->o->network && strcmp(b->o->network, "default") != 0 ? b->o->network : "default";
        struct engine_create_request req = {0};

        for (char **v = env; v && *v; v++)
                json_array_append_new(env_json, json_string(*v));
        config = json_pack("{s:o,s:[],s:o,s:s,s:s,s:b,s:{s:s}}", "Cmd", cmd, "Entrypoint", "Env", env_json, "WorkingDir",
                           json_string_value(json_object_get(st->config, "WorkingDir")) ?: "", "User",
                           json_string_value(json_object_get(st->config, "User")) ?: "", "Tty", false, "Labels",
                           BUILD_OWNER_LABEL, b->owner);
        /* No /proc view and no log file for a step: its output goes to the build's progress. */
        host_config = json_pack("{s:s,s:b,s:{s:s}}", "NetworkMode", network_override ? network_override : network,
                                "BerthProcView", false, "LogConfig", "Type", "none");
        if (mounts != NULL && json_array_size(mounts) > 0)
                json_object_set(host_config, "Mounts", mounts);
        req.image = st->base_id;
        req.image_id = st->base_id;
        req.config = config;
        req.host_config = host_config;
        return engine_container_create(b->e, &req, id, err);
}

void build_step_container_remove(struct build *b, const char *id)
{
        berth_error ignored = {0};

        engine_container_remove(b->e, id, true, true, &ignored);
        berth_error_clear(&ignored);
}

void build_step_key(const struct build_state *st, const char *text, char key[DIGEST_STRING_LEN + 1])
{
        cleanup_digest struct digest_ctx *d = digest_new();

        digest_update(d, st->cache_key, strlen(st->cache_key));
        digest_update(d, "\n", 1);
        digest_update(d, text, strlen(text));
        digest_final(d, key);
}

bool build_cache_use(struct build *b, struct build_state *st, const char *key)
{
        char *image = NULL;

        if (b->o->no_cache || build_cache_get(b->e->store, key, &image) < 0)
                return false;
        free(st->base_id);
        st->base_id = image;
        json_array_clear(st->history);
        st->changed = false;
        strcpy(st->cache_key, key);
        if (b->o->progress != NULL) {
                fprintf(b->o->progress, " ---> Using cache %.12s\n", image + 7);
                fflush(b->o->progress);
        }
        return true;
}

int build_step_commit(struct build *b, struct build_state *st, const char *id, const char *created_by,
                      const char *key, berth_error *err)
{
        cleanup_json json_t *history = json_deep_copy(st->history);
        struct engine_commit_request req = {.image_config = st->config, .history = history, .author = st->author};
        char *image = NULL;
        int r;

        json_array_append_new(history, json_pack("{s:s,s:s}", "created_by", created_by, "comment", "buildkit.dockerfile.v0"));
        if ((r = engine_container_commit(b->e, id, &req, &image, err)) < 0)
                return r;
        /* Kept as the cache's: a failure to record it only costs the next build this step. */
        if (build_cache_put(b->e->store, key, image, true, err) < 0) {
                free(image);
                return -err->code;
        }
        strcpy(st->cache_key, key);
        free(st->base_id);
        st->base_id = image;
        json_array_clear(st->history);
        st->changed = false;
        return 0;
}

/* The step containers of builds that died (SIGKILL) before removing them: the next build removes them
 * (a running RUN is killed). Each names its build by the label BUILD_OWNER_LABEL = "PID-STARTTIME". */
static void reap_orphans(struct build *b)
{
        char *filters[] = {"label=" BUILD_OWNER_LABEL, NULL};
        struct engine_list_options lo = {.all = true, .last = -1, .filters = filters};
        struct engine_container **list = NULL;
        berth_error ignored = {0};
        size_t n = 0;

        if (engine_container_list(b->e, &lo, &list, &n, &ignored) < 0) {
                berth_error_clear(&ignored);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                const char *owner = json_string_value(json_object_get(json_object_get(list[i]->config, "Labels"),
                                                                      BUILD_OWNER_LABEL));
                unsigned long long start = 0;
                int pid = 0;
                if (owner == NULL || sscanf(owner, "%d-%llu", &pid, &start) != 2)
                        continue;
                if (pid > 0 && engine_process_alive(pid, (uint64_t) start))
                        continue; /* its build is still running */
                build_step_container_remove(b, list[i]->id);
        }
        engine_container_list_free(list, n);
}

/* ---- instructions ---- */

void build_history_add(struct build_state *st, const char *created_by)
{
        json_array_append_new(st->history, json_pack("{s:s,s:s,s:b}", "created_by", created_by, "comment",
                                                     "buildkit.dockerfile.v0", "empty_layer", true));
        st->changed = true;
}

int build_expand(struct build *b, struct build_state *st, const char *word, char **out, berth_error *err)
{
        cleanup_strv char **env = build_state_env(st);

        return dockerfile_expand_word(word, b->df->escape, env, out, err);
}






const char *build_arg_given(struct build *b, const char *name)
{
        size_t n = strlen(name);

        for (char **a = b->o->build_args; a && *a; a++) {
                if (strncmp(*a, name, n) != 0)
                        continue;
                if ((*a)[n] == '=')
                        return *a + n + 1;
                if ((*a)[n] == '\0')
                        return getenv(name); /* --build-arg NAME: our environment's value, if any */
        }
        return NULL;
}


static int dispatch_run(struct build *b, struct build_state *st, const struct dockerfile_instruction *ins, berth_error *err)
{
        cleanup_free char *id = NULL, *created_by = NULL, *joined = NULL, *flags_text = NULL;
        cleanup_json json_t *mounts = NULL;
        const char *network = NULL;
        char key[DIGEST_STRING_LEN + 1];
        cleanup_strv char **env = build_state_env(st);
        struct engine_run_result res = {0};
        json_t *cmd;
        int r;

        if ((r = build_run_flags(b, st, ins, &mounts, &network, &flags_text, err)) < 0)
                return r;
        if (ins->n_heredocs > 0) {
                /* RUN <<EOF: the heredoc is the script the shell runs. A heredoc fed to a command's stdin or
                 * written to a file (RUN cat <<EOF > f) is not supported yet. */
                const char *text = ins->args[0];
                while (*text == ' ')
                        text++;
                if (ins->n_heredocs != 1 || strncmp(text, "<<", 2) != 0 || strpbrk(text, " \t") != NULL)
                        return berth_failf(err, ENOTSUP, "a heredoc other than the whole command (RUN <<EOF) is not "
                                                         "supported yet");
                cmd = build_strings_json(st->shell, strv_length(st->shell));
                json_array_append_new(cmd, json_string(ins->heredocs[0].content));
        } else {
                cmd = build_command_json(ins, 0, st);
        }
        if (!build_env_value(env, "PATH"))
                env = strv_append(env, "PATH=" DEFAULT_PATH);
        {
                const json_t *v;
                size_t i;
                joined = xstrdup("");
                json_array_foreach(cmd, i, v) {
                        char *next = xasprintf("%s%s%s", joined, i ? " " : "", json_string_value(v));
                        free(joined);
                        joined = next;
                }
        }
        if (st->used_args != NULL && st->used_args[0] != NULL) {
                cleanup_free char *list = NULL;
                for (char **a = st->used_args; *a; a++) {
                        char *next = list ? xasprintf("%s %s", list, *a) : xstrdup(*a);
                        free(list);
                        list = next;
                }
                created_by = xasprintf("RUN |%zu %s %s # buildkit", strv_length(st->used_args), list, joined);
        } else {
                created_by = xasprintf("RUN %s # buildkit", joined);
        }
        {
                cleanup_free char *text = xasprintf("%s\n%s", created_by, flags_text ? flags_text : "");
                for (char **v = env; *v; v++) {
                        char *next = xasprintf("%s\n%s", text, *v);
                        free(text);
                        text = next;
                }
                {
                        char *next = xasprintf("%s\nUSER=%s\nWORKDIR=%s", text,
                                               json_string_value(json_object_get(st->config, "User")) ?: "",
                                               json_string_value(json_object_get(st->config, "WorkingDir")) ?: "");
                        free(text);
                        text = next;
                }
                build_step_key(st, text, key);
        }
        if (build_cache_use(b, st, key)) {
                json_decref(cmd);
                return 0;
        }
        if ((r = build_step_container(b, st, cmd, env, mounts, network, &id, err)) < 0)
                return r;
        r = engine_container_run_step(b->e, id, b->o->progress != NULL, &res, err);
        if (r == 0 && res.exit_code != 0) {
                *b->step_exit = res.exit_code;
                r = berth_failf(err, EIO, "process \"%s\" did not complete successfully: exit code: %d", joined,
                                res.exit_code);
        }
        engine_run_result_clear(&res);
        if (r == 0)
                r = build_step_commit(b, st, id, created_by, key, err);
        build_step_container_remove(b, id);
        return r;
}




static int dispatch(struct build *b, struct build_state *st, const struct dockerfile_instruction *ins, berth_error *err)
{
        const char *k = ins->keyword;

        if (strcmp(k, "RUN") == 0)
                return dispatch_run(b, st, ins, err);
        if (strcmp(k, "COPY") == 0 || strcmp(k, "ADD") == 0)
                return build_copy(b, st, ins, err);
        return build_metadata(b, st, ins, err);
}

/* ---- stages ---- */

static struct build_stage *stage_named(struct build *b, const char *name, size_t before)
{
        for (size_t i = 0; i < before && i < b->n_stages; i++) {
                char index[24];
                snprintf(index, sizeof(index), "%zu", i);
                if ((b->stages[i].name && strcasecmp(b->stages[i].name, name) == 0) || strcmp(index, name) == 0)
                        return &b->stages[i];
        }
        return NULL;
}

/* The stage's FROM image, its ARGs expanded with the global ones. */
static int stage_base(struct build *b, size_t s, char **ref, berth_error *err)
{
        const struct dockerfile_instruction *from = &b->df->instructions[b->stages[s].from];

        return dockerfile_expand_word(from->args[0], b->df->escape, b->global_args, ref, err);
}

static int split_stages(struct build *b, berth_error *err)
{
        size_t i = 0;

        /* Before the first FROM only ARG may stand: the global ARGs. */
        for (; i < b->df->n_instructions && strcmp(b->df->instructions[i].keyword, "FROM") != 0; i++) {
                const struct dockerfile_instruction *ins = &b->df->instructions[i];
                if (strcmp(ins->keyword, "ARG") != 0)
                        return berth_failf(err, EINVAL, "%s:%u:%u: no build stage in current context (%s before FROM)",
                                           b->df_name, ins->line, ins->column, ins->keyword);
                for (size_t a = 0; a < ins->n_args; a++) {
                        cleanup_free char *word = NULL, *kv = NULL;
                        const char *given;
                        char *eq;
                        int r;
                        if ((r = dockerfile_expand_word(ins->args[a], b->df->escape, b->global_args, &word, err)) < 0)
                                return build_fail_at(b, ins, err);
                        if ((eq = strchr(word, '=')) != NULL)
                                *eq = '\0';
                        given = build_arg_given(b, word);
                        if (given == NULL && eq == NULL)
                                continue;
                        kv = xasprintf("%s=%s", word, given ? given : eq + 1);
                        b->global_args = strv_env_set(b->global_args, kv);
                }
        }
        if (i == b->df->n_instructions)
                return berth_failf(err, EINVAL, "%s: no FROM instruction: nothing to build", b->df_name);
        for (; i < b->df->n_instructions; i++) {
                const struct dockerfile_instruction *ins = &b->df->instructions[i];
                struct build_stage *st;
                if (strcmp(ins->keyword, "FROM") != 0) {
                        b->stages[b->n_stages - 1].end = i + 1;
                        continue;
                }
                b->stages = xrealloc(b->stages, (b->n_stages + 1) * sizeof(*b->stages));
                st = &b->stages[b->n_stages++];
                *st = (struct build_stage){.from = i, .end = i + 1};
                if (ins->n_args == 3) {
                        st->name = xstrdup(ins->args[2]);
                        for (char *c = st->name; *c; c++)
                                *c = (char) tolower((unsigned char) *c);
                        if (stage_named(b, st->name, b->n_stages - 1) != NULL)
                                return berth_failf(err, EINVAL, "%s:%u:%u: duplicate stage name \"%s\"", b->df_name,
                                                   ins->line, ins->column, st->name);
                }
        }
        return 0;
}

/* The target and, transitively, the stages it builds FROM or copies --from. */
static int mark_needed(struct build *b, berth_error *err)
{
        size_t target = b->n_stages - 1;

        if (b->o->target != NULL) {
                struct build_stage *t = NULL;
                for (size_t i = 0; i < b->n_stages; i++)
                        if (b->stages[i].name && strcasecmp(b->stages[i].name, b->o->target) == 0)
                                t = &b->stages[i];
                if (t == NULL)
                        return berth_failf(err, ENOENT, "target stage \"%s\" could not be found", b->o->target);
                target = (size_t) (t - b->stages);
        }
        b->stages[target].needed = true;
        for (size_t s = target + 1; s-- > 0;) {
                if (!b->stages[s].needed)
                        continue;
                for (size_t i = b->stages[s].from; i < b->stages[s].end; i++) {
                        const struct dockerfile_instruction *ins = &b->df->instructions[i];
                        const struct dockerfile_flag *f = dockerfile_flag(ins, "from");
                        cleanup_free char *ref = NULL;
                        struct build_stage *dep;
                        if (strcmp(ins->keyword, "FROM") == 0) {
                                if (stage_base(b, s, &ref, err) < 0)
                                        return build_fail_at(b, ins, err);
                        } else if ((strcmp(ins->keyword, "COPY") == 0) && f != NULL) {
                                ref = xstrdup(f->value);
                        } else {
                                continue;
                        }
                        if (b->stages[s].name && strcasecmp(ref, b->stages[s].name) == 0)
                                return berth_failf(err, ELOOP, "%s:%u:%u: circular dependency detected on stage: %s",
                                                   b->df_name, ins->line, ins->column, b->stages[s].name);
                        if ((dep = stage_named(b, ref, s)) != NULL)
                                dep->needed = true;
                }
        }
        for (size_t s = 0; s < b->n_stages; s++)
                if (b->stages[s].needed)
                        b->n_steps += (unsigned) (b->stages[s].end - b->stages[s].from);
        b->stages[target].end = b->stages[target].end; /* the target is the last stage built */
        return (int) target;
}

static int ensure_image(struct build *b, const char *ref, char **id, berth_error *err)
{
        struct engine_image_request req = {.ref = ref, .pull = b->o->pull, .platform = b->o->platform};

        return engine_image_ensure(b->e, &req, b->o->registry, id, err);
}

static void progress(struct build *b, const struct dockerfile_instruction *ins)
{
        if (b->o->progress == NULL)
                return;
        b->step++;
        fprintf(b->o->progress, "STEP %u/%u: %s\n", b->step, b->n_steps, ins->original);
        fflush(b->o->progress);
}

static void state_clear(struct build_state *st)
{
        free(st->base_id);
        json_decref(st->config);
        json_decref(st->history);
        strv_free(st->args);
        strv_free(st->used_args);
        strv_free(st->shell);
        free(st->author);
}

/* A metadata instruction (INS; NULL: the --label flags at the end) goes into the chain with what it left:
 * the config, the ARGs, SHELL and the author. */
static void chain_metadata(struct build_state *st, const struct dockerfile_instruction *ins)
{
        cleanup_free char *config = json_dumps(st->config, JSON_COMPACT | JSON_SORT_KEYS);
        cleanup_free char *text = xasprintf("%s\n%s\n%s", ins ? ins->original : "--label", config, st->author ? st->author : "");

        for (size_t k = 0; k < 2; k++)
                for (char **v = k == 0 ? st->args : st->shell; v && *v; v++) {
                        char *next = xasprintf("%s\n%s", text, *v);
                        free(text);
                        text = next;
                }
        build_step_key(st, text, st->cache_key);
}

/* The base image's ONBUILD triggers run first, in order, as instructions of this stage (docker); they are
 * not passed on to this image's own children. */
static int run_onbuild_triggers(struct build *b, struct build_state *st, const struct dockerfile_instruction *from,
                                berth_error *err)
{
        cleanup_json json_t *triggers = json_incref(json_object_get(st->config, "OnBuild"));
        const json_t *t;
        size_t i;
        int r;

        json_object_del(st->config, "OnBuild");
        if (json_array_size(triggers) > 0)
                st->changed = true;
        json_array_foreach(triggers, i, t) {
                struct dockerfile *df = NULL;
                const char *text = json_string_value(t);
                if (text == NULL)
                        continue;
                if ((r = dockerfile_parse(text, strlen(text), "ONBUILD trigger", &df, err)) < 0)
                        return build_fail_at(b, from, err);
                if (b->o->progress != NULL)
                        fprintf(b->o->progress, " ---> Running the base image's ONBUILD %s\n", text);
                r = dispatch(b, st, &df->instructions[0], err);
                if (r == 0 && strcmp(df->instructions[0].keyword, "RUN") != 0 && strcmp(df->instructions[0].keyword, "COPY") != 0 &&
                    strcmp(df->instructions[0].keyword, "ADD") != 0)
                        chain_metadata(st, &df->instructions[0]);
                dockerfile_free(df);
                if (r < 0)
                        return berth_error_prefix(err, "%s:%u:%u: ONBUILD %s: ", b->df_name, from->line, from->column, text);
        }
        return 0;
}

static int build_stage(struct build *b, size_t s, bool is_target, berth_error *err)
{
        struct build_stage *stage = &b->stages[s];
        const struct dockerfile_instruction *from = &b->df->instructions[stage->from];
        struct build_state st = {.history = json_array(), .shell = strv_append(strv_append(xzalloc(sizeof(char *)), "/bin/sh"), "-c")};
        cleanup_free char *ref = NULL;
        struct build_stage *dep;
        int r;

        progress(b, from);
        if ((r = stage_base(b, s, &ref, err)) < 0)
                goto fail_at_from;
        if (strcmp(ref, "scratch") == 0) {
                /* docker (and buildah) give an image without one the default PATH. */
                st.config = json_pack("{s:[s]}", "Env", "PATH=" DEFAULT_PATH);
                st.changed = true;
        } else {
                cleanup_config struct image_config ic = {0};
                if ((dep = stage_named(b, ref, s)) != NULL)
                        st.base_id = xstrdup(dep->image_id);
                else if ((r = ensure_image(b, ref, &st.base_id, err)) < 0)
                        goto fail_at_from;
                if ((r = image_config_read(b->e->store, st.base_id, &ic, err)) < 0)
                        goto fail_at_from;
                st.config = json_deep_copy(json_object_get(ic.json, "config"));
                if (!json_is_object(st.config)) {
                        json_decref(st.config);
                        st.config = json_object();
                }
                /* The base image's SHELL is the stage's too (docker keeps it in the config). */
                if (json_is_array(json_object_get(st.config, "Shell")) &&
                    json_array_size(json_object_get(st.config, "Shell")) > 0) {
                        json_t *v;
                        size_t i;
                        strv_free(st.shell);
                        st.shell = xzalloc(sizeof(char *));
                        json_array_foreach(json_object_get(st.config, "Shell"), i, v)
                                st.shell = strv_append(st.shell, json_string_value(v) ?: "");
                }
                st.cmd_inherited = json_array_size(json_object_get(st.config, "Cmd")) > 0;
        }
        {
                /* The chain of cache keys starts at the base image (a new pull of the tag changes it). */
                cleanup_free char *text = xasprintf("FROM %s %s", st.base_id ? st.base_id : "scratch",
                                                    b->o->platform ? b->o->platform : "");
                build_step_key(&st, text, st.cache_key);
        }
        if ((r = run_onbuild_triggers(b, &st, from, err)) < 0)
                goto out;
        for (size_t i = stage->from + 1; i < stage->end; i++) {
                const struct dockerfile_instruction *ins = &b->df->instructions[i];
                progress(b, ins);
                if ((r = dispatch(b, &st, ins, err)) < 0) {
                        build_fail_at(b, ins, err);
                        goto out;
                }
                if (strcmp(ins->keyword, "RUN") != 0 && strcmp(ins->keyword, "COPY") != 0 && strcmp(ins->keyword, "ADD") != 0)
                        chain_metadata(&st, ins);
        }
        if (is_target) {
                json_t *labels = json_object_get(st.config, "Labels");
                for (char **l = b->o->labels; l && *l; l++) {
                        cleanup_free char *k = xstrndup(*l, strcspn(*l, "="));
                        if (!json_is_object(labels)) {
                                labels = json_object();
                                json_object_set_new(st.config, "Labels", labels);
                        }
                        json_object_set_new(labels, k, json_string(strchr(*l, '=') ? strchr(*l, '=') + 1 : ""));
                        st.changed = true;
                }
        }
        if (st.changed || st.base_id == NULL) {
                char key[DIGEST_STRING_LEN + 1];
                char *id = NULL;
                chain_metadata(&st, NULL);
                build_step_key(&st, "the stage's image", key);
                if (b->o->no_cache || build_cache_get(b->e->store, key, &id) < 0) {
                        if ((r = engine_image_derive(b->e, st.base_id, st.config, st.history, st.author, &id, err)) < 0 ||
                            (r = build_cache_put(b->e->store, key, id, !is_target, err)) < 0) {
                                free(id);
                                goto out;
                        }
                }
                stage->image_id = id;
        } else {
                stage->image_id = xstrdup(st.base_id);
        }
        r = 0;
        goto out;
fail_at_from:
        build_fail_at(b, from, err);
out:
        state_clear(&st);
        return r;
}

static void build_clear(struct build *b)
{
        dockerfile_free(b->df);
        dockerignore_free(b->ignore);
        build_context_close(b);
        for (size_t i = 0; i < b->n_stages; i++) {
                free(b->stages[i].name);
                free(b->stages[i].image_id);
        }
        free(b->stages);
        strv_free(b->global_args);
}

static int read_dockerfile(struct build *b, berth_error *err)
{
        cleanup_free char *path = NULL, *text = NULL, *ignore_text = NULL, *ignore_path = NULL;
        size_t len = 0, ignore_len = 0;
        int r;

        path = xstrdup(b->dockerfile_path);
        if ((r = read_file_at(AT_FDCWD, path, &text, &len, err)) < 0)
                return berth_error_prefix(err, "the Dockerfile: ");
        b->df_name = strrchr(b->o->dockerfile ? b->o->dockerfile : "Dockerfile", '/')
                             ? strrchr(b->o->dockerfile, '/') + 1
                             : (b->o->dockerfile ? b->o->dockerfile : "Dockerfile");
        if ((r = dockerfile_parse(text, len, b->df_name, &b->df, err)) < 0)
                return r;
        /* FILE.dockerignore beside the Dockerfile wins over the context's .dockerignore (docker's rule). */
        ignore_path = xasprintf("%s.dockerignore", path);
        if (read_file_at(AT_FDCWD, ignore_path, &ignore_text, &ignore_len, NULL) < 0) {
                free(ignore_path);
                ignore_path = xasprintf("%s/.dockerignore", b->context_path);
                if (read_file_at(AT_FDCWD, ignore_path, &ignore_text, &ignore_len, NULL) < 0)
                        return 0;
        }
        return dockerignore_parse(ignore_text, ignore_len, ".dockerignore", &b->ignore, err);
}

static void predefined_args(struct build *b)
{
        cleanup_platform struct platform host = {0};
        cleanup_free char *plat = NULL;

        platform_host(&host);
        plat = platform_string(&host);
        for (int build = 0; build < 2; build++) {
                const char *p = build ? "BUILD" : "TARGET";
                char *kv;
                kv = xasprintf("%sPLATFORM=%s", p, plat);
                b->global_args = strv_append(b->global_args, kv);
                free(kv);
                kv = xasprintf("%sOS=%s", p, host.os);
                b->global_args = strv_append(b->global_args, kv);
                free(kv);
                kv = xasprintf("%sARCH=%s", p, host.arch);
                b->global_args = strv_append(b->global_args, kv);
                free(kv);
                kv = xasprintf("%sVARIANT=%s", p, host.variant ? host.variant : "");
                b->global_args = strv_append(b->global_args, kv);
                free(kv);
        }
}

int build_run(struct engine *e, const struct build_options *o, char **image_id, int *step_exit, berth_error *err)
{
        struct build b = {.e = e, .o = o, .context_fd = -1, .step_exit = step_exit,
                          .global_args = xzalloc(sizeof(char *))};
        char *result = NULL;
        int target, r;

        *step_exit = 0;
        {
                uint64_t start = 0;
                process_start_time(getpid(), &start);
                snprintf(b.owner, sizeof(b.owner), "%d-%llu", (int) getpid(), (unsigned long long) start);
        }
        reap_orphans(&b);
        if ((r = build_context_open(&b, err)) < 0)
                goto out;
        predefined_args(&b);
        if ((r = read_dockerfile(&b, err)) < 0 || (r = split_stages(&b, err)) < 0 || (r = target = mark_needed(&b, err)) < 0)
                goto out;
        for (size_t s = 0; s <= (size_t) target; s++) {
                if (!b.stages[s].needed)
                        continue;
                if ((r = build_stage(&b, s, s == (size_t) target, err)) < 0)
                        goto out;
        }
        result = xstrdup(b.stages[target].image_id);
        for (char **t = o->tags; t && *t; t++) {
                cleanup_image_ref struct image_ref ref = {0};
                cleanup_free char *name = NULL;
                if ((r = image_ref_parse(*t, true, &ref, err)) < 0)
                        goto out;
                name = image_ref_string(&ref);
                if ((r = imagedb_tag(e->store, name, result, err)) < 0)
                        goto out;
        }
        if (o->progress != NULL) {
                fprintf(o->progress, "Successfully built %.12s\n", result + (strncmp(result, "sha256:", 7) ? 0 : 7));
                for (char **t = o->tags; t && *t; t++)
                        fprintf(o->progress, "Successfully tagged %s\n", *t);
        }
        *image_id = steal_pointer(&result);
        r = 0;
out:
        free(result);
        build_clear(&b);
        return r;
}
