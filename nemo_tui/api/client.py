"""`NemoClient`: the async client for the NemoVideo backend on one shared httpx.AsyncClient.

Every PROTOCOL.md §2 recovery happens here, once per request: a new anonymous token (1001/401),
a new session (1002, or 404 on /run_sse), a new client id (400), one wait on 429, and backoff for
idempotent GETs on 5xx/network faults. POSTs are never repeated blindly. Downloads and uploads
live in `transfer.py`; reply decoding in `envelope.py` and `parse.py`; the chat turn in `turn.py`;
settings in `client_config.py` (re-exported here).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote, urlencode

import httpx

from nemo_tui import debuglog
from nemo_tui.api import parse, transfer
from nemo_tui.api.client_config import ClientConfig, TokenCache
from nemo_tui.api.envelope import ApiFailure, to_error, unwrap
from nemo_tui.api.errors import (
    DuplicateRenderIdError,
    NemoError,
    NetworkError,
    RateLimitedError,
)
from nemo_tui.api.files import (
    MAX_UPLOAD_BYTES,
    SUPPORTED_EXTENSIONS,
    ProgressFn,
    check_upload_path,
    check_upload_url,
)
from nemo_tui.api.models import (
    Credits,
    RenderStatus,
    SessionInfo,
    SessionReplaced,
    SessionState,
    Token,
    TurnEvent,
    UploadedFile,
)
from nemo_tui.api.polling import PollGate
from nemo_tui.api.turn import TurnTiming, open_turn, run_turn

__all__ = [
    "MAX_UPLOAD_BYTES", "SUPPORTED_EXTENSIONS", "ClientConfig", "NemoClient", "ProgressFn",
    "TokenCache", "check_upload_path",
]

SKILL_SOURCE = "free-ki-video-generation"
APP_NAME = "nemo_agent"
#: Pool size. Keep-alive equals it: a burst above a smaller keep-alive limit would close the
#: extra connections after their response and open new ones on the next burst.
MAX_CONNECTIONS = 20
#: Seconds an idle pooled connection is kept for reuse (httpx's default is 5). Longer than the
#: pause between render polls (the adaptive idle cap of 10 s; the default 30 s interval), so
#: watched jobs keep polling on the same connections instead of opening one per poll; shorter
#: than the local backend's keep-alive (75 s) and the usual proxies' 60 s, so the client drops an
#: idle connection before the server does and never races a server-side close.
KEEPALIVE_EXPIRY = 50.0
#: Render polls in flight at once per client: many watched jobs share a few connections, and
#: httpcore's per-request scan of the pool stays short.
POLL_CONCURRENCY = 2


class NemoClient:
    """Async client for every endpoint of PROTOCOL.md, with the recoveries of §2 built in."""

    def __init__(self, config: ClientConfig, *, http: httpx.AsyncClient | None = None,
                 token_cache: TokenCache | None = None,
                 on_client_id_changed: Callable[[str], None] | None = None,
                 on_session_changed: Callable[[SessionInfo], None] | None = None,
                 session: SessionInfo | None = None) -> None:
        """Use `http` if given (shared keep-alive pool), else own a new httpx.AsyncClient."""
        self.config = config
        self.api_url = config.api_url.rstrip("/")
        self.client_id = config.client_id or str(uuid.uuid4())
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(config.request_timeout),
            limits=httpx.Limits(max_connections=MAX_CONNECTIONS,
                                max_keepalive_connections=MAX_CONNECTIONS,
                                keepalive_expiry=KEEPALIVE_EXPIRY),
        )
        self._cache = token_cache
        self._on_client_id_changed = on_client_id_changed
        self._on_session_changed = on_session_changed
        self.session: SessionInfo | None = session
        self._token: Token | None = None
        self._token_lock = asyncio.Lock()
        self._session_lock = asyncio.Lock()
        self._last_render_ms = 0
        self._polls = PollGate(POLL_CONCURRENCY)

    @property
    def token(self) -> Token | None:
        """The token in use (its repr hides the secret)."""
        return self._token

    @token.setter
    def token(self, value: Token | None) -> None:
        # Every token this client learns is registered with the opt-in debug log's redactor,
        # so it is masked even where it does not look like a NemoVideo token.
        if value is not None:
            debuglog.add_secret(value.token)
        self._token = value

    def __repr__(self) -> str:
        sid = self.session.session_id if self.session else None
        return f"NemoClient(api_url={self.api_url!r}, session={sid!r})"

    async def __aenter__(self) -> Self:
        """Use the client as an async context manager (closed on exit)."""
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Close the client."""
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP pool if this client created it."""
        if self._owns_http:
            await self._http.aclose()

    @property
    def http(self) -> httpx.AsyncClient:
        """The shared httpx client."""
        return self._http

    # ---- plumbing ------------------------------------------------------------------------

    def headers(self, token: Token | None) -> dict[str, str]:
        """The §1 headers; Authorization only when a token is given."""
        h = {
            "X-Client-Id": self.client_id,
            "X-Skill-Source": SKILL_SOURCE,
            "X-Skill-Version": self.config.skill_version,
            "X-Skill-Platform": self.config.platform,
        }
        if token is not None:
            h["Authorization"] = f"Bearer {token.token}"
        return h

    def error_for(self, f: ApiFailure, scope: str) -> NemoError:
        """The typed user-facing error for a failure that could not be recovered from."""
        token = self.token
        user_id = (token.user_id if token else None) or (self.session.user_id
                                                           if self.session else None)
        return to_error(f, scope=scope, web_url=self.config.web_url.rstrip("/"),
                        anon_user_id=user_id,
                        anonymous=not (token is not None and not token.anonymous),
                        env_token=bool(self.config.env_token))

    async def _backoff(self, attempt: int) -> None:
        base = self.config.retry_base_delay * (2 ** (attempt - 1))
        await asyncio.sleep(base * (0.5 + random.random()))  # jitter spreads retries apart

    def _new_client_id(self) -> None:
        self.client_id = str(uuid.uuid4())
        if self._on_client_id_changed:
            self._on_client_id_changed(self.client_id)

    async def recover(self, f: ApiFailure, token: Token | None, used: set[str], *,
                       auth: bool, session_bound: bool) -> bool:
        """Try the §2 recovery for `f` once per request; True means: send it again."""
        kind = f.kind
        if kind not in used:
            if kind == "auth" and auth and not self.config.env_token:
                used.add(kind)
                await self._renew_token(token)
                return True
            if kind == "session" and session_bound:
                used.add(kind)
                await self.create_session()
                return True
            if kind == "client_id":
                used.add(kind)
                self._new_client_id()
                return True
            if kind == "rate_limit":
                delay = f.retry_after if f.retry_after is not None else self.config.rate_limit_delay
                if delay <= self.config.max_rate_limit_wait:
                    used.add(kind)
                    await asyncio.sleep(delay)
                    return True
        return False

    def network_error(self, exc: httpx.TransportError, method: str) -> NetworkError:
        """A clear message for a connection fault."""
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
            return NetworkError(f"Could not connect to the server at {self.api_url}. Check your "
                                "network or the API URL, and try again.")
        if isinstance(exc, httpx.TimeoutException):
            what = "The server took too long to answer."
        else:
            what = "The connection to the server failed."
        if method != "GET":
            what += " The request was not repeated automatically, so nothing is done twice."
        return NetworkError(f"{what} Try again in a moment.")

    async def call(self, method: str, path: str | Callable[[], str], *, scope: str,
                   json: Any = None, body: Callable[[], tuple[Any, dict[str, str]]] | None = None,
                   auth: bool = True, session_bound: bool = False,
                   timeout: httpx.Timeout | None = None,
                   slots: asyncio.Semaphore | None = None) -> Any:
        """Send one request with every recovery; return the unwrapped result.

        `slots`, if given, is held while each HTTP exchange is in flight (not during backoff).
        """
        idempotent = method == "GET"
        used: set[str] = set()
        attempt = 0
        while True:
            token = await self.ensure_token() if auth else None
            headers = self.headers(token)
            headers["Accept"] = "application/json"
            kwargs: dict[str, Any] = {}
            if body is not None:
                content, extra = body()
                headers.update(extra)
                kwargs["content"] = content
            elif json is not None:
                kwargs["json"] = json() if callable(json) else json
            url = self.api_url + (path() if callable(path) else path)
            try:
                async with slots if slots is not None else contextlib.nullcontext():
                    resp = await self._http.request(
                        method, url, headers=headers,
                        timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
                        **kwargs)
            except httpx.TransportError as exc:
                # A refused connection never reached the server, so even a POST may go again.
                never_sent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
                if (idempotent or never_sent) and attempt < self.config.get_retries:
                    attempt += 1
                    await self._backoff(attempt)
                    continue
                raise self.network_error(exc, method) from None
            try:
                return unwrap(resp.status_code, resp.content, resp.headers.get("content-type", ""),
                              resp.headers.get("retry-after"))
            except ApiFailure as f:
                if await self.recover(f, token, used, auth=auth, session_bound=session_bound):
                    continue
                if f.kind == "server" and idempotent and attempt < self.config.get_retries:
                    attempt += 1
                    await self._backoff(attempt)
                    continue
                raise self.error_for(f, scope) from None

    # ---- token and session ---------------------------------------------------------------

    async def ensure_token(self) -> Token:
        """The token to use: NEMO_TOKEN, the cached anonymous one, or a new anonymous one."""
        if self.config.env_token:
            if self.token is None or self.token.anonymous:
                self.token = Token(token=self.config.env_token, anonymous=False)
            return self.token
        if self.token is not None and not parse.token_expired(self.token):
            return self.token
        async with self._token_lock:
            if self.token is not None and not parse.token_expired(self.token):
                return self.token
            if self._cache is not None:
                cached = await asyncio.to_thread(self._cache.load)
                if cached is not None and not parse.token_expired(cached):
                    self.token = cached
                    return cached
            return await self._fetch_anonymous_token()

    async def _renew_token(self, failed: Token | None) -> None:
        async with self._token_lock:
            if self.token is not None and failed is not None and self.token.token != failed.token:
                return  # another request already renewed it
            self.token = None
            if self._cache is not None:
                await asyncio.to_thread(self._cache.clear)
            await self._fetch_anonymous_token()

    async def _fetch_anonymous_token(self) -> Token:
        try:
            data = await self.call("POST", "/api/auth/anonymous-token", scope="write", auth=False)
        except RateLimitedError as exc:
            wait = f" in {parse.human_seconds(exc.retry_after)}" if exc.retry_after else " later"
            raise RateLimitedError(
                "The server gives one free anonymous token per client every 7 days, and this "
                f"client already got one. Try again{wait}, or set NEMO_TOKEN to your own token.",
                retry_after=exc.retry_after, code=exc.code, http_status=exc.http_status,
            ) from None
        token = parse.token(data)
        self.token = token
        if self._cache is not None:
            await asyncio.to_thread(self._cache.save, token)
        return token

    async def create_session(self) -> SessionInfo:
        """Create a new session (project); sets `session` and calls on_session_changed."""
        data = await self.call("POST", f"/api/tasks/me/with-session/{APP_NAME}", scope="write",
                               json={"task_name": "project", "language": self.config.language})
        info = parse.session_info(data)
        self.session = info
        if self._on_session_changed:
            self._on_session_changed(info)
        return info

    async def ensure_session(self) -> SessionInfo:
        """The current session, creating one if there is none."""
        if self.session is not None:
            return self.session
        async with self._session_lock:
            if self.session is not None:
                return self.session
            return await self.create_session()

    def _sid(self) -> str:
        assert self.session is not None
        return quote(self.session.session_id, safe="")

    # ---- chat ----------------------------------------------------------------------------

    def _run_sse_body(self, message: str) -> dict[str, Any]:
        assert self.session is not None
        body: dict[str, Any] = {"app_name": APP_NAME, "user_id": "me",
                                "session_id": self.session.session_id,
                                "new_message": {"parts": [{"text": message}]}}
        if self.config.token_streaming:
            body["streaming"] = True
        return body

    async def stream_turn(self, message: str) -> AsyncIterator[TurnEvent]:
        """One chat turn over /run_sse; always ends with TurnEnd unless it raises."""
        await self.ensure_session()
        cfg = self.config
        timeout = httpx.Timeout(cfg.request_timeout, read=cfg.stream_read_timeout)
        used: set[str] = set()
        while True:
            token = await self.ensure_token()
            opened = await open_turn(self, self._run_sse_body(message), token, timeout)
            if not isinstance(opened, ApiFailure):
                break
            f = opened
            if f.kind == "session" and "session" not in used:
                used.add("session")
                old = self.session.session_id if self.session else None
                new = await self.create_session()
                yield SessionReplaced(old_session_id=old, new_session=new)
                continue  # refused before any event: the message goes once more
            if await self.recover(f, token, used, auth=True, session_bound=False):
                continue
            raise self.error_for(f, "write") from None
        resp, stack = opened
        try:
            timing = TurnTiming(cfg.still_working_after, cfg.heartbeat_only_limit,
                                cfg.turn_limit, cfg.stream_read_timeout)
            turn = run_turn(resp, timing)
            try:
                async for event in turn:
                    yield event
            finally:
                await turn.aclose()
        finally:
            await stack.aclose()  # closes the HTTP stream promptly, also on cancellation

    # ---- simple endpoints ----------------------------------------------------------------

    async def credits(self) -> Credits:
        """The credit balance (§7)."""
        return parse.credits(await self.call("GET", "/api/credits/balance/simple", scope="read"))

    async def state(self) -> SessionState:
        """The session state (§8), with the raw draft."""
        await self.ensure_session()
        data = await self.call("GET", lambda: f"/api/state/{APP_NAME}/me/{self._sid()}/latest",
                               scope="read", session_bound=True)
        assert self.session is not None
        return parse.session_state(data, self.session)

    async def upload_files(self, paths: Sequence[Path],
                           progress: ProgressFn | None = None) -> list[UploadedFile]:
        """Upload local files (checked first, streamed from disk, base names only)."""
        return await transfer.upload_files(self, [Path(p) for p in paths], progress)

    async def upload_urls(self, urls: Sequence[str]) -> list[UploadedFile]:
        """Ask the server to fetch media from web URLs."""
        urls = [u.strip() for u in urls]
        for url in urls:
            check_upload_url(url)
        if not urls:
            return []
        await self.ensure_session()
        data = await self.call("POST", lambda: f"/api/upload-video/{APP_NAME}/me/{self._sid()}",
                               scope="upload", json={"urls": urls, "source_type": "url"},
                               session_bound=True)
        return parse.uploaded_files(data)

    # ---- render --------------------------------------------------------------------------

    def _new_render_id(self) -> str:
        ms = max(int(time.time() * 1000), self._last_render_ms + 1)
        self._last_render_ms = ms
        return f"render_{ms}"

    async def start_render(self, draft: dict | str, *, output: dict | None = None,
                           render_id: str | None = None) -> RenderStatus:
        """Submit an export of `draft` (sent as received: a dict or V3 template text); a
        duplicate id is retried once with a new id.

        With `render_id` (recorded by the caller beforehand) there is one attempt only: a
        duplicate raises DuplicateRenderIdError so the caller can record a new id first.
        """
        await self.ensure_session()
        attempts = 1 if render_id else 2
        for attempt in range(attempts):
            rid = render_id or self._new_render_id()

            def body(rid: str = rid) -> dict[str, Any]:
                assert self.session is not None
                return {"id": rid, "sessionId": self.session.session_id, "draft": draft,
                        "output": output or {"format": "mp4", "quality": "high"}}

            try:
                data = await self.call("POST", "/api/render/proxy/lambda", scope="render",
                                       json=body, session_bound=True)
            except DuplicateRenderIdError:
                if attempt == attempts - 1:
                    raise
                continue
            return parse.render_status(data, rid)
        raise AssertionError("unreachable")  # pragma: no cover

    async def poll_render(self, render_id: str) -> RenderStatus:
        """The render's current status (any of the three reply shapes).

        At most POLL_CONCURRENCY polls of this client are in flight; the others wait their turn.
        """
        data = await self.call("GET", f"/api/render/proxy/lambda/{quote(render_id, safe='')}",
                               scope="render", slots=self._polls.slots())
        return parse.render_status(data, render_id)

    async def pause_polling(self, render_id: str, seconds: float) -> bool:
        """Wait up to `seconds` before the next poll of a render.

        Returns True when woken early because this client changed the render (cancel_render),
        so a watcher notices at once instead of after a long idle pause; False on timeout.
        """
        return await self._polls.pause(render_id, seconds)

    async def cancel_render(self, render_id: str) -> None:
        """Ask the server to cancel a render; watchers of it poll again at once."""
        await self.call("POST", f"/api/render/proxy/lambda/{quote(render_id, safe='')}/cancel",
                        scope="render")
        self._polls.wake(render_id)

    async def download_render(self, status: RenderStatus, dest_dir: Path,
                              progress: ProgressFn | None = None, *,
                              filename: str | None = None) -> Path:
        """Download a finished render into `dest_dir` (``.part`` then rename; resumes).

        `filename` (made safe here) names the file instead of the URL's last segment.
        """
        return await transfer.download_render(self, status, Path(dest_dir), progress,
                                              filename=filename)

    def claim_url(self) -> str | None:
        """The web editor link for the current session (§4); never contains the token."""
        if self.session is None:
            return None
        query: dict[str, str] = {}
        if self.session.task_id:
            query["task"] = self.session.task_id
        query.update({"session": self.session.session_id, "skill_name": SKILL_SOURCE,
                      "skill_version": self.config.skill_version, "skill_source": SKILL_SOURCE})
        return f"{self.config.web_url.rstrip('/')}/workspace/claim?{urlencode(query)}"

