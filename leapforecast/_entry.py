"""Console-script entry point, kept tiny so Ctrl-C during start-up imports is still one line."""

import sys


def main() -> None:
    try:
        from leapforecast.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    cli_main()
