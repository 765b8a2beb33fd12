#!/usr/bin/env python3
"""Turns a text file (schema.sql) into a C string constant, so the library
carries its schema and the file stays the one readable source of it."""
import sys

src, dst, name = sys.argv[1:4]
with open(src, encoding="utf-8") as f:
    text = f.read()
with open(dst, "w", encoding="utf-8") as out:
    out.write("/* generated from %s by embed.py; do not edit */\n" % src.split('/')[-1])
    out.write("const char %s[] =\n" % name)
    for line in text.splitlines():
        esc = line.replace("\\", "\\\\").replace('"', '\\"')
        out.write('\t"%s\\n"\n' % esc)
    out.write(";\n")
