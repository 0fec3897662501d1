"""Story grouping benchmark: what assigning one new entry to a story costs as the window grows.

Window entries are synthetic news in English and Russian: leads of two or three sentences
built from templates with names, organisations, places, commodities and numbers drawn from
word lists, so that word pairs repeat across entries as they do in real news (the same
officials, countries and phrases) and the index's buckets fill as they would. Probed
entries are half new stories, half copies of a window entry as outlets republish them (a
new headline, a trimmed lead, a sentence added at the end or in front, a dateline, a word
dropped from the first sentence).

Printed:

* microseconds per ``fingerprint`` (title and lead of a window entry);
* memory of the fingerprints and of the index at the largest size (tracemalloc), beside
  datasketch's ``MinHashLSH`` holding the same bands (measured on up to 20,000 entries and
  scaled);
* for each --sizes window: the cost per entry of ``find`` then ``add`` (fingerprints
  already made), in a steady state: each probe comes one window step after the last and
  ``forget`` first drops what left the window (timed apart), so the window keeps its size
  and the key arrays' rebuilds are paid for as they come; the median of --runs runs of
  --probes. In the same run, the baseline: ``same_story`` of the entry with every window
  entry, one by one (--slow probes: it is slow). Also how many entries the looked-up keys
  hold per probe, the share of copies that found their story and of new stories that
  found one (none should);
* the ratios: cost at the largest size / at the smallest (target <= 1.5) and baseline /
  indexed at the largest (target >= 50);
* the labelled corpus's pairwise precision and recall (tests/corpus/stories).

    uv run python benchmarks/stories.py [--sizes 1000,100000] [--runs 5]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from datasketch import LeanMinHash, MinHashLSH

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_story_corpus import evaluate, report  # noqa: E402

from bot.stories import Fingerprint, StoryIndex, fingerprint, same_story  # noqa: E402
from bot.stories.similar import BANDS, ROWS  # noqa: E402

START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # the window's newest entry
WINDOW = 48 * 3600

EN = {
    "person": "Tokayev Putin Mirziyoyev Japarov Rahmon Berdimuhamedov Lukashenko Aliyev Pashinyan "
    "Erdogan Xi Modi Bektenov Mishustin Nurtleu Lavrov Shoigu Overchuk Sultanov Zhumangarin "
    "Smailov Kuantyrov Akchulakov Satkaliyev Saparbayev Karabayev Ismailov Norov Kholmatov "
    "Abdullayev Umarov Rakhimov Dzhaksybekov Baimukhanov Tasmagambetov Mukhamediuly",
    "org": "Rosatom Kazatomprom KazMunayGas Samruk-Kazyna Gazprom Rosneft Lukoil Chevron Eni "
    "Shell CNPC CNNC Sinopec Tengizchevroil Karachaganak Air-Astana Kcell Beeline Halyk "
    "Kaspi Freedom Glencore ERG Qarmet Polymetal Uzbekneftegaz Turkmengaz KTZ Aktau-Port "
    "Baiterek Kazakhtelecom Transtelecom Kazpost Samruk-Energy KEGOC Kazzinc Orsk-Refinery",
    "country": "Kazakhstan Russia Uzbekistan Kyrgyzstan Tajikistan Turkmenistan China Turkey "
    "Azerbaijan Georgia Belarus Armenia Iran India Germany France Japan Korea Qatar Emirates",
    "city": "Astana Almaty Shymkent Aktau Atyrau Karaganda Pavlodar Oskemen Tashkent Samarkand "
    "Bishkek Osh Dushanbe Ashgabat Baku Tbilisi Minsk Moscow Kazan Novosibirsk Omsk Urumqi",
    "thing": "wheat barley oil gas uranium copper zinc coal steel fertiliser cotton electricity "
    "containers coal sugar flour sunflower-oil diesel petrol cement aluminium gold silver",
    "body": "ministry of energy;ministry of trade;ministry of agriculture;central bank;"
    "statistics bureau;foreign ministry;railway company;customs service;antimonopoly agency;"
    "atomic energy agency;emergencies ministry;finance ministry;press service",
    "act": "build;expand;modernise;open;buy;sell;export;import;ban;cut;raise;extend;launch;"
    "suspend;resume;double;privatise;finance",
    "facility": "plant;pipeline;terminal;railway line;power station;refinery;logistics hub;"
    "border crossing;airport;warehouse;data centre;wind farm;solar park;port",
    "day": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
    "month": "January February March April May June July August September October November "
    "December",
}
RU = {
    "person": "Токаев Путин Мирзиёев Жапаров Рахмон Бердымухамедов Лукашенко Алиев Пашинян "
    "Эрдоган Си Моди Бектенов Мишустин Нуртлеу Лавров Шойгу Оверчук Султанов Жумангарин "
    "Смаилов Куантыров Акчулаков Саткалиев Сапарбаев Карабаев Исмаилов Норов Холматов",
    "org": "Росатом Казатомпром КазМунайГаз Самрук-Казына Газпром Роснефть Лукойл Шеврон Эни "
    "Шелл CNPC Синопек Тенгизшевройл Карачаганак Эйр-Астана Кселл Билайн Халык Каспи Фридом "
    "Гленкор ERG Кармет Полиметалл Узбекнефтегаз Туркменгаз КТЖ Байтерек Казахтелеком KEGOC",
    "country": "Казахстан Россия Узбекистан Киргизия Таджикистан Туркмения Китай Турция "
    "Азербайджан Грузия Белоруссия Армения Иран Индия Германия Франция Япония Корея Катар",
    "city": "Астана Алматы Шымкент Актау Атырау Караганда Павлодар Усть-Каменогорск Ташкент "
    "Самарканд Бишкек Ош Душанбе Ашхабад Баку Тбилиси Минск Москва Казань Новосибирск Омск",
    "thing": "пшеница ячмень нефть газ уран медь цинк уголь сталь удобрения хлопок "
    "электроэнергия контейнеры сахар мука подсолнечное-масло дизтопливо бензин цемент золото",
    "body": "министерство энергетики;министерство торговли;министерство сельского хозяйства;"
    "национальный банк;бюро статистики;МИД;железнодорожная компания;таможенная служба;"
    "агентство по защите конкуренции;агентство по атомной энергии;МЧС;минфин;пресс-служба",
    "act": "построить;расширить;модернизировать;открыть;купить;продать;экспортировать;"
    "ввозить;запретить;сократить;увеличить;продлить;запустить;приостановить;возобновить",
    "facility": "завод;трубопровод;терминал;железную дорогу;электростанцию;НПЗ;"
    "логистический хаб;пункт пропуска;аэропорт;склад;дата-центр;ветропарк;солнечную станцию",
    "day": "понедельник вторник среду четверг пятницу субботу воскресенье",
    "month": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
}
# A sentence: a subject, a predicate and an ending, each drawn from these lists.
SUBJECTS = {
    "en": (
        "{country}'s {org}",
        "{org}",
        "The {body} of {country}",
        "{person}, the head of {org},",
        "Deputy prime minister {person}",
        "{country} and {country}",
        "Officials in {city}",
        "The government of {country}",
        "{org}, controlled by {person},",
        "A delegation led by {person}",
        "Traders in {city}",
        "The {facility} operator in {city}",
    ),
    "ru": (
        "Компания {org}",
        "{org}",
        "Правительство страны {country}",
        "Глава компании {org} {person}",
        "Вице-премьер {person}",
        "Страны {country} и {country}",
        "Власти города {city}",
        "{body}",
        "Делегация во главе с {person}",
        "Трейдеры в городе {city}",
        "Оператор объекта {facility} в городе {city}",
        "Акимат города {city}",
    ),
}
PREDICATES = {
    "en": (
        "will {act} a {facility} in {city} worth ${n} million",
        "agreed to {act} supplies of {thing} to {country} from {month} {d}",
        "reported a {p}% rise in {thing} output in {month}",
        "signed a deal to {act} a {facility} near {city}",
        "plans to {act} {n} thousand tonnes of {thing} by {year}",
        "discussed {thing} prices and transit through {city} with {person}",
        "said {thing} exports fell {p}% in the first {d} months",
        "denied reports that it would {act} the {facility} in {city}",
        "raised its forecast for {thing} production to {n} million tonnes",
        "asked {org} to {act} the {facility} in {city} by {month}",
        "received a loan of ${n} million to {act} a {facility}",
        "will hold talks on {thing} with {country} in {city} on {month} {d}",
        "cut the price of {thing} by {p}% for buyers in {country}",
        "opened a {facility} with a capacity of {n} megawatts in {city}",
    ),
    "ru": (
        "намерена {act} {facility} в городе {city} стоимостью {n} млн долларов",
        "договорились {act} поставки товара {thing} в страну {country} с {d} {month}",
        "сообщила о росте добычи товара {thing} на {p}% в месяце {month}",
        "подписала соглашение {act} {facility} под городом {city}",
        "планирует {act} {n} тыс. тонн товара {thing} к {year} году",
        "обсудил цены на {thing} и транзит через город {city} с {person}",
        "заявила, что экспорт товара {thing} за {d} месяцев снизился на {p}%",
        "опровергла сообщения о планах {act} {facility} в городе {city}",
        "повысила прогноз производства товара {thing} до {n} млн тонн",
        "поручила компании {org} {act} {facility} в городе {city} до месяца {month}",
        "получила кредит на {n} млн долларов, чтобы {act} {facility}",
        "проведет переговоры о поставках {thing} со страной {country} {d} {month}",
        "снизила цену на {thing} на {p}% для покупателей из страны {country}",
        "открыла {facility} мощностью {n} МВт в городе {city}",
    ),
}
ENDINGS = {
    "en": (
        "",
        ", the {body} said on {day}",
        ", according to the {body}",
        " in a statement on {day}",
        ", {person} told reporters in {city}",
        ", citing a shortage of {thing}",
        ", sources familiar with the matter said",
        ", the {body} said in a statement",
    ),
    "ru": (
        "",
        ", сообщило {body} в {day}",
        ", по данным ведомства {body}",
        ", говорится в сообщении компании",
        ", рассказал журналистам в городе {city} {person}",
        ", сославшись на нехватку товара {thing}",
        ", сообщили источники",
        ", сообщила пресс-служба ведомства {body}",
    ),
}
TITLES = {
    "en": (
        "{org} to {act} {facility} in {city}",
        "{person}, {person} discuss {thing} supplies",
        "{country} {thing} exports up {p}% in {month}",
        "{country} to {act} {facility} from {month} {d}",
        "{org} signs ${n} million deal with {country}",
        "{person} visits {city} for talks on {thing}",
        "{thing} prices in {country} hit {p}-month high",
        "{country}, {country} agree on {thing} transit",
    ),
    "ru": (
        "{org} намерен {act} {facility} в городе {city}",
        "{person} и {person} обсудили поставки товара {thing}",
        "Экспорт товара {thing} из страны {country} вырос на {p}%",
        "{body} решило {act} {facility} с {d} {month}",
        "{org} подписал соглашение на {n} млн долларов",
        "{person} прибыл в город {city} на переговоры",
        "Цены на {thing} в стране {country} достигли максимума",
        "Страны {country} и {country} договорились о транзите товара {thing}",
    ),
}
DATELINES = {"en": "{CITY}, {month} {d} (Reuters) - ", "ru": "{CITY}, {d} {month}. /ТАСС/. "}


class News:
    """A generator of synthetic news entries (title, lead) in one language."""

    def __init__(self, language: str, seed: int) -> None:
        self.language = language
        self.rng = random.Random(seed)
        words = EN if language == "en" else RU
        self.slots = {k: v.split(";") if ";" in v else v.split() for k, v in words.items()}

    def fill(self, template: str, names: list[str] | None = None) -> str:
        """``template`` with its slots filled; names (people, organisations, countries,
        cities) from ``names`` when given."""
        rng = self.rng
        text = template
        while "{" in text:
            start = text.index("{")
            slot = text[start + 1 : text.index("}", start)]
            if slot == "n":
                value = str(rng.choice((rng.randint(2, 99), rng.randint(100, 9_999))))
            elif slot == "p":
                value = str(rng.randint(1, 60))
            elif slot == "year":
                value = str(rng.randint(2026, 2035))
            elif slot == "d":
                value = str(rng.randint(1, 28))
            elif slot == "CITY":
                value = rng.choice(self.slots["city"]).upper()
            elif names and slot in ("person", "org", "country", "city"):
                value = rng.choice(names)
            else:
                value = rng.choice(self.slots[slot]).replace("-", " ")
            text = text.replace("{" + slot + "}", value, 1)
        return text[0].upper() + text[1:]

    def sentence(self) -> str:
        rng, language = self.rng, self.language
        parts = (SUBJECTS[language], PREDICATES[language], ENDINGS[language])
        return self.fill(" ".join(rng.choice(part) for part in parts[:2]) + rng.choice(parts[2]))

    def entry(self) -> tuple[str, str]:
        sentences = [self.sentence() + "." for _ in range(self.rng.choice((2, 3, 3)))]
        return self.headline(sentences[0]), " ".join(sentences)

    def headline(self, sentence: str) -> str:
        """A headline of the lead's own words, as editors write them: its opening words, or a
        headline template with the names of its first sentence."""
        words = sentence.rstrip(".").split(",")[0].split()
        if self.rng.random() < 0.5:
            return " ".join(words[: self.rng.randint(5, 9)])
        names = [word.strip("'s,") for word in words[1:] if word[:1].isupper()]
        plain = [t for t in TITLES[self.language] if not re.search(r"{(n|p|d|month)}", t)]
        return self.fill(self.rng.choice(plain), names or words[:1])

    def copy(self, title: str, lead: str) -> tuple[str, str]:
        """The entry as another outlet republishes it."""
        sentences = lead.split(". ")
        kind = self.rng.randrange(5)
        if kind == 0:  # a new headline
            return self.headline(sentences[0]), lead
        if kind == 1:  # trimmed to the first sentence
            return title, sentences[0].rstrip(".") + "."
        if kind == 2:  # a sentence added at the end or in front
            added = self.sentence() + "."
            return title, (lead + " " + added) if self.rng.random() < 0.7 else added + " " + lead
        if kind == 3:
            return title, self.fill(DATELINES[self.language]) + lead
        # a word dropped from the first sentence (not a name or number)
        words = sentences[0].split(" ")
        common = [i for i, w in enumerate(words) if w.isalpha() and w.islower() and len(w) > 3]
        if common:
            del words[self.rng.choice(common)]
        return title, ". ".join([" ".join(words), *sentences[1:]])


@dataclass
class Window:
    fingerprints: list[Fingerprint]
    texts: list[tuple[str, str]]


def make_entries(count: int, seed: int) -> list[tuple[str, str, str]]:
    """``count`` (language, title, lead), English and Russian alternating."""
    generators = [News("en", seed), News("ru", seed + 1)]
    return [(g.language, *g.entry()) for g in (generators[i % 2] for i in range(count))]


def fingerprints(entries: list[tuple[str, str, str]]) -> list[Fingerprint]:
    made = [fingerprint(title, lead) for _, title, lead in entries]
    return [fp for fp in made if fp is not None]


def build(fps: list[Fingerprint], size: int) -> StoryIndex:
    """A window of ``size`` entries, one every ``WINDOW / size`` seconds up to START."""
    index = StoryIndex(WINDOW)
    step = timedelta(seconds=WINDOW / size)
    for number, fp in enumerate(fps[:size]):
        index.add(("bench", f"w{number}"), fp, f"s{number}", START + (number - size) * step)
    return index


@dataclass(frozen=True)
class Probe:
    fp: Fingerprint
    copy: bool  # a copy of an entry in the window when it comes


def probes(entries: list[tuple[str, str, str]], size: int, count: int, seed: int) -> list[Probe]:
    """The entries that come after the window's: half new stories, half copies of an entry
    still in the window when they come (a window entry or an earlier probe)."""
    rng = random.Random(seed)
    news = {"en": News("en", seed + 7), "ru": News("ru", seed + 8)}
    texts = list(entries[:size])
    made = []
    for number in range(count):
        copy = number % 2 == 1
        if copy:
            language, title, lead = rng.choice(texts[-size:])
            title, lead = news[language].copy(title, lead)
        else:
            language = "en" if number % 4 else "ru"
            title, lead = news[language].entry()
        texts.append((language, title, lead))
        fp = fingerprint(title, lead)
        if fp is not None:
            made.append(Probe(fp, copy))
    return made


@dataclass(frozen=True)
class Assigned:
    seconds: float  # per entry, find then add
    forget: float  # per entry, forgetting the entries that left the window
    copies_found: float  # share of the copies that found their story
    new_merged: float  # share of the new stories that found one (none should)


def assign(index: StoryIndex, batch: list[Probe], size: int, tag: str) -> Assigned:
    """Each probe in turn, one window step after the last: forget what left the window
    (timed apart), then find and add (timed), so that the window keeps ``size`` entries."""
    step = timedelta(seconds=WINDOW / size)
    window = timedelta(seconds=WINDOW)
    copies = found = mistaken = 0
    assigning = forgetting = 0.0
    for number, probe in enumerate(batch):
        at = START + number * step
        started = time.perf_counter()
        index.forget(at - window)
        between = time.perf_counter()
        story = index.find(probe.fp, at)
        index.add(("probe", f"{tag}{number}"), probe.fp, story or f"{tag}{number}", at)
        assigning += time.perf_counter() - between
        forgetting += between - started
        copies += probe.copy
        found += probe.copy and story is not None
        mistaken += not probe.copy and story is not None
    assert len(index) <= size + 1
    return Assigned(
        assigning / len(batch),
        forgetting / len(batch),
        found / copies,
        mistaken / (len(batch) - copies),
    )


def baseline(window: list[Fingerprint], batch: list[Probe]) -> float:
    """Seconds per entry of same_story with every window entry, one by one."""
    started = time.perf_counter()
    for probe in batch:
        for other in window:
            same_story(probe.fp, other)
    return (time.perf_counter() - started) / len(batch)


def candidates(index: StoryIndex, batch: list[Probe]) -> float:
    """The entries filed under the keys ``find`` looks up, per probe."""
    keys = index._keys  # a look inside, for the report only
    return statistics.mean(len(keys.lookup(probe.fp.search_keys)) for probe in batch)


def per_fingerprint(entries: list[tuple[str, str, str]]) -> float:
    sample = entries[:3000]
    started = time.perf_counter()
    for _, title, lead in sample:
        fingerprint(title, lead)
    return (time.perf_counter() - started) / len(sample)


def memory(entries: list[tuple[str, str, str]], fps: list[Fingerprint]) -> tuple[float, float]:
    """Bytes per entry of the fingerprints (traced on up to 10,000) and of an index of all
    ``fps`` without them (traced as it is built)."""
    sample = entries[:10_000]
    tracemalloc.start()
    kept = fingerprints(sample)
    per_fingerprint, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    tracemalloc.start()
    index = build(fps, len(fps))
    per_entry, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(index) == len(fps) and kept
    return per_fingerprint / len(kept), per_entry / len(fps)


def minhash_lsh_bytes(count: int) -> float:
    """Bytes per entry of datasketch's MinHashLSH holding the same bands as the index (two
    windows of a lead per entry)."""
    rng = np.random.default_rng(1)
    lsh = MinHashLSH(num_perm=BANDS * ROWS, params=(BANDS, ROWS))
    sketches = [
        LeanMinHash(seed=1, hashvalues=rng.integers(0, 2**32, BANDS * ROWS), scheme="affine32")
        for _ in range(2 * count)
    ]
    tracemalloc.start()
    for number, sketch in enumerate(sketches):
        lsh.insert(number, sketch, check_duplication=False)
    used, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return used / count


def print_memory(entries: list[tuple[str, str, str]], fps: list[Fingerprint]) -> None:
    fingerprint_bytes, index_bytes = memory(entries, fps)
    mib = 100_000 / 2**20
    print(
        f"memory per 100k entries: {(fingerprint_bytes + index_bytes) * mib:.0f} MiB: "
        f"fingerprints {fingerprint_bytes * mib:.0f} MiB, index {index_bytes * mib:.0f} MiB "
        f"(traced with {len(fps)} entries)"
    )
    lsh = minhash_lsh_bytes(min(len(fps), 20_000))
    print(
        f"    beside datasketch MinHashLSH holding the same {2 * BANDS} bands: {lsh * mib:.0f} MiB"
    )


def main(sizes: list[int], runs: int, count: int, slow_count: int) -> None:
    started = time.perf_counter()
    largest = max(sizes)
    entries = make_entries(largest, seed=1)
    print(f"fingerprint: {per_fingerprint(entries) * 1e6:.0f} µs per entry (title + lead)")
    fps = fingerprints(entries)
    print_memory(entries, fps)
    costs: dict[int, float] = {}
    done: dict[int, list[Assigned]] = {size: [] for size in sizes}
    slow: dict[int, list[float]] = {size: [] for size in sizes}
    checked: dict[int, list[float]] = {size: [] for size in sizes}
    for run in range(runs):  # the sizes in turn, so that a noisy moment hits them alike
        for size in sizes:
            index = build(fps, size)
            batch = probes(entries[:size], size, count, seed=1000 + run)
            checked[size].append(candidates(index, batch[:500]))
            slow[size].append(baseline(fps[:size], batch[:slow_count]))
            done[size].append(assign(index, batch, size, f"r{run}-"))
    for size in sizes:
        costs[size] = statistics.median(r.seconds for r in done[size])
        costs[-size] = statistics.median(slow[size])
        forget = statistics.median(r.forget for r in done[size])
        print(
            f"window {size:>7}: find+add {costs[size] * 1e6:6.1f} µs per entry (median of "
            f"{runs} runs of {count}; forgetting the oldest {forget * 1e6:.1f} µs more); "
            f"one by one with same_story {costs[-size] * 1e3:7.1f} ms per entry "
            f"(x{costs[-size] / costs[size]:.0f}); entries under the keys looked up "
            f"{statistics.mean(checked[size]):.2f} per entry; copies found "
            f"{statistics.mean(r.copies_found for r in done[size]):.1%}, new stories merged "
            f"{statistics.mean(r.new_merged for r in done[size]):.1%}"
        )
    small, big = min(sizes), largest
    print(f"ratio {big} / {small}: {costs[big] / costs[small]:.2f} (target <= 1.5)")
    print(f"baseline / indexed at {big}: {costs[-big] / costs[big]:.0f} (target >= 50)")
    print("corpus (pairwise, within a language):")
    print(report(evaluate()))
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--probes",
        type=int,
        default=6000,
        help="entries assigned per run (a rebuild of the keys at 100k)",
    )
    parser.add_argument("--slow", type=int, default=6, help="probes of the baseline per run")
    args = parser.parse_args()
    main([int(s) for s in args.sizes.split(",")], args.runs, args.probes, args.slow)
