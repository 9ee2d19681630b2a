"""Run the tutorials as notebooks, and render each executed one as Markdown.

Each tutorial is a jupytext percent-format script (``NN_name.py``): jupytext reads it as a
notebook, nbclient runs it top to bottom in a fresh Python kernel (an error in any cell
fails the run, and every tutorial asserts its headline figure against a floor), and
``--render`` writes the executed notebook as ``<name>.md`` with its figures as PNG files
beside it (``docs/tutorials/`` holds the copies the README links to).

    .venv/bin/python tutorials/execute.py                 # run them all
    .venv/bin/python tutorials/execute.py 02 --render docs/tutorials

Each runs in its own temporary working folder (what it saves goes there), with the data
root made absolute and the feature cache shared between tutorials, so that a frozen
backbone embeds a data set once for all of them.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: a cell may train for a while on a slow machine; a hung kernel still ends the run
CELL_TIMEOUT = 900


def tutorials(selected: list[str] | None = None) -> list[Path]:
    """The tutorial sources, in order; ``selected`` narrows them by name prefix."""
    found = sorted(p for p in HERE.glob("[0-9][0-9]_*.py"))
    if selected:
        found = [p for p in found if any(p.stem.startswith(s) for s in selected)]
    return found


def kernel_environment() -> dict[str, str]:
    """This process's environment for the kernel, with the data root made absolute (the
    kernel runs elsewhere), plots drawn inline and the ``transferkit`` command of this
    environment first on the path (for the ``!transferkit ...`` cells)."""
    env = dict(os.environ)
    root = env.get("TRANSFERKIT_DATA_ROOT") or HERE.parent / ".." / "shared" / "data"
    env["TRANSFERKIT_DATA_ROOT"] = str(Path(root).expanduser().resolve())
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def execute(path: Path, workdir: Path) -> tuple[object, float]:
    """The executed notebook of one tutorial and its wall time in seconds."""
    import jupytext
    from nbclient import NotebookClient

    notebook = jupytext.read(path)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
    )
    start = time.perf_counter()
    client.execute(env=kernel_environment())
    return notebook, time.perf_counter() - start


def render(notebook: object, name: str, out: Path, seconds: float) -> Path:
    """Markdown of an executed notebook: its text, its code, what the code printed and
    its figures (``<name>/figure-N.png``)."""
    figures = out / name
    figures.mkdir(parents=True, exist_ok=True)
    for old in figures.glob("figure-*.png"):
        old.unlink()
    parts = [
        f"<!-- rendered from tutorials/{name}.py by tutorials/execute.py; executed in "
        f"{seconds:.0f} s -->\n"
    ]
    count = 0
    for cell in notebook.cells:  # type: ignore[attr-defined]
        if cell.cell_type == "markdown":
            parts.append(cell.source + "\n")
            continue
        parts.append(f"```python\n{cell.source}\n```\n")
        for output in merged_streams(cell.get("outputs", [])):
            text, image = output_text(output), output.get("data", {}).get("image/png")
            if image:
                count += 1
                file = figures / f"figure-{count}.png"
                file.write_bytes(base64.b64decode(image))
                parts.append(f"![figure {count}]({name}/{file.name})\n")
            elif text.strip() and not is_noise(text):
                parts.append(f"```text\n{text.rstrip()}\n```\n")
    page = out / f"{name}.md"
    page.write_text("\n".join(parts))
    return page


def merged_streams(outputs: list[dict]) -> list[dict]:
    """Consecutive pieces of one stream as one output (a command's output arrives in
    many small pieces)."""
    merged: list[dict] = []
    for output in outputs:
        last = merged[-1] if merged else None
        stream = output.get("output_type") == "stream"
        if stream and last and last.get("name") == output.get("name") and "text" in last:
            last["text"] += output.get("text", "")
        else:
            merged.append(dict(output))
    return merged


#: warnings libraries print in any notebook: tqdm without ipywidgets, UMAP's seed note
NOISE = ("TqdmWarning", "overridden to 1 by setting random_state")


def is_noise(text: str) -> bool:
    return any(n in text for n in NOISE) and len(text.splitlines()) <= 2


def output_text(output: dict) -> str:
    """What a code cell printed or returned, as a terminal would show it at the end:
    colour and cursor codes removed, each line as its last carriage return left it."""
    if output.get("output_type") == "stream":
        text = output.get("text", "")
    elif "data" in output:
        text = output["data"].get("text/plain", "")
    else:
        text = "\n".join(output.get("traceback", []))
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text.replace("\r\n", "\n"))
    lines = [line.split("\r")[-1] for line in text.split("\n")]
    return "\n".join(line for line in lines if line.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="name prefixes, e.g. 01 02 (default: all)")
    parser.add_argument("--render", type=Path, help="write <name>.md and figures here")
    args = parser.parse_args()
    paths = tutorials(args.names)
    if not paths:
        print(f"No tutorial matches {' '.join(args.names)!r}; see {HERE}.", file=sys.stderr)
        return 2
    for path in paths:
        with tempfile.TemporaryDirectory() as work:
            notebook, seconds = execute(path, Path(work))
        where = render(notebook, path.stem, args.render, seconds) if args.render else ""
        print(f"{path.stem}: {seconds:.0f} s {where}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
