"""Looking inside trained models: pictures, latent statistics, factor axes and controllability.

One module per idea: ``visuals`` (reconstructions, traversals, prior samples), ``latent_stats``
(per-dimension KL, code mean and variance), ``classifier`` (the factor classifier of a data set
and its cache), ``axes`` (feature axes: GLM fit and decorrelation), ``controllability`` (the score),
``edits`` (images moved along the axes), ``pictures`` (grids, PNG, GIF), ``inspect_model`` (all of
it written to a folder), ``trial_outputs`` (what a study's trial records), ``cli`` (``inspect``).
See docs/inspection.md.
"""
