"""Handlers: one module-level function per command or event, dependencies injected by the bus."""

from __future__ import annotations

from collections.abc import Callable

from allocation.adapters import notifications, redis_eventpublisher
from allocation.domain import commands, events, model
from allocation.service_layer import unit_of_work


class InvalidSku(Exception):
    pass


def add_batch(cmd: commands.CreateBatch, uow: unit_of_work.AbstractUnitOfWork) -> None:
    with uow:
        product = uow.products.get(sku=cmd.sku)
        if product is None:
            product = model.Product(cmd.sku, batches=[])
            uow.products.add(product)
        product.batches.append(model.Batch(cmd.ref, cmd.sku, cmd.qty, cmd.eta))
        uow.commit()


def allocate(cmd: commands.Allocate, uow: unit_of_work.AbstractUnitOfWork) -> str | None:
    line = model.OrderLine(cmd.orderid, cmd.sku, cmd.qty)
    with uow:
        product = uow.products.get(sku=line.sku)
        if product is None:
            raise InvalidSku(f"Invalid sku {line.sku}")
        batchref = product.allocate(line)
        uow.commit()
    return batchref


def send_out_of_stock_notification(event: events.OutOfStock,
                                   notifications: notifications.AbstractNotifications) -> None:
    notifications.send("stock@example.com", f"Out of stock for {event.sku}")


def publish_allocated_event(event: events.Allocated, publish: Callable) -> None:
    publish("line_allocated", event)


def check_stock(cmd: commands.CheckStock, uow: unit_of_work.AbstractUnitOfWork,
                notifications: notifications.AbstractNotifications) -> int:
    with uow:
        product = uow.products.get(sku=cmd.sku)
        available = sum(b.available_quantity for b in product.batches) if product else 0
    if available < cmd.threshold:
        notifications.send("buyer@example.com", f"Low stock: {cmd.sku}")  # planted-violation
    return available


def deallocate_last(cmd: commands.Allocate, uow: unit_of_work.AbstractUnitOfWork) -> None:
    with uow:
        product = uow.products.get(sku=cmd.sku)
        if product is not None:
            line = product.batches[0].deallocate_one()
            redis_eventpublisher.publish("line_deallocated", events.Allocated(line.orderid, line.sku, 0, ""))  # planted-violation
        uow.commit()


def reserve_all(cmd: commands.Allocate, uow: unit_of_work.AbstractUnitOfWork) -> None:  # planted-violation
    with uow:
        uow.commit()


EVENT_HANDLERS: dict[type[events.Event], list[Callable]] = {
    events.Allocated: [publish_allocated_event],
    events.OutOfStock: [send_out_of_stock_notification],
}
COMMAND_HANDLERS: dict[type[commands.Command], Callable] = {
    commands.Allocate: allocate,
    commands.CreateBatch: add_batch,
    commands.CheckStock: check_stock,
}
