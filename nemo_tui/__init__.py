"""nemo-tui: a keyboard-driven terminal studio for the NemoVideo AI-video backend."""

__version__ = "0.1.0"
