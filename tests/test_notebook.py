"""docs/notebooks/ports.ipynb on a real Jupyter kernel: restarts keep a port, reload() moves it."""

import json
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import stableport

from .util import output_of

# Real processes: left out of the quick inner loop, pytest -m "not slow".
pytestmark = pytest.mark.slow

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "notebooks" / "ports.ipynb"
KERNEL = "stableport-test"

# As in docs/notebooks.md: env = "dev" gives dashboard a port the built-in
# defaults do not, so a kernel that missed the file could not pass.
PROJECT = 'services = ["dashboard", "api", "worker"]\nenv = "dev"\n'


@pytest.fixture
def jupyter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A kernel spec for this very interpreter, ahead of any the user has installed."""
    data = tmp_path / "jupyter"
    spec = data / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "stableport tests", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel))
    monkeypatch.setenv("JUPYTER_PATH", str(data))
    # Connection files and IPython's profile (history database) stay out of $HOME.
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    # Jupyter's current path layout, without jupyter_core's migration warning.
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    return data


@pytest.fixture
def project(tmp_path: Path) -> Path:
    directory = tmp_path / "project"
    directory.mkdir()
    (directory / "stableport.toml").write_text(PROJECT)
    shutil.copy(NOTEBOOK, directory / NOTEBOOK.name)
    return directory


def printed(cell: nbformat.NotebookNode) -> str:
    """What a code cell printed to stdout."""
    return "".join(
        output["text"]
        for output in cell["outputs"]
        if output["output_type"] == "stream" and output["name"] == "stdout"
    )


def read(path: Path) -> nbformat.NotebookNode:
    notebook: nbformat.NotebookNode = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    return notebook


def client_for(notebook: nbformat.NotebookNode, directory: Path) -> NotebookClient:
    """A client whose fresh kernel runs in directory, as Jupyter runs a notebook in its own."""
    return NotebookClient(
        notebook, kernel_name=KERNEL, timeout=60, resources={"metadata": {"path": str(directory)}}
    )


def run_notebook(path: Path) -> list[str]:
    """Execute the notebook in a fresh kernel; what each code cell printed."""
    notebook = read(path)
    client_for(notebook, path.parent).execute()
    return [printed(cell) for cell in notebook.cells if cell["cell_type"] == "code"]


@pytest.mark.usefixtures("jupyter")
def test_two_fresh_kernels_print_the_port_the_cli_prints(project: Path) -> None:
    first = run_notebook(project / NOTEBOOK.name)
    second = run_notebook(project / NOTEBOOK.name)
    expected = output_of("dashboard", cwd=project)
    assert first == second == [expected, expected]
    assert expected.strip().isdigit()
    assert expected != f"{stableport.PortMap().port_for('dashboard')}\n"


@pytest.mark.usefixtures("jupyter")
def test_reload_picks_up_an_edited_config_in_the_same_kernel(project: Path) -> None:
    notebook = read(project / NOTEBOOK.name)
    lookup, reload = (cell for cell in notebook.cells if cell["cell_type"] == "code")
    where = nbformat.v4.new_code_cell("import sys; print(sys.executable)")  # type: ignore[no-untyped-call]
    before = output_of("dashboard", cwd=project)
    client = client_for(notebook, project)
    with client.setup_kernel():
        client.execute_cell(where, 0)
        client.execute_cell(lookup, 1)
        assert printed(lookup) == before
        # Edited next to the notebook, as in an editor: a pin for the dashboard.
        (project / "stableport.toml").write_text(PROJECT + "[pins]\ndashboard = 8050\n")
        client.execute_cell(lookup, 1)
        assert printed(lookup) == before  # the loaded map is kept until reload()
        client.execute_cell(reload, 3)
        assert printed(reload) == "8050\n" == output_of("dashboard", cwd=project)
    # The kernel ran this very interpreter, the one the CLI came with.
    assert Path(printed(where).strip()) == Path(sys.executable)
