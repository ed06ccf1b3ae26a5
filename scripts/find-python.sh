#!/usr/bin/env bash
# Print the path of a Python >= 3.12 (pygeoapi >= 0.22 needs it): on PATH, or under pyenv.
set -u
for p in python3.13 python3.12 python3 \
         "$HOME"/.pyenv/versions/3.13*/bin/python3 "$HOME"/.pyenv/versions/3.12*/bin/python3 \
         /root/.pyenv/versions/3.13*/bin/python3 /root/.pyenv/versions/3.12*/bin/python3; do
  if command -v "$p" >/dev/null 2>&1 && \
     "$p" -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
    command -v "$p"; exit 0
  fi
done
echo "no Python >= 3.12 found: install python3.12 (or pyenv install 3.12)" >&2
exit 1
