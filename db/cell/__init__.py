"""A cell database (one per cell, cell0 included), and the one place that reads and writes it."""
