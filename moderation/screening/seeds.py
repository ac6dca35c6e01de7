"""The word lists a site starts with, for the default categories (services.policy), before
an Admin edits them at /policy/<site>/words/. Deliberately short and unsurprising: each
newsroom knows its own readers' vocabulary; these are the words every one of them removes.
A term ending in * matches any ending; matching sees through case, accents, look-alike
signs (a$$, sh1t, f*ck) and repeated letters (see moderation.screening.words)."""

from moderation.screening.words import BANNED, SUSPECT

DEFAULT_TERMS = {
    "profanity": {
        BANNED: [
            "fuck*", "motherfuck*", "shit", "shits", "shitty", "bullshit", "asshole*",
            "bitch*", "bastard*", "cunt*", "dickhead*", "wanker*", "prick", "piss off",
            "crap", "goddamn*",
        ],
        SUSPECT: ["damn", "hell", "piss*", "sucks", "screw you", "ass"],
    },
    "personal-attack": {
        BANNED: [
            "idiot*", "moron*", "imbecile*", "cretin*", "retard*", "shut up", "scumbag*",
            "lowlife", "dimwit*", "nitwit*", "halfwit*", "pathetic loser*",
        ],
        SUSPECT: [
            "stupid", "fool*", "liar*", "loser*", "clown*", "troll*", "coward*",
            "ignorant", "traitor*", "you people", "brainwashed",
        ],
    },
    "other-inappropriate": {
        BANNED: ["kill yourself", "go die", "buy now", "click here"],
        SUSPECT: ["vermin", "subhuman", "parasites", "go back to", "deport them"],
    },
}  # fmt: skip


def default_terms() -> list[list[str]]:
    """[category slug, kind, term] for every default term."""
    return [
        [slug, kind, term]
        for slug, kinds in DEFAULT_TERMS.items()
        for kind, terms in kinds.items()
        for term in terms
    ]
