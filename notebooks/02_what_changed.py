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
# # What changed between two dates: the streets from 2020-04-27 to 2021-04-12
#
# `/collections/{id}/changes?from=&to=` answers one net action per feature between two dates
# (added, modified, deleted), with the old and new values. We read the changes to the
# OpenStreetMap streets of Brussels over a year, map them by action, and sum them per commune
# (on the communes of the later date), all from Strata.

# %%
import json
import os
from pathlib import Path

import geopandas as gpd
import httpx
import matplotlib.pyplot as plt
import pandas as pd

STRATA = os.environ.get("STRATA_URL", "http://localhost:5000")
DATA = Path(os.environ.get("STRATA_DATA", "../data/brussels"))
FROM, TO = "2020-04-27", "2021-04-12"

answer = httpx.get(f"{STRATA}/collections/streets/changes",
                   params={"from": FROM, "to": TO, "f": "geojson", "crs": "EPSG:31370"},
                   timeout=120)
answer.raise_for_status()
changes = gpd.GeoDataFrame.from_features(answer.json()["features"], crs=31370)
changes["action"].value_counts()

# %% [markdown]
# Each row carries `old_*` and `new_*` values: renamed streets, for instance.

# %%
renamed = changes[(changes["action"] == "modified")
                  & (changes["old_name"] != changes["new_name"])]
print(len(renamed), "streets renamed")
renamed[["osm_way_id", "old_name", "new_name"]].head(10)

# %% [markdown]
# ## Per commune / per gemeente
#
# The communes of the later date come from Strata too (`datetime=2021-04-12`); a street goes
# to the commune holding its middle point.

# %%
page = httpx.get(f"{STRATA}/collections/municipalities/items",
                 params={"datetime": TO, "limit": 100, "crs": "EPSG:31370"}, timeout=60).json()
communes = gpd.GeoDataFrame.from_features(page["features"], crs=31370)
region = gpd.GeoDataFrame.from_features(httpx.get(
    f"{STRATA}/collections/region/items", params={"crs": "EPSG:31370"}, timeout=60
).json()["features"], crs=31370)

middles = changes.copy()
middles["geometry"] = changes.geometry.interpolate(0.5, normalized=True)
placed = gpd.sjoin(middles, communes[["municipality_id", "name_fr", "name_nl", "geometry"]],
                   predicate="within", how="left")
per_commune = (placed.groupby(["name_fr", "name_nl", "action"]).size().unstack(fill_value=0)
               .sort_values("modified", ascending=False))
per_commune

# %%
colours = {"added": "#1a9850", "modified": "#fdae61", "deleted": "#d73027"}
fig, (ax, bars) = plt.subplots(1, 2, figsize=(15, 7), width_ratios=[1.2, 1])
communes.plot(ax=ax, color="#f4f4f4", edgecolor="#999999", linewidth=0.6)
region.boundary.plot(ax=ax, color="black", linewidth=1)
for action, colour in colours.items():
    part = changes[changes["action"] == action]
    part.plot(ax=ax, color=colour, linewidth=1.2 if action != "modified" else 0.6,
              label=f"{action} ({len(part)})")
ax.legend(loc="lower left")
ax.set_title(f"Streets / straten, changes {FROM} → {TO}")
ax.set_axis_off()
per_commune[list(colours)].plot.barh(ax=bars, stacked=True, color=list(colours.values()))
bars.set_yticklabels([f"{fr} / {nl}" if fr != nl else fr for fr, nl in per_commune.index],
                     fontsize=7)
bars.set_ylabel("")
bars.set_title("per commune / per gemeente")
plt.tight_layout()

# %% [markdown]
# ## Checked against the source files
#
# The two OpenStreetMap extracts in `data/brussels/streets/`, compared by way id with plain
# Python: a way only in the later file was added, only in the earlier one deleted, in both
# with another geometry or other values (name, Wikidata, gender, details) modified.

# %%
def ways(day: str) -> dict:
    raw = json.loads((DATA / f"streets/ways_{day}.geojson").read_text())
    return {f["id"]: f for f in raw["features"]}


old, new = ways(FROM), ways(TO)
FIELDS = ["name", "wikidata", "gender", "details"]


def differs(a: dict, b: dict) -> bool:
    return a["geometry"] != b["geometry"] or any(
        a["properties"].get(k) != b["properties"].get(k) for k in FIELDS)


want = pd.Series({"added": len(new.keys() - old.keys()),
                  "deleted": len(old.keys() - new.keys()),
                  "modified": sum(differs(old[k], new[k]) for k in old.keys() & new.keys())})
got = changes["action"].value_counts()
print(pd.DataFrame({"Strata": got, "files": want}))
assert got.to_dict() == want.to_dict(), (got.to_dict(), want.to_dict())
assert set(changes.loc[changes["action"] == "added", "osm_way_id"]) == new.keys() - old.keys()
assert per_commune.to_numpy().sum() <= len(changes)

# %% [markdown]
# And the streets added per commune, from the files alone (the ways of the later extract, the
# communes of the UrbIS 2021 file):

# %%
added = gpd.GeoDataFrame.from_features(
    [new[k] for k in new.keys() - old.keys()], crs=4326).to_crs(31370)
added["geometry"] = added.geometry.interpolate(0.5, normalized=True)
urbis = gpd.read_file(DATA / "municipalities/urbadm_municipality_2021.gpkg")
urbis = urbis.set_crs(31370, allow_override=True)
files_added = gpd.sjoin(added, urbis[["NAME_FRE", "geometry"]], predicate="within").groupby(
    "NAME_FRE").size()
strata_added = per_commune["added"].droplevel("name_nl")
strata_added = strata_added[strata_added > 0]
assert files_added.sort_index().to_dict() == strata_added.sort_index().to_dict()
print("checked: streets added per commune agree with the files")
