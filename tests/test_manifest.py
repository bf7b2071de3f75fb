from pathlib import Path

import pytest
from pydantic import ValidationError

from shiplings.manifest import Course, load_course

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


def test_retired_checks_accumulate():
    loaded = Course.model_validate(course(
        lesson("01_a"),
        lesson("02_b", retires=[{"check": "01_a::test_a", "reason": "auth now required"}]),
        lesson("03_c"),
    ))
    assert loaded.retired_by(loaded.lesson(1)) == set()
    assert loaded.retired_by(loaded.lesson(3)) == {"01_a::test_a"}
