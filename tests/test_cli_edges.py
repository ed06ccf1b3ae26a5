# SPDX-License-Identifier: EUPL-1.2
"""The command line at its edges, tried as a user would: an output that cannot be written, a
date before a layer's first edition, swapped coordinates, a port taken, a key revoked."""

from __future__ import annotations

import json
import os
import socket

import geopandas as gpd
import httpx
import pyogrio
import pytest
import shapely
from strata_helpers import GRAND_PLACE

FIRST_MUNICIPALITIES = "2015-07-20"  # the first real editions (config/layers.yml)
FIRST_STREETS = "2020-04-27"
V2 = "/open311/v2"


def records(path, dates):
    """A few real-place records (around the Grand-Place), one per date, as GeoJSON."""
    points = [shapely.Point(GRAND_PLACE[0] + i * 1e-4, GRAND_PLACE[1]) for i in range(len(dates))]
    gpd.GeoDataFrame({"ref": range(len(dates)), "reported": dates}, geometry=points,
                     crs=4326).to_file(path)
    return path


def refused_before_work(result, needle):
    """Exit 2 with a message and a hint, said before any work, no traceback."""
    assert result.exit_code == 2, result.output
    assert "error: cannot write" in result.stderr or "error: cannot tell" in result.stderr
    assert needle in result.stderr and "  hint: " in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert "linking" not in result.stderr and "features as of" not in result.stderr
    assert "wrote" not in result.stdout


# -- 1. the output is checked before the work --------------------------------------------------
def command(kind, output, tmp_path):
    if kind == "snapshot":
        return ["snapshot", "municipalities", "--date", "2016-01-01", "-o", output]
    if kind == "changes":
        return ["changes", "municipalities", "--from", "2015-01-01", "--to", "2022-01-01",
                "-o", output]
    source = records(tmp_path / "reports.geojson", ["2016-01-01", "2022-01-01"])
    return ["link", str(source), "--date-field", "reported", "--to", "municipalities",
            "-o", output]


@pytest.mark.parametrize("kind", ["snapshot", "changes", "link"])
def test_unwritable_outputs_are_refused_before_the_work(loaded, tmp_path, kind):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("a file, not a folder")
    cases = [("/nonexistent/x.gpkg", "the folder /nonexistent does not exist"),
             ("/nonexistent/deeper/x.gpkg", "the folder /nonexistent/deeper does not exist"),
             (str(a_file / "x.gpkg"), f"{a_file} is a file, not a folder"),
             # /sys takes no new file, not even from root
             ("/sys/x.gpkg", "the folder /sys is not writable")]
    for output, needle in cases:
        result = loaded.run(*command(kind, output, tmp_path))
        refused_before_work(result, needle)
    missing = loaded.run(*command(kind, "/nonexistent/x.gpkg", tmp_path))
    assert "hint: create it first (mkdir -p /nonexistent)" in missing.stderr


@pytest.mark.parametrize("kind", ["snapshot", "changes", "link"])
def test_a_writable_output_is_written_and_the_check_leaves_nothing_behind(loaded, tmp_path,
                                                                          kind):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = loaded.run(*command(kind, str(out_dir / "result.gpkg"), tmp_path))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out_dir.iterdir()) == ["result.gpkg"]
    assert pyogrio.read_info(out_dir / "result.gpkg")["features"] > 0


@pytest.mark.parametrize("kind", ["snapshot", "changes", "link"])
def test_a_failed_or_refused_write_leaves_the_file_there_as_it_was(loaded, tmp_path, kind):
    """The output is written beside the file and put in its place once whole: a write that
    fails (here the size a process may write is too small, as a full disk would stop it)
    says why, exit 2, and leaves the file that was there as it was, nothing else; a pipe
    or a device at -o is refused, not replaced by a file (as root, /dev/null was)."""
    import resource
    import signal
    import subprocess
    import sys

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "result.gpkg"
    target.write_text("the file there before")

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write beyond it fails (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (30_000, 30_000))

    failed = subprocess.run([sys.executable, "-m", "services.cli.main",
                             *command(kind, str(target), tmp_path)],
                            env={**os.environ, **loaded.environ}, preexec_fn=small_files,
                            capture_output=True, text=True, timeout=300)
    assert failed.returncode == 2, failed.stderr[-2000:]
    assert f"error: cannot write {target}: " in failed.stderr and "Traceback" not in \
        failed.stderr and "  hint: check the space left on its disk" in failed.stderr
    assert target.read_text() == "the file there before"
    assert sorted(p.name for p in out_dir.iterdir()) == ["result.gpkg"]
    pipe = out_dir / "pipe.gpkg"
    os.mkfifo(pipe)
    refused = loaded.run(*command(kind, str(pipe), tmp_path))
    assert refused.exit_code == 2 and "is not a regular file" in refused.stderr, refused.output
    assert pipe.is_fifo()


def test_an_unknown_output_format_is_refused_before_the_work(loaded, tmp_path):
    source = records(tmp_path / "reports.geojson", ["2022-01-01"])
    result = loaded.run("link", str(source), "-o", str(tmp_path / "x.xlsx"), "--to",
                        "municipalities", "--date-field", "reported")
    refused_before_work(result, "cannot tell the output format of 'x.xlsx'")
    assert "give -o a file ending in .gpkg, .geojson, .fgb, .csv, .parquet" in result.stderr
    assert not (tmp_path / "x.xlsx").exists()
    for args in (["snapshot", "streets", "--date", "2021-01-01"],
                 ["changes", "streets", "--from", "2020-01-01", "--to", "2021-01-01"]):
        result = loaded.run(*args, "-o", str(tmp_path / "x.xlsx"))
        refused_before_work(result, "cannot tell the output format of 'x.xlsx'")


# -- 2. a date before a layer's first edition ---------------------------------------------------
def test_snapshot_before_the_first_edition_warns_and_writes_an_empty_map(loaded, tmp_path):
    out = tmp_path / "communes-2010.gpkg"
    result = loaded.run("snapshot", "municipalities", "--date", "2010-01-01", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert (f"warning: municipalities has no edition before {FIRST_MUNICIPALITIES}; "
            "the map of 2010-01-01 is empty") in result.stderr
    assert pyogrio.read_info(out)["features"] == 0
    later = loaded.run("snapshot", "municipalities", "--date", FIRST_MUNICIPALITIES, "-o",
                       str(out))
    assert later.exit_code == 0 and "warning" not in later.stderr, later.output
    assert pyogrio.read_info(out)["features"] == 19


def test_snapshot_of_a_layer_with_no_edition_says_so(env, tmp_path):
    result = env.run("snapshot", "municipalities", "--date", "2016-01-01", "-o",
                     str(tmp_path / "m.gpkg"))
    assert result.exit_code == 0, result.output
    assert "warning: municipalities has no edition yet" in result.stderr
    assert "the map of 2016-01-01 is empty" in result.stderr


def test_snapshot_all_warns_per_layer_and_for_a_derived_layers_source(loaded, tmp_path):
    result = loaded.run("snapshot", "--all", "--date", "2016-01-01", "-o",
                        str(tmp_path / "all.gpkg"))
    assert result.exit_code == 0, result.output
    assert f"warning: streets has no edition before {FIRST_STREETS}" in result.stderr
    assert "warning: municipalities" not in result.stderr
    assert ("warning: region has no edition before 2017-12-12; its part of "
            "administrativeunit on 2016-01-01 is empty") in result.stderr


def test_changes_from_before_the_first_edition_warns(loaded, tmp_path):
    out = str(tmp_path / "changes.json")
    result = loaded.run("changes", "municipalities", "--from", "2010-01-01", "--to",
                        "2016-01-01", "-o", out)
    assert result.exit_code == 0, result.output
    assert "19 added, 0 modified, 0 deleted" in result.stderr
    assert (f"warning: municipalities has no edition before {FIRST_MUNICIPALITIES}; its map "
            "of 2010-01-01 (--from) is empty, so every feature it has on 2016-01-01 counts as "
            "added") in result.stderr
    both = loaded.run("changes", "municipalities", "--from", "2010-01-01", "--to",
                      "2012-01-01", "-o", out)
    assert both.exit_code == 0, both.output
    assert ("its map is empty on 2010-01-01 and on 2012-01-01: there is no change"
            in both.stderr)
    assert json.loads((tmp_path / "changes.json").read_text())["strata.diff/v1"]["changes"] == []
    after = loaded.run("changes", "municipalities", "--from", "2016-01-01", "--to",
                       "2022-01-01", "-o", out)
    assert after.exit_code == 0 and "warning" not in after.stderr, after.output


def test_geolocate_before_the_first_edition_warns_and_answers_from_it(loaded):
    result = loaded.run("geolocate", *map(str, GRAND_PLACE), "--date", "2010-01-01")
    assert result.exit_code == 0, result.output
    assert f"Municipality: Bruxelles-Ville [{FIRST_MUNICIPALITIES}]" in result.stdout
    assert (f"warning: municipalities has no edition before {FIRST_MUNICIPALITIES}; the "
            "answer on 2010-01-01 uses that first edition") in result.stderr
    assert f"warning: streets has no edition before {FIRST_STREETS}" in result.stderr
    as_json = loaded.run("geolocate", *map(str, GRAND_PLACE), "--date", "2010-01-01",
                         "--json")
    assert json.loads(as_json.stdout)["municipality"]["edition"] == FIRST_MUNICIPALITIES
    today = loaded.run("geolocate", *map(str, GRAND_PLACE))
    assert today.exit_code == 0 and "warning" not in today.stderr, today.output


def test_link_counts_the_records_older_than_a_first_edition(loaded, tmp_path):
    source = records(tmp_path / "reports.geojson", ["2010-01-01", "2016-01-01", "2022-01-01"])
    out = tmp_path / "linked.gpkg"
    result = loaded.run("link", str(source), "-o", str(out), "--date-field", "reported",
                        "--to", "municipalities,streets")
    assert result.exit_code == 0, result.output
    assert (f"warning: municipalities has no edition before {FIRST_MUNICIPALITIES}; 1 of 3 "
            "records are dated earlier and are linked to that first edition") in result.stderr
    assert f"warning: streets has no edition before {FIRST_STREETS}; 2 of 3" in result.stderr
    linked = gpd.read_file(out)
    assert linked["municipalities_id"].notna().all()
    one_date = loaded.run("link", str(source), "-o", str(out), "--date", "2010-01-01",
                          "--to", "municipalities")
    assert one_date.exit_code == 0, one_date.output
    assert "municipalities has no edition before 2015-07-20; 3 of 3" in one_date.stderr
    recent = loaded.run("link", str(source), "-o", str(out), "--date", "2022-01-01",
                        "--to", "municipalities,streets")
    assert recent.exit_code == 0 and "warning" not in recent.stderr, recent.output


# -- 3. swapped coordinates ---------------------------------------------------------------------
def test_swapped_coordinates_get_a_hint(loaded):
    result = loaded.run("geolocate", "50.8467", "4.3525")
    assert result.exit_code == 0, result.output
    assert "Outside region" in result.stdout
    assert ("hint: these look swapped: longitude first, e.g. "
            "`strata geolocate 4.3525 50.8467`") in result.stderr
    # in a CRS whose order is latitude first, the hint says so
    flipped = loaded.run("geolocate", "4.3525", "50.8467", "--crs", "EPSG:4326", "--json")
    assert flipped.exit_code == 0, flipped.output
    assert json.loads(flipped.stdout)["inside_region"] is False
    assert ("latitude first, e.g. `strata geolocate 50.8467 4.3525 --crs EPSG:4326`"
            in flipped.stderr)
    swapped_back = loaded.run("geolocate", "4.3525", "50.8467")
    assert "Municipality: Bruxelles" in swapped_back.stdout
    assert "swapped" not in swapped_back.stderr
    paris = loaded.run("geolocate", "2.3522", "48.8566")  # outside, and not swapped
    assert paris.exit_code == 0 and "Outside region" in paris.stdout
    assert "swapped" not in paris.stderr


# -- 4. serve on a port taken -------------------------------------------------------------------
def test_serve_refuses_a_port_taken_before_saying_it_serves(env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        before = {k: v for k, v in os.environ.items() if k.startswith("STRATA_")}
        result = env.run("serve", "--host", "127.0.0.1", "--port", str(port))
        assert result.exit_code == 5, result.output
        assert f"error: port {port} on 127.0.0.1 is already in use" in result.stderr
        assert "hint: stop the program that uses it, or choose another port" in result.stderr
        assert "serving at" not in result.output
        assert {k: v for k, v in os.environ.items() if k.startswith("STRATA_")} == before
    bad_host = env.run("serve", "--host", "no-such-host.invalid", "--port", str(port))
    assert bad_host.exit_code == 2 and "cannot serve at no-such-host.invalid" in bad_host.stderr
    assert "serving at" not in bad_host.output


# -- 5. apikey revoke ---------------------------------------------------------------------------
def incidents_of(loaded, client):
    with loaded.store.connect() as conn:
        return conn.execute("SELECT count(*) FROM incident WHERE api_key_name = %s",
                            (client,)).fetchone()[0]


def test_a_revoked_key_can_no_longer_report_and_its_reports_stay(service, loaded):
    name = "tests-cli-edges-revoke"
    created = loaded.run("apikey", "create", name)
    assert created.exit_code == 0, created.output
    key = created.stdout.strip()
    report = {"api_key": key, "service_code": "1", "lat": str(GRAND_PLACE[1]),
              "long": str(GRAND_PLACE[0])}
    assert httpx.post(f"{service}{V2}/requests.json", data=report,
                      timeout=30).status_code == 201
    assert incidents_of(loaded, name) == 1

    revoked = loaded.run("apikey", "revoke", name)
    assert revoked.exit_code == 0, revoked.output
    assert f"revoked the API key of {name}" in revoked.stdout
    refused = httpx.post(f"{service}{V2}/requests.json", data=report, timeout=30)
    assert refused.status_code == 403, refused.text
    assert incidents_of(loaded, name) == 1  # the report filed before keeps its client

    again = loaded.run("apikey", "revoke", name)
    assert again.exit_code == 3, again.output
    assert f"error: there is no API key named {name!r}" in again.stderr
    assert "hint: give the name the key was created with (`strata apikey create NAME`)" \
        in again.stderr
    # the name is free again
    assert loaded.run("apikey", "create", name).exit_code == 0


def test_revoking_an_unknown_key_is_not_found(env):
    result = env.run("apikey", "revoke", "nobody")
    assert result.exit_code == 3, result.output
    assert "there is no API key named 'nobody'" in result.stderr
    assert "strata apikey create NAME" in result.stderr


def test_stopping_a_server_of_several_workers_stops_them_all(loaded):
    """`strata serve --workers 2` stopped as a process manager stops it (SIGTERM to the
    process it started): its workers go too, and the port is free again."""
    import signal
    import subprocess
    import sys
    import time

    from strata_helpers import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "services.cli.main", "serve", "--workers",
                             "2", "--port", str(port)], env={**os.environ, **loaded.environ},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/conformance", timeout=5).is_success:
                    break
            except httpx.HTTPError:
                assert time.time() < deadline and proc.poll() is None, "it did not start"
                time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.time() + 30
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                break
        time.sleep(0.5)
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "a worker still listens"


@pytest.mark.parametrize(("setting", "value", "reason"), [
    ("STRATA_SEED_INTERVAL_S", "-5", "must be greater than 0"),
    ("STRATA_POOL_SIZE", "s3cret", "must be a whole number"),
    ("STRATA_POOL_TIMEOUT_S", "s3cret", "must be a number"),
    ("STRATA_SEED_TILES", "s3cret", "must be true or false"),
    ("STRATA_CORS_ORIGINS", '["s3cret', "must be a list"),
    ("STRATA_SCHEMA_NAME", "Bad Name", "lowercase SQL name"),
    # passed, then a traceback when the service started (or a port wrapped around)
    ("STRATA_POOL_TIMEOUT_S", "nan", "must be a finite number"),
    ("STRATA_POOL_TIMEOUT_S", "inf", "must be a finite number"),
    ("STRATA_STATEMENT_TIMEOUT_MS", "99999999999", "at most 2147483647"),
    ("STRATA_PORT", "70000", "must be a port number"),
    ("STRATA_WORKERS", "-2", "must be 1 or more"),
])
def test_a_setting_that_is_not_valid_is_named_with_why(setting, value, reason):
    """A setting of the environment that is not valid stops the command with a message that
    names it and says why (never its value: a URL may hold a password), not a traceback,
    in the command line's language."""
    import subprocess
    import sys

    from services.error_text import translate

    english = ""
    for lang in ("en", "fr", "nl"):
        serving = subprocess.run([sys.executable, "-m", "services.cli.main", "serve"],
                                 env={**os.environ, "STRATA_PORT": "1", setting: value,
                                      "STRATA_LANG": lang},
                                 capture_output=True, text=True, timeout=120)
        assert serving.returncode == 2, serving.stderr[-2000:]
        assert "Traceback" not in serving.stderr and value not in serving.stderr
        if lang == "en":
            assert f"error: the setting {setting} is not valid: " in serving.stderr
            assert reason in serving.stderr and "hint:" in serving.stderr
            english = serving.stderr.split("is not valid: ", 1)[1].splitlines()[0]
        else:  # the reason too in the command line's language
            why = translate(english, lang)
            said = translate(f"the setting {setting} is not valid: {why}", lang)
            assert why and said and said in serving.stderr, serving.stderr
            assert english not in serving.stderr, serving.stderr


def test_a_list_setting_takes_commas_or_json(monkeypatch):
    """STRATA_CORS_ORIGINS and STRATA_TILE_MAP_LAYERS as people write them: values
    separated by commas (blanks dropped), or a JSON list."""
    from services.settings import ServiceSettings

    monkeypatch.setenv("STRATA_CORS_ORIGINS", " https://a.example, https://b.example ,")
    monkeypatch.setenv("STRATA_TILE_MAP_LAYERS", '["region", "streets"]')
    settings = ServiceSettings()
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.tile_map_layers == ["region", "streets"]
