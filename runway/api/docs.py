"""OpenAPI documentation helpers: the problem responses each route can answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from runway.api.problems import Problem

_DESCRIPTIONS = {
    400: "A payment without an `Idempotency-Key` header (`idempotency_key_required`).",
    401: "No valid API token (`unauthorized`), or a webhook whose signature does not match (`invalid_signature`).",
    404: "Not found (`not_found`); a business of another firm answers exactly like one that does not exist.",
    409: "QuickBooks refused the action; nothing was done (`action_refused`).",
    422: "Invalid input (`invalid_input`, naming the `field`), or an idempotency key reused for a different "
         "request (`idempotency_key_reused`).",
    413: "The request body is larger than this route accepts (`body_too_large`).",
    500: "Unexpected error (`internal_error`).",
    501: "Not configured in this deployment (`not_implemented`).",
    503: "QuickBooks unavailable (`qbo_unavailable`, with `Retry-After`), not configured (`qbo_not_configured`), "
         "or the mirror database is not answering (`storage_unavailable`, with `Retry-After`).",
}

_RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again",
                                "schema": {"type": "integer", "minimum": 1}}}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for the given problem statuses."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        entry: dict[str, Any] = {"model": Problem, "description": _DESCRIPTIONS[code]}
        if code == 503:
            entry["headers"] = _RETRY_AFTER
        out[code] = entry
    return out


def request_body(model: type[BaseModel], *, required: bool) -> dict[str, Any]:
    """``openapi_extra`` documenting a JSON body that the route reads itself (``deps.json_body``); the
    model's schema is added to the components by ``add_body_schemas``."""
    BODY_MODELS[model.__name__] = model
    return {"requestBody": {"required": required, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}


# The models routes document with ``request_body`` (name -> model), added to the schema's components.
BODY_MODELS: dict[str, type[BaseModel]] = {}


def add_body_schemas(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, model in BODY_MODELS.items():
        components[name] = model.model_json_schema(ref_template="#/components/schemas/{model}")
    return schema


def require_header(schema: dict[str, Any], header: str) -> dict[str, Any]:
    """Mark ``header`` required wherever it is a parameter (the route checks it itself, answering a
    problem of its own rather than FastAPI's validation error)."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") == "header" and parameter.get("name") == header:
                    parameter["required"] = True
                    parameter.get("schema", {}).pop("anyOf", None)
                    parameter["schema"] = {"type": "string", "minLength": 1, "maxLength": 200}
    return schema


def use_problem_media_type(schema: dict[str, Any]) -> dict[str, Any]:
    """Every 4xx/5xx response of the schema is ``application/problem+json`` with the ``Problem`` schema
    (FastAPI documents them as ``application/json``, and its own 422 as ``HTTPValidationError``, which this
    API never answers: validation errors are problems too)."""
    ref = {"$ref": "#/components/schemas/Problem"}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                if status[:1] in ("4", "5"):
                    response["content"] = {"application/problem+json": {"schema": ref}}
                    if status == "422":
                        response["description"] = _DESCRIPTIONS[422]
    components = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema
