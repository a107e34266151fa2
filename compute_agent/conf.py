"""Options of the compute agent (``[compute]``)."""

from __future__ import annotations

from oslo_config import cfg

from common import config as common_config

compute_opts = [
    cfg.StrOpt("conductor_address",
               help="host:port of the cell conductor's gRPC server this agent registers "
                    "with. Required."),
    cfg.HostAddressOpt("grpc_host", default="127.0.0.1",
                       help="Address the agent's gRPC server listens on. When it is a "
                            "wildcard (0.0.0.0 or ::) the agent advertises [DEFAULT] host "
                            "to the conductor instead."),
    cfg.PortOpt("grpc_port", default=0,
                help="Port of the agent's gRPC server; 0 picks a free port."),
    cfg.StrOpt("libvirt_uri", default="test:///default",
               help="libvirt connection URI; test:///default is libvirt's in-process test "
                    "hypervisor, qemu:///system boots real guests."),
    cfg.StrOpt("virt_type", default="auto", choices=("auto", "kvm", "qemu"),
               help="How QEMU runs guests on a qemu:// connection: kvm (hardware "
                    "acceleration), qemu (TCG emulation, slow but needs no /dev/kvm), or "
                    "auto: kvm when the host has /dev/kvm. Set qemu where /dev/kvm exists "
                    "but QEMU's user may not open it (guests then fail to start with "
                    "'Could not access KVM kernel module')."),
    cfg.StrOpt("storage_pool",
               help="libvirt storage pool whose capacity is the host's disk (DISK_GB); "
                    "unset means the first active pool. Ignored when local_gb is set."),
    cfg.IntOpt("local_gb", default=0, min=0,
               help="Disk (GiB) the host offers for instances; 0 means the capacity of "
                    "the libvirt storage pool."),
    cfg.FloatOpt("cpu_allocation_ratio", default=16.0, min=0.0,
                 help="Virtual CPUs placement may allocate per physical CPU."),
    cfg.FloatOpt("ram_allocation_ratio", default=1.5, min=0.0,
                 help="Guest memory placement may allocate per MiB of host memory."),
    cfg.FloatOpt("disk_allocation_ratio", default=1.0, min=0.0,
                 help="Guest disk placement may allocate per GiB of host disk."),
    cfg.IntOpt("reserved_host_cpus", default=0, min=0,
               help="Physical CPUs kept for the host itself (VCPU reserved)."),
    cfg.IntOpt("reserved_host_memory_mb", default=512, min=0,
               help="Memory (MiB) kept for the host itself (MEMORY_MB reserved)."),
    cfg.IntOpt("reserved_host_disk_mb", default=0, min=0,
               help="Disk (MiB) kept for the host itself; rounded up to whole GiB of "
                    "DISK_GB reserved."),
    cfg.FloatOpt("resource_audit_interval", default=60.0, min=1.0,
                 help="Seconds between re-reports of inventory to placement and of "
                      "power states to the conductor."),
    cfg.FloatOpt("rpc_timeout", default=10.0, min=0.1,
                 help="Seconds before a call to the conductor gives up."),
    cfg.FloatOpt("shutdown_timeout", default=60.0, min=0.0,
                 help="Seconds a guest gets to shut down cleanly on PowerOff before it "
                      "is powered off hard."),
    cfg.StrOpt("image_endpoint",
               help="Base URL of the image service (cellar-image, e.g. "
                    "http://127.0.0.1:9292) the agent fetches the images it boots from. "
                    "Unset: the agent fetches nothing and boots guests without a disk."),
    cfg.StrOpt("image_cache_dir", default="$state_path/image-cache",
               help="Directory where the agent keeps the images it fetched, one file per "
                    "image, so each is downloaded once per host."),
    cfg.StrOpt("instances_dir", default="$state_path/instances",
               help="Directory of the guests' root disks on qemu:// connections: one "
                    "qcow2 overlay per guest on its cached image, removed with the guest. "
                    "QEMU's user must be able to read and write it."),
    cfg.StrOpt("image_token", default="admin", secret=True,
               help="Token the agent sends to the image service. With noauth2, 'admin' "
                    "is an administrator and may read every image."),
    cfg.FloatOpt("image_timeout", default=60.0, min=0.1,
                 help="Seconds an image download may wait for the image service to "
                      "connect or send the next bytes before the spawn fails."),
] + common_config.grpc_tls_opts("agent", "the conductor")


def register_opts(conf: cfg.ConfigOpts) -> None:
    """Register the agent's options (and the shared ones) on ``conf``."""
    if conf is not common_config.CONF:
        common_config.register_opts(conf)
    conf.register_opts(compute_opts, group="compute")


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """Options for oslo-config-generator."""
    return [("compute", compute_opts)]


register_opts(common_config.CONF)
