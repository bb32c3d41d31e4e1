#!/usr/bin/env python3
"""Checks a Lambda package (the zip deploy/lambda.sh makes) against what the
provided.al2023 runtime gives it, without an AWS account:

- every ELF file in it (the function's `bootstrap` and the ONNX Runtime library it opens
  with dlopen) is built for the package's architecture;
- the highest glibc symbol version any of them needs is at most the runtime's (AL2023
  has glibc 2.34), and the same for libstdc++ (GCC 11: GLIBCXX_3.4.29, CXXABI_1.3.13);
- every library they load is in the zip or is one of the runtime's own (glibc's libraries,
  and GCC's libgcc_s and libstdc++);
- the ONNX Runtime file the function opens (onnx-runtime/src/lib.rs, LIBRARY) sits beside
  `bootstrap`, and the shipped model folder under models/;
- the zip is within Lambda's limit of 250 MB unzipped (and whether it is small enough, 50 MB,
  to upload without S3).

Usage: deploy/check-lambda.py PACKAGE.zip x86_64|arm64
Prints one line per check and exits non-zero on the first failure.
"""

import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What `readelf -h` calls each Lambda architecture.
MACHINES = {"x86_64": "Advanced Micro Devices X86-64", "arm64": "AArch64"}
# AL2023's toolchain (glibc 2.34, GCC 11.4): the newest symbol versions it provides.
RUNTIME_VERSIONS = {"GLIBC": (2, 34), "GLIBCXX": (3, 4, 29), "CXXABI": (1, 3, 13)}
# Libraries of the runtime itself: glibc's, and GCC's runtime libraries (AL2023 minimal
# carries libstdc++ for its own package manager).
RUNTIME_LIBRARIES = {
    "libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1",
    "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "libgcc_s.so.1", "libstdc++.so.6",
}
ZIPPED_LIMIT = 50 * 1024 * 1024
UNZIPPED_LIMIT = 250 * 1024 * 1024


def fail(message: str) -> None:
    print(f"FAIL {message}")
    sys.exit(1)


def ok(message: str) -> None:
    print(f"ok   {message}")


def readelf(*args: str) -> str:
    return subprocess.run(["readelf", "-W", *args], check=True, capture_output=True, text=True).stdout


def is_elf(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == b"\x7fELF"


def version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def main() -> None:
    if len(sys.argv) != 3 or sys.argv[2] not in MACHINES:
        sys.exit(__doc__)
    package, arch = Path(sys.argv[1]), sys.argv[2]
    zipped = package.stat().st_size
    with zipfile.ZipFile(package) as z, tempfile.TemporaryDirectory() as tmp:
        unzipped = sum(info.file_size for info in z.infolist())
        z.extractall(tmp)
        root = Path(tmp)
        names = {info.filename for info in z.infolist()}

        if "bootstrap" not in names:
            fail("no bootstrap at the top of the zip")
        mode = z.getinfo("bootstrap").external_attr >> 16
        if not mode & 0o111:
            fail(f"bootstrap is not executable (mode {mode:o})")
        ok("bootstrap is at the top and executable")

        library = re.search(r'pub const LIBRARY: &str = "([^"]+)"', (ROOT / "onnx-runtime/src/lib.rs").read_text())[1]
        if library not in names:
            fail(f"{library}, which the function opens beside itself, is not in the zip")
        ok(f"{library} is beside bootstrap")
        if "models/efficientnet-lite0/model.json" not in names or "models/efficientnet-lite0/model.onnx" not in names:
            fail("the shipped model folder models/efficientnet-lite0 is not in the zip")
        ok("models/efficientnet-lite0 is in the zip")

        elves = sorted(p for p in root.rglob("*") if p.is_file() and is_elf(p))
        shipped = {p.name for p in elves}
        newest: dict[str, tuple[tuple[int, ...], str]] = {}
        for elf in elves:
            name = elf.relative_to(root)
            machine = re.search(r"Machine:\s+(.+)", readelf("-h", str(elf)))[1].strip()
            if machine != MACHINES[arch]:
                fail(f"{name} is built for {machine}, not {arch}")
            needed = re.findall(r"\(NEEDED\).*\[(.+)\]", readelf("-d", str(elf)))
            missing = [lib for lib in needed if lib not in shipped and lib not in RUNTIME_LIBRARIES]
            if missing:
                fail(f"{name} loads {', '.join(missing)}, which neither the zip nor provided.al2023 has")
            for kind, number in re.findall(r"Name: (GLIBC|GLIBCXX|CXXABI)_([0-9.]+)", readelf("-V", str(elf))):
                if kind not in newest or version(number) > newest[kind][0]:
                    newest[kind] = (version(number), f"{kind}_{number} ({name})")
            ok(f"{name}: {machine}; loads {', '.join(needed) or 'nothing'}")
        for kind, (found, where) in sorted(newest.items()):
            limit = RUNTIME_VERSIONS[kind]
            if found > limit:
                fail(f"needs {where}, newer than provided.al2023's {'.'.join(map(str, limit))}")
            ok(f"newest {kind} symbol needed: {where}; provided.al2023 has {'.'.join(map(str, limit))}")

    mb = 1024 * 1024
    if unzipped > UNZIPPED_LIMIT:
        fail(f"the package is {unzipped / mb:.1f} MB unzipped, over Lambda's {UNZIPPED_LIMIT // mb} MB")
    how = "uploads directly or through S3" if zipped <= ZIPPED_LIMIT else \
        f"over {ZIPPED_LIMIT // mb} MB zipped: deploy it through S3, as the template does"
    ok(f"{package.name}: {zipped / mb:.1f} MB zipped, {unzipped / mb:.1f} MB unzipped (limit {UNZIPPED_LIMIT // mb}); {how}")


if __name__ == "__main__":
    main()
