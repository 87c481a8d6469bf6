"""The bundle's entry point: the `genrescope` command, frozen.

``freeze_support`` must come first: the library scanner reads tags in a forkserver process pool,
and in a frozen app those worker processes are this same executable started with multiprocessing's
arguments, which it hands over here instead of running the CLI.
"""

import multiprocessing

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from desktop_app.cli import main

    raise SystemExit(main())
