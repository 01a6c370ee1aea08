"""The HTML report: self-contained (no external assets), every section present, the headline's
numbers exactly the CSV's, all input text escaped, the assumptions' comments from the TOML."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from leapforecast.analysis.compare import compare
from leapforecast.engine.run import simulate
from leapforecast.model.scenario import load_scenario
from leapforecast.report.html import SECTION_IDS, assumptions, build_report, fmt_prob

pytest.importorskip("matplotlib")


class Page(HTMLParser):
    """Collects links, ids, scripts and the headline's probability cells."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.ids: set[str] = set()
        self.tags: set[str] = set()
        self.probs: list[tuple[str, str]] = []  # (data-prob, shown text)
        self._prob: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        a = dict(attrs)
        for name in ("src", "href", "xlink:href", "action", "srcset", "poster"):
            if a.get(name) is not None:
                self.refs.append((tag, name, a[name] or ""))
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "td" and "prob" in (a.get("class") or "").split():
            self._prob = a.get("data-prob")

    def handle_data(self, data: str) -> None:
        if self._prob is not None:
            self.probs.append((self._prob, data))
            self._prob = None


@pytest.fixture(scope="module")
def base():
    sc = load_scenario("base")
    return sc, simulate(sc, paths=3000, seed=1)


@pytest.fixture(scope="module")
def page(base):
    sc, res = base
    text = build_report([res], scenarios=[sc], date="2026-01-31")
    parser = Page()
    parser.feed(text)
    return text, parser


def test_self_contained(page):
    text, p = page
    assert p.refs, "charts refer to their own glyphs and clip paths"
    for tag, attr, ref in p.refs:
        assert ref.startswith("#") or ref.startswith("data:"), (tag, attr, ref)
        if ref.startswith("#"):
            assert ref[1:] in p.ids, f"dangling anchor {ref}"
    assert not {"script", "link", "img", "iframe", "object", "embed"} & p.tags
    assert "@import" not in text and "url(http" not in text and "://" not in text.split("<svg")[0]


def test_sections_in_order(page):
    text, p = page
    assert set(SECTION_IDS) <= p.ids
    positions = [text.index(f"<section id='{s}'>") for s in SECTION_IDS]
    assert positions == sorted(positions)
    assert "Monte Carlo s.e." in text and "Outside view" in text
    assert text.count("<svg") == 3  # fan, exceedance, histogram (no tornado, no comparison)
    assert "2026-01-31" in text


def test_headline_numbers_are_the_csv(base, page):
    _, res = base
    _, p = page
    expected = [
        (row[f"prob_ge_{t}"], fmt_prob(row[f"prob_ge_{t}"]))
        for row in res.rows()
        for t in res.targets
    ]
    assert [(float(a), b) for a, b in p.probs] == expected
    assert fmt_prob(0.648) == "64.8%" and fmt_prob(0.0001) == "<0.1%"
    assert fmt_prob(0.9999) == ">99.9%" and fmt_prob(1.0) == "100.0%" and fmt_prob(0) == "0.0%"


def test_same_inputs_same_bytes(base):
    sc, res = base
    assert build_report([res], scenarios=[sc], date="d") == build_report(
        [res], scenarios=[sc], date="d"
    )


def test_input_text_is_escaped(base, write_scenario):
    path = write_scenario(
        '[scenario]\nname = "<script>alert(1)</script>"\n'
        "[growth]\n# <b>bold</b> & <i>claim</i>\nrate = 0.3\n",
        "evil.toml",
    )
    sc = load_scenario(path)
    res = simulate(sc, paths=500, seed=1)
    text = build_report(
        [res],
        scenarios=[sc],
        calibration_rows=[{"verdict": "<img src=x onerror=alert(1)>"}],
        date="<b>",
    )
    assert "<script" not in text and "<img" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;claim&lt;/i&gt;" in text


def test_assumptions_carry_the_toml_comments():
    rows = {r["key"]: r for r in assumptions(load_scenario("bear"))}

    def line_of(name: str, prefix: str) -> int:
        text = (Path(__file__).parents[1] / "scenarios" / name).read_text().splitlines()
        return next(i for i, line in enumerate(text, 1) if line.startswith(prefix))

    assert rows["growth.rate"]["source"].endswith(f"bear.toml:{line_of('bear.toml', 'rate =')}")
    assert "China trend most likely +20%" in rows["growth.rate"]["comment"]
    assert rows["growth.rate"]["value"] == "pert(low 0, mode 0.2, high 0.45)"
    # same-line comment, from the parent file
    targets = rows["simulation.targets"]
    base_line = line_of("base.toml", "targets =")
    assert targets["source"].endswith(f"base.toml:{base_line}") and "Reuters" in targets["comment"]
    assert targets["value"] == "500,000, 750,000, 1,000,000"
    assert rows["simulation.seed"]["value"] == "20260101"
    # an event's key without its own comment gets the event's comment, marked as inherited
    name = "event [purchase-tax exemption halved].impact"
    assert (
        rows[name]["inherited"] == "1" and "China demand falls 3% to 10%" in rows[name]["comment"]
    )


def test_several_scenarios_compared_with_outside_view():
    scs = [load_scenario("base"), load_scenario("bear")]
    cmp = compare(scs, paths=1000, seed=1)
    ref = [{"year": 2026, "target": 1_000_000, "prob_ge": 0.031}]
    text = build_report(cmp.results, scenarios=scs, comparison=cmp, reference_rows=ref)
    p = Page()
    p.feed(text)
    assert len(p.probs) == 2 * 3 * 3
    assert "vs base (paired)" in text
    assert "<td class='num outside'>3.1%</td>" in text
    assert text.count("<svg") == 2 + 1 + 2 + 1  # fans, exceedance, histograms, comparison


def test_assumptions_never_show_where_the_author_keeps_files(tmp_path, monkeypatch) -> None:
    """A report is sent on: bundled files show as scenarios/NAME.toml, files under the working
    directory relative to it, others by name alone; no absolute path reaches the page."""
    from leapforecast.report.html import shown_path

    rows = assumptions(load_scenario("bear"))
    assert rows and all(r["source"].startswith("scenarios/") for r in rows)
    assert any(r["source"].startswith("scenarios/bear.toml:") for r in rows)
    mine = tmp_path / "work" / "mine.toml"
    mine.parent.mkdir()
    mine.write_text(
        '[scenario]\nname = "mine"\nextends = "builtin:base"\n[growth]\nrate = 0.3  # my guess\n'
    )
    monkeypatch.chdir(tmp_path)
    assert shown_path(str(mine)) == "work/mine.toml"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert shown_path(str(mine)) == "mine.toml"
    assert shown_path("relative/given.toml") == "relative/given.toml"
    rows = assumptions(load_scenario(str(mine)))
    assert not any(str(tmp_path) in r["source"] for r in rows)
    assert {r["source"].split(":")[0] for r in rows} >= {"mine.toml", "scenarios/base.toml"}
