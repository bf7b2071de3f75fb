"""checks/support/suite_keys.py and checks/support/verdicts.py: what a kept verdict of a suite's test depends on.

Lesson 15 keeps its runs of the learner's suite test by test with these keys; a key that
missed a change would give a stale verdict, so each way a test can change is pinned here.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("on_the_checks_path")  # tests/conftest.py

SUITE = '''"""The critical path."""

import secrets

PASSWORD = "correct horse"


def new_email(name):
    return f"{name}-{secrets.token_hex(4)}@example.com"


def test_signs_in(page):
    page.goto("/login")
    assert new_email("ada")


async def test_adds_a_task(page):
    page.goto("/")
'''


@pytest.fixture
def suite(tmp_path):
    (tmp_path / "e2e").mkdir()
    (tmp_path / "e2e" / "test_path.py").write_text(SUITE)
    (tmp_path / "e2e" / "conftest.py").write_text("import pytest\n")
    return tmp_path


def keys(root, **options):
    from support.suite_keys import suite_keys

    return suite_keys(root, "e2e", **options)


def test_each_top_level_test_function_has_a_key_of_its_own(suite):
    found = keys(suite)
    assert sorted(found.tests) == ["e2e/test_path.py::test_adds_a_task", "e2e/test_path.py::test_signs_in"]
    assert found.of("e2e/test_path.py::test_signs_in") == found.tests["e2e/test_path.py::test_signs_in"]
    assert found.of("e2e/test_path.py::TestViews::test_login") == found.shared


def test_comments_blank_lines_and_moved_code_change_no_key(suite):
    before = keys(suite)
    path = suite / "e2e" / "test_path.py"
    text = path.read_text()
    signs_in, adds = text.index("def test_signs_in"), text.index("async def test_adds_a_task")
    path.write_text("# the critical path, by role\n\n" + text[:signs_in] + text[adds:] + "\n\n" + text[signs_in:adds]
                    + "    # a comment in a test\n")
    assert keys(suite) == before


def test_an_edit_of_one_test_changes_its_key_alone(suite):
    before = keys(suite)
    path = suite / "e2e" / "test_path.py"
    path.write_text(path.read_text().replace('page.goto("/")', 'page.goto("/")\n    assert page.title()'))
    after = keys(suite)
    assert after.shared == before.shared
    assert after.tests["e2e/test_path.py::test_signs_in"] == before.tests["e2e/test_path.py::test_signs_in"]
    assert after.tests["e2e/test_path.py::test_adds_a_task"] != before.tests["e2e/test_path.py::test_adds_a_task"]


@pytest.mark.parametrize("edit", [
    lambda text: text.replace('PASSWORD = "correct horse"', 'PASSWORD = "battery staple"'),  # a constant
    lambda text: text.replace("token_hex(4)", "token_hex(8)"),  # a helper
    lambda text: text.replace("import secrets", "import secrets\nimport re"),  # an import
    lambda text: text.replace('"""The critical path."""', '"""The critical path, by role."""'),
    lambda text: text.replace("def test_signs_in(page):", "@pytest.fixture\ndef page2():\n    ...\n\n\n"
                              "def test_signs_in(page):"),  # a fixture
    lambda text: text + "\n\nclass TestViews:\n    def test_login(self, page):\n        ...\n",  # a class's test
])
def test_an_edit_of_what_tests_share_changes_shared(suite, edit):
    before = keys(suite)
    path = suite / "e2e" / "test_path.py"
    path.write_text(edit(path.read_text()))
    assert keys(suite).shared != before.shared


def test_other_files_of_the_suite_its_configuration_and_the_salt_are_shared(suite):
    before = keys(suite)
    (suite / "e2e" / "conftest.py").write_text("import pytest\n\n\n@pytest.fixture\ndef user(): ...\n")
    assert keys(suite).shared != before.shared
    before = keys(suite)
    (suite / "e2e" / "users.json").write_text("[]")
    assert keys(suite).shared != before.shared
    before = keys(suite, also=[suite / "pytest.ini"])
    (suite / "pytest.ini").write_text("[pytest]\naddopts = -x\n")
    assert keys(suite, also=[suite / "pytest.ini"]).shared != before.shared
    assert keys(suite, salt="playwright 1.50").shared != keys(suite, salt="playwright 1.51").shared


def test_a_test_other_code_names_has_no_key_of_its_own(suite):
    path = suite / "e2e" / "test_path.py"
    for use in ["\n\ndef test_both(page):\n    test_signs_in(page)\n",
                "\n\nfrom e2e.test_path import test_signs_in as again\n",
                '\n\ndef test_by_name(request):\n    assert "test_signs_in" in request.node.name\n']:
        path.write_text(SUITE + use)
        assert "e2e/test_path.py::test_signs_in" not in keys(suite).tests, use
        before = keys(suite).shared
        path.write_text(SUITE.replace('page.goto("/login")', 'page.goto("/")') + use)
        assert keys(suite).shared != before, use


def test_a_module_that_does_not_parse_is_shared_by_its_bytes(suite):
    path = suite / "e2e" / "test_path.py"
    path.write_text(SUITE + "\ndef test_broken(:\n")
    before = keys(suite)
    assert before.tests == {}
    path.write_text(SUITE + "\ndef test_broken(:\n    # still broken\n")
    assert keys(suite).shared != before.shared


def test_only_test_modules_hold_tests(suite):
    (suite / "e2e" / "helpers.py").write_text("def test_user():\n    return 'ada'\n")
    assert "e2e/helpers.py::test_user" not in keys(suite).tests
    (suite / "e2e" / "views_test.py").write_text("def test_user():\n    ...\n")
    assert "e2e/views_test.py::test_user" in keys(suite).tests


def test_a_test_id_without_its_parameters():
    from support.suite_keys import test_id

    assert test_id("e2e/t.py::test_a[chromium]") == "e2e/t.py::test_a"
    assert test_id("e2e/t.py::test_a[1-chromium]") == "e2e/t.py::test_a"
    assert test_id("e2e/t.py::test_a") == "e2e/t.py::test_a"


def test_a_verdict_comes_back_as_written_and_the_oldest_are_forgotten(tmp_path, monkeypatch):
    import os

    from support import verdicts

    monkeypatch.setenv("SHIPLINGS_STATE", str(tmp_path / "state"))
    monkeypatch.setattr(verdicts, "KEPT", 3)
    assert verdicts.read("runs", "a") is None
    for number, name in enumerate("abcd"):
        verdicts.write("runs", name, {"passed": name})
        os.utime(verdicts.folder("runs") / f"{name}.json", (1000 + number, 1000 + number))
    verdicts.write("runs", "e", {"passed": "e"})
    assert [verdicts.read("runs", name) for name in "abcde"] == [None, None, {"passed": "c"}, {"passed": "d"},
                                                                  {"passed": "e"}]
    (verdicts.folder("runs") / "e.json").write_text("{not json")
    assert verdicts.read("runs", "e") is None
    assert list(verdicts.folder("runs").glob("*.part")) == []


def test_a_verdict_name_follows_the_content_of_its_files(tmp_path):
    from support import verdicts

    read = tmp_path / "read.py"
    read.write_text("a = 1\n")
    name = verdicts.digest("build-1", files=[read])
    assert verdicts.digest("build-1", files=[read]) == name
    assert verdicts.digest("build-2", files=[read]) != name
    read.write_text("a = 2\n")
    assert verdicts.digest("build-1", files=[read]) != name
    read.unlink()
    assert verdicts.digest("build-1", files=[read]) != name
