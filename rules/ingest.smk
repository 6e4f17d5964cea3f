rule ingest:
    input:
        vcf=lambda wildcards: VCF_BY_ID[wildcards.vcf_id],
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
        build=q(CONFIG.genome_build),
        fasta=opt("--fasta", CONFIG.fasta),
        filters=ingest_filter_options(),
    shell:
        "{VP} ingest --vcf {input.vcf:q} --out {output:q} --build {params.build} {params.fasta} "
        "{params.filters} --threads {threads} 2> {log:q}"
