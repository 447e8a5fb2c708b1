"""The fuzzers share the regression corpus's builders (tests/hostile.py), one directory up."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
