"""The paper's analyses, the leaderboard and the HTML report, all functions of the results table.

One module per analysis (docs/reference/analyses.md §3), each with ``analyse(df) -> Section`` (tidy tables and
notes) and ``plot(section, out_dir)`` (PNG figures): ``agreement`` (a), ``mean_vs_sampled`` (b),
``drivers`` (c), ``unsupervised_selection`` (d), ``transfer`` (e, Table 1), ``downstream`` (f).
``findings`` states what the results show for each claim; ``leaderboard`` ranks settings;
``html.write_report`` writes the self-contained report; ``synthetic`` makes tables with planted
structure for tests and examples. (The reference's aggregated results JSON becomes records in
``disentbench.results.reference_import``.)
"""
