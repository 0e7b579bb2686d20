"""Batch runs (`nemo-tui batch`, the studio's "Run batch file…"): file, state, runner.

No Textual here: the CLI and the studio drive the same engine.
"""
