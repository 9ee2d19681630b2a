"""Finding pretrained weights on this machine, and failing fast and clearly when they are not.

Packaged weights are located without importing their packages; hub downloads are only
attempted when the hub answers within a couple of seconds, so an offline machine gets one
sentence saying what is missing and how to provide it, never a hang or a screen of retries.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import socket
import threading
from pathlib import Path
from typing import Any

import torch

from transferkit.errors import WeightsUnavailableError


def package_dir(module: str) -> Path | None:
    """The folder of an installed package, without importing it (some packaged-weight
    modules have import-time side effects or broken helpers)."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def package_file(module: str, *parts: str) -> Path | None:
    root = package_dir(module)
    if root is None:
        return None
    path = root.joinpath(*parts)
    return path if path.exists() else None


@functools.cache
def host_reachable(host: str, port: int = 443, timeout: float = 2.0) -> bool:
    """Whether a TCP connection to ``host`` succeeds within ``timeout`` seconds in all,
    name lookup included (``getaddrinfo`` has no timeout of its own, and a slow resolver
    stalled the check for far longer); cached per process."""
    if os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("TRANSFERKIT_OFFLINE") == "1":
        return False
    return _reachable(host, port, timeout)


def _reachable(host: str, port: int, timeout: float) -> bool:
    result: list[bool] = []

    def connect() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    worker = threading.Thread(target=connect, daemon=True)
    worker.start()
    worker.join(timeout)
    return bool(result and result[0])


def load_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Read weights from safetensors, or from a PyTorch checkpoint with the restricted
    (tensors-only) unpickler, so no code in a weights file ever runs."""
    path = Path(path)
    if not path.is_file():
        raise WeightsUnavailableError(f"Weights file {path} does not exist; check the path.")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except Exception as exc:  # safetensors' own error type, for bytes it cannot parse
            raise WeightsUnavailableError(
                f"Cannot read weights file {path} ({exc}); it is not a safetensors file, or "
                "it is damaged."
            ) from None
    try:
        obj: Any = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise WeightsUnavailableError(
            f"Cannot read weights file {path} as tensors only ({exc.__class__.__name__}); "
            "convert it to .safetensors."
        ) from exc
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        raise WeightsUnavailableError(f"Weights file {path} does not hold a state dict.")
    return obj


def load_by_position(module: torch.nn.Module, state: dict[str, torch.Tensor], what: str) -> None:
    """Load tensors whose names differ from the module's but whose order and shapes match
    (the same network written by two libraries)."""
    own = module.state_dict()
    if len(own) != len(state):
        raise WeightsUnavailableError(f"{what}: expected {len(own)} tensors, found {len(state)}.")
    renamed = {}
    for (name, target), (src_name, tensor) in zip(own.items(), state.items(), strict=True):
        if target.shape != tensor.shape:
            raise WeightsUnavailableError(
                f"{what}: tensor {src_name} has shape {tuple(tensor.shape)}, "
                f"expected {tuple(target.shape)} for {name}."
            )
        renamed[name] = tensor
    module.load_state_dict(renamed)
