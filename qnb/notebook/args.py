"""argparse for magics: errors become IPython ``UsageError`` (a one-line message plus usage, no
traceback) instead of ``SystemExit`` killing the cell (the jupysql pattern, NB-1)."""

from __future__ import annotations

import argparse
import shlex
from typing import Any, NoReturn

from IPython.core.error import UsageError

__all__ = ["MagicArgumentParser", "HelpShown", "positive_int", "positive_float", "probability", "split_line"]


class HelpShown(Exception):
    """Raised after ``--help`` printed the help text: the magic returns None quietly."""


class MagicArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser that never exits the process."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}\n{self.format_usage().strip()}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if status:
            raise UsageError(message or f"{self.prog}: invalid arguments")
        raise HelpShown()

    def parse_line(self, line: str) -> argparse.Namespace | None:
        """Parse a magic's argument line; None when ``--help`` was requested (help is printed)."""
        try:
            return self.parse_args(split_line(line))
        except HelpShown:
            return None


def split_line(line: str) -> list[str]:
    """Shell-like split of a magic line; unbalanced quotes are a usage error, not a crash."""
    try:
        return shlex.split(line, posix=True)
    except ValueError as e:
        raise UsageError(f"cannot parse arguments {line!r}: {e}") from None


def _typed(conv: Any, check: Any, rule: str):
    def parse(text: str) -> Any:
        try:
            value = conv(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"{text!r} is not {rule}") from None
        if not check(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not {rule}")
        return value
    parse.__name__ = rule
    return parse


positive_int = _typed(int, lambda v: v > 0, "a positive integer")
non_negative_int = _typed(int, lambda v: v >= 0, "a non-negative integer")
positive_float = _typed(float, lambda v: v > 0, "a positive number")
non_negative_float = _typed(float, lambda v: v >= 0, "a non-negative number")
probability = _typed(float, lambda v: 0.0 <= v <= 1.0, "a number between 0 and 1")
