#!/usr/bin/env python3
"""Write the generated parts of labforge's documentation, or check that they are current.

- Each role's README.md: the variables table between <!-- BEGIN_ANSIBLE_DOCS --> and
  <!-- END_ANSIBLE_DOCS -->, written by aar-doc (pinned in requirements.txt) from the role's
  meta/argument_specs.yml through tools/role-variables.md.j2. The rest of the README is
  hand-written and left as it is.
- filter_plugins/README.md: every filter, with the purpose and an example taken from its
  shim's DOCUMENTATION and EXAMPLES.

    python3 tools/docs.py          # write them (make docs)
    python3 tools/docs.py --check  # write them to a temporary directory and diff (make lint)
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

import yaml

ROOT = Path(__file__).resolve().parents[1]
ROLES = ROOT / "roles"
TEMPLATE = ROOT / "tools" / "role-variables.md.j2"
FILTERS = ROOT / "filter_plugins"
FILTERS_PAGE = FILTERS / "README.md"
BEGIN, END = "<!-- BEGIN_ANSIBLE_DOCS -->\n", "<!-- END_ANSIBLE_DOCS -->\n"


def aar_doc() -> str:
    """aar-doc from the same virtualenv as this Python, else from PATH."""
    beside = Path(sys.executable).with_name("aar-doc")
    found = str(beside) if beside.exists() else shutil.which("aar-doc")
    if not found:
        sys.exit("aar-doc is not installed: make setup installs it (requirements.txt)")
    return found


def role_readme(role: Path, out: Path) -> None:
    """Write role's README.md to out with its variables table regenerated."""
    text = (role / "README.md").read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        sys.exit(f"{role / 'README.md'} lacks the {BEGIN.strip()} and {END.strip()} markers")
    out.write_text(text, encoding="utf-8")
    subprocess.run(
        [aar_doc(), "--output-template", str(TEMPLATE), "--output-file", str(out), str(role), "markdown"],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def load_shim(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"labforge_docs_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def balanced(text: str, start: int, opening: str, closing: str) -> int:
    """The index just past the closing that matches the opening at text[start]."""
    depth = 0
    for i in range(start, len(text)):
        depth += text[i] == opening
        depth -= text[i] == closing
        if depth == 0:
            return i + 1
    return len(text)


def markup(text: str) -> str:
    """Ansible's C(...), O(...), V(...) and I(...) as Markdown, on one line, pipes escaped for a table."""
    text, out, i = " ".join(text.split()), [], 0
    while i < len(text):
        if text[i] in "COVI" and text[i + 1 : i + 2] == "(" and (i == 0 or not text[i - 1].isalnum()):
            end = balanced(text, i + 1, "(", ")")
            inner = text[i + 2 : end - 1]
            out.append(f"*{inner}*" if text[i] == "I" else f"`{inner}`")
            i = end
        else:
            out.append(text[i])
            i += 1
    return "".join(out).replace("|", "\\|")


def first_clause(text: str) -> str:
    """Up to the first full stop, semicolon, colon or dash that ends a clause (not one inside C(...))."""
    depth, cut = 0, len(text)
    for i, char in enumerate(text):
        depth += char == "("
        depth -= char == ")"
        if depth == 0 and char in ".;:" and text[i + 1 : i + 2] in (" ", ""):
            cut = i
            break
        if depth == 0 and text[i : i + 3] == " - ":
            cut = i
            break
    return text[:cut].strip() + "."


def purpose(name: str, doc: dict) -> str:
    """The sentence of the description that starts with C(name), else the shim's short description."""
    paragraphs = doc["description"] if isinstance(doc["description"], list) else [doc["description"]]
    for paragraph in paragraphs:
        flat = " ".join(str(paragraph).split())
        found = re.search(rf"(?:^|(?<=[.;] ))C\({re.escape(name)}\) (.*)", flat)
        if found:
            return markup(first_clause(found.group(1)))
    return markup(str(doc["short_description"]))


def strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in strings(value)]
    return [node] if isinstance(node, str) else []


def example(name: str, examples: str) -> str:
    """The first expression of the shim's EXAMPLES that applies the filter."""
    applies = re.compile(rf"\|\s*{re.escape(name)}\b")
    for text in strings(yaml.safe_load(examples)):
        flat = " ".join(text.split())
        starts = [m.start() for m in re.finditer(r"\{\{", flat)]
        expressions = [flat[start : balanced(flat, start, "{", "}")] for start in starts]
        for expression in expressions or [flat]:
            if applies.search(expression):
                return "`" + expression.replace("|", "\\|") + "`"
    return "see the shim's EXAMPLES"


def filters_page() -> str:
    lines = [
        "# Filter plugins",
        "",
        "<!-- Generated by `make docs` (tools/docs.py) from each shim's DOCUMENTATION and EXAMPLES;",
        "     edit those, not this page. -->",
        "",
        "Each `filter_plugins/labforge_*.py` is a thin shim over a module of the `labforge_filters`",
        "package beside it, which holds the logic and is tested directly by `tests/unit`. A filter's",
        "full description, options and return value are in its shim's DOCUMENTATION, EXAMPLES and",
        "RETURN (`ansible-doc -t filter` does not list them: they are playbook-adjacent plugins).",
        "Bad input raises `AnsibleFilterError` naming the value and what is accepted.",
        "",
    ]
    for shim in sorted(FILTERS.glob("labforge_*.py")):
        module = load_shim(shim)
        doc = yaml.safe_load(module.DOCUMENTATION)
        names = sorted(module.FilterModule().filters())
        lines += [
            f"## [{shim.name}]({shim.name}): {markup(str(doc['short_description']))}",
            "",
            "| filter | purpose | example |",
            "| --- | --- | --- |",
        ]
        lines += [f"| `{name}` | {purpose(name, doc)} | {example(name, module.EXAMPLES)} |" for name in names]
        lines.append("")
    return "\n".join(lines)


def generate(out_dir: Path | None) -> list[tuple[Path, Path]]:
    """Write every generated file, into out_dir when given; return (committed, written) pairs."""
    pairs = []
    for role in sorted(p for p in ROLES.iterdir() if (p / "meta" / "argument_specs.yml").exists()):
        target = role / "README.md"
        out = target if out_dir is None else out_dir / f"{role.name}.README.md"
        role_readme(role, out)
        pairs.append((target, out))
    out = FILTERS_PAGE if out_dir is None else out_dir / "filter_plugins.README.md"
    out.write_text(filters_page(), encoding="utf-8")
    pairs.append((FILTERS_PAGE, out))
    return pairs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a committed file differs from what it would write")
    args = parser.parse_args()
    if not args.check:
        for target, _ in generate(None):
            print(f"wrote {target.relative_to(ROOT)}")
        return 0
    stale = 0
    with tempfile.TemporaryDirectory(prefix="labforge-docs-") as tmp:
        for target, out in generate(Path(tmp)):
            old = target.read_text(encoding="utf-8") if target.exists() else ""
            new = out.read_text(encoding="utf-8")
            if old != new:
                stale += 1
                name = str(target.relative_to(ROOT))
                sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), new.splitlines(True), name, name + " (make docs)"))
    if stale:
        print(f"{stale} generated file(s) differ from what `make docs` writes: run `make docs` and commit them", file=sys.stderr)
        return 1
    print("generated docs are current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
