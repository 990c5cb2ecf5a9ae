"""python -m hilkit: the command line (the umockdev lab re-runs itself this way)."""
import sys

from hilkit.cli.main import main

sys.exit(main())
