"""The units grammar: commas only as thousands grouping, and every accepted string means what
the documented grammar says (a property test against an independent reading with Decimal)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leapforecast.errors import UsageError
from leapforecast.units import parse_number, parse_units


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500000", 500_000),
        ("500k", 500_000),
        ("1M", 1_000_000),
        ("1.5M", 1_500_000),
        ("1_000_000", 1_000_000),
        ("1,000,000", 1_000_000),
        ("1,234,567", 1_234_567),
        ("1,234.5k", 1_234_500),
        ("1e6", 1_000_000),
        (" 750k ", 750_000),
        (".5M", 500_000),
    ],
)
def test_accepted(text, value):
    assert parse_units(text) == value


@pytest.mark.parametrize("text", ["1,5M", "300000,5", "1,2", "1,23,456", ",5", "1,,000", "12,34"])
def test_decimal_commas_are_refused_naming_the_value(text):
    with pytest.raises(UsageError) as exc:
        parse_units(text)
    assert repr(text) in str(exc.value) and "decimal point" in str(exc.value)


@pytest.mark.parametrize("text", ["300000,5", "1,2"])
def test_csv_cells_refuse_decimal_commas(text):
    with pytest.raises(ValueError, match="decimal point"):
        parse_number(text)


def test_cli_target_with_decimal_comma_is_an_error(cli):
    code, out, err = cli("run", "-n", "1000", "--target", "1,5M")
    assert code == 2 and out == ""
    assert "'1,5M'" in err and len(err.strip().splitlines()) == 1


def test_scenario_units_with_decimal_comma_is_an_error(cli, tmp_path):
    sc = tmp_path / "s.toml"
    sc.write_text('extends = "builtin:base"\n[history]\nbase_units = "300000,5"\n')
    code, _, err = cli("validate", str(sc))
    assert code == 2 and "300000,5" in err


def _reference(text: str) -> Decimal:
    """An independent reading of the grammar: strip grouping, scale by the suffix."""
    text = text.strip()
    scale = {"k": 1000, "m": 1_000_000}.get(text[-1:].lower(), 1)
    if scale != 1:
        text = text[:-1].strip()
    return Decimal(text.replace("_", "").replace(",", "")) * scale


_group = st.integers(0, 999).map(lambda n: f"{n:03d}")
_grouped = st.builds(
    lambda head, groups: str(head) + "".join("," + g for g in groups),
    st.integers(1, 999),
    st.lists(_group, min_size=1, max_size=3),
)
_underscored = st.lists(st.integers(0, 999).map(str), min_size=1, max_size=3).map("_".join)
_candidates = st.one_of(
    st.builds(
        lambda i, frac, suf: i + frac + suf,
        st.one_of(_grouped, _underscored, st.integers(0, 10**9).map(str)),
        st.one_of(st.just(""), st.integers(0, 999).map(lambda n: f".{n}")),
        st.sampled_from(["", "k", "K", "m", "M"]),
    ),
    st.text(alphabet="0123456789,._kKmM ", max_size=12),
)


@given(_candidates)
def test_any_accepted_string_round_trips_through_the_grammar(text):
    try:
        value = parse_units(text)
    except UsageError:
        return
    assert "," not in text or re.search(r"\d{1,3}(,\d{3})+", text)
    assert Decimal(value) == _reference(text)


@pytest.mark.parametrize("text", ["1e400", "2e15", 1e300])
def test_absurdly_large_units_are_refused(text):
    with pytest.raises(UsageError, match="at most"):
        parse_units(text)


@pytest.mark.parametrize("key", ["02026", "２０２６", "26", "2026a"])
def test_capacity_schedule_keys_are_four_ascii_digits(cli, tmp_path, key):
    sc = tmp_path / "s.toml"
    sc.write_text(f'extends = "builtin:base"\n[capacity]\nschedule = {{ "{key}" = 900_000 }}\n')
    code, _, err = cli("validate", str(sc))
    assert code == 2 and "not a year" in err


@pytest.mark.parametrize(("value", "message"), [("1e14", "implausibly large"), ("1e20", "at most")])
def test_month_option_is_capped_like_the_csv(cli, value, message):
    code, _, err = cli("nowcast", "--month", f"2026-01={value}")
    assert code == 2 and message in err
