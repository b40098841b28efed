"""Similarity of two states' alliance portfolios: Signorino-Ritter S, Cohen's kappa, Kendall's tau-b.

Coding (the package's ``tie`` category codes, ``alliances.outcomes.ties.LEVELS``): the valued tie
between two states in a year is the highest obligation in force between them,

    0 = none          no agreement
    1 = coordination  non-aggression or neutrality pact only
    2 = alignment     consultation pact (no defense or offense obligation)
    3 = alliance      defense or offense pact

State *i*'s portfolio in year *t* is its row of the n x n matrix of these levels among the
states that are system members in *t* (a missing dyad-year is level 0). A state's tie with
itself is 3: a state is allied with itself (Bueno de Mesquita 1975; Signorino and Ritter
1999, whose Table 6 portfolios give Germany a 3 for Germany and Russia a 3 for Russia).
Each measure compares the portfolios of *i* and *j* over the same reference system of
*n* states (both *i* and *j* included). All four are unitless and lie in [-1, 1].

``s_unweighted``, ``s_weighted``
    Signorino, Curtis S. and Jeffrey M. Ritter (1999), "Tau-b or Not Tau-b: Measuring the
    Similarity of Foreign Policy Positions", *International Studies Quarterly* 43(1):
    115-144. With absolute distances, as in their paper::

        S = 1 - 2 * sum_k w_k |x_ik - x_jk| / (Delta * sum_k w_k),   Delta = 3

    ``Delta`` is the largest possible distance on the 0-3 scale, fixed at 3 whichever
    levels occur. Unweighted: ``w_k = 1``. Weighted: ``w_k`` = state *k*'s share of
    capabilities (CINC) in that year; the weights need not sum to one (the denominator
    normalizes them). A missing (NaN) weight counts as 0, i.e. that state's ties do not
    enter the weighted S; if every weight in the reference system is 0 the weighted S is
    NaN.

``kappa``
    Cohen's (1960, 1968) chance-corrected agreement as Häge, Frank M. (2011), "Choice or
    Circumstance? Adjusting Measures of Foreign Policy Similarity for Chance Agreement",
    *Political Analysis* 19(3): 287-305, applies it to foreign-policy portfolios::

        kappa = 1 - D_o / D_e
        D_o = (1/n) sum_k d(x_ik, x_jk)
        D_e = sum_a sum_b p_i(a) p_j(b) d(a, b)

    where ``p_i(a)`` is the share of *i*'s n ties at level *a* (each state's own marginal
    distribution: Cohen, not Scott's pooled one) and ``d`` is the **squared** distance
    ``(a - b)**2``. Squared distances are what Häge's published alliance data use for the
    valued kappa (``kappava``: "Kappa (squared distances, valued alliance data)", codebook
    as redistributed in peacesciencer's ``download_extdata()`` documentation). With
    squared distances kappa equals Lin's concordance correlation of the two portfolios,
    ``2 cov(x_i, x_j) / (var x_i + var x_j + (mean x_i - mean x_j)**2)`` (population
    moments); the code uses this identity, so ``n**2 D_o`` and ``n**2 D_e`` are exact
    integers from the sums of x, x**2 and x_i * x_j. Unweighted (Häge publishes no
    weighted kappa). NaN when ``D_e = 0`` (both portfolios constant and equal).

``tau_b``
    Kendall's (1938) tau-b between the two portfolios, the measure Bueno de Mesquita (1975,
    *Journal of Conflict Resolution* 19(2)) introduced for alliance portfolios::

        tau_b = (n_c - n_d) / sqrt((n_0 - n_1) (n_0 - n_2)),   n_0 = n (n - 1) / 2

    with n_c, n_d the concordant and discordant pairs of reference states and n_1, n_2 the
    pairs tied within *i*'s and *j*'s portfolio. NaN when either portfolio is constant.

Region rule (``region=COLUMN``): the reference system of dyad (i, j) is every member
whose region equals *i*'s region or *j*'s region (so an intra-regional dyad is compared
over its own region, a cross-regional one over the union of the two regions). Dyads with a
missing region for either state are NaN in every column, and a state with a missing
region belongs to no reference system.

Computation: one pass per year over the n x n level matrix; no loop over dyads. For every
pair of portfolios the 4 x 4 contingency table ``N[a, c]`` (reference states at level a
in one portfolio and c in the other) comes from one batch of matrix products of the
one-hot codings; the unweighted S (``sum |a - c| N[a, c]``), kappa (``sum a c N[a, c]``
and the margins) and tau-b (``n_c = sum N[a, c] N[b > a, d > c]``, ``n_d`` likewise with
``d < c``) follow from it. The weighted distance uses the threshold decomposition
``|a - b| = sum_t |[a >= t] - [b >= t]|`` (t = 1, 2, 3): one weighted matrix product.
The matrices are small (n <= ~200), so BLAS runs on one thread (``threadpoolctl``, as
elsewhere in the package): two threads gain nothing and thrash on a busy machine. All
1816-2022 dyad-years (about 1.07 million) take about half a second.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from threadpoolctl import threadpool_limits

from alliances.column import Column
from alliances.dyads.keys import dyad_id, year_key
from alliances.errors import PanelError, UsageError
from alliances.outcomes.ties import LEVELS

#: The valued tie levels, 0..MAX_LEVEL (``alliances.outcomes.ties.LEVELS`` codes).
MAX_LEVEL = 3
#: A state's tie with itself.
SELF_TIE = MAX_LEVEL
#: Output measure columns of :func:`portfolio_similarity`, in order.
MEASURES = ("s_unweighted", "s_weighted", "kappa", "tau_b")

_SRC = ("atop_members", "states", "nmc")
_EXT = ("computed from the tie levels of every panel year; past ATOP's coverage the carried-forward ties "
        "(flagged atop_members in extended_sources)")
#: Panel columns (global reference system: all members that year) and the measure each holds.
COLUMNS: list[Column] = [
    Column("portfolio_s", "float64", "Signorino-Ritter S of the two states' alliance portfolios, unweighted: "
           "1 - 2 * sum_k |x_ik - x_jk| / (3 n) over all n system members k (ties valued 0 none, 1 non-aggression "
           "or neutrality, 2 consultation, 3 defense or offense; a state's tie with itself = 3); Signorino and "
           "Ritter 1999", unit="similarity (-1 to 1)", sources=_SRC, extension=_EXT),
    Column("portfolio_s_weighted", "float64", "Signorino-Ritter S weighted by each reference state's CINC "
           "(missing CINC counts as 0); missing when every weight is 0", unit="similarity (-1 to 1)",
           sources=_SRC, extension="missing where NMC has no capabilities; " + _EXT),
    Column("portfolio_kappa", "float64", "Cohen's kappa of the two valued portfolios with squared distances "
           "(chance-corrected S; Häge 2011); missing when both portfolios are constant and equal",
           unit="agreement (-1 to 1)", sources=_SRC, extension=_EXT),
    Column("portfolio_tau_b", "float64", "Kendall's tau-b of the two valued portfolios (Bueno de Mesquita 1975); "
           "missing when either portfolio is constant", unit="rank correlation (-1 to 1)", sources=_SRC,
           extension=_EXT),
]
_PANEL = dict(zip([c.name for c in COLUMNS], MEASURES))

_N_LEVELS = MAX_LEVEL + 1
_VALUES = np.arange(_N_LEVELS, dtype=np.float64)
_ABS = np.abs(np.subtract.outer(_VALUES, _VALUES))  # |a - c|
_PRODUCT = np.multiply.outer(_VALUES, _VALUES)  # a * c


def _running(N: NDArray[np.float64], reverse: bool) -> NDArray[np.float64]:
    """Running sums of ``N`` (4, 4, p) along its second axis: over d <= c, or d >= c if reverse."""
    out = np.empty_like(N)
    cols = range(_N_LEVELS - 1, -1, -1) if reverse else range(_N_LEVELS)
    prev = None
    for c in cols:
        out[:, c] = N[:, c] if prev is None else out[:, prev] + N[:, c]
        prev = c
    return out


def _suffix_rows(M: NDArray[np.float64]) -> NDArray[np.float64]:
    """Sums of ``M`` (4, 4, p) over rows b >= a (a suffix sum along the first axis)."""
    out = np.empty_like(M)
    out[-1] = M[-1]
    for a in range(_N_LEVELS - 2, -1, -1):
        out[a] = out[a + 1] + M[a]
    return out


def _pair_measures(P: NDArray[np.int8], w: NDArray[np.float64] | None,
                   I: NDArray[np.intp], J: NDArray[np.intp]) -> tuple[NDArray[np.float64], ...]:
    """The four measures for the portfolio pairs (P[I[p]], P[J[p]]).

    ``P`` is (m, n): m portfolios over the same n reference states, levels 0..3. ``w`` is
    None or n non-negative finite weights. Everything unweighted comes from each pair's
    4 x 4 contingency table ``N[a, c]`` = number of reference states at level a in the
    first portfolio and c in the second; its 3 x 3 block of nonzero levels is one batch of
    matrix products of the one-hot codings, the zero row and column follow from the
    margins.
    """
    m, n = P.shape
    npairs = len(I)
    if n == 0 or npairs == 0:
        return tuple(np.full(npairs, np.nan) for _ in MEASURES)

    # Contingency tables, shape (4, 4, npairs); float32 products of 0/1 are exact (< 2**24).
    E = (P[None, :, :] == np.arange(1, _N_LEVELS, dtype=P.dtype)[:, None, None]).astype(np.float32)
    T = np.matmul(E[:, None], E.transpose(0, 2, 1)[None])  # (3, 3, m, m)
    flat = I.astype(np.int64) * m + J
    T = T.reshape(MAX_LEVEL * MAX_LEVEL, m * m)[:, flat].astype(np.float64)
    T = T.reshape(MAX_LEVEL, MAX_LEVEL, npairs)
    counts = np.empty((_N_LEVELS, m))
    counts[1:] = E.sum(axis=2, dtype=np.float64)
    counts[0] = n - counts[1:].sum(axis=0)
    N = np.empty((_N_LEVELS, _N_LEVELS, npairs))
    N[1:, 1:] = T
    N[1:, 0] = counts[1:, I] - T.sum(axis=1)
    N[0, 1:] = counts[1:, J] - T.sum(axis=0)
    N[0, 0] = counts[0, I] - N[0, 1:].sum(axis=0)

    # Signorino-Ritter S, unweighted: sum_k |x_ik - x_jk| = sum_{a,c} |a - c| N[a, c].
    dist = np.tensordot(_ABS, N, axes=([0, 1], [0, 1]))
    s_u = 1.0 - 2.0 * dist / (MAX_LEVEL * n)

    # Weighted: |a - b| = sum over t = 1..3 of xor([a >= t], [b >= t]), in float64.
    s_w = np.full(npairs, np.nan)
    if w is not None:
        total = float(w.sum())
        if total > 0:
            B = np.concatenate([P >= t for t in range(1, _N_LEVELS)], axis=1).astype(np.float64)
            Bw = B * np.tile(w, MAX_LEVEL)
            cw = Bw.sum(axis=1)
            wdist = cw[I] + cw[J] - 2.0 * (Bw @ B.T).reshape(-1)[flat]
            s_w = 1.0 - 2.0 * wdist / (MAX_LEVEL * total)

    # Cohen's kappa with squared distances: n^2 D_o and n^2 D_e, exact in float64.
    s1 = _VALUES @ counts
    s2 = (_VALUES * _VALUES) @ counts
    cross = np.tensordot(_PRODUCT, N, axes=([0, 1], [0, 1]))
    both = n * (s2[I] + s2[J])
    d_obs = both - 2.0 * n * cross
    d_exp = both - 2.0 * s1[I] * s1[J]
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.where(d_exp > 0, 1.0 - d_obs / d_exp, np.nan)

    # Kendall's tau-b: n_c = sum N[a, c] N[b > a, d > c]; n_d = sum N[a, c] N[b > a, d < c].
    above_right = _suffix_rows(_running(N, reverse=True))  # sum over b >= a, d >= c
    above_left = _suffix_rows(_running(N, reverse=False))  # sum over b >= a, d <= c
    n_c = (N[:-1, :-1] * above_right[1:, 1:]).sum(axis=(0, 1))
    n_d = (N[:-1, 1:] * above_left[1:, :-1]).sum(axis=(0, 1))
    tied = (counts * (counts - 1.0) / 2.0).sum(axis=0)
    n0 = n * (n - 1) / 2.0
    den = (n0 - tied[I]) * (n0 - tied[J])
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = np.where(den > 0, (n_c - n_d) / np.sqrt(den), np.nan)

    return tuple(np.clip(v, -1.0, 1.0) for v in (s_u, s_w, kappa, tau))


def _as_levels(values: ArrayLike, name: str) -> NDArray[np.int8]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise UsageError(f"{name} must be one-dimensional; got shape {arr.shape}")
    num = np.asarray(pd.to_numeric(pd.Series(arr), errors="coerce"), dtype=np.float64)
    bad = ~np.isfinite(num) | (num != np.round(num)) | (num < 0) | (num > MAX_LEVEL)
    if bad.any():
        raise UsageError(f"{name} has {int(bad.sum()):,} values that are not tie levels 0..{MAX_LEVEL} "
                         f"(first: {arr[np.flatnonzero(bad)[0]]!r})")
    return num.astype(np.int8)


def pair_similarity(x: ArrayLike, y: ArrayLike, weights: ArrayLike | None = None) -> dict[str, float]:
    """The four measures for two portfolios ``x`` and ``y`` over the same reference states.

    ``x[k]`` and ``y[k]`` are the two states' tie levels (0..3, coded as in the module
    docstring) with reference state *k*; include each state's tie with itself (3) where the
    reference system contains the two states. ``weights`` (optional, one per reference
    state, >= 0; NaN counts as 0) gives the weighted S; without it ``s_weighted`` is NaN.
    Returns ``{"s_unweighted", "s_weighted", "kappa", "tau_b"}`` as floats (NaN where
    undefined).
    """
    xa, ya = _as_levels(x, "x"), _as_levels(y, "y")
    if len(xa) != len(ya):
        raise UsageError(f"x and y must have the same length; got {len(xa)} and {len(ya)}")
    w = None
    if weights is not None:
        w = _as_weights(np.asarray(weights), "weights")
        if len(w) != len(xa):
            raise UsageError(f"weights must have one value per reference state ({len(xa)}); got {len(w)}")
    P = np.vstack([xa, ya])
    vals = _pair_measures(P, w, np.array([0]), np.array([1]))
    return {name: float(v[0]) for name, v in zip(MEASURES, vals)}


def _as_weights(values: ArrayLike, name: str) -> NDArray[np.float64]:
    w = np.asarray(pd.to_numeric(pd.Series(np.asarray(values)), errors="coerce"), dtype=np.float64)
    if np.isinf(w).any():
        raise UsageError(f"{name} has infinite values")
    neg = w < 0
    if neg.any():
        raise UsageError(f"{name} has {int(neg.sum()):,} negative values (first: {w[neg][0]:g}); "
                         "weights are capability shares >= 0")
    return np.nan_to_num(w, nan=0.0)


def _int_column(frame: pd.DataFrame, col: str, what: str) -> NDArray[np.int64]:
    s = frame[col]
    arr = np.asarray(pd.to_numeric(s, errors="coerce"), dtype=np.float64)
    bad = ~np.isfinite(arr) | (arr != np.round(arr))
    if bad.any():
        raise PanelError(f"{what} column {col!r} has {int(bad.sum()):,} missing or non-integer values "
                         f"(first: {s.iloc[int(np.flatnonzero(bad)[0])]!r})")
    return arr.astype(np.int64)


def _require(frame: pd.DataFrame, cols: list[str], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise UsageError(f"{what} lacks column(s) {missing}; it has {list(frame.columns)}")


def portfolio_similarity(levels: pd.DataFrame, members: pd.DataFrame, *, weight: str | None = "cinc",
                         region: str | None = None) -> pd.DataFrame:
    """Alliance-portfolio similarity of every undirected dyad-year of system members.

    Parameters
    ----------
    levels
        Undirected dyad-year tie levels: ``ccode1`` < ``ccode2`` (int), ``year`` (int),
        ``level`` (int 0..3: 0 none, 1 non-aggression or neutrality pact, 2 consultation
        pact, 3 defense or offense pact; the highest obligation in force that year, i.e.
        the codes of the panel's ``tie`` category, which may also be passed as it is).
        Absent dyad-years are level 0. Each row's two states must be members in that
        year; a dyad-year may appear once.
    members
        State-years of the system: ``ccode``, ``year``, the ``weight`` column (capability
        share, e.g. CINC; NaN counts as 0 for the weighted S) and the ``region`` column if
        ``region`` is given. One row per state-year.
    weight
        Column of ``members`` with the weights of the weighted S; None for no weights
        (``s_weighted`` is then NaN throughout).
    region
        Column of ``members`` with each state-year's region; None (default) makes the
        reference system all members that year. With a region column, dyad (i, j) is
        compared over the members whose region equals i's or j's region (module docstring).

    Returns
    -------
    DataFrame with one row per undirected dyad-year of members (``ccode1`` < ``ccode2``),
    sorted by year, ccode1, ccode2: ``year``, ``ccode1``, ``ccode2`` (int64) and the
    float64 measures ``s_unweighted``, ``s_weighted`` (Signorino and Ritter 1999, absolute
    distances, Delta = 3), ``kappa`` (Cohen's kappa as in Häge 2011, squared distances) and
    ``tau_b`` (Kendall's tau-b, Bueno de Mesquita 1975), each in [-1, 1] and NaN where
    undefined (tau-b with a constant portfolio, kappa with zero expected disagreement,
    weighted S with zero total weight, any measure with a missing region). Each state's
    portfolio includes its tie with itself, 3. Formulas and references: module docstring.
    """
    if not isinstance(levels, pd.DataFrame) or not isinstance(members, pd.DataFrame):
        raise UsageError("levels and members must be pandas DataFrames")
    _require(levels, ["ccode1", "ccode2", "year", "level"], "levels")
    mcols = ["ccode", "year"] + [c for c in (weight, region) if c is not None]
    _require(members, mcols, "members")

    # --- members: sorted by (year, ccode), one row per state-year
    m_cc = _int_column(members, "ccode", "members")
    m_yr = _int_column(members, "year", "members")
    order = np.lexsort((m_cc, m_yr))
    m_cc, m_yr = m_cc[order], m_yr[order]
    dup = (np.diff(m_yr) == 0) & (np.diff(m_cc) == 0)
    if dup.any():
        k = int(np.flatnonzero(dup)[0])
        raise PanelError(f"members has {int(dup.sum()):,} duplicated state-years "
                         f"(first: ccode {m_cc[k]}, year {m_yr[k]}); keep one row per state-year")
    m_w = None if weight is None else _as_weights(members[weight].to_numpy()[order], f"members[{weight!r}]")
    m_rg = None
    if region is not None:
        codes, _ = pd.factorize(members[region], use_na_sentinel=True)
        m_rg = np.asarray(codes, dtype=np.int64)[order]

    # --- levels: sorted by year, checked
    l_c1 = _int_column(levels, "ccode1", "levels")
    l_c2 = _int_column(levels, "ccode2", "levels")
    l_yr = _int_column(levels, "year", "levels")
    lev = levels["level"]
    if isinstance(lev.dtype, pd.CategoricalDtype):  # the panel's ``tie`` column as it is
        if tuple(lev.cat.categories) != tuple(LEVELS):
            raise UsageError(f"levels['level'] is categorical with categories {list(lev.cat.categories)}; "
                             f"expected {list(LEVELS)} (the panel's tie) or integer codes 0..{MAX_LEVEL}")
        if lev.isna().any():
            raise UsageError(f"levels['level'] has {int(lev.isna().sum()):,} missing values")
        l_lv = lev.cat.codes.to_numpy().astype(np.int8)
    else:
        l_lv = _as_levels(lev.to_numpy(), "levels['level']")
    not_ordered = l_c1 >= l_c2
    if not_ordered.any():
        k = int(np.flatnonzero(not_ordered)[0])
        raise PanelError(f"levels has {int(not_ordered.sum()):,} rows without ccode1 < ccode2 "
                         f"(first: {l_c1[k]}, {l_c2[k]}, {l_yr[k]}); pass undirected dyads once each")
    lorder = np.lexsort((l_c2, l_c1, l_yr))
    l_c1, l_c2, l_yr, l_lv = l_c1[lorder], l_c2[lorder], l_yr[lorder], l_lv[lorder]
    ldup = (np.diff(l_yr) == 0) & (np.diff(l_c1) == 0) & (np.diff(l_c2) == 0)
    if ldup.any():
        k = int(np.flatnonzero(ldup)[0])
        raise PanelError(f"levels has {int(ldup.sum()):,} duplicated dyad-years "
                         f"(first: {l_c1[k]}, {l_c2[k]}, {l_yr[k]}); keep the highest level once")

    years = np.unique(m_yr)
    m_lo = np.searchsorted(m_yr, years, side="left")
    m_hi = np.searchsorted(m_yr, years, side="right")
    l_lo = np.searchsorted(l_yr, years, side="left")
    l_hi = np.searchsorted(l_yr, years, side="right")
    outside = len(l_yr) - int((l_hi - l_lo).sum())
    if outside:
        stray = np.setdiff1d(np.unique(l_yr), years)
        raise PanelError(f"levels has {outside:,} rows in years without members ({stray[:5].tolist()}...); "
                         "pass members for every year of levels")

    sizes = (m_hi - m_lo).astype(np.int64)
    npairs = sizes * (sizes - 1) // 2
    offsets = np.concatenate([[0], np.cumsum(npairs)])
    total = int(offsets[-1])
    out_year = np.empty(total, dtype=np.int64)
    out_c1 = np.empty(total, dtype=np.int64)
    out_c2 = np.empty(total, dtype=np.int64)
    out = [np.full(total, np.nan) for _ in MEASURES]

    # n <= ~200: BLAS threads gain nothing here and thrash when the machine is busy
    with threadpool_limits(limits=1):
        for y, year in enumerate(years):
            n = int(sizes[y])
            if n < 2:
                continue
            cc = m_cc[m_lo[y]:m_hi[y]]
            c1, c2, lv = l_c1[l_lo[y]:l_hi[y]], l_c2[l_lo[y]:l_hi[y]], l_lv[l_lo[y]:l_hi[y]]
            i1 = np.minimum(np.searchsorted(cc, c1), n - 1)
            i2 = np.minimum(np.searchsorted(cc, c2), n - 1)
            stray = (cc[i1] != c1) | (cc[i2] != c2)
            if stray.any():
                k = int(np.flatnonzero(stray)[0])
                raise PanelError(f"levels has {int(stray.sum()):,} dyads in {year} whose states are not both members "
                                 f"that year (first: {c1[k]}, {c2[k]}); add them to members or drop those rows")
            L = np.zeros((n, n), dtype=np.int8)
            L[i1, i2] = lv
            L[i2, i1] = lv
            np.fill_diagonal(L, SELF_TIE)
            I, J = np.triu_indices(n, 1)
            sl = slice(int(offsets[y]), int(offsets[y + 1]))
            out_year[sl] = year
            out_c1[sl] = cc[I]
            out_c2[sl] = cc[J]
            w = None if m_w is None else m_w[m_lo[y]:m_hi[y]]
            if m_rg is None:
                vals = _pair_measures(L, w, I, J)
                for col, v in zip(out, vals):
                    col[sl] = v
            else:
                _regional(L, w, m_rg[m_lo[y]:m_hi[y]], I, J, [col[sl] for col in out])

    frame: dict[str, Any] = {"year": out_year, "ccode1": out_c1, "ccode2": out_c2}
    frame.update(zip(MEASURES, out))
    return pd.DataFrame(frame, copy=False)  # the arrays are ours: no second copy


def _regional(L: NDArray[np.int8], w: NDArray[np.float64] | None, rg: NDArray[np.int64],
              I: NDArray[np.intp], J: NDArray[np.intp], out: list[NDArray[np.float64]]) -> None:
    """Fill ``out`` (views, one per measure) for pairs (I, J) with region-pair reference systems."""
    lo = np.minimum(rg[I], rg[J])
    hi = np.maximum(rg[I], rg[J])
    present = np.unique(rg[rg >= 0])
    pos = np.empty(len(rg), dtype=np.intp)
    for a_idx, r in enumerate(present):
        for s in present[a_idx:]:
            sel = np.flatnonzero((lo == r) & (hi == s))
            if len(sel) == 0:
                continue
            ref = np.flatnonzero((rg == r) | (rg == s))
            pos[ref] = np.arange(len(ref))
            sub = L[np.ix_(ref, ref)]
            vals = _pair_measures(sub, None if w is None else w[ref], pos[I[sel]], pos[J[sel]])
            for col, v in zip(out, vals):
                col[sel] = v


def add_similarity(panel: pd.DataFrame, directed: bool) -> pd.DataFrame:
    """Add :data:`COLUMNS` (global reference system) to a panel whose ``tie`` is set.

    The portfolio uses the undirected tie level (either member's pledges); in a directed
    panel the two orders of a dyad get the same values. States are the panel's members in
    each year, weighted by their CINC (NMC).
    """
    c1 = panel["ccode1"].to_numpy(dtype=np.int64)
    c2 = panel["ccode2"].to_numpy(dtype=np.int64)
    year = panel["year"].to_numpy(dtype=np.int64)
    lo, hi = np.minimum(c1, c2), np.maximum(c1, c2)
    level = panel["tie"].cat.codes.to_numpy(dtype=np.int8)
    levels = pd.DataFrame({"ccode1": lo, "ccode2": hi, "year": year, "level": level})
    levels = levels[levels["level"] > 0]
    if directed:  # either order's pledges: the higher level of the two rows
        levels = levels.groupby(["ccode1", "ccode2", "year"], as_index=False, sort=False)["level"].max()
    codes, years = np.r_[c1, c2], np.r_[year, year]
    _, first = np.unique(year_key(codes, years), return_index=True)  # one row per state-year
    cinc = np.r_[panel["cinc1"].to_numpy(dtype=float), panel["cinc2"].to_numpy(dtype=float)]
    members = pd.DataFrame({"ccode": codes[first], "year": years[first], "cinc": cinc[first]})
    sim = portfolio_similarity(levels, members, weight="cinc")
    keys = year_key(dyad_id(sim["ccode1"], sim["ccode2"]), sim["year"].to_numpy())
    pos = pd.Index(keys).get_indexer(year_key(dyad_id(lo, hi), year))  # every panel dyad-year is a member pair
    if (pos < 0).any():
        raise PanelError("portfolio similarity: a panel dyad-year is not a pair of that year's members")
    for column, measure in _PANEL.items():
        panel[column] = sim[measure].to_numpy()[pos]
    return panel
