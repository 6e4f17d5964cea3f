"""The typed configuration is the one home of every default: schema, CLI and shipped config agree."""

from __future__ import annotations

import dataclasses

import pytest
import yaml
from click.testing import CliRunner

from variantprio.bundle import workflow_dir
from variantprio.cli import main
from variantprio.errors import InputError
from variantprio.settings import (
    AnnotateSettings,
    IngestSettings,
    InheritanceSettings,
    WorkflowConfig,
    schema_defaults,
)

SCHEMA = workflow_dir() / "pipeline" / "schemas" / "config.schema.yaml"


def _defaults() -> dict:
    mapping = WorkflowConfig(samples="x").to_mapping()
    mapping.pop("samples")
    return mapping


def test_schema_defaults_are_the_dataclass_defaults():
    assert schema_defaults(yaml.safe_load(SCHEMA.read_text())) == _defaults()


def test_shipped_config_states_the_defaults():
    shipped = yaml.safe_load((workflow_dir() / "config" / "config.yaml").read_text())
    defaults = _defaults()
    for section in ("ingest", "annotate", "inheritance", "phenotype", "report", "resources"):
        assert shipped[section] == defaults[section], section


@pytest.mark.parametrize("command, section", [("ingest", IngestSettings), ("annotate", AnnotateSettings),
                                              ("inheritance", InheritanceSettings)])
def test_cli_option_defaults_come_from_the_settings(command, section):
    params = {p.name: p.default for p in main.commands[command].params}
    for f in dataclasses.fields(section):
        assert params[f.name] == f.default, f.name


def test_config_mapping_round_trips_and_the_hash_ignores_key_order(tmp_path):
    raw = {"samples": "s.tsv", "inheritance": {"max_af_ad": 0.0001}, "report": {"top": 10},
           "sources": [{"name": "gnomAD", "kind": "gnomad", "path": "g.vcf.gz", "version": "4.1", "build": "GRCh38"}]}
    config = WorkflowConfig.from_mapping(raw)
    assert config.inheritance.max_af_ad == 0.0001 and config.inheritance.max_af_ar_hom == 0.001
    assert config.sources[0].kind == "gnomad" and config.report.top == 10
    assert WorkflowConfig.from_mapping(config.to_mapping()) == config
    reordered = dict(reversed(list(raw.items())))
    assert WorkflowConfig.from_mapping(reordered).sha256 == config.sha256
    path = config.write_effective(tmp_path)
    assert path.name == f"config-{config.sha256[:12]}.yaml"
    assert WorkflowConfig.from_mapping(yaml.safe_load(path.read_text())) == config


@pytest.mark.parametrize("raw, message", [
    ({"samples": "s.tsv", "genome_build": "hg19"}, "genome_build: 'hg19' is not one of GRCh37, GRCh38"),
    ({"samples": "s.tsv", "report": {"top": 0}}, "report.top"),
    ({}, "'samples' is required"),
])
def test_bad_config_is_one_line_naming_the_key(raw, message):
    with pytest.raises(InputError) as err:
        WorkflowConfig.from_mapping(raw)
    assert message in err.value.one_line() and "\n" not in err.value.one_line()


def test_the_config_hash_is_an_explicit_option_not_the_environment(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    monkeypatch.setenv("VARIANTPRIO_CONFIG_SHA256", "f" * 64)  # the old side channel: ignored now
    vcf = tmp_path / "x.vcf"
    vcf.write_text("##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"GT\">\n"
                   "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tP1\nchr1\t10\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\n")
    result = CliRunner().invoke(main, ["--config-sha256", "ab" * 32, "ingest", "--vcf", str(vcf), "--out",
                                       str(tmp_path / "v.parquet")])
    assert result.exit_code == 0, result.output
    assert pq.read_schema(tmp_path / "v.parquet").metadata[b"variantprio.config_sha256"] == b"ab" * 32
