"""Engine comparison for the two costly parts of a build: keyed joins and Parquet writing.

Usage: python benchmarks/engines.py [--repeat 3]

Part A joins the COW NMC state-year table (8 numeric columns) onto both sides of the
1,069,635-row dyad-year panel, keeping the panel's row order: pandas + numpy as the package
does it (``keys.positions``: one hash join per side, then a take per column), pandas
``merge``, Polars and DuckDB (conversions included). Part B writes the built
``dyad_years`` table with pyarrow (the package), Polars and DuckDB (both multi-threaded) and
checks what each keeps: the Arrow field metadata (column descriptions), the file-level
key-value metadata (codebook and build) and the column types.

Rule: an engine replaces pandas + pyarrow only if it wins clearly (> 1.5x) and keeps the
output identical, metadata included. Polars and DuckDB are not dependencies of the package;
an engine that is not installed is skipped and said so.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import tempfile
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

NMC_COLUMNS = ["cinc", "milex", "milper", "irst", "pec", "tpop", "upop"]


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def joins(panel: pd.DataFrame, nmc: pd.DataFrame, repeat: int) -> None:
    from alliances.dyads.keys import positions, take, year_key

    keys = panel[["ccode1", "ccode2", "year"]]
    cols = [c for c in NMC_COLUMNS if c in nmc.columns]
    nmc = nmc[["ccode", "year", *cols]].astype({c: float for c in cols})

    def ours():
        nkey = year_key(nmc["ccode"], nmc["year"])
        out = {}
        for side in ("1", "2"):
            pos = positions(year_key(keys[f"ccode{side}"], keys["year"]), nkey)
            for c in cols:
                out[f"{c}{side}"] = take(pos, nmc[c].to_numpy())
        return pd.DataFrame(out)

    def merge():
        out = keys
        for side in ("1", "2"):
            right = nmc.rename(columns={"ccode": f"ccode{side}", **{c: f"{c}{side}" for c in cols}})
            out = out.merge(right, on=[f"ccode{side}", "year"], how="left", sort=False)
        return out[[f"{c}{s}" for s in ("1", "2") for c in cols]]

    results = {}
    t, ref = best(ours, repeat)
    results["pandas + numpy (package)"] = (t, ref)
    results["pandas merge"] = best(merge, repeat)
    if importlib.util.find_spec("polars"):
        import polars as pl

        def polars_join():
            left = pl.from_pandas(keys).with_row_index("row")
            right = pl.from_pandas(nmc)
            for side in ("1", "2"):
                r = right.rename({"ccode": f"ccode{side}", **{c: f"{c}{side}" for c in cols}})
                left = left.join(r, on=[f"ccode{side}", "year"], how="left")
            return left.sort("row").select([f"{c}{s}" for s in ("1", "2") for c in cols]).to_pandas()
        results["polars (with conversions)"] = best(polars_join, repeat)
    else:
        print("polars: not installed, skipped")
    if importlib.util.find_spec("duckdb"):
        import duckdb

        def duck():
            con = duckdb.connect()
            con.execute("PRAGMA threads=2")
            con.register("k", keys.assign(row=np.arange(len(keys))))
            con.register("n", nmc)
            sel = ", ".join(f"a.{c} AS {c}1" for c in cols) + ", " + ", ".join(f"b.{c} AS {c}2" for c in cols)
            out = con.execute(f"SELECT {sel} FROM k LEFT JOIN n a ON a.ccode = k.ccode1 AND a.year = k.year "
                              "LEFT JOIN n b ON b.ccode = k.ccode2 AND b.year = k.year ORDER BY k.row").df()
            con.close()
            return out
        results["duckdb (with conversions)"] = best(duck, repeat)
    else:
        print("duckdb: not installed, skipped")
    base = results["pandas + numpy (package)"][0]
    for name, (t, out) in results.items():
        same = np.allclose(out.to_numpy(dtype=float), ref.to_numpy(dtype=float), equal_nan=True, rtol=0, atol=0)
        print(f"A  {name:30s} {t:6.3f} s  ({t / base:4.1f}x the package)  values identical: {same}")


def writes(table: pa.Table, repeat: int) -> None:
    want_kv = {b"alliances.codebook", b"alliances.build"}

    def check(path: str) -> str:
        schema = pq.read_schema(path)
        field_meta = bool((schema.field("cap_ratio").metadata or {}).get(b"description"))
        kv = want_kv <= set((schema.metadata or {}).keys())
        differ = [f.name for f, g in zip(table.schema, schema) if f.type != g.type]
        return (f"field descriptions kept: {field_meta}; codebook/build metadata kept: {kv}; "
                f"{len(differ)} column type(s) differ{(' (' + ', '.join(differ[:4]) + ')') if differ else ''}")

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "p.parquet")
        rows = []
        t, _ = best(lambda: pq.write_table(table, path, compression="zstd", row_group_size=1 << 20,
                                           write_page_checksum=True), repeat)
        rows.append(("pyarrow (package)", t, os.path.getsize(path), check(path)))
        # the writer's own options: the time is in encoding every column, on one core
        floats = [f.name for f in table.schema if pa.types.is_floating(f.type)]
        for label, opts in (("pyarrow, no page checksums", {"compression": "zstd", "write_page_checksum": False}),
                            ("pyarrow, no dictionaries on floats", {"compression": "zstd", "use_dictionary": [
                                f.name for f in table.schema if f.name not in floats]}),
                            ("pyarrow, lz4", {"compression": "lz4"}),
                            ("pyarrow, uncompressed, no dictionaries", {"compression": "none", "use_dictionary": False})):
            t, _ = best(lambda o=opts: pq.write_table(table, path, row_group_size=1 << 20, **o), repeat)
            rows.append((label, t, os.path.getsize(path), check(path)))
        if importlib.util.find_spec("polars"):
            import polars as pl

            frame = pl.from_arrow(table)
            meta = {k.decode(): v.decode() for k, v in table.schema.metadata.items()}
            try:
                t, _ = best(lambda: frame.write_parquet(path, compression="zstd", row_group_size=1 << 20,
                                                        metadata=meta), repeat)
                rows.append(("polars", t, os.path.getsize(path), check(path)))
            except Exception as exc:  # noqa: BLE001 - reported, not fatal
                rows.append(("polars", float("nan"), 0, f"failed: {type(exc).__name__}: {exc}"))
        if importlib.util.find_spec("duckdb"):
            import duckdb

            con = duckdb.connect()
            con.execute("PRAGMA threads=2")
            con.register("tab", table)
            kv = ", ".join(f"'{k.decode()}': 'x'" for k in want_kv)  # values elided: the test is whether keys survive
            t, _ = best(lambda: con.execute(f"COPY (SELECT * FROM tab) TO '{path}' (FORMAT parquet, COMPRESSION zstd, "
                                            f"ROW_GROUP_SIZE 1048576, KV_METADATA {{{kv}}})"), repeat)
            rows.append(("duckdb", t, os.path.getsize(path), check(path)))
            con.close()
    base = rows[0][1]
    for name, t, size, note in rows:
        print(f"B  {name:30s} {t:6.3f} s  ({t / base:4.1f}x)  {size / 1e6:5.0f} MB  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import alliances
    from alliances.codebook import dyad_year_columns
    from alliances.sources import load
    from alliances.store import _table

    result = alliances.run()
    joins(result.panel, load("nmc").frame, args.repeat)
    writes(_table(result.panel, dyad_year_columns(), "dyad_years", result.metadata), args.repeat)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
