"""Shared fixtures."""

import pytest

from graphs import make_mlp


@pytest.fixture
def mlp_graph():
    return make_mlp([8, 6, 4, 3])
