"""Lesson 03: /docs shows the error envelope, so clients know what errors look like."""


def resolve(schema: dict, spec: dict) -> dict:
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        return spec.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[1], {})
    return schema


def documented_as_envelope(spec: dict, path: str, method: str, status: str) -> bool:
    response = spec.get("paths", {}).get(path, {}).get(method, {}).get("responses", {}).get(status)
    if not response:
        return False
    schema = resolve(response.get("content", {}).get("application/json", {}).get("schema", {}), spec)
    return "error" in schema.get("properties", {})


def test_error_shape_is_documented(app):
    spec = app.openapi()
    expected = [
        ("/tasks/{task_id}", "get", "404"),
        ("/tasks/{task_id}", "put", "404"),
        ("/tasks/{task_id}", "delete", "404"),
        ("/tasks/{task_id}", "get", "422"),
        ("/tasks", "post", "422"),
    ]
    missing = [
        f"{method.upper()} {path} -> {status}"
        for path, method, status in expected
        if not documented_as_envelope(spec, path, method, status)
    ]
    assert not missing, (
        "/docs (the OpenAPI schema) should describe error responses with the envelope model, "
        f"ErrorEnvelope; these are missing or show another shape: {'; '.join(missing)}. "
        "FastAPI documents only the error responses a route or its router declares: look at the "
        "APIRouter and the routes with a {task_id} in app/api/routes/tasks.py."
    )
