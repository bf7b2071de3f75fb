from shiplings.manifest import load_course
from shiplings.overlays import overlay_files, snapshot_tree, starter_tree, write_tree


def test_snapshot_chains_solutions_and_applies_removes(tiny_course):
    course = load_course(tiny_course)
    first = snapshot_tree(course, course.lesson(1), tiny_course)
    second = snapshot_tree(course, course.lesson(2), tiny_course)
    assert set(first) == {"main.py", "old.txt"}
    assert set(second) == {"main.py"}
    assert "/bye" in second["main.py"].read_text()
    assert snapshot_tree(course, None, tiny_course) == {}


def test_starter_is_previous_snapshot_plus_starter_overlay(tiny_course):
    course = load_course(tiny_course)
    first = starter_tree(course, course.lesson(1), tiny_course)
    second = starter_tree(course, course.lesson(2), tiny_course)
    assert set(first) == {"main.py"}
    assert "TODO(01)" in first["main.py"].read_text()
    # the removal belongs to lesson 02's solution, so its starter still has the file
    assert set(second) == {"main.py", "old.txt"}
    assert "TODO(02)" in second["main.py"].read_text()


def test_caches_never_enter_an_overlay(tiny_course, tmp_path):
    cache = tiny_course / "solutions" / "01_hello" / "__pycache__"
    cache.mkdir()
    (cache / "main.cpython-311.pyc").write_bytes(b"\0")
    assert "__pycache__/main.cpython-311.pyc" not in overlay_files(tiny_course / "solutions" / "01_hello")


def test_write_tree_materializes_files(tiny_course, tmp_path):
    course = load_course(tiny_course)
    write_tree(snapshot_tree(course, course.lesson(2), tiny_course), tmp_path / "out")
    assert (tmp_path / "out" / "main.py").is_file()


def test_snapshot_is_the_starter_with_the_solution_laid_over_it(tiny_course):
    # a file the lesson hands over as it is lives in the starter only, never twice
    handed = tiny_course / "lessons" / "02_bye" / "starter" / "farewell.txt"
    handed.write_text("handed over by lesson 02\n")
    course = load_course(tiny_course)
    snapshot = snapshot_tree(course, course.lesson(2), tiny_course)
    assert snapshot["farewell.txt"] == handed
    assert snapshot["main.py"] == tiny_course / "solutions" / "02_bye" / "main.py"
    assert "farewell.txt" not in snapshot_tree(course, course.lesson(1), tiny_course)


def test_removes_apply_after_the_starter_and_before_the_solution(tiny_course):
    # the solution may bring a removed path back in a new form
    (tiny_course / "solutions" / "02_bye" / "old.txt").write_text("new old\n")
    course = load_course(tiny_course)
    assert "old.txt" in starter_tree(course, course.lesson(2), tiny_course)
    assert snapshot_tree(course, course.lesson(2), tiny_course)["old.txt"].read_text() == "new old\n"
