"""disentbench: a PyTorch reproduction of Locatello et al. (ICML 2019), driven by Ray.

Sub-packages, one job each:
``datasets`` (ground-truth data, loaders and offline renderers), ``models`` (the six VAEs and
their trainer), ``metrics`` (every score of the study), ``benchmark`` (study files, trials, the
Ray runner), ``results`` (result records and the results table), ``reports`` (the paper's
analyses and the leaderboard).
"""

__version__ = "0.1.0"
