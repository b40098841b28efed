"""Fast vectorized lookups by (dyad, year) and (state, year) integer keys.

Joins on a 1-million-row panel are done by encoding keys as int64 and using a pandas
Index's ``get_indexer``, which is several times faster than ``DataFrame.merge`` and keeps
the panel's row order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alliances.errors import PanelError

#: :func:`year_key` = code * YEAR_BASE + year, so ``key // YEAR_BASE`` is the code again
YEAR_BASE = 10_000


def year_key(code: np.ndarray | pd.Series, year: np.ndarray | pd.Series) -> np.ndarray:
    """int64 key ``code * 10000 + year`` (code is a ccode or a dyad_id)."""
    return np.asarray(code, dtype=np.int64) * YEAR_BASE + np.asarray(year, dtype=np.int64)


def dyad_id(ccode1, ccode2) -> np.ndarray:
    """int64 dyad key ``ccode1 * 1000 + ccode2`` (the panel's ``dyad_id``; COW codes are < 1000)."""
    return np.asarray(ccode1, dtype=np.int64) * 1000 + np.asarray(ccode2, dtype=np.int64)


def undirected_dyad_id(a, b) -> np.ndarray:
    """:func:`dyad_id` of the pair in either order (lower code first)."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    return dyad_id(np.minimum(a, b), np.maximum(a, b))


def positions(target_keys: np.ndarray, source_keys: np.ndarray) -> np.ndarray:
    """Row of ``source_keys`` holding each target key, -1 where absent (one hash join).

    ``source_keys`` must be unique (the caller aggregates first). Compute it once per
    (target, source) pair and :func:`take` every column of the source through it.
    """
    index = pd.Index(source_keys)
    if not index.is_unique:
        raise PanelError("lookup needs unique source keys; aggregate first")
    return index.get_indexer(target_keys)


def member(target_keys: np.ndarray, source_keys: np.ndarray) -> np.ndarray:
    """Whether each target key is among ``source_keys``, by hashing the source (numpy's
    ``isin`` sorts both arrays, which is an order of magnitude slower on a million keys)."""
    return pd.Series(target_keys, copy=False).isin(source_keys).to_numpy()


def take(pos: np.ndarray, values: np.ndarray | pd.Series, fill=np.nan) -> np.ndarray:
    """``values`` at ``pos`` (from :func:`positions`); ``fill`` where ``pos`` is -1.

    Integer values keep their dtype with an integer ``fill``; otherwise the result is float64
    (numbers) or object. ``fill`` is appended to the values, so that position -1 picks it:
    one gather, no masks.
    """
    vals = np.asarray(values)
    if vals.dtype.kind in "biu" and not (isinstance(fill, float) and np.isnan(fill)):
        dtype = vals.dtype
    else:
        dtype = np.float64 if vals.dtype.kind in "biuf" else object
    extended = np.empty(len(vals) + 1, dtype=dtype)
    extended[:-1] = vals
    extended[-1] = fill
    return extended[pos]


def lookup(target_keys: np.ndarray, source_keys: np.ndarray, values: np.ndarray | pd.Series, fill=np.nan):
    """Values of ``source`` at ``target_keys``; ``fill`` where a key is absent (one column:
    several columns of one source go through :func:`positions` once and :func:`take` each)."""
    return take(positions(target_keys, source_keys), values, fill)


def expand_years(first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For spells ``first..last`` (inclusive) return (row index, year) of every covered year."""
    first = np.asarray(first, dtype=np.int64)
    last = np.asarray(last, dtype=np.int64)
    n = np.clip(last - first + 1, 0, None)
    idx = np.repeat(np.arange(len(first)), n)
    offsets = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    return idx, first[idx] + offsets
