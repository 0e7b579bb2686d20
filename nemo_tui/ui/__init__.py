"""The Textual studio (imported only when the studio starts)."""
