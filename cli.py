"""Run autofeat from a checkout without installing: ``python cli.py rank DATA --label y --out DIR``."""

from autofeat.cli import entry

if __name__ == "__main__":
    entry()
