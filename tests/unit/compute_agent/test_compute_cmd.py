"""cellar-compute refuses to start without the address of its conductor."""

import subprocess
import sys


def test_main_requires_conductor_address(tmp_path):
    (tmp_path / "empty.conf").write_text("")
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from compute_agent.cmd import main; "
         "sys.exit(main(sys.argv[1:]))", "--config-file", str(tmp_path / "empty.conf"),
         "--host", "h1"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "conductor_address is required" in result.stderr


def test_main_rejects_partial_tls_options(tmp_path):
    (tmp_path / "tls.conf").write_text(
        "[compute]\nconductor_address = 127.0.0.1:1\ntls_cert_file = c.pem\n")
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from compute_agent.cmd import main; "
         "sys.exit(main(sys.argv[1:]))", "--config-file", str(tmp_path / "tls.conf"),
         "--host", "h1"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "mutual TLS needs" in result.stderr


def test_several_hosts_refuse_a_shared_hypervisor(tmp_path):
    (tmp_path / "c.conf").write_text(
        "[compute]\nconductor_address = 127.0.0.1:1\nlibvirt_uri = test:///default\n")
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from compute_agent.cmd import main; "
         "sys.exit(main(sys.argv[1:]))", "--config-file", str(tmp_path / "c.conf"),
         "--host", "h1", "--host", "h2"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "shared by the whole process" in result.stderr
