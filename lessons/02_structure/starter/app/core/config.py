"""Settings: what differs between a laptop, CI and production, read from the environment.

Each field comes from an environment variable TASKS_<FIELD> (TASKS_APP_NAME,
TASKS_ENVIRONMENT) or from a .env file in the working directory; a real environment
variable wins over the file. The prefix keeps our variables apart from everybody
else's (a bare ENVIRONMENT or APP_NAME is often set by some other tool). Values are
validated when Settings() is built, so a typo stops the app at start-up instead of
quietly running production with development behaviour.
"""

from functools import lru_cache

from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    """The app's configuration; create_app() takes one, tests build their own."""

    # TODO(02): read every field from an environment variable named TASKS_<FIELD>:
    # model_config = SettingsConfigDict(env_prefix=..., env_file=".env", extra="ignore",
    # hide_input_in_errors=True) (SettingsConfigDict comes from pydantic_settings). Without a
    # prefix, Settings reads APP_NAME and ENVIRONMENT, names that other tools use too; without
    # hide_input_in_errors, a refused value is printed in the error, passwords included.

    # the title of the API in /docs
    app_name: str = "Tasks"
    # where the app runs: development, test or production
    # TODO(02): accept only "development", "test" or "production" (typing.Literal), so
    # that TASKS_ENVIRONMENT=prodution stops the app at start-up instead of being obeyed.
    environment: str = "development"


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once: the environment does not change under a running app."""
    return Settings()
