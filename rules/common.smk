# Sample-sheet loading, up-front input validation and path helpers shared by all rules.
import os

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from variantprio import workflow as vw


validate(config, "../pipeline/schemas/config.schema.yaml")
SAMPLES = vw.load_sample_sheet(config["samples"])
for _, _row in SAMPLES.iterrows():
    validate(_row.to_dict(), "../pipeline/schemas/samples.schema.yaml")
VCF_IDS = vw.vcf_ids(SAMPLES["vcf"])  # VCF path -> short ID used in result paths
VCF_BY_ID = {vcf_id: path for path, vcf_id in VCF_IDS.items()}
RESULTS = config["results"]

# Check every input before any job starts (main process only: cluster jobs re-parse this file).
if workflow.is_main_process:
    _problems = vw.input_problems(SAMPLES, config)
    if _problems:
        raise WorkflowError(f"{len(_problems)} input problem(s):\n" + "\n".join(_problems))


wildcard_constraints:
    sample="|".join(map(vw.regex_escape, SAMPLES.index)),
    vcf_id="|".join(map(vw.regex_escape, VCF_BY_ID)),


def res(*parts):
    """Path under the results directory ("." or "" means the working directory itself)."""
    return os.path.join(*parts) if RESULTS in ("", ".") else os.path.join(RESULTS, *parts)


def sample_row(wildcards):
    return SAMPLES.loc[wildcards.sample]


def sample_vcf_id(wildcards):
    return VCF_IDS[SAMPLES.loc[wildcards.sample, "vcf"]]


def vcf_table(name):
    """Input function: a per-VCF table (variants/annotations) of the proband's VCF."""
    return lambda wildcards: res("_vcf", sample_vcf_id(wildcards), f"{name}.parquet")


def all_outputs():
    outputs = [res("summary.html"), res("summary.tsv"), res("validation.tsv")]
    for sample in SAMPLES.index:
        outputs += [res(sample, "report.html"), res(sample, "genes.parquet")]
    return outputs
