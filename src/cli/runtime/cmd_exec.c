#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "cli/runtime/commands.h"
#include "runtime/exec.h"
#include "runtime/foreground.h"
#include "lib/json.h"
#include "lib/util.h"

struct exec_flags {
        const char *console_socket, *pid_file, *process_file, *cwd, *user, *apparmor, *label;
        char **env, **caps, **gids;
        bool tty, detach, no_new_privs;
        int preserve_fds;
};

static int parse_user(const char *spec, struct spec_user *u)
{
        cleanup_free char *copy = xstrdup(spec);
        char *colon = strchr(copy, ':');
        uint64_t v;

        if (colon)
                *colon = '\0';
        if (parse_u64(copy, &v) < 0 || v > UINT32_MAX - 1)
                return -1;
        u->uid = (uint32_t) v;
        if (colon) {
                if (parse_u64(colon + 1, &v) < 0 || v > UINT32_MAX - 1)
                        return -1;
                u->gid = (uint32_t) v;
        }
        return 0;
}

/* runc's exec: the container's process config, with the flags applied on top. */
static int build_process_from_flags(struct runtime_context *ctx, const char *id, const struct exec_flags *f,
                                    char **args, struct spec_process *p, berth_error *err)
{
        int r;

        if ((r = exec_default_process(ctx, id, p, err)) < 0)
                return r;
        strv_free(p->args);
        p->args = strv_dup(args);
        for (size_t i = 0; f->env && f->env[i]; i++)
                p->env = strv_env_set(p->env, f->env[i]); /* replaces the config's value, as runc */
        if (f->cwd) {
                free(p->cwd);
                p->cwd = xstrdup(f->cwd);
        }
        if (f->user && parse_user(f->user, &p->user) < 0)
                return berth_failf(err, EINVAL, "--user: \"%s\" is not UID[:GID]", f->user);
        for (size_t i = 0; f->gids && f->gids[i]; i++) {
                uint64_t g;
                if (parse_u64(f->gids[i], &g) < 0 || g > UINT32_MAX - 1)
                        return berth_failf(err, EINVAL, "--additional-gids: \"%s\" is not a gid", f->gids[i]);
                p->user.additional_gids = xrealloc(p->user.additional_gids,
                                                   (p->user.n_additional_gids + 1) * sizeof(gid_t));
                p->user.additional_gids[p->user.n_additional_gids++] = (gid_t) g;
        }
        for (size_t i = 0; f->caps && f->caps[i]; i++) {
                int cap = spec_capability_from_name(f->caps[i]);
                uint64_t bit;
                if (cap < 0)
                        return berth_failf(err, EINVAL, "--cap: unknown capability \"%s\"", f->caps[i]);
                bit = UINT64_C(1) << cap;
                p->capabilities.present = true;
                p->capabilities.bounding |= bit;
                p->capabilities.effective |= bit;
                p->capabilities.permitted |= bit;
                p->capabilities.ambient |= bit;
                p->capabilities.inheritable |= bit;
        }
        p->terminal = f->tty;
        if (f->no_new_privs)
                p->no_new_privileges = true;
        if (f->apparmor) {
                free(p->apparmor_profile);
                p->apparmor_profile = xstrdup(f->apparmor);
        }
        if (f->label) {
                free(p->selinux_label);
                p->selinux_label = xstrdup(f->label);
        }
        if (p->cwd[0] != '/')
                return berth_failf(err, EINVAL, "--cwd: \"%s\" is not an absolute path", p->cwd);
        return 0;
}

static int load_process_file(const char *path, struct spec_process *p, berth_error *err)
{
        cleanup_json json_t *doc = json_load_path(path, err);

        if (doc == NULL)
                return -err->code;
        if (spec_parse_process(doc, "process", p, err) < 0)
                return berth_error_prefix(err, "%s: ", path);
        return 0;
}

int cmd_exec(struct runtime_context *ctx, int argc, char **argv)
{
        static const struct option options[] = {
                {"console-socket", required_argument, NULL, 'C'},
                {"cwd", required_argument, NULL, 'w'},
                {"env", required_argument, NULL, 'e'},
                {"tty", no_argument, NULL, 't'},
                {"user", required_argument, NULL, 'u'},
                {"additional-gids", required_argument, NULL, 'g'},
                {"process", required_argument, NULL, 'p'},
                {"detach", no_argument, NULL, 'd'},
                {"pid-file", required_argument, NULL, 'P'},
                {"process-label", required_argument, NULL, 'l'},
                {"apparmor", required_argument, NULL, 'a'},
                {"no-new-privs", no_argument, NULL, 'n'},
                {"cap", required_argument, NULL, 'c'},
                {"preserve-fds", required_argument, NULL, 'F'},
                {"ignore-paused", no_argument, NULL, 'I'},
                {"cgroup", required_argument, NULL, 'G'},
                {NULL, 0, NULL, 0},
        };
        struct exec_flags f = {0};
        struct spec_process process = {0};
        struct exec_result result = {.terminal_master = -1};
        struct exec_options opts = {0};
        berth_error err = {0};
        const char *id;
        int opt, exit_code = 0;

        while ((opt = getopt_long(argc, argv, "+e:tu:g:p:dc:", options, NULL)) != -1) {
                switch (opt) {
                case 'C': f.console_socket = optarg; break;
                case 'w': f.cwd = optarg; break;
                case 'e': f.env = strv_append(f.env, optarg); break;
                case 't': f.tty = true; break;
                case 'u': f.user = optarg; break;
                case 'g': f.gids = strv_append(f.gids, optarg); break;
                case 'p': f.process_file = optarg; break;
                case 'd': f.detach = true; break;
                case 'P': f.pid_file = optarg; break;
                case 'l': f.label = optarg; break;
                case 'a': f.apparmor = optarg; break;
                case 'n': f.no_new_privs = true; break;
                case 'c': f.caps = strv_append(f.caps, optarg); break;
                case 'F':
                        if (parse_int(optarg, &f.preserve_fds) < 0 || f.preserve_fds < 0)
                                return cli_usage_error(ctx, "--preserve-fds: \"%s\" is not a count", optarg);
                        break;
                case 'I': break;
                case 'G': return cli_usage_error(ctx, "exec --cgroup: sub-cgroups for exec are not supported");
                default: return 1;
                }
        }
        if (optind >= argc)
                return cli_usage_error(ctx, "exec: usage: exec [options] CONTAINER_ID [COMMAND [ARG...]]");
        id = argv[optind];
        if (f.process_file != NULL) {
                if (load_process_file(f.process_file, &process, &err) < 0)
                        goto fail;
        } else {
                if (optind + 1 >= argc) {
                        err.code = 0;
                        berth_failf(&err, EINVAL, "exec: a command is needed (or --process FILE)");
                        goto fail;
                }
                if (build_process_from_flags(ctx, id, &f, argv + optind + 1, &process, &err) < 0)
                        goto fail;
        }
        opts.id = id;
        opts.process = &process;
        opts.console_socket = f.console_socket;
        opts.pid_file = f.pid_file;
        opts.preserve_fds = f.preserve_fds;
        opts.want_terminal_master = !f.detach && f.console_socket == NULL;
        if (!f.detach && foreground_block_signals(&err) < 0)
                goto fail;
        if (container_exec(ctx, &opts, &result, &err) < 0)
                goto fail;
        if (!f.detach) {
                int r = foreground_wait(result.pid, result.terminal_master, &exit_code, &err);
                if (result.terminal_master >= 0)
                        close(result.terminal_master);
                if (r < 0)
                        goto fail;
        }
        spec_process_clear(&process);
        strv_free(f.env), strv_free(f.caps), strv_free(f.gids);
        return exit_code;
fail:
        spec_process_clear(&process);
        strv_free(f.env), strv_free(f.caps), strv_free(f.gids);
        return cli_fail(ctx, &err);
}
