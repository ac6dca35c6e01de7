"""Made-up comment text that reads like a news site's discussion: short and long, one or
several paragraphs, replies that name whom they answer, and now and then what the policy
forbids (profanity, a personal attack, spam or a threat), so that the queue's text search,
tags on passages and removals have something real to point at.

Nothing here touches the database. Sentences, and paragraphs of them, are put together once
per corpus from a few hundred parts; a comment picks some paragraphs, so a million comments
cost a few million cheap choices, not a million grammars.

HTML is made the way the page importer makes it for plain text (`archive.sanitize.
text_to_html`, then `sanitize`): paragraphs in `<p>`, each escaped with `html.escape`.
For text like this (no tags, no line breaks inside a paragraph) bleach changes nothing, so
it is not called per comment; a test checks the equality on every generated comment.
"""

import html
import random
from typing import NamedTuple

TOPICS = [
    "the budget", "the new road to the airport", "the school reform", "the election",
    "the minister's speech", "the border talks", "the pension plan", "the football match",
    "the church restoration", "the water tariffs", "the mayor's decision", "the trial",
    "the genocide commemoration", "the diaspora conference", "the tax on small business",
    "the hospital closure", "the energy deal", "the new museum", "the ceasefire",
    "the census results", "the teachers' strike", "the bridge repairs", "this article",
    "the interview", "the court ruling", "the festival", "the wine exports", "the army draft",
]  # fmt: skip
OPENERS = [
    "Honestly,", "In my view,", "As someone who lived there,", "Frankly,", "To be fair,",
    "Let's be clear:", "I have to say", "With respect,", "Once again", "Sadly,", "Finally",
    "For the record,", "My grandfather always said", "Whatever anyone says,", "Again,",
]  # fmt: skip
CLAIMS = [
    "{topic} is long overdue", "{topic} will change nothing", "{topic} is a step forward",
    "nobody asked the people about {topic}", "{topic} was handled badly from the start",
    "the coverage of {topic} is one-sided", "{topic} deserves more attention",
    "{topic} shows how little has been learned", "we should be proud of {topic}",
    "{topic} is being used to distract us", "the numbers on {topic} don't add up",
    "{topic} is a matter for the courts, not the press", "{topic} is the real story here",
    "young people care about {topic} more than you think", "{topic} cost far too much",
]  # fmt: skip
CLOSERS = [
    "Thank you for writing this.", "Time will tell.", "We have seen this before.",
    "Who is going to pay for it?", "Read the report before commenting.",
    "I hope the government listens.", "Shame on the editors for burying this.",
    "Great article, as always.", "Let's see what happens after the vote.",
    "This is why people stop trusting the media.", "Well said.", "Q&A with the minister, please.",
    'So much for "transparency".', "Sources, please?", "My family agrees, for what it's worth.",
    "Prices went up 3% < what they promised, not > it.", "God bless.", "Not again.",
]  # fmt: skip
DETAILS = [
    "In 2019 the same promise was made and nothing was built.",
    "The previous government tried this and it failed within a year.",
    "Most of the money ends up with the same three companies.",
    "My cousin works in the ministry and says the plan changed twice last month.",
    "The figures in the second paragraph are from last year, not this one.",
    "Other countries in the region did it in half the time.",
    "The article leaves out what the opposition proposed.",
    "Villages outside the capital never see any of this.",
    "It took my neighbour six months to get a simple permit.",
    "The committee met twice and published nothing.",
    "Compare this with what was said at the conference in Yerevan.",
    "The diaspora sends more money home than the whole budget for roads.",
]  # fmt: skip
# What the policy forbids, by category slug: (the sentence, the passage a moderator marks).
VIOLATIONS = {
    "profanity": [
        ("What a load of crap.", "crap"),
        ("Damn hypocrites, all of them.", "Damn hypocrites"),
        ("This is bullshit and everyone knows it.", "bullshit"),
        ("Shut the hell up about the budget.", "Shut the hell up"),
        ("The b*****d who wrote this should be ashamed.", "b*****d"),
    ],
    "personal-attack": [
        ("You are an idiot and a liar.", "idiot and a liar"),
        ("Only a moron would write this.", "moron"),
        ("The author is a clown.", "a clown"),
        ("Go back to school, you fool.", "you fool"),
        ("People like you are the reason this country is stuck, idiot.", "idiot"),
    ],
    "other-inappropriate": [
        ("Buy cheap watches at www.best-deals-online.example today!", "Buy cheap watches"),
        ("Call 555-0199 now for easy money from home.", "Call 555-0199 now"),
        ("I know where you live.", "I know where you live."),
        ("These people are all thieves and should be thrown out.", "all thieves"),
    ],
}
FIRST_NAMES = [
    "Vartan", "Ani", "Aram", "Lilit", "Hovik", "Nare", "Sevak", "Talin", "Garo", "Maral",
    "John", "Maria", "David", "Sarah", "Levon", "Anahit", "Raffi", "Shushan", "Armen", "Tamar",
    "George", "Nina", "Hagop", "Lucine", "Mike", "Karine", "Sam", "Arpi", "Zareh", "Siran",
]  # fmt: skip
LAST_NAMES = [
    "K.", "Petrosyan", "M.", "Hovsepian", "A.", "Sarkissian", "from Glendale", "Grigoryan",
    "T.", "Boyajian", "in Paris", "Mardirossian", "L.", "Hakobyan", "from Beirut", "O'Neill",
]  # fmt: skip
HANDLES = ["truth_seeker", "patriot", "concerned_citizen", "oldtimer", "reader", "yerevantsi",
           "skeptic", "diaspora_voice", "ararat", "just_asking"]  # fmt: skip


class Body(NamedTuple):
    text: str
    html: str
    # The category slug of the forbidden passage in the text, and its offsets [start, end).
    violation: str | None = None
    span: tuple[int, int] | None = None


class Writer:
    """Comment bodies from one random generator: the same seed writes the same comments.

    Paragraphs (one to four sentences) are made once, `paragraphs` of them, each with its
    HTML; a comment is one to four of them, so most of the per-comment cost is a few random
    numbers and two joins."""

    def __init__(self, rng: random.Random, paragraphs: int = 5_000):
        self.rng = rng
        sentences = [self._sentence() for _ in range(max(50, paragraphs // 2))]
        self.paragraphs = []
        for _ in range(paragraphs):
            text = " ".join(rng.choices(sentences, k=1 + int(rng.random() * 4)))
            self.paragraphs.append(Body(text, f"<p>{html.escape(text)}</p>"))

    def _sentence(self) -> str:
        rng = self.rng
        claim = rng.choice(CLAIMS).format(topic=rng.choice(TOPICS))
        roll = rng.random()
        if roll < 0.4:
            return f"{rng.choice(OPENERS)} {claim}."
        if roll < 0.7:
            return claim[0].upper() + claim[1:] + "."
        if roll < 0.85:
            return rng.choice(DETAILS)
        return rng.choice(CLOSERS)

    def body(self, rng, violation: str | None = None, reply_to: str | None = None) -> Body:
        """A comment of one to four paragraphs (most comments are one), answering
        `reply_to` by name if given, with a sentence of the `violation` category if given.
        `rng`: the chunk's own generator (the pool is shared by every chunk)."""
        pool, random_ = self.paragraphs, rng.random
        size = len(pool)
        roll = random_()
        if roll < 0.55:
            first = pool[int(random_() * size)]
            if violation is None and reply_to is None:
                return first  # a third of all comments: one paragraph, as it is
            chosen = [first]
            count = 1
        else:
            count = 2 if roll < 0.8 else 3 if roll < 0.93 else 4
            chosen = [pool[int(random_() * size)] for _ in range(count)]
        if reply_to is not None and random_() < 0.5:
            text, markup, *_ = chosen[0]
            chosen[0] = (f"@{reply_to} {text}", f"<p>@{html.escape(reply_to)} {markup[3:]}")
        passage = None
        if violation is not None:
            sentence, passage = rng.choice(VIOLATIONS[violation])
            n = int(random_() * count)
            text, markup, *_ = chosen[n]
            chosen[n] = (f"{text} {sentence}", f"{markup[:-4]} {html.escape(sentence)}</p>")
        if count == 1:
            text, markup, *_ = chosen[0]
        else:
            text = "\n\n".join([c[0] for c in chosen])
            markup = "\n".join([c[1] for c in chosen])
        if passage is None:
            return Body(text, markup)
        start = text.rindex(passage)
        return Body(text, markup, violation, (start, start + len(passage)))

    def display_name(self) -> str:
        """A commenter's name as sites show them: a name, or a handle."""
        rng = self.rng
        if rng.random() < 0.7:
            return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        return f"{rng.choice(HANDLES)}{rng.randint(1, 9999)}"

    def title(self) -> str:
        topic = self.rng.choice(TOPICS)
        return self.rng.choice(
            [
                f"What {topic} means for families",
                f"Opinion: {topic} and the road ahead",
                f"Parliament divided over {topic}",
                f"Five questions about {topic}",
                f"Reactions to {topic}",
            ]
        )

    def article_body(self) -> str:
        return "\n\n".join(p.text for p in self.rng.choices(self.paragraphs, k=4))
