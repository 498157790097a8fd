"""genodash's sequence readers against Biopython on files someone else wrote.

For every FASTA/FASTQ file in the folders given (for instance Biopython's own FASTQ test
suite, ``Tests/Quality`` in its source release), both readers run on the same bytes:

- when Biopython reads the file, genodash must read the same records: the same IDs and
  the same sequences after genodash's stated conversions (upper case, U → T, IUPAC codes
  → N, repeated IDs made unique with -1, -2, …); empty reads, which genodash drops with a
  note, are left out of the comparison;
- when Biopython refuses the file, genodash must refuse it too, with a message naming the
  file and a line;
- protein files, which genodash refuses by design (it reads DNA and RNA), are counted apart.

Prints one line per file and the totals; exits 1 when any file disagrees.

    python bench/reference_readers.py biopython-1.88/Tests/Quality
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from genodash.errors import GenodashError
from genodash.io import read_sequences
from genodash.io.sequences import make_unique

FORMATS = {
    ".fastq": "fastq",
    ".fq": "fastq",
    ".fasta": "fasta-pearson",
    ".fa": "fasta-pearson",
    ".nu": "fasta-pearson",
    ".pro": "fasta-pearson",
}
_AS_DNA = str.maketrans({"U": "T", **dict.fromkeys("RYSWKMBDHV", "N")})
_NAMES_A_LINE = re.compile(r"\bline \d+")


def biopython_records(path: Path) -> list[tuple[str, str]] | str:
    """(id, sequence) of every record as Biopython reads it, or its error message."""
    from Bio import SeqIO

    try:
        return [(r.id, str(r.seq)) for r in SeqIO.parse(str(path), FORMATS[path.suffix])]
    except (ValueError, UnicodeDecodeError) as err:
        return f"{type(err).__name__}: {err}"


def compare(path: Path) -> tuple[bool, str]:
    reference = biopython_records(path)
    try:
        ours = read_sequences(path)
    except GenodashError as err:
        if "protein sequences are not supported" in str(err):
            return True, f"protein: refused by design ({err})"
        if isinstance(reference, str):
            named = path.name in str(err) and bool(_NAMES_A_LINE.search(str(err)))
            return named, f"both refuse · genodash: {err}"
        return False, f"genodash refuses what Biopython reads: {err}"
    if isinstance(reference, str):
        return False, f"genodash reads what Biopython refuses ({reference})"
    kept = [(rid, seq) for rid, seq in reference if seq]
    ids, _ = make_unique([rid for rid, _ in kept])
    expected = [(i, seq.upper().translate(_AS_DNA)) for i, (_, seq) in zip(ids, kept, strict=True)]
    found = list(zip(ours.ids, ours.sequences, strict=True))
    if found != expected:
        return False, f"records differ: {len(found)} read against Biopython's {len(expected)}"
    dropped = len(reference) - len(kept)
    extra = f", {dropped} empty dropped" if dropped else ""
    return True, f"same {len(found)} records{extra}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path, help="folders of FASTA/FASTQ files")
    args = parser.parse_args()
    files = sorted(
        path for folder in args.folders for path in folder.iterdir() if path.suffix in FORMATS
    )
    agree = 0
    for path in files:
        ok, detail = compare(path)
        agree += ok
        print(f"{'agree' if ok else 'DIFFER':6}  {path.name:45}  {detail}")
    print(f"\n{agree} of {len(files)} files agree with Biopython")
    return 0 if agree == len(files) else 1


if __name__ == "__main__":
    sys.exit(main())
