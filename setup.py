"""Build hook: ship the top-level workflow (Snakefile, rules/, pipeline/, config/) in the wheel."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

WORKFLOW_PARTS = ("Snakefile", "rules", "pipeline", "config")


class BuildPyWithWorkflow(build_py):
    def run(self) -> None:
        super().run()
        root = Path(__file__).resolve().parent
        target = Path(self.build_lib) / "variantprio" / "_workflow"
        for name in WORKFLOW_PARTS:
            source = root / name
            if source.is_dir():
                shutil.copytree(source, target / name, dirs_exist_ok=True)
            elif source.is_file():
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildPyWithWorkflow})
