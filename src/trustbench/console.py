"""Terminal consoles: the real width on a terminal, a wide fixed one in logs and pipes."""

from __future__ import annotations

from rich.console import Console

LOG_WIDTH = 160


def make_console(stderr: bool = False) -> Console:
    console = Console(stderr=stderr)
    if not console.is_terminal:
        console = Console(stderr=stderr, width=LOG_WIDTH)
    return console
