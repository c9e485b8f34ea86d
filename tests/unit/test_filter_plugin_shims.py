"""The shims: documented, and harmless when Ansible scans the package as plugin files."""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible.parsing.plugin_docs import read_docstring

from labforge_filters.errors import LabforgeFilterError, a_kind, ansible_filter_map, for_ansible, got, kind, show

FILTER_PLUGINS = Path(__file__).resolve().parents[2] / "filter_plugins"
SHIMS = sorted(FILTER_PLUGINS.glob("*.py"))
PACKAGE_MODULES = sorted(p for p in (FILTER_PLUGINS / "labforge_filters").glob("*.py") if p.name != "__init__.py")
REQUIRED_DOC_KEYS = {"name", "short_description", "description", "options", "author", "version_added"}


def load_file(path: Path, module_name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[module_name]
    return module


def text_of(node: Any) -> str:
    if isinstance(node, list):
        return "\n".join(text_of(item) for item in node)
    return str(node or "")


def test_there_are_shims_and_package_modules() -> None:
    assert {p.name for p in SHIMS} >= {
        "labforge_daemon_config.py",
        "labforge_image_ref.py",
        "labforge_password.py",
        "labforge_port_plan.py",
        "labforge_sizes.py",
        "labforge_systemd.py",
        "labforge_virt.py",
    }
    assert len(PACKAGE_MODULES) >= 8


@pytest.mark.parametrize("path", SHIMS, ids=lambda p: p.name)
def test_shim_documents_every_filter(path: Path) -> None:
    module = load_file(path, f"labforge_doc_check_{path.stem}")
    for attribute in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
        value = getattr(module, attribute, None)
        assert isinstance(value, str) and value.strip(), f"{path.name} lacks {attribute}"
    doc = yaml.safe_load(module.DOCUMENTATION)
    examples = yaml.safe_load(module.EXAMPLES)
    returns = yaml.safe_load(module.RETURN)
    assert (
        isinstance(doc, dict) and doc.keys() >= REQUIRED_DOC_KEYS
    ), f"{path.name}: DOCUMENTATION needs {REQUIRED_DOC_KEYS}"
    assert isinstance(examples, list) and examples, f"{path.name}: EXAMPLES must be a list of tasks"
    assert isinstance(returns, dict) and returns.get("_value", {}).get(
        "description"
    ), f"{path.name}: RETURN needs _value"
    options = doc["options"]
    assert "_input" in options

    filters = module.FilterModule().filters()
    assert filters, f"{path.name}: FilterModule.filters() is empty"
    assert doc["name"] in filters
    description, returned = text_of(doc["description"]), text_of(returns["_value"]["description"])
    for name, func in filters.items():
        assert f"C({name})" in description, f"{path.name}: DOCUMENTATION.description does not describe {name}"
        assert f"C({name})" in returned, f"{path.name}: RETURN._value does not describe {name}"
        assert re.search(rf"\|\s*{name}\b", module.EXAMPLES), f"{path.name}: EXAMPLES never use {name}"
        for parameter in list(inspect.signature(func).parameters)[1:]:
            assert parameter in options, f"{path.name}: argument {parameter!r} of {name} is not in options"
            if len(filters) > 1:
                assert f"C({name})" in text_of(
                    options[parameter]["description"]
                ), f"{path.name}: option {parameter!r} does not say it belongs to {name}"


@pytest.mark.parametrize("path", SHIMS, ids=lambda p: p.name)
def test_ansible_reads_the_shim_documentation(path: Path) -> None:
    data = read_docstring(str(path))
    assert data["doc"] and data["plainexamples"] and data["returndocs"]


@pytest.mark.parametrize("path", PACKAGE_MODULES, ids=lambda p: p.name)
def test_package_module_loads_standalone_as_an_empty_plugin(path: Path) -> None:
    """What Ansible does to every file below a configured filter plugin path."""
    module = load_file(path, f"ansible.plugins.filter.{path.stem}_labforge_scan_probe")
    assert module.FilterModule().filters() == {}


# --------------------------------------------------------------------------- error helpers


def fails(value: object) -> None:
    raise LabforgeFilterError(f"bad value {show(value)}")


def test_for_ansible_turns_labforge_errors_into_filter_errors() -> None:
    wrapped = for_ansible("my_filter", fails)
    with pytest.raises(AnsibleFilterError, match=r"^my_filter: bad value 'x'") as caught:
        wrapped("x")
    assert isinstance(caught.value.__cause__, LabforgeFilterError)


def test_for_ansible_lets_other_errors_through_and_keeps_the_signature() -> None:
    def broken(value: object, extra: int = 1) -> None:
        raise KeyError(value)

    wrapped = ansible_filter_map({"broken": broken})["broken"]
    with pytest.raises(KeyError):
        wrapped("x")
    assert list(inspect.signature(wrapped).parameters) == ["value", "extra"]
    assert wrapped.__name__ == "broken"


@pytest.mark.parametrize(
    ("value", "expected_kind", "article", "shown", "got_clause"),
    [
        (None, "null", "null", "null", "null"),
        (True, "boolean", "a boolean", "True (boolean)", "True (boolean)"),
        (3, "integer", "an integer", "3 (integer)", "3 (integer)"),
        (1.5, "float", "a float", "1.5 (float)", "1.5 (float)"),
        ("s", "string", "a string", "'s'", "a string 's'"),
        ({"a": 1}, "mapping", "a mapping", "{'a': 1}", "a mapping {'a': 1}"),
        ((1,), "list", "a list", "[1]", "a list [1]"),
        (b"x", "bytes", "a bytes", "b'x' (bytes)", "b'x' (bytes)"),
    ],
)
def test_kind_and_show(value: object, expected_kind: str, article: str, shown: str, got_clause: str) -> None:
    assert kind(value) == expected_kind
    assert a_kind(value) == article
    assert show(value) == shown
    assert got(value) == got_clause


def test_show_shortens_long_values() -> None:
    text = show("x" * 500)
    assert len(text) == 120 and text.endswith("...")
