"""Fixtures of the placement functional tests: an app on the test MariaDB database."""

from __future__ import annotations

import flask.testing
import pytest
from oslo_config import cfg

from placement import conf as placement_conf
from placement.app import create_app
from placement.objects import claim, trait


@pytest.fixture
def placement_conf_for(placement_db: str) -> cfg.ConfigOpts:
    """A private configuration pointing at the test placement database."""
    conf = cfg.ConfigOpts()
    placement_conf.register_opts(conf)
    conf([], project="cellar")
    conf.set_override("connection", placement_db, group="placement_database")
    # The tables were emptied: standard traits must be synced again.
    trait._synced.discard(placement_db)
    return conf


@pytest.fixture
def client(placement_conf_for: cfg.ConfigOpts) -> flask.testing.FlaskClient:
    """A test client of the placement app."""
    return create_app(placement_conf_for).test_client()


@pytest.fixture
def checked_claims(monkeypatch) -> None:
    """Every claim takes the checked path: for tests of that path, which a new
    consumer's claim would otherwise skip once an earlier test of this process has
    loaded the provider index."""
    monkeypatch.setattr(claim, "_claimed_in_one_trip", lambda _url, _items: False)
