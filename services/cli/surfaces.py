# SPDX-License-Identifier: EUPL-1.2
"""``strata surfaces``: raster surfaces interpolated from measurements (derived estimates).

- ``strata surfaces build no2 [--year Y]...``: the yearly NO2 surfaces (ordinary kriging of
  the IRCEL-CELINE station means, 50 m cells in EPSG:31370, COG with the estimate and its
  variance), and the CurieuzenAir campaign's (its points kriged in a moving neighbourhood),
  recorded in date order; a surface already recorded with the same content is a no-op; a
  failed build records nothing and leaves no file;
- ``strata surfaces list [--json]``: every surface recorded, with its leave-one-out error;
- ``strata surfaces zonal no2|no2-curieuzenair --year Y [--zones districts|municipalities]
  [--json]``: mean / min / max per zone, on the boundaries in force that year.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import click

from linking.surfaces import (
    CAMPAIGN_COLLECTION,
    NO2_COLLECTION,
    ZONE_LAYERS,
    build_campaign,
    build_no2,
    mid_year,
    zonal_statistics,
)
from services.cli.common import say, spoken, store
from services.error_text import cli_language
from services.store import Store
from services.surface_files import surfaces_root
from versioning.surfaces import record, surfaces

KINDS = {"no2": NO2_COLLECTION, "no2-curieuzenair": CAMPAIGN_COLLECTION}  # for zonal
OUTCOMES = {"kept": "kept as recorded by an earlier method (a recorded surface is never "
                    "replaced: a new store is built with today's)"}


@click.group("surfaces")
def command() -> None:
    """Raster surfaces (derived estimates) interpolated from measurements."""


def build_surfaces(s: Store, years: list[int] | None = None) -> list[str]:
    """Build and record the NO2 surfaces (``strata load`` calls it too); one line each."""
    root = surfaces_root(s.settings)
    root.mkdir(parents=True, exist_ok=True)
    with s.connect() as conn, tempfile.TemporaryDirectory(dir=root, prefix=".build-") as work:
        builds = [*build_no2(conn, s.catalogue, Path(work), years),
                  *build_campaign(conn, s.catalogue, Path(work), years)]
        outcomes = [(b, OUTCOMES.get(what, what)) for b, what in record(conn, root, builds)]
    return [f"{b.collection} {b.period}: {spoken(what)} ({b.n_points} stations, leave-one-out "
            f"RMSE {b.cv_rmse:.2f} ug/m3, MAE {b.cv_mae:.2f}; {b.file_name})"
            if b.collection == NO2_COLLECTION else
            f"{b.collection} {b.period}: {spoken(what)} ({b.n_points} points, leave-one-out "
            f"RMSE {b.cv_rmse:.2f} ug/m3, MAE {b.cv_mae:.2f}; {b.file_name})"
            for b, what in outcomes]


@command.command("build")
@click.argument("kind", type=click.Choice(["no2"]))
@click.option("--year", "years", type=int, multiple=True,
              help="only these years (default: every year with enough stations)")
@click.pass_context
def build(ctx: click.Context, kind: str, years: tuple[int, ...]) -> None:
    """Interpolate and record the yearly surfaces of KIND (no2)."""
    for line in build_surfaces(store(ctx), list(years) or None):
        say(line)


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="as JSON")
@click.pass_context
def list_surfaces(ctx: click.Context, as_json: bool) -> None:
    """Every surface recorded: period, validity, method, leave-one-out error, file."""
    s = store(ctx)
    with s.connect() as conn:
        rows = surfaces(conn)
    if as_json:
        click.echo(json.dumps([{
            "collection": r["collection"], "period": r["period"],
            "valid_from": r["valid_from"].isoformat(), "valid_to": r["valid_to"].isoformat(),
            "source": r["source_name"], "method": r["method"], "cv_rmse": r["cv_rmse"],
            "cv_mae": r["cv_mae"], "n_points": r["n_points"],
            "cell_size_m": r["cell_size_m"], "checksum": r["checksum"],
            "file": str(surfaces_root(s.settings) / r["file_name"])} for r in rows],
            indent=1))
        return
    for r in rows:
        say(f"{r['collection']} {r['period']}: {r['n_points']} points, "
            f"leave-one-out RMSE {r['cv_rmse']:.2f}, {r['method']}; {r['file_name']}")


@command.command("zonal")
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.option("--year", type=int, required=True, help="the surface's year")
@click.option("--zones", type=click.Choice(ZONE_LAYERS), default="districts",
              show_default=True, help="the boundary layer (as it was that year)")
@click.option("--json", "as_json", is_flag=True, help="as JSON")
@click.pass_context
def zonal(ctx: click.Context, kind: str, year: int, zones: str, as_json: bool) -> None:
    """Mean / min / max of the YEAR's surface per zone, on that year's boundaries."""
    s = store(ctx)
    with s.connect() as conn:
        result = zonal_statistics(conn, s.catalogue, surfaces_root(s.settings), KINDS[kind],
                                  mid_year(year), zones)
    if as_json:
        click.echo(json.dumps(result, indent=1, default=_plain))
        return
    say(f"{KINDS[kind]} {result['period']} on {zones} of the edition "
        f"{result['boundary_edition']} (derived estimate; leave-one-out RMSE "
        f"{result['cv_rmse_ug_m3']:.2f} ug/m3)")
    name = "name_nl" if cli_language() == "nl" else "name_fr"
    for r in result["statistics"]:
        stats = spoken("no cell" if r["no2_mean"] is None else
                       f"mean {r['no2_mean']:.2f}, min {r['no2_min']:.2f}, "
                       f"max {r['no2_max']:.2f}")
        click.echo(f"{r['zone_id']}\t{r.get(name) or r['name_fr']}\t{stats}")


def _plain(value: object) -> str:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {value!r}")
