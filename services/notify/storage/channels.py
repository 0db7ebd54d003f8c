"""Channels beyond the browser: signed webhooks, and an SMS/app-push adapter with a development sink."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Protocol

import httpx

from services.notify.domain.signing import HEADER, TIMESTAMP_HEADER, sign


class ChannelError(Exception):
    """The channel did not accept the message (it will be retried)."""


class MessageChannel(Protocol):
    """Sends one notification to one target (a phone number, a device)."""

    async def send(self, target: str, message: dict) -> None: ...


class WebhookSender:
    """POSTs JSON with an HMAC signature; any non-2xx answer or a network error is a failure."""

    def __init__(self, *, timeout_s: float = 5.0) -> None:
        self._client = httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)

    async def send(self, url: str, secret: str, message: dict, *, delivery_id: int, timestamp: str) -> None:
        """Deliver once; raises ChannelError saying what went wrong."""
        body = json.dumps(message, ensure_ascii=False, sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            HEADER: sign(secret, timestamp, body),
            "X-Nuanxin-Delivery": str(delivery_id),  # receivers deduplicate retries by this
        }
        try:
            response = await self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ChannelError(f"{type(exc).__name__}: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise ChannelError(f"HTTP {response.status_code}")

    async def close(self) -> None:
        """Release connections."""
        await self._client.aclose()


class DevSink:
    """Writes what would have been sent (SMS or app push) as JSON lines: no provider in development."""

    def __init__(self, path: Path, channel: str) -> None:
        self._path = path
        self._channel = channel
        self._lock = threading.Lock()

    async def send(self, target: str, message: dict) -> None:
        """Append one line."""
        line = json.dumps({"channel": self._channel, "to": target, **message}, ensure_ascii=False)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self._path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")
