"""The superconductor: consumes the build stream, schedules, places instances in cells."""
