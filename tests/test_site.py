"""The course website: the generator on a tiny course, then the real site in a real browser.

The browser tests build the real site (`mkdocs build --strict`), serve it with Python's
http.server under a sub-path (/shiplings/) on a loopback port, and drive Debian's
Chromium through Playwright. Everything they look for comes from the manifest, so they
keep working as lessons are added.
"""

from __future__ import annotations

import functools
import html
import http.server
import json
import os
import re
import threading
import time
from pathlib import Path

import nbformat
import pytest
import typer.main

from shiplings.manifest import Course, load_course
from shiplings.net import free_port
from shiplings.site import (
    build,
    executed,
    generate,
    guides,
    instructors,
    markdown,
    mermaid,
    notebooks,
    pages,
    reference,
    schedule,
    search,
)
from shiplings.site.diffs import learner_changes, lesson_changes
from shiplings.site.paths import SitePaths

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts" / "site"

# ------------------------------------------------------------------ the generator, on the tiny course


def test_what_changed_is_the_diff_from_the_previous_snapshot(tiny_course):
    course = load_course(tiny_course)
    first, second = course.lessons
    added = lesson_changes(course, first, tiny_course)
    assert [(c.path, c.kind) for c in added] == [("main.py", "added"), ("old.txt", "added")]
    changes = {change.path: change for change in lesson_changes(course, second, tiny_course)}
    assert changes["main.py"].kind == "modified"
    assert '+@app.get("/bye")' in changes["main.py"].diff
    assert changes["main.py"].removed == 0 and changes["main.py"].added > 0
    assert changes["old.txt"].kind == "removed"  # the manifest's `removes`


def test_the_learners_part_is_starter_to_solution_behind_a_spoiler_notice(tiny_course):
    course = load_course(tiny_course)
    first = course.lessons[0]
    learner = {change.path: change for change in learner_changes(course, first, tiny_course)}
    assert learner["main.py"].kind == "modified", "the starter's main.py, not an empty file, is where it starts"
    assert "-    # TODO(01): say hello" in learner["main.py"].diff
    page = pages.lesson_markdown(course, first, tiny_course, has_notebook=True)
    what_changed = page.split("{#what-changed}")[1].split("{#solution-files}")[0]
    spoiler = what_changed.index('??? warning "Spoiler: the answer to this lesson')
    assert spoiler < what_changed.index("``` diff"), "no diff before the spoiler notice"
    assert "data-search-exclude" in what_changed
    second = pages.lesson_markdown(course, course.lessons[1], tiny_course, has_notebook=True)
    assert "old.txt" not in second.split("{#what-changed}")[1], "what lesson 02 removes: in the instructor view only"
    # every diff line sits inside a fold (indented), none at the top level of the page
    assert all(line.startswith("    ") for line in what_changed.splitlines() if line.startswith(("``` diff", "+", "-")))


def test_lesson_page_has_objectives_minutes_checks_hints_diff_and_solution(tiny_course):
    course = load_course(tiny_course)
    lesson = course.lessons[0]
    page = pages.lesson_markdown(course, lesson, tiny_course, has_notebook=True)
    assert page.startswith("# Lesson 01: Hello")
    assert "- Say hello" in page and "**15 minutes**: 5 teaching, 10 exercises" in page
    assert '??? check "1. GET /hello says hello"' in page  # a check, collapsed
    assert "**Hint 1 of 2:** Return a dict\\." in page  # manifest text, escaped for Markdown
    assert '??? tip "Hint 2 of 2"' in page  # the next tier, collapsed again
    assert notebooks.notebook_placeholder(lesson) in page
    assert "``` diff" in page and '??? note "main.py"' in page
    assert "Say hello first" not in page, "instructor notes are on the instructor view, not the learner's page"
    assert "](../instructors/01_hello.md)" in page
    assert '!!! success "Key points"' in page and page.index("Key points") < page.index("{#checks}")
    assert "](../notebooks/01_hello.ipynb){: download=\"01_hello.ipynb\" }" in page


def test_instructor_page_has_timing_catch_up_notes_mistakes_and_the_full_diff(tiny_course):
    (tiny_course / "checks" / "01_hello" / "mutants.toml").write_text(
        '[[mutants]]\nname = "hello-says-nothing"\nmistake = "hello() returns an empty dict: `{}`"\n'
        'edits = [{ file = "main.py", find = "hello\\"}", replace = "\\"}" }]\n'
        'caught_by = "test_hello"\nsays = "hello"\n')
    course = load_course(tiny_course)
    lesson = course.lessons[0]
    page = instructors.instructor_markdown(course, lesson, tiny_course)
    assert page.startswith("---\nsearch:\n  exclude: true\n---"), "the instructor view stays out of search"
    assert "**15 minutes**: 5 teaching, then 10 exercises" in page
    assert "**day 1, 09:15–09:30**" in page and "teach until 09:20" in page  # after the 15-minute setup
    assert "- `shiplings start 01`: a late joiner" in page and "- `shiplings solve 01`" in page
    assert "Say hello first\\." in page
    mistakes = page.split("{#mistakes}")[1].split("{#checks}")[0]
    assert "hello\\(\\) returns an empty dict: `{}`" in mistakes and "*Caught by:* GET /hello says hello" in mistakes
    full = page.split("{#full-diff}")[1]
    assert "old.txt" in full and "data-search-exclude" in full, "the full step, the handed-over file included"
    assert all(line.startswith("    ") for line in full.splitlines() if line.startswith(("``` diff", "+", "-")))
    index = instructors.instructors_index_markdown(course)
    assert "[01 · Hello](01_hello.md)" in index and "day 1, 09:15" in index


def test_section_notes_sit_at_their_notebook_section_and_unknown_sections_fail(tiny_course):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Lesson\n\n## Warm up\n\nFirst."), nbformat.v4.new_code_cell("print(1)"),
        nbformat.v4.new_markdown_cell("## Your turn\n\nThe TODOs.")])
    nbformat.write(notebook, tiny_course / "lessons" / "01_hello" / "lesson.ipynb")
    manifest = tiny_course / "course.toml"
    original = manifest.read_text()
    notes = ('instructor_notes = "Say hello first."\n'
             'section_notes = [{ section = "Your turn", note = "Walk the room." }]')
    manifest.write_text(original.replace('instructor_notes = "Say hello first."', notes))
    course = load_course(tiny_course)
    page = instructors.instructor_markdown(course, course.lessons[0], tiny_course)
    path = page.split("{#path}")[1].split("{#mistakes}")[0]
    assert path.index("1. Warm up") < path.index("2. Your turn") < path.index("Walk the room\\.")
    assert '    !!! tip "Instructor"' in path, "the note sits inside its section's list item"
    manifest.write_text(original.replace('instructor_notes = "Say hello first."', notes.replace("Your turn", "Nope")))
    course = load_course(tiny_course)
    with pytest.raises(ValueError, match=r"course\.toml: .*'Nope'.*not a `##` heading.*'Warm up', 'Your turn'"):
        instructors.instructor_markdown(course, course.lessons[0], tiny_course)


def manifest_strings(course: Course) -> list[str]:
    """Every piece of text course.toml gives the site."""
    found = [course.title, *(part.title for part in course.parts)]
    for lesson in course.lessons:
        found += [lesson.title, *lesson.objectives, lesson.instructor_notes.strip()]
        for check in lesson.checks:
            found += [check.name, *check.hints]
        found += [retired.reason for retired in lesson.retires]
    return [text for text in found if text]


def shown(html_text: str) -> str:
    """What a reader sees of some HTML: its text, entities decoded, white space collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", html_text)).split())


def as_written(text: str) -> str:
    """A manifest string as a reader should see it: `code` without its backticks."""
    return " ".join(markdown.CODE_SPAN.sub(lambda span: span.group(0).strip("`").strip(), text).split())


@functools.cache
def site_markdown():
    """Python-Markdown configured exactly as site/mkdocs.yml configures it."""
    import markdown as python_markdown
    from mkdocs.config import load_config

    config = load_config(str(SitePaths(REPO).config))
    return python_markdown.Markdown(extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"])


def test_every_manifest_string_shows_on_the_site_as_written():
    renderer = site_markdown()
    strings = manifest_strings(COURSE) + ["RateLimit.__call__() behind uvicorn --forwarded-allow-ips=<proxy> :smile:"]
    wrong = []
    for text in strings:
        page = shown(renderer.reset().convert(markdown.plain_markdown(text)))
        # white space around the words is the renderer's; the words and their order are the manifest's
        if page.replace(" ", "") != as_written(text).replace(" ", ""):
            wrong.append(f"course.toml says {text!r}\n  the page shows {page!r}")
    assert not wrong, "\n".join(wrong[:5])


def test_bare_urls_in_notebooks_keep_their_bold(tmp_path):
    source = tmp_path / "lesson.ipynb"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "# Title\n\nThe app runs on **http://localhost:5173**, see `http://x` and http://example.org/a.")])
    nbformat.write(notebook, source)
    rendered = notebooks.render_notebook(notebooks.trim_title(source, tmp_path / "copy.ipynb"), tmp_path / "cache")
    text = shown(rendered.html).replace(" ", "")
    assert "Theapprunsonhttp://localhost:5173,seehttp://xandhttp://example.org/a." in text
    assert "<strong><a href=\"http://localhost:5173\">" in rendered.html


def test_search_indexes_every_notebook_section_in_full_and_leaves_out_the_answers(tmp_path):
    source = tmp_path / "lesson.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title\n\n## The forgery\n\nFirst paragraph."),
        nbformat.v4.new_code_cell("print('TODO(07)')"),
        nbformat.v4.new_markdown_cell("A later cell about tampering."),
        nbformat.v4.new_markdown_cell("## The stopwatch\n\nTiming."),
    ]), source)
    rendered = notebooks.render_notebook(notebooks.trim_title(source, tmp_path / "copy.ipynb"), tmp_path / "cache")
    page_html = (f'<h1 id="lesson">Lesson</h1>\n<div class="shiplings-notebook">{rendered.html}</div>\n'
                 '<h2 id="what-changed">What changed</h2>\n<p>Intro.</p>\n'
                 '<div data-search-exclude="data-search-exclude"><details><summary>auth.py</summary>'
                 '<pre><code>jwt.decode(answer)</code></pre></details></div>\n<p>Outro.</p>')
    entries = search.index_entries(search.IndexedPage(page_html, [], "lessons/x/", "Lesson", {}), {})
    by_title = {entry["title"]: entry["text"] for entry in entries}
    assert "tampering" in by_title["The forgery"] and "TODO(07)" in by_title["The forgery"]
    assert "tampering" not in by_title["Lesson"], "a notebook heading's section ends at the next heading only"
    assert "Intro." in by_title["What changed"] and "Outro." in by_title["What changed"]
    assert not any("jwt.decode" in text for text in by_title.values()), "excluded blocks stay out of the index"
    assert not any("¶" in title for title in by_title)


def test_dev_check_keeps_the_executed_notebook_and_the_site_shows_its_outputs(tiny_course):
    from shiplings import devcheck

    course = load_course(tiny_course)
    lesson = course.lessons[0]
    assert executed.fresh_executed(course, lesson, tiny_course) is None
    report = devcheck.check_lesson(course, tiny_course, lesson, mutants=False)
    assert report.ok, [finding.detail for finding in report.findings if not finding.ok]
    kept = executed.fresh_executed(course, lesson, tiny_course)
    assert kept is not None and kept.is_relative_to(SitePaths(tiny_course).build)
    stored = nbformat.read(tiny_course / "lessons" / lesson.id / "lesson.ipynb", as_version=4)
    assert not stored.cells[1].outputs, "the repository's notebook stays stripped"

    generated = generate.generate(tiny_course, SitePaths(tiny_course))
    html_text = generated.page(markdown.lesson_uri(lesson)).notebook.html
    assert "hello from lesson 1" in html_text and "jp-OutputArea-output" in html_text
    assert "outputs below are from a run against this lesson's solution" in (
        generated.staging / markdown.lesson_uri(lesson)).read_text()

    # once the notebook changes, its old outputs are not published any more
    stored.cells[1].source = "print('changed')"
    nbformat.write(stored, tiny_course / "lessons" / lesson.id / "lesson.ipynb")
    assert executed.fresh_executed(course, lesson, tiny_course) is None
    generated = generate.generate(tiny_course, SitePaths(tiny_course))
    assert "hello from lesson 1" not in generated.page(markdown.lesson_uri(lesson)).notebook.html


def test_fences_survive_backticks_in_files():
    text = "```python\nprint('hi')\n```\n"
    block = markdown.fence(text, "markdown")
    assert block.startswith("```` markdown") and block.endswith("````\n")


def test_nav_lists_lessons_by_part_in_manifest_order(tiny_course):
    generated = generate.generate(tiny_course, SitePaths(tiny_course))
    assert generated.nav() == [
        "lessons/index.md",
        {"Part I · Only part": [{"01 · Hello": "lessons/01_hello.md"}, {"02 · Bye": "lessons/02_bye.md"}]},
    ]
    staged = generated.staging / "lessons" / "01_hello.md"
    downloadable = generated.staging / "notebooks" / "01_hello.ipynb"
    assert downloadable.read_bytes() == (tiny_course / "lessons" / "01_hello" / "lesson.ipynb").read_bytes()
    assert staged.is_file() and staged.is_relative_to(tiny_course / "site" / "build")
    notebook = generated.page("lessons/01_hello.md").notebook
    assert "print" in notebook.html and "jp-CodeCell" in notebook.html
    assert "<script src=" not in notebook.html  # no blocking script from a CDN (MathJax)


def test_notebook_headings_join_the_page_toc_before_the_checks():
    page = [{"level": 1, "id": "lesson", "name": "Lesson", "children": [
        {"level": 2, "id": "checks", "name": "The checks", "children": []}]}]
    notebook = [{"level": 2, "id": "the-failure", "name": "The failure", "children": []}]
    merged = notebooks.toc_with_notebook(page, notebook)
    assert [child["id"] for child in merged[0]["children"]] == ["the-failure", "checks"]


def steps_course(minutes: list[int], workshop: dict | None = None) -> Course:
    lessons = [
        {"id": f"{n:02d}_step{n}", "title": f"Step {n}", "part": 1,
         "minutes": {"teaching": 15, "exercises": length - 15}, "objectives": ["x"],
         "checks": [{"test": "test_x", "name": "x", "hints": ["x"]}]}
        for n, length in enumerate(minutes, start=1)
    ]
    return Course.model_validate({"title": "t", "parts": [{"number": 1, "title": "p"}], "lessons": lessons,
                                  **({"workshop": workshop} if workshop else {})})


def test_schedule_spreads_the_lessons_evenly_with_breaks_lunch_recap_and_feedback():
    # the course's shape: a greedy fill once packed day 1 (the 65-minute lesson 07 last, at 17:00)
    # and ended day 2 early
    minutes = [35, 50, 40, 65, 50, 60, 65, 35, 55, 70, 50, 65]
    course = steps_course(minutes)
    laid_out = schedule.plan(course)
    workshop = course.workshop
    assert laid_out.days == workshop.days == 2
    assert [slot.lesson.id for slot in laid_out.slots if slot.lesson] == [lesson.id for lesson in course.lessons]
    content = [sum(slot.minutes for slot in laid_out.day(day) if slot.lesson) for day in (1, 2)]
    assert abs(content[0] - content[1]) <= max(minutes), f"days of {content} minutes are not even"
    for day in (1, 2):
        today = laid_out.day(day)
        assert today[0].start == schedule.clock(workshop.start)
        assert today[0].what == (schedule.SETUP if day == 1 else schedule.RECAP)
        assert today[-1].what == schedule.FEEDBACK and today[-1].end <= schedule.clock(workshop.end)
        assert [slot.what for slot in today].count(schedule.LUNCH) == 1
        lunch = next(slot for slot in today if slot.what == schedule.LUNCH)
        boundaries = [slot.end for slot in today if slot.lesson]
        assert lunch.start == min(boundaries, key=lambda at: abs(at - schedule.clock(workshop.lunch)))
        since_break = 0
        for slot in today:
            since_break = 0 if slot.what in (schedule.BREAK, schedule.LUNCH) else since_break + slot.minutes * bool(
                slot.lesson)
            assert since_break <= max(workshop.block_minutes, max(minutes))
        for before, after in zip(today, today[1:], strict=False):
            assert after.start == before.end, "slots follow each other without gaps"


def test_schedule_follows_the_workshop_table_and_adds_a_day_when_needed():
    course = steps_course([60] * 9, {"days": 3, "start": "08:30", "end": "16:00", "lunch": "12:00",
                                     "break_minutes": 15, "feedback_minutes": 0})
    laid_out = schedule.plan(course)
    assert laid_out.days == 3 and [len([s for s in laid_out.day(d) if s.lesson]) for d in (1, 2, 3)] == [3, 3, 3]
    assert laid_out.slots[0].start == 8 * 60 + 30
    assert all(slot.what != schedule.FEEDBACK for slot in laid_out.slots), "no feedback slot when it is 0 minutes"
    assert {slot.minutes for slot in laid_out.slots if slot.what == schedule.BREAK} <= {15}
    crowded = steps_course([60] * 9, {"days": 1})
    assert schedule.plan(crowded).days > 1
    text = schedule.schedule_markdown(crowded, "guides/instructors.md")
    assert f"The lessons need {schedule.plan(crowded).days} days" in text and "plans 1 days" in text


def test_the_real_workshop_plan_fits_its_days():
    laid_out = schedule.plan(COURSE)
    assert laid_out.days == COURSE.workshop.days, "course.toml's lessons no longer fit its [workshop] days"


def test_cli_reference_is_generated_from_every_command_and_option():
    from shiplings.cli import app

    text = reference.cli_reference_markdown(app)
    group = typer.main.get_command(app)
    assert "`--no-browser`" in text.split("## `shiplings lab`")[0], "plain `shiplings` takes --no-browser"
    for name, command in group.commands.items():
        subcommands = getattr(command, "commands", None) or {None: command}
        for sub_name, sub_command in subcommands.items():
            words = " ".join(word for word in ("shiplings", name, sub_name) if word)
            assert f"`{words}`" in text, f"{words} is missing from the command reference"
            context = typer.main._click.Context(sub_command, info_name=words)
            section = text.split(f"`{words}`\n", 1)[1].split("\n#", 1)[0]
            for param in sub_command.params:
                if param.param_type_name == "option":
                    assert param.opts[0] in section, f"{words} {param.opts[0]} is missing"
                record = param.get_help_record(context)
                # Click's own [default: ...; required] for this parameter, each part on its row
                extras = re.search(r"\[([^\[\]]*)\]$", record[1]) if record else None
                for part in extras.group(1).split("; ") if extras else []:
                    row = next(line for line in section.splitlines()
                               if line.startswith("| `") and (param.opts[0] in line or param.name.upper() in line))
                    assert f"`{part}`" in row or f"**{part}**" in row, f"{words} {param.name}: {part!r} not in {row}"
    assert "`default: 1`" in text and "**required**" in text


def test_markers_fill_guides_and_unknown_markers_fail(tiny_course):
    sources = guides.Sources(load_course(tiny_course), tiny_course)
    filled = guides.fill_markers("- item\n\n    <!-- shiplings:schedule -->\n", sources, "guides/x.md")
    assert "    | Time |" in filled and "[01 · Hello](../lessons/01_hello.md)" in filled
    with pytest.raises(KeyError, match="no-such-marker"):
        guides.fill_markers("<!-- shiplings:no-such-marker -->", sources, "x.md")


def fake_npm(folder: Path, script: bytes) -> str:
    """An `npm` whose `pack` writes a tarball holding the given dist/mermaid.min.js."""
    payload = folder / "package" / "dist" / "mermaid.min.js"
    payload.parent.mkdir(parents=True)
    payload.write_bytes(script)
    npm = folder / "npm"
    npm.write_text(
        "#!/bin/sh\n"
        'while [ "$1" != "--pack-destination" ]; do shift; done\n'
        f'tar czf "$2/mermaid.tgz" -C "{folder}" package\n'
    )
    npm.chmod(0o755)
    return str(npm)


def test_mermaid_is_fetched_once_and_checked_against_its_pin(tmp_path, monkeypatch):
    paths = SitePaths(tmp_path)
    tampered = fake_npm(tmp_path / "tampered", b"window.mermaid = 'not the pinned file'")
    with pytest.raises(mermaid.MermaidUnavailable, match="checksum"):
        mermaid.vendored_mermaid(paths, npm=tampered)
    assert not paths.vendor.exists() or not any(paths.vendor.iterdir()), "a mismatched download is not kept"

    cached = paths.vendor / f"mermaid-{mermaid.MERMAID_VERSION}.min.js"
    cached.parent.mkdir(parents=True)
    cached.write_text("cached")
    assert mermaid.vendored_mermaid(paths, npm="/no/such/npm") == cached  # no second download


def test_without_npm_the_build_fails_and_says_how_to_fix_it(tmp_path, monkeypatch):
    monkeypatch.setattr(mermaid.shutil, "which", lambda name: None)
    with pytest.raises(mermaid.MermaidUnavailable, match="npm is not installed.*shiplings doctor"):
        mermaid.vendored_mermaid(SitePaths(tmp_path))


def test_an_unreachable_registry_fails_the_build_fast(tmp_path):
    npm = tmp_path / "npm"
    # npm waiting on a registry that never answers
    npm.write_text(f'#!/bin/sh\necho "$@" > "{tmp_path}/args"\nexec sleep 30\n')
    npm.chmod(0o755)
    started = time.perf_counter()
    with pytest.raises(mermaid.MermaidUnavailable, match="no answer within 2 s"):
        mermaid.vendored_mermaid(SitePaths(tmp_path), npm=str(npm), timeout=2)
    assert time.perf_counter() - started < 10
    assert "--fetch-retries=0" in (tmp_path / "args").read_text(), "npm must not retry for minutes"


def test_course_toml_errors_name_course_toml(tiny_course):
    manifest = tiny_course / "course.toml"
    manifest.write_text(manifest.read_text().replace('title = "Hello"', 'title = 5'))
    with pytest.raises(ValueError, match=r"(?s)^course\.toml: .*title"):
        generate.generate(tiny_course, SitePaths(tiny_course))
    manifest.write_text("[[lessons]\n")
    with pytest.raises(ValueError, match=r"^course\.toml: "):
        generate.generate(tiny_course, SitePaths(tiny_course))


def test_broken_links_and_images_in_notebooks_are_found():
    notebook_html = (
        '<h2 id="intro">Intro<a class="anchor-link" href="#intro">¶</a></h2>'
        '<a href="../08_cors/">next</a> <a href="../09_nope/">gone</a> <a href="#missing">x</a>'
        '<a href="https://example.org">out</a> <img src="plot.png"> <img src="data:image/png;base64,AA==">'
        '<img src="https://example.org/a.png"> <a href="../../../etc/passwd">up</a>'
    )
    urls = {"lessons/07_auth/", "lessons/08_cors/", "lessons/08_cors/index.html"}
    problems = notebooks.broken_references(notebook_html, notebook_html, "lessons/07_auth/", urls)
    assert len(problems) == 5, problems
    assert any("../09_nope/" in problem for problem in problems)
    assert any("#missing" in problem for problem in problems)
    assert any("plot.png" in problem for problem in problems)
    assert any("loads from the internet" in problem for problem in problems)
    assert any("outside the site" in problem for problem in problems)


def test_a_failed_build_keeps_the_last_good_site(tmp_path):
    paths = SitePaths(tmp_path)
    (tmp_path / "site" / "docs").mkdir(parents=True)
    (tmp_path / "site" / "docs" / "index.md").write_text("# New\n\n[broken](nowhere.md)\n")
    paths.config.write_text("site_name: t\ndocs_dir: docs\nsite_dir: build/html\n")
    paths.html.mkdir(parents=True)
    (paths.html / "index.html").write_text("the last good site")
    code, _ = build.build(tmp_path, strict=True)  # the broken link fails a strict build
    assert code != 0
    assert (paths.html / "index.html").read_text() == "the last good site"
    assert not (paths.build / "html.next").exists()
    (tmp_path / "site" / "docs" / "index.md").write_text("# New\n")
    code, _ = build.build(tmp_path, strict=True)
    assert code == 0 and "New" in (paths.html / "index.html").read_text()


def test_tool_fixes_are_given_per_platform_with_sudo(tiny_course):
    text = guides.tools_markdown(load_course(tiny_course), "guides/troubleshooting.md")
    assert "sudo apt-get install -y chromium" in text
    assert "brew install --cask chromium" in text
    assert "=== \"macOS\"" in text


# ------------------------------------------------------------------ the real site, in a browser

COURSE = load_course(REPO)


@pytest.fixture(scope="module")
def built_site() -> Path:
    # how long it takes is benchmarks/site_build.py's business: on a machine shared with other
    # test runs, a time budget here would fail for reasons that have nothing to do with the site
    code, seconds = build.build(REPO, strict=True)
    assert code == 0, "mkdocs build --strict failed: a warning or an error above says why"
    return SitePaths(REPO).html


@pytest.fixture(scope="module")
def base_url(built_site: Path, tmp_path_factory: pytest.TempPathFactory):
    """The built site served at /shiplings/ (not at /), as any web server might host it."""
    top = tmp_path_factory.mktemp("web")
    (top / "shiplings").symlink_to(built_site, target_is_directory=True)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), functools.partial(Quiet, directory=str(top)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/shiplings/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


class Visit:
    """A browser tab, plus what it asked of the network."""

    def __init__(self, context) -> None:
        self.outside: list[str] = []  # requests that left the local server (blocked)
        self.failed: list[str] = []  # local requests that did not succeed
        context.route(re.compile(r"^(?!http://127\.0\.0\.1:\d+/|data:|about:|blob:)"), self._block)
        self.tab = context.new_page()
        self.tab.on("response", self._record)

    def _block(self, route) -> None:
        self.outside.append(route.request.url)
        route.abort()

    def _record(self, response) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.url}")


@pytest.fixture
def visit(browser, base_url):
    """A fresh tab that may only talk to the local server: the site must work offline."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield Visit(context)
    context.close()


def lessons_with_notebooks() -> list:
    found = [lesson for lesson in COURSE.lessons if (REPO / "lessons" / lesson.id / "lesson.ipynb").is_file()]
    assert found, "no lesson has a notebook yet: nothing to show on the site"
    return found


def test_lesson_pages_show_course_toml_text_as_written(built_site):
    """What the reader sees on each lesson page holds every string course.toml gives it."""
    missing = []
    for lesson in COURSE.lessons:
        page = shown((built_site / "lessons" / f"{lesson.id}.html").read_text(encoding="utf-8"))
        page = page.replace(" ", "")
        texts = [lesson.title, *lesson.objectives, *(check.name for check in lesson.checks),
                 *(hint for check in lesson.checks for hint in check.hints)]
        missing += [f"{lesson.id}: {text!r}" for text in texts if as_written(text).replace(" ", "") not in page]
    assert not missing, "course.toml text not shown as written:\n" + "\n".join(missing[:5])


def test_home_page_renders_from_a_sub_path(visit, base_url):
    page = visit.tab
    page.goto(base_url)
    assert "shiplings" in page.title()
    assert page.locator("h1").first.inner_text().startswith("From --reload to production")
    assert page.locator(".md-header [data-md-component=palette]").count() == 1, "no light/dark toggle"
    page.locator(".md-search__input").wait_for(state="attached")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "home.png")
    assert visit.failed == [], f"requests failed under a sub-path: {visit.failed}"
    assert visit.outside == [], f"the home page needs the network: {visit.outside}"


CONTRAST = """([foreground, background]) => {
  const channels = colour => colour.match(/[\\d.]+/g).slice(0, 3).map(Number).map(value => {
    value /= 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  });
  const luminance = colour => { const [r, g, b] = channels(colour); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const [light, dark] = [luminance(foreground), luminance(background)].sort((a, b) => b - a);
  return (light + 0.05) / (dark + 0.05);
}"""


@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_text_and_links_meet_wcag_aa_contrast(visit, base_url, scheme):
    page = visit.tab
    page.goto(f"{base_url}getting-started.html")
    page.add_style_tag(content="* { transition: none !important; }")  # colours, not a fade, are measured
    page.evaluate(f"document.body.setAttribute('data-md-color-scheme', '{scheme}')")
    pairs = page.evaluate("""() => {
      const colour = (selector, property) => getComputedStyle(document.querySelector(selector))[property];
      return {
        link: [colour('.md-content a[href]:not(.headerlink)', 'color'), colour('body', 'backgroundColor')],
        header: [colour('.md-header', 'color'), colour('.md-header', 'backgroundColor')],
        text: [colour('.md-typeset p', 'color'), colour('body', 'backgroundColor')],
      };
    }""")
    for what, (foreground, background) in pairs.items():
        ratio = page.evaluate(CONTRAST, [foreground, background])
        assert ratio >= 4.5, f"{scheme}: {what} {foreground} on {background} is {ratio:.2f}:1, under WCAG AA's 4.5:1"


def test_navigation_lists_every_lesson_in_manifest_order(visit, base_url):
    page = visit.tab
    page.goto(base_url)
    hrefs = page.locator("nav.md-nav--primary a.md-nav__link[href]").evaluate_all(
        "links => links.map(link => link.href)")
    in_nav = [match.group(1) for href in hrefs if (match := re.search(r"/lessons/(\d{2}_[a-z0-9_]+)\.html$", href))]
    assert in_nav == [lesson.id for lesson in COURSE.lessons]
    nav_text = page.locator("nav.md-nav--primary").inner_text()
    for lesson in COURSE.lessons:
        assert lesson.title in nav_text


def site_sources_text() -> str:
    """Everything the site's searchable text comes from, lower-cased."""
    texts = [(REPO / "course.toml").read_text(encoding="utf-8")]
    texts += [path.read_text(encoding="utf-8") for path in (REPO / "site" / "docs").rglob("*.md")]
    for lesson in lessons_with_notebooks():
        notebook = nbformat.read(REPO / "lessons" / lesson.id / "lesson.ipynb", as_version=4)
        texts += [cell.source for cell in notebook.cells]
    return "\n".join(texts).lower()


def deep_notebook_term() -> tuple[str, str, str]:
    """(lesson id, heading, word): a word that only one notebook section has, in a cell after
    the heading's own cell (where the index once stopped), and nowhere else on the site."""
    everything = site_sources_text()
    for lesson in lessons_with_notebooks():
        cells = nbformat.read(REPO / "lessons" / lesson.id / "lesson.ipynb", as_version=4).cells
        heading, later = None, []
        for cell in cells + [nbformat.v4.new_markdown_cell("## end")]:
            found = re.findall(r"^##+ (.+)$", cell.source, re.M) if cell.cell_type == "markdown" else []
            if found:
                for word in sorted(set(re.findall(r"\b[a-z]{8,}\b", " ".join(later))), key=len, reverse=True):
                    if heading and everything.count(word[:-2]) == " ".join(later).lower().count(word[:-2]):
                        return lesson.id, heading, word
                heading, later = found[-1].strip(), []
            elif heading and cell.cell_type == "markdown":
                later.append(cell.source)
    raise AssertionError("no notebook section has a word of its own after its first cell")


def test_search_lands_on_the_notebook_section_that_has_the_term(visit, base_url):
    page = visit.tab
    lesson_id, heading, word = deep_notebook_term()
    page.goto(f"{base_url}lessons/{lesson_id}.html")
    section = page.locator(".shiplings-notebook :is(h2, h3, h4)", has_text=heading).first
    section_id = section.get_attribute("id")
    # wait until Material has loaded its search worker and index: typing earlier is lost
    page.goto(base_url, wait_until="networkidle")
    page.locator(".md-search__input").click()
    page.locator(".md-search__input").press_sequentially(word)
    results = page.locator(".md-search-result__item a")
    results.first.wait_for(timeout=15_000)
    hrefs = [re.sub(r"\?h=[^#]*", "", href) for href in results.evaluate_all("links => links.map(link => link.href)")]
    # Material lists the page first, then its sections best first
    sections = [href for href in hrefs if "#" in href]
    assert sections and sections[0].endswith(f"/lessons/{lesson_id}.html#{section_id}"), (
        f"searching {word!r} (in the section {heading!r} of {lesson_id}) first found {hrefs[:3]}")
    assert not any("#what-changed" in href or "#solution-files" in href for href in hrefs)


def test_search_finds_a_lessons_todo_marker(visit, base_url):
    lesson = next(lesson for lesson in lessons_with_notebooks()
                  if f"TODO({lesson.number})" in (REPO / "lessons" / lesson.id / "lesson.ipynb").read_text())
    page = visit.tab
    page.goto(base_url, wait_until="networkidle")
    page.locator(".md-search__input").click()
    page.locator(".md-search__input").press_sequentially(f"TODO({lesson.number})")
    results = page.locator(".md-search-result__item a")
    results.first.wait_for(timeout=15_000)
    hrefs = results.evaluate_all("links => links.map(link => link.href)")
    assert f"/lessons/{lesson.id}.html" in hrefs[0], f"TODO({lesson.number}) first found {hrefs[:3]}"


def search_for(page, term: str) -> list[str]:
    """Type into Material's search box until its worker answers (typing before it is ready is lost)."""
    results = page.locator(".md-search-result__item a")
    for _ in range(5):
        page.locator(".md-search__input").click()
        page.locator(".md-search__input").fill("")
        page.locator(".md-search__input").press_sequentially(term)
        try:
            results.first.wait_for(timeout=5_000)
            break
        except Exception:
            continue
    return [re.sub(r"\?h=[^#]*", "", href) for href in results.evaluate_all("links => links.map(link => link.href)")]


def test_the_site_navigates_and_searches_opened_from_disk(browser, built_site):
    """A workshop hands the site out on a USB stick: file://, no server, no internet."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def block(route) -> None:
        outside.append(route.request.url)
        route.abort()

    context.route(re.compile(r"^(?!file:|data:|about:|blob:)"), block)
    page = context.new_page()
    try:
        page.goto((built_site / "index.html").as_uri())
        lesson_id, heading, word = deep_notebook_term()
        page.locator(f"nav.md-nav--primary a[href$='lessons/{lesson_id}.html']").first.click()
        page.wait_for_url(f"**/lessons/{lesson_id}.html")
        assert page.locator("h1").first.inner_text().startswith(f"Lesson {lesson_id[:2]}")
        hrefs = search_for(page, word)
        sections = [href for href in hrefs if "#" in href]
        assert sections and f"/lessons/{lesson_id}.html#" in sections[0], f"searching {word!r} from disk found {hrefs}"
        page.locator(".md-search-result__item a[href*='#']").first.click()
        page.wait_for_function("location.hash.length > 1")  # the same page, scrolled to the section
        assert page.url.split("#")[0].split("?")[0].endswith(f"/lessons/{lesson_id}.html")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(500)  # Material closes the search overlay and scrolls: a shot mid-way is blank
        page.screenshot(path=ARTIFACTS / "from-disk.png")
        assert outside == [], f"opened from disk, the site still asked the network for {outside}"
    finally:
        context.close()


def test_architecture_diagrams_render_without_internet(visit, base_url, built_site):
    sources = (built_site / "architecture.html").read_text().count('<pre class="mermaid">')
    assert sources >= len(COURSE.parts), "the architecture page should have a diagram per part"
    # Material swaps each diagram's source (pre.mermaid) for a drawn one (div.mermaid, its
    # SVG in a closed shadow root) once mermaid.js has loaded; offline, that needs our copy
    page = visit.tab
    page.goto(f"{base_url}architecture.html")
    page.wait_for_function("document.querySelectorAll('pre.mermaid').length === 0", timeout=15_000)
    drawn = page.locator("div.mermaid")
    assert drawn.count() == sources
    assert all(box and box["height"] > 50 for box in (drawn.nth(i).bounding_box() for i in range(sources)))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "architecture.png", full_page=True)
    assert visit.outside == [], f"the diagrams need the network: {visit.outside}"


def assert_outputs_shown(page, lesson) -> None:
    """The notebook's outputs from `shiplings dev check` (tests/test_course.py runs it first in
    the suite), and its plots as images."""
    kept = executed.fresh_executed(COURSE, lesson, REPO)
    if kept is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"no executed copy of lesson {lesson.number}'s notebook: dev check keeps one in site/build/")
        assert "without outputs" in page.locator(".md-content").inner_text()
        return
    ran = nbformat.read(kept, as_version=4)
    with_outputs = [cell for cell in ran.cells if cell.cell_type == "code" and cell.outputs]
    outputs = page.locator(".shiplings-notebook .jp-OutputArea-output")
    assert outputs.count() >= len(with_outputs) > 0, "every output of the executed notebook should be on the page"
    plots = sum("image/png" in output.get("data", {}) for cell in with_outputs for output in cell.outputs)
    images = page.locator(".shiplings-notebook .jp-OutputArea-output img")
    assert images.count() == plots
    if plots:
        images.first.scroll_into_view_if_needed()
        assert images.first.evaluate("image => image.complete && image.naturalWidth > 100"), "a plot did not load"


@pytest.mark.parametrize("lesson_id", [lesson.id for lesson in COURSE.lessons])
def test_lesson_page_shows_its_notebook_checks_and_what_changed(visit, base_url, lesson_id):
    page = visit.tab
    lesson = COURSE.lesson(lesson_id)
    page.goto(f"{base_url}lessons/{lesson.id}.html")
    assert page.locator("h1").first.inner_text().startswith(f"Lesson {lesson.number}: {lesson.title}")
    assert lesson.objectives[0].split("`")[0].strip() in page.locator(".admonition.abstract").inner_text()

    notebook_path = REPO / "lessons" / lesson.id / "lesson.ipynb"
    if notebook_path.is_file():
        code = [cell.source for cell in nbformat.read(notebook_path, as_version=4).cells if cell.cell_type == "code"]
        cells = page.locator(".shiplings-notebook .jp-CodeCell .jp-InputArea-editor")
        assert cells.count() == len(code), "every code cell of the notebook should be on the page"
        first_line = code[0].strip().splitlines()[0]
        assert first_line in cells.first.inner_text()
        assert cells.first.is_visible()
        assert_outputs_shown(page, lesson)

    checks = page.locator("details.check")
    assert checks.count() == len(lesson.checks)
    assert checks.first.locator("> summary").inner_text().endswith(as_written(lesson.checks[0].name))
    assert page.locator("details.check[open]").count() == 0, "checks and hints start collapsed"

    page.locator("#what-changed").scroll_into_view_if_needed()
    learner = [change for change in learner_changes(COURSE, lesson, REPO) if change.diff is not None]
    diffs = page.locator("#what-changed ~ div .language-diff")
    assert diffs.count() == len(learner)
    assert not any(diffs.nth(i).is_visible() for i in range(diffs.count())), "every diff starts folded"
    spoiler = page.locator("#what-changed ~ div > details.warning")
    if learner:
        assert "Spoiler" in spoiler.locator("> summary").inner_text()
        spoiler.locator("> summary").click()
        first_file = spoiler.locator("details.note").first
        first_file.locator("> summary").click()
        assert first_file.locator(".language-diff").is_visible()
        assert first_file.locator(".language-diff .gi, .language-diff .gd").count() > 0, "diffs are highlighted"
    assert page.locator("#what-changed ~ div > details.info").count() == 0, "the full diff is for instructors"
    solutions = page.locator("#solution-files ~ div details.note")
    assert solutions.count() > 0 and page.locator("#solution-files ~ div details.note[open]").count() == 0
    assert page.locator("button[data-clipboard-target]").count() > 0, "code blocks should have copy buttons"

    if lesson == lessons_with_notebooks()[0]:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.goto(f"{base_url}lessons/{lesson.id}.html")
        page.screenshot(path=ARTIFACTS / f"lesson-{lesson.id}.png")
        page.locator("#what-changed").scroll_into_view_if_needed()
        page.wait_for_timeout(500)  # Material animates the header title after a scroll
        page.screenshot(path=ARTIFACTS / f"lesson-{lesson.id}-what-changed.png")
    assert visit.failed == [], f"requests failed: {visit.failed}"
    assert visit.outside == [], f"the lesson page needs the network: {visit.outside}"


def test_instructor_view_has_notes_mistakes_and_the_full_diff_and_stays_out_of_search(visit, base_url, built_site):
    from shiplings.mutants import load_mutants

    lesson = next(lesson for lesson in COURSE.lessons if load_mutants(REPO, lesson) and lesson.instructor_notes)
    page = visit.tab
    page.goto(f"{base_url}lessons/{lesson.id}.html")
    page.locator(".admonition.abstract").get_by_role("link", name="instructor view").click()
    page.wait_for_url(f"**/instructors/{lesson.id}.html")
    assert page.locator("h1").first.inner_text().startswith(f"Teaching lesson {lesson.number}")
    content = page.locator(".md-content")
    assert f"shiplings start {lesson.number}" in content.inner_text()
    assert as_written(lesson.instructor_notes.split(".")[0]).replace(" ", "") in content.inner_text().replace(" ", "")
    slot = schedule.plan(COURSE).slot_of(lesson)
    assert f"day {slot.day}, {schedule.clock_text(slot.start)}" in page.locator(".admonition.abstract").inner_text()
    assert page.locator("#mistakes + p + ul > li").count() == len(load_mutants(REPO, lesson))
    everything = [change for change in lesson_changes(COURSE, lesson, REPO) if change.diff is not None]
    files = page.locator("#full-diff ~ div details.note")
    assert files.count() == len(everything) and page.locator("#full-diff ~ div details[open]").count() == 0
    files.first.locator("> summary").click()
    assert files.first.locator(".language-diff").is_visible()
    index = json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert not [entry["location"] for entry in index["docs"] if entry["location"].startswith("instructors/")]
    assert visit.failed == [] and visit.outside == []


@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots_of_the_instructor_view_and_a_lesson_page(browser, base_url, width):
    """For a person to look at (test-artifacts/site/): no page scrolls sideways at either width."""
    lesson = lessons_with_notebooks()[0]
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for kind in ("instructors", "lessons"):
            page.goto(f"{base_url}{kind}/{lesson.id}.html")
            page.screenshot(path=ARTIFACTS / f"{kind}-{lesson.id}-{width}.png", full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{kind}/{lesson.id}.html scrolls sideways by {overflow} px at {width} px"
    finally:
        context.close()


def phone(browser):
    """A 390 px wide tab, as an iPhone 12 to 15 lays pages out."""
    return browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)


def test_diagrams_are_readable_on_a_phone(browser, base_url, built_site):
    """At 390 px no diagram widens the page or shrinks below 80 % of its natural size: it scrolls inside its box."""
    context = phone(browser)
    page = context.new_page()
    try:
        page.goto(f"{base_url}architecture.html")
        page.wait_for_function("document.querySelectorAll('pre.mermaid').length === 0", timeout=15_000)
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        sources = [html.unescape(source) for source in re.findall(
            r'<pre class="mermaid"><code>(.*?)</code></pre>', (built_site / "architecture.html").read_text(), re.S)]
        # each diagram's natural width, as mermaid draws it before any scaling
        natural = page.evaluate("""async sources => {
          const widths = [];
          for (const [index, source] of sources.entries()) {
            const { svg } = await mermaid.render(`probe_${index}`, source);
            widths.push(parseFloat(svg.match(/max-width:\\s*([\\d.]+)px/)[1]));
          }
          return widths;
        }""", sources)
        drawn = page.locator("div.mermaid")
        assert drawn.count() == len(sources) == len(natural)
        for index, width in enumerate(natural):
            box = drawn.nth(index)
            shown_width = box.evaluate("element => element.scrollWidth")
            assert shown_width >= width * 0.8 - 1, (
                f"diagram {index + 1} is drawn {shown_width} px wide at 390 px, {shown_width / width:.0%} of its size")
            if box.evaluate("element => element.scrollWidth > element.clientWidth"):
                assert box.get_attribute("tabindex") == "0" and "Diagram" in box.get_attribute("aria-label")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / "architecture-390.png", full_page=True)
    finally:
        context.close()


def test_code_that_scrolls_sideways_can_be_scrolled_by_keyboard(browser, base_url):
    """WCAG 2.1.1: every block that scrolls sideways takes the focus, has a name, and moves with the arrow keys."""
    lesson = lessons_with_notebooks()[0]
    context = phone(browser)
    page = context.new_page()
    try:
        page.goto(f"{base_url}lessons/{lesson.id}.html")
        page.locator("#solution-files ~ div details.note > summary").first.click()  # a fold opened later counts too
        page.wait_for_timeout(300)
        blocks = page.evaluate("""() => [...document.querySelectorAll('.md-typeset *')].filter(element => {
            const overflow = getComputedStyle(element).overflowX;
            return (overflow === 'auto' || overflow === 'scroll') && element.scrollWidth > element.clientWidth + 1
              && element.getClientRects().length > 0 && !element.closest('.md-sidebar, .tabbed-labels');
          }).map(element => ({tag: element.tagName, tabindex: element.getAttribute('tabindex'),
                               name: element.getAttribute('aria-label'), text: element.textContent.slice(0, 40)}))""")
        assert blocks, "at 390 px some code on a lesson page should be wider than the screen"
        unreachable = [block for block in blocks if block["tabindex"] != "0" or not block["name"]]
        assert not unreachable, f"{len(unreachable)} of {len(blocks)} scrolling blocks: no focus: {unreachable[:3]}"
        scroller = page.locator("[data-shiplings-scrollable]").first
        scroller.focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        page.wait_for_function("document.activeElement.scrollLeft > 0", timeout=5_000)
    finally:
        context.close()


@pytest.fixture(scope="module")
def site_with_404(built_site: Path, tmp_path_factory: pytest.TempPathFactory):
    """The built site at /shiplings/ on a server that answers a missing address with 404.html, as
    nginx's error_page and GitHub Pages do (http.server would answer with its own page)."""
    top = tmp_path_factory.mktemp("web404")
    (top / "shiplings").symlink_to(built_site, target_is_directory=True)

    class NotFoundPage(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send_error(self, code, message=None, explain=None):
            if code != 404:
                return super().send_error(code, message, explain)
            body = (built_site / "404.html").read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()),
                                             functools.partial(NotFoundPage, directory=str(top)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/shiplings/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.mark.parametrize("missing", ["lessons/99_no_such_lesson.html", "no-such-page.html"])
def test_the_404_page_works_at_any_address_under_a_sub_path(visit, site_with_404, missing):
    page = visit.tab
    loaded: list[str] = []
    page.on("response", lambda response: loaded.append(response.url) if response.status < 400 else None)
    response = page.goto(f"{site_with_404}{missing}")
    assert response.status == 404 and page.locator("h1").first.inner_text() == "Page not found"
    styled = page.evaluate("getComputedStyle(document.querySelector('.md-header')).backgroundColor")
    assert styled == "rgb(0, 105, 92)", f"the 404 page lost its stylesheets (header {styled})"
    # Chromium's preload scanner may fetch a file before the page's first script has set <base>;
    # the page itself must then load each file from the site's root
    page.wait_for_load_state("networkidle")
    for entry in visit.failed:
        url = entry.split(" ", 1)[1]
        if missing not in url:
            assert f"{site_with_404}{url.split('/shiplings/lessons/', 1)[-1]}" in loaded, f"{url} never loaded"
    assert visit.outside == [], f"the 404 page asked the network for {visit.outside}"
    page.locator(".md-content").get_by_role("link", name="the lessons").click()
    page.wait_for_url(f"{site_with_404}lessons/index.html")
    assert page.locator("h1").first.inner_text().startswith("Lessons")
    page.go_back()
    hrefs = search_for(page, "prototype")
    assert hrefs and all(href.startswith(site_with_404) for href in hrefs), f"search from a 404 found {hrefs[:3]}"


def test_the_404_page_works_opened_from_disk(browser, built_site):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto((built_site / "404.html").as_uri())
        page.locator(".md-content").get_by_role("link", name="the home page").click()
        page.wait_for_url((built_site / "index.html").as_uri())
    finally:
        context.close()


def test_highlighted_code_is_reused_by_content(tmp_path):
    from pymdownx.highlight import Highlight

    from shiplings.site.cache import ContentCache, cache_highlighting

    page = '``` python title="main.py"\nprint("hello")\n```\n\n``` diff\n-old\n+new\n```\n'
    cache = ContentCache(tmp_path / "highlight.json")
    try:
        cache_highlighting(cache)
        first = site_markdown().reset().convert(page)
        cache.save()
        assert cache.hits == 0 and cache.misses == 2
        again = ContentCache(tmp_path / "highlight.json")
        cache_highlighting(again)
        assert site_markdown().reset().convert(page) == first and (again.hits, again.misses) == (2, 0)
        changed = site_markdown().reset().convert(page.replace("hello", "bye"))
        assert "bye" in changed and again.misses == 1, "changed code is highlighted again, never taken from the cache"
    finally:
        cache_highlighting(None)
    assert site_markdown().reset().convert(page) == first
    assert Highlight.highlight.shiplings_cached


def test_search_entries_and_diffs_are_reused_by_content(tiny_course):
    from shiplings.site.cache import ContentCache

    cache = ContentCache(tiny_course / "search.json")
    indexed = search.IndexedPage('<h1 id="a">A</h1><p>Alpha.</p><h2 id="b">B</h2><p>Beta.</p>', [], "x.html", "A", {})
    entries = search.index_entries(indexed, {}, cache)
    assert search.index_entries(indexed, {}, cache) == entries and cache.hits == 1
    indexed.content = indexed.content.replace("Beta", "Gamma")
    assert any("Gamma" in entry["text"] for entry in search.index_entries(indexed, {}, cache))

    course = load_course(tiny_course)
    lesson = course.lessons[1]
    diffs_folder = SitePaths(tiny_course).diffs
    first = lesson_changes(course, lesson, tiny_course)
    assert len(list(diffs_folder.glob("*.json"))) == 1
    assert lesson_changes(course, lesson, tiny_course) == first
    solution = tiny_course / "solutions" / lesson.id / "main.py"
    solution.write_text(solution.read_text() + "\n# changed\n")
    assert "+# changed" in next(change.diff for change in lesson_changes(course, lesson, tiny_course)
                                if change.path == "main.py"), "a changed file is never answered from the cache"


def test_a_warm_rebuild_makes_nothing_again(built_site, tmp_path):
    """What makes a warm rebuild fast: with nothing changed, every highlighted code block and
    every lesson page's search entries come from the caches, and the CLI is not imported."""
    import subprocess
    import sys

    def code_state() -> list[tuple[str, int]]:
        return sorted((str(path), path.stat().st_mtime_ns) for path in (REPO / "src" / "shiplings").rglob("*.py"))

    # twice: in a checkout being edited, the package's code may have changed since built_site's
    # build, and the command reference is rightly made again once
    code_before = code_state()
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "mkdocs", "build", "--strict", "-f",
             str(SitePaths(REPO).config), "-d", str(tmp_path / "html")],
            cwd=REPO, env=build.mkdocs_env(), capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
    reused = re.search(r"reused by content hash: (\d+) of (\d+) highlighted code blocks, "
                       r"the search entries of (\d+) of (\d+) lesson pages", done.stderr)
    assert reused, done.stderr[-2000:]
    code_hits, code_blocks, page_hits, lesson_pages = map(int, reused.groups())
    assert code_blocks > 0 and code_hits == code_blocks and page_hits == lesson_pages == len(COURSE.lessons)
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    unwanted = {"shiplings.devcheck", "nbformat", "nbconvert"}
    if code_state() == code_before:  # else someone edited the package meanwhile: the reference is made again
        unwanted.add("shiplings.cli")
    assert not imported & unwanted, (
        f"{imported & unwanted}: a warm rebuild should not load the CLI, the notebook runner or the notebook converter")
