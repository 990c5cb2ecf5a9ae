"""hilkit: hardware-in-the-loop tests for USB cellular modems."""
__version__ = "0.1.0"
