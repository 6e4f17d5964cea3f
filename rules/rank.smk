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
        mem_mb=CONFIG.resources.mem_mb_sample,
        slurm_partition=PARTITION,
    params:
        contract=CONTRACT["genes"] + CONTRACT["ranked_variants"],
    shell:
        "{VP} rank --variants {input.variants:q} --annotations {input.annotations:q} "
        "--segregation {input.segregation:q} --phenotype {input.phenotype:q} --proband {wildcards.sample:q} "
        "--out-genes {output.genes:q} --out-variants {output.variants:q} 2> {log:q}"
