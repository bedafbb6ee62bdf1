"""The breaking-change gate: can clients generated from the old spec, and code using them, keep working?

Four judges decide (the wire judge first, then the three others side by side), and the verdict is
the strictest (docs/compat.md):
- the wire (`judge.py`): requests that were valid under the old spec (schemathesis generates them,
  plus the spec's own examples) must still validate against the new spec's request schemas, and
  responses the new spec allows must still validate against the old spec's response schemas;
- oasdiff (`oasdiff.py`): the field's standard rule set, the checks an SDK team turns on as errors;
- the Python SDK (`sdk.py`): the client generated from each spec, public APIs compared by griffe;
- the TypeScript consumer (`sdk.py`): compiled against the types of each spec.

`changes.py` only names what changed (for the report and the changelog text); it never decides.
`scripts/compat` runs it: exit 0 compatible, 1 breaking, 2 could not run.
"""
