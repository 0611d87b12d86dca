/* A container's record folded with the kernel's and the monitor's view (reconcile.c): the lowest layer
 * of the engine's operations. launch.c, lifecycle.c, copy.c, exec and the listing read containers
 * through it; it calls none of them. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/engine.h"

/* The container's status as the kernel and the monitor show it, folded into the record (exit file, dead
 * monitor, dead init). Writes the record when it changed. */
int engine_container_refresh(struct engine *e, struct engine_container *c, berth_error *err);
/* engine_db_get + refresh. */
int engine_container_load(struct engine *e, const char *id, struct engine_container **out, berth_error *err);
/* The same for a caller holding the container's lock (start): a runtime container the record never heard
 * of is adopted (without the lock, a reader leaves that to whoever holds it). */
int engine_container_load_locked(struct engine *e, const char *id, struct engine_container **out, berth_error *err);

/* Whether pid is alive and still the process that started at start (0: any), not a zombie. */
bool engine_process_alive(pid_t pid, uint64_t start);
/* The monitor's exit file, ROOT/containers/ID/exit: "CODE FINISHED_AT". false when there is none. */
bool engine_container_read_exit(struct engine *e, const char *id, int *code, char **finished);
/* Records an exit in c (exited, the code, the time, the cgroup's OOM kill while it is still there). */
void engine_container_fold_exit(struct engine *e, struct engine_container *c, int code, const char *finished);
