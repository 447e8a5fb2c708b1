from . import events  # noqa: F401
