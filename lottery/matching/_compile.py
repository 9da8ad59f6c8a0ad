"""numba's ``njit``, or a stand-in that leaves functions as plain Python.

numba compiles the matcher's hot loop (about a second on first use, then cached on
disk). Where numba cannot be imported, for example on a Python release it does not
support yet, the same code runs as plain Python: identical results, much slower.
"""

from __future__ import annotations

try:
    from numba import njit
except ImportError:  # pragma: no cover - exercised only where numba is unavailable

    def njit(*args, **kwargs):
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return args[0]
        return lambda function: function


__all__ = ["njit"]
