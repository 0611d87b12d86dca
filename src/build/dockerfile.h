/* The Dockerfile language's syntax, as the Dockerfile reference and BuildKit's parser define it: parser
 * directives (syntax, escape, check), comments, line continuations, heredocs, each instruction's flags and
 * its exec (JSON) or shell form. What the words mean (variable expansion: build/shell_words.h; the image
 * config and the steps) is the builder's. Every instruction keeps where it starts (file:line:column) so
 * that an error, here or later, names it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/error.h"

struct dockerfile_flag {
        char *name;  /* "from" for --from=builder */
        char *value; /* "builder"; NULL for a flag without a value (--link) */
};

struct dockerfile_heredoc {
        char *name;    /* the word after <<, unquoted: "EOF" */
        char *content; /* the lines up to the terminator, each ending in "\n" (leading tabs gone with <<-) */
        bool expand;   /* an unquoted name: the content is subject to expansion, as in the shell */
        bool chomp;    /* <<-: leading tabs stripped */
};

struct dockerfile_instruction {
        char *keyword;    /* upper case: "RUN" */
        char *original;   /* the instruction as written, continuation lines joined ("RUN apt-get ...") */
        unsigned line;    /* 1-based, where the instruction starts */
        unsigned end_line;
        unsigned column;  /* 1-based column of the keyword */
        struct dockerfile_flag *flags;
        size_t n_flags;
        /* exec form: the JSON array's strings (RUN/CMD/ENTRYPOINT/SHELL/COPY/ADD/VOLUME/HEALTHCHECK CMD).
         * shell form of RUN/CMD/ENTRYPOINT: one string, the command line. ENV/LABEL: key, value, key, value...
         * (values as written, quotes kept: expansion removes them). ARG: NAME or NAME=default words. Others:
         * the whitespace-separated words, quotes kept. */
        char **args;
        size_t n_args;
        bool json_form;
        /* ONBUILD's instruction; HEALTHCHECK CMD's args are in args with "CMD" first, "NONE" alone for NONE. */
        struct dockerfile_instruction *sub;
        struct dockerfile_heredoc *heredocs;
        size_t n_heredocs;
};

struct dockerfile {
        char escape;  /* '\\' or '`' (the escape directive) */
        char *syntax; /* the syntax directive's value, or NULL */
        char *check;  /* the check directive's value, or NULL */
        struct dockerfile_instruction *instructions;
        size_t n_instructions;
};

/* Parses TEXT (LEN bytes, need not be NUL-terminated; a UTF-8 BOM is skipped). FILENAME names the file in
 * errors: "Dockerfile:3:1: unknown instruction: RUNN". An empty Dockerfile (no instruction) is an error,
 * as docker says "the Dockerfile cannot be empty". Unknown instructions, a heredoc without its terminator,
 * a flag on an instruction that takes none and ENV/LABEL without a value are errors here. */
int dockerfile_parse(const char *text, size_t len, const char *filename, struct dockerfile **out, berth_error *err);
void dockerfile_free(struct dockerfile *df);
static inline void dockerfile_freep(struct dockerfile **df)
{
        dockerfile_free(*df);
}
#define cleanup_dockerfile __attribute__((cleanup(dockerfile_freep)))

/* The flag named NAME of an instruction, or NULL. */
const struct dockerfile_flag *dockerfile_flag(const struct dockerfile_instruction *ins, const char *name);
