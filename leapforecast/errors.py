"""One error hierarchy for the library; the CLI maps it to one-line messages and exit codes."""

from __future__ import annotations


class LeapforecastError(Exception):
    """Base of every error the library raises on purpose (bad input, not bugs)."""

    def __init__(self, message: str, *, file: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file

    def __str__(self) -> str:
        return f"{self.file}: {self.message}" if self.file else self.message


class ScenarioError(LeapforecastError):
    """A scenario file or override is invalid; ``problems`` lists every one found."""

    def __init__(self, problems: list[str] | str, *, file: str | None = None) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__(self.problems[0] if self.problems else "invalid scenario", file=file)

    def lines(self) -> list[str]:
        """Every problem as a one-line message prefixed with the file name."""
        prefix = f"{self.file}: " if self.file else ""
        return [prefix + p for p in self.problems]


class HistoryError(LeapforecastError):
    """A sales-history CSV is missing, malformed or inconsistent."""


class UsageError(LeapforecastError):
    """A command-line value is invalid (e.g. a target that is not a number)."""
