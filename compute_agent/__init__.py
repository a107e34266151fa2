"""The per-host compute agent (``cellar-compute``).

It serves ``cellar.compute.v1.ComputeAgent`` to its cell conductor, drives the local
hypervisor through a virt driver, registers and heartbeats with the conductor, and
reports the host's inventory to placement. It never opens a database.
"""
