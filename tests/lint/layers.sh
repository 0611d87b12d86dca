#!/usr/bin/env bash
# Checks the layering of docs/architecture.md: every project header is included by its layer path
# ("runtime/container.h") and no layer includes a layer above it:
#   lib < runtime, image < registry < engine < build < cli, api;  lib < network < engine
# (runtime and image are siblings: neither includes the other.) The front ends call the engine's operations
# and never its database: no file under src/cli or src/api (the front ends) includes "engine/db.h" (the engine's records are read
# through engine/list.h, engine/reconcile.h and the operations' headers), and no front end writes an event
# (engine_event_*): the engine's operations write docker's events, so every front end gets them. Prints each
# violation and exits 1.
#   tests/lint/layers.sh [SRC_DIR]
set -uo pipefail
src=${1:-"$(dirname "${BASH_SOURCE[0]}")/../../src"}
cd "$src" || exit 2

allowed() {  # allowed LAYER: the layers LAYER may include
        case $1 in
        lib) echo "lib" ;;
        runtime) echo "lib runtime" ;;
        image) echo "lib image" ;;
        registry) echo "lib image registry" ;;
        network) echo "lib network" ;;
        engine) echo "lib runtime image registry network engine" ;;
        build) echo "lib runtime image registry network engine build" ;;
        cli) echo "lib runtime image registry network engine build cli" ;;
        api) echo "lib runtime image registry network engine build api" ;;
        *) echo "" ;;
        esac
}

violations=0
while IFS= read -r file; do
        layer=${file%%/*}
        ok_layers=" $(allowed "$layer") "
        while IFS=: read -r line included; do
                target_layer=${included%%/*}
                if [ "$target_layer" = "$included" ] || [ ! -e "$included" ]; then
                        echo "$file:$line: \"$included\" is not included by its layer path (src/LAYER/...)"
                        violations=$((violations + 1))
                elif { [ "$layer" = cli ] || [ "$layer" = api ]; } && [ "$included" = engine/db.h ]; then
                        echo "$file:$line: a front end includes \"engine/db.h\": call the engine's operations instead"
                        violations=$((violations + 1))
                elif [[ $ok_layers != *" $target_layer "* ]]; then
                        echo "$file:$line: layer $layer includes \"$included\" from the higher layer $target_layer"
                        violations=$((violations + 1))
                fi
        done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" | sed -E 's/^([0-9]+):.*"([^"]+)".*/\1:\2/')
done < <(find . -name '*.[ch]' | sed 's|^\./||' | sort)

while IFS=: read -r file line _; do
        echo "$file:$line: a front end writes an event: the engine's operation must write it"
        violations=$((violations + 1))
done < <(grep -rn --include='*.[ch]' 'engine_event_[a-z_]*[[:space:]]*(' cli api 2>/dev/null)

if [ "$violations" -gt 0 ]; then
        echo "layers: $violations violation(s)"
        exit 1
fi
echo "layers: every include names its layer and goes down the stack"
