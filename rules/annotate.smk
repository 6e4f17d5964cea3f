rule annotate:
    input:
        variants=res("_vcf", "{vcf_id}", "variants.parquet"),
        gene_model=CONFIG.gene_model or [],
    output:
        res("_vcf", "{vcf_id}", "annotations.parquet"),
    log:
        "logs/annotate/{vcf_id}.log",
    benchmark:
        "benchmarks/annotate/{vcf_id}.tsv"
    threads: 2
    resources:
        mem_mb=CONFIG.resources.mem_mb_annotate,
        slurm_partition=PARTITION,
    params:
        contract=CONTRACT["annotations"],
        gene_model=opt("--gene-model", CONFIG.gene_model),
        fasta=opt("--fasta", CONFIG.fasta),
        sources=lambda wildcards: opt("--sources", CONFIG_FILE) if CONFIG.sources else "",
    shell:
        "{VP} annotate --variants {input.variants:q} --out {output:q} {params.gene_model} "
        "{params.fasta} {params.sources} --threads {threads} 2> {log:q}"
