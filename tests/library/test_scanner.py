"""The scanner on real files the tests generate: first scan, rescans, changes, removals, bad files."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop_app.library.models import TagGenre, Track
from desktop_app.library.queries import iter_tracks
from desktop_app.library.scanner import Scanner
from tests.audio_files import tag_file, write_audio


def tracks_by_name(library) -> dict[str, dict]:
    return {Path(t["path"]).name: t for t in iter_tracks(library)}


def genres_of(library, path: Path) -> list[str]:
    with library.session() as s:
        track = s.scalars(select(Track).where(Track.path == str(path))).one()
        return [g.name for g in track.tag_genres]


@pytest.fixture
def music(tmp_path: Path) -> Path:
    root = tmp_path / "Music"
    write_audio(root / "Ünïcode Artist" / "01 – Café.flac", title="Café del Mar", artist="Ünïcode Artist",
                album="Ålbum", genre="Rock; Pop", tracknumber="1/12", date="2019-05-01")
    write_audio(root / "Ünïcode Artist" / "02.ogg", title="Второй", artist="Ünïcode Artist", genre=["Jazz", "Blues"])
    write_audio(root / "mp3" / "song.mp3", channels=2, sr=44100, title="日本の歌", artist="A", genre="Rock/Metal",
                tracknumber="3", date="2001")
    write_audio(root / "plain.wav", seconds=2.0)
    return root


def test_first_scan_reads_tags_and_stream_info(library, music):
    result = Scanner(library).scan([music])
    assert (result.added, result.updated, result.unchanged, result.missing, result.errors) == (4, 0, 0, 0, 0)

    tracks = tracks_by_name(library)
    cafe = tracks["01 – Café.flac"]
    assert (cafe["title"], cafe["artist"], cafe["album"]) == ("Café del Mar", "Ünïcode Artist", "Ålbum")
    assert (cafe["track_number"], cafe["year"], cafe["format"]) == (1, 2019, "flac")
    assert cafe["duration"] == pytest.approx(1.0, abs=0.01)
    assert cafe["available"] and cafe["error"] is None
    mp3 = tracks["song.mp3"]
    assert (mp3["title"], mp3["format"], mp3["channels"], mp3["sample_rate"]) == ("日本の歌", "mp3", 2, 44100)
    assert (mp3["track_number"], mp3["year"]) == (3, 2001)
    assert mp3["bitrate"] > 0
    assert tracks["plain.wav"]["duration"] == pytest.approx(2.0, abs=0.01)
    assert tracks["plain.wav"]["title"] is None


def test_multi_valued_genres_are_split_into_the_genre_table(library, music):
    Scanner(library).scan([music])
    assert genres_of(library, music / "Ünïcode Artist" / "01 – Café.flac") == ["Rock", "Pop"]
    assert genres_of(library, music / "Ünïcode Artist" / "02.ogg") == ["Jazz", "Blues"]
    assert genres_of(library, music / "mp3" / "song.mp3") == ["Rock", "Metal"]
    assert tracks_by_name(library)["01 – Café.flac"]["tag_genre"] == "Rock; Pop"
    with library.session() as s:
        rock = s.scalars(select(TagGenre.track_id).where(TagGenre.name == "Rock")).all()
    assert len(rock) == 2


def test_rescan_with_nothing_changed_reads_nothing(library, music, monkeypatch):
    Scanner(library).scan([music])
    before = tracks_by_name(library)

    def fail(*_args):
        raise AssertionError("an unchanged file was read again")

    monkeypatch.setattr("desktop_app.library.reading.read_file_info", fail)
    result = Scanner(library, workers=1).scan([music])
    assert (result.added, result.updated, result.unchanged, result.missing) == (0, 0, 4, 0)
    assert tracks_by_name(library) == before


def test_changed_file_is_read_again(library, music):
    Scanner(library).scan([music])
    target = music / "mp3" / "song.mp3"
    tag_file(target, title="New title", genre="Soul")
    os.utime(target, (1_700_000_000, 1_700_000_000))  # a different mtime, as an editor would leave
    result = Scanner(library).scan([music])
    assert (result.added, result.updated, result.unchanged) == (0, 1, 3)
    assert tracks_by_name(library)["song.mp3"]["title"] == "New title"
    assert genres_of(library, target) == ["Soul"]


def test_removed_file_is_marked_missing_and_restored_when_it_returns(library, music, tmp_path):
    Scanner(library).scan([music])
    ids = {name: t["id"] for name, t in tracks_by_name(library).items()}
    parked = tmp_path / "parked.ogg"
    shutil.move(music / "Ünïcode Artist" / "02.ogg", parked)

    result = Scanner(library).scan([music])
    assert (result.missing, result.unchanged) == (1, 3)
    tracks = tracks_by_name(library)
    assert len(tracks) == 4, "a vanished file must not be deleted"
    assert tracks["02.ogg"]["available"] is False

    shutil.move(parked, music / "Ünïcode Artist" / "02.ogg")
    result = Scanner(library).scan([music])
    assert (result.updated, result.missing, result.unchanged) == (1, 0, 3)
    tracks = tracks_by_name(library)
    assert tracks["02.ogg"]["available"] is True
    assert tracks["02.ogg"]["id"] == ids["02.ogg"], "the returning file keeps its row (and its analyses)"


def test_unplugged_drive_marks_tracks_missing_without_deleting(library, music, tmp_path):
    Scanner(library).scan([music])
    unplugged = tmp_path / "unplugged"
    music.rename(unplugged)
    result = Scanner(library).scan([music])
    assert result.missing == 4
    assert result.error_files[0]["reason"].startswith("cannot open")
    assert len(tracks_by_name(library)) == 4
    unplugged.rename(music)
    assert Scanner(library).scan([music]).updated == 4


def test_scanning_a_subfolder_leaves_the_rest_alone(library, music):
    Scanner(library).scan([music])
    result = Scanner(library).scan([music / "mp3"])
    assert (result.unchanged, result.missing) == (1, 0)
    assert all(t["available"] for t in iter_tracks(library))


def test_sibling_folder_with_common_prefix_is_not_inside(library, tmp_path):
    write_audio(tmp_path / "Music" / "a.wav")
    write_audio(tmp_path / "Music2" / "b.wav")
    Scanner(library).scan([tmp_path / "Music", tmp_path / "Music2"])
    (tmp_path / "Music2" / "b.wav").unlink()
    result = Scanner(library).scan([tmp_path / "Music"])
    assert result.missing == 0, "Music2/b.wav is not under Music"


def test_malformed_files_are_recorded_with_reasons_and_the_scan_goes_on(library, tmp_path):
    root = tmp_path / "bad"
    good = write_audio(root / "good.flac", seconds=3.0, title="fine")
    (root / "empty.mp3").write_bytes(b"")
    (root / "random.flac").write_bytes(os.urandom(4096))
    (root / "notes.ogg").write_text("this is a text file, not audio\n" * 20)
    truncated = root / "truncated.flac"
    truncated.write_bytes(good.read_bytes()[:60])
    wrong_ext = root / "really_a_flac.mp3"
    wrong_ext.write_bytes(good.read_bytes())

    result = Scanner(library).scan([root])
    assert result.added == 6
    reasons = {Path(e["path"]).name: e["reason"] for e in result.error_files}
    assert reasons["empty.mp3"] == "empty file (0 bytes)"
    assert "not a recognised audio format" in reasons["random.flac"] or "corrupt" in reasons["random.flac"]
    assert "not a recognised audio format" in reasons["notes.ogg"] or "corrupt" in reasons["notes.ogg"]
    assert "corrupt or truncated" in reasons["truncated.flac"]
    assert set(reasons) == {"empty.mp3", "random.flac", "notes.ogg", "truncated.flac"}

    tracks = tracks_by_name(library)
    assert tracks["really_a_flac.mp3"]["format"] == "flac", "the content decides the format"
    assert tracks["really_a_flac.mp3"]["title"] == "fine"
    assert tracks["truncated.flac"]["error"] == reasons["truncated.flac"]


def test_undecodable_file_name_is_recorded_not_fatal(library, tmp_path):
    root = tmp_path / "names"
    write_audio(root / "ok.wav")
    raw = os.fsencode(str(root)) + b"/caf\xe9.wav"  # Latin-1 byte: not valid UTF-8
    shutil.copy(root / "ok.wav", raw)
    result = Scanner(library).scan([root])
    assert result.added == 2
    [error] = result.error_files
    assert "not valid UTF-8" in error["reason"] and error["path"].endswith("caf\\xe9.wav")
    assert Scanner(library).scan([root]).unchanged == 2


def test_symlinked_folders_are_followed_once_and_loops_end(library, tmp_path):
    root = tmp_path / "root"
    write_audio(root / "a" / "x.wav")
    (root / "a" / "loop").symlink_to(root, target_is_directory=True)
    elsewhere = tmp_path / "elsewhere"
    write_audio(elsewhere / "y.wav")
    (root / "link").symlink_to(elsewhere, target_is_directory=True)
    result = Scanner(library).scan([root])
    assert result.added == 2
    assert sorted(Path(t["path"]).name for t in iter_tracks(library)) == ["x.wav", "y.wav"]


def _scan_as_nobody(db: str, root: str, results) -> None:
    from desktop_app.library.database import open_library

    try:
        if os.geteuid() == 0:  # root reads every file; an unprivileged user meets the real error
            os.setgid(65534)
            os.setuid(65534)
        # Inline: a worker process would start a new interpreter, whose files an unprivileged
        # user may not be able to read (a Python installed under /root, as on CI).
        results.put(Scanner(open_library(Path(db)), executor="inline").scan([root]).error_files)
    except BaseException as exc:
        results.put(repr(exc))


def test_permission_denied_is_a_reason():
    tmp_path = Path(tempfile.mkdtemp(prefix="genrescope-perm-"))  # pytest's own tmp is root-only
    music = tmp_path / "music"
    locked = write_audio(music / "locked.wav")
    write_audio(music / "open.wav")
    locked.chmod(0)
    for path in (tmp_path, music):
        path.chmod(0o777)
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_scan_as_nobody, args=(str(tmp_path / "lib.sqlite3"), str(music), results))
    child.start()
    errors = results.get(timeout=60)
    child.join(60)
    shutil.rmtree(tmp_path)
    assert errors == [{"path": str(locked), "reason": "permission denied"}]


@pytest.mark.parametrize("executor", ["process", "thread"])
def test_parallel_reading_matches_serial(tmp_path, executor):
    from desktop_app.library.database import open_library

    root = tmp_path / "many"
    first = write_audio(root / "000.mp3", title="t", artist="a", genre="Pop")
    for i in range(1, 300):
        shutil.copy(first, root / f"{i:03}.mp3")
    (root / "150.mp3").write_bytes(b"junk")
    serial, parallel = open_library(tmp_path / "s.db"), open_library(tmp_path / "p.db")
    rs = Scanner(serial, workers=1).scan([root])
    rp = Scanner(parallel, workers=2, executor=executor).scan([root])
    assert (rs.added, rs.errors) == (rp.added, rp.errors) == (300, 1)
    strip = lambda lib: [{k: v for k, v in t.items() if k not in ("added_at", "scanned_at")} for t in iter_tracks(lib)]
    assert strip(serial) == strip(parallel)


def test_cancelled_scan_keeps_finished_batches_and_marks_nothing_missing(tmp_path):
    from desktop_app.library import scanner as scanner_module
    from desktop_app.library.database import open_library

    root = tmp_path / "many"
    first = write_audio(root / "0000.wav")
    for i in range(1, 1500):
        shutil.copy(first, root / f"{i:04}.wav")
    library = open_library(tmp_path / "lib.db")
    Scanner(library).scan([root])
    (root / "0000.wav").unlink()
    for path in root.iterdir():
        os.utime(path, (1_600_000_000, 1_600_000_000))

    seen = []
    def cancel_after_first_batch() -> bool:
        return bool(seen) and seen[-1].phase == "reading" and seen[-1].done >= scanner_module.WRITE_BATCH + scanner_module.CHUNK

    result = Scanner(library, workers=1, progress=seen.append, should_cancel=cancel_after_first_batch).scan([root])
    assert result.cancelled
    assert result.missing == 0, "a cancelled scan must not mark anything missing"
    assert scanner_module.WRITE_BATCH <= result.updated < 1499

    resumed = Scanner(library).scan([root])
    assert resumed.updated + result.updated == 1499
    assert resumed.missing == 1


def test_scanning_thousands_of_single_files_at_once(library, tmp_path):
    """A drop names every file; the lookup must not build one SQL expression for all of them."""
    root = tmp_path / "dropped"
    first = write_audio(root / "0000.wav")
    for i in range(1, 1200):
        shutil.copy(first, root / f"{i:04}.wav")
    files = sorted(root.iterdir())
    assert Scanner(library).scan(files).added == 1200
    assert Scanner(library).scan(files).unchanged == 1200


def test_readers_run_at_the_niceness_asked_for():
    """The window's scans read tags below its priority (they keep both cores busy); the CLI's not."""
    import os

    from desktop_app.library.scanner import make_executor

    base = os.nice(0)
    with make_executor("process", 1, niceness=7) as pool:
        assert pool.submit(os.nice, 0).result(timeout=60) == min(base + 7, 19)
    with make_executor("process", 1) as pool:
        assert pool.submit(os.nice, 0).result(timeout=60) == base
