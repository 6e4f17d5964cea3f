"""What one stage run did: the value every stage's `run(inputs, outputs, config)` returns.

Every stage has the same entry-point shape, so the CLI, the benchmarks and tests drive them alike:
`inputs` names what the stage reads (files, the proband), `outputs` what it writes, `config` how it
works (the settings of `settings.py` plus per-call options); all three are small frozen dataclasses
of the stage's `entry` module.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping


@dataclass(frozen=True)
class Summary:
    """Files written, counts, and what was skipped and why. `done` is the one line the CLI prints on
    stdout (empty: none); `log` writes the rest to the log."""

    stage: str
    done: str
    outputs: tuple[Path, ...]
    counts: Mapping[str, int] = field(default_factory=dict)
    skipped: Mapping[str, int] = field(default_factory=dict)  # what was skipped, and why -> how many

    def log(self, logger: logging.Logger) -> None:
        """One INFO line of the counts that are not zero, one per kind of skipped row."""
        counts = [f"{k} {v}" for k, v in self.counts.items() if v]
        logger.info("%s: %s", self.stage, ", ".join(counts) if counts else "nothing counted")
        for why, n in self.skipped.items():
            if n:
                logger.info("%s: skipped %d %s", self.stage, n, why)
