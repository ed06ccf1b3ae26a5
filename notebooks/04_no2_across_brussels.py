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
# # NO2 across Brussels
#
# Two sources of nitrogen dioxide measures:
# - the IRCEL-CELINE monitoring stations, with a yearly mean since 1990, served by Strata as
#   an OGC API EDR collection (`no2_station_series`: CoverageJSON point series);
# - the CurieuzenAir citizen-science campaign (2021): about 2,500 measuring points, averaged
#   per district / wijk on the map of their date in the aggregate collection
#   `no2_district_year`.
#
# We draw the station trends against the EU limit (40 µg/m³) and the WHO guideline
# (10 µg/m³), and a choropleth of the CurieuzenAir means per district.

# %%
import os
from pathlib import Path

import geopandas as gpd
import httpx
import matplotlib.pyplot as plt
import pandas as pd

STRATA = os.environ.get("STRATA_URL", "http://localhost:5000")
DATA = Path(os.environ.get("STRATA_DATA", "../data/brussels"))
EU_LIMIT, WHO_GUIDELINE = 40, 10

# %% [markdown]
# ## The stations' series, through EDR
#
# An `area` query with a polygon around the region returns every station inside it, each a
# CoverageJSON coverage with its years (`t`) and yearly means.

# %%
AREA = "POLYGON((4.1 50.7,4.6 50.7,4.6 51.0,4.1 51.0,4.1 50.7))"
cov = httpx.get(f"{STRATA}/collections/no2_station_series/area",
                params={"coords": AREA, "f": "json"}, timeout=60).json()
rows = []
for c in cov["coverages"]:
    axes = c["domain"]["axes"]
    for t, value in zip(axes["t"]["values"], c["ranges"]["no2_annual_mean"]["values"],
                        strict=True):
        rows.append({"station": c["id"], "year": int(t[:4]), "no2": value,
                     "lon": axes["x"]["values"][0], "lat": axes["y"]["values"][0]})
series = pd.DataFrame(rows)
print(series["station"].nunique(), "stations,", len(series), "station-years")
table = series.pivot(index="year", columns="station", values="no2")
table.tail()

# %%
fig, ax = plt.subplots(figsize=(11, 5.5))
table.plot(ax=ax, linewidth=1, marker=".", legend=False, colormap="viridis")
ax.axhline(EU_LIMIT, color="crimson", linestyle="--", label="EU limit (40 µg/m³)")
ax.axhline(WHO_GUIDELINE, color="darkorange", linestyle=":",
           label="WHO guideline (10 µg/m³)")
table.mean(axis=1).plot(ax=ax, color="black", linewidth=2.5, label="mean of the stations")
ax.set_ylabel("NO2, yearly mean (µg/m³)")
ax.set_title("IRCEL-CELINE stations in and around Brussels")
ax.legend(loc="upper right")

# %% [markdown]
# ## CurieuzenAir per district / wijk
#
# The aggregate collection gives, per district and year, the number of measures and their
# mean; its features carry the district's outline, so the choropleth needs nothing else.
# The communes are drawn on top, from Strata's own layer.

# %%
page = httpx.get(f"{STRATA}/collections/no2_district_year/items",
                 params={"source": "curieuzenair", "year": 2021, "limit": 1000, "f": "json"},
                 timeout=60).json()
districts = gpd.GeoDataFrame.from_features(page["features"], crs=4326).to_crs(31370)
communes = gpd.GeoDataFrame.from_features(httpx.get(
    f"{STRATA}/collections/municipalities/items",
    params={"datetime": "2021-10-01", "limit": 100, "crs": "EPSG:31370"}, timeout=60
).json()["features"], crs=31370)
print(len(districts), "districts with CurieuzenAir measures;",
      (districts["no2_mean_ug_m3"] > EU_LIMIT).sum(), "above the EU limit,",
      (districts["no2_mean_ug_m3"] > WHO_GUIDELINE).sum(), "above the WHO guideline")
districts.sort_values("no2_mean_ug_m3", ascending=False)[
    ["name_fr", "name_nl", "n_measures", "no2_mean_ug_m3"]].head(10)

# %%
fig, ax = plt.subplots(figsize=(9, 9))
districts.plot(ax=ax, column="no2_mean_ug_m3", cmap="YlOrRd", legend=True,
               legend_kwds={"label": "NO2, mean of the CurieuzenAir points (µg/m³)",
                            "shrink": 0.6}, edgecolor="white", linewidth=0.3)
communes.boundary.plot(ax=ax, color="#333333", linewidth=0.8)
stations = gpd.GeoDataFrame(series.drop_duplicates("station"),
                            geometry=gpd.points_from_xy(*series.drop_duplicates("station")[
                                ["lon", "lat"]].to_numpy().T), crs=4326).to_crs(31370)
stations.plot(ax=ax, marker="^", color="navy", markersize=40, label="IRCEL-CELINE stations")
ax.set_xlim(*communes.total_bounds[[0, 2]])
ax.set_ylim(*communes.total_bounds[[1, 3]])
ax.set_title("NO2 per district / per wijk, CurieuzenAir 2021")
ax.legend(loc="lower left")
ax.set_axis_off()

# %% [markdown]
# ## Checked against the source files
#
# The station means from IRCEL-CELINE's CSV (the -9999 placeholders dropped), and the
# CurieuzenAir points joined to the monitoring districts' file with geopandas.

# %%
csv = pd.read_csv(DATA / "air_quality/irceline_no2_annual_mean_1990_2023.csv")
csv = csv[csv["no2_annual_mean"] != -9999]
inside = csv[(csv["lon"].between(4.1, 4.6)) & (csv["lat"].between(50.7, 51.0))]
want = inside.set_index(["station", "year"])["no2_annual_mean"].sort_index()
got = series.set_index(["station", "year"])["no2"].sort_index()
pd.testing.assert_series_equal(got, want, check_names=False, check_dtype=False)

points = gpd.read_file(DATA / "air_quality/curieuzenair_no2_points.geojson").to_crs(31370)
md = gpd.read_file(DATA / "districts/monitoring_districts_2017_2019.gpkg")
joined = gpd.sjoin(points[points["no2"].notna()], md[["md_id", "geometry"]],
                   predicate="intersects")
by_district = joined.groupby("md_id")["no2"].agg(["size", "mean"])
mine = districts.set_index("district_id").sort_index()
by_district = by_district.loc[mine.index]
assert (mine["n_measures"] == by_district["size"]).all()
assert ((mine["no2_mean_ug_m3"] - by_district["mean"]).abs() <= 0.005 + 1e-9).all()
assert len(mine) == joined["md_id"].nunique()
print(f"checked: {len(got)} station-years and {len(mine)} district means agree with the files")
