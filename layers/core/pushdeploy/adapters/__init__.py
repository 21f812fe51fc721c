"""One module per AWS service; each talks to boto3 and nothing else."""
