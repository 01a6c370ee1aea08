"""Helpers for tests that check stderr is clean: since issue 14, a run of a scenario narrower
than the record of makers supports adds one warning line on stderr with --format csv/json."""

from __future__ import annotations

import re

_WARNING = re.compile(r"^warning: .+ narrower than the record of makers supports .+\n?", re.M)


def quiet(err: str) -> str:
    """``err`` without the outside view's narrowness warnings."""
    return _WARNING.sub("", err)
