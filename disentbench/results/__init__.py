"""Result records and the results table (architecture.md, "Result records" and "Results table").

``load(RESULTS) -> pandas.DataFrame`` is the one entry point reports use.
"""

from disentbench.results.records import iter_records, read_record, record_path, write_record
from disentbench.results.table import export, load

__all__ = ["export", "iter_records", "load", "read_record", "record_path", "write_record"]
