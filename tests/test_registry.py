import pytest

from transferkit.errors import UnknownNameError
from transferkit.registry import Registry


def test_register_get_list_and_glob():
    reg: Registry[int] = Registry("thing", list_command="tk things")
    reg.register("vit_small")(1)
    reg.register("vit_base")(2)
    reg.register("resnet")(3)
    assert reg.get("vit_base") == 2
    assert reg.names("vit_*") == ["vit_base", "vit_small"]
    with pytest.raises(ValueError):
        reg.register("resnet")(4)


def test_unknown_name_suggests_close_matches():
    reg: Registry[int] = Registry("thing", list_command="tk things")
    reg.register("mobilenet_v2")(1)
    with pytest.raises(UnknownNameError) as info:
        reg.get("mobilenet-v2")
    message = str(info.value)
    assert "Did you mean 'mobilenet_v2'?" in message and "tk things" in message
