#!/usr/bin/env python3
"""A man page from a program's own --help and --version, by help2man.

    help-to-man.py HELP2MAN PROGRAM SECTION INCLUDE OUTPUT [--commands]

INCLUDE holds the prose help2man cannot read from --help (help2man's
include format).  With --commands, PROGRAM is a command-line tool whose
--help lists its commands under "Commands:": each one's own
"PROGRAM COMMAND --help" becomes a subsection of COMMANDS, so that every
command and every option of the page is what the program says about
itself.  The programs run in the C locale (English); characters outside
ASCII become groff escapes.

GOption prints "Usage:" on a line of its own and the summary after the
parameters ("PROGRAM [OPTION…] — SUMMARY"); help2man reads the synopsis
from "Usage: PROGRAM …" on one line, so it reads the help through a
wrapper of the program's name that prints it that way (--help-all where
the program has it, so that every option group is there).
"""

import os
import re
import subprocess
import sys
import tempfile

ROFF_CHARS = {
    "\u2018": r"\(oq", "\u2019": r"\(cq", "\u201c": r"\(lq", "\u201d": r"\(rq",
    "\u2013": r"\(en", "\u2014": r"\(em", "\u2026": r"\&...", "\u00d7": r"\(mu",
    "\u00b2": r"\(S2", "\u00e9": r"\('e", "\u00b0": r"\(de",
}


def env():
    e = dict(os.environ, LC_ALL="C.UTF-8")
    e.pop("LANGUAGE", None)
    e.pop("DISPLAY", None)
    e.pop("WAYLAND_DISPLAY", None)
    return e


def run(argv):
    return subprocess.run(argv, env=env(), check=True, capture_output=True,
                          text=True).stdout


def roff_text(text):
    text = text.replace("\\", r"\e").replace("-", r"\-")
    return r"\&" + text if text.startswith((".", "'")) else text


def roff_option(spec):
    # "-h, --help" or "--db=PATH": names bold, the argument italic
    out = []
    for part in spec.split(", "):
        name, eq, arg = part.partition("=")
        out.append(r"\fB%s\fR" % roff_text(name) +
                   (r"=\fI%s\fR" % roff_text(arg) if eq else ""))
    return ", ".join(out)


def command_section(program, name):
    """One command's --help (GOption's layout) as a subsection."""
    lines = run([program, name, "--help"]).splitlines()
    out = ['.SS "%s"' % roff_text(name)]
    block = None
    for line in lines:
        if not line.strip():
            if block == "text":
                out.append(".PP")
            continue
        if line == "Usage:":
            block = "usage"
        elif line.endswith("Options:") and not line.startswith(" "):
            block = "options"
        elif block == "usage":
            # "  PROGRAM NAME [OPTION…] ARGS": ARGS after the options
            args = line.split("]", 1)[1].strip()
            out.append(r"\fB%s %s\fR [\fIOPTION\fR...] %s" % (
                roff_text(os.path.basename(program)), roff_text(name),
                roff_text(args)))
            out.append(".PP")
            block = "text"
        elif block == "options":
            m = re.match(r"^\s+(-\S.*?)\s{2,}(\S.*)$", line)
            if not m:
                sys.exit("%s %s --help: cannot read option line %r" % (program, name, line))
            if m.group(1) == "-h, --help":
                continue
            out += [".TP", roff_option(m.group(1)), roff_text(m.group(2))]
        else:
            out.append(roff_text(line.strip()))
            block = "text"
    while out[-1] == ".PP":
        out.pop()
    return "\n".join(out) + "\n"


def commands(program):
    names, in_list = [], False
    for line in run([program, "--help"]).splitlines():
        if line == "Commands:":
            in_list = True
        elif in_list and line.startswith("  "):
            names.append(line.split()[0])
        elif in_list and line.strip():
            in_list = False
    if not names:
        sys.exit("%s --help lists no commands under \"Commands:\"" % program)
    return "[COMMANDS]\n" + "".join(command_section(program, n) for n in names)


def goption_help(program):
    text = run([program, "--help"])
    if "--help-all" in text:
        text = run([program, "--help-all"])
    m = re.match(r"Usage:\n\s+(\S.*?)(?: \u2014 .*)?\n", text)
    if m:
        text = "Usage: %s\n%s" % (m.group(1), text[m.end():])
    return text


def wrapper(tmp, program):
    """An executable of the program's name that prints goption_help()."""
    with open(os.path.join(tmp, "help.txt"), "w", encoding="utf-8") as f:
        f.write(goption_help(program))
    path = os.path.join(tmp, os.path.basename(program))
    with open(path, "w", encoding="utf-8") as f:
        f.write('#!/bin/sh\nif [ "$1" = --version ]; then exec "$0.real" --version; fi\n'
                'exec cat "%s"\n' % os.path.join(tmp, "help.txt"))
    os.chmod(path, 0o755)
    os.symlink(os.path.abspath(program), path + ".real")
    return path


def main():
    if len(sys.argv) not in (6, 7):
        sys.exit(__doc__)
    help2man, program, section, include, output = sys.argv[1:6]
    with tempfile.TemporaryDirectory() as tmp:
        argv = [help2man, "--no-info", "--no-discard-stderr", "--locale", "C.UTF-8",
                "--section", section,
                "--include", include, "--output", os.path.join(tmp, "page")]
        if sys.argv[6:] == ["--commands"]:
            with open(os.path.join(tmp, "commands.h2m"), "w", encoding="utf-8") as f:
                f.write(commands(program))
            argv += ["--include", os.path.join(tmp, "commands.h2m")]
        elif sys.argv[6:]:
            sys.exit(__doc__)
        run(argv + [wrapper(tmp, program)])
        with open(os.path.join(tmp, "page"), encoding="utf-8") as f:
            page = f.read()
    for char, escape in ROFF_CHARS.items():
        page = page.replace(char, escape)
    left = sorted({c for c in page if ord(c) > 127})
    if left:
        sys.exit("%s: no groff escape for %s (add it to ROFF_CHARS)" % (output, " ".join(left)))
    with open(output, "w", encoding="ascii") as f:
        f.write(page)


if __name__ == "__main__":
    main()
