/* docker-credential-* helpers (credhelper.h). */
#include "registry/credhelper.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"

extern char **environ;

/* What the helpers answer when they hold nothing for the server (docker-credential-helpers' ErrCredentialsNotFound). */
#define CREDENTIALS_NOT_FOUND "credentials not found in native keychain"
/* A helper's answer is a few hundred bytes; more is not one. */
#define HELPER_OUTPUT_MAX (64 * 1024)

const char *credhelper_for(json_t *root, const char *domain)
{
        json_t *helpers = json_object_get(root, "credHelpers"), *store = json_object_get(root, "credsStore");
        json_t *one = json_object_get(helpers, domain);

        if (json_is_string(one) && json_string_length(one) > 0)
                return json_string_value(one);
        if (json_is_string(store) && json_string_length(store) > 0)
                return json_string_value(store);
        return NULL;
}

static bool valid_helper_name(const char *name)
{
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
                      *p == '_' || *p == '.'))
                        return false;
        return *name != '\0';
}

/* Runs PROGRAM ACTION with input on its stdin; *output: its stdout (NUL-terminated), *status its wait status. */
static int run_helper(const char *program, const char *action, const char *input, char **output, int *status,
                      berth_error *err)
{
        posix_spawn_file_actions_t fa;
        int in[2] = {-1, -1}, out[2] = {-1, -1};
        char *argv[] = {(char *) program, (char *) action, NULL};
        size_t len = 0;
        ssize_t n;
        char *buf = NULL;
        pid_t pid;
        int r;

        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
                r = berth_fail(err, errno, "pipe for %s", program);
                goto fail;
        }
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
        posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
        r = posix_spawnp(&pid, program, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(in[0]);
        close(out[1]);
        in[0] = out[1] = -1;
        if (r != 0) {
                r = berth_fail(err, r, "credential helper %s (credsStore/credHelpers of the auth file)", program);
                goto fail;
        }
        /* The input is a line or a small JSON object: well under a pipe's buffer. */
        {
                void (*old)(int) = signal(SIGPIPE, SIG_IGN);
                (void) write_all(in[1], input, strlen(input));
                signal(SIGPIPE, old);
        }
        close(in[1]);
        in[1] = -1;
        /* Its answer, up to its end of the pipe or HELPER_OUTPUT_MAX. */
        buf = xmalloc(HELPER_OUTPUT_MAX);
        n = read_all(out[0], buf, HELPER_OUTPUT_MAX - 1);
        len = n > 0 ? (size_t) n : 0;
        buf[len] = '\0';
        close(out[0]);
        out[0] = -1;
        while (waitpid(pid, status, 0) < 0)
                if (errno != EINTR) {
                        free(buf);
                        return berth_fail(err, errno, "wait for credential helper %s", program);
                }
        *output = buf;
        return 0;
fail:
        for (int i = 0; i < 2; i++) {
                if (in[i] >= 0)
                        close(in[i]);
                if (out[i] >= 0)
                        close(out[i]);
        }
        return r;
}

int credhelper_get(const char *helper, const char *server, struct registry_credentials *out, bool *found,
                   berth_error *err)
{
        cleanup_free char *program = NULL, *output = NULL;
        cleanup_json json_t *answer = NULL;
        const char *user, *secret;
        int status = 0, r;

        *found = false;
        if (!valid_helper_name(helper))
                return berth_failf(err, EINVAL, "credential helper name \"%s\": not a docker-credential-NAME suffix", helper);
        program = xasprintf("docker-credential-%s", helper);
        if ((r = run_helper(program, "get", server, &output, &status, err)) < 0)
                return r;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                if (strstr(output, CREDENTIALS_NOT_FOUND) != NULL)
                        return 0;
                output[strcspn(output, "\n")] = '\0'; /* its first line: the helper's message */
                return berth_failf(err, EACCES, "credential helper %s get %s failed (%s %d): %s", program, server,
                                   WIFEXITED(status) ? "exit status" : "signal",
                                   WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                                   *output ? output : "no message");
        }
        answer = json_loads(output, 0, NULL);
        user = json_string_value(json_object_get(answer, "Username"));
        secret = json_string_value(json_object_get(answer, "Secret"));
        if (!json_is_object(answer) || user == NULL || secret == NULL)
                return berth_failf(err, EINVAL, "credential helper %s get %s: the answer is not {\"Username\", \"Secret\"}",
                                   program, server); /* never the answer itself: it may hold the secret */
        if (strcmp(user, "<token>") == 0) {
                out->identity_token = xstrdup(secret);
        } else {
                out->username = xstrdup(user);
                out->password = xstrdup(secret);
        }
        *found = registry_credentials_present(out);
        return 0;
}

/* One action whose answer is only its status (store, erase). */
static int run_action(const char *helper, const char *action, const char *server, const char *input, berth_error *err)
{
        cleanup_free char *program = NULL, *output = NULL;
        int status = 0, r;

        if (!valid_helper_name(helper))
                return berth_failf(err, EINVAL, "credential helper name \"%s\": not a docker-credential-NAME suffix", helper);
        program = xasprintf("docker-credential-%s", helper);
        if ((r = run_helper(program, action, input, &output, &status, err)) < 0)
                return r;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        if (strcmp(action, "erase") == 0 && strstr(output, CREDENTIALS_NOT_FOUND) != NULL)
                return 0;
        output[strcspn(output, "\n")] = '\0';
        return berth_failf(err, EACCES, "credential helper %s %s %s failed (%s %d): %s", program, action, server,
                           WIFEXITED(status) ? "exit status" : "signal", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                           *output ? output : "no message");
}

int credhelper_store(const char *helper, const char *server, const struct registry_credentials *c, berth_error *err)
{
        bool token = c->identity_token != NULL;
        json_t *msg = json_pack("{s:s, s:s, s:s}", "ServerURL", server, "Username",
                                token ? "<token>" : (c->username ? c->username : ""), "Secret",
                                token ? c->identity_token : (c->password ? c->password : ""));
        char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
        int r;

        json_decref(msg);
        if (text == NULL)
                return berth_failf(err, ENOMEM, "encode credentials for %s", server);
        r = run_action(helper, "store", server, text, err);
        explicit_bzero(text, strlen(text));
        free(text);
        return r;
}

int credhelper_erase(const char *helper, const char *server, berth_error *err)
{
        return run_action(helper, "erase", server, server, err);
}
