"""Real music recordings for tests, taken from Debian packages of free games.

Synthetic signals prove plumbing but not that a tagger hears music as the original does, and
audio must not be committed. So the recordings are fetched, the Debian way, from the archive the
machine already uses: ``apt-get download`` of a pinned package version into a cache folder that
later runs reuse (``~/.cache/genrescope-test-music``, or ``$GENRESCOPE_TEST_MUSIC``), one member
taken out of its data archive with ``dpkg-deb --fsys-tarfile``, and its SHA-256 checked, so every
machine analyses the same bytes. ``apt-get update`` runs once, only if the download fails because
the package lists are missing or stale.

All are Ogg Vorbis: libsndfile decodes Vorbis the same way everywhere, so the original's
``librosa.load`` and this project's decoder see identical samples. The six packages add up to
about 102 MB of downloads, once.

This module uses the standard library only: packaging/musicnn/reference.py imports it inside the
throwaway TensorFlow venv that runs the original musicnn.

| key | package (version) | member | what | composer / performer | licence |
|---|---|---|---|---|---|
| ave-maria | freedink-data (1.08.20190120-2) | usr/share/games/dink/dink/Sound/1.ogg | Bach/Gounod "Ave Maria", solo cello | John Michel (cello) | CC BY-SA 3.0 |
| mendelssohn | freedink-data (1.08.20190120-2) | usr/share/games/dink/dink/Sound/106.ogg | Mendelssohn, Violin Concerto op. 64, 1st mvt (excerpt) | Fulda Symphonic Orchestra, Franziska Früh (violin), Simon Schindler | EFF Open Audio License 1.0 |
| blue-danube | freedink-data (1.08.20190120-2) | usr/share/games/dink/dink/Sound/denube.ogg | J. Strauss II, "The Blue Danube", 1936 shellac recording (mono) | Rytmi-Pojat, Eugen Malmsten | public domain |
| lovin | freedink-data (1.08.20190120-2) | usr/share/games/dink/dink/Sound/lovin.ogg | "Lovin'", J-pop style instrumental | Gachopin | CC BY 3.0 |
| armygeddon | fretsonfire-songs-muldjord (2.dfsg-2.1) | usr/share/games/fretsonfire/data/songs/muldjord/armygeddon/song.ogg | "Armygeddon", metal (backing track) | El Senator (Muldjord) | CC BY-SA 3.0 |
| feelings | fretsonfire-songs-sectoid (1.dfsg-3.1) | usr/share/games/fretsonfire/data/songs/sectoid/Feelings/song.ogg | "Feelings", rock (backing track) | Carlos Viola Iborra (Sectoid) | Expat (MIT) |
| funny-boat | funnyboat (1.5-11) | usr/share/games/funnyboat/data/JDruid-Trip_on_the_Funny_Boat.ogg | "Trip on the Funny Boat", game soundtrack | Joona "JDruid" Karjalainen | Expat (MIT) |
| solarwolf | solarwolf (1.5+dfsg1-6) | usr/share/games/solarwolf/data/music/h2.ogg | SolarWolf in-game music, electronic | not credited (package: Pete Shinners) | LGPL-2.1 |
| tuxi | tuxtype-data (1.8.3-5.1) | usr/share/tuxtype/sounds/tuxi.ogg | Tux Typing theme | Emmett Plant | public domain |

`MORE_RECORDINGS` adds nine more from the same packages (six more Frets on Fire backing tracks,
two Tux Typing tunes, FreeDink's tavern tune), and `STEMS` a lead-guitar part alone; each entry
names its composer and licence.

Sources: each package's /usr/share/doc/<package>/copyright (and, for freedink-data,
README-REPLACEMENTS.txt.gz, which names the recordings that replaced the original MIDI files).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CACHE_ENV = "GENRESCOPE_TEST_MUSIC"
"""Overrides the cache folder (debs and extracted recordings)."""


@dataclass(frozen=True)
class Recording:
    key: str
    package: str
    version: str
    member: str
    """Path inside the package's data archive, without the leading ``./``."""
    sha256: str
    title: str
    composer: str
    licence: str
    category: str | None = None
    """The kind of music, from the package's own description (``classical``, ``rock``,
    ``game-electronic``), for the similarity benchmark and the learned-genre tests; None where
    no single kind fits (they stay in a library as distractors)."""


RECORDINGS: tuple[Recording, ...] = (
    Recording(
        "ave-maria", "freedink-data", "1.08.20190120-2", "usr/share/games/dink/dink/Sound/1.ogg",
        "457438b931a7120a6d52379ca186652973b13cd26666a870fa5ecd4fc73520e8",
        'Bach/Gounod "Ave Maria", solo cello', "John Michel (cello)", "CC BY-SA 3.0", category="classical",
    ),
    Recording(
        "mendelssohn", "freedink-data", "1.08.20190120-2", "usr/share/games/dink/dink/Sound/106.ogg",
        "0b57bd0a2336dcecd5c5e9b7f43aaaa958daf3ee7bf493bca2fb59fdca0d1cfb",
        "Mendelssohn, Violin Concerto in E minor op. 64, 1st movement (excerpt)",
        "Fulda Symphonic Orchestra, Franziska Früh (violin), Simon Schindler (conductor)",
        "EFF Open Audio License 1.0", category="classical",
    ),
    Recording(
        "blue-danube", "freedink-data", "1.08.20190120-2", "usr/share/games/dink/dink/Sound/denube.ogg",
        "de9149f712654c355396f10d2c380ceecb4e2bb479f1e1676a443c5aaf1aa94c",
        'J. Strauss II, "The Blue Danube" (1936 recording, mono)', "Rytmi-Pojat, Eugen Malmsten",
        "public domain", category="classical",
    ),
    Recording(
        "lovin", "freedink-data", "1.08.20190120-2", "usr/share/games/dink/dink/Sound/lovin.ogg",
        "46ba524a5a96c33b382b8222ef8188e6e1b8e7b79041f57f29a42304e4d74231",
        "\"Lovin'\", instrumental", "Gachopin", "CC BY 3.0",
    ),
    Recording(
        "armygeddon", "fretsonfire-songs-muldjord", "2.dfsg-2.1",
        "usr/share/games/fretsonfire/data/songs/muldjord/armygeddon/song.ogg",
        "3912690dfdf264df3c0e6ce4057e1ef2617d159e3fe873172762ebe3b8a15dd2",
        '"Armygeddon", metal (backing track)', "El Senator (Muldjord)", "CC BY-SA 3.0", category="rock",
    ),
    Recording(
        "feelings", "fretsonfire-songs-sectoid", "1.dfsg-3.1",
        "usr/share/games/fretsonfire/data/songs/sectoid/Feelings/song.ogg",
        "8f3b11be42b4caf1b277c62a46436f015a0bcc559ca53871899ada23c6837bf5",
        '"Feelings", rock (backing track)', "Carlos Viola Iborra (Sectoid)", "Expat (MIT)", category="rock",
    ),
    Recording(
        "funny-boat", "funnyboat", "1.5-11",
        "usr/share/games/funnyboat/data/JDruid-Trip_on_the_Funny_Boat.ogg",
        "1db157e12fa37b54a5add98a9f2ad6c906806e898fac53c29a96cd48a09c9278",
        '"Trip on the Funny Boat", game soundtrack', 'Joona "JDruid" Karjalainen', "Expat (MIT)", category="game-electronic",
    ),
    Recording(
        "solarwolf", "solarwolf", "1.5+dfsg1-6", "usr/share/games/solarwolf/data/music/h2.ogg",
        "f6a40027eb7653502a99ac5b25514dcbdc7503ccc086502e8b003ee01343e3a4",
        "SolarWolf in-game music", "not credited (package copyright: Pete Shinners)", "LGPL-2.1", category="game-electronic",
    ),
    Recording(
        "tuxi", "tuxtype-data", "1.8.3-5.1", "usr/share/tuxtype/sounds/tuxi.ogg",
        "4429918c23915c7893814b704cf242ed1fa382f2511eaf7949d46d9355490921",
        "Tux Typing theme", "Emmett Plant", "public domain", category="game-electronic",
    ),
)

BY_KEY = {recording.key: recording for recording in RECORDINGS}

_MULDJORD = ("fretsonfire-songs-muldjord", "2.dfsg-2.1", "usr/share/games/fretsonfire/data/songs/muldjord")
_SECTOID = ("fretsonfire-songs-sectoid", "1.dfsg-3.1", "usr/share/games/fretsonfire/data/songs/sectoid")


def _song(source: tuple[str, str, str], folder: str, stem: str, sha256: str, key: str, title: str,
          composer: str, licence: str, category: str | None = "rock") -> Recording:
    package, version, root = source
    return Recording(key, package, version, f"{root}/{folder}/{stem}.ogg", sha256, title, composer,
                     licence, category)


MORE_RECORDINGS: tuple[Recording, ...] = (
    _song(_MULDJORD, "chaos_god", "song", "e3ea47b66cfcacc853aa03e4dd5aa3262a73468b4a8aab240de9e00b13373127",
          "chaos-god", '"Chaos God", metal (backing track)', "El Senator (Muldjord)", "CC BY-SA 3.0"),
    _song(_MULDJORD, "internal_degeneration", "song",
          "37c8afa938c155af45645af94d61eebeba11e975b4c8be8f61a04a2f97e1327d", "internal-degeneration",
          '"Internal Degeneration", metal (backing track)', "El Senator (Muldjord)", "CC BY-SA 3.0"),
    _song(_MULDJORD, "mutilated_mime", "song", "91e2197f397b9f072e3561166a28888d84284f8d1c7016a7b80fe9679565804f",
          "mutilated-mime", '"Mutilated Mime", metal (backing track)', "El Senator (Muldjord)", "CC BY-SA 3.0"),
    _song(_SECTOID, "Metal madness", "song", "22d096855d628c1f892dd1770573f6de8bd5150c6db63f86c8c15386f9d4b4e6",
          "metal-madness", '"Metal Madness", rock (backing track)', "Carlos Viola Iborra (Sectoid)", "Expat (MIT)"),
    _song(_SECTOID, "Escape from chaosland", "song",
          "f6da011002059676d5bceddc0a135c2a1bfc6ad629ba1c052f8db440c044c710", "escape-from-chaosland",
          '"Escape from Chaosland", rock (backing track)', "Carlos Viola Iborra (Sectoid)", "Expat (MIT)"),
    _song(_SECTOID, "War of freedom", "song", "b44e3c119d36cac6713940ff04e750c009b7c3636920414d9be72eeb0407d039",
          "war-of-freedom", '"War of Freedom", rock (backing track)', "Carlos Viola Iborra (Sectoid)", "Expat (MIT)"),
    Recording(
        "chiptune2", "tuxtype-data", "1.8.3-5.1", "usr/share/tuxtype/sounds/chiptune2.ogg",
        "32ef0184f0bb998f1ecd593e3d05dd99c2c9b039b06cace442eaa98ff13d629f",
        "Tux Typing chiptune", "not credited (package: Tux4Kids)", "GPL-2", category="game-electronic",
    ),
    Recording(
        "amidst-the-raindrops", "tuxtype-data", "1.8.3-5.1", "usr/share/tuxtype/sounds/amidst_the_raindrops.ogg",
        "0964ba22b528257617f5dbf81b160371fecf30ceeae3118c4bbf129ec0590911",
        '"Amidst the Raindrops", Tux Typing music', "not credited (package: Tux4Kids)", "GPL-2",
        category="game-electronic",
    ),
    Recording(
        "tavern", "freedink-data", "1.08.20190120-2", "usr/share/games/dink/dink/Sound/5.ogg",
        "a7de190dc75d74dcb4cc65fd2c060dc72ae5a10d93ca7e3fbb1af4a4b729b25f",
        "Tavern in Terris (MIDI rendered with FluidSynth)", "Ofir Mo", "GPL-3+",
    ),
)
"""Nine more recordings from the same six packages (no further download), for the similarity
benchmark and learned genres: six more rock/metal backing tracks, two game tunes, a tavern tune."""

STEMS: dict[str, Recording] = {
    "armygeddon-guitar": _song(_MULDJORD, "armygeddon", "guitar",
                               "c54dc1cae8427c427b4c39fd3d5f743e6fdd85d31252db89641e8e9e8021a8bd",
                               "armygeddon-guitar", '"Armygeddon", the lead guitar part alone',
                               "El Senator (Muldjord)", "CC BY-SA 3.0", category=None),
}
"""Single parts of a song whose mix is in `RECORDINGS` (Frets on Fire ships the lead guitar
apart from the backing track), for tests that need to know where an instrument plays."""

EVERY_RECORDING: tuple[Recording, ...] = (*RECORDINGS, *MORE_RECORDINGS)


class RealMusicUnavailable(Exception):
    """A recording could not be obtained; ``str()`` says why and what to do."""


def cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV)
    return Path(configured) if configured else Path.home() / ".cache" / "genrescope-test-music"


def recording_path(recording: Recording) -> Path:
    """The recording's file in the cache, downloaded and extracted first if needed."""
    root = cache_dir()
    target = root / "audio" / f"{recording.package}_{recording.version}" / recording.member
    with _locked(root):
        if target.is_file() and _sha256(target) == recording.sha256:
            return target
        deb = _deb(root, recording.package, recording.version)
        _extract(deb, recording, target)
    return target


def all_recordings() -> list[tuple[Recording, Path]]:
    """Every recording with its path, in table order."""
    return [(recording, recording_path(recording)) for recording in RECORDINGS]


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    """One process at a time fills the cache (parallel test runs, the reference script)."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        lock = (root / ".lock").open("a")
    except OSError as exc:
        raise RealMusicUnavailable(f"cannot create the test-music cache {root}: {exc}") from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _deb(root: Path, package: str, version: str) -> Path:
    debs = root / "debs"
    debs.mkdir(exist_ok=True)
    found = _find_deb(debs, package, version)
    if found is not None:
        return found
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise RealMusicUnavailable(
            f"the real-music tests take recordings from Debian packages ({package} {version}), "
            "but apt-get/dpkg-deb are not installed here"
        )
    result = _apt_download(debs, package, version)
    if result.returncode != 0:
        # Missing or stale package lists (a fresh container) are the usual cause: update once.
        update = subprocess.run(["apt-get", "update"], capture_output=True, text=True)
        if update.returncode != 0:
            raise RealMusicUnavailable(
                f"apt-get download {package}={version} failed ({_last_line(result.stderr)}) and "
                f"apt-get update failed too ({_last_line(update.stderr)}); run `sudo apt-get update` "
                "and check that the Debian archive is reachable"
            )
        result = _apt_download(debs, package, version)
    found = _find_deb(debs, package, version)
    if result.returncode != 0 or found is None:
        raise RealMusicUnavailable(
            f"apt-get download {package}={version} failed: {_last_line(result.stderr)} "
            "(the test recordings come from Debian bookworm's archive)"
        )
    return found


def _apt_download(debs: Path, package: str, version: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["apt-get", "download", f"{package}={version}"], cwd=debs, capture_output=True, text=True
    )


def _find_deb(debs: Path, package: str, version: str) -> Path | None:
    # apt writes an epoch's colon as %3a; none of the pinned versions has one.
    matches = sorted(debs.glob(f"{package}_{version}_*.deb"))
    return matches[0] if matches else None


def _extract(deb: Path, recording: Recording, target: Path) -> None:
    """Take the one member out of the package's data archive, then check its bytes."""
    process = subprocess.Popen(
        ["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None
    wanted = {recording.member, f"./{recording.member}"}
    partial = target.with_name(target.name + ".partial")
    found = False
    try:
        with tarfile.open(fileobj=process.stdout, mode="r|") as archive:
            for member in archive:
                if member.name in wanted and member.isfile():
                    source = archive.extractfile(member)
                    assert source is not None
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with source, partial.open("wb") as out:
                        shutil.copyfileobj(source, out)
                    found = True
                    break
    except tarfile.TarError as exc:
        raise RealMusicUnavailable(f"{deb} is not a readable Debian package ({exc}); delete it") from None
    finally:
        process.stdout.close()
        process.kill()
        process.wait()
    if not found:
        raise RealMusicUnavailable(f"{deb} has no member {recording.member}")
    digest = _sha256(partial)
    if digest != recording.sha256:
        partial.unlink()
        raise RealMusicUnavailable(
            f"{recording.member} from {deb.name} has SHA-256 {digest}, expected {recording.sha256} "
            "(a different build of the package?)"
        )
    partial.replace(target)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def write_clips(folder: Path, seconds: float) -> Path:
    """Ten short real clips in ``folder``: the middle of each of the nine recordings, and the start
    of the first (so one song appears twice, at two places)."""
    import soundfile as sf

    for n, (recording, where) in enumerate([(r, 0.5) for r in RECORDINGS] + [(RECORDINGS[0], 0.1)]):
        samples, rate = sf.read(recording_path(recording), dtype="float32", always_2d=True)
        start = int(max(0.0, len(samples) / rate * where - seconds / 2) * rate)
        sf.write(folder / f"{n:02d}-{recording.key}.flac", samples[start : start + int(seconds * rate)], rate)
    return folder
