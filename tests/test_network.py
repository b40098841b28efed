"""Alliance-network terms against networkx, year by year, on the real panel."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from alliances.covariates.network import COLUMNS, add_network, gw_weight


def _graphs(year_rows: pd.DataFrame) -> tuple[nx.Graph, nx.Graph, nx.Graph, set[int]]:
    states = set(year_rows["ccode1"]) | set(year_rows["ccode2"])
    graphs = []
    for mask in (year_rows["tie"] == "alliance", year_rows["tie"] != "none", year_rows["rivals"] == 1):
        g = nx.Graph()
        g.add_nodes_from(states)
        g.add_edges_from(zip(year_rows.loc[mask, "ccode1"], year_rows.loc[mask, "ccode2"]))
        graphs.append(g)
    majors = set(year_rows.loc[year_rows["major1"] == 1, "ccode1"]) | set(year_rows.loc[year_rows["major2"] == 1,
                                                                                           "ccode2"])
    return (*graphs, majors)


@pytest.mark.parametrize("year", [1914, 1955, 1990, 2020])
def test_network_terms_match_networkx(panel, year):
    rows = panel[panel["year"] == year]
    A, T, R, majors = _graphs(rows)
    two_step = {s: {k for k, d in nx.single_source_shortest_path_length(A, s, cutoff=2).items() if d == 2}
                for s in A}
    expected = {name: [] for name in ("net_shared_allies", "net_shared_partners", "net_degree1", "net_degree2",
                                      "net_allies_of_allies1", "net_ally_of_rival", "net_common_great_power_ally")}
    for i, j in zip(rows["ccode1"], rows["ccode2"]):
        common = set(nx.common_neighbors(A, i, j))
        expected["net_shared_allies"].append(len(common))
        expected["net_shared_partners"].append(len(list(nx.common_neighbors(T, i, j))))
        expected["net_degree1"].append(A.degree(i))
        expected["net_degree2"].append(A.degree(j))
        expected["net_allies_of_allies1"].append(len(two_step[i]))
        expected["net_ally_of_rival"].append(len((set(A[i]) & set(R[j])) - {i, j}) + len((set(R[i]) & set(A[j])) - {i, j}))
        expected["net_common_great_power_ally"].append(len(common & majors))
    for name, values in expected.items():
        np.testing.assert_array_equal(rows[name].to_numpy(dtype=float), np.asarray(values, dtype=float), err_msg=name)
    np.testing.assert_allclose(rows["net_gw_shared_allies"], gw_weight(rows["net_shared_allies"].to_numpy()))
    assert rows["net_shared_allies"].max() > 0  # the years checked have alliances with shared partners


def test_gw_weight_halves_each_further_partner():
    np.testing.assert_allclose(gw_weight(np.array([0, 1, 2, 3, 40])), [0.0, 1.0, 1.5, 1.75, 2.0], atol=1e-9)


def test_network_terms_in_the_codebook_and_typed(panel):
    for c in COLUMNS:
        assert str(panel[c.name].dtype) == c.dtype, c.name
    assert (panel["net_degree1"] >= panel["net_common_great_power_ally"]).all()


def test_directed_orders_share_the_network():
    # a three-state system: 2-200 and 2-20 allied, 200 and 20 rivals; both orders of every dyad
    und = pd.DataFrame({"ccode1": [2, 2, 20], "ccode2": [20, 200, 200], "year": 2000,
                        "tie": pd.Categorical(["alliance", "alliance", "none"],
                                              categories=["none", "coordination", "alignment", "alliance"],
                                              ordered=True),
                        "rivals": [0, 0, 1], "major1": [1, 1, 0], "major2": [0, 1, 0]})
    rev = und.rename(columns={"ccode1": "ccode2", "ccode2": "ccode1", "major1": "major2", "major2": "major1"})
    both = add_network(pd.concat([und, rev[und.columns]], ignore_index=True))
    d = both.set_index(["ccode1", "ccode2"])
    assert d.loc[(20, 200), "net_shared_allies"] == d.loc[(200, 20), "net_shared_allies"] == 1
    assert d.loc[(2, 20), "net_degree1"] == 2 and d.loc[(20, 2), "net_degree1"] == 1
    # 2 is allied with 200, a rival of 20... and 2 is allied with 20: 2-200 has 20's rivalry with 200
    assert d.loc[(2, 200), "net_ally_of_rival"] == 1 and d.loc[(200, 2), "net_ally_of_rival"] == 1
    assert d.loc[(20, 200), "net_common_great_power_ally"] == 1  # 2 is a major power allied with both
    assert d.loc[(20, 200), "net_allies_of_allies1"] == 1
