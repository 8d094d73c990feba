from hyoka.cli import main

# guarded: a process pool (`--runner process`) starts its workers by importing __main__
if __name__ == "__main__":
    main()
