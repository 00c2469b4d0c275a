"""Articles written for the tests (never corpus text), and page builders."""

from __future__ import annotations

SPINE_STAGES = ["clean", "split", "metadata", "language", "sentences"]

# every registered layer stage, with the fakes where a model would take seconds to load
FAST = {
    "stages.claims.backend": "checkworthiness_fake",
    "stages.techniques.backend": "techniques_fake",
    "pipeline.update_narratives": False,
}
ALL_STAGES = [
    "clean", "split", "metadata", "language", "sentences", "coverage", "entities", "quotes", "sourcing",
    "claims", "techniques", "debunk_matches", "denials", "stance", "assessment",
]

DENIAL_STORY = """Ministry Denies Fuel Convoy Report

The ministry of defence on Monday denied that forty fuel trucks had crossed the northern border into the rebel-held district, calling the report false. “No convoy crossed the border,” ministry spokesman Piet Lorne told reporters in the capital.

Local officials said the trucks had been seen near the checkpoint for three nights in a row, and that the drivers had paid the guards to let them pass. The governor of the district said that the trucks carried fuel for the militia."""

STORY_A = """Harbour Authority Accused of Selling Fuel to Militia

Officials at the port of Velmora sold diesel to the Black Reed militia for months, according to documents seen by the Coastal Ledger. The documents list twelve tanker deliveries between March and May.

“We had no choice but to keep the pumps running,” a port clerk told reporters on Tuesday. The clerk asked not to be named.

The harbour authority denied the claims. Its director, Anna Brekke, described the report as “a fabrication from start to finish” and said the agency would sue.

Independent analysts said the delivery records matched satellite images of tankers docking at night. The ministry of transport has opened an inquiry, a spokesman said."""

STORY_B = """Storm Closes Mountain Passes Across the Northern Province

Heavy snow closed three mountain passes in the northern province on Sunday, stranding hundreds of lorries for the second time this winter. Road crews worked through the night to clear the main highway.

The regional weather office said another front would arrive by Wednesday. Schools in six districts stayed shut, and the railway added two extra trains to carry stranded travellers home.

Farmers warned that feed deliveries were running late. A co-operative in the valley said it had enough hay for one more week if the roads stayed closed."""

STORY_C = """New Bridge Opens After Four Years of Delays

The long-delayed bridge over the Tarn river opened to traffic on Friday, four years after construction began. City officials cut a ribbon at the eastern end while a brass band played.

The bridge cost almost twice the original estimate. Auditors said last year that design changes and a contractor dispute had added most of the extra cost, and the council has promised a public report.

Commuters welcomed the opening. Traffic on the old ferry route is expected to fall by half, the city's planning office said in a statement."""


def scraped_page(story: str, *, outlet_footer: str | None = None) -> str:
    """A story wrapped in the furniture that real scrapes carry."""
    title, body = story.split("\n\n", 1)
    lines = [
        "Accessibility links",
        "",
        "Breaking News",
        "",
        title,
        "",
        f"{title} | Coastal Ledger",
        "",
        "Tankers at the harbour at dawn (AFP photo)",
        "",
        body,
        "",
        "SHARE THIS ARTICLE",
        "Views: 3,311",
    ]
    if outlet_footer:
        lines += ["", outlet_footer]
    return "\n".join(lines) + "\n"


def glued_page(*stories: str) -> str:
    parts = []
    for story in stories:
        title, body = story.split("\n\n", 1)
        parts.append(f"{title}\n\nA photo taken earlier this year near the scene\n\n{body}")
    return "\n\n".join(parts) + "\n"
