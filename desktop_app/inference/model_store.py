"""The installed genre model: one validated checkpoint in the models folder, and its manifest.

Where: ``desktop_app.config.models_dir()`` (``<data dir>/models``; ``GENRESCOPE_DATA_DIR`` moves
it), also when running from a source checkout, so a checkout and an installed app find the same
model and nothing large lands inside the repository. A file elsewhere (``weights/`` in a checkout,
``--weights``/``GENRESCOPE_WEIGHTS``) is used in place with origin ``file`` instead of installed.

Layout: ``<sha256>.pt`` (the checkpoint, named by content) and ``installed.json`` (the manifest
that says which file is the model). Installing is atomic: the bytes go to a temporary file in the
same folder, are fsynced and loaded strictly, and only then renamed into place; the manifest is
replaced the same way, so a crash leaves either the old model or the new one, never half of one,
and the next install deletes the temporary file a killed one left (`temp_files`).
Only one install should run at a time.

torch is imported only when a file is validated or opened, so ``status()`` stays cheap.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.config import models_dir
from desktop_app.errors import InferenceError
from desktop_app.genres.ccmusic import GENRE_KEYS
from desktop_app.inference.identity import ORIGINS, Origin
from desktop_app.temp_files import claimed_temp, remove_abandoned

if TYPE_CHECKING:
    from desktop_app.inference.engine import GenreClassifier

MANIFEST = "installed.json"
MANIFEST_FORMAT = 1
TEMP_PREFIX = ".installing-"


class ModelStoreError(InferenceError):
    """The models folder is in a state the app cannot use; the message says how to fix it."""


@dataclass(frozen=True)
class InstalledModel:
    """The installed checkpoint as recorded in the manifest.

    source: the URL it was downloaded from, or the path it was imported from.
    installed_at: ISO 8601, UTC.
    """

    path: Path
    sha256: str
    size: int
    origin: Origin
    source: str
    installed_at: str
    classes: tuple[str, ...]

    def open_classifier(
        self,
        *,
        device: str | None = None,
        precision: str = "fp32",
        batch_size: int | None = None,
    ) -> GenreClassifier:
        """Load this model; a file changed since installation fails its SHA-256 check."""
        from desktop_app.inference.engine import GenreClassifier

        return GenreClassifier.from_file(
            self.path,
            origin=self.origin,
            expected_sha256=self.sha256,
            device=device,
            precision=precision,
            batch_size=batch_size,
        )


def _root(root: str | os.PathLike[str] | None) -> Path:
    return Path(root) if root is not None else models_dir()


def installed_model(root: str | os.PathLike[str] | None = None) -> InstalledModel | None:
    """The installed model, None if none is installed; ``ModelStoreError`` if the install is broken."""
    folder = _root(root)
    manifest_path = folder / MANIFEST
    if not manifest_path.exists():
        return None
    reinstall = "install the model again (genrescope model install, or genrescope model import FILE)"
    try:
        data = json.loads(manifest_path.read_text(encoding="utf-8"))
        model = InstalledModel(
            path=folder / Path(data["file"]).name,
            sha256=str(data["sha256"]),
            size=int(data["size"]),
            origin=data["origin"],
            source=str(data["source"]),
            installed_at=str(data["installed_at"]),
            classes=tuple(data["classes"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelStoreError(f"The model manifest {manifest_path} is damaged ({exc}); {reinstall}.") from None
    if model.origin not in ORIGINS:
        raise ModelStoreError(f"The model manifest {manifest_path} has unknown origin {model.origin!r}; {reinstall}.")
    if model.classes != GENRE_KEYS:
        raise ModelStoreError(
            f"The installed model was recorded with other classes than this version of Genrescope uses; {reinstall}."
        )
    if not model.path.is_file():
        raise ModelStoreError(f"The installed model file {model.path} is missing; {reinstall}.")
    if model.path.stat().st_size != model.size:
        raise ModelStoreError(
            f"The installed model file {model.path} has {model.path.stat().st_size:,} bytes, "
            f"expected {model.size:,}; {reinstall}."
        )
    return model


def import_model(
    path: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] | None = None,
    origin: Origin = "imported",
) -> InstalledModel:
    """Copy the checkpoint at ``path`` into the models folder and make it the installed model.

    The copy is what gets validated and installed. Raises ``CheckpointError`` (nothing installed)
    if it is not a usable genre checkpoint.
    """
    source = Path(path).expanduser().resolve()
    if not source.is_file():
        # Let the loader word the refusal the same way as for every other unusable file.
        from desktop_app.inference.checkpoint import load_checkpoint

        load_checkpoint(source)
    folder = _root(root)
    folder.mkdir(parents=True, exist_ok=True)
    remove_abandoned(folder, f"{TEMP_PREFIX}*")
    from desktop_app.inference.checkpoint import CheckpointError

    with claimed_temp(folder, TEMP_PREFIX, ".part") as (fd, temp):
        with open(fd, "wb", closefd=False) as out, source.open("rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
        try:
            return install_file(temp, root=folder, origin=origin, source=str(source))
        except CheckpointError as exc:  # name the user's file, not the temporary copy
            raise CheckpointError(source, exc.problem, exc.detail) from None


def install_file(
    temp: Path,
    *,
    root: str | os.PathLike[str] | None = None,
    origin: Origin,
    source: str,
    expected_sha256: str | None = None,
) -> InstalledModel:
    """Install ``temp`` (a file already in the models folder, which this takes over).

    fsync, strict validation (and SHA-256 check when expected), rename to ``<sha256>.pt``, then the
    manifest. On any failure ``temp`` is deleted and nothing changes.
    """
    from desktop_app.inference.checkpoint import load_checkpoint

    folder = _root(root)
    if temp.resolve().parent != folder.resolve():
        raise ValueError(f"{temp} must be inside {folder} so that the final rename is atomic")
    remove_abandoned(folder, f"{TEMP_PREFIX}*")
    try:
        _fsync_file(temp)
        checkpoint = load_checkpoint(temp, expected_sha256=expected_sha256)
        final = folder / f"{checkpoint.sha256}.pt"
        os.replace(temp, final)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_dir(folder)
    previous = _previous_file(folder)
    model = InstalledModel(
        path=final,
        sha256=checkpoint.sha256,
        size=checkpoint.size,
        origin=origin,
        source=source,
        installed_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        classes=GENRE_KEYS,
    )
    _write_manifest(folder, model)
    if previous is not None and previous != final:
        previous.unlink(missing_ok=True)  # the manifest no longer points at it
    return model


def status(root: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """JSON-ready state of the models folder for the CLI and the settings page.

    ``state`` is 'installed', 'not_installed' or 'broken'; ``message`` is for the user.
    """
    folder = _root(root)
    base: dict[str, Any] = {"models_dir": str(folder)}
    try:
        model = installed_model(folder)
    except ModelStoreError as exc:
        return {**base, "state": "broken", "message": str(exc)}
    if model is None:
        return {
            **base,
            "state": "not_installed",
            "message": "The CCMusic model is not installed (the built-in tagger needs no install): "
            "run genrescope model install, "
            "or genrescope model import FILE.",
        }
    fields = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(model).items()}
    fields["classes"] = list(model.classes)
    return {**base, **fields, "state": "installed", "message": f"Installed model sha256 {model.sha256[:12]}."}


def _previous_file(folder: Path) -> Path | None:
    try:
        model = installed_model(folder)
    except ModelStoreError:
        return None
    return model.path if model is not None else None


def _write_manifest(folder: Path, model: InstalledModel) -> None:
    data = {
        "format": MANIFEST_FORMAT,
        "file": model.path.name,
        "sha256": model.sha256,
        "size": model.size,
        "origin": model.origin,
        "source": model.source,
        "installed_at": model.installed_at,
        "classes": list(model.classes),
    }
    with claimed_temp(folder, TEMP_PREFIX, ".json") as (fd, temp):
        with open(fd, "w", encoding="utf-8", closefd=False) as f:
            json.dump(data, f, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, folder / MANIFEST)
    _fsync_dir(folder)


def _fsync_file(path: Path) -> None:
    with path.open("rb+") as f:
        os.fsync(f.fileno())


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable; directories cannot be opened for fsync on Windows."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
