"""The interop matrix (`make interop`): does every popular generator read the spec correctly?

For each target (targets.py) a client is generated, built where its toolchain is present and driven
by a small program in sdk_consumers/interop/<target>/ that decodes every response example the spec
declares (cases.py), offline and through the Prism mock; reports/interop.md records the outcome.
"""
