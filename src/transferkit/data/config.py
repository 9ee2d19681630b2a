"""How a data set is read and split."""

from __future__ import annotations

from dataclasses import dataclass

from transferkit.config import Config, option
from transferkit.errors import ConfigError


@dataclass
class DataConfig(Config):
    describe = "data option"

    val_split: str | None = option(
        None,
        "Folder or file (without extension) holding the validation split; by default one "
        "named val, valid, validation or dev. 'none' carves one from train instead.",
    )
    test_split: str | None = option(
        None,
        "Folder or file holding the test split, reported on but never used for model "
        "selection; by default one named test. E.g. --test-split val when val/ is your test set.",
    )
    val_fraction: float = option(
        0.2,
        "Share of train carved out (stratified, seeded) when there is no validation split.",
        min=0.05,
        max=0.5,
    )
    text_column: str | None = option(None, "Column holding the text (detected when unambiguous).")
    label_column: str | None = option(None, "Column holding the label (detected when unambiguous).")
    path_column: str | None = option(
        None,
        "Column of a table holding file paths (recordings or images), relative to the "
        "table's folder; detected when one column is named path, file, audio or image.",
    )
    group_column: str | None = option(
        None,
        "Column naming each example's group (speaker, patient, site): validation carved "
        "from train never shares a group with it.",
    )
    test_group: str | None = option(
        None,
        "Hold out every example of this group as the test split (needs --group-column).",
    )
    tasks: list[str] | None = option(  # noqa: RUF009 - a dataclass field with help text
        None,
        "Label columns learnt jointly by the multitask strategy (e.g. sentiment,topic); "
        "the first is the main label.",
    )
    label_names: list[str] | None = option(  # noqa: RUF009 - a dataclass field with help text
        None,
        "Rename labels, as OLD=NEW pairs (e.g. 0=negative,1=positive); a language model "
        "writes the new names.",
    )
    on_bad_input: str = option(
        "skip",
        "Unreadable files, empty texts, rows without a label: 'skip' lists them in the run "
        "summary, 'error' stops at the first.",
        choices=("skip", "error"),
    )
    max_train: int | None = option(
        None, "Train on a stratified, seeded sample of at most this many examples.", min=2
    )
    shots: int | None = option(None, "Train on this many examples per class (seeded).", min=1)
    max_val: int | None = option(None, "Cap on validation examples (stratified, seeded).", min=2)

    def renames(self) -> dict[str, str]:
        """``label_names`` as old name -> new name."""
        out: dict[str, str] = {}
        for pair in self.label_names or []:
            old, sep, new = pair.partition("=")
            if not sep or not old.strip() or not new.strip():
                raise ConfigError(
                    f"--label-names takes OLD=NEW pairs separated by commas; {pair!r} is not one "
                    "(e.g. 0=negative,1=positive)."
                )
            out[old.strip()] = new.strip()
        if len(set(out.values())) != len(out.values()):
            raise ConfigError("--label-names gives two labels the same new name; name each once.")
        return out

    def validate(self) -> None:
        self.renames()
        if self.tasks is not None and len(set(self.tasks)) != len(self.tasks):
            raise ConfigError(f"The tasks {', '.join(self.tasks)} repeat a column; name each once.")
        if self.max_train is not None and self.shots is not None:
            raise ConfigError("Give either max_train or shots, not both.")
        if self.test_group is not None and self.group_column is None:
            raise ConfigError(
                "--test-group names a group of the --group-column; give that column too."
            )
        if self.test_group is not None and self.test_split not in (None, "none"):
            raise ConfigError(
                "Give either --test-group or --test-split, not both: each says what the test "
                "split is."
            )
        if self.val_split and self.test_split and self.val_split == self.test_split:
            raise ConfigError(
                f"The validation and test splits are both {self.val_split!r}; the test split "
                "must stay out of model selection, so name two different splits."
            )
