# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Link your own records to the map of their date
#
# You have a CSV of dated points: `id, lon, lat, date`. Strata ties each one to the commune /
# gemeente and the district / wijk that contained it **on its own date**, and to the nearest
# street of that date, two ways:
# - the OGC API process `link` (`POST /processes/link/execution`), for up to a few thousand
#   records, from anywhere;
# - the command line, `strata link points.csv -o linked.csv --date-field date --to ...`, for
#   any number, next to the database.
#
# The 40 points here are **synthetic**: drawn at random (seeded) over Brussels, dated 2014-2026.

# %%
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import httpx
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

STRATA = os.environ.get("STRATA_URL", "http://localhost:5000")
DATA = Path(os.environ.get("STRATA_DATA", "../data/brussels"))
TO = ["municipalities", "districts", "streets"]

rng = np.random.default_rng(2026)
n = 40
days = rng.integers(0, 12 * 365, n)
records = pd.DataFrame({
    "id": np.arange(1, n + 1),
    "lon": rng.uniform(4.30, 4.42, n).round(6),
    "lat": rng.uniform(50.80, 50.88, n).round(6),
    "date": (pd.Timestamp("2014-01-01") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d"),
})
workdir = Path(tempfile.mkdtemp(prefix="strata-link-"))
source = workdir / "points.csv"
records.to_csv(source, index=False)
print(source.read_text()[:200])

# %% [markdown]
# ## Through the OGC API process
#
# The CSV goes as text in the `csv` input; the columns `lon` / `lat` are found by name.

# %%
answer = httpx.post(f"{STRATA}/processes/link/execution", timeout=120, json={
    "inputs": {"csv": source.read_text(), "date_field": "date", "to": TO}})
answer.raise_for_status()
linked = gpd.GeoDataFrame.from_features(answer.json()["features"], crs=4326)
KEYS = ["municipalities_id", "districts_id", "streets_id"]
linked = linked.astype({"municipalities_id": "Int64", "streets_id": "Int64"}).set_index("id")
linked[["date", "municipalities_id", "municipalities_name_fr", "municipalities_name_nl",
        "municipalities_edition", "districts_name_fr", "streets_name_fr",
        "streets_distance_m"]].head(10)

# %% [markdown]
# ## Through the command line
#
# `strata link` reads the same file; here it runs next to the notebook (the `strata` of this
# Python environment, with the database settings of the service, `STRATA_DATABASE_URL` and
# `STRATA_SCHEMA_NAME`, from the environment).

# %%
out = workdir / "linked.csv"
strata = Path(sys.executable).with_name("strata")
run = subprocess.run([str(strata), "link", str(source), "-o", str(out), "--date-field", "date",
                      "--to", ",".join(TO)], capture_output=True, text=True, timeout=300)
print(run.stderr[-600:])
assert run.returncode == 0, run.stderr
cli = pd.read_csv(out, dtype_backend="numpy_nullable").set_index("id")
cli[["municipalities_id", "municipalities_edition", "districts_id", "streets_id"]].dtypes

# %%
both = linked[KEYS].join(cli[KEYS].add_suffix("_cli"))
for key in KEYS:
    a, b = both[key].astype("string"), both[f"{key}_cli"].astype("string")
    assert ((a == b) | (a.isna() & b.isna())).all(), key
assert str(cli["municipalities_id"].dtype) == "Int64"  # keys stay integers: 7400, not 7400.0
print("the process and the command line give the same links")

# %%
communes = gpd.GeoDataFrame.from_features(httpx.get(
    f"{STRATA}/collections/municipalities/items",
    params={"limit": 100, "crs": "EPSG:31370"}, timeout=60).json()["features"], crs=31370)
streets = gpd.GeoDataFrame.from_features(httpx.get(
    f"{STRATA}/collections/streets/items",
    params={"limit": 10000, "crs": "EPSG:31370", "bbox": "4.29,50.79,4.43,50.89",
            "properties": "name_fr"}, timeout=120).json()["features"], crs=31370)
shown = linked.to_crs(31370)
fig, ax = plt.subplots(figsize=(9, 8))
communes.plot(ax=ax, color="#f4f4f4", edgecolor="#888888")
streets.plot(ax=ax, color="#cccccc", linewidth=0.4)
shown.plot(ax=ax, column="municipalities_name_fr", categorical=True, legend=True,
           markersize=40, edgecolor="black", legend_kwds={"fontsize": 7, "loc": "lower left"})
for key, row in shown.iterrows():
    ax.annotate(f"{key}: {row['date'][:4]}", (row.geometry.x, row.geometry.y), fontsize=6,
                xytext=(3, 3), textcoords="offset points")
ax.set_xlim(*shown.total_bounds[[0, 2]] + [-500, 500])
ax.set_ylim(*shown.total_bounds[[1, 3]] + [-500, 500])
ax.set_title("Your records, each linked to the commune of its own date")
ax.set_axis_off()

# %% [markdown]
# ## Checked against the source files
#
# The commune of each record from the UrbIS files with geopandas: the 2015 surfaces (a
# surface's commune is its id rounded down to the hundred) for records dated before the 2021
# edition (5 February 2021), the 2021 communes after; the district from the districts' file.

# %%
pts = gpd.GeoDataFrame(records, geometry=gpd.points_from_xy(records["lon"], records["lat"]),
                       crs=4326).to_crs(31370)
surfaces = gpd.read_file(DATA / "municipalities/fms_municipality_2015.gpkg",
                         layer="municipality_surface")
surfaces["mid"] = surfaces["urbis_id"].astype(int) // 100 * 100
urbis = gpd.read_file(DATA / "municipalities/urbadm_municipality_2021.gpkg").set_crs(
    31370, allow_override=True)
urbis["mid"] = urbis["ID"].astype(int)
before = pd.to_datetime(pts["date"]) < pd.Timestamp("2021-02-05")
want = pd.concat([
    gpd.sjoin(pts[before], surfaces[["mid", "geometry"]], predicate="intersects"),
    gpd.sjoin(pts[~before], urbis[["mid", "geometry"]], predicate="intersects"),
]).drop_duplicates("id").set_index("id")["mid"]
md = gpd.read_file(DATA / "districts/monitoring_districts_2017_2019.gpkg")
want_md = gpd.sjoin(pts, md[["md_id", "geometry"]], predicate="intersects").drop_duplicates(
    "id").set_index("id")["md_id"]
got = linked["municipalities_id"].dropna().astype(int)
assert got.sort_index().to_dict() == want.sort_index().astype(int).to_dict()
assert linked["districts_id"].dropna().sort_index().to_dict() == want_md.sort_index().to_dict()
print(f"checked: {len(got)} communes and {len(want_md)} districts agree with the files")
