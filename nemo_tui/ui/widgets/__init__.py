"""Widgets of the studio: chat, timeline, jobs, status bar."""
