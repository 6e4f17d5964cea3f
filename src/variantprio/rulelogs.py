"""Reading the reason a rule failed from its log (logs/<rule>/<sample or vcf>.log), so the console
and the batch summary show one line instead of Snakemake's `message: None`."""

from __future__ import annotations

from pathlib import Path

ERROR_PREFIX = "variantprio: error:"  # how the CLI prints an InputError (one line, exit code 2)


def log_error_line(path: Path) -> str | None:
    """The last `variantprio: error:` line of a log, else the exception line ending a traceback."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    marked = [line for line in lines if line.startswith(ERROR_PREFIX)]
    if marked:
        return " ".join(marked[-1].removeprefix(ERROR_PREFIX).split())
    if "Traceback (most recent call last)" in text and lines:
        return " ".join(lines[-1].split())  # a crash, not a user error: its exception line
    return None


def failed_rules(logs: Path, since: float) -> list[str]:
    """`logs/<rule>/<name>.log: reason` for every log written since `since` that holds an error."""
    errors = []
    for path in sorted(logs.rglob("*.log")) if logs.is_dir() else []:
        if path.stat().st_mtime < since - 1:
            continue
        reason = log_error_line(path)
        if reason:
            errors.append(f"{path.relative_to(logs.parent)}: {reason}")
    return errors


def newest_error(logs: Path | None, names: list[str], newer_than: float = 0.0) -> str | None:
    """The error of the newest log named `<name>.log` (any rule) written after `newer_than`."""
    if logs is None or not logs.is_dir():
        return None
    wanted = {f"{name}.log" for name in names}
    found = [p for p in logs.rglob("*.log") if p.name in wanted and p.is_file()
             and p.stat().st_mtime > newer_than]
    for path in sorted(found, key=lambda p: p.stat().st_mtime, reverse=True):
        reason = log_error_line(path)
        if reason:
            return reason
    return None
