/* libmicrohttpd's callbacks (http.c), set up by main.c. */
#pragma once

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

enum MHD_Result api_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method, const char *version,
                           const char *upload_data, size_t *upload_data_size, void **con_cls);
void api_request_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe);
/* The HTTP status a berth_error's code means. */
unsigned api_status_for(int code);
/* The route table's entry for method on the path's parts (index), or -1; *path_known: some route has the
 * path (405 rather than 404). *name: what a "**" matched. */
int api_route_find(const char *method, char *const *parts, size_t n_parts, char **name, bool *path_known);
