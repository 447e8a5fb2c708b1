"""dynapspec: declarative deployment of spiking CNNs onto SynSense DYNAP-CNN and Speck chips.

Importing the package is cheap: heavy modules load on first use.
"""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "compile", "load_spec"]


def compile(path, target=None):  # noqa: A001 - the public name the docs promise
    """Compile ``net.yaml`` into a :class:`dynapspec.config.Config` (raises ``SpecError``)."""
    from .compiler import compile_spec

    return compile_spec(path, target=target).config


def load_spec(path):
    """Load and validate a spec file and its weights into a :class:`dynapspec.spec.model.Spec`."""
    from .spec import load

    return load(path)
