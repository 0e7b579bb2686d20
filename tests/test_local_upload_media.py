"""The local backend probes uploads: real media is described, broken files are refused (4001)."""

from __future__ import annotations

import subprocess
import uuid

import imageio_ffmpeg
import pytest

from nemo_tui.api import ClientConfig, NemoClient, UnsupportedFileError


@pytest.fixture
def backend(make_local_backend):
    return make_local_backend(server_options={"reject_broken_media": True, "wait_scale": 0.01})


@pytest.fixture
async def client(backend):
    c = NemoClient(ClientConfig(api_url=backend.url, client_id=str(uuid.uuid4())))
    yield c
    await c.aclose()


@pytest.fixture
def real_clip(tmp_path):
    """A 1 s 160x90 H.264 clip made with the bundled ffmpeg."""
    path = tmp_path / "clip.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "testsrc=s=160x90:d=1:r=25", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


async def test_real_clip_is_probed(client, real_clip):
    (info,) = await client.upload_files([real_clip])
    assert (info.width, info.height) == (160, 90)
    assert info.duration == pytest.approx(1.0, abs=0.1)
    assert info.fps == pytest.approx(25, abs=0.5)


@pytest.mark.parametrize("make_bad", ["text", "truncated"])
async def test_broken_upload_refused_with_reason_and_session_usable(
        client, backend, real_clip, tmp_path, make_bad):
    bad = tmp_path / "bad.mp4"
    if make_bad == "text":
        bad.write_text("this is not a video\n" * 50)
    else:
        bad.write_bytes(real_clip.read_bytes()[: real_clip.stat().st_size // 3])
    with pytest.raises(UnsupportedFileError) as err:
        await client.upload_files([bad])
    assert "bad.mp4" in str(err.value)
    media_dir = backend.data_dir
    assert not [p for p in media_dir.rglob("bad*.mp4")], "a refused file must not be kept"
    # The session stays usable: a good upload and the state still work.
    (info,) = await client.upload_files([real_clip])
    assert info.width == 160
    state = await client.state()
    assert [v["filename"] for v in state.video_infos] == [info.filename]
