from hyoka.cli import main

# guarded: a process pool (Prefect's, `--runner process` in a flow run) starts its processes by importing __main__
if __name__ == "__main__":
    main()
