/* The builder's language (src/build): the Dockerfile parser, word splitting and variable expansion, and
 * .dockerignore matching. The expected results are the Dockerfile reference's examples and BuildKit's
 * behaviour (its parser and shell lexer tests, moby/patternmatcher's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "build/dockerfile.h"
#include "build/dockerignore.h"
#include "build/words.h"
#include "lib/cleanup.h"
#include "lib/util.h"

static struct dockerfile *parse_ok(const char *text)
{
        struct dockerfile *df = NULL;
        berth_error err = {0};

        if (dockerfile_parse(text, strlen(text), "Dockerfile", &df, &err) < 0)
                fail_msg("parse: %s", berth_error_message(&err));
        return df;
}

static void assert_parse_error(const char *text, const char *expected)
{
        struct dockerfile *df = NULL;
        berth_error err = {0};

        assert_true(dockerfile_parse(text, strlen(text), "Dockerfile", &df, &err) < 0);
        assert_null(df);
        if (strstr(berth_error_message(&err), expected) == NULL)
                fail_msg("error \"%s\" lacks \"%s\"", berth_error_message(&err), expected);
        berth_error_clear(&err);
}

static void assert_args(const struct dockerfile_instruction *ins, const char *const *expected)
{
        size_t n = 0;

        for (; expected[n]; n++) {
                assert_true(n < ins->n_args);
                assert_string_equal(ins->args[n], expected[n]);
        }
        assert_int_equal(ins->n_args, n);
}

static void test_forms_and_lines(void **state)
{
        cleanup_dockerfile struct dockerfile *df = parse_ok(
                "# syntax=docker/dockerfile:1\n"
                "# a comment\n"
                "FROM busybox:1.36 AS base\n"
                "\n"
                "RUN echo one \\\n"
                "# a comment between continuation lines goes\n"
                "\n"
                "    two\n"
                "CMD [\"/bin/sh\", \"-c\", \"echo hi\"]\n"
                "  entrypoint /init --flag\n"
                "COPY --from=base --chmod=0755 --link a b /dst/\n"
                "EXPOSE 80 53/udp\n");
        const struct dockerfile_instruction *ins = df->instructions;

        assert_string_equal(df->syntax, "docker/dockerfile:1");
        assert_int_equal(df->escape, '\\');
        assert_int_equal(df->n_instructions, 6);
        assert_string_equal(ins[0].keyword, "FROM");
        assert_args(&ins[0], (const char *const[]){"busybox:1.36", "AS", "base", NULL});
        assert_int_equal(ins[0].line, 3);
        assert_string_equal(ins[1].keyword, "RUN");
        assert_args(&ins[1], (const char *const[]){"echo one     two", NULL});
        assert_false(ins[1].json_form);
        assert_int_equal(ins[1].line, 5);
        assert_int_equal(ins[1].end_line, 8);
        assert_true(ins[2].json_form);
        assert_args(&ins[2], (const char *const[]){"/bin/sh", "-c", "echo hi", NULL});
        assert_string_equal(ins[3].keyword, "ENTRYPOINT");
        assert_int_equal(ins[3].column, 3);
        assert_args(&ins[3], (const char *const[]){"/init --flag", NULL});
        assert_int_equal(ins[4].n_flags, 3);
        assert_string_equal(dockerfile_flag(&ins[4], "from")->value, "base");
        assert_string_equal(dockerfile_flag(&ins[4], "chmod")->value, "0755");
        assert_null(dockerfile_flag(&ins[4], "link")->value);
        assert_args(&ins[4], (const char *const[]){"a", "b", "/dst/", NULL});
        assert_args(&ins[5], (const char *const[]){"80", "53/udp", NULL});
}

static void test_escape_directive(void **state)
{
        cleanup_dockerfile struct dockerfile *df = parse_ok("# escape=`\n"
                                                            "FROM windows\n"
                                                            "COPY testfile.txt c:\\\n"
                                                            "RUN dir c:\\ `\n"
                                                            "    /w\n");

        assert_int_equal(df->escape, '`');
        assert_args(&df->instructions[1], (const char *const[]){"testfile.txt", "c:\\", NULL});
        assert_args(&df->instructions[2], (const char *const[]){"dir c:\\     /w", NULL});
        /* A directive after an instruction or a comment is a comment. */
        {
                cleanup_dockerfile struct dockerfile *late = parse_ok("# hello\n# escape=`\nFROM x\nRUN a \\\n b\n");
                assert_int_equal(late->escape, '\\');
                assert_args(&late->instructions[1], (const char *const[]){"a  b", NULL});
        }
}

static void test_env_label_arg(void **state)
{
        cleanup_dockerfile struct dockerfile *df = parse_ok("FROM x\n"
                                                            "ENV A=1 B=\"two words\" C=three\\ words\n"
                                                            "ENV LEGACY value with  spaces\n"
                                                            "LABEL \"k 2\"=v x=y\n"
                                                            "ARG V=1 W\n");
        const struct dockerfile_instruction *ins = df->instructions;

        assert_args(&ins[1], (const char *const[]){"A", "1", "B", "\"two words\"", "C", "three\\ words", NULL});
        assert_args(&ins[2], (const char *const[]){"LEGACY", "value with  spaces", NULL});
        assert_args(&ins[3], (const char *const[]){"\"k 2\"", "v", "x", "y", NULL});
        assert_args(&ins[4], (const char *const[]){"V=1", "W", NULL});
}

static void test_heredocs(void **state)
{
        cleanup_dockerfile struct dockerfile *df = parse_ok("FROM x\n"
                                                            "RUN <<EOF\n"
                                                            "echo $HOME\n"
                                                            "EOF\n"
                                                            "COPY <<-\"END\" <<two /dst/\n"
                                                            "\t\tquoted $X\n"
                                                            "\tEND\n"
                                                            "second\n"
                                                            "two\n"
                                                            "CMD [\"a\"]\n");
        const struct dockerfile_instruction *ins = df->instructions;

        assert_int_equal(df->n_instructions, 4);
        assert_int_equal(ins[1].n_heredocs, 1);
        assert_string_equal(ins[1].heredocs[0].name, "EOF");
        assert_string_equal(ins[1].heredocs[0].content, "echo $HOME\n");
        assert_true(ins[1].heredocs[0].expand);
        assert_int_equal(ins[1].end_line, 4);
        assert_int_equal(ins[2].n_heredocs, 2);
        assert_string_equal(ins[2].heredocs[0].name, "END");
        assert_false(ins[2].heredocs[0].expand);
        assert_true(ins[2].heredocs[0].chomp);
        assert_string_equal(ins[2].heredocs[0].content, "quoted $X\n");
        assert_string_equal(ins[2].heredocs[1].content, "second\n");
        assert_int_equal(ins[3].line, 10);
}

static void test_onbuild_healthcheck(void **state)
{
        cleanup_dockerfile struct dockerfile *df = parse_ok("FROM x\n"
                                                            "ONBUILD COPY --chown=1:1 . /app\n"
                                                            "HEALTHCHECK --interval=5s --retries=3 CMD [\"curl\", \"-f\", \"x\"]\n"
                                                            "healthcheck none\n");
        const struct dockerfile_instruction *ins = df->instructions;

        assert_non_null(ins[1].sub);
        assert_string_equal(ins[1].sub->keyword, "COPY");
        assert_string_equal(dockerfile_flag(ins[1].sub, "chown")->value, "1:1");
        assert_args(ins[1].sub, (const char *const[]){".", "/app", NULL});
        assert_string_equal(dockerfile_flag(&ins[2], "interval")->value, "5s");
        assert_true(ins[2].json_form);
        assert_args(&ins[2], (const char *const[]){"CMD", "curl", "-f", "x", NULL});
        assert_args(&ins[3], (const char *const[]){"NONE", NULL});
}

static void test_errors(void **state)
{
        assert_parse_error("FROM x\n  RUNN echo\n", "Dockerfile:2:3: unknown instruction: RUNN");
        assert_parse_error("", "cannot be empty");
        assert_parse_error("# only a comment\n\n", "cannot be empty");
        assert_parse_error("FROM x\nRUN <<EOF\necho\n", "Dockerfile:2:1: unterminated heredoc EOF");
        assert_parse_error("FROM x\nCOPY --frm=a b c\n", "Dockerfile:2:1: unknown flag: frm");
        assert_parse_error("FROM x\nCOPY --from a b\n", "missing a value on flag: from");
        assert_parse_error("FROM x\nCOPY --from=a --from=b c d\n", "Duplicate flag specified: from");
        assert_parse_error("FROM x\nCOPY --link=maybe a b\n", "expecting boolean value");
        assert_parse_error("FROM x\nCMD --help\n", "unknown flag: help");
        assert_parse_error("FROM x\nCOPY onlyone\n", "COPY requires at least two arguments");
        assert_parse_error("FROM a b\n", "FROM requires either one argument, or three");
        assert_parse_error("FROM x\nENV A\n", "ENV must have two arguments");
        assert_parse_error("FROM x\nENV A=1 B\n", "can't find = in \"B\"");
        assert_parse_error("FROM x\nSHELL /bin/sh -c\n", "SHELL requires the arguments to be in JSON form");
        assert_parse_error("FROM x\nHEALTHCHECK RUN x\n", "Unknown type \"RUN\" in HEALTHCHECK");
        assert_parse_error("FROM x\nHEALTHCHECK NONE x\n", "HEALTHCHECK NONE takes no arguments");
        assert_parse_error("FROM x\nONBUILD ONBUILD RUN x\n", "Chaining ONBUILD");
        assert_parse_error("FROM x\nONBUILD FROM y\n", "FROM isn't allowed as an ONBUILD trigger");
        assert_parse_error("# escape=x\nFROM y\n", "Dockerfile:1:1: invalid escape token 'x'");
        assert_parse_error("# escape=`\n# escape=\\\nFROM y\n", "only one escape parser directive");
        assert_parse_error("FROM x\nRUN\n", "RUN requires at least one argument");
        assert_parse_error("FROM x\nUSER\n", "USER requires exactly one argument");
        {
                static const char nul[] = "FROM x\nRUN a\0b\n";
                struct dockerfile *df = NULL;
                berth_error err = {0};
                assert_true(dockerfile_parse(nul, sizeof(nul) - 1, "Dockerfile", &df, &err) < 0);
                assert_non_null(strstr(berth_error_message(&err), "NUL byte"));
                berth_error_clear(&err);
        }
}

static char *expand(const char *word, char *const *env)
{
        berth_error err = {0};
        char *out = NULL;

        if (dockerfile_expand_word(word, '\\', env, &out, &err) < 0)
                fail_msg("expand %s: %s", word, berth_error_message(&err));
        return out;
}

static void assert_expands(const char *word, const char *expected)
{
        char *const env[] = {"A=a", "B=two words", "EMPTY=", "PATH=/usr/bin:/bin", "FILE=archive.tar.gz", "A=aa", NULL};
        cleanup_free char *got = expand(word, env);

        if (strcmp(got, expected) != 0)
                fail_msg("%s expanded to \"%s\", not \"%s\"", word, got, expected);
}

static void test_expansion(void **state)
{
        assert_expands("$A", "aa"); /* the last of a name wins */
        assert_expands("${A}b", "aab");
        assert_expands("x$NOPE.y", "x.y");
        assert_expands("'$A'", "$A");
        assert_expands("\"$A $B\"", "aa two words");
        assert_expands("\\$A", "$A");
        assert_expands("\"\\$A \\\" \\x\"", "$A \" \\x");
        assert_expands("${NOPE:-dflt}", "dflt");
        assert_expands("${EMPTY:-dflt}", "dflt");
        assert_expands("${EMPTY-dflt}", "");
        assert_expands("${A:+set}", "set");
        assert_expands("${EMPTY:+set}", "");
        assert_expands("${EMPTY+set}", "set");
        assert_expands("${NOPE:-${A}x}", "aax");
        assert_expands("${PATH#*:}", "/bin");
        assert_expands("${FILE%.*}", "archive.tar");
        assert_expands("${FILE%%.*}", "archive");
        assert_expands("${FILE##*.}", "gz");
        assert_expands("${PATH/bin/BIN}", "/usr/BIN:/bin");
        assert_expands("${PATH//bin/BIN}", "/usr/BIN:/BIN");
        assert_expands("${FILE/.*/}", "archive");
        assert_expands("${NOPE/a/b}", "");
        assert_expands("${A//a}", "");
        assert_expands("$", "$");
        assert_expands("a$/b", "a$/b");
        assert_expands("three\\ words", "three words");
        {
                berth_error err = {0};
                char *out = NULL;
                assert_true(dockerfile_expand_word("${NOPE:?must be set}", '\\', NULL, &out, &err) < 0);
                assert_string_equal(berth_error_message(&err), "NOPE: must be set");
                berth_error_clear(&err);
                assert_true(dockerfile_expand_word("${NOPE?}", '\\', NULL, &out, &err) < 0);
                assert_string_equal(berth_error_message(&err), "NOPE: is not allowed to be unset");
                berth_error_clear(&err);
                assert_true(dockerfile_expand_word("'open", '\\', NULL, &out, &err) < 0);
                assert_non_null(strstr(berth_error_message(&err), "single-quote"));
                berth_error_clear(&err);
                assert_true(dockerfile_expand_word("${A", '\\', NULL, &out, &err) < 0);
                berth_error_clear(&err);
                assert_true(dockerfile_expand_word("${A:/x/y}", '\\', NULL, &out, &err) < 0);
                assert_non_null(strstr(berth_error_message(&err), "unsupported modifier"));
                berth_error_clear(&err);
        }
}

static void test_expand_words(void **state)
{
        char *const env[] = {"B=two words", "P=8080", NULL};
        berth_error err = {0};
        char **words = NULL;

        assert_int_equal(dockerfile_expand_words("80 $P/tcp \"$B\" $B ''", '\\', env, &words, &err), 0);
        assert_int_equal(strv_length(words), 6);
        assert_string_equal(words[0], "80");
        assert_string_equal(words[1], "8080/tcp");
        assert_string_equal(words[2], "two words");
        assert_string_equal(words[3], "two");
        assert_string_equal(words[4], "words");
        assert_string_equal(words[5], "");
        strv_free(words);
}

static void test_split_words(void **state)
{
        cleanup_strv char **w = dockerfile_split_words("  a=\"b c\" 'd e'  f\\ g h\\", '\\');

        assert_int_equal(strv_length(w), 4);
        assert_string_equal(w[0], "a=\"b c\"");
        assert_string_equal(w[1], "'d e'");
        assert_string_equal(w[2], "f\\ g");
        assert_string_equal(w[3], "h");
}

static struct dockerignore *ignore_of(const char *text)
{
        struct dockerignore *di = NULL;
        berth_error err = {0};

        if (dockerignore_parse(text, strlen(text), ".dockerignore", &di, &err) < 0)
                fail_msg("%s", berth_error_message(&err));
        return di;
}

static void test_dockerignore(void **state)
{
        struct dockerignore *di = ignore_of("# comment\n"
                                            "*/temp*\n"
                                            "*/*/temp*\n"
                                            "temp?\n"
                                            "**/*.o\n"
                                            "/build/\n"
                                            "  node_modules  \n"
                                            "*.md\n"
                                            "!README*.md\n"
                                            "README-secret.md\n"
                                            "docs/**/private\n");

        assert_true(dockerignore_excluded(di, "somedir/temporary.txt"));
        assert_true(dockerignore_excluded(di, "somedir/subdir/temporary.txt"));
        assert_false(dockerignore_excluded(di, "a/b/c/temporary.txt"));
        assert_true(dockerignore_excluded(di, "tempa"));
        assert_false(dockerignore_excluded(di, "tempab"));
        assert_true(dockerignore_excluded(di, "main.o"));
        assert_true(dockerignore_excluded(di, "src/deep/x.o"));
        assert_true(dockerignore_excluded(di, "build/out/bin"));
        assert_true(dockerignore_excluded(di, "./node_modules/x/index.js"));
        assert_false(dockerignore_excluded(di, "src/node_modules"));
        assert_true(dockerignore_excluded(di, "CHANGES.md"));
        assert_false(dockerignore_excluded(di, "README.md"));
        assert_true(dockerignore_excluded(di, "README-secret.md"));
        assert_true(dockerignore_excluded(di, "docs/private"));
        assert_true(dockerignore_excluded(di, "docs/a/b/private/key"));
        assert_false(dockerignore_excluded(di, "main.c"));
        assert_true(dockerignore_has_exceptions(di));
        dockerignore_free(di);

        di = ignore_of("[a-c]?.txt\nx\\*y\n");
        assert_true(dockerignore_excluded(di, "b1.txt"));
        assert_false(dockerignore_excluded(di, "d1.txt"));
        assert_true(dockerignore_excluded(di, "x*y"));
        assert_false(dockerignore_excluded(di, "xay"));
        assert_false(dockerignore_has_exceptions(di));
        dockerignore_free(di);
        {
                berth_error err = {0};
                assert_true(dockerignore_parse("a\n[z-a]\n", 8, ".dockerignore", &di, &err) < 0);
                assert_non_null(strstr(berth_error_message(&err), ".dockerignore:2: bad pattern"));
                berth_error_clear(&err);
        }
}

static void test_clean_path(void **state)
{
        const char *cases[][2] = {{"a//b/./c/..", "a/b"}, {"", "."}, {"./", "."}, {"/../x", "/x"},
                                  {"../../a", "../../a"}, {"a/../../b", "../b"}, {"/", "/"}, {"a/b/", "a/b"}};

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                cleanup_free char *got = dockerignore_clean_path(cases[i][0]);
                if (strcmp(got, cases[i][1]) != 0)
                        fail_msg("clean(%s) = %s, not %s", cases[i][0], got, cases[i][1]);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_forms_and_lines), cmocka_unit_test(test_escape_directive),
                cmocka_unit_test(test_env_label_arg),   cmocka_unit_test(test_heredocs),
                cmocka_unit_test(test_onbuild_healthcheck), cmocka_unit_test(test_errors),
                cmocka_unit_test(test_expansion),       cmocka_unit_test(test_expand_words),
                cmocka_unit_test(test_split_words),     cmocka_unit_test(test_dockerignore),
                cmocka_unit_test(test_clean_path),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
