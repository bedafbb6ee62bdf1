"""The contract tooling: the spec's facts, the mock contract run, the live drift check, the compat gate.

A development package (never in the client's wheel). It may import the client (`hidream`); the
client never imports it, and no package imports a test folder (import-linter checks both in make lint).
"""
