"""The specification multiverse: plan checks, one tidy Parquet whatever the number of workers,
clusterings from one fit, predictions, summary and figures."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import REPO
from typer.testing import CliRunner

from alliances.analysis.multiverse import load_plan, run_multiverse
from alliances.cli import app
from alliances.errors import AlliancesError
from alliances.models import Spec, fit

runner = CliRunner()

PLAN = f"""
base = "{REPO}/analyses/specs/baseline.toml"
key_covariates = ["cap_ratio", "shared_rivals"]
predict_year = 2010
sims = 200

[choices]
outcome = ["alliance_onset", "alliance_onset_peace"]
years = [[1900, 2010]]
period_effects = ["none"]
cluster = ["dyad", "dyad+year"]
estimator = ["logit"]
"""


@pytest.fixture(scope="module")
def small_panel(written):
    """The session's full build, written once (the name says what the tests need: a panel file)."""
    return written["dyad_years"]


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("mv_plan") / "plan.toml"
    path.write_text(PLAN)
    return path


def test_plan_enumerates_choices_and_checks_them(plan_file, tmp_path):
    plan = load_plan(plan_file)
    assert plan.n_specifications == 4 and len(plan.combinations()) == 2
    bad = tmp_path / "bad.toml"
    bad.write_text(PLAN.replace('estimator = ["logit"]', 'estimator = ["probit"]'))
    with pytest.raises(AlliancesError, match="unknown estimator 'probit'"):
        load_plan(bad)
    bad.write_text(PLAN.replace('period_effects = ["none"]', 'period_effects = ["century"]'))
    with pytest.raises(AlliancesError, match="not a valid specification"):
        load_plan(bad)


@pytest.mark.heavy
def test_estimates_equal_separate_fits_in_process_or_on_a_scheduler(plan_file, small_panel, panel, tmp_path):
    from distributed import LocalCluster

    frame = run_multiverse(plan_file, tmp_path / "mv", small_panel, jobs=1, figures=True)
    # the same plan sent to an existing scheduler (`--scheduler ADDRESS`) with two worker processes
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        two = run_multiverse(plan_file, tmp_path / "two", small_panel, scheduler=cluster.scheduler_address,
                             figures=False)
    pd.testing.assert_frame_equal(frame, two)
    assert (tmp_path / "mv" / "multiverse.parquet").read_bytes() == (tmp_path / "two" / "multiverse.parquet").read_bytes()
    assert frame["spec_id"].nunique() == 4 and set(frame["quantity"]) == {"coefficient", "probability"}
    # the separate fits on the session's panel, which small_panel holds written
    base = Spec.from_toml(REPO / "analyses" / "specs" / "baseline.toml")
    for cluster in ("dyad", "dyad+year"):
        spec = Spec.from_dict({**base.to_dict(), "outcome": "alliance_onset_peace", "years": (1900, 2010),
                               "period_effects": "none", "cluster": cluster})
        ref = fit(panel, spec, "logit").to_frame().set_index("term")
        got = frame[(frame["outcome"] == "alliance_onset_peace") & (frame["cluster"] == cluster)
                    & (frame["quantity"] == "coefficient")].set_index("term")
        pd.testing.assert_series_equal(got["estimate"], ref.loc[got.index, "estimate"], check_names=False, rtol=1e-10)
        pd.testing.assert_series_equal(got["std_error"], ref.loc[got.index, "std_error"], check_names=False, rtol=1e-8)
    prob = frame[frame["quantity"] == "probability"]
    assert ((prob["conf_low"] <= prob["estimate"]) & (prob["estimate"] <= prob["conf_high"])).all()
    text = (tmp_path / "mv" / "MULTIVERSE.md").read_text()
    assert "| cap_ratio | 4 | 4 |" in text
    assert (tmp_path / "mv" / "figures" / "curve_cap_ratio.png").stat().st_size > 10_000
    assert (tmp_path / "mv" / "figures" / "curve_probability.svg").is_file()


def test_cli_refuses_a_bad_plan(tmp_path):
    res = runner.invoke(app, ["multiverse", str(tmp_path / "none.toml"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 3 and "cannot read the multiverse plan" in res.output
    assert not (tmp_path / "o").exists()
