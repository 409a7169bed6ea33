#!/usr/bin/env python3
"""Writes Python's answers for randomly generated inputs, for the
`python_oracle_fuzz` test of chaos-pyvalue (which runs it itself on a
smaller sample; a full-size run by hand):

    python3 crates/pyvalue/tools/gen_oracle.py /tmp/pyvalue-oracle
    PYVALUE_ORACLE_DIR=/tmp/pyvalue-oracle \
        cargo test -p chaos-pyvalue --release --test python_oracle_fuzz

Files: floats.json (repr of floats, by bit pattern), strings.json (repr of
str), parses.json (int(), float(), Decimal() of strings), ranges.json (the
range tolerance), cmps.json (==, <=, < between values) and tmpl.json
(chaostoolkit-lib's typed Template substitution).
"""
import json
import math
import os
import random
import struct
import sys
from collections import ChainMap
from decimal import Decimal, InvalidOperation
from string import Template


def bits(f):
    return str(struct.unpack("<Q", struct.pack("<d", f))[0])


def floats(rnd, n):
    out = []
    while len(out) < n:
        k = rnd.random()
        if k < 0.3:
            f = struct.unpack("<d", struct.pack("<Q", rnd.getrandbits(64)))[0]
        elif k < 0.5:
            f = rnd.randint(-10**9, 10**9) / 10 ** rnd.randint(0, 12)
        elif k < 0.6:
            f = 10 ** rnd.uniform(-8, 20) * rnd.choice([1, -1])
        elif k < 0.7:
            f = rnd.choice([1e16, 1e-4, 1e-5, 9999999999999998.0]) * rnd.choice(
                [1, 1 + 2**-52, 1 - 2**-53])
        elif k < 0.9:
            # Few significant bits: many ties between two shortest candidates.
            f = rnd.getrandbits(rnd.randint(1, 53)) * 2.0 ** rnd.randint(-60, 60)
        else:
            f = float(rnd.getrandbits(rnd.randint(40, 64)))
        if math.isnan(f) or math.isinf(f):
            continue
        out.append([bits(f), repr(f)])
    return out


def strings(rnd, n):
    ranges = [(0x20, 0x7F), (0, 0x20), (0x7F, 0x100), (0x100, 0x3000),
              (0x3000, 0x10000), (0x10000, 0x110000)]
    out = []
    for _ in range(n):
        s = ""
        for _ in range(rnd.randint(0, 6)):
            if rnd.random() < 0.15:
                s += rnd.choice("'\"\\")
            else:
                a, b = rnd.choice(ranges)
                c = rnd.randrange(a, b)
                s += chr(0x41 if 0xD800 <= c < 0xE000 else c)
        out.append([s, repr(s)])
    return out


def attempt(f):
    try:
        return f()
    except (ValueError, TypeError) as e:
        return "ERR:" + str(e)


def parses(rnd, n):
    alpha = list(" \t+-_0123456789.eE") + [
        "\u00a0", "\u0663", "x", "inf", "nan", "Infinity", "\x1c", "\u3000", "s"]
    out = []
    for _ in range(n):
        s = "".join(rnd.choice(alpha) for _ in range(rnd.randint(0, 7)))
        i = attempt(lambda: int(s))
        if isinstance(i, int) and not (-2**63 <= i < 2**64):
            i = "RANGE"
        fl = attempt(lambda: float(s))
        if isinstance(fl, float):
            fl = "NONFINITE" if (math.isinf(fl) or math.isnan(fl)) else repr(fl)
        try:
            d = Decimal(s)
            if d.is_nan():
                dv = "NAN"
            elif d.is_infinite():
                dv = "INF" if d > 0 else "-INF"
            else:
                dv = "OK"
        except InvalidOperation:
            dv = "INVALID"
        out.append([s, i, fl, dv])
    return out


def ranges(rnd, n):
    def value():
        k = rnd.random()
        if k < 0.25:
            return rnd.randint(-20, 20)
        if k < 0.5:
            return rnd.choice([0.1, 0.2, 0.3, 1 / 3, 2.5, -0.5, 10.5,
                               rnd.uniform(-20, 20), rnd.randint(-20, 20) / 10])
        if k < 0.85:
            return rnd.choice([
                "0.1", "0.3", "1", "2.50", "-0.0", "1e1", "1E-1", " 3 ", "abc", "",
                "nan", "inf", "-inf", "1_0", "3.3333333333333335",
                "0.1000000000000000055511151231257827021181583404541015625",
                "0.1000000000000000055511151231257827021181583404541015626",
                str(rnd.randint(-200, 200) / 10), repr(rnd.uniform(-20, 20))])
        return rnd.choice([True, False, None, [1], {}, [0, [1, 5], -1]])

    def bound():
        return rnd.choice([rnd.randint(-20, 20), rnd.choice([0.1, 0.3, -0.5, 1 / 3, 2.5, 20.0]),
                           rnd.randint(-200, 200) / 10])

    def check(v, lo, hi):
        try:
            try:
                v = Decimal(v)
            except InvalidOperation:
                return False
            return Decimal(lo) <= v <= Decimal(hi)
        except Exception as e:
            return "ERR:" + str(e)

    out = []
    for _ in range(n):
        v, lo, hi = value(), bound(), bound()
        out.append([v, lo, hi, check(v, lo, hi)])
    return out


def cmps():
    vals = [0, 1, -1, 2**53, 2**53 + 1, 2**63, 2**64 - 1, -2**63, 0.0, -0.0, 1.0, 1.5,
            2.0**53, 2.0**64, 1e300, -1e300, True, False, None, "", "a", "b", "ab", "\u00e9",
            "\U0001f600", "\uff5e", [], [1], [1, 2], [1, "a"], [1.0, 2], ["a"], [None], {},
            {"a": 1}, {"a": 1.0}, {"b": 1}, [[1, 2]], [[1, 3]], [{}], [1, None], [2, "a"]]

    def one(a, b):
        try:
            return [a == b, a <= b, a < b]
        except TypeError as e:
            return [a == b, "ERR:" + str(e)]

    return [[a, b, one(a, b)] for a in vals for b in vals]


class TypedTemplate(Template):
    """chaostoolkit-lib 1.44's TypedTemplate."""

    def safe_substitute(self, mapping):
        match = self.pattern.fullmatch(self.template)
        if match is not None:
            try:
                _, _, key, _ = match.groups()
                return mapping[key]
            except KeyError:
                pass
            except ValueError:
                pass
        return Template.safe_substitute(self, mapping)


def templates(rnd, n):
    cfg = {"a": 1, "b": "x", "ab": True, "_": None, "a1": [1, "two"], "B": {"k": "v"},
           "f": 1e16, "g": 0.1}
    sec = {"s": "secret", "a": "shadowed", "z9": 2.5}
    mapping = ChainMap(cfg, sec)
    alpha = ["$", "$", "{", "}", "a", "b", "_", "1", "-", " ", "$$", "${a}", "\u00e9", "s",
             "z", "9", "A", "B", "f", "g", "\\"]
    cases = []
    for _ in range(n):
        t = "".join(rnd.choice(alpha) for _ in range(rnd.randint(0, 8)))
        cases.append([t, TypedTemplate(t).safe_substitute(mapping)])
    return {"cfg": cfg, "sec": sec, "cases": cases}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/pyvalue-oracle"
    os.makedirs(out, exist_ok=True)
    rnd = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 7)
    # Third argument: a divisor of the default sizes (the test suite uses 20).
    scale = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    data = {
        "floats.json": floats(rnd, 300_000 // scale),
        "strings.json": strings(rnd, 50_000 // scale),
        "parses.json": parses(rnd, 100_000 // scale),
        "ranges.json": ranges(rnd, 50_000 // scale),
        "cmps.json": cmps(),
        "tmpl.json": templates(rnd, 100_000 // scale),
    }
    for name, value in data.items():
        with open(os.path.join(out, name), "w") as f:
            json.dump(value, f)
    print(f"wrote {len(data)} files to {out}")


main()
