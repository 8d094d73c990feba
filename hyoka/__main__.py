from hyoka.cli import app

app(prog_name="hyoka")
