"""The snapshot tests import the small log maker beside them."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
