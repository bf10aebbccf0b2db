"""Settings for every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher, profiles

from server import security


@pytest.fixture(autouse=True)
def cheap_password_hashing(request: pytest.FixtureRequest) -> Iterator[None]:
    """Passwords hashed with argon2id's cheapest parameters (argon2-cffi's profile meant for
    tests): the real algorithm and checks, without 0.1-0.2 s of CPU per hash and sign-in.
    A test marked real_password_cost keeps the production parameters (the sign-in burst,
    whose point is how the server behaves while argon2 is slow)."""
    if request.node.get_closest_marker("real_password_cost"):
        yield
        return
    production = security._hasher
    security._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    try:
        yield
    finally:
        security._hasher = production
