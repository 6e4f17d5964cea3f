rule rank:
    input:
        variants=vcf_table("variants"),
        annotations=vcf_table("annotations"),
        segregation=res("{sample}", "segregation.parquet"),
        phenotype=res("{sample}", "gene_phenotype.parquet"),
    output:
        genes=res("{sample}", "genes.parquet"),
        variants=res("{sample}", "variants.parquet"),
    log:
        "logs/rank/{sample}.log",
    benchmark:
        "benchmarks/rank/{sample}.tsv"
    threads: 1
    resources:
        mem_mb=config.get("resources", {}).get("mem_mb_sample", 2000),
        slurm_partition=PARTITION,
    params:
        contract=CONTRACT["genes"] + CONTRACT["ranked_variants"],
    shell:
        "variantprio rank --variants {input.variants} --annotations {input.annotations} "
        "--segregation {input.segregation} --phenotype {input.phenotype} --proband {wildcards.sample} "
        "--out-genes {output.genes} --out-variants {output.variants} 2> {log}"
