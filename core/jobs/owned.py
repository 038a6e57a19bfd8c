"""One owner's view of the jobs (``OwnedJobs``): what every page and the file service get.

Pages never hold a ``JobManager``: they get ``manager.for_owner(owner)``, whose every call that
takes a run id answers "There is no run called ..." for another owner's run (the same words as
for an id that does not exist, so ids cannot be probed).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from core.jobs.owners import EVERYONE
from core.jobs.runfolder import RunFolder
from core.jobs.store import RunCard, no_such_run
from core.jobs.uploads import UploadStore

if TYPE_CHECKING:
    from core.jobs.manager import JobManager, JobSnapshot


class OwnedJobs:
    """One owner's view of the jobs: what every page gets. Each call that takes a run id checks
    the owner first and answers another owner's id exactly as an unknown one."""

    def __init__(self, manager: JobManager, owner: str):
        if not owner:
            raise ValueError("An owner is needed.")
        self.manager = manager
        self.owner = owner
        self.uploads = UploadStore(manager.runs_dir, owner)

    @property
    def shared(self) -> bool:
        return self.owner == EVERYONE

    @property
    def backend(self):
        return self.manager.backend

    @property
    def max_concurrent(self) -> int:
        return self.manager.max_concurrent

    def submit(
        self,
        tool: str,
        target: str,
        config: dict[str, Any],
        *,
        inputs: dict[str, Image.Image] | None = None,
        title: str = "",
        card_fields: dict[str, Any] | None = None,
    ) -> str:
        return self.manager.submit(
            tool,
            target,
            config,
            inputs=inputs,
            title=title,
            owner=self.owner,
            uploads=self.uploads.names_in(config),
            card_fields=card_fields,
        )

    def check(self, job_id: str) -> str:
        """The id, if it names a run of this owner; else the ValueError an unknown id gets."""
        try:
            owner = self.manager.owner_of(job_id)
        except ValueError:
            owner = None
        if owner is None or not (self.shared or owner == self.owner):
            raise no_such_run(job_id)
        return job_id

    def snapshot(self, job_id: str) -> JobSnapshot:
        return self.manager.snapshot(self.check(job_id))

    def stop(self, job_id: str) -> None:
        self.manager.stop(self.check(job_id))

    def delete(self, job_id: str) -> int:
        return self.manager.delete(self.check(job_id))

    def run_dir(self, job_id: str) -> Path:
        return self.manager.run_dir(self.check(job_id))

    def folder(self, job_id: str) -> RunFolder:
        return self.manager.folder(self.check(job_id))

    def previews(self, job_id: str) -> list[tuple[int, Path]]:
        return self.manager.previews(self.check(job_id))

    def wait(self, job_id: str, timeout: float = 60.0) -> JobSnapshot:
        return self.manager.wait(self.check(job_id), timeout)

    def list_runs(self, tool: str | None = None) -> list[RunCard]:
        return self.manager.list_runs(tool, owner=self.owner)
