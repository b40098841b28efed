"""Exercises, portfolio similarity and user-supplied events in the built panel (issue: alignment
beyond treaties): coverage rules, alignment with the stand-alone functions, the events file's
own columns and its error paths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, dyad

import alliances
from alliances.covariates.events import read_events
from alliances.errors import SourceError

EVENTS = REPO / "analyses" / "events" / "china_russia_drills_2022_2025.csv"


def test_exercise_columns_are_missing_outside_mme_coverage(panel):
    outside = ~panel["year"].between(1980, 2010)
    for col in ("mme_exercises", "mme_bilateral", "mme_active", "mme_duration"):
        assert panel.loc[outside, col].isna().all(), col
        assert panel.loc[~outside, col].notna().all(), col
    assert panel.loc[panel["year"] == 1980, "mme_onset"].isna().all()  # no covered previous year
    assert panel.loc[panel["year"].between(1981, 2010), "mme_onset"].notna().all()


def test_exercise_onset_and_duration_follow_the_counts(panel):
    cr = dyad(panel, 365, 710)
    # MME: China-Russia exercises in 1999, 2005, 2007, 2009, 2010 (Peace Mission series and others)
    assert cr.loc[1999:2010, "mme_exercises"].tolist() == [1, 0, 0, 0, 0, 0, 1, 0, 3, 0, 2, 3]
    assert cr.loc[1999:2010, "mme_onset"].tolist() == [1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0]
    # years since the last exercise *before* the year: counted from 1980 until the first one
    assert cr.loc[1999, "mme_duration"] == 19 and cr.loc[2000, "mme_duration"] == 1
    assert cr.loc[2005, "mme_duration"] == 6 and cr.loc[2010, "mme_duration"] == 1


def test_portfolio_columns_match_a_direct_computation(panel):
    """The panel's portfolio columns for every dyad of 1914 against the definitions computed here
    with numpy and scipy (not through alliances.covariates.similarity): each state's portfolio is
    its row of the tie-level matrix of that year's members (3 with itself), S = 1 - 2 sum|x - y| /
    (3 n), weighted S with CINC weights (missing = 0), Cohen's kappa with squared distances, and
    scipy's Kendall tau-b."""
    from scipy.stats import kendalltau

    year = panel[panel["year"] == 1914]
    states = np.unique(np.concatenate([year["ccode1"], year["ccode2"]]))
    pos = {s: i for i, s in enumerate(states)}
    n = len(states)
    mat = np.full((n, n), 0.0)
    np.fill_diagonal(mat, 3.0)
    i1, i2 = year["ccode1"].map(pos).to_numpy(), year["ccode2"].map(pos).to_numpy()
    mat[i1, i2] = mat[i2, i1] = year["tie"].cat.codes.to_numpy()
    cinc = pd.concat([year.set_index("ccode1")["cinc1"], year.set_index("ccode2")["cinc2"]])
    w = cinc[~cinc.index.duplicated()].reindex(states).fillna(0.0).to_numpy()
    x, y = mat[i1], mat[i2]
    d = np.abs(x - y)
    s = 1 - 2 * d.sum(axis=1) / (3 * n)
    s_w = 1 - 2 * (d * w).sum(axis=1) / (3 * w.sum())
    share = np.stack([(mat == k).mean(axis=1) for k in range(4)], axis=1)  # share of each level per state
    levels = np.arange(4.0)
    d_e = np.einsum("iu,iv,uv->i", share[i1], share[i2], (levels[:, None] - levels[None, :]) ** 2)
    kappa = 1 - (d ** 2).mean(axis=1) / d_e
    tau = np.array([kendalltau(a, b).statistic for a, b in zip(x, y)])
    for col, want in (("portfolio_s", s), ("portfolio_s_weighted", s_w), ("portfolio_kappa", kappa),
                      ("portfolio_tau_b", tau)):
        np.testing.assert_allclose(year[col].to_numpy(), want, rtol=0, atol=1e-12, err_msg=col)
    got = year.set_index(["ccode1", "ccode2"])
    # Germany-Russia 1914: opposed blocs, far less similar than Germany-Austria-Hungary
    assert got.loc[(255, 365), "portfolio_s"] < got.loc[(255, 300), "portfolio_s"]
    assert panel["portfolio_s"].notna().all() and panel["portfolio_s"].between(-1, 1).all()


def test_without_events_the_user_columns_are_missing(panel):
    assert panel["user_event_count"].isna().all() and panel["user_event_kinds"].isna().all()
    assert not panel["user_supplied"].any()


def test_events_land_in_their_own_columns(data_dir):
    with pytest.warns(UserWarning, match=r"3 event row\(s\) in year\(s\) 2023, 2024, 2025 fall outside"):
        built = alliances.run(start=2015, end=2022, data_dir=data_dir, events=EVENTS)
    p = built.panel
    flagged = p[p["user_supplied"]]
    assert len(flagged) == 1 and (flagged["ccode1"].iloc[0], flagged["ccode2"].iloc[0], flagged["year"].iloc[0]) == (365, 710, 2022)
    assert flagged["user_event_count"].iloc[0] == 4 and flagged["user_event_kinds"].iloc[0] == "joint_drill"
    assert p.loc[~p["user_supplied"], "user_event_count"].isna().all()
    assert p["mme_exercises"].isna().all()  # never mixed into MME
    record = built.metadata["user_events"]
    assert record["sources"] == ["Khan 2025"] and record["rows"] == 4 and record["rows_in_panel"] == 1


@pytest.mark.parametrize("text, message", [
    ("ccode1,ccode2,year,kind,count,source\n2,20,2000,drill,1,x\n", "lacks column(s) note"),
    ("ccode1,ccode2,year,kind,count,source,note\n2,20,2000,drill,0,x,\n", "line 2, column 'count' holds '0'"),
    ("ccode1,ccode2,year,kind,count,source,note\n2,20,2000,drill,1.5,x,\n", "column 'count' holds '1.5'"),
    ("ccode1,ccode2,year,kind,count,source,note\n2,abc,2000,drill,1,x,\n", "column 'ccode2' holds 'abc'"),
    ("ccode1,ccode2,year,kind,count,source,note\n2,20,2000,drill,1,,\n", "line 2, column 'source' is empty"),
    ("ccode1,ccode2,year,kind,count,source,note\n2,2,2000,drill,1,x,\n", "pairs state 2 with itself"),
    ("ccode1,ccode2,year,kind,count,source,note\n2,20,2000,drill,1,x,\n20,2,2000,drill,2,y,\n2,20,2000,drill,1,x,\n",
     "line 2 repeats"),
], ids=["column", "zero", "fraction", "code", "source", "self", "duplicate"])
def test_bad_events_files_are_refused(tmp_path, text, message):
    path = tmp_path / "events.csv"
    path.write_text(text)
    with pytest.raises(SourceError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_events(path)


def test_events_for_a_dyad_that_did_not_exist(tmp_path, data_dir):
    path = tmp_path / "events.csv"
    path.write_text("ccode1,ccode2,year,kind,count,source,note\n255,260,2016,drill,1,x,\n")
    with pytest.raises(SourceError, match="line 2: 255-260 in 2016 is not a dyad of the panel"):
        alliances.run(start=2015, end=2016, data_dir=data_dir, events=path)
