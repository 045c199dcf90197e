"""Shared fixtures. The real data must be there: a missing dataset fails the run, never skips it."""
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="session")
def mtfl_root() -> str:
    """The real MTFL/CUHK folder: `$FLD_DATA/mtfl`, default `<repo>/../shared/data/mtfl`."""
    base = os.environ.get("FLD_DATA", os.path.join(REPO, "..", "shared", "data"))
    root = os.path.normpath(os.path.join(base, "mtfl"))
    if not os.path.isfile(os.path.join(root, "training.txt")):
        pytest.fail(f"real MTFL data not found at {root} (set FLD_DATA to the folder holding mtfl/)")
    return root


@pytest.fixture(scope="session")
def helen_root() -> str:
    """The real HELEN 68-point folder (`trainset/`, `testset/`): `$FLD_DATA/helen68`."""
    base = os.environ.get("FLD_DATA", os.path.join(REPO, "..", "shared", "data"))
    root = os.path.normpath(os.path.join(base, "helen68"))
    if not os.path.isdir(os.path.join(root, "testset")):
        pytest.fail(f"real HELEN data not found at {root} (set FLD_DATA to the folder holding helen68/)")
    return root
