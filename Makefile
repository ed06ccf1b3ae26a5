# Strata: two commands on a fresh machine.
#   make demo   install everything, start the local PostGIS, load the real Brussels editions,
#               then serve them at http://localhost:5000 (Ctrl-C stops)
#   make test   the same set-up, then the whole test suite against a real PostGIS
.PHONY: demo test test-deps install system-deps db stop lint typecheck bench clean notebooks

VENV   := .venv
PY     := $(VENV)/bin/python
STRATA := $(VENV)/bin/strata

$(VENV)/.installed: pyproject.toml
	@PYTHON=$$(./scripts/find-python.sh) && echo "using $$PYTHON" && "$$PYTHON" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,notebooks]'
	@touch $@

# The OGC conformance suite pins httpx<0.28: it lives in a virtualenv of its own. Its pin
# of pyarrow<18 has no wheel for Python 3.13 and is not used by the suite: the suite is
# installed without its pins, then with what it imports.
OGCTESTS := .strata/ogctests-venv
$(OGCTESTS)/.installed:
	@PYTHON=$$(./scripts/find-python.sh) && "$$PYTHON" -m venv $(OGCTESTS)
	$(OGCTESTS)/bin/python -m pip install --quiet --upgrade pip
	$(OGCTESTS)/bin/python -m pip install --quiet --no-deps 'ogctests==0.1.15'
	$(OGCTESTS)/bin/python -m pip install --quiet 'httpx>=0.27,<0.28' \
	    'openapi-schema-validator>=0.6.2,<0.7' 'pytest>=8.3,<9' pyyaml 'respx>=0.21.1,<0.22' geopandas \
	    jsonschema referencing python-dotenv
	@touch $@

install: system-deps $(VENV)/.installed

system-deps:
	@./scripts/system-deps.sh

db: install
	$(STRATA) db up

demo: db
	$(STRATA) config validate
	$(STRATA) load
	$(STRATA) layers
	$(STRATA) serve

# JupyterLab on notebooks/ against the demo (served by `make demo` in another terminal), with
# an Open311 key of its own for the reports story; STRATA_URL picks another service.
notebooks: db
	STRATA_API_KEY=$$($(STRATA) apikey create notebooks-$$(date +%s) | tail -n 1) \
	STRATA_URL=$${STRATA_URL:-http://localhost:5000} \
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

# the real clients the tests drive: Debian's Chromium (pages), QGIS and GDAL (GIS clients);
# HAProxy and PgBouncer (several instances, tests/test_scaleout.py)
test-deps:
	@./scripts/system-deps.sh chromium qgis python3-qgis haproxy pgbouncer

test: db lint test-deps $(OGCTESTS)/.installed
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check geo layers versioning linking services tests bench
	$(VENV)/bin/mypy --cache-dir=.strata/mypy
	$(VENV)/bin/lint-imports

bench: db
	@./scripts/system-deps.sh wrk chromium
	$(PY) bench/bench_store.py
	$(PY) bench/bench_service.py
	$(PY) bench/bench_tiles.py
	$(PY) bench/bench_link.py
	$(PY) bench/bench_surfaces.py
	$(PY) bench/bench_scaleout.py
	$(PY) bench/bench_viewer.py

# the local PostGIS keeps running after Ctrl-C (the next `make demo` starts at once): this
# stops it, keeping its data; `make clean` stops it and deletes everything made here
stop:
	@if [ -x $(STRATA) ]; then $(STRATA) db down; fi

clean:
	-$(STRATA) db down
	rm -rf $(VENV) .strata
