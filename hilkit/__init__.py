"""hilkit: hardware-in-the-loop tests for USB cellular modems.

What a test writes besides fixtures: ``hilkit.measure(name, value, unit, low=, high=)``.
"""
from hilkit.core.measurement import MeasurementOutOfLimits, measure

__version__ = "0.1.0"
__all__ = ["MeasurementOutOfLimits", "measure", "__version__"]
