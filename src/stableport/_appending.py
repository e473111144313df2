"""Appending to a file someone else owns (a pyproject.toml, .git/info/exclude): all or nothing.

A write cut short (a full disk, a file size limit, a quota) leaves the part
written: a half line without its newline, onto which the owner's next
`echo x >> file` is glued. So an append that fails cuts the file back to the
length it had, and says whether that worked.
"""

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


class AppendError(OSError):
    """An append that failed; undone says whether the file is back to its old length."""

    def __init__(self, error: OSError, *, undone: bool) -> None:
        super().__init__(error.errno, error.strerror or str(error))
        self.undone = undone


def append_bytes(descriptor: int, length: int, addition: bytes) -> None:
    """addition after the file's first length bytes, on disk; on failure, cut back to them.

    Raises:
        AppendError: The write or its fsync failed; .undone tells whether the
            file was cut back to length bytes.
    """
    try:
        write_from(descriptor, length, addition)
    except OSError as error:
        raise AppendError(error, undone=undo(lambda: os.ftruncate(descriptor, length))) from None


def write_from(descriptor: int, offset: int, data: bytes) -> None:
    """Every byte of data at offset, on disk: or an OSError."""
    os.lseek(descriptor, offset, os.SEEK_SET)
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]
    os.fsync(descriptor)  # a full disk or a quota may only say so here


def undo(action: "Callable[[], None]") -> bool:
    """Run action, the undoing of a failed write; whether it succeeded."""
    try:
        action()
    except OSError:
        return False
    return True
