rule annotate:
    input:
        variants=res("_vcf", "{vcf_id}", "variants.parquet"),
        gene_model=lambda wildcards: vcf_data(wildcards).gene_model or [],
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
        # Each VCF with its own build's data (the sources list is picked by the variants' build).
        gene_model=lambda wildcards: opt("--gene-model", vcf_data(wildcards).gene_model),
        fasta=lambda wildcards: opt("--fasta", vcf_data(wildcards).fasta),
        sources=lambda wildcards: opt("--sources", CONFIG_FILE) if vcf_data(wildcards).sources else "",
        bulk=CONFIG.annotate.bulk_join_min_variants,
    shell:
        "{VP} annotate --variants {input.variants:q} --out {output:q} {params.gene_model} "
        "{params.fasta} {params.sources} --bulk-join-min-variants {params.bulk} --threads {threads} 2> {log:q}"
