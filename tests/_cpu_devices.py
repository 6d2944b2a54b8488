"""The environment of a subprocess that runs JAX on several forced CPU devices."""

from __future__ import annotations

import os


def cpu_devices_env(devices: int) -> dict:
    """This process's environment with ``devices`` host CPU devices and the CPU platform.

    The device count is appended to ``XLA_FLAGS``, so the subprocess compiles with the suite's
    XLA settings (tests/conftest.py), as its parent does."""
    flags = f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count={devices}"
    return dict(os.environ, XLA_FLAGS=flags.strip(), JAX_PLATFORMS="cpu")
