"""Tests for nemo_tui.config: precedence, the TOML file, the client id file, save_setting."""

from __future__ import annotations

import os
import stat
import tomllib
import uuid

import pytest

from nemo_tui.config import (
    DEFAULT_API_URL,
    AppPaths,
    ConfigError,
    dump_toml,
    load_settings,
    locale_language,
    save_setting,
)


@pytest.fixture
def paths() -> AppPaths:
    """The app paths inside the test's private XDG dirs."""
    return AppPaths.default()


def write_config(paths: AppPaths, text: str) -> None:
    """Write config.toml."""
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text(text, encoding="utf-8")


def test_paths_follow_xdg(isolated_dirs, paths):
    assert paths.config_dir == isolated_dirs / "config" / "nemo-tui"
    assert paths.state_dir == isolated_dirs / "state" / "nemo-tui"
    assert paths.data_dir == isolated_dirs / "data" / "nemo-tui"
    assert paths.client_id_file == isolated_dirs / "config" / "nemovideo" / "client_id"


def test_defaults(paths):
    s = load_settings({}, {}, paths=paths)
    assert s.api_url == DEFAULT_API_URL
    assert s.web_url == "https://nemovideo.com"
    assert s.poll_interval == 30
    assert s.language == "en"
    assert s.token_streaming is False
    assert s.env_token is None
    assert s.new_session is False and s.local is False
    assert s.explicit == frozenset()


def test_precedence_flag_over_env_over_file(paths):
    write_config(paths, 'api_url = "https://file.example"\nweb_url = "https://web.file"\n'
                        "poll_interval = 7\nlanguage = \"ja\"\ntheme = \"nord\"\n")
    env = {"NEMO_API_URL": "https://env.example/", "NEMO_POLL_INTERVAL": "5.5"}
    s = load_settings({"api_url": "https://flag.example"}, env, paths=paths)
    assert s.api_url == "https://flag.example"
    assert s.poll_interval == 5.5  # env beats file
    assert s.web_url == "https://web.file"  # file beats default
    assert s.language == "ja"
    assert s.theme == "nord"
    s = load_settings({}, env, paths=paths)
    assert s.api_url == "https://env.example"  # trailing slash stripped
    s = load_settings({}, {"NEMO_LANGUAGE": "zh-CN"}, paths=paths)
    assert s.api_url == "https://file.example"
    assert s.language == "zh-CN"
    assert s.poll_interval == 7


def test_none_flags_are_ignored(paths):
    s = load_settings({"api_url": None}, {"NEMO_API_URL": "https://env.example"}, paths=paths)
    assert s.api_url == "https://env.example"


def test_local_backend_defaults(paths):
    s = load_settings({}, {"NEMO_API_URL": "http://127.0.0.1:8765"}, paths=paths)
    assert s.poll_interval == 1 and s.token_streaming is True
    s = load_settings({"local": True}, {}, paths=paths)
    assert s.poll_interval == 1 and s.token_streaming is True
    remote = s.with_api_url("https://example.com/")
    assert remote.api_url == "https://example.com"
    assert remote.poll_interval == 30 and remote.token_streaming is False
    # an explicit setting survives re-pointing
    s = load_settings({}, {"NEMO_POLL_INTERVAL": "3"}, paths=paths).with_api_url("http://[::1]:9")
    assert s.poll_interval == 3 and s.token_streaming is True


def test_env_token_is_hidden_from_repr(paths):
    s = load_settings({}, {"NEMO_TOKEN": "nmv_usr_secret123"}, paths=paths)
    assert s.env_token == "nmv_usr_secret123"
    assert "secret123" not in repr(s)


@pytest.mark.parametrize(("env", "lang"), [
    ({"LANG": "de_DE.UTF-8"}, "de"),
    ({"LANG": "zh_CN.UTF-8"}, "zh-CN"),
    ({"LC_ALL": "ja_JP", "LANG": "de_DE"}, "ja"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "garbage!!"}, "en"),
    ({}, "en"),
])
def test_language_from_locale(env, lang):
    assert locale_language(env) == lang


def test_config_language_beats_locale(paths):
    write_config(paths, 'language = "fr"\n')
    assert load_settings({}, {"LANG": "de_DE.UTF-8"}, paths=paths).language == "fr"
    assert load_settings({}, {"LANG": "de_DE.UTF-8", "NEMO_LANGUAGE": "es"},
                         paths=paths).language == "es"


def test_broken_toml_names_the_file(paths):
    write_config(paths, "api_url = \n[[[")
    with pytest.raises(ConfigError) as info:
        load_settings({}, {}, paths=paths)
    assert str(paths.config_file) in str(info.value)
    assert info.value.exit_code == 2


def test_wrong_type_in_config(paths):
    write_config(paths, "poll_interval = \"fast\"\n")
    with pytest.raises(ConfigError, match="poll_interval"):
        load_settings({}, {}, paths=paths)
    write_config(paths, "poll_interval = true\n")
    with pytest.raises(ConfigError, match="poll_interval"):
        load_settings({}, {}, paths=paths)


@pytest.mark.parametrize("value", ["soon", "0", "-1", "nan"])
def test_bad_poll_interval_env(paths, value):
    with pytest.raises(ConfigError) as info:
        load_settings({}, {"NEMO_POLL_INTERVAL": value}, paths=paths)
    assert info.value.exit_code == 2


def test_bad_api_url(paths):
    with pytest.raises(ConfigError, match="not an http"):
        load_settings({"api_url": "ftp://x"}, {}, paths=paths)


def test_client_id_created_reused_and_replaced(paths):
    first = load_settings({}, {}, paths=paths).client_id
    assert uuid.UUID(first).version == 4
    assert paths.client_id_file.read_text().strip() == first
    assert load_settings({}, {}, paths=paths).client_id == first
    paths.client_id_file.write_text("not-a-uuid\n")
    fresh = load_settings({}, {}, paths=paths).client_id
    assert fresh != first and uuid.UUID(fresh)
    assert paths.client_id_file.read_text().strip() == fresh


def test_client_id_from_env_does_not_touch_file(paths):
    s = load_settings({}, {"NEMO_CLIENT_ID": "11111111-2222-4333-8444-555555555555"}, paths=paths)
    assert s.client_id == "11111111-2222-4333-8444-555555555555"
    assert not paths.client_id_file.exists()


def test_save_setting_keeps_other_keys(paths):
    write_config(paths, '# mine\napi_url = "https://keep.example"\n[extra]\nx = [1, 2]\n')
    save_setting("theme", "gruvbox", paths=paths)
    save_setting("poll_interval", 2.5, paths=paths)
    data = tomllib.loads(paths.config_file.read_text())
    assert data == {"api_url": "https://keep.example", "theme": "gruvbox",
                    "poll_interval": 2.5, "extra": {"x": [1, 2]}}
    assert stat.S_IMODE(os.stat(paths.config_file).st_mode) == 0o600
    assert load_settings({}, {}, paths=paths).theme == "gruvbox"


def test_save_setting_refuses_to_clobber_broken_file(paths):
    write_config(paths, "[[[")
    with pytest.raises(ConfigError):
        save_setting("theme", "x", paths=paths)
    assert paths.config_file.read_text() == "[[["


def test_dump_toml_round_trips_awkward_strings():
    data = {"a b": 'q"\\\n\t\x1b\x7f é 😀', "flag": False, "n": -3, "f": 1e-9,
            "t": {"u": {"v": "w"}}}
    assert tomllib.loads(dump_toml(data)) == data
