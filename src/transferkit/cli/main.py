"""``transferkit`` on the command line: a thin layer over the workflows, its options
generated from their configs (``cli/options.py``).

A user error prints one sentence and exits with status 2; ``--debug`` (anywhere on the
command line) shows the traceback instead.
"""

from __future__ import annotations

import os
import sys
import warnings

import click

from transferkit.cli.catalog import models, scores, strategies
from transferkit.cli.console import err, escape
from transferkit.cli.export import export
from transferkit.cli.fit import fit
from transferkit.cli.generate import generate
from transferkit.cli.rank import rank_command
from transferkit.cli.serve import serve
from transferkit.cli.studies import adapt, compare, explore
from transferkit.cli.use import evaluate, predict
from transferkit.errors import TransferkitError
from transferkit.runtime import keep_freed_memory


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="transferkit")
def cli() -> None:
    """Adapt a pretrained model to your labelled data, and find out whether it worked.

    Add --debug anywhere to see a traceback when something goes wrong.
    """


for command in (
    fit,
    predict,
    evaluate,
    generate,
    models,
    strategies,
    scores,
    rank_command,
    compare,
    explore,
    adapt,
    export,
    serve,
):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    if not debug:
        warnings.filterwarnings("ignore")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    keep_freed_memory()
    try:
        cli.main(args=args, prog_name="transferkit", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        err.print("Interrupted; nothing was saved.")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except TransferkitError as exc:
        if debug:
            raise
        # soft wrap: the terminal folds a long line, and a path stays one piece to copy
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
