"""The ``alianza`` command line (Typer): it only gathers each domain's commands.

Every error we raise becomes one readable line on stderr and the exit code of its class
(``alianza.errors``); a stack trace means a bug of ours.
"""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from alianza import domains
from alianza.cli_support import ACTING, err_console
from alianza.codes.problems import printable
from alianza.errors import AlianzaError, NotFound, PermissionDenied

app = typer.Typer(
    help="alianza: nodo de cooperación en seguridad y migración.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
domains.add_commands(app)


def main() -> None:
    """Entry point: run the app, turning our errors into one line and an exit code."""
    command = typer.main.get_command(app)
    try:
        result = command.main(args=sys.argv[1:], prog_name="alianza", standalone_mode=False)
    except AlianzaError as exc:
        if isinstance(exc, PermissionDenied | NotFound) and "current" in ACTING:
            from alianza.audit.denials import record_denial

            node, principal = ACTING["current"]
            record_denial(node, principal, what=" ".join(sys.argv[1:3]), error=exc)
        # The message may quote the user's input: printed literally, never as markup.
        err_console.print(
            f"[red]error[/]: {escape(printable(exc))}", highlight=False, soft_wrap=True
        )
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("interrumpido")
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors of the (vendored) click parser
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err_console.print(f"error: {exc}")
        code = getattr(exc, "exit_code", 2)
        sys.exit(2 if code in (1, 2) else code)
    except KeyboardInterrupt:
        err_console.print("interrumpido")
        sys.exit(130)
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()
