"""Every document the repository cites is a file of the repository, with the cited section.

Checked in every ``.py``, ``.md`` and ``.yaml`` file: path citations (``docs/reference/metrics.md
§7``), relative Markdown links, bare ``§N`` inside the packages whose subject is one reference page
(docs/reference/README.md says which), and the forms that point outside the repository (a bare
``metrics.md §4``, ``STYLE.md``, ``../shared``, a project ``issue N``), which must not occur.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP_DIRS = {".git", ".venv", "venv", "build", "dist", "__pycache__", ".pytest_cache", ".ruff_cache"}
SUFFIXES = {".py", ".md", ".yaml", ".yml"}
REFERENCE = ("analyses", "data", "metrics", "models", "study", "weak")

#: A bare § in these folders cites this reference page.
SECTION_HOME = {
    "disentbench/metrics": "docs/reference/metrics.md",
    "tests/metrics": "docs/reference/metrics.md",
    "disentbench/models": "docs/reference/models.md",
    "tests/models": "docs/reference/models.md",
    "disentbench/datasets": "docs/reference/data.md",
    "tests/datasets": "docs/reference/data.md",
}

_NUM = r"\d+(?:\.\d+)*(?:\([a-z]\))?"
_SECTIONS = rf"§{_NUM}(?:(?:–|-)§?\d+(?:\.\d+)*)?(?:(?:,\s*|\s+and\s+)§{_NUM}(?:(?:–|-)§?\d+(?:\.\d+)*)?)*"
#: ``docs/x.md`` (or tests/, examples/ ...) optionally followed by its sections.
PATH_CITATION = re.compile(
    r"(?<![\w/.-])((?:docs|tests|examples|benchmarks|configs)/[\w./-]*\.md)(?:\s+(" + _SECTIONS + "))?"
)
#: ``metrics.md §4`` with no folder: allowed only inside docs/reference/ (a sibling page).
BARE_REFERENCE = re.compile(r"(?<![\w/.-])(" + "|".join(REFERENCE) + r")\.md(?:\s+(" + _SECTIONS + "))?")
BARE_SECTIONS = re.compile(_SECTIONS)
MARKDOWN_LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")
HEADING = re.compile(r"^#{1,6}\s+(" + _NUM + r")[.\s]", re.MULTILINE)
#: A citation of one of the project's own issues (an upstream GitHub issue names its repository).
PROJECT_ISSUE = re.compile(
    r"(?<!disentanglement_lib )(?<!dsprites-dataset )(?<!3d-shapes )(?<!disentangling-vae )"
    r"\bissue (?:item )?\d+"
)
OUTSIDE = re.compile(r"\.\./shared|(?<![\w/.-])STYLE\.md")


def _files() -> list[Path]:
    out = []
    for path in sorted(ROOT.rglob("*")):
        rel = path.relative_to(ROOT)
        if any(part in SKIP_DIRS for part in rel.parts) or path.suffix not in SUFFIXES:
            continue
        if path.is_file() and path != Path(__file__).resolve():
            out.append(path)
    return out


FILES = _files()


@cache
def _headings(path: Path) -> frozenset[str]:
    return frozenset(HEADING.findall(path.read_text(encoding="utf-8")))


def _section_numbers(sections: str) -> list[str]:
    """``§2.2–2.3, §2.9`` -> ['2.2', '2.3', '2.9']; a trailing sentence dot is not part of it."""
    numbers = []
    for part in re.split(r",\s*|\s+and\s+", sections):
        for number in re.split(r"–|-", part):
            number = number.strip().lstrip("§").rstrip(".")
            if number:
                numbers.append(number)
    return numbers


def _missing_sections(target: Path, sections: str | None) -> list[str]:
    if not sections:
        return []
    return [n for n in _section_numbers(sections) if n not in _headings(target)]


def _problems(path: Path, rel: str | None = None) -> list[str]:
    """What is wrong with the citations of ``path`` (``rel``: its place in the repository)."""
    rel = rel or path.relative_to(ROOT).as_posix()
    text = path.read_text(encoding="utf-8")
    problems = []
    for match in OUTSIDE.finditer(text):
        problems.append(f"cites a document outside the repository: {match.group(0)!r}")
    for match in PROJECT_ISSUE.finditer(text):
        problems.append(f"cites a project issue ({match.group(0)!r}): cite the document that describes it")
    masked = text
    for match in PATH_CITATION.finditer(text):
        target = ROOT / match.group(1)
        if not target.is_file():
            problems.append(f"cites {match.group(1)}, which is not a file of the repository")
        else:
            for number in _missing_sections(target, match.group(2)):
                problems.append(f"cites {match.group(1)} §{number}, which has no such heading")
        masked = masked.replace(match.group(0), " " * len(match.group(0)), 1)
    in_reference = rel.startswith("docs/reference/")
    for match in BARE_REFERENCE.finditer(masked):
        masked = masked.replace(match.group(0), " " * len(match.group(0)), 1)
        if not in_reference:
            problems.append(f"bare {match.group(0)!r}: cite docs/reference/{match.group(1)}.md")
            continue
        target = path.parent / f"{match.group(1)}.md"
        for number in _missing_sections(target, match.group(2)):
            problems.append(f"cites {match.group(1)}.md §{number}, which has no such heading")
    home = next((page for folder, page in SECTION_HOME.items() if rel.startswith(folder + "/")), None)
    if home is not None:
        for match in BARE_SECTIONS.finditer(masked):
            for number in _missing_sections(ROOT / home, match.group(0)):
                problems.append(f"bare §{number} (here: {home}) has no such heading")
    if path.suffix == ".md":
        for match in MARKDOWN_LINK.finditer(text):
            link = match.group(1)
            if re.match(r"[a-z]+:", link):
                continue
            if not (path.parent / link).exists():
                problems.append(f"links to {link}, which does not exist")
    return problems


@pytest.mark.parametrize("path", FILES, ids=[p.relative_to(ROOT).as_posix() for p in FILES])
def test_citations_resolve(path: Path) -> None:
    problems = _problems(path)
    assert not problems, "\n".join(problems)


def test_reference_pages_link_to_deviations() -> None:
    pages = sorted((ROOT / "docs" / "reference").glob("*.md"))
    assert {p.stem for p in pages} >= set(REFERENCE)
    for page in pages:
        assert "](../deviations.md)" in page.read_text(encoding="utf-8"), page.name


def test_checker_catches_what_it_should(tmp_path: Path) -> None:
    """The checks above can fail: a made-up citation of each kind is reported."""
    probe = tmp_path / "probe.md"
    probe.write_text(
        "See docs/reference/metrics.md §99, docs/nowhere.md, metrics.md §4, STYLE.md §1, "
        "(issue 5 §3) and [a link](missing.md).\n",
        encoding="utf-8",
    )
    problems = "\n".join(_problems(probe, rel="docs/probe.md"))
    for expected in ("§99", "docs/nowhere.md", "bare 'metrics.md §4'", "STYLE.md", "issue 5", "missing.md"):
        assert expected in problems
