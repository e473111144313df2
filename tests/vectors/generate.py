"""Generate the layered conformance corpus (hash, jump, names, config) from the Python library.

    python tests/vectors/generate.py          # append new cases, never touch a landed one
    python tests/vectors/generate.py --check  # exit 1 if a file differs from what this makes

The expectations come from stableport itself (xxhash's xxh3_64, _hashing.jump_hash,
_names.normalize_name), so the corpus says what the reference computes; a human
reviews the cases once, and from then on a file only grows, like v1.json. The
maps layer is v1.json itself, which this script never writes.
"""

import argparse
import hashlib
import json
import os
import random
import sys
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from xxhash import xxh3_64_intdigest

from stableport import InvalidNameError, PortMap
from stableport._hashing import HASHED_PROBES, KEY_PREFIX, jump_hash
from stableport._names import MAX_NAME_LENGTH, normalize_name

HERE = Path(__file__).parent

# The Unicode version below which the spec allows no implementation (section 1).
OLDEST_UNICODE = "13.0"

# When the code points the names cases use that are not in Unicode 3.2 were
# assigned (DerivedAge.txt). A case holds from the newest of its code points'
# versions on, or from 13.0 when all are older; a code point missing here
# stops the generator, so a new case cannot claim a version it does not hold.
AGES = {
    0x0600: "4.0",  # ARABIC NUMBER SIGN
    0x1E9E: "5.1",  # LATIN CAPITAL LETTER SHARP S
    0xAB70: "8.0",  # CHEROKEE SMALL LETTER A
    0x1F600: "6.1",  # GRINNING FACE
    0x2C2F: "14.0",  # GLAGOLITIC CAPITAL LETTER CAUDATE CHI
    0x2C5F: "14.0",  # GLAGOLITIC SMALL LETTER CAUDATE CHI
    0xA7C0: "14.0",  # LATIN CAPITAL LETTER OLD POLISH O
    0xA7C1: "14.0",  # LATIN SMALL LETTER OLD POLISH O
    0x10570: "14.0",  # VITHKUQI CAPITAL LETTER A
    0x10597: "14.0",  # VITHKUQI SMALL LETTER A
}


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def is_noncharacter(code_point: int) -> bool:
    # Noncharacters are Cn in every version, forever (Unicode's stability policy).
    return 0xFDD0 <= code_point <= 0xFDEF or code_point & 0xFFFE == 0xFFFE


def since(name: str) -> str:
    """The oldest Unicode version (13.0 or later) in which the case of name holds."""
    versions = [OLDEST_UNICODE]
    for char in name:
        code_point = ord(char)
        if is_noncharacter(code_point) or unicodedata.ucd_3_2_0.category(char) != "Cn":
            continue
        if code_point not in AGES:
            raise SystemExit(f"generate.py: U+{code_point:04X} has no age in AGES; add it")
        versions.append(AGES[code_point])
    return max(versions, key=version_key)


# ---- hash -------------------------------------------------------------------


def longest_key() -> bytes:
    """The longest key a map can hash: namespace, env and service of 128 4-byte code points."""
    # U+10400 (DESERET CAPITAL LONG I) folds to U+10428, also four bytes in UTF-8.
    name = "\U00010400" * MAX_NAME_LENGTH
    key = PortMap(namespace=name).explain(name, name).key
    assert key is not None
    assert len(key) == len(KEY_PREFIX) + 3 * 4 * MAX_NAME_LENGTH + 2, len(key)
    return key


def filler(length: int) -> bytes:
    # A fixed byte stream that looks random, so no XXH3 lane sees a constant input.
    stream = hashlib.shake_256(b"stableport conformance corpus").digest(4096)
    return stream[:length]


def hash_lengths(longest: int) -> list[int]:
    # Every length up to 256 covers XXH3's short paths (0, 1-3, 4-8, 9-16, 17-128,
    # 129-240) and the start of the long one; after that, either side of every
    # 64-byte stripe, which includes the 1024-byte block, up to past the longest key.
    lengths = set(range(257))
    for stripes in range(5, longest // 64 + 2):
        lengths.update((64 * stripes - 1, 64 * stripes, 64 * stripes + 1))
    return sorted(lengths)


def hash_cases() -> list[dict[str, Any]]:
    def case(case_id: str, key: bytes, description: str | None = None) -> dict[str, Any]:
        digests = [f"{xxh3_64_intdigest(key, seed):016x}" for seed in range(HASHED_PROBES)]
        entry: dict[str, Any] = {"id": case_id}
        if description:
            entry["description"] = description
        entry |= {"key": key.hex(), "xxh3_64": digests}
        return entry

    longest = longest_key()
    cases = [case(f"bytes/{length}", filler(length)) for length in hash_lengths(len(longest))]
    cases.append(
        case(
            "keys/check-value",
            KEY_PREFIX + b"default\x00billing",
            "billing in default: the check values of docs/algorithm.md section 3",
        )
    )
    namespaced = PortMap(namespace="shop").explain("api").key
    assert namespaced is not None
    cases.append(
        case(
            "keys/namespaced",
            namespaced,
            "api in default in the namespace shop (docs/algorithm.md section 2)",
        )
    )
    cases.append(
        case(
            "keys/longest",
            longest,
            f"the longest key, {len(longest)} bytes: namespace, env and service of 128 "
            "code points of 4 UTF-8 bytes each",
        )
    )
    return cases


# ---- jump -------------------------------------------------------------------

JUMP_BUCKETS = (1, 2, 3, 7, 10, 100, 1000, 9982, 10000, 32768, 65534, 65535)


def jump_keys() -> list[tuple[str, int]]:
    edges = [
        ("zero", 0),
        ("one", 1),
        ("max", 2**64 - 1),
        ("top-bit", 2**63),
        ("below-top-bit", 2**63 - 1),
        ("2^53-1", 2**53 - 1),
        ("2^53+1", 2**53 + 1),
        ("2^32", 2**32),
        ("2^33-1", 2**33 - 1),
        ("alternating", 0xAAAAAAAAAAAAAAAA),
    ]
    generator = random.Random(23)  # noqa: S311 - reproducible, not secret
    spread = [(f"random/{index}", generator.getrandbits(64)) for index in range(20)]
    hashed = [
        (f"xxh3/{service}", xxh3_64_intdigest(KEY_PREFIX + b"default\x00" + service.encode(), 0))
        for service in ("billing", "auth", "api")
    ]
    return edges + spread + hashed


def jump_cases() -> list[dict[str, Any]]:
    return [
        {
            "id": f"{name}/{buckets}",
            "key": f"{key:016x}",
            "buckets": buckets,
            "bucket": jump_hash(key, buckets),
        }
        for name, key in jump_keys()
        for buckets in JUMP_BUCKETS
    ]


# ---- names ------------------------------------------------------------------

# (id, name, why): each case's expectation comes from normalize_name.
NAMES: list[tuple[str, str, str]] = [
    ("ascii/plain", "billing", ""),
    ("ascii/upper", "BILLING", ""),
    ("ascii/mixed", "Billing-API_v2.1", ""),
    ("ascii/digits", "8080", ""),
    ("ascii/one", "a", ""),
    ("ascii/inner-space", "billing api", "inner Zs spaces are kept"),
    ("ascii/inner-spaces", "a  b", "not collapsed"),
    ("ascii/punctuation", "a/b:c;d!e?f#g$h%i&j*k+l.m~n", "only @ = , are reserved"),
    ("fold/sharp-s", "Straße", "full folding: ß is ss"),
    ("fold/capital-sharp-s", "\u1e9e", "F mapping (ss), not the S mapping (ß)"),
    ("fold/ligature-fi", "\ufb01le", "ﬁ is fi"),
    ("fold/ligature-ffi", "\ufb03", "one code point folds to three"),
    ("fold/final-sigma", "\u03c2", "ς is σ"),
    ("fold/capital-sigma", "\u03a3\u0391\u03a3", ""),
    ("fold/dotted-capital-i", "\u0130stanbul", "İ is i followed by U+0307, not Turkic"),
    ("fold/dotless-i", "\u0131", "ı stays ı"),
    ("fold/capital-i", "I", "I is i (not the Turkic ı)"),
    ("fold/micro-sign", "\u00b5", "µ is μ (lowercase keeps µ)"),
    ("fold/kelvin", "\u212a", "KELVIN SIGN is k"),
    ("fold/angstrom", "\u212b", "ANGSTROM SIGN is å after NFC"),
    ("fold/titlecase-dz", "\u01c5", "ǅ is dž"),
    ("fold/cherokee", "\uab70", "Cherokee folds to uppercase (lowercase maps the other way)"),
    ("fold/cherokee-upper", "\u13a0", "stays uppercase"),
    ("fold/greek-iota-dialytika-tonos", "\u0390", "F mapping to 3 code points, NFC again"),
    ("fold/greek-ypogegrammeni", "\u1f88", "ᾈ is ἀι"),
    ("fold/armenian-ligature", "\u0587", "և is եւ"),
    ("fold/deseret", "\U00010400", "a 4-byte code point that folds"),
    ("fold/math-bold", "\U0001d400", "no case folding: mathematical letters stay"),
    ("fold/fullwidth", "\uff21\uff22", "fullwidth letters fold to fullwidth"),
    ("nfc/combining-acute", "e\u0301", "e + U+0301 is é"),
    ("nfc/precomposed", "\u00e9", ""),
    ("nfc/reorder", "a\u0302\u0323", "combining marks reordered, then composed: ậ"),
    ("nfc/hangul-jamo", "\u1100\u1161", "conjoining jamo compose to 가"),
    ("nfc/angstrom-decomposed", "A\u030a", "A + U+030A is Å, folded å"),
    ("nfc/no-compatibility", "\u2460", "NFC, not NFKC: ① stays"),
    ("nfc/upper-combining", "E\u0301", "É folds to é"),
    ("script/cjk", "\u670d\u52a1", ""),
    ("script/emoji", "\U0001f600", "So is allowed"),
    ("script/private-use", "\ue000", "Co is allowed"),
    ("space/nbsp-inside", "billing\u00a0api", "U+00A0 inside is kept, and is not a space"),
    ("space/ideographic-inside", "a\u3000b", ""),
    ("new/glagolitic", "\u2c2f", "assigned in Unicode 14.0: Cn before"),
    ("new/old-polish-o", "\ua7c0", "assigned in Unicode 14.0"),
    ("new/vithkuqi", "\U00010570", "assigned in Unicode 14.0, 4 bytes"),
    ("length/128", "a" * 128, "the longest name"),
    ("length/128-astral", "\U00010400" * 128, "128 code points, 256 UTF-16 units"),
    ("length/128-emoji", "\U0001f600" * 128, ""),
    ("length/64-sharp-s", "\u00df" * 64, "128 once folded"),
    ("length/42-ffi", "\ufb03" * 42, "126 once folded"),
    ("length/128-combining", "e\u0301" * 64, "128 before NFC, 64 after"),
    ("error/empty", "", "check 2"),
    ("error/length-129", "a" * 129, "check 1"),
    ("error/length-129-astral", "\U00010400" * 129, "check 1: code points, not bytes"),
    ("error/length-129-combining", "e\u0301" * 64 + "e", "129 before NFC (65 after)"),
    ("error/length-folded", "\u00df" * 65, "check 5: 130 once folded"),
    ("error/length-folded-ffi", "\ufb03" * 43, "check 5: 129 once folded"),
    ("error/leading-space", " billing", "check 3"),
    ("error/trailing-space", "billing ", "check 3"),
    ("error/leading-tab", "\tbilling", "check 3"),
    ("error/trailing-newline", "billing\n", "check 3"),
    ("error/leading-nbsp", "\u00a0billing", "check 3: U+00A0 is whitespace"),
    ("error/trailing-nel", "billing\u0085", "check 3"),
    ("error/leading-ogham", "\u1680a", "check 3: U+1680"),
    ("error/trailing-en-space", "a\u2002", "check 3: U+2002"),
    ("error/trailing-narrow-nbsp", "a\u202f", "check 3: U+202F"),
    ("error/leading-ideographic", "\u3000a", "check 3: U+3000"),
    ("error/information-separator", "\u001fa", "check 3 (and Cc)"),
    ("error/only-space", " ", "check 3"),
    ("error/at", "billing@test", "check 4: reserved"),
    ("error/equals", "a=b", "check 4: reserved"),
    ("error/comma", "a,b", "check 4: reserved"),
    ("error/nul", "a\u0000b", "check 4: Cc"),
    ("error/delete", "a\u007fb", "check 4: Cc"),
    ("error/c1-control", "a\u0080b", "check 4: Cc"),
    ("error/soft-hyphen", "a\u00adb", "check 4: Cf"),
    ("error/zero-width-space", "a\u200bb", "check 4: Cf"),
    ("error/zero-width-joiner", "a\u200db", "check 4: Cf"),
    ("error/rtl-override", "a\u202eb", "check 4: Cf (Trojan Source)"),
    ("error/bom", "\ufeffbilling", "check 4: U+FEFF is Cf, not whitespace"),
    ("error/mongolian-vowel-separator", "\u180ea", "check 4: Cf, not whitespace"),
    ("error/arabic-number-sign", "\u0600a", "check 4: Cf"),
    ("error/language-tag", "a\U000e0001", "check 4: Cf, astral"),
    ("error/line-separator", "a\u2028b", "check 4: Zl"),
    ("error/paragraph-separator", "a\u2029b", "check 4: Zp"),
    ("error/noncharacter-fffe", "a\ufffe", "check 4: Cn in every version"),
    ("error/noncharacter-ffff", "a\uffff", "check 4: Cn"),
    ("error/noncharacter-fdd0", "\ufdd0", "check 4: Cn"),
    ("error/noncharacter-astral", "a\U0001fffe", "check 4: Cn, astral"),
    ("error/noncharacter-last", "\U0010ffff", "check 4: Cn, the last code point"),
]


# docs/algorithm.md section 1, check 3.
WHITESPACE = [
    *range(0x09, 0x0E), *range(0x1C, 0x20), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
    0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
]  # fmt: skip


def every_old_code_point() -> list[tuple[str, str, str]]:
    """Cases for whole classes of code points, each assigned by Unicode 3.2.

    Every code point that folds or that NFC changes, every control and format
    character, and every whitespace code point at either end and inside. Only
    code points of Unicode 3.2 or older: their case holds from 13.0 on without
    an age table (a category that moved did so long before 13.0).
    """
    folds, rejected = [], []
    for code_point in range(0x110000):
        char = chr(code_point)
        if 0xD800 <= code_point <= 0xDFFF or unicodedata.ucd_3_2_0.category(char) == "Cn":
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Zl", "Zp"):
            rejected.append(
                (f"all/{category}/U+{code_point:04X}", f"a{char}b", f"check 4: {category}")
            )
        elif char.casefold() != char or unicodedata.normalize("NFC", char) != char:
            folds.append((f"all/fold/U+{code_point:04X}", char, ""))
    spaces = []
    for code_point in WHITESPACE:
        char = chr(code_point)
        spaces.append((f"all/space/leading/U+{code_point:04X}", f"{char}a", "check 3"))
        spaces.append((f"all/space/trailing/U+{code_point:04X}", f"a{char}", "check 3"))
        if unicodedata.category(char) == "Zs":
            spaces.append((f"all/space/inside/U+{code_point:04X}", f"a{char}b", "Zs is kept"))
    return folds + rejected + spaces


def names_cases() -> list[dict[str, Any]]:
    cases = []
    for case_id, name, why in NAMES + every_old_code_point():
        case: dict[str, Any] = {"id": case_id}
        if why:
            case["description"] = why
        case["name"] = name
        try:
            case["normalized"] = normalize_name(name)
        except InvalidNameError as error:
            case["error"] = type(error).__name__
        case["unicode"] = since(name)
        cases.append(case)
    return cases


# ---- files ------------------------------------------------------------------

# Escaped in the files so that a reviewer sees them: invisible, combining,
# spacing and unassigned code points, whatever a JSON encoder would print raw.
_ESCAPED_CATEGORIES = {"Cc", "Cf", "Cn", "Co", "Cs", "Mn", "Mc", "Me", "Zl", "Zp", "Zs"}


def dumps(case: dict[str, Any]) -> str:
    text = json.dumps(case, ensure_ascii=False)
    out = []
    for char in text:
        if char != " " and unicodedata.category(char) in _ESCAPED_CATEGORIES:
            out.append(json.dumps(char)[1:-1])  # \uXXXX, a surrogate pair above U+FFFF
        else:
            out.append(char)
    return "".join(out)


# -- the config layer --------------------------------------------------------------

SERVICES = 'services = ["web", "api"]\n'
EVERY_KEY = (
    'services = ["Web", "API", "Straße"]\nrange = [21000, 21999]\nenv = "Dev"\n'
    'namespace = "Shop"\nenvs = ["dev", "test"]\nexclude = [21500, [21600, 21699]]\n'
    "strict = true\ndefault_exclusions = false\nalgorithm = 1\ninstances = 3\n"
    '[pins]\n"web@test" = 8001\ncache = 6380\n'
)
PYPROJECT = '[project]\nname = "shop"\n\n[tool.stableport]\nservices = ["web", "db"]\nenv = "py"\n'
OTHER_PYPROJECT = '[project]\nname = "other"\n'
INSTANCES = SERVICES + "instances = 3\n"
# A linked git worktree at wt/, as git lays one out (gitrepository-layout).
WORKTREE = {
    "wt/.git": "gitdir: ../repo/.git/worktrees/wt\n",
    "repo/.git/worktrees/wt/commondir": "../..\n",
    "repo/.git/HEAD": "ref: refs/heads/main\n",
}
LOOKUPS: list[list[Any]] = [["web", None], ["web", "test"], ["worker", None]]

# Each case: files, cwd, variables, flags and lookups; generate.py adds what the
# library answers (its map, or the error kind, and each lookup's port).
# The test run's cases (corpus 1.7): a process id above every system's largest
# (a run that has ended), and the runner's own (a live one).
ENDED = 2147483647
LIVE = "{pid},{start},test,,0,{root}/stableport.toml"
TEST_RUN_LOOKUPS: list[list[Any]] = [
    ["web", None], ["WEB", None], ["cache", None], ["web", "test"], ["web", "dev"], ["api", None],
]  # fmt: skip

CONFIG_INPUTS: list[dict[str, Any]] = [
    {
        "id": "discovery/none",
        "description": "No file anywhere up to the tree's root: the "
        "built-in defaults (the tree's parents hold none either)",
        "files": {"a/readme.txt": "x"},
        "cwd": "a",
    },
    {"id": "discovery/standalone", "files": {"stableport.toml": SERVICES}},
    {
        "id": "discovery/upward",
        "files": {"stableport.toml": SERVICES, "a/b/c/.keep": ""},
        "cwd": "a/b/c",
    },
    {"id": "discovery/pyproject", "files": {"pyproject.toml": PYPROJECT}},
    {
        "id": "discovery/pyproject-without-table-passed-over",
        "files": {"stableport.toml": SERVICES, "a/pyproject.toml": OTHER_PYPROJECT},
        "cwd": "a",
    },
    {
        "id": "discovery/nearest-wins",
        "files": {"stableport.toml": SERVICES, "a/pyproject.toml": PYPROJECT},
        "cwd": "a",
    },
    {
        "id": "discovery/standalone-before-pyproject",
        "description": "In one directory the "
        "stableport.toml wins and the pyproject.toml is not read, not even parsed",
        "files": {"stableport.toml": SERVICES, "pyproject.toml": "[tool.stableport\nbroken"},
    },
    {
        "id": "discovery/pyproject-escaped-key",
        "files": {"pyproject.toml": '[tool."\\u0073tableport"]\nservices = ["esc"]\n'},
    },
    {
        "id": "discovery/pyproject-invalid-mentioning",
        "description": "A pyproject.toml that "
        "may hold the table is parsed: invalid TOML is an error, not passed over",
        "files": {"stableport.toml": SERVICES, "a/pyproject.toml": "# stableport\n[tool\n"},
        "cwd": "a",
    },
    {
        "id": "discovery/pyproject-invalid-not-mentioning",
        "description": "One that never mentions stableport is passed over unparsed",
        "files": {"stableport.toml": SERVICES, "a/pyproject.toml": "[tool\n"},
        "cwd": "a",
    },
    {
        "id": "discovery/pyproject-table-not-a-table",
        "files": {"pyproject.toml": "[tool]\nstableport = 1\n"},
    },
    {
        "id": "discovery/dangling-link",
        "files": {"stableport.toml": SERVICES, "a/stableport.toml": {"symlink": "gone.toml"}},
        "cwd": "a",
    },
    {
        "id": "discovery/directory",
        "files": {"stableport.toml": SERVICES, "a/stableport.toml": {"directory": True}},
        "cwd": "a",
    },
    {
        "id": "discovery/fifo",
        "files": {"stableport.toml": SERVICES, "a/stableport.toml": {"fifo": True}},
        "cwd": "a",
    },
    {
        "id": "discovery/link-to-file",
        "files": {"real.toml": SERVICES, "a/stableport.toml": {"symlink": "../real.toml"}},
        "cwd": "a",
    },
    {
        "id": "keys/every-key",
        "files": {"stableport.toml": EVERY_KEY},
        "lookups": [
            ["web", None],
            ["web", "test"],
            ["cache", "prod"],
            ["straße", None],
            ["STRASSE", "dev"],
            ["worker", None],
        ],
    },
    {
        "id": "keys/every-key-pyproject",
        "files": {
            "pyproject.toml": "[tool.stableport]\n"
            + EVERY_KEY.replace("[pins]", "[tool.stableport.pins]")
        },
    },
    *(
        {"id": f"keys/{name}", "files": {"stableport.toml": text}}
        for name, text in [
            ("unknown", 'servics = ["web"]\n'),
            ("strict-not-boolean", "strict = 1\n"),
            ("algorithm-float", "algorithm = 1.0\n"),
            ("algorithm-2", "algorithm = 2\n"),
            ("range-reversed", "range = [30000, 20000]\n"),
            ("range-zero", "range = [0, 100]\n"),
            ("range-string", 'range = ["a", 100]\n'),
            ("range-huge-integer", "range = [1, 99999999999999999999]\n"),
            ("range-three", "range = [1, 2, 3]\n"),
            ("exclude-outside", "exclude = [70000]\n"),
            ("exclude-boolean", "exclude = [true]\n"),
            ("exclude-everything", "range = [21000, 21009]\nexclude = [[21000, 21009]]\n"),
            ("pins-outside", "[pins]\nweb = 99999\n"),
            ("pins-float", "[pins]\nweb = 8001.0\n"),
            ("pins-conflict", "[pins]\nweb = 8001\napi = 8001\n"),
            ("pins-same-service-two-envs", '[pins]\n"web@a" = 8001\n"web@b" = 8001\n'),
            ("pins-twice-casefolded", "[pins]\nweb = 8001\nWEB = 8002\n"),
            ("pins-empty-env", '[pins]\n"web@" = 8001\n'),
            ("pins-numeric-service", '[pins]\n"8080" = 21000\nweb = 21001\n'),
            ("pins-not-a-table", "pins = 1\n"),
            ("env-empty", 'env = ""\n'),
            ("env-reserved", 'env = "a=b"\n'),
            ("env-integer", "env = 1\n"),
            ("namespace-invisible", 'namespace = "sh\\u200bop"\n'),
            ("services-twice", 'services = ["web", "WEB"]\n'),
            ("services-not-strings", "services = [1]\n"),
            (
                "services-too-many",
                'range = [21000, 21001]\ndefault_exclusions = false\nservices = ["a", "b", "c"]\n',
            ),
            ("envs-twice", 'envs = ["dev", "Dev"]\n'),
            ("instances-above", "instances = 1001\n"),
            ("instances-negative", "instances = -1\n"),
            ("instances-float", "instances = 1.5\n"),
            (
                "instances-too-many",
                "range = [21000, 21009]\ndefault_exclusions = false\n"
                'services = ["a", "b"]\ninstances = 5\n',
            ),
            ("date", "env = 1979-05-27\n"),
            ("order-strict-before-range", "range = [2, 1]\nstrict = 1\n"),
            ("order-pins-before-services", 'services = ["a@b"]\n[pins]\nweb = 0\n'),
            ("invalid-toml", "services = [\n"),
            ("duplicate-key", 'env = "a"\nenv = "b"\n'),
        ]
    ),
    {"id": "keys/bom", "files": {"stableport.toml": {"hex": "efbbbf" + SERVICES.encode().hex()}}},
    {"id": "keys/not-utf-8", "files": {"stableport.toml": {"hex": "656e76203d2022ff220a"}}},
    {
        "id": "variables/config-relative",
        "files": {"conf/other.toml": SERVICES, "a/.keep": ""},
        "cwd": "a",
        "variables": {"STABLEPORT_CONFIG": "../conf/other.toml"},
    },
    {
        "id": "variables/config-absolute-over-discovery",
        "files": {"conf/other.toml": 'services = ["other"]\n', "stableport.toml": SERVICES},
        "variables": {"STABLEPORT_CONFIG": "{root}/conf/other.toml"},
    },
    {
        "id": "variables/config-names-no-file",
        "files": {"stableport.toml": SERVICES},
        "variables": {"STABLEPORT_CONFIG": "missing.toml"},
    },
    {
        "id": "variables/config-empty",
        "files": {"stableport.toml": SERVICES},
        "variables": {"STABLEPORT_CONFIG": ""},
    },
    {
        "id": "variables/config-windows-path",
        "description": "A Windows path on POSIX names no file",
        "files": {"stableport.toml": SERVICES},
        "variables": {"STABLEPORT_CONFIG": "C:\\proj\\stableport.toml"},
    },
    {
        "id": "variables/config-directory",
        "files": {"conf/.keep": ""},
        "variables": {"STABLEPORT_CONFIG": "conf"},
    },
    {
        "id": "variables/config-pyproject-without-table",
        "files": {"pyproject.toml": OTHER_PYPROJECT},
        "variables": {"STABLEPORT_CONFIG": "pyproject.toml"},
    },
    {
        "id": "variables/env",
        "files": {"stableport.toml": SERVICES + 'env = "dev"\n'},
        "variables": {"STABLEPORT_ENV": "Staging"},
    },
    {
        "id": "variables/env-invalid",
        "files": {"stableport.toml": SERVICES},
        "variables": {"STABLEPORT_ENV": "a@b"},
    },
    {
        "id": "variables/env-empty",
        "files": {"stableport.toml": SERVICES},
        "variables": {"STABLEPORT_ENV": ""},
    },
    {
        "id": "variables/namespace",
        "files": {"stableport.toml": SERVICES + 'namespace = "a"\n'},
        "variables": {"STABLEPORT_NAMESPACE": "Blog"},
    },
    {
        "id": "variables/namespace-invalid",
        "files": {"stableport.toml": SERVICES},
        "variables": {"STABLEPORT_NAMESPACE": "shop@eu"},
    },
    {
        "id": "variables/pins",
        "files": {"stableport.toml": SERVICES + "[pins]\nweb = 8001\n"},
        "variables": {"STABLEPORT_PINS": " web = 9001 , api@test=9002 "},
        "lookups": [["web", None], ["api", "test"], ["api", None]],
    },
    *(
        {
            "id": f"variables/pins-{name}",
            "files": {"stableport.toml": SERVICES + "[pins]\nweb = 8001\n"},
            "variables": {"STABLEPORT_PINS": value},
        }
        for name, value in [
            ("conflict-with-file", "api=8001"),
            ("malformed", "web"),
            ("twice", "web=1,web=2"),
            ("empty", ""),
            ("zero", "web=0"),
            ("long", "web=99999999999"),
            ("arabic-digit", "web=\u0663"),
            ("bad-name", "w@b@c=9001"),
            ("trailing-comma", "web=9001,"),
        ]
    ),
    {
        "id": "instances/file",
        "files": {"stableport.toml": SERVICES + "instances = 3\n", ".stableport-instance": " 2\n"},
    },
    {
        "id": "instances/file-beside-the-configuration-only",
        "files": {"stableport.toml": SERVICES + "instances = 3\n", "a/.stableport-instance": "2\n"},
        "cwd": "a",
    },
    {
        "id": "instances/variable-over-file",
        "files": {"stableport.toml": SERVICES + "instances = 3\n", ".stableport-instance": "2\n"},
        "variables": {"STABLEPORT_INSTANCE": "3"},
    },
    {
        "id": "instances/flag-over-variable",
        "files": {"stableport.toml": SERVICES + "instances = 3\n"},
        "variables": {"STABLEPORT_INSTANCE": "3"},
        "flags": {"instance": "1"},
    },
    {
        "id": "instances/zero-is-the-plain-map",
        "files": {"stableport.toml": SERVICES + "instances = 3\n"},
        "variables": {"STABLEPORT_INSTANCE": "0"},
    },
    {
        "id": "instances/beyond-room",
        "files": {"stableport.toml": SERVICES + "instances = 3\n"},
        "variables": {"STABLEPORT_INSTANCE": "4"},
    },
    {
        "id": "instances/no-room",
        "files": {"stableport.toml": SERVICES, ".stableport-instance": "1\n"},
    },
    {
        "id": "instances/not-a-number",
        "files": {"stableport.toml": SERVICES + "instances = 3\n"},
        "variables": {"STABLEPORT_INSTANCE": "two"},
    },
    {
        "id": "instances/above-1000",
        "files": {"stableport.toml": SERVICES + "instances = 3\n"},
        "variables": {"STABLEPORT_INSTANCE": "1001"},
    },
    {
        "id": "instances/file-bom",
        "files": {
            "stableport.toml": SERVICES + "instances = 3\n",
            ".stableport-instance": {"hex": "efbbbf310a"},
        },
    },
    {
        "id": "instances/file-a-directory",
        "files": {
            "stableport.toml": SERVICES + "instances = 3\n",
            ".stableport-instance": {"directory": True},
        },
    },
    {
        "id": "instances/defaults-ignore-the-variable-file",
        "description": "Without a configuration there is no identity file to read",
        "files": {".stableport-instance": "1"},
    },
    {
        "id": "test-ports/handed",
        "files": {"stableport.toml": SERVICES},
        "variables": {"STABLEPORT_TEST_PORTS": "web=23456,Cache=23457"},
        "lookups": [["web", None], ["WEB", None], ["cache", None], ["web", "test"], ["api", None]],
    },
    {
        "id": "test-ports/a-flag-chooses-the-map",
        "files": {"stableport.toml": SERVICES},
        "variables": {"STABLEPORT_TEST_PORTS": "web=23456"},
        "flags": {"namespace": "other"},
    },
    {
        "id": "test-ports/malformed",
        "files": {"stableport.toml": SERVICES},
        "variables": {"STABLEPORT_TEST_PORTS": "web"},
    },
    {
        "id": "test-ports/empty-is-none",
        "files": {"stableport.toml": SERVICES},
        "variables": {"STABLEPORT_TEST_PORTS": ""},
    },
    {
        "id": "test-ports/answer-before-a-broken-configuration",
        "files": {"stableport.toml": "strict = 1\n"},
        "variables": {"STABLEPORT_TEST_PORTS": "web=23456"},
    },
    {
        "id": "flags/config-relative",
        "files": {"conf/x.toml": SERVICES, "a/.keep": ""},
        "cwd": "a",
        "flags": {"config": "../conf/x.toml"},
    },
    {
        "id": "flags/config-over-variable",
        "files": {"x.toml": SERVICES, "y.toml": 'services = ["y"]\n'},
        "variables": {"STABLEPORT_CONFIG": "y.toml"},
        "flags": {"config": "x.toml"},
    },
    {"id": "flags/config-missing", "files": {}, "flags": {"config": "x.toml"}},
    {
        "id": "flags/namespace-over-variable",
        "files": {"stableport.toml": SERVICES},
        "variables": {"STABLEPORT_NAMESPACE": "a"},
        "flags": {"namespace": "B"},
    },
    {
        "id": "flags/namespace-invalid",
        "files": {"stableport.toml": SERVICES},
        "flags": {"namespace": " b"},
    },
    {
        "id": "hostile/names",
        "files": {
            "stableport.toml": 'services = ["ﬁ", "ΣΑΣ", "café", "\U0001f600", "x" ]\nenv = "Ǆ"\n'
        },
        "lookups": [["FI", None], ["σας", None], ["cafe\u0301", None], ["\U0001f600", "a"]],
    },
    # Corpus 1.6: nesting has a fixed limit, so every parser gives one answer.
    *(
        {
            "id": f"keys/nested-{depth}",
            "files": {
                "pyproject.toml": '[project]\ndependencies = ["stableport"]\n[tool.other]\n'
                f"x = {'[' * depth}{']' * depth}\n"
                '[tool.stableport]\nservices = ["web"]\n'
            },
        }
        for depth in (98, 99, 600, 1500)
    ),
    {
        "id": "keys/nested-tables-101",
        "files": {"stableport.toml": SERVICES + "[" + ".".join(["t"] * 101) + "]\n"},
    },
    {
        "id": "keys/nested-tables-101-in-a-pyproject-without-the-table",
        "files": {
            "stableport.toml": SERVICES,
            "a/pyproject.toml": "# stableport\n[" + ".".join(["t"] * 101) + "]\n",
        },
        "cwd": "a",
    },
    # Corpus 1.7: the instance identity (docs/instances.md) and --env.
    {
        "id": "identity/linked-worktree-in-ci",
        "description": "A linked worktree (its .git a file naming a directory with commondir) "
        "with no identity, in CI: the plain map, nothing written",
        "files": {**WORKTREE, "wt/stableport.toml": INSTANCES},
        "cwd": "wt",
        "variables": {"CI": "true"},
    },
    {
        "id": "identity/main-worktree",
        "files": {".git/HEAD": "ref: refs/heads/main\n", "stableport.toml": INSTANCES},
    },
    {
        "id": "identity/submodule",
        "files": {
            "sub/.git": "gitdir: ../.git/modules/sub\n",
            ".git/modules/sub/HEAD": "ref: refs/heads/main\n",
            "sub/stableport.toml": INSTANCES,
        },
        "cwd": "sub",
    },
    {
        "id": "identity/made-here",
        "files": {"stableport.toml": INSTANCES, ".stableport-instance": '2\nfor: "{root}"\n'},
    },
    {
        "id": "identity/moved",
        "description": "Made for a directory that no longer exists: the same checkout, moved",
        "files": {
            "stableport.toml": INSTANCES,
            ".stableport-instance": '2\nfor: "{root}/gone"\n',
        },
    },
    {
        "id": "identity/copy-outside-a-worktree",
        "files": {
            "stableport.toml": INSTANCES,
            ".stableport-instance": '2\nfor: "{root}/original"\n',
            "original/.keep": "",
        },
    },
    {
        "id": "identity/copy-in-ci",
        "files": {
            **WORKTREE,
            "wt/stableport.toml": INSTANCES,
            "wt/.stableport-instance": '1\nfor: "{root}/repo"\n',
            "repo/stableport.toml": INSTANCES,
        },
        "cwd": "wt",
        "variables": {"CI": "1"},
    },
    {
        "id": "identity/copy-the-variable-wins",
        "files": {
            "stableport.toml": INSTANCES,
            ".stableport-instance": '2\nfor: "{root}/original"\n',
            "original/.keep": "",
        },
        "variables": {"STABLEPORT_INSTANCE": "1"},
    },
    {
        "id": "identity/copy-without-instances",
        "files": {
            "stableport.toml": SERVICES,
            ".stableport-instance": '2\nfor: "{root}/original"\n',
            "original/.keep": "",
        },
    },
    {
        "id": "identity/another-line",
        "files": {"stableport.toml": INSTANCES, ".stableport-instance": "1\nhello\n"},
    },
    {
        "id": "identity/two-for-lines",
        "files": {
            "stableport.toml": INSTANCES,
            ".stableport-instance": '1\nfor: "/a"\nfor: "/b"\n',
        },
    },
    {
        "id": "identity/relative-for",
        "files": {"stableport.toml": INSTANCES, ".stableport-instance": '1\nfor: "a"\n'},
    },
    {
        "id": "identity/no-break-space",
        "description": "Only ASCII white space surrounds the number",
        "files": {"stableport.toml": INSTANCES, ".stableport-instance": "\u00a01\n"},
    },
    {
        "id": "identity/ascii-space-and-blank-lines",
        "files": {"stableport.toml": INSTANCES, ".stableport-instance": "\t3\r\n\n \n"},
    },
    {
        "id": "identity/ci-false-outside-a-worktree",
        "files": {"stableport.toml": INSTANCES},
        "variables": {"CI": "false"},
    },
    {
        "id": "flags/env-over-variable",
        "files": {"stableport.toml": SERVICES + 'env = "dev"\n'},
        "variables": {"STABLEPORT_ENV": "staging"},
        "flags": {"env": "Test"},
    },
    {
        "id": "flags/env-invalid",
        "files": {"stableport.toml": SERVICES},
        "flags": {"env": "a@b"},
    },
    {
        "id": "flags/env-asks-its-own-environment-not-the-tests",
        "files": {"stableport.toml": SERVICES},
        "variables": {"STABLEPORT_TEST_PORTS": "web=23456"},
        "flags": {"env": "test"},
    },
    {
        "id": "flags/env-is-the-home-of-the-instances",
        "files": {"stableport.toml": INSTANCES},
        "variables": {"STABLEPORT_INSTANCE": "1"},
        "flags": {"env": "dev"},
        "lookups": [["web", None], ["web", "dev"], ["api", None], ["web", "default"]],
    },
    # Corpus 1.8: the for: line as the Python library reads it since, and a link loop.
    {
        "id": "identity/for-line-with-ascii-space-after",
        "files": {
            "stableport.toml": INSTANCES,
            ".stableport-instance": '2\nfor: "{root}" \f\r\n',
        },
    },
    {
        "id": "identity/for-line-with-escapes",
        "files": {
            "stableport.toml": INSTANCES,
            ".stableport-instance": '2\nfor: "{root}\\/a\\u0062"\n',
            "ab/.keep": "",
        },
    },
    {
        "id": "discovery/link-loop",
        "files": {"stableport.toml": SERVICES, "a/stableport.toml": {"symlink": "stableport.toml"}},
        "cwd": "a",
    },
    # Corpus 1.9: the test run's variables (docs/configuration.md, "Inside a test
    # run"). {pid} and {start} are the runner's: a live process. PID 2147483647
    # is above every system's largest process id: a run that has ended.
    *(
        {
            "id": f"test-run/{name}",
            "files": {"stableport.toml": SERVICES + 'envs = ["dev", "test"]\n'},
            "variables": variables,
            "lookups": TEST_RUN_LOOKUPS,
        }
        for name, variables in (
            ("ports-without-a-run-are-ignored", {"STABLEPORT_TEST_PORTS": "web=23456"}),
            (
                "a-run-that-ended-is-ignored",
                {
                    "STABLEPORT_TEST_RUN": f"{ENDED},,test,,0,{{root}}/stableport.toml",
                    "STABLEPORT_TEST_PORTS": "web=23456",
                },
            ),
            (
                "ended-malformed-ports-unread",
                {
                    "STABLEPORT_TEST_RUN": f"{ENDED},,test,,0,{{root}}/stableport.toml",
                    "STABLEPORT_TEST_PORTS": "web",
                },
            ),
            (
                "live",
                {"STABLEPORT_TEST_RUN": LIVE, "STABLEPORT_TEST_PORTS": "web=23456,Cache=23457"},
            ),
            (
                "live-over-env-and-pins",
                {
                    "STABLEPORT_TEST_RUN": LIVE,
                    "STABLEPORT_TEST_PORTS": "web=23456",
                    "STABLEPORT_ENV": "dev",
                    "STABLEPORT_PINS": "web@test=9002,api=9003",
                },
            ),
            (
                "live-another-namespace",
                {
                    "STABLEPORT_TEST_RUN": LIVE,
                    "STABLEPORT_TEST_PORTS": "web=23456",
                    "STABLEPORT_NAMESPACE": "other",
                },
            ),
            (
                "live-same-namespace",
                {
                    "STABLEPORT_TEST_RUN": LIVE.replace(",test,,", ",test,shop,"),
                    "STABLEPORT_TEST_PORTS": "web=23456",
                    "STABLEPORT_NAMESPACE": "Shop",
                },
            ),
            (
                "live-another-env",
                {
                    "STABLEPORT_TEST_RUN": LIVE.replace(",test,", ",test-lease3,"),
                    "STABLEPORT_TEST_PORTS": "web=23456",
                },
            ),
            ("live-malformed-ports", {"STABLEPORT_TEST_RUN": LIVE, "STABLEPORT_TEST_PORTS": "web"}),
            (
                "live-ports-name-an-environment",
                {"STABLEPORT_TEST_RUN": LIVE, "STABLEPORT_TEST_PORTS": "web@test=23456"},
            ),
            ("malformed-pid", {"STABLEPORT_TEST_RUN": "0,,test,,0,", "STABLEPORT_TEST_PORTS": ""}),
            ("malformed-fields", {"STABLEPORT_TEST_RUN": "12,,test"}),
            ("malformed-env", {"STABLEPORT_TEST_RUN": "12,,te@st,,0,"}),
            ("malformed-start", {"STABLEPORT_TEST_RUN": "12,x,test,,0,"}),
            ("empty-is-none", {"STABLEPORT_TEST_RUN": "", "STABLEPORT_TEST_PORTS": ""}),
        )
    ),
    {
        "id": "test-run/live-elsewhere-finds-the-run-s-file",
        "description": "No configuration from the working directory upward: the run's is read",
        "files": {"project/stableport.toml": SERVICES, "elsewhere/.keep": ""},
        "cwd": "elsewhere",
        "variables": {
            "STABLEPORT_TEST_RUN": "{pid},{start},test,,0,{root}/project/stableport.toml",
            "STABLEPORT_TEST_PORTS": "web=23456",
        },
        "lookups": TEST_RUN_LOOKUPS,
    },
    {
        "id": "test-run/live-another-project",
        "description": "Another project's directory: that project, none of the run's ports",
        "files": {"a/stableport.toml": SERVICES, "b/stableport.toml": 'services = ["web"]\n'},
        "cwd": "b",
        "variables": {
            "STABLEPORT_TEST_RUN": "{pid},{start},test,,0,{root}/a/stableport.toml",
            "STABLEPORT_TEST_PORTS": "web=23456",
        },
        "lookups": TEST_RUN_LOOKUPS,
    },
    {
        "id": "test-run/live-through-a-symbolic-link",
        "files": {"a/stableport.toml": SERVICES, "link": {"symlink": "a"}},
        "cwd": "a",
        "variables": {
            "STABLEPORT_TEST_RUN": "{pid},{start},test,,0,{root}/link/stableport.toml",
            "STABLEPORT_TEST_PORTS": "web=23456",
        },
        "lookups": TEST_RUN_LOOKUPS,
    },
    {
        "id": "test-run/live-config-flag-names-the-run-s-file",
        "files": {"stableport.toml": SERVICES},
        "variables": {"STABLEPORT_TEST_RUN": LIVE, "STABLEPORT_TEST_PORTS": "web=23456"},
        "flags": {"config": "stableport.toml"},
        "lookups": TEST_RUN_LOOKUPS,
    },
    {
        "id": "test-run/live-namespace-flag",
        "files": {"stableport.toml": SERVICES},
        "variables": {"STABLEPORT_TEST_RUN": LIVE, "STABLEPORT_TEST_PORTS": "web=23456"},
        "flags": {"namespace": "other"},
        "lookups": TEST_RUN_LOOKUPS,
    },
    {
        "id": "test-run/live-broken-configuration",
        "files": {"stableport.toml": "strict = 1\n"},
        "variables": {"STABLEPORT_TEST_RUN": LIVE, "STABLEPORT_TEST_PORTS": "web=23456"},
        "lookups": TEST_RUN_LOOKUPS,
    },
    {
        "id": "test-run/live-defaults",
        "description": "The run's map is the built-in defaults: CONFIG empty",
        "files": {},
        "variables": {
            "STABLEPORT_TEST_RUN": "{pid},{start},test,,0,",
            "STABLEPORT_TEST_PORTS": "web=23456",
        },
        "lookups": TEST_RUN_LOOKUPS,
    },
    # Corpus 1.10: a file's namespace is compared normalized with the run's.
    {
        "id": "test-run/live-file-namespace-in-capitals",
        "description": "The file writes Shop, the run (normalized) shop: the run's map",
        "files": {"stableport.toml": SERVICES + 'namespace = "Shop"\n'},
        "variables": {
            "STABLEPORT_TEST_RUN": "{pid},{start},test,shop,0,{root}/stableport.toml",
            "STABLEPORT_TEST_PORTS": "web=23456",
        },
        "lookups": TEST_RUN_LOOKUPS,
    },
    {
        "id": "test-run/live-file-namespace-no-name",
        "files": {"stableport.toml": SERVICES + 'namespace = "a@b"\n'},
        "variables": {
            "STABLEPORT_TEST_RUN": "{pid},{start},test,a,0,{root}/stableport.toml",
            "STABLEPORT_TEST_PORTS": "web=23456",
        },
        "lookups": TEST_RUN_LOOKUPS,
    },
]


def config_cases() -> list[dict[str, Any]]:
    """The config layer: each input with what the library answers for it."""
    import tempfile  # noqa: PLC0415 - only this layer makes trees

    # As a script, this directory is on the path, not the repository's root.
    sys.path.insert(0, str(HERE.parent.parent))
    from tests.vectors import reference, runner  # noqa: PLC0415 - only this layer

    cases = []
    with tempfile.TemporaryDirectory() as trees:
        for given in CONFIG_INPUTS:
            asked: list[list[Any]] = given.get("lookups", LOOKUPS)
            pending = [[lookup[0], lookup[1], None] for lookup in asked]
            case = {**given, "lookups": pending, "map": {}}
            check = runner.config_check(case, Path(os.path.realpath(trees)))
            answer = reference.config(check.request)
            loaded = {"error": answer["error"]} if "error" in answer else {"map": answer["map"]}
            lookups = [
                [lookup[0], lookup[1], port]
                for lookup, port in zip(pending, answer["ports"], strict=True)
            ]
            cases.append({**given, **loaded, "lookups": lookups})
    return cases


LAYERS: dict[str, tuple[str, str, Callable[[], list[dict[str, Any]]]]] = {
    "hash": (
        "v1-hash.json",
        "XXH3_64bits_withSeed(key, seed) for seeds 0..15: key bytes and digests in "
        "lowercase hex (16 digits), xxh3_64[seed] for each seed.",
        hash_cases,
    ),
    "jump": (
        "v1-jump.json",
        "jump(key, buckets) of docs/algorithm.md section 3: the 64-bit key in "
        "lowercase hex (16 digits), the bucket a number.",
        jump_cases,
    ),
    "names": (
        "v1-names.json",
        "Name validation and normalization (docs/algorithm.md section 1): 'normalized' "
        "or the 'error' kind; 'unicode' is the oldest Unicode version the case holds for.",
        names_cases,
    ),
    "config": (
        "v1-config.json",
        "Configuration (docs/configuration.md): a file tree, variables, a working directory "
        "and flags; the map loaded (its inputs after precedence) or the error kind, and "
        "lookups as stableport.port_for answers them.",
        config_cases,
    ),
}


def render(layer: str, description: str, lines: Iterable[str]) -> str:
    head = (
        f'{{"layer": "{layer}", "algorithm": 1,\n'
        f' "description": {json.dumps(description)},\n'
        ' "cases": [\n'
    )
    return head + ",\n".join(f"  {line}" for line in lines) + "\n ]}\n"


def merged(path: Path, layer: str, description: str, cases: list[dict[str, Any]]) -> str:
    """The file's new text: its landed cases, byte for byte, then the new ones.

    A case the manifest withdrew (README.md) specified what the library no
    longer does: its line is the committed one, whatever the library says now.
    """
    lines = {case["id"]: dumps(case) for case in cases}
    withdrawn = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))["withdrawn"]
    committed = HERE / path.name
    if committed.exists():
        for case in json.loads(committed.read_text(encoding="utf-8"))["cases"]:
            if case["id"] in withdrawn:
                lines[case["id"]] = dumps(case)
    if not path.exists():
        return render(layer, description, lines.values())
    landed = json.loads(path.read_text(encoding="utf-8"))["cases"]
    kept = [dumps(case) for case in landed]
    for case, line in zip(landed, kept, strict=True):
        # A landed case that the library no longer reproduces is a broken
        # promise, not something to regenerate.
        if lines.get(case["id"], line) != line:
            raise SystemExit(
                f"generate.py: {path.name}: {case['id']} changed; landed cases never do"
            )
    ids = {case["id"] for case in landed}
    return render(layer, description, kept + [v for k, v in lines.items() if k not in ids])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 on a difference"
    )
    parser.add_argument("--dir", type=Path, default=HERE, help="the corpus directory")
    args = parser.parse_args(argv)
    newest = max(AGES.values(), key=version_key)
    if version_key(unicodedata.unidata_version) < version_key(newest):
        print(
            f"generate.py: this Python has Unicode {unicodedata.unidata_version}; the names "
            f"layer needs {newest} or later",
            file=sys.stderr,
        )
        return 2
    status = 0
    for layer, (file_name, description, make) in LAYERS.items():
        path = args.dir / file_name
        text = merged(path, layer, description, make())
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if text == current:
            continue
        if args.check:
            print(f"generate.py: {path} is not what the generator makes", file=sys.stderr)
            status = 1
        else:
            # Whole or not at all: a generator stopped mid-write (^C, a full
            # disk) must not leave a landed file truncated.
            partial = path.with_name(f".{path.name}.partial")
            partial.write_text(text, encoding="utf-8")
            partial.replace(path)
            print(f"wrote {path}")
    return status


if __name__ == "__main__":
    sys.exit(main())
