"""Fixtures for the attack tests."""

from __future__ import annotations

import pytest
from flask import Flask


@pytest.fixture
def app_behind_proxy(app: Flask) -> Flask:
    """The same portal, deployed behind one trusted reverse proxy."""
    from partner_portal import register_proxy

    app.config["TRUSTED_PROXY_COUNT"] = 1
    register_proxy(app)
    return app
