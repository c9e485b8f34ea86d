"""Peak resident memory of a process tree (ansible-playbook, its forks and their ssh), sampled."""

from __future__ import annotations

import os
import threading


def children(pid: int) -> list[int]:
    """The children of every thread of ``pid``, from /proc (empty once the process has ended)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        if (text := _read(f"/proc/{pid}/task/{task}/children")) is not None:
            found += [int(child) for child in text.split()]
    return found


def descendants(root: int) -> set[int]:
    """``root`` and every process below it. Walked down from the root, so a sample reads a few files
    per process of the tree, not two for every process on the machine: the sampler runs during the
    timed runs, and what it costs is CPU taken from them."""
    tree, todo = {root}, [root]
    while todo:
        for child in children(todo.pop()):
            if child not in tree:
                tree.add(child)
                todo.append(child)
    return tree


def parse_rss_kib(status: str) -> int:
    """VmRSS from /proc/PID/status in KiB; 0 for a zombie or kernel thread."""
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:  # the process ended between listing and reading
        return None


def tree_rss_kib(root: int) -> int:
    total = 0
    for pid in descendants(root):
        if (status := _read(f"/proc/{pid}/status")) is not None:
            total += parse_rss_kib(status)
    return total


class PeakSampler:
    """Samples a process tree's RSS in a thread until stopped; ``peak_kib`` is the largest sum."""

    def __init__(self, root: int, interval: float = 0.25) -> None:
        self.root, self.interval, self.peak_kib = root, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, tree_rss_kib(self.root))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
