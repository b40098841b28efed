"""alliances.models.results: save/load round trip with the typed fields, files of the old
layout (one free-form ``extra`` dictionary) still read, refused files, z/p/intervals against
hand values, and compare()'s table (small synthetic panels)."""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pandas as pd
import pytest

from alliances.errors import AlliancesError, SpecError
from alliances.models import ModelError, Results, Spec, compare, fit, load
from alliances.models._synthetic import synthetic_panel
from alliances.models.fitted import Covariance, CoxBaseline, TwoWayEffects

COVS = ("cap_ratio", "log_capdist", "contig_land")


@pytest.fixture(scope="module")
def synth() -> pd.DataFrame:
    return synthetic_panel(n_states=25, seed=5)


@pytest.fixture(scope="module")
def fits(synth) -> dict[str, Results]:
    spec = Spec("alliance_onset", COVS, name="synthetic")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = {e: fit(synth, spec, e) for e in ("logit", "relogit", "lpm", "cox", "mlogit")}
        out["logit+alt"] = fit(synth, spec, "logit", also_clusters=["dyad+year"])
        out["cox calendar"] = fit(synth, dataclasses.replace(spec, time_scale="calendar"), "cox")
    return out


def _same(a: Results, b: Results) -> None:
    """Every field equal (arrays exactly)."""
    for f in dataclasses.fields(Results):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=f.name)
        elif f.name in ("alternatives", "model_based", "baseline", "effects"):
            assert json.dumps(_plain(x), sort_keys=True) == json.dumps(_plain(y), sort_keys=True), f.name
        else:
            assert x == y, f.name


def _plain(v):
    if isinstance(v, dict):
        return {k: _plain(w) for k, w in v.items()}
    return v.to_dict() if hasattr(v, "to_dict") else v


@pytest.mark.parametrize("name", ["logit", "relogit", "lpm", "cox", "mlogit", "logit+alt", "cox calendar"])
def test_save_load_round_trip_keeps_every_field(fits, tmp_path, name):
    r = fits[name]
    path = r.save(tmp_path / "r.json")
    back = load(path)
    _same(back, r)
    assert back.summary() == r.summary()
    assert not back.params_.flags.writeable and not back.cov_.flags.writeable
    # the file holds the typed keys, not a free-form "extra"
    d = json.loads(path.read_text())
    assert d["format"] == "alliances.models.Results/1" and "extra" not in d
    assert d["params"] == list(r.params_) and d["param_names"] == list(r.param_names)


def test_typed_fields_by_estimator(fits):
    """What only some estimators have is typed, and absent elsewhere."""
    assert isinstance(fits["cox"].baseline, CoxBaseline) and fits["cox"].baseline.time_scale == "duration"
    assert fits["cox calendar"].baseline.time_scale == "calendar"
    assert isinstance(fits["cox"].model_based, Covariance)
    assert isinstance(fits["lpm"].effects, TwoWayEffects)
    assert set(fits["relogit"].bias) == set(fits["relogit"].param_names)
    assert set(fits["mlogit"].category_counts) == {"none", "alignment_onset", "alliance_onset"}
    assert sum(fits["mlogit"].category_counts.values()) == fits["mlogit"].nobs
    alt = fits["logit+alt"].alternatives
    assert set(alt) == {"dyad+year"} and isinstance(alt["dyad+year"], Covariance)
    logit = fits["logit"]
    assert (logit.baseline, logit.effects, logit.bias, logit.category_counts, logit.model_based) == (None,) * 5
    assert logit.alternatives == {}
    assert isinstance(logit.years, tuple) and logit.years[0] == 1901  # 1900 has no lagged covariates


def test_old_layout_with_extra_dict_still_reads(fits, synth):
    """A result saved before the typed fields: one "extra" dictionary (baseline keyed by "year",
    "naive_cov", "alt_cov"), no time scale in the spec; it reads as a calendar-time Cox model
    with the same covariance and the same predictions."""
    res = fits["cox calendar"]
    d = res.to_dict()
    extra = {**d.pop("baseline"), "naive_cov": d.pop("model_based")["cov"], "alt_cov": d.pop("alternatives")}
    for key in ("effects", "bias", "category_counts"):
        d.pop(key)
    extra.pop("time_scale")
    extra["baseline"]["year"] = extra["baseline"].pop("time")
    d["extra"] = extra
    d["spec"].pop("time_scale")
    old = Results.from_dict(d)
    assert old.spec.time_scale == "calendar" and old.baseline.time_scale == "calendar"
    np.testing.assert_array_equal(old.model_based.cov, res.model_based.cov)
    assert old.model_based.cov_type == "model-based (inverse information)"
    np.testing.assert_array_equal(old.baseline.increments().to_numpy(), res.baseline.increments().to_numpy())
    rows = synth[synth["year"] == 1980].head(3)
    np.testing.assert_allclose(old.predict(rows, baseline="year"), res.predict(rows, baseline="year"), rtol=1e-12)
    # an old LPM file: its effects in "extra"
    lpm = fits["lpm"].to_dict()
    effects = lpm.pop("effects")
    lpm["extra"] = effects
    back = Results.from_dict(lpm)
    assert isinstance(back.effects, TwoWayEffects)
    assert json.dumps(back.effects.to_dict(), sort_keys=True) == json.dumps(effects, sort_keys=True)


def test_files_that_are_not_results_are_refused(fits, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SpecError, match=r"bad\.json: not a readable saved result") as info:
        load(bad)
    assert not isinstance(info.value, ModelError) and info.value.exit_code == 3  # a bad input file, not a model
    bad.write_text("[1, 2]")
    with pytest.raises(SpecError, match=r"bad\.json: not a saved result \(expected a JSON object\)"):
        load(bad)
    d = fits["logit"].to_dict()
    d["format"] = "something/2"
    bad.write_text(json.dumps(d))
    with pytest.raises(SpecError, match="not a saved results file \\(format 'something/2', expected "
                                         "'alliances.models.Results/1'\\)"):
        load(bad)
    with pytest.raises(AlliancesError, match="missing.json: not a readable saved result"):
        load(tmp_path / "missing.json")


def _with(r: Results, params, sd) -> Results:
    k = len(r.param_names)
    params = np.resize(np.asarray(params, float), k)
    return dataclasses.replace(r, params_=params, cov_=np.diag(np.resize(np.asarray(sd, float), k) ** 2))


def test_z_p_and_intervals_against_hand_values(fits):
    """z = b / se; two-sided normal p from the normal table: z = 1.959964 -> 0.05,
    2.575829 -> 0.01, 3.290527 -> 0.001, 0 -> 1; the 95 % interval of z = 1.959964 ends at 0."""
    r = _with(fits["logit"], [1.959963984540054, -2 * 2.5758293035489, 0.0, 0.5 * 3.2905267314919255],
              [1.0, 2.0, 1.0, 0.5])
    np.testing.assert_allclose(r.tvalues.to_numpy()[:4], [1.959963984540054, -2.5758293035489, 0.0,
                                                          3.2905267314919255], rtol=1e-15)
    np.testing.assert_allclose(r.pvalues.to_numpy()[:4], [0.05, 0.01, 1.0, 0.001], rtol=1e-9)
    ci = r.conf_int(0.05)
    assert ci.iloc[0]["lower"] == pytest.approx(0.0, abs=1e-12)
    assert ci.iloc[0]["upper"] == pytest.approx(2 * 1.959963984540054)
    ci90 = r.conf_int(0.10)
    assert ci90.iloc[1]["upper"] - ci90.iloc[1]["lower"] == pytest.approx(2 * 1.6448536269514722 * 2.0)
    tidy = r.to_frame()
    np.testing.assert_allclose(tidy["p_value"].to_numpy()[:4], [0.05, 0.01, 1.0, 0.001], rtol=1e-9)


def test_compare_stars_and_rows(fits):
    """Stars from the two-sided p: z = 1.8 none (p .0719), 2.0 * (p .0455), 2.7 ** (p .0069), 3.5 *** (p .00047)."""
    r = _with(fits["logit"], [1.8, 2.0, 2.7, 3.5], [1.0])
    other = fits["cox"]
    t = compare([r, other], names=["a", "b"], digits=2)
    assert list(t.columns) == ["a", "b"]
    names = list(r.param_names)
    assert [t.loc[n, "a"] for n in names[:4]] == ["1.80", "2.00*", "2.70**", "3.50***"]
    # the standard error sits in the row below its coefficient
    pos = list(t.index).index(names[1])
    assert t.iloc[pos + 1]["a"] == "(1.00)"
    assert t.loc["Observations", "a"] == str(r.nobs) and t.loc["Events", "b"] == str(other.n_events)
    assert t.loc["const", "b"] == ""  # Cox has no intercept
    assert t.loc["Covariance", "a"] == "clustered by dyad"
    with pytest.raises(ModelError, match="compare\\(\\) needs at least one Results"):
        compare([])
    with pytest.raises(ModelError, match=r"compare\(\): 1 names for 2 results"):
        compare([r, other], names=["a"])


def test_with_cluster_swaps_only_the_covariance(fits):
    r = fits["logit+alt"]
    alt = r.with_cluster("dyad+year")
    np.testing.assert_array_equal(alt.params_, r.params_)
    np.testing.assert_array_equal(alt.cov_, r.alternatives["dyad+year"].cov)
    assert alt.spec.cluster == "dyad+year" and alt.alternatives == {}
    assert r.with_cluster("dyad") is r
    assert r.without_alternatives().alternatives == {} and fits["logit"].without_alternatives() is fits["logit"]
    with pytest.raises(ModelError, match=r"logit: no covariance for cluster = 'year'; fit with "
                                         r"also_clusters=\['year'\] \(available: dyad\+year\)"):
        r.with_cluster("year")
