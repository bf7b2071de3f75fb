"""Lesson 18, part 1: the CI workflow, .github/workflows/ci.yml, read without running it.

It must be a workflow GitHub accepts (check-jsonschema's vendored copy of the workflow schema:
a misspelled key fails there, not silently on GitHub), and it must hold the gates: a job that
runs pytest, one that runs the front end's checks, hadolint on the Dockerfiles, and the images
built from the repository's own Dockerfiles by a job that waits (needs:) for the tests.
"""

from __future__ import annotations

import re
import subprocess
import sys

import yaml

from shiplings.testing import workspace

WORKFLOW = ".github/workflows/ci.yml"
DOCKERFILES = {"Dockerfile": "the backend's", "frontend/Dockerfile": "the front end's"}


def workflow_file():
    path = workspace() / WORKFLOW
    assert path.is_file(), (
        f"There is no {WORKFLOW} in your workspace: GitHub runs the workflows in .github/workflows/ "
        "on every push. The lesson's starter has one to complete."
    )
    return path


def jobs() -> dict[str, dict]:
    """job id -> job, from the workflow (the first check says when it is not a valid one)."""
    try:
        found = yaml.safe_load(workflow_file().read_text())
    except yaml.YAMLError as error:
        raise AssertionError(f"{WORKFLOW} is not valid YAML: {str(error)[:400]}") from None
    found = (found or {}).get("jobs") if isinstance(found, dict) else None
    assert isinstance(found, dict) and found, f"{WORKFLOW} has no jobs: see the first check."
    return {name: job for name, job in found.items() if isinstance(job, dict)}


def steps_text(job: dict) -> list[str]:
    """Each step as one line of text: what it runs, or the action it uses and its inputs."""
    found = []
    for step in job.get("steps") or []:
        if isinstance(step, dict):
            found.append(" ".join(str(part) for part in (step.get("run") or "", step.get("uses") or "",
                                                         *(step.get("with") or {}).values())))
    return found


def runs(job: dict, pattern: str) -> bool:
    return any(re.search(pattern, text) for text in steps_text(job))


def jobs_that(pattern: str) -> list[str]:
    return [name for name, job in jobs().items() if runs(job, pattern)]


def needs(job: dict) -> set[str]:
    wanted = job.get("needs") or []
    return {wanted} if isinstance(wanted, str) else set(wanted)


def waits_for(name: str, others: list[str]) -> bool:
    """Whether job `name` needs (directly or through another job) one of `others`."""
    found, seen, todo = jobs(), set(), [name]
    while todo:
        for dependency in needs(found.get(todo.pop(), {})):
            if dependency in others:
                return True
            if dependency not in seen:
                seen.add(dependency)
                todo.append(dependency)
    return False


def normal(path: str) -> str:
    """A path as the repository names it: ./frontend//Dockerfile -> frontend/Dockerfile."""
    return "/".join(part for part in str(path).split("/") if part not in ("", "."))


def builds(job: dict) -> set[str]:
    """The Dockerfiles of the repository that a job builds an image from."""
    found = set()
    for step in job.get("steps") or []:
        if not isinstance(step, dict):
            continue
        run = str(step.get("run") or "").replace("\\\n", " ")
        uses, given = str(step.get("uses") or ""), step.get("with") or {}
        if re.search(r"docker[\s-]+compose\s+build", run):
            found |= set(DOCKERFILES)
        for command in re.findall(r"docker\s+(?:buildx\s+)?build\b[^\n]*", run):
            file = re.search(r"(?:--file|-f)[ =](\S+)", command)
            found.add(normal(file.group(1) if file else f"{command.split()[-1]}/Dockerfile"))
        if "docker/build-push-action" in uses:
            found.add(normal(given.get("file") or f"{given.get('context') or '.'}/Dockerfile"))
    return found & set(DOCKERFILES)


def test_ci_workflow_is_valid():
    path = workflow_file()
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           str(path)], capture_output=True, text=True, timeout=120, check=False)
    said = (done.stdout + done.stderr).strip()
    # its best guess at each error when there is one, else each error's own line, without the file's path
    found = re.findall(r"Best Match:\s*\n\s*(.+)", said) or [
        line.split("::", 1)[1] for line in said.splitlines() if "::$" in line]
    assert done.returncode == 0, (
        f"GitHub would refuse {WORKFLOW}: check-jsonschema, with GitHub's own workflow schema, says "
        + ("; ".join(dict.fromkeys(found))[:1200] if found else said[-1200:])
        + f". Run `check-jsonschema --builtin-schema vendor.github-workflows {WORKFLOW}` in your workspace: a "
        "misspelled key (run-on for runs-on, need for needs) is refused there, instead of in a red run on GitHub."
    )


def test_ci_workflow_tests_before_it_builds():
    found = jobs()
    missing = []
    testing = jobs_that(r"\bpytest\b")
    if not testing:
        missing.append("a job that runs the backend's tests (`pytest`)")
    front = [name for name in found if runs(found[name], r"\bnpm\s+ci\b")]
    if not front:
        missing.append("a job that installs the front end with `npm ci` (exactly package-lock.json)")
    else:
        checks = {"type check and build (`npm run build`)": r"npm\s+run\s+build|vue-tsc|type-check",
                  "unit tests (vitest)": r"vitest|test:unit"}
        for what, pattern in checks.items():
            if not any(runs(found[name], pattern) for name in front):
                missing.append(f"the front end's {what} in the job that runs npm ci")
    linted = " ".join(text for job in found.values() for text in steps_text(job) if "hadolint" in text)
    if not linted:
        missing.append("hadolint on the Dockerfiles (the hadolint/hadolint-action action, or `hadolint Dockerfile`)")
    elif "frontend/Dockerfile" not in linted:
        missing.append("hadolint on frontend/Dockerfile too")
    building = {name: builds(job) for name, job in found.items() if builds(job)}
    built = set().union(*building.values()) if building else set()
    for dockerfile, whose in DOCKERFILES.items():
        if dockerfile not in built:
            missing.append(f"a step that builds {whose} image from {dockerfile} (`docker build --file {dockerfile} "
                           f"...`, or docker/build-push-action)")
    assert not missing, (
        f"{WORKFLOW} lacks " + "; ".join(missing) + f". Its jobs: {', '.join(found) or 'none'}. Every gate a "
        "change must pass runs there, on a clean machine, for every push and pull request."
    )
    # a job that runs the tests itself and then builds waits for them too: its steps run in order
    waiting = {name: [gate for gate in (testing, front) if name not in gate and not waits_for(name, gate)]
               for name in building}
    early = [name for name, gates in waiting.items() if gates]
    assert not early, (
        f"The job{'s' if len(early) > 1 else ''} that build{'' if len(early) > 1 else 's'} the images "
        f"({', '.join(early)}) start{'' if len(early) > 1 else 's'} at once, beside the tests: jobs run in "
        "parallel unless `needs:` says otherwise, so an image of code whose tests fail is built (and, one day, "
        f"pushed). Expected: it waits for {', '.join(dict.fromkeys(testing + front))}."
    )
