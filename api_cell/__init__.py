"""The global tier: tenant API, superconductor, scheduler, cell routing, operator CLI."""
