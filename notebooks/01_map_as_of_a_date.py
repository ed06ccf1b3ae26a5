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
# # The map as of a date: the communes of 2016 and of 2022
#
# Strata keeps every edition of the Brussels layers. Asking for the map *as of a date* is one
# parameter, `datetime=`, on the OGC API Features items. Here we read the 19 communes as they
# were on 1 January 2016 (the UrbIS edition of 2015) and on 1 January 2022 (the edition of
# 2021), with OWSLib, and find the ground that changed commune between the two, for example
# from Bruxelles / Brussel to Saint-Josse-ten-Noode / Sint-Joost-ten-Node.
#
# The service's address comes from `STRATA_URL` (default `http://localhost:5000`, what
# `make demo` serves).

# %%
import os
from pathlib import Path

import geopandas as gpd
import matplotlib.pyplot as plt
import pandas as pd
from owslib.ogcapi.features import Features

STRATA = os.environ.get("STRATA_URL", "http://localhost:5000")
DATA = Path(os.environ.get("STRATA_DATA", "../data/brussels"))
api = Features(STRATA, timeout=60)


def communes(date: str) -> gpd.GeoDataFrame:
    """The communes as they were on a date, in Belgian Lambert 72 (metres)."""
    page = api.collection_items("municipalities", datetime=date, limit=100,
                                crs="http://www.opengis.net/def/crs/EPSG/0/31370")
    frame = gpd.GeoDataFrame.from_features(page["features"], crs=31370)
    return frame.set_index("municipality_id")


c2016, c2022 = communes("2016-01-01"), communes("2022-01-01")
print(len(c2016), "communes in 2016,", len(c2022), "in 2022")
pd.concat({"2016": c2016[["name_fr", "name_nl"]], "2022": c2022[["name_fr", "name_nl"]]},
          axis=1)

# %% [markdown]
# The names changed too: "Bruxelles-Ville / Brussel-Stad" in 2015, "Bruxelles / Brussel" in
# 2021. The ids did not: Strata keys the communes on the municipality id (7400 = Bruxelles).
#
# ## The ground that changed commune
#
# Overlaying the two maps gives pieces that belong to one commune in 2016 and another in
# 2022. Most are slivers along boundaries that were redrawn more precisely; a few are whole
# blocks.

# %%
pieces = gpd.overlay(c2016.reset_index()[["municipality_id", "name_fr", "geometry"]],
                     c2022.reset_index()[["municipality_id", "name_fr", "geometry"]],
                     how="intersection", keep_geom_type=True)
moved = pieces[pieces["municipality_id_1"] != pieces["municipality_id_2"]].copy()
moved["area_m2"] = moved.area
by_pair = (moved.groupby(["name_fr_1", "name_fr_2"])["area_m2"].sum()
           .sort_values(ascending=False).rename("m²"))
print(f"{moved['area_m2'].sum():,.0f} m² changed commune between 2016 and 2022")
by_pair.head(10).round(0)

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 6.5))
for ax, frame, year in ((axes[0], c2016, 2016), (axes[1], c2022, 2022)):
    frame.plot(ax=ax, column="name_fr", cmap="tab20", edgecolor="white", linewidth=0.6,
               alpha=0.55)
    moved.plot(ax=ax, color="crimson", edgecolor="crimson", linewidth=1.5)
    for _, row in frame.iterrows():
        p = row.geometry.representative_point()
        ax.annotate(f"{row['name_fr']}\n{row['name_nl']}" if row["name_fr"] != row["name_nl"]
                    else row["name_fr"], (p.x, p.y), ha="center", fontsize=6)
    ax.set_title(f"Communes / gemeenten, 1 January {year}")
    ax.set_axis_off()
fig.suptitle("In red: ground that changed commune between the two dates")
plt.tight_layout()

# %% [markdown]
# A closer look at the biggest block, between Bruxelles and Saint-Josse-ten-Noode:

# %%
top = moved.sort_values("area_m2").iloc[-1]
x0, y0, x1, y1 = top.geometry.buffer(300).bounds
fig, ax = plt.subplots(figsize=(7, 7))
c2016.boundary.plot(ax=ax, color="grey", linestyle="--", label="2016")
c2022.boundary.plot(ax=ax, color="black", label="2022")
moved.plot(ax=ax, color="crimson", alpha=0.7)
ax.set_xlim(x0, x1)
ax.set_ylim(y0, y1)
ax.set_title(f"{top['name_fr_1']} → {top['name_fr_2']}: {top['area_m2']:,.0f} m²")
ax.legend()

# %% [markdown]
# ## Checked against the source files
#
# The same computation straight from the UrbIS files in `data/brussels/` with geopandas:
# the 2015 file holds 26 surfaces (a surface belongs to the commune of its id rounded down to
# the hundred), the 2021 file the 19 communes.

# %%
surfaces = gpd.read_file(DATA / "municipalities/fms_municipality_2015.gpkg",
                         layer="municipality_surface")
surfaces["mid"] = surfaces["urbis_id"].astype(int) // 100 * 100
f2015 = surfaces.dissolve("mid").reset_index()[["mid", "geometry"]]
f2021 = gpd.read_file(DATA / "municipalities/urbadm_municipality_2021.gpkg")
f2021["mid"] = f2021["ID"].astype(int)
f2021 = f2021[["mid", "geometry"]].set_crs(31370, allow_override=True)
f2021["geometry"] = f2021.geometry.force_2d()
files = gpd.overlay(f2015, f2021, how="intersection", keep_geom_type=True)
files = files[files["mid_1"] != files["mid_2"]]
want = files.assign(a=files.area).groupby(["mid_1", "mid_2"])["a"].sum()
got = moved.groupby(["municipality_id_1", "municipality_id_2"])["area_m2"].sum()

assert len(c2016) == len(c2022) == 19
assert set(c2016.index) == set(f2015["mid"]) and set(c2022.index) == set(f2021["mid"])
assert abs(got.sum() - want.sum()) < 0.01 * want.sum(), (got.sum(), want.sum())
big = want[want > 1000].index
pd.testing.assert_series_equal(got.reindex(big).rename(None), want.reindex(big).rename(None),
                               check_names=False, rtol=0.01)
sjtn = c2022.index[c2022["name_fr"] == "Saint-Josse-ten-Noode"][0]
assert abs(got.loc[(7400, sjtn)] - 18_600) < 500  # Bruxelles -> Saint-Josse, about 18,600 m²
print("checked:", len(big), "moves of more than 1,000 m² agree with the files")
