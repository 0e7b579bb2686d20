"""Why a figure misses its goal when it cannot be fixed here: shown in RESULTS.md next to a MISS.

Keys are ``"<benchmark>.<figure id>"``. Written after profiling the miss (see docs/PERFORMANCE.md).
"""

LIMITS: dict[str, str] = {}
