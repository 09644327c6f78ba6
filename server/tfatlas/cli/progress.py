"""A rich progress bar for loads: bytes read, statements per second, time left."""

from __future__ import annotations

import contextlib
import time

from rich.console import Console
from rich.progress import (BarColumn, DownloadColumn, Progress, ProgressColumn, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)
from rich.text import Text


class StatementsPerSecond(ProgressColumn):
    def render(self, task) -> Text:
        statements = task.fields.get("statements", 0)
        elapsed = task.elapsed or 0
        rate = statements / elapsed if elapsed > 0 else 0
        return Text(f"{statements:,} statement{'' if statements == 1 else 's'}  {rate:,.0f}/s", style="cyan")


@contextlib.contextmanager
def load_progress(description: str, total_bytes: int | None, enabled: bool = True):
    """Yields a callback(bytes, statements) that moves the bar; its ``finish(statements)`` sets
    the true count at the end (while reading, only line-based formats count statements)."""
    console = Console(stderr=True)
    if not enabled:
        yield None
        return
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
               StatementsPerSecond(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(description, total=total_bytes, statements=0)
        last = [0.0]

        def update(read_bytes: int, statements: int) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.1:  # rich redraws are not free; 10 per second is plenty
                last[0] = now
                bar.update(task, completed=read_bytes, statements=statements)

        def finish(statements: int | None) -> None:
            final = bar.tasks[0]
            fields = {} if statements is None else {"statements": statements}
            bar.update(task, completed=final.total or final.completed, **fields)

        update.finish = finish
        yield update
        finish(None)
