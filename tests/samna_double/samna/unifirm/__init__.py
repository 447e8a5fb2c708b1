"""``samna.unifirm`` of the double: only what dynapspec reads."""
from . import modules  # noqa: F401
