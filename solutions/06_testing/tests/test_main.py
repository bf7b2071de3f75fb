"""Tests of app/main.py: what create_app() builds and what its lifespan owns."""

from app.main import create_app


def test_each_call_builds_a_new_app(settings):
    assert create_app(settings) is not create_app(settings)


def test_the_app_is_configured_by_its_settings(settings):
    app = create_app(settings.model_copy(update={"app_name": "Board under test"}))

    assert app.title == "Board under test"


async def test_the_lifespan_owns_one_http_client_with_the_configured_timeout(settings):
    app = create_app(settings.model_copy(update={"upstream_timeout_seconds": 2.5}))

    async with app.router.lifespan_context(app):
        http_client = app.state.http_client
        assert str(http_client.base_url).rstrip("/") == settings.holidays_api_url
        assert http_client.timeout.read == 2.5
        assert http_client.timeout.connect == 2.5
    assert http_client.is_closed
