"""Exceptions shared across the package.

``UserError`` marks bad input a user can fix (a malformed study file, a missing data file, an
unknown name). The CLI prints its message without a traceback and exits with status 2.
"""


class UserError(Exception):
    """Bad input that the user can fix; the message names the field or file and what was expected."""


class DataFileError(UserError):
    """A data file is missing, truncated, corrupted or has the wrong layout."""
