"""Worker process that reads, cleans and chunks files ahead of the ingest that embeds them.

    python -m ingest.prepare_worker   (stdin: one JSON request a line; stdout: framed pickles)

Each request ``{"path": ..., "separator": ..., "chunk_size": ..., "workers": ...}`` is answered, in
order, by one frame: 8-byte big-endian length, then a pickle of
``("ok", pages, chunks, timings, tokens)`` or ``("error", kind, message)``: ``tokens`` are the chunks'
keyword tokens, made here too (rag/indexing.chunk_tokens of each chunk's indexed text), so that the
ingest's process spends its time embedding. It is a separate
program, not multiprocessing, so that nothing of the caller's ``__main__`` (a
user's script, the Gradio app) is imported again in the child, and the child
holds none of the caller's file descriptors (the ingest lock among them).
"""
from __future__ import annotations

import json
import pickle
import struct
import sys


def prepare(path, separator: str | None, chunk_size: float, workers: int | None = None):
    """(pages, chunks, seconds spent extracting and chunking) of one file; ``workers``: processes
    reading a long PDF (None: the ingest.workers setting)."""
    import time

    from ingest import chunk_pages, load_pages

    t0 = time.perf_counter()
    pages = load_pages(path, separator, workers=workers)
    t1 = time.perf_counter()
    chunks = chunk_pages(pages, max_size=chunk_size)
    return pages, chunks, {"extraction": t1 - t0, "chunking": time.perf_counter() - t1}


def keyword_tokens_of(chunks) -> tuple[list[str], float]:
    """The chunks' keyword tokens as the index stores them, and the seconds it took."""
    import time

    from rag.indexing import chunk_tokens

    t0 = time.perf_counter()
    tokens = [chunk_tokens(c.indexed_text) for c in chunks]
    return tokens, time.perf_counter() - t0


def answer(request: dict) -> tuple:
    from ingest import IngestError

    try:
        pages, chunks, timings = prepare(request["path"], request.get("separator"), float(request["chunk_size"]),
                                         request.get("workers"))
        tokens, timings["keyword_tokens"] = keyword_tokens_of(chunks)
        return ("ok", pages, chunks, timings, tokens)
    except IngestError as e:
        return ("error", "IngestError", e.reason)
    except MemoryError:
        return ("error", "MemoryError", "")
    except UnicodeError as e:
        return ("error", "UnicodeError", str(e))
    except Exception as e:   # noqa: BLE001 -- reported for that file, as the in-process path does
        return ("error", type(e).__name__, " ".join(str(e).split())[:300])


def main() -> int:
    out = sys.stdout.buffer
    for line in sys.stdin:
        if not line.strip():
            continue
        data = pickle.dumps(answer(json.loads(line)), protocol=pickle.HIGHEST_PROTOCOL)
        out.write(struct.pack(">Q", len(data)))
        out.write(data)
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
