from pathlib import Path

import pytest
from pydantic import ValidationError

from shiplings.manifest import Course, load_course, raw_retires, read, retired_tests

REPO = Path(__file__).resolve().parents[1]


def lesson(id_, **extra):
    return {
        "id": id_, "title": "t", "part": 1, "minutes": {"teaching": 1, "exercises": 1},
        "objectives": ["o"], "checks": [{"test": "test_a", "name": "a", "hints": ["h"]}], **extra,
    }


def course(*lessons):
    return {"title": "c", "parts": [{"number": 1, "title": "p"}], "lessons": list(lessons)}


def test_the_real_manifest_loads():
    loaded = load_course(REPO)
    assert loaded.lessons[0].id == "01_prototype"


def test_lessons_found_by_number_slug_or_id(tiny_course):
    loaded = load_course(tiny_course)
    assert loaded.lesson("2").id == "02_bye"
    assert loaded.lesson("02").id == "02_bye"
    assert loaded.lesson("bye").id == "02_bye"
    assert loaded.lesson("02_bye").id == "02_bye"


def test_lessons_are_grouped_by_part_in_teaching_order():
    loaded = load_course(REPO)
    grouped = loaded.lessons_by_part()
    assert [part for part, _ in grouped] == loaded.parts
    assert [lesson for _, lessons in grouped for lesson in lessons] == loaded.lessons
    assert all(lesson.part == part.number for part, lessons in grouped for lesson in lessons)


def test_unknown_lesson_names_the_lessons_that_exist(tiny_course):
    with pytest.raises(KeyError) as error:
        load_course(tiny_course).lesson("9")
    assert "01_hello, 02_bye" in error.value.args[0]


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        (course(lesson("1_bad")), "must look like 01_slug"),
        (course(lesson("01_a"), lesson("01_b")), "share a number"),
        (course(lesson("02_a"), lesson("01_b")), "number order"),
        (course(lesson("01_a", part=7)), "part 7"),
        (course(lesson("01_a", checks=[])), "at least 1"),
        (course(lesson("01_a", checks=[{"test": "t", "name": "n", "hints": []}])), "at least 1"),
        (course(lesson("01_a"), lesson("02_b", retires=[{"check": "01_a::nope", "reason": "long enough"}])),
         "no such check"),
        (course(lesson("01_a", surprise=True)), "Extra inputs"),
    ],
)
def test_invalid_manifests_say_what_is_wrong(data, complaint):
    with pytest.raises(ValidationError) as error:
        Course.model_validate(data)
    assert complaint in str(error.value)


def test_the_workshop_table_has_defaults_and_validates_its_clock_times():
    assert Course.model_validate(course(lesson("01_a"))).workshop.days == 2
    planned = Course.model_validate({**course(lesson("01_a")), "workshop": {"days": 3, "start": "08:30"}}).workshop
    assert (planned.days, planned.start, planned.end) == (3, "08:30", "17:30")
    for workshop, complaint in (({"start": "9:00"}, "pattern"), ({"lunch": "18:00"}, "in that order"),
                                ({"days": 0}, "greater than or equal"), ({"holidays": 2}, "Extra inputs")):
        with pytest.raises(ValidationError, match=complaint):
            Course.model_validate({**course(lesson("01_a")), "workshop": workshop})


def test_section_notes_name_a_section_and_say_something():
    notes = [{"section": "Your turn", "note": "Walk the room."}]
    assert Course.model_validate(course(lesson("01_a", section_notes=notes))).lessons[0].section_notes[0].section == (
        "Your turn")
    for wrong, complaint in (([{"section": "Your turn", "note": ""}], "at least 1"), ([{"note": "x"}], "section")):
        with pytest.raises(ValidationError, match=complaint):
            Course.model_validate(course(lesson("01_a", section_notes=wrong)))


def test_never_read_covers_a_run_of_lessons_and_names_real_ones():
    groups = [{"first": "01_a", "last": "02_b", "paths": ["frontend/*"]}, {"first": "02_b", "last": "02_b",
                                                                           "paths": ["Dockerfile"]}]
    loaded = Course.model_validate({**course(lesson("01_a"), lesson("02_b"), lesson("03_c")),
                                    "proof": {"never_read": groups}})
    assert [loaded.never_read(step) for step in loaded.lessons] == [["frontend/*"], ["frontend/*", "Dockerfile"], []]
    for wrong, complaint in (({"first": "01_a", "last": "09_z", "paths": ["x"]}, "09_z: not a lesson id"),
                             ({"first": "02_b", "last": "01_a", "paths": ["x"]}, "comes after"),
                             ({"first": "01_a", "last": "01_a", "paths": []}, "at least 1")):
        with pytest.raises(ValidationError, match=complaint):
            Course.model_validate({**course(lesson("01_a"), lesson("02_b")), "proof": {"never_read": [wrong]}})


def test_retired_checks_accumulate():
    loaded = Course.model_validate(course(
        lesson("01_a"),
        lesson("02_b", retires=[{"check": "01_a::test_a", "reason": "auth now required"}]),
        lesson("03_c"),
    ))
    first = loaded.lesson(1)
    assert loaded.retired_tests(first, None) == set()
    assert loaded.retired_tests(first, first) == set()
    assert loaded.retired_tests(first, loaded.lesson(2)) == loaded.retired_tests(first, loaded.lesson(3)) == {"test_a"}
    assert loaded.retired_tests(loaded.lesson(2), loaded.lesson(3)) == set()


def test_the_start_up_path_retires_the_same_checks_from_the_raw_toml():
    data = course(lesson("01_a"), lesson("02_b", retires=[{"check": "01_a::test_a", "reason": "auth now required"}]))
    assert retired_tests(raw_retires(data), "01_a", "02_b") == {"test_a"}
    assert retired_tests(raw_retires(data), "01_a", "01_a") == set()
    assert retired_tests(raw_retires(data), "01_a", "09_gone") == set()


def test_course_toml_is_parsed_and_validated_once_per_version(tmp_path):
    (tmp_path / "course.toml").write_text(
        'title = "c"\n[[parts]]\nnumber = 1\ntitle = "p"\n[[lessons]]\nid = "01_a"\ntitle = "t"\npart = 1\n'
        'objectives = ["o"]\nminutes = { teaching = 1, exercises = 1 }\n'
        '[[lessons.checks]]\ntest = "test_a"\nname = "a"\nhints = ["h"]\n'
    )
    first = load_course(tmp_path)
    assert load_course(tmp_path) is first and read(tmp_path) is read(tmp_path)
    text = (tmp_path / "course.toml").read_text()
    (tmp_path / "course.toml").write_text(text.replace('title = "t"', 'title = "changed"'))
    assert load_course(tmp_path).lesson(1).title == "changed"
