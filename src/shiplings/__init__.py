"""shiplings: a course that takes a FastAPI + Vue 3 app from prototype to production."""

__version__ = "0.1.0"


def load_ipython_extension(ipython) -> None:
    """`%load_ext shiplings` registers the %check magic."""
    from shiplings.magic import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython) -> None:
    from shiplings.magic import unload_ipython_extension as unload

    unload(ipython)
