"""Process-wide runtime settings."""

from __future__ import annotations

import sys

import pytest

from transferkit.runtime import keep_freed_memory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_keeping_freed_memory_takes_effect_on_linux_and_can_be_turned_off(monkeypatch):
    assert keep_freed_memory() is True
    monkeypatch.setenv("TRANSFERKIT_KEEP_FREED_MEMORY", "0")
    assert keep_freed_memory() is False
