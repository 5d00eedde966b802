#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The real app in German, read through the accessibility bus as a screen
reader would: its window shows the German labels of po/de.po, and the command
line prints its Spanish usage text.

argv: PROGRAM LOCALEDIR SCHEMA_DIR [CLI]. PROGRAM and CLI are pixverse-studio
and pixverse built again to read the build tree's catalogues (LOCALEDIR);
the installed ones read the install prefix's (tests/desktop/check-install.py).
"""

import gettext
import os
import shutil
import subprocess
import sys
import tempfile
import time

import gi
gi.require_version('Atspi', '2.0')
from gi.repository import Atspi  # noqa: E402

DOMAIN = 'pixverse-studio'
TEST_KEY = 'key_00000000000000000000000000000000'
# Labels of the first window with a key set: the sidebar's empty state and
# the composer's title.
MSGIDS = ['No Videos Yet', 'New Video']

program, localedir, schema_dir = sys.argv[1:4]
cli = sys.argv[4] if len(sys.argv) > 4 else None
results = []


def check(ok, what, detail=''):
    results.append((bool(ok), what, detail))


LOCALES = {'de': 'de_DE.UTF-8', 'es': 'es_ES.UTF-8', 'en': 'C.UTF-8'}


def locpath(tmp):
    """A locale directory with de_DE.UTF-8 and es_ES.UTF-8 where the system
    has none: glibc ignores LANGUAGE under the C locales, and a minimal root
    (or container) ships only C.UTF-8. Its data, under the German and Spanish
    names, is enough for gettext, which goes by the name."""
    have = subprocess.run(['locale', '-a'], capture_output=True, text=True).stdout.split()
    have = {n.lower().replace('utf-8', 'utf8') for n in have}
    if all(n.lower().replace('utf-8', 'utf8') in have for n in LOCALES.values()):
        return None
    source = next(p for p in ('/usr/lib/locale/C.utf8', '/usr/lib/locale/C.UTF-8')
                  if os.path.isdir(p))
    path = os.path.join(tmp, 'locale')
    for name in LOCALES.values():
        if name != 'C.UTF-8':
            shutil.copytree(source, os.path.join(path, name))
    return path


def child_env(tmp, language):
    env = dict(os.environ)
    loc = LOCALES[language]
    env.update(LANGUAGE=language, LANG=loc, LC_ALL=loc,
               GSETTINGS_SCHEMA_DIR=schema_dir, GSETTINGS_BACKEND='memory',
               PIXVERSE_API_KEY=TEST_KEY, PIXVERSE_API_URL='http://127.0.0.1:9')
    if LOCPATH:
        env['LOCPATH'] = LOCPATH
    for d in ('DATA', 'CACHE', 'CONFIG', 'STATE'):
        path = os.path.join(tmp, d.lower())
        os.makedirs(path, exist_ok=True)
        env[f'XDG_{d}_HOME'] = path
    # The test environment turns accessibility off; this test reads it.
    for name in ('NO_AT_BRIDGE', 'GTK_A11Y'):
        env.pop(name, None)
    # The app keeps the test suite's strictness; this script runs without
    # it, as libatspi warns about objects that go away while it reads them.
    env['G_DEBUG'] = 'gc-friendly,fatal-warnings'
    return env


def names(node, depth=0, out=None):
    out = set() if out is None else out
    if node is None or depth > 60:
        return out
    try:
        name = node.get_name()
        if name:
            out.add(name)
        for i in range(node.get_child_count()):
            names(node.get_child_at_index(i), depth + 1, out)
    except gi.repository.GLib.Error:
        pass  # a widget that went away while being read
    return out


def find_app(pid):
    desktop = Atspi.get_desktop(0)
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        try:
            if app is not None and app.get_process_id() == pid:
                return app
        except gi.repository.GLib.Error:
            pass
    return None


LOCPATH_DIR = tempfile.TemporaryDirectory()
LOCPATH = locpath(LOCPATH_DIR.name)
print(f'# locales: {"LOCPATH " + LOCPATH if LOCPATH else "the system's"}')

de = gettext.translation(DOMAIN, localedir=localedir, languages=['de'])
wanted = {m: de.gettext(m) for m in MSGIDS}
check(all(wanted[m] != m for m in MSGIDS), 'de.po translates the labels looked for', str(wanted))

Atspi.init()
Atspi.set_timeout(2000, 10000)
with tempfile.TemporaryDirectory() as tmp:
    proc = subprocess.Popen([program], env=child_env(tmp, 'de'))
    seen = set()
    started = time.monotonic()
    deadline = started + 150  # generous: the machine may be loaded
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            app = find_app(proc.pid)
            if app is not None:
                seen = names(app)
                if all(t in seen for t in wanted.values()):
                    break
            time.sleep(0.5)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    print(f'# read the window for {time.monotonic() - started:.1f} s')
    detail = 'seen: ' + ', '.join(sorted(seen)[:60])
    for msgid, text in wanted.items():
        check(text in seen, f'the window shows “{text}” for “{msgid}”', detail)
        check(msgid not in seen, f'and not the English “{msgid}”', detail)

if cli:
    # The usage text is printed as it is in the catalogue: the English run
    # gives the msgid, the Spanish one must be its msgstr.
    es = gettext.translation(DOMAIN, localedir=localedir, languages=['es'])
    with tempfile.TemporaryDirectory() as tmp:
        en_run = subprocess.run([cli, '--help'], env=child_env(tmp, 'en'),
                                capture_output=True, text=True, timeout=60)
        es_run = subprocess.run([cli, '--help'], env=child_env(tmp, 'es'),
                                capture_output=True, text=True, timeout=60)
    expected = es.gettext(en_run.stdout)
    check(en_run.returncode == 0 and es_run.returncode == 0 and
          expected != en_run.stdout and es_run.stdout == expected,
          'pixverse --help under LANGUAGE=es is the Spanish usage text', es_run.stdout[:400])

print(f'1..{len(results)}')
for i, (ok, what, detail) in enumerate(results, 1):
    if not ok and detail:
        for line in str(detail).splitlines():
            print(f'# {line}')
    print(('ok' if ok else 'not ok') + f' {i} {what}')
sys.exit(0 if all(ok for ok, _, _ in results) else 1)
