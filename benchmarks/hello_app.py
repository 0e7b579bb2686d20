"""The baseline: a bare Textual app with a Header and a Static saying hello."""

from textual.app import App, ComposeResult
from textual.widgets import Header, Static


class HelloApp(App):
    """Smallest honest Textual app: what any Textual program pays to start."""

    TITLE = "hello"

    def compose(self) -> ComposeResult:
        """A header and one line of text."""
        yield Header()
        yield Static("hello, world")


if __name__ == "__main__":
    HelloApp().run()
