"""`pushdeploy`: operate the deployer, and run it on the local cloud."""

from __future__ import annotations

import typer

from pushdeploy_cli import local

app = typer.Typer(no_args_is_help=True, help="Deploy images to Amazon ECS on push, prove them healthy, roll back.")
app.add_typer(local.app, name="local")
