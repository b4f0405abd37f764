"""A table without a setting column gets a note naming it from every analysis that needs it (or a
clear error from the leaderboard), never a crash."""

from __future__ import annotations

import pytest

from disentbench.errors import UserError
from disentbench.reports import columns as C
from disentbench.reports import drivers, leaderboard, mean_vs_sampled, transfer, weak_vs_unsupervised


def test_lacking_names_the_absent_columns_and_the_consequence(small_table):
    assert C.lacking(small_table, C.SETTING_COLUMNS, "x") is None
    table = small_table.drop(columns=["strength", "seed"])
    note = C.lacking(table, (*C.SETTING_COLUMNS, "seed"), "the protocol needs them")
    assert note == "The table lacks the column(s) strength, seed: the protocol needs them."


@pytest.mark.parametrize(
    ("analysis", "dropped", "consequence"),
    [
        (drivers.analyse, "strength", "cannot split by them"),
        (mean_vs_sampled.analyse, "representation", "cannot split by them"),
        (weak_vs_unsupervised.analyse, "method", "cannot compare the groups"),
        (transfer.analyse, "seed", "the protocol needs them"),
    ],
)
def test_each_analysis_notes_a_missing_setting_column(small_table, analysis, dropped, consequence):
    section = analysis(small_table.drop(columns=[dropped]))
    assert f"The table lacks the column(s) {dropped}: {consequence}." in section.notes


def test_the_leaderboard_refuses_a_table_without_its_settings(small_table):
    with pytest.raises(UserError, match=r"lacks the column\(s\) strength: a leaderboard needs them"):
        leaderboard.build(small_table.drop(columns=["strength"]))
