"""The one exception type for problems with user input (files, IDs, options)."""

from __future__ import annotations


class InputError(Exception):
    """A user-fixable input problem: the CLI prints it as one line and exits with code 2.

    `path` names the file, `where` the line/record/sample, `hint` how to fix it.
    """

    def __init__(self, message: str, *, path: str | None = None, where: str | None = None,
                 hint: str | None = None) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.where = where
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        parts = []
        if self.path:
            parts.append(self.path + (f":{self.where}" if self.where else ""))
        elif self.where:
            parts.append(self.where)
        parts.append(self.message)
        text = ": ".join(parts)
        if self.hint:
            text += f" (fix: {self.hint})"
        return " ".join(text.split())
