"""``python -m webapp.cli``: the ``enclave`` command without its entry point script."""

from webapp.cli import main

main()
