"""The live contract check: the spec against the real HiDream service (or a stand-in), safely and cheaply.

`python -m hidream_contract.live` (what scripts/contract-live runs). Exit status: 0 the service matches
the spec, 1 drift found, 2 the check could not run. See docs/live-check.md.
"""
