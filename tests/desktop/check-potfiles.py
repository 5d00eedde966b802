#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fails when a file with translatable strings is missing from po/POTFILES.in,
or when POTFILES.in names a file that is not there (xgettext would fail)."""

import pathlib
import re
import sys

MARKS = re.compile(r'\b(?:_|N_|C_|NC_|g_dngettext|ngettext|g_dpgettext2)\s*\(|translatable="yes"')
DATA_SUFFIXES = ('.desktop.in', '.metainfo.xml.in', '.gschema.xml')

root = pathlib.Path(sys.argv[1])
listed = set()
for line in (root / 'po' / 'POTFILES.in').read_text().splitlines():
    line = line.strip()
    if line and not line.startswith('#'):
        listed.add(line)

wanted = set()
for path in sorted((root / 'src').rglob('*')):
    if path.suffix in ('.c', '.h', '.ui') and MARKS.search(path.read_text(encoding='utf-8')):
        wanted.add(path.relative_to(root).as_posix())
for path in sorted((root / 'data').glob('*')):
    if path.name.endswith(DATA_SUFFIXES):
        wanted.add(path.relative_to(root).as_posix())

print('1..2')
missing = sorted(wanted - listed)
gone = sorted(p for p in listed if not (root / p).is_file())
print(f'# {len(wanted)} files with translatable strings, {len(listed)} listed')
for p in missing:
    print(f'# not in po/POTFILES.in: {p}')
print(('ok' if not missing else 'not ok') + ' 1 every file with translatable strings is listed')
for p in gone:
    print(f'# listed but not there: {p}')
print(('ok' if not gone else 'not ok') + ' 2 every listed file exists')
sys.exit(1 if missing or gone else 0)
