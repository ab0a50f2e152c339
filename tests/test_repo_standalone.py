"""The repository stands alone: no source, test, benchmark or document reads or names a path outside it
(a machine path, the design folder next to the checkout), and no comment points at a numbered list of
open questions that only exists outside it — a comment states the fact it relies on instead.

The patterns are written so that this file does not match them, so it is scanned like every other.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("src", "tests", "bench", "docs")
SCANNED_FILES = ("README.md", "pyproject.toml", "Makefile")
SUFFIXES = frozenset({".py", ".md", ".toml", ".yaml", ".yml", ".txt", ".cfg", ".ini", ".json", ".ldif", ""})

FORBIDDEN = {
    "an absolute machine path": re.compile(r"/(?:work|root|home)/"),
    "the design folder outside the repository": re.compile(r"\.\./shared|\bshared/(?:design|reference)/"),
    "a numbered open question kept outside the repository": re.compile(
        r"open[\s-]+questions?(?:\.md)?\s*#\s*\d+", re.IGNORECASE
    ),
}


def scanned_files() -> list[Path]:
    files = [ROOT / name for name in SCANNED_FILES if (ROOT / name).is_file()]
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in SUFFIXES and "__pycache__" not in path.parts:
                files.append(path)
    return files


def hits() -> list[str]:
    found: list[str] = []
    for path in scanned_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for what, pattern in FORBIDDEN.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {what}: {match.group(0)!r}")
    return found


def test_the_scan_covers_the_code_tests_and_docs() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in scanned_files()}

    assert "src/idsync/cli.py" in names
    assert "tests/test_repo_standalone.py" in names
    assert "docs/configuration.md" in names


@pytest.mark.parametrize(
    "text",
    [
        "CONFIG = Path('/" "work/sh" "ared/des" "ign/CONFIG.md')",
        "faithful to .." "/sh" "ared/ref" "erence/okta.md",
        "(open " "question #5)",
        "(open-" "questions.md #11: the version switch)",
        "(open\n    " "question #36: Okta accepts both)",
    ],
)
def test_the_patterns_catch_what_they_are_for(text: str) -> None:
    assert any(pattern.search(text) for pattern in FORBIDDEN.values())


def test_no_file_points_outside_the_repository() -> None:
    found = hits()

    assert found == [], "rewrite these to stand alone:\n" + "\n".join(found)
