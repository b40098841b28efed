"""Shared fixtures: the real source data in ../shared/data and one full build per session."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

import alliances
from alliances.memory import release_memory
from alliances.sources import default_data_dirs, resolve_data_dir

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """$ALLIANCES_DATA or ../shared/data (never the fetch cache, whose files may be other releases)."""
    import os

    if os.environ.get("ALLIANCES_DATA"):
        return resolve_data_dir()
    for path in default_data_dirs():
        if path.is_dir():
            return path.resolve()
    pytest.fail(f"the real data are needed: none of {default_data_dirs()} exists and ALLIANCES_DATA is unset")


def pytest_collection_modifyitems(config, items):
    """Tests marked ``heavy`` (the longest, each over 5 s) run first: pytest-xdist then hands
    the short ones out last and the two workers finish together."""
    # within each group, tests that do not use the session's build first (a heavy one that builds
    # its own data runs lighter in a worker that has not built it yet); stable: file order otherwise
    items.sort(key=lambda item: (item.get_closest_marker("heavy") is None, "build_result" in item.fixturenames))


def pytest_runtest_teardown(item, nextitem):
    """After a heavy test, and when the next test is in another file (whose module fixtures
    are then dropped), the worker gives the freed memory back, so the next tests do not add
    to it."""
    if item.get_closest_marker("heavy") is not None or nextitem is None or nextitem.module is not item.module:
        release_memory()


@pytest.fixture(scope="session")
def build_result(data_dir):
    """The full undirected 1816-2022 build on the bundled data (about 4 s)."""
    release_memory()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the bundled files must all be known versions
        result = alliances.run(data_dir=data_dir)
    release_memory()
    return result


@pytest.fixture(scope="session")
def written(build_result, tmp_path_factory) -> dict:
    """The session's build written once (``write_build``'s paths), for tests that read files."""
    return alliances.write_build(build_result, tmp_path_factory.mktemp("ds"))


@pytest.fixture(scope="session")
def panel(build_result) -> pd.DataFrame:
    return build_result.panel


@pytest.fixture(scope="session")
def agreements(build_result) -> pd.DataFrame:
    return build_result.agreements


@pytest.fixture(scope="session")
def atop_members(data_dir) -> pd.DataFrame:
    return pd.read_csv(data_dir / "atop" / "atop-4.01-members.csv")


def dyad(frame: pd.DataFrame, a: int, b: int) -> pd.DataFrame:
    lo, hi = min(a, b), max(a, b)
    return frame[(frame["ccode1"] == lo) & (frame["ccode2"] == hi)].set_index("year")



def _raw(rel: str, **read_csv):
    """A session fixture reading one raw source file with plain pandas, for the tests' own
    hand computations (never through the package's loader)."""

    @pytest.fixture(scope="session")
    def read(data_dir) -> pd.DataFrame:
        return pd.read_csv(data_dir / rel, **read_csv)

    return read


td = _raw("threat/thompson-dreyer-rivalries.csv")
tss = _raw("threat/tss-rivalries.csv")
nmc = _raw("cow/nmc-7.0.csv")
majors = _raw("cow/majors-2016.csv")
capitals = _raw("cow/capitals.csv")
mindist = _raw("cow/min-distance-directed-dyad-years.csv.gz")
gml = _raw("conflict/gml-mid-2.2.1-directed-dyad-years.csv.gz", usecols=["dispnum", "ccode1", "ccode2", "year"])
dem = _raw("regime/democracy.csv")
