"""The palette shows each entry's key as text: "[F8]", "[c]" were read as markup tags and
vanished (only "[Ctrl+F]"-like keys showed) (Pilot)."""

from __future__ import annotations

import pytest
from test_ui_support import RecordingStudio, studio_settings, wait_until

pytestmark = pytest.mark.usefixtures("fast_idle")


def palette_texts(app) -> list[str]:
    """The plain text of the palette's options (title and help)."""
    found = app.screen.query("CommandList")
    if not found:
        return []
    listing = found.first()
    return [str(listing.get_option_at_index(i).prompt)
            for i in range(listing.option_count)]


@pytest.mark.parametrize(("query", "keymap", "key"), [
    ("Copy last reply", {}, "[F8]"),
    ("Copy job path", {}, "[c]"),
    ("Save transcript", {"save_transcript": "f12"}, "[F12]"),  # the key in effect
])
async def test_palette_entries_show_their_keys(tmp_path, query, keymap, key):
    app = RecordingStudio(studio_settings("http://127.0.0.1:9", tmp_path, keymap=keymap),
                          connect=False)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("ctrl+p", *query)
        await wait_until(pilot, lambda: any(query in t for t in palette_texts(app)))
        entry = next(t for t in palette_texts(app) if query in t)
        assert entry.rstrip().endswith(key), entry
