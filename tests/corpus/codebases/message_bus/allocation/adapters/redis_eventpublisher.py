"""Publishes events to other systems over Redis (a live adapter: it leaves the process)."""

from __future__ import annotations

import json
from dataclasses import asdict

import redis

from allocation.domain import events

client = redis.Redis(host="localhost", port=6379)


def publish(channel: str, event: events.Event) -> None:
    client.publish(channel, json.dumps(asdict(event)))  # type: ignore[call-overload]
