# Generates the demo inputs the shipped config points at, when they are missing.
if CONFIG.demo_data:

    rule demo_data:
        output:
            vcfs=[p for p in VCF_BY_ID.values() if p.startswith(CONFIG.demo_data)],
            gene_model=os.path.join(CONFIG.demo_data, "demo-genes.gtf"),
            ped=os.path.join(CONFIG.demo_data, "demo.ped"),
        log:
            "logs/demo_data/all.log",
        benchmark:
            "benchmarks/demo_data/all.tsv"
        threads: 1
        resources:
            mem_mb=500,
            slurm_partition=PARTITION,
        params:
            directory=lambda wildcards, output: q(os.path.dirname(output.gene_model)),
        shell:
            "variantprio demo --data-only --out {params.directory} 2> {log:q}"
