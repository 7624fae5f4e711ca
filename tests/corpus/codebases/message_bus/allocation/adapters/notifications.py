"""Notifications: an abstract port, and e-mail over SMTP."""

from __future__ import annotations

import abc
import smtplib


class AbstractNotifications(abc.ABC):
    @abc.abstractmethod
    def send(self, destination: str, message: str) -> None:
        raise NotImplementedError


class EmailNotifications(AbstractNotifications):
    def __init__(self, host: str, port: int) -> None:
        self.server = smtplib.SMTP(host, port=port)

    def send(self, destination: str, message: str) -> None:
        self.server.sendmail(from_addr="allocations@example.com", to_addrs=[destination], msg=message)
