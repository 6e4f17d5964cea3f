# variantprio workflow: VCF + pedigree + HPO terms -> ranked genes and variants per proband.
# Per-VCF stages (ingest, annotate) are shared by every proband in that VCF; per-proband stages
# (inheritance, phenotype, rank, report) re-run alone when only a proband's HPO terms change.
from snakemake.utils import min_version

min_version("8.20")


configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/validate.smk"
include: "rules/demo.smk"
include: "rules/ingest.smk"
include: "rules/annotate.smk"
include: "rules/inheritance.smk"
include: "rules/phenotype.smk"
include: "rules/rank.smk"
include: "rules/report.smk"
include: "rules/cohort.smk"


# Bookkeeping of seconds: on a cluster these run on the submit host instead of waiting in the queue.
localrules:
    validate,
    summary,


rule all:
    input:
        all_outputs(),
        # optional: each finished proband added to the cohort database (rules/cohort.smk)
        [res(s, ".cohort-added") for s in SAMPLES.index] if CONFIG.cohort.add and CONFIG.cohort.db else [],
    default_target: True
