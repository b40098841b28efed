"""Geography: COW direct contiguity, capital-to-capital and minimum distance.

Sources: COW Direct Contiguity v3.2 (Stinnett et al. 2002); capitals with coordinates as
bundled by peacesciencer (Miller 2022); minimum distances between CShapes 2.0 polygons
(Schvitz et al. 2022), 1886-2019.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliances.column import Column
from alliances.dyads.context import CARRY_FORWARD, MISSING, BuildContext
from alliances.dyads.keys import (
    dyad_id,
    expand_years,
    lookup,
    positions,
    take,
    year_key,
)
from alliances.dyads.panel import with_columns
from alliances.errors import SourceError
from alliances.sources.registry import coverage, span

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius
CONT_EXT = f"carried forward: contiguity spells open at the end of coverage ({coverage('contiguity')[1]}) persist"

COLUMNS = [
    Column("conttype", "int8", "COW direct contiguity, closest type in force this year: 0 none, 1 land or "
           "river border, 2 separated by <= 12 miles of water, 3 <= 24 miles, 4 <= 150 miles, 5 <= 400 miles",
           unit="category", sources=("contiguity",), extension=CONT_EXT),
    Column("contig_land", "int8", "1 if conttype == 1 (land or river border)", sources=("contiguity",),
           extension=CONT_EXT),
    Column("capdist_km", "float64", "great-circle (haversine, Earth radius 6371.0088 km) distance between the "
           "capitals in force at the end of the year", unit="km", sources=("capitals",),
           extension=f"capitals in force at the end of coverage ({coverage('capitals')[1]}) carried forward; rows flagged "
                     "in extended_sources"),
    Column("log_capdist", "float64", "log(1 + capdist_km)", unit="log km", sources=("capitals",),
           extension="as capdist_km"),
    Column("mindist_km", "float64", "minimum distance between the two states' territories (CShapes 2.0), 0 where "
           "their CShapes borders touch (CShapes and COW contiguity differ in dates and definitions: 428 COW "
           "land-contiguous dyad-years have a positive distance); missing outside "
           f"{span('mindist')} and where CShapes has no "
           "polygon for a state-year (mostly a state's entry year)", unit="km", sources=("mindist",),
           extension="missing past coverage (rule missing)"),
]


def _years_of(date: pd.Series) -> np.ndarray:
    return pd.to_numeric(date.astype(str).str.slice(0, 4), errors="coerce").to_numpy()


def contiguity(ctx: BuildContext) -> pd.DataFrame:
    """Undirected (dyad_id, year, conttype) with the closest contiguity type in force."""
    src = ctx.source("contiguity")
    cov_end = ctx.extend("contiguity", CARRY_FORWARD, note="spells open at the end of coverage persist")
    c = src.frame
    c = c[c["ccode1"] < c["ccode2"]]  # the file is directed with both orders
    first = _years_of(c["stdate"])
    last = _years_of(c["enddate"])
    if np.isnan(first).any() or np.isnan(last).any():
        row = int(np.flatnonzero(np.isnan(first) | np.isnan(last))[0])
        raise SourceError(f"{src.path}: unreadable stdate/enddate on data row {row + 1} (expected yyyy-mm-dd)")
    last = np.where(last >= cov_end, max(cov_end, ctx.end), last)
    idx, years = expand_years(first.astype(int), last.astype(int))
    ct = c["conttype"].to_numpy()[idx]
    out = pd.DataFrame({
        "key": year_key(dyad_id(c["ccode1"].to_numpy()[idx], c["ccode2"].to_numpy()[idx]), years),
        # 0 (explicitly not contiguous) sorts after every real type.
        "conttype": np.where(ct > 0, ct, 99),
    })
    out = out.groupby("key")["conttype"].min()
    return out.where(out != 99, 0)


def capital_years(ctx: BuildContext) -> pd.DataFrame:
    """(ccode, year, lat, lng) of the capital in force at the end of each year."""
    cap = ctx.source("capitals").frame
    first, last = _years_of(cap["stdate"]), _years_of(cap["enddate"])
    # capitals in force at the end of the file's coverage stay the capitals after it (rule carry_forward)
    end = ctx.extend("capitals", CARRY_FORWARD, note="capitals in force at the end of coverage persist")
    last = np.where(last >= end, max(end, ctx.end), last)
    idx, years = expand_years(np.maximum(first, ctx.start).astype(int), np.minimum(last, ctx.end).astype(int))
    out = pd.DataFrame({
        "ccode": cap["ccode"].to_numpy()[idx], "year": years,
        "stdate": cap["stdate"].to_numpy()[idx],
        "lat": cap["lat"].to_numpy(dtype=float)[idx], "lng": cap["lng"].to_numpy(dtype=float)[idx],
    })
    out = out.sort_values(["ccode", "year", "stdate"])
    return out.drop_duplicates(["ccode", "year"], keep="last").reset_index(drop=True)


def haversine_km(lat1, lng1, lat2, lng2) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(np.asarray(lng2) - np.asarray(lng1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def capital_distance(ccode1, ccode2, year, caps: pd.DataFrame) -> np.ndarray:
    ckey = year_key(caps["ccode"], caps["year"])
    lat, lng = caps["lat"].to_numpy(), caps["lng"].to_numpy()
    k1, k2 = year_key(ccode1, year), year_key(ccode2, year)
    pos1, pos2 = positions(k1, ckey), positions(k2, ckey)
    return haversine_km(take(pos1, lat), take(pos1, lng), take(pos2, lat), take(pos2, lng))


def add_geography(panel: pd.DataFrame, ctx: BuildContext, caps: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add contiguity, capital distance and minimum distance (COW Direct Contiguity 3.2;
    capitals with coordinates; CShapes 2.0 minimum distances).

    Hard cases: the closest contiguity type of any spell touching the year wins, and spells open
    at the end of coverage are carried forward; the capital is the one in force at the end of the
    year (Russia 1918: Moscow); distances are great-circle (haversine, mean Earth radius
    6371.0088 km); CShapes distances are missing before 1886, after 2019 and where CShapes has
    no polygon for a state-year.
    """
    pkey = year_key(panel["dyad_id"], panel["year"])
    cont = contiguity(ctx)
    conttype = lookup(pkey, cont.index.to_numpy(), cont.to_numpy(), fill=0).astype(np.int8)
    caps = capital_years(ctx) if caps is None else caps
    dist = capital_distance(panel["ccode1"], panel["ccode2"], panel["year"], caps)
    md = ctx.source("mindist").frame
    ctx.extend("mindist", MISSING)
    a, b = np.minimum(md["ccode1"], md["ccode2"]), np.maximum(md["ccode1"], md["ccode2"])
    md = pd.DataFrame({"key": year_key(dyad_id(a, b), md["year"]), "mindist": md["mindist"].to_numpy(float)})
    md = md.groupby("key")["mindist"].min()
    return with_columns(panel, {
        "conttype": conttype,
        "contig_land": (conttype == 1).astype(np.int8),
        "capdist_km": dist,
        "log_capdist": np.log1p(dist),
        "mindist_km": lookup(pkey, md.index.to_numpy(), md.to_numpy()),
    })
