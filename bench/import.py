"""Benchmark importing WordPress exports (`import_wxr`) beside Django's `loaddata` of the same
rows, and beside bleach alone: rows per second, and peak memory (issue 11, item 5).

    .venv/bin/python bench/import.py [--comments 100000] [--rounds 3] [--memory-mb 20,200]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME .venv/bin/python bench/import.py

It makes its files in a temporary folder (removed at the end):

* `plain.xml`, a WordPress export of `--comments` comments of plain text (a post per 50
  comments, a commenter per 20, 30 % replies, 5 % held, a few spam comments and pingbacks
  that the importer leaves out), and `html.xml`, the same shape with comments of reader
  HTML (bold, links, quotes, entities, now and then a script or a style to remove);
* `fixture.json`, the rows `import_wxr plain.xml` stores (site, articles, commenters,
  comments, with their primary keys: the fastest form loaddata reads; natural keys would
  cost it a lookup per row and per foreign key), written by `dumpdata` from a scratch
  import, so that both commands store the very same rows.

On SQLite (the default) each run gets a copy of a migrated database file; on PostgreSQL
(`DATABASE_URL=postgres://…/NAME`) a copy of a migrated template database (`NAME_tpl`,
`NAME_run`; NAME itself is not touched; all are dropped at the end).

Then `--rounds` interleaved rounds (each round in the opposite order to the last), every
run a fresh process with debug off, as a deployment runs its commands:

1. `loaddata fixture.json` into an empty database;
2. `import_wxr plain.xml` into an empty database, then again into the same one (a
   re-import of the unchanged file: nothing to write);
3. `import_wxr html.xml` into an empty database;
4. bleach alone on what the HTML import sanitizes (every comment's content and every
   post's body), spread over the cores in worker processes as the importer spreads them
   (chunks of 500): on the content as the file holds it ("raw"), and on what the importer
   hands bleach for it, after WordPress's paragraphs and the caps (`autop`, `bound`: "as
   handed"; bleach's time there is the floor of the import's). Timed from the start of the
   workers to the last result, in a process of its own: no start-up, no reading, no
   writing, no text made of the HTML.

Printed per run: wall time (Django's start-up included for the commands), rows per second
(the fixture's rows: every site, article, commenter and comment both commands store), CPU
seconds (the process's own and, sampled from /proc, its worker processes'; for bleach alone
its workers' sanitizing only; never the database server's), and peak RSS: the process's
own (VmHWM) and, sampled every 0.1 s, that of it and all its worker processes together.
Then the medians, the ratios and issue 11's targets: plain import >= 10x loaddata's rows/s,
re-import >= 20x, HTML import within 1.5x of bleach alone as handed (raw for reference; and
the same ratio round by round and in CPU seconds, steadier on a machine shared with other
work). Last, memory: `import_wxr` of plain exports of `--memory-mb` sizes
(e.g. 20 and 200 MB), each into an empty database: the peak RSS of both, which must stay
flat (the larger within 1.5x of the smaller) and under 300 MB. Targets are judged only at a
realistic size (100,000 comments, a 200 MB export); the exit status is 1 when one judged
is missed.
"""

import argparse
import base64
import json
import os
import random
import resource
import runpy
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's code, in its commands and worker processes
PEAK_MARK = "bench-peak-rss-kb: "
TARGET_PLAIN, TARGET_REIMPORT, TARGET_HTML = 10.0, 20.0, 1.5
MEMORY_LIMIT_MB, MEMORY_RATIO = 300, 1.5
JUDGED_FROM_COMMENTS, JUDGED_FROM_MB = 50_000, 150
BLEACH_CHUNK = 500

# The export: made-up but shaped like a news site's (see moderation/corpus/text.py).

WORDS = [
    "the", "council", "budget", "road", "airport", "school", "reform", "election", "minister",
    "speech", "border", "talks", "pension", "plan", "football", "match", "church", "water",
    "tariffs", "mayor", "decision", "trial", "diaspora", "conference", "tax", "business",
    "hospital", "energy", "deal", "museum", "ceasefire", "census", "teachers", "strike",
    "bridge", "repairs", "article", "interview", "court", "ruling", "festival", "exports",
    "army", "people", "years", "government", "money", "village", "capital", "permit",
    "committee", "report", "figures", "country", "region", "honestly", "frankly", "clearly",
    "nobody", "everyone", "always", "never", "again", "still", "only", "really",
]  # fmt: skip
FIRST = [
    "Vartan", "Ani", "Aram", "Lilit", "Hovik", "Nare", "Sevak", "Talin", "Garo", "Maral",
    "John", "Maria", "David", "Sarah", "Levon", "Anahit", "Raffi", "Armen",
]  # fmt: skip
LAST = [
    "K.", "Petrosyan", "M.", "Hovsepian", "A.", "Sarkissian", "from Glendale", "O'Neill",
    "Grigoryan", "Boyajian", "in Paris", "Mardirossian", "Hakobyan", "from Beirut",
]  # fmt: skip
HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0"
  xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:wfw="http://wellformedweb.org/CommentAPI/"
  xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
  <title>Bench News</title>
  <link>https://bench.example.com</link>
  <description>Made by bench/import.py</description>
  <wp:wxr_version>1.2</wp:wxr_version>
  <wp:base_site_url>https://bench.example.com</wp:base_site_url>
  <wp:base_blog_url>https://bench.example.com</wp:base_blog_url>
"""


def sentence(rng: random.Random) -> str:
    text = " ".join(rng.choices(WORDS, k=rng.randint(6, 16)))
    return text[0].upper() + text[1:] + rng.choice([".", ".", ".", "?", "!", ", isn't it?"])


def plain_text(rng: random.Random) -> str:
    """One to three paragraphs, now and then a line break inside one."""
    paragraphs = []
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
        lines = [" ".join(sentence(rng) for _ in range(rng.randint(1, 3)))]
        if rng.random() < 0.1:
            lines.append(sentence(rng))
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def html_text(rng: random.Random) -> str:
    """Plain text with what readers put in it: bold and emphasis, a link, an entity, a
    quote, and now and then what sanitizing removes."""
    words = plain_text(rng).split(" ")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(words))
        tag = rng.choice(["b", "em", "strong", "i"])
        words[i] = f"<{tag}>{words[i]}</{tag}>"
    if rng.random() < 0.5:
        i = rng.randrange(len(words))
        words[i] = f'<a href="https://example.com/news/{rng.randint(1, 999)}">{words[i]}</a>'
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), "Q&amp;A")
    text = " ".join(words)
    if rng.random() < 0.25:
        text = f"<blockquote>{sentence(rng)}</blockquote>\n{text}"
    if rng.random() < 0.05:
        text += ' <span style="color:red">and</span> <img src="x.png" onerror="alert(1)">'
    return text


def cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def element(name: str, value, wrap: bool = True) -> str:
    return f"<{name}>{cdata(str(value)) if wrap else value}</{name}>"


def write_export(path: Path, comments: int, html: bool, seed: int, contents=None) -> dict:
    """A WordPress export of `comments` reader comments (plus the spam and pingbacks it
    leaves out); what the importer sanitizes goes to `contents` (a list) if given: each
    post's body and each reader comment's content, as ("post" or "comment", markup).
    Returns its shape."""
    rng = random.Random(seed)
    text = html_text if html else plain_text
    articles = max(1, comments // 50)
    names = [f"{rng.choice(FIRST)} {rng.choice(LAST)} {n}" for n in range(max(1, comments // 20))]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    comment_id = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD)
        for a in range(articles):
            post_id = 1000 + a
            posted = start + timedelta(hours=a)
            paragraphs = [" ".join(sentence(rng) for _ in range(3)) for _ in range(4)]
            body = "".join(f"<p>{p}</p>\n" for p in paragraphs) if html else "\n\n".join(paragraphs)
            if contents is not None:
                contents.append(("post", body))
            out.write(
                "  <item>\n    "
                + "\n    ".join(
                    [
                        f"<title>Story {a}: {sentence(rng)}</title>",
                        f"<link>https://bench.example.com/{post_id}/</link>",
                        f"<pubDate>{posted.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>",
                        element("dc:creator", "editor"),
                        element("content:encoded", body),
                        element("excerpt:encoded", ""),
                        element("wp:post_id", post_id, wrap=False),
                        element("wp:post_date_gmt", posted.strftime("%Y-%m-%d %H:%M:%S")),
                        element("wp:status", "publish"),
                        element("wp:post_type", "post"),
                    ]
                )
                + "\n"
            )
            readers = []
            n = comments // articles + (1 if a < comments % articles else 0)
            made = 0
            while made < n:
                comment_id += 1
                roll = rng.random()
                kind, approved = "comment", "0" if roll < 0.05 else "1"
                if roll > 0.99:
                    approved = "spam"
                elif roll > 0.985:
                    kind = "pingback"
                reader = kind == "comment" and approved != "spam"
                parent = rng.choice(readers) if readers and rng.random() < 0.3 else 0
                content = text(rng)
                if reader:
                    readers.append(comment_id)
                    made += 1
                    if contents is not None:
                        contents.append(("comment", content))
                when = (posted + timedelta(minutes=comment_id % 100_000)).strftime(
                    "%Y-%m-%d %H:%M:%S"
                )
                fields = [
                    element("wp:comment_id", comment_id, wrap=False),
                    element("wp:comment_author", "" if rng.random() < 0.05 else rng.choice(names)),
                    element("wp:comment_author_email", "reader@example.org"),
                    element("wp:comment_author_url", "https://example.org/", wrap=False),
                    element("wp:comment_author_IP", "203.0.113.5"),
                    element("wp:comment_date", when),
                    element("wp:comment_date_gmt", when),
                    element("wp:comment_content", content),
                    element("wp:comment_approved", approved),
                    element("wp:comment_type", kind),
                    element("wp:comment_parent", parent if reader else 0, wrap=False),
                    element("wp:comment_user_id", 0, wrap=False),
                ]
                out.write(
                    "    <wp:comment>\n      " + "\n      ".join(fields) + "\n    </wp:comment>\n"
                )
            out.write("  </item>\n")
        out.write("</channel>\n</rss>\n")
    return {"comments": comments, "articles": articles, "bytes": path.stat().st_size}


def export_of_size(path: Path, megabytes: float, seed: int) -> dict:
    """A plain export of about `megabytes` (its comments estimated from a small one)."""
    sample = write_export(path, 2_000, html=False, seed=seed)
    comments = int(2_000 * megabytes * 2**20 / sample["bytes"])
    return write_export(path, max(comments, 1), html=False, seed=seed)


# Databases: a migrated template, copied for each run.


def manage_environment(database_url: str) -> dict:
    """Debug off (no query log), a throw-away secret and audit signing key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return {
        **env,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": BENCH_SECRET,
        "AUDIT_SIGNING_KEY": BENCH_AUDIT_KEY,
        "PYTHONHASHSEED": "0",
    }


BENCH_SECRET = secrets.token_hex(32)
BENCH_AUDIT_KEY = base64.b64encode(secrets.token_bytes(32)).decode()


class SQLite:
    name = "SQLite"

    def __init__(self, workdir: Path):
        self.template = workdir / "template.sqlite3"
        self.copy = workdir / "run.sqlite3"

    def prepare(self) -> None:
        manage(f"sqlite:///{self.template}", ["migrate", "-v0"])
        import sqlite3

        self.name = f"SQLite {sqlite3.sqlite_version}"

    def fresh(self) -> str:
        self.drop()
        shutil.copyfile(self.template, self.copy)
        return f"sqlite:///{self.copy}"

    def drop(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.copy}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        self.drop()


class PostgreSQL:
    def __init__(self, url: str):
        parts = urlsplit(url)
        base = parts.path.lstrip("/") or "impspeed"
        self.admin = urlunsplit(parts._replace(path="/postgres"))
        self.template, self.copy = f"{base}_tpl", f"{base}_run"
        self.url = lambda name: urlunsplit(parts._replace(path=f"/{name}"))
        self.name = "PostgreSQL"

    def _execute(self, *statements: str) -> None:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as conn:
            for sql in statements:
                conn.execute(sql)
            version = conn.info.server_version
            self.name = f"PostgreSQL {version // 10000}.{version % 10000}"

    def prepare(self) -> None:
        self._execute(
            f'DROP DATABASE IF EXISTS "{self.copy}"',
            f'DROP DATABASE IF EXISTS "{self.template}"',
            f'CREATE DATABASE "{self.template}"',
        )
        manage(self.url(self.template), ["migrate", "-v0"])

    def fresh(self) -> str:
        self._execute(
            f'DROP DATABASE IF EXISTS "{self.copy}"',
            f'CREATE DATABASE "{self.copy}" TEMPLATE "{self.template}"',
        )
        return self.url(self.copy)

    def drop(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.copy}"')

    def close(self) -> None:
        self._execute(
            f'DROP DATABASE IF EXISTS "{self.copy}"', f'DROP DATABASE IF EXISTS "{self.template}"'
        )


def manage(database_url: str, arguments: list[str]) -> str:
    """manage.py ARGUMENTS for setting up (not timed); its output."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *arguments],
        cwd=ROOT,
        env=manage_environment(database_url),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        sys.exit(f"manage.py {' '.join(arguments)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


# Runs: each a process of its own, timed and watched.


class Tree:
    """The peak of the summed RSS of a process and all its descendants (worker processes,
    a fork server), sampled every `every` seconds from /proc while it runs, and the CPU
    time its descendants had used when last seen (a worker's last tenth of a second before
    it exits can be missed; it is idle by then)."""

    def __init__(self, pid: int, every: float = 0.1):
        self.pid, self.every = pid, every
        self.peak = 0
        self.ticks: dict[int, int] = {}  # descendant -> user + system clock ticks
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.thread.start()

    def _watch(self) -> None:
        while not self.stopped.wait(self.every):
            self.peak = max(self.peak, self._rss())

    def _rss(self) -> int:
        parents = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) >= self.pid:  # started after it: pids grow
                try:
                    fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                    parents[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
                except (OSError, IndexError, ValueError):
                    continue
        tree, grew = {self.pid}, True
        while grew:
            more = {pid for pid, (parent, _) in parents.items() if parent in tree} - tree
            tree |= more
            grew = bool(more)
        for pid in tree - {self.pid}:
            self.ticks[pid] = parents[pid][1]
        total = 0
        for pid in tree:
            try:
                total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self.page
            except (OSError, IndexError, ValueError):
                continue
        return total

    def stop(self) -> tuple[int, float]:
        """The peak RSS, and the CPU seconds of the descendants."""
        self.stopped.set()
        self.thread.join()
        return self.peak, sum(self.ticks.values()) / os.sysconf("SC_CLK_TCK")


def run(arguments: list[str], database_url: str) -> dict:
    """`arguments` (this script's own --manage or --bleach) in a fresh process: wall time,
    the peak RSS it reports itself, and that of its process tree; its output."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, __file__, *arguments],
        cwd=ROOT,
        env=manage_environment(database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    tree = Tree(process.pid)
    out, errors = process.communicate()
    elapsed = time.perf_counter() - started
    tree_peak, workers_cpu = tree.stop()
    if process.returncode:
        sys.exit(f"{' '.join(arguments)} failed:\n{out}{errors}")
    *errors, peak = errors.rstrip("\n").split("\n")
    own_kb, own_cpu = peak.removeprefix(PEAK_MARK).split()
    own = int(own_kb) * 1024
    return {
        "seconds": elapsed,
        "rss": own,
        "tree": max(tree_peak, own),
        "cpu": float(own_cpu) + workers_cpu,
        "out": out,
    }


def manage_here(arguments: list[str]) -> None:
    """The child's side of `run`: manage.py as run from a shell, then its peak RSS as the
    last line of standard error (the kernel's ru_maxrss of a child would also count the
    parent it was forked from)."""
    sys.argv = [str(ROOT / "manage.py"), *arguments]
    try:
        runpy.run_path(sys.argv[0], run_name="__main__")
    finally:
        sys.stderr.write(f"\n{PEAK_MARK}{status_kb('VmHWM')} {own_cpu()}\n")


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _bleach_chunk(markups: list[str]) -> tuple[list[str], float]:
    """bleach alone on `markups`, in a worker: the sanitized HTML, and the CPU it took."""
    from archive.sanitize import _cleaner

    started = time.process_time()
    done = [_cleaner.clean(markup) for markup in markups]
    return done, time.process_time() - started


def bleach_here(contents_path: str) -> None:
    """The child's side of a bleach run: what the importer sanitizes (each post's body and
    each comment's content) sanitized by bleach alone in one worker process per core, raw
    and as the importer hands it to bleach (cut, WordPress's paragraphs, the caps: each with
    the importer's limits for posts and for comments); prints both times."""
    from concurrent.futures import ProcessPoolExecutor

    from archive.importing.cleaning import _context, usable_cpus
    from archive.importing.wxr import ARTICLE_MAX_BYTES, ARTICLE_MAX_ELEMENTS
    from archive.sanitize import COMMENT_MAX_BYTES, autop, bound, truncate

    contents = json.loads(Path(contents_path).read_text("utf-8"))
    caps = {"post": (ARTICLE_MAX_BYTES, ARTICLE_MAX_ELEMENTS), "comment": (COMMENT_MAX_BYTES, None)}
    raw = [markup for _, markup in contents]
    handed = [
        bound(autop(truncate(markup, caps[kind][0])[0]), max_elements=caps[kind][1]).markup
        for kind, markup in contents
    ]
    times = {}
    for name, markups in (("raw", raw), ("handed", handed)):
        chunks = [markups[i : i + BLEACH_CHUNK] for i in range(0, len(markups), BLEACH_CHUNK)]
        started = time.perf_counter()
        with ProcessPoolExecutor(usable_cpus(), mp_context=_context()) as pool:
            parts = list(pool.map(_bleach_chunk, chunks))
        times[name] = time.perf_counter() - started
        times[f"{name} cpu"] = sum(cpu for _, cpu in parts)
        assert sum(len(done) for done, _ in parts) == len(markups)
    print(json.dumps(times))
    sys.stderr.write(f"\n{PEAK_MARK}{status_kb('VmHWM')} {own_cpu()}\n")


# The comparison


def mb(n: float) -> str:
    return f"{n / 2**20:,.1f} MB"


class Bench:
    def __init__(self, args, workdir: Path):
        self.args, self.workdir = args, workdir
        url = os.environ.get("DATABASE_URL", "")
        self.db = PostgreSQL(url) if url.startswith("postgres") else SQLite(workdir)
        self.runs: dict[str, list[dict]] = {}

    def prepare(self) -> None:
        args, workdir = self.args, self.workdir
        self.db.prepare()
        contents: list[str] = []
        self.plain = workdir / "plain.xml"
        self.html = workdir / "html.xml"
        self.shape = write_export(self.plain, args.comments, html=False, seed=args.seed)
        html_shape = write_export(
            self.html, args.comments, html=True, seed=args.seed, contents=contents
        )
        self.contents = workdir / "contents.json"
        self.contents.write_text(json.dumps(contents), "utf-8")
        url = self.db.fresh()
        manage(url, ["import_wxr", str(self.plain)])
        self.fixture = workdir / "fixture.json"
        manage(
            url,
            ["dumpdata", "archive.site", "archive.article", "archive.commenter",
             "archive.comment", "--output", str(self.fixture)],
        )  # fmt: skip
        self.rows = len(json.loads(self.fixture.read_text("utf-8")))
        self.db.drop()
        load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
        print(
            f"import bench: {self.db.name}, {os.cpu_count()} CPUs (load average before: {load}); "
            f"{args.comments:,} comments, {args.rounds} round(s), medians"
        )
        print(
            f"files: plain.xml {mb(self.shape['bytes'])} and html.xml {mb(html_shape['bytes'])} "
            f"({args.comments:,} reader comments each, {self.shape['articles']:,} posts); "
            f"fixture.json: {self.rows:,} rows (site, articles, commenters, comments)"
        )

    def record(self, name: str, round_: int, result: dict) -> None:
        self.runs.setdefault(name, []).append(result)
        line = f"  round {round_}  {name:15} {result['seconds']:8.2f} s"
        if "rows" in result:
            line += f"  {result['rows'] / result['seconds']:>9,.0f} rows/s"
        line += f"   CPU {result['cpu']:7.2f} s   peak RSS {mb(result['rss'])}"
        if result["tree"] > result["rss"] * 1.02:
            line += f" (with its workers {mb(result['tree'])})"
        print(line, flush=True)

    def round(self, n: int) -> None:
        steps = [self.loaddata, self.imports, self.html_import, self.bleach]
        for step in steps if n % 2 else reversed(steps):
            step(n)

    def loaddata(self, n: int) -> None:
        result = run(["--manage", "loaddata", str(self.fixture)], self.db.fresh())
        if f"Installed {self.rows} object(s)" not in result["out"]:
            sys.exit(f"loaddata did not install {self.rows} rows: {result['out']}")
        self.record("loaddata", n, {**result, "rows": self.rows})

    def imports(self, n: int) -> None:
        url = self.db.fresh()
        fresh = run(["--manage", "import_wxr", str(self.plain)], url)
        expected = f"comments {self.args.comments} new, 0 updated, 0 unchanged"
        if expected not in fresh["out"]:
            sys.exit(f"import_wxr did not import {self.args.comments} comments: {fresh['out']}")
        self.record("import plain", n, {**fresh, "rows": self.rows})
        again = run(["--manage", "import_wxr", str(self.plain)], url)
        if f"0 updated, {self.args.comments} unchanged" not in again["out"]:
            sys.exit(f"the re-import changed something: {again['out']}")
        self.record("re-import", n, {**again, "rows": self.rows})

    def html_import(self, n: int) -> None:
        result = run(["--manage", "import_wxr", str(self.html)], self.db.fresh())
        if f"comments {self.args.comments} new" not in result["out"]:
            sys.exit(f"import_wxr did not import the HTML comments: {result['out']}")
        self.record("import HTML", n, {**result, "rows": self.rows})

    def bleach(self, n: int) -> None:
        result = run(["--bleach", str(self.contents)], "sqlite://")
        times = json.loads(result["out"].strip().splitlines()[-1])
        for name in ("raw", "handed"):
            label = f"bleach {'raw' if name == 'raw' else 'as handed'}"
            self.record(label, n, {**result, "seconds": times[name], "cpu": times[f"{name} cpu"]})

    def median(self, name: str, key: str = "seconds") -> float:
        return statistics.median(r[key] for r in self.runs[name])

    def summary(self) -> list[str]:
        """Prints the medians and the targets; returns those judged and missed."""
        print("medians:")
        for name, runs in self.runs.items():
            seconds = self.median(name)
            rate = f"{self.rows / seconds:>9,.0f} rows/s" if "rows" in runs[0] else " " * 16
            peak = max(r["tree"] for r in runs)
            print(
                f"  {name:15} {seconds:8.2f} s  {rate}   CPU {self.median(name, 'cpu'):7.2f} s"
                f"   peak RSS (all processes) {mb(peak)}"
            )
        # The same ratio round by round (runs next to each other share the machine's load),
        # and in CPU seconds, which other work on the machine changes least.
        html_runs, bleach_runs = self.runs["import HTML"], self.runs["bleach as handed"]
        paired = [
            html["seconds"] / bleach["seconds"]
            for html, bleach in zip(html_runs, bleach_runs, strict=True)
        ]
        cpu = self.median("import HTML", "cpu") / self.median("bleach as handed", "cpu")
        print(
            "  import HTML / bleach as handed, round by round: "
            + ", ".join(f"{r:.2f}x" for r in paired)
            + f"; in CPU (the import's processes, not the database server's): {cpu:.2f}x"
        )
        loaddata = self.median("loaddata")
        plain, again = loaddata / self.median("import plain"), loaddata / self.median("re-import")
        html = self.median("import HTML")
        handed, raw = html / self.median("bleach as handed"), html / self.median("bleach raw")
        judged = self.args.comments >= JUDGED_FROM_COMMENTS
        checks = [
            (f"import plain: {plain:.1f}x loaddata's rows/s", plain >= TARGET_PLAIN,
             f">= {TARGET_PLAIN:.0f}x"),
            (f"re-import: {again:.1f}x loaddata's rows/s", again >= TARGET_REIMPORT,
             f">= {TARGET_REIMPORT:.0f}x"),
            (f"import HTML: {handed:.2f}x the time of bleach alone as handed "
             f"({raw:.2f}x bleach on the raw content)", handed <= TARGET_HTML,
             f"<= {TARGET_HTML}x"),
        ]  # fmt: skip
        return self._judge(checks, judged, f"{JUDGED_FROM_COMMENTS:,} comments")

    @staticmethod
    def _judge(checks, judged: bool, size: str) -> list[str]:
        missed = []
        for text, met, target in checks:
            verdict = ("met" if met else "NOT MET") if judged else f"not judged below {size}"
            print(f"  {text} (target {target}): {verdict}")
            if judged and not met:
                missed.append(text)
        return missed

    def memory(self) -> list[str]:
        """Plain exports of each --memory-mb size imported into empty databases."""
        sizes = [float(s) for s in self.args.memory_mb.split(",") if s]
        if not sizes:
            return []
        print("memory: import_wxr of plain exports into empty databases")
        results = []
        for megabytes in sizes:
            path = self.workdir / f"memory-{megabytes:g}.xml"
            shape = export_of_size(path, megabytes, self.args.seed)
            result = run(["--manage", "import_wxr", str(path)], self.db.fresh())
            path.unlink()
            results.append(result)
            print(
                f"  {mb(shape['bytes']):>10}  {shape['comments']:>9,} comments  "
                f"{result['seconds']:7.2f} s   peak RSS {mb(result['rss'])}, "
                f"all processes {mb(result['tree'])}",
                flush=True,
            )
        if len(results) < 2:
            return []
        small, large = results[0]["tree"], results[-1]["tree"]
        checks = [
            (f"peak RSS {mb(large)} for the largest file", large < MEMORY_LIMIT_MB * 2**20,
             f"< {MEMORY_LIMIT_MB} MB"),
            (f"peak RSS ratio largest/smallest file {large / small:.2f}",
             large <= MEMORY_RATIO * small, f"<= {MEMORY_RATIO}"),
        ]  # fmt: skip
        return self._judge(checks, max(sizes) >= JUDGED_FROM_MB, f"a {JUDGED_FROM_MB} MB export")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--memory-mb", default="20,200", help="export sizes for the memory check ('' for none)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--manage", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.add_argument("--bleach", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.manage:
        manage_here(args.manage)
        return 0
    if args.bleach:
        bleach_here(args.bleach)
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="import-bench-"))
    bench = Bench(args, workdir)
    try:
        bench.prepare()
        for n in range(1, max(1, args.rounds) + 1):
            bench.round(n)
        missed = bench.summary() + bench.memory()
    finally:
        bench.db.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
