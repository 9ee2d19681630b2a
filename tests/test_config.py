import re
from dataclasses import dataclass

import pytest

from transferkit.config import Config, option
from transferkit.errors import ConfigError


@dataclass
class Demo(Config):
    describe = "demo option"
    epochs: int = option(3, "epochs", min=1)
    lr: float | None = option(None, "rate", min=0)
    mode: str = option("a", "mode", choices=("a", "b"))
    flag: bool = option(True, "flag")
    sizes: tuple[int, ...] = option((4, 16), "sizes")


def test_defaults_and_round_trip_through_json_types():
    cfg = Demo(epochs=5, lr=0.1, mode="b", flag=False, sizes=(1, 2))
    assert Demo.from_dict(cfg.to_dict()) == cfg
    assert cfg.to_dict()["sizes"] == [1, 2]


def test_strings_from_the_command_line_are_converted():
    cfg = Demo.from_dict({"epochs": "7", "lr": "1e-3", "flag": "no", "sizes": "4,8"})
    assert (cfg.epochs, cfg.lr, cfg.flag, cfg.sizes) == (7, 1e-3, False, (4, 8))


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"epochs": 0}, "--epochs (demo option) must be at least 1"),
        ({"mode": "c"}, "must be one of a, b"),
        ({"epochs": "many"}, "--epochs (demo option) must be a whole number"),
        ({"lr": -1.0}, "--lr (demo option) must be at least 0"),
        ({"epoch": 3}, "Unknown demo option 'epoch'. Did you mean 'epochs'?"),
    ],
)
def test_invalid_values_are_one_clear_sentence(values, fragment):
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        Demo.from_dict(values)


def test_fields_carry_help_for_the_cli():
    info = {f.name: f for f in Demo.fields()}
    assert info["epochs"].help == "epochs" and info["mode"].choices == ("a", "b")
