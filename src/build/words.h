/* The Dockerfile's words: splitting an instruction's arguments on blanks outside quotes (the parser's
 * parseWords: quotes and escapes are kept, for expansion to remove), and the builder's variable expansion
 * (BuildKit's shell lexer: quotes, the escape character, $VAR, ${VAR}, ${VAR:-word}, ${VAR-word},
 * ${VAR:+word}, ${VAR+word}, ${VAR:?message}, ${VAR?message}, ${VAR#glob}, ${VAR##glob}, ${VAR%glob},
 * ${VAR%%glob}, ${VAR/glob/replacement}, ${VAR//glob/replacement}). Which instructions expand is the
 * builder's business (the Dockerfile reference: ADD, COPY, ENV, EXPOSE, FROM, LABEL, STOPSIGNAL, USER,
 * VOLUME, WORKDIR, ONBUILD's, ARG; never RUN/CMD/ENTRYPOINT, whose shell expands). */
#pragma once

#include "lib/error.h"

/* The blank-separated words of TEXT, quotes and escapes kept ("a=\"b c\"" stays one word). Never NULL. */
char **dockerfile_split_words(const char *text, char escape);

/* WORD with its variables expanded from ENV ("NAME=value" strings, the last of a name wins; NULL for none)
 * and its quotes and escapes removed: one string, blanks kept. */
int dockerfile_expand_word(const char *word, char escape, char *const *env, char **out, berth_error *err);

/* The same, then split into words on unquoted blanks, also those an unquoted variable brings ("$A" stays
 * one word, $A with A="x y" gives two), as EXPOSE and the shell do. */
int dockerfile_expand_words(const char *text, char escape, char *const *env, char ***out, berth_error *err);
