/* docker's credential helpers: `credsStore` (every registry) and `credHelpers` (per registry) in the auth
 * file name a program docker-credential-NAME on $PATH, asked over its stdin and stdout (the
 * docker-credential-helpers protocol): `get` with the server's address, answering
 * {"ServerURL": ..., "Username": ..., "Secret": ...} ("<token>" as Username: Secret is an identity token). */
#pragma once

#include <stdbool.h>

#include <jansson.h>

#include "lib/error.h"
#include "registry/authfile.h"

/* The helper the auth file's root object names for a registry domain: credHelpers' entry, else credsStore;
 * NULL when none (borrowed from root). */
const char *credhelper_for(json_t *root, const char *domain);

/* Runs docker-credential-HELPER get for server (docker's key: "https://index.docker.io/v1/" or the domain).
 * *found is false when the helper has no credentials for it (its "credentials not found" answer). A helper
 * that is missing, fails or answers something else is an error naming it and what it said. */
int credhelper_get(const char *helper, const char *server, struct registry_credentials *out, bool *found,
                   berth_error *err);

/* docker login with a helper: `store` with {"ServerURL", "Username", "Secret"} (an identity token as Secret
 * with Username "<token>"). */
int credhelper_store(const char *helper, const char *server, const struct registry_credentials *c, berth_error *err);
/* docker logout with a helper: `erase` of server; a helper that holds nothing for it is not an error. */
int credhelper_erase(const char *helper, const char *server, berth_error *err);
