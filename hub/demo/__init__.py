"""The demo (`hub demo`): the hub end to end on the embedded default, with stand-in stores and a fleet.

The only room that may import from everywhere; nothing imports it but the CLI and the tests.
"""
