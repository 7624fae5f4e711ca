"""Fault bodies in every shape QBO sends become the right exception, with intuit_tid, code, status, realm."""

from __future__ import annotations

import httpx
import pytest

from infra.interfaces.errors import (
    QboAuthError,
    QboError,
    QboStaleObjectError,
    QboThrottledError,
    QboUnavailableError,
    QboValidationError,
)
from infra.qbo import QboRequestNotSent, error_from_response, error_from_transport, parse_fault
from tests.infra.qbo.conftest import REALM, json_response

VALIDATION = {"Fault": {"Error": [{"Message": "Object Not Found",
                                   "Detail": "Object Not Found : Something you're trying to use has been made "
                                             "inactive. Check the fields with accounts, customers, items, "
                                             "vendors or employees.",
                                   "code": "610", "element": ""}], "type": "ValidationFault"},
              "time": "2025-03-01T04:00:00.000-08:00"}
STALE = {"Fault": {"Error": [{"Message": "Stale Object Error",
                              "Detail": "Stale Object Error : You and root were working on this at the same "
                                        "time. root finished before you did, so your work was not saved.",
                              "code": "5010", "element": ""}], "type": "ValidationFault"},
         "time": "2025-03-01T04:00:00.000-08:00"}
AUTH_LOWER = {"warnings": None, "intuitObject": None,
              "fault": {"error": [{"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                                   "detail": "Token expired: AB11...", "code": "3200", "element": None}],
                        "type": "AUTHENTICATION"},
              "report": None, "queryResponse": None, "batchItemResponse": [], "attachableResponse": [],
              "syncErrorResponse": None, "requestId": None, "time": 1740830400000, "status": None,
              "cdcresponse": []}
AUTHORIZATION = {"Fault": {"Error": [{"Message": "message=ApplicationAuthorizationFailed; errorCode=003100; "
                                                 "statusCode=403", "Detail": "", "code": "3100"}],
                           "type": "AuthorizationFault"}, "time": "2025-03-01T04:00:00.000-08:00"}
SYSTEM = {"Fault": {"Error": [{"Message": "An application error has occurred while processing your request",
                               "Detail": "System Failure Error: Something bad happened", "code": "10000"}],
                    "type": "SystemFault"}, "time": "2025-03-01T04:00:00.000-08:00"}
THROTTLE_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="2025-03-01T04:00:00.000-08:00">'
    '<Fault type="SERVICE"><Error code="3001" element="">'
    "<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>"
    "<Detail>The request limit was reached.  You can try again later.</Detail>"
    "</Error></Fault></IntuitResponse>")
HTML_503 = ("<!DOCTYPE html><html><head><title>503 Service Temporarily Unavailable</title></head>"
            "<body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>")


def _response(status: int, content: bytes | str, content_type: str, tid: str | None = "tid-42",
              **headers: str) -> httpx.Response:
    h = {"Content-Type": content_type, **headers}
    if tid:
        h["intuit_tid"] = tid
    return httpx.Response(status, content=content.encode() if isinstance(content, str) else content, headers=h)


@pytest.mark.parametrize(("status", "body", "expected", "code"), [
    (400, VALIDATION, QboValidationError, "610"),
    (400, STALE, QboStaleObjectError, "5010"),
    (401, AUTH_LOWER, QboAuthError, "3200"),
    (403, AUTHORIZATION, QboAuthError, "3100"),
    (500, SYSTEM, QboUnavailableError, "10000"),
    (503, SYSTEM, QboUnavailableError, "10000"),
])
def test_json_fault_bodies_map_to_their_exception_with_tid_code_status_realm(status, body, expected, code):
    error = error_from_response(json_response(status, body, tid="tid-42"), REALM)
    assert type(error) is expected
    assert (error.intuit_tid, error.fault_code, error.status_code, error.realm_id) == ("tid-42", code, status, REALM)


def test_validation_message_keeps_message_and_detail():
    error = error_from_response(json_response(400, VALIDATION), REALM)
    assert "Object Not Found" in error.message and "made inactive" in error.message
    assert "fault 610" in str(error) and "HTTP 400" in str(error) and "intuit_tid tid-1" in str(error)


def test_stale_object_is_also_a_validation_error():
    assert isinstance(error_from_response(json_response(400, STALE), REALM), QboValidationError)


def test_lower_case_401_body_is_parsed():
    fault = parse_fault(json_response(401, AUTH_LOWER).content)
    assert fault is not None and fault.type == "AUTHENTICATION" and fault.code == "3200"
    assert "Token expired" in fault.describe()


def test_xml_throttle_body_with_429_is_throttled_with_code_and_default_wait():
    error = error_from_response(_response(429, THROTTLE_XML, "application/xml"), REALM, default_retry_after=60)
    assert type(error) is QboThrottledError
    assert (error.intuit_tid, error.fault_code, error.status_code) == ("tid-42", "3001", 429)
    assert error.retry_after_seconds == 60
    assert "ThrottleExceeded" in error.message


def test_xml_throttle_code_alone_means_throttled_even_without_429():
    error = error_from_response(_response(400, THROTTLE_XML, "application/xml"), REALM)
    assert isinstance(error, QboThrottledError) and error.fault_code == "3001"


def test_retry_after_header_is_the_wait():
    response = json_response(429, {"Fault": {"Error": [{"Message": "ThrottleExceeded", "code": "3001"}],
                                             "type": "ThrottleExceeded"}}, headers={"Retry-After": "7"})
    error = error_from_response(response, REALM, default_retry_after=60)
    assert isinstance(error, QboThrottledError) and error.retry_after_seconds == 7


def test_bare_429_without_body_is_throttled():
    error = error_from_response(_response(429, b"", "text/plain"), REALM, default_retry_after=60)
    assert isinstance(error, QboThrottledError) and error.fault_code is None and error.retry_after_seconds == 60


@pytest.mark.parametrize("status", [502, 503, 504])
def test_html_gateway_pages_are_unavailable_without_fault_code(status):
    error = error_from_response(_response(status, HTML_503, "text/html"), REALM)
    assert type(error) is QboUnavailableError
    assert (error.fault_code, error.status_code, error.intuit_tid) == (None, status, "tid-42")
    assert "non-fault body" in error.message


def test_empty_body_without_tid():
    error = error_from_response(_response(503, b"", "text/plain", tid=None), REALM)
    assert type(error) is QboUnavailableError and error.intuit_tid is None and "empty body" in error.message


def test_unknown_4xx_without_fault_is_a_validation_error():
    error = error_from_response(_response(404, "Not Found", "text/plain"), REALM)
    assert type(error) is QboValidationError and error.status_code == 404


def test_malformed_json_is_not_a_fault():
    assert parse_fault(b'{"Fault": ') is None
    assert type(error_from_response(_response(500, b'{"Fault": ', "application/json"), REALM)) is QboUnavailableError


@pytest.mark.parametrize(("exc", "expected"), [
    (httpx.ConnectError("refused"), QboRequestNotSent),
    (httpx.ConnectTimeout("slow connect"), QboRequestNotSent),
    (httpx.PoolTimeout("pool"), QboRequestNotSent),
    (httpx.ReadTimeout("slow"), QboUnavailableError),
    (httpx.RemoteProtocolError("peer closed"), QboUnavailableError),
    (httpx.ReadError("reset"), QboUnavailableError),
])
def test_transport_errors_become_unavailable(exc, expected):
    error = error_from_transport(exc, REALM, "GET", "/company/x/query")
    assert type(error) is expected and isinstance(error, QboUnavailableError)
    assert error.realm_id == REALM and error.intuit_tid is None and type(exc).__name__ in error.message


def test_every_mapped_error_is_a_qbo_error():
    for body, status in [(VALIDATION, 400), (AUTH_LOWER, 401), (SYSTEM, 500)]:
        assert isinstance(error_from_response(json_response(status, body), None), QboError)


def test_xml_with_a_dtd_is_not_expanded():
    bomb = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            '<IntuitResponse><Fault type="SERVICE"><Error code="3001"><Message>&b;</Message></Error></Fault>'
            "</IntuitResponse>")
    fault = parse_fault(bomb.encode())
    assert fault is not None and fault.code == "3001" and fault.errors[0].message is None
