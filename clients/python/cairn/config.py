"""Where the client finds its registry and token: the arguments first, then CAIRN_URL and
CAIRN_TOKEN, then the file `cairn login` writes (`$XDG_CONFIG_HOME/cairn/config.json`, else
`~/.config/cairn/config.json`), shared with the Node CLI.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import usage


@dataclass(frozen=True)
class Settings:
    url: str
    token: str | None
    #: Where the token came from, for error hints: "argument", "CAIRN_TOKEN", "config file", "none".
    token_source: str


def config_path(env: Mapping[str, str] = os.environ) -> str:
    base = env.get("XDG_CONFIG_HOME", "").strip() or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "cairn", "config.json")


def _stored(path: str) -> dict[str, str]:
    try:
        with open(path, encoding="utf-8") as f:
            parsed = json.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        raise usage(f"cannot read {path}: {err}") from None
    if not isinstance(parsed, dict):
        return {}
    return {k: v for k, v in parsed.items() if k in ("url", "token") and isinstance(v, str)}


def normalize_url(raw: str) -> str:
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise usage(f'"{raw}" is not an http(s) URL, e.g. http://127.0.0.1:8787')
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def load_settings(
    url: str | None = None, token: str | None = None, env: Mapping[str, str] = os.environ
) -> Settings:
    stored = _stored(config_path(env)) if not (url and token) else {}
    raw_url = url or env.get("CAIRN_URL", "").strip() or stored.get("url")
    if not raw_url:
        raise usage("no registry URL: pass url=, set CAIRN_URL, or run `cairn login --url <url>`")
    if token:
        return Settings(normalize_url(raw_url), token, "argument")
    env_token = env.get("CAIRN_TOKEN", "").strip()
    if env_token:
        return Settings(normalize_url(raw_url), env_token, "CAIRN_TOKEN")
    if stored.get("token"):
        return Settings(normalize_url(raw_url), stored["token"], "config file")
    return Settings(normalize_url(raw_url), None, "none")
