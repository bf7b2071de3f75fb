"""Lesson 02: an app factory, a router, per-app state and a store tests can replace."""

import importlib

from fastapi import APIRouter

from shiplings.testing import import_fresh, running_client, show
from support.apps import doubled_prefix


def factory():
    main = import_fresh("app.main")
    create_app = getattr(main, "create_app", None)
    assert callable(create_app), (
        "app/main.py should define create_app(settings=None), the function that builds "
        "a new app (and the module-level app uvicorn serves should come from it); it has no "
        "create_app. Look at app/main.py."
    )
    return create_app


def missing_store(app) -> str:
    """Why POST /tasks fails on a new app: its store, or the way to it, is missing."""
    if getattr(app.state, "task_store", None) is None:
        return "create_app() in app/main.py put no task_store on app.state, where get_task_store() looks for it."
    return "Look at get_task_store() in app/api/deps.py: it should hand out the store create_app() put on app.state."


def what_the_apps_share(first, second) -> str:
    """Where the tasks two apps share live: a module-level store, one store object, or a class attribute."""
    one, other = getattr(first.state, "task_store", None), getattr(second.state, "task_store", None)
    if one is None or other is None:
        return (
            "create_app() gives the apps no store of their own (app.state.task_store), so the routes "
            "use one module-level store that every app shares. Look at create_app() in app/main.py "
            "and at where the routes in app/api/routes/tasks.py get their store."
        )
    if one is other:
        return (
            "create_app() hands both apps the same TaskStore object: look at where create_app() in "
            "app/main.py makes app.state.task_store."
        )
    in_class = [name for name, value in vars(type(one)).items() if isinstance(value, dict | list | set)]
    if in_class:
        return (
            f"Each app has a TaskStore of its own, but TaskStore keeps its tasks in a class attribute "
            f"({', '.join(in_class)}, set in the class body in app/store.py). A class attribute exists "
            "once, in the class, and every instance shares it; what each store owns belongs to the "
            "instance, set in __init__()."
        )
    return (
        "Each app has a TaskStore of its own, yet they share tasks: something both reach holds them. "
        "Look at app/store.py (a module-level variable or a class attribute) and at get_task_store() "
        "in app/api/deps.py, which should return request.app.state.task_store."
    )


async def test_factory_uses_settings():
    create_app = factory()
    config = importlib.import_module("app.core.config")
    app = create_app(config.Settings(app_name="Check Board", environment="test"))
    assert app.title == "Check Board", (
        "create_app(Settings(app_name='Check Board')) should build an app titled "
        f"'Check Board' (the title of /docs); its title is {app.title!r}. Look at create_app() "
        "in app/main.py: it should build the app from the settings it is given."
    )


async def test_apps_do_not_share_tasks():
    create_app = factory()
    first, second = create_app(), create_app()
    assert first is not second, "create_app() returned the same app twice; it should build a new one."
    async with running_client(first) as one, running_client(second) as other:
        created = await one.post("/tasks", json={"title": "Only in the first app"})
        listed = await other.get("/tasks")
        mine = await one.get("/tasks")
    assert created.status_code == 201, (
        f"POST /tasks on a new app should answer 201; it answered {show(created)}. "
        + (doubled_prefix(first) or missing_store(first))
    )
    assert mine.status_code == 200 and created.json() in mine.json(), (
        "After POST /tasks on the first app, GET /tasks on that same first app should list "
        f"the new task {created.json()}; it answered {show(mine)}. The first app lost its own "
        "task between two requests: does get_task_store() in app/api/deps.py hand out the one "
        "store create_app() put on app.state, or a new one for every request?"
    )
    assert listed.status_code == 200 and listed.json() == [], (
        "Two apps from create_app() should have separate tasks: after a POST to the first, "
        f"GET /tasks on the second should answer 200 []; it answered {show(listed)}. "
        + what_the_apps_share(first, second)
    )


class ReplacementStore:
    """What a test hands the routes instead of the app's store: tasks in a dict of its own.

    The check brings its own, so it holds in every later lesson, where the app keeps its
    tasks in a database and app/store.py is gone.
    """

    def __init__(self, task_schema) -> None:
        self.task_schema, self.tasks = task_schema, {}

    async def list_tasks(self, *, done=None):
        return [task for task in self.tasks.values() if done is None or task.done == done]

    async def add(self, task_in):
        task = self.task_schema(id=len(self.tasks) + 1, **task_in.model_dump())
        self.tasks[task.id] = task
        return task

    async def get(self, task_id):
        return self.tasks[task_id]

    async def replace(self, task_id, task_in):
        self.tasks[task_id] = self.task_schema(id=task_id, **task_in.model_dump())
        return self.tasks[task_id]

    async def delete(self, task_id):
        return self.tasks.pop(task_id) is not None


async def test_store_can_be_overridden(app, client):
    deps = importlib.import_module("app.api.deps")
    replacement = ReplacementStore(importlib.import_module("app.schemas").Task)
    app.dependency_overrides[deps.get_task_store] = lambda: replacement
    created = await client.post("/tasks", json={"title": "Into the replacement store"})
    # every route must reach the replacement, not only POST and the list
    others = {}
    if created.status_code == 201:
        path = f"/tasks/{created.json()['id']}"
        others[f"GET {path}"] = await client.get(path)
        others[f"PUT {path}"] = await client.put(path, json={"title": "Into the replacement store"})
        doomed = await client.post("/tasks", json={"title": "Deleted from the replacement store"})
        if doomed.status_code == 201:
            others[f"DELETE /tasks/{doomed.json()['id']}"] = await client.delete(f"/tasks/{doomed.json()['id']}")
    app.dependency_overrides.clear()
    own = await client.get("/tasks")
    assert created.status_code == 201, (
        "With app.dependency_overrides[get_task_store] set, POST /tasks should still answer "
        f"201; it answered {show(created)}."
    )
    assert own.status_code == 200, (
        f"GET /tasks should answer 200; it answered {show(own)}. Does get_task_store() in "
        "app/api/deps.py return the store that create_app() put on app.state?"
    )
    assert created.json() not in own.json(), (
        "A test replaced the store with app.dependency_overrides[get_task_store], yet "
        "POST /tasks wrote into the app's own store (GET /tasks without the override lists "
        f"{own.json()}). The routes in app/api/routes/tasks.py use a store of their own instead of "
        "asking FastAPI for one (TaskStoreDep)."
    )
    missed = [f"{request} answered {show(response)}" for request, response in others.items() if response.is_error]
    assert not missed, (
        "A test replaced the store with app.dependency_overrides[get_task_store] and created a "
        f"task in it with POST /tasks, but the other routes did not find it there: {'; '.join(missed)}. "
        "Those routes in app/api/routes/tasks.py do not ask FastAPI for the store (they read "
        "request.app.state or a module-level store): look at those routes' parameters."
    )


def test_router_groups_task_routes(app):
    routes = importlib.import_module("app.api.routes.tasks")
    router = getattr(routes, "router", None)
    assert isinstance(router, APIRouter), (
        "app/api/routes/tasks.py should define router, an APIRouter that holds the /tasks routes; "
        f"its router is {router!r}. Look at the top of app/api/routes/tasks.py."
    )
    assert router.prefix == "/tasks", (
        f"The tasks router should carry the shared prefix '/tasks'; its prefix is {router.prefix!r}. "
        "Look at the APIRouter(...) in app/api/routes/tasks.py, and at the route paths under it."
    )
    untagged = [
        f"{method.upper()} {path}"
        for path, operations in app.openapi().get("paths", {}).items()
        if path.startswith("/tasks")
        for method, operation in operations.items()
        if "tasks" not in operation.get("tags", [])
    ]
    assert not untagged, (
        f"Every /tasks route should be in the 'tasks' group of /docs; these are not: "
        f'{", ".join(untagged)}. Look at the tags of the router in app/api/routes/tasks.py.'
    )
    doubled = doubled_prefix(app)
    assert not doubled, f"Every task route should be under /tasks, once. {doubled}"


def test_prototype_is_gone(workspace):
    assert not (workspace / "main.py").exists(), (
        "main.py, the lesson 01 prototype, is still at the top of your workspace. The app "
        "lives in the app/ package now (uvicorn app.main:app); delete main.py so that "
        "nobody starts the old app by mistake."
    )
