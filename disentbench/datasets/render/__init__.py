"""See the package docstring of disentbench."""
