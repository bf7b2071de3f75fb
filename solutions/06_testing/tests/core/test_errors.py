"""Unit tests of app/core/errors.py: the pieces that build the error envelope."""

import json

from app.core.errors import code_for_status, error_response


def test_known_statuses_have_stable_codes():
    assert code_for_status(404) == "not_found"
    assert code_for_status(405) == "method_not_allowed"
    assert code_for_status(422) == "validation_error"


def test_unknown_statuses_fall_back_by_class():
    assert code_for_status(418) == "client_error"
    assert code_for_status(599) == "server_error"


def test_error_response_builds_the_envelope():
    response = error_response(409, "conflict", "Already there", headers={"Retry-After": "3"})

    assert response.status_code == 409
    assert response.headers["retry-after"] == "3"
    assert json.loads(response.body) == {
        "error": {"code": "conflict", "message": "Already there", "details": None}
    }
