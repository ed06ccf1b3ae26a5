# Strata: two commands on a fresh machine.
#   make demo   install everything, start the local PostGIS, load the real Brussels editions,
#               then serve them at http://localhost:5000 (Ctrl-C stops)
#   make test   the same set-up, then the whole test suite against a real PostGIS
.PHONY: demo test install system-deps db lint typecheck bench clean

VENV   := .venv
PY     := $(VENV)/bin/python
STRATA := $(VENV)/bin/strata

$(VENV)/.installed: pyproject.toml
	@PYTHON=$$(./scripts/find-python.sh) && echo "using $$PYTHON" && "$$PYTHON" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
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

test: db lint
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check geo layers versioning services tests bench
	$(VENV)/bin/mypy --cache-dir=.strata/mypy

bench: db
	$(PY) bench/bench_store.py

clean:
	-$(STRATA) db down
	rm -rf $(VENV) .strata
