"""A small paraphrase probe for text encoders, written for this project: pairs of
sentences that say the same thing in other words. A sentence encoder that still knows
its source skill gives each pair a higher cosine similarity than it gives unrelated
sentences; fine-tuning on a narrow task can erode that."""

from __future__ import annotations

PAIRS: tuple[tuple[str, str], ...] = (
    ("The train was late this morning.", "This morning the train did not arrive on time."),
    ("She bought a new bicycle last week.", "Last week she got herself a new bike."),
    ("The museum is closed on Mondays.", "On Mondays you cannot visit the museum."),
    ("He forgot his umbrella at the office.", "He left his umbrella behind at work."),
    ("It rained all day in the city.", "The city had rain from morning to night."),
    ("The soup needs more salt.", "This soup is not salty enough."),
    ("Our flight was cancelled because of fog.", "Fog led to the cancellation of our flight."),
    ("The children are playing in the garden.", "The kids are out in the garden playing."),
    ("I can't find my keys anywhere.", "My keys seem to have vanished."),
    ("The meeting was moved to Thursday.", "They rescheduled the meeting for Thursday."),
    ("This laptop battery lasts for ten hours.", "The battery of this laptop runs ten hours."),
    ("The river froze during the cold winter.", "In the harsh winter the river turned to ice."),
    ("My grandmother grows tomatoes every summer.", "Each summer my grandma plants tomatoes."),
    ("The shop sold out of bread by noon.", "By midday there was no bread left in the shop."),
    ("He is learning to play the violin.", "He is taking violin lessons."),
    ("The road is blocked by a fallen tree.", "A tree has fallen across the road."),
    ("She speaks three languages fluently.", "She is fluent in three languages."),
    ("The printer has run out of paper.", "There is no paper left in the printer."),
    ("We walked along the beach at sunset.", "At sunset we took a stroll on the beach."),
    ("The doctor told him to rest for a week.", "He was advised by his doctor to rest a week."),
    (
        "The concert tickets sold out in minutes.",
        "Tickets for the concert were gone within minutes.",
    ),
    ("Prices went up again this year.", "This year things became more expensive again."),
    ("The cat is sleeping on the sofa.", "On the couch, the cat is asleep."),
    ("He repaired the broken chair himself.", "He fixed the broken chair on his own."),
    ("The library opens at nine.", "At nine o'clock the library opens its doors."),
    ("They moved to a bigger apartment.", "They relocated to a larger flat."),
    ("The lecture was hard to follow.", "It was difficult to understand the lecture."),
    (
        "Please turn off the lights when you leave.",
        "Switch the lights off on your way out, please.",
    ),
    (
        "The bridge will be repaired next month.",
        "Repairs to the bridge are planned for next month.",
    ),
    ("She won the chess tournament.", "She came first in the chess competition."),
    ("The package arrived two days early.", "The parcel was delivered two days ahead of time."),
    ("My phone screen cracked when I dropped it.", "I dropped my phone and its screen broke."),
)
