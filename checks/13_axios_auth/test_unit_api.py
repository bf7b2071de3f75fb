"""Lesson 13: the API module (frontend/src/api.ts) under Vitest, with axios-mock-adapter.

The learner's own spec first, then the course's: the token attached by the request
interceptor, five 401s that arrive together answered by ONE refresh and five retries,
and a failed refresh that signs out. Both run in one Vitest run (see conftest.py).
"""

import pytest

from support.frontend import first_failure, tail

LOOK = "Look at frontend/src/api.ts (the interceptors) and frontend/src/stores/auth.ts."


def results_of(report, name: str) -> list[dict]:
    return [test for file in report.files if name in file.get("name", "") for test in file.get("assertionResults", [])]


def broken(report, name: str) -> str | None:
    return next((message for file, message in report.broken_files() if name in file), None)


@pytest.mark.timeout(600)
def test_api_unit_tests_pass(unit_report):
    specs, report = unit_report
    assert specs, (
        "There should be a unit test of the API module that answers it with axios-mock-adapter "
        "(frontend/src/__tests__/api.spec.ts: `new MockAdapter(api)`); no *.spec.ts under frontend/src "
        "imports axios-mock-adapter."
    )
    for spec in specs:
        name = spec.as_posix().split("/frontend/")[-1]
        problem = broken(report, name)
        assert problem is None, f"Vitest could not run {name}: {tail(problem, lines=8)}"
    tests = [test for spec in specs for test in results_of(report, spec.as_posix().split("/frontend/")[-1])]
    failed = [test for test in tests if test.get("status") == "failed"]
    assert not failed, (
        f"Your unit tests of the API module should pass; {len(failed)} failed. The first, "
        f"\"{failed[0].get('fullName') or failed[0].get('title')}\", says:\n{first_failure(failed[0])}\n{LOOK}"
    )
    assert any(test.get("status") == "passed" for test in tests), (
        "Your unit tests of the API module should run at least one test that passes; Vitest ran none "
        "(an it.todo() is only a reminder). Vitest printed:\n" + tail(report.output, lines=12)
    )


@pytest.mark.timeout(600)
def test_interceptors_refresh_once(unit_report):
    _, report = unit_report
    problem = broken(report, "__shiplings__")
    assert problem is None, (
        "The course's test of the API module could not load frontend/src/api.ts and frontend/src/stores/auth.ts: "
        f"it imports `api` and `onSessionExpired` from '@/api' and `useAuthStore` from '@/stores/auth'. "
        f"Vitest said: {tail(problem, lines=8)}"
    )
    tests = results_of(report, "__shiplings__")
    failed = [test for test in tests if test.get("status") == "failed"]
    assert tests and not failed, (
        "The course's test of the API module (the Axios instance answered by axios-mock-adapter) should pass; "
        + (f"{len(failed)} of its tests failed. The first, \"{failed[0].get('title')}\", says:\n"
           f"{first_failure(failed[0])}\n" if failed else f"it did not run. Vitest printed:\n{tail(report.output)}\n")
        + "The request interceptor of the instance in src/api.ts adds the store's token; its response "
        "interceptor meets a 401 with ONE refresh shared by every request that waits (a promise kept while "
        "it runs), then sends each request again, and when the refresh fails the store signs out and the "
        f"onSessionExpired handler runs. {LOOK}"
    )
