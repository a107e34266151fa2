"""Root disks of real guests: a qcow2 overlay of each guest on its cached image.

The agent's image cache keeps one file per image, shared by every guest of the host
booted from it, and nothing may write to it. Each guest writes to a disk of its own,
a qcow2 file whose backing file is the cached image; it lives as long as the guest
(power off and on keep its writes, as on any cloud) and is removed with it.
libvirt's ``<transient/>`` disks would need no file of ours, but QEMU refuses to
save the memory of a guest that has one, and suspend is such a save.
"""

from __future__ import annotations

import os
import pathlib
import subprocess

from compute_agent.virt import driver


class OverlayDisks:
    """Overlay files under one directory, one per instance, made with ``qemu-img``."""

    def __init__(self, directory: str, qemu_img: str = "qemu-img") -> None:
        self.directory = pathlib.Path(directory)
        self.qemu_img = qemu_img

    def path(self, instance_uuid: str) -> pathlib.Path:
        """Where the instance's root disk is (whether or not it exists yet)."""
        return self.directory / f"{instance_uuid}.qcow2"

    def create(self, instance_uuid: str, base: str, base_format: str) -> pathlib.Path:
        """The instance's overlay on ``base``; made once (a redelivered spawn keeps the
        disk it has). DriverError if ``qemu-img`` fails."""
        target = self.path(instance_uuid)
        if target.exists():
            return target
        self.directory.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".partial-{os.getpid()}")
        command = [self.qemu_img, "create", "-q", "-f", "qcow2", "-F", base_format,
                   "-b", str(pathlib.Path(base).resolve()), str(partial)]
        try:
            subprocess.run(command, check=True, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as error:
            partial.unlink(missing_ok=True)
            detail = getattr(error, "stderr", None) or str(error)
            raise driver.DriverError(
                f"cannot make the root disk of instance {instance_uuid}: {detail.strip()}"
            ) from error
        # Whole or absent: a spawn that died half way leaves no disk to boot from.
        partial.replace(target)
        return target

    def remove(self, instance_uuid: str) -> None:
        """Delete the instance's overlay, if it has one."""
        self.path(instance_uuid).unlink(missing_ok=True)
