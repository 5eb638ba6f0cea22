"""bench/results.md is written by `make bench`: bench.operations writes the file, and each later
step of the same run puts its own section in (replacing that section from an earlier run, so a
step run on its own never leaves two copies)."""
from __future__ import annotations

import os
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results.md"


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes) now: only same-run ratios count here."""
    return ", ".join(f"{figure:.2f}" for figure in os.getloadavg())


def put_section(heading: str, text: str, path: Path = RESULTS) -> None:
    """`text` as the section `## {heading}` of the results, in place of an earlier one."""
    title = f"## {heading}"
    kept, skipping = [], False
    existing = path.read_text().splitlines() if path.exists() else ["# Benchmark results"]
    for line in existing:
        if line.startswith("## "):
            skipping = line == title
        if not skipping:
            kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    path.write_text("\n".join([*kept, "", title, "", text.strip(), ""]))
