import toolkit


def test_every_public_name_resolves():
    for name in toolkit.__all__:
        assert getattr(toolkit, name) is not None, name


def test_unknown_name_is_an_attribute_error():
    import pytest

    with pytest.raises(AttributeError):
        toolkit.no_such_thing  # noqa: B018


def test_no_public_name_shadows_a_submodule():
    """`from toolkit import generate` must mean the same thing in every process."""
    import pkgutil

    submodules = {info.name for info in pkgutil.iter_modules(toolkit.__path__)}
    assert not submodules & set(toolkit.__all__)


def test_public_names_resolve_in_a_fresh_interpreter():
    """Lazy names resolved first (no earlier import of the submodule) still give the object."""
    import subprocess
    import sys

    code = ("import toolkit, inspect\n"
            "for name in toolkit.__all__:\n"
            "    assert not inspect.ismodule(getattr(toolkit, name)), name\n"
            "import toolkit.data.generate as g; assert hasattr(g, 'STAGES')\n")
    subprocess.run([sys.executable, "-c", code], check=True)
