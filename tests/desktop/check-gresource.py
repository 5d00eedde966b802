#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every .ui and .css file of src/gui and every app icon is in the GResource,
and the built program carries them."""

import pathlib
import subprocess
import sys
import xml.etree.ElementTree as ET

root = pathlib.Path(sys.argv[1])
program = sys.argv[2]
gui = root / 'src' / 'gui'
xml = ET.parse(gui / 'pixverse-studio.gresource.xml').getroot()

entries = {}  # resource path -> source file
for res in xml.iter('gresource'):
    for f in res.iter('file'):
        alias = f.get('alias') or f.text
        entries[res.get('prefix').rstrip('/') + '/' + alias] = (gui / f.text).resolve()

wanted = sorted(p.resolve() for p in gui.iterdir() if p.suffix in ('.ui', '.css'))
wanted += sorted(p.resolve() for p in (root / 'data' / 'icons').rglob('*.svg'))
listed = set(entries.values())

built = subprocess.run(['gresource', 'list', program], capture_output=True,
                       text=True, check=True).stdout.split()

print(f'1..{len(wanted) + len(entries)}')
n = 0
failed = False
for path in wanted:
    n += 1
    ok = path in listed
    failed |= not ok
    print(('ok' if ok else 'not ok') + f' {n} {path.relative_to(root.resolve())} is in the GResource')
for name, path in sorted(entries.items()):
    n += 1
    ok = name in built and path.is_file()
    failed |= not ok
    print(('ok' if ok else 'not ok') + f' {n} {name} is in {pathlib.Path(program).name}')
sys.exit(1 if failed else 0)
