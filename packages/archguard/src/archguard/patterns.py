"""Data-flow pattern markers, and the run-time guard that holds live calls to them.

Three data-flow patterns, whatever the codebase calls its stores and its remote systems:

1. **local** (``@local_read``, ``@local_write``): an operation uses the local store only. A
   ``local_read`` answers from it; a ``local_write`` writes the store's own records (tokens,
   idempotency records, queued requests, housekeeping), never the live system;
2. **live** (``@live``): an operation talks to the live system (a remote API) through a live port, for
   a fresh read or a write;
3. **sync** (``@sync_job``): a background job copies the live system into the local store. An
   operation of the domain is never a sync and never starts one.

The markers say which pattern each piece of code is meant to follow; ``archguard audit`` (and the
``data_flow`` import-linter contract) checks the source statically against them, and
``guard_live_call`` checks the running process::

    from archguard.patterns import guard_live_call, live, live_port, local_port, local_read, local_write

    class CollectionsService:
        @local_read
        def aging_report(self, business_id: int) -> AgingReport: ...

        @local_write
        def forget_older_than(self, age: timedelta) -> int: ...

        @live
        def send_invoice(self, business_id: int, invoice_id: str) -> InvoiceRecord: ...

    @local_port
    class InvoiceStore(Protocol): ...

    @live_port
    class BillingGateway(Protocol): ...

    @sync_job
    class InvoiceSyncJob: ...

    class HttpBillingGateway:                  # the adapter behind BillingGateway
        def send_invoice(self, invoice_id):
            guard_live_call("HttpBillingGateway.send_invoice")
            ...

Operations and the stack
    ``@local_read``, ``@local_write`` and ``@live`` record their pattern on the function
    (``__dataflow_pattern__``) and, while the call runs, push an ``Operation`` (qualified name and
    pattern) onto a stack held in a ``contextvars.ContextVar``; so each thread and each asyncio task has
    its own stack, and the entry is popped when the call returns or raises. ``current_operation()`` is
    the innermost operation. Work handed to another thread starts with an empty stack unless it is run
    in a copy of the caller's context (``contextvars.copy_context().run``; ``asyncio`` tasks copy it by
    themselves).

The governing rule for live calls
    A live call is forbidden when **any** operation on the stack is local (``local_read`` or
    ``local_write``), however deeply the live call is nested: a local operation promises that nothing it
    does, directly or through anything it calls, reaches the live system, and a ``@live`` operation
    called from inside it does not lift that promise. The innermost operation still names itself in
    ``current_operation()``; the guard reports the innermost enclosing local operation (the closest
    broken promise) and the whole stack. A ``@sync_job`` function pushes a ``sync`` entry, which allows
    live calls unless a local operation encloses it.

Guard modes (set once by the composition root with ``set_guard_mode``; default ``"raise"``)
    - ``"raise"`` (tests, development): ``guard_live_call`` raises ``LiveCallInLocalRead``;
    - ``"log"`` (production): it logs a warning on logger ``archguard.patterns`` naming the operation
      and the adapter, and the call goes on;
    - ``"off"``: it does nothing.

Ports are ``typing.Protocol`` classes. ``@local_port`` and ``@live_port`` do not add an attribute to the
class: on Python 3.11 every attribute in a Protocol's namespace is a protocol member that
``isinstance`` checks against ``@runtime_checkable`` protocols, so a marker attribute would make every
fake and adapter fail ``isinstance``. The marker is kept in a registry instead; ``port_pattern(cls)``
reads it (through the class's MRO, so an adapter that subclasses its port inherits it).

Standard library only; the static checker reads these markers by name and never imports this module.
"""

from __future__ import annotations

import contextvars
import enum
import functools
import inspect
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

__all__ = [
    "PATTERN_ATTRIBUTE",
    "GuardMode",
    "LiveCallInLocalRead",
    "Operation",
    "Pattern",
    "current_operation",
    "governing_local_read",
    "guard_live_call",
    "guard_mode",
    "governing_local_operation",
    "live",
    "live_port",
    "local_port",
    "local_read",
    "local_write",
    "operation_stack",
    "pattern_of",
    "port_pattern",
    "set_guard_mode",
    "sync_job",
]

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C", bound=type)
T = TypeVar("T")

#: The attribute ``@local_read``, ``@local_write``, ``@live`` and ``@sync_job`` set on what they mark.
PATTERN_ATTRIBUTE = "__dataflow_pattern__"

GuardMode = Literal["raise", "log", "off"]
_GUARD_MODES: tuple[str, ...] = ("raise", "log", "off")


class Pattern(enum.StrEnum):
    """The data-flow pattern of an operation, port or job."""

    LOCAL_READ = "local_read"  # Pattern 1 operation: reads the local store only
    LOCAL_WRITE = "local_write"  # Pattern 1 operation: writes the local store's own records only
    LIVE = "live"  # Pattern 2 operation: reaches the live system through a live port
    SYNC = "sync"  # Pattern 3: a background sync job
    LOCAL_PORT = "local_port"  # a port answered from the local store
    LIVE_PORT = "live_port"  # a port that talks to the live system

    @property
    def is_local(self) -> bool:
        """An operation that may not reach the live system: ``local_read`` or ``local_write``."""
        return self in (Pattern.LOCAL_READ, Pattern.LOCAL_WRITE)


@dataclass(frozen=True, slots=True)
class Operation:
    """One running marked call: its qualified name (``module.Class.method``) and its pattern."""

    name: str
    pattern: Pattern

    def __str__(self) -> str:
        return f"{self.name} [{self.pattern}]"


class LiveCallInLocalRead(RuntimeError):
    """A live adapter was called while a local operation (``local_read`` or ``local_write``) was running
    (guard mode "raise"). The name is kept from when ``local_read`` was the only local pattern."""

    def __init__(self, operation: Operation, adapter: str, stack: tuple[Operation, ...]) -> None:
        self.operation = operation
        self.adapter = adapter
        self.stack = stack
        chain = " -> ".join(str(entry) for entry in stack)
        super().__init__(
            f"live call to {adapter} inside {operation.pattern} operation {operation.name} "
            f"(operations running: {chain}); a {operation.pattern} uses the local store only"
        )


# The stack of running operations, innermost last. A tuple, so a ContextVar copy never aliases it.
_stack: contextvars.ContextVar[tuple[Operation, ...]] = contextvars.ContextVar("archguard_dataflow_stack", default=())

_mode_lock = threading.Lock()
_mode: GuardMode = "raise"

# Port classes marked with @local_port / @live_port (see the module docstring for why not an attribute).
_port_patterns: dict[type, Pattern] = {}


# Guard mode ----------------------------------------------------------------------------------------


def set_guard_mode(mode: GuardMode) -> GuardMode:
    """Set how ``guard_live_call`` reacts for the whole process; returns the previous mode."""
    global _mode
    if mode not in _GUARD_MODES:
        raise ValueError(f"guard mode must be one of {', '.join(_GUARD_MODES)}, not {mode!r}")
    with _mode_lock:
        previous, _mode = _mode, mode
    return previous


def guard_mode() -> GuardMode:
    return _mode


# The running operations -----------------------------------------------------------------------------


def operation_stack() -> tuple[Operation, ...]:
    """The marked operations running in this context, outermost first."""
    return _stack.get()


def current_operation() -> Operation | None:
    """The innermost marked operation running in this context, or None."""
    stack = _stack.get()
    return stack[-1] if stack else None


def governing_local_operation() -> Operation | None:
    """The innermost local operation (``local_read`` or ``local_write``) anywhere on the stack, or None:
    while there is one, no live call may be made, whatever operations run inside it."""
    for entry in reversed(_stack.get()):
        if entry.pattern.is_local:
            return entry
    return None


#: The name this function had when ``local_read`` was the only local pattern.
governing_local_read = governing_local_operation


def guard_live_call(adapter_name: str) -> None:
    """Called by every live adapter at the start of every call that may reach the live system.

    If a local operation is running (anywhere on the stack), mode "raise" raises
    ``LiveCallInLocalRead`` naming the operation and ``adapter_name``; mode "log" logs a warning and
    returns; mode "off" returns. Outside a local operation it always returns.
    """
    mode = _mode
    if mode == "off":
        return
    offender = governing_local_operation()
    if offender is None:
        return
    stack = _stack.get()
    if mode == "raise":
        raise LiveCallInLocalRead(offender, adapter_name, stack)
    logger.warning(
        "live call to %s inside %s operation %s (operations running: %s)",
        adapter_name, offender.pattern, offender.name, " -> ".join(str(entry) for entry in stack),
        extra={"dataflow_operation": offender.name, "dataflow_adapter": adapter_name},
    )


# Operation markers ----------------------------------------------------------------------------------


def local_read(func: F) -> F:
    """Mark an operation as Pattern 1, reading: it answers from the local store and reaches no live port."""
    return _mark_operation(func, Pattern.LOCAL_READ)


def local_write(func: F) -> F:
    """Mark an operation as Pattern 1, writing: it writes the local store's own records (tokens,
    idempotency records, queued requests, housekeeping) and reaches no live port."""
    return _mark_operation(func, Pattern.LOCAL_WRITE)


def live(func: F) -> F:
    """Mark an operation as Pattern 2: it reaches the live system through a live port."""
    return _mark_operation(func, Pattern.LIVE)


def sync_job(obj: T) -> T:
    """Mark a background sync job (a class or a function of the jobs packages), Pattern 3.

    On a function it also pushes a ``sync`` entry onto the operation stack while it runs. On a class
    it only records the pattern (``__dataflow_pattern__``); the class's methods are not wrapped.
    """
    if isinstance(obj, type):
        setattr(obj, PATTERN_ATTRIBUTE, Pattern.SYNC)
        return obj
    return _mark_operation(obj, Pattern.SYNC)  # type: ignore[type-var]


def pattern_of(obj: object) -> Pattern | None:
    """The pattern a marker recorded on a function or class (ports included), or None."""
    if isinstance(obj, type):
        port = port_pattern(obj)
        if port is not None:
            return port
    value = getattr(obj, PATTERN_ATTRIBUTE, None)
    return Pattern(value) if value is not None else None


def _mark_operation(func: F, pattern: Pattern) -> F:
    if isinstance(func, staticmethod | classmethod):
        return type(func)(_mark_operation(func.__func__, pattern))  # type: ignore[return-value]
    if not callable(func):
        raise TypeError(f"@{pattern} marks a function or method, not {func!r}")
    if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
        # The stack entry could not be kept across the caller's iteration: mark the function that
        # returns the collected result instead.
        raise TypeError(f"@{pattern} cannot mark the generator {func.__qualname__}")
    existing = getattr(func, PATTERN_ATTRIBUTE, None)
    if existing is not None and existing != pattern:
        raise TypeError(f"{func.__qualname__} is already marked {existing}; it cannot also be {pattern}")
    operation = Operation(f"{func.__module__}.{func.__qualname__}", pattern)

    if inspect.iscoroutinefunction(func):
        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            token = _stack.set((*_stack.get(), operation))
            try:
                return await func(*args, **kwargs)
            finally:
                _stack.reset(token)

        wrapper: Any = async_wrapper
    else:
        @functools.wraps(func)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            token = _stack.set((*_stack.get(), operation))
            try:
                return func(*args, **kwargs)
            finally:
                _stack.reset(token)

        wrapper = sync_wrapper
    setattr(wrapper, PATTERN_ATTRIBUTE, pattern)
    wrapper.__dataflow_operation__ = operation
    return wrapper  # type: ignore[no-any-return]


# Port markers ---------------------------------------------------------------------------------------


def local_port(cls: C) -> C:
    """Mark a port (a ``typing.Protocol``) as local: it answers from the local store, never the network."""
    return _mark_port(cls, Pattern.LOCAL_PORT)


def live_port(cls: C) -> C:
    """Mark a port (a ``typing.Protocol``) as live: its implementation talks to the live system."""
    return _mark_port(cls, Pattern.LIVE_PORT)


def port_pattern(cls: type) -> Pattern | None:
    """``LOCAL_PORT`` or ``LIVE_PORT`` for a marked port or a class that inherits from one, else None."""
    for klass in getattr(cls, "__mro__", (cls,)):
        pattern = _port_patterns.get(klass)
        if pattern is not None:
            return pattern
    return None


def _mark_port(cls: C, pattern: Pattern) -> C:
    if not isinstance(cls, type):
        raise TypeError(f"@{pattern} marks a class (a typing.Protocol port), not {cls!r}")
    existing = _port_patterns.get(cls)
    if existing is not None and existing is not pattern:
        raise TypeError(f"{cls.__qualname__} is already marked {existing}; it cannot also be {pattern}")
    _port_patterns[cls] = pattern
    return cls
