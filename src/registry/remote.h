/* Manifests and tags on a registry: GET of a manifest by tag or digest with its media type checked and its
 * digest verified, and the tags of a repository (with pagination). Errors in docker's words. */
#pragma once

#include <stddef.h>

#include "image/digest.h"
#include "image/reference.h"
#include "registry/session.h"

#define REMOTE_MANIFEST_MAX (4u << 20) /* the distribution spec's suggested limit for manifests */

struct remote_manifest {
        char *body;
        size_t len;
        char *media_type; /* one of the four supported types */
        char digest[DIGEST_STRING_LEN + 1];
};
void remote_manifest_clear(struct remote_manifest *m);
#define cleanup_remote_manifest __attribute__((cleanup(remote_manifest_clear)))

/* reference: a tag or a digest of ref's repository; scope: the token scope. */
int remote_manifest_get(struct registry_session *s, const struct image_ref *ref, const char *reference, const char *scope,
                        struct remote_manifest *out, berth_error *err);
/* Every tag of the repository (GET /v2/NAME/tags/list, following Link: rel="next"). */
int remote_tags_list(struct registry_session *s, const struct image_ref *ref, const char *scope, char ***tags,
                     berth_error *err);
/* The next page's URL of a Link header ("</v2/app/tags/list?last=x&n=100>; rel=\"next\""), or NULL. */
char *remote_next_link(const char *link);
/* The media type a manifest document declares (its mediaType field, or by shape when absent); NULL when
 * it is not a manifest or index berth knows. */
char *remote_sniff_media_type(const char *body, size_t len);
