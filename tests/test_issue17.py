"""Issue 17: no silently wrong numbers, no internal errors on bad input, one consistent CLI.

Each test holds one class of problem the hostile-input run found; docs/reliability.md lists them.
"""

from __future__ import annotations

import zlib

import numpy as np


def refused(code: int, out: str, err: str, fragment: str) -> None:
    """Bad input: exit 2, nothing on stdout, one ``error:`` line naming the problem."""
    assert code == 2, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert "Traceback" not in err and "internal error" not in err
    assert fragment in lines[0], lines[0]


# --- silently wrong numbers -------------------------------------------------------------------


def test_streams_of_crc32_colliding_names_differ():
    from leapforecast.engine.sampling import design, stream

    a, b = "event.ev879259.occurs", "event.ev25404002.occurs"
    assert zlib.crc32(a.encode()) == zlib.crc32(b.encode())  # the old key collided
    assert stream(1, 0, a).random() != stream(1, 0, b).random()
    u = design([a, b], 1000, seed=5, chunk=0, method="random")
    assert abs(np.corrcoef(u[0], u[1])[0, 1]) < 0.1
