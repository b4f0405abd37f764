"""The result of one analysis: tidy tables, figure files and plain-language notes.

Every analysis module returns a :class:`Section` from ``analyse(df)`` and draws its figures with
``plot(section, out_dir)``; the HTML report and the Findings only read sections. Notes say what
could not be computed and why (a missing column, too few models), so a thin table yields a
report that says what is missing rather than an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass
class Section:
    """One analysis's output.

    ``tables`` maps a caption to a tidy DataFrame; ``figures`` lists PNG files written by the
    module's ``plot``; ``notes`` are sentences for the reader (what is missing, how a number was
    computed); ``statements`` are sentences stating what the numbers show, shown first;
    ``csv_files`` maps a file name to a table the report writes as CSV beside itself; ``data``
    holds intermediate results the module's plot and the Findings reuse.
    """

    key: str
    title: str
    description: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)
    csv_files: dict[str, pd.DataFrame] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)

    def note(self, text: str) -> None:
        """Add a note for the reader."""
        self.notes.append(text)
