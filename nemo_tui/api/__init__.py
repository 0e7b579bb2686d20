"""Async client for the NemoVideo backend protocol (imports no Textual, no Rich)."""
