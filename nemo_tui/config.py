"""Settings for nemo-tui: flags > environment > config.toml > defaults (CLI.md).

Nothing here does I/O at import time; `load_settings` reads the config file and the client id
file when it is called. No Textual, no Rich.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import os
import re
import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from nemo_tui.api.errors import NemoError

APP_NAME = "nemo-tui"
DEFAULT_API_URL = "https://mega-api-prod.nemovideo.ai"
DEFAULT_WEB_URL = "https://nemovideo.com"
DEFAULT_POLL_INTERVAL = 30.0
LOCAL_POLL_INTERVAL = 1.0
DEFAULT_LANGUAGE = "en"
DEFAULT_THEME = "textual-dark"
DEFAULT_SKILL_VERSION = "1.0.0"
# `--local` serves on a fixed port when it is free: tokens, sessions, transcripts and jobs are
# kept per API URL, so a new port on every run would orphan all of them (and the backend allows
# one anonymous token per client id per 7 days).
DEFAULT_LOCAL_PORT = 8765

# Keys config.toml may hold, with the Python types each accepts (bool is checked before int
# because bool is a subclass of int in Python).
CONFIG_KEYS: dict[str, tuple[type, ...]] = {
    "api_url": (str,),
    "web_url": (str,),
    "poll_interval": (int, float),
    "language": (str,),
    "token_streaming": (bool,),
    "download_dir": (str,),
    "theme": (str,),
    "skill_version": (str,),
    "local_port": (int,),
    "local_render_workers": (int,),
    "keymap": (dict,),
    "notify": (str,),
    "preview": (str,),
    "preview_bytes_per_second": (int,),
}
#: How pictures are drawn (config `preview`): "auto" uses Kitty or Sixel graphics where the
#: terminal answers the query, half cells elsewhere; "halfcell" never queries; "off" disables.
PREVIEW_MODES = ("auto", "halfcell", "off")
#: Bytes a second the studio may write while playing a video (config `preview_bytes_per_second`).
DEFAULT_PREVIEW_BYTES_PER_SECOND = 1_000_000
#: How the studio tells a user who looks elsewhere that something finished (config `notify`).
NOTIFY_MODES = ("bell", "osc9", "osc777", "off")

#: How the config error names each accepted type (the words a user writes TOML with).
_KIND_WORDS: dict[tuple[type, ...], str] = {
    (str,): "a text in quotes",
    (int, float): "a number",
    (int,): "a whole number",
    (bool,): "true or false",
}


class ConfigError(NemoError):
    """The configuration (file, environment or flag) is unusable; the message names the culprit."""

    exit_code = 2


@dataclass(frozen=True)
class AppPaths:
    """Where nemo-tui keeps its files (platformdirs, honours the XDG variables on Linux)."""

    config_dir: Path
    """User config dir of the app: holds config.toml."""
    state_dir: Path
    """User state dir: token cache, sessions, render jobs, transcripts."""
    data_dir: Path
    """User data dir: the local backend's data (`local-backend/`)."""
    client_id_file: Path
    """The client id shared with NemoVideo's other tools: `<user config>/nemovideo/client_id`."""

    @classmethod
    def default(cls) -> AppPaths:
        """Resolve the paths from platformdirs now (reads the environment, no file I/O)."""
        import platformdirs

        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            state_dir=Path(platformdirs.user_state_dir(APP_NAME, appauthor=False)),
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            client_id_file=Path(platformdirs.user_config_dir()) / "nemovideo" / "client_id",
        )

    @property
    def config_file(self) -> Path:
        """The TOML config file."""
        return self.config_dir / "config.toml"

    @property
    def local_backend_dir(self) -> Path:
        """Data dir of the built-in backend started by `--local`."""
        return self.data_dir / "local-backend"


@dataclass(frozen=True)
class Settings:
    """Everything a run of nemo-tui needs to know, resolved once at start."""

    api_url: str = DEFAULT_API_URL
    """Backend base URL, without trailing slash."""
    web_url: str = DEFAULT_WEB_URL
    """The NemoVideo web app (register / claim links)."""
    env_token: str | None = field(default=None, repr=False)
    """Token from NEMO_TOKEN: used as-is, never stored or renewed. Secret: hidden from repr."""
    client_id: str = ""
    """The X-Client-Id UUID (NEMO_CLIENT_ID or the shared client_id file)."""
    poll_interval: float = DEFAULT_POLL_INTERVAL
    """Seconds between render status polls (30, or 1 against the local backend)."""
    language: str = DEFAULT_LANGUAGE
    """ISO language code sent when a session is created (`en`, `zh-CN`, …)."""
    token_streaming: bool = False
    """Ask /run_sse for token-by-token partial events (on by default against the local backend)."""
    download_dir: Path = field(default_factory=Path.cwd)
    """Where the studio saves finished renders (the CLI uses the cwd or `--output`)."""
    theme: str = DEFAULT_THEME
    """Textual theme name of the studio (remembered with `save_setting`)."""
    skill_version: str = DEFAULT_SKILL_VERSION
    """Value of the X-Skill-Version header."""
    new_session: bool = False
    """Start a new backend session instead of reusing the current one for this API URL."""
    local: bool = False
    """Start the built-in loopback backend for this run (`--local`) and use it."""
    local_port: int = DEFAULT_LOCAL_PORT
    """Port `--local` serves on (a free one when it is taken; NEMO_LOCAL_PORT, config)."""
    local_render_workers: int = 0
    """Renders the built-in backend runs at once (0: one per core; config, env)."""
    paths: AppPaths = field(default_factory=AppPaths.default, repr=False)
    """Resolved application directories."""
    keymap: dict[str, Any] = field(default_factory=dict, hash=False)
    """The `[keymap]` table of config.toml: action id → key(s), checked by nemo_tui.keymap."""
    notify: str = "bell"
    """When the terminal is not focused: "bell", "osc9", "osc777" (desktop notices) or "off"."""
    preview: str = "auto"
    """How pictures are drawn: "auto" (Kitty/Sixel where detected, else half cells),
    "halfcell" (never query the terminal) or "off"."""
    preview_bytes_per_second: int = DEFAULT_PREVIEW_BYTES_PER_SECOND
    """The most bytes a second playback writes to the terminal (sets its frame rate)."""
    explicit: frozenset[str] = field(default_factory=frozenset, repr=False)
    """Names of fields set by a flag, the environment or the config file (not defaults)."""

    def with_api_url(self, api_url: str) -> Settings:
        """Point at another backend (e.g. the `--local` one), re-deriving the local defaults."""
        api_url = normalize_url(api_url)
        local = is_loopback_url(api_url)
        changes: dict[str, Any] = {"api_url": api_url}
        if "poll_interval" not in self.explicit:
            changes["poll_interval"] = LOCAL_POLL_INTERVAL if local else DEFAULT_POLL_INTERVAL
        if "token_streaming" not in self.explicit:
            changes["token_streaming"] = local
        return dataclasses.replace(self, **changes)


def normalize_url(url: str) -> str:
    """Strip spaces and trailing slashes from a base URL."""
    return url.strip().rstrip("/")


def is_loopback_url(url: str) -> bool:
    """True when the URL's host is a loopback address (then it is the built-in backend)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_settings(
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    *,
    paths: AppPaths | None = None,
) -> Settings:
    """Resolve settings with CLI.md precedence; raises ConfigError (exit 2) on bad input."""
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    env = os.environ if env is None else env
    paths = paths or AppPaths.default()
    file_values = read_config_file(paths.config_file)
    values: dict[str, Any] = {}
    explicit: set[str] = set()

    def pick(name: str, env_var: str | None = None, convert=None) -> None:
        """Take the first of flag, env var, file value for `name`."""
        if name in flags:
            values[name] = flags[name]
        elif env_var and env.get(env_var, "").strip():
            raw = env[env_var].strip()
            values[name] = convert(env_var, raw) if convert else raw
        elif name in file_values:
            values[name] = file_values[name]
        else:
            return
        explicit.add(name)

    pick("api_url", "NEMO_API_URL")
    pick("web_url", "NEMO_WEB_URL")
    pick("poll_interval", "NEMO_POLL_INTERVAL", _parse_interval)
    pick("language", "NEMO_LANGUAGE")
    pick("token_streaming")
    pick("download_dir")
    pick("theme")
    pick("skill_version")
    pick("local_port", "NEMO_LOCAL_PORT", _parse_port)
    pick("local_render_workers", "NEMO_LOCAL_RENDER_WORKERS", _parse_workers)
    pick("notify")
    pick("preview")
    pick("preview_bytes_per_second")
    preview = str(values.get("preview", "auto"))
    if preview not in PREVIEW_MODES:
        raise ConfigError(f"In the config file {paths.config_file}, preview must be one of "
                          f"{', '.join(PREVIEW_MODES)}, not {preview!r}.")
    preview_budget = int(values.get("preview_bytes_per_second",
                                    DEFAULT_PREVIEW_BYTES_PER_SECOND))
    if preview_budget < 10_000:
        raise ConfigError(f"In the config file {paths.config_file}, preview_bytes_per_second "
                          "must be at least 10000.")
    notify = str(values.get("notify", "bell"))
    if notify not in NOTIFY_MODES:
        raise ConfigError(f"In the config file {paths.config_file}, notify must be one of "
                          f"{', '.join(NOTIFY_MODES)}, not {notify!r}.")

    api_url = normalize_url(str(values.get("api_url", DEFAULT_API_URL)))
    if urlsplit(api_url).scheme not in ("http", "https") or not urlsplit(api_url).hostname:
        raise ConfigError(f"The API URL {api_url!r} is not an http(s) URL.")
    local_backend = bool(flags.get("local")) or is_loopback_url(api_url)
    poll = float(values.get("poll_interval", LOCAL_POLL_INTERVAL if local_backend
                            else DEFAULT_POLL_INTERVAL))
    if not math.isfinite(poll) or poll <= 0:
        raise ConfigError("The poll interval must be a positive number of seconds.")
    language = str(values["language"]) if "language" in values else locale_language(env)
    env_token = env.get("NEMO_TOKEN", "").strip() or None
    return Settings(
        api_url=api_url,
        web_url=normalize_url(str(values.get("web_url", DEFAULT_WEB_URL))),
        env_token=env_token,
        client_id=flags.get("client_id") or resolve_client_id(env, paths),
        poll_interval=poll,
        language=language,
        token_streaming=bool(values.get("token_streaming", local_backend)),
        download_dir=_download_dir(values.get("download_dir")),
        theme=str(values.get("theme", DEFAULT_THEME)),
        skill_version=str(values.get("skill_version", DEFAULT_SKILL_VERSION)),
        new_session=bool(flags.get("new_session", False)),
        local=bool(flags.get("local", False)),
        local_port=int(values.get("local_port", DEFAULT_LOCAL_PORT)),
        local_render_workers=_check_workers(values.get("local_render_workers", 0)),
        keymap=dict(file_values.get("keymap", {})),
        notify=notify,
        preview=preview,
        preview_bytes_per_second=preview_budget,
        paths=paths,
        explicit=frozenset(explicit),
    )


def _parse_interval(var: str, raw: str) -> float:
    """Parse NEMO_POLL_INTERVAL, naming the variable when it is not a number."""
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{var} must be a number of seconds, not {raw!r}.") from None


def _parse_port(var: str, raw: str) -> int:
    """Parse NEMO_LOCAL_PORT (0 means: any free port)."""
    if not raw.isdigit() or int(raw) > 65535:
        raise ConfigError(f"{var} must be a port number from 0 to 65535, not {raw!r}.")
    return int(raw)


def _parse_workers(var: str, raw: str) -> int:
    """Parse NEMO_LOCAL_RENDER_WORKERS."""
    if not raw.isdigit():
        raise ConfigError(f"{var} must be a whole number (0: one per core), not {raw!r}.")
    return int(raw)


def _check_workers(value: Any) -> int:
    """0 (one per core) up to 64 renders at once."""
    if not 0 <= int(value) <= 64:
        raise ConfigError("local_render_workers must be from 0 (one per core) to 64.")
    return int(value)


def _download_dir(configured: Any) -> Path:
    """The studio's download dir: config value, else the user downloads dir if it exists, else cwd."""
    if configured:
        return Path(str(configured)).expanduser()
    import platformdirs

    downloads = Path(platformdirs.user_downloads_dir())
    return downloads if downloads.is_dir() else Path.cwd()


def locale_language(env: Mapping[str, str]) -> str:
    """Language from the POSIX locale variables (`de_DE.UTF-8` → `de`, `zh_CN` → `zh-CN`)."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        raw = env.get(var, "").strip()
        if not raw:
            continue
        base = raw.split(".")[0].split("@")[0]
        if base in ("C", "POSIX") or not re.fullmatch(r"[A-Za-z]{2,3}(_[A-Za-z]{2})?", base):
            return DEFAULT_LANGUAGE
        lang, _, region = base.partition("_")
        if lang.lower() == "zh" and region:
            return f"zh-{region.upper()}"
        return lang.lower()
    return DEFAULT_LANGUAGE


def read_config_file(path: Path) -> dict[str, Any]:
    """Read config.toml; missing → {}; broken or wrongly typed → ConfigError naming the file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"Cannot read the config file {path}: {exc.strerror}.") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"The config file {path} is not valid TOML ({exc}). Fix or delete it."
        ) from None
    for key, types in CONFIG_KEYS.items():
        if key in data and (
            not isinstance(data[key], types)
            or (bool not in types and isinstance(data[key], bool))
        ):
            raise ConfigError(f"In the config file {path}, {key} must be {_KIND_WORDS[types]}.")
    return data


def resolve_client_id(env: Mapping[str, str], paths: AppPaths) -> str:
    """NEMO_CLIENT_ID, else the shared client_id file (created with a new UUID4 if bad/missing)."""
    from_env = env.get("NEMO_CLIENT_ID", "").strip()
    if from_env:
        return from_env
    try:
        text = paths.client_id_file.read_text(encoding="utf-8").strip()
        return str(uuid.UUID(text)) if _is_uuid(text) else save_client_id(paths)
    except (OSError, UnicodeDecodeError):
        return save_client_id(paths)


def _is_uuid(text: str) -> bool:
    """True for a canonical UUID string."""
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return bool(re.fullmatch(r"[0-9a-fA-F-]{36}", text))


def save_client_id(paths: AppPaths, client_id: str | None = None) -> str:
    """Write the client id file (a new UUID4 unless given) and return the id."""
    from nemo_tui.store import atomic_write

    client_id = client_id or str(uuid.uuid4())
    try:
        atomic_write(paths.client_id_file, (client_id + "\n").encode("ascii"), mode=0o600)
    except OSError:
        pass  # an unwritable config dir must not stop the run: the id just is not persisted
    return client_id


def save_setting(key: str, value: str | float | bool,
                 *, paths: AppPaths | None = None) -> None:
    """Set one key of config.toml, keeping the others; the file is replaced atomically."""
    from nemo_tui.store import atomic_write

    paths = paths or AppPaths.default()
    if not isinstance(value, (str, int, float, bool)):
        raise TypeError(f"unsupported setting type: {type(value).__name__}")
    data = read_config_file(paths.config_file)
    data[key] = value
    atomic_write(paths.config_file, dump_toml(data).encode("utf-8"), mode=0o600)


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def dump_toml(data: Mapping[str, Any]) -> str:
    """Write a small TOML document: scalars, lists of scalars and (nested) tables."""
    lines: list[str] = []
    _dump_table(data, [], lines)
    return "\n".join(lines).lstrip("\n") + "\n"


def _dump_table(data: Mapping[str, Any], prefix: list[str], lines: list[str]) -> None:
    """Append a table's scalar keys, then its sub-tables, to `lines`."""
    tables = [(k, v) for k, v in data.items() if isinstance(v, Mapping)]
    scalars = [(k, v) for k, v in data.items() if not isinstance(v, Mapping)]
    if prefix and (scalars or not tables):
        lines.append("")
        lines.append("[" + ".".join(_toml_key(p) for p in prefix) + "]")
    for key, value in scalars:
        lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, value in tables:
        _dump_table(value, [*prefix, key], lines)


def _toml_key(key: str) -> str:
    """A bare key when possible, else a quoted one."""
    return key if _BARE_KEY.fullmatch(key) else _toml_str(key)


def _toml_value(value: Any) -> str:
    """One TOML value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if hasattr(value, "isoformat"):  # tomllib gives datetime/date/time objects back
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _toml_str(text: str) -> str:
    """A TOML basic string; every control character is escaped."""
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in "\b\t\n\f\r":
            out.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        elif 0xD800 <= ord(ch) <= 0xDFFF:  # a lone surrogate cannot be encoded as UTF-8
            out.append("\ufffd")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)
