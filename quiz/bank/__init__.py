"""The Markdown question bank: parsing and validation. Imports neither Textual nor SQLAlchemy."""

from quiz.bank.errors import BankError
from quiz.bank.model import Block, ConventionNote, Erratum, Kind, Origin, Question
from quiz.bank.parser import load_bank, parse_file, parse_text

__all__ = [
    "BankError", "Block", "ConventionNote", "Erratum", "Kind", "Origin", "Question",
    "load_bank", "parse_file", "parse_text",
]
