"""Per-path totals as a Parquet file (``run --samples FILE.parquet``), for people who analyse
the raw draws in pandas, Polars, DuckDB or R. Needs the optional ``pyarrow``
(``pip install 'leapforecast[parquet]'``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from leapforecast.engine.results import SimulationResult
from leapforecast.errors import UsageError
from leapforecast.report.output import write_bytes

MISSING = "`samples` needs pyarrow: pip install 'leapforecast[parquet]'"


def require_parquet() -> None:
    """Refuse before a long run, not after it, when pyarrow is missing (one-line message)."""
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise UsageError(MISSING) from None


def parquet_bytes(result: SimulationResult) -> bytes:
    """The per-path totals as Parquet: one row per path, one float32 column per forecast year
    (named "2026", "2027", ...: Parquet column names are text), units as simulated. The run's
    metadata (scenario, seed, paths, version, scenario hash) is in the file's key-value
    metadata under ``leapforecast``."""
    import json

    import numpy as np

    require_parquet()
    import pyarrow as pa
    import pyarrow.parquet as pq

    if result.totals is None:
        raise UsageError("`samples`: this result does not keep its per-path totals")
    columns = {
        str(year): pa.array(np.ascontiguousarray(result.totals[:, t]))
        for t, year in enumerate(result.years)
    }
    table = pa.table(columns)
    meta = {"leapforecast": json.dumps(result.metadata())}
    table = table.replace_schema_metadata(meta)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def write_samples(
    result: SimulationResult, path: str | Path, *, inputs: list[Any] | tuple[()] = ()
) -> None:
    """Write the per-path totals to ``path`` through the shared writer: atomically, and never
    over one of ``inputs`` (or any file this run read)."""
    write_bytes(parquet_bytes(result), path, inputs=list(inputs), option="--samples")
