"""Embedded data: the demo tenant snapshot and its waivers."""
