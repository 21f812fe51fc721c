"""pushdeploy core: models, verdict rules and AWS adapters shared by every Lambda step, the CLI and the local cloud."""
