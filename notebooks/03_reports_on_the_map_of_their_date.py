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
# # Reports on the map of their own date
#
# Citizens report potholes, litter and broken lights through Open311 (Fix My Street's
# categories). Counting them per commune or district over several years raises a question
# that is easy to get wrong: **which boundaries?** A report of 2016 belongs to the commune
# that held its place in 2016, not to today's.
#
# The reports below are **synthetic**: about three hundred points drawn at random with a seed,
# inside the region, dated over 2014-2026, a tenth of them on ground that changed commune in
# 2021. They are posted through Strata's Open311 API (a key from `strata apikey create`,
# given in `STRATA_API_KEY`).

# %%
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import geopandas as gpd
import httpx
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import shapely

STRATA = os.environ.get("STRATA_URL", "http://localhost:5000")
DATA = Path(os.environ.get("STRATA_DATA", "../data/brussels"))
API_KEY = os.environ.get("STRATA_API_KEY")
assert API_KEY, "make a key with `strata apikey create notebooks` and put it in STRATA_API_KEY"


def items(collection: str, **params) -> gpd.GeoDataFrame:
    """Every feature of a collection (following the next links), in Lambert 72."""
    url, pages = f"{STRATA}/collections/{collection}/items", []
    params = {"limit": 10000, "f": "json", **params}
    while url:
        page = httpx.get(url, params=params, timeout=120).json()
        pages += page["features"]
        url, params = next((lk["href"] for lk in page["links"] if lk["rel"] == "next"), None), {}
    return gpd.GeoDataFrame.from_features(pages, crs=4326).to_crs(31370)


region = items("region")
c2016, c2022 = items("municipalities", datetime="2016-01-01"), items(
    "municipalities", datetime="2022-01-01")
districts = items("districts")
print(len(c2016), "communes in 2016,", len(c2022), "in 2022,", len(districts), "districts")

# %% [markdown]
# ## Seeding the reports
#
# 270 points uniformly over the region, and 30 on the ground that changed commune between the
# 2015 and 2021 editions of UrbIS (the pieces of more than 2,000 m²).

# %%
rng = np.random.default_rng(13)
outline = region.geometry.iloc[0]
x0, y0, x1, y1 = outline.bounds


def inside(shape, n: int) -> list:
    """n seeded points inside a shape."""
    bx0, by0, bx1, by1 = shape.bounds
    out = []
    while len(out) < n:
        p = shapely.Point(rng.uniform(bx0, bx1), rng.uniform(by0, by1))
        if shape.contains(p):
            out.append(p)
    return out


pieces = gpd.overlay(c2016[["municipality_id", "geometry"]],
                     c2022[["municipality_id", "geometry"]], how="intersection",
                     keep_geom_type=True)
moved = pieces[(pieces["municipality_id_1"] != pieces["municipality_id_2"])
               & (pieces.area > 2000)]
points = inside(outline, 270) + inside(moved.geometry.buffer(-1).union_all(), 30)
n = len(points)
days = rng.integers(0, int((pd.Timestamp("2026-10-31") - pd.Timestamp("2014-01-01")).days), n)
reports = gpd.GeoDataFrame({
    "ref": np.arange(n),
    "date": (pd.Timestamp("2014-01-01") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d"),
    "service_code": rng.choice([1, 2, 3, 4, 5, 6], n),
}, geometry=points, crs=31370)
lonlat = reports.to_crs(4326)
reports.head()

# %% [markdown]
# ## Posting them through Open311
#
# `POST /open311/v2/requests.json` geolocates, routes and stores each report, and answers its
# id. Open311 GeoReport v2 has no field for a report's date: the service stamps each report
# with the time it receives it. Our synthetic dates travel with our own copy of the records.

# %%
def post(i: int) -> str:
    g = lonlat.geometry.iloc[i]
    r = httpx.post(f"{STRATA}/open311/v2/requests.json", timeout=60, data={
        "api_key": API_KEY, "service_code": str(reports["service_code"].iloc[i]),
        "lat": f"{g.y:.7f}", "long": f"{g.x:.7f}",
        "description": f"synthetic report {i}, dated {reports['date'].iloc[i]} (seeded)"})
    assert r.status_code == 201, r.text
    return r.json()[0]["service_request_id"]


with ThreadPoolExecutor(4) as pool:
    reports["request_id"] = list(pool.map(post, range(n)))
print(n, "synthetic reports posted, ids", reports["request_id"].iloc[0], "...",
      reports["request_id"].iloc[-1])

# %% [markdown]
# The stored reports are a read-only collection, `incidents`, with the district each was
# placed in.

# %%
stored = items("incidents", properties="id,district_id,municipality_id,status")
stored = stored[stored["id"].astype(str).isin(set(reports["request_id"]))]
stored = stored.set_index(stored["id"].astype(str))
print(len(stored), "of our reports are in the collection; statuses:",
      stored["status"].value_counts().to_dict())

# %% [markdown]
# ## Each report on the map of its own date
#
# The `link` process ties each record to the commune and district of **its own date**. We send
# our reports with their synthetic dates, then once more all dated today, to see what today's
# boundaries would say.

# %%
def link(date_field=None, date=None) -> pd.DataFrame:
    inputs = {"features": lonlat[["ref", "date", "geometry"]].__geo_interface__,
              "to": ["municipalities", "districts"]}
    inputs |= {"date_field": date_field} if date_field else {"date": date}
    r = httpx.post(f"{STRATA}/processes/link/execution", json={"inputs": inputs}, timeout=300)
    assert r.status_code == 200, r.text
    return pd.DataFrame([f["properties"] for f in r.json()["features"]]).set_index("ref")


own = link(date_field="date")
today = link(date=pd.Timestamp.now().strftime("%Y-%m-%d"))
own["month"] = own["date"].str[:7]
per_district_month = own.groupby(["districts_id", "month"]).size().rename("reports")
print(per_district_month.groupby(level=0).sum().sort_values(ascending=False).head())
per_district_month.head()

# %%
monthly = own.assign(month=pd.PeriodIndex(own["month"], freq="M")).groupby(
    ["month", "municipalities_name_fr"]).size().unstack(fill_value=0)
per_year = monthly.groupby(monthly.index.year).sum()
totals = districts.set_index("district_id").join(
    own.groupby("districts_id").size().rename("reports"))
fig, (ax, bars) = plt.subplots(1, 2, figsize=(15, 6.5), width_ratios=[1, 1.2])
totals.plot(ax=ax, column="reports", cmap="Blues", legend=True, missing_kwds={"color": "#eee"},
            legend_kwds={"label": "synthetic reports, 2014-2026", "shrink": 0.6},
            edgecolor="white", linewidth=0.3)
c2022.boundary.plot(ax=ax, color="#444444", linewidth=0.7)
ax.set_title("Reports per district / meldingen per wijk")
ax.set_axis_off()
per_year.plot.bar(ax=bars, stacked=True, colormap="tab20", legend=False)
bars.set_title("Reports per year, by commune of their date / per gemeente van hun datum")
bars.legend(fontsize=6, ncol=2, loc="upper left")
plt.tight_layout()

# %% [markdown]
# ## What today's boundaries would get wrong
#
# Districts have a single edition (2017), so both maps agree on them. Communes changed in
# 2021: reports made before 5 February 2021 on ground that moved would be counted in the wrong
# commune with today's boundaries.

# %%
wrong = own[own["municipalities_id"] != today["municipalities_id"]]
print(len(wrong), "of", n, "reports would be counted in another commune with today's map")
pd.DataFrame({"date": wrong["date"],
              "commune then": wrong["municipalities_name_fr"],
              "commune today": today.loc[wrong.index, "municipalities_name_fr"]}).head(12)

# %% [markdown]
# ## Checked against the source files
#
# With geopandas on the files in `data/brussels/`: the district of each stored report; the
# commune of each report on its date (the 2015 surfaces, whose commune is their id rounded
# down to the hundred, before 5 February 2021; the 2021 communes after), and on today's map.

# %%
md = gpd.read_file(DATA / "districts/monitoring_districts_2017_2019.gpkg")
posted = reports.set_index("request_id")
want_md = gpd.sjoin(posted, md[["md_id", "geometry"]], predicate="intersects")
want_md = want_md[~want_md.index.duplicated()]["md_id"]
assert len(stored) == n
assert (stored["district_id"] == want_md.reindex(stored.index)).all()

surfaces = gpd.read_file(DATA / "municipalities/fms_municipality_2015.gpkg",
                         layer="municipality_surface")
surfaces["mid"] = surfaces["urbis_id"].astype(int) // 100 * 100
urbis = gpd.read_file(DATA / "municipalities/urbadm_municipality_2021.gpkg").set_crs(
    31370, allow_override=True)
urbis["mid"] = urbis["ID"].astype(int)


def commune(frame: gpd.GeoDataFrame, communes: gpd.GeoDataFrame) -> pd.Series:
    j = gpd.sjoin(frame, communes[["mid", "geometry"]], predicate="intersects")
    return j.reset_index().sort_values(["ref", "mid"]).drop_duplicates("ref").set_index(
        "ref")["mid"]


by_ref = reports.set_index("ref")
early = pd.to_datetime(by_ref["date"]) < pd.Timestamp("2021-02-05")
then = pd.concat([commune(by_ref[early], surfaces), commune(by_ref[~early], urbis)])
now = commune(by_ref, urbis)
assert (own["municipalities_id"].astype(int) == then.reindex(own.index)).all()
assert set(wrong.index) == set(then.index[then != now.reindex(then.index)])
assert len(wrong) > 0
placed = gpd.sjoin(by_ref, md[["md_id", "geometry"]], predicate="intersects")
want_counts = by_ref.assign(md_id=placed[~placed.index.duplicated()]["md_id"])
want_counts = want_counts.groupby(["md_id", want_counts["date"].str[:7]]).size()
assert per_district_month.to_dict() == want_counts.to_dict()
print(f"checked: {len(stored)} stored districts, {len(own)} communes of their date, "
      f"{len(wrong)} that today's map gets wrong, {len(per_district_month)} district-months")
