"""Private loader for neural-tangents' closed-form kernel code on current JAX.

neural-tangents 0.6.5 is the last release. Its package ``__init__`` imports its empirical-kernel
and TensorFlow-interop modules, which need TensorFlow and JAX internals that current JAX removed,
so ``import neural_tangents`` fails. Its stax layers (``_src/stax``) and their utilities import
only each other, relatively, and run correctly on current JAX.

This module registers the installed package directory under a private alias
(``kdntk._neural_tangents``) *without executing its* ``__init__``, then imports the stax modules
through that alias. The name ``neural_tangents`` in ``sys.modules`` is never touched, so a user's
own ``import neural_tangents`` behaves exactly as it would without kdntk. It is the only place in
kdntk that knows about this; everything else uses ``stax``, public as [`kdntk.stax`][kdntk.stax].
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
import types

__all__ = ["stax", "version"]

_ALIAS = "kdntk._neural_tangents"


def _load_package() -> types.ModuleType:
    if _ALIAS in sys.modules:
        return sys.modules[_ALIAS]
    spec = importlib.util.find_spec("neural_tangents")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "kdntk needs the neural-tangents package (==0.6.5); install kdntk with its "
            "dependencies (`uv sync` in the repository, or `pip install kdntk`)."
        )
    package = types.ModuleType(_ALIAS)
    package.__path__ = list(spec.submodule_search_locations)
    package.__package__ = _ALIAS
    package.__file__ = spec.origin
    sys.modules[_ALIAS] = package
    return package


def _load_stax() -> types.SimpleNamespace:
    _load_package()
    modules = {
        name: importlib.import_module(f"{_ALIAS}._src.stax.{name}")
        for name in ("branching", "combinators", "elementwise", "linear")
    }
    # The layers (and combinators) each module defines itself: not the typing names, enums and
    # helpers it imports.
    public = {}
    for module in modules.values():
        public.update({k: v for k, v in vars(module).items()
                       if not k.startswith("_") and inspect.isfunction(v)
                       and v.__module__ == module.__name__})
    return types.SimpleNamespace(**public)


def _read_version() -> str:
    from importlib.metadata import version as _version

    return _version("neural-tangents")


stax = _load_stax()
"""neural-tangents' stax layers and combinators (``serial``, ``Dense``, ``Conv``, ``Relu``, ``FanOut``, ...)."""

version = _read_version()
"""The installed neural-tangents version string."""
