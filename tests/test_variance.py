"""alliances.models.variance: cluster codes, group sums, meats and the sandwich on frames small
enough to work by hand, and a fitted logit's clustered covariance recomputed with numpy.
(The comparisons with R's sandwich::vcovCL are in test_variance_reference.py.)"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from alliances.models import ModelError, Spec, fit
from alliances.models._synthetic import synthetic_panel
from alliances.models.linalg import weighted_gram
from alliances.models.variance import CLUSTERS, cluster_dimensions, describe, group_sums, meat, sandwich


def _partition(codes) -> set[frozenset[int]]:
    """The rows grouped by code, whatever the code values."""
    groups: dict[int, set[int]] = {}
    for row, code in enumerate(np.asarray(codes)):
        groups.setdefault(int(code), set()).add(row)
    return {frozenset(g) for g in groups.values()}


FRAME = pd.DataFrame({"dyad_id": [10, 10, 10, 20, 20, 30], "year": [1, 2, 3, 1, 3, 3],
                      "agreement": [-1, 7, -1, 7, 9, -1]})


def test_cluster_dimensions_partition_the_rows_as_documented():
    assert cluster_dimensions(FRAME, "none") == []
    (sign, dyad), = cluster_dimensions(FRAME, "dyad")
    assert sign == 1 and _partition(dyad) == {frozenset({0, 1, 2}), frozenset({3, 4}), frozenset({5})}
    (sign, year), = cluster_dimensions(FRAME, "year")
    assert sign == 1 and _partition(year) == {frozenset({0, 3}), frozenset({1}), frozenset({2, 4, 5})}
    dims = cluster_dimensions(FRAME, "dyad+year")
    assert [s for s, _ in dims] == [1, 1, -1]
    assert _partition(dims[2][1]) == {frozenset({i}) for i in range(6)}  # dyad-years are unique here
    # agreement: onsets of treaty 7 together (rows 1, 3), 9 alone; rows without an onset by dyad
    (sign, agr), = cluster_dimensions(FRAME, "agreement")
    assert _partition(agr) == {frozenset({1, 3}), frozenset({4}), frozenset({0, 2}), frozenset({5})}
    # dyad+agreement: rows without an onset are their own agreement cluster
    dims = cluster_dimensions(FRAME, "dyad+agreement")
    assert [s for s, _ in dims] == [1, 1, -1]
    assert _partition(dims[1][1]) == {frozenset({1, 3}), frozenset({4}), frozenset({0}), frozenset({2}),
                                      frozenset({5})}
    assert _partition(dims[2][1]) == {frozenset({i}) for i in range(6)}


def test_cluster_dimension_errors_name_the_option():
    with pytest.raises(ModelError, match=r"cluster = 'agreement' needs the onsets' agreements"):
        cluster_dimensions(FRAME.drop(columns="agreement"), "agreement")
    with pytest.raises(ModelError, match="unknown cluster option 'treaty'"):
        cluster_dimensions(FRAME, "treaty")
    assert set(CLUSTERS) == {"dyad", "year", "dyad+year", "agreement", "dyad+agreement", "none"}


def test_group_sums_by_hand():
    values = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]])
    np.testing.assert_array_equal(group_sums(values, np.array([0, 1, 0, 1])), [[6.0, 8.0], [10.0, 12.0]])
    np.testing.assert_array_equal(group_sums(values, np.array([2, 0, 1, 0])), [[10.0, 12.0], [5.0, 6.0], [1.0, 2.0]])
    # every row its own cluster: the rows, in code order
    np.testing.assert_array_equal(group_sums(values, np.array([3, 2, 1, 0])), values[::-1])


def test_group_sums_of_column_major_scores_are_the_same_to_the_bit():
    """A design from pandas is column-major, and so are its scores; they take another path."""
    rng = np.random.default_rng(7)
    values = rng.normal(size=(5000, 6)) * 10.0 ** rng.integers(-8, 8, size=(5000, 6))
    codes = rng.integers(0, 300, size=5000)
    fortran = np.asfortranarray(values)
    assert not fortran.flags.c_contiguous
    np.testing.assert_array_equal(group_sums(fortran, codes), group_sums(values, codes))
    by_loop = np.zeros((300, 6))
    for i, g in enumerate(codes):  # rows added in order within each group
        by_loop[g] += values[i]
    np.testing.assert_array_equal(group_sums(fortran, codes), by_loop)


def test_weighted_gram_against_the_general_product():
    rng = np.random.default_rng(8)
    X = np.asfortranarray(rng.normal(size=(4000, 7)))
    w = rng.uniform(0.0, 0.25, size=4000)
    w[:50] = 0.0
    G = weighted_gram(X, w)
    np.testing.assert_allclose(G, X.T @ (X * w[:, None]), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(G, G.T)  # symmetric by construction
    w[0] = -1.0  # negative weights: the general product, exactly
    np.testing.assert_array_equal(weighted_gram(X, w), (X * w[:, None]).T @ X)


def test_meat_by_hand():
    s = np.array([[1.0], [2.0], [3.0], [-1.0]])
    m, g = meat(s, np.array([0, 0, 1, 1]))
    assert g == 2 and m[0, 0] == pytest.approx((3 ** 2 + 2 ** 2) * 2 / 1)
    m, g = meat(s, np.array([0, 0, 1, 1]), adjust=False)
    assert m[0, 0] == pytest.approx(13.0)
    two = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    m, g = meat(two, np.array([0, 1, 1]), adjust=False)
    np.testing.assert_allclose(m, [[1 + 1, 0 + 2], [0 + 2, 0 + 4]])  # sums (1, 0) and (1, 2)
    with pytest.raises(ModelError, match="at least two clusters; the sample has one"):
        meat(s, np.zeros(4, dtype=np.int64))


def test_one_way_sandwich_by_hand():
    bread = np.array([[2.0, 0.0], [0.0, 0.5]])
    s = np.array([[1.0, 1.0], [1.0, -1.0], [2.0, 0.0], [0.0, 3.0]])
    frame = pd.DataFrame({"dyad_id": [1, 1, 2, 2], "year": [1, 2, 1, 2]})
    cov, counts = sandwich(bread, s, frame, "dyad", factor=1.5)
    # dyad sums (2, 0) and (2, 3): meat [[8, 6], [6, 9]] * 2/1
    expected = 1.5 * bread @ (2 * np.array([[8.0, 6.0], [6.0, 9.0]])) @ bread
    np.testing.assert_allclose(cov, expected)
    assert counts == {"dyad": 2}
    cov0, _ = sandwich(bread, s, frame, "dyad", cadjust=False)
    np.testing.assert_allclose(cov0, bread @ np.array([[8.0, 6.0], [6.0, 9.0]]) @ bread)
    same, counts = sandwich(bread, s, frame, "none")
    assert same is bread and counts == {}


def test_two_way_sum_that_is_not_psd_has_its_negative_eigenvalues_set_to_0():
    """Scores summing to 0 within each year make M_year = 0, so M_dyad - M_cell can be
    indefinite: the result is the eigen-clipped sum (computed here) and the counts say so."""
    frame = pd.DataFrame({"dyad_id": [1, 2, 1, 2], "year": [1, 1, 2, 2]})
    s = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    m_dyad = 2 / 1 * 2 * np.array([[1.0, 1.0], [1.0, 1.0]])  # dyad sums (1, 1) and (-1, -1), G = 2
    m_cell = 4 / 3 * np.array([[2.0, 0.0], [0.0, 2.0]])
    total = m_dyad - m_cell  # M_year = 0
    w, v = np.linalg.eigh(total)
    assert w[0] < 0  # the case this test is for
    cov, counts = sandwich(np.eye(2), s, frame, "dyad+year")
    np.testing.assert_allclose(cov, (v * np.maximum(w, 0)) @ v.T, atol=1e-12)
    assert counts == {"dyad": 2, "year": 2, "dyad x year": 4, "negative eigenvalues set to 0": 1}
    text = describe("dyad+year", counts, "CR1")
    assert text == ("two-way clustered by dyad and year (Cameron-Gelbach-Miller); clusters: 2 dyad, 2 year; CR1; "
                    "1 negative eigenvalue(s) set to 0 (Cameron-Gelbach-Miller)")


def test_agreement_counts_name_treaties_not_singletons():
    s = np.array([[1.0], [2.0], [0.5], [-1.0], [3.0], [1.0]])
    cov, counts = sandwich(np.eye(1), s, FRAME, "agreement")
    assert counts == {"agreement": 2}  # treaties 7 and 9; the dyad clusters of other rows are not counted
    # clusters {1, 3}: 1.0, {4}: 3.0, {0, 2}: 1.5, {5}: 1.0 -> G = 4
    assert cov[0, 0] == pytest.approx(4 / 3 * (1 + 9 + 2.25 + 1))
    assert describe("none", {}, "CR1") == "model-based (inverse information)"
    assert describe("dyad", {"dyad": 1207}, "CR1") == "clustered by dyad; clusters: 1,207 dyad; CR1"


@pytest.fixture(scope="module")
def synth_agreements() -> pd.DataFrame:
    """The synthetic panel with an ``alliance_onset_agreement``: onsets of the same decade and the
    same first state share an agreement (a multilateral treaty), so agreement clusters are larger
    than dyads."""
    df = synthetic_panel(n_states=25, seed=4)
    agreement = (df["year"] // 10) * 1000 + df["ccode1"]
    return df.assign(alliance_onset_agreement=agreement.where(df["alliance_onset"] == 1))


@pytest.mark.parametrize("cluster", ["dyad", "year", "agreement", "dyad+agreement"])
def test_fitted_logit_covariance_by_hand(synth_agreements, cluster):
    """A logit fit's covariance equals CR1 computed here with numpy from its coefficients, the
    rows of its design and the clusters defined in the docstring of alliances.models.variance."""
    from alliances.models.fitting import design_for

    spec = Spec("alliance_onset", ("cap_ratio", "log_capdist", "contig_land"), cluster=cluster, time_controls="none")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit(synth_agreements, spec, "logit")
    f = design_for(synth_agreements, spec, "logit").frame
    names = list(res.param_names)
    X, y = f[names].to_numpy(float), f["y"].to_numpy(float)
    p = 1 / (1 + np.exp(-X @ res.params_))
    bread = np.linalg.inv(X.T @ (X * (p * (1 - p))[:, None]))
    scores = pd.DataFrame(X * (y - p)[:, None])
    onset = f["y"].to_numpy() == 1
    keys = {"dyad": [f["dyad_id"].to_numpy()], "year": [f["year"].to_numpy()]}
    if "agreement" in cluster:  # onsets by agreement; other rows by dyad (agreement) or alone (dyad+agreement)
        agr = f["agreement"].astype(int).astype(str).to_numpy()
        keys["agreement"] = [np.where(onset, agr, "dyad " + f["dyad_id"].astype(str).to_numpy())]
        own = np.where(onset, agr, "row " + np.arange(len(f)).astype(str))

    def term(by) -> np.ndarray:
        sums = scores.groupby(by).sum().to_numpy()
        return len(sums) / (len(sums) - 1) * sums.T @ sums

    if cluster == "dyad+agreement":
        total = term([f["dyad_id"].to_numpy()]) + term([own]) - term([f["dyad_id"].to_numpy(), own])
    else:
        total = term(keys[cluster])
    n, k = X.shape
    np.testing.assert_allclose(res.cov_, (n - 1) / (n - k) * bread @ total @ bread, rtol=1e-8)
    if "agreement" in cluster:
        assert f"{f.loc[onset, 'agreement'].nunique():,} agreement" in res.cov_type
        assert (f.loc[onset, "agreement"] >= 0).all() and (f.loc[~onset, "agreement"] == -1).all()
