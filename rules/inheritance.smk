rule inheritance:
    input:
        variants=vcf_table("variants"),
        annotations=vcf_table("annotations"),
        ped=lambda wildcards: sample_row(wildcards)["ped"] or [],
    output:
        res("{sample}", "segregation.parquet"),
    log:
        "logs/inheritance/{sample}.log",
    benchmark:
        "benchmarks/inheritance/{sample}.tsv"
    threads: 1
    resources:
        mem_mb=CONFIG.resources.mem_mb_sample,
        slurm_partition=PARTITION,
    params:
        contract=CONTRACT["segregation"],
        ped=lambda wildcards, input: opt("--ped", input.ped),
        options=inheritance_options(),
    shell:
        "{VP} inheritance --variants {input.variants:q} --annotations {input.annotations:q} "
        "--proband {wildcards.sample:q} {params.ped} {params.options} --out {output:q} 2> {log:q}"
