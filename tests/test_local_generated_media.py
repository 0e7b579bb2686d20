"""The local backend lists what its agent generated in the state's ``generated_media`` (PROTOCOL.md
§8), where the studio's media bin reads it; each file is served at its ``cdn_url``; the timeline's
"insert the generated …" sentence is understood. NemoClient over loopback."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from nemo_tui.api import ClientConfig, NemoClient
from nemo_tui.draft import decode_draft
from nemo_tui.edit_check import check
from nemo_tui.edit_compose import EditAction, compose
from nemo_tui.media import media_items

GENERATE = "make a 4 second video about the sea with background music"


@pytest.fixture
def backend(make_local_backend):
    return make_local_backend(server_options={"wait_scale": 0.0, "free_credits": 10_000})


@pytest.fixture
async def client(backend):
    c = NemoClient(ClientConfig(api_url=backend.url, client_id=str(uuid.uuid4())))
    yield c
    await c.aclose()


async def turn(client: NemoClient, message: str) -> None:
    """One chat turn, to its end."""
    async for _ in client.stream_turn(message):
        pass


async def probe(data: bytes, tmp_path, name: str) -> dict:
    """What ffmpeg reads in the bytes."""
    from nemo_tui.local.probe import probe_media_async

    path = tmp_path / name
    path.write_bytes(data)
    return await probe_media_async(path)


@pytest.mark.timeout(120)
async def test_generated_clip_and_tune_are_listed_and_served(client, tmp_path):
    await client.ensure_session()
    state = await client.state()
    assert media_items(state.video_infos, state.generated_media) == []
    await turn(client, GENERATE)
    state = await client.state()
    assert state.video_infos == []  # nothing was uploaded
    by_type = {g["file_type"]: g for g in state.generated_media}
    assert set(by_type) == {"video", "audio"}
    clip, tune = by_type["video"], by_type["audio"]
    assert clip["filename"] == "Sea.mp4" and tune["filename"] == "Upbeat pop.m4a"
    assert (clip["duration"], clip["width"], clip["height"]) == (4.0, 1920, 1080)
    assert tune["duration"] == 4.0

    # what the media bin shows: both, marked generated
    items = media_items(state.video_infos, state.generated_media)
    assert [(i.name, i.kind, i.generated) for i in items] == [
        ("Sea.mp4", "video", True), ("Upbeat pop.m4a", "audio", True)]

    async with httpx.AsyncClient(timeout=60) as http:  # a cdn_url needs no token
        for entry, kind in ((clip, "video"), (tune, "audio")):
            reply = await http.get(entry["cdn_url"])
            assert reply.status_code == 200, reply.text
            info = await probe(reply.content, tmp_path, entry["filename"])
            assert info["duration"] == pytest.approx(4.0, abs=0.3)
            assert info["has_video"] is (kind == "video")
            assert info["has_audio"]
        missing = clip["cdn_url"].replace("Sea.mp4", "Lake.mp4")
        assert (await http.get(missing)).status_code == 404

    # a second generation lists its own files beside the first ones, never renaming them
    await turn(client, GENERATE)
    names = [g["filename"] for g in (await client.state()).generated_media]
    assert names == ["Sea.mp4", "Upbeat pop.m4a", "Sea (2).mp4", "Upbeat pop (2).m4a"]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("language", ["en", "zh-CN"])
async def test_inserting_a_generated_clip_from_the_media_bin_is_applied(client, language):
    await client.ensure_session()
    await turn(client, GENERATE)
    state = await client.state()
    old = decode_draft(state.draft)
    (clip,) = [i for i in media_items(state.video_infos, state.generated_media)
               if i.kind == "video"]
    text, action = compose(old, EditAction("insert", at_ms=2000, media=clip.name,
                                           generated=clip.generated), language)
    await turn(client, text)
    new = decode_draft((await client.state()).draft)
    assert check(action, old, new), (text, new)

    text, action = compose(new, EditAction("insert", at_ms=1000, media="Lake.mp4",
                                           generated=True), language)
    await turn(client, text)  # nothing by that name: refused in words, the draft unchanged
    assert decode_draft((await client.state()).draft) == new


@pytest.mark.timeout(60)
async def test_the_same_file_asked_for_twice_at_once_is_made_once(client, backend):
    await client.ensure_session()
    await turn(client, GENERATE)
    (clip,) = [g for g in (await client.state()).generated_media if g["file_type"] == "video"]
    async with httpx.AsyncClient(timeout=60) as http:
        first, second = await asyncio.gather(http.get(clip["cdn_url"]), http.get(clip["cdn_url"]))
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and first.content[4:8] == b"ftyp"
    made = list((backend.data_dir / "media").rglob("generated/*.mp4"))
    assert len(made) == 1
