"""The reference class: bundled peer data, growth once past a scale, and bootstrap from peers."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from leapforecast.data import peers
from leapforecast.data._files import data_path
from leapforecast.errors import HistoryError, ScenarioError
from leapforecast.model.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def test_bundled_peers_keep_their_sources():
    data = peers.load_peers()
    assert set(data) == {"Tesla", "BYD", "NIO", "Li Auto", "XPeng", "Xiaomi"}
    assert data["Tesla"].units_at(2025) == 1_636_129
    assert all(note for h in data.values() for note in h.notes)
    with open(data_path("ev_peers_annual.csv"), encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert all(r["source"].strip() for r in rows)


def test_growth_once_past_300k():
    ivs = peers.peer_intervals(min_units=300_000)
    assert {iv.maker for iv in ivs} == {"Tesla", "BYD", "Li Auto"}
    assert len(ivs) == 12
    first = {iv.maker: iv for iv in ivs if iv.years_after == 1}
    assert (first["Tesla"].from_year, first["BYD"].from_year, first["Li Auto"].from_year) == (
        2019,
        2021,
        2023,
    )
    assert first["Tesla"].growth == pytest.approx(499_550 / 367_500 - 1)
    assert first["BYD"].growth == pytest.approx(1_863_494 / 603_783 - 1)
    assert peers.first_reached(peers.load_peers(), 300_000)["Xiaomi"] is None
    s = peers.summarize(ivs)
    g = np.array([iv.growth for iv in ivs])
    assert s.n == 12 and s.median == pytest.approx(np.median(g)) and s.min == pytest.approx(g.min())


def test_windows_cut_and_exclusions():
    assert all(iv.to_year <= 2022 for iv in peers.peer_intervals(min_units=300_000, upto=2022))
    big = peers.peer_intervals(min_units=1_000_000)
    assert {iv.maker for iv in big} == {"Tesla", "BYD"} and len(big) == 6
    mid = peers.peer_intervals(min_units=300_000, max_units=1_000_000)
    assert all(300_000 <= iv.from_units < 1_000_000 for iv in mid)
    assert "Tesla" not in {iv.maker for iv in peers.peer_intervals(exclude=("tesla",))}
    with pytest.raises(HistoryError, match="max_units"):
        peers.peer_intervals(min_units=500_000, max_units=100_000)
    with pytest.raises(HistoryError, match="no peer growth"):
        peers.summarize([])


def test_custom_peer_file_is_checked(tmp_path):
    good = tmp_path / "p.csv"
    good.write_text("maker,year,units\nA,2020,100\nA,2021,150\nB,2020,50\n", encoding="utf-8")
    data = peers.load_peers(good)
    assert peers.growth_pool(data, min_units=100) == pytest.approx([0.5])
    bad = tmp_path / "bad.csv"
    bad.write_text("maker,year,units\nA,2020,100\nA,2019,150\n", encoding="utf-8")
    with pytest.raises(HistoryError, match="sort the rows"):
        peers.load_peers(bad)
    with pytest.raises(HistoryError, match="maker"):
        peers.load_peers(_write(tmp_path, "year,units\n1,2\n"))


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "x.csv"
    path.write_text(text, encoding="utf-8")
    return path


BOOT = """
[scenario]
name = "peers"
[simulation]
paths = 2000
[growth]
rate = { dist = "bootstrap", source = "peers", min_units = "300k" }
"""


def test_bootstrap_from_peers_uses_only_what_was_known_at_the_base_year(write_scenario):
    path = write_scenario(BOOT)
    sc = load_scenario(path)
    assert sorted(sc.spec.growth.rate.resolved) == pytest.approx(
        sorted(peers.growth_pool(min_units=300_000))
    )
    early = load_scenario(path, overrides=["history.base_year=2023"])
    assert sorted(early.spec.growth.rate.resolved) == pytest.approx(
        sorted(peers.growth_pool(min_units=300_000, upto=2023))
    )
    assert len(early.spec.growth.rate.resolved) < len(sc.spec.growth.rate.resolved)


def test_bootstrap_window_errors(write_scenario):
    bad = write_scenario(BOOT.replace('source = "peers", ', ""))
    with pytest.raises(ScenarioError, match="apply only to source"):
        load_scenario(bad)
    empty = write_scenario(BOOT.replace('"300k"', "50_000_000"))
    with pytest.raises(ScenarioError, match="no growth intervals"):
        load_scenario(empty)
    inverted = write_scenario(BOOT.replace('"300k"', '"1M", max_units = 500_000'))
    with pytest.raises(ScenarioError, match="max_units"):
        load_scenario(inverted)


def test_outside_view_scenario_validates_and_runs():
    from leapforecast.engine.run import simulate

    sc = load_scenario(ROOT / "scenarios" / "outside-view-peers.toml")
    assert len(sc.spec.growth.rate.resolved) == 12
    assert len(sc.spec.growth.fade.to.resolved) == 6
    res = simulate(sc, paths=4000, seed=1)
    # the first year is a pure resample of the 12 peer rates (no volatility)
    implied = np.unique(np.round(res.totals[:, 0].astype(float) / sc.base_units - 1, 4))
    pool = np.asarray(peers.growth_pool(min_units=300_000))
    assert len(implied) == 12
    assert np.all(np.min(np.abs(implied[:, None] - pool[None, :]), axis=1) < 1e-3)


def test_cli_peers(cli):
    code, out, _ = cli("peers", "--min-units", "300k", "--format", "csv")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == ",".join(peers.INTERVAL_COLUMNS) and len(lines) == 13
    code, out, _ = cli("peers", "--min-units", "1M", "--format", "json")
    doc = json.loads(out)
    assert doc["summary"]["n"] == 6 and doc["first_reached"]["BYD"] == 2022
    code, out, _ = cli("peers")
    assert code == 0 and "Pooled growth" in out
    code, _, err = cli("peers", "--min-units", "lots")
    assert code == 2 and "--min-units" in err
