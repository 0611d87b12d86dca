/* The Docker API server's request decoding (src/api/request.c): the input is a method, a NUL, the URL's
 * path, a NUL, the filters query parameter, a NUL, then the body of POST /containers/create. The path goes
 * through the version prefix and the server's own route table; the filters through docker's two encodings;
 * the body, when it is JSON, through the create request's decoding and the engine's checks of Config,
 * HostConfig and NetworkingConfig (engine_create_request_check), which need no store, and through the
 * decoding of the /networks bodies (create, connect, disconnect). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/util.h"
#include "api/http.h"
#include "api/request.h"
#include "engine/create.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void) argc;
        (void) argv;
        fuzz_quiet_stdio();
        return 0;
}

static void route(const char *method, const char *url)
{
        berth_error err = {0};
        const char *rest = NULL;
        unsigned minor = 0;
        size_t n_parts = 0;
        char **parts;
        char *name = NULL;
        bool path_known = false;

        if (api_parse_version(url, &minor, &rest, &err) < 0) {
                berth_error_clear(&err);
                return;
        }
        parts = api_split_path(rest, &n_parts);
        (void) api_route_find(method, parts, n_parts, &name, &path_known);
        free(name);
        strv_free(parts);
}

static void filters(const char *text)
{
        berth_error err = {0};
        char **kv = NULL;

        if (api_filters_decode(text, &kv, &err) == 0)
                strv_free(kv);
        berth_error_clear(&err);
}

/* The same body as POST /networks/create's and as connect's and disconnect's. */
static void network_bodies(const json_t *body)
{
        struct engine_network_create_options o;
        berth_error err = {0};
        const char *container, *ip;
        bool force;

        (void) api_network_create_decode(body, &o, &err);
        berth_error_clear(&err);
        (void) api_network_member_decode(body, true, &container, &ip, &force, &err);
        berth_error_clear(&err);
        (void) api_network_member_decode(body, false, &container, &ip, &force, &err);
        berth_error_clear(&err);
}

static void create_body(const char *text, size_t len, const char *name)
{
        berth_error err = {0};
        json_t *body = json_loadb(text, len, 0, NULL);
        json_t *config = NULL, *host_config = NULL;
        struct engine_create_request cr;

        if (body == NULL)
                return;
        if (api_create_request_decode(body, name, &cr, &config, &err) == 0 &&
            engine_create_request_check(&cr, &host_config, &err) == 0)
                json_decref(host_config);
        json_decref(config);
        berth_error_clear(&err);
        network_bodies(body);
        json_decref(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *part[4] = {0};
        size_t n = fuzz_split(data, size, part, 4);

        route(part[0] != NULL ? part[0] : "GET", n > 1 ? part[1] : "");
        if (n > 2)
                filters(part[2]);
        /* The container's name as the query's name= would carry it: the path's last part. */
        if (n > 3) {
                const char *slash = strrchr(part[1], '/');
                create_body(part[3], strlen(part[3]), slash != NULL ? slash + 1 : part[1]);
        }
        for (size_t i = 0; i < n; i++)
                free(part[i]);
        return 0;
}
