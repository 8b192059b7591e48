"""Packs the Python task provider into one executable file (a zipapp).

Usage: /usr/bin/python3 build_pyz.py OUTPUT

One file means one SHA-256 in the manifest covers all of the plugin's own
code. The archive is byte-reproducible (fixed timestamps, sorted entries),
so rebuilding an unchanged provider does not change its hash.
"""

import io
import os
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = ["provider.py", "taskplugin_pb2.py", "taskplugin_pb2_grpc.py"]
MAIN = "import provider\nprovider.main()\n"


def build(out):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        entries = [(f, open(os.path.join(HERE, f), "rb").read()) for f in FILES]
        entries.append(("__main__.py", MAIN.encode()))
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    data = b"#!/usr/bin/python3\n" + buf.getvalue()
    try:
        with open(out, "rb") as f:
            if f.read() == data:
                return  # up to date: keep the file (and its mtime) as is
    except FileNotFoundError:
        pass
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, 0o755)
    os.replace(tmp, out)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    build(sys.argv[1])
