"""Worker for page-parallel PDF text extraction (see ingest.loaders._pdf_texts).

    python -m ingest.pdf_pages FIRST STEP  < file.pdf  > JSON list of page texts

Extracts pages FIRST, FIRST+STEP, ... of the PDF read from stdin, with the same
pypdf calls as the serial path, and prints their texts as one JSON list. It is
run as a module (not through multiprocessing) so that nothing of the caller's
``__main__`` is re-imported in the child.
"""
from __future__ import annotations

import io
import json
import logging
import sys


def main(argv: list[str]) -> int:
    from pypdf import PdfReader

    first, step = int(argv[0]), int(argv[1])
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(io.BytesIO(sys.stdin.buffer.read()))
    pages = reader.pages
    texts = [pages[i].extract_text() or "" for i in range(first, len(pages), step)]
    sys.stdout.write(json.dumps(texts, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
