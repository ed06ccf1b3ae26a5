# SPDX-License-Identifier: EUPL-1.2
"""Urban planning permits in the shape of NOVA's public WFS, GENERATED (seeded): no real NOVA
extract is at hand. They sit on real streets (the shipped street editions), in real communes
(2021 edition), with the postcode of the nearest real CurieuzenAir point; one in ten names a
street far from where it lies, so that the name check has something to catch."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.catalogue import SHIPPED_DATA as DATA
from layers.parsers import bilingual

CASE_TYPES = ("PU", "PFD", "PFU", "CU", "PL")
STATUSES = ("En cours", "Délivré", "Refusé", "Abandonné")
OBJECTS = (("Transformer une maison unifamiliale", "Een eengezinswoning verbouwen"),
           ("Construire un immeuble de logements", "Een appartementsgebouw bouwen"),
           ("Changer l'affectation d'un commerce", "De bestemming van een winkel wijzigen"),
           ("Abattre un arbre", "Een boom vellen"))
WRONG_NAME_EVERY = 10


def generate(n: int, seed: int = 1311) -> gpd.GeoDataFrame:
    """``n`` permits in Lambert 72 with NOVA's field names; ``named_right`` tells (for the
    tests, not part of the shape) whether the address names the street the permit lies on."""
    rng = np.random.default_rng(seed)
    streets = gpd.read_file(DATA / "streets/ways_2021-04-12.geojson").to_crs(31370)
    streets = streets[streets["name"].notna() & (streets.geometry.length > 40)]
    communes = gpd.read_file(DATA / "municipalities/urbadm_municipality_2021.gpkg",
                             layer="municipality").to_crs(31370)
    zips = gpd.read_file(DATA / "air_quality/curieuzenair_no2_points.geojson").to_crs(31370)
    picked = streets.iloc[rng.choice(len(streets), n, replace=False)].reset_index(drop=True)
    line = shapely.line_merge(picked.geometry.values)
    line = np.array([g.geoms[0] if g.geom_type == "MultiLineString" else g for g in line])
    along = shapely.line_interpolate_point(line, rng.uniform(0.3, 0.7, n), normalized=True)
    points = shapely.points(shapely.get_x(along) + rng.uniform(-3, 3, n),
                            shapely.get_y(along) + rng.uniform(-3, 3, n))
    parcels = rng.random(n) < 0.15
    geoms = np.where(parcels, shapely.buffer(points, 6, cap_style="square"), points)
    geoms = shapely.set_precision(geoms, 0.001)  # millimetres, as a WFS writes them
    names = picked["name"].to_numpy(dtype=object).copy()
    wrong = np.arange(n) % WRONG_NAME_EVERY == 3
    names[wrong] = np.roll(names, n // 2)[wrong]  # another street's name, across the city
    frame = gpd.GeoDataFrame({"named": names}, geometry=geoms, crs=31370)
    where = gpd.sjoin(gpd.GeoDataFrame(geometry=points, crs=31370),
                      communes[["NAME_FRE", "NAME_DUT", "geometry"]], how="left")
    where = where[~where.index.duplicated()]
    near = gpd.sjoin_nearest(gpd.GeoDataFrame(geometry=points, crs=31370),
                             zips[["zip", "geometry"]])
    near = near[~near.index.duplicated()]
    submitted = pd.Timestamp("2016-01-04") + pd.to_timedelta(rng.integers(0, 3200, n), "D")
    decided = submitted + pd.to_timedelta(rng.integers(60, 400, n), "D")
    undecided = rng.random(n) < 0.25
    objects = rng.integers(0, len(OBJECTS), n)
    communes_code = rng.integers(1, 20, n)
    name_text = pd.Series(names, dtype="string")
    out = gpd.GeoDataFrame({
        "s_iddossier": np.arange(1, n + 1) + 500_000,
        "refnova": [f"{c:02d}/{CASE_TYPES[i % 5]}/{1_700_000 + i}"
                    for i, c in enumerate(communes_code)],
        "typedossier": [CASE_TYPES[i % 5] for i in range(n)],
        "statutpermis": np.where(undecided, "En cours",
                                 rng.choice(STATUSES[1:], n)).astype(object),
        "object_fr": [OBJECTS[k][0] for k in objects],
        "object_nl": [OBJECTS[k][1] for k in objects],
        "streetnamefr": bilingual(name_text, 0).to_numpy(dtype=object),
        "streetnamenl": bilingual(name_text, 1).to_numpy(dtype=object),
        "numberpartfrom": rng.integers(1, 250, n).astype(str),
        "numberpartto": None,
        "zipcode": near["zip"].astype(int).astype(str).to_numpy(),
        "municipalityfr": where["NAME_FRE"].to_numpy(dtype=object),
        "municipalitynl": where["NAME_DUT"].to_numpy(dtype=object),
        "datedepot": [f"{d:%Y-%m-%d}Z" for d in submitted],
        "dateardosscomplet": [f"{d + pd.Timedelta(days=30):%Y-%m-%d}Z" for d in submitted],
        "datedebutmpp": None,
        "datefinmpp": None,
        "datenotifdecision": [None if u else f"{d:%Y-%m-%d}Z"
                              for u, d in zip(undecided, decided, strict=True)],
        "named_right": ~wrong,
    }, geometry=frame.geometry.values, crs=31370)
    return out


def write_wfs_geojson(frame: gpd.GeoDataFrame, path: Path) -> Path:
    """A GetFeature answer as a WFS server's GeoJSON output writes it (ids
    ``typename.n``, a ``crs`` member in Lambert 72)."""
    data = json.loads(frame.drop(columns="named_right").to_json(drop_id=True))
    for i, f in enumerate(data["features"]):
        f["id"] = f"nova_urban_permit.{frame['s_iddossier'].iloc[i]}"
        f["geometry_name"] = "geometry"
    data.update({"totalFeatures": len(frame), "numberMatched": len(frame),
                 "numberReturned": len(frame),
                 "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::31370"}}})
    path.write_text(json.dumps(data), encoding="utf-8")
    return path
