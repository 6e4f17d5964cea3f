"""The README's promises: exactly two set-up commands, and table schemas that match the code."""

from __future__ import annotations

import re
from pathlib import Path

from variantprio.schemas import schemas_markdown

README = Path(__file__).resolve().parents[1] / "README.md"


def test_setup_section_has_exactly_two_commands():
    setup = README.read_text().split("## Set up", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", setup, flags=re.S)
    assert [b.strip() for b in blocks] == ["pip install . && variantprio demo --out variantprio-demo",
                                           "bash .ci/run"]


def test_schema_section_is_generated_from_the_code():
    text = README.read_text()
    section = text.split("<!-- schemas:start", 1)[1].split("-->", 1)[1].split("<!-- schemas:end -->", 1)[0]
    assert section.strip() == schemas_markdown().strip(), "regenerate: python -m variantprio.schemas README.md"

