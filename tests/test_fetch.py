"""`alliances fetch` against a local HTTP server on 127.0.0.1 (no outside network), and the
official ATOP 5.1 member-level layout building a panel to its own coverage end."""

from __future__ import annotations

import csv
import io
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import alliances
import alliances.sources.fetch as fetch_module
from alliances.errors import SourceError, UsageError
from alliances.sources.fetch import Fetchable, fetch


def atop51_like(data_dir) -> bytes:
    """The bundled member file plus one synthetic agreement entering in 2018, so the file's
    own coverage (read from the data, as for an unknown release) runs to 2018."""
    text = (data_dir / "atop" / "atop-4.01-members.csv").read_text()
    header = next(csv.reader(io.StringIO(text)))
    row = dict.fromkeys(header, "0")
    row.update(atopid="99999", member="2", yrent="2018", moent="6", dayent="1", defense="1", version="5.1")
    rows = [row, dict(row, member="20")]
    extra = "".join(",".join(r[h] for h in header) + "\n" for r in rows)
    return (text if text.endswith("\n") else text + "\n").encode() + extra.encode()


class Server:
    """Serves ``routes`` (path -> bytes); '/broken' promises more bytes than it sends."""

    def __init__(self):
        self.routes: dict[str, bytes] = {}
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server API
                if self.path == "/broken":
                    self.send_response(200)
                    self.send_header("Content-Length", "1000000")
                    self.end_headers()
                    self.wfile.write(b"ccode,styear,endyear\n2,1898")
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    return
                body = routes.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture()
def server(data_dir):
    srv = Server()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("ATOP 5.1 (.csv)/atop5_1m.csv", atop51_like(data_dir))
    srv.routes["/atop.zip"] = buf.getvalue()
    srv.routes["/majors2016.csv"] = (data_dir / "cow" / "majors-2016.csv").read_bytes()
    yield srv
    srv.httpd.shutdown()


def registry(url):
    return {
        "atop_members": Fetchable("atop_members", f"{url}/atop.zip", "atop5_1m.csv", member="atop5_1m.csv",
                                  version="5.1"),
        "majors": Fetchable("majors", f"{url}/majors2016.csv", "majors2016.csv", version="2016"),
    }


def test_fetch_validates_records_and_refuses_a_changed_file(server, tmp_path):
    dest = tmp_path / "cache"
    records = fetch(dest=dest, progress=False, registry=registry(server.url))
    assert {r["source"] for r in records} == {"atop_members", "majors"}
    atop = next(r for r in records if r["source"] == "atop_members")
    assert atop["coverage"] == [1815, 2018] and not atop["hash_pinned"]
    assert (dest / "atop5_1m.csv").is_file() and (dest / "fetched.json").is_file()
    # the publisher's file changes: refused unless --update
    server.routes["/majors2016.csv"] = server.routes["/majors2016.csv"].replace(b"2016", b"2015", 1)
    with pytest.raises(SourceError, match=r"'majors' from .* changed.*--update"):
        fetch(["majors"], dest=dest, progress=False, registry=registry(server.url))
    fetch(["majors"], dest=dest, progress=False, registry=registry(server.url), update=True)


def test_interrupted_or_missing_download_leaves_nothing(server, tmp_path, monkeypatch):
    monkeypatch.setattr(fetch_module, "RETRIES", 0)  # no sleeping through pooch's retry back-off
    dest = tmp_path / "cache"
    reg = {"majors": Fetchable("majors", f"{server.url}/broken", "majors2016.csv")}
    with pytest.raises(SourceError, match="fetching 'majors' from .*/broken failed"):
        fetch(dest=dest, progress=False, registry=reg)
    assert [p.name for p in dest.iterdir()] == []
    reg = {"majors": Fetchable("majors", f"{server.url}/nowhere.csv", "majors2016.csv")}
    with pytest.raises(SourceError, match=r"fetching 'majors' from http://127.0.0.1:\d+/nowhere.csv failed"):
        fetch(dest=dest, progress=False, registry=reg)
    assert [p.name for p in dest.iterdir()] == []


def test_wrong_content_is_not_cached(server, tmp_path):
    server.routes["/majors2016.csv"] = b"a,b\n1,2\n"
    with pytest.raises(SourceError, match="missing column"):
        fetch(["majors"], dest=tmp_path, progress=False, registry=registry(server.url))
    assert not (tmp_path / "majors2016.csv").exists()


def test_unknown_source_key(tmp_path):
    with pytest.raises(UsageError, match="cannot fetch contiguty: not a source key; fetchable: atop_members"):
        fetch(["contiguty"], dest=tmp_path, progress=False)


def test_every_source_has_a_download_route():
    from alliances.sources import REGISTRY
    from alliances.sources.fetch import FETCHABLE

    assert set(FETCHABLE) == set(REGISTRY)
    for key, item in FETCHABLE.items():
        assert item.target in REGISTRY[key].names, key  # the builder finds what fetch writes


def test_r_data_files_are_converted_to_the_bundled_layout(server, tmp_path, data_dir):
    """peacesciencer's .rda files become the CSV layout the builder reads (dates as yyyy-mm-dd)."""
    pyreadr = pytest.importorskip("pyreadr")
    import pandas as pd

    bundled = pd.read_csv(data_dir / "cow" / "contiguity-3.2.csv")
    frame = bundled.assign(conttype=bundled["conttype"].astype(float))  # R stores numbers as doubles
    pyreadr.write_rdata(str(tmp_path / "cow_contdir.rda"), frame, df_name="cow_contdir")
    server.routes["/cow_contdir.rda"] = (tmp_path / "cow_contdir.rda").read_bytes()
    reg = {"contiguity": Fetchable("contiguity", f"{server.url}/cow_contdir.rda", "cow/contiguity-3.2.csv")}
    (rec,) = fetch(dest=tmp_path / "cache", progress=False, registry=reg)
    got = pd.read_csv(tmp_path / "cache" / "cow" / "contiguity-3.2.csv")
    pd.testing.assert_frame_equal(got, bundled)  # same values, integers stay integers
    assert rec["coverage"] == [1816, 2016]
    # pyreadr cannot write R Dates; what it reads back from peacesciencer's Date columns is datetime64
    from alliances.sources.fetch import bundled_layout

    dates = bundled_layout(pd.DataFrame({"d": pd.to_datetime(["1920-01-01", None]), "x": [1.0, None]}))
    assert dates["d"].tolist()[0] == "1920-01-01" and str(dates["x"].dtype) == "Int64"


def test_fetch_cache_comes_before_shared_data(server, tmp_path, monkeypatch, data_dir):
    """Lookup order without --data-dir or ALLIANCES_DATA: the fetch cache, then ../shared/data.
    An ATOP 5.1-layout file builds to its own coverage end (2018) with no code change."""
    cache = tmp_path / "cache"
    fetch(["atop_members"], dest=cache, progress=False, registry=registry(server.url))
    monkeypatch.delenv("ALLIANCES_DATA", raising=False)
    monkeypatch.setenv("ALLIANCES_CACHE", str(cache))
    monkeypatch.chdir(tmp_path)  # the default ../shared/data is then found beside the checkout
    with pytest.warns(UserWarning, match="unknown version of 'atop_members'"):
        built = alliances.run(start=2010, end=2022)
    inputs = {i["source"]: i for i in built.metadata["inputs"]}
    assert inputs["atop_members"]["file"] == "atop5_1m.csv" and inputs["atop_members"]["coverage"] == [1815, 2018]
    assert inputs["states"]["file"] == "states-2016.csv"  # not in the cache: from ../shared/data
    ext = built.panel.groupby("year")["extended_sources"].first().astype(str)
    assert "atop_members" not in ext.loc[2018] and "atop_members" in ext.loc[2019]
    us_can = built.panel[(built.panel["ccode1"] == 2) & (built.panel["ccode2"] == 20)].set_index("year")
    assert 99999 in list(us_can.loc[2018, "atopids"]) and us_can.loc[2018, "alliance_new"] == 1
    assert built.metadata["extensions"]["atop_members"]["coverage_end"] == 2018


def test_damaged_ledger_and_ambiguous_archive(server, tmp_path, data_dir):
    dest = tmp_path / "cache"
    dest.mkdir()
    (dest / "fetched.json").write_text("[]")
    with pytest.raises(SourceError, match="fetched.json: the record of fetched files is damaged"):
        fetch(["majors"], dest=dest, progress=False, registry=registry(server.url))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for folder in ("old", "new"):
            z.writestr(f"{folder}/atop5_1m.csv", atop51_like(data_dir))
    server.routes["/atop.zip"] = buf.getvalue()
    with pytest.raises(SourceError, match="archive has 2 files named atop5_1m.csv"):
        fetch(["atop_members"], dest=tmp_path / "c2", progress=False, registry=registry(server.url))


def test_validation_errors_name_the_url(server, tmp_path):
    server.routes["/majors2016.csv"] = b"<html>blocked</html>\n"
    with pytest.raises(SourceError, match=r"fetched for 'majors' from http://127.0.0.1:\d+/majors2016.csv is not "
                                          r"usable: majors2016.csv: not a valid 'majors' file"):
        fetch(["majors"], dest=tmp_path, progress=False, registry=registry(server.url))


def test_fetch_a_folder_source_and_a_stata_file(server, tmp_path, data_dir):
    """SIPRI's export tables come one file each into one folder, and are replaced whole on --update;
    the UN ideal points are a Stata file. Both are checked by the builder's readers before caching."""
    from alliances.sources import REGISTRY

    folder = data_dir / "arms" / "sipri-tiv-1950-2021"
    names = tuple(p.name for p in sorted(folder.glob("TIV-Export-*.csv")))
    for name in names:
        server.routes[f"/sipri/{name}"] = (folder / name).read_bytes()
    server.routes["/unga.dta"] = (data_dir / "unga" / "idealpoints-2025-07.dta").read_bytes()
    reg = {"sipri": Fetchable("sipri", f"{server.url}/sipri/{{file}}", "arms/sipri-tiv-1950-2021", files=names),
           "unga": Fetchable("unga", f"{server.url}/unga.dta", "unga/idealpoints-2025-07.dta")}
    dest = tmp_path / "cache"
    records = {r["source"]: r for r in fetch(dest=dest, progress=False, registry=reg)}
    assert records["sipri"]["version"] == REGISTRY["sipri"].versions[-1].version  # the bundled release, by its digest
    assert records["sipri"]["sha256"] == REGISTRY["sipri"].versions[-1].sha256
    assert records["unga"]["sha256"] == REGISTRY["unga"].versions[-1].sha256
    assert sorted(p.name for p in (dest / "arms" / "sipri-tiv-1950-2021").iterdir()) == sorted(names)
    # a changed table is refused, then accepted with --update, replacing the folder whole
    server.routes[f"/sipri/{names[0]}"] = server.routes[f"/sipri/{names[0]}"].replace(b"2021,Total", b"2021,TOTAL")
    with pytest.raises(SourceError, match="'sipri' from .* changed"):
        fetch(["sipri"], dest=dest, progress=False, registry=reg)
    fetch(["sipri"], dest=dest, progress=False, registry=reg, update=True)
    assert b"TOTAL" in (dest / "arms" / "sipri-tiv-1950-2021" / names[0]).read_bytes()
    assert not [p for p in dest.iterdir() if p.name.startswith(".fetch-")]
