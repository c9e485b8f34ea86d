#!/usr/bin/env python3
"""Print the test suite's result: every step (lint, each Molecule scenario) and every
pytest case (unit tests and testinfra checks, from their JUnit XML), then one closing line
`N passed, N failed`. Exit non-zero when anything failed or nothing ran."""
import pathlib
import sys
import xml.etree.ElementTree as ET

RESULTS = pathlib.Path(__file__).resolve().parent.parent / ".rig" / "results"


def junit_counts(path: pathlib.Path) -> tuple[int, int, int]:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    tests = failed = skipped = 0
    for suite in suites:
        tests += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return tests - failed - skipped, failed, skipped


def main() -> int:
    passed = failed = skipped = 0
    steps = RESULTS / "steps.txt"
    if steps.exists():
        for line in steps.read_text().splitlines():
            name, result, seconds = line.split()
            print(f"step  {name:<32} {result:<7} {seconds:>5} s")
            if result == "passed":
                passed += 1
            else:
                failed += 1
    for report in sorted(RESULTS.glob("*.xml")):
        p, f, s = junit_counts(report)
        print(f"cases {report.stem:<32} {p} passed, {f} failed, {s} skipped")
        passed, failed, skipped = passed + p, failed + f, skipped + s
    if passed + failed == 0:
        print("no test ran")
        return 1
    tail = f", {skipped} skipped" if skipped else ""
    print(f"{passed} passed, {failed} failed{tail}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
