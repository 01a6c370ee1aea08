"""Control characters from input never reach a terminal raw.

Names, notes, keys and file names come from files anyone can write. An ESC in a scenario name
can retitle the terminal, clear the screen or hide text (OSC/CSI sequences); a newline splits a
one-line error in two. Everything printed passes through one of two places: ``cli.errors.err``
(stderr, ``safe_text``) and the consoles (``safe_console``: every string cell through
``safe_text``, every other segment through ``safe_segment_text``). Rich's own colour codes are
added after that, so they are untouched.

Table builders that make ``rich.text.Text`` from input themselves should call ``safe_text``: only
the newline inside such a Text cannot be told apart from a deliberate line break by the console.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - rich is imported when a console is made
    from rich.console import Console, ConsoleOptions, RenderableType
    from rich.segment import Segment
    from rich.text import Text

# C0 controls, DEL and C1 controls (U+0080..U+009F: U+009B is a one-character CSI)
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_UNSAFE_KEEP_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or f"\\x{ord(char):02x}"


def safe_text(s: str) -> str:
    """``s`` with every C0/C1 control character and DEL shown as a backslash escape
    (``\\x1b``, ``\\n``, ``\\t``, ``\\x9b``); printable text, including non-ASCII, is unchanged."""
    return _UNSAFE.sub(_escape, s) if _UNSAFE.search(s) else s


def safe_segment_text(s: str) -> str:
    """Like ``safe_text`` but keeps newlines: for text already laid out in lines."""
    return _UNSAFE_KEEP_NEWLINE.sub(_escape, s) if _UNSAFE_KEEP_NEWLINE.search(s) else s


def safe_console(**kwargs: Any) -> Console:
    """A Rich ``Console`` that escapes control characters in everything it prints.

    Plain strings (table cells, titles) are escaped before layout, so columns stay aligned;
    ``Text`` and other renderables are escaped segment by segment just before output (newlines
    kept: those are the layout's). Control segments (cursor moves of a progress bar) and styles
    are left alone.
    """
    from rich.console import Console
    from rich.segment import Segment
    from rich.table import Table

    from leapforecast.report.tables import fold_columns

    class _SafeConsole(Console):
        def render(
            self, renderable: RenderableType, options: ConsoleOptions | None = None
        ) -> Iterable[Segment]:
            if isinstance(renderable, Table):  # numbers fold, never '…' (report.tables)
                fold_columns(renderable)
            return super().render(renderable, options)

        def render_str(self, text: str, **options: Any) -> Text:
            return super().render_str(safe_text(text), **options)

        def _render_buffer(self, buffer: Iterable[Segment]) -> str:
            clean = (
                seg
                if seg.control or not _UNSAFE_KEEP_NEWLINE.search(seg.text)
                else Segment(safe_segment_text(seg.text), seg.style, seg.control)
                for seg in buffer
            )
            return super()._render_buffer(clean)

    return _SafeConsole(**kwargs)
