"""The message bus: hands each message to its handlers, then the events they raised."""

from __future__ import annotations

from collections.abc import Callable

from allocation.domain import commands, events
from allocation.service_layer import unit_of_work

Message = commands.Command | events.Event


class MessageBus:
    def __init__(self, uow: unit_of_work.AbstractUnitOfWork,
                 event_handlers: dict[type[events.Event], list[Callable]],
                 command_handlers: dict[type[commands.Command], Callable]) -> None:
        self.uow = uow
        self.event_handlers = event_handlers
        self.command_handlers = command_handlers

    def handle(self, message: Message) -> None:
        queue = [message]
        while queue:
            message = queue.pop(0)
            if isinstance(message, events.Event):
                for handler in self.event_handlers[type(message)]:
                    handler(message)
            else:
                self.command_handlers[type(message)](message)
            queue.extend(self.uow.collect_new_events())
