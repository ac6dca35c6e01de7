"""Load test: a moderation team working the queue against a running server (`make serve`).

    .venv/bin/python bench/load.py --serve [--moderators 10] [--duration 30] [--comments 5000]
    .venv/bin/python bench/load.py --serve --contention    # 30 moderators on 6 comments
    .venv/bin/python bench/load.py --url http://127.0.0.1:8000 ...   # a server already running

The database is the one DATABASE_URL names (as the server reads it; SQLite's db.sqlite3 by
default). `--serve` starts `make serve` on a free loopback port with that database (it
migrates and collects the static files), waits for it, and stops it at the end.

Set-up, through the ORM on that database: the seed articles if the archive is empty;
--comments comments in all on a "Bench News" site (bulk inserts: a benchmark's shortcut, never
product code), in articles of 40; a "Bench contention" article with 6 comments; moderators
bench-mod-01… in the Moderator group and a staff superuser bench-admin, all with a password
made for this run.

Each moderator is a thread with its own connection to the loopback server. It logs in
through the login form (before the clock starts), then until --duration is up picks what to
do by the --mix weights, like a person working the queue, with --think seconds between
(on average; the first action also comes after such a pause, so that the moderators start
over the first few seconds rather than all at once):

    queue    read /queue/ (a page among the first --pages) and note the comments on it
    thread   open the thread of a comment seen, and note its comments
    decide   approve, remove (for a category), escalate or send back to pending a comment
             seen, at the version seen
    tag      tag a comment seen with one of its site's categories
    undo     undo one's own last tag or decision

Actions are sent as the page's scripts send them (Accept: application/json), and every
answer updates what the moderator knows of the comment. 2xx is done; 409 (someone acted
first) and 400 (already in that state, say) are a moderator's everyday refusals; anything
else, or no answer, is an error. `--contention`: 30 moderators (unless --moderators says
otherwise) act only on the 6 comments of the contention article, reading its thread.

Baseline, measured in the same run: one more client, logged in as bench-admin, alternates
our queue's first page and Django's admin changelist of comments (/admin/archive/comment/)
for the whole run; the ratio of the two is printed.

Printed: per kind of request, the count, requests per second and the 50th/95th/99th
percentile latency; errors by status; the baseline ratio; then the audit check: the events
written during the run against the actions accepted (one each), and the whole chain verified
(`manage.py verify_audit`'s check). Exits 1 on any error, mismatch or broken chain.

Bounded: loopback addresses only, at most 100 moderators and 600 seconds, a 30-second
timeout per request.
"""

import argparse
import http.client
import io
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_MODERATORS, MAX_SECONDS, TIMEOUT = 100, 600, 30
DEFAULT_MIX = "queue=30,thread=20,decide=25,tag=15,undo=10"
CONTENTION_MIX = "thread=10,decide=40,tag=30,undo=20"
ARTICLE_SIZE = 40
CONTENTION_COMMENTS = 6
SENTENCE = (
    "the budget debate minister parliament vote tax people government article you are wrong "
    "right idiot fool agree disagree school roads hospital election money history news thanks"
)
WORDS = SENTENCE.split()
REFUSALS = {400, 409}
ACTIONS = ("approve", "remove", "escalate", "pending")
STATUS_OF = {"approve": "approved", "remove": "removed", "escalate": "escalated"}
ROW = re.compile(r'data-comment="(\d+)" data-version="(\d+)" data-status="(\w+)"')
CATEGORY_SELECT = re.compile(r'<select name="category".*?</select>', re.S)
OPTION = re.compile(r'<option value="(\d+)"')
ARTICLE_LINK = re.compile(r'href="/articles/(\d+)/(?:\?at=\d+)?#comment-')


# Set-up, through the ORM


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moderation.settings")
    # The bench's own process only (the server it starts runs with debug off).
    os.environ["DJANGO_DEBUG"] = "true"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed(comments: int):
    """The seed articles if the archive is empty, and `comments` comments on Bench News."""
    from django.core.management import call_command

    from archive.models import Comment, Site

    call_command("load_seeds", stdout=io.StringIO())
    site, _ = Site.objects.get_or_create(name="Bench News", defaults={"domain": "bench.example"})
    have = Comment.objects.filter(article__site=site).exclude(article__source_key="contention")
    missing = comments - have.count()
    if missing > 0:
        _bulk_comments(site, missing)
    _contention_article(site)


def _bulk_comments(site, count: int):
    from django.db import transaction
    from django.utils import timezone

    from archive.models import Article, Comment, Commenter, Source
    from moderation.services import records

    rng = random.Random(count)
    now = timezone.now()
    with transaction.atomic():
        names = [f"Reader {i}" for i in range(200)]
        Commenter.objects.bulk_create(
            [Commenter(site=site, name=n) for n in names], ignore_conflicts=True
        )
        commenters = list(Commenter.objects.filter(site=site, name__in=names))
        first = Article.objects.filter(site=site).count()
        articles = Article.objects.bulk_create(
            Article(
                site=site,
                title=f"Bench article {first + i}",
                source=Source.PAGE,
                source_key=f"bench-{first + i}-{secrets.token_hex(4)}",
                published_at=now,
            )
            for i in range((count + ARTICLE_SIZE - 1) // ARTICLE_SIZE)
        )
        rows = []
        for n in range(count):
            article, order = articles[n // ARTICLE_SIZE], n % ARTICLE_SIZE
            text = " ".join(rng.choices(WORDS, k=rng.randint(5, 40)))
            rows.append(
                Comment(
                    article=article,
                    commenter=rng.choice(commenters),
                    position=str(order + 1),
                    thread_order=order,
                    posted_at=now,
                    body_text=text,
                    body_html=f"<p>{text}</p>",
                    source=Source.PAGE,
                    source_key=f"c{order}",
                )
            )
        Comment.objects.bulk_create(rows, batch_size=2000)
        # What an import does after its bulk insert: every comment's state, commenters' records.
        records.open_states(Comment.objects.filter(article__in=articles))
        records.open_records(Commenter.objects.filter(site=site))


def _contention_article(site):
    from archive.models import Article, Comment, Source
    from moderation.services import records

    article, made = Article.objects.get_or_create(
        site=site,
        source=Source.PAGE,
        source_key="contention",
        defaults={"title": "Bench contention: six comments, thirty moderators"},
    )
    if made:
        Comment.objects.bulk_create(
            Comment(
                article=article,
                position=str(i + 1),
                thread_order=i,
                body_text=f"Contended comment {i + 1}: you are an idiot.",
                body_html=f"<p>Contended comment {i + 1}: you are an idiot.</p>",
                source=Source.PAGE,
                source_key=f"c{i}",
            )
            for i in range(CONTENTION_COMMENTS)
        )
        records.open_states(Comment.objects.filter(article=article))
    return article


def make_users(moderators: int, password: str) -> list[str]:
    """bench-mod-01… (Moderators) and bench-admin (staff superuser), all with `password`."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from moderation import permissions

    User = get_user_model()
    names = [f"bench-mod-{i + 1:02}" for i in range(moderators)]
    group = Group.objects.get(name=permissions.MODERATOR)
    for name in names:
        User.objects.get_or_create(username=name)[0].groups.add(group)
    User.objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    # One hash for all: hashing is slow on purpose, and this is not a login.
    User.objects.filter(username__in=[*names, "bench-admin"]).update(
        password=make_password(password), is_active=True
    )
    return names


def contention_article_id() -> int:
    from archive.models import Article

    return Article.objects.get(site__name="Bench News", source_key="contention").pk


def audit_state() -> tuple[int, int, str | None]:
    """(events, the last event's id, the chain's first break or None)."""
    from moderation import audit
    from moderation.models import AuditEvent

    # Links, hashes and checkpoint positions: the server signs with a key of its own (beside
    # its settings file), which `manage.py verify_audit` checks where that key is.
    checked, broken = audit.verify(keys={})
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return checked, last, (f"event {broken.event_id}: {broken.problem}" if broken else None)


def events_since(last_id: int) -> int:
    from moderation.models import AuditEvent

    return AuditEvent.objects.filter(id__gt=last_id).count()


def database_name() -> str:
    from django.db import connection

    return f"{connection.vendor} ({connection.settings_dict['NAME']})"


def comment_count() -> int:
    from archive.models import Comment

    return Comment.objects.count()


# The server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`make serve` on a free loopback port, in its own process group, its output in a log."""

    def __init__(self, workers: int | None, env_file: str | None, env: dict | None = None):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed and removed in stop())
            prefix="bench-serve-", suffix=".log", delete=False
        )
        env = dict(os.environ if env is None else env)
        env.pop("DJANGO_DEBUG", None)  # make serve sets it off anyway
        if workers:
            env["WEB_CONCURRENCY"] = str(workers)
        args = ["make", "-s", "serve", f"PORT={self.port}", f"BIN={Path(sys.executable).parent}"]
        if env_file:
            args.append(f"ENV_FILE={env_file}")
        self.process = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait(self, seconds=180):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"make serve exited ({self.process.returncode}):\n{self.output()}")
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                connection.request("GET", "/accounts/login/")
                connection.getresponse().read()
                return  # a worker answers: migrated, static files collected
            except (OSError, http.client.HTTPException):
                time.sleep(0.25)
            finally:
                connection.close()
        raise SystemExit(f"make serve did not answer in {seconds} s:\n{self.output()}")

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def workers(self) -> int:
        return self.output().count("Booting worker")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


# The client


@dataclass
class Result:
    kind: str
    status: int  # 0: no answer (connection refused, reset, timed out)
    seconds: float
    accepted: int = 0  # audit events this request should have written


class Browser:
    """One person's connection: cookies, the CSRF token, requests timed."""

    def __init__(self, url: str, results: list):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.cookies: dict[str, str] = {}
        self.results = results
        self.last: Result | None = None
        self.connection = None

    def request(self, kind, method, path, form=None, *, json=False):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        if json:
            headers["Accept"] = "application/json"
        start = time.perf_counter()
        try:
            status, text = self._send(method, path, body, headers)
        except (OSError, http.client.HTTPException):
            self.connection = None
            status, text = 0, ""
        # The list is shared by every thread: keep this request's own result at hand.
        self.last = Result(kind, status, time.perf_counter() - start)
        self.results.append(self.last)
        return status, text

    def _send(self, method, path, body, headers):
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            self.cookies.update({name: morsel.value for name, morsel in cookie.items()})
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
            self.connection = None
        return response.status, text

    def log_in(self, username, password) -> bool:
        self.request("login", "GET", "/accounts/login/")
        status, _ = self.request(
            "login",
            "POST",
            "/accounts/login/",
            {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
            },
        )
        return status == 302 and "sessionid" in self.cookies


@dataclass
class Seen:
    """What a moderator knows of a comment from the last page or answer."""

    version: int
    status: str
    categories: list[str] = field(default_factory=list)
    article: int | None = None


def read_rows(html: str, article: int | None = None) -> dict[int, Seen]:
    """The comments a queue or thread page shows: id, version, status, categories, thread."""
    matches = list(ROW.finditer(html))
    rows = {}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        chunk = html[match.end() : following.start() if following else len(html)]
        select = CATEGORY_SELECT.search(chunk)
        link = ARTICLE_LINK.search(chunk)
        rows[int(match[1])] = Seen(
            version=int(match[2]),
            status=match[3],
            categories=OPTION.findall(select.group()) if select else [],
            article=int(link[1]) if link else article,
        )
    return rows


class Moderator:
    """One person working: reads pages, acts on what they saw, undoes their own last action."""

    def __init__(self, browser: Browser, rng: random.Random, options, contention: int | None):
        self.browser, self.rng, self.options = browser, rng, options
        self.contention = contention  # the contention article, or None
        self.seen: dict[int, Seen] = {}
        self.last_event: int | None = None
        kinds, weights = zip(*options.mix.items(), strict=True)
        self.kinds, self.weights = kinds, weights

    def work(self, until: float):
        if self.options.think:
            # Moderators come to the queue over the first pauses' length, not all in the same
            # millisecond: a herd of every moderator's first two requests at once is not
            # what a team working the queue does (it made 1 request in 10 of a minute's run
            # wait behind the other 99, which is all its 95th percentile measured).
            time.sleep(self.rng.uniform(0, 2 * self.options.think))
        if self.contention:
            self.thread(self.contention)
        else:
            self.queue()
        while time.monotonic() < until:
            kind = self.rng.choices(self.kinds, self.weights)[0]
            getattr(self, f"do_{kind}")()
            if self.options.think:
                time.sleep(self.rng.uniform(0, 2 * self.options.think))

    # Reading

    def queue(self):
        # The queue pages by cursor: the first page, or the page after a comment seen.
        page = self.rng.randint(1, self.options.pages)
        after = f"?after={self.rng.choice(list(self.seen))}" if page > 1 and self.seen else ""
        status, html = self.browser.request("queue", "GET", f"/queue/{after}")
        if status == 200:
            self.seen = read_rows(html) or self.seen

    def thread(self, article):
        status, html = self.browser.request("thread", "GET", f"/articles/{article}/")
        if status == 200:
            self.seen.update(read_rows(html, article))

    def do_queue(self):
        if self.contention:
            return self.thread(self.contention)
        return self.queue()

    def do_thread(self):
        articles = [s.article for s in self.seen.values() if s.article]
        if articles:
            self.thread(self.rng.choice(articles))

    # Acting

    def pick(self):
        if not self.seen:
            return None, None
        pk = self.rng.choice(list(self.seen))
        return pk, self.seen[pk]

    def do_decide(self):
        pk, seen = self.pick()
        if pk is None:
            return
        action = self.rng.choice([a for a in ACTIONS if STATUS_OF.get(a, "pending") != seen.status])
        form = {"action": action, "version": seen.version, "next": "/queue/"}
        if action == "remove":
            if not seen.categories:
                return
            form["reasons"] = self.rng.choice(seen.categories)
        if action == "approve":
            form["note"] = "Within the policy (bench)."
        self.act("decide", f"/comments/{pk}/decide/", form)

    def do_tag(self):
        pk, seen = self.pick()
        if pk is None or not seen.categories:
            return
        form = {"category": self.rng.choice(seen.categories), "next": "/queue/"}
        self.act("tag", f"/comments/{pk}/tags/", form)

    def do_undo(self):
        if self.last_event is None:
            return
        self.act("undo", "/queue/undo/", {"event": self.last_event, "next": "/queue/"})
        self.last_event = None

    def act(self, kind, path, form):
        status, text = self.browser.request(kind, "POST", path, form, json=True)
        answer = _json(text)
        if status == 200 and answer.get("ok"):
            self.browser.last.accepted = 1
            if kind != "undo":
                self.last_event = answer.get("event")
        for state in [answer.get("comment"), *answer.get("comments", [])]:
            if state and state.get("id") in self.seen:
                self.seen[state["id"]].version = state["version"]
                self.seen[state["id"]].status = state["status"]


def _json(text: str) -> dict:
    import json

    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class BaselineReader:
    """The same client alternating our queue and Django's admin changelist of comments."""

    def __init__(self, browser: Browser):
        self.browser = browser

    def work(self, until: float):
        while time.monotonic() < until:
            self.browser.request("baseline: queue", "GET", "/queue/")
            self.browser.request("baseline: admin changelist", "GET", "/admin/archive/comment/")


# Running and reporting


def run_team(url, names, password, options, contention):
    """Log everyone in, then let them work for --duration; returns the results, the seconds
    they took and the CPU seconds this client used meanwhile."""
    results: list[Result] = []
    workers, failed = [], []
    rng = random.Random(options.seed)
    for name in names:
        browser = Browser(url, results)
        if not browser.log_in(name, password):
            failed.append(name)
        workers.append(Moderator(browser, random.Random(rng.random()), options, contention))
    if options.baseline:
        admin = Browser(url, results)
        if not admin.log_in("bench-admin", password):
            failed.append("bench-admin")
        workers.append(BaselineReader(admin))
    if failed:
        raise SystemExit(f"could not log in: {', '.join(failed)}")
    del results[:]  # the logins are set-up, not load
    start, cpu = time.monotonic(), time.process_time()
    until = start + options.duration
    threads = [threading.Thread(target=w.work, args=(until,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(options.duration + 2 * TIMEOUT)
    return results, time.monotonic() - start, time.process_time() - cpu


def percentile(sorted_ms: list[float], p: int) -> float:
    if len(sorted_ms) == 1:
        return sorted_ms[0]
    return statistics.quantiles(sorted_ms, n=100, method="inclusive")[p - 1]


def report(results: list[Result], seconds: float) -> tuple[list[str], Counter]:
    by_kind = defaultdict(list)
    for r in results:
        by_kind[r.kind].append(r)
    lines = [
        f"{'kind':28} {'n':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  statuses"
    ]
    for kind in sorted(by_kind, key=lambda k: (k.startswith("baseline"), k)):
        rows = by_kind[kind]
        ms = sorted(r.seconds * 1000 for r in rows)
        statuses = Counter(r.status for r in rows)
        lines.append(
            f"{kind:28} {len(rows):6} {len(rows) / seconds:7.1f} {percentile(ms, 50):8.1f} "
            f"{percentile(ms, 95):8.1f} {percentile(ms, 99):8.1f}  "
            + " ".join(f"{s or 'none'}:{n}" for s, n in sorted(statuses.items()))
        )
    lines.append(f"{'all':28} {len(results):6} {len(results) / seconds:7.1f}")
    errors = Counter(
        r.status for r in results if r.status == 0 or (r.status >= 400 and r.status not in REFUSALS)
    )
    return lines, errors


def baseline_ratio(results: list[Result]) -> str:
    ours = sorted(r.seconds for r in results if r.kind == "baseline: queue" and r.status == 200)
    admin = sorted(
        r.seconds for r in results if r.kind == "baseline: admin changelist" and r.status == 200
    )
    if not ours or not admin:
        return "baseline: no answers to compare"
    p50 = percentile(ours, 50) / percentile(admin, 50)
    p95 = percentile(ours, 95) / percentile(admin, 95)
    return (
        f"baseline (one client, interleaved): our queue / Django admin changelist of comments: "
        f"p50 {p50:.2f}x, p95 {p95:.2f}x ({len(ours)} and {len(admin)} requests)"
    )


def parse_mix(text: str) -> dict[str, int]:
    mix = {}
    for item in text.split(","):
        name, _, weight = item.partition("=")
        if name.strip() not in {"queue", "thread", "decide", "tag", "undo"} or not weight.isdigit():
            raise argparse.ArgumentTypeError(f"{item!r}: use kind=weight, kinds queue, thread, …")
        mix[name.strip()] = int(weight)
    return mix


def arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--serve", action="store_true", help="start `make serve`, stop it after")
    where.add_argument("--url", help="a server already running on the loopback")
    parser.add_argument("--moderators", type=int, help="default 10 (30 with --contention)")
    parser.add_argument("--duration", type=float, default=30, help="seconds of load (30)")
    parser.add_argument("--mix", type=parse_mix, help=f"kind=weight,… ({DEFAULT_MIX})")
    parser.add_argument("--think", type=float, default=0, help="mean pause between actions, s")
    parser.add_argument("--pages", type=int, default=5, help="queue pages moderators spread over")
    parser.add_argument("--comments", type=int, default=0, help="comments on Bench News in all")
    parser.add_argument("--contention", action="store_true", help="act on 6 comments only")
    parser.add_argument("--workers", type=int, help="WEB_CONCURRENCY for --serve")
    parser.add_argument("--env-file", help="ENV_FILE for make serve (default its .env)")
    parser.add_argument("--no-baseline", dest="baseline", action="store_false")
    parser.add_argument("--seed", type=int, default=9)
    options = parser.parse_args(argv)
    options.moderators = options.moderators or (30 if options.contention else 10)
    options.mix = options.mix or parse_mix(CONTENTION_MIX if options.contention else DEFAULT_MIX)
    if not 1 <= options.moderators <= MAX_MODERATORS:
        parser.error(f"--moderators must be 1 to {MAX_MODERATORS}")
    if not 0 < options.duration <= MAX_SECONDS:
        parser.error(f"--duration must be more than 0 and at most {MAX_SECONDS} seconds")
    if options.url and urlsplit(options.url).hostname not in LOOPBACK:
        parser.error("--url must be a loopback address (127.0.0.1, localhost, ::1)")
    return options


def main(argv=None) -> int:
    options = arguments(argv)
    server = Server(options.workers, options.env_file) if options.serve else None
    try:
        url = server.url if server else options.url.rstrip("/")
        if server:
            server.wait()  # it has migrated: the set-up below needs the tables
        setup_django()
        seed(options.comments)
        password = secrets.token_urlsafe(16)
        names = make_users(options.moderators, password)
        contention = contention_article_id() if options.contention else None
        _, last_before, _ = audit_state()
        results, seconds, client_cpu = run_team(url, names, password, options, contention)
        written = events_since(last_before)
        events, _, broken = audit_state()
        workers = f"make serve, {server.workers()} workers" if server else url
    finally:
        if server:
            server.stop()
    mix = ",".join(f"{k}={v}" for k, v in options.mix.items())
    print(
        f"bench/load.py: {options.moderators} moderators"
        f"{' + 1 baseline reader' if options.baseline else ''}"
        f"{' on 6 comments (contention)' if options.contention else ''}, {seconds:.1f} s, "
        f"mix {mix}, think {options.think} s; server {workers}; database {database_name()}, "
        f"{comment_count()} comments"
    )
    # The client shares the machine with the server: how much of it the client took.
    print(f"client CPU: {client_cpu:.1f} s in {seconds:.1f} s, of {os.cpu_count()} cores")
    lines, errors = report(results, seconds)
    print("\n".join(lines))
    print(
        "errors by status: "
        + (", ".join(f"{s or 'no answer'}: {n}" for s, n in sorted(errors.items())) or "none")
    )
    refusals = Counter(r.status for r in results if r.status in REFUSALS)
    print(f"refusals (409 someone acted first, 400 already so): {dict(sorted(refusals.items()))}")
    if options.baseline:
        print(baseline_ratio(results))
    accepted = sum(r.accepted for r in results)
    print(
        f"audit: {written} events written during the run for {accepted} accepted actions "
        f"({accepted / seconds:.1f}/s): {'one each' if written == accepted else 'MISMATCH'}; "
        f"verify_audit: {events} events, {'chain intact' if broken is None else broken}"
    )
    return 1 if errors or written != accepted or broken else 0


if __name__ == "__main__":
    sys.exit(main())
