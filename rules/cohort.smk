# Optional (config `cohort.add: true` with `cohort.db` set): add every finished proband to the
# cohort database. The adds wait for every annotation of the batch, so this batch's in-house
# frequencies (a source of kind `inhouse` naming the same database) come from the cohort as it was
# before the batch, and feed the next batch. Writers queue on the database (DuckDB file lock,
# PostgreSQL advisory lock).


rule cohort_add:
    input:
        genes=res("{sample}", "genes.parquet"),
        report=res("{sample}", "report.html"),
        batch_annotations=[res("_vcf", vcf_id, "annotations.parquet") for vcf_id in VCF_BY_ID],
    output:
        touch(res("{sample}", ".cohort-added")),
    log:
        "logs/cohort_add/{sample}.log",
    benchmark:
        "benchmarks/cohort_add/{sample}.tsv"
    threads: 1
    resources:
        mem_mb=CONFIG.resources.mem_mb_sample,
        slurm_partition=PARTITION,
    params:
        db=q(CONFIG.cohort.db),
        capture=q(CONFIG.cohort.capture),
        sheet=q(CONFIG.samples),
        results=lambda wildcards, output: q(os.path.dirname(os.path.dirname(output[0])) or "."),
    shell:
        "{VP} cohort add --db {params.db} --samples {params.sheet} --sample {wildcards.sample:q} "
        "--capture {params.capture} {params.results} 2> {log:q}"
