# Sample-sheet loading, up-front input validation and path helpers shared by all rules.
# Every value that reaches a shell command is quoted: `{input.x:q}` in rules, `q()`/`opt()` for
# parameters assembled here (paths and sheet values are data, never code).
import dataclasses
import os
import re
import shlex

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from variantprio import workflow as vw
from variantprio.builds import plan_vcf_builds
from variantprio.errors import InputError
from variantprio.report.batch import write_summary_after_failure
from variantprio.schemas import SCHEMAS, schema_fingerprint
from variantprio.settings import BuildData, WorkflowConfig


try:
    # The typed configuration (defaults from variantprio.settings) is what every rule reads.
    CONFIG = WorkflowConfig.from_mapping(config)
    SAMPLES = vw.load_sample_sheet(CONFIG.samples)
except InputError as _err:
    raise WorkflowError(_err.one_line()) from None
validate(config, "../pipeline/schemas/config.schema.yaml")  # the raw dict too gets the defaults
VCF_IDS = vw.vcf_ids(SAMPLES["vcf"])  # VCF path -> short ID used in result paths
VCF_BY_ID = {vcf_id: path for path, vcf_id in VCF_IDS.items()}
RESULTS = CONFIG.results
# SLURM partition of every job (used by the slurm profile's executor, ignored locally).
PARTITION = CONFIG.resources.slurm_partition
# Per table: fingerprint of its columns, a rule parameter so that a changed contract re-runs the stage.
CONTRACT = {name: schema_fingerprint(name) for name in SCHEMAS}
# The effective configuration as one file the stages read, and its hash, which every stage stamps
# into its Parquet metadata; both are passed on the command line, nothing travels in the environment.
CONFIG_FILE = CONFIG.write_effective(".variantprio")
VP = f"variantprio --config-sha256 {CONFIG.sha256}"

# Check every input before any job starts (main process only: cluster jobs re-parse this file).
if workflow.is_main_process:
    _problems = vw.input_problems(SAMPLES, CONFIG.to_mapping())
    if _problems:
        raise WorkflowError(f"{len(_problems)} input problem(s):\n" + "\n".join(_problems))


# Per VCF: the build it was called on and the build its tables are on (the liftover target when
# `liftover.to` is set), from the sheet's build column, else its header, else genome_build.
BUILD_PLAN = {VCF_IDS[path]: plan for path, plan in plan_vcf_builds(SAMPLES, CONFIG).items()}


wildcard_constraints:
    sample="|".join(map(re.escape, SAMPLES.index)),
    vcf_id="|".join(map(re.escape, VCF_BY_ID)),


def q(value) -> str:
    """A value quoted for the shell."""
    return shlex.quote(str(value))


def opt(flag: str, value) -> str:
    """`--flag 'value'`, or nothing when the value is empty."""
    return "" if value is None or str(value) == "" else f"{flag} {q(value)}"


def res(*parts):
    """Path under the results directory ("." or "" means the working directory itself)."""
    return os.path.join(*parts) if RESULTS in ("", ".") else os.path.join(RESULTS, *parts)


def sample_row(wildcards):
    return SAMPLES.loc[wildcards.sample]


def sample_vcf_id(wildcards):
    return VCF_IDS[SAMPLES.loc[wildcards.sample, "vcf"]]


def vcf_plan(wildcards):
    """The build plan (builds.VcfBuild) of a VCF wildcard."""
    return BUILD_PLAN[wildcards.vcf_id]


def vcf_data(wildcards) -> BuildData:
    """Gene model, FASTA and sources of the build a VCF's tables are on (validated to exist)."""
    return CONFIG.build_data(vcf_plan(wildcards).target) or BuildData()


def sample_build(wildcards) -> str:
    """The build of a proband's tables (its VCF's, after liftover)."""
    return BUILD_PLAN[sample_vcf_id(wildcards)].target


def vcf_table(name):
    """Input function: a per-VCF table (variants/annotations) of the proband's VCF."""
    return lambda wildcards: res("_vcf", sample_vcf_id(wildcards), f"{name}.parquet")


def all_outputs():
    outputs = [res("summary.html"), res("summary.tsv"), res("validation.tsv")]
    for sample in SAMPLES.index:
        outputs += [res(sample, "report.html"), res(sample, "genes.parquet")]
    return outputs


# --- command-line options of the stage rules, from the config -------------------------------


def ingest_filter_options():
    opts = CONFIG.ingest
    return " ".join(["--pass-only" if opts.pass_only else "--no-pass-only", opt("--min-gq", opts.min_gq),
                     opt("--min-dp", opts.min_dp), opt("--min-ab", opts.min_ab)])


def inheritance_options():
    return " ".join(opt(f"--{name.replace('_', '-')}", value)
                    for name, value in dataclasses.asdict(CONFIG.inheritance).items())


def phenotype_terms(wildcards):
    """--hpo/--exclude or --phenopacket: the terms are params, so editing them re-runs this rule."""
    row = sample_row(wildcards)
    if row["phenopacket"]:
        return opt("--phenopacket", row["phenopacket"])
    return " ".join(filter(None, [opt("--hpo", vw.clean_terms(row["hpo"])),
                                  opt("--exclude", vw.clean_terms(row["excluded_hpo"]))]))

