"""cellar-placement's gunicorn settings and its index-loading hook."""

from __future__ import annotations

import logging

from oslo_config import cfg

from db import migrate
from placement import cmd
from placement import conf as placement_conf
from placement.objects import provider_index


def _conf(url: str) -> cfg.ConfigOpts:
    conf = cfg.ConfigOpts()
    placement_conf.register_opts(conf)
    conf([], project="cellar")
    conf.set_override("connection", url, group="placement_database")
    return conf


def test_workers_keep_connections_alive_with_one_thread_each(tmp_path) -> None:
    options = cmd.gunicorn_options(_conf(f"sqlite:///{tmp_path}/p.db"))
    assert (options["worker_class"], options["threads"]) == ("gthread", 1)
    assert options["keepalive"] > 0 and callable(options["post_worker_init"])


def test_a_worker_loads_its_index_before_serving(tmp_path) -> None:
    url = f"sqlite:///{tmp_path}/p.db"
    migrate.upgrade("placement", url)
    cmd.gunicorn_options(_conf(url))["post_worker_init"](None)
    assert provider_index.for_url(url).loaded


def test_a_worker_whose_database_fails_still_starts(tmp_path, caplog) -> None:
    url = f"sqlite:///{tmp_path}/missing/p.db"       # cannot be opened
    with caplog.at_level(logging.WARNING):
        cmd.gunicorn_options(_conf(url))["post_worker_init"](None)
    assert not provider_index.for_url(url).loaded
    assert "could not load the provider index" in caplog.text
