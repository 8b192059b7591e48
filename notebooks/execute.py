#!/usr/bin/python3
"""Execute one Jupyter notebook headlessly and fail loudly.

Usage: execute.py NOTEBOOK OUT_DIR [--kernel gonb] [--timeout SECONDS] [--normalise]

This is what `jupyter nbconvert --to notebook --execute` does (same library,
nbclient, same ExecutePreprocessor semantics: stop at the first failing cell),
with two differences that matter for a headless runner:
  * the executed notebook is written to OUT_DIR even when a cell fails, so the
    failing cell's outputs can be inspected;
  * on failure it prints the notebook, the failing cell and that cell's own
    output (GoNB prints compiler errors and panics there, where nbconvert's
    message does not show them), and exits 1.
The notebook is executed with its own folder as the working directory (as
nbconvert does), and never rewritten in place.

With --normalise the written notebook is made reproducible, so that a rerun
on cached runs gives the same file (beyond wall times) and it can be
committed: no execution timestamps; the repository, $CBRNN_OUT and GoNB's
scratch folders written as $CBRNN_ROOT, $CBRNN_OUT and $GONB_TMP_DIR in the
outputs; progress blocks (output metadata cbrnn/progress, or emptied by the
program) dropped, so a rerun on cached runs prints no progress at all; and
the profile recorded in metadata.cbrnn.profile.

Ctrl-C (SIGINT) or SIGTERM stops it with exit status 130 and one line saying
which notebook was interrupted (none when CBRNN_QUIET_INTERRUPT=1, for a
caller that says it itself): nbclient turns an interrupt into whatever its
event loop was doing (an AssertionError, say), which is not the story.
Runs on Debian's /usr/bin/python3 (packages python3-nbclient, nbformat).
"""
import argparse
import asyncio
import html
import os
import re
import signal
import sys
import time
import datetime

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def text_of(output):
    """Plain text of one cell output (stream, error or display data)."""
    kind = output.get("output_type")
    if kind == "stream":
        return output.get("text", "")
    if kind == "error":
        tb = output.get("traceback") or []
        return "\n".join(tb) or "%s: %s" % (output.get("ename"), output.get("evalue"))
    data = output.get("data", {})
    if "text/plain" in data:
        return data["text/plain"]
    if "text/html" in data:
        s = data["text/html"]
        s = re.sub(r"(?is)<(script|style).*?</\1>", "", s)
        s = re.sub(r"(?i)<br\s*/?>|</(p|div|tr|li|pre)>", "\n", s)
        s = re.sub(r"<[^>]+>", "", s)
        return html.unescape(s)
    return ""


def cell_times(nb):
    """Each code cell's wall time in seconds (nbclient's timing metadata:
    from the kernel receiving the cell to its reply), in cell order."""
    out = []
    for cell in nb.cells:
        e = cell.get("metadata", {}).get("execution", {})
        a, b = e.get("iopub.execute_input"), e.get("shell.execute_reply")
        if cell.cell_type == "code" and a and b:
            t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
            out.append((t(b) - t(a)).total_seconds())
    return out


def normalise(nb):
    """Make an executed notebook reproducible (see --normalise)."""
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
    subs = []
    for var in ("CBRNN_OUT", "CBRNN_ROOT"):
        v = os.environ.get(var, "").rstrip("/")
        if v:
            subs.append((v, "$" + var))
    tmp = re.compile(r"/tmp/gonb_[0-9a-f]+")

    def fix(text):
        for old, new in subs:
            text = text.replace(old, new)
        return tmp.sub("$GONB_TMP_DIR", text)

    # Which profile the outputs come from (notebooks/README.md says).
    nb.metadata.setdefault("cbrnn", {})["profile"] = os.environ.get("CBRNN_PROFILE", "quick")
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        kept = []
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                o["text"] = fix(o.get("text", ""))
            elif o.get("output_type") in ("display_data", "execute_result"):
                data = o.get("data", {})
                if data.get("text/html", None) == "" and len(data) == 1:
                    continue  # an emptied progress line
                if o.get("metadata", {}).get("cbrnn/progress"):
                    continue  # progress only (nb.ProgressKey)
                for mime in ("text/plain", "text/html", "text/markdown"):
                    if isinstance(data.get(mime), str):
                        data[mime] = fix(data[mime])
            kept.append(o)
        cell["outputs"] = kept


def strip_ansi(s):
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", s)


INTERRUPTED = []


def on_signal(signum, frame):
    """Remember the interrupt, then interrupt as Python would."""
    INTERRUPTED.append(signum)
    raise KeyboardInterrupt


def note_loop_signals():
    """Make the event loop's signal handlers note the signal too.

    nbclient (NotebookClient.setup_kernel) replaces the SIGINT and SIGTERM
    handlers with its own, on the event loop, which shut the kernel down
    while the cell is still running; the cell then fails with an
    AssertionError and the interrupt is nowhere to be seen. Wrapping
    add_signal_handler of the loop class lets us tell that failure from a
    real one.
    """
    loop = asyncio.new_event_loop()
    cls = type(loop)
    loop.close()
    orig = cls.add_signal_handler

    def add_signal_handler(self, sig, callback, *args):
        def noted(*a):
            INTERRUPTED.append(sig)
            return callback(*a)
        return orig(self, sig, noted, *args)

    cls.add_signal_handler = add_signal_handler


def interrupted(name, out):
    if os.environ.get("CBRNN_QUIET_INTERRUPT") != "1":
        sys.stderr.write("execute.py: interrupted while executing %s; its partial copy is %s, "
                         "and a rerun starts it again (runs already trained are cached)\n" % (name, out))
    return 130


def main():
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    note_loop_signals()
    ap = argparse.ArgumentParser()
    ap.add_argument("notebook")
    ap.add_argument("out_dir")
    ap.add_argument("--kernel", default="gonb")
    ap.add_argument("--timeout", type=int, default=86400, help="per-cell timeout in seconds (<=0: none)")
    ap.add_argument("--normalise", action="store_true", help="write a reproducible notebook (to commit)")
    args = ap.parse_args()

    path = os.path.abspath(args.notebook)
    name = os.path.basename(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.timeout if args.timeout > 0 else None,
        startup_timeout=120,
        record_timing=True,  # per-cell times for the summary line; --normalise drops them
        resources={"metadata": {"path": os.path.dirname(path)}},
    )
    t0 = time.time()
    failure = None
    out = os.path.join(args.out_dir, name)
    times = []
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        failure = e
    except (Exception, KeyboardInterrupt) as e:  # kernel did not start, an interrupt, etc.
        failure = e
    finally:
        try:
            os.makedirs(args.out_dir, exist_ok=True)
            times = cell_times(nb)
            if args.normalise:
                normalise(nb)
            nbformat.write(nb, out)
        except KeyboardInterrupt:
            INTERRUPTED.append(signal.SIGINT)
    if INTERRUPTED:
        return interrupted(name, out)

    # A cell can also carry an error output without the client raising
    # (allow_errors, raises-exception tags): treat it as a failure too.
    bad = None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            bad = (i, cell)
            break
    if failure is None and bad is None:
        print("ok   %s (%.1f s; code cells: %s s) -> %s" % (name, time.time() - t0, " ".join("%.1f" % x for x in times), out))
        return 0

    print("FAIL %s (%.1f s) -> %s" % (name, time.time() - t0, out))
    if bad is None:
        # The failing cell is the last one that got an execution count.
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and cell.get("execution_count") is not None:
                bad = (i, cell)
    if bad is not None:
        i, cell = bad
        cid = cell.get("id", "?")
        print("---- failing cell #%d (id %s):" % (i, cid))
        print(cell.source)
        print("---- its output:")
        for o in cell.get("outputs", []):
            t = strip_ansi(text_of(o))
            t = "\n".join(l.strip() if not l.strip() else l.rstrip() for l in t.splitlines())
            t = re.sub(r"\n{2,}", "\n", t).strip("\n")
            if t:
                print(t)
    if failure is not None:
        msg = str(failure).strip().splitlines()
        print("---- error: %s" % (msg[-1] if msg else type(failure).__name__))
    return 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # a second Ctrl-C during the cleanup
        sys.exit(130)
