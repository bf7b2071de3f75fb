"""Lesson 12: the front end installs from its lock file, type-checks, builds, and its components work.

Everything runs for real in the learner's frontend/: npm, vue-tsc and Vite, and Vitest
with @vue/test-utils (the learner's own test, then the course's).
"""

import json

import pytest

from shiplings import npm
from support.frontend import first_failure, tail


@pytest.mark.timeout(600)
def test_npm_ci_installs_pinia(frontend, node):
    package = json.loads((frontend / "package.json").read_text())
    dependencies = package.get("dependencies", {})
    if "pinia" in package.get("devDependencies", {}):
        where = ("frontend/package.json lists pinia under devDependencies: those are the tools that build "
                 "and test the app, while Pinia runs in the page the users load.")
    else:
        where = "frontend/package.json does not list pinia."
    assert "pinia" in dependencies, (
        "The page keeps its state in Pinia, so pinia should be one of the dependencies in "
        f"frontend/package.json (and in package-lock.json). {where}"
    )
    lock = json.loads((frontend / "package-lock.json").read_text())
    assert "node_modules/pinia" in lock.get("packages", {}), (
        "frontend/package.json lists pinia, but frontend/package-lock.json does not: the lock file is what "
        "`npm ci` installs, so a colleague (and the checks) would get no Pinia. It is written by npm "
        "itself when you install a package, not by hand."
    )
    try:
        npm.ensure_dependencies(frontend, node)
    except npm.InstallFailed as failure:
        raise AssertionError(failure.learner_message()) from None


@pytest.mark.timeout(600)
def test_build_type_checks(run_npm, frontend):
    built = run_npm("run", "build")
    output = built.stdout + built.stderr
    type_errors = [line for line in output.splitlines() if "error TS" in line]
    if type_errors:
        said = "The type check (vue-tsc) found:\n" + "\n".join(type_errors[:15])
    else:
        said = "It printed:\n" + tail(output, lines=15)
    assert built.returncode == 0, (
        "`npm run build` (in frontend/) should type-check the app with vue-tsc and bundle it with Vite; "
        f"it failed. {said}"
    )
    assert (frontend / "dist" / "index.html").is_file(), (
        "`npm run build` finished, but there is no frontend/dist/index.html: the build should write the "
        "bundle to dist/ (Vite's default outDir)."
    )


@pytest.mark.timeout(600)
def test_component_test_passes(vitest, frontend):
    specs = [path for path in (frontend / "src").rglob("*.spec.ts") if "__shiplings__" not in path.parts]
    component_specs = [
        path for path in specs
        if "@vue/test-utils" in (text := path.read_text(errors="replace")) and (".vue'" in text or '.vue"' in text)
    ]
    assert component_specs, (
        "There should be a component test in frontend/src/components/__tests__/ (TaskList.spec.ts) that "
        "mounts a component with @vue/test-utils; no *.spec.ts under frontend/src imports @vue/test-utils "
        "and a .vue component."
    )
    report = vitest("src/components")
    broken = report.broken_files()
    assert not broken, (
        f"Vitest could not run {broken[0][0].split('/frontend/')[-1]}: {tail(broken[0][1], lines=8)}"
    )
    failed = report.failed()
    assert not failed, (
        f"Your component test should pass; {len(failed)} of its tests failed. The first, "
        f"\"{failed[0].get('fullName') or failed[0].get('title')}\" says:\n{first_failure(failed[0])}\n"
        "Look at frontend/src/components/TaskList.vue (what it shows) and at your test."
    )
    assert report.passed(), (
        "Your component test should run at least one test that passes; Vitest ran none "
        "(an it.todo() is only a reminder). Vitest printed:\n" + tail(report.output, lines=12)
    )


@pytest.mark.timeout(600)
def test_components_use_the_store(vitest, course_spec):
    with course_spec() as spec:
        report = vitest(spec)
    broken = report.broken_files()
    assert not broken, (
        "The course's component test could not load your components and store: "
        f"{tail(broken[0][1], lines=8)}\nLook at frontend/src/stores/tasks.ts and frontend/src/components/."
    )
    failed = report.failed()
    assert not failed and report.passed(), (
        "The course's test of TaskList, TaskForm and the tasks store (with a stand-in for the API) should "
        f"pass; {len(failed)} of its tests failed"
        + (f". The first, \"{failed[0].get('title')}\", says:\n{first_failure(failed[0])}\n" if failed
           else f". Vitest printed:\n{tail(report.output, lines=12)}\n")
        + "The requests the page sends start with /api (the page's own origin); the store keeps the tasks "
        "(frontend/src/stores/tasks.ts), TaskForm (frontend/src/components/TaskForm.vue) hands it a trimmed, "
        "non-blank title."
    )
