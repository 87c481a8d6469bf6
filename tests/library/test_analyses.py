"""Analyses stored per (track, model): upserts, what is left to analyse, genre counts."""

from __future__ import annotations

from desktop_app.library import analyses as store
from desktop_app.library.scanner import Scanner
from tests.audio_files import write_audio

SHA = "ab" * 32


def _scan(library, tmp_path, n=3):
    for i in range(n):
        write_audio(tmp_path / "m" / f"{i}.wav")
    (tmp_path / "m" / "broken.wav").write_bytes(b"RIFF")
    Scanner(library).scan([tmp_path / "m"])


def test_register_model_is_idempotent(library):
    with library.writer.begin() as conn:
        first = store.register_model(conn, SHA, "label", "test", ["a", "b"])
        again = store.register_model(conn, SHA, "other label", "test", ["a", "b"])
    assert first == again


def test_tracks_to_analyse_skips_done_errors_and_unreadable_files(library, tmp_path):
    _scan(library, tmp_path)
    with library.writer.begin() as conn:
        model = store.register_model(conn, SHA, "label", "test", ["x"])
        todo = store.tracks_to_analyse(conn, model)
        assert [p.rsplit("/", 1)[1] for _, p in todo] == ["0.wav", "1.wav", "2.wav"], "broken.wav has a scan error"
        store.save_analyses(conn, model, [
            (todo[0][0], store.AnalysisRecord(top1="Soft_rock", confidence=0.6, probabilities=[0.6, 0.4])),
            (todo[1][0], store.AnalysisRecord(error="decoding failed: truncated")),
        ])
        assert store.tracks_to_analyse(conn, model) == [todo[2]]
        assert store.tracks_to_analyse(conn, model, limit=0) == []
        assert store.tracks_to_analyse(conn, None, track_ids=[todo[1][0]]) == [todo[1]]
        assert store.predicted_genre_counts(conn, model) == {"Soft_rock": 1}


def test_saving_again_replaces_the_previous_analysis(library, tmp_path):
    _scan(library, tmp_path, n=1)
    with library.writer.begin() as conn:
        model = store.register_model(conn, SHA, "label", "test", ["x"])
        [(track, _)] = store.tracks_to_analyse(conn, model)
        store.save_analyses(conn, model, [(track, store.AnalysisRecord(error="file vanished"))])
        store.save_analyses(conn, model, [(track, store.AnalysisRecord(top1="Opera", confidence=0.9, window_count=3))])
        row = store.analysis_of(conn, track, model)
    assert (row.top1, row.error, row.window_count, row.model_origin) == ("Opera", None, 3, "test")
