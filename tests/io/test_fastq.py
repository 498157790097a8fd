"""FASTQ as sequencers write it, read exactly as Biopython reads it; corrupt records refused.

The valid variants follow the published FASTQ test suite (Cock et al., NAR 2010): full
quality ranges at the Sanger, Solexa and Illumina offsets, wrapped records whose quality
lines begin with ``@`` or ``+``, RNA, ambiguity codes, Windows line endings, empty reads.
"""

from __future__ import annotations

import io

import pytest

from genodash.errors import FormatError
from genodash.io import RawFile, read_dataset, read_sequences

BASE = (
    "@r1 label=a\nACGTACGTAC\n+\nIIIIIHHHHH\n"
    "@r2 label=b\nGGCCAATTGG\n+r2 label=b\nIIIIIIIIII\n"
    "@r3 label=a\nTTGGCCAATT\n+\n!!!!!!!!!!\n"
)
_AS_DNA = str.maketrans({"U": "T", **dict.fromkeys("RYSWKMBDHV", "N")})


def _full_range(low: str, high: str) -> str:
    """One read per direction whose qualities run over every character from low to high."""
    qualities = "".join(chr(c) for c in range(ord(low), ord(high) + 1))
    bases = ("ACGT" * 30)[: len(qualities)]
    return f"@up label=a\n{bases}\n+\n{qualities}\n@down label=b\n{bases}\n+\n{qualities[::-1]}\n"


def _wrapped() -> str:
    # quality lines that begin with '@' and '+', as in the suite's wrapping files
    return (
        "@w1 label=a\nACGTA\nCGTAC\nGT\n+\n@IIII\n+III@\n@+\n"
        "@w2 label=b\nTTTT\nGG\n+w2 label=b\n+@+@\n@@\n"
    )


VALID = {
    "sanger_full_range.fastq": _full_range("!", "~"),
    "solexa_full_range.fastq": _full_range(";", "h"),
    "illumina_full_range.fastq": _full_range("@", "h"),
    "wrapped.fastq": _wrapped(),
    "rna.fastq": BASE.replace("ACGTACGTAC", "ACGUACGUAC").replace("TTGGCCAATT", "uuggccaauu"),
    "ambiguity.fastq": BASE.replace("ACGTACGTAC", "ACRYSWKMBN").replace("GGCCAATTGG", "ggccDHVNtt"),
    "crlf.fastq": BASE.replace("\n", "\r\n"),
    "quality_starts_with_gt.fastq": BASE.replace("+\nIIIIIHHHHH", "+\n>IIIIHHHHH"),
    "empty_read.fastq": BASE.replace("@r3 label=a\nTTGGCCAATT\n+\n!!!!!!!!!!\n", "@r3\n\n+\n\n"),
}


def _biopython(text: str) -> list[tuple[str, str]]:
    from Bio.SeqIO.QualityIO import FastqGeneralIterator

    return [
        (title.split()[0], sequence)
        for title, sequence, _ in FastqGeneralIterator(io.StringIO(text, newline=None))
    ]


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_variants_are_read_as_biopython_reads_them(name):
    text = VALID[name]
    expected = [(rid, seq.upper().translate(_AS_DNA)) for rid, seq in _biopython(text) if seq]
    result = read_sequences(RawFile(name, text.encode()))
    assert result.format == "fastq"
    assert list(zip(result.ids, result.sequences, strict=True)) == expected
    assert len(expected) >= 2


def test_a_quality_line_starting_with_gt_is_still_fastq():
    text = VALID["quality_starts_with_gt.fastq"]
    assert read_dataset(RawFile("reads.txt", text.encode())).format == "fastq"


def test_empty_reads_are_dropped_with_a_note():
    result = read_sequences(RawFile("trimmed.fq", VALID["empty_read.fastq"].encode()))
    assert result.ids == ("r1", "r2")
    assert (
        "dropped 1 empty read (record 3): a read without bases gives a model nothing to "
        "learn from" in result.notes
    )


def test_a_file_of_empty_reads_is_refused_as_fastq():
    with pytest.raises(FormatError) as error:
        read_sequences(RawFile("empty.fq", b"@r1\n\n+\n\n@r2\n\n+\n\n"))
    assert str(error.value) == (
        "empty.fq: all 2 reads are empty (no bases), so there is nothing to learn from"
    )


@pytest.mark.parametrize(
    ("character", "described"),
    [
        ("\t", "a tab, code 0x09"),
        (" ", "a space, code 0x20"),
        ("\x7f", "a delete (DEL), code 0x7f"),
        ("\x1b", "an escape (ESC), code 0x1b"),
        ("\x0b", "a vertical tab, code 0x0b"),
        ("\x1f", "a unit separator, code 0x1f"),
        ("é", "'é', code 0xe9"),
    ],
)
def test_each_forbidden_quality_character_is_refused(character, described):
    text = BASE.replace("+r2 label=b\nIIIIIIIIII", f"+r2 label=b\nIII{character}IIIIII")
    with pytest.raises(FormatError) as error:
        read_sequences(RawFile("bad.fq", text.encode()))
    assert str(error.value) == (
        f"bad.fq: record 2 'r2' (line 5): invalid quality character ({described}, at line 8, "
        "column 4). Quality lines hold only the characters ! to ~; the file may be corrupt"
    )


def test_a_plus_line_naming_another_read_is_refused():
    text = BASE.replace("+r2 label=b", "+r7")
    with pytest.raises(FormatError) as error:
        read_sequences(RawFile("spliced.fq", text.encode()))
    assert str(error.value) == (
        "spliced.fq: record 2 'r2' (line 5), line 7: the '+' line names another read ('r7', "
        "not 'r2'); records from different reads may have been spliced together. The file "
        "may be corrupt: write it again from the source"
    )


def test_a_plus_line_repeating_only_the_id_is_accepted():
    text = BASE.replace("+r2 label=b", "+r2")
    assert read_sequences(RawFile("ok.fq", text.encode())).ids == ("r1", "r2", "r3")
