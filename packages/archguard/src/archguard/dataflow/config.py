"""What the data-flow checker is told about a codebase: all of it data, none of it code.

Nothing is assumed about a codebase's layout: ``domain_packages`` must be named, and every other
package, module and class option is empty until configured. The configuration is read from the first
of these that exists in the repository root (``discover``):

1. a ``type = data_flow`` contract in ``.importlinter`` or ``setup.cfg`` (import-linter's INI files);
2. ``[tool.archguard.dataflow]`` in ``pyproject.toml``, or a ``data_flow`` contract in its
   ``[tool.importlinter]`` table.

or from a file given explicitly (``load``: INI, or TOML with a ``[dataflow]`` table)::

    [dataflow]
    domain_packages = ["app.domain"]
    infra_packages = ["app.adapters"]
    port_modules = ["app.adapters.ports"]
    live_packages = ["app.adapters.api"]
    local_packages = ["app.adapters.db"]
    jobs_packages = ["app.jobs"]
    live_classes = ["app.domain.sync.SyncService"]     # not a port, but talks to the API
    sync_classes = ["app.domain.sync.SyncService"]     # ... and is a sync (both at once is allowed)
    local_classes = ["sqlalchemy.orm.Session"]         # project or external classes
    require_declarations = false
    strict = false
    local_label = "database"                          # how reports name the patterns
    live_label = "payments API"

    [dataflow.expected]                                # for code that carries no markers
    "app.domain.services.reports.ReportService.summary" = "local_read"
    "app.domain.services.handlers.allocate" = "local_write"

Module expressions (``service_modules``, ``exclude_modules``) take ``*`` for one name component and
``**`` for any number of them (zero included): ``app.domain.**.services.**``. Every package, module
and class the configuration names must exist (``check`` raises ``ConfigError`` naming the ones that
do not); the checker never falls back on a default layout.
"""

from __future__ import annotations

import configparser
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

#: The patterns an operation may declare. ``local_read`` and ``local_write`` are both local: neither
#: may reach the live system; they say whether the operation reads or writes the local store.
OPERATION_PATTERNS = ("local_read", "local_write", "live")
LOCAL_PATTERNS = ("local_read", "local_write")

#: Modules that open network connections, whatever the codebase (a codebase adds its SDKs).
DEFAULT_HTTP_MODULES: tuple[str, ...] = (
    "httpx",
    "requests",
    "urllib3",
    "aiohttp",
    "http.client",
    "urllib.request",
    "socket",
    "websockets",
    "grpc",
    "pycurl",
)

CONTRACT_TYPE_NAME = "data_flow"
#: Where a repository keeps its root packages when ``source_roots`` is not set.
DEFAULT_SOURCE_ROOTS = (".", "src")


class ConfigError(ValueError):
    """The configuration cannot be used; the message says which option and why."""


@dataclass(frozen=True)
class DataFlowConfig:
    """Everything the checker needs to know. Every name is a dotted module or class name."""

    #: The repository root: report paths are relative to it, and the source roots lie under it.
    root: Path = Path(".")
    #: Directories under ``root`` holding the root packages (default: ``.`` and ``src``, for a src
    #: layout). Any top-level package found there is project code, read when an operation reaches it.
    source_roots: tuple[str, ...] = ()
    #: Packages to read (default: the top-level packages of every package named below).
    root_packages: tuple[str, ...] = ()
    #: Packages whose service modules hold the domain operations (required).
    domain_packages: tuple[str, ...] = ()
    #: Module expressions of the service modules (default ``<domain>.**.services`` and ``.**`` below it).
    service_modules: tuple[str, ...] = ()
    #: fnmatch patterns of class names in service modules that are services (default: every public
    #: class with a public method that is not a property, other than enums, exceptions, Protocols,
    #: NamedTuples and TypedDicts; dataclasses included, so a service may take its ports as fields).
    #: Public module-level functions of service modules are operations too.
    service_classes: tuple[str, ...] = ("*",)
    #: fnmatch patterns of class names that are base classes of services, not services: their public
    #: methods are operations of each service class that inherits them (with ``self`` that class, so a
    #: session the subclass passes to ``super().__init__`` is known). Abstract classes (an ``abc.ABC``
    #: base or an ``@abstractmethod``) are bases whatever their name.
    base_classes: tuple[str, ...] = ("Base*", "Abstract*", "*Base", "*Mixin")
    #: Packages of the infrastructure layer (an unmarked Protocol in them is an undeclared port).
    infra_packages: tuple[str, ...] = ()
    #: Modules (or packages) holding the ports; every Protocol in them must be declared local or live.
    port_modules: tuple[str, ...] = ()
    #: Packages whose every class and function counts as live (talks to the live system).
    live_packages: tuple[str, ...] = ()
    #: Packages whose every class and function counts as local (the local store).
    local_packages: tuple[str, ...] = ()
    #: Packages of background sync jobs: calling or instantiating a job in them from a domain operation
    #: is a violation (referring to their enums, constants and types is not).
    jobs_packages: tuple[str, ...] = ()
    #: Modules that open network connections (importing or calling into them is a live reach).
    http_modules: tuple[str, ...] = DEFAULT_HTTP_MODULES
    #: Modules never read (tests, generated code), as module expressions.
    exclude_modules: tuple[str, ...] = ()
    #: Decorator names (the last component: ``@patterns.live`` is ``live``).
    local_read_markers: tuple[str, ...] = ("local_read",)
    local_write_markers: tuple[str, ...] = ("local_write",)
    live_markers: tuple[str, ...] = ("live",)
    local_port_markers: tuple[str, ...] = ("local_port",)
    live_port_markers: tuple[str, ...] = ("live_port",)
    sync_job_markers: tuple[str, ...] = ("sync_job",)
    #: Classes (dotted) known to be live / local / sync without a marker; a class may be live and sync.
    #: A class of the project or an external one (``sqlalchemy.orm.Session``): calling any method of an
    #: instance of it (or of a subclass) is a reach. ``sync_classes`` may name functions too.
    live_classes: tuple[str, ...] = ()
    local_classes: tuple[str, ...] = ()
    sync_classes: tuple[str, ...] = ()
    #: Expected pattern per operation (``module.Class.method`` or ``module.function`` -> a pattern).
    expected: Mapping[str, str] = field(default_factory=dict)
    #: An operation declared neither in code nor in ``expected`` is a violation.
    require_declarations: bool = True
    #: Unresolved calls fail the check too. Off by default, so a codebase without type annotations can
    #: adopt the rules (its unresolved calls are reported, as warnings).
    strict: bool = False
    #: Worker processes: 0 = automatic (one per CPU, up to 8, when 400 service modules or more are to be
    #: read, those the cache holds not counted; a single process below that), 1 = never start workers.
    jobs: int = 0
    #: How reports name what an operation reaches (the observed column, the pattern map's text).
    local_label: str = "local"
    live_label: str = "live"
    sync_label: str = "sync"

    def __post_init__(self) -> None:
        bad = {name: value for name, value in self.expected.items() if value not in OPERATION_PATTERNS}
        if bad:
            listed = ", ".join(f"{name} = {value!r}" for name, value in sorted(bad.items()))
            raise ConfigError(f"expected patterns must be one of {', '.join(OPERATION_PATTERNS)}: {listed}")
        for option in ("domain_packages", "infra_packages", "port_modules", "live_packages", "local_packages",
                       "jobs_packages", "http_modules", "live_classes", "local_classes", "sync_classes",
                       "root_packages"):
            for name in getattr(self, option):
                if not _DOTTED.match(name):
                    raise ConfigError(f"{option}: {name!r} is not a dotted name")
        if not self.domain_packages:
            raise ConfigError("domain_packages: name at least one package (the packages holding the domain's "
                              "service modules)")
        for option in ("local_label", "live_label", "sync_label"):
            if not str(getattr(self, option)).strip():
                raise ConfigError(f"{option}: must not be empty")

    # Derived values ------------------------------------------------------------------------------

    @property
    def packages_to_read(self) -> tuple[str, ...]:
        if self.root_packages:
            return self.root_packages
        names = (*self.domain_packages, *self.infra_packages, *self.port_modules, *self.live_packages,
                 *self.local_packages, *self.jobs_packages)
        return tuple(dict.fromkeys(name.split(".")[0] for name in names if name))

    @property
    def service_module_expressions(self) -> tuple[str, ...]:
        if self.service_modules:
            return self.service_modules
        return tuple(expr for pkg in self.domain_packages for expr in (f"{pkg}.**.services", f"{pkg}.**.services.**"))

    @property
    def source_directories(self) -> tuple[Path, ...]:
        """The directories holding root packages, most specific configuration first."""
        roots = self.source_roots or DEFAULT_SOURCE_ROOTS
        return tuple(dict.fromkeys((self.root / r).resolve() for r in roots))

    def label(self, category: str) -> str:
        """The report's word for a category of reach (``local``, ``live``, ``sync``)."""
        return {"local": self.local_label, "live": self.live_label, "sync": self.sync_label}.get(category, category)

    def with_(self, **changes: Any) -> DataFlowConfig:
        return replace(self, **changes)


_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_TUPLE_FIELDS = {f.name for f in fields(DataFlowConfig) if f.type.startswith("tuple")}  # type: ignore[union-attr]
_BOOL_FIELDS = {"require_declarations", "strict"}
_INT_FIELDS = {"jobs"}
_STR_FIELDS = {"local_label", "live_label", "sync_label"}
#: Options of a data_flow section that are not configuration of the checker itself.
_CONTRACT_ONLY = ("id", "name", "type", "baseline", "broken_contract_guidance")


def from_mapping(values: Mapping[str, Any], *, root: Path | None = None, base: DataFlowConfig | None = None
                 ) -> DataFlowConfig:
    """A config from plain values (lists of strings, booleans, a mapping for ``expected``)."""
    known = {f.name for f in fields(DataFlowConfig)} - {"root"}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"unknown data-flow option(s): {', '.join(unknown)}")
    changes: dict[str, Any] = {}
    for name, value in values.items():
        if name in _TUPLE_FIELDS:
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{name}: expected a list of strings")
            changes[name] = tuple(value)
        elif name in _BOOL_FIELDS:
            if isinstance(value, str):
                value = _parse_bool(name, value)
            if not isinstance(value, bool):
                raise ConfigError(f"{name}: expected true or false")
            changes[name] = value
        elif name in _INT_FIELDS:
            try:
                changes[name] = int(value)
            except (TypeError, ValueError):
                raise ConfigError(f"{name}: expected a whole number, not {value!r}") from None
            if changes[name] < 0:
                raise ConfigError(f"{name}: expected 0 (automatic) or more")
        elif name in _STR_FIELDS:
            if not isinstance(value, str):
                raise ConfigError(f"{name}: expected a string")
            changes[name] = value
        elif name == "expected":
            changes[name] = _parse_expected(value)
    if root is not None:
        changes["root"] = root
    return DataFlowConfig(**changes) if base is None else replace(base, **changes)


def load_toml(path: Path, *, root: Path | None = None, base: DataFlowConfig | None = None) -> DataFlowConfig:
    """Read ``[dataflow]`` (or ``[tool.archguard.dataflow]`` in a pyproject.toml) from a TOML file."""
    data = _read_toml(path)
    table = data.get("tool", {}).get("archguard", {}).get("dataflow") if "tool" in data else None
    if table is None:
        table = data.get("dataflow", data)
    return from_mapping(table, root=root, base=base)


def from_options(options: Mapping[str, Any], *, root: Path | None = None) -> DataFlowConfig:
    """A config from import-linter contract options (strings and lists of strings, as parsed from INI).

    ``config_file`` (a TOML file, relative to ``root``) is read first; the other options override it.
    ``expected`` lines read ``module.Class.method = local_read`` (or ``:``).
    """
    values = dict(options)
    config_file = values.pop("config_file", None)
    base = None
    if config_file:
        base = load_toml((root or Path(".")) / str(config_file), root=root)
    return from_mapping(values, root=root, base=base)


def from_importlinter(path: Path, *, root: Path | None = None) -> DataFlowConfig | None:
    """The config of the first ``type = data_flow`` contract in an import-linter INI file, or None."""
    parser = configparser.ConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    for section in parser.sections():
        if section.startswith("importlinter:contract:") and parser[section].get("type") == CONTRACT_TYPE_NAME:
            options = {key: _ini_value(value) for key, value in parser[section].items() if key not in _CONTRACT_ONLY}
            return from_options(options, root=root)
    return None


def from_pyproject(path: Path, *, root: Path | None = None) -> DataFlowConfig | None:
    """``[tool.archguard.dataflow]``, else the first ``data_flow`` contract of ``[tool.importlinter]``
    in a pyproject.toml, or None when it has neither."""
    tool = _read_toml(path).get("tool", {})
    table = tool.get("archguard", {}).get("dataflow")
    if table is not None:
        return from_mapping(table, root=root)
    for contract in tool.get("importlinter", {}).get("contracts", []):
        if isinstance(contract, Mapping) and contract.get("type") == CONTRACT_TYPE_NAME:
            options = {k: v for k, v in contract.items() if k not in _CONTRACT_ONLY}
            return from_options(options, root=root)
    return None


#: Where ``discover`` looks, in order (import-linter reads the same files).
CONFIG_FILES = (".importlinter", "setup.cfg", "pyproject.toml")


def discover(root: Path) -> tuple[DataFlowConfig, Path]:
    """The configuration of the repository at ``root`` and the file it came from; ``ConfigError`` when
    none of ``CONFIG_FILES`` holds one (the checker never guesses a codebase's layout)."""
    for name in CONFIG_FILES:
        path = root / name
        if not path.is_file():
            continue
        config = from_pyproject(path, root=root) if path.suffix == ".toml" else from_importlinter(path, root=root)
        if config is not None:
            return config, path
    raise ConfigError(
        f"no data-flow configuration in {root.resolve()}: add a contract with 'type = data_flow' to "
        ".importlinter (or setup.cfg), or a [tool.archguard.dataflow] table to pyproject.toml, or pass "
        "--config FILE"
    )


def load(path: Path, *, root: Path) -> DataFlowConfig:
    """The configuration in an explicit file: TOML (``[dataflow]``, ``[tool.archguard.dataflow]`` or a
    ``[tool.importlinter]`` data_flow contract) or an import-linter INI file."""
    if not path.is_file():
        raise ConfigError(f"{path} does not exist")
    if path.suffix == ".toml":
        data = _read_toml(path)
        if "dataflow" in data or "archguard" in data.get("tool", {}):
            return load_toml(path, root=root)
        config = from_pyproject(path, root=root)
    else:
        config = from_importlinter(path, root=root)
    if config is None:
        raise ConfigError(f"{path} has no data-flow configuration (no contract of type data_flow)")
    return config


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc


def _ini_value(raw: str) -> str | list[str]:
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    return lines if "\n" in raw.strip() or len(lines) != 1 else lines[0]


def _parse_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "yes", "1", "on"):
        return True
    if lowered in ("false", "no", "0", "off"):
        return False
    raise ConfigError(f"{name}: expected true or false, not {value!r}")


def _parse_expected(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, str):
        value = [value]
    result: dict[str, str] = {}
    for line in _as_lines(value):
        parts = re.split(r"\s*[=:]\s*", line.strip(), maxsplit=1)
        if len(parts) != 2 or not parts[0] or not parts[1]:
            raise ConfigError(f"expected: {line!r} should read 'module.Class.method = local_read'")
        result[parts[0]] = parts[1]
    return result


def _as_lines(value: Iterable[Any]) -> list[str]:
    return [str(v) for v in value if str(v).strip()]
