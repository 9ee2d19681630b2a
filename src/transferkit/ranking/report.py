"""How a ranking is shown: one row per backbone, each score with the rank it implies,
the time each backbone took, then the recommendation, the agreement and the notes."""

from __future__ import annotations

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from transferkit.ranking.result import RankResult, title
from transferkit.ranking.scoring import CandidateScores


def _cell(c: CandidateScores, score: str) -> str:
    v = c.scores[score]
    if v.value is None:
        return "n/a"
    return f"{v.value:.3f} #{v.rank}"


def rank_table(result: RankResult) -> Table:
    """One row per score and one column per backbone (best by the primary score first):
    a handful of backbones fit an 80-column terminal this way round."""
    table = Table(
        title=f"Transferability to {result.data}: {result.num_examples} examples, "
        f"{len(result.classes)} classes (#1 = best by that score)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("score")
    for c in result.candidates:
        mark = "> " if c.name == result.recommended else ""
        table.add_column(mark + c.name, justify="right", overflow="fold")
    for s in result.scores:
        star = " *" if s == result.primary else ""
        table.add_row(title(s) + star, *(_cell(c, s) for c in result.candidates))
    table.add_section()
    table.add_row("loading, s", *(f"{c.build_seconds:.1f}" for c in result.candidates))
    table.add_row("embedding, s", *(f"{c.embed_seconds:.1f}" for c in result.candidates))
    table.add_row(
        "scores, s",
        *(f"{c.score_seconds + c.bootstrap_seconds:.1f}" for c in result.candidates),
    )
    return table


def summary_lines(result: RankResult) -> list[str]:
    embedded = sum(c.embedded for c in result.candidates)
    cached = sum(c.cached for c in result.candidates)
    return [
        "* the primary score, which decides; > the recommended backbone.",
        result.recommendation.text,
        result.agreement.text,
        *result.notes,
        f"Time: {result.seconds:.1f} s ({embedded} examples embedded, {cached} from the "
        f"cache; resampling {result.bootstrap_seconds:.1f} s).",
    ]


def render(result: RankResult) -> Group:
    return Group(rank_table(result), *(Text(line) for line in summary_lines(result)))


def render_text(result: RankResult, width: int = 120) -> str:
    console = Console(width=width, record=True, file=None, force_terminal=False)
    with console.capture() as capture:
        console.print(render(result))
    return capture.get()
