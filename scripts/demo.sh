#!/usr/bin/env bash
# The main job on the built-in defaults: the private PostGIS, the sample deliveries loaded through the real
# validate + load path, the SRTM elevation model, the OpenStreetMap base map as vector tiles, then the
# OGC API Features server, the tiles and the map viewer on http://127.0.0.1:5000 until Ctrl-C.
#
# Elsewhere, point it at your own files:
#   DEMO_OSM=/path/to/extract.osm.pbf DEMO_DEM=/path/to/dem.tif make demo
# and DEMO_PORT=5001 to serve on another port. DEMO_SERVE=no stops after building (used by the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
shared=../shared/data
osm=${DEMO_OSM:-$shared/osm-danang-haichau/danang_haichau.osm.pbf}
dem=${DEMO_DEM:-$shared/dem-srtm-danang/danang_srtm_gl1.tif}
port=${DEMO_PORT:-5000}
sdi=.venv/bin/danang-sdi
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "database: a private PostGIS on 127.0.0.1, the catalog's tables"
$sdi db up
$sdi db init
$sdi db status

step "sample deliveries: validated and loaded (a second run changes nothing)"
$sdi samples load

step "elevation model (raster layer dem)"
if [[ -f "$dem" ]]; then
  $sdi load "$dem" --layer dem
else
  echo "no DEM at $dem: skipped (set DEMO_DEM=/path/to/dem.tif)"
fi

step "publishing: views without personal data, the pygeoapi configuration"
$sdi publish config -o .sdi/pygeoapi-config.yml --overwrite

step "the city's layers as overlay tiles (re-rendered where later loads touch)"
$sdi tiles overlay --rebuild

step "base map: OpenStreetMap as vector tiles"
if [[ -f "$osm" ]]; then
  mkdir -p .sdi/tiles
  $sdi tiles build "$osm" -o .sdi/tiles/basemap.pmtiles --overwrite
else
  echo "no OSM extract at $osm: skipped (set DEMO_OSM=/path/to/extract.osm.pbf)"
fi

if [[ "${DEMO_SERVE:-yes}" == "no" ]]; then
  step "built; not serving (DEMO_SERVE=no)"
  exit 0
fi
step "serving on http://127.0.0.1:$port/ (OGC API) and http://127.0.0.1:$port/map/ — Ctrl-C stops"
exec $sdi serve --config .sdi/pygeoapi-config.yml --port "$port"
