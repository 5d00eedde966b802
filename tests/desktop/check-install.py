#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`meson install --destdir` of the build, then the installed tree is what a
desktop (and Flatpak's export) expects: programs, desktop file, metainfo,
icons, schema, D-Bus service and translations, each consistent with the
others, and the program looks for its translations where they went."""

import configparser
import gettext
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

APP_ID = 'io.github.pixversestudio.PixverseStudio'
DOMAIN = 'pixverse-studio'

build = pathlib.Path(sys.argv[1])
results = []


def check(ok, what, detail=''):
    results.append((bool(ok), what, detail))


def options():
    out = subprocess.run(['meson', 'introspect', '--buildoptions', str(build)],
                         capture_output=True, text=True, check=True).stdout
    return {o['name']: o['value'] for o in json.loads(out)}


opts = options()
prefix = pathlib.PurePosixPath(opts['prefix'])


def under_prefix(name):
    return prefix / opts[name]


with tempfile.TemporaryDirectory() as tmp:
    dest = pathlib.Path(tmp)
    subprocess.run(['meson', 'install', '-C', str(build), '--destdir', str(dest),
                    '--no-rebuild', '--quiet'], check=True)

    def installed(path):
        return dest / pathlib.PurePosixPath(path).relative_to('/')

    print(f'# prefix {prefix}; installed files:')
    for p in sorted(dest.rglob('*')):
        if p.is_file():
            print(f'#   /{p.relative_to(dest)}')

    bindir = installed(under_prefix('bindir'))
    datadir = installed(under_prefix('datadir'))
    localedir_path = under_prefix('localedir')
    localedir = installed(localedir_path)

    for prog in ('pixverse-studio', 'pixverse'):
        p = bindir / prog
        check(p.is_file() and os.access(p, os.X_OK), f'bin/{prog} is an installed program')

    desktop = datadir / 'applications' / f'{APP_ID}.desktop'
    metainfo = datadir / 'metainfo' / f'{APP_ID}.metainfo.xml'
    icon = datadir / 'icons/hicolor/scalable/apps' / f'{APP_ID}.svg'
    symbolic = datadir / 'icons/hicolor/symbolic/apps' / f'{APP_ID}-symbolic.svg'
    schemas = datadir / 'glib-2.0' / 'schemas'
    service = datadir / 'dbus-1' / 'services' / f'{APP_ID}.service'
    for p in (desktop, metainfo, icon, symbolic, schemas / f'{APP_ID}.gschema.xml', service):
        check(p.is_file(), f'{p.relative_to(dest)} is installed')

    # The desktop file: valid, translated, and pointing at what was installed.
    r = subprocess.run(['desktop-file-validate', str(desktop)], capture_output=True, text=True)
    check(r.returncode == 0 and not r.stdout.strip(), 'the desktop file validates', r.stdout)
    entry = configparser.RawConfigParser(interpolation=None, strict=False)
    entry.optionxform = str
    entry.read(desktop, encoding='utf-8')
    de = entry['Desktop Entry']
    check((bindir / de['Exec'].split()[0]).is_file(), 'its Exec is the installed program', de['Exec'])
    check(de['Icon'] == icon.stem, 'its Icon is the installed icon', de['Icon'])
    for lang in ('de', 'es'):
        check(f'Comment[{lang}]' in de and de[f'Comment[{lang}]'] != de['Comment'],
              f'its Comment is translated to {lang}')

    # The D-Bus service starts the installed program (DBusActivatable=true).
    svc = service.read_text()
    check(f'Name={APP_ID}\n' in svc and f'Exec={under_prefix("bindir")}/pixverse-studio ' in svc,
          'the D-Bus service starts the installed program', svc)

    # The metainfo: valid, and naming the desktop file and both programs.
    r = subprocess.run(['appstreamcli', 'validate', '--no-net', '--no-color', str(metainfo)],
                       capture_output=True, text=True)
    check(r.returncode == 0, 'the metainfo validates', r.stdout)
    comp = ET.parse(metainfo).getroot()
    check(comp.findtext('launchable') == desktop.name, 'its launchable is the desktop file')
    binaries = [b.text for b in comp.iter('binary')]
    check(binaries and all((bindir / b).is_file() for b in binaries),
          'every provided binary is installed', str(binaries))
    langs_de = [e.text for e in comp.iter('summary')
                if e.get('{http://www.w3.org/XML/1998/namespace}lang') == 'de']
    check(langs_de, 'its summary is translated to de')

    # The schema compiles, strictly, where it was installed.
    r = subprocess.run(['glib-compile-schemas', '--strict', '--dry-run', str(schemas)],
                       capture_output=True, text=True)
    check(r.returncode == 0, 'the installed schema compiles with --strict', r.stderr)

    # Translations where the installed program looks for them.
    program = (bindir / 'pixverse-studio').read_bytes()
    check(str(localedir_path).encode() + b'\0' in program,
          f'the program looks for translations in {localedir_path}')
    cli = (bindir / 'pixverse').read_bytes()
    check(str(localedir_path).encode() + b'\0' in cli,
          f'the command line looks for translations in {localedir_path}')
    for lang in ('de', 'es'):
        mo = localedir / lang / 'LC_MESSAGES' / f'{DOMAIN}.mo'
        check(mo.is_file(), f'{mo.relative_to(dest)} is installed')
        if mo.is_file():
            t = gettext.translation(DOMAIN, localedir=str(localedir), languages=[lang])
            check(t.gettext('No Videos Yet') != 'No Videos Yet',
                  f'the {lang} catalogue translates the window')

print(f'1..{len(results)}')
for i, (ok, what, detail) in enumerate(results, 1):
    if not ok and detail:
        for line in str(detail).splitlines():
            print(f'# {line}')
    print(('ok' if ok else 'not ok') + f' {i} {what}')
sys.exit(0 if all(ok for ok, _, _ in results) else 1)
