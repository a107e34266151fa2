"""Service versions the conductor exchanges with agents, and what each version can do.

An agent sends its ``service_version`` on registration (stored on its service row).
The conductor never asks an agent for an operation newer than that version, so a
rolling upgrade can update conductors first and agents one by one after.
"""

# Version of this conductor's Conductor API, sent back on registration.
CONDUCTOR_VERSION = 1

# The oldest agent this conductor accepts at all.
MIN_AGENT_VERSION = 1

# The agent version that introduced each ComputeAgent operation.
OPERATION_VERSIONS = {
    "Spawn": 1,
    "Destroy": 1,
    "PowerOn": 1,
    "PowerOff": 1,
    "Reboot": 1,
    "GetPowerStates": 1,
    "Pause": 2,
    "Unpause": 2,
    "Suspend": 2,
    "Resume": 2,
    "GetConsoleOutput": 2,
}
