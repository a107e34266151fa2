"""The per-cell tier: the cell conductor (``cellar-conductor --cell NAME``).

It serves ``cellar.conductor.v1.Conductor`` to the compute agents of its cell
(registration, heartbeats, power-state reports) and consumes the cell's task stream,
driving the agents over ``cellar.compute.v1.ComputeAgent``.
"""
