"""python -m hilkit: the command line (the umockdev lab re-runs itself this way)."""
import sys

from .cli import main

sys.exit(main())
