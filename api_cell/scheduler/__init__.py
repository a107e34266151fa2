"""The scheduler: a library the superconductor calls, in named stages.

Candidates come from placement; filters drop hosts with a recorded reason; weighers
order the rest; the claim in placement is the transaction, and a claim that loses a
race moves on to the next host.
"""
