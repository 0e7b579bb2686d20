"""Every error code of PROTOCOL.md §2: the client's one-time recovery, or its message.

Faults are injected into the local backend; requests are counted in its request log.
"""

from __future__ import annotations

import socket
import time
import traceback
import uuid

import httpx
import pytest

from nemo_tui.api import (
    AuthError,
    ClientConfig,
    ExportBlockedError,
    FileTooLargeError,
    ForbiddenError,
    MissingClientIdError,
    NemoClient,
    NemoError,
    NetworkError,
    NoCreditsError,
    ProtocolError,
    RateLimitedError,
    ServerError,
    SessionNotFoundError,
    UnsupportedFileError,
)

DRAFT = {"d": 1000, "t": [{"tt": 0, "sg": [{"d": 1000, "m": {"name": "x"}}]}]}


@pytest.fixture
def backend(make_local_backend):
    return make_local_backend(server_options={"wait_scale": 0.01})


def make_client(url: str, **kw) -> NemoClient:
    hooks = {k: kw.pop(k) for k in list(kw) if k.startswith("on_")}
    cfg = ClientConfig(api_url=url, client_id=str(uuid.uuid4()), retry_base_delay=0.01,
                       rate_limit_delay=0.05, **kw)
    return NemoClient(cfg, **hooks)


@pytest.fixture
async def client(backend):
    c = make_client(backend.url)
    yield c
    await c.aclose()


def endpoints(backend) -> list[str]:
    return [r["endpoint"] for r in backend.requests()]


def assert_secret_safe(exc: BaseException, *secrets: str) -> None:
    """The token never appears in an error's text or repr (nor in its cause chain)."""
    while exc is not None:
        for secret in secrets:
            assert secret not in str(exc) and secret not in repr(exc)
        exc = exc.__cause__


async def mint(backend, **body) -> str:
    async with httpx.AsyncClient() as http:
        reply = await http.post(f"{backend.url}/_local/tokens", json=body)
    return reply.json()["data"]["token"]


async def test_1001_renews_the_anonymous_token_once(client, backend):
    await client.credits()
    old = client.token.token
    backend.add_faults([{"endpoint": "credits", "code": 1001}])
    assert (await client.credits()).available == 100
    assert client.token.token != old
    assert endpoints(backend) == ["anonymous_token", "credits", "credits", "anonymous_token",
                                  "credits"]
    backend.add_faults([{"endpoint": "credits", "code": 1001, "times": 2}])
    with pytest.raises(AuthError, match="fresh anonymous token") as info:
        await client.credits()
    assert_secret_safe(info.value, client.token.token, old)


async def test_http_401_counts_as_1001(make_local_backend):
    backend = make_local_backend(server_options={"enforce_token_rate_limit": False})
    async with make_client(backend.url) as c:
        await c.credits()
        backend.add_faults([{"endpoint": "credits", "http": 401}])
        await c.credits()
    assert endpoints(backend).count("anonymous_token") == 2


async def test_env_token_rejected_is_not_renewed(backend):
    token = await mint(backend)
    async with make_client(backend.url, env_token=token) as c:
        backend.add_faults([{"endpoint": "credits", "code": 1001}])
        with pytest.raises(AuthError, match="NEMO_TOKEN is invalid or expired") as info:
            await c.credits()
        assert_secret_safe(info.value, token)
        assert token not in repr(c) and token not in repr(c.config) and token not in repr(c.token)
    assert "anonymous_token" not in endpoints(backend)


async def test_1002_creates_a_new_session_and_retries(backend, tmp_path):
    changed = []
    async with make_client(backend.url, on_session_changed=changed.append) as c:
        first = await c.ensure_session()
        backend.add_faults([{"endpoint": "state", "code": 1002}])
        state = await c.state()
        assert state.session_id == c.session.session_id != first.session_id
        assert changed == [first, c.session]
        clip = tmp_path / "a.mp4"
        clip.write_bytes(b"data")
        backend.add_faults([{"endpoint": "upload", "code": 1002}])
        [uploaded] = await c.upload_files([clip])
        assert uploaded.filename == "a.mp4" and len(changed) == 3
        backend.add_faults([{"endpoint": "state", "code": 1002, "times": 2}])
        with pytest.raises(SessionNotFoundError, match="--new-session"):
            await c.state()


async def test_2001_register_link_for_anonymous_users(client, backend):
    await client.credits()
    backend.add_faults([{"endpoint": "credits", "code": 2001}])
    with pytest.raises(NoCreditsError) as info:
        await client.credits()
    user = client.token.user_id
    assert str(info.value) == ("You're out of credits. Register to get more: "
                               f"https://nemovideo.com/register?bind={user}")
    assert info.value.register_url.endswith(f"bind={user}")


async def test_2001_for_a_registered_token(backend):
    async with make_client(backend.url, env_token=await mint(backend)) as c:
        backend.add_faults([{"endpoint": "credits", "code": 2001}])
        with pytest.raises(NoCreditsError, match="Top up credits"):
            await c.credits()


async def test_4001_4002_from_the_server(client, backend, tmp_path):
    clip = tmp_path / "a.webm"
    clip.write_bytes(b"x")
    backend.add_faults([{"endpoint": "upload", "code": 4001}])
    with pytest.raises(UnsupportedFileError, match="mp4, mov, avi"):
        await client.upload_files([clip])
    backend.add_faults([{"endpoint": "upload", "code": 4002}])
    with pytest.raises(FileTooLargeError, match="200 MB limit. Compress or trim"):
        await client.upload_files([clip])


async def test_400_makes_a_new_client_id_persists_it_and_retries(backend):
    ids: list[str] = []
    async with make_client(backend.url, on_client_id_changed=ids.append) as c:
        old = c.client_id
        backend.add_faults([{"endpoint": "anonymous_token", "http": 400}])
        await c.credits()
        assert ids == [c.client_id] and c.client_id != old
        sent = [r["headers"].get("x-client-id") for r in backend.requests()]
        assert sent == [old, c.client_id, c.client_id]
        backend.add_faults([{"endpoint": "credits", "http": 400, "times": 2}])
        with pytest.raises(MissingClientIdError):
            await c.credits()


async def test_402_export_blocked_and_missing_attribution(client, backend):
    backend.add_faults([{"endpoint": "render_start", "http": 402}])
    with pytest.raises(ExportBlockedError) as info:
        await client.start_render(DRAFT)
    assert str(info.value) == "Register or upgrade your plan to unlock export."
    assert endpoints(backend).count("render_start") == 1
    async with make_client(backend.url, platform="") as unattributed:
        with pytest.raises(ExportBlockedError):
            await unattributed.start_render(DRAFT)


async def test_403_names_the_missing_scope(backend, tmp_path):
    clip = tmp_path / "a.mp4"
    clip.write_bytes(b"x")
    async with make_client(backend.url, env_token=await mint(backend, scopes=["read", "write"])) \
            as c:
        await c.credits()
        with pytest.raises(ForbiddenError, match="may not upload files") as info:
            await c.upload_files([clip])
        assert info.value.scope == "upload"


async def test_429_waits_and_retries_once(client, backend):
    backend.add_faults([{"endpoint": "credits", "http": 429, "retry_after": 0.05}])
    await client.credits()
    backend.add_faults([{"endpoint": "credits", "http": 429}])  # no header: config default
    await client.credits()
    assert endpoints(backend).count("credits") == 4
    backend.add_faults([{"endpoint": "credits", "http": 429, "times": 2, "retry_after": 0}])
    with pytest.raises(RateLimitedError):
        await client.credits()
    backend.add_faults([{"endpoint": "credits", "http": 429, "retry_after": 86400}])
    with pytest.raises(RateLimitedError, match="86400 seconds") as info:
        await client.credits()  # far too long to wait: said at once
    assert info.value.retry_after == 86400


async def test_anonymous_token_rate_limit_of_the_server(backend):
    cid = str(uuid.uuid4())
    async with NemoClient(ClientConfig(api_url=backend.url, client_id=cid)) as first:
        await first.credits()
    async with NemoClient(ClientConfig(api_url=backend.url, client_id=cid)) as second:
        with pytest.raises(RateLimitedError, match="one free anonymous token per client") as info:
            await second.credits()
    assert "Try again in about 7 days" in str(info.value)


async def test_5xx_get_is_retried_with_backoff(client, backend):
    await client.credits()
    backend.add_faults([{"endpoint": "credits", "http": 503, "times": 2}])
    await client.credits()
    assert endpoints(backend).count("credits") == 4
    backend.add_faults([{"endpoint": "credits", "http": 500, "times": -1}])
    with pytest.raises(ServerError, match="HTTP 500"):
        await client.credits()
    assert endpoints(backend).count("credits") == 4 + 1 + client.config.get_retries


async def test_5xx_post_is_never_repeated(client, backend):
    await client.ensure_session()
    for endpoint, call in (("render_start", lambda: client.start_render(DRAFT)),
                           ("create_session", client.create_session)):
        backend.add_faults([{"endpoint": endpoint, "http": 502}])
        with pytest.raises(ServerError):
            await call()
        assert endpoints(backend).count(endpoint) == (1 if endpoint == "render_start" else 2)


async def test_malformed_replies_are_protocol_errors(client, backend):
    await client.credits()
    cases = [("malformed_json", "not valid JSON"), ("json_array", "JSON list"),
             ("html", "HTML page")]
    for body, words in cases:
        backend.add_faults([{"endpoint": "credits", "body": body}])
        with pytest.raises(ProtocolError, match=words):
            await client.credits()
    backend.add_faults([{"endpoint": "credits", "body": "html", "http": 502, "times": -1}])
    with pytest.raises(ServerError):
        await client.credits()


async def test_duplicate_render_id_retried_with_a_new_id(client, backend, monkeypatch):
    first = await client.start_render(DRAFT)
    ms = int(first.id.removeprefix("render_"))
    client._last_render_ms = ms - 1
    monkeypatch.setattr(time, "time", lambda: (ms - 5) / 1000)
    second = await client.start_render(DRAFT)
    ids = [r["json"]["id"] for r in backend.requests() if r["endpoint"] == "render_start"]
    assert ids == [first.id, first.id, second.id] and second.id != first.id


async def test_unreachable_server_is_a_network_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connections are refused
        async with make_client(f"http://127.0.0.1:{port}", get_retries=1) as c:
            with pytest.raises(NetworkError, match="Could not connect"):
                await c.credits()


async def test_other_refusals_carry_the_server_words(client, backend):
    await client.credits()
    backend.add_faults([{"endpoint": "credits", "http": 404}])
    with pytest.raises(NemoError, match=r"HTTP 404\): not found"):
        await client.credits()


@pytest.mark.parametrize("rule", [
    {"code": 1001}, {"code": 1002}, {"code": 2001}, {"code": 4001}, {"code": 4002},
    {"http": 400}, {"http": 402}, {"http": 403}, {"http": 429, "retry_after": 0},
    {"http": 500}, {"body": "malformed_json"}, {"body": "html"},
])
async def test_token_never_in_error_text_or_traceback(backend, rule):
    token = await mint(backend)
    async with make_client(backend.url, env_token=token, get_retries=0) as c:
        backend.add_faults([{"endpoint": "credits", "times": -1, **rule}])
        with pytest.raises(NemoError) as info:
            await c.credits()
    assert_secret_safe(info.value, token)
    assert token not in "".join(traceback.format_exception(info.value))
    assert str(info.value).endswith(".")  # whole sentences that say what to do
