#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every language of po/LINGUAS is complete: msgfmt --check passes with no
fuzzy or untranslated message, and every msgid the sources have today (a
fresh xgettext run, as the pixverse-studio-pot target makes it) is there."""

import pathlib
import re
import subprocess
import sys
import tempfile

# The keywords of meson's glib preset (po/meson.build).
XGETTEXT = ['xgettext', '--from-code=UTF-8', '--add-comments', '--keyword=_',
            '--keyword=N_', '--keyword=C_:1c,2', '--keyword=NC_:1c,2',
            '--keyword=g_dcgettext:2', '--keyword=g_dngettext:2,3',
            '--keyword=g_dpgettext2:2c,3']

root = pathlib.Path(sys.argv[1])
po = root / 'po'
langs = [l.strip() for l in (po / 'LINGUAS').read_text().splitlines()
         if l.strip() and not l.startswith('#')]

failed = False
n = 0
with tempfile.TemporaryDirectory() as tmp:
    pot = pathlib.Path(tmp) / 'fresh.pot'
    subprocess.run(XGETTEXT + ['--directory', str(root), '--files-from',
                               str(po / 'POTFILES.in'), '--output', str(pot)],
                   check=True)
    msgids = sum(1 for line in pot.read_text(encoding='utf-8').splitlines()
                 if line.startswith('msgid ')) - 1  # the header
    print(f'# the sources have {msgids} msgids')
    print(f'1..{2 * len(langs)}')
    for lang in langs:
        src = po / f'{lang}.po'
        check = subprocess.run(['msgfmt', '--check', '--statistics', '-o', '/dev/null', str(src)],
                               capture_output=True, text=True)
        out = check.stderr.strip()
        for line in out.splitlines():
            print(f'# {lang}: {line}')
        complete = check.returncode == 0 and re.fullmatch(r'\d+ translated messages?\.', out)
        n += 1
        print(('ok' if complete else 'not ok') + f' {n} {lang}.po passes msgfmt --check, nothing fuzzy or untranslated')
        failed |= not complete

        cmp = subprocess.run(['msgcmp', str(src), str(pot)], capture_output=True, text=True)
        for line in cmp.stderr.splitlines()[:20]:
            print(f'# {line}')
        n += 1
        print(('ok' if cmp.returncode == 0 else 'not ok') + f' {n} {lang}.po has every msgid of the sources')
        failed |= cmp.returncode != 0

sys.exit(1 if failed else 0)
