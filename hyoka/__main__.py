from hyoka.cli import app

# guarded: a process pool (`--runner process`) starts its workers by importing __main__
if __name__ == "__main__":
    app(prog_name="hyoka")
