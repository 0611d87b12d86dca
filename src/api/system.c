/* /_ping, /version, /info: what clients ask first (the version they negotiate, the OS type). */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/util.h"
#include "api/api.h"
#include "build/cache.h"
#include "engine/diskusage.h"
#include "engine/list.h"
#include "image/imagedb.h"
#include "image/platform.h"

enum MHD_Result api_ping(struct api_request *req)
{
        struct MHD_Response *resp = MHD_create_response_from_buffer(2, (void *) "OK", MHD_RESPMEM_PERSISTENT);
        enum MHD_Result r;

        if (resp == NULL)
                return MHD_NO;
        api_add_common_headers(resp);
        MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
        /* The classic builder (BuildKit's session protocol is not served). */
        MHD_add_response_header(resp, "Builder-Version", "1");
        MHD_add_response_header(resp, "Cache-Control", "no-cache, no-store, must-revalidate");
        MHD_add_response_header(resp, "Pragma", "no-cache");
        r = MHD_queue_response(req->conn, 200, resp);
        MHD_destroy_response(resp);
        return r;
}

enum MHD_Result api_version(struct api_request *req)
{
        cleanup_platform struct platform p = {0};
        struct utsname un;

        platform_host(&p);
        uname(&un);
        return api_reply_json(req, 200,
                              json_pack("{s:{s:s},s:[{s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s,s:s}}],s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
                                        "Platform", "Name", "berth", "Components", "Name", "Engine", "Version", BERTH_VERSION,
                                        "Details", "ApiVersion", API_VERSION_MAX, "MinAPIVersion", API_VERSION_MIN, "Os",
                                        "linux", "Arch", p.arch, "KernelVersion", un.release, "Experimental", "false", "Version", BERTH_VERSION,
                                        "ApiVersion", API_VERSION_MAX, "MinAPIVersion", API_VERSION_MIN, "GitCommit", "",
                                        "GoVersion", "", "Os", "linux", "Arch", p.arch, "KernelVersion", un.release,
                                        "BuildTime", ""));
}

static const char *cgroup_version(void)
{
        return access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 ? "2" : "1";
}

enum MHD_Result api_info(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        cleanup_platform struct platform p = {0};
        struct engine_list_options lo = {.all = true, .last = -1};
        struct engine_container **list = NULL;
        struct image_record *images = NULL;
        size_t n = 0, n_images = 0, running = 0, paused = 0;
        struct engine *e;
        struct utsname un;
        char host[256] = "";
        json_t *info;

        if (api_engine(req, &e, &err) < 0 || engine_container_list(e, &lo, &list, &n, &err) < 0)
                return api_reply_error(req, &err);
        for (size_t i = 0; i < n; i++) {
                running += list[i]->status == ENGINE_RUNNING || list[i]->status == ENGINE_RESTARTING;
                paused += list[i]->status == ENGINE_PAUSED;
        }
        engine_container_list_free(list, n);
        if (imagedb_list(e->store, &images, &n_images, &err) < 0)
                return api_reply_error(req, &err);
        image_records_free(images, n_images);
        platform_host(&p);
        uname(&un);
        gethostname(host, sizeof(host) - 1);
        info = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:s,s:[],s:s,s:s,s:s,s:s,s:s,s:i,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:[],s:[],s:s,"
                         "s:b,s:b,s:b,s:b,s:b}",
                         "ID", "berth", "Containers", (json_int_t) n, "ContainersRunning", (json_int_t) running,
                         "ContainersPaused", (json_int_t) paused, "ContainersStopped", (json_int_t) (n - running - paused),
                         "Images", (json_int_t) n_images, "Driver",
                         strcmp(e->store->driver, "overlay") == 0 ? "overlay2" : "vfs", "DriverStatus", "KernelVersion",
                         un.release, "OperatingSystem", "berth", "OSType", "linux", "Architecture", p.arch,
                         "IndexServerAddress", "https://index.docker.io/v1/", "NCPU", (int) sysconf(_SC_NPROCESSORS_ONLN),
                         "MemTotal", (json_int_t) sysconf(_SC_PHYS_PAGES) * (json_int_t) sysconf(_SC_PAGESIZE),
                         "DockerRootDir", e->store->root, "Name", host, "ServerVersion", BERTH_VERSION, "CgroupDriver",
                         "cgroupfs", "CgroupVersion", cgroup_version(), "LoggingDriver", "json-file", "Warnings", "Labels",
                         "DefaultRuntime", "berth", "MemoryLimit", 1, "SwapLimit", 1, "CpuCfsPeriod", 1, "CpuCfsQuota", 1,
                         "ExperimentalBuild", 0);
        json_object_set_new(info, "Runtimes", json_pack("{s:{s:s}}", "berth", "path", "berth-runtime"));
        json_object_set_new(info, "SecurityOptions", json_pack("[s]", "name=seccomp,profile=builtin"));
        json_object_set_new(info, "Plugins", json_pack("{s:[s],s:[s],s:[s],s:[]}", "Volume", "local", "Network", "bridge",
                                                       "Log", "json-file", "Authorization"));
        json_object_set_new(info, "RegistryConfig", json_pack("{s:{},s:[]}", "IndexConfigs", "InsecureRegistryCIDRs"));
        json_object_set_new(info, "Swarm", json_pack("{s:s,s:s,s:b}", "NodeID", "", "LocalNodeState", "inactive",
                                                     "ControlAvailable", 0));
        return api_reply_json(req, 200, info);
}

static void build_cache_item(const struct build_cache_record *rec, void *data)
{
        json_t *items = data;
        const char *id = str_has_prefix(rec->id, "sha256:") ? rec->id + 7 : rec->id;

        json_array_append_new(items, json_pack("{s:s,s:s,s:s,s:b,s:b,s:I,s:s?,s:i}", "ID", id, "Type", rec->type, "Description",
                                               strcmp(rec->type, "regular") == 0 ? "an intermediate image of a build step"
                                                                                 : "a RUN --mount=type=cache directory",
                                               "InUse", 0, "Shared", 0, "Size", (json_int_t) rec->size, "CreatedAt",
                                               rec->created, "UsageCount", 0));
}

enum MHD_Result api_system_df(struct api_request *req)
{
        cleanup_error berth_error err = {0};
        struct engine_disk_usage u = {0};
        uint64_t entries = 0, size = 0;
        json_t *cache = json_array();
        struct engine *e;

        if (api_engine(req, &e, &err) < 0 || engine_disk_usage(e, &u, &err) < 0 ||
            build_cache_usage(e->store, &entries, &size, build_cache_item, cache, &err) < 0) {
                json_decref(cache);
                engine_disk_usage_clear(&u);
                return api_reply_error(req, &err);
        }
        json_t *out = json_pack("{s:I,s:O,s:O,s:O,s:o}", "LayersSize", (json_int_t) u.layers_size, "Images", u.images,
                                "Containers", u.containers, "Volumes", u.volumes, "BuildCache", cache);
        engine_disk_usage_clear(&u);
        return api_reply_json(req, 200, out);
}
