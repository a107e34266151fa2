"""Virt drivers: how the agent drives a hypervisor."""
