"""python -m propwatch"""

from .cli import run

run()
