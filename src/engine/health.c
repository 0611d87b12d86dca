/* Health checks (health.h): Config.Healthcheck, one probe, the recorded state. docker's semantics
 * (moby daemon/health.go): a success makes the container healthy and resets the failing streak; a failure
 * (any other exit code, a timeout, an exec that fails) adds to the streak, except while the container is
 * still starting within its start period; `retries` failures in a row make it unhealthy. */
#include "engine/health.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/events.h"
#include "engine/execproc.h"
#include "engine/reconcile.h"
#include "image/blob.h"
#include "lib/cleanup.h"
#include "lib/util.h"

#define SECOND_NS 1000000000LL

static int64_t duration_or(json_t *hc, const char *key, int64_t fallback)
{
        json_t *v = json_object_get(hc, key);
        int64_t n = json_is_integer(v) ? json_integer_value(v) : json_is_real(v) ? (int64_t) json_real_value(v) : 0;

        return n > 0 ? n : fallback;
}

bool engine_healthcheck_get(json_t *config, struct engine_healthcheck *out)
{
        json_t *hc = json_object_get(config, "Healthcheck");
        json_t *test = json_object_get(hc, "Test");
        const char *kind = json_string_value(json_array_get(test, 0));
        json_t *retries = json_object_get(hc, "Retries");
        size_t i;
        json_t *v;

        *out = (struct engine_healthcheck){0};
        if (kind == NULL || strcmp(kind, "NONE") == 0 || json_array_size(test) < 2)
                return false;
        if (strcmp(kind, "CMD-SHELL") == 0) {
                /* docker: the container's Shell, or /bin/sh -c. */
                json_t *shell = json_object_get(config, "Shell");
                out->argv = xzalloc(sizeof(char *));
                if (json_array_size(shell) > 0) {
                        json_array_foreach(shell, i, v)
                                out->argv = strv_append(out->argv, json_string_value(v) ?: "");
                } else {
                        out->argv = strv_append(out->argv, "/bin/sh");
                        out->argv = strv_append(out->argv, "-c");
                }
                out->argv = strv_append(out->argv, json_string_value(json_array_get(test, 1)) ?: "");
        } else if (strcmp(kind, "CMD") == 0) {
                out->argv = xzalloc(sizeof(char *));
                json_array_foreach(test, i, v)
                        if (i > 0)
                                out->argv = strv_append(out->argv, json_string_value(v) ?: "");
        } else {
                return false;
        }
        out->interval_ns = duration_or(hc, "Interval", 30 * SECOND_NS);
        out->timeout_ns = duration_or(hc, "Timeout", 30 * SECOND_NS);
        out->start_period_ns = duration_or(hc, "StartPeriod", 0);
        out->start_interval_ns = duration_or(hc, "StartInterval", 5 * SECOND_NS);
        out->retries = json_is_integer(retries) && json_integer_value(retries) > 0 ? (int) json_integer_value(retries) : 3;
        return true;
}

void engine_healthcheck_clear(struct engine_healthcheck *h)
{
        strv_free(h->argv);
        h->argv = NULL;
}

int engine_healthcheck_merge(struct engine *e, const char *image_id, json_t *config, berth_error *err)
{
        static const char *const values[] = {"Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"};
        cleanup_free char *text = NULL;
        json_t *doc, *image_hc, *hc;
        size_t len = 0;
        int r;

        if ((r = store_blob_read(e->store, image_id, 8u << 20, &text, &len, err)) < 0)
                return r;
        doc = json_loadb(text, len, 0, NULL);
        image_hc = json_object_get(json_object_get(doc, "config"), "Healthcheck");
        hc = json_object_get(config, "Healthcheck");
        if (json_is_object(image_hc)) {
                if (!json_is_object(hc)) {
                        json_object_set(config, "Healthcheck", image_hc);
                } else {
                        if (json_array_size(json_object_get(hc, "Test")) == 0 && json_object_get(image_hc, "Test") != NULL)
                                json_object_set(hc, "Test", json_object_get(image_hc, "Test"));
                        for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
                                json_t *mine = json_object_get(hc, values[i]), *theirs = json_object_get(image_hc, values[i]);
                                if ((mine == NULL || (json_is_integer(mine) && json_integer_value(mine) == 0)) && theirs != NULL)
                                        json_object_set(hc, values[i], theirs);
                        }
                }
        }
        json_decref(doc);
        return 0;
}

int engine_healthcheck_validate(json_t *config, berth_error *err)
{
        static const char *const durations[] = {"Interval", "Timeout", "StartPeriod", "StartInterval"};
        json_t *hc = json_object_get(config, "Healthcheck");
        json_t *retries = json_object_get(hc, "Retries");

        if (hc == NULL || json_is_null(hc))
                return 0;
        for (size_t i = 0; i < ARRAY_SIZE(durations); i++) {
                json_t *v = json_object_get(hc, durations[i]);
                int64_t n = json_is_integer(v) ? json_integer_value(v) : 0;
                /* moby: 0 means the default; anything else at least a millisecond. */
                if (n < 0 || (n > 0 && n < 1000000))
                        return berth_failf(err, EINVAL, "%s in Healthcheck cannot be less than 1ms", durations[i]);
        }
        if (json_is_integer(retries) && json_integer_value(retries) < 0)
                return berth_failf(err, EINVAL, "Retries in Healthcheck cannot be negative");
        return 0;
}

/* ---- the recorded state ---- */

static json_t *read_state(struct engine *e, const char *id)
{
        cleanup_free char *path = xasprintf("%s/%s", id, ENGINE_HEALTH_FILE);
        cleanup_free char *text = NULL;
        size_t len = 0;
        json_t *s;

        if (read_file_at(e->containers_fd, path, &text, &len, NULL) < 0)
                return NULL;
        s = json_loadb(text, len, 0, NULL);
        if (!json_is_object(s) || !json_is_string(json_object_get(s, "Status"))) {
                json_decref(s);
                return NULL; /* unreadable (never half-written: replaced by rename): as if none */
        }
        return s;
}

static json_t *fresh_state(void)
{
        return json_pack("{s:s,s:i,s:[]}", "Status", "starting", "FailingStreak", 0, "Log");
}

json_t *engine_container_health(struct engine *e, const struct engine_container *c)
{
        struct engine_healthcheck hc;
        json_t *s;

        if (!engine_healthcheck_get(c->config, &hc))
                return NULL;
        engine_healthcheck_clear(&hc);
        s = read_state(e, c->id);
        return s ? s : fresh_state();
}

const char *engine_container_health_status(struct engine *e, const struct engine_container *c)
{
        json_t *s;
        const char *status = "starting";

        if (c->status != ENGINE_RUNNING && c->status != ENGINE_PAUSED)
                return NULL;
        if ((s = engine_container_health(e, c)) == NULL)
                return NULL;
        if (strcmp(json_string_value(json_object_get(s, "Status")), "healthy") == 0)
                status = "healthy";
        else if (strcmp(json_string_value(json_object_get(s, "Status")), "unhealthy") == 0)
                status = "unhealthy";
        json_decref(s);
        return status;
}

/* ---- one probe ---- */

struct probe_result {
        char *start, *end;
        int exit_code; /* -1: timed out or could not run */
        char output[ENGINE_HEALTH_OUTPUT_MAX + 1];
        size_t len;
};

static int64_t now_monotonic_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the probe's output until it ends or the timeout; keeps the first ENGINE_HEALTH_OUTPUT_MAX bytes. */
static bool collect_output(int fd, int64_t timeout_ms, struct probe_result *res)
{
        int64_t deadline = now_monotonic_ms() + timeout_ms;
        char buf[4096];

        for (;;) {
                int64_t left = deadline - now_monotonic_ms();
                struct pollfd p = {.fd = fd, .events = POLLIN};
                ssize_t n;

                if (left <= 0)
                        return false;
                if (poll(&p, 1, left > 1000000 ? 1000000 : (int) left) < 0 && errno != EINTR)
                        return true;
                if (p.revents == 0)
                        continue;
                n = read(fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return true;
                if (res->len < ENGINE_HEALTH_OUTPUT_MAX) {
                        size_t take = (size_t) n < ENGINE_HEALTH_OUTPUT_MAX - res->len ? (size_t) n : ENGINE_HEALTH_OUTPUT_MAX - res->len;
                        memcpy(res->output + res->len, buf, take);
                        res->len += take;
                }
        }
}

static void format_duration(int64_t ns, char *buf, size_t size)
{
        /* Go's time.Duration.String() for the whole seconds and milliseconds a flag gives. */
        if (ns % SECOND_NS == 0)
                snprintf(buf, size, "%llds", (long long) (ns / SECOND_NS));
        else if (ns < SECOND_NS && ns % 1000000 == 0)
                snprintf(buf, size, "%lldms", (long long) (ns / 1000000));
        else
                snprintf(buf, size, "%gs", (double) ns / 1e9);
}

static void run_probe(struct engine *e, const char *id, const struct engine_healthcheck *hc, struct probe_result *res)
{
        struct engine_exec_request req = {.argv = hc->argv};
        berth_error err = {0};
        int pipefd[2] = {-1, -1}, status = 0;
        pid_t pid = 0;

        res->exit_code = -1;
        res->start = engine_now_rfc3339();
        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                res->len = (size_t) snprintf(res->output, sizeof(res->output), "pipe: %s", strerror(errno));
                goto out;
        }
        if (engine_container_exec_spawn(e, id, &req, pipefd[1], &pid, &err) < 0) {
                res->len = (size_t) snprintf(res->output, sizeof(res->output), "%s", berth_error_message(&err));
                berth_error_clear(&err);
                goto out;
        }
        close(pipefd[1]);
        pipefd[1] = -1;
        if (!collect_output(pipefd[0], hc->timeout_ns / 1000000, res)) {
                char d[32];
                /* docker: the probe is over at its timeout; the process is killed rather than left running. */
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                format_duration(hc->timeout_ns, d, sizeof(d));
                res->len = (size_t) snprintf(res->output, sizeof(res->output), "Health check exceeded timeout (%s)", d);
                goto out;
        }
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        res->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
out:
        res->output[res->len] = '\0';
        res->end = engine_now_rfc3339();
        if (pipefd[0] >= 0)
                close(pipefd[0]);
        if (pipefd[1] >= 0)
                close(pipefd[1]);
}

static int64_t rfc3339_ns(const char *s)
{
        struct tm tm = {0};
        const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        int64_t ns = (int64_t) timegm(&tm) * SECOND_NS;

        if (p != NULL && *p == '.') {
                int64_t frac = 0, scale = SECOND_NS;
                for (p++; *p >= '0' && *p <= '9'; p++) {
                        scale /= 10;
                        frac += (*p - '0') * scale;
                }
                ns += frac;
        }
        return ns;
}

static int write_state(struct engine *e, const char *id, json_t *state, berth_error *err)
{
        cleanup_free char *text = json_dumps(state, JSON_COMPACT);
        cleanup_free char *path = xasprintf("%s/%s", id, ENGINE_HEALTH_FILE);

        if (text == NULL)
                return berth_failf(err, ENOMEM, "encode %s", path);
        return write_file_atomic_at(e->containers_fd, path, text, strlen(text), 0600, false, err);
}

int engine_container_health_probe(struct engine *e, const char *id, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        struct engine_healthcheck hc;
        struct probe_result res = {0};
        json_t *state, *log, *entry;
        const char *before;
        int r;

        if ((r = engine_container_load(e, id, &c, err)) < 0)
                return r;
        if (c->status != ENGINE_RUNNING || !engine_healthcheck_get(c->config, &hc))
                return 0; /* paused (docker skips the probe), stopped, or nothing to check */
        run_probe(e, c->id, &hc, &res);
        {
                /* A result for a run that has ended (stopped, or restarted meanwhile: its state starts over) is
                 * not recorded. */
                cleanup_engine_container struct engine_container *now = NULL;
                if (engine_container_load(e, id, &now, NULL) < 0 || now->status != ENGINE_RUNNING ||
                    strcmp(now->started_at, c->started_at) != 0) {
                        free(res.start);
                        free(res.end);
                        engine_healthcheck_clear(&hc);
                        return 0;
                }
        }
        state = read_state(e, c->id);
        if (state == NULL)
                state = fresh_state();
        before = json_string_value(json_object_get(state, "Status"));
        before = strcmp(before, "healthy") == 0 ? "healthy" : strcmp(before, "unhealthy") == 0 ? "unhealthy" : "starting";
        if (res.exit_code == 0) {
                json_object_set_new(state, "Status", json_string("healthy"));
                json_object_set_new(state, "FailingStreak", json_integer(0));
        } else {
                bool starting = strcmp(before, "starting") == 0;
                bool in_start_period = starting && rfc3339_ns(res.start) - rfc3339_ns(c->started_at) < hc.start_period_ns;
                if (!in_start_period) {
                        json_int_t streak = json_integer_value(json_object_get(state, "FailingStreak")) + 1;
                        json_object_set_new(state, "FailingStreak", json_integer(streak));
                        if (streak >= hc.retries)
                                json_object_set_new(state, "Status", json_string("unhealthy"));
                }
        }
        log = json_object_get(state, "Log");
        if (!json_is_array(log)) {
                log = json_array();
                json_object_set_new(state, "Log", log);
        }
        entry = json_pack("{s:s,s:s,s:i,s:s%}", "Start", res.start, "End", res.end, "ExitCode", res.exit_code, "Output",
                          res.output, res.len);
        if (entry == NULL) /* output that is not UTF-8 */
                entry = json_pack("{s:s,s:s,s:i,s:s}", "Start", res.start, "End", res.end, "ExitCode", res.exit_code,
                                  "Output", "");
        json_array_append_new(log, entry);
        while (json_array_size(log) > ENGINE_HEALTH_LOG_MAX)
                json_array_remove(log, 0);
        r = write_state(e, c->id, state, err);
        if (r == 0 && strcmp(before, json_string_value(json_object_get(state, "Status"))) != 0) {
                cleanup_free char *action = xasprintf("health_status: %s", json_string_value(json_object_get(state, "Status")));
                engine_event_container(e, c, action, NULL);
        }
        json_decref(state);
        free(res.start);
        free(res.end);
        engine_healthcheck_clear(&hc);
        return r;
}
