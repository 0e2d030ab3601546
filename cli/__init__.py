"""The `undersign` command line (Typer) over the same services as the API."""
