#!/usr/bin/env python3
"""Makes the fuzz targets' seed corpora, fuzz/corpus/TARGET/, from the
tests and the example: the files the Check suites write (string literals
handed to tu_write, import_text, expect_bad and the rules suite's load),
tests/data/tokenize/*.txt, the head of examples/. Given a built revlab it
also runs the example to save small model files (one per classifier) and
takes the evaluations it stores.

Usage: fuzz/make_corpus.py [REVLAB]

Files are named by the SHA-1 of their content, as libFuzzer names what it
adds, and only added: inputs kept from findings stay. Run by hand; the
corpora are checked in.
"""
import hashlib
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(TOP, 'fuzz', 'corpus')
MAX_SEED = 16 * 1024        # "small files only"


def put(target, data):
    if isinstance(data, str):
        data = data.encode('utf-8', 'surrogateescape')
    if len(data) > MAX_SEED:
        return
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, hashlib.sha1(data).hexdigest())
    if not os.path.exists(p):
        with open(p, 'wb') as f:
            f.write(data)


ESC = {'n': 10, 't': 9, 'r': 13, '0': 0, '\\': 92, '"': 34, "'": 39,
       'a': 7, 'b': 8, 'f': 12, 'v': 11, '?': 63}


def c_string(src, i):
    """The C string literal at src[i] == '"': (bytes, index after it)."""
    out = bytearray()
    i += 1
    while src[i] != '"':
        c = src[i]
        if c != '\\':
            out += c.encode()
            i += 1
            continue
        e = src[i + 1]
        if e == 'x':
            m = re.match(r'[0-9a-fA-F]+', src[i + 2:])
            out.append(int(m.group(0), 16) & 0xff)
            i += 2 + len(m.group(0))
        elif e in '01234567':
            m = re.match(r'[0-7]{1,3}', src[i + 1:])
            out.append(int(m.group(0), 8) & 0xff)
            i += 1 + len(m.group(0))
        else:
            out.append(ESC[e])
            i += 2
    return bytes(out), i + 1


def call_args(src, i):
    """The arguments of the call whose '(' is at src[i]: for each, the
    concatenated bytes if it is only string literals, else None."""
    args, cur, only, depth = [], bytearray(), True, 0
    i += 1
    while True:
        c = src[i]
        if c == '"':
            s, i = c_string(src, i)
            cur += s
            continue
        if c == "'":
            i = src.index("'", i + 2 if src[i + 1] == '\\' else i + 1) + 1
            only = False
            continue
        if c in '([{':
            depth += 1
            only = False
        elif c in ')]}':
            if depth == 0:
                args.append(bytes(cur) if only else None)
                return args
            depth -= 1
        elif c == ',' and depth == 0:
            args.append(bytes(cur) if only else None)
            cur, only = bytearray(), True
        elif not c.isspace():
            only = False
        i += 1


def calls(src, name):
    for m in re.finditer(r'\b%s\s*\(' % name, src):
        yield m.start(), call_args(src, m.end() - 1)


IMPORT = {'.csv': 'import_csv', '.tsv': 'import_tsv',
          '.jsonl': 'import_jsonl', '.txt': 'rules'}


def from_tests():
    tests = os.path.join(TOP, 'tests')
    for fn in sorted(os.listdir(tests)):
        if not fn.endswith('.c'):
            continue
        src = open(os.path.join(tests, fn), encoding='latin-1').read()
        for func in ('tu_write', 'import_text', 'expect_bad'):
            for at, a in calls(src, func):
                if len(a) < 2 or not a[0] or a[1] is None:
                    continue
                ext = os.path.splitext(a[0].decode('latin-1'))[1]
                if 'rl_seed_file' in src[max(0, at - 40):at]:
                    put('seeds', a[1])
                elif ext in IMPORT:
                    put(IMPORT[ext], a[1])
        if fn in ('check_rules.c', 'check_rules_expr.c'):
            for func in ('load', 'expect_reject'):
                for _, a in calls(src, func):
                    if a and a[0] is not None:
                        put('rules', a[0])
        if fn == 'check_rules.c':
            # the bad seeds files of seed_files
            m = re.search(r'const char \*bad\[\] = \{(.*?)\};', src, re.S)
            body = m.group(1)
            i = 0
            while (i := body.find('"', i)) >= 0:
                s, i = c_string(body, i)
                put('seeds', s)
        if fn == 'check_report.c':
            for m in re.finditer(r'INSERT INTO evals\(result\) VALUES', src):
                a = call_args(src, src.rindex('(', 0, m.start()))
                sql = a[1].decode('latin-1') if a[1] else ''
                for v in re.findall(r"\('((?:[^']|'')*)'\)", sql):
                    put('report', v.replace("''", "'"))


def from_files():
    tok = os.path.join(TOP, 'tests', 'data', 'tokenize')
    for fn in sorted(os.listdir(tok)):
        if fn.endswith('.txt'):
            put('tokenize', open(os.path.join(tok, fn), 'rb').read())
    ex = os.path.join(TOP, 'examples')
    reviews = open(os.path.join(ex, 'reviews.tsv'), 'rb').read().split(b'\n')
    put('import_tsv', b'\n'.join(reviews[:20]) + b'\n')
    for line in reviews[1:11]:
        put('tokenize', line.split(b'\t')[-1])
    put('seeds', open(os.path.join(ex, 'seeds.tsv'), 'rb').read())
    put('rules', open(os.path.join(ex, 'rules.txt'), 'rb').read())


def from_run(revlab):
    """Small models (LSA of 4 dimensions, 40 features), one per
    classifier, and the evaluations of the example."""
    ex = os.path.join(TOP, 'examples')
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, 'ex.db')

        def rv(*args):
            subprocess.run([revlab] + list(args), check=True,
                           stdout=subprocess.DEVNULL)
        rv('init', db)
        rv('import', db, os.path.join(ex, 'reviews.tsv'))
        rv('seed', db, os.path.join(ex, 'seeds.tsv'))
        rv('rules', db, os.path.join(ex, 'rules.txt'))
        for model in ('logreg', 'nb', 'cnb'):
            rv('run', db, '-p', 'dim=4', '-p', 'max_features=40',
               '-p', 'model=' + model, '-q')
            m = os.path.join(tmp, model + '.rlm')
            rv('model', 'save', db, m)
            put('model', open(m, 'rb').read())
        rv('eval', db, '--curve')
        con = sqlite3.connect(db)
        for (r,) in con.execute('SELECT result FROM evals'):
            put('report', r)
        con.close()


def main():
    from_tests()
    from_files()
    for t, data in (('report', '{}'), ('import_jsonl',
                                       '{"id":"r1","text":"again"}\n')):
        put(t, data)
    if len(sys.argv) > 1:
        from_run(sys.argv[1])
    for t in sorted(os.listdir(OUT)):
        print(t, len(os.listdir(os.path.join(OUT, t))))


main()
