"""What the checks of several lessons share: the course's own knowledge, in one home.

checks/ is on sys.path while checks run (`pythonpath = .` in checks/pytest.ini), so a
check module or conftest imports these as `from support.envelope import envelope_problem`.

- `support.envelope`: the error envelope of lesson 03, {"error": {"code", "message", "details"}}
- `support.accounts`: signing a learner up and in (lesson 07's /auth routes)
- `support.apps`: new apps from the workspace's create_app(Settings(...)) (lesson 02 on)
- `support.upstream`: a fake holidays service (lesson 05's upstream) on a loopback port
- `support.compose_stack`: the learner's compose stack, up once per run (lessons 17 and 18)
- `support.prometheus`: alert rules judged by promtool on made-up traffic (lesson 18)

The fixtures every lesson gets from these live in checks/conftest.py. What does not depend
on the course (the workspace, importing the learner's app, in-process clients, real
servers, the migrated template database) stays in the engine, `shiplings.testing`.
"""
