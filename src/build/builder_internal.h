/* Shared by the builder's files (builder.c: stages and instructions; builder_copy.c: COPY and ADD). */
#pragma once

#include <jansson.h>

#include "build/builder.h"
#include "build/dockerfile.h"
#include "build/dockerignore.h"
#include "image/digest.h"

struct build_stage {
        char *name;    /* AS NAME, lower-cased; NULL when unnamed */
        size_t from;   /* the index of its FROM */
        size_t end;    /* one past its last instruction */
        bool needed;   /* the target or something it copies from */
        char *image_id; /* once built */
};

struct build {
        struct engine *e;
        const struct build_options *o;
        struct dockerfile *df;
        const char *df_name;  /* the Dockerfile's name in errors */
        int context_fd;
        char *context_path;    /* the context directory (an extracted archive's under the store's tmp) */
        char *dockerfile_path; /* the Dockerfile to read */
        char *tmp_rel;         /* the store's tmp directory holding an extracted context, or NULL */
        struct dockerignore *ignore; /* NULL: no .dockerignore */
        struct build_stage *stages;
        size_t n_stages;
        char **global_args;   /* "K=V": the ARGs before the first FROM and the predefined platform ARGs */
        unsigned step, n_steps;
        int *step_exit;
        char owner[48]; /* "PID-STARTTIME" of this build: the label of its step containers */
};

/* The label of a step container: which build made it (a dead build's are removed by the next). */
#define BUILD_OWNER_LABEL "io.berth.build"

/* A stage while it is built. */
struct build_state {
        char *base_id;   /* the image a step's container is made from (NULL: scratch with nothing yet) */
        json_t *config;  /* the image config's "config" being built */
        json_t *history; /* the history entries since base_id (empty_layer ones) */
        char **args;     /* "K=V": the stage's ARGs with a value */
        char **used_args; /* "K=V" of those, as RUN's history lists them */
        char **shell;    /* SHELL, ["/bin/sh", "-c"] by default */
        char *author;    /* MAINTAINER */
        bool cmd_inherited; /* the Cmd is the base image's: an ENTRYPOINT resets it (docker) */
        bool changed;    /* config or history differ from base_id's */
        char cache_key[DIGEST_STRING_LEN + 1]; /* the chain of the stage's steps so far (cache.h) */
};

/* The environment instructions expand with: the stage's ARGs, then the config's Env (ENV wins). */
char **build_state_env(const struct build_state *st);

/* A container from st->base_id with CMD as its command (not started), for a step; MOUNTS (HostConfig.Mounts,
 * NULL: none) and NETWORK (NULL: the build's) for a RUN's flags. */
int build_step_container(struct build *b, struct build_state *st, json_t *cmd, char **env, json_t *mounts,
                         const char *network, char **id, berth_error *err);
/* builder_mounts.c: RUN's --mount, --network and --security flags: the step container's mounts and network,
 * and what they add to the step's cache key (KEY_TEXT). */
int build_run_flags(struct build *b, struct build_state *st, const struct dockerfile_instruction *ins,
                    json_t **mounts, const char **network, char **key_text, berth_error *err);
/* builder_copy.c: a context path opened beneath the context ("..", symlinks leading out: refused). */
int build_open_in_context(struct build *b, const char *path, int flags, berth_error *err);
/* The cache's digest of a context path (what a COPY of it would copy). */
void build_hash_source(struct digest_ctx *d, struct build *b, const char *rel);
/* Commits the step container as the stage's next image, with the history entry CREATED_BY, and records it
 * in the cache under KEY. */
int build_step_commit(struct build *b, struct build_state *st, const char *id, const char *created_by,
                      const char *key, berth_error *err);
/* KEY: the step's cache key, the stage's chain and TEXT (what decides the step's result). */
void build_step_key(const struct build_state *st, const char *text, char key[DIGEST_STRING_LEN + 1]);
/* A step whose KEY the cache holds: its image becomes the stage's, and true (unless --no-cache). */
bool build_cache_use(struct build *b, struct build_state *st, const char *key);
/* Removes a step container and everything it holds. */
void build_step_container_remove(struct build *b, const char *id);

/* COPY and ADD (builder_copy.c): SOURCES... DEST from the context, or from another stage's image or an
 * image (--from), into a step container's root filesystem, then committed. */
int build_copy(struct build *b, struct build_state *st, const struct dockerfile_instruction *ins, berth_error *err);

/* builder_config.c: the metadata instructions, and what RUN shares with them. */
int build_metadata(struct build *b, struct build_state *st, const struct dockerfile_instruction *ins, berth_error *err);
/* The stage's view of ENV: the value of NAME in ENV ("K=V" strings, the last wins), or NULL. */
const char *build_env_value(char *const *env, const char *name);
/* --build-arg NAME's value (NAME alone: our environment's), or NULL when not given. */
const char *build_arg_given(struct build *b, const char *name);
/* An empty_layer history entry with BuildKit's comment. */
void build_history_add(struct build_state *st, const char *created_by);
/* WORD expanded with the stage's environment. */
int build_expand(struct build *b, struct build_state *st, const char *word, char **out, berth_error *err);
json_t *build_strings_json(char *const *v, size_t n);
/* CMD, ENTRYPOINT, HEALTHCHECK CMD from argument FIRST: the exec form as it is, the shell form through SHELL. */
json_t *build_command_json(const struct dockerfile_instruction *ins, size_t first, const struct build_state *st);

/* builder_context.c: the context as a directory (b->context_fd, b->context_path, b->dockerfile_path), and
 * its removal when it was extracted. */
int build_context_open(struct build *b, berth_error *err);
void build_context_close(struct build *b);
/* A tar or a compressed stream (by its magic numbers), read at offset 0 of FD. */
bool build_is_archive(int fd);

/* builder_sources.c: ADD's URLs fetched (an unnamed file, its sha256), and a file written from a text or a
 * file into DEST (DEST/NAME when INTO_DIR), inside the root ROOTFD. */
bool build_is_url(const char *s);
/* The heredoc an argument ("<<EOF", "<<-EOF", "<<'EOF'") names, or NULL; its text, expanded with ENV when
 * its name is unquoted. */
const struct dockerfile_heredoc *build_heredoc_of(const struct dockerfile_instruction *ins, const char *arg);
char *build_heredoc_content(struct build *b, const struct dockerfile_heredoc *h, char **env);
int build_fetch_url(struct build *b, const char *url, int *fd, char digest[DIGEST_STRING_LEN + 1], berth_error *err);
int build_write_source_file(int rootfd, const char *dest, bool into_dir, const char *name, int data_fd,
                            const char *text, uid_t uid, gid_t gid, mode_t mode, berth_error *err);

/* An error at the instruction: "Dockerfile:LINE:COLUMN: INSTRUCTION: message". */
int build_fail_at(struct build *b, const struct dockerfile_instruction *ins, berth_error *err);
