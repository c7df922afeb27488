"""Statistics for the stats screen: plain numbers computed in SQL, per the learner's days.

Undone ratings and undo events never count; cram ratings count as activity (reviews per day,
streak) but not towards retention, which measures the schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select

from quiz.store.days import start_of_day
from quiz.store.db import Database
from quiz.store.models import CardRow, QuestionRow, ReviewRow
from quiz.store.queue import LEARNING_STATES, REVIEW_STATE, effective_reviews
from quiz.store.scheduling import require_utc
from quiz.store.settings import Settings


@dataclass(frozen=True)
class DeckAccuracy:
    deck: str
    reviews: int
    recalled: int

    @property
    def accuracy(self) -> float | None:
        return self.recalled / self.reviews if self.reviews else None


@dataclass(frozen=True)
class StudyStats:
    reviews_per_day: list[tuple[str, int]]       # oldest first, the last is today
    forecast: list[tuple[str, int]]              # cards falling due per day, today first
    retention_per_week: list[tuple[str, float | None, int]]  # week label, share recalled, n
    cards_by_state: dict[str, int]
    decks: list[DeckAccuracy]
    streak: int                                  # days in a row with a review, up to today
    total_reviews: int
    true_retention: float | None                 # over every review of a review-state card


def _day_index(moment: datetime, first_day: datetime) -> int:
    return int((moment - first_day).total_seconds() // 86400)


def _per_day(moments: list[datetime], first_day: datetime, days: int) -> list[int]:
    counts = [0] * days
    for moment in moments:
        index = _day_index(moment, first_day)
        if 0 <= index < days:
            counts[index] += 1
    return counts


def _label(day: datetime) -> str:
    return day.astimezone().strftime("%m-%d")


def _streak(active_days: set[int], today_index: int) -> int:
    # A day without reviews yet today does not break the streak until it is over.
    day = today_index if today_index in active_days else today_index - 1
    streak = 0
    while day in active_days:
        streak += 1
        day -= 1
    return streak


def study_stats(db: Database, now: datetime, settings: Settings | None = None,
                days: int = 30, weeks: int = 12) -> StudyStats:
    now = require_utc(now)
    settings = settings or Settings()
    today = start_of_day(now, settings.day_starts_at)
    first_day = today - timedelta(days=days - 1)
    history_start = today - timedelta(days=max(days, weeks * 7, 366))
    counted = effective_reviews()
    with db.sessions.begin() as session:
        recent = session.execute(
            select(ReviewRow.reviewed_at, ReviewRow.kind, ReviewRow.state_before,
                   ReviewRow.rating)
            .where(counted, ReviewRow.reviewed_at >= history_start)
        ).all()
        total = session.scalar(select(func.count()).select_from(ReviewRow).where(counted)) or 0
        retention = session.execute(
            select(func.count(), func.sum(case((ReviewRow.rating > 1, 1), else_=0)))
            .where(counted, ReviewRow.kind == "review", ReviewRow.state_before == REVIEW_STATE)
        ).one()
        due_moments = session.scalars(
            select(CardRow.due).join(QuestionRow, QuestionRow.id == CardRow.question_id)
            .where(QuestionRow.retired_at.is_(None), CardRow.last_review.is_not(None),
                   CardRow.suspended.is_(False), CardRow.due < today + timedelta(days=days))
        ).all()
        state_name = case(
            (CardRow.suspended.is_(True), "suspended"),
            (and_(CardRow.buried_until.is_not(None), CardRow.buried_until > now), "buried"),
            (CardRow.last_review.is_(None), "new"),
            (CardRow.state.in_(LEARNING_STATES), "learning"),
            else_="review",
        )
        states = dict(session.execute(
            select(state_name, func.count())
            .select_from(CardRow)
            .join(QuestionRow, QuestionRow.id == CardRow.question_id)
            .where(QuestionRow.retired_at.is_(None)).group_by(state_name)
        ).all())
        deck_rows = session.execute(
            select(QuestionRow.deck, func.count(),
                   func.sum(case((ReviewRow.rating > 1, 1), else_=0)))
            .join(QuestionRow, QuestionRow.id == ReviewRow.question_id)
            .where(counted).group_by(QuestionRow.deck).order_by(QuestionRow.deck)
        ).all()
    reviews_per_day = _per_day([r[0] for r in recent], first_day, days)
    forecast = [0] * days
    for due in due_moments:
        forecast[max(_day_index(due, today), 0)] += 1
    week_start = today - timedelta(days=7 * (weeks - 1))
    week_counts = [[0, 0] for _ in range(weeks)]
    for moment, kind, state_before, rating in recent:
        if kind != "review" or state_before != REVIEW_STATE:
            continue
        index = _day_index(moment, week_start) // 7
        if 0 <= index < weeks:
            week_counts[index][0] += 1
            week_counts[index][1] += rating > 1
    active = {_day_index(r[0], today) for r in recent}
    n, recalled = retention
    return StudyStats(
        reviews_per_day=[(_label(first_day + timedelta(days=i)), c)
                         for i, c in enumerate(reviews_per_day)],
        forecast=[(_label(today + timedelta(days=i)), c) for i, c in enumerate(forecast)],
        retention_per_week=[
            (_label(week_start + timedelta(days=7 * i)), (r / n_) if n_ else None, n_)
            for i, (n_, r) in enumerate(week_counts)
        ],
        cards_by_state={name: states.get(name, 0)
                        for name in ("new", "learning", "review", "suspended", "buried")},
        decks=[DeckAccuracy(deck, count, int(ok or 0)) for deck, count, ok in deck_rows],
        streak=_streak(active, 0),
        total_reviews=total,
        true_retention=(recalled or 0) / n if n else None,
    )
