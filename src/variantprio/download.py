"""Resumable, verified downloads shared by every `resources fetch` (manifest sources, HPO releases).

Contract: a file is fetched into FILE.part (continued with an HTTP Range request when a partial file
is there), checked against an expected checksum and a content check, then renamed into place, so an
interrupted or wrong download never sits where a reader looks. Network problems are `InputError`s
naming the URL, with a hint; nothing here knows about a particular source.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .progress import progress_bar

_CHUNK = 1 << 20
NETWORK_HINT = "check the URL and the network connection (or a proxy), then re-run"


def file_checksum(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in blocks (release files are tens of MB)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


class _RecordRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects like urllib does and remembers every URL it was sent to."""

    def __init__(self) -> None:
        self.chain: list[str] = []

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        self.chain.append(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


@dataclass
class Opened:
    """An open HTTP response and the redirects that led to it (e.g. GitHub's latest -> v<date>)."""

    response: http.client.HTTPResponse
    redirects: list[str] = field(default_factory=list)


def open_url(url: str, *, timeout: float, label: str, headers: dict[str, str] | None = None,
             allow: tuple[int, ...] = ()) -> Opened | urllib.error.HTTPError:
    """GET `url`; HTTP errors whose code is in `allow` are returned, others and network errors raise."""
    recorder = _RecordRedirects()
    opener = urllib.request.build_opener(recorder)
    try:
        response = opener.open(urllib.request.Request(url, headers=headers or {}), timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code in allow:
            return err
        raise InputError(f"download failed: HTTP {err.code} {err.reason}", path=url, where=label,
                         hint=_http_hint(err.code)) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
        raise InputError(f"download failed ({getattr(err, 'reason', err)})", path=url, where=label,
                         hint=NETWORK_HINT) from None
    return Opened(response, recorder.chain)


def _http_hint(code: int) -> str:
    if code == 404:
        return "no such file at this URL: check the release/version and the base URL"
    if code in (401, 403, 429):
        return "the server refused or rate-limited the request; wait and re-run"
    return NETWORK_HINT


def download_to_part(url: str, part: Path, *, label: str, timeout: float) -> str:
    """Fetch `url` into `part`, resuming a partial file; returns 'downloaded' or 'resumed'."""
    have = part.stat().st_size if part.exists() else 0
    opened = open_url(url, timeout=timeout, label=label,
                      headers={"Range": f"bytes={have}-"} if have else None, allow=(416,) if have else ())
    if isinstance(opened, urllib.error.HTTPError):  # 416: the partial file is already complete
        opened.close()
        return "resumed"
    response = opened.response
    resumed = have > 0 and response.status == 206
    length = response.headers.get("Content-Length")
    expected = int(length) if length is not None else None
    got = 0
    with response, open(part, "ab" if resumed else "wb") as out, progress_bar() as bar:
        task = bar.add_task(label, total=expected)
        try:
            for block in iter(lambda: response.read(_CHUNK), b""):
                out.write(block)
                got += len(block)
                bar.advance(task, len(block))
        except (OSError, urllib.error.URLError, http.client.HTTPException) as err:
            raise InputError(f"download interrupted after {got} bytes ({err}); re-run to resume",
                             path=url, where=label, hint=NETWORK_HINT) from None
    if expected is not None and got < expected:
        raise InputError(f"download truncated: got {got} of {expected} bytes; re-run to resume",
                         path=url, where=label)
    return "resumed" if resumed else "downloaded"


def install_verified(part: Path, dest: Path, *, url: str, label: str, algorithm: str = "sha256",
                     expected: str | None = None, check: Callable[[Path], object] | None = None) -> str:
    """Verify `part` (checksum if one is expected, then `check`), rename it onto `dest`; returns its digest.

    On any failure `part` is deleted (a bad file must not be resumed) and nothing is installed.
    """
    found = file_checksum(part, algorithm)
    if expected is not None and found != expected.lower():
        part.unlink(missing_ok=True)
        raise InputError(f"checksum mismatch: expected {algorithm} {expected.lower()}, got {found}",
                         path=url, where=label,
                         hint="the file changed upstream or the expected checksum is wrong; nothing was installed")
    if check is not None:
        try:
            check(part)
        except InputError:
            part.unlink(missing_ok=True)
            raise
    os.replace(part, dest)
    return found


def now_utc() -> str:
    """When a file was downloaded, as fetch records write it (UTC, seconds, 'Z')."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def read_fetch_record(path: Path, what: str) -> dict:
    """A fetch's JSON record (`files`: name -> URL, size, SHA-256, time); {} before the first fetch."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise InputError(f"unreadable {what} ({err})", path=str(path),
                         hint="delete it; the next run downloads and records the files again") from None
    if not isinstance(data, dict) or not isinstance(data.get("files", {}), dict):
        raise InputError(f"{what} is not a JSON object with `files`", path=str(path),
                         hint="delete it; the next run downloads and records the files again")
    return data
