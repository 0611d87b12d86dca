/* The files berth-procview serves and where the engine binds them: shared by both (view.h). */
#include "engine/procview/view.h"

const char *const procview_file_names[PROCVIEW_NFILES] = {
        "meminfo", "cpuinfo", "stat", "loadavg", "uptime", "diskstats", "swaps", "cpu_online",
};
const char *const procview_file_targets[PROCVIEW_NFILES] = {
        "/proc/meminfo",   "/proc/cpuinfo", "/proc/stat",  "/proc/loadavg",
        "/proc/uptime",    "/proc/diskstats", "/proc/swaps", "/sys/devices/system/cpu/online",
};
const char *const procview_host_files[PROCVIEW_NFILES] = {
        "/proc/meminfo",   "/proc/cpuinfo", "/proc/stat",  "/proc/loadavg",
        "/proc/uptime",    "/proc/diskstats", "/proc/swaps", "/sys/devices/system/cpu/online",
};
