# Helpers for the image bats tests (tests/system/image*.bats). Every test gets its own store root under
# a scratch directory; teardown unmounts whatever the test mounted there and removes it.
load helpers

BERTH_BIN=${BERTH_BIN:-$BERTH_BUILD/src/cli/berth/berth}
IMAGES=${BERTH_IMAGES:-$HOME/.cache/berth-images}
SHARED_IMAGES=${SHARED_IMAGES:-${BERTH_SHARED:-$BERTH_ROOT_DIR/../shared}/images}
[ -d "$SHARED_IMAGES" ] || SHARED_IMAGES=/work/shared/images

# The test images (busybox, multilayer, hostile cases), built once (a rerun takes < 1 s).
ensure_images() {
        if [ ! -e "$IMAGES/multilayer.tree" ] || [ ! -e "$IMAGES/hostile/CASES.tsv" ] || [ ! -e "$IMAGES/busybox.docker.tar" ]; then
                "$SHARED_IMAGES/make-images.sh" "$IMAGES" busybox multilayer hostile >&2
        fi
}

image_setup() {
        ensure_images
        T=$(mktemp -d /tmp/berth-image-test.XXXXXX)
        ROOT=$T/root
}

image_teardown() {
        [ -n "${T:-}" ] || return 0
        # Mounts the test made under its own directory, deepest first.
        findmnt -rn -o TARGET | grep "^$T/" | sort -r | while read -r m; do umount -l "$m" || true; done
        rm -rf "$T"
}

# b ARGS...: berth on the test's store.
b() {
        "$BERTH_BIN" --root "$ROOT" "$@"
}

# oci_archive NAME [OUT]: the OCI layout IMAGES/NAME as an oci-archive (a tar of the layout).
oci_archive() {
        local out=${2:-$T/$(echo "$1" | tr / _).oci.tar}
        tar -C "$IMAGES/$1" -cf "$out" .
        echo "$out"
}

# The layout's manifest digest for a tag, read from its index.json (never hard-coded).
layout_manifest() {  # NAME TAG
        jq -r --arg t "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$IMAGES/$1/index.json"
}

# Listing of a tree in multilayer.tree's format.
tree_listing() {
        (cd "$1" && find . -mindepth 1 \( -type d -printf '%p\t%M %U:%G dir\n' \) -o \( -type l -printf '%p\t%M %U:%G -> %l\n' \) \
                -o -printf '%p\t%M %U:%G %s links=%n\n' | LC_ALL=C sort)
}

# A fingerprint of the store: every file under it with its size and content hash, and the database's
# records; two equal fingerprints mean the store did not change.
store_fingerprint() {
        [ -d "$ROOT" ] || { echo "no store"; return 0; }
        (cd "$ROOT" && find blobs layers l snapshots -printf '%p %y %s\n' 2>/dev/null | LC_ALL=C sort)
        sqlite3 "$ROOT/berth.db" 'SELECT * FROM images; SELECT * FROM names; SELECT * FROM layers; SELECT * FROM image_layers;' 2>/dev/null ||
                python3 - "$ROOT/berth.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for t in ("images", "names", "layers", "image_layers"):
    for row in c.execute("SELECT * FROM %s ORDER BY 1" % t):
        print(t, row)
PY
}

# many_layers_archive N OUT: a docker-archive of N tiny layers; layer i adds /l/i and rewrites /top to i.
many_layers_archive() {
        python3 - "$1" "$2" <<'PY'
import hashlib, io, json, sys, tarfile
n, out = int(sys.argv[1]), sys.argv[2]
def layer(i):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in (("l/%d" % i, b"%d\n" % i), ("top", b"%d\n" % i)):
            info = tarfile.TarInfo(name); info.size = len(data); info.mtime = 1704067200
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()
layers = [layer(i) for i in range(n)]
diff_ids = ["sha256:" + hashlib.sha256(l).hexdigest() for l in layers]
config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
                     "config": {"Cmd": ["sh"]}, "rootfs": {"type": "layers", "diff_ids": diff_ids},
                     "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "layer %d" % i} for i in range(n)]}).encode()
with tarfile.open(out, "w") as t:
    def add(name, data):
        info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
    names = []
    for i, l in enumerate(layers):
        names.append("%s/layer.tar" % diff_ids[i][7:]); add(names[-1], l)
    add("config.json", config)
    add("manifest.json", json.dumps([{"Config": "config.json", "RepoTags": ["localhost/many:%d" % n], "Layers": names}]).encode())
PY
}
