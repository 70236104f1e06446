"""``python -m step1x_edit``: the ``step1x-edit`` command."""

from step1x_edit.cli import main

if __name__ == "__main__":
    main()
