"""Every command's --help shows examples, and every example is a command line the parser accepts."""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys

import pytest

from desktop_app.cli import build_parser


def commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(((*prefix, name), sub))
                found += commands(sub, (*prefix, name))
    return found


ALL = commands(build_parser())


def examples(help_text: str) -> list[list[str]]:
    """The ``genrescope ...`` lines after an "example(s):" heading, as argument lists."""
    text = help_text[help_text.find("example"):]
    lines = re.findall(r"^\s*(?:example:\s*)?(genrescope(?: .*)?)$", text, flags=re.MULTILINE)
    return [shlex.split(re.split(r"\s{2,}", line)[0])[1:] for line in lines]  # drop "  comment"


def test_there_are_commands_and_nested_actions() -> None:
    names = {" ".join(path) for path, _ in ALL}
    assert {"scan", "tracks", "analyze", "classify", "model install", "playlist export"} <= names


@pytest.mark.parametrize("path,parser", ALL, ids=[" ".join(path) for path, _ in ALL])
def test_help_has_examples_that_parse(path: tuple[str, ...], parser: argparse.ArgumentParser) -> None:
    help_text = parser.format_help()
    found = examples(help_text)
    assert found, f"genrescope {' '.join(path)} --help shows no example"
    for argv in found:
        if argv[: len(path)] == list(path):  # a parent's examples may show other actions
            build_parser().parse_args(argv)


def test_top_level_help_and_version() -> None:
    from desktop_app import __version__

    result = subprocess.run([sys.executable, "-m", "desktop_app", "--version"], capture_output=True, text=True)
    assert result.stdout.strip() == f"genrescope {__version__}"
    assert examples(build_parser().format_help())


@pytest.mark.parametrize("path,parser", ALL, ids=[" ".join(path) for path, _ in ALL])
def test_option_help_reads_as_written(path: tuple[str, ...], parser: argparse.ArgumentParser) -> None:
    """Help texts are assembled from shared pieces; a join must not double the punctuation."""
    for action in parser._actions:
        text = action.help or ""
        assert not re.search(r"[,;.]\s*[,;]|\s{2,}", text), f"genrescope {' '.join(path)} {action.dest}: {text!r}"
