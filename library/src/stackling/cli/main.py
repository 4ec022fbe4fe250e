"""Entry point of ``stackling-manage``: parse, run one command, map errors to exit statuses."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from stackling.cli.parser import build_parser

if TYPE_CHECKING:
    from sqlalchemy.exc import SQLAlchemyError

    from stackling.controller import Controller

PROG = "stackling-manage"


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "unknown error"


def _database_message(error: SQLAlchemyError, url: str) -> str:
    from sqlalchemy.engine import make_url

    cause = getattr(error, "orig", None) or error
    first = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    where = "database %s" % make_url(url).render_as_string(hide_password=True) if url else "database"
    return "%s: %s (is the schema up to date? run `%s db upgrade`)" % (where, first, PROG)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # The library is imported only now, so --help and usage errors stay fast.
    from sqlalchemy.exc import SQLAlchemyError

    from stackling.cli import commands
    from stackling.config import load_config
    from stackling.controller import Controller
    from stackling.errors import StacklingError

    controller: Controller | None = None
    try:
        controller = Controller.from_config(load_config(args.config))
        return int(getattr(commands, args.handler)(controller, args))
    except commands.UsageError as exc:
        parser.error(str(exc))  # exits with status 2
    except StacklingError as exc:
        print("%s: error: %s" % (PROG, _one_line(str(exc))), file=sys.stderr)
    except SQLAlchemyError as exc:
        url = controller.config.database.url if controller else ""
        print("%s: error: %s" % (PROG, _one_line(_database_message(exc, url))), file=sys.stderr)
    except OSError as exc:
        print("%s: error: %s" % (PROG, _one_line(str(exc))), file=sys.stderr)
    finally:
        if controller is not None:
            controller.close()
    return 1


if __name__ == "__main__":
    sys.exit(main())
