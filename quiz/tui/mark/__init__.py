"""`quiz mark DIR`: a teacher marks the concept items of a class, item by item across the class.

    model.py        the class to mark as plain data (items, answers in marking order)
    loading.py      reading the sheets, the bank and marks.json into a `ClassToMark`
    journal.py      the marks of the session and its changes, for undo
    writer.py       ordered, atomic saves of marks.json from worker threads
    messages.py     what the save worker posts back
    app.py          `MarkApp` and its factory `make_mark_app`
    screen.py       `MarkScreen`: one answer at a time, keys to mark, undo, note
    prompt.py       `PromptScreen`: the one-line input for a typed score or a note
    help.py         `MarkHelpScreen` (?): every key, from the bindings' tooltips
    answer_panel.py `AnswerPanel`: a titled, scrollable box of Markdown (answer, reference)
    texts.py        the progress and mark lines as Rich text (pure functions, tested alone)
"""
