"""The client's pure parts, no registry needed: refs, inputs, the progress line (the Node CLI's),
the CLI's value parsing and exit codes, the hash cache's trust rules."""

from __future__ import annotations

import io
import os
import time
import unittest

from support import Scratch

# isort: split
from cairn import CairnError
from cairn.__main__ import _metrics, _scalar, exit_code
from cairn.client import parse_input
from cairn.hashing import HashCache, hash_file
from cairn.progress import Progress, format_bytes, format_duration, terminal_stream
from cairn.refs import normalize_ref, split_tag_ref


class Pure(unittest.TestCase):
    def test_refs_and_inputs(self) -> None:
        self.assertEqual(normalize_ref("acme/data"), "acme/data:latest")
        for ref in ("acme/data:prod", "acme/data@3", "acme/data@sha256:" + "a" * 64):
            self.assertEqual(normalize_ref(ref), ref)
        for bad in ("acme", "Acme/data", "acme/data@x", "acme/data:", "a/b/c"):
            with self.assertRaises(CairnError, msg=bad):
                normalize_ref(bad)
        self.assertEqual(split_tag_ref("acme/m:production"), ("acme/m", "production"))
        self.assertEqual(split_tag_ref("acme/m@2"), ("acme/m", None))
        self.assertEqual(parse_input("acme/d=training"), {"ref": "acme/d:latest", "role": "training"})
        self.assertEqual(parse_input(("acme/d@1", "eval")), {"ref": "acme/d@1", "role": "eval"})
        self.assertEqual(parse_input({"ref": "acme/d:x"}), {"ref": "acme/d:x"})

    def test_progress_line_and_silence(self) -> None:
        self.assertEqual(
            [format_bytes(n) for n in (0, 1023, 1536, 10 * 1024 * 1024)],
            ["0 B", "1023 B", "1.50 KiB", "10.0 MiB"],
        )
        self.assertEqual(
            (format_duration(59.4), format_duration(3725), format_duration(float("nan"))),
            ("00:59", "1:02:05", "--:--"),
        )
        out = io.StringIO()
        progress = Progress("upload", 1024, 2, out)
        progress.add_bytes(512)
        progress.add_item()
        progress.finish()
        self.assertRegex(
            out.getvalue(), r"\r\x1b\[2Kupload \[#{12}-{12}\]  50% 512 B/1.00 KiB \S+ \S+/s ETA \S+ 1/2\n$"
        )
        self.assertIsNone(terminal_stream(None))  # stderr is not a terminal under the test runner
        self.assertIsNone(terminal_stream(False))

    def test_cli_values_and_exit_codes(self) -> None:
        self.assertEqual(
            [_scalar(v) for v in ("6", "true", "[1,2]", "adam", "1e-3")], [6, True, [1, 2], "adam", 0.001]
        )
        self.assertEqual(_metrics(["auc=0.91", "n=3"]), {"auc": 0.91, "n": 3})
        with self.assertRaises(CairnError):
            _metrics(["auc=high"])
        cases = [
            (CairnError(0, "USAGE", ""), 2),
            (CairnError(401, "UNAUTHORIZED", ""), 3),
            (CairnError(403, "DENIED", ""), 3),
            (CairnError(404, "TAG_UNKNOWN", "", {"ref": "a/b:latest"}), 4),
            (CairnError(422, "REF_UNKNOWN", ""), 4),
            (CairnError(409, "TAG_CONFLICT", ""), 5),
            (CairnError(400, "DIGEST_MISMATCH", ""), 6),
            (CairnError(0, "VERIFY_FAILED", ""), 6),
            (CairnError(0, "NETWORK_ERROR", ""), 7),
            (CairnError(0, "INTERRUPTED", ""), 7),
            (CairnError(500, "INTERNAL_ERROR", ""), 1),
        ]
        for err, code in cases:
            self.assertEqual(exit_code(err)[0], code, err.code)

    def test_the_hash_cache_trusts_only_an_unchanged_file_hashed_well_after_its_last_write(self) -> None:
        scratch = Scratch(self)
        path = scratch.file("a.bin", b"one")
        cache_file = scratch.join("cache", "hashes.json")
        cache = HashCache(cache_file)
        digest, _ = hash_file(path)
        cache.record(path, os.stat(path), digest, time.time())
        self.assertIsNone(cache.lookup(path, os.stat(path)), "written just now: racily clean, not kept")
        cache.record(path, os.stat(path), digest, time.time() + 10)
        cache.save()
        self.assertEqual(HashCache(cache_file).lookup(path, os.stat(path)), digest)
        with open(path, "wb") as f:
            f.write(b"two")
        self.assertIsNone(HashCache(cache_file).lookup(path, os.stat(path)), "a write moves ctime")
        with open(cache_file, "w") as f:
            f.write("{not json")
        self.assertIsNone(HashCache(cache_file).lookup(path, os.stat(path)), "a corrupt cache is ignored")


if __name__ == "__main__":
    unittest.main()
