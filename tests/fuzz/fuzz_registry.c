/* What a registry (or whoever answers in its name) sends back: WWW-Authenticate challenges, token server
 * answers, Link headers of tags/list, Location targets and JSON error bodies. The input is split at NUL
 * bytes into those five parts; each part also goes through the other parsers that take the same kind of
 * text. */
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "registry/challenge.h"
#include "registry/errors.h"
#include "registry/http.h"
#include "registry/remote.h"
#include "registry/session.h"
#include "fuzz.h"

enum { PART_CHALLENGE, PART_TOKEN, PART_LINK, PART_LOCATION, PART_ERROR, PART_COUNT };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_quiet_stdio();
        return 0;
}

static void body_parsers(char *body, size_t len)
{
        berth_error err = {0};
        struct http_response resp = {.status = 401, .body = body, .body_len = len};
        char *token = NULL, *refresh = NULL;
        int64_t expires = 0;

        free(registry_error_code(&resp));
        free(registry_error_text(&resp));
        resp.status = 200;
        if (registry_token_parse("https://auth.example/token?x=1", &resp, &token, &expires, &refresh, &err) == 0) {
                free(token);
                free(refresh);
        }
        berth_error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *part[PART_COUNT] = {0};
        size_t n = fuzz_split(data, size, part, PART_COUNT);
        struct auth_challenge c = {0};

        if (n > PART_CHALLENGE) {
                char *headers[] = {part[PART_CHALLENGE], n > PART_LINK ? part[PART_LINK] : NULL, NULL};
                if (auth_challenge_parse(part[PART_CHALLENGE], &c) == 0)
                        auth_challenge_clear(&c);
                if (auth_challenge_pick(headers, &c))
                        auth_challenge_clear(&c);
        }
        if (n > PART_TOKEN)
                body_parsers(part[PART_TOKEN], strlen(part[PART_TOKEN]));
        if (n > PART_LINK) {
                char *next = remote_next_link(part[PART_LINK]);
                if (next != NULL)
                        free(http_resolve_url("https://registry.example/v2/app/tags/list", next));
                free(next);
        }
        if (n > PART_LOCATION) {
                free(http_resolve_url("https://registry.example/v2/app/blobs/uploads/", part[PART_LOCATION]));
                free(http_resolve_url(part[PART_LOCATION], "/v2/x?y=z"));
        }
        if (n > PART_ERROR)
                body_parsers(part[PART_ERROR], strlen(part[PART_ERROR]));
        for (size_t i = 0; i < n; i++)
                free(part[i]);
        return 0;
}
