#!/usr/bin/env bash
# SPDX-License-Identifier: EUPL-1.2
# Re-make services/static/vendor/ from frontend/package-lock.json: the exact front-end packages
# Strata serves itself (no page of Strata loads anything from another host). Needs node + npm
# and the npm registry; the result is committed, so serving needs neither.
#   maplibre-gl  the viewer at /map (ES modules: the library and its worker, its CSS)
#   bootstrap    the CSS of pygeoapi's HTML pages (services/templates/pygeoapi/)
#   chart.js     the dashboard's charts at /dashboard (its UMD bundle, which includes its one
#                dependency @kurkle/color: both licences copied)
#   swagger-ui-dist  the OpenAPI page (/openapi?f=html); its dependency @scarf/scarf is an
#                analytics install script: never run (--ignore-scripts), never vendored
set -euo pipefail
cd "$(dirname "$0")/.."
FRONT=frontend
OUT=services/static/vendor

# exactly what the lock file says, without install scripts (none is needed to copy dist files)
npm ci --prefix "$FRONT" --ignore-scripts --no-audit --no-fund --loglevel=error

copy() {  # copy <package> <dest folder> <files relative to the package...>
    local pkg=$1 dest=$OUT/$2
    shift 2
    rm -rf "$dest"
    mkdir -p "$dest"
    for f in "$@"; do
        cp "$FRONT/node_modules/$pkg/$f" "$dest/"
    done
    node -e 'const p=require(process.argv[1]); console.log(`${p.name} ${p.version} (${p.license})`)' \
        "./$FRONT/node_modules/$pkg/package.json" > "$dest/VERSION"
    echo "vendored $(cat "$dest/VERSION") into $dest"
}

copy maplibre-gl maplibre-gl LICENSE.txt dist/maplibre-gl.mjs dist/maplibre-gl-worker.mjs \
    dist/maplibre-gl-shared.mjs dist/maplibre-gl.css
copy bootstrap bootstrap LICENSE dist/css/bootstrap.min.css
copy chart.js chart.js LICENSE.md dist/chart.umd.min.js
cp "$FRONT/node_modules/@kurkle/color/LICENSE.md" "$OUT/chart.js/LICENSE-kurkle-color.md"
copy swagger-ui-dist swagger-ui LICENSE NOTICE swagger-ui-bundle.js \
    swagger-ui-bundle.js.LICENSE.txt swagger-ui-standalone-preset.js \
    swagger-ui-standalone-preset.js.LICENSE.txt swagger-ui.css favicon-32x32.png
# the source maps are not vendored: drop the comments that point browsers at them
sed -i 's#//\# sourceMappingURL=.*$##' "$OUT"/maplibre-gl/*.mjs "$OUT"/swagger-ui/*.js \
    "$OUT"/chart.js/*.js
sed -i 's#/\*\# sourceMappingURL=[^*]*\*/##' "$OUT"/*/*.css
