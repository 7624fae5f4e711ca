"""archguard.patterns: the markers, the operation stack and the live-call guard (Runway's layers import
them through infra.interfaces.patterns, a re-export of the same objects)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Protocol, runtime_checkable

import pytest

from archguard import patterns
from archguard.patterns import (
    LiveCallInLocalRead,
    Operation,
    Pattern,
    current_operation,
    guard_live_call,
    live,
    live_port,
    local_port,
    local_read,
    local_write,
    operation_stack,
    pattern_of,
    port_pattern,
    set_guard_mode,
    sync_job,
)

MODULE = __name__


@pytest.fixture(autouse=True)
def _guard_mode() -> Iterator[None]:
    previous = set_guard_mode("raise")
    yield
    set_guard_mode(previous)


@live_port
@runtime_checkable
class Gateway(Protocol):
    def send(self, invoice_id: str) -> str:
        ...


@local_port
@runtime_checkable
class Mirror(Protocol):
    def rows(self) -> list[int]:
        ...


class FakeGateway:
    """A live adapter: calls the guard first, as every live adapter does."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, invoice_id: str) -> str:
        guard_live_call("FakeGateway.send")
        self.sent.append(invoice_id)
        return invoice_id


class FakeMirror:
    def rows(self) -> list[int]:
        return [1, 2]


class Service:
    def __init__(self, mirror: Mirror, gateway: Gateway) -> None:
        self._mirror = mirror
        self._gateway = gateway

    @local_read
    def report(self) -> list[int]:
        return self._mirror.rows()

    @local_read
    def report_that_sends(self) -> list[int]:
        self._gateway.send("INV-1")
        return self._mirror.rows()

    @local_read
    def report_through_live_operation(self) -> str:
        return self.send("INV-2")

    @live
    def send(self, invoice_id: str) -> str:
        return self._gateway.send(invoice_id)

    @local_write
    def forget(self) -> list[int]:
        self._gateway.send("INV-W")
        return self._mirror.rows()

    @live
    def observed_stack(self) -> tuple[Operation, ...]:
        return operation_stack()

    @local_read
    def nested_stack(self) -> tuple[Operation, ...]:
        return self.observed_stack()


@pytest.fixture
def service() -> Service:
    return Service(FakeMirror(), FakeGateway())


def test_markers_record_the_pattern_on_the_function() -> None:
    assert Service.report.__dataflow_pattern__ is Pattern.LOCAL_READ
    assert pattern_of(Service.send) is Pattern.LIVE
    assert Service.report.__dataflow_operation__ == Operation(f"{MODULE}.Service.report", Pattern.LOCAL_READ)
    assert Service.report.__wrapped__.__name__ == "report"


def test_port_markers_keep_runtime_checkable_protocols_working() -> None:
    """A marker attribute on a Protocol would become a protocol member and fail every isinstance."""
    assert isinstance(FakeGateway(), Gateway)
    assert isinstance(FakeMirror(), Mirror)
    assert not isinstance(FakeMirror(), Gateway)
    assert port_pattern(Gateway) is Pattern.LIVE_PORT
    assert pattern_of(Mirror) is Pattern.LOCAL_PORT

    class Adapter(Gateway):
        def send(self, invoice_id: str) -> str:
            return invoice_id

    assert port_pattern(Adapter) is Pattern.LIVE_PORT  # inherited through the MRO
    assert port_pattern(FakeMirror) is None


def test_a_port_cannot_be_both_local_and_live() -> None:
    with pytest.raises(TypeError, match="already marked live_port"):
        local_port(Gateway)


def test_current_operation_is_the_innermost_while_it_runs(service: Service) -> None:
    assert current_operation() is None

    stack = service.nested_stack()

    assert [str(op) for op in stack] == [
        f"{MODULE}.Service.nested_stack [local_read]",
        f"{MODULE}.Service.observed_stack [live]",
    ]
    assert current_operation() is None  # popped on return


def test_local_read_that_stays_local_passes(service: Service) -> None:
    assert service.report() == [1, 2]


def test_live_operation_may_call_a_live_adapter(service: Service) -> None:
    assert service.send("INV-9") == "INV-9"


def test_guard_raises_in_raise_mode_naming_operation_and_adapter(service: Service) -> None:
    with pytest.raises(LiveCallInLocalRead) as raised:
        service.report_that_sends()

    assert raised.value.operation.name == f"{MODULE}.Service.report_that_sends"
    assert raised.value.adapter == "FakeGateway.send"
    assert str(raised.value) == (
        f"live call to FakeGateway.send inside local_read operation {MODULE}.Service.report_that_sends "
        f"(operations running: {MODULE}.Service.report_that_sends [local_read]); "
        "a local_read uses the local store only"
    )
    assert current_operation() is None  # the stack unwound


def test_live_operation_inside_a_local_read_is_still_caught(service: Service) -> None:
    """Innermost wins for current_operation(), but any enclosing local_read governs live calls."""
    with pytest.raises(LiveCallInLocalRead) as raised:
        service.report_through_live_operation()

    assert raised.value.operation.name == f"{MODULE}.Service.report_through_live_operation"
    assert [op.pattern for op in raised.value.stack] == [Pattern.LOCAL_READ, Pattern.LIVE]


def test_guard_logs_in_log_mode_and_the_call_goes_on(service: Service, caplog: pytest.LogCaptureFixture) -> None:
    set_guard_mode("log")

    with caplog.at_level(logging.WARNING, logger="archguard.patterns"):
        result = service.report_that_sends()

    assert result == [1, 2]
    assert service._gateway.sent == ["INV-1"]  # type: ignore[attr-defined]
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        f"live call to FakeGateway.send inside local_read operation {MODULE}.Service.report_that_sends "
        f"(operations running: {MODULE}.Service.report_that_sends [local_read])"
    )
    assert record.dataflow_operation == f"{MODULE}.Service.report_that_sends"  # type: ignore[attr-defined]


def test_guard_does_nothing_in_off_mode(service: Service, caplog: pytest.LogCaptureFixture) -> None:
    set_guard_mode("off")

    with caplog.at_level(logging.WARNING):
        assert service.report_that_sends() == [1, 2]

    assert caplog.records == []


def test_guard_mode_is_validated() -> None:
    with pytest.raises(ValueError, match="guard mode must be one of raise, log, off"):
        set_guard_mode("loud")  # type: ignore[arg-type]
    assert patterns.guard_mode() == "raise"


def test_async_operations_keep_their_own_stack() -> None:
    gateway = FakeGateway()

    class AsyncService:
        @local_read
        async def read(self) -> None:
            await asyncio.sleep(0)
            gateway.send("INV-3")

        @live
        async def write(self) -> str | None:
            await asyncio.sleep(0)
            op = current_operation()
            return op.name if op else None

    async def both() -> tuple[object, object]:
        return tuple(await asyncio.gather(AsyncService().read(), AsyncService().write(), return_exceptions=True))

    read, write = asyncio.run(both())

    assert isinstance(read, LiveCallInLocalRead)
    assert write == f"{MODULE}.test_async_operations_keep_their_own_stack.<locals>.AsyncService.write"


def test_sync_job_marks_classes_and_runs_functions_as_sync() -> None:
    @sync_job
    class Job:
        pass

    @sync_job
    def job() -> Operation | None:
        guard_live_call("FakeGateway.send")  # a sync job may go live
        return current_operation()

    assert pattern_of(Job) is Pattern.SYNC
    op = job()
    assert op is not None and op.pattern is Pattern.SYNC


def test_markers_refuse_what_they_cannot_mark() -> None:
    with pytest.raises(TypeError, match="already marked live"):
        local_read(Service.send)

    def rows():
        yield 1

    with pytest.raises(TypeError, match="cannot mark the generator"):
        local_read(rows)


def test_a_local_write_may_not_go_live_either(service: Service) -> None:
    assert pattern_of(Service.forget) is Pattern.LOCAL_WRITE
    assert Pattern.LOCAL_WRITE.is_local and Pattern.LOCAL_READ.is_local and not Pattern.LIVE.is_local

    with pytest.raises(LiveCallInLocalRead) as raised:
        service.forget()

    assert raised.value.operation == Operation(f"{MODULE}.Service.forget", Pattern.LOCAL_WRITE)
    assert str(raised.value).startswith(f"live call to FakeGateway.send inside local_write operation {MODULE}.")
    assert str(raised.value).endswith("a local_write uses the local store only")


def test_runways_patterns_module_re_exports_the_same_objects() -> None:
    """One guard state, whichever name imports it: setting the mode through one is seen through the other."""
    from infra.interfaces import patterns as runway_patterns

    assert runway_patterns.local_write is local_write
    assert runway_patterns.guard_live_call is guard_live_call
    assert set(runway_patterns.__all__) == set(patterns.__all__)
    previous = runway_patterns.set_guard_mode("log")
    try:
        assert patterns.guard_mode() == "log"
    finally:
        runway_patterns.set_guard_mode(previous)
