rule validate:
    input:
        sheet=CONFIG.samples,
        config=CONFIG_FILE,
    output:
        res("validation.tsv"),
    log:
        "logs/validate/all.log",
    benchmark:
        "benchmarks/validate/all.tsv"
    threads: 1
    resources:
        mem_mb=500,
        slurm_partition=PARTITION,
    shell:
        "{VP} validate --samples {input.sheet:q} --config {input.config:q} --out {output:q} 2> {log:q}"
