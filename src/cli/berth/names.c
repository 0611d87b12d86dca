#include <string.h>

#include "cli/berth/cli.h"
#include "lib/cleanup.h"
#include "image/digest.h"
#include "image/reference.h"
#include "lib/util.h"

void cli_split_name(const char *stored, char **repository, char **tag)
{
        const char *at = strchr(stored, '@');
        const char *slash = strrchr(stored, '/');
        const char *colon = strrchr(slash ? slash : stored, ':');
        cleanup_free char *repo = NULL;

        if (at != NULL && (colon == NULL || colon > at))
                colon = NULL;
        if (colon != NULL) {
                repo = xstrndup(stored, (size_t) (colon - stored));
                *tag = at ? xstrndup(colon + 1, (size_t) (at - colon - 1)) : xstrdup(colon + 1);
        } else {
                repo = at ? xstrndup(stored, (size_t) (at - stored)) : xstrdup(stored);
                *tag = xstrdup("<none>");
        }
        *repository = reference_familiar_name(repo);
}

char *cli_display_name(const char *stored)
{
        cleanup_free char *repo = NULL, *tag = NULL;

        cli_split_name(stored, &repo, &tag);
        return xasprintf("%s:%s", repo, tag);
}

char *cli_short_id(const char *id, bool no_trunc)
{
        if (no_trunc || !digest_is_valid(id))
                return xstrdup(id);
        return xstrndup(digest_hex(id), 12);
}
