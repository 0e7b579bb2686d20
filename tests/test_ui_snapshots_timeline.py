"""Snapshots of the labelled timeline: the ruler with a playhead at two zoom levels (labels from
the server shown literally: markup, escapes, bidi, wide CJK characters never cut in half) and
the media bin. Update after an intended change with ``--snapshot-update``."""

from __future__ import annotations

from nemo_tui.draft import decode_draft
from nemo_tui.ui.demo import build_demo_app

#: Labels a server could send: CJK (wide), markup, an escape, a bidi override, a long name.
HOSTILE_DRAFT = {
    "d": 20000, "m": {"title": "城市夜景 [b]x[/b]", "width": 1920, "height": 1080},
    "t": [
        {"tt": 0, "sg": [
            {"s": 0, "d": 5000, "m": {"name": "城市夜景·开场镜头"}},
            {"s": 5000, "d": 5000, "m": {"name": "[bold red]not markup[/]"}},
            {"s": 10000, "d": 5000, "m": {"name": "\x1b[31mnot red \u202eevil"}},
            {"s": 15000, "d": 5000, "m": {"name": "a very long scene name that cannot fit"}}]},
        {"tt": 1, "sg": [{"s": 0, "d": 20000, "m": {"name": "配乐 Lo-fi", "volume": 0.35}}]},
        {"tt": 7, "sg": [{"s": 0, "d": 4000, "m": {"text": "标题：城市"}},
                         {"s": 12000, "d": 6000, "m": {"text": "[i]The end[/i]"}}]},
    ],
}
# f3 focuses the tree; two downs select segment 1.2; seven rights put the playhead at 7 s
SELECT_AND_PLAY = ["f3", "down", "down", *["right"] * 7]


def hostile_app(tmp_path):
    """The demo studio showing the hostile, CJK-labelled draft."""
    app = build_demo_app(tmp_path)

    async def show(pilot) -> None:
        app.draft = decode_draft(HOSTILE_DRAFT)
        app.raw_draft = HOSTILE_DRAFT
        app.timeline.set_draft(app.draft)
        await pilot.pause()

    return app, show


def test_labelled_ruler_with_playhead_fit(snap_compare, tmp_path):
    """Whole draft in view: names inside blocks, cut with … at block edges, playhead ▏ 7s."""
    app, show = hostile_app(tmp_path)
    assert snap_compare(app, press=SELECT_AND_PLAY, terminal_size=(120, 40), run_before=show)


def test_labelled_ruler_with_playhead_zoomed(snap_compare, tmp_path):
    """Zoomed in twice (finer ticks), the view following the playhead."""
    app, show = hostile_app(tmp_path)
    assert snap_compare(app, press=[*SELECT_AND_PLAY, "plus", "plus", "right", "right"],
                        terminal_size=(120, 40), run_before=show)


def test_labelled_ruler_narrow(snap_compare, tmp_path):
    """At 80x24 the labels still fit their blocks."""
    app, show = hostile_app(tmp_path)
    assert snap_compare(app, press=SELECT_AND_PLAY, terminal_size=(80, 24), run_before=show)


def test_media_bin(snap_compare, tmp_path):
    """m lists the uploads and generated media with kind, duration and size."""
    assert snap_compare(build_demo_app(tmp_path), press=["f3", "m"], terminal_size=(120, 40))
