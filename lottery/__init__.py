"""lottery: a unified citywide school-choice lottery engine.

Seeded, publicly checkable lottery numbers; student-proposing deferred acceptance;
reproducible placement files. Charter and district programs are treated identically.
"""

import pandas as _pandas

# pyarrow (which reads the input files) would otherwise switch pandas' text columns to
# Arrow's storage, whose regular expressions and idea of whitespace are not Python's:
# every check is written, and every message worded, for Python's.
_pandas.set_option("mode.string_storage", "python")

__version__ = "0.1.0"
