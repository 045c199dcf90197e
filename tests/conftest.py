"""Shared fixtures. The real data must be there: a missing dataset fails the run, never skips it."""
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="session")
def mtfl_root() -> str:
    """The real MTFL/CUHK folder, found as the CLIs find it: `$FLD_DATA/mtfl`, else the user cache
    (downloaded there when absent, as training does)."""
    from fld_tf.data.download import resolve_root
    from fld_tf.data.sample import DataError

    try:
        return resolve_root("mtfl")
    except DataError as e:
        pytest.fail(f"real MTFL data not found: {e} (set FLD_DATA to the folder holding mtfl/)")


@pytest.fixture(scope="session")
def helen_root() -> str:
    """The real HELEN 68-point folder (`trainset/`, `testset/`), found as the CLIs find a dataset
    folder: `$FLD_DATA/helen68`, else the user cache (it cannot be downloaded)."""
    from fld_tf.data.download import default_root

    root = default_root("helen68")
    if not os.path.isdir(os.path.join(root, "testset")):
        pytest.fail(f"real HELEN data not found at {root} (set FLD_DATA to the folder holding helen68/)")
    return root




@pytest.fixture(scope="session")
def aflw_head(mtfl_root, tmp_path_factory):
    """`aflw_head(n)`: a list file of the first `n` faces of MTFL's AFLW test list (`testing.txt`)."""
    def head(count: int) -> str:
        with open(os.path.join(mtfl_root, "testing.txt"), encoding="utf-8") as f:
            lines = [line for line in f if line.strip()][:count]
        path = tmp_path_factory.mktemp("aflw") / f"aflw{count}.txt"
        path.write_text("".join(lines))
        return str(path)
    return head

# `pytest` runs on every core (pyproject's addopts: `-n auto`), in units of work: a module's tests stay
# on one worker so its module fixtures are built once, the modules sharing the session's tiny exported
# model share one, and the heaviest independent tests are spread one by one. (A scheduler, not
# `xdist_group` marks: `--dist loadgroup` stopped grouping under pytest 9.2, pytest-xdist#1386.)
SHARED_WORKER = {"test_export.py": "tiny_export", "test_parity.py": "tiny_export", "test_golden.py": "tiny_export"}
SPREAD = ("test_distribute.py", "test_own_data.py")


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class ModuleScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            module = nodeid.split("::", 1)[0].rpartition("/")[2]
            return nodeid if module in SPREAD else SHARED_WORKER.get(module, module)

    return ModuleScheduling(config, log)
