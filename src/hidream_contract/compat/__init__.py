"""The breaking-change gate: is the working spec still a contract the existing clients can keep?

Two engines decide, as a consumer experiences the change (`judge.py`):
- requests that were valid under the old spec (schemathesis generates them from it, plus the
  spec's own examples) must still validate against the new spec's request schemas;
- responses the new spec allows (schemathesis generates them from the new response schemas,
  plus the examples) must still validate against the old spec's response schemas.

`changes.py` only names what changed (for the report and the changelog text); it never decides.
`scripts/compat` runs it: exit 0 compatible, 1 breaking, 2 could not run.
"""
