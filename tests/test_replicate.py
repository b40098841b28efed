"""`alliances replicate` on a reduced year range: outputs, determinism, Dask, plan errors."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from conftest import REPO

from alliances.analysis.replicate import load_plan, run_replication
from alliances.errors import AlliancesError

PLAN = """
spec_folder = "specs"
estimators = ["logit"]
key_covariates = ["cap_ratio", "shared_rivals", "log_capdist"]

[[specs]]
name = "baseline"
estimators = ["logit", "cloglog"]

[[specs]]
name = "great_powers"
estimators = ["firth"]

[robustness]
spec = "baseline"
estimators = ["logit"]
clusters = ["dyad", "dyad+year"]
period_effects = ["none"]

[validate]
spec = "baseline"
estimators = ["logit"]
first_origin = 1970
step = 20
horizon = 10
eras = false

[predict]
spec = "baseline"
estimators = ["logit", "cloglog"]
scenarios = ["us_shared_rival"]
sims = 100
seed = 1
horizon = 10
"""


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("plan")
    (d / "specs").mkdir()
    for name in ("baseline", "great_powers"):
        text = (REPO / "analyses" / "specs" / f"{name}.toml").read_text()
        text = text.replace("[1816, 2016]", "[1947, 2016]").replace("[1816, 2010]", "[1947, 2010]")
        (d / "specs" / f"{name}.toml").write_text(text)
    shutil.copytree(REPO / "analyses" / "scenarios", d / "scenarios")
    (d / "replicate.toml").write_text(PLAN)
    return d


def _run(plan_dir, out, data_dir, jobs=1):
    return run_replication(out / "output", plan_dir / "replicate.toml", data_dir, out / "datasets",
                           start=1946, end=2022, jobs=jobs, figures=False)


@pytest.mark.heavy
def test_replicate_outputs_and_byte_identical_reruns(plan_dir, tmp_path, data_dir):
    m1 = _run(plan_dir, tmp_path / "a", data_dir)
    m2 = _run(plan_dir, tmp_path / "b", data_dir, jobs=2)  # the Dask local cluster gives the same bytes
    out = tmp_path / "a" / "output"
    for rel in ("REPORT.md", "tables/estimates_baseline.csv", "tables/robustness.csv", "census/census.csv",
                "china_russia/predictions.csv", "china_russia/scenarios.csv", "models/baseline.logit.json"):
        assert (out / rel).is_file(), rel
    assert m1["outputs"] == m2["outputs"]
    assert (out / "manifest.json").read_bytes() == (tmp_path / "b" / "output" / "manifest.json").read_bytes()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["build"]["inputs"]["atop_members"]["version"] == "4.01"
    assert set(manifest["specifications"]) == {"baseline", "great_powers"}
    report = (out / "REPORT.md").read_text()
    assert "China-Russia (365-710)" in report and "What rests on extended data" in report
    # the answer first, from the validated model, with its interval and the printed robustness rule
    answer = report.split("## The answer")[1].split("##")[0]
    assert "95% simulation interval" in answer and "chosen by the best rolling-origin log score" in answer
    # the headline model is the ranking's rule applied to validation/ranking.csv, and the first sentence
    # says so when no model beats the base rate on both proper scores
    rank = pd.read_csv(out / "validation" / "ranking.csv")
    winners = rank[rank["beats_base_rate"]]
    predicted = set(pd.read_csv(out / "china_russia" / "predictions.csv")["model"])
    headline_model = next(m for m in (winners if len(winners) else rank)["model"] if m in predicted)
    assert f"from the {headline_model} model" in answer
    assert answer.strip().startswith("**No model beats the base rate") == winners.empty
    assert "seed 1" in answer and "robust = the same sign and p < 0.05 in every fit" in report
    assert "validation/predictions.parquet" in manifest["outputs"] and "tables/robustness_grid.csv" in manifest["outputs"]
    grid = (out / "tables" / "robustness_grid.csv").read_text()
    assert "cap_ratio" in grid and "verdict" in grid


def test_plan_errors(tmp_path):
    with pytest.raises(AlliancesError, match="cannot read the replication plan"):
        load_plan(tmp_path / "absent.toml")
    (tmp_path / "specs").mkdir()
    (tmp_path / "replicate.toml").write_text('[[specs]]\nname = "nope"\n')
    with pytest.raises(AlliancesError, match="specification 'nope' has no file"):
        load_plan(tmp_path / "replicate.toml")
    (tmp_path / "specs" / "a.toml").write_text('outcome = "alliance_onset"\ncovariates = ["cap_ratio"]\n')
    (tmp_path / "replicate.toml").write_text('[[specs]]\nname = "a"\n[validate]\nspec = "b"\n')
    with pytest.raises(AlliancesError, match=r"\[validate\] spec 'b' is not among the \[\[specs\]\] entries"):
        load_plan(tmp_path / "replicate.toml")


def test_report_steps_need_only_the_columns_they_name(panel, build_result):
    """The behaviour comparison and the onsets' sources on the columns the replication reads
    back for them equal those on the whole panel (both skip quietly what a panel lacks)."""
    from alliances.analysis.behaviour import compare_dyad
    from alliances.analysis.predict import prediction_columns
    from alliances.analysis.replicate import report_columns
    from alliances.analysis.tables import onset_shares
    from alliances.models import Spec

    plan = load_plan(REPO / "analyses" / "replicate.toml")
    specs = {r.name: Spec.from_toml(r.path) for r in plan.runs}
    part = panel[report_columns(plan, specs)]
    assert len(part.columns) < len(panel.columns) / 2  # a part: 52 of 157 columns with the shipped plan
    for name in (plan.predict_spec, plan.alignment.voting_spec):  # the predictions' columns, risk status included
        assert set(prediction_columns([specs[name]])) | {specs[name].status} <= set(part.columns)
    pd.testing.assert_frame_equal(compare_dyad(part, 365, 710), compare_dyad(panel, 365, 710))
    spec = specs[plan.predict_spec]
    shares = onset_shares(part, build_result.agreement_table, spec)
    assert len(shares) and shares.equals(onset_shares(panel, build_result.agreement_table, spec))


def test_shipped_plan_names_existing_specs():
    """Every [[specs]] entry of the shipped plan, in order, with its file and estimators (the
    plan's default where the entry names none), read here with tomllib."""
    import tomllib

    path = REPO / "analyses" / "replicate.toml"
    raw = tomllib.loads(path.read_text())
    plan = load_plan(path)
    assert plan.predict_spec == raw.get("predict", {}).get("spec", "baseline") == "baseline"
    assert [r.name for r in plan.runs] == [item["name"] for item in raw["specs"]]
    for run, item in zip(plan.runs, raw["specs"]):
        assert run.path == path.parent / raw["spec_folder"] / f"{item['name']}.toml" and run.path.is_file()
        assert run.estimators == tuple(item.get("estimators", raw["estimators"])), run.name
