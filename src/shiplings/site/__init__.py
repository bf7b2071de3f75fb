"""The course website, generated from the same sources as the workspace.

The site is MkDocs Material (site/mkdocs.yml). Its hook, site/hooks/shiplings_pages.py,
calls this package on every build, so `shiplings site build` and a plain `mkdocs build`
produce the same site, and nothing on it can drift from what the checks test.
One module per part of the build, in the order a build meets them:

- build.py      runs MkDocs (`shiplings site build|serve`); the built site lands in
                site/build/html/.
- generate.py   what the hook runs first: writes one page per lesson into
                site/build/staging/ (git-ignored), renders the notebooks, bundles
                mermaid.js, and gives the hook the "Lessons" nav.
- pages.py      a lesson page's Markdown: objectives, minutes, checks and hints from
                course.toml, then the notebook, "what changed" and the solution files.
- notebooks.py  the notebook rendered by mkdocs-jupyter (never executed), cached by
                content, and laid into its page and table of contents after MkDocs.
- diffs.py      "what changed" (starter -> solution) for learners, the full diff
                snapshot(N-1) -> snapshot(N) for instructors, and the solution files.
- instructors.py  the instructor view: per lesson, timing, catch-up, notes, the mutants
                as common mistakes and the full diff (out of search).
- mermaid.py    the pinned mermaid.js, fetched once with npm, so diagrams draw offline.
- guides.py     fills `<!-- shiplings:NAME -->` markers in the hand-written guides with
                text from the manifest, the CLI, the tool list and the dev-check invariants,
                with the help of:
- reference.py  the command reference, from a Typer app the caller passes in;
- schedule.py   the workshop schedule, from the lessons' minutes and course.toml's [workshop].
- notfound.py   the 404 page made to work from any address (relative links, <base>).
- cache.py      what a rebuild reuses by content hash: highlighted code, search entries,
                diffs, the command reference (notebooks.py caches rendered notebooks).
- markdown.py   the Markdown building blocks they share; paths.py: where things live.

Nothing here imports shiplings.cli or shiplings.commands: the CLI imports build.py, and
the hook hands the Typer app to guides.py (tests/test_site_package.py keeps it so).
"""
