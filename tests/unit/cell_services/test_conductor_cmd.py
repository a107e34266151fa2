"""cellar-conductor: configuration to settings, and refusing to start half-configured."""

import subprocess
import sys

from oslo_config import cfg

from cell_services import cmd
from cell_services import conf as conductor_conf


def _conf(tmp_path, text: str, *argv: str) -> cfg.ConfigOpts:
    path = tmp_path / "cellar.conf"
    path.write_text(text)
    conf = cfg.ConfigOpts()
    conductor_conf.register_opts(conf)
    conf.register_cli_opts(cmd.cli_opts)
    conf(["--config-file", str(path), *argv], project="cellar")
    return conf


def test_settings_from_configuration(tmp_path):
    conf = _conf(tmp_path, """
[DEFAULT]
host = ctl-1
[api_database]
connection = mysql+pymysql://u:p@db/api
[redis]
url = redis://r:6379/1
key_prefix = pre
[conductor]
cell = from-file
grpc_host = 0.0.0.0
grpc_port = 7000
heartbeat_interval = 5
workers = 3
agent_timeout = 30
task_reclaim_idle = 60
""", "--cell", "from-cli")
    settings = cmd.settings_from(conf)
    assert (settings.cell, settings.api_url, settings.redis_url, settings.key_prefix,
            settings.host, settings.grpc_host, settings.grpc_port) == (
        "from-cli", "mysql+pymysql://u:p@db/api", "redis://r:6379/1", "pre", "ctl-1",
        "0.0.0.0", 7000)
    assert (settings.heartbeat_interval, settings.workers, settings.agent_timeout,
            settings.task_reclaim_idle, settings.tls) == (5.0, 3, 30.0, 60.0, None)


def test_cell_from_file_when_not_on_command_line(tmp_path):
    conf = _conf(tmp_path, "[conductor]\ncell = from-file\n")
    assert cmd.settings_from(conf).cell == "from-file"


def test_tls_files_from_configuration(tmp_path):
    conf = _conf(tmp_path, "[conductor]\ntls_cert_file = c\ntls_key_file = k\n"
                           "tls_ca_file = a\n")
    tls = cmd.settings_from(conf).tls
    assert (tls.cert_file, tls.key_file, tls.ca_file) == ("c", "k", "a")


def test_main_refuses_to_start_without_a_cell(tmp_path):
    (tmp_path / "empty.conf").write_text("")
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from cell_services.cmd import main; "
         "sys.exit(main(sys.argv[1:]))", "--config-file", str(tmp_path / "empty.conf")],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "--cell" in result.stderr
