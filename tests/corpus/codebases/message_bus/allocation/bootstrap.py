"""The composition root: handlers get their dependencies through lambdas."""

from __future__ import annotations

import inspect
from collections.abc import Callable

from allocation.adapters import notifications, redis_eventpublisher
from allocation.service_layer import handlers, messagebus, unit_of_work


def bootstrap(uow: unit_of_work.AbstractUnitOfWork, notify: notifications.AbstractNotifications,
              publish: Callable = redis_eventpublisher.publish) -> messagebus.MessageBus:
    dependencies = {"uow": uow, "notifications": notify, "publish": publish}
    return messagebus.MessageBus(
        uow=uow,
        event_handlers={kind: [inject(h, dependencies) for h in hs] for kind, hs in handlers.EVENT_HANDLERS.items()},
        command_handlers={kind: inject(h, dependencies) for kind, h in handlers.COMMAND_HANDLERS.items()},
    )


def inject(handler: Callable, dependencies: dict) -> Callable:
    params = inspect.signature(handler).parameters
    deps = {name: dep for name, dep in dependencies.items() if name in params}
    return lambda message: handler(message, **deps)
