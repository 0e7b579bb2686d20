"""Modal screens of the studio: help, sessions, upload."""
