"""QBO faults: the exception the store raises and the bodies the HTTP layer answers with.

``QboFault`` carries everything needed to render Intuit's fault body; the store raises it for business
errors and the app turns it into ``{"Fault": {"Error": [...], "type": ...}, "time": ...}`` with the
fault's HTTP status. The factory functions name the faults the sandbox produces, with Intuit's codes.
"""

from __future__ import annotations

from dataclasses import dataclass


class QboFault(Exception):
    """A fault QBO would answer with. ``status`` is the HTTP status (QBO uses 400 for most faults)."""

    def __init__(
        self,
        code: str,
        message: str,
        detail: str = "",
        *,
        element: str = "",
        fault_type: str = "ValidationFault",
        status: int = 400,
    ) -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.code = code
        self.message = message
        self.detail = detail
        self.element = element
        self.fault_type = fault_type
        self.status = status

    def body(self) -> dict:
        """The ``Fault`` member (without ``time``; the app adds it)."""
        return {
            "Fault": {
                "Error": [
                    {"Message": self.message, "Detail": self.detail, "code": self.code, "element": self.element}
                ],
                "type": self.fault_type,
            }
        }


def query_parser_error(detail: str) -> QboFault:
    return QboFault("4000", "Error parsing query", f"QueryParserError: {detail}")


def query_validation_error(detail: str) -> QboFault:
    return QboFault("4001", "Invalid query", f"QueryValidationError: {detail}")


def object_not_found(entity: str, entity_id: str) -> QboFault:
    return QboFault(
        "610",
        "Object Not Found",
        f"Object Not Found : Something you're trying to use has been made inactive or deleted: {entity} {entity_id}",
    )


def stale_object(entity: str, entity_id: str) -> QboFault:
    return QboFault(
        "5010",
        "Stale Object Error",
        f"Stale Object Error : You and another user were working on {entity} {entity_id} at the same time. "
        "The other user finished first, so your work was not saved. Read it again and retry.",
    )


def required_param_missing(element: str) -> QboFault:
    return QboFault(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request",
        element=element,
    )


def invalid_value(element: str, detail: str) -> QboFault:
    return QboFault("2010", "Request has invalid or unsupported property", detail, element=element)


def invalid_reference(element: str, ref_id: str) -> QboFault:
    return QboFault("2500", "Invalid Reference Id", f"Invalid Reference Id : {element} {ref_id} does not exist",
                    element=element)


def business_validation(detail: str) -> QboFault:
    return QboFault("6000", "A business validation error has occurred while processing your request",
                    f"Business Validation Error: {detail}")


def duplicate_name(name: str) -> QboFault:
    return QboFault("6240", "Duplicate Name Exists Error",
                    f"The name supplied already exists. : {name}")


def unsupported_operation(detail: str) -> QboFault:
    return QboFault("500", "Unsupported Operation", f"Operation {detail} is not supported.")


def system_failure(status: int = 500) -> QboFault:
    return QboFault(
        "10000",
        "An application error has occurred while processing your request",
        "System Failure Error: the sandbox injected this failure",
        fault_type="SystemFault",
        status=status,
    )


def authorization_failure(realm_id: str, detail: str | None = None) -> QboFault:
    """403: the token is valid but does not open this company (another realm's, or without the scope)."""
    return QboFault(
        "3100",
        "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
        detail or f"The access token was not issued for company {realm_id}",
        fault_type="AuthorizationFault",
        status=403,
    )


def unknown_resource(path: str, url: str) -> QboFault:
    """404: no resource at this path (QBO words it as an unsupported operation)."""
    return QboFault("500", "Unsupported Operation",
                    f"Operation Could not find resource for relative : {path} of full path: {url} is not supported.",
                    status=404)


def method_not_allowed(method: str, path: str, allowed: str) -> QboFault:
    """405: the path exists but not for this HTTP method."""
    return QboFault("500", "Unsupported Operation",
                    f"Operation {method} {path} is not supported (allowed: {allowed}).", status=405)


THROTTLE_MESSAGE = "message=ThrottleExceeded; errorCode=003001; statusCode=429"


def throttle_exceeded(detail: str) -> QboFault:
    return QboFault("3001", THROTTLE_MESSAGE, detail, fault_type="SERVICE", status=429)


def throttle_xml(time_text: str) -> bytes:
    """The XML 429 body Intuit has been seen to send even when JSON was asked for."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{time_text}">'
        '<Fault type="SERVICE"><Error code="3001">'
        f"<Message>{THROTTLE_MESSAGE}</Message>"
        "</Error></Fault></IntuitResponse>"
    ).encode()


@dataclass(frozen=True)
class AuthenticationFailure:
    """A 401: rendered with the lower-case keys Intuit uses for authentication faults."""

    detail: str

    def body(self) -> dict:
        return {
            "fault": {
                "error": [
                    {
                        "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                        "detail": self.detail,
                        "code": "3200",
                    }
                ],
                "type": "AUTHENTICATION",
            }
        }
