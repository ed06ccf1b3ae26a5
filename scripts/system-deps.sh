#!/usr/bin/env bash
# Install the system packages Strata needs when they are missing:
# PostgreSQL 15+ with PostGIS 3 (the store) and gdal-bin (ogr2ogr, for benchmarks and clients).
# Extra Debian packages named as arguments are ensured too (`make bench` asks for wrk;
# `make test` for the real clients the tests drive: chromium, qgis, python3-qgis, haproxy,
# pgbouncer).
# Uses apt-get as root, or through sudo; otherwise says exactly what to install.
set -euo pipefail

need=()
have_postgis() { ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 \
                 && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
have_postgis || need+=(postgresql postgresql-contrib postgresql-15-postgis-3)
command -v ogr2ogr >/dev/null 2>&1 || need+=(gdal-bin)
for extra in "$@"; do
  case "$extra" in
    python3-*) dpkg-query -W -f='${Status}' "$extra" 2>/dev/null | grep -q "ok installed" \
                 || need+=("$extra") ;;
    *) command -v "$extra" >/dev/null 2>&1 || need+=("$extra") ;;
  esac
done

if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: PostgreSQL + PostGIS and GDAL present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "missing system packages: ${need[*]}" >&2
  echo "install them as root with: apt-get install -y ${need[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing system packages: ${need[*]} (this script knows apt-get only)" >&2
  exit 1
fi
echo "installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian's postgresql package may start a cluster of its own; Strata does not use it.
echo "system packages installed"
