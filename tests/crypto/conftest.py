"""Shared fixtures of the crypto tests."""

from __future__ import annotations

import pytest

from crypto import Keyring, configure_for_tests


@pytest.fixture(scope="session", autouse=True)
def _cheap_argon2() -> None:
    # Production parameters cost ~30 ms per hash; the suite hashes far too many codes for that.
    configure_for_tests()


@pytest.fixture(scope="module")
def keyring() -> Keyring:
    return Keyring.generate()
