/* Hijacked connections (sessions.c): after HTTP Upgrade the client's socket is the session's. */
#pragma once

#include <stddef.h>

#include "api/api.h"

struct api_session;
/* Runs in a thread of its own with the socket; the connection is closed when it returns, then done(data). */
typedef void (*api_session_fn)(struct api_session *s, void *data);

/* 101 Switching Protocols (Upgrade: tcp), docker's hijack; content_type: docker's raw-stream or
 * multiplexed-stream media type. */
enum MHD_Result api_reply_upgrade(struct api_request *req, const char *content_type, api_session_fn run,
                                  void (*done)(void *data), void *data);
int api_session_fd(const struct api_session *s);
/* What the client sent after its request (stdin), before the session began. */
const char *api_session_extra(const struct api_session *s, size_t *len);
/* Shuts every session's socket down and waits (up to 5 s) for their threads to end. */
void api_sessions_shutdown(struct api_server *srv);
