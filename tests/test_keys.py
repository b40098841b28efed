"""Keyed lookups of the build (alliances.dyads.keys) against plain pandas joins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alliances.dyads.keys import lookup, member, positions, take, year_key
from alliances.errors import PanelError

rng = np.random.default_rng(5)
TARGET = year_key(rng.integers(2, 990, 5000), rng.integers(1816, 2023, 5000))
SOURCE = np.unique(year_key(rng.integers(2, 990, 3000), rng.integers(1816, 2023, 3000)))


def test_lookup_equals_a_left_merge():
    values = rng.normal(size=len(SOURCE))
    merged = pd.DataFrame({"key": TARGET}).merge(pd.DataFrame({"key": SOURCE, "v": values}), on="key", how="left")
    np.testing.assert_array_equal(lookup(TARGET, SOURCE, values), merged["v"].to_numpy())
    assert np.isnan(lookup(TARGET, SOURCE, values)).any()  # some keys are absent, and they come out missing


@pytest.mark.parametrize("values, fill, dtype", [
    (np.arange(len(SOURCE), dtype=np.int16), 0, np.int16),  # integers keep their type with an integer fill
    (np.arange(len(SOURCE), dtype=np.int16), np.nan, np.float64),  # missing makes them float
    (np.ones(len(SOURCE), dtype=bool), 0, bool),
    (np.array([f"s{i}" for i in range(len(SOURCE))], dtype=object), None, object),
])
def test_take_fills_absent_keys(values, fill, dtype):
    pos = positions(TARGET, SOURCE)
    got = take(pos, values, fill)
    assert got.dtype == dtype and len(got) == len(TARGET)
    found = pos >= 0
    assert list(got[found]) == list(values[pos[found]])
    absent = got[~found]
    assert len(absent) and all((a is fill) or (a == fill) or (a != a and fill != fill) for a in absent)


def test_member_equals_numpy_isin():
    np.testing.assert_array_equal(member(TARGET, SOURCE), np.isin(TARGET, SOURCE))
    assert member(TARGET, SOURCE).any() and not member(TARGET, SOURCE).all()


def test_positions_refuse_duplicate_source_keys():
    with pytest.raises(PanelError, match="unique source keys"):
        positions(TARGET, np.r_[SOURCE, SOURCE[:1]])
