rule annotate:
    input:
        variants=res("_vcf", "{vcf_id}", "variants.parquet"),
        gene_model=config["gene_model"] or [],
    output:
        res("_vcf", "{vcf_id}", "annotations.parquet"),
    log:
        "logs/annotate/{vcf_id}.log",
    benchmark:
        "benchmarks/annotate/{vcf_id}.tsv"
    threads: 2
    resources:
        mem_mb=config.get("resources", {}).get("mem_mb_annotate", 4000),
        slurm_partition=PARTITION,
    params:
        contract=CONTRACT["annotations"],
        gene_model=opt("--gene-model", config.get("gene_model")),
        fasta=opt("--fasta", config.get("fasta")),
        sources=opt("--sources", workflow.configfiles[0]) if config.get("sources") else "",
    shell:
        "variantprio annotate --variants {input.variants:q} --out {output:q} {params.gene_model} "
        "{params.fasta} {params.sources} --threads {threads} 2> {log:q}"
