"""Practice sheets: choose questions and numbers from a seed, write sheets and keys (Markdown,
HTML, PDF), read filled-in Markdown sheets back and grade them with the engine.

    selection + seeding   quiz.sheets.select    (build_sheet, select_questions, item_seed)
    writers               quiz.sheets.markdown, quiz.sheets.html, quiz.sheets.pdf
    what was printed      quiz.sheets.meta      (the metadata line of a sheet, manifest.json)
    reading a sheet       quiz.sheets.reader    (read_sheet → FilledSheet)
    teacher's marks       quiz.sheets.marks     (marks.json; `评：` lines are read by the reader)
    grading               quiz.sheets.grading   (grade_sheet → SheetResult, as printed)
    reports               quiz.sheets.report    (one sheet; a class as text / JSON / CSV)

Like the core packages, this one imports neither Textual nor SQLAlchemy: recording results as
reviews is the command's job (quiz.commands.sheet).
"""
