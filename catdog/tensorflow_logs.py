"""Keeps TensorFlow's start-up lines out of the terminal: `python -m catdog`'s, the app server's and its training runs'.

TensorFlow 2.21 prints them from C++ through absl logging, in two ways:
- while its libraries load during `import tensorflow` ("oneDNN custom operations are on",
  "Could not find cuda drivers", each after absl's "All log messages before absl::InitializeLog()
  is called are written to STDERR"), before TensorFlow has read TF_CPP_MIN_LOG_LEVEL, so no
  setting hides them: TF_ENABLE_ONEDNN_OPTS=0 drops the oneDNN line only by turning oneDNN off
  (a batch through the from-scratch convnet then takes 1.5× as long here), TF_ENABLE_ONEDNN_OPTS=1
  keeps it, and CUDA_VISIBLE_DEVICES hides none of them;
- later, through TF_CPP_MIN_LOG_LEVEL, such as "failed call to cuInit" (an ERROR) on a machine
  without a GPU.
"""

import contextlib
import importlib.abc
import importlib.machinery
import os
import re
import sys
import tempfile
from collections.abc import Iterator

# "I0000 00:00:1795885030.491077   10859 port.cc:153] oneDNN custom operations are on. ..."
ABSL_LINE = re.compile(rb"([IWEF])\d{4} [\d:.]+ +\d+ \S+:\d+\] ")
ABSL_NOT_INITIALISED = b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
SEVERITIES = b"IWEF"  # TF_CPP_MIN_LOG_LEVEL counts 0 (INFO) to 3 (FATAL)
# TensorFlow Lite's own logger, once a process: "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
LITERT_INFO = b"INFO: "
# The int8 converter's settings, one bare line from C++ (no severity): "fully_quantize: 0, inference_type: 6, ..."
QUANTIZER_SETTINGS = b"fully_quantize: "


def quiet_tensorflow_start_up() -> None:
    """Show only TensorFlow's fatal errors: run before TensorFlow is imported. TF_CPP_MIN_LOG_LEVEL=0 shows all."""
    # INFO and WARNING lines are chatter, and so is the one ERROR line of a machine without a GPU;
    # TensorFlow's real failures reach Python as exceptions, with their own messages.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if not any(isinstance(finder, _FilteredTensorFlowImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _FilteredTensorFlowImport())


@contextlib.contextmanager
def start_up_lines_dropped() -> Iterator[None]:
    """Hold back what is written to stderr inside, then write all of it but the lines TF_CPP_MIN_LOG_LEVEL hides.

    At the file descriptor, not sys.stderr, because TensorFlow's C++ writes there. If the process
    dies inside (a fatal TensorFlow error aborts it), what was held back is lost: TF_CPP_MIN_LOG_LEVEL=0
    turns this off.
    """
    min_level = _min_log_level()
    try:
        terminal = os.dup(2) if min_level > 0 else None
    except OSError:  # no stderr at all: nothing to keep clean
        terminal = None
    if terminal is None:
        yield
        return
    if sys.stderr:
        sys.stderr.flush()
    with tempfile.TemporaryFile() as held_back:
        os.dup2(held_back.fileno(), 2)
        try:
            yield
        finally:
            if sys.stderr:
                sys.stderr.flush()
            os.dup2(terminal, 2)
            held_back.seek(0)
            with open(terminal, "wb") as out:  # also closes the spare copy of the terminal
                out.writelines(line for line in held_back if not _hidden(line, min_level))


def _hidden(line: bytes, min_level: int) -> bool:
    if line.rstrip() == ABSL_NOT_INITIALISED:
        return True
    if line.startswith((LITERT_INFO, QUANTIZER_SETTINGS)):
        return min_level > 0
    absl = ABSL_LINE.match(line)
    return absl is not None and SEVERITIES.index(absl.group(1)) < min_level


def _min_log_level() -> int:
    """TF_CPP_MIN_LOG_LEVEL as TensorFlow reads it: an integer, else 0."""
    try:
        return int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0"))
    except ValueError:
        return 0


class _FilteredTensorFlowImport(importlib.abc.MetaPathFinder):
    """Finds the `tensorflow` package as usual, then loads it inside start_up_lines_dropped()."""

    def find_spec(self, name, path, target=None):
        if name != "tensorflow":  # asked once: later imports find it in sys.modules
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _FilteredLoader(spec.loader)
        return spec


class _FilteredLoader(importlib.abc.Loader):
    """Wraps a loader, as importlib.util.LazyLoader does, to run the module's code inside start_up_lines_dropped()."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        module.__spec__.loader = module.__loader__ = self.loader  # TensorFlow sees its own loader
        with start_up_lines_dropped():
            self.loader.exec_module(module)
