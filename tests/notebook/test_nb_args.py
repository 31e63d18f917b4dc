"""Magic argument parsing: errors are UsageError with a message naming the problem (NB-1)."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from qnb.notebook.args import MagicArgumentParser, positive_int, probability, split_line
from qnb.notebook.magics import _fault_parser, _qnb_parser, _submit_parser


def test_bad_option_is_usage_error_with_usage_text():
    p = _submit_parser()
    with pytest.raises(UsageError) as e:
        p.parse_line("--bogus 3")
    assert "--bogus" in str(e.value) and "usage: %qsubmit" in str(e.value)


def test_type_errors_name_the_rule():
    with pytest.raises(UsageError, match="positive integer"):
        _submit_parser().parse_line("--shots 0")
    with pytest.raises(UsageError, match="between 0 and 1"):
        _submit_parser().parse_line("--min-fidelity 1.5")
    with pytest.raises(UsageError, match="positive integer"):
        _qnb_parser().parse_line("start --nodes -2")


def test_help_returns_none_instead_of_exiting(capsys):
    assert _qnb_parser().parse_line("start --help") is None
    assert "--qubits-per-node" in capsys.readouterr().out


def test_wait_flags_are_exclusive_and_default_to_wait():
    p = _submit_parser()
    assert p.parse_line("").wait is True
    assert p.parse_line("--no-wait").wait is False
    with pytest.raises(UsageError, match="not allowed with"):
        p.parse_line("--wait --no-wait")


def test_fault_kind_choices_are_listed():
    with pytest.raises(UsageError) as e:
        _fault_parser().parse_line("explode n01")
    assert "invalid choice" in str(e.value) and "latency" in str(e.value)


def test_unbalanced_quotes_are_usage_errors():
    with pytest.raises(UsageError, match="cannot parse"):
        split_line("--name 'oops")


def test_typed_converters():
    assert positive_int("3") == 3
    assert probability("0.25") == 0.25
    p = MagicArgumentParser(prog="%x")
    p.add_argument("--n", type=positive_int)
    with pytest.raises(UsageError, match="'x' is not a positive integer"):
        p.parse_line("--n x")
