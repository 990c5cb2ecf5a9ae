"""JSON schemas of device profiles and rig files."""
