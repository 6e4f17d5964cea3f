rule ingest:
    input:
        vcf=lambda wildcards: VCF_BY_ID[wildcards.vcf_id],
        chain=lambda wildcards: CONFIG.liftover.chain if vcf_plan(wildcards).lifted else [],
    output:
        res("_vcf", "{vcf_id}", "variants.parquet"),
    log:
        "logs/ingest/{vcf_id}.log",
    benchmark:
        "benchmarks/ingest/{vcf_id}.tsv"
    threads: 2
    resources:
        mem_mb=CONFIG.resources.mem_mb_ingest,
        slurm_partition=PARTITION,
    params:
        contract=CONTRACT["variants"],
        build=lambda wildcards: q(vcf_plan(wildcards).build),
        # With liftover, the FASTA of the target build: REF is checked after lifting.
        fasta=lambda wildcards: opt("--fasta", vcf_data(wildcards).fasta),
        liftover=lambda wildcards, input: (f"--liftover-to {q(vcf_plan(wildcards).target)} --chain {q(input.chain)}"
                                           if vcf_plan(wildcards).lifted else ""),
        filters=ingest_filter_options(),
    shell:
        "{VP} ingest --vcf {input.vcf:q} --out {output:q} --build {params.build} {params.fasta} "
        "{params.liftover} {params.filters} --threads {threads} 2> {log:q}"
