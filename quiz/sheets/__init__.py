"""Practice sheets: choose questions and numbers from a seed, write sheets and keys (Markdown,
HTML, PDF), read filled-in Markdown sheets back and grade them with the engine.

    selection + seeding   quiz.sheets.select    (build_sheet, select_questions, item_seed)
    writers               quiz.sheets.markdown, quiz.sheets.html, quiz.sheets.pdf
    reading a sheet       quiz.sheets.reader    (read_sheet → FilledSheet)
    grading               quiz.sheets.grading   (grade_sheet → SheetResult)
    reports               quiz.sheets.report    (one sheet; a class as text / JSON / CSV)

Like the core packages, this one imports neither Textual nor SQLAlchemy: recording results as
reviews is the command's job (quiz.commands.sheet).
"""
