/* The builder's language (src/build), fed an untrusted build context's files: the input is split at NUL
 * bytes into a Dockerfile, a .dockerignore and a path. The Dockerfile is parsed; every argument of every
 * instruction (and ONBUILD's, and each heredoc's content) is expanded as one word and as words, with the
 * environment made of the ENV/ARG pairs seen so far, as the builder will expand them; the .dockerignore is
 * parsed and asked about the path and each of the Dockerfile's COPY/ADD sources. */
#include <stdlib.h>
#include <string.h>

#include "build/dockerfile.h"
#include "build/dockerignore.h"
#include "build/words.h"
#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/util.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_quiet_stdio();
        return 0;
}

static void expand_all(const char *s, char escape, char **env)
{
        berth_error err = {0};
        char *one = NULL;
        char **words = NULL;

        if (dockerfile_expand_word(s, escape, env, &one, &err) == 0)
                free(one);
        berth_error_clear(&err);
        if (dockerfile_expand_words(s, escape, env, &words, &err) == 0)
                strv_free(words);
        berth_error_clear(&err);
}

static char **instruction(const struct dockerfile_instruction *ins, char escape, char **env,
                          const struct dockerignore *di)
{
        for (size_t i = 0; i < ins->n_args; i++) {
                expand_all(ins->args[i], escape, env);
                if (di != NULL && (strcmp(ins->keyword, "COPY") == 0 || strcmp(ins->keyword, "ADD") == 0))
                        dockerignore_excluded(di, ins->args[i]);
        }
        for (size_t i = 0; i < ins->n_flags; i++)
                if (ins->flags[i].value != NULL)
                        expand_all(ins->flags[i].value, escape, env);
        for (size_t i = 0; i < ins->n_heredocs; i++)
                if (ins->heredocs[i].expand)
                        expand_all(ins->heredocs[i].content, escape, env);
        if ((strcmp(ins->keyword, "ENV") == 0 || strcmp(ins->keyword, "LABEL") == 0) && ins->n_args % 2 == 0)
                for (size_t i = 0; i + 1 < ins->n_args; i += 2) {
                        char *kv = xasprintf("%s=%s", ins->args[i], ins->args[i + 1]);
                        if (strv_length(env) < 64)
                                env = strv_append(env, kv);
                        free(kv);
                }
        if (ins->sub != NULL)
                env = instruction(ins->sub, escape, env, di);
        return env;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *parts[3] = {NULL, NULL, NULL};
        size_t n = fuzz_split(data, size, parts, 3);
        struct dockerfile *df = NULL;
        struct dockerignore *di = NULL;
        berth_error err = {0};

        if (n >= 2 && dockerignore_parse(parts[1], strlen(parts[1]), ".dockerignore", &di, &err) == 0 && n == 3)
                dockerignore_excluded(di, parts[2]);
        berth_error_clear(&err);
        if (n >= 1 && dockerfile_parse(parts[0], strlen(parts[0]), "Dockerfile", &df, &err) == 0) {
                char **env = xzalloc(sizeof(char *));
                for (size_t i = 0; i < df->n_instructions; i++)
                        env = instruction(&df->instructions[i], df->escape, env, di);
                strv_free(env);
                dockerfile_free(df);
        }
        berth_error_clear(&err);
        dockerignore_free(di);
        for (size_t i = 0; i < n; i++)
                free(parts[i]);
        return 0;
}
