"""The `pushdeploy` command."""
