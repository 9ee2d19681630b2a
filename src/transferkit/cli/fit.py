"""``transferkit fit``: its options are ``FitRun`` and ``DataConfig``; the chosen
strategy's own options are read from the rest of the command line (``--epochs 5``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from transferkit.cli.console import is_main, out, progress, starting
from transferkit.cli.options import config_options, given, plugin_command, plugin_options
from transferkit.data.config import DataConfig
from transferkit.errors import ConfigError
from transferkit.workflows.configs import FitRun


def read_run_file(path: str) -> dict[str, Any]:
    """A YAML run file of option names and values (``data:`` included)."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.constructor.ConstructorError as exc:
        line = f" (line {exc.problem_mark.line + 1})" if exc.problem_mark else ""
        raise ConfigError(
            f"Run file {path} holds a YAML tag{line} that a run file may not use; "
            "write plain option values."
        ) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"Cannot read run file {path} ({exc.__class__.__name__}); check it is UTF-8 YAML."
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"Run file {path} must be a mapping of option names to values.")
    return {str(k).replace("-", "_"): v for k, v in data.items()}


def strategy_fields(name: str) -> dict[str, Any]:
    from transferkit.strategies import STRATEGIES

    return {f.name: f for f in STRATEGIES.get(name).Config.fields()}


def one_positional(positional: list[str], what: str, run: dict[str, Any]) -> Any:
    if len(positional) > 1:
        raise ConfigError(
            f"Unexpected argument {positional[1]!r}; give one {what} (options start with --)."
        )
    if positional:  # the command line overrides the run file, as for every option
        run.pop("data", None)
        return positional[0]
    if "data" in run:
        return run.pop("data")
    raise ConfigError(f"No data given; pass {what} (a folder or table) or `data:` in the run file.")


@plugin_command("Strategy")
@config_options(FitRun, DataConfig)
@click.option(
    "--config",
    "run_file",
    metavar="FILE",
    help="YAML run file of any of these "
    "options (and the strategy's); options on the command line override it.",
)
def fit(args: tuple[str, ...], run_file: str | None, **values: Any) -> None:
    """Train a classifier on DATA from a pretrained backbone and save it with --out.

    DATA is a folder of class sub-folders of images (optionally inside train/, val/,
    test/), or a CSV, TSV or JSONL file of texts with a label column (or a folder of
    train/dev/test tables).
    """
    starting("fit")
    from transferkit.cli.output import print_fit_summary
    from transferkit.workflows.fit import fit as fit_workflow

    run = read_run_file(run_file) if run_file else {}
    options = {**run, **given(values, values)}
    if options.get("task") == "generate":
        return fit_generate_command(args, options)
    name = str(options.get("strategy") or FitRun().strategy)
    positional, strategy_options = plugin_options(
        args, strategy_fields(name), f"strategy {name!r}", f"transferkit strategies {name}"
    )
    data = one_positional(positional, "DATA", options)
    run_names = FitRun.field_names()
    checked = FitRun.from_dict({k: options.pop(k) for k in run_names if k in options})
    run_options = {k: v for k, v in checked.to_dict().items() if k != "task"}
    result = fit_workflow(data, progress=progress(), **run_options, **options, **strategy_options)
    if is_main():
        print_fit_summary(out, result)


#: the fit and data options ``--task generate`` reads; any other is refused by name
GENERATE_READS = (
    "model",
    "seed",
    "out",
    "overwrite",
    "text_column",
    "label_column",
    "val_fraction",
)


def fit_generate_command(args: tuple[str, ...], options: dict[str, Any]) -> None:
    """``fit --task generate``: the generation options (``TuneConfig``) are read from the
    rest of the line as a strategy's are."""
    from transferkit.cli.output import print_generate_summary
    from transferkit.generation.config import TuneConfig
    from transferkit.workflows.generate import fit_generate

    options.pop("task")
    fields = {f.name: f for f in TuneConfig.fields()}
    positional, tune_options = plugin_options(
        args, fields, "--task generate", "transferkit strategies generate"
    )
    data = one_positional(positional, "DATA", options)
    for name in list(options):
        if name in fields:  # from the run file
            tune_options[name] = options.pop(name)
    unused = sorted(set(options) - set(GENERATE_READS))
    if unused:
        flag = "--" + unused[0].replace("_", "-")
        raise ConfigError(
            f"{flag} does not apply to --task generate; leave it out (`transferkit strategies "
            "generate` lists the options that do)."
        )
    checked = {k: options[k] for k in GENERATE_READS if k in options}
    result = fit_generate(data, progress=progress(), **checked, **tune_options)
    if is_main():
        print_generate_summary(out, result)
